//! The record as a FHIR R4 Bundle (`Accept: application/fhir+json`), for consumers other
//! than the panel: the Patient, one resource per entry, and per source an Organization
//! and a Provenance naming the resources it gave and how it answered.

use base64::Engine;
use mcr_model::{Entry, Record, SectionKind, SourceState, SourceStatus};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Extension URL carrying a source's status on its Provenance.
pub const SOURCE_STATE_EXTENSION: &str =
    "https://mycarerecord.nhs.example/fhir/StructureDefinition/source-state";

/// A FHIR id (`[A-Za-z0-9-.]{1,64}`) for something named by `parts`.
fn fhir_id(parts: &[&str]) -> String {
    let joined = parts.join("-");
    if joined.len() <= 64
        && joined
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return joined;
    }
    let digest = Sha256::digest(joined.as_bytes());
    digest.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

fn concept(e: &Entry) -> Value {
    let coding: Vec<Value> = e
        .codes
        .iter()
        .map(|c| {
            let mut v = json!({});
            if let Some(s) = &c.system {
                v["system"] = json!(s);
            }
            if let Some(s) = &c.code {
                v["code"] = json!(s);
            }
            if let Some(s) = &c.display {
                v["display"] = json!(s);
            }
            v
        })
        .collect();
    if coding.is_empty() {
        json!({"text": e.title})
    } else {
        json!({"coding": coding, "text": e.title})
    }
}

fn one_of<'a>(status: Option<&'a str>, allowed: &[&'a str], otherwise: &'a str) -> &'a str {
    status.filter(|s| allowed.contains(s)).unwrap_or(otherwise)
}

/// The resource for one entry.
fn resource(kind: SectionKind, e: &Entry, id: &str, patient: &Value) -> Value {
    let status = e.status.as_deref();
    let mut r = match kind {
        SectionKind::Problems => {
            let mut r =
                json!({"resourceType": "Condition", "code": concept(e), "subject": patient});
            if let Some(s) = status.filter(|s| {
                [
                    "active",
                    "recurrence",
                    "relapse",
                    "inactive",
                    "remission",
                    "resolved",
                ]
                .contains(s)
            }) {
                r["clinicalStatus"] = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": s}]});
            }
            if let Some(d) = &e.date {
                r["onsetDateTime"] = json!(d);
            }
            r
        }
        SectionKind::Medications => {
            let s = one_of(
                status,
                &[
                    "active",
                    "completed",
                    "intended",
                    "stopped",
                    "on-hold",
                    "unknown",
                    "not-taken",
                ],
                "unknown",
            );
            let mut r = json!({"resourceType": "MedicationStatement", "status": s, "medicationCodeableConcept": concept(e), "subject": patient});
            if let Some(d) = &e.date {
                r["effectivePeriod"] = json!({"start": d});
                if let Some(end) = &e.end_date {
                    r["effectivePeriod"]["end"] = json!(end);
                }
            }
            if let Some(d) = &e.detail {
                r["dosage"] = json!([{"text": d}]);
            }
            r
        }
        SectionKind::Allergies => {
            let mut r = json!({"resourceType": "AllergyIntolerance", "code": concept(e), "patient": patient});
            if let Some(d) = &e.date {
                r["onsetDateTime"] = json!(d);
            }
            if let Some(d) = &e.detail {
                r["note"] = json!([{"text": d}]);
            }
            r
        }
        SectionKind::Results => {
            let s = one_of(
                status,
                &[
                    "registered",
                    "preliminary",
                    "final",
                    "amended",
                    "corrected",
                    "cancelled",
                ],
                "unknown",
            );
            let mut r = json!({"resourceType": "Observation", "status": s, "code": concept(e), "subject": patient});
            if let Some(d) = &e.date {
                r["effectiveDateTime"] = json!(d);
            }
            if let Some(v) = &e.value {
                r["valueString"] = json!(v);
            }
            if let Some(range) = &e.reference_range {
                r["referenceRange"] = json!([{"text": range}]);
            }
            r
        }
        SectionKind::Radiology => {
            let s = one_of(
                status,
                &[
                    "registered",
                    "partial",
                    "preliminary",
                    "final",
                    "amended",
                    "corrected",
                    "appended",
                    "cancelled",
                ],
                "unknown",
            );
            let mut r = json!({"resourceType": "DiagnosticReport", "status": s, "code": concept(e), "subject": patient});
            if let Some(d) = &e.date {
                r["effectiveDateTime"] = json!(d);
            }
            if let Some(c) = &e.detail {
                r["conclusion"] = json!(c);
            }
            r
        }
        SectionKind::Encounters => {
            let s = one_of(
                status,
                &[
                    "planned",
                    "arrived",
                    "triaged",
                    "in-progress",
                    "onleave",
                    "finished",
                    "cancelled",
                ],
                "unknown",
            );
            let mut r = json!({
                "resourceType": "Encounter", "status": s, "subject": patient,
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code": "UNK"},
                "type": [concept(e)],
            });
            if let Some(d) = &e.date {
                r["period"] = json!({"start": d});
                if let Some(end) = &e.end_date {
                    r["period"]["end"] = json!(end);
                }
            }
            r
        }
        SectionKind::Documents => {
            let attachment = match &e.narrative {
                Some(html) => {
                    json!({"contentType": "text/html", "data": base64::engine::general_purpose::STANDARD.encode(html), "title": e.title})
                }
                None => json!({"title": e.title}),
            };
            let mut r = json!({"resourceType": "DocumentReference", "status": "current", "type": concept(e), "subject": patient, "content": [{"attachment": attachment}]});
            // DocumentReference.date is an instant: only a full date can become one.
            if let Some(d) = e.date.as_ref().filter(|d| d.len() == 10) {
                r["date"] = json!(format!("{d}T00:00:00Z"));
            }
            r
        }
        SectionKind::Immunisations => {
            let mut r = json!({"resourceType": "Immunization", "status": "completed", "vaccineCode": concept(e), "patient": patient});
            match &e.date {
                Some(d) => r["occurrenceDateTime"] = json!(d),
                None => r["occurrenceString"] = json!("date not recorded"),
            }
            r
        }
        SectionKind::Referrals => {
            let s = one_of(
                status,
                &["draft", "active", "on-hold", "revoked", "completed"],
                "unknown",
            );
            let mut r = json!({"resourceType": "ServiceRequest", "status": s, "intent": "order", "code": concept(e), "subject": patient});
            if let Some(d) = &e.date {
                r["authoredOn"] = json!(d);
            }
            r
        }
        SectionKind::CarePlans => {
            let s = one_of(
                status,
                &["draft", "active", "on-hold", "revoked", "completed"],
                "unknown",
            );
            let mut r = json!({"resourceType": "CarePlan", "status": s, "intent": "plan", "title": e.title, "subject": patient});
            if let Some(d) = &e.detail {
                r["description"] = json!(d);
            }
            r
        }
    };
    r["id"] = json!(id);
    r
}

