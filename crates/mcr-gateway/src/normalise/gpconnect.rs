//! GP Connect structured record (FHIR STU3 Bundle) → demographics, problems, medications.

use std::collections::HashMap;

use mcr_model::{Demographics, Entry, NhsNumber, PracticeRef, SourceRef};
use serde_json::Value;

use crate::sources::SourceError;

const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// What a GP Connect structured record contributes to the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpRecord {
    /// The patient's demographics.
    pub patient: Demographics,
    /// Problems (Conditions).
    pub problems: Vec<Entry>,
    /// Medications (MedicationStatements).
    pub medications: Vec<Entry>,
}

/// Resources in the bundle, indexed by `Type/id` for reference resolution.
struct Index<'a> {
    resources: Vec<&'a Value>,
    by_ref: HashMap<String, &'a Value>,
}

impl<'a> Index<'a> {
    fn new(bundle: &'a Value) -> Self {
        let resources: Vec<&Value> = as_list(&bundle["entry"])
            .filter_map(|e| e.get("resource"))
            .collect();
        let by_ref = resources
            .iter()
            .filter_map(|r| {
                Some((
                    format!("{}/{}", r["resourceType"].as_str()?, r["id"].as_str()?),
                    *r,
                ))
            })
            .collect();
        Self { resources, by_ref }
    }

    fn of_type(&self, t: &'a str) -> impl Iterator<Item = &'a Value> + '_ {
        self.resources
            .iter()
            .copied()
            .filter(move |r| r["resourceType"] == t)
    }

    fn resolve(&self, reference: &Value) -> Option<&'a Value> {
        self.by_ref.get(reference["reference"].as_str()?).copied()
    }
}

/// Iterates a FHIR list field, tolerating a single object where a list belongs.
fn as_list(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match v {
        Value::Array(items) => Box::new(items.iter()),
        Value::Null => Box::new(std::iter::empty()),
        other => Box::new(std::iter::once(other)),
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The date part of a FHIR date or dateTime.
fn date(v: &Value) -> Option<String> {
    let s = v.as_str()?.trim();
    let d = s.get(..10).unwrap_or(s);
    (d.len() >= 4 && d.as_bytes()[..4].iter().all(u8::is_ascii_digit)).then(|| d.to_string())
}

/// Display text of a CodeableConcept: its text, else the first coding's display.
fn concept_text(cc: &Value) -> Option<String> {
    text(&cc["text"]).or_else(|| as_list(&cc["coding"]).find_map(|c| text(&c["display"])))
}

/// `system|code` of the first coding.
fn concept_code(cc: &Value) -> Option<String> {
    as_list(&cc["coding"])
        .find_map(|c| Some(format!("{}|{}", text(&c["system"])?, text(&c["code"])?)))
}

fn identifier<'v>(resource: &'v Value, system: &str) -> Option<&'v str> {
    as_list(&resource["identifier"])
        .find(|i| i["system"] == system)
        .and_then(|i| i["value"].as_str())
        .map(str::trim)
}

fn entered_in_error(r: &Value) -> bool {
    r["status"] == "entered-in-error"
        || r["clinicalStatus"] == "entered-in-error"
        || r["verificationStatus"] == "entered-in-error"
}

/// Maps a structured record bundle for `expected` into the model.
///
/// Fails with [`SourceError::WrongPatient`] unless the bundle holds exactly one Patient
/// and its NHS number is `expected`: an answer that cannot be tied to the requested
/// patient is never shown, not even in part.
pub fn normalise(
    bundle: &Value,
    expected: &NhsNumber,
    source: &SourceRef,
) -> Result<GpRecord, SourceError> {
    if bundle["resourceType"] != "Bundle" {
        return Err(SourceError::Malformed("not a Bundle".into()));
    }
    let index = Index::new(bundle);
    let mut patients = index.of_type("Patient");
    let (Some(patient), None) = (patients.next(), patients.next()) else {
        return Err(SourceError::Malformed(
            "the bundle must hold exactly one Patient".into(),
        ));
    };
    let nhs = identifier(patient, NHS_NUMBER_SYSTEM)
        .and_then(|n| NhsNumber::parse(n).ok())
        .ok_or(SourceError::WrongPatient)?;
    if &nhs != expected {
        return Err(SourceError::WrongPatient);
    }
    let demographics = demographics(patient, nhs, &index);
    let problems = index
        .of_type("Condition")
        .filter(|r| !entered_in_error(r))
        .map(|r| Entry {
            id: text(&r["id"]).unwrap_or_default(),
            source: source.clone(),
            title: concept_text(&r["code"]).unwrap_or_else(|| "Unnamed problem".into()),
            code: concept_code(&r["code"]),
            date: date(&r["onsetDateTime"]).or_else(|| date(&r["assertedDate"])),
            status: text(&r["clinicalStatus"]),
            detail: None,
        })
        .collect();
    let medications = index
        .of_type("MedicationStatement")
        .filter(|r| !entered_in_error(r))
        .map(|r| {
            let concept = index
                .resolve(&r["medicationReference"])
                .map(|m| &m["code"])
                .unwrap_or(&r["medicationCodeableConcept"]);
            Entry {
                id: text(&r["id"]).unwrap_or_default(),
                source: source.clone(),
                title: concept_text(concept).unwrap_or_else(|| "Unnamed medication".into()),
                code: concept_code(concept),
                date: date(&r["effectivePeriod"]["start"]).or_else(|| date(&r["dateAsserted"])),
                status: text(&r["status"]),
                detail: as_list(&r["dosage"]).find_map(|d| text(&d["text"])),
            }
        })
        .collect();
    Ok(GpRecord {
        patient: demographics,
        problems,
        medications,
    })
}

