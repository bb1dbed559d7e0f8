//! Response compression: the whole-record JSON (and its FHIR form) is gzip-encoded for a
//! client that asks, and the NDJSON stream never is, so each source's event still leaves
//! as soon as it is ready.
#![allow(missing_docs)]

mod support;

use std::io::Read;

use mcr_model::{Record, RecordEvent};

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .expect("a gzip body");
    out
}

async fn record(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    ctx: &str,
    accept: &str,
) -> reqwest::Response {
    let resp = http
        .get(format!("{base}/api/v1/contexts/{ctx}/record"))
        .header("Accept", accept)
        .header("Accept-Encoding", "gzip")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_record_is_gzipped_when_asked_and_the_ndjson_stream_is_not() {
    let (base, _data, _sim, server) = support::demo_stack(|_| {}).await;
    // The workspace's reqwest has no decompression: what arrives is what was sent.
    let http = reqwest::Client::new();
    let nhs = mcr_sim::population::nhs_for_index(0).as_digits();
    let token = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
    let ctx = support::open_context(&http, &base, &token, &nhs).await;

    let json = record(&http, &base, &token, &ctx, "application/json").await;
    assert_eq!(json.headers()["content-encoding"], "gzip");
    let whole: Record = serde_json::from_str(&gunzip(&json.bytes().await.unwrap())).unwrap();
    assert_eq!(whole.patient.unwrap().nhs_number.as_digits(), nhs);
    assert!(!whole.sections.is_empty(), "the record came through whole");

    let fhir = record_fhir(&http, &base, &token, &ctx).await;
    assert_eq!(fhir["resourceType"], "Bundle");

    let stream = record(&http, &base, &token, &ctx, "application/x-ndjson").await;
    assert!(
        stream.headers().get("content-encoding").is_none(),
        "{:?}",
        stream.headers()
    );
    assert_eq!(stream.headers()["content-type"], "application/x-ndjson");
    let body = stream.text().await.unwrap();
    let events: Vec<RecordEvent> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("a plain NDJSON line"))
        .collect();
    assert!(matches!(events.first(), Some(RecordEvent::Patient { .. })));
    assert_eq!(events.last(), Some(&RecordEvent::Complete));

    // Without Accept-Encoding, nothing is compressed.
    let plain = support::get_record(&http, &base, &token, &ctx, "application/json").await;
    assert!(plain.headers().get("content-encoding").is_none());
    let _: Record = plain.json().await.unwrap();
    server.abort();
}

async fn record_fhir(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    ctx: &str,
) -> serde_json::Value {
    let resp = record(http, base, token, ctx, "application/fhir+json").await;
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    serde_json::from_str(&gunzip(&resp.bytes().await.unwrap())).unwrap()
}
