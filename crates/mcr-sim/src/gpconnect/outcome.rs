//! GP Connect `OperationOutcome` errors: the Spine error code, the FHIR issue type and
//! the HTTP status travel together, as the GP Connect error-handling guidance pairs them.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The STU3 content type GP Connect answers with.
pub const FHIR_JSON_STU3: &str = "application/fhir+json;charset=utf-8";

/// A GP Connect error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpcError {
    /// Malformed request (headers, JWT).
    BadRequest,
    /// The body is not a Parameters resource.
    InvalidResource,
    /// A parameter is missing, unknown or malformed.
    InvalidParameter,
    /// The NHS number fails validation.
    InvalidNhsNumber,
    /// The patient is not registered at this practice (or is deceased).
    PatientNotFound,
    /// The practice does not exist at this address.
    OrganisationNotFound,
    /// The requesting organisation has no legitimate relationship.
    NoRelationship,
    /// The patient has dissented from sharing.
    NoPatientConsent,
}

impl GpcError {
    /// `(HTTP status, FHIR issue type, Spine code, display)`.
    pub fn parts(self) -> (StatusCode, &'static str, &'static str, &'static str) {
        match self {
            GpcError::BadRequest => (
                StatusCode::BAD_REQUEST,
                "invalid",
                "BAD_REQUEST",
                "Bad request",
            ),
            GpcError::InvalidResource => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "INVALID_RESOURCE",
                "Invalid validation of resource",
            ),
            GpcError::InvalidParameter => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "INVALID_PARAMETER",
                "Invalid parameter",
            ),
            GpcError::InvalidNhsNumber => (
                StatusCode::BAD_REQUEST,
                "value",
                "INVALID_NHS_NUMBER",
                "Invalid NHS number",
            ),
            GpcError::PatientNotFound => (
                StatusCode::NOT_FOUND,
                "not-found",
                "PATIENT_NOT_FOUND",
                "Patient not found",
            ),
            GpcError::OrganisationNotFound => (
                StatusCode::NOT_FOUND,
                "not-found",
                "ORGANISATION_NOT_FOUND",
                "Organisation not found",
            ),
            GpcError::NoRelationship => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "NO_RELATIONSHIP",
                "No legitimate relationship exists with this patient",
            ),
            GpcError::NoPatientConsent => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "NO_PATIENT_CONSENT",
                "Patient has not provided consent to share data",
            ),
        }
    }

    /// The `OperationOutcome` carrying `diagnostics`.
    pub fn body(self, diagnostics: &str) -> Value {
        let (_, code, spine, display) = self.parts();
        json!({
            "resourceType": "OperationOutcome",
            "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
            "issue": [{
                "severity": "error",
                "code": code,
                "details": {"coding": [{
                    "system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                    "code": spine,
                    "display": display,
                }]},
                "diagnostics": diagnostics,
            }]
        })
    }

    /// The error as an HTTP response carrying `diagnostics`.
    pub fn respond(self, diagnostics: &str) -> Response {
        let status = self.parts().0;
        (
            status,
            [(header::CONTENT_TYPE, FHIR_JSON_STU3)],
            self.body(diagnostics).to_string(),
        )
            .into_response()
    }

    /// Every error.
    pub const ALL: [GpcError; 8] = [
        GpcError::BadRequest,
        GpcError::InvalidResource,
        GpcError::InvalidParameter,
        GpcError::InvalidNhsNumber,
        GpcError::PatientNotFound,
        GpcError::OrganisationNotFound,
        GpcError::NoRelationship,
        GpcError::NoPatientConsent,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_pairs_its_spine_code_with_the_documented_status() {
        assert_eq!(GpcError::PatientNotFound.parts().0, StatusCode::NOT_FOUND);
        assert_eq!(GpcError::NoRelationship.parts().2, "NO_RELATIONSHIP");
        assert_eq!(GpcError::NoPatientConsent.parts().0, StatusCode::FORBIDDEN);
        assert_eq!(GpcError::InvalidNhsNumber.parts().1, "value");
    }
}
