//! The demo identity provider's OpenID Connect endpoints (demo mode only, loopback
//! only): discovery, the sign-in page of the authorisation code flow with PKCE (S256
//! only), and the token endpoint. The portal signs in through these exactly as it would
//! through a production provider; the token it gets is verified like any other.

use std::collections::HashMap;

use axum::Form;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::{Value, json};

use super::AppState;
use crate::auth::demo_idp::{DEMO_USERS, DemoIdp, TOKEN_LIFETIME_SECS};
use crate::auth::demo_oidc::{CODE_LIFETIME_MS, Grant};
use crate::error::AppError;
use crate::time_fmt::now_ms;

fn idp(state: &AppState) -> Result<&DemoIdp, AppError> {
    state.demo.as_deref().ok_or(AppError::ContextNotFound)
}

/// `GET /demo/.well-known/openid-configuration`.
pub async fn discovery(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let issuer = idp(&state)?.issuer();
    Ok(Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "jwks_uri": format!("{issuer}/jwks.json"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "scopes_supported": ["openid"],
        "token_endpoint_auth_methods_supported": ["none"],
    })))
}

/// The authorisation request's parameters, checked.
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    state: Option<String>,
    nonce: Option<String>,
}

fn param<'a>(p: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    p.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// Checks an authorisation request. The redirect URI must be a page this gateway serves
/// (the demo provider signs users in to its own pages only).
fn check(idp: &DemoIdp, p: &HashMap<String, String>) -> Result<AuthRequest, AppError> {
    let bad = |why: &str| AppError::bad_request("invalid_request", why.to_string());
    if param(p, "response_type") != Some("code") {
        return Err(bad("response_type must be code"));
    }
    if param(p, "code_challenge_method") != Some("S256") {
        return Err(bad("PKCE is required: code_challenge_method must be S256"));
    }
    let code_challenge = param(p, "code_challenge")
        .filter(|c| c.len() == 43)
        .ok_or_else(|| bad("code_challenge must be base64url(SHA-256(verifier)), 43 characters"))?;
    let client_id = param(p, "client_id").ok_or_else(|| bad("client_id is required"))?;
    let own = idp.issuer().trim_end_matches("/demo");
    let redirect_uri = param(p, "redirect_uri")
        .filter(|r| r.starts_with(&format!("{own}/www/")) && !r.contains(['#', '"', '<', '>']))
        .ok_or_else(|| bad("redirect_uri must be a page of this gateway under /www/"))?;
    Ok(AuthRequest {
        client_id: client_id.into(),
        redirect_uri: redirect_uri.into(),
        code_challenge: code_challenge.into(),
        state: param(p, "state").map(Into::into),
        nonce: param(p, "nonce").map(Into::into),
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `GET /demo/authorize`: the demo sign-in page (choose a demo user).
pub async fn authorize_page(
    State(state): State<AppState>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let request = check(idp(&state)?, &p)?;
    let hidden: String = [
        ("response_type", Some("code".to_string())),
        ("code_challenge_method", Some("S256".to_string())),
        ("client_id", Some(request.client_id)),
        ("redirect_uri", Some(request.redirect_uri)),
        ("code_challenge", Some(request.code_challenge)),
        ("state", request.state),
        ("nonce", request.nonce),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        v.map(|v| format!(r#"<input type="hidden" name="{k}" value="{}">"#, escape(&v)))
    })
    .collect();
    let users: String = DEMO_USERS
        .iter()
        .filter(|u| u.role != "patient")
        .enumerate()
        .map(|(i, u)| {
            format!(
                r#"<label><input type="radio" name="user" value="{}"{}> {}, {}</label>"#,
                escape(u.id),
                if i == 0 { " checked" } else { "" },
                escape(u.name),
                escape(&u.role.replace('-', " "))
            )
        })
        .collect();
    let page = format!(
        r#"<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Sign in — demo identity provider</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/www/portal.css"></head>
<body><header class="portal-header"><span class="portal-product">Demo identity provider</span></header>
<main class="portal-main"><section><h1>Sign in</h1>
<p>This is the demonstration identity provider. Choose who to sign in as.</p>
<form method="post" action="/demo/authorize" id="demo-sign-in"><fieldset><legend>Demo user</legend>{users}</fieldset>{hidden}
<button type="submit">Sign in</button></form></section></main></body></html>"#
    );
    let mut response = Html(page).into_response();
    // This page alone posts a form (to itself); nothing may frame it.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    Ok(response)
}

/// `POST /demo/authorize`: the user chose; a code goes back to the redirect URI.
pub async fn authorize(
    State(state): State<AppState>,
    Form(p): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let idp = idp(&state)?;
    let request = check(idp, &p)?;
    let user = param(&p, "user")
        .filter(|u| DEMO_USERS.iter().any(|d| d.id == *u))
        .ok_or_else(|| AppError::bad_request("invalid_request", "choose a demo user"))?;
    let code = idp.codes.issue(Grant {
        user_id: user.into(),
        client_id: request.client_id,
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge,
        nonce: request.nonce,
        expires_ms: now_ms() + CODE_LIFETIME_MS,
    })?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("code", &code);
    if let Some(s) = &request.state {
        query.append_pair("state", s);
    }
    let separator = if request.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    Ok(Redirect::to(&format!(
        "{}{separator}{}",
        request.redirect_uri,
        query.finish()
    ))
    .into_response())
}

/// `POST /demo/oauth/token`: exchanges a code and its PKCE verifier for tokens.
pub async fn token(
    State(state): State<AppState>,
    Form(p): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let idp = idp(&state)?;
    if param(&p, "grant_type") != Some("authorization_code") {
        return Err(AppError::bad_request(
            "unsupported_grant_type",
            "grant_type must be authorization_code",
        ));
    }
    let need = |name: &str| {
        param(&p, name)
            .ok_or_else(|| AppError::bad_request("invalid_request", format!("{name} is required")))
    };
    let grant = idp.codes.redeem(
        need("code")?,
        need("client_id")?,
        need("redirect_uri")?,
        need("code_verifier")?,
        now_ms(),
    )?;
    let body = json!({
        "access_token": idp.issue(&grant.user_id, None)?,
        "id_token": idp.issue_id_token(&grant.user_id, &grant.client_id, grant.nonce)?,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECS,
    });
    let mut response = (StatusCode::OK, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
