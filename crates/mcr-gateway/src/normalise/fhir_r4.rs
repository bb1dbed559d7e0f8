//! FHIR R4 search results for one patient → the model. The caller has already tied the
//! patient's logical id to the requested NHS number; here every resource must refer to
//! that id, or the whole answer is discarded.

use mcr_model::{NhsNumber, SourceRef};
use serde_json::Value;

use super::fhir::{demographics, refers_to_another_patient};
use super::links;
use super::resources::{Index, Options, sections};
use crate::sources::{SourceAnswer, SourceError};

/// Maps the resources found for patient `patient_id` (whose NHS number is `nhs`).
pub fn normalise(
    patient: &Value,
    patient_id: &str,
    nhs: &NhsNumber,
    resources: &[Value],
    source: &SourceRef,
) -> Result<SourceAnswer, SourceError> {
    if resources
        .iter()
        .any(|r| refers_to_another_patient(r, patient_id))
    {
        return Err(SourceError::WrongPatient);
    }
    let index = Index::new(resources.iter());
    let mut answer = SourceAnswer {
        patient: Some(demographics(patient, nhs.clone(), None)),
        ..Default::default()
    };
    let (sections, entered_in_error) = sections(
        resources,
        &index,
        source,
        Options {
            medication_requests: true,
        },
    );
    answer.sections = sections;
    answer.entered_in_error = entered_in_error;
    answer.related = links::related(resources.iter());
    Ok(answer)
}
