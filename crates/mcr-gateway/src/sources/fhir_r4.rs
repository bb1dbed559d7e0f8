//! FHIR R4 client (UK Core hospitals and other providers).
//!
//! Finds the patient with `POST Patient/_search` (the NHS number in the form body, never
//! in a URL), then searches each resource type by the source's logical patient id,
//! concurrently, following `next` links only within the source's own base URL, up to
//! [`MAX_PAGES`] pages and [`MAX_ENTRIES`] resources. Every resource must refer to that
//! one patient, or the whole answer is discarded.

use futures_util::future::try_join_all;
use mcr_model::{NhsNumber, SourceRef};
use serde_json::Value;

use super::http_fetch::{json_body, refusal, send};
use super::{SourceAnswer, SourceError};
use crate::normalise::fhir::{as_list, identifier};
use crate::registry::SourceConfig;

/// Resource types read, each searched by `patient`.
pub const SEARCHES: &[&str] = &[
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "AllergyIntolerance",
    "Observation",
    "DiagnosticReport",
    "DocumentReference",
    "Encounter",
    "Immunization",
    "CarePlan",
    "Composition",
    "ServiceRequest",
];
/// Pages followed per search at most.
pub const MAX_PAGES: usize = 50;
/// Resources accepted per answer at most.
pub const MAX_ENTRIES: usize = 20_000;
/// Page size asked for.
pub const PAGE_SIZE: usize = 200;

const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// Fetches and normalises `nhs`'s record from one FHIR R4 source.
pub async fn fetch(
    http: &reqwest::Client,
    config: &SourceConfig,
    source: &SourceRef,
    nhs: &NhsNumber,
) -> Result<SourceAnswer, SourceError> {
    let base = config.base_url.trim_end_matches('/');
    let request = http
        .post(format!("{base}/Patient/_search"))
        .header("Accept", "application/fhir+json")
        .form(&[(
            "identifier",
            format!("{NHS_NUMBER_SYSTEM}|{}", nhs.as_digits()),
        )]);
    let (status, bundle) = json_body(send(request, false).await?).await?;
    if !(200..300).contains(&status) {
        return Err(refusal(status, &bundle));
    }
    let patients: Vec<&Value> = as_list(&bundle["entry"])
        .filter_map(|e| e.get("resource"))
        .filter(|r| r["resourceType"] == "Patient")
        .collect();
    let patient = match patients.as_slice() {
        [] => {
            return Ok(SourceAnswer {
                warnings: vec!["no-record".into()],
                ..Default::default()
            });
        }
        [one] => *one,
        _ => {
            return Err(SourceError::Malformed(
                "the patient search matched more than one patient".into(),
            ));
        }
    };
    let matches = identifier(patient, NHS_NUMBER_SYSTEM)
        .and_then(|n| NhsNumber::parse(n).ok())
        .as_ref()
        == Some(nhs);
    if !matches {
        return Err(SourceError::WrongPatient);
    }
    let id = patient["id"]
        .as_str()
        .filter(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        })
        .ok_or_else(|| SourceError::Malformed("the patient has no usable id".into()))?;
    let pages = try_join_all(SEARCHES.iter().map(|t| search_all(http, base, t, id))).await?;
    let mut resources: Vec<Value> = Vec::new();
    let mut unsupported = Vec::new();
    for (resource_type, page) in SEARCHES.iter().zip(pages) {
        match page {
            Some(found) => resources.extend(found),
            None => unsupported.push(*resource_type),
        }
    }
    if resources.len() > MAX_ENTRIES {
        return Err(SourceError::TooLarge);
    }
    let mut answer = crate::normalise::fhir_r4::normalise(patient, id, nhs, &resources, source)?;
    if !unsupported.is_empty() {
        answer
            .warnings
            .push(format!("not-supported: {}", unsupported.join(", ")));
    }
    Ok(answer)
}

/// Every resource of `resource_type` for patient `id`, following `next` links; `None`
/// when the source does not support searching that type (it is then named in the
/// source's warnings rather than failing the whole source).
async fn search_all(
    http: &reqwest::Client,
    base: &str,
    resource_type: &str,
    id: &str,
) -> Result<Option<Vec<Value>>, SourceError> {
    let mut url = format!("{base}/{resource_type}?patient={id}&_count={PAGE_SIZE}");
    let mut out = Vec::new();
    for _ in 0..MAX_PAGES {
        let request = http.get(&url).header("Accept", "application/fhir+json");
        // A GET search is safe to repeat once if the connection failed.
        let (status, mut bundle) = json_body(send(request, true).await?).await?;
        let not_supported = as_list(&bundle["issue"]).any(|i| i["code"] == "not-supported");
        if out.is_empty() && (status == 404 && not_supported || status == 501) {
            return Ok(None);
        }
        if !(200..300).contains(&status) {
            return Err(refusal(status, &bundle));
        }
        let next = as_list(&bundle["link"])
            .find(|l| l["relation"] == "next")
            .and_then(|l| l["url"].as_str())
            .map(str::to_string);
        // The resources are moved out of the page, not copied: a page can be large.
        let entries = match bundle.get_mut("entry").map(Value::take) {
            Some(Value::Array(entries)) => entries,
            Some(Value::Null) | None => vec![],
            Some(single) => vec![single],
        };
        out.extend(
            entries
                .into_iter()
                .filter_map(|mut e| e.get_mut("resource").map(Value::take))
                .filter(|r| r["resourceType"] != "OperationOutcome"),
        );
        if out.len() > MAX_ENTRIES {
            return Err(SourceError::TooLarge);
        }
        match next {
            None => return Ok(Some(out)),
            // Never follow a link away from the source itself.
            Some(next) if next.starts_with(base) => url = next,
            Some(_) => {
                return Err(SourceError::Malformed(
                    "a next link points away from the source".into(),
                ));
            }
        }
    }
    Err(SourceError::TooLarge)
}
