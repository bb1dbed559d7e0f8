//! Patient demographics as shown in the patient banner.

use serde::{Deserialize, Serialize};

use crate::NhsNumber;

/// A GP practice, named by its ODS code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeRef {
    /// ODS organisation code, e.g. `A81001`.
    pub ods_code: String,
    /// The practice's name.
    pub name: String,
}

/// Who the patient is, as the source that holds the registration says.
///
/// Optional fields are `None` when the source did not say; the panel shows "Not known".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demographics {
    /// The patient's NHS number.
    pub nhs_number: NhsNumber,
    /// Family name.
    pub family_name: Option<String>,
    /// Given names, in order.
    pub given_names: Vec<String>,
    /// Date of birth, ISO 8601 (`YYYY-MM-DD`).
    pub birth_date: Option<String>,
    /// Administrative gender as the source gave it (`male`, `female`, `other`, `unknown`).
    pub gender: Option<String>,
    /// Address lines, postcode last.
    pub address: Vec<String>,
    /// The registered GP practice.
    pub registered_practice: Option<PracticeRef>,
    /// Date of death, ISO 8601, when the patient has died.
    pub deceased_date: Option<String>,
}
