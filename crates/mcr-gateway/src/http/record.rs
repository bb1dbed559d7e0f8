//! The record: `GET /api/v1/contexts/{ctx}/record` as an NDJSON stream, whole JSON, or
//! a FHIR R4 Bundle.

use std::convert::Infallible;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use mcr_model::{Record, RecordEvent};
use tokio::sync::mpsc;

use super::AppState;
use super::access::{self, Access, Rule};
use crate::audit::{Action, AuditEntry, Outcome};

use crate::error::AppError;
use crate::policy::Permission;
use crate::view::{
    Fetches, Locating, PendingRegistration, View, prefer_patient, registration_detail, run,
};

/// The NDJSON media type of the streamed record.
pub const NDJSON: &str = "application/x-ndjson";
/// The FHIR media type of the record as an R4 Bundle.
pub const FHIR_JSON: &str = "application/fhir+json";

fn wants(headers: &HeaderMap, media_type: &str) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with(media_type)))
}

/// Who may read the record: clinicians, and social workers in their dataset; subject to
/// the dissent register.
const RULE: Rule = Rule {
    action: Action::ViewRecord,
    permissions: &[Permission::Record],
    refused: "your role does not see clinical records",
    dissent_applies: true,
};

/// Reads the record's query: nothing, or `source=ID` to ask only that located source
/// (the panel's retry of a source that failed). Anything else is a 400.
pub fn only_source(query: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    let refuse = || {
        AppError::bad_request(
            "invalid_query",
            "the record takes no query, or only source=ID to ask one located source again",
        )
    };
    let id = query.strip_prefix("source=").ok_or_else(refuse)?;
    let valid = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(Some(id.to_string()))
    } else {
        Err(refuse())
    }
}

/// The record for a context: every located source asked at once (or, with
/// `?source=ID`, only that one); with `Accept: application/x-ndjson` each source's data
/// is sent as it arrives, otherwise the whole record once every source has finished.
/// The access row is committed before any source is asked.
///
/// A view needs a slot ([`crate::admission`]): when the gateway is serving as many as it
/// may and its queue is full, the answer is `503` with `Retry-After`, before anything
/// is checked, written or asked.
#[tracing::instrument(skip_all)]
pub async fn get_record(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let only = only_source(query.as_deref())?;
    let slot = state.views.admit().await?;
    let Access {
        claims,
        context,
        grant,
    } = access::check(&state, &headers, &ctx, RULE).await?;
    let nhs = context.nhs_number.clone();
    // A kind of source outside the role's dataset is neither asked nor named.
    let dataset = state.policy.dataset_for(claims.role.as_deref());
    let shown = |source: &crate::sources::Source| {
        dataset
            .as_ref()
            .is_none_or(|d| d.shows_source(source.reference.kind))
            && only.as_ref().is_none_or(|id| *id == source.reference.id)
    };
    // Providers are known from their pointers (a store lookup). The registered practice
    // is either the only one configured, or named by the demographics service — which
    // is asked now, in its own task, so that its answer and the access row's commit
    // overlap; the practice is asked once a row naming it is committed (see `view`).
    // A retry of one source knows the practice first, so that it can tell whether the
    // source asked for is the practice.
    let lookup = (only.is_none() && state.locator.asks_demographics()).then(|| {
        let (locator, nhs) = (state.locator.clone(), nhs.clone());
        PendingRegistration::spawn(async move { locator.registration(&nhs).await })
    });
    let providers: Vec<_> = state
        .locator
        .pointer_sources(&nhs)
        .await?
        .into_iter()
        .filter(|s| shown(s))
        .collect();
    let mut fetches = Fetches::default();
    let mut detail = format!(
        "{}{}",
        if only.is_some() { "retry; " } else { "" },
        grant
            .as_ref()
            .map(|g| format!("break-glass {}; ", g.id))
            .unwrap_or_default()
    );
    let mut known_practice = None;
    let locating = if let Some(lookup) = lookup {
        let asking: Vec<&str> = providers.iter().map(|s| s.reference.id.as_str()).collect();
        detail.push_str(&format!(
            "asking: {}; and the registered practice the demographics service names",
            if asking.is_empty() {
                "none".into()
            } else {
                asking.join(", ")
            }
        ));
        Locating::Pending(lookup)
    } else {
        let registration = state.locator.registration(&nhs).await;
        let practice = registration.practice.clone().filter(|p| shown(p));
        let mut asking: Vec<&str> = providers.iter().map(|s| s.reference.id.as_str()).collect();
        if let Some(p) = &practice {
            asking.insert(0, p.reference.id.as_str());
        }
        let asking = (!asking.is_empty()).then(|| asking.join(", "));
        // For the snooping report: a user looking at someone who shares their surname.
        detail.push_str(&registration_detail(
            &registration,
            asking.as_deref(),
            claims.name.as_deref(),
        ));
        known_practice = practice;
        Locating::Known(registration.patient)
    };
    if only.is_some() && providers.is_empty() && known_practice.is_none() {
        return Err(AppError::NotFound {
            code: "source_not_located",
            message: "that source is not one this patient's record is located at".into(),
        });
    }
    let digits = nhs.as_digits();
    // The access row is committed before any source is asked.
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
    if let Some(practice) = known_practice {
        fetches.ask(practice, &nhs, &claims, true);
    }
    for source in providers {
        fetches.ask(source, &nhs, &claims, false);
    }
    let (tx, rx) = mpsc::channel(16);
    let view = View {
        claims,
        nhs,
        context_id: context.id,
        locating,
        fetches,
        audit: state.audit.clone(),
        sensitive: state.sensitive.clone(),
        dataset,
    };
    // The view's per-source audit rows belong to this request too. The view keeps its
    // slot until its last event is handed over.
    tokio::spawn(crate::request_id::scope(
        crate::request_id::this_request(),
        async move {
            run(view, tx).await;
            drop(slot);
        },
    ));
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
        dataset: None,
    };
    let mut from_sources = None;
    while let Some((event, patient)) = rx.recv().await {
        match event {
            RecordEvent::Patient { patient } => record.patient = patient,
            RecordEvent::Located { sources, dataset } => {
                record.located = sources;
                record.dataset = dataset;
            }
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
