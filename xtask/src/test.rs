//! `cargo xtask test`: every check CI runs, in order, each counted.
//!
//! Test counts come from the runners' own summaries (`test result: … N passed; M
//! failed` from cargo and wasm-bindgen-test, `# pass N` / `# fail N` from `node
//! --test` and the simulator's FHIR validators); a check without tests of its own (fmt, clippy, the panel build) counts as
//! one. The last line is `N passed, N failed`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Result;

use crate::stack::Stack;
use crate::{panel, root, target_dir, tools};

#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    failures: Vec<String>,
}

/// What a step's output said about its tests.
#[derive(Default)]
struct Counts {
    passed: u64,
    failed: u64,
    seen: bool,
}

fn number_before(text: &str, word: &str) -> Option<u64> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .collect();
    words
        .windows(2)
        .find(|w| w[1] == word)
        .and_then(|w| w[0].parse().ok())
}

fn scan(line: &str, counts: &mut Counts) {
    if let Some(rest) = line.trim_start().strip_prefix("test result: ") {
        counts.passed += number_before(rest, "passed").unwrap_or(0);
        counts.failed += number_before(rest, "failed").unwrap_or(0);
        counts.seen = true;
    } else if let Some(n) = line
        .strip_prefix("# pass ")
        .and_then(|n| n.trim().parse::<u64>().ok())
    {
        counts.passed += n;
        counts.seen = true;
    } else if let Some(n) = line
        .strip_prefix("# fail ")
        .and_then(|n| n.trim().parse::<u64>().ok())
    {
        counts.failed += n;
        counts.seen = true;
    }
}

impl Tally {
    /// Prints the tally (and the failed steps); exits non-zero when any step failed.
    fn finish(self) -> Result<()> {
        if !self.failures.is_empty() {
            println!("failed steps: {}", self.failures.join(", "));
        }
        println!("{} passed, {} failed", self.passed, self.failed);
        if self.failed > 0 {
            std::process::exit(1);
        }
        Ok(())
    }

    /// Runs one step, echoing its output and adding its counts.
    fn step(&mut self, name: &str, cmd: &mut Command) {
        println!("\n=== xtask test: {name}");
        let started = Instant::now();
        let mut counts = Counts::default();
        let status = match cmd.stdout(Stdio::piped()).spawn() {
            Ok(mut child) => {
                if let Some(out) = child.stdout.take() {
                    for line in BufReader::new(out).lines().map_while(Result::ok) {
                        println!("{line}");
                        scan(&line, &mut counts);
                    }
                }
                child.wait().map(|s| s.success()).unwrap_or(false)
            }
            Err(e) => {
                println!("cannot start {cmd:?}: {e}");
                false
            }
        };
        self.add(name, status, counts);
        println!(
            "=== {name}: {} in {:.0?}",
            if status { "ok" } else { "FAILED" },
            started.elapsed()
        );
    }

    fn add(&mut self, name: &str, ok: bool, counts: Counts) {
        if counts.seen {
            self.passed += counts.passed;
            self.failed += counts.failed;
            // A runner that failed without reporting a failed test (a build error, a
            // crash) still counts as one failure.
            if !ok && counts.failed == 0 {
                self.failed += 1;
            }
        } else if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
        if !ok {
            self.failures.push(name.to_string());
        }
    }

    fn check(&mut self, name: &str, result: Result<()>) {
        if let Err(e) = &result {
            println!("{name}: {e:#}");
        }
        self.add(name, result.is_ok(), Counts::default());
    }
}

fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.args(args).current_dir(root());
    cmd
}

/// Runs every check; exits non-zero when any fails.
pub fn run() -> Result<()> {
    let started = Instant::now();
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    let mut tally = Tally::default();
    tally.step("rustfmt", &mut cargo(&["fmt", "--all", "--", "--check"]));
    tally.step(
        "clippy (native)",
        &mut cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    );
    tally.step(
        "clippy (wasm32: mcr-panel, mcr-model)",
        &mut cargo(&[
            "clippy",
            "-p",
            "mcr-panel",
            "-p",
            "mcr-model",
            "--all-targets",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]),
    );
    // The bench build's entry point, so a change to the panel cannot break the bench
    // unnoticed.
    tally.step(
        "clippy (wasm32: mcr-panel with the bench feature)",
        &mut cargo(&[
            "clippy",
            "-p",
            "mcr-panel",
            "--features",
            "bench",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]),
    );
    tally.step(
        "rust tests (native)",
        &mut cargo(&["test", "--workspace", "--no-fail-fast"]),
    );
    simulator_validation(&mut tally);
    let built = panel::build().map(|size| {
        println!(
            "panel size: wasm {} bytes raw, wasm+js {} bytes gzip",
            size.wasm, size.gzip_total
        );
    });
    let panel_ok = built.is_ok();
    tally.check("panel build (pkg/)", built);
    let mut wasm_tests = cargo(&[
        "test",
        "--profile",
        "panel",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "mcr-panel",
        "--test",
        "web",
    ]);
    wasm_tests
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "60");
    tally.step(
        "panel browser tests (wasm-bindgen-test, Chromium)",
        &mut wasm_tests,
    );
    if panel_ok {
        end_to_end(&mut tally);
    } else {
        tally.check(
            "end-to-end tests",
            Err(anyhow::anyhow!("skipped: the panel did not build")),
        );
    }
    println!("\nxtask test finished in {:.0?}", started.elapsed());
    tally.finish()
}

