//! Break-glass: `POST /api/v1/contexts/{ctx}/break-glass` lets a clinician override the
//! patient's dissent in an emergency, giving a reason; the grant is time-limited, ends
//! with the context, flags every access made under it in the audit, and waits for a
//! privacy officer's review (`GET /api/v1/break-glass`,
//! `POST /api/v1/break-glass/{id}/review`). Every step is audited before it takes effect.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use mcr_model::{BreakGlassReason, BreakGlassRequest, GrantView, GrantsToReview};

use super::access::{self, Rule};
use super::{AppState, authenticate};
use crate::audit::{Action, AuditEntry, Outcome};
use crate::auth::Claims;
use crate::error::AppError;
use crate::policy::Permission;
use crate::store::{AuditFields, Grant};
use crate::time_fmt::{ms_to_audit, now_ms};

/// The longest reason accepted.
pub const MAX_REASON_CHARS: usize = 500;

const RULE: Rule = Rule {
    action: Action::BreakGlass,
    permissions: &[Permission::BreakGlass],
    refused: "your role may not break the glass",
    dissent_applies: false,
};

/// A grant as shown.
pub fn grant_view(g: &Grant) -> GrantView {
    GrantView {
        id: g.id.clone(),
        user_id: g.user_id.clone(),
        nhs_number: g.nhs_number.clone(),
        // A code this version does not know (a newer gateway's) reads as `other`; the
        // free text still says why.
        code: BreakGlassReason::from_code(&g.reason_code).unwrap_or(BreakGlassReason::Other),
        reason: g.reason.clone(),
        granted: ms_to_audit(g.granted_ms),
        expires: ms_to_audit(g.expires_ms),
        ended: g.ended_ms.map(ms_to_audit),
    }
}

fn new_grant_id() -> Result<String, AppError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(format!(
        "bg-{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

/// Breaks the glass in the caller's context: `201` with the grant.
pub async fn grant(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<GrantView>), AppError> {
    let access = access::check(&state, &headers, &ctx, RULE).await?;
    let request: BreakGlassRequest = serde_json::from_slice(&body).map_err(|e| {
        let codes: Vec<&str> = BreakGlassReason::ALL.iter().map(|c| c.code()).collect();
        AppError::bad_request(
            "invalid_body",
            format!(
                "expected {{\"code\": one of {}, \"reason\": \"…\"}}: {e}",
                codes.join(", ")
            ),
        )
    })?;
    let reason = request.reason.trim();
    let chars = reason.chars().count();
    if !(5..=MAX_REASON_CHARS).contains(&chars) || reason.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "reason_required",
            format!(
                "breaking the glass needs a reason of 5 to {MAX_REASON_CHARS} characters, without control characters; it is recorded and reviewed"
            ),
        ));
    }
    let now = now_ms();
    let grant = Grant {
        id: new_grant_id()?,
        context_id: access.context.id.clone(),
        user_id: access.claims.sub.clone(),
        nhs_number: access.context.nhs_number.as_digits(),
        reason: reason.to_string(),
        reason_code: request.code.code().to_string(),
        granted_ms: now,
        expires_ms: now + i64::from(state.break_glass_minutes) * 60_000,
        ended_ms: None,
        reviewed_by: None,
        reviewed_ms: None,
    };
    state
        .audit
        .record(AuditEntry {
            claims: &access.claims,
            nhs_number: Some(&grant.nhs_number),
            context_id: Some(&grant.context_id),
            action: Action::BreakGlass,
            outcome: Outcome::Allowed,
            detail: Some(&format!(
                "{}: {}: {}",
                grant.id, grant.reason_code, grant.reason
            )),
        })
        .await?;
    state.store.grant_break_glass(&grant).await?;
    Ok((StatusCode::CREATED, Json(grant_view(&grant))))
}

/// The caller, if a privacy officer; anyone else is refused, and the refusal audited.
async fn reviewer(
    state: &AppState,
    headers: &HeaderMap,
    action: Action,
) -> Result<Claims, AppError> {
    let claims = authenticate(state, headers).await?;
    if !state
        .policy
        .allows(claims.role.as_deref(), Permission::BreakGlassReview)
    {
        state
            .audit
            .append(AuditFields {
                user_role: claims.role.clone(),
                org_ods: claims.org.clone(),
                ..AuditFields::event(
                    claims.sub.clone(),
                    action.as_str(),
                    Outcome::Refused.as_str(),
                    Some("role_not_permitted".into()),
                )
            })
            .await?;
        return Err(AppError::Forbidden {
            code: "role_not_permitted",
            message: "only a privacy officer reviews break-glass use".into(),
        });
    }
    Ok(claims)
}

/// Grants awaiting review, oldest first.
pub async fn to_review(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<GrantsToReview>, AppError> {
    let claims = reviewer(&state, &headers, Action::BreakGlassList).await?;
    state
        .audit
        .record(AuditEntry {
            claims: &claims,
            nhs_number: None,
            context_id: None,
            action: Action::BreakGlassList,
            outcome: Outcome::Allowed,
            detail: None,
        })
        .await?;
    let grants = state.store.grants_to_review().await?;
    Ok(Json(GrantsToReview {
        grants: grants.iter().map(grant_view).collect(),
    }))
}

/// Marks a grant reviewed.
pub async fn review(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let claims = reviewer(&state, &headers, Action::BreakGlassReview).await?;
    let Some(grant) = state
        .store
        .grants_to_review()
        .await?
        .into_iter()
        .find(|g| g.id == id)
    else {
        return Err(AppError::NotFound {
            code: "grant_not_found",
            message: "no break-glass use with this id is awaiting review".into(),
        });
    };
    state
        .audit
        .record(AuditEntry {
            claims: &claims,
            nhs_number: Some(&grant.nhs_number),
            context_id: None,
            action: Action::BreakGlassReview,
            outcome: Outcome::Allowed,
            detail: Some(&grant.id),
        })
        .await?;
    state
        .store
        .review_grant(&grant.id, &claims.sub, now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
