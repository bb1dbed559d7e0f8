//! `PUT` and `DELETE /api/v1/contexts/{ctx}/dissent`: privacy officers record or lift a
//! patient's dissent from sharing through the record. The audit row is committed before
//! the register changes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::AppState;
use crate::error::AppError;
use crate::policy::PRIVACY_OFFICER;
use crate::store::{AuditFields, Dissent};
use crate::time_fmt::{now_audit, now_ms};

/// `PUT` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DissentIn {
    /// How the objection was made, e.g. "letter of 3 March".
    #[serde(default)]
    pub reason: Option<String>,
}

async fn officer_context(
    state: &AppState,
    headers: &HeaderMap,
    ctx: &str,
) -> Result<(crate::auth::Claims, String), AppError> {
    let claims = super::authenticate(state, headers).await?;
    if claims.role.as_deref() != Some(PRIVACY_OFFICER) {
        return Err(AppError::Forbidden {
            code: "role_not_permitted",
            message: "only a privacy officer may change the dissent register".into(),
        });
    }
    let context = state.contexts.touch(ctx, &claims.sub).await?;
    Ok((claims, context.nhs_number.as_digits()))
}

async fn audit(
    state: &AppState,
    claims: &crate::auth::Claims,
    nhs: &str,
    ctx: &str,
    action: &str,
    detail: Option<String>,
) -> Result<(), AppError> {
    state
        .audit
        .append(AuditFields {
            at: now_audit(),
            user_id: claims.sub.clone(),
            user_role: claims.role.clone(),
            org_ods: claims.org.clone(),
            nhs_number: Some(nhs.to_string()),
            context_id: Some(ctx.to_string()),
            action: action.into(),
            outcome: "allowed".into(),
            detail,
            checkpoint_seq: None,
            checkpoint_hash: None,
        })
        .await
        .map(|_| ())
}

/// Records the patient's dissent.
pub async fn put_dissent(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let (claims, nhs) = officer_context(&state, &headers, &ctx).await?;
    let input: DissentIn = if body.is_empty() {
        DissentIn::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            AppError::bad_request("invalid_body", format!("expected {{\"reason\": …}}: {e}"))
        })?
    };
    audit(
        &state,
        &claims,
        &nhs,
        &ctx,
        "dissent.set",
        input.reason.clone(),
    )
    .await?;
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
    let (claims, nhs) = officer_context(&state, &headers, &ctx).await?;
    audit(&state, &claims, &nhs, &ctx, "dissent.lift", None).await?;
    let lifted = state.store.lift_dissent(&nhs).await?;
    Ok(Json(serde_json::json!({"lifted": lifted})))
}
