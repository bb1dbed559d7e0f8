//! Shared test support: throwaway stores on both backends.
//!
//! PostgreSQL tests use `MCR_TEST_DATABASE_URL` (a superuser URL; default the local
//! server's `postgres` role on 127.0.0.1:5432, database `test`). Each test gets a fresh
//! database owned by that user, plus a gateway role and a prune role with the grants
//! `mcr-gateway db grant` gives; all are dropped afterwards. When the server is
//! unreachable the tests say so loudly and pass, unless `MCR_REQUIRE_POSTGRES=1`, under
//! which they fail.
#![allow(dead_code, missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;

use mcr_gateway::store::{self, Location, Store};
use sqlx::Connection;

pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

fn admin_url() -> String {
    std::env::var("MCR_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_string())
}

/// `url` with its database (the path) replaced and, if given, its user.
fn with_db(url: &str, db: &str, user: Option<&str>) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (auth_host, _) = rest.split_once('/').unwrap_or((rest, ""));
    let host = auth_host
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(auth_host);
    let auth = match user {
        Some(u) => format!("{u}@"),
        None => auth_host
            .rsplit_once('@')
            .map(|(a, _)| format!("{a}@"))
            .unwrap_or_default(),
    };
    format!("{scheme}://{auth}{host}/{db}")
}

fn suffix() -> String {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A fresh PostgreSQL database with owner, gateway and prune URLs.
pub struct PgTestDb {
    pub owner_url: String,
    pub gateway_url: String,
    pub prune_url: String,
    name: String,
    roles: [String; 2],
}

impl PgTestDb {
    /// Creates the database and roles, applies migrations as owner, grants the roles.
    pub async fn create() -> Option<Self> {
        let admin = admin_url();
        let mut conn = match tokio::time::timeout(
            std::time::Duration::from_secs(5),
            sqlx::PgConnection::connect(&admin),
        )
        .await
        {
            Ok(Ok(c)) => c,
            other => {
                let why = match other {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".into(),
                };
                assert!(
                    std::env::var("MCR_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "PostgreSQL required (MCR_REQUIRE_POSTGRES=1) but unreachable at {admin}: {why}"
                );
                eprintln!("\n*** PostgreSQL NOT TESTED: unreachable at {admin} ({why}) ***\n");
                return None;
            }
        };
        let s = suffix();
        let name = format!("mcr_t_{s}");
        let roles = [format!("mcr_gw_{s}"), format!("mcr_pr_{s}")];
        // One statement at a time: CREATE DATABASE cannot run in a transaction block.
        for sql in [
            format!("CREATE DATABASE {name}"),
            format!("CREATE ROLE {} LOGIN", roles[0]),
            format!("CREATE ROLE {} LOGIN", roles[1]),
        ] {
            sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
        }
        let owner_url = with_db(&admin, &name, None);
        store::postgres::migrate_as_owner(&owner_url).await.unwrap();
        store::postgres::grant(&owner_url, &roles[0], Some(&roles[1]))
            .await
            .unwrap();
        Some(Self {
            gateway_url: with_db(&admin, &name, Some(&roles[0])),
            prune_url: with_db(&admin, &name, Some(&roles[1])),
            owner_url,
            name,
            roles,
        })
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let admin = admin_url();
        let statements = [
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            format!("DROP ROLE IF EXISTS {}", self.roles[0]),
            format!("DROP ROLE IF EXISTS {}", self.roles[1]),
        ];
        // Drop runs inside a test's runtime; clean up from a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    for sql in &statements {
                        let _ = sqlx::raw_sql(sql).execute(&mut c).await;
                    }
                }
            });
        })
        .join();
    }
}

/// A store under test, with raw access as the owner (to tamper) and as the gateway's
/// own role (to check what that role may do).
pub enum TestStore {
    Sqlite {
        dir: tempfile::TempDir,
        store: Arc<dyn Store>,
    },
    Postgres {
        db: PgTestDb,
        store: Arc<dyn Store>,
    },
}

