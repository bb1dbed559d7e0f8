//! `/openapi.json`: it documents every API route the gateway serves, each documented
//! route answers (no 404/405 from the router), and a third-party linter accepts it.
#![allow(missing_docs)]

#[macro_use]
mod support;

use std::net::SocketAddr;
use std::path::PathBuf;

use mcr_gateway::config::Config;
use mcr_gateway::http::openapi::ROUTES;
use serde_json::Value;

#[tokio::test]
async fn the_document_lists_every_route_each_route_answers_and_the_linter_accepts_it() {
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
    let doc: Value = http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), ROUTES.len());
    for (path, methods) in ROUTES {
        let documented = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is not documented"));
        for method in *methods {
            assert!(
                documented.get(*method).is_some(),
                "{method} {path} is not documented"
            );
            // The router serves it: whatever the status, it is not the router's own 404/405.
            let url = format!("{base}{}", path.replace("{ctx}", "no-such-context"));
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let resp = http
                .request(m, &url)
                .header("Content-Type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap();
            assert!(status != 405, "{method} {path} → 405");
            assert!(
                status != 404 || body.contains("context_not_found"),
                "{method} {path} → 404 {body}"
            );
        }
    }
    server.abort();

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    if !root
        .join("node_modules/@apidevtools/swagger-parser")
        .exists()
    {
        assert!(
            std::env::var("MCR_REQUIRE_FIXTURES").as_deref() != Ok("1"),
            "the OpenAPI linter is required"
        );
        eprintln!(
            "\n*** OPENAPI LINTER NOT RUN: node_modules missing (cargo xtask test installs it) ***\n"
        );
        return;
    }
    let file = data.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = std::process::Command::new("node")
        .arg("tests/validate/openapi.mjs")
        .arg(&file)
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
