//! GP Connect Access Record Structured (FHIR STU3): `POST
//! /{ods}/STU3/1/gpconnect/structured/fhir/Patient/$gpc.getstructuredrecord` for every
//! simulated practice.
//!
//! Each practice answers only for the patients on its list, as a real one does: a
//! patient registered elsewhere (or deceased, and so deregistered) is
//! `PATIENT_NOT_FOUND`; a patient who has dissented is `NO_PATIENT_CONSENT`; a
//! requesting organisation configured as having no relationship is `NO_RELATIONSHIP`.

pub mod bundle;
pub mod outcome;
pub mod request;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::gp_record::GpRecord;
use crate::state::SimState;
use outcome::{FHIR_JSON_STU3, GpcError};
pub use request::INTERACTION_ID;

/// The path of the operation under a practice's ODS code.
pub const OPERATION_PATH: &str =
    "/{ods}/STU3/1/gpconnect/structured/fhir/Patient/$gpc.getstructuredrecord";

/// The routes of every simulated practice.
pub fn router() -> Router<SimState> {
    Router::new().route(OPERATION_PATH, post(get_structured_record))
}

async fn get_structured_record(
    State(state): State<SimState>,
    Path(ods): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let population = &state.population;
    if population.practices().by_ods(&ods).is_none() {
        return GpcError::OrganisationNotFound.respond("no practice has this ODS code here");
    }
    let requesting_ods = match request::check_headers(&headers) {
        Ok(ods) => ods,
        Err(problem) => return GpcError::BadRequest.respond(&problem),
    };
    let (nhs, includes) = match request::parse_parameters(&body) {
        Ok(parsed) => parsed,
        Err((error, problem)) => return error.respond(&problem),
    };
    if requesting_ods
        .as_deref()
        .is_some_and(|o| state.config.no_relationship.iter().any(|n| n == o))
    {
        return GpcError::NoRelationship.respond("the requesting organisation has no relationship");
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    if let Some(replayed) = state
        .replays
        .gp_connect(&ods, &nhs, &format!("http://{host}"))
    {
        return (
            StatusCode::from_u16(replayed.status).unwrap_or(StatusCode::OK),
            [
                (header::CONTENT_TYPE, FHIR_JSON_STU3.to_string()),
                (
                    header::HeaderName::from_static("x-mcr-sim-replay"),
                    format!("{} rewrites", replayed.rewrites.len()),
                ),
            ],
            replayed.body,
        )
            .into_response();
    }
    let Some(patient) = population.find(&nhs) else {
        return GpcError::PatientNotFound.respond("patient not found");
    };
    if patient.practice_ods != ods || patient.deceased.is_some() {
        return GpcError::PatientNotFound.respond("patient not registered at this practice");
    }
    if patient.dissented {
        return GpcError::NoPatientConsent.respond("the patient has dissented from sharing");
    }
    let record = GpRecord::generate(population.seed(), &patient);
    let bundle = bundle::structured_record(&patient, &record, &includes);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, FHIR_JSON_STU3)],
        serde_json::to_vec(&bundle).unwrap_or_default(),
    )
        .into_response()
}
