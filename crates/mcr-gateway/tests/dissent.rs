//! The dissent register: a privacy officer opens the patient's context by search with
//! a reason and records dissent; clinicians are then refused the record with
//! `patient_dissent` (audited) until it is lifted; only clinicians see clinical data.
#![allow(missing_docs)]

#[macro_use]
mod support;

use std::net::SocketAddr;
use std::path::PathBuf;

use mcr_gateway::config::Config;
use mcr_sim::population::nhs_for_index;
use serde_json::{Value, json};
use sqlx::Connection;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_privacy_officer_records_and_lifts_dissent_and_clinicians_are_refused_meanwhile() {
    let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), 8)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let (base, server) = support::spawn_gateway(Config::for_demo(
        data.path().into(),
        PathBuf::from("."),
        sim.gp_base_url(),
    ))
    .await;
    let http = reqwest::Client::new();
    let nhs = nhs_for_index(0).as_digits();
    let contexts = format!("{base}/api/v1/contexts");

    // A privacy officer searches, and must give a reason.
    let officer = support::demo_token(&http, &base, "privacy-officer", "").await;
    let no_reason = http
        .post(&contexts)
        .bearer_auth(&officer)
        .json(&json!({"nhs_number": nhs}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_reason.status(), 400);
    let created: Value = http
        .post(&contexts)
        .bearer_auth(&officer)
        .json(&json!({"nhs_number": nhs, "reason": "patient's letter of 3 March"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let officer_ctx = created["context_id"]
        .as_str()
        .expect("a context")
        .to_string();
    // ...but sees no clinical data.
    let record =
        support::get_record(&http, &base, &officer, &officer_ctx, "application/json").await;
    assert_eq!(record.status(), 403);
    let dissent = format!("{base}/api/v1/contexts/{officer_ctx}/dissent");
    let put = http
        .put(&dissent)
        .bearer_auth(&officer)
        .json(&json!({"reason": "letter"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 204);

    // A clinician launched for the patient is refused, in plain words, and it is audited.
    let doctor = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
    let refused = http
        .post(&contexts)
        .bearer_auth(&doctor)
        .json(&json!({"nhs_number": nhs}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "patient_dissent");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not to be shared")
    );
    // A clinician cannot change the register.
    let doctor_ctx_refused = http
        .delete(&dissent)
        .bearer_auth(&doctor)
        .send()
        .await
        .unwrap();
    assert_eq!(doctor_ctx_refused.status(), 403);

    // Lifted: the clinician gets the record again.
    let lifted: Value = http
        .delete(&dissent)
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(lifted["lifted"], true);
    let ctx = support::open_context(&http, &base, &doctor, &nhs).await;
    assert_eq!(
        support::get_record(&http, &base, &doctor, &ctx, "application/json")
            .await
            .status(),
        200
    );

    let path = data.path().join(mcr_gateway::store::sqlite::DB_FILE);
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let rows: Vec<(String, String, String, Option<String>)> =
        sqlx::query_as("SELECT user_id, action, outcome, detail FROM audit ORDER BY seq")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let summary: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|(u, a, o, _)| (u.as_str(), a.as_str(), o.as_str()))
        .collect();
    assert_eq!(
        &summary[..5],
        [
            ("privacy-officer", "context.open", "allowed"),
            ("privacy-officer", "record.view", "refused"),
            ("privacy-officer", "dissent.set", "allowed"),
            ("ae-doctor", "context.open", "refused"),
            ("privacy-officer", "dissent.lift", "allowed"),
        ]
    );
    assert_eq!(
        rows[0].3.as_deref(),
        Some("patient's letter of 3 March"),
        "the reason is recorded"
    );
    assert_eq!(rows[3].3.as_deref(), Some("patient_dissent"));
    server.abort();
}
