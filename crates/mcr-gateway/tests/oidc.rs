//! The demo identity provider's OpenID Connect flow over HTTP: discovery, the sign-in
//! page refusing requests without PKCE or with a foreign redirect URI, a code sent back
//! with the state, exchanged once and only with the right verifier, for a token the
//! gateway accepts like any other.
#![allow(missing_docs)]

mod support;

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine;
use mcr_gateway::config::Config;
use serde_json::Value;
use sha2::Digest;

const VERIFIER: &str = "a-demo-code-verifier-that-is-long-enough-for-pkce-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_signs_in_with_authorisation_code_and_pkce() {
    let data = tempfile::tempdir().unwrap();
    let (base, _server) = support::spawn_gateway(Config::for_demo(
        data.path().into(),
        PathBuf::from("."),
        "http://127.0.0.1:9/gp".into(),
    ))
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The portal learns where to sign in from the gateway: the issuer it trusts.
    let portal: Value = http
        .get(format!("{base}/api/v1/portal-config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(portal["issuer"], format!("{base}/demo"));
    assert_eq!(portal["client_id"], "mcr-portal");
    let meta: Value = http
        .get(format!("{base}/demo/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], format!("{base}/demo"));
    assert_eq!(
        meta["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let authorize = meta["authorization_endpoint"].as_str().unwrap().to_string();
    let token_url = meta["token_endpoint"].as_str().unwrap().to_string();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(VERIFIER.as_bytes()));
    let redirect = format!("{base}/www/portal.html");
    let params = |overrides: &[(&str, &str)]| {
        let mut p: HashMap<String, String> = [
            ("response_type", "code"),
            ("client_id", "mcr-portal"),
            ("redirect_uri", redirect.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", "xyz"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in overrides {
            p.insert(k.to_string(), v.to_string());
        }
        p
    };
    let with_query = |p: &HashMap<String, String>| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.extend_pairs(p.iter());
        format!("{authorize}?{}", q.finish())
    };
    // The sign-in page: only with PKCE, and only back to this gateway's own pages.
    let page = http.get(with_query(&params(&[]))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("form-action 'self'")
    );
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(r#"value="social-worker""#)
    );
    for bad in [
        params(&[("code_challenge_method", "plain")]),
        params(&[("redirect_uri", "https://evil.example/www/portal.html")]),
        params(&[("code_challenge", "short")]),
        params(&[("response_type", "token")]),
    ] {
        let r = http.get(with_query(&bad)).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad:?}");
    }
    // Choosing a user sends a code back to the page, with the state.
    let mut form = params(&[]);
    form.insert("user".into(), "privacy-officer".into());
    let back = http.post(&authorize).form(&form).send().await.unwrap();
    assert!(back.status().is_redirection());
    let location = back.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{redirect}?code=")) && location.ends_with("&state=xyz"),
        "{location}"
    );
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let exchange = |verifier: &str| {
        let (http, token_url, redirect, code) = (
            http.clone(),
            token_url.clone(),
            redirect.clone(),
            code.clone(),
        );
        let verifier = verifier.to_string();
        async move {
            http.post(token_url)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", redirect.as_str()),
                    ("client_id", "mcr-portal"),
                    ("code_verifier", verifier.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // A wrong verifier spends the code: an intercepted code is useless.
    let wrong = exchange("an-attackers-guess-at-the-verifier-which-is-long-enough-too").await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["code"],
        "invalid_grant"
    );
    let again = exchange(VERIFIER).await;
    assert_eq!(
        again.status(),
        400,
        "single use, even after a failed attempt"
    );

    // A fresh code, the right verifier: tokens the gateway accepts.
    let back = http.post(&authorize).form(&form).send().await.unwrap();
    let location = back.headers()["location"].to_str().unwrap().to_string();
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let tokens: Value = http
        .post(&token_url)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("client_id", "mcr-portal"),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(tokens["id_token"].is_string());
    let access = tokens["access_token"].as_str().unwrap();
    let reviews = http
        .get(format!("{base}/api/v1/break-glass"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        reviews.status(),
        200,
        "a privacy officer's token from the code flow"
    );
}
