//! Gateway integration tests: the simulated GP practice and the gateway run as real
//! servers on loopback port 0, with a fresh SQLite file each; requests go over HTTP.
#![allow(missing_docs)]

#[macro_use]
mod support;

use std::net::SocketAddr;
use std::path::PathBuf;

use mcr_gateway::config::Config;
use mcr_sim::population::nhs_for_index;
use serde_json::{Value, json};
use sqlx::Connection;

/// A running simulator + gateway pair; both stop when this is dropped.
struct TestApp {
    base: String,
    data_dir: tempfile::TempDir,
    http: reqwest::Client,
    _sim: mcr_sim::RunningSim,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn spawn_app() -> TestApp {
    let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), 8)
        .await
        .unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let config = Config::for_demo(
        data_dir.path().to_path_buf(),
        repo_root(),
        sim.gp_base_url(),
    );
    let (base, server) = support::spawn_gateway(config).await;
    TestApp {
        base,
        data_dir,
        http: reqwest::Client::new(),
        _sim: sim,
        server,
    }
}

impl TestApp {
    async fn token(&self, user: &str, nhs: &str) -> String {
        let resp = self
            .http
            .post(format!("{}/demo/token", self.base))
            .json(&json!({"user": user, "nhs_number": nhs}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn open_context(&self, token: &str, nhs: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/api/v1/contexts", self.base))
            .bearer_auth(token)
            .json(&json!({"nhs_number": nhs}))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    async fn get_record(&self, token: &str, ctx: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}/api/v1/contexts/{ctx}/record", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn db(&self) -> sqlx::SqliteConnection {
        let path = self
            .data_dir
            .path()
            .join(mcr_gateway::store::sqlite::DB_FILE);
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap()
    }

    async fn audit_rows(&self) -> Vec<(String, Option<String>, String, String)> {
        sqlx::query_as("SELECT user_id, nhs_number, action, outcome FROM audit ORDER BY seq")
            .fetch_all(&mut self.db().await)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_launched_clinician_gets_the_gp_record_of_the_patient_in_context() {
    let app = spawn_app().await;
    let nhs = nhs_for_index(0).as_digits();
    let token = app.token("ae-doctor", &nhs).await;
    let (status, created) = app.open_context(&token, &nhs).await;
    assert_eq!(status, 201, "{created}");
    let ctx = created["context_id"].as_str().unwrap();
    assert!(ctx.len() >= 40, "context ids are long and random");
    let (status, body) = app.get_record(&token, ctx).await;
    assert_eq!(status, 200, "{body}");
    let record: mcr_model::Record = serde_json::from_str(&body).unwrap();
    let patient = record.patient.clone().expect("demographics");
    assert_eq!(patient.nhs_number.as_digits(), nhs);
    let sim_patient = mcr_sim::population::Population::new(8).patient(0).unwrap();
    assert_eq!(patient.family_name.as_deref(), Some(sim_patient.family));
    assert_eq!(
        patient.registered_practice.unwrap().ods_code,
        mcr_sim::PRACTICE_ODS
    );
    assert_eq!(record.sources[0].state, mcr_model::SourceState::Answered);
    let meds = record.section(mcr_model::SectionKind::Medications).unwrap();
    let expected_med = sim_patient.medicines[0].concept.display;
    assert!(meds.entries.iter().any(|e| e.title == expected_med));
    assert!(
        meds.entries
            .iter()
            .all(|e| e.source.ods_code == mcr_sim::PRACTICE_ODS)
    );
    let problems = record.section(mcr_model::SectionKind::Problems).unwrap();
    assert_eq!(problems.entries.len(), sim_patient.problems.len());
}

#[tokio::test]
async fn every_access_is_audited_with_who_which_patient_and_outcome() {
    let app = spawn_app().await;
    let nhs = nhs_for_index(1).as_digits();
    let token = app.token("gp", &nhs).await;
    let (_, created) = app.open_context(&token, &nhs).await;
    let (status, _) = app
        .get_record(&token, created["context_id"].as_str().unwrap())
        .await;
    assert_eq!(status, 200);
    let rows = app.audit_rows().await;
    let summary: Vec<(&str, Option<&str>, &str, &str)> = rows
        .iter()
        .map(|(u, n, a, o)| (u.as_str(), n.as_deref(), a.as_str(), o.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("gp", Some(nhs.as_str()), "context.open", "allowed"),
            ("gp", Some(nhs.as_str()), "record.view", "allowed"),
            ("gp", Some(nhs.as_str()), "record.source", "allowed"),
        ]
    );
}

#[tokio::test]
async fn audit_rows_cannot_be_updated_or_deleted() {
    let app = spawn_app().await;
    let nhs = nhs_for_index(0).as_digits();
    let token = app.token("gp", &nhs).await;
    app.open_context(&token, &nhs).await;
    let mut db = app.db().await;
    assert!(
        sqlx::query("UPDATE audit SET outcome = 'x'")
            .execute(&mut db)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit")
            .execute(&mut db)
            .await
            .is_err()
    );
    assert_eq!(app.audit_rows().await.len(), 1);
}

#[tokio::test]
async fn a_bad_or_missing_token_gets_401() {
    let app = spawn_app().await;
    let nhs = nhs_for_index(0).as_digits();
    let good = app.token("ae-doctor", &nhs).await;
    // Flip one character of the signature.
    let mut forged = good.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    for token in [forged.as_str(), "not-a-jwt", ""] {
        let (status, body) = app.open_context(token, &nhs).await;
        assert_eq!(status, 401, "{token}: {body}");
        assert_eq!(body["code"], "unauthorised");
    }
    // An unsigned token naming the same issuer and audience is refused too.
    let b64 = |v: Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let unsigned = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        b64(
            json!({"iss": format!("{}/demo", app.base), "aud": "mcr-gateway", "sub": "x", "exp": 9999999999u64, "patient": nhs})
        )
    );
    let (status, _) = app.open_context(&unsigned, &nhs).await;
    assert_eq!(status, 401);
    let rows = app.audit_rows().await;
    assert_eq!(rows.len(), 4, "each refusal is audited");
    assert!(
        rows.iter().all(|(u, n, a, o)| u == "unauthenticated"
            && n.is_none()
            && a == "auth.refused"
            && o == "refused"),
        "nothing was opened: {rows:?}"
    );
}

#[tokio::test]
async fn an_invalid_nhs_number_gets_400_with_a_reason() {
    let app = spawn_app().await;
    let token = app.token("ae-doctor", &nhs_for_index(0).as_digits()).await;
    for bad in ["9432003812", "943476591", "94347659190", "abc"] {
        let (status, body) = app.open_context(&token, bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["code"], "invalid_nhs_number");
        assert!(body["message"].as_str().unwrap().contains("NHS number"));
    }
}

#[tokio::test]
async fn a_patient_other_than_the_launch_patient_is_refused_and_audited() {
    let app = spawn_app().await;
    let launched = nhs_for_index(0).as_digits();
    let other = nhs_for_index(1).as_digits();
    let token = app.token("ae-doctor", &launched).await;
    let (status, body) = app.open_context(&token, &other).await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "patient_context_mismatch");
    let rows = app.audit_rows().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].2.as_str(), rows[0].3.as_str()),
        ("context.open", "refused")
    );
}

