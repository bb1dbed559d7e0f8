//! Locator lookups with a region's worth of pointers: 2 million patients × 3 providers'
//! pointers loaded through the gateway's own store (`Store::put_pointers`, the code the
//! `PUT /api/v1/locator/pointers` endpoint runs), then the gateway's real lookup
//! (`Locator::pointer_sources`, which the record view calls first) timed for random
//! patients beside a bare indexed `SELECT` of the same rows over a plain sqlx
//! connection to the same database, interleaved one for one so both see the same
//! machine. One client, one lookup at a time: the figures are latencies.
//!
//! The budget (issue 5) is a lookup under 1 ms; it is reported as met when the real
//! lookup's p99 is under it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mcr_gateway::locator::Locator;
use mcr_gateway::registry::{Protocol, Registry, RegistryFile, SourceConfig};
use mcr_gateway::store::{self, Location, Pointer, Store};
use mcr_model::SourceKind;
use sqlx::Connection;

use crate::pg::BenchDb;

/// The providers every patient has a pointer from (the simulator's first three).
const SOURCES: [&str; 3] = ["rr8", "rae", "rcd"];
/// Pointers per `put_pointers` call (one transaction each) while loading.
const LOAD_BATCH: usize = 30_000;
/// The lookup budget.
pub const BUDGET_MS: f64 = 1.0;

/// Latencies of one way of looking pointers up.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Latencies {
    /// Lookups timed.
    pub lookups: usize,
    /// Lookups per second of time spent in them (one client).
    pub per_s: f64,
    /// Median latency (µs).
    pub p50_us: f64,
    /// 99th percentile latency (µs).
    pub p99_us: f64,
}

/// One backend's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LocatorRun {
    /// `SQLite` or `PostgreSQL`.
    pub backend: &'static str,
    /// Patients with pointers.
    pub patients: usize,
    /// Pointers stored.
    pub pointers: u64,
    /// Pointers per second while loading through `put_pointers` (setup, not a target).
    pub load_per_s: f64,
    /// The gateway's `Locator::pointer_sources`.
    pub gateway: Latencies,
    /// A bare `SELECT … WHERE nhs_number = $1` on the primary key's index.
    pub bare: Latencies,
}

impl LocatorRun {
    /// Whether the gateway's p99 is under the budget.
    pub fn budget_met(&self) -> bool {
        self.gateway.p99_us < BUDGET_MS * 1000.0
    }
}

/// A plain sqlx connection to the same database, for the baseline.
enum Bare {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

const BARE_SELECT: &str =
    "SELECT nhs_number, source_id, updated_ms FROM locator_pointers WHERE nhs_number = $1";

impl Bare {
    async fn lookup(&mut self, nhs: &str) -> anyhow::Result<usize> {
        Ok(match self {
            Bare::Sqlite(c) => sqlx::query_as::<_, (String, String, i64)>(BARE_SELECT)
                .bind(nhs)
                .fetch_all(c)
                .await?
                .len(),
            Bare::Postgres(c) => sqlx::query_as::<_, (String, String, i64)>(BARE_SELECT)
                .bind(nhs)
                .fetch_all(c)
                .await?
                .len(),
        })
    }