fn provenance(status: &SourceStatus, targets: Vec<Value>, org_ref: &str, patient: &Value) -> Value {
    let state = serde_json::to_value(status.state).unwrap_or(json!("failed"));
    let mut p = json!({
        "resourceType": "Provenance",
        "id": fhir_id(&["provenance", &status.source.id]),
        // A source that gave nothing is still accounted for: its Provenance points at the patient.
        "target": if targets.is_empty() { vec![patient.clone()] } else { targets },
        "recorded": status.as_of.clone().unwrap_or_else(crate::time_fmt::now_rfc3339),
        "agent": [{"who": {"reference": org_ref}}],
        "extension": [{"url": SOURCE_STATE_EXTENSION, "valueCode": state}],
    });
    if let Some(m) = &status.message {
        p["reason"] = json!([{"text": m}]);
    }
    if status.state != SourceState::Answered {
        p["activity"] = json!({"text": "the source gave no usable answer"});
    }
    p
}

/// The record as a FHIR R4 `collection` Bundle.
pub fn bundle(record: &Record) -> Value {
    let mut entries: Vec<Value> = Vec::new();
    let patient_id = record
        .patient
        .as_ref()
        .map(|p| fhir_id(&["patient", &p.nhs_number.as_digits()]));
    let patient_ref =
        json!({"reference": format!("Patient/{}", patient_id.as_deref().unwrap_or("unknown"))});
    if let (Some(p), Some(id)) = (&record.patient, &patient_id) {
        let mut r = json!({
            "resourceType": "Patient", "id": id,
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": p.nhs_number.as_digits()}],
        });
        let mut name = json!({"use": "official"});
        if let Some(f) = &p.family_name {
            name["family"] = json!(f);
        }
        if !p.given_names.is_empty() {
            name["given"] = json!(p.given_names);
        }
        r["name"] = json!([name]);
        if let Some(g) = p
            .gender
            .as_deref()
            .filter(|g| ["male", "female", "other", "unknown"].contains(g))
        {
            r["gender"] = json!(g);
        }
        if let Some(b) = &p.birth_date {
            r["birthDate"] = json!(b);
        }
        if !p.address.is_empty() {
            r["address"] = json!([{"text": p.address.join(", ")}]);
        }
        if let Some(d) = &p.deceased_date {
            r["deceasedDateTime"] = json!(d);
        }
        if let Some(gp) = &p.registered_practice {
            r["generalPractitioner"] = json!([{"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": gp.ods_code}, "display": gp.name}]);
        }
        entries.push(json!({"resource": r}));
    }
    for status in &record.sources {
        let org_id = fhir_id(&["org", &status.source.id]);
        let org_ref = format!("Organization/{org_id}");
        entries.push(json!({"resource": {
            "resourceType": "Organization", "id": org_id, "name": status.source.organisation,
            "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": status.source.ods_code}],
        }}));
        let mut targets = Vec::new();
        for section in &record.sections {
            for e in section
                .entries
                .iter()
                .filter(|e| e.source.id == status.source.id)
            {
                let id = fhir_id(&[&e.source.id, &e.id]);
                let r = resource(section.kind, e, &id, &patient_ref);
                targets.push(json!({"reference": format!("{}/{id}", r["resourceType"].as_str().unwrap_or_default())}));
                entries.push(json!({"resource": r}));
            }
        }
        entries.push(json!({"resource": provenance(status, targets, &org_ref, &patient_ref)}));
    }
    json!({"resourceType": "Bundle", "type": "collection", "timestamp": crate::time_fmt::now_rfc3339(), "entry": entries})
}
