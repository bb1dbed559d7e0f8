//! FHIR R4 client (UK Core hospitals and other providers).
//!
//! Finds the patient with `POST Patient/_search` (the NHS number in the form body, never
//! in a URL), then searches each resource type by the source's logical patient id,
//! concurrently, following `next` links only within the source's own base URL, up to
//! [`MAX_PAGES`] pages and [`MAX_ENTRIES`] resources. Every resource must refer to that
//! one patient, or the whole answer is discarded.

use futures_util::future::try_join_all;
use mcr_model::{NhsNumber, SourceRef};

use super::http_fetch::{parse, read_body, refusal, send};
use super::{SourceAnswer, SourceError};
use crate::normalise::fhir::identifier;
use crate::normalise::types::{PageHead, Resource};
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
    let found = try_join_all(SEARCHES.iter().map(|t| search_all(http, base, t, id))).await?;
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    let mut count = 0;
    let mut unsupported = Vec::new();
    for (resource_type, pages) in SEARCHES.iter().zip(found) {
        match pages {
            Some(pages) => {
                count += pages.resources;
                bodies.extend(pages.bodies);
            }
            None => unsupported.push(*resource_type),
        }
    }
    if count > MAX_ENTRIES {
        return Err(SourceError::TooLarge);
    }
    // Each page was read once for its links and its resources' types while paging; now
    // its resources are read in full, borrowing from the kept bodies.
    let pages = bodies
        .iter()
        .map(|b| parse::<Resource<'_>>(200, b))
        .collect::<Result<Vec<_>, _>>()?;
    let resources: Vec<&Resource<'_>> = pages
        .iter()
        .flat_map(|page| page.entry.iter())
        .filter_map(|e| e.resource.0.as_deref())
        .filter(|r| !r.resource_type.is("OperationOutcome"))
        .collect();
    let mut answer = crate::normalise::fhir_r4::normalise(patient, id, nhs, &resources, source)?;
    if !unsupported.is_empty() {
        answer
            .warnings
            .push(format!("not-supported: {}", unsupported.join(", ")));
    }
    Ok(answer)
}

/// One search's pages, as read.
struct Pages {
    /// The bodies of its pages, in order.
    bodies: Vec<Vec<u8>>,
    /// The resources they hold (OperationOutcomes aside).
    resources: usize,
}

/// Every page of resources of `resource_type` for patient `id`, following `next` links;
/// `None` when the source does not support searching that type (it is then named in the
/// source's warnings rather than failing the whole source).
async fn search_all(
    http: &reqwest::Client,
    base: &str,
    resource_type: &str,
    id: &str,
) -> Result<Option<Pages>, SourceError> {
    let mut url = format!("{base}/{resource_type}?patient={id}&_count={PAGE_SIZE}");
    let mut out = Pages {
        bodies: Vec::new(),
        resources: 0,
    };
    for _ in 0..MAX_PAGES {
        let request = http.get(&url).header("Accept", "application/fhir+json");
        // A GET search is safe to repeat once if the connection failed.
        let (status, body) = read_body(send(request, true).await?).await?;
        let page: PageHead<'_> = parse(status, &body)?;
        let not_supported = page.issue.iter().any(|i| i.code.is("not-supported"));
        if out.resources == 0 && (status == 404 && not_supported || status == 501) {
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
        out.resources += page
            .entry
            .iter()
            .filter_map(|e| e.resource.0.as_ref())
            .filter(|r| !r.resource_type.is("OperationOutcome"))
            .count();
        drop(page);
        out.bodies.push(body);
        if out.resources > MAX_ENTRIES {
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
