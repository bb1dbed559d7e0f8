//! Gateway configuration, from command-line flags or `MCR_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// How long a break-glass grant lasts unless configured: four hours.
pub const DEFAULT_BREAK_GLASS_MINUTES: u32 = 240;

/// Everything the gateway needs to start.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on (port 0 lets the OS choose).
    #[arg(long, env = "MCR_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Directory for the embedded SQLite database; created on first run.
    #[arg(long, env = "MCR_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// PostgreSQL URL (the gateway's own role). Without it, SQLite in `--data-dir`.
    #[arg(long, env = "MCR_DATABASE_URL")]
    pub database_url: Option<String>,
    /// PostgreSQL URL of the schema owner, used only to apply migrations at start.
    #[arg(long, env = "MCR_MIGRATE_DATABASE_URL")]
    pub migrate_database_url: Option<String>,
    /// Directory holding `index.html`, `www/` and `pkg/`.
    #[arg(long, env = "MCR_STATIC_ROOT", default_value = ".")]
    pub static_root: PathBuf,
    /// Demo mode: enables the demo identity provider (`POST /demo/token`). Loopback only.
    #[arg(long, env = "MCR_DEMO")]
    pub demo: bool,
    /// Trusted token issuer (`iss`). In demo mode defaults to the gateway's own demo issuer.
    #[arg(long, env = "MCR_ISSUER")]
    pub issuer: Option<String>,
    /// JWKS URL of the trusted issuer. In demo mode defaults to the demo issuer's JWKS.
    #[arg(long, env = "MCR_JWKS_URL")]
    pub jwks_url: Option<String>,
    /// Audience (`aud`) tokens must name.
    #[arg(long, env = "MCR_AUDIENCE", default_value = "mcr-gateway")]
    pub audience: String,
    /// The source registry (TOML; see `registry.rs`). Without it, `--gp-url` (and
    /// optionally `--pds-url`) describe a single-practice deployment.
    #[arg(long, env = "MCR_SOURCES")]
    pub sources: Option<PathBuf>,
    /// Base URL of the demographics service, when no registry file is given.
    #[arg(long, env = "MCR_PDS_URL")]
    pub pds_url: Option<String>,
    /// GP Connect FHIR base URL of the registered practice (without a registry file).
    #[arg(long, env = "MCR_GP_URL", required = false, default_value = "")]
    pub gp_url: String,
    /// ODS code of the GP practice behind `--gp-url`.
    #[arg(long, env = "MCR_GP_ODS", default_value = "Y90001")]
    pub gp_ods: String,
    /// Name of the GP practice behind `--gp-url`.
    #[arg(
        long,
        env = "MCR_GP_NAME",
        default_value = "Riverside Medical Practice"
    )]
    pub gp_name: String,
    /// Seconds the gateway waits for a source before reporting it as timed out.
    #[arg(long, env = "MCR_SOURCE_DEADLINE_SECS", default_value_t = 10)]
    pub source_deadline_secs: u64,
    /// The most record views served at once; more wait in a short queue
    /// (`--view-queue`), and beyond that are answered `503` with `Retry-After`, so an
    /// overloaded gateway keeps its work and memory bounded.
    #[arg(long, env = "MCR_MAX_CONCURRENT_VIEWS", default_value_t = 32)]
    pub max_concurrent_views: usize,
    /// Record views that may wait for a free slot when all are taken.
    #[arg(long, env = "MCR_VIEW_QUEUE", default_value_t = 256)]
    pub view_queue: usize,
    /// Milliseconds a queued record view waits for a slot before it is answered `503`.
    #[arg(long, env = "MCR_VIEW_QUEUE_WAIT_MS", default_value_t = 10_000)]
    pub view_queue_wait_ms: u64,
    /// Minutes of inactivity after which a patient context expires.
    #[arg(long, env = "MCR_CONTEXT_IDLE_MINUTES", default_value_t = 15)]
    pub context_idle_minutes: u64,
    /// The most comments one user may post in a minute.
    #[arg(long, env = "MCR_COMMENTS_PER_MINUTE", default_value_t = 30)]
    pub comments_per_minute: u32,
    /// How long a break-glass grant lasts (it also ends with its context); four hours
    /// by default, as the identity issue asks.
    #[arg(long, env = "MCR_BREAK_GLASS_MINUTES", default_value_t = DEFAULT_BREAK_GLASS_MINUTES)]
    pub break_glass_minutes: u32,
    /// Host EPR origins allowed to embed the panel (CORS and `frame-ancestors`), comma
    /// separated, e.g. `https://epr.example.nhs.uk`. None by default.
    #[arg(long, env = "MCR_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Demo mode only: the simulator's control endpoint, which the demo page uses to list
    /// patients and switch faults on (it is added to the pages' `connect-src`).
    #[arg(long, env = "MCR_DEMO_CONTROL_URL")]
    pub demo_control_url: Option<String>,
    /// The portal's OpenID Connect client id at the trusted issuer.
    #[arg(long, env = "MCR_PORTAL_CLIENT_ID", default_value = "mcr-portal")]
    pub portal_client_id: String,
    /// Send `Strict-Transport-Security` (set when the gateway is served over TLS).
    #[arg(long, env = "MCR_HSTS")]
    pub hsts: bool,
}

