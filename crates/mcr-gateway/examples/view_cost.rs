//! The gateway's cost per record view, repeatably: runs the simulator in-process and a
//! release gateway binary as a child (SQLite store, demo issuer), opens contexts for
//! patients with a practice and two providers, warms up, then runs N whole-record views
//! and prints the gateway's CPU time per view (`/proc`) and its peak RSS.
//!
//! `cargo run --release -p mcr-gateway --example view_cost -- GATEWAY_BIN [VIEWS]`.
//! With `GWCPU_CALLGRIND=FILE` the gateway runs under `valgrind --tool=callgrind`, its
//! counters zeroed after the warm-up and dumped after the views (instruction counts are
//! repeatable on a busy machine, unlike wall time). `GWCPU_CONC` views at once (4),
//! `GWCPU_VIEWERS` patients (8), `GWCPU_ANY=1` any patient, `GWCPU_DUMP=FILE` writes the
//! first answer for each patient, one per line (to compare two builds' output).
#![allow(missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

fn cpu_ticks(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let gateway = &args[1];
    let views: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(40);
    let callgrind = std::env::var("GWCPU_CALLGRIND").ok();
    let sim = mcr_sim::start(mcr_sim::SimConfig {
        patients: 2_000,
        ..Default::default()
    })
    .await?;
    let data = tempfile::tempdir()?;
    let registry = data.path().join("sources.toml");
    std::fs::write(
        &registry,
        mcr_sim::gateway_registry::registry_toml(&sim, 8_000),
    )?;
    let mut cmd = match &callgrind {
        Some(out) => {
            let mut c = Command::new("valgrind");
            c.args([
                "--tool=callgrind",
                &format!("--callgrind-out-file={out}"),
                gateway,
            ]);
            c
        }
        None => Command::new(gateway),
    };
    let mut child = cmd
        .args(["--demo", "--bind", "127.0.0.1:0"])
        .arg("--sources")
        .arg(&registry)
        .arg("--data-dir")
        .arg(data.path().join("db"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let base = line
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    eprintln!("gateway at {base}");
    let published = mcr_sim::publisher::publish_all(&sim.state, &base).await;
    anyhow::ensure!(published.failures.is_empty());
    let http = reqwest::Client::new();
    let population = &sim.state.population;
    let mut viewers = Vec::new();
    for p in (0..population.len()).filter_map(|i| population.patient(i)) {
        if viewers.len()
            == std::env::var("GWCPU_VIEWERS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(8)
        {
            break;
        }
        if std::env::var("GWCPU_ANY").is_err()
            && (p.providers.len() != 2 || p.dissented || p.deceased.is_some() || p.huge_record)
        {
            continue;
        }
        let nhs = p.nhs_number.as_digits();
        let t: Value = http
            .post(format!("{base}/demo/token"))
            .json(&json!({"user": "ae-doctor", "nhs_number": nhs}))
            .send()
            .await?
            .json()
            .await?;
        let token = t["access_token"].as_str().unwrap().to_string();
        let c: Value = http
            .post(format!("{base}/api/v1/contexts"))
            .bearer_auth(&token)
            .json(&json!({"nhs_number": nhs}))
            .send()
            .await?
            .json()
            .await?;
        let ctx = c["context_id"].as_str().unwrap().to_string();
        viewers.push((token, format!("{base}/api/v1/contexts/{ctx}/record")));
    }
    let view = |i: usize| {
        let (token, url) = viewers[i % viewers.len()].clone();
        let http = http.clone();
        async move {
            let r = http
                .get(&url)
                .header("Accept", "application/json")
                .bearer_auth(&token)
                .send()
                .await?;
            anyhow::ensure!(r.status() == 200, "{}", r.status());
            let b = r.bytes().await?;
            anyhow::Ok(b)
        }
    };
    let mut dump = Vec::new();
    for i in 0..viewers.len() * 2 {
        let b = view(i).await?;
        if i < viewers.len() {
            dump.extend_from_slice(&b);
            dump.push(b'\n');
        }
    }
    if let Ok(path) = std::env::var("GWCPU_DUMP") {
        std::fs::write(path, dump)?;
    }
    if callgrind.is_some() {
        Command::new("callgrind_control")
            .args(["-z", &pid.to_string()])
            .status()?;
    }
    let before = cpu_ticks(pid);
    let started = Instant::now();
    let mut bytes = 0;
    let conc: usize = std::env::var("GWCPU_CONC")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    for chunk in (0..views).collect::<Vec<_>>().chunks(conc) {
        let got = futures_util::future::try_join_all(chunk.iter().map(|&i| view(i))).await?;
        bytes += got.iter().map(|b| b.len()).sum::<usize>();
    }
    let cpu = cpu_ticks(pid) - before;
    if callgrind.is_some() {
        Command::new("callgrind_control")
            .args(["-d", &pid.to_string()])
            .status()?;
    }
    println!(
        "views {views} bytes/view {} wall {:.2}s cpu ms/view {:.3}",
        bytes / views,
        started.elapsed().as_secs_f64(),
        cpu * 10.0 / views as f64
    );
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    for l in status
        .lines()
        .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
    {
        println!("{l}");
    }
    child.kill()?;
    child.wait()?;
    Ok(())
}
