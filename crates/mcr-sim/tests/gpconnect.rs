//! The simulated practices over real loopback HTTP: each answers a well-formed request
//! with its own patient's record, only the clinical areas asked for, and refuses what a
//! real GP Connect provider refuses with the error it would use.
#![allow(missing_docs)]

use std::net::SocketAddr;

use base64::Engine;
use mcr_sim::gpconnect::INTERACTION_ID;
use mcr_sim::population::{EdgeCase, nhs_for_index};
use mcr_sim::{RunningSim, SimConfig};
use serde_json::{Value, json};

fn jwt(reason: &str, org: &str) -> String {
    let enc = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.",
        enc(json!({"alg": "none", "typ": "JWT"})),
        enc(json!({
            "reason_for_request": reason,
            "requested_scope": "patient/*.read",
            "requesting_organization": {"resourceType": "Organization",
                "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": org}]},
            "requesting_practitioner": {"resourceType": "Practitioner"},
        }))
    )
}

fn everything() -> Vec<Value> {
    vec![
        json!({"name": "includeAllergies", "part": [{"name": "includeResolvedAllergies", "valueBoolean": true}]}),
        json!({"name": "includeMedication", "part": [{"name": "includePrescriptionIssues", "valueBoolean": true}]}),
        json!({"name": "includeConsultations"}),
        json!({"name": "includeProblems"}),
        json!({"name": "includeImmunisations"}),
        json!({"name": "includeUncategorisedData"}),
        json!({"name": "includeInvestigations"}),
        json!({"name": "includeReferrals"}),
    ]
}

async fn post_raw(url: &str, token: &str, nhs: &str, includes: Vec<Value>) -> (u16, String) {
    let mut parameter = vec![
        json!({"name": "patientNHSNumber", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}}),
    ];
    parameter.extend(includes);
    let body = json!({"resourceType": "Parameters", "parameter": parameter});
    let resp = reqwest::Client::new()
        .post(format!("{url}/Patient/$gpc.getstructuredrecord"))
        .header("Ssp-TraceID", "trace")
        .header("Ssp-From", "200000000359")
        .header("Ssp-To", "918999198738")
        .header("Ssp-InteractionID", INTERACTION_ID)
        .bearer_auth(token)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn post(url: &str, token: &str, nhs: &str, includes: Vec<Value>) -> (u16, Value) {
    let (status, body) = post_raw(url, token, nhs, includes).await;
    (status, serde_json::from_str(&body).unwrap())
}

