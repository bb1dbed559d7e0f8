//! Replay mode over real loopback HTTP with the real third-party fixtures from
//! `../shared/fixtures` (or `MCR_FIXTURES`), never copied into the repository: a GP
//! Connect WireMock template rendered for the requested patient, an EMIS record whose
//! template is invalid JSON until rendered, UK Core single resources and a Synthea
//! transaction bundle indexed by patient — each reporting its rewrites.
#![allow(missing_docs)]

use std::path::PathBuf;

use base64::Engine;
use mcr_sim::gpconnect::INTERACTION_ID;
use mcr_sim::replay::{ReplayKind, ReplayRule};
use mcr_sim::{RunningSim, SimConfig};
use serde_json::{Value, json};

fn fixtures_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MCR_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
        });
    if dir.join("gpconnect-stu3").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("MCR_REQUIRE_FIXTURES").as_deref() != Ok("1"),
        "fixtures required (MCR_REQUIRE_FIXTURES=1) but {} is missing",
        dir.display()
    );
    eprintln!("skipping: fixtures not found at {}", dir.display());
    None
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

async fn gp(sim: &RunningSim, nhs: &str) -> reqwest::Response {
    let body = json!({"resourceType": "Parameters", "parameter": [
        {"name": "patientNHSNumber", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}},
        {"name": "includeProblems"}]});
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
        .send()
        .await
        .unwrap()
}

fn rule(nhs: &str, path: PathBuf, kind: ReplayKind) -> ReplayRule {
    ReplayRule {
        nhs_number: nhs.into(),
        path,
        kind,
        source: None,
    }
}

#[tokio::test]
async fn gp_connect_fixtures_are_rendered_for_the_requested_patient_and_report_their_rewrites() {
    let Some(dir) = fixtures_dir() else { return };
    let gp_dir = dir.join("gpconnect-stu3");
    let sim = mcr_sim::start(SimConfig {
        patients: 1000,
        replay: vec![
            rule(
                "9690937278",
                gp_dir.join("correctPatientStructuredRecordResponseNormal.json"),
                ReplayKind::GpConnect,
            ),
            rule(
                "9434765919",
                gp_dir.join("EMISPatientStructurede2eResponsePWTP3.json"),
                ReplayKind::GpConnect,
            ),
            rule(
                "9000000009",
                gp_dir.join("operationOutcomeNoRelationship.json"),
                ReplayKind::GpConnect,
            ),
        ],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let resp = gp(&sim, "9690937278").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["x-mcr-sim-replay"]
            .to_str()
            .unwrap()
            .ends_with("rewrites")
    );
    let bundle: Value = resp.json().await.unwrap();
    let patient = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource"]["resourceType"] == "Patient")
        .unwrap();
    assert_eq!(patient["resource"]["identifier"][0]["value"], "9690937278");
    // The EMIS template is not JSON until its sections are rendered.
    let emis: Value = gp(&sim, "9434765919").await.json().await.unwrap();
    assert_eq!(emis["resourceType"], "Bundle");
    assert_eq!(gp(&sim, "9000000009").await.status(), 403);
    let report: Value = reqwest::get(format!("{}/replay", sim.control_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let emis_rewrites = report[1]["rewrites"].as_array().unwrap();
    assert!(emis_rewrites.iter().any(|r| {
        r.as_str()
            .unwrap()
            .contains("dropped the {{#patient}} section")
    }));
}

#[tokio::test]
async fn r4_fixtures_are_indexed_by_patient_and_synthea_patients_get_nhs_numbers() {
    let Some(dir) = fixtures_dir() else { return };
    let synthea = std::fs::read_dir(dir.join("fhir-r4-synthea"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let sim = mcr_sim::start(SimConfig {
        patients: 1000,
        replay: vec![
            ReplayRule {
                source: Some("RR8".into()),
                ..rule("9434765919", dir.join("fhir-r4-ukcore"), ReplayKind::FhirR4)
            },
            rule("9000000009", synthea, ReplayKind::FhirR4),
        ],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    for (ods, nhs) in [("RR8", "9434765919"), ("RAE", "9000000009")] {
        let found: Value = http
            .post(format!("{}/Patient/_search", sim.r4_url(ods)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("identifier={nhs}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let patient = &found["entry"][0]["resource"];
        assert_eq!(patient["identifier"][0]["value"], nhs, "{ods}");
        let id = patient["id"].as_str().unwrap();
        let conditions: Value = reqwest::get(format!(
            "{}/Condition?patient={id}&_count=500",
            sim.r4_url(ods)
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert!(conditions["total"].as_u64().unwrap() > 0, "{ods}");
        for e in conditions["entry"].as_array().unwrap() {
            assert_eq!(
                e["resource"]["subject"]["reference"],
                format!("Patient/{id}").as_str()
            );
        }
    }
    let report: Value = reqwest::get(format!("{}/replay", sim.control_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let synthea_rewrites = report[1]["rewrites"].as_array().unwrap();
    assert!(synthea_rewrites.iter().any(|r| {
        r.as_str()
            .unwrap()
            .contains("the NHS number 9000000009 (it had none)")
    }));
    assert!(
        synthea_rewrites
            .iter()
            .any(|r| r.as_str().unwrap().contains("urn:uuid:"))
    );
}
