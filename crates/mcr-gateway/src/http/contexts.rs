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
        Some(Ok(launch)) if launch == nhs && state.policy.may_launch(role) => None,
        Some(Ok(launch)) if launch == nhs => Some((
            "launch_not_permitted",
            "your role opens records by search, with a reason (in the portal), not from a launch",
        )),
        Some(_) => Some((
            "patient_context_mismatch",
            "the patient requested is not the patient in your launch context",
        )),
        None if state.policy.may_search(role) && reason.is_none() => {
            return Err(AppError::bad_request(
                "reason_required",
                "opening a record by search needs a reason for access",
            ));
        }
        None if state.policy.may_search(role) => None,
        None => Some((
            "search_not_permitted",
            "your role may open a record only from a patient launch",
        )),
    };
    // A search that must name the date of birth is checked against the demographics
    // service; a mismatch says nothing about whether the NHS number exists.
    let mut matched_birth_date = false;
    let refusal = match refusal {
        None if claims.patient.is_none() && state.policy.search_needs_birth_date(role) => {
            let given = birth_date(req.birth_date.as_deref())?;
            let known = state
                .locator
                .registration(&nhs)
                .await
                .patient
                .and_then(|p| p.birth_date);
            if known.as_deref().and_then(|k| k.get(..10)) == Some(given.as_str()) {
                matched_birth_date = true;
                None
            } else {
                Some((
                    "patient_not_matched",
                    "no patient matches this NHS number and date of birth; check both and try again",
                ))
            }
        }
        other => other,
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
    let recorded = match (reason, matched_birth_date) {
        (Some(r), true) => Some(format!("{r} (date of birth matched)")),
        (r, _) => r.map(str::to_string),
    };
    let context_id = state
        .contexts
        .open(&claims, &nhs, recorded.as_deref(), &state.audit)
        .await?;
    Ok((StatusCode::CREATED, Json(ContextCreated { context_id })))
}

/// The date of birth a search gave, as `YYYY-MM-DD`, or a 400 that says what is wrong.
fn birth_date(given: Option<&str>) -> Result<String, AppError> {
    let given = given
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| {
            AppError::bad_request(
                "birth_date_required",
                "a search in your role needs the patient's date of birth as well as the NHS number",
            )
        })?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(given, &format)
        .map(|d| d.format(&format).unwrap_or_else(|_| given.to_string()))
        .map_err(|_| {
            AppError::bad_request(
                "invalid_birth_date",
                "the date of birth must be a real date written YYYY-MM-DD",
            )
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_date_of_birth_must_be_a_real_date_in_iso_form() {
        assert_eq!(birth_date(Some(" 1962-03-16 ")).unwrap(), "1962-03-16");
        for (given, code) in [
            (None, "birth_date_required"),
            (Some(""), "birth_date_required"),
            (Some("16/03/1962"), "invalid_birth_date"),
            (Some("1962-02-30"), "invalid_birth_date"),
        ] {
            assert!(
                matches!(birth_date(given), Err(AppError::BadRequest { code: c, .. }) if c == code),
                "{given:?}"
            );
        }
    }
}