impl TestStore {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = store::open(Location::DataDir(dir.path())).await.unwrap();
        TestStore::Sqlite { dir, store }
    }

    pub async fn postgres() -> Option<Self> {
        let db = PgTestDb::create().await?;
        let store = store::open(Location::Postgres(&db.gateway_url))
            .await
            .unwrap();
        Some(TestStore::Postgres { db, store })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        match self {
            TestStore::Sqlite { store, .. } | TestStore::Postgres { store, .. } => store,
        }
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match self {
            TestStore::Sqlite { dir, .. } => Some(dir.path().join(store::sqlite::DB_FILE)),
            TestStore::Postgres { .. } => None,
        }
    }

    /// Opens the same store again (another process would).
    pub async fn reopen(&self) -> Result<Arc<dyn Store>, store::StoreError> {
        match self {
            TestStore::Sqlite { dir, .. } => store::open(Location::DataDir(dir.path())).await,
            TestStore::Postgres { db, .. } => {
                store::open(Location::Postgres(&db.gateway_url)).await
            }
        }
    }

    /// The store as the prune role sees it (SQLite has no roles: the same file).
    pub async fn as_pruner(&self) -> Arc<dyn Store> {
        match self {
            TestStore::Sqlite { .. } => self.store().clone(),
            TestStore::Postgres { db, .. } => store::open(Location::Postgres(&db.prune_url))
                .await
                .unwrap(),
        }
    }

    async fn exec(
        &self,
        url_or_path: Result<String, PathBuf>,
        sql: &str,
    ) -> Result<u64, sqlx::Error> {
        match url_or_path {
            Ok(url) => {
                let mut c = sqlx::PgConnection::connect(&url).await?;
                Ok(sqlx::raw_sql(sql).execute(&mut c).await?.rows_affected())
            }
            Err(path) => {
                let mut c =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                        .await?;
                Ok(sqlx::raw_sql(sql).execute(&mut c).await?.rows_affected())
            }
        }
    }

    /// Runs SQL as the schema owner (for tampering).
    pub async fn owner_exec(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let target = match self {
            TestStore::Sqlite { .. } => Err(self.sqlite_path().unwrap()),
            TestStore::Postgres { db, .. } => Ok(db.owner_url.clone()),
        };
        self.exec(target, sql).await
    }

    /// Runs SQL as the gateway's own role.
    pub async fn gateway_exec(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let target = match self {
            TestStore::Sqlite { .. } => Err(self.sqlite_path().unwrap()),
            TestStore::Postgres { db, .. } => Ok(db.gateway_url.clone()),
        };
        self.exec(target, sql).await
    }

    /// Disables the insert-only triggers, as an attacker with owner rights could.
    pub async fn disable_audit_triggers(&self) {
        let sql = match self {
            TestStore::Sqlite { .. } => {
                "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
            }
            TestStore::Postgres { .. } => "ALTER TABLE audit DISABLE TRIGGER USER;",
        };
        self.owner_exec(sql).await.unwrap();
    }
}

/// Generates one test per backend from `async fn name(t: TestStore)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::support::TestStore::sqlite().await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(t) = $crate::support::TestStore::postgres().await {
                        super::$name(t).await;
                    }
                }
            }
        )*
    };
}

