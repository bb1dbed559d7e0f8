//! Requests per second of the simulator on loopback, beside a bare HTTP server that
//! returns a fixed body of the same size, measured in the same run; and the simulator's
//! resident memory at 10,000 and 2,000,000 patients. Not a timed test: run it with
//! `cargo xtask bench-sim` (release build) and read the table it prints.
//!
//! The servers run as child processes (the real `mcr-sim` binary; this example
//! re-executed as the bare server) so their memory can be read from `/proc`, and the
//! load is generated here with a pool of keep-alive connections.
#![allow(missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

const CONCURRENCY: usize = 32;
const SECONDS: u64 = 5;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("bare-server") {
        return bare_server(args.get(2).and_then(|n| n.parse().ok()).unwrap_or(4096));
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

/// The baseline: axum answering every request with the same bytes.
fn bare_server(size: usize) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let body: &'static [u8] = Vec::leak(vec![b' '; size]);
            let app = axum::Router::new().fallback(move || async move { body });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            println!("bare http://{}", listener.local_addr()?);
            axum::serve(listener, app).await?;
            Ok(())
        })
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(cmd: &mut Command) -> anyhow::Result<Server> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let mut reader = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    reader.read_line(&mut line)?;
    std::thread::spawn(move || for _ in reader.lines() {});
    let url = line
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    Ok(Server { child, url })
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn jwt() -> String {
    let enc = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.",
        enc(json!({"alg": "none"})),
        enc(json!({
        "reason_for_request": "directcare", "requested_scope": "patient/*.read",
        "requesting_organization": {}, "requesting_practitioner": {}}))
    )
}

