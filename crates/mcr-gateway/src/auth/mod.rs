//! Authentication: bearer tokens verified against a trusted issuer's published keys.
//!
//! [`verifier::TokenVerifier`] is the production path (JWKS over HTTP, cached); in demo
//! mode [`demo_idp::DemoIdp`] is simply one more issuer whose JWKS the verifier fetches
//! the same way — there is no shortcut for demo tokens.

pub mod claim_map;
pub mod demo_idp;
pub mod demo_oidc;
pub mod source_tokens;
pub mod verifier;

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The claims the gateway uses from a verified token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id at the issuer.
    pub sub: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The user's role (e.g. `hospital-clinician`).
    #[serde(default)]
    pub role: Option<String>,
    /// The user's organisation (ODS code).
    #[serde(default)]
    pub org: Option<String>,
    /// For an embedded launch: the NHS number of the patient in the host's context.
    #[serde(default)]
    pub patient: Option<String>,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
}

/// The bearer token from the `Authorization` header; tokens are accepted nowhere else.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, AppError> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| AppError::Unauthorised("no Authorization header".into()))?
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::Unauthorised("Authorization is not a bearer token".into()))
}
