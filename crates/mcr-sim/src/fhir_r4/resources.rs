//! A provider's record as FHIR R4 resources shaped like UK Core: Patient, Encounter,
//! Condition, MedicationRequest (discharge medications), MedicationStatement
//! (medications on admission), AllergyIntolerance, Observation, DiagnosticReport
//! (pathology and radiology), DocumentReference (with the document's text inline),
//! Composition (discharge summaries), Immunization and CarePlan.

use base64::Engine;
use serde_json::{Value, json};

use crate::codes::{self, Concept, LOINC, SNOMED, UCUM};
use crate::dates::{Day, date, date_time};
use crate::gp_record::{GpRecord, interpretation};
use crate::hospital_record::{EncounterKind, HospitalRecord, MedicationChange};
use crate::organisations::{PROVIDERS, ProviderKind};
use crate::population::Patient;

const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// One resource with the dates searches filter on.
#[derive(Debug, Clone)]
pub struct Found {
    /// Its type.
    pub resource_type: &'static str,
    /// The clinical date (`date` search parameter).
    pub day: Day,
    /// When it was last updated (`_lastUpdated`).
    pub updated: Day,
    /// The resource.
    pub resource: Value,
}

fn profile(name: &str) -> String {
    format!("https://fhir.hl7.org.uk/StructureDefinition/UKCore-{name}")
}

fn concept(system: &str, c: Concept) -> Value {
    json!({"coding": [{"system": system, "code": c.code, "display": c.display}]})
}

fn sct(c: Concept) -> Value {
    concept(SNOMED, c)
}

fn coded(system: &str, code: &str, display: &str) -> Value {
    json!({"coding": [{"system": system, "code": code, "display": display}]})
}

fn org(ods: &str, name: &str) -> Value {
    json!({"identifier": {"system": ODS_SYSTEM, "value": ods}, "display": name})
}

/// The provider's Patient resource.
pub fn patient(p: &Patient, id: &str) -> Value {
    let mut r = json!({
        "resourceType": "Patient",
        "id": id,
        "meta": {"profile": [profile("Patient")]},
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": p.nhs_number.as_digits()}],
        "name": [{"use": "official", "family": p.family,
            "given": std::iter::once(p.given).chain(p.middle).collect::<Vec<_>>()}],
        "gender": p.gender,
        "birthDate": p.birth_date,
        "address": [{"use": "home", "line": p.address_lines, "city": p.town, "district": p.district, "postalCode": p.postcode}],
        "generalPractitioner": [{"type": "Organization", "identifier": {"system": ODS_SYSTEM, "value": p.practice_ods}, "display": p.practice_name}],
    });
    if let Some(d) = p.deceased {
        r["deceasedDateTime"] = json!(date_time(d, 0));
    }
    r
}

struct Out<'a> {
    list: Vec<Found>,
    wanted: Option<&'a str>,
    subject: Value,
    prefix: &'a str,
}

impl Out<'_> {
    fn wants(&self, resource_type: &str) -> bool {
        self.wanted.is_none_or(|w| w == resource_type)
    }

    /// Adds the resource `make` builds, if its type is wanted; returns its reference
    /// either way (other resources refer to it).
    fn add(
        &mut self,
        resource_type: &'static str,
        n: String,
        day: Day,
        make: impl FnOnce() -> Value,
    ) -> String {
        if !self.wants(resource_type) {
            return format!("{resource_type}/{}-{n}", self.prefix);
        }
        let mut resource = make();
        let id = format!("{}-{n}", self.prefix);
        resource["resourceType"] = json!(resource_type);
        resource["id"] = json!(id);
        let updated = day + 1;
        resource["meta"] =
            json!({"lastUpdated": date_time(updated, 6 * 60), "profile": [profile(resource_type)]});
        if resource_type == "AllergyIntolerance" || resource_type == "Immunization" {
            resource["patient"] = self.subject.clone();
        } else {
            resource["subject"] = self.subject.clone();
        }
        self.list.push(Found {
            resource_type,
            day,
            updated,
            resource,
        });
        format!("{resource_type}/{id}")
    }
}

