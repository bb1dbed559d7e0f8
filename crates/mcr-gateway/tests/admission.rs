//! Admission control against a spawned gateway: beyond `--max-concurrent-views` and
//! `--view-queue`, a record view is answered `503` with `Retry-After` in the one error
//! shape, and nothing of it is half-done — no audit row carries its request id; a
//! queued view is served once a slot is free.
#![allow(missing_docs)]

mod support;

use std::time::Duration;

use mcr_gateway::store::{self, Location};
use mcr_model::{ApiError, RecordEvent};
use mcr_sim::faults::{FaultRule, Latency};

/// The simulated practice answers after `ms`, so a view holds its slot that long.
fn slow_sources(sim: &mcr_sim::RunningSim, ms: f64) {
    sim.state.faults.replace(vec![FaultRule {
        source: "*".into(),
        latency: Some(Latency::Normal {
            mean_ms: ms,
            sd_ms: 0.0,
        }),
        fault: None,
        rate: 1.0,
    }]);
}

fn request_id(resp: &reqwest::Response) -> String {
    resp.headers()["x-request-id"].to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_over_the_limit_is_a_503_with_retry_after_and_leaves_no_audit_row() {
    let (base, data, sim, server) = support::demo_stack(|c| {
        c.max_concurrent_views = 1;
        c.view_queue = 0;
    })
    .await;
    let http = reqwest::Client::new();
    let nhs = mcr_sim::population::nhs_for_index(0).as_digits();
    let token = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
    let ctx = support::open_context(&http, &base, &token, &nhs).await;
    slow_sources(&sim, 1_500.0);

    // The first view takes the only slot and holds it while the practice is slow.
    let first = support::get_record(&http, &base, &token, &ctx, "application/x-ndjson").await;
    assert_eq!(first.status(), 200);
    let first_id = request_id(&first);

    let refused = support::get_record(&http, &base, &token, &ctx, "application/json").await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let refused_id = request_id(&refused);
    let body: ApiError = refused.json().await.unwrap();
    assert_eq!(body.code, "overloaded");
    assert!(body.message.contains("try again"), "{}", body.message);

    // The first view completes normally, and then the slot is free again.
    let events: Vec<RecordEvent> = first
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.last(), Some(&RecordEvent::Complete));
    slow_sources(&sim, 0.0);
    let mut again = None;
    for _ in 0..50 {
        let resp = support::get_record(&http, &base, &token, &ctx, "application/json").await;
        if resp.status() == 200 {
            again = Some(resp);
            break;
        }
        // The slot is given back when the first view's task ends, just after its
        // last event.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let again = again.expect("the slot is free once the first view is done");
    let again_id = request_id(&again);
    let _: mcr_model::Record = again.json().await.unwrap();
    server.abort();

    // Nothing of the refused view reached the audit log; the others are whole.
    let store = store::open(Location::DataDir(data.path())).await.unwrap();
    let rows = store.audit_rows(0, 10_000).await.unwrap();
    let actions_of = |id: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r.fields.request_id.as_deref() == Some(id))
            .map(|r| r.fields.action.clone())
            .collect()
    };
    assert_eq!(actions_of(&refused_id), Vec::<String>::new());
    for id in [&first_id, &again_id] {
        assert_eq!(actions_of(id), ["record.view", "record.source"], "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_view_is_served_when_a_slot_frees_and_one_past_the_queue_is_refused() {
    let (base, _data, sim, server) = support::demo_stack(|c| {
        c.max_concurrent_views = 1;
        c.view_queue = 1;
        c.view_queue_wait_ms = 10_000;
    })
    .await;
    let http = reqwest::Client::new();
    let nhs = mcr_sim::population::nhs_for_index(0).as_digits();
    let token = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
    let ctx = support::open_context(&http, &base, &token, &nhs).await;
    slow_sources(&sim, 800.0);

    let running = support::get_record(&http, &base, &token, &ctx, "application/x-ndjson").await;
    assert_eq!(running.status(), 200);
    let queued = tokio::spawn({
        let (http, base, token, ctx) = (http.clone(), base.clone(), token.clone(), ctx.clone());
        async move {
            let resp = support::get_record(&http, &base, &token, &ctx, "application/json").await;
            let status = resp.status();
            let record: Option<mcr_model::Record> = resp.json().await.ok();
            (status, record)
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    // One running, one queued: a third is refused at once.
    let refused = support::get_record(&http, &base, &token, &ctx, "application/json").await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));

    let _ = running.text().await.unwrap();
    let (status, record) = queued.await.unwrap();
    assert_eq!(status, 200, "the queued view waited for the slot");
    assert!(!record.expect("a whole record").sources.is_empty());
    server.abort();
}