fn demographics(p: &Value, nhs_number: NhsNumber, index: &Index<'_>) -> Demographics {
    let name = as_list(&p["name"])
        .find(|n| n["use"] == "official")
        .or_else(|| as_list(&p["name"]).next());
    let address = as_list(&p["address"])
        .find(|a| a["use"] == "home")
        .or_else(|| as_list(&p["address"]).next())
        .map(|a| {
            as_list(&a["line"])
                .chain([&a["city"], &a["district"], &a["postalCode"]])
                .filter_map(text)
                .collect()
        })
        .unwrap_or_default();
    let practice = std::iter::once(&p["managingOrganization"])
        .chain(as_list(&p["generalPractitioner"]))
        .filter_map(|r| index.resolve(r))
        .find(|r| r["resourceType"] == "Organization")
        .and_then(|org| {
            Some(PracticeRef {
                ods_code: identifier(org, ODS_SYSTEM)?.to_string(),
                name: text(&org["name"]).unwrap_or_else(|| "Not known".into()),
            })
        });
    Demographics {
        nhs_number,
        family_name: name.and_then(|n| text(&n["family"])),
        given_names: name
            .map(|n| as_list(&n["given"]).filter_map(text).collect())
            .unwrap_or_default(),
        birth_date: date(&p["birthDate"]),
        gender: text(&p["gender"]),
        address,
        registered_practice: practice,
        deceased_date: date(&p["deceasedDateTime"]),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn source() -> SourceRef {
        SourceRef {
            id: "gp".into(),
            organisation: "Test Practice".into(),
            ods_code: "Y90001".into(),
        }
    }

    fn bundle(nhs: &str, extra: Vec<Value>) -> Value {
        let mut entries = vec![
            json!({"resource": {"resourceType": "Patient", "id": "1",
                "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": nhs}],
                "name": [{"use": "official", "family": "Jones", "given": ["Ann", "May"]}],
                "gender": "female", "birthDate": "1950-02-03",
                "generalPractitioner": {"reference": "Organization/o"}}}),
            json!({"resource": {"resourceType": "Organization", "id": "o",
                "identifier": [{"system": ODS_SYSTEM, "value": "Y90001"}], "name": "Test Practice"}}),
            json!({"fullUrl": "entry without a resource"}),
        ];
        entries.extend(extra.into_iter().map(|r| json!({"resource": r})));
        json!({"resourceType": "Bundle", "type": "collection", "entry": entries})
    }

    #[test]
    fn maps_demographics_tolerating_general_practitioner_as_an_object() {
        let nhs = NhsNumber::parse("9434765919").unwrap();
        let rec = normalise(&bundle("9434765919", vec![]), &nhs, &source()).unwrap();
        assert_eq!(rec.patient.family_name.as_deref(), Some("Jones"));
        assert_eq!(rec.patient.given_names, ["Ann", "May"]);
        assert_eq!(rec.patient.registered_practice.unwrap().ods_code, "Y90001");
    }

    #[test]
    fn a_bundle_for_another_patient_is_refused_entirely() {
        let nhs = NhsNumber::parse("9434765919").unwrap();
        let err = normalise(&bundle("9000000009", vec![]), &nhs, &source()).unwrap_err();
        assert!(matches!(err, SourceError::WrongPatient));
    }

    #[test]
    fn entered_in_error_entries_are_not_shown() {
        let nhs = NhsNumber::parse("9434765919").unwrap();
        let extra = vec![
            json!({"resourceType": "Condition", "id": "c1", "clinicalStatus": "active",
                   "code": {"coding": [{"system": "http://snomed.info/sct", "code": "195967001", "display": "Asthma"}]}}),
            json!({"resourceType": "MedicationStatement", "id": "m1", "status": "entered-in-error",
                   "medicationCodeableConcept": {"text": "Wrong drug"}}),
        ];
        let rec = normalise(&bundle("9434765919", extra), &nhs, &source()).unwrap();
        assert_eq!(rec.problems.len(), 1);
        assert_eq!(rec.problems[0].title, "Asthma");
        assert_eq!(
            rec.problems[0].code.as_deref(),
            Some("http://snomed.info/sct|195967001")
        );
        assert!(rec.medications.is_empty());
    }
}
