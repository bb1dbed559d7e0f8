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

/// The coded reason for breaking the glass: the kind of need, which a privacy officer
/// reviews beside the free-text explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreakGlassReason {
    /// An emergency in which the patient cannot be asked (unconscious, confused, absent).
    EmergencyPatientCannotBeAsked,
    /// The patient is present and agrees to this access despite their earlier objection.
    PatientAgreesNow,
    /// A safeguarding concern: risk of serious harm to the patient or to others.
    Safeguarding,
    /// Another reason, which the explanation must give.
    Other,
}

impl BreakGlassReason {
    /// Every code, in the order a form offers them.
    pub const ALL: [Self; 4] = [
        Self::EmergencyPatientCannotBeAsked,
        Self::PatientAgreesNow,
        Self::Safeguarding,
        Self::Other,
    ];

    /// The code as sent and stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::EmergencyPatientCannotBeAsked => "emergency-patient-cannot-be-asked",
            Self::PatientAgreesNow => "patient-agrees-now",
            Self::Safeguarding => "safeguarding",
            Self::Other => "other",
        }
    }

    /// The code for `code`, if it is one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What the code means, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::EmergencyPatientCannotBeAsked => "Emergency: the patient cannot be asked",
            Self::PatientAgreesNow => "The patient is here and agrees to this access",
            Self::Safeguarding => "Safeguarding: risk of serious harm to the patient or others",
            Self::Other => "Another reason (explain below)",
        }
    }
}

/// `POST /api/v1/contexts/{ctx}/break-glass` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassRequest {
    /// The kind of need (coded).
    pub code: BreakGlassReason,
    /// Why the emergency override is needed, in the clinician's words (recorded and
    /// reviewed).
    pub reason: String,
}

/// A break-glass grant, as its holder and privacy officers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    /// The grant's id.
    pub id: String,
    /// Who broke the glass.
    pub user_id: String,
    /// The patient (ten digits), in the body only.
    pub nhs_number: String,
    /// The coded reason.
    pub code: BreakGlassReason,
    /// The stated reason.
    pub reason: String,
    /// When it was granted (RFC 3339, UTC).
    pub granted: String,
    /// When it expires (RFC 3339, UTC).
    pub expires: String,
    /// When it ended early (the context ended), if it did.
    #[serde(default)]
    pub ended: Option<String>,
}

/// `GET /api/v1/break-glass`: grants awaiting a privacy officer's review, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantsToReview {
    /// The grants.
    pub grants: Vec<GrantView>,
}

/// One access to a patient's record, as the access log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogEntry {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The user's id: shown to privacy officers, not to patients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The user's role.
    #[serde(default)]
    pub role: Option<String>,
    /// The user's organisation (ODS code).
    #[serde(default)]
    pub organisation: Option<String>,
    /// What was done (`context.open`, `record.view`, `comments.read` …).
    pub action: String,
    /// `allowed`, `refused` or `failed`.
    pub outcome: String,
    /// Why: the reason given, or "direct care" for a launch from a clinical system.
    #[serde(default)]
    pub purpose: Option<String>,
    /// Whether it was made under an emergency (break-glass) override.
    #[serde(default)]
    pub break_glass: bool,
}

/// `GET /api/v1/contexts/{ctx}/access-log`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLog {
    /// The entries.
    pub entries: Vec<AccessLogEntry>,
    /// Pass as `before` for older entries, if there are more.
    #[serde(default)]
    pub next_before: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn break_glass_codes_round_trip_and_an_unknown_code_is_refused() {
        for code in BreakGlassReason::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.code()));
            assert_eq!(
                serde_json::from_str::<BreakGlassReason>(&json).unwrap(),
                code
            );
            assert_eq!(BreakGlassReason::from_code(code.code()), Some(code));
        }
        assert!(
            serde_json::from_str::<BreakGlassRequest>(
                r#"{"code":"curious","reason":"just looking"}"#
            )
            .is_err()
        );
        // The code is required: free text alone is not enough.
        assert!(
            serde_json::from_str::<BreakGlassRequest>(r#"{"reason":"Unconscious in resus"}"#)
                .is_err()
        );
    }
}
