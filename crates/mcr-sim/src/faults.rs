//! Latency and faults, per source, off by default: set from the configuration at
//! start-up and changed at run time through the control endpoint ([`crate::control`]).
//!
//! A rule names a source (a practice's or provider's ODS code, `gp` for every practice,
//! `pds`, or `*`), an optional latency distribution, and an optional fault applied to a
//! `rate` fraction of requests. Faults cover transport failures (hang, slow drip,
//! truncated body, 5xx, 429 with `Retry-After`), bad payloads (malformed JSON, a
//! response for the *wrong patient*) and the data defects seen in real GP Connect
//! responses, each as a named fault.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::rng::Rng;

/// A latency distribution.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Latency {
    /// Always the same delay.
    Fixed {
        /// Milliseconds.
        ms: u64,
    },
    /// Normally distributed (clamped at zero).
    Normal {
        /// Mean, milliseconds.
        mean_ms: f64,
        /// Standard deviation, milliseconds.
        sd_ms: f64,
    },
    /// Log-normal: a long tail, as real systems show.
    LogNormal {
        /// Median, milliseconds.
        median_ms: f64,
        /// Shape (standard deviation of the log).
        sigma: f64,
    },
}

impl Latency {
    fn sample(&self, rng: &mut Rng) -> Duration {
        let ms = match self {
            Latency::Fixed { ms } => *ms as f64,
            Latency::Normal { mean_ms, sd_ms } => mean_ms + sd_ms * rng.normal(),
            Latency::LogNormal { median_ms, sigma } => median_ms * (sigma * rng.normal()).exp(),
        };
        Duration::from_micros((ms.clamp(0.0, 600_000.0) * 1000.0) as u64)
    }
}

/// A fault.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// Never answer.
    Hang,
    /// Send the body a few bytes at a time.
    SlowDrip {
        /// Bytes per second.
        bytes_per_second: u64,
    },
    /// Send half the body, then drop the connection.
    Truncated,
    /// Answer with this status and no FHIR body.
    Status {
        /// An HTTP status (e.g. 500, 502, 503).
        status: u16,
    },
    /// 429 Too Many Requests with `Retry-After`.
    TooManyRequests {
        /// Seconds to wait.
        retry_after_s: u64,
    },
    /// A body that is not valid JSON.
    MalformedJson,
    /// A response whose NHS numbers are another patient's.
    WrongPatient,
    /// GP Connect defect: `Patient.generalPractitioner` as an object, not a list.
    GeneralPractitionerAsObject,
    /// GP Connect defect: codes with leading and trailing spaces.
    CodesWithStraySpaces,
    /// GP Connect defect: Bundle entries without a `resource`.
    EntriesWithoutResource,
    /// GP Connect defect: Lists without `status`.
    ListsWithoutStatus,
}

/// One rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Which source: an ODS code, `gp`, `pds` or `*`.
    pub source: String,
    /// Added delay before answering.
    #[serde(default)]
    pub latency: Option<Latency>,
    /// The fault.
    #[serde(default)]
    pub fault: Option<Fault>,
    /// Fraction of requests the fault applies to (default all).
    #[serde(default = "always")]
    pub rate: f64,
}

fn always() -> f64 {
    1.0
}

/// The live rule table.
#[derive(Clone, Default)]
pub struct FaultTable {
    rules: Arc<RwLock<Vec<FaultRule>>>,
    counter: Arc<AtomicU64>,
}

/// Which source a request path is addressed to, if any.
pub fn source_of(path: &str) -> Option<(String, bool)> {
    let mut parts = path.trim_start_matches('/').split('/');
    match parts.next()? {
        "_control" => None,
        "pds" => Some(("pds".into(), false)),
        "r4" => Some((parts.next()?.to_string(), false)),
        ods => Some((ods.to_string(), true)),
    }
}

impl FaultTable {
    /// A table holding `rules`.
    pub fn new(rules: Vec<FaultRule>) -> Self {
        Self {
            rules: Arc::new(RwLock::new(rules)),
            counter: Arc::default(),
        }
    }

    /// The current rules.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules.read().map(|r| r.clone()).unwrap_or_default()
    }

    /// Replaces every rule.
    pub fn replace(&self, rules: Vec<FaultRule>) {
        if let Ok(mut r) = self.rules.write() {
            *r = rules;
        }
    }

    /// Adds a rule.
    pub fn add(&self, rule: FaultRule) {
        if let Ok(mut r) = self.rules.write() {
            r.push(rule);
        }
    }

    /// What to do with a request to `source`: the delay and the fault, if any.
    fn decide(&self, source: &str, is_gp: bool) -> (Duration, Option<Fault>) {
        let rules = self.rules.read().map(|r| r.clone()).unwrap_or_default();
        let mut rng = Rng::new(0, self.counter.fetch_add(1, Ordering::Relaxed), 77);
        let mut delay = Duration::ZERO;
        let mut fault = None;
        for rule in rules
            .iter()
            .filter(|r| r.source == "*" || r.source == source || (r.source == "gp" && is_gp))
        {
            if let Some(l) = &rule.latency {
                delay += l.sample(&mut rng);
            }
            if fault.is_none() && rule.fault.is_some() && rng.chance(rule.rate) {
                fault = rule.fault.clone();
            }
        }
        (delay, fault)
    }
}

