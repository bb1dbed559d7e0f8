//! The HTTP surface: routes, shared state, and the middleware every request passes.

pub mod access;
pub mod access_log;
pub mod break_glass;
pub mod comments;
pub mod contexts;
pub mod demo;
pub mod dissent;
pub mod locator;
pub mod oidc;
pub mod openapi;
pub mod record;
pub mod security;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::audit::AuditLog;
use crate::auth::demo_idp::DemoIdp;
use crate::auth::source_tokens::SourceTokenVerifier;
use crate::auth::verifier::TokenVerifier;
use crate::contexts::ContextStore;
use crate::error::AppError;
use crate::locator::Locator;
use crate::store::Store;

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    /// Verifies bearer tokens.
    pub verifier: Arc<TokenVerifier>,
    /// The audit log.
    pub audit: AuditLog,
    /// Patient contexts.
    pub contexts: ContextStore,
    /// Verifies sources' own tokens (locator updates).
    pub source_tokens: Arc<SourceTokenVerifier>,
    /// Finds the sources holding a patient's record.
    pub locator: Arc<Locator>,
    /// The demo identity provider, in demo mode only.
    pub demo: Option<Arc<DemoIdp>>,
    /// The role table: who may open which contexts, do what, and see which dataset.
    pub policy: Arc<crate::policy::Policy>,
    /// Codes whose entries are withheld.
    pub sensitive: Arc<crate::policy::SensitiveCodes>,
    /// The store.
    pub store: Arc<dyn Store>,
    /// Demo mode: the simulator's control URL, for the demo page.
    pub demo_control_url: Option<String>,
    /// The portal's OpenID Connect client id.
    pub portal_client_id: String,
    /// The most comments one user may post in a minute.
    pub comments_per_minute: u32,
    /// How long a break-glass grant lasts, in minutes.
    pub break_glass_minutes: u32,
    /// Admission control for record views.
    pub views: Arc<crate::admission::Admission>,
}

/// How the gateway is exposed to browsers.
#[derive(Debug, Clone, Default)]
pub struct Exposure {
    /// Host origins allowed to embed the panel (CORS, `frame-ancestors`).
    pub allowed_origins: Vec<String>,
    /// Send HSTS (behind TLS).
    pub hsts: bool,
    /// Demo mode: the simulator's control origin, which the demo page may call.
    pub demo_control_origin: Option<String>,
}

