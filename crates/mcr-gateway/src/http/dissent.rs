//! `GET`, `PUT` and `DELETE /api/v1/contexts/{ctx}/dissent`: privacy officers read,
//! record or lift a patient's dissent from sharing through the record. The audit row is
//! committed before the register is read or changed.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::AppState;
use super::access::{self, Rule};
use crate::audit::{Action, AuditEntry, Outcome};
use crate::error::AppError;
use crate::policy::Permission;
use crate::store::Dissent;
use crate::time_fmt::now_ms;

/// `PUT` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DissentIn {
    /// How the objection was made, e.g. "letter of 3 March".
    #[serde(default)]
    pub reason: Option<String>,
}

/// Changing the register: privacy officers only.
fn officer(action: Action) -> Rule {
    Rule {
        action,
        permissions: &[Permission::Dissent],
        refused: "only a privacy officer may read or change the dissent register",
        dissent_applies: false,
    }
}

async fn officer_context(
    state: &AppState,
    headers: &HeaderMap,
    ctx: &str,
    action: Action,
) -> Result<(crate::auth::Claims, String), AppError> {
    let access = access::check(state, headers, ctx, officer(action)).await?;
    Ok((access.claims, access.context.nhs_number.as_digits()))
}

/// Whether the patient's dissent is recorded, by whom and why.
pub async fn get_dissent(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, AppError> {
    let (claims, nhs) = officer_context(&state, &headers, &ctx, Action::DissentRead).await?;
    let entry = AuditEntry {
        claims: &claims,
        nhs_number: Some(&nhs),
        context_id: Some(&ctx),
        action: Action::DissentRead,
        outcome: Outcome::Allowed,
        detail: None,
    };
    state.audit.record(entry).await?;
    Ok(Json(match state.store.dissent(&nhs).await? {
        Some(d) => serde_json::json!({
            "recorded": true,
            "recorded_by": d.recorded_by,
            "reason": d.reason,
            "recorded_at": crate::time_fmt::ms_to_audit(d.recorded_ms),
        }),
        None => serde_json::json!({"recorded": false}),
    }))
}

/// Records the patient's dissent.
pub async fn put_dissent(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let (claims, nhs) = officer_context(&state, &headers, &ctx, Action::DissentSet).await?;
    let input: DissentIn = if body.is_empty() {
        DissentIn::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            AppError::bad_request("invalid_body", format!("expected {{\"reason\": …}}: {e}"))
        })?
    };
    let entry = AuditEntry {
        claims: &claims,
        nhs_number: Some(&nhs),
        context_id: Some(&ctx),
        action: Action::DissentSet,
        outcome: Outcome::Allowed,
        detail: input.reason.as_deref(),
    };
    state.audit.record(entry).await?;
    state
        .store
        .set_dissent(&Dissent {
            nhs_number: nhs,
            recorded_by: claims.sub.clone(),
            reason: input.reason,
            recorded_ms: now_ms(),
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts the patient's dissent.
pub async fn delete_dissent(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, AppError> {
    let (claims, nhs) = officer_context(&state, &headers, &ctx, Action::DissentLift).await?;
    let entry = AuditEntry {
        claims: &claims,
        nhs_number: Some(&nhs),
        context_id: Some(&ctx),
        action: Action::DissentLift,
        outcome: Outcome::Allowed,
        detail: None,
    };
    state.audit.record(entry).await?;
    let lifted = state.store.lift_dissent(&nhs).await?;
    Ok(Json(serde_json::json!({"lifted": lifted})))
}
