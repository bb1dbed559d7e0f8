//! The access log through a spawned gateway: a patient sees who looked at their record
//! (role, organisation, when, why; no user ids, no machinery, nothing clinical); a
//! privacy officer sees every audited action with user ids; nobody else sees it; older
//! entries page back with `before`.
#![allow(missing_docs)]

mod support;

use mcr_sim::population::nhs_for_index;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patients_and_privacy_officers_see_who_accessed_the_record_and_nobody_else_does() {
    let (base, _data, _sim, server) = support::demo_stack(|_| {}).await;
    let http = reqwest::Client::new();
    let nhs = nhs_for_index(0).as_digits();
    let log = |ctx: &str| format!("{base}/api/v1/contexts/{ctx}/access-log");

    // An A&E doctor views the record and its comments.
    let doctor = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
    let doctor_ctx = support::open_context(&http, &base, &doctor, &nhs).await;
    let record = support::get_record(&http, &base, &doctor, &doctor_ctx, "application/json").await;
    assert_eq!(record.status(), 200);
    let comments = format!("{base}/api/v1/contexts/{doctor_ctx}/comments");
    assert_eq!(
        http.get(&comments)
            .bearer_auth(&doctor)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // ...but may not read the access log.
    let r = http
        .get(log(&doctor_ctx))
        .bearer_auth(&doctor)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // A privacy officer searches with a reason.
    let officer = support::demo_token(&http, &base, "privacy-officer", "").await;
    let officer_ctx =
        support::search_context(&http, &base, &officer, &nhs, "complaint 2026/114").await;

    // The patient, launched with their own NHS number.
    let patient = support::demo_token(&http, &base, "patient", &nhs).await;
    let patient_ctx = support::open_context(&http, &base, &patient, &nhs).await;
    // Nothing clinical for them.
    let record =
        support::get_record(&http, &base, &patient, &patient_ctx, "application/json").await;
    assert_eq!(record.status(), 403);
    let seen: Value = support::get_json(&http, log(&patient_ctx), &patient).await;
    let entries = seen["entries"].as_array().unwrap();
    let actions: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
                e["role"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // Newest first; the patient's own context opening and their refused record view
    // are theirs; the officer's search; the doctor's views. No per-source rows.
    assert_eq!(
        actions,
        [
            ("record.view", "refused", "patient"),
            ("context.open", "allowed", "patient"),
            ("context.open", "allowed", "privacy-officer"),
            ("comments.read", "allowed", "hospital-clinician"),
            ("record.view", "allowed", "hospital-clinician"),
            ("context.open", "allowed", "hospital-clinician"),
        ]
    );
    for e in entries {
        assert!(e.get("user_id").is_none(), "no user ids for patients: {e}");
    }
    let doctor_view = &entries[4];
    assert_eq!(doctor_view["organisation"], "Y91001");
    assert_eq!(
        doctor_view["purpose"],
        mcr_gateway::http::access_log::DIRECT_CARE
    );
    assert_eq!(doctor_view["break_glass"], false);
    assert_eq!(entries[2]["purpose"], "complaint 2026/114");
    let text = seen.to_string();
    assert!(
        !text.contains("asking:"),
        "no gateway detail for patients: {text}"
    );

    // A privacy officer sees everything, with user ids, including the patient's own look.
    let full: Value = support::get_json(&http, log(&officer_ctx), &officer).await;
    let full = full["entries"].as_array().unwrap();
    assert_eq!(full[0]["action"], "access_log.read");
    assert_eq!(full[0]["user_id"], "patient");
    assert!(
        full.iter()
            .any(|e| e["user_id"] == "ae-doctor" && e["action"] == "record.view")
    );
    assert!(full.iter().all(|e| e["action"] != "record.source"));

    // A patient cannot open anyone else's record, so never anyone else's log.
    let other = nhs_for_index(1).as_digits();
    let refused = http
        .post(format!("{base}/api/v1/contexts"))
        .bearer_auth(&patient)
        .json(&json!({"nhs_number": other}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["code"],
        "patient_context_mismatch"
    );

    // Paging: after more than a page of accesses, `next_before` reaches the older ones.
    for _ in 0..mcr_gateway::http::access_log::PAGE {
        assert_eq!(
            http.get(&comments)
                .bearer_auth(&doctor)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let first: Value = support::get_json(&http, log(&officer_ctx), &officer).await;
    assert_eq!(
        first["entries"].as_array().unwrap().len() as i64,
        mcr_gateway::http::access_log::PAGE
    );
    let before = first["next_before"].as_i64().expect("more to come");
    let older: Value = support::get_json(
        &http,
        format!("{}?before={before}", log(&officer_ctx)),
        &officer,
    )
    .await;
    let older = older["entries"].as_array().unwrap();
    assert!(
        older
            .iter()
            .any(|e| e["action"] == "context.open" && e["user_id"] == "ae-doctor")
    );
    assert!(
        older.last().unwrap()["action"] == "context.open",
        "the oldest entry is the first opening"
    );
    let bad = http
        .get(format!("{}?nhs=1", log(&officer_ctx)))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["code"], "invalid_query");
    server.abort();
}
