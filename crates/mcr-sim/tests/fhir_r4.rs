//! The simulated hospital and community providers over real loopback HTTP: patient
//! search by NHS number (form body and GET), searches by logical id with dates and
//! paging, and the capability statement.
#![allow(missing_docs)]

use mcr_sim::population::{EdgeCase, Patient};
use mcr_sim::{RunningSim, SimConfig};
use serde_json::Value;

async fn start() -> RunningSim {
    mcr_sim::start(SimConfig {
        patients: 100_000,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn find_id(sim: &RunningSim, ods: &str, p: &Patient) -> Option<String> {
    let resp = http()
        .post(format!("{}/Patient/_search", sim.r4_url(ods)))
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
    let bundle: Value = resp.json().await.unwrap();
    assert_eq!(bundle["type"], "searchset");
    bundle["entry"][0]["resource"]["id"]
        .as_str()
        .map(str::to_string)
}

async fn get(url: &str) -> (u16, Value) {
    let resp = http().get(url).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn the_demo_patient_is_found_at_their_local_trust_by_form_post_and_by_get() {
    let sim = start().await;
    let p = sim.state.population.patient(0).unwrap();
    let ods = mcr_sim::organisations::PROVIDERS[p.providers[0]].ods;
    let id = find_id(&sim, ods, &p).await.expect("found");
    let (status, bundle) = get(&format!(
        "{}/Patient?identifier={}",
        sim.r4_url(ods),
        p.nhs_number.as_digits()
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(bundle["entry"][0]["resource"]["id"], id.as_str());
    assert_eq!(
        bundle["entry"][0]["resource"]["generalPractitioner"][0]["identifier"]["value"],
        p.practice_ods.as_str()
    );
    let (status, patient) = get(&format!("{}/Patient/{id}", sim.r4_url(ods))).await;
    assert_eq!(status, 200);
    assert_eq!(
        patient["identifier"][0]["value"],
        p.nhs_number.as_digits().as_str()
    );
}

#[tokio::test]
async fn a_patient_never_seen_is_an_empty_searchset() {
    let sim = start().await;
    let p = sim
        .state
        .population
        .example(EdgeCase::NoHospitalContact)
        .unwrap();
    for provider in &mcr_sim::organisations::PROVIDERS[..3] {
        assert_eq!(find_id(&sim, provider.ods, &p).await, None);
    }
}

#[tokio::test]
async fn every_clinical_type_is_searchable_by_patient_and_refers_to_that_patient() {
    let sim = start().await;
    let p = sim.state.population.patient(0).unwrap();
    let ods = mcr_sim::organisations::PROVIDERS[p.providers[0]].ods;
    let id = find_id(&sim, ods, &p).await.unwrap();
    let mut seen = 0;
    for t in mcr_sim::fhir_r4::SEARCHABLE {
        let (status, bundle) =
            get(&format!("{}/{t}?patient={id}&_count=1000", sim.r4_url(ods))).await;
        assert_eq!(status, 200, "{t}");
        for e in bundle["entry"].as_array().unwrap() {
            let r = &e["resource"];
            assert_eq!(r["resourceType"], *t);
            let subject = r["subject"]["reference"]
                .as_str()
                .or(r["patient"]["reference"].as_str());
            assert_eq!(subject, Some(format!("Patient/{id}").as_str()));
            seen += 1;
        }
    }
    assert!(seen > 10, "{seen}");
}

#[tokio::test]
async fn pages_follow_next_links_to_the_total_and_dates_filter() {
    let sim = start().await;
    let p = sim.state.population.patient(0).unwrap();
    let ods = mcr_sim::organisations::PROVIDERS[p.providers[0]].ods;
    let id = find_id(&sim, ods, &p).await.unwrap();
    let (_, all) = get(&format!(
        "{}/Observation?patient={id}&_count=1000",
        sim.r4_url(ods)
    ))
    .await;
    let total = all["total"].as_u64().unwrap() as usize;
    assert!(total > 3);
    let mut url = format!("{}/Observation?patient={id}&_count=3", sim.r4_url(ods));
    let mut collected = 0;
    loop {
        let (_, page) = get(&url).await;
        collected += page["entry"].as_array().unwrap().len();
        match page["link"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["relation"] == "next")
        {
            Some(next) => url = next["url"].as_str().unwrap().to_string(),
            None => break,
        }
    }
    assert_eq!(collected, total);
    let (_, none) = get(&format!(
        "{}/Observation?patient={id}&date=lt1900",
        sim.r4_url(ods)
    ))
    .await;
    assert_eq!(none["total"], 0);
    let (_, updated) = get(&format!(
        "{}/Observation?patient={id}&_lastUpdated=ge1900-01-01",
        sim.r4_url(ods)
    ))
    .await;
    assert_eq!(updated["total"].as_u64().unwrap() as usize, total);
}

#[tokio::test]
async fn bad_searches_get_an_operation_outcome() {
    let sim = start().await;
    let (status, body) = get(&format!("{}/Observation", sim.r4_url("RR8"))).await;
    assert_eq!(
        (status, body["resourceType"].as_str()),
        (400, Some("OperationOutcome"))
    );
    let (status, _) = get(&format!(
        "{}/Observation?patient=x&date=soon",
        sim.r4_url("RR8")
    ))
    .await;
    assert_eq!(status, 400);
    let (status, _) = get(&format!("{}/Basic?patient=x", sim.r4_url("RR8"))).await;
    assert_eq!(status, 404);
    let (status, _) = get(&format!("{}/metadata", sim.r4_url("ZZZ"))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_capability_statement_lists_the_searchable_types() {
    let sim = start().await;
    let (status, cs) = get(&format!("{}/metadata", sim.r4_url("RY6"))).await;
    assert_eq!(status, 200);
    assert_eq!(cs["fhirVersion"], "4.0.1");
    let types: Vec<&str> = cs["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"DocumentReference") && types.contains(&"CarePlan"));
}

#[tokio::test]
async fn the_same_seed_gives_byte_identical_searches_and_another_seed_other_people() {
    let start_with = |seed| {
        mcr_sim::start(SimConfig {
            patients: 10_000,
            seed,
            ..SimConfig::default()
        })
    };
    let (a, b, c) = (
        start_with(1).await.unwrap(),
        start_with(1).await.unwrap(),
        start_with(2).await.unwrap(),
    );
    let body = |sim: &RunningSim, t: &str| {
        let p = sim.state.population.patient(0).unwrap();
        let provider = p.providers[0];
        let ods = mcr_sim::organisations::PROVIDERS[provider].ods;
        let id = mcr_sim::ids::patient_id(sim.state.population.seed(), provider, 0);
        let url = format!("{}/{t}?patient={id}&_count=1000", sim.r4_url(ods));
        let base = format!("http://{}", sim.addr);
        async move {
            reqwest::get(url)
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .replace(&base, "BASE")
        }
    };
    for t in mcr_sim::fhir_r4::SEARCHABLE {
        assert_eq!(body(&a, t).await, body(&b, t).await, "{t}");
    }
    let pds = |sim: &RunningSim| {
        let url = format!("{}/Patient/9990000018", sim.pds_url());
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    assert_eq!(pds(&a).await, pds(&b).await);
    assert_ne!(pds(&a).await, pds(&c).await);
}
