//! `PUT`/`DELETE /api/v1/locator/pointers`: sources publish and withdraw pointers with
//! their own signed tokens, only for themselves; the locator then asks them.
#![allow(missing_docs)]

#[macro_use]
mod support;

use std::path::PathBuf;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use mcr_gateway::config::Config;
use p256::ecdsa::SigningKey;
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};

struct Setup {
    sim: mcr_sim::RunningSim,
    base: String,
    http: reqwest::Client,
    keys: Vec<EncodingKey>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    _data: tempfile::TempDir,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn key(seed: u8) -> (EncodingKey, String) {
    let signing = SigningKey::from_slice(&[seed; 32]).unwrap();
    let der = signing.to_pkcs8_der().unwrap();
    let public = signing
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    (EncodingKey::from_ec_der(der.as_bytes()), public)
}

async fn setup() -> Setup {
    let sim = mcr_sim::start(mcr_sim::SimConfig {
        patients: 2_000,
        ..Default::default()
    })
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let (k1, pem1) = key(7);
    let (k2, pem2) = key(9);
    let registry = format!(
        "[demographics]\nbase_url = \"{pds}\"\n\n\
         [[source]]\nid = \"rr8\"\norganisation = \"Leeds Teaching Hospitals NHS Trust\"\nods_code = \"RR8\"\n\
         kind = \"acute-trust\"\nprotocol = \"fhir-r4\"\nbase_url = \"{rr8}\"\npublisher_public_key_pem = \"\"\"\n{pem1}\"\"\"\n\n\
         [[source]]\nid = \"rae\"\norganisation = \"Bradford Teaching Hospitals NHS Foundation Trust\"\nods_code = \"RAE\"\n\
         kind = \"acute-trust\"\nprotocol = \"fhir-r4\"\nbase_url = \"{rae}\"\npublisher_public_key_pem = \"\"\"\n{pem2}\"\"\"\n",
        pds = sim.pds_url(),
        rr8 = sim.r4_url("RR8"),
        rae = sim.r4_url("RAE"),
    );
    let path = data.path().join("sources.toml");
    std::fs::write(&path, registry).unwrap();
    let mut config = Config::for_demo(data.path().join("db"), PathBuf::from("."), String::new());
    config.sources = Some(path);
    let (base, server) = support::spawn_gateway(config).await;
    Setup {
        sim,
        base,
        http: reqwest::Client::new(),
        keys: vec![k1, k2],
        server,
        _data: data,
    }
}

fn source_token(key: &EncodingKey, id: &str) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({"iss": id, "sub": id, "aud": "mcr-gateway", "iat": now, "exp": now + 300});
    encode(&Header::new(Algorithm::ES256), &claims, key).unwrap()
}

impl Setup {
    async fn send(&self, method: reqwest::Method, token: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .request(method, format!("{}/api/v1/locator/pointers", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (
            resp.status().as_u16(),
            resp.json().await.unwrap_or(Value::Null),
        )
    }

    /// The located sources' ids for `nhs`, as an A&E doctor's record shows them.
    async fn located(&self, nhs: &str) -> Vec<String> {
        let token = support::demo_token(&self.http, &self.base, "ae-doctor", nhs).await;
        let ctx = support::open_context(&self.http, &self.base, &token, nhs).await;
        let resp =
            support::get_record(&self.http, &self.base, &token, &ctx, "application/json").await;
        let record: Value = resp.json().await.unwrap();
        record["located"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    }
}

fn patients(s: &Setup) -> (String, String) {
    let p = &s.sim.state.population;
    (
        p.patient(0).unwrap().nhs_number.as_digits(),
        p.patient(1).unwrap().nhs_number.as_digits(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_publishes_in_bulk_and_withdraws_and_the_locator_follows() {
    let s = setup().await;
    let (a, b) = patients(&s);
    let token = source_token(&s.keys[0], "rr8");
    let (status, body) = s
        .send(
            reqwest::Method::PUT,
            &token,
            json!({"pointers": [
            {"nhs_number": a, "source_id": "rr8"}, {"nhs_number": b, "source_id": "rr8"}]}),
        )
        .await;
    assert_eq!((status, body["count"].as_u64()), (200, Some(2)));
    assert!(s.located(&a).await.contains(&"rr8".to_string()));
    let (status, body) = s
        .send(
            reqwest::Method::DELETE,
            &token,
            json!({"nhs_number": a, "source_id": "rr8"}),
        )
        .await;
    assert_eq!((status, body["count"].as_u64()), (200, Some(1)));
    assert!(!s.located(&a).await.contains(&"rr8".to_string()));
    assert!(s.located(&b).await.contains(&"rr8".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_cannot_publish_for_another_and_nothing_is_stored() {
    let s = setup().await;
    let (a, b) = patients(&s);
    let token = source_token(&s.keys[0], "rr8");
    let (status, body) = s
        .send(
            reqwest::Method::PUT,
            &token,
            json!({"pointers": [
            {"nhs_number": a, "source_id": "rr8"}, {"nhs_number": b, "source_id": "rae"}]}),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "pointer_not_yours");
    assert!(
        !s.located(&a).await.contains(&"rr8".to_string()),
        "all or nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_tokens_and_tokens_signed_with_another_sources_key_are_refused() {
    let s = setup().await;
    let (a, _) = patients(&s);
    let user = support::demo_token(&s.http, &s.base, "ae-doctor", &a).await;
    let pointer = json!({"nhs_number": a, "source_id": "rr8"});
    let (status, _) = s.send(reqwest::Method::PUT, &user, pointer.clone()).await;
    assert_eq!(status, 401);
    // rae's key claiming to be rr8.
    let (status, _) = s
        .send(
            reqwest::Method::PUT,
            &source_token(&s.keys[1], "rr8"),
            pointer.clone(),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = s
        .send(
            reqwest::Method::PUT,
            &source_token(&s.keys[0], "unknown"),
            pointer,
        )
        .await;
    assert_eq!(status, 401);
    assert!(!s.located(&a).await.contains(&"rr8".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_nhs_number_anywhere_in_a_bulk_update_is_a_400_naming_it() {
    let s = setup().await;
    let (a, _) = patients(&s);
    let token = source_token(&s.keys[0], "rr8");
    let (status, body) = s
        .send(reqwest::Method::PUT, &token, json!({"pointers": [
            {"nhs_number": a, "source_id": "rr8"}, {"nhs_number": "9432003812", "source_id": "rr8"}]}))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().starts_with("pointer 1:"),
        "{body}"
    );
    let (status, body) = s
        .send(
            reqwest::Method::PUT,
            &token,
            json!({"url": "http://evil.invalid"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
}
