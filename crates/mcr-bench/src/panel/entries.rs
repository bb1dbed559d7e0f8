//! The entries both subjects of the panel suite render, from one list so they are the
//! same entries: N spread evenly over problems, medications, allergies and results,
//! alternately from a GP practice and an acute trust, drawn from the simulator's code
//! tables. Written as our [`Record`] (what the gateway sends the panel) and as a FHIR R4
//! Bundle of Condition, MedicationRequest, AllergyIntolerance and Observation (what the
//! peer's components take).
//!
//! Each entry's first coding is a local code unique to it (as GP systems' local codes
//! are), so the peer's problem list, which folds repeats of one code, shows every entry
//! as ours does.

use mcr_model::{
    Coding, Demographics, Entry, NhsNumber, Record, Section, SectionKind, SourceKind, SourceRef,
    SourceState, SourceStatus,
};
use mcr_sim::codes::{self, Concept, TestDef};
use serde_json::{Value, json};

/// The demo patient of the synthetic range.
const NHS_NUMBER: &str = "9990000018";
/// The system of the entries' local codes.
const LOCAL: &str = "https://my-care-record.example/bench-local-code";

/// The results the entries cycle through.
const TESTS: [TestDef; 10] = [
    codes::HBA1C,
    codes::EGFR,
    codes::CREATININE,
    codes::SODIUM,
    codes::POTASSIUM,
    codes::CHOLESTEROL,
    codes::HAEMOGLOBIN,
    codes::WHITE_CELLS,
    codes::PLATELETS,
    codes::CRP,
];

#[derive(Clone, Copy)]
enum Kind {
    Problem,
    Medication,
    Allergy,
    Result,
}

/// A result's value as measured.
#[derive(Clone, Copy)]
struct Measured {
    value: f64,
    /// UCUM unit.
    unit: &'static str,
    range: Option<(f64, f64)>,
    decimals: usize,
}

/// One synthetic entry, before it is written either way.
struct Synthetic {
    id: String,
    kind: Kind,
    from_gp: bool,
    concept: Concept,
    system: &'static str,
    date: String,
    status: &'static str,
    detail: Option<String>,
    result: Option<Measured>,
}

fn synthetic(i: usize) -> Synthetic {
    let kind = [Kind::Problem, Kind::Medication, Kind::Allergy, Kind::Result][i % 4];
    let pick = i / 8;
    // Dates spread over 26 years, newest first as the index grows.
    let date = format!(
        "{}-{:02}-{:02}",
        2025 - (i / 336) % 26,
        12 - (i / 28) % 12,
        28 - i % 28
    );
    let (concept, system, status, detail, result) = match kind {
        Kind::Problem => {
            let p = &codes::PROBLEMS[pick % codes::PROBLEMS.len()];
            let status = if p.resolves { "resolved" } else { "active" };
            (p.concept, codes::SNOMED, status, None, None)
        }
        Kind::Medication => {
            let m = &codes::MEDICINES[pick % codes::MEDICINES.len()];
            let status = if pick % 5 == 4 { "stopped" } else { "active" };
            (
                m.concept,
                codes::SNOMED,
                status,
                Some(m.dosage.to_string()),
                None,
            )
        }
        Kind::Allergy => {
            let a = &codes::ALLERGIES[pick % codes::ALLERGIES.len()];
            let reaction = a.reaction.display.to_string();
            (a.concept, codes::SNOMED, "active", Some(reaction), None)
        }
        Kind::Result => {
            let t = &TESTS[pick % TESTS.len()];
            // Mostly in range, one in five above it.
            let fraction = (i * 37 % 100) as f64 / 80.0;
            let value = match t.range {
                Some((low, high)) => low + (high - low) * fraction,
                None => 50.0 + 100.0 * fraction,
            };
            let result = Some(Measured {
                value,
                unit: t.unit,
                range: t.range,
                decimals: t.decimals,
            });
            (t.loinc, codes::LOINC, "final", None, result)
        }
    };
    Synthetic {
        id: format!("bench-{i}"),
        kind,
        from_gp: (i / 4).is_multiple_of(2),
        concept,
        system,
        date,
        status,
        detail,
        result,
    }
}

fn gp() -> SourceRef {
    SourceRef {
        id: "gp-a81001".into(),
        organisation: "Riverside Medical Practice".into(),
        ods_code: "A81001".into(),
        kind: SourceKind::GpPractice,
    }
}

fn trust() -> SourceRef {
    SourceRef {
        id: "trust-rx1".into(),
        organisation: "North Region Hospitals NHS Trust".into(),
        ods_code: "RX1".into(),
        kind: SourceKind::AcuteTrust,
    }
}

