//! FHIR R4 client (UK Core hospitals and other providers).
//!
//! Finds the patient with `POST Patient/_search` (the NHS number in the form body, never
//! in a URL), then searches each resource type by the source's logical patient id,
//! concurrently, following `next` links only within the source's own base URL, up to
//! [`MAX_PAGES`] pages and [`MAX_ENTRIES`] resources. Every resource must refer to that
//! one patient, or the whole answer is discarded.

use std::sync::OnceLock;

use futures_util::future::try_join_all;
use mcr_model::{NhsNumber, SourceRef};

use super::http_fetch::{parse, read_body, refusal, send};
use super::{SourceAnswer, SourceError};
use crate::normalise::fhir::identifier;
use crate::normalise::types::Resource;
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
    let (status, body) = read_body(send(request, false).await?).await?;
    let bundle: Resource<'_> = parse(status, &body)?;
    if !(200..300).contains(&status) {
        return Err(refusal(status, &bundle.issue));
    }
    let patients: Vec<&Resource<'_>> = bundle
        .entry
        .iter()
        .filter_map(|e| e.resource.0.as_deref())
        .filter(|r| r.resource_type.is("Patient"))
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
    let id = patient
        .id
        .as_str()
        .filter(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        })
        .ok_or_else(|| SourceError::Malformed("the patient has no usable id".into()))?;
    // Every page's body is kept, in a slot of its own that is never moved, so that the
    // resources read from it can borrow their strings from it until normalised.
    let slots: Vec<Vec<OnceLock<Vec<u8>>>> = SEARCHES
        .iter()
        .map(|_| (0..MAX_PAGES).map(|_| OnceLock::new()).collect())
        .collect();
    let found = try_join_all(
        SEARCHES
            .iter()
            .zip(&slots)
            .map(|(t, pages)| search_all(http, base, t, id, pages)),
    )
    .await?;
    let mut found_resources: Vec<Box<Resource<'_>>> = Vec::new();
    let mut unsupported = Vec::new();
    for (resource_type, page) in SEARCHES.iter().zip(found) {
        match page {
            Some(found) => found_resources.extend(found),
            None => unsupported.push(*resource_type),
        }
    }
    if found_resources.len() > MAX_ENTRIES {
        return Err(SourceError::TooLarge);
    }
    let resources: Vec<&Resource<'_>> = found_resources.iter().map(|r| &**r).collect();
    let mut answer = crate::normalise::fhir_r4::normalise(patient, id, nhs, &resources, source)?;
    if !unsupported.is_empty() {
        answer
            .warnings
            .push(format!("not-supported: {}", unsupported.join(", ")));
    }
    Ok(answer)
}

/// Every resource of `resource_type` for patient `id`, following `next` links, each
/// page's body kept in the next of `pages` (one slot per page, [`MAX_PAGES`] of them);
/// `None` when the source does not support searching that type (it is then named in the
/// source's warnings rather than failing the whole source).
async fn search_all<'b>(
    http: &reqwest::Client,
    base: &str,
    resource_type: &str,
    id: &str,
    pages: &'b [OnceLock<Vec<u8>>],
) -> Result<Option<Vec<Box<Resource<'b>>>>, SourceError> {
    let mut url = format!("{base}/{resource_type}?patient={id}&_count={PAGE_SIZE}");
    let mut out = Vec::new();
    for slot in pages {
        let request = http.get(&url).header("Accept", "application/fhir+json");
        // A GET search is safe to repeat once if the connection failed.
        let (status, body) = read_body(send(request, true).await?).await?;
        let body = slot.get_or_init(|| body);
        let page: Resource<'b> = parse(status, body)?;
        let not_supported = page.issue.iter().any(|i| i.code.is("not-supported"));
        if out.is_empty() && (status == 404 && not_supported || status == 501) {
            return Ok(None);
        }
        if !(200..300).contains(&status) {
            return Err(refusal(status, &page.issue));
        }
        let next = page
            .link
            .iter()
            .find(|l| l.relation.is("next"))
            .and_then(|l| l.url.as_str())
            .map(str::to_string);
        // The resources are moved out of the page, not copied.
        out.extend(
            page.entry
                .into_items()
                .into_iter()
                .filter_map(|e| e.resource.0)
                .filter(|r| !r.resource_type.is("OperationOutcome")),
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
