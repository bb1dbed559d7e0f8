//! Replay mode: "answer this NHS number from fixture file or folder X", so real
//! third-party responses travel through the same HTTP path (and the same faults) as
//! synthetic ones.
//!
//! - GP Connect (`kind = "gp-connect"`): the file is a WireMock response template. Each
//!   request renders it for the requested patient — `{{jsonPath request.body …}}`
//!   becomes the requested NHS number, `{{request.baseUrl}}` the simulator's base URL, a
//!   `{{#patient}}…{{/patient}}` section (for demographics WireMock was given) is dropped
//!   and a `{{^patient}}…{{/patient}}` section kept. The body is otherwise sent as is —
//!   invalid JSON included — with the status an OperationOutcome's issue implies.
//! - FHIR R4 (`kind = "fhir-r4"`): a folder of single resources or a file holding a
//!   (transaction) Bundle, as the UK Core and Synthea fixtures are. Resources are indexed
//!   by the patient they refer to (the one with the configured NHS number, else the one
//!   most resources refer to); the configured NHS number is given to that Patient
//!   when it has another or none (Synthea patients have none); `urn:uuid:` references
//!   to the patient become `Patient/{id}`; other patients' resources are left out.
//!
//! Every rewrite is recorded: in the `x-mcr-sim-replay` response header (a count), in
//! the log, and in full at `GET /_control/replay`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use mcr_model::NhsNumber;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Which protocol a replay answers.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ReplayKind {
    /// A GP Connect structured record template.
    #[default]
    GpConnect,
    /// FHIR R4 resources.
    FhirR4,
}

/// One replay rule from the configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReplayRule {
    /// The NHS number the replay answers for.
    pub nhs_number: String,
    /// A fixture file, or for R4 a folder.
    pub path: PathBuf,
    /// GP Connect or FHIR R4.
    #[serde(default)]
    pub kind: ReplayKind,
    /// Only this source (ODS code) answers from the fixture; any, if absent.
    #[serde(default)]
    pub source: Option<String>,
}

/// A loaded R4 replay.
#[derive(Debug, Clone)]
pub struct R4Replay {
    /// The patient.
    pub patient: Value,
    /// The patient's logical id.
    pub patient_id: String,
    /// The resources referring to the patient.
    pub resources: Vec<Value>,
}

#[derive(Debug)]
enum Loaded {
    Gp(String),
    R4(R4Replay),
}

#[derive(Debug)]
struct Entry {
    rule: ReplayRule,
    nhs: NhsNumber,
    loaded: Loaded,
    /// Rewrites made at load (R4) or on the last render (GP Connect).
    rewrites: Mutex<Vec<String>>,
}

/// All loaded replays.
#[derive(Debug, Clone, Default)]
pub struct Replays {
    entries: Arc<Vec<Entry>>,
}

/// A rendered GP Connect replay.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// HTTP status.
    pub status: u16,
    /// The body, as rendered.
    pub body: String,
    /// What was rewritten.
    pub rewrites: Vec<String>,
}

const NHS_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

impl Replays {
    /// Loads every rule; a missing or unreadable fixture is an error at start-up.
    pub fn load(rules: &[ReplayRule]) -> std::io::Result<Self> {
        let mut entries = Vec::new();
        for rule in rules {
            let nhs = NhsNumber::parse(&rule.nhs_number)
                .map_err(|e| std::io::Error::other(format!("replay {}: {e}", rule.nhs_number)))?;
            let (loaded, rewrites) = match rule.kind {
                ReplayKind::GpConnect => {
                    (Loaded::Gp(std::fs::read_to_string(&rule.path)?), Vec::new())
                }
                ReplayKind::FhirR4 => {
                    let (replay, rewrites) = load_r4(&rule.path, &nhs)?;
                    (Loaded::R4(replay), rewrites)
                }
            };
            for r in &rewrites {
                tracing::info!(fixture = %rule.path.display(), rewrite = %r, "replay rewrite");
            }
            entries.push(Entry {
                rule: rule.clone(),
                nhs,
                loaded,
                rewrites: Mutex::new(rewrites),
            });
        }
        Ok(Self {
            entries: Arc::new(entries),
        })
    }