    async fn close(self) {
        let _ = match self {
            Bare::Sqlite(c) => c.close().await,
            Bare::Postgres(c) => c.close().await,
        };
    }
}

/// Runs the suite on SQLite and (if reachable) PostgreSQL with `patients` patients,
/// timing lookups for `duration` on each.
pub async fn run(duration: Duration, patients: usize) -> anyhow::Result<Vec<LocatorRun>> {
    let mut runs = Vec::new();
    let dir = tempfile::tempdir()?;
    let store = store::open(Location::DataDir(dir.path())).await?;
    let load_per_s = load(store.clone(), patients, 1).await?;
    let path = dir.path().join(store::sqlite::DB_FILE);
    let bare = Bare::Sqlite(
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await?,
    );
    let run = measure("SQLite", store, bare, patients, load_per_s, duration).await?;
    println!("locator, SQLite: {run:?}");
    runs.push(run);

    if let Some(db) = BenchDb::create().await {
        let measured = async {
            let store = store::open(Location::Postgres(&db.url)).await?;
            let load_per_s = load(store.clone(), patients, 3).await?;
            let mut bare = sqlx::PgConnection::connect(&db.url).await?;
            // What autovacuum would do after a bulk load, before anyone looks up.
            sqlx::raw_sql("VACUUM ANALYZE locator_pointers")
                .execute(&mut bare)
                .await?;
            let bare = Bare::Postgres(bare);
            measure("PostgreSQL", store, bare, patients, load_per_s, duration).await
        }
        .await;
        // The whole database goes, whatever happened: the tables the suite made with it.
        db.drop_now().await;
        let run = measured?;
        println!("locator, PostgreSQL: {run:?}");
        runs.push(run);
    }
    Ok(runs)
}

/// Loads `SOURCES.len()` pointers for each of `patients` patients through the store,
/// `parallel` transactions at a time; returns pointers per second.
async fn load(store: Arc<dyn Store>, patients: usize, parallel: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let updated_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let per_batch = LOAD_BATCH / SOURCES.len();
    let mut batches = futures_util::stream::iter((0..patients).step_by(per_batch))
        .map(|first| {
            let store = store.clone();
            async move {
                let batch: Vec<Pointer> = (first..(first + per_batch).min(patients))
                    .flat_map(|i| {
                        let nhs = mcr_sim::population::nhs_for_index(i).as_digits();
                        SOURCES.iter().map(move |s| Pointer {
                            nhs_number: nhs.clone(),
                            source_id: (*s).into(),
                            updated_ms,
                        })
                    })
                    .collect();
                store.put_pointers(&batch).await
            }
        })
        .buffer_unordered(parallel);
    while let Some(done) = batches.next().await {
        done?;
    }
    Ok((patients * SOURCES.len()) as f64 / started.elapsed().as_secs_f64())
}

/// A registry naming the pointers' sources (never asked: a lookup makes no request).
fn registry() -> anyhow::Result<Registry> {
    let sources = SOURCES
        .iter()
        .map(|id| SourceConfig {
            id: (*id).into(),
            organisation: format!("Provider {id}"),
            ods_code: id.to_ascii_uppercase(),
            kind: SourceKind::AcuteTrust,
            protocol: Protocol::FhirR4,
            base_url: format!("http://127.0.0.1:9/r4/{}", id.to_ascii_uppercase()),
            deadline_ms: 8_000,
            concurrency: 32,
            publisher_jwks_url: None,
            publisher_public_key_pem: None,
        })
        .collect();
    Registry::new(RegistryFile {
        sources,
        ..Default::default()
    })
    .map_err(anyhow::Error::msg)
}

/// Times the gateway's lookup and the bare `SELECT` alternately for random patients
/// (a different one for each, so neither reads pages the other has just warmed).
async fn measure(
    backend: &'static str,
    store: Arc<dyn Store>,
    mut bare: Bare,
    patients: usize,
    load_per_s: f64,
    duration: Duration,
) -> anyhow::Result<LocatorRun> {
    let locator = Locator::new(Arc::new(registry()?), store, reqwest::Client::new());
    let mut seed = [0u8; 8];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut rng = mcr_sim::rng::Rng::new(u64::from_le_bytes(seed), 0, 0);
    let mut random_patient =
        || mcr_sim::population::nhs_for_index(rng.below(patients as u64) as usize);
    let (mut gateway, mut baseline) = (Vec::new(), Vec::new());
    let started = Instant::now();
    while started.elapsed() < duration {
        let nhs = random_patient();
        let t = Instant::now();
        let found = locator
            .pointer_sources(&nhs)
            .await
            .map_err(|e| anyhow::anyhow!("lookup failed: {e:?}"))?;
        gateway.push(t.elapsed());
        anyhow::ensure!(
            found.len() == SOURCES.len(),
            "the gateway found {} sources",
            found.len()
        );

        let digits = random_patient().as_digits();
        let t = Instant::now();
        let rows = bare.lookup(&digits).await?;
        baseline.push(t.elapsed());
        anyhow::ensure!(rows == SOURCES.len(), "the bare select found {rows} rows");
    }
    bare.close().await;
    Ok(LocatorRun {
        backend,
        patients,
        pointers: (patients * SOURCES.len()) as u64,
        load_per_s,
        gateway: latencies(gateway),
        bare: latencies(baseline),
    })
}

fn latencies(mut times: Vec<Duration>) -> Latencies {
    times.sort();
    let total: f64 = times.iter().map(Duration::as_secs_f64).sum();
    let at = |p: f64| {
        times
            .get(((times.len().saturating_sub(1)) as f64 * p).round() as usize)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
    };
    Latencies {
        lookups: times.len(),
        per_s: times.len() as f64 / total,
        p50_us: at(0.5),
        p99_us: at(0.99),
    }
}

/// BENCHMARKS.md's section under `heading`.
pub fn markdown(heading: &str, runs: &[LocatorRun]) -> String {
    let mut md = format!(
        "{heading}\n\n| backend | pointers | gateway lookups/s | gateway p50 / p99 µs | bare SELECT/s | bare p50 / p99 µs | ratio (lookups/s) | lookup under {BUDGET_MS} ms (p99) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
    );
    for r in runs {
        md.push_str(&format!(
            "| {} | {} patients × {} = {} | {:.0} | {:.0} / {:.0} | {:.0} | {:.0} / {:.0} | {:.2}× | {} |\n",
            r.backend,
            crate::thousands(r.patients as u64),
            SOURCES.len(),
            crate::thousands(r.pointers),
            r.gateway.per_s,
            r.gateway.p50_us,
            r.gateway.p99_us,
            r.bare.per_s,
            r.bare.p50_us,
            r.bare.p99_us,
            r.gateway.per_s / r.bare.per_s,
            if r.budget_met() { "met" } else { "missed" },
        ));
    }
    md.push_str(&format!(
        "\nThe pointers are loaded through the gateway's own `Store::put_pointers` (the code behind \
         `PUT /api/v1/locator/pointers`; {}); then, one lookup at a time for random patients, the \
         gateway's `Locator::pointer_sources` (the store query through the sqlx `Any` pool, mapped to \
         registry sources — what a record view does first) alternates with a bare `SELECT nhs_number, \
         source_id, updated_ms FROM locator_pointers WHERE nhs_number = $1` over a plain sqlx connection \
         to the same database. Lookups/s is per client (the inverse of the mean latency). PostgreSQL is \
         the local server over loopback, vacuumed and analysed after the load. On a shared machine the \
         p99 is mostly scheduling: read it beside the bare SELECT's p99 in the same row.\n",
        runs.iter()
            .map(|r| format!(
                "{} loaded {} pointers/s",
                r.backend,
                crate::thousands(r.load_per_s as u64)
            ))
            .collect::<Vec<_>>()
            .join(", "),
    ));
    md
}
