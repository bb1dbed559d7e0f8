//! The PDS-shaped demographics service over real loopback HTTP.
#![allow(missing_docs)]

use mcr_sim::SimConfig;
use mcr_sim::population::EdgeCase;
use serde_json::Value;

#[tokio::test]
async fn pds_gives_the_registered_practice_and_marks_the_deceased() {
    let sim = mcr_sim::start(SimConfig {
        patients: 100_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let p = sim.state.population.example(EdgeCase::Deceased).unwrap();
    let resp = http
        .post(format!("{}/Patient/_search", sim.pds_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "identifier={}",
            mcr_sim::fhir_r4::search::encode(&format!(
                "https://fhir.nhs.uk/Id/nhs-number|{}",
                p.nhs_number.as_digits()
            ))
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let patient: Value = resp.json().await.unwrap();
    assert_eq!(
        patient["generalPractitioner"][0]["identifier"]["value"],
        p.practice_ods.as_str()
    );
    assert!(patient["deceasedDateTime"].is_string());
    let live = sim.state.population.patient(0).unwrap();
    let read: Value = http
        .get(format!(
            "{}/Patient/{}",
            sim.pds_url(),
            live.nhs_number.as_digits()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["name"][0]["family"], live.family);
    assert!(read.get("deceasedDateTime").is_none());
}

#[tokio::test]
async fn pds_refuses_invalid_numbers_and_does_not_find_unknown_ones() {
    let sim = mcr_sim::start(SimConfig {
        patients: 1000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let get = |n: &str| reqwest::get(format!("{}/Patient/{n}", sim.pds_url()));
    assert_eq!(get("9432003812").await.unwrap().status(), 400);
    assert_eq!(get("9434765919").await.unwrap().status(), 404);
}
