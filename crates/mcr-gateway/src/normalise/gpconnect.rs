//! GP Connect structured record (FHIR STU3 Bundle) → the model.
//!
//! The answer is refused entirely unless it holds exactly one Patient whose NHS number
//! is the one requested and every subject/patient reference names that Patient.
//! MedicationStatements are the medication entries (the MedicationRequests behind them
//! are authorisations and issues); List warning codes (`confidential-items`,
//! `data-in-transit`, `data-awaiting-filing`) become the source's warnings.

use mcr_model::{NhsNumber, PracticeRef, SourceRef};
use serde::Deserialize;
use serde_json::Value;

use super::fhir::{demographics, identifier, refers_to_another_patient, text};
use super::links;
use super::resources::{Index, Options, sections};
use super::types::Resource;
use crate::sources::{SourceAnswer, SourceError};

const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// Maps a structured record bundle, already parsed as a JSON tree, for `expected` into
/// the model (the gateway itself reads the body with [`normalise_body`]).
pub fn normalise(
    bundle: &Value,
    expected: &NhsNumber,
    source: &SourceRef,
) -> Result<SourceAnswer, SourceError> {
    let bundle = Resource::deserialize(bundle)
        .map_err(|e| SourceError::Malformed(format!("unreadable bundle: {e}")))?;
    normalise_bundle(&bundle, expected, source)
}

/// Maps a structured record bundle's body for `expected` into the model.
pub fn normalise_body(
    body: &[u8],
    expected: &NhsNumber,
    source: &SourceRef,
) -> Result<SourceAnswer, SourceError> {
    let bundle: Resource<'_> = serde_json::from_slice(body)
        .map_err(|e| SourceError::Malformed(format!("not JSON: {e}")))?;
    normalise_bundle(&bundle, expected, source)
}

/// Maps a structured record bundle for `expected` into the model.
pub fn normalise_bundle(
    bundle: &Resource<'_>,
    expected: &NhsNumber,
    source: &SourceRef,
) -> Result<SourceAnswer, SourceError> {
    if !bundle.resource_type.is("Bundle") {
        return Err(SourceError::Malformed("not a Bundle".into()));
    }
    let resources: Vec<&Resource<'_>> = bundle
        .entry
        .iter()
        .filter_map(|e| e.resource.0.as_deref())
        .collect();
    let mut patients = resources.iter().filter(|r| r.resource_type.is("Patient"));
    let (Some(patient), None) = (patients.next(), patients.next()) else {
        return Err(SourceError::Malformed(
            "the bundle must hold exactly one Patient".into(),
        ));
    };
    let nhs = identifier(patient, NHS_NUMBER_SYSTEM)
        .and_then(|n| NhsNumber::parse(n).ok())
        .ok_or(SourceError::WrongPatient)?;
    if &nhs != expected {
        return Err(SourceError::WrongPatient);
    }
    let patient_id = patient.id.text().unwrap_or_default();
    if resources
        .iter()
        .any(|r| refers_to_another_patient(r, patient_id))
    {
        return Err(SourceError::WrongPatient);
    }
    let index = Index::new(resources.iter().copied());
    let practice = std::iter::once(&*patient.managing_organization)
        .chain(patient.general_practitioner.iter())
        .filter_map(|r| index.resolve(r, patient))
        .find(|r| r.resource_type.is("Organization"))
        .and_then(|org| {
            Some(PracticeRef {
                ods_code: identifier(org, ODS_SYSTEM)?.to_string(),
                name: org
                    .name
                    .single()
                    .and_then(|n| text(&n.string))
                    .unwrap_or_else(|| source.organisation.clone()),
            })
        });
    let mut answer = SourceAnswer {
        patient: Some(demographics(patient, nhs, practice)),
        ..Default::default()
    };
    let (sections, entered_in_error) = sections(
        resources.iter().copied(),
        &index,
        source,
        Options {
            medication_requests: false,
        },
    );
    answer.sections = sections;
    answer.entered_in_error = entered_in_error;
    answer.related = links::related(resources.iter().copied());
    let mut warnings: Vec<String> = resources
        .iter()
        .filter(|r| r.resource_type.is("List"))
        .flat_map(|l| l.extension.iter().filter_map(|x| text(&x.value_code)))
        .collect();
    warnings.sort();
    warnings.dedup();
    answer.warnings = warnings;
    Ok(answer)
}
