//! Builds the application from its configuration and serves it.
//!
//! [`Application::build`] binds the listener first, so the real port (when configured as
//! 0) is known before anything that needs the gateway's own URL — the demo issuer and
//! its JWKS URL — is set up.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::audit::AuditLog;
use crate::auth::demo_idp::DemoIdp;
use crate::auth::source_tokens::SourceTokenVerifier;
use crate::auth::verifier::TokenVerifier;
use crate::config::Config;
use crate::contexts::ContextStore;
use crate::http::{AppState, router};
use crate::locator::Locator;

/// A built, bound, not yet serving gateway.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    app: axum::Router,
}

impl Application {
    /// Opens the database, sets up issuers and sources, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        if config.demo && !config.bind.ip().is_loopback() {
            anyhow::bail!(
                "demo mode serves an identity provider and may bind only a loopback address"
            );
        }
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let addr = listener.local_addr()?;
        let registry = Arc::new(config.registry().map_err(anyhow::Error::msg)?);
        if let (Some(owner), Some(_)) = (&config.migrate_database_url, &config.database_url) {
            crate::store::postgres::migrate_as_owner(owner).await?;
        }
        let store = crate::store::open(config.store_location()).await?;
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(3))
            .build()?;
        let own_url = format!("http://{addr}");
        let demo_issuer = format!("{own_url}/demo");
        let issuer = match (&config.issuer, config.demo) {
            (Some(issuer), _) => issuer.clone(),
            (None, true) => demo_issuer.clone(),
            (None, false) => anyhow::bail!("--issuer is required outside demo mode"),
        };
        let jwks_url = match (&config.jwks_url, config.demo) {
            (Some(url), _) => url.clone(),
            (None, true) => format!("{own_url}/demo/jwks.json"),
            (None, false) => anyhow::bail!("--jwks-url is required outside demo mode"),
        };
        let demo = if config.demo {
            Some(Arc::new(DemoIdp::generate(
                demo_issuer,
                config.audience.clone(),
            )?))
        } else {
            None
        };
        let sensitive = registry.sensitive_codes();
        let policy = registry.access_policy();
        let identity = registry.identity.clone();
        let locator = Locator::new(
            registry,
            store.clone(),
            crate::sources::http_fetch::client(),
        );
        let state = AppState {
            verifier: Arc::new(
                TokenVerifier::new(issuer, config.audience.clone(), jwks_url, http)
                    .with_claim_map(identity),
            ),
            audit: AuditLog::start(store.clone()),
            contexts: ContextStore::new(store.clone(), config.context_idle_minutes),
            store,
            locator: Arc::new(locator),
            policy,
            sensitive: Arc::new(sensitive),
            source_tokens: Arc::new(SourceTokenVerifier::new(
                config.audience.clone(),
                crate::sources::http_fetch::client(),
            )),
            demo,
            comments_per_minute: config.comments_per_minute,
            break_glass_minutes: config.break_glass_minutes,
            views: Arc::new(crate::admission::Admission::new(config.view_limits())),
            portal_client_id: config.portal_client_id.clone(),
            demo_control_url: config.demo_control_url.clone().filter(|_| config.demo),
        };
        let exposure = crate::http::Exposure {
            allowed_origins: config.allowed_origins.clone(),
            hsts: config.hsts,
            demo_control_origin: config
                .demo_control_url
                .as_deref()
                .filter(|_| config.demo)
                .and_then(crate::http::security::origin_of),
        };
        let app = router(state, &config.static_root, &exposure).map_err(anyhow::Error::msg)?;
        Ok(Self {
            listener,
            addr,
            app,
        })
    }

    /// The address the gateway listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // No Nagle delay: the record stream writes small events (`patient`, `located`)
        // followed by a `source` event, which Nagle's algorithm would hold back until
        // the client acknowledged the first — a delayed ACK of up to 40 ms.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "could not set TCP_NODELAY");
            }
        });
        // The client's address reaches the audit through `ConnectInfo`.
        let app = self
            .app
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("server error")
    }
}