fn quantity(t: &codes::TestDef, v: f64) -> Value {
    json!({"value": v, "unit": t.unit, "system": UCUM, "code": t.unit})
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Every resource provider `rec.provider` holds for `p`, whose logical id is `id`.
pub fn all(p: &Patient, id: &str, rec: &HospitalRecord, gp: &GpRecord) -> Vec<Found> {
    of_type(p, id, rec, gp, None)
}

/// The resources of one type (or all, for `None`); only those are built.
pub fn of_type(
    p: &Patient,
    id: &str,
    rec: &HospitalRecord,
    gp: &GpRecord,
    wanted: Option<&str>,
) -> Vec<Found> {
    let provider = &PROVIDERS[rec.provider];
    let mut out = Out {
        list: Vec::new(),
        wanted,
        subject: json!({"reference": format!("Patient/{id}")}),
        prefix: id,
    };
    let me = org(provider.ods, provider.name);
    let mut encounter_refs = Vec::new();
    for (k, e) in rec.encounters.iter().enumerate() {
        if !out.wants("Encounter") {
            encounter_refs.push(format!("Encounter/{id}-enc-{k}"));
            continue;
        }
        let (class, class_name) = match e.kind {
            EncounterKind::Emergency => ("EMER", "emergency"),
            EncounterKind::Inpatient => ("IMP", "inpatient encounter"),
            EncounterKind::Outpatient => ("AMB", "ambulatory"),
            EncounterKind::HomeVisit => ("HH", "home health"),
        };
        let kind = match e.kind {
            EncounterKind::Emergency => codes::encounters::EMERGENCY,
            EncounterKind::Inpatient => codes::encounters::ADMISSION,
            EncounterKind::Outpatient => codes::encounters::OUTPATIENT,
            EncounterKind::HomeVisit => codes::encounters::HOME_VISIT,
        };
        let end_minute = if e.end == e.start {
            e.minute.min(1439 - 180) + 180
        } else {
            11 * 60
        };
        let mut r = json!({
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": class, "display": class_name},
            "type": [sct(kind)],
            "serviceType": {"text": e.service},
            "period": {"start": date_time(e.start, e.minute.min(1439 - 180)), "end": date_time(e.end, end_minute)},
            "reasonCode": [sct(e.diagnosis)],
            "serviceProvider": me,
        });
        if e.kind == EncounterKind::Inpatient {
            r["hospitalization"] =
                json!({"dischargeDisposition": sct(codes::documents::DISCHARGE_HOME)});
        }
        encounter_refs.push(out.add("Encounter", format!("enc-{k}"), e.start, || r));
    }
    let enc = |k: usize| json!({"reference": encounter_refs[k]});

    for (k, e) in rec
        .encounters
        .iter()
        .enumerate()
        .take(if out.wants("Condition") {
            usize::MAX
        } else {
            0
        })
    {
        let mut r = json!({
            "clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/condition-clinical", if e.kind == EncounterKind::Outpatient { "active" } else { "resolved" }, if e.kind == EncounterKind::Outpatient { "Active" } else { "Resolved" }),
            "verificationStatus": coded("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"),
            "category": [coded("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis")],
            "code": sct(e.diagnosis),
            "encounter": enc(k),
            "onsetDateTime": date_time(e.start, e.minute.min(1439 - 180)),
            "recordedDate": date_time(e.start, e.minute.min(1439 - 180)),
        });
        if e.kind != EncounterKind::Outpatient {
            r["abatementDateTime"] = json!(date_time(e.end, 12 * 60));
        }
        out.add("Condition", format!("cond-{k}"), e.start, || r);
    }
    if provider.kind == ProviderKind::MentalHealth {
        for (k, e) in p
            .problems
            .iter()
            .enumerate()
            .filter(|(_, e)| e.def == 6 || e.def == 7)
        {
            out.add("Condition", format!("mh-{k}"), e.onset, || json!({
                "clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
                "verificationStatus": coded("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"),
                "category": [coded("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item")],
                "code": sct(e.concept),
                "onsetDateTime": date(e.onset),
            }));
        }
    }

    for (k, m) in
        rec.discharge_medications
            .iter()
            .enumerate()
            .take(if out.wants("MedicationRequest") {
                usize::MAX
            } else {
                0
            })
    {
        let e = &rec.encounters[m.encounter];
        let mut r = json!({
            "status": if m.change == MedicationChange::Stopped { "stopped" } else { "active" },
            "intent": "order",
            "category": [coded("http://terminology.hl7.org/CodeSystem/medicationrequest-category", "discharge", "Discharge")],
            "medicationCodeableConcept": sct(m.concept),
            "encounter": enc(m.encounter),
            "authoredOn": date_time(e.end, 11 * 60),
            "requester": me,
            "dosageInstruction": [{"text": m.dosage}],
        });
        let note = match &m.change {
            MedicationChange::Unchanged => None,
            MedicationChange::Started => Some("Started during admission".to_string()),
            MedicationChange::Stopped => Some("Stopped during admission".to_string()),
            MedicationChange::Changed { from } => Some(format!("Changed from {}", from.display)),
        };
        if let Some(n) = note {
            r["note"] = json!([{"text": n}]);
        }
        out.add("MedicationRequest", format!("dmed-{k}"), e.end, || r);
    }
    for (k, e) in rec
        .encounters
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == EncounterKind::Inpatient)
    {
        for (j, m) in p
            .medicines
            .iter()
            .enumerate()
            .filter(|(_, m)| m.start <= e.start && m.end.is_none_or(|x| x >= e.start))
        {
            out.add(
                "MedicationStatement",
                format!("adm-{k}-{j}"),
                e.start,
                || {
                    json!({
                        "status": "active",
                        "medicationCodeableConcept": sct(m.concept),
                        "context": enc(k),
                        "effectiveDateTime": date(e.start),
                        "dateAsserted": date_time(e.start, 14 * 60),
                        "informationSource": {"display": "GP record"},
                        "dosage": [{"text": m.dosage}],
                    })
                },
            );
        }
    }
    for (k, a) in gp
        .allergies
        .iter()
        .enumerate()
        .filter(|(_, a)| a.ended.is_none())
    {
        let first = rec
            .encounters
            .first()
            .map_or(a.onset, |e| e.start.max(a.onset));
        out.add("AllergyIntolerance", format!("allergy-{k}"), first, || json!({
            "clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active"),
            "verificationStatus": coded("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", "Confirmed"),
            "category": [a.def.category],
            "code": sct(a.def.concept),
            "recordedDate": date_time(first, 12 * 60),
            "reaction": [{"substance": sct(a.def.substance), "manifestation": [sct(a.def.reaction)]}],
        }));
    }

    for (k, (report, e)) in rec.lab_reports.iter().enumerate() {
        let mut results = Vec::new();
        for (j, (t, v)) in report.values.iter().enumerate() {
            if !out.wants("Observation") {
                results.push(json!({"reference": format!("Observation/{id}-obs-{k}-{j}")}));
                continue;
            }
            // The hot path of Observation searches: Values are moved in rather than
            // interpolated into `json!`, which would copy each through `to_value`.
            let mut r = json!({
                "status": "final",
                "code": {"coding": [
                    {"system": LOINC, "code": t.loinc.code, "display": t.loinc.display},
                    {"system": SNOMED, "code": t.snomed.code, "display": t.snomed.display}]},
                "effectiveDateTime": date_time(report.day, 10 * 60),
                "issued": date_time(report.day, 13 * 60),
            });
            r["category"] = Value::Array(vec![coded(
                "http://terminology.hl7.org/CodeSystem/observation-category",
                "laboratory",
                "Laboratory",
            )]);
            r["encounter"] = enc(*e);
            r["performer"] = Value::Array(vec![me.clone()]);
            r["valueQuantity"] = quantity(t, *v);
            if let Some((lo, hi)) = t.range {
                let mut range = serde_json::Map::new();
                range.insert("low".into(), quantity(t, lo));
                range.insert("high".into(), quantity(t, hi));
                r["referenceRange"] = Value::Array(vec![Value::Object(range)]);
            }
            if let Some(flag) = interpretation(t, *v) {
                r["interpretation"] = Value::Array(vec![coded(
                    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                    flag,
                    match flag {
                        "H" => "High",
                        "L" => "Low",
                        _ => "Normal",
                    },
                )]);
            }
            results.push(
                json!({"reference": out.add("Observation", format!("obs-{k}-{j}"), report.day, || r)}),
            );
        }
        out.add("DiagnosticReport", format!("lab-{k}"), report.day, || json!({
            "status": "final",
            "category": [coded("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory")],
            "code": concept(LOINC, report.panel.loinc),
            "encounter": enc(*e),
            "effectiveDateTime": date_time(report.day, 10 * 60),
            "issued": date_time(report.day, 13 * 60),
            "performer": [me.clone()],
            "result": results,
        }));
    }
    if rec.entered_in_error {
        let d = rec.encounters.last().map_or(p.last_day(), |e| e.start);
        out.add("Observation", "obs-eie".into(), d, || json!({
            "status": "entered-in-error",
            "category": [coded("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")],
            "code": concept(LOINC, codes::POTASSIUM.loinc),
            "effectiveDateTime": date_time(d, 10 * 60),
            "valueQuantity": quantity(&codes::POTASSIUM, 7.9),
            "note": [{"text": "Haemolysed sample reported against the wrong patient; entered in error."}],
        }));
    }
    for (k, i) in rec.imaging.iter().enumerate() {
        out.add("DiagnosticReport", format!("rad-{k}"), i.day, || json!({
            "status": "final",
            "category": [coded("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD", "Radiology")],
            "code": sct(i.exam),
            "encounter": enc(i.encounter),
            "effectiveDateTime": date_time(i.day, 15 * 60),
            "issued": date_time(i.day + 1, 9 * 60),
            "performer": [me.clone()],
            "conclusion": i.conclusion,
        }));
    }
    for (k, d) in rec.documents.iter().enumerate() {
        let data = base64::engine::general_purpose::STANDARD.encode(&d.text);
        out.add("DocumentReference", format!("doc-{k}"), d.day, || json!({
            "status": "current",
            "type": sct(d.kind),
            "date": date_time(d.day, 16 * 60),
            "author": [me.clone()],
            "custodian": me,
            "description": d.title,
            "content": [{"attachment": {"contentType": "text/plain;charset=utf-8", "language": "en-GB", "data": data, "title": d.title, "creation": date_time(d.day, 16 * 60)}}],
            "context": {"encounter": [enc(d.encounter)], "period": {"start": date(rec.encounters[d.encounter].start), "end": date(rec.encounters[d.encounter].end)}},
        }));
        if d.kind == codes::documents::DISCHARGE_SUMMARY {
            let div = format!(
                "<div xmlns=\"http://www.w3.org/1999/xhtml\">{}</div>",
                d.text
                    .lines()
                    .map(|l| format!("<p>{}</p>", escape(l)))
                    .collect::<String>()
            );
            out.add("Composition", format!("comp-{k}"), d.day, || json!({
                "status": "final",
                "type": sct(d.kind),
                "encounter": enc(d.encounter),
                "date": date_time(d.day, 16 * 60),
                "author": [me.clone()],
                "title": d.title,
                "custodian": me,
                "section": [{"title": "Discharge details", "text": {"status": "generated", "div": div}}],
            }));
        }
    }
    if provider.kind == ProviderKind::Community {
        for (k, (v, d)) in gp
            .immunisations
            .iter()
            .enumerate()
            .filter(|(_, (v, _))| v.vaccine == codes::FLU.vaccine)
            .take(1)
        {
            out.add("Immunization", format!("imm-{k}"), *d, || {
                json!({
                    "status": "completed",
                    "vaccineCode": sct(v.vaccine),
                    "occurrenceDateTime": date_time(*d, 11 * 60),
                    "primarySource": true,
                    "performer": [{"actor": me}],
                })
            });
        }
    }
    for (k, c) in rec.care_plans.iter().enumerate() {
        out.add("CarePlan", format!("plan-{k}"), c.start, || {
            json!({
                "status": c.status,
                "intent": "plan",
                "category": [sct(codes::documents::CARE_PLAN)],
                "title": c.title,
                "description": c.description,
                "period": {"start": date(c.start)},
                "author": me,
            })
        });
    }
    out.list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::Population;

    #[test]
    fn every_reference_to_an_encounter_points_at_one_of_the_patients_encounters() {
        let pop = Population::new(10_000);
        let p = pop.patient(0).unwrap();
        let rec = HospitalRecord::generate(1, &p, p.providers[0]).unwrap();
        let found = all(&p, "abc", &rec, &GpRecord::generate(1, &p));
        let encounters: Vec<String> = found
            .iter()
            .filter(|f| f.resource_type == "Encounter")
            .map(|f| format!("Encounter/{}", f.resource["id"].as_str().unwrap()))
            .collect();
        for f in &found {
            if let Some(r) = f.resource["encounter"]["reference"].as_str() {
                assert!(encounters.iter().any(|e| e == r), "{r}");
            }
            assert_eq!(
                f.resource["subject"]["reference"]
                    .as_str()
                    .or(f.resource["patient"]["reference"].as_str()),
                Some("Patient/abc")
            );
        }
    }

    #[test]
    fn documents_carry_their_text_inline() {
        let pop = Population::new(10_000);
        let p = pop.patient(0).unwrap();
        let rec = HospitalRecord::generate(1, &p, p.providers[0]).unwrap();
        let found = all(&p, "abc", &rec, &GpRecord::generate(1, &p));
        let doc = found
            .iter()
            .find(|f| f.resource_type == "DocumentReference")
            .unwrap();
        let data = doc.resource["content"][0]["attachment"]["data"]
            .as_str()
            .unwrap();
        let text = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap(),
        )
        .unwrap();
        assert!(text.contains(p.given));
    }
}
