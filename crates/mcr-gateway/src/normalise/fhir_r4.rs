//! FHIR R4 search results for one patient → the model. The caller has already tied the
//! patient's logical id to the requested NHS number; here every resource must refer to
//! that id, or the whole answer is discarded.

use mcr_model::{NhsNumber, SourceRef};

use super::fhir::{demographics, refers_to_another_patient};
use super::links;
use super::resources::{Index, Options, sections};
use super::types::Resource;
use crate::sources::{SourceAnswer, SourceError};

/// Maps the resources found for patient `patient_id` (whose NHS number is `nhs`).
pub fn normalise<'r, 'a>(
    patient: &Resource<'_>,
    patient_id: &str,
    nhs: &NhsNumber,
    resources: &[&'r Resource<'a>],
    source: &SourceRef,
) -> Result<SourceAnswer, SourceError> {
    if resources
        .iter()
        .any(|r| refers_to_another_patient(r, patient_id))
    {
        return Err(SourceError::WrongPatient);
    }
    let index = Index::new(resources.iter().copied());
    let mut answer = SourceAnswer {
        patient: Some(demographics(patient, nhs.clone(), None)),
        ..Default::default()
    };
    let (sections, entered_in_error) = sections(
        resources.iter().copied(),
        &index,
        source,
        Options {
            medication_requests: true,
        },
    );
    answer.sections = sections;
    answer.entered_in_error = entered_in_error;
    answer.related = links::related(resources.iter().copied());
    Ok(answer)
}
