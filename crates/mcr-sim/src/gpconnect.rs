//! GP Connect Access Record Structured (FHIR STU3): `POST
//! /{ods}/STU3/1/gpconnect/structured/fhir/Patient/$gpc.getstructuredrecord`.
//!
//! Checks what a real provider checks — the Spine headers, the interaction id, a JWT
//! whose `reason_for_request` is `directcare`, a valid NHS number in the Parameters body
//! — and answers with a `GPConnect-StructuredRecord-Bundle-1` collection or a GP Connect
//! `OperationOutcome` with the matching HTTP status.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use mcr_model::NhsNumber;
use serde_json::{Value, json};

use crate::population::{MEDICINES, PROBLEMS, Patient, Population};
use crate::{PRACTICE_NAME, PRACTICE_ODS};

/// The interaction id a structured record request must carry in `Ssp-InteractionID`.
pub const INTERACTION_ID: &str =
    "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";

const FHIR_JSON: &str = "application/fhir+json;charset=utf-8";
const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const SNOMED: &str = "http://snomed.info/sct";

/// The router for one simulated practice.
pub fn router(population: Population) -> Router {
    Router::new()
        .route(
            "/{ods}/STU3/1/gpconnect/structured/fhir/Patient/$gpc.getstructuredrecord",
            post(get_structured_record),
        )
        .with_state(population)
}

async fn get_structured_record(
    State(population): State<Population>,
    Path(ods): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if ods != PRACTICE_ODS {
        return outcome(
            StatusCode::NOT_FOUND,
            "not-found",
            "NO_RECORD_FOUND",
            "unknown practice",
        );
    }
    if let Err(problem) = check_headers(&headers) {
        return outcome(StatusCode::BAD_REQUEST, "invalid", "BAD_REQUEST", &problem);
    }
    let Ok(params) = serde_json::from_str::<Value>(&body) else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            "BAD_REQUEST",
            "body is not JSON",
        );
    };
    let Some(raw_nhs) = nhs_number_parameter(&params) else {
        return outcome(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "INVALID_PARAMETER",
            "patientNHSNumber parameter is missing",
        );
    };
    let Ok(nhs) = NhsNumber::parse(raw_nhs) else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "value",
            "INVALID_NHS_NUMBER",
            "NHS number is invalid",
        );
    };
    let Some(patient) = population.find(&nhs) else {
        return outcome(
            StatusCode::NOT_FOUND,
            "not-found",
            "PATIENT_NOT_FOUND",
            "patient not found",
        );
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, FHIR_JSON)],
        structured_record(&patient).to_string(),
    )
        .into_response()
}

