//! The gateway's one error type at the HTTP boundary.
//!
//! Handlers return [`AppError`]; each variant maps to one status and one stable `code`
//! in a single `match`. Clients see a message they can act on; internal detail (SQL
//! errors, upstream bodies) is logged, never sent, and never includes a token or an
//! NHS number.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mcr_model::ApiError;

/// An error answered to the client.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed input: the message says what to fix.
    #[error("{message}")]
    BadRequest {
        /// Stable machine-readable code.
        code: &'static str,
        /// What to fix.
        message: String,
    },
    /// No token, or a token that failed verification.
    #[error("authentication failed")]
    Unauthorised(String),
    /// Authenticated, but not allowed.
    #[error("{message}")]
    Forbidden {
        /// Stable machine-readable code.
        code: &'static str,
        /// Why.
        message: String,
    },
    /// Something named in the request does not exist (or is not the caller's).
    #[error("{message}")]
    NotFound {
        /// Stable machine-readable code.
        code: &'static str,
        /// What was not found.
        message: String,
    },
    /// Conflicts with what is stored (e.g. an idempotency key reused for another post).
    #[error("{message}")]
    Conflict {
        /// Stable machine-readable code.
        code: &'static str,
        /// Why.
        message: String,
    },
    /// The caller has made too many requests of this kind; try again later.
    #[error("{message}")]
    TooManyRequests {
        /// What the limit is.
        message: String,
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// The gateway is serving as many record views as it is configured to; the client
    /// should try again after `retry_after_secs` (`503` with `Retry-After`).
    #[error("the gateway is busy")]
    Overloaded {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// The context does not exist, has expired, or belongs to someone else.
    #[error("no such patient context")]
    ContextNotFound,
    /// The audit log could not be written, so nothing may be returned (fail closed).
    #[error("audit unavailable")]
    AuditUnavailable(String),
    /// The store could not be reached; nothing was read or written.
    #[error("store unavailable")]
    StoreUnavailable(String),
    /// Anything else; details are logged only.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        AppError::StoreUnavailable(e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            AppError::BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, *code, message.clone())
            }
            AppError::Unauthorised(detail) => {
                tracing::info!(reason = %detail, "token refused");
                (
                    StatusCode::UNAUTHORIZED,
                    "unauthorised",
                    "a valid bearer token is required".to_string(),
                )
            }
            AppError::Forbidden { code, message } => {
                (StatusCode::FORBIDDEN, *code, message.clone())
            }
            AppError::NotFound { code, message } => (StatusCode::NOT_FOUND, *code, message.clone()),
            AppError::Conflict { code, message } => (StatusCode::CONFLICT, *code, message.clone()),
            AppError::TooManyRequests { message, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                message.clone(),
            ),
            AppError::Overloaded { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "the gateway is serving as many records as it can just now; try again in a moment"
                    .to_string(),
            ),
            AppError::ContextNotFound => (
                StatusCode::NOT_FOUND,
                "context_not_found",
                "this patient context does not exist or has expired; open a new one".to_string(),
            ),
            AppError::AuditUnavailable(detail) => {
                tracing::error!(error = %detail, "audit write failed; request refused");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "audit_unavailable",
                    "the access could not be recorded, so no patient data was returned; try again shortly"
                        .to_string(),
                )
            }
            AppError::StoreUnavailable(detail) => {
                tracing::error!(error = %detail, "store unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the gateway's database is unavailable; try again shortly".to_string(),
                )
            }
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong in the gateway".to_string(),
                )
            }
        };
        let mut response = (
            status,
            Json(ApiError {
                code: code.into(),
                message,
            }),
        )
            .into_response();
        if let AppError::TooManyRequests {
            retry_after_secs, ..
        }
        | AppError::Overloaded { retry_after_secs } = &self
        {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(*retry_after_secs),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