/// A demo token for `user`, launched in `nhs`'s context (none when `nhs` is empty),
/// from the gateway at `base`.
pub async fn demo_token(http: &reqwest::Client, base: &str, user: &str, nhs: &str) -> String {
    let body: serde_json::Value = http
        .post(format!("{base}/demo/token"))
        .json(&serde_json::json!({"user": user, "nhs_number": (!nhs.is_empty()).then_some(nhs)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().expect("a token").to_string()
}

/// Opens a patient context for `nhs`; returns its id.
pub async fn open_context(http: &reqwest::Client, base: &str, token: &str, nhs: &str) -> String {
    let created: serde_json::Value = http
        .post(format!("{base}/api/v1/contexts"))
        .bearer_auth(token)
        .json(&serde_json::json!({"nhs_number": nhs}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["context_id"]
        .as_str()
        .expect("a context")
        .to_string()
}

/// `GET` `url` as `token` and read the JSON body.
pub async fn get_json(
    http: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    token: &str,
) -> serde_json::Value {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Opens a context by search (a privacy officer's or social worker's) with `reason`;
/// returns its id.
pub async fn search_context(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    nhs: &str,
    reason: &str,
) -> String {
    let created: serde_json::Value = http
        .post(format!("{base}/api/v1/contexts"))
        .bearer_auth(token)
        .json(&serde_json::json!({"nhs_number": nhs, "reason": reason}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["context_id"]
        .as_str()
        .expect("a context")
        .to_string()
}

/// `GET` the record of context `ctx` with `accept`.
pub async fn get_record(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    ctx: &str,
    accept: &str,
) -> reqwest::Response {
    http.get(format!("{base}/api/v1/contexts/{ctx}/record"))
        .header("Accept", accept)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Builds and serves the gateway from `config` (port 0); returns its base URL and the
/// serving task, to abort when done.
pub async fn spawn_gateway(
    config: mcr_gateway::config::Config,
) -> (String, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let app = mcr_gateway::startup::Application::build(config)
        .await
        .unwrap();
    let base = app.base_url();
    (base, tokio::spawn(app.run_until(std::future::pending())))
}

/// A demo gateway on a temporary SQLite store (or `database_url` set by `adjust`) over a
/// simulated practice of eight patients: its base URL, the data directory, the simulator
/// and the serving task. `adjust` changes the demo configuration first.
pub async fn demo_stack(
    adjust: impl FnOnce(&mut mcr_gateway::config::Config),
) -> (
    String,
    tempfile::TempDir,
    mcr_sim::RunningSim,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let sim = mcr_sim::spawn(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), 8)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = mcr_gateway::config::Config::for_demo(
        data.path().into(),
        PathBuf::from("."),
        sim.gp_base_url(),
    );
    adjust(&mut config);
    let (base, server) = spawn_gateway(config).await;
    (base, data, sim, server)
}

/// A fixed ES256 key (from `seed`) for a test issuer, and its public JWK (`kid` "k1").
pub fn es256_key(seed: u8) -> (jsonwebtoken::EncodingKey, serde_json::Value) {
    use base64::Engine;
    use p256::pkcs8::EncodePrivateKey;
    let signing = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
    let der = signing.to_pkcs8_der().unwrap();
    let point = signing.verifying_key().to_encoded_point(false);
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let jwk = serde_json::json!({"kty": "EC", "crv": "P-256", "x": b64(point.x().unwrap()),
        "y": b64(point.y().unwrap()), "kid": "k1", "alg": "ES256", "use": "sig"});
    (jsonwebtoken::EncodingKey::from_ec_der(der.as_bytes()), jwk)
}

/// Serves `body` at `/` on a loopback port (a JWKS, say), counting requests; the
/// server stops with the test's runtime.
pub async fn serve_json(body: serde_json::Value) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            async move { axum::Json(body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

/// A registry file: `head` (policy, identity …) followed by the simulator's one practice
/// at `gp_base_url`.
pub fn with_one_practice(head: &str, gp_base_url: &str) -> String {
    format!(
        "{head}\n[[source]]\nid = \"gp-y90001\"\norganisation = \"Riverside Medical Practice\"\n\
         ods_code = \"Y90001\"\nkind = \"gp-practice\"\nprotocol = \"gpconnect-stu3\"\n\
         base_url = \"{gp_base_url}\"\n"
    )
}

/// Validates `resources` with the two third-party FHIR R4 validators
/// (`crates/mcr-sim/validate/r4.mjs`: @medplum/core and the R4 JSON schema), one file
/// each, and fails with their report. Without `node_modules` it fails under
/// `MCR_REQUIRE_FIXTURES=1` (as CI runs) and otherwise says loudly that it did not run.
pub fn validate_r4(resources: &[serde_json::Value]) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    if !root.join("node_modules/@medplum/core").exists() {
        assert!(
            std::env::var("MCR_REQUIRE_FIXTURES").as_deref() != Ok("1"),
            "the FHIR validators are required (run cargo xtask test, which installs them)"
        );
        eprintln!(
            "\n*** FHIR VALIDATORS NOT RUN: node_modules missing (cargo xtask test installs them) ***\n"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("r4")).unwrap();
    for (i, resource) in resources.iter().enumerate() {
        std::fs::write(
            dir.path().join(format!("r4/resource-{i:04}.json")),
            resource.to_string(),
        )
        .unwrap();
    }
    let out = std::process::Command::new("node")
        .arg("crates/mcr-sim/validate/r4.mjs")
        .arg(dir.path())
        .current_dir(&root)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}");
    assert!(
        out.status.success(),
        "validators reported:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
