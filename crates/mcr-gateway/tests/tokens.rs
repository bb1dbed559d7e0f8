//! The negative token suite: every malformed, forged, expired or misaddressed token is
//! refused with 401 and audited; a token in a URL is a 400; keys named in token headers
//! (`jku`, `x5u`) are never fetched.
#![allow(missing_docs)]

#[macro_use]
mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use mcr_gateway::config::Config;
use mcr_sim::population::nhs_for_index;
use serde_json::{Value, json};
use sqlx::Connection;

const ISSUER: &str = "https://issuer.test";

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_token_is_refused_and_audited_and_header_keys_are_never_fetched() {
    let (good, jwk) = support::es256_key(3);
    let (attacker, attacker_jwk) = support::es256_key(5);
    let (jwks_url, _) = support::serve_json(json!({"keys": [jwk.clone()]})).await;
    let (evil_url, evil_hits) = support::serve_json(json!({"keys": [attacker_jwk]})).await;
    let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), 8)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::for_demo(data.path().into(), PathBuf::from("."), sim.gp_base_url());
    config.issuer = Some(ISSUER.into());
    config.jwks_url = Some(jwks_url);
    let (base, server) = support::spawn_gateway(config).await;
    let http = reqwest::Client::new();
    let nhs = nhs_for_index(0).as_digits();
    let claims = |extra: Value| {
        let mut c = json!({"iss": ISSUER, "aud": "mcr-gateway", "sub": "dr-x", "role": "hospital-clinician",
            "patient": nhs, "iat": now(), "nbf": now(), "exp": now() + 300});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let es256 = |kid: &str| {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(kid.into());
        h
    };
    let sign = |h: &Header, c: Value, k: &EncodingKey| encode(h, &c, k).unwrap();
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());

    // The good token works, so every refusal below is about what was changed.
    let valid = sign(&es256("k1"), claims(json!({})), &good);
    let open = |token: String| {
        let (http, base, nhs) = (http.clone(), base.clone(), nhs.clone());
        async move {
            http.post(format!("{base}/api/v1/contexts"))
                .bearer_auth(token)
                .json(&json!({"nhs_number": nhs}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(open(valid.clone()).await, 201);

    let mut flipped = valid.clone().into_bytes();
    let i = flipped.len() - 5;
    flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
    let mut with_jku = es256("evil");
    with_jku.jku = Some(evil_url.clone());
    let mut with_x5u = es256("evil");
    with_x5u.x5u = Some(evil_url.clone());
    let hs256_with_public_key = {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("k1".into());
        sign(
            &h,
            claims(json!({})),
            &EncodingKey::from_secret(jwk.to_string().as_bytes()),
        )
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(&es256("k1"), claims(json!({"exp": now() - 120})), &good),
        ),
        (
            "not yet valid",
            sign(&es256("k1"), claims(json!({"nbf": now() + 600})), &good),
        ),
        (
            "wrong issuer",
            sign(
                &es256("k1"),
                claims(json!({"iss": "https://other.test"})),
                &good,
            ),
        ),
        (
            "wrong audience",
            sign(&es256("k1"), claims(json!({"aud": "someone-else"})), &good),
        ),
        (
            "one flipped signature bit",
            String::from_utf8(flipped).unwrap(),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(json!({"alg": "none", "kid": "k1"})),
                b64(claims(json!({})))
            ),
        ),
        ("HS256 keyed with the public key", hs256_with_public_key),
        (
            "unknown kid",
            sign(&es256("nope"), claims(json!({})), &good),
        ),
        (
            "jku header naming the attacker's keys",
            sign(&with_jku, claims(json!({})), &attacker),
        ),
        (
            "x5u header naming the attacker's keys",
            sign(&with_x5u, claims(json!({})), &attacker),
        ),
        (
            "oversized",
            sign(
                &es256("k1"),
                claims(json!({"pad": "x".repeat(10_000)})),
                &good,
            ),
        ),
        (
            "missing sub",
            sign(&es256("k1"), claims(json!({"sub": null})), &good),
        ),
        (
            "missing exp",
            sign(&es256("k1"), claims(json!({"exp": null})), &good),
        ),
        ("not a JWT", "hello".into()),
    ];
    for (name, token) in &cases {
        assert_eq!(open(token.clone()).await, 401, "{name}");
    }
    assert_eq!(
        evil_hits.load(Ordering::SeqCst),
        0,
        "keys named in token headers are never fetched"
    );

    // A token in the URL is a 400 before anything else.
    let in_url = http
        .get(format!(
            "{base}/api/v1/contexts/x/record?access_token={valid}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(in_url.status(), 400);
    // A good token for another patient is a 403.
    let other = sign(
        &es256("k1"),
        claims(json!({"patient": nhs_for_index(1).as_digits()})),
        &good,
    );
    assert_eq!(open(other).await, 403);

    let path = data.path().join(mcr_gateway::store::sqlite::DB_FILE);
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let refused: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT user_id, detail FROM audit WHERE action = 'auth.refused' ORDER BY seq",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert_eq!(
        refused.len(),
        cases.len(),
        "every refusal is audited: {refused:?}"
    );
    assert!(refused.iter().all(|(u, _)| u == "unauthenticated"));
    for (_, detail) in &refused {
        assert!(
            !detail.as_deref().unwrap_or_default().contains("eyJ"),
            "no token in the audit: {detail:?}"
        );
    }
    server.abort();
}

/// A production-style token: the user id in `uid`, RBAC role codes in
/// `nhsid_nrbac_roles`, the organisation in `org_code` — read through the registry's
/// `[identity]` section; an RBAC code mapped to nothing gets nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_claim_names_and_rbac_codes_decide_who_the_user_is() {
    let (signing, jwk) = support::es256_key(7);
    let (jwks_url, _) = support::serve_json(json!({"keys": [jwk]})).await;
    let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), 8)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let registry = data.path().join("sources.toml");
    std::fs::write(
        &registry,
        support::with_one_practice(
            r#"
[identity.claims]
user_id = "uid"
role = "nhsid_nrbac_roles"
organisation = "org_code"
patient = "patient_nhs"
[identity.roles]
R8000 = "hospital-clinician"
"#,
            &sim.gp_base_url(),
        ),
    )
    .unwrap();
    let mut config = Config::for_demo(data.path().join("db"), PathBuf::from("."), String::new());
    config.sources = Some(registry);
    config.issuer = Some(ISSUER.into());
    config.jwks_url = Some(jwks_url);
    let (base, server) = support::spawn_gateway(config).await;
    let http = reqwest::Client::new();
    let nhs = nhs_for_index(0).as_digits();
    let token = |roles: Value| {
        let claims = json!({"iss": ISSUER, "aud": "mcr-gateway", "uid": "555123456789", "exp": now() + 600,
            "nhsid_nrbac_roles": roles, "org_code": "RR8", "patient_nhs": nhs});
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("k1".into());
        encode(&header, &claims, &signing).unwrap()
    };
    let clinician = token(json!(["S0080:G0450:R5080", "S8000:G8000:R8000"]));
    let ctx = support::open_context(&http, &base, &clinician, &nhs).await;
    let record = support::get_record(&http, &base, &clinician, &ctx, "application/json").await;
    assert_eq!(record.status(), 200, "R8000 maps to a hospital clinician");
    // Nothing mapped: no role, so no launch.
    let unmapped = token(json!("S0080:G0450:R5080"));
    let refused = http
        .post(format!("{base}/api/v1/contexts"))
        .bearer_auth(&unmapped)
        .json(&json!({"nhs_number": nhs}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    // The audit names the user by the configured id claim, with the mapped role.
    let path = data
        .path()
        .join("db")
        .join(mcr_gateway::store::sqlite::DB_FILE);
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let (role, org): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT user_role, org_ods FROM audit WHERE user_id = '555123456789' AND action = 'record.view'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(role.as_deref(), Some("hospital-clinician"));
    assert_eq!(org.as_deref(), Some("RR8"));
    server.abort();
}
