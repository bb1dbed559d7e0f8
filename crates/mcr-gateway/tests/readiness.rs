//! When the database goes away the gateway reports not-ready and refuses the record
//! with a 503 — it never serves patient data it could not audit.
#![allow(missing_docs)]

#[macro_use]
mod support;

use std::net::SocketAddr;
use std::path::PathBuf;

use mcr_gateway::config::Config;
use mcr_sim::population::nhs_for_index;
use sqlx::Connection;
use support::PgTestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_whose_database_is_gone_is_not_ready_and_serves_no_data() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), 8)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::for_demo(
        data.path().to_path_buf(),
        PathBuf::from("."),
        sim.gp_base_url(),
    );
    config.database_url = Some(db.gateway_url.clone());
    let (base, server) = support::spawn_gateway(config).await;
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let nhs = nhs_for_index(0).as_digits();
    let token = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
    let token = token.as_str();
    let ctx = support::open_context(&http, &base, token, &nhs).await;

    // The database disappears under the running gateway.
    let admin =
        std::env::var("MCR_TEST_DATABASE_URL").unwrap_or_else(|_| support::DEFAULT_PG.to_string());
    let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
    let name = db.owner_url.rsplit('/').next().unwrap().to_string();
    sqlx::raw_sql(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut c)
        .await
        .unwrap();

    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let resp = support::get_record(&http, &base, token, &ctx, "application/json").await;
    assert_eq!(resp.status(), 503);
    let body = resp.text().await.unwrap();
    let family = mcr_sim::population::Population::new(8)
        .patient(0)
        .unwrap()
        .family;
    assert!(
        !body.contains(family) && !body.contains(&nhs),
        "no patient data in {body}"
    );
    server.abort();
}
