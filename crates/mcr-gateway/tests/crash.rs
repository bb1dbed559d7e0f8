//! Crash test: the gateway process is killed with SIGKILL at random points while record
//! streams are in flight, then restarted on the same SQLite file — again and again. After
//! every cycle, everything any client received must be covered by committed audit rows:
//! a `200` by the request's `record.view` row, each `source` event by that request's
//! `record.source` row for the source (matched by the `X-Request-Id`), and the chain must
//! verify. 100 cycles here; `MCR_CRASH_CYCLES=1000 cargo test -p mcr-gateway --test crash`
//! runs a thousand.
#![allow(missing_docs)]

mod support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mcr_gateway::store::{self, Location};
use mcr_model::RecordEvent;
use mcr_sim::faults::{FaultRule, Latency};
use mcr_sim::population::nhs_for_index;

/// What one client saw of one record request before the gateway died (or finished).
#[derive(Debug, Default)]
struct Seen {
    request_id: Option<String>,
    sources: Vec<String>,
}

fn start(data: &std::path::Path, gp_url: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcr-gateway"))
        .args(["--demo", "--bind", "127.0.0.1:0", "--gp-url", gp_url])
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.split_whitespace().last().expect("a URL").to_string();
    (child, url)
}

/// Streams one record, noting the request id and each source event as it arrives,
/// until the stream ends or the connection dies.
async fn view(http: reqwest::Client, base: String, token: String, ctx: String) -> Seen {
    let mut seen = Seen::default();
    let Ok(mut response) = http
        .get(format!("{base}/api/v1/contexts/{ctx}/record"))
        .bearer_auth(&token)
        .header("Accept", "application/x-ndjson")
        .send()
        .await
    else {
        return seen;
    };
    if response.status() != 200 {
        return seen;
    }
    seen.request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut pending = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            if let Ok(RecordEvent::Source { status, .. }) = serde_json::from_slice(&line) {
                seen.sources.push(status.source.id);
            }
        }
    }
    seen
}

/// A small pseudo-random sequence (the test needs spread, not secrecy).
fn next(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_gateway_at_random_never_leaves_data_sent_without_its_audit_rows() {
    let cycles: usize = std::env::var("MCR_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), 8)
        .await
        .unwrap();
    // The practice answers after 0–150 ms, so kills land before, during and after.
    sim.state.faults.replace(vec![FaultRule {
        source: "gp".into(),
        latency: Some(Latency::Normal {
            mean_ms: 60.0,
            sd_ms: 50.0,
        }),
        fault: None,
        rate: 1.0,
    }]);
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let nhs = nhs_for_index(0).as_digits();
    let mut rng = 0x5eed_u64;
    let (mut answered, mut with_sources, mut killed_mid_stream) = (0, 0, 0);
    for cycle in 0..cycles {
        let (mut child, base) = start(data.path(), &sim.gp_base_url());
        // Each start has a fresh demo key: a fresh token and context each cycle.
        let token = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
        let ctx = support::open_context(&http, &base, &token, &nhs).await;
        let views: Vec<_> = (0..4)
            .map(|_| tokio::spawn(view(http.clone(), base.clone(), token.clone(), ctx.clone())))
            .collect();
        tokio::time::sleep(Duration::from_millis(next(&mut rng) % 200)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let mut seen = vec![];
        for v in views {
            seen.push(v.await.unwrap());
        }

        // Everything received is on record.
        let store = store::open(Location::DataDir(data.path())).await.unwrap();
        let rows = store.audit_rows(0, i64::MAX).await.unwrap();
        let recorded: HashSet<(Option<&str>, &str, Option<&str>)> = rows
            .iter()
            .map(|r| {
                (
                    r.fields.request_id.as_deref(),
                    r.fields.action.as_str(),
                    r.fields.detail.as_deref().and_then(|d| d.split(':').next()),
                )
            })
            .collect();
        for s in &seen {
            let Some(id) = s.request_id.as_deref() else {
                continue;
            };
            answered += 1;
            assert!(
                recorded
                    .iter()
                    .any(|(r, a, _)| *r == Some(id) && *a == "record.view"),
                "cycle {cycle}: a 200 was received without its access row"
            );
            for source in &s.sources {
                assert!(
                    recorded.contains(&(Some(id), "record.source", Some(source.as_str()))),
                    "cycle {cycle}: {source}'s data was received without its outcome row"
                );
            }
            if s.sources.is_empty() {
                killed_mid_stream += 1;
            } else {
                with_sources += 1;
            }
        }
        mcr_gateway::audit::verify::verify(store.as_ref())
            .await
            .unwrap_or_else(|e| panic!("cycle {cycle}: the chain does not verify: {e}"));
    }
    // The kills really did land at different points.
    assert!(
        answered > 0 && with_sources > 0,
        "{answered} {with_sources}"
    );
    assert!(killed_mid_stream > 0, "no kill landed mid-stream");
    eprintln!(
        "{cycles} kills: {answered} streams answered, {with_sources} received a source, {killed_mid_stream} cut before one"
    );
}