    fn matching(&self, kind: ReplayKind, source: &str) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| {
            e.rule.kind == kind && e.rule.source.as_deref().is_none_or(|s| s == source)
        })
    }

    /// The GP Connect replay for `nhs` at practice `ods`, rendered for this request.
    pub fn gp_connect(&self, ods: &str, nhs: &NhsNumber, base_url: &str) -> Option<Rendered> {
        let entry = self
            .matching(ReplayKind::GpConnect, ods)
            .find(|e| &e.nhs == nhs)?;
        let Loaded::Gp(template) = &entry.loaded else {
            return None;
        };
        let (body, rewrites) = render(template, &nhs.as_digits(), base_url);
        for r in &rewrites {
            tracing::info!(fixture = %entry.rule.path.display(), rewrite = %r, "replay rewrite");
        }
        if let Ok(mut last) = entry.rewrites.lock() {
            last.clone_from(&rewrites);
        }
        Some(Rendered {
            status: status_of(&body),
            body,
            rewrites,
        })
    }

    /// The R4 replay for `nhs` at provider `ods`.
    pub fn r4_by_nhs(&self, ods: &str, nhs: &NhsNumber) -> Option<&R4Replay> {
        self.matching(ReplayKind::FhirR4, ods)
            .find(|e| &e.nhs == nhs)
            .and_then(|e| match &e.loaded {
                Loaded::R4(r) => Some(r),
                Loaded::Gp(_) => None,
            })
    }

    /// The R4 replay whose patient has logical id `id` at provider `ods`.
    pub fn r4_by_id(&self, ods: &str, id: &str) -> Option<&R4Replay> {
        self.matching(ReplayKind::FhirR4, ods)
            .find_map(|e| match &e.loaded {
                Loaded::R4(r) if r.patient_id == id => Some(r),
                _ => None,
            })
    }

    /// Every rule with the rewrites it made (at load, or on its last render).
    pub fn report(&self) -> Value {
        Value::Array(
            self.entries
                .iter()
                .map(|e| {
                    json!({
                        "nhs_number": e.nhs.as_digits(),
                        "kind": e.rule.kind,
                        "source": e.rule.source,
                        "path": e.rule.path,
                        "rewrites": e.rewrites.lock().map(|r| r.clone()).unwrap_or_default(),
                    })
                })
                .collect(),
        )
    }
}

/// Renders a WireMock template for the requested patient.
pub fn render(template: &str, nhs: &str, base_url: &str) -> (String, Vec<String>) {
    let mut rewrites = Vec::new();
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    // Sections: (kind, keep) — `#` sections need data replay does not have.
    let mut sections: Vec<bool> = Vec::new();
    while let Some(start) = rest.find("{{") {
        let keeping = sections.iter().all(|k| *k);
        if keeping {
            out.push_str(&rest[..start]);
        }
        let Some(len) = rest[start..].find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 2..start + len].trim();
        rest = &rest[start + len + 2..];
        if let Some(name) = tag.strip_prefix('#') {
            sections.push(false);
            rewrites.push(format!(
                "dropped the {{{{#{name}}}}} section (no {name} data in replay)"
            ));
        } else if let Some(name) = tag.strip_prefix('^') {
            sections.push(true);
            rewrites.push(format!("kept the {{{{^{name}}}}} section"));
        } else if tag.starts_with('/') {
            sections.pop();
        } else if !keeping {
        } else if tag.starts_with("jsonPath request.body") && tag.contains("valueIdentifier.value")
        {
            out.push_str(nhs);
            rewrites.push(format!("rendered the requested NHS number {nhs}"));
        } else if tag == "request.baseUrl" {
            out.push_str(base_url);
            rewrites.push(format!("rendered request.baseUrl as {base_url}"));
        } else {
            rewrites.push(format!(
                "removed the unrenderable placeholder {{{{{tag}}}}}"
            ));
        }
    }
    if sections.iter().all(|k| *k) {
        out.push_str(rest);
    }
    (out, rewrites)
}

/// The HTTP status a replayed body implies: 200 unless it is an OperationOutcome.
fn status_of(body: &str) -> u16 {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return 200;
    };
    if v["resourceType"] != "OperationOutcome" {
        return 200;
    }
    match v["issue"][0]["code"].as_str() {
        Some("not-found") => 404,
        Some("forbidden") => 403,
        Some("exception") => 500,
        Some("invalid") if v["issue"][0]["details"]["coding"][0]["code"] == "BAD_REQUEST" => 400,
        Some("invalid") => 422,
        _ => 400,
    }
}

fn read_resources(path: &Path) -> std::io::Result<Vec<Value>> {
    let mut files = Vec::new();
    if path.is_dir() {
        for e in std::fs::read_dir(path)? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    let mut out = Vec::new();
    for f in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f)?)?;
        if v["resourceType"] == "Bundle" {
            out.extend(
                v["entry"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.get("resource").cloned()),
            );
        } else if v.get("resourceType").is_some() {
            out.push(v);
        }
    }
    Ok(out)
}

fn nhs_of(patient: &Value) -> Option<&str> {
    patient["identifier"]
        .as_array()?
        .iter()
        .find(|i| i["system"] == NHS_SYSTEM)?["value"]
        .as_str()
}

