//! The checks every patient-data endpoint makes, in one place and one order: a verified
//! token, an open context of the caller's, a role the policy allows for this use, and —
//! where clinical data is read or written — the dissent register, which only an active
//! break-glass grant in the context overrides. Each refusal is audited before the 403.

use axum::http::HeaderMap;

use super::{AppState, authenticate};
use crate::audit::{Action, AuditEntry, Outcome};
use crate::auth::Claims;
use crate::contexts::PatientContext;
use crate::error::AppError;
use crate::policy::Permission;
use crate::store::Grant;
use crate::time_fmt::now_ms;

/// What a use of a context needs.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// What is being done (for the audit row).
    pub action: Action,
    /// What the role table must allow the caller's role (any one of these).
    pub permissions: &'static [Permission],
    /// The refusal's message when the role may not.
    pub refused: &'static str,
    /// Whether the dissent register applies (it does wherever clinical data is read or
    /// written).
    pub dissent_applies: bool,
}

/// An allowed use: who, in which context, and the break-glass grant it relies on.
#[derive(Debug, Clone)]
pub struct Access {
    /// The verified caller.
    pub claims: Claims,
    /// Their open context.
    pub context: PatientContext,
    /// The active break-glass grant that overrides the patient's dissent, if one was needed.
    pub grant: Option<Grant>,
}

/// The message a dissent refusal carries.
pub const DISSENT_MESSAGE: &str = "this patient has asked for their record not to be shared through My Care Record; in an emergency a clinician may break the glass, giving a reason";

/// Audits a refusal of `action` in `context`, then returns the 403 to send (or the audit
/// failure, which fails closed).
pub async fn refuse(
    state: &AppState,
    claims: &Claims,
    context: &PatientContext,
    action: Action,
    code: &'static str,
    message: impl Into<String>,
) -> AppError {
    let audited = state
        .audit
        .record(AuditEntry {
            claims,
            nhs_number: Some(&context.nhs_number.as_digits()),
            context_id: Some(&context.id),
            action,
            outcome: Outcome::Refused,
            detail: Some(code),
        })
        .await;
    match audited {
        Ok(_) => AppError::Forbidden {
            code,
            message: message.into(),
        },
        Err(e) => e,
    }
}

/// Runs the checks of `rule` for context `ctx`.
pub async fn check(
    state: &AppState,
    headers: &HeaderMap,
    ctx: &str,
    rule: Rule,
) -> Result<Access, AppError> {
    let claims = authenticate(state, headers).await?;
    let context = state.contexts.touch(ctx, &claims.sub).await?;
    let role = claims.role.as_deref();
    if !rule
        .permissions
        .iter()
        .any(|p| state.policy.allows(role, *p))
    {
        return Err(refuse(
            state,
            &claims,
            &context,
            rule.action,
            "role_not_permitted",
            rule.refused,
        )
        .await);
    }
    let mut grant = None;
    if rule.dissent_applies
        && state
            .store
            .dissent(&context.nhs_number.as_digits())
            .await?
            .is_some()
    {
        grant = state.store.active_grant(&context.id, now_ms()).await?;
        if grant.is_none() {
            return Err(refuse(
                state,
                &claims,
                &context,
                rule.action,
                "patient_dissent",
                DISSENT_MESSAGE,
            )
            .await);
        }
    }
    Ok(Access {
        claims,
        context,
        grant,
    })
}
