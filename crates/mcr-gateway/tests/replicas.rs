//! Two gateway processes on one PostgreSQL: 200 concurrent viewers between them, each
//! opening a context on one replica and reading the record on the other. Afterwards the
//! audit chain verifies (with the real `mcr-gateway audit verify`) and every view has
//! its access row and one outcome row per source contacted.
#![allow(missing_docs)]

#[macro_use]
mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use mcr_sim::population::nhs_for_index;
use support::PgTestDb;

struct Gateway {
    child: Child,
    url: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_gateway(db: &PgTestDb, gp_url: &str, trust: Option<&str>) -> Gateway {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcr-gateway"));
    cmd.args([
        "--demo",
        "--bind",
        "127.0.0.1:0",
        "--gp-url",
        gp_url,
        "--database-url",
        &db.gateway_url,
    ])
    .arg("--data-dir")
    .arg(data.path())
    .env("RUST_LOG", "warn")
    .stdout(Stdio::piped());
    if let Some(issuer_base) = trust {
        cmd.args([
            "--issuer",
            &format!("{issuer_base}/demo"),
            "--jwks-url",
            &format!("{issuer_base}/demo/jwks.json"),
        ]);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .last()
        .expect("the gateway prints its URL")
        .to_string();
    Gateway { child, url }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_keep_one_verified_chain_with_every_row() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), 8)
        .await
        .unwrap();
    let a = start_gateway(&db, &sim.gp_base_url(), None);
    // Replica B trusts A's demo issuer, so one token works on both, as one IdP would.
    let b = start_gateway(&db, &sim.gp_base_url(), Some(&a.url));
    let http = reqwest::Client::new();
    let nhs = nhs_for_index(0).as_digits();
    let token = support::demo_token(&http, &a.url, "ae-doctor", &nhs).await;
    // At most 16 views in flight: the test is about two replicas sharing contexts and
    // one chain, not about overload (a loaded CI machine once queued views past the
    // admission wait, which answers 503 `overloaded` by design).
    let in_flight = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    let mut views = Vec::new();
    for i in 0..200 {
        let (open_at, read_at) = if i % 2 == 0 {
            (a.url.clone(), b.url.clone())
        } else {
            (b.url.clone(), a.url.clone())
        };
        let (http, token, nhs) = (http.clone(), token.clone(), nhs.clone());
        let in_flight = in_flight.clone();
        views.push(tokio::spawn(async move {
            let _turn = in_flight.acquire_owned().await.unwrap();
            let ctx = support::open_context(&http, &open_at, &token, &nhs).await;
            let resp = support::get_record(&http, &read_at, &token, &ctx, "application/json").await;
            assert_eq!(
                resp.status(),
                200,
                "a context opened on one replica is honoured by the other"
            );
            ctx
        }));
    }
    let mut contexts = Vec::new();
    for v in views {
        contexts.push(v.await.unwrap());
    }
    // The real operations command, as a separate process, against the owner's URL.
    let out = Command::new(env!("CARGO_BIN_EXE_mcr-gateway"))
        .args(["audit", "verify", "--database-url", &db.owner_url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("audit chain intact: sequences 1..=600"),
        "{stdout}"
    );
    let store = mcr_gateway::store::open(mcr_gateway::store::Location::Postgres(&db.owner_url))
        .await
        .unwrap();
    let rows = store.audit_rows(0, 10_000).await.unwrap();
    for ctx in &contexts {
        let actions: Vec<&str> = rows
            .iter()
            .filter(|r| r.fields.context_id.as_deref() == Some(ctx.as_str()))
            .map(|r| r.fields.action.as_str())
            .collect();
        let mut sorted = actions.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            ["context.open", "record.source", "record.view"],
            "{ctx}"
        );
    }
}
