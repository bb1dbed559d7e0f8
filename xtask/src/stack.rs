//! Starts the simulated GP practice and the gateway as child processes on loopback,
//! reads their URLs from their first line of output, and stops them when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::tools::run;
use crate::{root, target_dir};

/// The running demo stack.
pub struct Stack {
    /// The gateway's base URL (it also serves the demo page).
    pub gateway_url: String,
    /// The simulated practice's GP Connect base URL.
    pub gp_url: String,
    children: Vec<Child>,
}

/// Spawns `cmd` and returns it with the last word of its first stdout line (its URL).
fn spawn_reporting_url(cmd: &mut Command) -> Result<(Child, String)> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    match line.split_whitespace().last() {
        Some(url) if url.starts_with("http://") => Ok((child, url.to_string())),
        _ => {
            let _ = child.kill();
            bail!("{cmd:?} did not report its URL (printed {line:?})")
        }
    }
}

impl Stack {
    /// Builds and starts the simulator and the gateway (demo mode, SQLite in `data_dir`),
    /// the gateway on `port` if free, else on a port the OS chooses.
    pub fn start(data_dir: &Path, port: u16) -> Result<Self> {
        run(Command::new("cargo")
            .args(["build", "-p", "mcr-sim", "-p", "mcr-gateway"])
            .current_dir(root()))?;
        let bin = target_dir().join("debug");
        let (sim, gp_url) =
            spawn_reporting_url(Command::new(bin.join("mcr-sim")).args(["--port", "0"]))?;
        let mut stack = Stack {
            gateway_url: String::new(),
            gp_url,
            children: vec![sim],
        };
        let gateway = |port: u16| {
            spawn_reporting_url(
                Command::new(bin.join("mcr-gateway"))
                    .args([
                        "--demo",
                        "--bind",
                        &format!("127.0.0.1:{port}"),
                        "--gp-url",
                        &stack.gp_url,
                    ])
                    .arg("--data-dir")
                    .arg(data_dir)
                    .arg("--static-root")
                    .arg(root()),
            )
        };
        let (child, url) = match gateway(port) {
            Ok(started) => started,
            Err(e) if port != 0 => {
                println!("xtask: port {port} unavailable ({e}); using a free port");
                gateway(0)?
            }
            Err(e) => return Err(e),
        };
        stack.children.push(child);
        stack.gateway_url = url;
        Ok(stack)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SIGINT first so the gateway finishes in-flight requests; then make sure.
        for child in self.children.iter_mut().rev() {
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            for _ in 0..50 {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
