//! Latency and faults over real loopback HTTP, switched on through the control endpoint
//! and from configuration, and off by default.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use base64::Engine;
use mcr_sim::faults::{Fault, FaultRule, Latency};
use mcr_sim::gpconnect::INTERACTION_ID;
use mcr_sim::population::nhs_for_index;
use mcr_sim::{RunningSim, SimConfig};
use serde_json::{Value, json};

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

fn request(sim: &RunningSim) -> reqwest::RequestBuilder {
    let body = json!({"resourceType": "Parameters", "parameter": [
        {"name": "patientNHSNumber", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs_for_index(0).as_digits()}},
        {"name": "includeProblems"}, {"name": "includeMedication"}]});
    reqwest::Client::new()
        .post(format!(
            "{}/Patient/$gpc.getstructuredrecord",
            sim.gp_base_url()
        ))
        .header("Ssp-TraceID", "t")
        .header("Ssp-From", "f")
        .header("Ssp-To", "t")
        .header("Ssp-InteractionID", INTERACTION_ID)
        .bearer_auth(jwt())
        .body(body.to_string())
}

async fn set(sim: &RunningSim, rules: Vec<FaultRule>) {
    let resp = reqwest::Client::new()
        .put(format!("{}/faults", sim.control_url()))
        .json(&rules)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
}

fn rule(fault: Fault) -> FaultRule {
    FaultRule {
        source: "gp".into(),
        latency: None,
        fault: Some(fault),
        rate: 1.0,
    }
}

async fn start() -> RunningSim {
    mcr_sim::start(SimConfig {
        patients: 1000,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn no_fault_is_on_by_default() {
    let sim = start().await;
    let resp = request(&sim).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let rules: Vec<FaultRule> = reqwest::get(format!("{}/faults", sim.control_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(rules.is_empty());
}

#[tokio::test]
async fn status_and_too_many_requests_faults_answer_with_their_status() {
    let sim = start().await;
    set(&sim, vec![rule(Fault::Status { status: 503 })]).await;
    assert_eq!(request(&sim).send().await.unwrap().status(), 503);
    set(
        &sim,
        vec![rule(Fault::TooManyRequests { retry_after_s: 7 })],
    )
    .await;
    let resp = request(&sim).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    reqwest::Client::new()
        .delete(format!("{}/faults", sim.control_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(request(&sim).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn payload_faults_break_the_body_as_they_name() {
    let sim = start().await;
    set(&sim, vec![rule(Fault::MalformedJson)]).await;
    let text = request(&sim).send().await.unwrap().text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());
    set(&sim, vec![rule(Fault::WrongPatient)]).await;
    let bundle: Value = request(&sim).send().await.unwrap().json().await.unwrap();
    let patient = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource"]["resourceType"] == "Patient")
        .unwrap();
    assert_ne!(
        patient["resource"]["identifier"][0]["value"],
        nhs_for_index(0).as_digits().as_str()
    );
    set(&sim, vec![rule(Fault::ListsWithoutStatus)]).await;
    let bundle: Value = request(&sim).send().await.unwrap().json().await.unwrap();
    assert!(
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["resource"]["resourceType"] == "List")
            .all(|e| e["resource"].get("status").is_none())
    );
}

#[tokio::test]
async fn a_truncated_body_fails_to_read_and_a_hang_times_out() {
    let sim = start().await;
    set(&sim, vec![rule(Fault::Truncated)]).await;
    // Either the head arrives and the body breaks, or the connection drops first.
    match request(&sim).send().await {
        Ok(resp) => assert!(resp.bytes().await.is_err()),
        Err(e) => assert!(!e.is_timeout()),
    }
    set(&sim, vec![rule(Fault::Hang)]).await;
    let err = request(&sim)
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
}

#[tokio::test]
async fn a_slow_drip_delivers_the_whole_body_slowly() {
    let sim = start().await;
    let normal = request(&sim).send().await.unwrap().bytes().await.unwrap();
    set(
        &sim,
        vec![rule(Fault::SlowDrip {
            bytes_per_second: (normal.len() as u64) * 2,
        })],
    )
    .await;
    let began = Instant::now();
    let dripped = request(&sim).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(dripped, normal);
    assert!(
        began.elapsed() >= Duration::from_millis(300),
        "{:?}",
        began.elapsed()
    );
}

#[tokio::test]
async fn configured_latency_delays_only_its_source() {
    let sim = mcr_sim::start(SimConfig {
        patients: 1000,
        faults: vec![FaultRule {
            source: "RR8".into(),
            latency: Some(Latency::Fixed { ms: 250 }),
            fault: None,
            rate: 1.0,
        }],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let began = Instant::now();
    reqwest::get(format!("{}/metadata", sim.r4_url("RR8")))
        .await
        .unwrap();
    assert!(began.elapsed() >= Duration::from_millis(250));
    let began = Instant::now();
    reqwest::get(format!("{}/metadata", sim.r4_url("RAE")))
        .await
        .unwrap();
    assert!(began.elapsed() < Duration::from_millis(250));
}
