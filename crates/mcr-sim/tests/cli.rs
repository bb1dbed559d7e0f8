//! The `mcr-sim` binary: its first stdout line names the demo practice's GP Connect URL
//! (what `cargo xtask` reads), it lists every endpoint and example, serves, and stops on
//! SIGINT.
#![allow(missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

#[test]
fn the_binary_reports_its_endpoints_serves_and_stops_on_interrupt() {
    let dir = tempfile_dir();
    let config = dir.join("sim.toml");
    std::fs::File::create(&config)
        .unwrap()
        .write_all(b"patients = 20000\nseed = 3\n")
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcr-sim"))
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("mcr-sim gp-connect http://127.0.0.1:"),
        "{first}"
    );
    assert!(first.ends_with("/Y90001/STU3/1/gpconnect/structured/fhir"));
    let rest: Vec<String> = lines
        .by_ref()
        .map_while(Result::ok)
        .take_while(|l| l != "mcr-sim ready")
        .collect();
    assert!(
        rest.iter()
            .any(|l| l.starts_with("mcr-sim endpoint fhir-r4 RR8 http://"))
    );
    assert!(
        rest.iter()
            .any(|l| l.starts_with("mcr-sim endpoint pds pds http://"))
    );
    assert!(
        rest.iter()
            .any(|l| l.starts_with("mcr-sim example deceased 99"))
    );
    let pds = rest
        .iter()
        .find(|l| l.contains(" pds pds "))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    let status = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{pds}/Patient/9990000018"),
        ])
        .output();
    if let Ok(out) = status {
        assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mcr-sim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