/// `cargo xtask e2e`: builds `pkg/`, then runs only the end-to-end tests of `test`.
pub fn end_to_end_only() -> Result<()> {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    let mut tally = Tally::default();
    let built = panel::build().map(|_| ());
    let panel_ok = built.is_ok();
    tally.check("panel build (pkg/)", built);
    if panel_ok {
        end_to_end(&mut tally);
    }
    tally.finish()
}

/// Validates one example of every response the simulator emits with third-party FHIR
/// validators: PyPI fhir.resources (STU3) and npm @medplum/core plus the official R4
/// JSON schema (R4). The named GP Connect defects must fail STU3 validation.
/// `cargo xtask validate-sim`: only the simulator validation steps.
pub fn validate_simulator() -> Result<()> {
    tools::ensure_build_tools()?;
    let mut tally = Tally::default();
    simulator_validation(&mut tally);
    tally.finish()
}

fn simulator_validation(tally: &mut Tally) {
    let samples = target_dir().join("sim-samples");
    let _ = std::fs::remove_dir_all(&samples);
    let mut write = cargo(&["run", "-q", "-p", "mcr-sim", "--", "samples", "--out"]);
    write.arg(&samples);
    tally.step("simulator samples", &mut write);
    match tools::ensure_stu3_validator() {
        Ok(python) => {
            let mut stu3 = Command::new(python);
            stu3.arg("crates/mcr-sim/validate/stu3.py")
                .arg(&samples)
                .current_dir(root());
            tally.step("simulator STU3 validation (fhir.resources)", &mut stu3);
        }
        Err(e) => tally.check("simulator STU3 validation (fhir.resources)", Err(e)),
    }
    let mut r4 = Command::new("node");
    r4.arg("crates/mcr-sim/validate/r4.mjs")
        .arg(&samples)
        .current_dir(root());
    tally.step(
        "simulator R4 validation (@medplum/core, R4 JSON schema)",
        &mut r4,
    );
}

fn end_to_end(tally: &mut Tally) {
    let data_dir = target_dir().join(format!("e2e-data-{}", std::process::id()));
    let screenshots = target_dir().join("e2e");
    // A second loopback origin for the cross-origin embedding test's host page: a port
    // chosen now, allowed by the gateway, served by the test itself.
    let host_port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => return tally.check("end-to-end tests", Err(e.into())),
    };
    let host_origin = format!("http://127.0.0.1:{host_port}");
    let stack = match Stack::start(&data_dir, 0, std::slice::from_ref(&host_origin)) {
        Ok(stack) => stack,
        Err(e) => return tally.check("end-to-end tests", Err(e)),
    };
    let mut node = Command::new("node");
    // One file at a time: the files share one gateway and one demo patient, and the
    // identity tests change that patient's dissent while they run.
    node.args([
        "--test",
        "--test-concurrency=1",
        "--test-reporter=tap",
        "tests/e2e/",
    ])
    .current_dir(root())
    .env("MCR_BASE_URL", &stack.gateway_url)
    .env("MCR_HOST_PORT", host_port.to_string())
    .env("MCR_SCREENSHOT_DIR", &screenshots);
    tally.step("end-to-end tests (Playwright, Chromium)", &mut node);
    drop(stack);
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_and_node_summaries_are_counted() {
        let mut c = Counts::default();
        scan(
            "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured",
            &mut c,
        );
        scan("test result: FAILED. 3 passed; 2 failed; 0 ignored", &mut c);
        scan("# pass 4", &mut c);
        scan("# fail 1", &mut c);
        scan("an unrelated line", &mut c);
        assert!(c.seen);
        assert_eq!((c.passed, c.failed), (19, 3));
    }

    #[test]
    fn a_step_that_fails_without_a_failed_test_counts_as_a_failure() {
        let mut t = Tally::default();
        t.add(
            "build",
            false,
            Counts {
                passed: 5,
                failed: 0,
                seen: true,
            },
        );
        t.add("fmt", true, Counts::default());
        assert_eq!((t.passed, t.failed), (6, 1));
        assert_eq!(t.failures, ["build"]);
    }
}
