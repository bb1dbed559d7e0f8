//! The dissent register and break-glass: a privacy officer opens the patient's context
//! by search with a reason and records dissent; clinicians are then refused the record
//! and comments with `patient_dissent` (audited) unless they break the glass with a
//! reason; the grant ends with the context and waits for a privacy officer's review.
#![allow(missing_docs)]

#[macro_use]
mod support;

use mcr_sim::population::nhs_for_index;
use serde_json::{Value, json};
use sqlx::Connection;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_privacy_officer_records_and_lifts_dissent_and_clinicians_are_refused_meanwhile() {
    let (base, data, _sim, server) = support::demo_stack(|_| {}).await;
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
    let officer_ctx =
        support::search_context(&http, &base, &officer, &nhs, "patient's letter of 3 March").await;
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

    // A clinician launched for the patient opens a context but is refused the record and
    // the comments, in plain words that say the glass may be broken; audited.
    let doctor = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
    let ctx = support::open_context(&http, &base, &doctor, &nhs).await;
    let refused = support::get_record(&http, &base, &doctor, &ctx, "application/json").await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "patient_dissent");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("not to be shared") && message.contains("break the glass"),
        "{message}"
    );
    let comments = format!("{base}/api/v1/contexts/{ctx}/comments");
    let r = http
        .get(&comments)
        .bearer_auth(&doctor)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "patient_dissent");
    // A clinician cannot change the register.
    let doctor_ctx_refused = http
        .delete(format!("{base}/api/v1/contexts/{ctx}/dissent"))
        .bearer_auth(&doctor)
        .send()
        .await
        .unwrap();
    assert_eq!(doctor_ctx_refused.status(), 403);

    // Break-glass: clinicians only, with a reason.
    let glass = |ctx: &str| format!("{base}/api/v1/contexts/{ctx}/break-glass");
    let officer_glass = http
        .post(glass(&officer_ctx))
        .bearer_auth(&officer)
        .json(&json!({"code": "other", "reason": "curious about the record"}))
        .send()
        .await
        .unwrap();
    assert_eq!(officer_glass.status(), 403);
    let no_reason = http
        .post(glass(&ctx))
        .bearer_auth(&doctor)
        .json(&json!({"code": "emergency-patient-cannot-be-asked", "reason": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_reason.status(), 400);
    assert_eq!(
        no_reason.json::<Value>().await.unwrap()["code"],
        "reason_required"
    );
    // The kind of need is coded: free text alone, or a code not on the list, is a 400.
    for body in [
        json!({"reason": "Unconscious in resus, no history available"}),
        json!({"code": "curiosity", "reason": "Unconscious in resus, no history available"}),
    ] {
        let refused = http
            .post(glass(&ctx))
            .bearer_auth(&doctor)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "{body}");
        let error: Value = refused.json().await.unwrap();
        assert_eq!(error["code"], "invalid_body");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("emergency-patient-cannot-be-asked"),
            "the refusal lists the codes: {error}"
        );
    }
    let granted = http
        .post(glass(&ctx))
        .bearer_auth(&doctor)
        .json(&json!({"code": "emergency-patient-cannot-be-asked", "reason": "Unconscious in resus, no history available"}))
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 201);
    let grant: Value = granted.json().await.unwrap();
    assert_eq!(grant["code"], "emergency-patient-cannot-be-asked");
    let grant_id = grant["id"].as_str().unwrap().to_string();
    // It lasts four hours by default (or until the context ends).
    let at = |field: &str| {
        time::OffsetDateTime::parse(
            grant[field].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert_eq!(at("expires") - at("granted"), time::Duration::hours(4));
    // Under the grant, the record and the comments open.
    assert_eq!(
        support::get_record(&http, &base, &doctor, &ctx, "application/json")
            .await
            .status(),
        200
    );
    assert_eq!(
        http.get(&comments)
            .bearer_auth(&doctor)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // The grant waits for a privacy officer's review; nobody else may see the list.
    let reviews = format!("{base}/api/v1/break-glass");
    assert_eq!(
        http.get(&reviews)
            .bearer_auth(&doctor)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let listed: Value = support::get_json(&http, &reviews, &officer).await;
    assert_eq!(listed["grants"][0]["id"], grant_id.as_str());
    assert_eq!(listed["grants"][0]["user_id"], "ae-doctor");
    assert_eq!(
        listed["grants"][0]["reason"],
        "Unconscious in resus, no history available"
    );
    assert!(listed["grants"][0]["ended"].is_null());

    // Ending the context ends the grant: the context is gone, and a new one is refused again.
    let end = http
        .delete(format!("{base}/api/v1/contexts/{ctx}"))
        .bearer_auth(&doctor)
        .send()
        .await
        .unwrap();
    assert_eq!(end.status(), 204);
    assert_eq!(
        support::get_record(&http, &base, &doctor, &ctx, "application/json")
            .await
            .status(),
        404
    );
    let again = http
        .delete(format!("{base}/api/v1/contexts/{ctx}"))
        .bearer_auth(&doctor)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let listed: Value = support::get_json(&http, &reviews, &officer).await;
    assert!(listed["grants"][0]["ended"].is_string(), "{listed}");
    let ctx2 = support::open_context(&http, &base, &doctor, &nhs).await;
    assert_eq!(
        support::get_record(&http, &base, &doctor, &ctx2, "application/json")
            .await
            .status(),
        403
    );
    // Reviewed once, then off the list.
    let review = format!("{base}/api/v1/break-glass/{grant_id}/review");
    assert_eq!(
        http.post(&review)
            .bearer_auth(&doctor)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        http.post(&review)
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        http.post(&review)
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let listed: Value = support::get_json(&http, &reviews, &officer).await;
    assert_eq!(listed["grants"], json!([]));

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
    assert_eq!(
        support::get_record(&http, &base, &doctor, &ctx2, "application/json")
            .await
            .status(),
        200
    );

    let path = data.path().join(mcr_gateway::store::sqlite::DB_FILE);
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT user_id, action, outcome, detail FROM audit WHERE action <> 'record.source' ORDER BY seq",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let summary: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|(u, a, o, _)| (u.as_str(), a.as_str(), o.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("privacy-officer", "context.open", "allowed"),
            ("privacy-officer", "record.view", "refused"),
            ("privacy-officer", "dissent.set", "allowed"),
            ("ae-doctor", "context.open", "allowed"),
            ("ae-doctor", "record.view", "refused"),
            ("ae-doctor", "comments.read", "refused"),
            ("ae-doctor", "dissent.lift", "refused"),
            ("privacy-officer", "break_glass.grant", "refused"),
            ("ae-doctor", "break_glass.grant", "allowed"),
            ("ae-doctor", "record.view", "allowed"),
            ("ae-doctor", "comments.read", "allowed"),
            ("ae-doctor", "break_glass.list", "refused"),
            ("privacy-officer", "break_glass.list", "allowed"),
            ("ae-doctor", "context.end", "allowed"),
            ("privacy-officer", "break_glass.list", "allowed"),
            ("ae-doctor", "context.open", "allowed"),
            ("ae-doctor", "record.view", "refused"),
            ("ae-doctor", "break_glass.review", "refused"),
            ("privacy-officer", "break_glass.review", "allowed"),
            ("privacy-officer", "break_glass.list", "allowed"),
            ("privacy-officer", "dissent.lift", "allowed"),
            ("ae-doctor", "record.view", "allowed"),
        ]
    );
    assert_eq!(
        rows[0].3.as_deref(),
        Some("patient's letter of 3 March"),
        "the reason is recorded"
    );
    assert_eq!(rows[4].3.as_deref(), Some("patient_dissent"));
    // Break-glass is flagged: the grant with its reason, and the view made under it.
    assert_eq!(
        rows[8].3.as_deref(),
        Some(
            format!(
                "{grant_id}: emergency-patient-cannot-be-asked: Unconscious in resus, no history available"
            )
            .as_str()
        )
    );
    assert!(
        rows[9]
            .3
            .as_deref()
            .unwrap()
            .starts_with(&format!("break-glass {grant_id}; asking: "))
    );
    server.abort();
}