fn number(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

fn entry(s: &Synthetic) -> Entry {
    let source = if s.from_gp { gp() } else { trust() };
    let mut e = Entry::new(&s.id, source, s.concept.display);
    e.codes = vec![
        Coding {
            system: Some(LOCAL.into()),
            code: Some(s.id.clone()),
            display: None,
        },
        Coding {
            system: Some(s.system.into()),
            code: Some(s.concept.code.into()),
            display: Some(s.concept.display.into()),
        },
    ];
    e.date = Some(s.date.clone());
    e.status = Some(s.status.into());
    e.detail = s.detail.clone();
    if let Some(Measured {
        value,
        unit,
        range,
        decimals,
    }) = s.result
    {
        e.value = Some(format!("{} {unit}", number(value, decimals)));
        e.reference_range = range.map(|(low, high)| {
            format!(
                "{}-{} {unit}",
                number(low, decimals),
                number(high, decimals)
            )
        });
    }
    e
}

/// Our record of `n` entries, both sources answered.
pub fn record(n: usize) -> Record {
    let mut sections: Vec<Section> = [
        SectionKind::Problems,
        SectionKind::Medications,
        SectionKind::Allergies,
        SectionKind::Results,
    ]
    .into_iter()
    .map(|kind| Section {
        kind,
        entries: vec![],
    })
    .collect();
    for i in 0..n {
        let s = synthetic(i);
        sections[s.kind as usize].entries.push(entry(&s));
    }
    let answered = |source| {
        SourceStatus::new(
            source,
            SourceState::Answered,
            Some("2025-12-31T09:00:00Z".into()),
            None,
        )
    };
    Record {
        patient: Some(Demographics {
            nhs_number: NhsNumber::parse(NHS_NUMBER).expect("a valid NHS number"),
            family_name: Some("Bench".into()),
            given_names: vec!["Alex".into()],
            birth_date: Some("1950-04-01".into()),
            gender: Some("female".into()),
            address: vec!["1 Bench Street".into(), "LS1 1AA".into()],
            registered_practice: None,
            deceased_date: None,
        }),
        located: vec![gp(), trust()],
        sources: vec![answered(gp()), answered(trust())],
        sections,
        dataset: None,
    }
}

fn codeable(s: &Synthetic) -> Value {
    json!({
        "coding": [
            { "system": LOCAL, "code": s.id },
            { "system": s.system, "code": s.concept.code, "display": s.concept.display },
        ],
        "text": s.concept.display,
    })
}

fn status_concept(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}

fn quantity(value: f64, unit: &str) -> Value {
    json!({ "value": value, "unit": unit, "system": codes::UCUM, "code": unit })
}

fn resource(s: &Synthetic) -> Value {
    let subject = json!({ "reference": "Patient/bench" });
    let organisation = json!({ "display": if s.from_gp { gp() } else { trust() }.organisation });
    match s.kind {
        Kind::Problem => json!({
            "resourceType": "Condition",
            "id": s.id,
            "clinicalStatus": status_concept("http://terminology.hl7.org/CodeSystem/condition-clinical", s.status),
            "verificationStatus": status_concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
            "code": codeable(s),
            "subject": subject,
            "onsetDateTime": s.date,
            "asserter": organisation,
        }),
        Kind::Medication => json!({
            "resourceType": "MedicationRequest",
            "id": s.id,
            "status": s.status,
            "intent": "order",
            "medicationCodeableConcept": codeable(s),
            "subject": subject,
            "authoredOn": s.date,
            "requester": organisation,
            "dosageInstruction": [{ "text": s.detail }],
        }),
        Kind::Allergy => json!({
            "resourceType": "AllergyIntolerance",
            "id": s.id,
            "clinicalStatus": status_concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", s.status),
            "verificationStatus": status_concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed"),
            "code": codeable(s),
            "patient": subject,
            "recordedDate": s.date,
            "recorder": organisation,
            "reaction": [{ "manifestation": [{ "text": s.detail }] }],
        }),
        Kind::Result => {
            let Measured {
                value, unit, range, ..
            } = s.result.expect("a result has a value");
            let mut observation = json!({
                "resourceType": "Observation",
                "id": s.id,
                "status": s.status,
                "category": [status_concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")],
                "code": codeable(s),
                "subject": subject,
                "effectiveDateTime": s.date,
                "performer": [organisation],
                "valueQuantity": quantity(value, unit),
            });
            if let Some((low, high)) = range {
                observation["referenceRange"] =
                    json!([{ "low": quantity(low, unit), "high": quantity(high, unit) }]);
            }
            observation
        }
    }
}

/// The same `n` entries as a FHIR R4 collection Bundle, with the Patient first.
pub fn fhir_bundle(n: usize) -> Value {
    let patient = json!({
        "resourceType": "Patient",
        "id": "bench",
        "identifier": [{ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS_NUMBER }],
        "name": [{ "family": "Bench", "given": ["Alex"] }],
        "gender": "female",
        "birthDate": "1950-04-01",
        "address": [{ "line": ["1 Bench Street"], "postalCode": "LS1 1AA" }],
    });
    let entries = std::iter::once(patient)
        .chain((0..n).map(|i| resource(&synthetic(i))))
        .map(|resource| json!({ "resource": resource }))
        .collect::<Vec<_>>();
    json!({ "resourceType": "Bundle", "type": "collection", "entry": entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_and_the_bundle_hold_the_same_entries() {
        let record = record(1000);
        let bundle = fhir_bundle(1000);
        let ours: Vec<&str> = record
            .sections
            .iter()
            .flat_map(|s| &s.entries)
            .map(|e| e.id.as_str())
            .collect();
        let theirs = bundle["entry"].as_array().expect("entries");
        assert_eq!(ours.len(), 1000);
        assert_eq!(theirs.len(), 1001);
        for id in ours {
            assert!(theirs.iter().any(|e| e["resource"]["id"] == id), "{id}");
        }
    }

    #[test]
    fn entries_are_spread_evenly_over_the_four_sections() {
        let record = record(100);
        assert!(record.sections.iter().all(|s| s.entries.len() == 25));
    }
}
