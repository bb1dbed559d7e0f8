//! `PUT` and `DELETE /api/v1/locator/pointers`: sources publish and withdraw the
//! pointers that say they hold a patient's record — one pointer or many per request,
//! only ever naming themselves, carrying registry ids, never URLs.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use mcr_model::NhsNumber;
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::audit::Outcome;
use crate::auth::bearer_token;
use crate::error::AppError;
use crate::store::{AuditFields, Pointer};
use crate::time_fmt::now_ms;

/// Pointers accepted in one request at most.
pub const MAX_POINTERS: usize = 10_000;

/// One pointer as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointerIn {
    /// The patient.
    pub nhs_number: String,
    /// The publishing source's registry id.
    pub source_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Body {
    Bulk { pointers: Vec<PointerIn> },
    Single(PointerIn),
}

/// The answer: how many pointers were stored or removed.
#[derive(Debug, Serialize)]
pub struct PointersDone {
    /// Pointers stored (PUT) or removed (DELETE).
    pub count: u64,
}

/// Verifies the source, parses and checks every pointer before anything is stored.
async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(String, Vec<PointerIn>), AppError> {
    let token = bearer_token(headers)?;
    let source = state
        .source_tokens
        .verify(token, state.locator.registry())
        .await?;
    let parsed: Body = serde_json::from_slice(body).map_err(|e| {
        AppError::bad_request(
            "invalid_body",
            format!("expected {{\"nhs_number\", \"source_id\"}} or {{\"pointers\": [...]}}: {e}"),
        )
    })?;
    let pointers = match parsed {
        Body::Bulk { pointers } => pointers,
        Body::Single(p) => vec![p],
    };
    if pointers.len() > MAX_POINTERS {
        return Err(AppError::bad_request(
            "too_many_pointers",
            format!("at most {MAX_POINTERS} pointers per request; split the update"),
        ));
    }
    for (i, p) in pointers.iter().enumerate() {
        NhsNumber::parse(&p.nhs_number).map_err(|e| {
            AppError::bad_request("invalid_nhs_number", format!("pointer {i}: {e}"))
        })?;
        if p.source_id != source {
            return Err(AppError::Forbidden {
                code: "pointer_not_yours",
                message: format!(
                    "pointer {i} names source {:?}; a source may publish only its own pointers",
                    p.source_id
                ),
            });
        }
    }
    Ok((source, pointers))
}

async fn audit(state: &AppState, source: &str, action: &str, count: usize) -> Result<(), AppError> {
    state
        .audit
        .append(AuditFields {
            user_role: Some("source".into()),
            org_ods: state
                .locator
                .registry()
                .by_id(source)
                .map(|s| s.ods_code.clone()),
            ..AuditFields::event(
                format!("source:{source}"),
                action,
                Outcome::Allowed.as_str(),
                Some(format!("{count} pointers")),
            )
        })
        .await
        .map(|_| ())
}

/// Publishes (or refreshes) pointers, all or none.
pub async fn put_pointers(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PointersDone>, AppError> {
    let (source, pointers) = accept(&state, &headers, &body).await?;
    let now = now_ms();
    let stored: Vec<Pointer> = pointers
        .iter()
        .filter_map(|p| NhsNumber::parse(&p.nhs_number).ok().map(|n| (n, p)))
        .map(|(n, p)| Pointer {
            nhs_number: n.as_digits(),
            source_id: p.source_id.clone(),
            updated_ms: now,
        })
        .collect();
    audit(&state, &source, "locator.put", stored.len()).await?;
    state.store.put_pointers(&stored).await?;
    Ok(Json(PointersDone {
        count: stored.len() as u64,
    }))
}

/// Withdraws pointers.
pub async fn delete_pointers(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PointersDone>, AppError> {
    let (source, pointers) = accept(&state, &headers, &body).await?;
    let numbers: Vec<String> = pointers
        .iter()
        .filter_map(|p| NhsNumber::parse(&p.nhs_number).ok().map(|n| n.as_digits()))
        .collect();
    audit(&state, &source, "locator.delete", numbers.len()).await?;
    let count = state.store.delete_pointers(&source, &numbers).await?;
    Ok(Json(PointersDone { count }))
}