/// Builds the router: the API, the demo issuer (demo mode), and the static pages, with
/// the security headers and CORS of `exposure`.
pub fn router(state: AppState, static_root: &Path, exposure: &Exposure) -> Result<Router, String> {
    use openapi::{
        ACCESS_LOG, BREAK_GLASS, BREAK_GLASS_REVIEW, BREAK_GLASS_REVIEWS, COMMENT_RETRACT,
        COMMENTS, CONTEXT, CONTEXTS, DEMO_AUTHORIZE, DEMO_CONFIG, DEMO_DISCOVERY, DEMO_JWKS,
        DEMO_OAUTH_TOKEN, DEMO_TOKEN, DISSENT, HEALTHZ, OPENAPI, POINTERS, PORTAL_CONFIG, READYZ,
        RECORD,
    };
    let no_store = SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    let api = Router::new()
        .route(CONTEXTS, post(contexts::create_context))
        .route(CONTEXT, delete(contexts::end_context))
        .route(RECORD, get(record::get_record))
        .route(COMMENTS, get(comments::list).post(comments::add))
        .route(COMMENT_RETRACT, post(comments::retract))
        .route(ACCESS_LOG, get(access_log::access_log))
        .route(BREAK_GLASS, post(break_glass::grant))
        .route(BREAK_GLASS_REVIEWS, get(break_glass::to_review))
        .route(BREAK_GLASS_REVIEW, post(break_glass::review))
        .route(
            DISSENT,
            get(dissent::get_dissent)
                .put(dissent::put_dissent)
                .delete(dissent::delete_dissent),
        )
        .route(
            POINTERS,
            put(locator::put_pointers).delete(locator::delete_pointers),
        )
        .layer(no_store);
    let mut app = api
        .route(HEALTHZ, get(|| async { "ok" }))
        .route(READYZ, get(ready))
        .route(PORTAL_CONFIG, get(portal_config))
        .route(OPENAPI, get(|| async { axum::Json(openapi::document()) }));
    if state.demo.is_some() {
        app = app
            .route(DEMO_TOKEN, post(demo::issue_token))
            .route(DEMO_JWKS, get(demo::jwks))
            .route(DEMO_CONFIG, get(demo::config))
            .route(DEMO_DISCOVERY, get(oidc::discovery))
            .route(
                DEMO_AUTHORIZE,
                get(oidc::authorize_page).post(oidc::authorize),
            )
            .route(DEMO_OAUTH_TOKEN, post(oidc::token));
    }
    let mut app = app
        .route_service("/", ServeFile::new(static_root.join("index.html")))
        .route_service(
            "/index.html",
            ServeFile::new(static_root.join("index.html")),
        )
        .nest_service("/www", ServeDir::new(static_root.join("www")))
        .nest_service("/pkg", ServeDir::new(static_root.join("pkg")))
        .layer(middleware::from_fn(refuse_tokens_in_query))
        .with_state(state);
    let origins = exposure
        .allowed_origins
        .iter()
        .map(|o| security::parse_origin(o))
        .collect::<Result<Vec<_>, _>>()?;
    let named: Vec<String> = origins
        .iter()
        .filter_map(|o| o.to_str().ok().map(str::to_string))
        .collect();
    let connect: Vec<String> = exposure.demo_control_origin.iter().cloned().collect();
    for (name, value) in security::headers(&named, &connect, exposure.hsts)? {
        app = app.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    if let Some(cors) = security::cors(&origins) {
        app = app.layer(cors);
    }
    // JSON, FHIR and the static files are compressed for clients that ask; the NDJSON
    // record never is, as a compressor holds output back until it has a block's worth
    // and the stream must deliver each source's event as soon as it is ready.
    app =
        app.layer(CompressionLayer::new().compress_when(
            DefaultPredicate::new().and(NotForContentType::const_new(record::NDJSON)),
        ));
    // Outermost: every response, refusals included, carries its request id.
    Ok(app.layer(middleware::from_fn(crate::request_id::assign)))
}

/// Verifies the caller's bearer token. A refused token is audited (who is unknown, so
/// the row says `unauthenticated` and why) before the 401 goes back.
pub async fn authenticate(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<crate::auth::Claims, AppError> {
    let verified = match crate::auth::bearer_token(headers) {
        Ok(token) => state.verifier.verify(token).await,
        Err(e) => Err(e),
    };
    if let Err(AppError::Unauthorised(reason)) = &verified {
        state
            .audit
            .append(crate::store::AuditFields::event(
                "unauthenticated",
                "auth.refused",
                crate::audit::Outcome::Refused.as_str(),
                Some(reason.chars().take(200).collect()),
            ))
            .await?;
    }
    verified
}

/// Where the portal signs in: the trusted issuer (OpenID Connect discovery under it) and
/// the portal's client id. Public: it names no user and no patient.
async fn portal_config(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "issuer": state.verifier.issuer(),
        "client_id": state.portal_client_id,
    }))
}

/// Ready when the store answers and the audit writer runs: a gateway that cannot audit
/// must be taken out of the load balancer, never serve data unaudited.
async fn ready(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) if state.audit.is_running() => "ready".into_response(),
        Ok(()) => AppError::AuditUnavailable("the audit writer has stopped".into()).into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// Tokens travel only in the `Authorization` header: a URL that carries one is refused
/// before any handler sees it (URLs end up in logs and `Referer` headers).
async fn refuse_tokens_in_query(request: Request, next: Next) -> Response {
    let carries_token = request.uri().query().is_some_and(|q| {
        q.split('&').any(|pair| {
            let key = pair.split('=').next().unwrap_or("").to_ascii_lowercase();
            matches!(key.as_str(), "token" | "access_token" | "id_token" | "jwt")
        })
    });
    if carries_token {
        return AppError::bad_request(
            "token_in_url",
            "tokens must be sent in the Authorization header, never in a URL",
        )
        .into_response();
    }
    next.run(request).await
}
