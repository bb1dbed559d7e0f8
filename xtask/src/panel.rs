//! Builds the panel into `pkg/`: cargo (wasm32, `panel` profile) → wasm-bindgen (ES
//! module + TypeScript definitions) → npm binaryen's wasm-opt (Debian's binaryen 108
//! produces broken modules), run until it finds nothing more to shrink, functions in
//! order of name, names then removed → esbuild
//! minifies wasm-bindgen's JS glue and the inline snippet (a third of their gzip size;
//! names of exports are kept) → an npm-shaped `package.json`. The same steps with the
//! `bench` feature build the bench's copy elsewhere, leaving `pkg/` as shipped.

use std::io::Write;
use std::process::Command;

use anyhow::Result;

use crate::tools::run;
use crate::{root, target_dir};

/// Sizes of the built panel in bytes.
pub struct PanelSize {
    /// The wasm file, raw.
    pub wasm: u64,
    /// wasm + JS, gzip -9.
    pub gzip_total: u64,
}

fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes)?;
    Ok(enc.finish()?.len() as u64)
}

/// Builds `pkg/` and reports its size.
pub fn build() -> Result<PanelSize> {
    build_into(&root().join("pkg"), &[])
}

/// Builds the panel with the `bench` feature (`mount_for_bench`) into `out`.
pub fn build_for_bench(out: &std::path::Path) -> Result<PanelSize> {
    build_into(out, &["bench"])
}

/// Builds the panel with `features` into the package directory `pkg`.
fn build_into(pkg: &std::path::Path, features: &[&str]) -> Result<PanelSize> {
    let root = root();
    run(Command::new("cargo")
        .args([
            "build",
            "--profile",
            "panel",
            "--target",
            "wasm32-unknown-unknown",
            "--lib",
            "-p",
            "mcr-panel",
            "--features",
            &features.join(","),
        ])
        .current_dir(&root))?;
    let wasm_in = target_dir().join("wasm32-unknown-unknown/panel/mcr_panel.wasm");
    if pkg.exists() {
        std::fs::remove_dir_all(pkg)?;
    }
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--out-name", "mcr_panel", "--out-dir"])
        .arg(pkg)
        .arg(&wasm_in))?;
    let wasm = pkg.join("mcr_panel_bg.wasm");
    run(Command::new(root.join("node_modules/.bin/wasm-opt"))
        // Functions ordered by name before the names go: the copies of one generic
        // function sit together, which gzip's window finds (3 KB less).
        // `--low-memory-unused`: rustc's wasm32 layout puts the stack below 1 MiB, growing
        // down, and the data above it, so the panel reaches the lowest KiB only once its
        // stack has overflowed; wasm-opt may then fold address arithmetic (1.3 KB less).
        .args([
            "-Oz",
            "--converge",
            "--low-memory-unused",
            "--reorder-functions-by-name",
            "--strip-debug",
            "--strip-producers",
        ])
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm))?;
    let mut scripts = vec![pkg.join("mcr_panel.js")];
    scripts.extend(walk(&pkg.join("snippets"))?);
    for script in scripts
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
    {
        run(Command::new(root.join("node_modules/.bin/esbuild"))
            .arg(script)
            .args([
                "--minify",
                "--format=esm",
                "--allow-overwrite",
                "--log-level=warning",
            ])
            .arg(format!("--outfile={}", script.display())))?;
    }
    let package = serde_json::json!({
        "name": "mcr-panel",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "My Care Record panel: <mcr-panel> custom element and mount()",
        "license": "Apache-2.0",
        "type": "module",
        "main": "mcr_panel.js",
        "module": "mcr_panel.js",
        "types": "mcr_panel.d.ts",
        "files": ["mcr_panel.js", "mcr_panel.d.ts", "mcr_panel_bg.wasm", "mcr_panel_bg.wasm.d.ts", "snippets"],
        "sideEffects": ["./mcr_panel.js", "./snippets/*"]
    });
    std::fs::write(
        pkg.join("package.json"),
        serde_json::to_string_pretty(&package)?,
    )?;
    let wasm_bytes = std::fs::read(&wasm)?;
    let mut js = std::fs::read(pkg.join("mcr_panel.js"))?;
    for snippet in walk(&pkg.join("snippets"))? {
        js.extend(std::fs::read(snippet)?);
    }
    let size = PanelSize {
        wasm: wasm_bytes.len() as u64,
        gzip_total: gzip_len(&wasm_bytes)? + gzip_len(&js)?,
    };
    println!(
        "xtask: panel built into {}: wasm {} KB raw; wasm + js {} KB gzip",
        pkg.display(),
        size.wasm / 1024,
        size.gzip_total / 1024
    );
    Ok(size)
}

fn walk(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    if dir.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                files.extend(walk(&path)?)
            } else {
                files.push(path)
            }
        }
    }
    Ok(files)
}
