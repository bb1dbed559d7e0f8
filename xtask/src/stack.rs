//! Starts the simulated region (GP practices, providers, demographics service) and the
//! gateway as child processes on loopback, wires them together — the simulator writes
//! the gateway's source registry, the providers publish their record pointers once the
//! gateway is up — and stops both when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
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
    /// The demo patient's practice (GP Connect base URL).
    pub gp_url: String,
    /// The simulator's control endpoint.
    pub control_url: String,
    children: Vec<Child>,
}

/// Spawns `cmd` and reads its stdout lines until one that `done` accepts (or the end),
/// then keeps draining the rest so the child never blocks on a full pipe.
fn spawn_reading(cmd: &mut Command, done: fn(&str) -> bool) -> Result<(Child, Vec<String>)> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut reader = BufReader::new(stdout);
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            let _ = child.kill();
            bail!("{cmd:?} stopped before it was ready (printed {lines:?})");
        }
        let finished = done(line.trim());
        lines.push(line.trim().to_string());
        if finished {
            break;
        }
    }
    std::thread::spawn(move || for _ in reader.lines() {});
    Ok((child, lines))
}

/// The URL in the line starting with `prefix`.
fn url_after(lines: &[String], prefix: &str) -> Option<String> {
    lines
        .iter()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.split_whitespace().last())
        .filter(|u| u.starts_with("http://"))
        .map(str::to_string)
}

/// A minimal HTTP/1.1 POST of a JSON body to a loopback URL (xtask has no HTTP client);
/// returns the status code and the body.
fn post_json(url: &str, body: &str) -> Result<(u16, String)> {
    let rest = url.strip_prefix("http://").context("an http:// URL")?;
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(300)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

impl Stack {
    /// Builds and starts the simulator and the gateway (demo mode, SQLite in `data_dir`),
    /// the gateway on `port` if free, else on a port the OS chooses, allowing host pages
    /// from `host_origins` to embed the panel; then has the providers publish their
    /// pointers.
    pub fn start(data_dir: &Path, port: u16, host_origins: &[String]) -> Result<Self> {
        run(Command::new("cargo")
            .args(["build", "-p", "mcr-sim", "-p", "mcr-gateway"])
            .current_dir(root()))?;
        std::fs::create_dir_all(data_dir)?;
        let registry = data_dir.join("sources.toml");
        let bin = target_dir().join("debug");
        let (sim, lines) = spawn_reading(
            Command::new(bin.join("mcr-sim"))
                .args(["--port", "0"])
                .arg("--registry-out")
                .arg(&registry),
            |l| l == "mcr-sim ready",
        )?;
        let mut stack = Stack {
            gateway_url: String::new(),
            gp_url: url_after(&lines, "mcr-sim gp-connect")
                .context("the simulator printed no practice")?,
            control_url: url_after(&lines, "mcr-sim endpoint control")
                .context("no control endpoint")?,
            children: vec![sim],
        };
        let control_url = stack.control_url.clone();
        let gateway = |port: u16| {
            spawn_reading(
                Command::new(bin.join("mcr-gateway"))
                    .args(["--demo", "--bind", &format!("127.0.0.1:{port}")])
                    .arg("--sources")
                    .arg(&registry)
                    .arg("--data-dir")
                    .arg(data_dir)
                    .arg("--static-root")
                    .arg(root())
                    .args(
                        (!host_origins.is_empty())
                            .then(|| format!("--allowed-origins={}", host_origins.join(","))),
                    )
                    .arg(format!("--demo-control-url={control_url}")),
                |l| l.starts_with("mcr-gateway listening on"),
            )
        };
        let (child, lines) = match gateway(port) {
            Ok(started) => started,
            Err(e) if port != 0 => {
                println!("xtask: port {port} unavailable ({e}); using a free port");
                gateway(0)?
            }
            Err(e) => return Err(e),
        };
        stack.children.push(child);
        stack.gateway_url =
            url_after(&lines, "mcr-gateway listening on").context("the gateway printed no URL")?;
        let (status, body) = post_json(
            &format!("{}/publish", stack.control_url),
            &format!("{{\"locator_url\": \"{}\"}}", stack.gateway_url),
        )?;
        if status != 200 {
            bail!("the providers could not publish their pointers ({status}): {body}");
        }
        println!("xtask: providers published their record pointers: {body}");
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