/// Checks the Spine headers and the JWT claims a provider relies on.
fn check_headers(headers: &HeaderMap) -> Result<(), String> {
    for name in ["Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID"] {
        if headers.get(name).is_none() {
            return Err(format!("missing header {name}"));
        }
    }
    if headers["Ssp-InteractionID"] != INTERACTION_ID {
        return Err("Ssp-InteractionID does not match the operation".into());
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or("missing bearer token")?;
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .ok_or("the bearer token is not a JWT")?;
    if claims["reason_for_request"] != "directcare" {
        return Err("reason_for_request must be directcare".into());
    }
    for claim in [
        "requesting_organization",
        "requesting_practitioner",
        "requested_scope",
    ] {
        if claims.get(claim).is_none() {
            return Err(format!("JWT claim {claim} is missing"));
        }
    }
    Ok(())
}

fn nhs_number_parameter(params: &Value) -> Option<&str> {
    params["parameter"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == "patientNHSNumber")?["valueIdentifier"]["value"]
        .as_str()
}

/// A GP Connect `OperationOutcome` with the Spine error code.
fn outcome(status: StatusCode, code: &str, spine_code: &str, diagnostics: &str) -> Response {
    let body = json!({
        "resourceType": "OperationOutcome",
        "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
        "issue": [{
            "severity": "error",
            "code": code,
            "details": {"coding": [{
                "system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                "code": spine_code,
            }]},
            "diagnostics": diagnostics,
        }]
    });
    (
        status,
        [(header::CONTENT_TYPE, FHIR_JSON)],
        body.to_string(),
    )
        .into_response()
}

fn snomed(code: &str, display: &str) -> Value {
    json!({"coding": [{"system": SNOMED, "code": code, "display": display}]})
}

/// The structured record bundle for one patient.
pub fn structured_record(p: &Patient) -> Value {
    let mut entries = vec![
        json!({"resource": {
            "resourceType": "Patient",
            "id": "1",
            "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"]},
            "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": p.nhs_number.as_digits()}],
            "active": true,
            "name": [{"use": "official", "family": p.family, "given": [p.given]}],
            "gender": p.gender,
            "birthDate": p.birth_date,
            "address": [{"use": "home", "line": p.address_lines, "city": p.town, "postalCode": p.postcode}],
            "generalPractitioner": [{"reference": "Practitioner/1"}],
            "managingOrganization": {"reference": "Organization/1"},
        }}),
        json!({"resource": {
            "resourceType": "Organization",
            "id": "1",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": PRACTICE_ODS}],
            "name": PRACTICE_NAME,
        }}),
        json!({"resource": {
            "resourceType": "Practitioner",
            "id": "1",
            "name": [{"use": "usual", "family": "Okafor", "given": ["Adaeze"], "prefix": ["Dr"]}],
        }}),
    ];
    let mut problem_refs = Vec::new();
    for (k, (problem, onset)) in p.problems.iter().enumerate() {
        let concept = PROBLEMS[*problem];
        let id = format!("problem-{k}");
        problem_refs.push(json!({"item": {"reference": format!("Condition/{id}")}}));
        entries.push(json!({"resource": {
            "resourceType": "Condition",
            "id": id,
            "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProblemHeader-Condition-1"]},
            "clinicalStatus": "active",
            "category": [{"coding": [{"system": "http://hl7.org/fhir/condition-category", "code": "problem-list-item"}]}],
            "code": snomed(concept.code, concept.display),
            "subject": {"reference": "Patient/1"},
            "onsetDateTime": format!("{onset}-03-01"),
            "assertedDate": format!("{onset}-03-01T00:00:00+00:00"),
        }}));
    }
    let mut med_refs = Vec::new();
    for (k, (medicine, start, current)) in p.medicines.iter().enumerate() {
        let (concept, dosage) = MEDICINES[*medicine];
        let (statement, medication, request) =
            (format!("ms-{k}"), format!("med-{k}"), format!("mr-{k}"));
        med_refs.push(json!({"item": {"reference": format!("MedicationStatement/{statement}")}}));
        let mut period = json!({"start": format!("{start}-06-01")});
        if !current {
            period["end"] = json!(format!("{}-06-01", start + 1));
        }
        entries.push(json!({"resource": {
            "resourceType": "Medication",
            "id": medication,
            "code": snomed(concept.code, concept.display),
        }}));
        entries.push(json!({"resource": {
            "resourceType": "MedicationRequest",
            "id": request,
            "status": if *current { "active" } else { "stopped" },
            "intent": "plan",
            "medicationReference": {"reference": format!("Medication/{medication}")},
            "subject": {"reference": "Patient/1"},
            "authoredOn": format!("{start}-06-01"),
            "dosageInstruction": [{"text": dosage}],
        }}));
        entries.push(json!({"resource": {
            "resourceType": "MedicationStatement",
            "id": statement,
            "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-MedicationStatement-1"]},
            "basedOn": [{"reference": format!("MedicationRequest/{request}")}],
            "status": if *current { "active" } else { "completed" },
            "medicationReference": {"reference": format!("Medication/{medication}")},
            "effectivePeriod": period,
            "subject": {"reference": "Patient/1"},
            "taken": "unk",
            "dosage": [{"text": dosage}],
        }}));
    }
    entries.push(json!({"resource": {
        "resourceType": "List", "status": "current", "mode": "snapshot", "title": "Problems",
        "code": snomed("717711000000103", "Problems"),
        "subject": {"reference": "Patient/1"}, "entry": problem_refs,
    }}));
    entries.push(json!({"resource": {
        "resourceType": "List", "status": "current", "mode": "snapshot",
        "title": "Medications and medical devices",
        "code": snomed("933361000000108", "Medications and medical devices"),
        "subject": {"reference": "Patient/1"}, "entry": med_refs,
    }}));
    json!({
        "resourceType": "Bundle",
        "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1"]},
        "type": "collection",
        "entry": entries,
    })
}
