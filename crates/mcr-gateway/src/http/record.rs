//! Patient contexts and the record: `POST /api/v1/contexts`,
//! `GET /api/v1/contexts/{ctx}/record`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use mcr_model::{
    ContextCreated, CreateContextRequest, NhsNumber, Record, Section, SectionKind, SourceState,
    SourceStatus,
};

use super::AppState;
use crate::audit::{Action, AuditEntry, Outcome};
use crate::auth::{Claims, bearer_token};
use crate::error::AppError;
use crate::normalise::gpconnect::normalise;
use crate::sources::SourceError;
use crate::time_fmt::now_rfc3339;

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Claims, AppError> {
    state.verifier.verify(bearer_token(headers)?).await
}

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
    let refusal = match claims.patient.as_deref().map(NhsNumber::parse) {
        Some(Ok(launch)) if launch == nhs => None,
        Some(_) => Some(AppError::Forbidden {
            code: "patient_context_mismatch",
            message: "the patient requested is not the patient in your launch context".into(),
        }),
        // Searching for a patient needs a role allowed to search; none is, yet.
        None => Some(AppError::Forbidden {
            code: "search_not_permitted",
            message: "your role may open a record only from a patient launch".into(),
        }),
    };
    if let Some(refusal) = refusal {
        let code = match &refusal {
            AppError::Forbidden { code, .. } => *code,
            _ => "refused",
        };
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
        return Err(refusal);
    }
    let context_id = state
        .contexts
        .open(&claims, &nhs, req.reason.as_deref(), &state.audit)
        .await?;
    Ok((StatusCode::CREATED, Json(ContextCreated { context_id })))
}

/// Fetches the record for a context from its sources and returns it once the access and
/// each source's outcome are committed to the audit log.
#[tracing::instrument(skip_all)]
pub async fn get_record(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Record>, AppError> {
    let claims = authenticate(&state, &headers).await?;
    let context = state.contexts.touch(&ctx, &claims.sub).await?;
    let digits = context.nhs_number.as_digits();
    let gp = &state.gp;
    // The access row is committed before any source is asked.
    state
        .audit
        .record(AuditEntry {
            claims: &claims,
            nhs_number: Some(&digits),
            context_id: Some(&context.id),
            action: Action::ViewRecord,
            outcome: Outcome::Allowed,
            detail: Some(&gp.source.id),
        })
        .await?;
    let answer = gp
        .structured_record(&context.nhs_number, &claims)
        .await
        .and_then(|bundle| normalise(&bundle, &context.nhs_number, &gp.source));
    let (outcome, detail) = match &answer {
        Ok(_) => (Outcome::Allowed, "answered".to_string()),
        Err(e) => {
            tracing::warn!(source = %gp.source.id, error = ?e, "source gave no usable answer");
            (Outcome::Failed, e.to_string())
        }
    };
    // The source's outcome row is committed before its data is returned.
    state
        .audit
        .record(AuditEntry {
            claims: &claims,
            nhs_number: Some(&digits),
            context_id: Some(&context.id),
            action: Action::SourceOutcome,
            outcome,
            detail: Some(&format!("{}: {detail}", gp.source.id)),
        })
        .await?;
    let record = match answer {
        Ok(gp_record) => Record {
            patient: Some(gp_record.patient),
            sources: vec![SourceStatus {
                source: gp.source.clone(),
                state: SourceState::Answered,
                as_of: Some(now_rfc3339()),
                message: None,
            }],
            sections: vec![
                Section {
                    kind: SectionKind::Problems,
                    entries: gp_record.problems,
                },
                Section {
                    kind: SectionKind::Medications,
                    entries: gp_record.medications,
                },
            ],
        },
        Err(e) => Record {
            patient: None,
            sources: vec![SourceStatus {
                source: gp.source.clone(),
                state: if matches!(e, SourceError::TimedOut) {
                    SourceState::TimedOut
                } else {
                    SourceState::Failed
                },
                as_of: None,
                message: Some(e.to_string()),
            }],
            sections: vec![],
        },
    };
    Ok(Json(record))
}
