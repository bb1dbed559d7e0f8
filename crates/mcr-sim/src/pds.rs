//! A demographics service shaped like PDS FHIR (R4): `GET /pds/FHIR/R4/Patient/{nhs}`
//! as the real API reads a patient, and `POST /pds/FHIR/R4/Patient/_search` with a form
//! body (`identifier=…`) for callers that keep NHS numbers out of URLs. The Patient
//! carries the registered practice as `generalPractitioner` (an ODS code), the address,
//! the name and, for the deceased, `deceasedDateTime` — what a record locator needs.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mcr_model::NhsNumber;
use serde_json::{Value, json};

use crate::dates::{date, date_time};
use crate::fhir_r4::{FHIR_JSON_R4, outcome};
use crate::population::Patient;
use crate::state::SimState;

/// The routes of the demographics service.
pub fn router() -> Router<SimState> {
    Router::new()
        .route("/pds/FHIR/R4/Patient/{nhs}", get(read_patient))
        .route("/pds/FHIR/R4/Patient/_search", post(search_patient))
}

/// The PDS-shaped Patient for `p`.
pub fn pds_patient(p: &Patient) -> Value {
    let nhs = p.nhs_number.as_digits();
    let mut r = json!({
        "resourceType": "Patient",
        "id": nhs,
        "meta": {"versionId": "2", "security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "U", "display": "unrestricted"}]},
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs,
            "extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
                "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland", "code": "01", "display": "Number present and verified"}]}}]}],
        "name": [{"use": "usual", "period": {"start": p.birth_date}, "family": p.family,
            "given": std::iter::once(p.given).chain(p.middle).collect::<Vec<_>>()}],
        "gender": p.gender,
        "birthDate": p.birth_date,
        "address": [{"use": "home", "period": {"start": date(p.registered_since)}, "line": p.address_lines, "city": p.town, "district": p.district, "postalCode": p.postcode}],
        "generalPractitioner": [{"type": "Organization", "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": p.practice_ods,
            "period": {"start": date(p.registered_since)}}}],
    });
    if let Some(d) = p.deceased {
        r["deceasedDateTime"] = json!(date_time(d, 0));
    }
    r
}

fn answer(state: &SimState, raw: &str) -> Response {
    let Ok(nhs) = NhsNumber::parse(raw) else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "value",
            "INVALID_RESOURCE_ID: invalid NHS number",
        );
    };
    match state.population.find(&nhs) {
        Some(p) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, FHIR_JSON_R4)],
            serde_json::to_vec(&pds_patient(&p)).unwrap_or_default(),
        )
            .into_response(),
        None => outcome(
            StatusCode::NOT_FOUND,
            "not-found",
            "RESOURCE_NOT_FOUND: patient not found",
        ),
    }
}

async fn read_patient(State(state): State<SimState>, Path(nhs): Path<String>) -> Response {
    answer(&state, &nhs)
}

async fn search_patient(
    State(state): State<SimState>,
    Form(params): Form<Vec<(String, String)>>,
) -> Response {
    let Some((_, identifier)) = params.iter().find(|(k, _)| k == "identifier") else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "required",
            "identifier is required",
        );
    };
    let value = identifier.rsplit('|').next().unwrap_or_default();
    answer(&state, value)
}
