//! The panel's calls to the gateway: open a patient context, then fetch the record.
//!
//! Every request carries the token in the `Authorization` header and an abort signal, so
//! unmounting the panel (or switching patient) cancels what is in flight.

use gloo_net::http::{Request, Response};
use mcr_model::{ApiError, ContextCreated, CreateContextRequest, NhsNumber, Record};
use web_sys::AbortSignal;

use crate::PanelOptions;

/// Why the record could not be shown, in words for the clinician.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

async fn error_from(response: Response) -> LoadError {
    match response.json::<ApiError>().await {
        Ok(e) => LoadError(e.message),
        Err(_) => LoadError(format!("the gateway answered {}", response.status())),
    }
}

fn network(e: gloo_net::Error) -> LoadError {
    LoadError(format!("the gateway could not be reached ({e})"))
}

/// Opens a context for the patient in `options` and fetches their record.
///
/// The record is accepted only if it is for the requested patient: a record for anyone
/// else is an error, never displayed.
pub async fn load_record(
    options: &PanelOptions,
    signal: Option<&AbortSignal>,
) -> Result<Record, LoadError> {
    let nhs = NhsNumber::parse(&options.nhs_number)
        .map_err(|e| LoadError(format!("the host passed an invalid NHS number: {e}")))?;
    let auth = format!("Bearer {}", options.token);
    let body = CreateContextRequest {
        nhs_number: nhs.as_digits(),
        reason: None,
        birth_date: None,
    };
    let response = Request::post(&format!("{}/api/v1/contexts", options.gateway_url))
        .header("Authorization", &auth)
        .abort_signal(signal)
        .json(&body)
        .map_err(network)?
        .send()
        .await
        .map_err(network)?;
    if !response.ok() {
        return Err(error_from(response).await);
    }
    let created: ContextCreated = response.json().await.map_err(network)?;
    let response = Request::get(&format!(
        "{}/api/v1/contexts/{}/record",
        options.gateway_url, created.context_id
    ))
    .header("Authorization", &auth)
    .header("Accept", "application/json")
    .abort_signal(signal)
    .send()
    .await
    .map_err(network)?;
    if !response.ok() {
        return Err(error_from(response).await);
    }
    let record: Record = response.json().await.map_err(network)?;
    match &record.patient {
        Some(p) if p.nhs_number != nhs => Err(LoadError(
            "the gateway returned a record for a different patient; it has not been shown".into(),
        )),
        _ => Ok(record),
    }
}
