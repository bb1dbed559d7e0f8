//! The simulated practice over real loopback HTTP: it answers a well-formed request with
//! the patient's record and refuses what a real GP Connect provider refuses.
#![allow(missing_docs)]

use std::net::SocketAddr;

use base64::Engine;
use mcr_sim::gpconnect::INTERACTION_ID;
use mcr_sim::population::nhs_for_index;
use serde_json::{Value, json};

fn jwt(reason: &str) -> String {
    let enc = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.",
        enc(json!({"alg": "none", "typ": "JWT"})),
        enc(json!({
            "reason_for_request": reason,
            "requested_scope": "patient/*.read",
            "requesting_organization": {"resourceType": "Organization"},
            "requesting_practitioner": {"resourceType": "Practitioner"},
        }))
    )
}

async fn post(url: &str, token: &str, nhs: &str) -> (u16, Value) {
    let body = json!({"resourceType": "Parameters", "parameter": [
        {"name": "patientNHSNumber", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}},
        {"name": "includeMedication"}
    ]});
    let resp = reqwest::Client::new()
        .post(url)
        .header("Ssp-TraceID", "trace")
        .header("Ssp-From", "200000000359")
        .header("Ssp-To", "918999198738")
        .header("Ssp-InteractionID", INTERACTION_ID)
        .bearer_auth(token)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn start() -> (mcr_sim::RunningSim, String) {
    let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), 8)
        .await
        .unwrap();
    let url = format!("{}/Patient/$gpc.getstructuredrecord", sim.gp_base_url());
    (sim, url)
}

#[tokio::test]
async fn a_known_patient_gets_a_structured_record_bundle_for_that_patient() {
    let (_sim, url) = start().await;
    let nhs = nhs_for_index(2).as_digits();
    let (status, bundle) = post(&url, &jwt("directcare"), &nhs).await;
    assert_eq!(status, 200);
    assert_eq!(bundle["type"], "collection");
    let entries = bundle["entry"].as_array().unwrap();
    let patient = entries
        .iter()
        .find(|e| e["resource"]["resourceType"] == "Patient")
        .unwrap();
    assert_eq!(patient["resource"]["identifier"][0]["value"], nhs.as_str());
    assert!(
        entries
            .iter()
            .any(|e| e["resource"]["resourceType"] == "MedicationStatement")
    );
    assert!(
        entries
            .iter()
            .any(|e| e["resource"]["resourceType"] == "Condition")
    );
}

#[tokio::test]
async fn an_unknown_patient_gets_patient_not_found() {
    let (_sim, url) = start().await;
    let (status, body) = post(&url, &jwt("directcare"), "9434765919").await;
    assert_eq!(status, 404);
    assert_eq!(
        body["issue"][0]["details"]["coding"][0]["code"],
        "PATIENT_NOT_FOUND"
    );
}

#[tokio::test]
async fn an_invalid_nhs_number_gets_invalid_nhs_number() {
    let (_sim, url) = start().await;
    let (status, body) = post(&url, &jwt("directcare"), "9432003812").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["issue"][0]["details"]["coding"][0]["code"],
        "INVALID_NHS_NUMBER"
    );
}

#[tokio::test]
async fn a_request_not_for_direct_care_is_refused() {
    let (_sim, url) = start().await;
    let (status, body) = post(&url, &jwt("secondaryuses"), &nhs_for_index(0).as_digits()).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["issue"][0]["details"]["coding"][0]["code"],
        "BAD_REQUEST"
    );
}
