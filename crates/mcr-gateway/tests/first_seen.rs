//! A simulated provider tells the gateway's locator of a patient when it first sees
//! them — here, the first time it is asked about a patient it holds — without a bulk
//! publish having told it (issue 5, item 2): the pointer arrives signed with the
//! provider's key, once, and the next record view asks that provider.
#![allow(missing_docs)]

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mcr_gateway::config::Config;
use mcr_gateway::store;
use mcr_model::Record;
use mcr_sim::organisations::PROVIDERS;
use mcr_sim::publisher::registry_id;
use serde_json::json;
use sqlx::Connection;

/// The sources with a pointer to `nhs` in the gateway's SQLite store, with their times.
async fn pointers(data: &std::path::Path, nhs: &str) -> Vec<(String, i64)> {
    let path = data.join("db").join(store::sqlite::DB_FILE);
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let found = sqlx::query_as(
        "SELECT source_id, updated_ms FROM locator_pointers WHERE nhs_number = $1 ORDER BY source_id",
    )
    .bind(nhs)
    .fetch_all(&mut db)
    .await
    .unwrap();
    db.close().await.unwrap();
    found
}

/// Asks provider `ods` for the patient with `nhs`, as any system of the region may;
/// returns how many patients it found.
async fn ask_provider(
    http: &reqwest::Client,
    sim: &mcr_sim::RunningSim,
    ods: &str,
    nhs: &str,
) -> usize {
    let bundle: serde_json::Value = http
        .post(format!("{}/Patient/_search", sim.r4_url(ods)))
        .form(&[(
            "identifier",
            format!("https://fhir.nhs.uk/Id/nhs-number|{nhs}"),
        )])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    bundle["entry"].as_array().map_or(0, Vec::len)
}

/// A simulator over 2,000 patients and a gateway whose registry names its sources:
/// (simulator, gateway base URL, data directory, serving task).
async fn region() -> (
    mcr_sim::RunningSim,
    String,
    tempfile::TempDir,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let sim = mcr_sim::start(mcr_sim::SimConfig {
        patients: 2_000,
        ..Default::default()
    })
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let registry = data.path().join("sources.toml");
    std::fs::write(
        &registry,
        mcr_sim::gateway_registry::registry_toml(&sim, 8_000),
    )
    .unwrap();
    let mut config = Config::for_demo(data.path().join("db"), PathBuf::from("."), String::new());
    config.sources = Some(registry);
    let (base, server) = support::spawn_gateway(config).await;
    (sim, base, data, server)
}

/// A living, consenting patient held by exactly two providers.
fn patient_with_two_providers(sim: &mcr_sim::RunningSim) -> mcr_sim::population::Patient {
    let population = &sim.state.population;
    (0..population.len())
        .filter_map(|i| population.patient(i))
        .find(|p| p.providers.len() == 2 && !p.dissented && p.deceased.is_none() && !p.huge_record)
        .expect("such a patient")
}

#[tokio::test]
async fn a_provider_asked_about_a_patient_it_holds_tells_the_locator_once() {
    let (sim, base, data, server) = region().await;
    let http = reqwest::Client::new();

    // A patient held by two providers, and a provider not holding them.
    let patient = patient_with_two_providers(&sim);
    let nhs = patient.nhs_number.as_digits();
    let (asked, other) = (
        PROVIDERS[patient.providers[0]],
        PROVIDERS[patient.providers[1]],
    );
    let stranger = PROVIDERS
        .iter()
        .find(|p| !patient.providers.iter().any(|i| PROVIDERS[*i].ods == p.ods))
        .expect("a provider not holding the patient");

    // Asked before any locator is known: nothing to tell anyone.
    assert_eq!(ask_provider(&http, &sim, asked.ods, &nhs).await, 1);
    let set = http
        .put(format!("{}/locator", sim.control_url()))
        .json(&json!({"locator_url": base}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 204);
    assert!(pointers(data.path(), &nhs).await.is_empty());

    // Asked now, the provider tells the locator; one not holding the patient does not.
    assert_eq!(ask_provider(&http, &sim, stranger.ods, &nhs).await, 0);
    assert_eq!(ask_provider(&http, &sim, asked.ods, &nhs).await, 1);
    let waited = Instant::now();
    let told = loop {
        let found = pointers(data.path(), &nhs).await;
        if !found.is_empty() || waited.elapsed() > Duration::from_secs(10) {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].0, registry_id(asked.ods));

    // Asked again, it does not tell again (the pointer's time is unchanged).
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(ask_provider(&http, &sim, asked.ods, &nhs).await, 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(pointers(data.path(), &nhs).await, told);

    // The next view asks the provider that told, and not the one that has not.
    let token = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
    let ctx = support::open_context(&http, &base, &token, &nhs).await;
    let resp = support::get_record(&http, &base, &token, &ctx, "application/json").await;
    assert_eq!(resp.status(), 200);
    let record: Record = resp.json().await.unwrap();
    let located: Vec<&str> = record.located.iter().map(|s| s.id.as_str()).collect();
    assert!(
        located.contains(&registry_id(asked.ods).as_str()),
        "{located:?}"
    );
    assert!(
        !located.contains(&registry_id(other.ods).as_str()),
        "{located:?}"
    );
    server.abort();
}

#[tokio::test]
async fn after_a_complete_bulk_publish_a_provider_asked_about_a_patient_tells_nothing_more() {
    let (sim, base, data, server) = region().await;
    let http = reqwest::Client::new();
    let published = mcr_sim::publisher::publish_all(&sim.state, &base).await;
    assert!(published.failures.is_empty(), "{published:?}");
    let patient = patient_with_two_providers(&sim);
    let nhs = patient.nhs_number.as_digits();
    let bulk = pointers(data.path(), &nhs).await;
    assert_eq!(bulk.len(), 2, "{bulk:?}");

    tokio::time::sleep(Duration::from_millis(5)).await;
    let asked = PROVIDERS[patient.providers[0]];
    assert_eq!(ask_provider(&http, &sim, asked.ods, &nhs).await, 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Not refreshed: the bulk run's times stand.
    assert_eq!(pointers(data.path(), &nhs).await, bulk);
    server.abort();
}