impl Config {
    /// A configuration for tests and embedding: demo mode on loopback port 0.
    pub fn for_demo(data_dir: PathBuf, static_root: PathBuf, gp_url: String) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url: None,
            migrate_database_url: None,
            static_root,
            demo: true,
            issuer: None,
            jwks_url: None,
            audience: "mcr-gateway".into(),
            sources: None,
            pds_url: None,
            gp_url,
            gp_ods: "Y90001".into(),
            gp_name: "Riverside Medical Practice".into(),
            source_deadline_secs: 10,
            max_concurrent_views: 32,
            view_queue: 256,
            view_queue_wait_ms: 10_000,
            context_idle_minutes: 15,
            comments_per_minute: 30,
            break_glass_minutes: DEFAULT_BREAK_GLASS_MINUTES,
            allowed_origins: vec![],
            demo_control_url: None,
            portal_client_id: "mcr-portal".into(),
            hsts: false,
        }
    }

    /// Where the store lives.
    pub fn store_location(&self) -> crate::store::Location<'_> {
        match &self.database_url {
            Some(url) => crate::store::Location::Postgres(url),
            None => crate::store::Location::DataDir(&self.data_dir),
        }
    }

    /// The source registry: the file if given, else one practice from the flags.
    pub fn registry(&self) -> Result<crate::registry::Registry, String> {
        use crate::registry::{DemographicsConfig, Protocol, Registry, RegistryFile, SourceConfig};
        if let Some(path) = &self.sources {
            return Registry::load(path);
        }
        if self.gp_url.is_empty() {
            return Err(
                "no sources configured: give --sources FILE, or --gp-url for a single practice"
                    .into(),
            );
        }
        Registry::new(RegistryFile {
            policy: Default::default(),
            identity: Default::default(),
            demographics: self.pds_url.clone().map(|base_url| DemographicsConfig {
                base_url,
                deadline_ms: 5_000,
            }),
            sources: vec![SourceConfig {
                id: format!("gp-{}", self.gp_ods.to_ascii_lowercase()),
                organisation: self.gp_name.clone(),
                ods_code: self.gp_ods.clone(),
                kind: mcr_model::SourceKind::GpPractice,
                protocol: Protocol::GpconnectStu3,
                base_url: self.gp_url.clone(),
                deadline_ms: self.source_deadline_secs * 1_000,
                concurrency: 32,
                publisher_jwks_url: None,
                publisher_public_key_pem: None,
            }],
        })
    }

    /// The admission limits for record views.
    pub fn view_limits(&self) -> crate::admission::Limits {
        crate::admission::Limits {
            running: self.max_concurrent_views,
            queue: self.view_queue,
            wait: Duration::from_millis(self.view_queue_wait_ms),
        }
    }

    /// The per-source deadline.
    pub fn source_deadline(&self) -> Duration {
        Duration::from_secs(self.source_deadline_secs)
    }
}