/// Middleware applying the table to every request addressed to a source.
pub async fn apply(State(table): State<FaultTable>, request: Request, next: Next) -> Response {
    let Some((source, is_gp)) = source_of(request.uri().path()) else {
        return next.run(request).await;
    };
    let (delay, fault) = table.decide(&source, is_gp);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    match fault {
        Fault::Hang => std::future::pending().await,
        Fault::Status { status } => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            [(header::CONTENT_TYPE, "text/plain")],
            "simulated failure",
        )
            .into_response(),
        Fault::TooManyRequests { retry_after_s } => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_s.to_string())],
            "too many requests",
        )
            .into_response(),
        body_fault => {
            let response = next.run(request).await;
            let (mut parts, body) = response.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            parts.headers.remove(header::CONTENT_LENGTH);
            let body = match body_fault {
                Fault::SlowDrip { bytes_per_second } => drip(bytes, bytes_per_second),
                Fault::Truncated => truncated(bytes),
                Fault::MalformedJson => Body::from(bytes.slice(..bytes.len().saturating_sub(1))),
                other => Body::from(rewrite(&bytes, &other)),
            };
            parts
                .headers
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Response::from_parts(parts, body)
        }
    }
}

fn drip(bytes: Bytes, bytes_per_second: u64) -> Body {
    let chunk = (bytes_per_second / 10).max(1) as usize;
    let stream = futures_util::stream::unfold((bytes, 0usize), move |(bytes, at)| async move {
        if at >= bytes.len() {
            return None;
        }
        if at > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let end = (at + chunk).min(bytes.len());
        Some((Ok::<_, std::io::Error>(bytes.slice(at..end)), (bytes, end)))
    });
    Body::from_stream(stream)
}

fn truncated(bytes: Bytes) -> Body {
    use futures_util::StreamExt;
    let half = bytes.slice(..bytes.len() / 2);
    // Let the first half reach the client before the connection is dropped.
    let abort = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated truncation",
        ))
    });
    Body::from_stream(futures_util::stream::iter([Ok(half)]).chain(abort))
}

/// Applies a payload fault to a JSON body (a body that is not JSON is left alone).
pub fn rewrite(bytes: &[u8], fault: &Fault) -> Vec<u8> {
    let Ok(mut v) = serde_json::from_slice::<Value>(bytes) else {
        return bytes.to_vec();
    };
    match fault {
        Fault::WrongPatient => swap_nhs_numbers(&mut v),
        Fault::GeneralPractitionerAsObject => for_each_resource(&mut v, &mut |r| {
            if r["resourceType"] == "Patient"
                && let Some(first) = r["generalPractitioner"]
                    .as_array()
                    .and_then(|a| a.first())
                    .cloned()
            {
                r["generalPractitioner"] = first;
            }
        }),
        Fault::CodesWithStraySpaces => pad_codes(&mut v),
        Fault::EntriesWithoutResource => {
            if let Some(entries) = v["entry"].as_array_mut() {
                entries.push(
                    serde_json::json!({"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000000"}),
                );
            }
        }
        Fault::ListsWithoutStatus => for_each_resource(&mut v, &mut |r| {
            if r["resourceType"] == "List"
                && let Some(o) = r.as_object_mut()
            {
                o.remove("status");
            }
        }),
        _ => {}
    }
    serde_json::to_vec(&v).unwrap_or_else(|_| bytes.to_vec())
}

fn for_each_resource(bundle: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    if let Some(entries) = bundle["entry"].as_array_mut() {
        for e in entries {
            if e.get("resource").is_some() {
                f(&mut e["resource"]);
            }
        }
    } else {
        f(bundle);
    }
}

fn pad_codes(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.contains_key("system")
                && let Some(Value::String(code)) = o.get_mut("code")
            {
                *code = format!(" {code} ");
            }
            o.values_mut().for_each(pad_codes);
        }
        Value::Array(a) => a.iter_mut().for_each(pad_codes),
        _ => {}
    }
}

