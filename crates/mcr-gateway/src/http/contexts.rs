//! Patient contexts: `POST /api/v1/contexts` opens one (the legitimate-relationship
//! gate: a launch's patient must match, a search needs a role that may search and a
//! reason); `DELETE /api/v1/contexts/{ctx}` ends one and any break-glass grant in it.
//!
//! The dissent register is applied where data is read (the record, comments), not
//! here, so that a clinician refused by it has a context in which to break the glass.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use mcr_model::{ContextCreated, CreateContextRequest, NhsNumber};

use super::{AppState, authenticate};
use crate::audit::{Action, AuditEntry, Outcome};
use crate::error::AppError;
use crate::policy;
use crate::time_fmt::now_ms;

/// Opens a patient context. The NHS number comes in the body; an embedded launch's
/// token must name the same patient.
#[tracing::instrument(skip_all)]
pub async fn create_context(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ContextCreated>), AppError> {
    let claims = authenticate(&state, &headers).await?;
    let req: CreateContextRequest = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad_request(
            "invalid_body",
            format!("expected a JSON body {{\"nhs_number\": …}}: {e}"),
        )
    })?;
    let nhs = NhsNumber::parse(&req.nhs_number)
        .map_err(|e| AppError::bad_request("invalid_nhs_number", e.to_string()))?;
    let role = claims.role.as_deref();
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let refusal = match claims.patient.as_deref().map(NhsNumber::parse) {
        Some(Ok(launch)) if launch == nhs => None,
        Some(_) => Some((
            "patient_context_mismatch",
            "the patient requested is not the patient in your launch context",
        )),
        None if policy::may_search(role) && reason.is_none() => {
            return Err(AppError::bad_request(
                "reason_required",
                "opening a record by search needs a reason for access",
            ));
        }
        None if policy::may_search(role) => None,
        None => Some((
            "search_not_permitted",
            "your role may open a record only from a patient launch",
        )),
    };
    if let Some((code, message)) = refusal {
        state
            .audit
            .record(AuditEntry {
                claims: &claims,
                nhs_number: Some(&nhs.as_digits()),
                context_id: None,
                action: Action::OpenContext,
                outcome: Outcome::Refused,
                detail: Some(code),
            })
            .await?;
        return Err(AppError::Forbidden {
            code,
            message: message.into(),
        });
    }
    let context_id = state
        .contexts
        .open(&claims, &nhs, reason, &state.audit)
        .await?;
    Ok((StatusCode::CREATED, Json(ContextCreated { context_id })))
}

/// Ends the caller's context (the panel switched patient or was removed) and any
/// break-glass grant in it. Audited; a context that is not the caller's, or is already
/// ended, is a 404.
#[tracing::instrument(skip_all)]
pub async fn end_context(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let claims = authenticate(&state, &headers).await?;
    let context = state.contexts.touch(&ctx, &claims.sub).await?;
    state
        .audit
        .record(AuditEntry {
            claims: &claims,
            nhs_number: Some(&context.nhs_number.as_digits()),
            context_id: Some(&context.id),
            action: Action::EndContext,
            outcome: Outcome::Allowed,
            detail: None,
        })
        .await?;
    let now = now_ms();
    state.store.end_grants(&context.id, now).await?;
    if !state
        .store
        .end_context(&context.id, &claims.sub, now)
        .await?
    {
        return Err(AppError::ContextNotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}