async fn start(patients: usize, seed: u64) -> RunningSim {
    mcr_sim::start(SimConfig {
        patients,
        seed,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn spine_code(body: &Value) -> &str {
    body["issue"][0]["details"]["coding"][0]["code"]
        .as_str()
        .unwrap()
}

fn of_type<'a>(bundle: &'a Value, t: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(move |r| r["resourceType"] == t)
}

#[tokio::test]
async fn a_known_patient_gets_a_structured_record_bundle_for_that_patient() {
    let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), 8)
        .await
        .unwrap();
    let nhs = nhs_for_index(0).as_digits();
    let (status, bundle) = post(
        &sim.gp_base_url(),
        &jwt("directcare", "A81001"),
        &nhs,
        everything(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(bundle["type"], "collection");
    let patient = of_type(&bundle, "Patient").next().unwrap();
    assert_eq!(patient["identifier"][0]["value"], nhs.as_str());
    for t in [
        "MedicationStatement",
        "Condition",
        "Observation",
        "DiagnosticReport",
        "Encounter",
        "List",
    ] {
        assert!(of_type(&bundle, t).next().is_some(), "{t}");
    }
}

#[tokio::test]
async fn only_the_clinical_areas_asked_for_are_answered() {
    let sim = start(10_000, 1).await;
    let nhs = nhs_for_index(0).as_digits();
    let (_, bundle) = post(
        &sim.gp_base_url(),
        &jwt("directcare", "A81001"),
        &nhs,
        vec![json!({"name": "includeProblems"})],
    )
    .await;
    let titles: Vec<&str> = of_type(&bundle, "List")
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Problems"]);
}

#[tokio::test]
async fn a_practice_answers_only_for_its_own_patients() {
    let sim = start(100_000, 1).await;
    let population = &sim.state.population;
    let elsewhere = population
        .first_where(0, |p| {
            p.practice_ods != mcr_sim::PRACTICE_ODS && !p.dissented && p.deceased.is_none()
        })
        .unwrap();
    let token = jwt("directcare", "A81001");
    let nhs = elsewhere.nhs_number.as_digits();
    let (status, body) = post(&sim.gp_base_url(), &token, &nhs, vec![]).await;
    assert_eq!((status, spine_code(&body)), (404, "PATIENT_NOT_FOUND"));
    let (status, body) = post(
        &sim.practice_url(&elsewhere.practice_ods),
        &token,
        &nhs,
        vec![],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        of_type(&body, "Organization").next().unwrap()["identifier"][0]["value"],
        elsewhere.practice_ods.as_str()
    );
}

#[tokio::test]
async fn dissent_no_relationship_and_unknown_practices_are_refused_as_spine_refuses_them() {
    let sim = start(100_000, 1).await;
    let dissented = sim.state.population.example(EdgeCase::Dissented).unwrap();
    let token = jwt("directcare", "A81001");
    let (status, body) = post(
        &sim.practice_url(&dissented.practice_ods),
        &token,
        &dissented.nhs_number.as_digits(),
        vec![],
    )
    .await;
    assert_eq!((status, spine_code(&body)), (403, "NO_PATIENT_CONSENT"));
    let nhs = nhs_for_index(0).as_digits();
    let (status, body) = post(
        &sim.gp_base_url(),
        &jwt("directcare", "X99999"),
        &nhs,
        vec![],
    )
    .await;
    assert_eq!((status, spine_code(&body)), (403, "NO_RELATIONSHIP"));
    let (status, body) = post(&sim.practice_url("Y99999"), &token, &nhs, vec![]).await;
    assert_eq!((status, spine_code(&body)), (404, "ORGANISATION_NOT_FOUND"));
}

#[tokio::test]
async fn malformed_requests_get_the_matching_error() {
    let sim = start(1000, 1).await;
    let url = sim.gp_base_url();
    let ok = jwt("directcare", "A81001");
    let (status, body) = post(&url, &ok, "9434765919", vec![]).await;
    assert_eq!((status, spine_code(&body)), (404, "PATIENT_NOT_FOUND"));
    let (status, body) = post(&url, &ok, "9432003812", vec![]).await;
    assert_eq!((status, spine_code(&body)), (400, "INVALID_NHS_NUMBER"));
    let (status, body) = post(
        &url,
        &jwt("secondaryuses", "A81001"),
        &nhs_for_index(0).as_digits(),
        vec![],
    )
    .await;
    assert_eq!((status, spine_code(&body)), (400, "BAD_REQUEST"));
    let (status, body) = post(
        &url,
        &ok,
        &nhs_for_index(0).as_digits(),
        vec![json!({"name": "includeEverything"})],
    )
    .await;
    assert_eq!((status, spine_code(&body)), (422, "INVALID_PARAMETER"));
}

#[tokio::test]
async fn the_same_seed_gives_byte_identical_responses_and_another_seed_other_people() {
    let (a, b, c) = (
        start(10_000, 1).await,
        start(10_000, 1).await,
        start(10_000, 2).await,
    );
    let token = jwt("directcare", "A81001");
    for index in [0, 3, 7] {
        let nhs = nhs_for_index(index).as_digits();
        let (_, x) = post_raw(&a.gp_base_url(), &token, &nhs, everything()).await;
        let (_, y) = post_raw(&b.gp_base_url(), &token, &nhs, everything()).await;
        let (_, z) = post_raw(&c.gp_base_url(), &token, &nhs, everything()).await;
        assert_eq!(x, y);
        assert_ne!(x, z);
    }
}

#[tokio::test]
async fn a_huge_record_carries_more_than_five_thousand_observations() {
    let sim = start(100_000, 1).await;
    let p = sim.state.population.example(EdgeCase::HugeRecord).unwrap();
    let (status, bundle) = post(
        &sim.practice_url(&p.practice_ods),
        &jwt("directcare", "A81001"),
        &p.nhs_number.as_digits(),
        everything(),
    )
    .await;
    assert_eq!(status, 200, "{bundle}");
    assert!(of_type(&bundle, "Observation").count() >= 5_000);
}