/// Replaces every NHS number identifier with the next valid number in the range, and
/// every reference to a provider's patient (`Patient/<16 hex digits>`) with another
/// patient's id, so searches by logical id come back for someone else too.
fn swap_nhs_numbers(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(reference)) = o.get_mut("reference")
                && let Some(id) = reference.strip_prefix("Patient/")
                && id.len() == 16
                && let Ok(n) = u64::from_str_radix(id, 16)
            {
                *reference = format!("Patient/{:016x}", n ^ 1);
            }
            if o.get("system").and_then(Value::as_str) == Some("https://fhir.nhs.uk/Id/nhs-number")
                && let Some(Value::String(n)) = o.get_mut("value")
                && let Some(other) = mcr_model::NhsNumber::parse(n)
                    .ok()
                    .and_then(|nhs| crate::nhs_range::index_for_nhs(&nhs))
                    .and_then(|i| crate::nhs_range::nhs_for_index(i + 1))
                    .or_else(|| crate::nhs_range::nhs_for_index(1))
            {
                *n = other.as_digits();
            }
            o.values_mut().for_each(swap_nhs_numbers);
        }
        Value::Array(a) => a.iter_mut().for_each(swap_nhs_numbers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bundle() -> Value {
        json!({"resourceType": "Bundle", "entry": [
            {"resource": {"resourceType": "Patient", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}],
              "generalPractitioner": [{"reference": "Practitioner/1"}]}},
            {"resource": {"resourceType": "List", "status": "current", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "717711000000103"}]}}}
        ]})
    }

    fn apply_to(fault: Fault) -> Value {
        serde_json::from_slice(&rewrite(bundle().to_string().as_bytes(), &fault)).unwrap()
    }

    #[test]
    fn wrong_patient_swaps_the_nhs_number_for_another_valid_one() {
        let v = apply_to(Fault::WrongPatient);
        let n = v["entry"][0]["resource"]["identifier"][0]["value"]
            .as_str()
            .unwrap();
        assert_ne!(n, "9990000018");
        assert!(mcr_model::NhsNumber::parse(n).is_ok());
    }

    #[test]
    fn wrong_patient_points_r4_references_at_another_patient() {
        let search = json!({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Observation",
            "subject": {"reference": "Patient/00000000000000a0"}}}]});
        let v: Value = serde_json::from_slice(&rewrite(
            search.to_string().as_bytes(),
            &Fault::WrongPatient,
        ))
        .unwrap();
        assert_eq!(
            v["entry"][0]["resource"]["subject"]["reference"],
            "Patient/00000000000000a1"
        );
    }

    #[test]
    fn each_gp_connect_defect_breaks_what_it_names() {
        assert!(apply_to(Fault::GeneralPractitionerAsObject)["entry"][0]["resource"]["generalPractitioner"].is_object());
        assert_eq!(
            apply_to(Fault::CodesWithStraySpaces)["entry"][1]["resource"]["code"]["coding"][0]["code"],
            " 717711000000103 "
        );
        assert!(
            apply_to(Fault::EntriesWithoutResource)["entry"][2]
                .get("resource")
                .is_none()
        );
        assert!(
            apply_to(Fault::ListsWithoutStatus)["entry"][1]["resource"]
                .get("status")
                .is_none()
        );
    }

    #[test]
    fn rules_match_their_source_and_the_wildcards() {
        let table = FaultTable::new(vec![FaultRule {
            source: "gp".into(),
            latency: None,
            fault: Some(Fault::Hang),
            rate: 1.0,
        }]);
        assert_eq!(table.decide("Y90001", true).1, Some(Fault::Hang));
        assert_eq!(table.decide("RR8", false).1, None);
    }

    #[test]
    fn paths_name_their_source_and_control_is_never_faulted() {
        assert_eq!(
            source_of("/Y90001/STU3/1/gpconnect/structured/fhir/Patient/$gpc.getstructuredrecord"),
            Some(("Y90001".into(), true))
        );
        assert_eq!(source_of("/r4/RR8/Patient"), Some(("RR8".into(), false)));
        assert_eq!(
            source_of("/pds/FHIR/R4/Patient/x"),
            Some(("pds".into(), false))
        );
        assert_eq!(source_of("/_control/faults"), None);
    }

    #[test]
    fn latency_distributions_sample_around_their_centre() {
        let mut rng = Rng::new(1, 1, 1);
        assert_eq!(
            Latency::Fixed { ms: 5 }.sample(&mut rng),
            Duration::from_millis(5)
        );
        let mean: f64 = (0..2000)
            .map(|_| {
                Latency::LogNormal {
                    median_ms: 100.0,
                    sigma: 0.5,
                }
                .sample(&mut rng)
                .as_secs_f64()
            })
            .sum::<f64>()
            / 2000.0;
        assert!((0.09..0.14).contains(&mean), "{mean}");
    }
}
