//! The demographics service client (PDS FHIR shaped): who the patient is and which
//! practice they are registered with. The NHS number goes in a form body
//! (`POST Patient/_search`), never in a URL.

use std::time::Duration;

use mcr_model::{Demographics, NhsNumber};

use super::SourceError;
use super::http_fetch::{parse, read_body, refusal, send};
use crate::normalise::fhir::{demographics, identifier};
use crate::normalise::types::Resource;

const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// What the demographics service says about a patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdsAnswer {
    /// Demographics (the practice's name is filled in by the locator from the registry).
    pub patient: Demographics,
    /// ODS code of the registered practice, if any.
    pub practice_ods: Option<String>,
}

/// Looks `nhs` up; `Ok(None)` when the service does not know the patient.
pub async fn lookup(
    http: &reqwest::Client,
    base_url: &str,
    deadline: Duration,
    nhs: &NhsNumber,
) -> Result<Option<PdsAnswer>, SourceError> {
    let base = base_url.trim_end_matches('/');
    let request = http
        .post(format!("{base}/Patient/_search"))
        .header("Accept", "application/fhir+json")
        .form(&[(
            "identifier",
            format!("https://fhir.nhs.uk/Id/nhs-number|{}", nhs.as_digits()),
        )])
        .timeout(deadline);
    let (status, body) = read_body(send(request, false).await?).await?;
    let body: Resource<'_> = parse(status, &body)?;
    if status == 404 {
        return Ok(None);
    }
    if !(200..300).contains(&status) {
        return Err(refusal(status, &body.issue));
    }
    // A search answers a Bundle; accept a bare Patient too.
    let patient: Option<&Resource<'_>> = if body.resource_type.is("Patient") {
        Some(&body)
    } else {
        body.entry
            .iter()
            .filter_map(|e| e.resource.0.as_deref())
            .find(|r| r.resource_type.is("Patient"))
    };
    let Some(patient) = patient else {
        return Ok(None);
    };
    let found = identifier(patient, "https://fhir.nhs.uk/Id/nhs-number")
        .and_then(|n| NhsNumber::parse(n).ok());
    if found.as_ref() != Some(nhs) {
        return Err(SourceError::WrongPatient);
    }
    let practice_ods = patient
        .general_practitioner
        .iter()
        .filter(|gp| gp.identifier.system.is(ODS_SYSTEM))
        .find_map(|gp| gp.identifier.value.as_str())
        .map(|s| s.trim().to_string());
    Ok(Some(PdsAnswer {
        patient: demographics(patient, nhs.clone(), None),
        practice_ods,
    }))
}