#[tokio::test]
async fn a_context_is_usable_only_by_the_user_who_opened_it() {
    let app = spawn_app().await;
    let nhs = nhs_for_index(0).as_digits();
    let mine = app.token("ae-doctor", &nhs).await;
    let theirs = app.token("ward-nurse", &nhs).await;
    let (_, created) = app.open_context(&mine, &nhs).await;
    let (status, body) = app
        .get_record(&theirs, created["context_id"].as_str().unwrap())
        .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn when_the_audit_log_cannot_be_written_the_record_is_refused_with_503_and_no_data() {
    let app = spawn_app().await;
    let nhs = nhs_for_index(0).as_digits();
    let token = app.token("ae-doctor", &nhs).await;
    let (_, created) = app.open_context(&token, &nhs).await;
    // Make every further audit insert fail, as a full disk or a lost database would.
    sqlx::query("CREATE TRIGGER audit_fail BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        .execute(&mut app.db().await)
        .await
        .unwrap();
    let (status, body) = app
        .get_record(&token, created["context_id"].as_str().unwrap())
        .await;
    assert_eq!(status, 503);
    let sim_patient = mcr_sim::population::Population::new(8).patient(0).unwrap();
    assert!(
        !body.contains(sim_patient.family),
        "no patient data in {body}"
    );
    assert!(!body.contains(&nhs));
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["code"], "audit_unavailable");
}

#[tokio::test]
async fn a_token_in_the_query_string_is_refused_with_400() {
    let app = spawn_app().await;
    let resp = app
        .http
        .get(format!(
            "{}/api/v1/contexts/x/record?access_token=abc",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "token_in_url");
}

#[tokio::test]
async fn the_demo_page_and_panel_assets_are_served() {
    let app = spawn_app().await;
    let resp = app.http.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("mcr-panel"));
    let resp = app
        .http
        .get(format!("{}/www/panel-host.css", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}