/// Loads an R4 replay, giving the patient `nhs`; returns the rewrites made.
fn load_r4(path: &Path, nhs: &NhsNumber) -> std::io::Result<(R4Replay, Vec<String>)> {
    let digits = nhs.as_digits();
    let all = read_resources(path)?;
    let mut rewrites = Vec::new();
    let patients: Vec<&Value> = all
        .iter()
        .filter(|r| r["resourceType"] == "Patient")
        .collect();
    // The patient with the configured number, else the one most resources refer to.
    let referrals = |p: &Value| {
        let id = p["id"].as_str().unwrap_or_default();
        let refs = [format!("Patient/{id}"), format!("urn:uuid:{id}")];
        all.iter()
            .filter(|r| {
                ["subject", "patient", "beneficiary"].iter().any(|f| {
                    r[*f]["reference"]
                        .as_str()
                        .is_some_and(|x| refs.iter().any(|s| s == x))
                })
            })
            .count()
    };
    let mut patient = patients
        .iter()
        .find(|p| nhs_of(p) == Some(digits.as_str()))
        .or_else(|| patients.iter().max_by_key(|p| referrals(p)))
        .map(|p| (*p).clone())
        .ok_or_else(|| {
            std::io::Error::other(format!("{}: no Patient to replay", path.display()))
        })?;
    let id = patient["id"]
        .as_str()
        .unwrap_or("replay-patient")
        .to_string();
    match nhs_of(&patient).map(str::to_string) {
        Some(n) if n == digits => {}
        old => {
            let ids = patient["identifier"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut ids: Vec<Value> = ids
                .into_iter()
                .filter(|i| i["system"] != NHS_SYSTEM)
                .collect();
            ids.insert(0, json!({"system": NHS_SYSTEM, "value": digits}));
            patient["identifier"] = Value::Array(ids);
            rewrites.push(format!(
                "gave Patient/{id} the NHS number {digits} (it had {})",
                old.unwrap_or_else(|| "none".into())
            ));
        }
    }
    let ours = [format!("Patient/{id}"), format!("urn:uuid:{id}")];
    let mut resources = Vec::new();
    let mut left_out = 0;
    for mut r in all.into_iter().filter(|r| r["resourceType"] != "Patient") {
        let field = ["subject", "patient", "beneficiary"]
            .into_iter()
            .find(|f| r[*f]["reference"].is_string());
        let Some(field) = field else {
            left_out += 1;
            continue;
        };
        let reference = r[field]["reference"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !ours.contains(&reference) {
            left_out += 1;
            continue;
        }
        if reference.starts_with("urn:uuid:") {
            r[field]["reference"] = json!(format!("Patient/{id}"));
            rewrites.push(format!(
                "{}/{}: {field} {reference} -> Patient/{id}",
                r["resourceType"].as_str().unwrap_or_default(),
                r["id"].as_str().unwrap_or_default()
            ));
        }
        resources.push(r);
    }
    if left_out > 0 {
        rewrites.push(format!(
            "left out {left_out} resources about other patients or none"
        ));
    }
    Ok((
        R4Replay {
            patient,
            patient_id: id,
            resources,
        },
        rewrites,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiremock_placeholders_are_rendered_for_the_requested_patient() {
        let t = r#"{"a": "{{jsonPath request.body '$.parameter[0].valueIdentifier.value'}}", "u": "{{request.baseUrl}}/x",
            {{^patient}}"kept": 1,{{/patient}}{{#patient}}"name": "{{patient.name.0.family}}",{{/patient}} "z": 0}"#;
        let (out, rewrites) = render(t, "9990000018", "http://h:1");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["a"], "9990000018");
        assert_eq!(v["u"], "http://h:1/x");
        assert_eq!(v["kept"], 1);
        assert!(v.get("name").is_none());
        assert_eq!(rewrites.len(), 4, "{rewrites:?}");
    }

    #[test]
    fn operation_outcomes_replay_with_their_status() {
        let oo = r#"{"resourceType": "OperationOutcome", "issue": [{"code": "forbidden"}]}"#;
        assert_eq!(status_of(oo), 403);
        assert_eq!(status_of("not json"), 200);
    }

    #[test]
    fn an_r4_replay_gives_the_patient_the_configured_number_and_rewrites_urn_references() {
        let dir = std::env::temp_dir().join(format!("mcr-replay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1"}},
            {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "urn:uuid:p1"}}},
            {"resource": {"resourceType": "Condition", "id": "c2", "subject": {"reference": "Patient/other"}}}]});
        std::fs::write(dir.join("b.json"), bundle.to_string()).unwrap();
        let nhs = NhsNumber::parse("9990000018").unwrap();
        let (replay, rewrites) = load_r4(&dir, &nhs).unwrap();
        assert_eq!(nhs_of(&replay.patient), Some("9990000018"));
        assert_eq!(replay.resources.len(), 1);
        assert_eq!(replay.resources[0]["subject"]["reference"], "Patient/p1");
        assert_eq!(rewrites.len(), 3, "{rewrites:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
