//! GP Connect Access Record Structured (FHIR STU3) client.
//!
//! Sends `Patient/$gpc.getstructuredrecord` with the NHS number in the Parameters body
//! and the Spine headers, and a per-request JWT naming the *originating* user and
//! organisation with `reason_for_request=directcare`, as GP Connect requires of portals
//! and middleware. (GP Connect's consumer JWT is unsigned by specification; the
//! connection itself is what Spine secures.)

use base64::Engine;
use mcr_model::{NhsNumber, SourceRef};
use serde_json::{Value, json};

use super::http_fetch::{parse, read_body, refusal, send};
use super::{SourceAnswer, SourceError};
use crate::auth::Claims;
use crate::normalise::types::Resource;
use crate::registry::SourceConfig;

/// The interaction id of the structured record operation.
pub const INTERACTION_ID: &str =
    "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";

/// The clinical areas asked for.
const INCLUDES: &[&str] = &[
    "includeAllergies",
    "includeMedication",
    "includeProblems",
    "includeImmunisations",
    "includeConsultations",
    "includeInvestigations",
    "includeReferrals",
];

/// Fetches and normalises the structured record for `nhs` on behalf of `requester`.
pub async fn fetch(
    http: &reqwest::Client,
    config: &SourceConfig,
    source: &SourceRef,
    nhs: &NhsNumber,
    requester: &Claims,
) -> Result<SourceAnswer, SourceError> {
    let url = format!(
        "{}/Patient/$gpc.getstructuredrecord",
        config.base_url.trim_end_matches('/')
    );
    let mut parameters = vec![json!({"name": "patientNHSNumber", "valueIdentifier": {
        "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs.as_digits()}})];
    for include in INCLUDES {
        parameters.push(match *include {
            "includeAllergies" => json!({"name": include, "part": [{"name": "includeResolvedAllergies", "valueBoolean": true}]}),
            "includeMedication" => json!({"name": include, "part": [{"name": "includePrescriptionIssues", "valueBoolean": false}]}),
            _ => json!({"name": include}),
        });
    }
    let body = json!({"resourceType": "Parameters", "parameter": parameters});
    let request = http
        .post(&url)
        .header("Ssp-TraceID", trace_id())
        .header("Ssp-From", "200000000359")
        .header("Ssp-To", config.ods_code.as_str())
        .header("Ssp-InteractionID", INTERACTION_ID)
        .header("Accept", "application/fhir+json")
        .header("Content-Type", "application/fhir+json")
        .bearer_auth(consumer_jwt(requester, &url))
        .body(body.to_string());
    // A POST: not retried, even on a connection failure.
    let (status, body) = read_body(send(request, false).await?).await?;
    let bundle: Resource<'_> = parse(status, &body)?;
    if !(200..300).contains(&status) {
        return Err(refusal(status, &bundle.issue));
    }
    crate::normalise::gpconnect::normalise_bundle(&bundle, nhs, source)
}

fn trace_id() -> String {
    let mut b = [0u8; 16];
    // A trace id only needs to be unique enough to correlate logs.
    let _ = getrandom::fill(&mut b);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    b.iter()
        .flat_map(|x| [HEX[usize::from(x >> 4)], HEX[usize::from(x & 0xf)]])
        .map(char::from)
        .collect()
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
