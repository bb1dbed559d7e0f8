//! GP Connect Access Record Structured (FHIR STU3) client.
//!
//! Sends `Patient/$gpc.getstructuredrecord` with the NHS number in the Parameters body
//! and the Spine headers, and a per-request JWT naming the *originating* user and
//! organisation with `reason_for_request=directcare`, as GP Connect requires of portals
//! and middleware. (GP Connect's consumer JWT is unsigned by specification; the
//! connection itself is what Spine secures.)

use std::time::Duration;

use base64::Engine;
use mcr_model::{NhsNumber, SourceRef};
use serde_json::{Value, json};

use super::SourceError;
use crate::auth::Claims;

/// The interaction id of the structured record operation.
pub const INTERACTION_ID: &str =
    "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";

/// One GP practice's GP Connect endpoint.
pub struct GpConnectSource {
    /// Who this source is.
    pub source: SourceRef,
    base_url: String,
    deadline: Duration,
    http: reqwest::Client,
}

impl GpConnectSource {
    /// A source at `base_url` (the FHIR base, ending before `/Patient`).
    pub fn new(
        source: SourceRef,
        base_url: String,
        deadline: Duration,
        http: reqwest::Client,
    ) -> Self {
        Self {
            source,
            base_url: base_url.trim_end_matches('/').to_string(),
            deadline,
            http,
        }
    }

    /// Fetches the structured record (problems and medications) for `nhs` on behalf of
    /// the user in `requester`.
    pub async fn structured_record(
        &self,
        nhs: &NhsNumber,
        requester: &Claims,
    ) -> Result<Value, SourceError> {
        let url = format!("{}/Patient/$gpc.getstructuredrecord", self.base_url);
        let body = json!({
            "resourceType": "Parameters",
            "parameter": [
                {"name": "patientNHSNumber", "valueIdentifier": {
                    "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs.as_digits()}},
                {"name": "includeMedication", "part": [{"name": "includePrescriptionIssues", "valueBoolean": false}]},
                {"name": "includeProblems"},
            ]
        });
        let request = self
            .http
            .post(&url)
            .header("Ssp-TraceID", trace_id())
            .header("Ssp-From", "200000000359")
            .header("Ssp-To", self.source.ods_code.as_str())
            .header("Ssp-InteractionID", INTERACTION_ID)
            .header("Accept", "application/fhir+json")
            .header("Content-Type", "application/fhir+json")
            .bearer_auth(consumer_jwt(requester, &url))
            .body(body.to_string())
            .timeout(self.deadline);
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                SourceError::TimedOut
            } else {
                SourceError::Unreachable(e.to_string())
            }
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                SourceError::TimedOut
            } else {
                SourceError::Unreachable(e.to_string())
            }
        })?;
        if !status.is_success() {
            let code = serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| {
                v["issue"][0]["details"]["coding"][0]["code"]
                    .as_str()
                    .map(str::to_string)
            });
            return Err(SourceError::Refused {
                status: status.as_u16(),
                code,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| SourceError::Malformed(e.to_string()))
    }
}

fn trace_id() -> String {
    let mut b = [0u8; 16];
    // A trace id only needs to be unique enough to correlate logs.
    let _ = getrandom::fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The GP Connect consumer JWT (unsigned, `alg: none`, as the GP Connect specification
/// defines it) naming the originating user and organisation.
fn consumer_jwt(requester: &Claims, audience: &str) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let enc = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let org = requester.org.as_deref().unwrap_or("unknown");
    let claims = json!({
        "iss": "https://mcr-gateway.invalid",
        "sub": requester.sub,
        "aud": audience,
        "exp": now + 300,
        "iat": now,
        "reason_for_request": "directcare",
        "requested_scope": "patient/*.read",
        "requesting_device": {"resourceType": "Device", "model": "mcr-gateway", "version": env!("CARGO_PKG_VERSION")},
        "requesting_organization": {
            "resourceType": "Organization",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": org}],
        },
        "requesting_practitioner": {
            "resourceType": "Practitioner",
            "id": requester.sub,
            "identifier": [{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": requester.sub}],
            "name": [{"text": requester.name.as_deref().unwrap_or("unknown")}],
        },
    });
    format!(
        "{}.{}.",
        enc(json!({"alg": "none", "typ": "JWT"})),
        enc(claims)
    )
}
