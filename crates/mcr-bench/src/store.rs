//! Store benchmarks: audited record views per second through the whole gateway, audit
//! rows per second through the group-commit writer, and — the baseline — a bare sqlx
//! loop inserting and committing rows of the same size, one at a time, on the same
//! engine in the same run.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mcr_gateway::audit::AuditLog;
use mcr_gateway::config::Config;
use mcr_gateway::startup::Application;
use mcr_gateway::store::{self, AuditFields, Location, Store};
use sqlx::Connection;

use crate::Figure;
use crate::pg::BenchDb;

/// Concurrent viewers / writers.
const CLIENTS: usize = 64;

fn audit_fields(i: u64) -> AuditFields {
    AuditFields {
        at: mcr_gateway::time_fmt::now_audit(),
        user_id: format!("user-{:04}", i % 1000),
        user_role: Some("hospital-clinician".into()),
        org_ods: Some("Y91001".into()),
        nhs_number: Some("9990000018".into()),
        context_id: Some("x".repeat(43)),
        action: "record.view".into(),
        outcome: "allowed".into(),
        detail: Some("gp-y90001: answered".into()),
        checkpoint_seq: None,
        checkpoint_hash: None,
        request_id: None,
        client_addr: None,
    }
}

/// Runs every store measure on SQLite and (if reachable) PostgreSQL.
pub async fn run(duration: Duration, root: &Path) -> anyhow::Result<Vec<Figure>> {
    let mut figures = Vec::new();
    let dir = tempfile::tempdir()?;
    let bare = bare_sqlite(&dir.path().join("bare.sqlite"), duration).await?;
    println!("bare sqlx insert+commit loop, SQLite: {bare:.0}/s");
    let baseline = Some(("bare sqlx insert+commit loop".to_string(), bare));
    let views = audited_views(None, root, duration).await?;
    println!("audited views, SQLite: {views:.0}/s");
    figures.push(Figure {
        name: format!("audited record views ({CLIENTS} clients, HTTP)"),
        backend: "SQLite",
        per_second: views,
        baseline: baseline.clone(),
    });
    let store = store::open(Location::DataDir(&dir.path().join("group"))).await?;
    let rows = group_commit(store, duration).await?;
    figures.push(Figure {
        name: format!("audit rows through group commit ({CLIENTS} writers)"),
        backend: "SQLite",
        per_second: rows,
        baseline,
    });

    if let Some(db) = BenchDb::create().await {
        let bare = bare_postgres(&db.url, duration).await?;
        println!("bare sqlx insert+commit loop, PostgreSQL: {bare:.0}/s");
        let baseline = Some(("bare sqlx insert+commit loop".to_string(), bare));
        let views = audited_views(Some(&db.url), root, duration).await?;
        println!("audited views, PostgreSQL: {views:.0}/s");
        figures.push(Figure {
            name: format!("audited record views ({CLIENTS} clients, HTTP)"),
            backend: "PostgreSQL",
            per_second: views,
            baseline: baseline.clone(),
        });
        let store = store::open(Location::Postgres(&db.url)).await?;
        let rows = group_commit(store, duration).await?;
        figures.push(Figure {
            name: format!("audit rows through group commit ({CLIENTS} writers)"),
            backend: "PostgreSQL",
            per_second: rows,
            baseline,
        });
        db.drop_now().await;
    }
    Ok(figures)
}

/// Record views per second through the real gateway over loopback HTTP.
async fn audited_views(
    database_url: Option<&str>,
    root: &Path,
    duration: Duration,
) -> anyhow::Result<f64> {
    let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), 8).await?;
    let data = tempfile::tempdir()?;
    let mut config = Config::for_demo(
        data.path().to_path_buf(),
        root.to_path_buf(),
        sim.gp_base_url(),
    );
    config.database_url = database_url.map(str::to_string);
    let app = Application::build(config).await?;
    let base = app.base_url();
    let server = tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let nhs = mcr_sim::population::nhs_for_index(0).as_digits();
    let token = crate::client::demo_token(&http, &base, &nhs).await?;
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (http, base, token, nhs, done) = (
            http.clone(),
            base.clone(),
            token.clone(),
            nhs.clone(),
            done.clone(),
        );
        clients.push(tokio::spawn(async move {
            let ctx = crate::client::open_context(&http, &base, &token, &nhs).await?;
            let url = format!("{base}/api/v1/contexts/{ctx}/record");
            while Instant::now() < deadline {
                let resp = http.get(&url).bearer_auth(&token).send().await?;
                anyhow::ensure!(resp.status() == 200, "view failed: {}", resp.status());
                resp.bytes().await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    let started = Instant::now();
    for c in clients {
        c.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    server.abort();
    Ok(done.load(Ordering::Relaxed) as f64 / elapsed)
}

/// Audit rows per second appended by many writers through the group-commit writer.
pub(crate) async fn group_commit(store: Arc<dyn Store>, duration: Duration) -> anyhow::Result<f64> {
    let log = AuditLog::start(store);
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut writers = Vec::new();
    for w in 0..CLIENTS as u64 {
        let (log, done) = (log.clone(), done.clone());
        writers.push(tokio::spawn(async move {
            let mut i = w;
            while Instant::now() < deadline {
                log.append(audit_fields(i))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                done.fetch_add(1, Ordering::Relaxed);
                i += CLIENTS as u64;
            }
            anyhow::Ok(())
        }));
    }
    for w in writers {
        w.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

const BARE_TABLE: &str = "CREATE TABLE bare (seq BIGINT PRIMARY KEY, at TEXT, user_id TEXT, user_role TEXT, \
    org_ods TEXT, nhs_number TEXT, context_id TEXT, action TEXT, outcome TEXT, detail TEXT, prev_hash TEXT, hash TEXT)";

/// Inserts and commits rows of the audit row's size one at a time for `duration`
/// (a macro because the loop is the same for both engines' connection types).
macro_rules! bare_loop_body {
    ($conn:expr, $duration:expr) => {{
        let hash = "0".repeat(64);
        let started = Instant::now();
        let mut seq: i64 = 0;
        while started.elapsed() < $duration {
            seq += 1;
            let f = audit_fields(seq as u64);
            sqlx::query(
                "INSERT INTO bare VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(seq)
            .bind(&f.at)
            .bind(&f.user_id)
            .bind(&f.user_role)
            .bind(&f.org_ods)
            .bind(&f.nhs_number)
            .bind(&f.context_id)
            .bind(&f.action)
            .bind(&f.outcome)
            .bind(&f.detail)
            .bind(&hash)
            .bind(&hash)
            .execute(&mut *$conn)
            .await?;
        }
        Ok(seq as f64 / started.elapsed().as_secs_f64())
    }};
}

async fn bare_sqlite(path: &Path, duration: Duration) -> anyhow::Result<f64> {
    let mut conn =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", path.display())).await?;
    // The same durability settings as the store.
    sqlx::raw_sql("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .execute(&mut conn)
        .await?;
    sqlx::raw_sql(BARE_TABLE).execute(&mut conn).await?;
    bare_loop_body!(&mut conn, duration)
}

async fn bare_postgres(url: &str, duration: Duration) -> anyhow::Result<f64> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::raw_sql(BARE_TABLE).execute(&mut conn).await?;
    bare_loop_body!(&mut conn, duration)
}
