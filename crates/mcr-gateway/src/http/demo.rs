//! Demo identity provider endpoints (demo mode only; the gateway binds loopback then).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use mcr_model::NhsNumber;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use crate::error::AppError;

/// `POST /demo/token` body.
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    /// Demo user id, e.g. `ae-doctor`.
    pub user: String,
    /// The patient the launch is for.
    #[serde(default)]
    pub nhs_number: Option<String>,
}

/// `POST /demo/token` response.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// The signed JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime in seconds.
    pub expires_in: i64,
}

/// Issues a demo token for a demo user, optionally in a patient's context.
pub async fn issue_token(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<TokenResponse>, AppError> {
    let idp = state.demo.as_ref().ok_or(AppError::ContextNotFound)?;
    let req: TokenRequest = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad_request(
            "invalid_body",
            format!("expected {{user, nhs_number}}: {e}"),
        )
    })?;
    let patient = req
        .nhs_number
        .as_deref()
        .map(NhsNumber::parse)
        .transpose()
        .map_err(|e| AppError::bad_request("invalid_nhs_number", e.to_string()))?
        .map(|n| n.as_digits());
    Ok(Json(TokenResponse {
        access_token: idp.issue(&req.user, patient)?,
        token_type: "Bearer",
        expires_in: crate::auth::demo_idp::TOKEN_LIFETIME_SECS,
    }))
}

/// The demo issuer's public keys.
pub async fn jwks(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let idp = state.demo.as_ref().ok_or(AppError::ContextNotFound)?;
    Ok(Json(idp.jwks().clone()))
}

/// What the demo pages need: the simulator's control endpoint (`null` when the gateway
/// was not told) and the demo identity provider's issuer (for OpenID Connect discovery).
pub async fn config(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let idp = state.demo.as_ref().ok_or(AppError::ContextNotFound)?;
    Ok(Json(serde_json::json!({
        "control_url": state.demo_control_url,
        "issuer": idp.issuer(),
    })))
}
