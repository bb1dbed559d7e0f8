//! Request and response bodies of the gateway API (v1) other than the record itself.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/contexts` body. The NHS number travels in the body, never in a URL.
///
/// The number is kept as a string here so the gateway can answer a malformed one with
/// a 400 that says what is wrong, rather than a generic JSON error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateContextRequest {
    /// The patient's NHS number as typed or passed by the host.
    pub nhs_number: String,
    /// Why the record is being opened (required for searches, optional for launches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Date of birth, for searches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
}

/// `POST /api/v1/contexts` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextCreated {
    /// The opaque, unguessable context id used in later URLs.
    pub context_id: String,
}

/// The one error shape of the API: a stable machine code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// A stable code such as `invalid_nhs_number` or `unauthorised`.
    pub code: String,
    /// What went wrong, in words a person can act on.
    pub message: String,
}
