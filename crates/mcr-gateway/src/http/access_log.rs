//! `GET /api/v1/contexts/{ctx}/access-log`: who opened, viewed or commented on this
//! patient's record, when and why — for the patient themselves (role, organisation,
//! time and purpose; no user ids, nothing clinical) and for privacy officers (every
//! audited action on the patient, with user ids). Newest first, paged with `before`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use mcr_model::{AccessLog, AccessLogEntry};

use super::AppState;
use super::access::{self, Rule};
use crate::audit::{Action, AuditEntry, Outcome};
use crate::error::AppError;
use crate::policy::{Permission, Policy};
use crate::store::AuditRow;

/// Entries per page.
pub const PAGE: i64 = 200;

/// What a patient sees: the accesses that looked at their record, not the machinery.
const SHOWN_TO_PATIENTS: &[&str] = &[
    "context.open",
    "record.view",
    "comments.read",
    "comment.add",
    "break_glass.grant",
];

/// The purpose shown for the patient's own look at their access log.
pub const OWN: &str = "the patient looking at their own access log";

/// The purpose recorded for a launch from the user's own clinical system.
pub const DIRECT_CARE: &str = "direct care (opened from their clinical system)";

const RULE: Rule = Rule {
    action: Action::AccessLogRead,
    permissions: &[Permission::AccessLog, Permission::OwnAccessLog],
    refused: "only the patient and privacy officers see a record's access log",
    dissent_applies: false,
};

/// The `before` paging parameter (a `next_before` from the previous page), the only
/// query parameter there is.
pub fn before(query: Option<&str>) -> Result<Option<i64>, AppError> {
    let mut before = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("before", v)) => {
                before = Some(v.parse::<i64>().map_err(|_| {
                    AppError::bad_request(
                        "invalid_query",
                        "before must be a whole number: the next_before of the previous page",
                    )
                })?);
            }
            _ => {
                return Err(AppError::bad_request(
                    "invalid_query",
                    "the access log takes one query parameter, before (from next_before)",
                ));
            }
        }
    }
    Ok(before)
}

/// The access log of the context's patient.
pub async fn access_log(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<AccessLog>, AppError> {
    let before = before(query.as_deref())?;
    let access = access::check(&state, &headers, &ctx, RULE).await?;
    let nhs = access.context.nhs_number.as_digits();
    // Read the page first, so the officer's or patient's own look is the next entry,
    // not part of this one.
    let rows = state.store.audit_for_patient(&nhs, before, PAGE).await?;
    state
        .audit
        .record(AuditEntry {
            claims: &access.claims,
            nhs_number: Some(&nhs),
            context_id: Some(&access.context.id),
            action: Action::AccessLogRead,
            outcome: Outcome::Allowed,
            detail: None,
        })
        .await?;
    // The patient's view unless the role may read the whole log.
    let patient = !state
        .policy
        .allows(access.claims.role.as_deref(), Permission::AccessLog);
    let next_before = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    Ok(Json(AccessLog {
        entries: entries(&rows, patient, &state.policy),
        next_before,
    }))
}

/// The log entries for `rows` (newest first); for a patient, only what looked at the
/// record, without user ids. A row by a role that reads its own access log is the
/// patient's own look.
pub fn entries(rows: &[AuditRow], patient: bool, policy: &Policy) -> Vec<AccessLogEntry> {
    // The reason each context was opened with, where its opening is on this page.
    let reasons: HashMap<&str, Option<&str>> = rows
        .iter()
        .filter(|r| r.fields.action == "context.open" && r.fields.outcome == "allowed")
        .filter_map(|r| Some((r.fields.context_id.as_deref()?, r.fields.detail.as_deref())))
        .collect();
    rows.iter()
        .filter(|r| r.fields.action != "record.source")
        .filter(|r| !patient || SHOWN_TO_PATIENTS.contains(&r.fields.action.as_str()))
        .map(|r| {
            let f = &r.fields;
            let break_glass = f.under_break_glass();
            let own = policy.allows(f.user_role.as_deref(), Permission::OwnAccessLog);
            let purpose = match f.context_id.as_deref().and_then(|c| reasons.get(c)) {
                _ if own => Some(OWN.to_string()),
                Some(Some(reason)) => Some(reason.to_string()),
                Some(None) => Some(DIRECT_CARE.to_string()),
                None if f.outcome == "refused" => f.detail.clone(),
                None => None,
            };
            AccessLogEntry {
                at: f.at.clone(),
                user_id: (!patient).then(|| f.user_id.clone()),
                role: f.user_role.clone(),
                organisation: f.org_ods.clone(),
                action: f.action.clone(),
                outcome: f.outcome.clone(),
                purpose,
                break_glass,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_before_is_accepted_as_a_query() {
        assert_eq!(before(None).unwrap(), None);
        assert_eq!(before(Some("before=42")).unwrap(), Some(42));
        for bad in ["before=x", "nhs_number=9990000018", "before"] {
            assert!(matches!(
                before(Some(bad)),
                Err(AppError::BadRequest {
                    code: "invalid_query",
                    ..
                })
            ));
        }
    }
}
