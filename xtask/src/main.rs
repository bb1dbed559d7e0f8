//! Project automation, run as `cargo xtask <command>`:
//!
//! - `demo`: install what is missing, build the panel, start the simulated GP practice
//!   and the gateway, print the demo page's URL, stop everything on Ctrl-C.
//! - `test`: install what is missing, then fmt, clippy (native and wasm32), the Rust
//!   tests, the panel's browser tests and the end-to-end tests; ends with `N passed, N
//!   failed` and exits non-zero on any failure.
//! - `bench [--seconds N] [--suite all|store|locator|fanout|scale|panel[,…]]`: run the benchmarks
//!   (release build; the panel suite also builds the panel and bundles its React peer),
//!   print the table, write `target/bench/results.json` and `BENCHMARKS.md`.
//! - `build-panel`: build `pkg/` only.
//! - `e2e`: build `pkg/`, then run only the end-to-end tests of `test`.
//! - `bench-sim`: requests/s of the simulator beside a bare HTTP server, and its memory
//!   at 10,000 and 2,000,000 patients (release build; prints a table).
//! - `validate-sim`: only the simulator's third-party FHIR validation steps of `test`.

mod panel;
mod stack;
mod test;
mod tools;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        Some("test") => test::run(),
        Some("e2e") => test::end_to_end_only(),
        Some("bench") => bench(&args[1..]),
        Some("bench-sim") => bench_sim(),
        Some("validate-sim") => test::validate_simulator(),
        Some("build-panel") => {
            tools::ensure_build_tools()?;
            panel::build()?;
            Ok(())
        }
        _ => {
            eprintln!(
                "usage: cargo xtask demo [--port N] | test | bench [--seconds N] [--suite S] | build-panel | e2e | bench-sim | validate-sim"
            );
            std::process::exit(2);
        }
    }
}

/// The repository root (the parent of `xtask/`).
///
/// Read at run time from the `CARGO_MANIFEST_DIR` that `cargo run` sets, not baked in at
/// compile time: clones at different paths may share one `CARGO_TARGET_DIR`, and cargo
/// may then run an `xtask` binary built from another clone.
pub fn root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}

/// Cargo's target directory: `CARGO_TARGET_DIR` if set, else `target/` in the root.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn bench(args: &[String]) -> Result<()> {
    let usage =
        "usage: cargo xtask bench [--seconds N] [--suite all|store|locator|fanout|scale|panel[,…]]";
    let (mut seconds, mut suite) = ("5".to_string(), "all".to_string());
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or_else(|| anyhow::anyhow!(usage))?.clone();
        match flag.as_str() {
            "--seconds" => seconds = value,
            "--suite" => suite = value,
            _ => anyhow::bail!(usage),
        }
    }
    let chosen: Vec<&str> = suite.split(',').map(str::trim).collect();
    let known = ["all", "store", "locator", "fanout", "scale", "panel"];
    if !chosen.iter().all(|s| known.contains(s)) {
        anyhow::bail!(usage);
    }
    let runs = |name: &str| chosen.contains(&"all") || chosen.contains(&name);
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let bench_dir = target_dir().join("bench");
    let results = bench_dir.join("results.json");
    let mut bench = std::process::Command::new("cargo");
    bench
        .args([
            "run",
            "--release",
            "-p",
            "mcr-bench",
            "--",
            "--seconds",
            &seconds,
            "--suite",
            &suite,
            "--json",
        ])
        .arg(&results)
        .arg("--markdown")
        .arg(root().join("BENCHMARKS.md"))
        .arg("--root")
        .arg(root());
    if runs("fanout") || runs("scale") {
        tools::run(
            std::process::Command::new("cargo")
                .args(["build", "--release", "-p", "mcr-gateway"])
                .current_dir(root()),
        )?;
        bench
            .arg("--gateway-bin")
            .arg(target_dir().join("release/mcr-gateway"));
    }
    if runs("panel") {
        // The shipped panel (pkg/) for its size; a build with the `bench` feature for
        // rendering in the bench page.
        tools::ensure_build_tools()?;
        tools::ensure_browser()?;
        panel::build()?;
        let bench_pkg = bench_dir.join("panel-pkg");
        panel::build_for_bench(&bench_pkg)?;
        bench
            .arg("--panel-pkg")
            .arg(root().join("pkg"))
            .arg("--panel-bench-pkg")
            .arg(&bench_pkg)
            .arg("--panel-work")
            .arg(bench_dir.join("panel-web"));
    }
    tools::run(
        bench
            .env("MCR_BENCH_COMMIT", commit)
            .env("RUST_LOG", "warn")
            .current_dir(root()),
    )?;
    Ok(())
}

fn bench_sim() -> Result<()> {
    tools::run(
        std::process::Command::new("cargo")
            .args([
                "build",
                "--release",
                "-p",
                "mcr-sim",
                "--bins",
                "--examples",
            ])
            .current_dir(root()),
    )?;
    tools::run(&mut std::process::Command::new(
        target_dir().join("release/examples/bench"),
    ))
}

fn demo(args: &[String]) -> Result<()> {
    let port: u16 = match args {
        [flag, value] if flag == "--port" => value.parse()?,
        [] => 8080,
        _ => anyhow::bail!("usage: cargo xtask demo [--port N]"),
    };
    tools::ensure_build_tools()?;
    panel::build()?;
    let stack = stack::Stack::start(&root().join("data"), port, &[])?;
    println!();
    println!("My Care Record demo: {}/", stack.gateway_url);
    println!(
        "(simulated GP practice at {}; press Ctrl-C to stop)",
        stack.gp_url
    );
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))?;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    println!("stopping…");
    drop(stack);
    println!("stopped");
    Ok(())
}