/// Runs `make` requests from `CONCURRENCY` workers for `SECONDS`; returns requests/s.
async fn load<F>(client: &reqwest::Client, make: F) -> anyhow::Result<f64>
where
    F: Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..CONCURRENCY as u64 {
        let (client, make, done, failed) =
            (client.clone(), make.clone(), done.clone(), failed.clone());
        workers.push(tokio::spawn(async move {
            let mut n = w;
            while Instant::now() < deadline {
                n = n
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match make(&client, n).send().await {
                    // A refusal (dissent, deceased) is an answer too; only transport
                    // errors and 5xx count as failures.
                    Ok(r) if !r.status().is_server_error() => {
                        let _ = r.bytes().await;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let failed = failed.load(Ordering::Relaxed);
    anyhow::ensure!(failed == 0, "{failed} requests failed");
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

fn structured(
    url: &str,
    patients: u64,
    token: &str,
    client: &reqwest::Client,
    n: u64,
) -> reqwest::RequestBuilder {
    // Patients of the first practice only: a practice answers for its own list.
    let index = (n >> 33) % patients;
    let nhs = mcr_sim::population::nhs_for_index(index as usize).as_digits();
    let body = json!({"resourceType": "Parameters", "parameter": [
        {"name": "patientNHSNumber", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}},
        {"name": "includeMedication", "part": [{"name": "includePrescriptionIssues", "valueBoolean": false}]},
        {"name": "includeProblems"},
        {"name": "includeAllergies", "part": [{"name": "includeResolvedAllergies", "valueBoolean": false}]}]});
    client
        .post(format!("{url}/Patient/$gpc.getstructuredrecord"))
        .header("Ssp-TraceID", "bench")
        .header("Ssp-From", "bench")
        .header("Ssp-To", "bench")
        .header("Ssp-InteractionID", mcr_sim::gpconnect::INTERACTION_ID)
        .bearer_auth(token)
        .body(body.to_string())
}

async fn bench() -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let sim_bin = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("mcr-sim"))
        .expect("target dir");
    anyhow::ensure!(
        sim_bin.exists(),
        "build the mcr-sim binary first ({})",
        sim_bin.display()
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()?;
    let token = jwt();
    let mut rows = Vec::new();
    let mut memory = Vec::new();
    for patients in [10_000u64, 2_000_000] {
        let sim = start(Command::new(&sim_bin).args([
            "--port",
            "0",
            "--patients",
            &patients.to_string(),
        ]))?;
        let rss_start = rss_kib(sim.child.id());
        let list = sim.url.clone();
        // A typical answer's size, for the bare server to return.
        let sample = structured(&list, 1, &token, &client, 0)
            .send()
            .await?
            .bytes()
            .await?
            .len();
        let first_list = mcr_sim::population::Population::with_seed(patients as usize, 1, 80)
            .practices()
            .all()[0]
            .end_index as u64;
        let (url, tok) = (list.clone(), token.clone());
        let gp = load(&client, move |c, n| {
            structured(&url, first_list, &tok, c, n)
        })
        .await?;
        // R4: resolve the demo patient's id at their local trust, then search by it.
        let p = mcr_sim::population::Population::with_seed(patients as usize, 1, 80)
            .patient(0)
            .expect("demo");
        let ods = mcr_sim::organisations::PROVIDERS[p.providers[0]].ods;
        let base = sim
            .url
            .split("/Y90001/")
            .next()
            .unwrap_or_default()
            .to_string();
        let found: Value = client
            .post(format!("{base}/r4/{ods}/Patient/_search"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("identifier={}", p.nhs_number.as_digits()))
            .send()
            .await?
            .json()
            .await?;
        let id = found["entry"][0]["resource"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let search_url = format!("{base}/r4/{ods}/Observation?patient={id}&_count=50");
        let search_size = client.get(&search_url).send().await?.bytes().await?.len();
        let demo_r4 = load(&client, move |c, _| c.get(&search_url)).await?;
        // Spread over up to 500 patients this trust has seen (their ids are computable).
        let population = mcr_sim::population::Population::with_seed(patients as usize, 1, 80);
        let provider = p.providers[0];
        let ids: Vec<String> = (0..patients as usize)
            .filter_map(|i| population.patient(i))
            .filter(|q| q.providers.contains(&provider))
            .take(500)
            .map(|q| mcr_sim::ids::patient_id(1, provider, q.index))
            .collect();
        let ids = Arc::new(ids);
        let (spread_base, spread_ids) = (format!("{base}/r4/{ods}/Observation"), ids.clone());
        let r4 = load(&client, move |c, n| {
            let id = &spread_ids[((n >> 33) % spread_ids.len() as u64) as usize];
            c.get(format!("{spread_base}?patient={id}&_count=50"))
        })
        .await?;
        // Touch patients across the whole range, then read memory again.
        let pds = format!("{base}/pds/FHIR/R4/Patient");
        let spread = load(&client, move |c, n| {
            let nhs =
                mcr_sim::population::nhs_for_index(((n >> 33) % patients) as usize).as_digits();
            c.get(format!("{pds}/{nhs}"))
        })
        .await?;
        let pds_size = client
            .get(format!(
                "{base}/pds/FHIR/R4/Patient/{}",
                p.nhs_number.as_digits()
            ))
            .send()
            .await?
            .bytes()
            .await?
            .len();
        memory.push((patients, rss_start, rss_kib(sim.child.id())));
        rows.push((
            format!("GP Connect structured record ({patients} patients)"),
            gp,
            sample,
        ));
        rows.push((
            format!("FHIR R4 Observation search, demo patient ({patients} patients)"),
            demo_r4,
            search_size,
        ));
        rows.push((
            format!("FHIR R4 Observation search, 500 patients ({patients} patients)"),
            r4,
            0,
        ));
        rows.push((
            format!("PDS read across the range ({patients} patients)"),
            spread,
            pds_size,
        ));
        if patients == 10_000 {
            let bare = start(Command::new(&exe).args(["bare-server", &sample.to_string()]))?;
            let url = bare.url.clone();
            let fixed = load(&client, move |c, _| c.get(&url)).await?;
            rows.push((
                format!("bare axum server, fixed {sample}-byte body"),
                fixed,
                sample,
            ));
        }
    }
    println!(
        "\nmcr-sim benchmark: {CONCURRENCY} concurrent keep-alive clients, {SECONDS} s per row, load generator in this process"
    );
    println!(
        "{:<66} {:>10} {:>12}",
        "endpoint", "requests/s", "body bytes"
    );
    for (name, rps, size) in &rows {
        let size = if *size == 0 {
            "varies".to_string()
        } else {
            size.to_string()
        };
        println!("{name:<66} {rps:>10.0} {size:>12}");
    }
    println!(
        "\n{:<12} {:>16} {:>16}",
        "patients", "RSS at start KiB", "RSS after KiB"
    );
    for (patients, before, after) in memory {
        println!("{patients:<12} {before:>16} {after:>16}");
    }
    Ok(())
}
