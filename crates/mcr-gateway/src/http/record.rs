//! Patient contexts and the record: `POST /api/v1/contexts`,
//! `GET /api/v1/contexts/{ctx}/record` (NDJSON stream or whole JSON).

use std::convert::Infallible;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mcr_model::{ContextCreated, CreateContextRequest, NhsNumber, Record, RecordEvent};
use tokio::sync::mpsc;

use super::{AppState, authenticate};
use crate::audit::{Action, AuditEntry, Outcome};

use crate::error::AppError;
use crate::policy;
use crate::view::{Fetches, View, prefer_patient, run};

/// The NDJSON media type of the streamed record.
pub const NDJSON: &str = "application/x-ndjson";
/// The FHIR media type of the record as an R4 Bundle.
pub const FHIR_JSON: &str = "application/fhir+json";

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
    // The dissent register applies to the whole record for anyone who would see it.
    let refusal = match refusal {
        None if policy::may_view_clinical(role)
            && state.store.dissent(&nhs.as_digits()).await?.is_some() =>
        {
            Some((
                "patient_dissent",
                "this patient has asked for their record not to be shared through My Care Record",
            ))
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
    let context_id = state
        .contexts
        .open(&claims, &nhs, reason, &state.audit)
        .await?;
    Ok((StatusCode::CREATED, Json(ContextCreated { context_id })))
}

fn wants(headers: &HeaderMap, media_type: &str) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with(media_type)))
}

/// The record for a context: every located source asked at once; with `Accept:
/// application/x-ndjson` each source's data is sent as it arrives, otherwise the whole
/// record once every source has finished. The access row is committed first.
#[tracing::instrument(skip_all)]
pub async fn get_record(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let claims = authenticate(&state, &headers).await?;
    let context = state.contexts.touch(&ctx, &claims.sub).await?;
    let nhs = context.nhs_number.clone();
    if !policy::may_view_clinical(claims.role.as_deref()) {
        state
            .audit
            .record(AuditEntry {
                claims: &claims,
                nhs_number: Some(&nhs.as_digits()),
                context_id: Some(&context.id),
                action: Action::ViewRecord,
                outcome: Outcome::Refused,
                detail: Some("role_not_permitted"),
            })
            .await?;
        return Err(AppError::Forbidden {
            code: "role_not_permitted",
            message: "your role does not see clinical records".into(),
        });
    }
    // Providers known from their pointers are asked at once; the registered practice
    // when the demographics service has said which it is.
    let mut fetches = Fetches::default();
    for source in state.locator.pointer_sources(&nhs).await? {
        fetches.ask(source, &nhs, &claims, false);
    }
    let registration = state.locator.registration(&nhs).await;
    if let Some(practice) = registration.practice {
        fetches.ask(practice, &nhs, &claims, true);
    }
    let asked: Vec<&str> = fetches.asked().iter().map(|s| s.id.as_str()).collect();
    let mut detail = format!(
        "asking: {}",
        if asked.is_empty() {
            "none".into()
        } else {
            asked.join(", ")
        }
    );
    for note in &registration.notes {
        detail.push_str(&format!("; {note}"));
    }
    let digits = nhs.as_digits();
    // The access row is committed before any event is sent (dropping `fetches` on
    // failure cancels the upstream calls).
    state
        .audit
        .record(AuditEntry {
            claims: &claims,
            nhs_number: Some(&digits),
            context_id: Some(&context.id),
            action: Action::ViewRecord,
            outcome: Outcome::Allowed,
            detail: Some(&detail),
        })
        .await?;
    let (tx, rx) = mpsc::channel(16);
    let view = View {
        claims,
        nhs,
        context_id: context.id,
        patient: registration.patient,
        fetches,
        audit: state.audit.clone(),
        sensitive: state.sensitive.clone(),
    };
    tokio::spawn(run(view, tx));
    if wants(&headers, NDJSON) {
        let lines = futures_util::stream::unfold(rx, |mut rx| async move {
            let (event, _) = rx.recv().await?;
            let mut line = serde_json::to_vec(&event).unwrap_or_default();
            line.push(b'\n');
            Some((Ok::<_, Infallible>(Bytes::from(line)), rx))
        });
        let mut response = Body::from_stream(lines).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
        // Tell proxies not to buffer the stream.
        response
            .headers_mut()
            .insert("x-accel-buffering", HeaderValue::from_static("no"));
        return Ok(response);
    }
    let record = collect(rx).await?;
    if wants(&headers, FHIR_JSON) {
        let mut response = Json(crate::fhir_out::bundle(&record)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
        return Ok(response);
    }
    Ok(Json(record).into_response())
}

/// Waits for every source and assembles the whole record; an aborted view is a 503.
async fn collect(
    mut rx: mpsc::Receiver<(RecordEvent, Option<mcr_model::Demographics>)>,
) -> Result<Record, AppError> {
    let mut record = Record {
        patient: None,
        located: vec![],
        sources: vec![],
        sections: vec![],
    };
    let mut from_sources = None;
    while let Some((event, patient)) = rx.recv().await {
        match event {
            RecordEvent::Patient { patient } => record.patient = patient,
            RecordEvent::Located { sources } => record.located = sources,
            RecordEvent::Source { status, sections } => {
                // Without a demographics service, the registered practice's answer says
                // who the patient is.
                prefer_patient(&mut from_sources, patient);
                record.add_source(status, sections);
            }
            RecordEvent::Complete => break,
            RecordEvent::Aborted { message } => return Err(AppError::AuditUnavailable(message)),
        }
    }
    prefer_patient(&mut record.patient, from_sources);
    Ok(record)
}
