//! What browsers are told: a strict Content-Security-Policy with `frame-ancestors` for
//! the configured host origins, `nosniff` and no referrer on every response, HSTS only
//! when configured, and CORS answered for the configured host origins and no others.
#![allow(missing_docs)]

mod support;

use std::path::PathBuf;

use mcr_gateway::config::Config;

const HOST: &str = "http://127.0.0.1:9443";

async fn gateway(config: impl FnOnce(&mut Config)) -> (String, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let mut c = Config::for_demo(
        data.path().into(),
        PathBuf::from("."),
        "http://127.0.0.1:9/gp".into(),
    );
    config(&mut c);
    let (base, _server) = support::spawn_gateway(c).await;
    (base, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_api_carry_the_security_headers_and_cors_answers_only_host_origins() {
    let (base, _data) = gateway(|c| c.allowed_origins = vec![format!("{HOST}/")]).await;
    let http = reqwest::Client::new();
    for path in ["/", "/healthz", "/openapi.json", "/www/portal.html"] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(
            csp.ends_with(&format!("frame-ancestors 'self' {HOST}")),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS without TLS"
        );
    }

    // The preflight a host EPR's page makes before posting with a bearer token.
    let preflight = |origin: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            http.request(reqwest::Method::OPTIONS, format!("{base}/api/v1/contexts"))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header(
                    "Access-Control-Request-Headers",
                    "authorization, content-type",
                )
                .send()
                .await
                .unwrap()
        }
    };
    let allowed = preflight(HOST).await;
    assert!(allowed.status().is_success());
    assert_eq!(allowed.headers()["access-control-allow-origin"], HOST);
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("idempotency-key"),
        "{headers}"
    );
    assert!(
        allowed
            .headers()
            .get("access-control-allow-credentials")
            .is_none(),
        "bearer tokens only"
    );
    let other = preflight("https://evil.example").await;
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // A simple cross-origin GET from the host gets the header; from anyone else, not.
    let r = http
        .get(format!("{base}/healthz"))
        .header("Origin", HOST)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], HOST);
    let r = http
        .get(format!("{base}/healthz"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_host_origins_nothing_cross_origin_is_allowed_and_hsts_follows_its_flag() {
    let (base, _data) = gateway(|c| c.hsts = true).await;
    let r = reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .header("Origin", HOST)
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .ends_with("frame-ancestors 'self'")
    );
    assert_eq!(
        r.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wildcard_or_malformed_host_origin_stops_start_up_with_a_clear_message() {
    let data = tempfile::tempdir().unwrap();
    let mut c = Config::for_demo(
        data.path().into(),
        PathBuf::from("."),
        "http://127.0.0.1:9/gp".into(),
    );
    c.allowed_origins = vec!["https://*.nhs.uk".into()];
    let err = mcr_gateway::startup::Application::build(c)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("no path or wildcard"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_has_a_fresh_request_id_and_its_audit_rows_carry_it() {
    let (base, data, _sim, _server) = support::demo_stack(|_| {}).await;
    let http = reqwest::Client::new();
    let id_of = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_string();
    // A client's own id is neither trusted nor echoed.
    let a = http
        .get(format!("{base}/healthz"))
        .header("X-Request-Id", "forged-by-the-client")
        .send()
        .await
        .unwrap();
    let b = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(id_of(&a).len(), 32);
    assert_ne!(id_of(&a), "forged-by-the-client");
    assert_ne!(id_of(&a), id_of(&b));
    // Refusals carry one too.
    let refused = http
        .get(format!("{base}/api/v1/contexts/x/record"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(id_of(&refused).len(), 32);

    let nhs = mcr_sim::population::nhs_for_index(0).as_digits();
    let token = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
    let ctx = support::open_context(&http, &base, &token, &nhs).await;
    let record = support::get_record(&http, &base, &token, &ctx, "application/x-ndjson").await;
    let id = id_of(&record);
    let _ = record.text().await.unwrap();
    let store = mcr_gateway::store::open(mcr_gateway::store::Location::DataDir(data.path()))
        .await
        .unwrap();
    let rows = store.audit_rows(0, 1_000).await.unwrap();
    let of_view: Vec<&str> = rows
        .iter()
        .filter(|r| r.fields.request_id.as_deref() == Some(id.as_str()))
        .map(|r| r.fields.action.as_str())
        .collect();
    assert_eq!(of_view.first(), Some(&"record.view"), "{of_view:?}");
    assert!(
        of_view[1..].iter().all(|a| *a == "record.source") && of_view.len() >= 2,
        "{of_view:?}"
    );
    // The unauthenticated refusal is on record under its id as well.
    assert!(rows.iter().any(|r| r.fields.action == "auth.refused"
        && r.fields.request_id.as_deref() == Some(id_of(&refused).as_str())));
    // And the chain still verifies with the new column.
    assert!(
        mcr_gateway::audit::verify::verify(store.as_ref())
            .await
            .is_ok()
    );
}
