//! The structured record Bundle, shaped like the EMIS and TPP responses in the GP
//! Connect fixtures: a `collection` Bundle holding the Patient, the practice, its GP,
//! and one List per clinical area asked for (with warning codes `confidential-items`,
//! `data-in-transit` and `data-awaiting-filing` where they apply, and an empty reason
//! when there is nothing), followed by the resources the Lists point at.

use serde_json::{Value, json};

use super::request::Includes;
use crate::codes::{self, Concept, PrescriptionKind, SNOMED, lists};
use crate::dates::{Day, date, date_time};
use crate::gp_record::{GpRecord, interpretation};
use crate::names::GP_NAMES;
use crate::population::Patient;

const PROFILE_BASE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/";
const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const WARNING_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1";

fn meta(profile: &str) -> Value {
    json!({"profile": [format!("{PROFILE_BASE}{profile}")]})
}

/// A SNOMED CT CodeableConcept.
pub fn snomed(c: Concept) -> Value {
    json!({"coding": [{"system": SNOMED, "code": c.code, "display": c.display}]})
}

fn patient_ref() -> Value {
    json!({"reference": "Patient/1"})
}

/// Accumulates entries and the Lists that index them.
struct Builder {
    entries: Vec<Value>,
    patient: Patient,
}

impl Builder {
    fn push(&mut self, resource: Value) {
        // Not `json!`: it would copy the whole resource through `to_value`.
        let mut entry = serde_json::Map::new();
        entry.insert("resource".into(), resource);
        self.entries.push(Value::Object(entry));
    }

    /// A List for a clinical area; `warnings` are GP Connect list warning codes.
    fn list(&mut self, code: Concept, refs: Vec<String>, warnings: &[&str], empty_reason: &str) {
        let mut list = json!({
            "resourceType": "List",
            "meta": meta("CareConnect-GPC-List-1"),
            "status": "current",
            "mode": "snapshot",
            "title": code.display,
            "code": snomed(code),
            "subject": {"reference": "Patient/1", "identifier": {"system": NHS_NUMBER_SYSTEM, "value": self.patient.nhs_number.as_digits()}},
            "date": date_time(crate::dates::AS_OF, 9 * 60),
            "orderedBy": {"coding": [{"system": "http://hl7.org/fhir/list-order", "code": "event-date", "display": "Sorted by Event Date"}]},
        });
        let mut extensions = vec![json!({
            "url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ClinicalSetting-1",
            "valueCodeableConcept": snomed(Concept { code: "1060971000000108", display: "General practice service" }),
        })];
        let mut notes = Vec::new();
        for w in warnings {
            extensions.push(json!({"url": WARNING_URL, "valueCode": w}));
            notes.push(json!({"text": match *w {
                "confidential-items" => "Items excluded due to confidentiality and/or patient preferences.".to_string(),
                "data-in-transit" => format!(
                    "Patient record transfer from previous GP practice not yet complete; information recorded before {} may be missing.",
                    date(self.patient.registered_since)
                ),
                _ => "Information not available due to data awaiting filing; this may be incomplete.".to_string(),
            }}));
        }
        list["extension"] = Value::Array(extensions);
        if refs.is_empty() {
            list["emptyReason"] = json!({"coding": [{"system": "http://hl7.org/fhir/list-empty-reason", "code": empty_reason,
                "display": if empty_reason == "nilknown" { "Nil Known" } else { "No Content Recorded" }}]});
            notes.push(json!({"text": "Information not available"}));
        } else {
            list["entry"] = refs
                .into_iter()
                .map(|r| json!({"item": {"reference": r}}))
                .collect();
        }
        if !notes.is_empty() {
            list["note"] = Value::Array(notes);
        }
        self.push(list);
    }

    fn warnings(&self, withheld_here: bool, filing_here: bool) -> Vec<&'static str> {
        let p = &self.patient;
        let mut w = Vec::new();
        if withheld_here && p.gp_withholds_items {
            w.push("confidential-items");
        }
        if p.data_in_transit {
            w.push("data-in-transit");
        }
        if filing_here && p.awaiting_filing {
            w.push("data-awaiting-filing");
        }
        w
    }
}

/// The structured record bundle for `p`, with the clinical areas `inc` asks for.
pub fn structured_record(p: &Patient, rec: &GpRecord, inc: &Includes) -> Value {
    let mut b = Builder {
        entries: Vec::new(),
        patient: p.clone(),
    };
    let (gp_family, gp_given) = GP_NAMES[p.practice % GP_NAMES.len()];
    let mut patient = json!({
        "resourceType": "Patient",
        "id": "1",
        "meta": meta("CareConnect-GPC-Patient-1"),
        "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1",
            "extension": [{"url": "registrationPeriod", "valuePeriod": {"start": date_time(p.registered_since, 0)}}]}],
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": p.nhs_number.as_digits()}],
        "active": true,
        "name": [{"use": "official", "text": format!("{} {}", p.given, p.family), "family": p.family,
            "given": std::iter::once(p.given).chain(p.middle).collect::<Vec<_>>(), "prefix": [if p.gender == "female" { "Ms" } else { "Mr" }]}],
        "gender": p.gender,
        "birthDate": p.birth_date,
        "address": [{"use": "home", "type": "physical", "line": p.address_lines, "city": p.town, "district": p.district, "postalCode": p.postcode}],
        "generalPractitioner": [{"reference": "Practitioner/1"}],
        "managingOrganization": {"reference": "Organization/1"},
    });
    if let Some(d) = p.deceased {
        patient["deceasedDateTime"] = json!(date_time(d, 0));
    }
    b.push(patient);
    b.push(json!({
        "resourceType": "Organization",
        "id": "1",
        "meta": meta("CareConnect-GPC-Organization-1"),
        "identifier": [{"system": ODS_SYSTEM, "value": p.practice_ods}],
        "name": p.practice_name,
        "address": [{"use": "work", "city": p.town, "district": p.district}],
    }));
    b.push(json!({
        "resourceType": "Practitioner",
        "id": "1",
        "meta": meta("CareConnect-GPC-Practitioner-1"),
        "identifier": [{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": format!("G{:07}", 1_000_000 + p.practice)}],
        "name": [{"use": "usual", "family": gp_family, "given": [gp_given], "prefix": ["Dr"]}],
    }));
    b.push(json!({
        "resourceType": "PractitionerRole",
        "id": "1",
        "meta": meta("CareConnect-GPC-PractitionerRole-1"),
        "practitioner": {"reference": "Practitioner/1"},
        "organization": {"reference": "Organization/1"},
        "code": [{"coding": [{"system": "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1", "code": "R0260", "display": "General Medical Practitioner"}]}],
    }));

    if let Some(resolved) = inc.allergies {
        allergies(&mut b, rec, resolved);
    }
    if let Some((issues, from)) = inc.medication {
        medications(&mut b, p, issues, from);
    }
    if inc.problems {
        problems(&mut b, p, rec);
    }
    if let Some((from, recent)) = inc.consultations {
        consultations(&mut b, rec, from, recent);
    }
    if inc.immunisations {
        immunisations(&mut b, rec);
    }
    if let Some(from) = inc.investigations {
        investigations(&mut b, rec, from);
    }
    if let Some(from) = inc.uncategorised {
        uncategorised(&mut b, rec, from);
    }
    if let Some(from) = inc.referrals {
        referrals(&mut b, rec, from);
    }
    let mut bundle = json!({
        "resourceType": "Bundle",
        "meta": meta("GPConnect-StructuredRecord-Bundle-1"),
        "type": "collection",
    });
    // Moved in, not through `json!` (which would copy every entry via `to_value`).
    bundle["entry"] = Value::Array(b.entries);
    bundle
}

fn allergies(b: &mut Builder, rec: &GpRecord, include_resolved: bool) {
    let mut current = Vec::new();
    let mut ended = Vec::new();
    let mut resources = Vec::new();
    for (k, a) in rec.allergies.iter().enumerate() {
        if a.ended.is_some() && !include_resolved {
            continue;
        }
        let id = format!("allergy-{k}");
        let mut r = json!({
            "resourceType": "AllergyIntolerance",
            "id": id,
            "meta": meta("CareConnect-GPC-AllergyIntolerance-1"),
            "clinicalStatus": if a.ended.is_some() { "resolved" } else { "active" },
            "verificationStatus": "confirmed",
            "category": [a.def.category],
            "code": snomed(a.def.concept),
            "patient": patient_ref(),
            "onsetDateTime": date_time(a.onset, 9 * 60),
            "assertedDate": date_time(a.onset, 9 * 60),
            "recorder": {"reference": "Practitioner/1"},
            "reaction": [{"substance": snomed(a.def.substance), "manifestation": [snomed(a.def.reaction)]}],
        });
        if let Some(e) = a.ended {
            r["extension"] = json!([{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-AllergyIntoleranceEnd-1",
                "extension": [{"url": "endDate", "valueDateTime": date_time(e, 9 * 60)}, {"url": "reasonEnded", "valueString": "No longer relevant"}]}]);
            ended.push(format!("AllergyIntolerance/{id}"));
        } else {
            current.push(format!("AllergyIntolerance/{id}"));
        }
        resources.push(r);
    }
    let w = b.warnings(false, false);
    let reason = if rec.no_known_drug_allergy {
        "nilknown"
    } else {
        "no-content-recorded"
    };
    b.list(lists::ALLERGIES, current, &w, reason);
    if include_resolved {
        b.list(lists::ENDED_ALLERGIES, ended, &w, "no-content-recorded");
    }
    for r in resources {
        b.push(r);
    }
}

fn medications(b: &mut Builder, p: &Patient, issues: bool, from: Option<Day>) {
    let mut refs = Vec::new();
    let mut resources = Vec::new();
    for (k, m) in p.medicines.iter().enumerate() {
        if from.is_some_and(|f| m.end.is_some_and(|e| e < f)) {
            continue;
        }
        let def = &codes::MEDICINES[m.medicine];
        let (ms, med, plan) = (format!("ms-{k}"), format!("med-{k}"), format!("mr-{k}"));
        refs.push(format!("MedicationStatement/{ms}"));
        let repeat = m.kind == PrescriptionKind::Repeat;
        let mut period = json!({"start": date(m.start)});
        if let Some(e) = m.end {
            period["end"] = json!(date(e));
        }
        let last_issue = m.end.unwrap_or(p.last_day() - 10).max(m.start);
        resources.push(json!({
            "resourceType": "Medication",
            "id": med,
            "meta": meta("CareConnect-GPC-Medication-1"),
            "code": snomed(m.concept),
        }));
        let mut request = json!({
            "resourceType": "MedicationRequest",
            "id": plan,
            "meta": meta("CareConnect-GPC-MedicationRequest-1"),
            "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1",
                "valueCodeableConcept": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1",
                    "code": if repeat { "repeat" } else { "acute" }, "display": if repeat { "Repeat" } else { "Acute" }}]}}],
            "identifier": [{"system": "https://fhir.nhs.uk/Id/cross-care-setting-identifier", "value": format!("{}-{k}", p.nhs_number.as_digits())}],
            "groupIdentifier": {"value": format!("M-{k}")},
            "status": if m.is_current() { "active" } else { "stopped" },
            "intent": "plan",
            "medicationReference": {"reference": format!("Medication/{med}")},
            "subject": patient_ref(),
            "authoredOn": date_time(m.start, 10 * 60),
            "recorder": {"reference": "Practitioner/1"},
            "dosageInstruction": [{"text": m.dosage}],
            "dispenseRequest": {"validityPeriod": period.clone(), "quantity": {"value": def.quantity.0, "unit": def.quantity.1}},
        });
        if !m.is_current() {
            request["extension"].as_array_mut().into_iter().for_each(|e| {
                e.push(json!({"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationStatusReason-1",
                    "extension": [{"url": "statusReason", "valueCodeableConcept": {"text": "No longer required"}}]}))
            });
        }
        resources.push(request);
        if issues {
            // One issue (an order) per period of supply, at most twelve shown.
            let step = if repeat { 56 } else { 10_000 };
            let mut d = last_issue;
            let mut n = 0;
            while d >= m.start && n < 12 {
                resources.push(json!({
                    "resourceType": "MedicationRequest",
                    "id": format!("mr-{k}-issue-{n}"),
                    "meta": meta("CareConnect-GPC-MedicationRequest-1"),
                    "basedOn": [{"reference": format!("MedicationRequest/{plan}")}],
                    "groupIdentifier": {"value": format!("M-{k}")},
                    "status": "completed",
                    "intent": "order",
                    "medicationReference": {"reference": format!("Medication/{med}")},
                    "subject": patient_ref(),
                    "authoredOn": date_time(d, 10 * 60),
                    "recorder": {"reference": "Practitioner/1"},
                    "dosageInstruction": [{"text": m.dosage}],
                    "dispenseRequest": {"validityPeriod": {"start": date(d)}, "quantity": {"value": def.quantity.0, "unit": def.quantity.1}},
                }));
                d -= step;
                n += 1;
            }
        }
        resources.push(json!({
            "resourceType": "MedicationStatement",
            "id": ms,
            "meta": meta("CareConnect-GPC-MedicationStatement-1"),
            "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationStatementLastIssueDate-1",
                "valueDateTime": date_time(last_issue, 10 * 60)}],
            "basedOn": [{"reference": format!("MedicationRequest/{plan}")}],
            "status": if m.is_current() { "active" } else { "completed" },
            "medicationReference": {"reference": format!("Medication/{med}")},
            "effectivePeriod": period,
            "dateAsserted": date_time(m.start, 10 * 60),
            "subject": patient_ref(),
            "taken": "unk",
            "dosage": [{"text": m.dosage}],
        }));
    }
    let w = b.warnings(true, false);
    b.list(lists::MEDICATIONS, refs, &w, "no-content-recorded");
    for r in resources {
        b.push(r);
    }
}

fn problems(b: &mut Builder, p: &Patient, rec: &GpRecord) {
    let mut refs = Vec::new();
    let mut resources = Vec::new();
    for (k, e) in p.problems.iter().enumerate() {
        let id = format!("problem-{k}");
        refs.push(format!("Condition/{id}"));
        let mut r = json!({
            "resourceType": "Condition",
            "id": id,
            "meta": meta("CareConnect-GPC-ProblemHeader-Condition-1"),
            "extension": [{"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ProblemSignificance-1",
                "valueCode": if e.resolved.is_some() { "minor" } else { "major" }}],
            "clinicalStatus": if e.resolved.is_some() { "inactive" } else { "active" },
            "verificationStatus": "confirmed",
            "category": [{"coding": [{"system": "http://hl7.org/fhir/condition-category", "code": "problem-list-item", "display": "Problem List Item"}]}],
            "code": snomed(e.concept),
            "subject": patient_ref(),
            "onsetDateTime": date_time(e.onset, 9 * 60),
            "assertedDate": date_time(e.onset, 9 * 60),
            "asserter": {"reference": "Practitioner/1"},
        });
        if let Some(d) = e.resolved {
            r["abatementDateTime"] = json!(date_time(d, 9 * 60));
        }
        resources.push(r);
    }
    if let Some((c, d)) = rec.entered_in_error {
        refs.push("Condition/problem-eie".into());
        resources.push(json!({
            "resourceType": "Condition",
            "id": "problem-eie",
            "meta": meta("CareConnect-GPC-ProblemHeader-Condition-1"),
            "verificationStatus": "entered-in-error",
            "category": [{"coding": [{"system": "http://hl7.org/fhir/condition-category", "code": "problem-list-item", "display": "Problem List Item"}]}],
            "code": snomed(c),
            "subject": patient_ref(),
            "assertedDate": date_time(d, 9 * 60),
            "note": [{"text": "Recorded against the wrong patient"}],
        }));
    }
    let w = b.warnings(true, false);
    b.list(lists::PROBLEMS, refs, &w, "no-content-recorded");
    for r in resources {
        b.push(r);
    }
}

fn consultations(b: &mut Builder, rec: &GpRecord, from: Option<Day>, recent: Option<usize>) {
    let mut chosen: Vec<(usize, &crate::gp_record::Consultation)> = rec
        .consultations
        .iter()
        .enumerate()
        .filter(|(_, c)| from.is_none_or(|f| c.day >= f))
        .collect();
    if let Some(n) = recent {
        let skip = chosen.len().saturating_sub(n);
        chosen.drain(..skip);
    }
    let mut refs = Vec::new();
    let mut resources = Vec::new();
    for (k, c) in chosen {
        let (enc, cons, topic, obs) = (
            format!("enc-{k}"),
            format!("cons-{k}"),
            format!("topic-{k}"),
            format!("note-{k}"),
        );
        refs.push(format!("Encounter/{enc}"));
        let when = date_time(c.day, c.minute);
        resources.push(json!({
            "resourceType": "Encounter",
            "id": enc,
            "meta": meta("CareConnect-GPC-Encounter-1"),
            "status": "finished",
            "type": [snomed(codes::encounters::GP_FACE_TO_FACE)],
            "subject": patient_ref(),
            "participant": [{"type": [{"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-ParticipantType-1", "code": "PPRF", "display": "primary performer"}]}],
                "individual": {"reference": "Practitioner/1"}}],
            "period": {"start": when, "end": date_time(c.day, c.minute + 10)},
            "serviceProvider": {"reference": "Organization/1"},
        }));
        let topic_list = json!({
            "resourceType": "List", "id": topic, "meta": meta("CareConnect-GPC-List-1"),
            "status": "current", "mode": "snapshot", "title": c.problem.map_or("Consultation topic", |p| p.display),
            "code": snomed(lists::TOPIC), "subject": patient_ref(), "encounter": {"reference": format!("Encounter/{enc}")},
            "date": when, "entry": [{"item": {"reference": format!("Observation/{obs}")}}],
        });
        resources.push(json!({
            "resourceType": "List", "id": cons, "meta": meta("CareConnect-GPC-List-1"),
            "status": "current", "mode": "snapshot", "title": "Surgery Consultation",
            "code": snomed(lists::CONSULTATION), "subject": patient_ref(), "encounter": {"reference": format!("Encounter/{enc}")},
            "date": when, "entry": [{"item": {"reference": format!("List/{topic}")}}],
        }));
        resources.push(topic_list);
        resources.push(json!({
            "resourceType": "Observation", "id": obs, "meta": meta("CareConnect-GPC-Observation-1"),
            "status": "final", "code": snomed(codes::encounters::COMMENT_NOTE), "subject": patient_ref(),
            "context": {"reference": format!("Encounter/{enc}")}, "effectiveDateTime": when, "issued": when,
            "performer": [{"reference": "Practitioner/1"}], "comment": c.note,
        }));
    }
    let w = b.warnings(false, false);
    b.list(lists::CONSULTATIONS, refs, &w, "no-content-recorded");
    for r in resources {
        b.push(r);
    }
}

fn immunisations(b: &mut Builder, rec: &GpRecord) {
    let mut refs = Vec::new();
    let mut resources = Vec::new();
    for (k, (v, d)) in rec.immunisations.iter().enumerate() {
        let id = format!("imm-{k}");
        refs.push(format!("Immunization/{id}"));
        resources.push(json!({
            "resourceType": "Immunization",
            "id": id,
            "meta": meta("CareConnect-GPC-Immunization-1"),
            "extension": [
                {"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-DateRecorded-1", "valueDateTime": date_time(*d, 10 * 60)},
                {"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-VaccinationProcedure-1", "valueCodeableConcept": snomed(v.procedure)},
            ],
            "status": "completed",
            "notGiven": false,
            "vaccineCode": snomed(v.vaccine),
            "patient": patient_ref(),
            "date": date_time(*d, 10 * 60),
            "primarySource": true,
            "practitioner": [{"actor": {"reference": "Practitioner/1"}}],
        }));
    }
    let w = b.warnings(false, false);
    b.list(lists::IMMUNISATIONS, refs, &w, "no-content-recorded");
    for r in resources {
        b.push(r);
    }
}

fn quantity(t: &codes::TestDef, v: f64) -> Value {
    json!({"value": v, "unit": t.unit, "system": codes::UCUM, "code": t.unit})
}

fn investigations(b: &mut Builder, rec: &GpRecord, from: Option<Day>) {
    let mut refs = Vec::new();
    let mut resources = Vec::new();
    for (k, r) in rec.lab_reports.iter().enumerate() {
        if from.is_some_and(|f| r.day < f) {
            continue;
        }
        let (report, specimen) = (format!("report-{k}"), format!("specimen-{k}"));
        refs.push(format!("DiagnosticReport/{report}"));
        let mut results = Vec::new();
        for (j, (t, v)) in r.values.iter().enumerate() {
            let id = format!("result-{k}-{j}");
            results.push(json!({"reference": format!("Observation/{id}")}));
            let mut obs = json!({
                "resourceType": "Observation", "id": id, "meta": meta("CareConnect-GPC-Observation-1"),
                "status": "final",
                "category": [{"coding": [{"system": "http://hl7.org/fhir/observation-category", "code": "laboratory", "display": "Laboratory"}]}],
                "code": snomed(t.snomed), "subject": patient_ref(),
                "effectiveDateTime": date_time(r.day, 9 * 60), "issued": date_time(r.day + 1, 14 * 60),
                "performer": [{"reference": "Organization/1"}],
                "valueQuantity": quantity(t, *v),
                "specimen": {"reference": format!("Specimen/{specimen}")},
            });
            if let Some((lo, hi)) = t.range {
                obs["referenceRange"] = json!([{"low": quantity(t, lo), "high": quantity(t, hi)}]);
            }
            if let Some(flag) = interpretation(t, *v) {
                obs["interpretation"] =
                    json!({"coding": [{"system": "http://hl7.org/fhir/v2/0078", "code": flag}]});
            }
            resources.push(obs);
        }
        resources.push(json!({
            "resourceType": "Specimen", "id": specimen, "meta": meta("CareConnect-GPC-Specimen-1"),
            "status": "available", "type": snomed(Concept { code: "122555007", display: "Venous blood specimen" }),
            "subject": patient_ref(), "receivedTime": date_time(r.day, 14 * 60),
            "collection": {"collectedDateTime": date_time(r.day, 9 * 60)},
        }));
        resources.push(json!({
            "resourceType": "DiagnosticReport", "id": report, "meta": meta("CareConnect-GPC-DiagnosticReport-1"),
            "status": "final",
            "category": {"coding": [{"system": "http://hl7.org/fhir/v2/0074", "code": "PAT", "display": "Pathology (gross & histopath, not surgical)"}]},
            "code": snomed(Concept { code: "721981007", display: "Diagnostic studies report" }),
            "subject": patient_ref(), "issued": date_time(r.day + 1, 14 * 60),
            "specimen": [{"reference": format!("Specimen/{specimen}")}],
            "result": results,
            "conclusion": r.panel.snomed.display,
        }));
    }
    let w = b.warnings(false, true);
    b.list(lists::INVESTIGATIONS, refs, &w, "no-content-recorded");
    for r in resources {
        b.push(r);
    }
}

fn uncategorised(b: &mut Builder, rec: &GpRecord, from: Option<Day>) {
    let mut refs = Vec::new();
    let mut resources = Vec::new();
    for (k, bp) in rec.blood_pressures.iter().enumerate() {
        if from.is_some_and(|f| bp.day < f) {
            continue;
        }
        let when = date_time(bp.day, bp.minute);
        let (panel, sys, dia) = (
            format!("bp-{k}"),
            format!("bp-{k}-sys"),
            format!("bp-{k}-dia"),
        );
        refs.push(format!("Observation/{panel}"));
        let reading = |id: &str, t: &codes::TestDef, v: u32| {
            json!({
                "resourceType": "Observation", "id": id, "meta": meta("CareConnect-GPC-Observation-1"),
                "status": "final", "code": snomed(t.snomed), "subject": patient_ref(),
                "effectiveDateTime": when, "issued": when, "performer": [{"reference": "Practitioner/1"}],
                "valueQuantity": quantity(t, f64::from(v)),
            })
        };
        resources.push(json!({
            "resourceType": "Observation", "id": panel, "meta": meta("CareConnect-GPC-Observation-1"),
            "status": "final",
            "code": snomed(if bp.home { Concept { code: "413153004", display: "Blood pressure recorded by patient at home" } } else { codes::BLOOD_PRESSURE }),
            "subject": patient_ref(), "effectiveDateTime": when, "issued": when,
            "performer": [{"reference": "Practitioner/1"}],
            "related": [{"type": "has-member", "target": {"reference": format!("Observation/{sys}")}},
                        {"type": "has-member", "target": {"reference": format!("Observation/{dia}")}}],
        }));
        resources.push(reading(&sys, &codes::SYSTOLIC, bp.systolic));
        resources.push(reading(&dia, &codes::DIASTOLIC, bp.diastolic));
    }
    let w = b.warnings(false, false);
    b.list(
        Concept {
            code: "826501000000100",
            display: "Miscellaneous record",
        },
        refs,
        &w,
        "no-content-recorded",
    );
    for r in resources {
        b.push(r);
    }
}

fn referrals(b: &mut Builder, rec: &GpRecord, from: Option<Day>) {
    let mut refs = Vec::new();
    let mut resources = Vec::new();
    for (k, r) in rec.referrals.iter().enumerate() {
        if from.is_some_and(|f| r.day < f) {
            continue;
        }
        let id = format!("referral-{k}");
        refs.push(format!("ReferralRequest/{id}"));
        resources.push(json!({
            "resourceType": "ReferralRequest", "id": id, "meta": meta("CareConnect-GPC-ReferralRequest-1"),
            "status": "active", "intent": "order", "priority": "routine",
            "subject": patient_ref(), "authoredOn": date_time(r.day, 11 * 60),
            "requester": {"agent": {"reference": "Practitioner/1"}},
            "specialty": {"text": r.specialty},
            "reasonCode": [snomed(r.reason)],
            "description": format!("Referral to {}", r.specialty.to_lowercase()),
        }));
    }
    let w = b.warnings(false, false);
    b.list(lists::REFERRALS, refs, &w, "no-content-recorded");
    for r in resources {
        b.push(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::{EdgeCase, Population};

    fn everything() -> Includes {
        Includes {
            allergies: Some(true),
            medication: Some((true, None)),
            consultations: Some((None, None)),
            problems: true,
            immunisations: true,
            uncategorised: Some(None),
            investigations: Some(None),
            referrals: Some(None),
        }
    }

    fn resources<'a>(bundle: &'a Value, t: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["resource"])
            .filter(move |r| r["resourceType"] == t)
    }

    #[test]
    fn every_list_reference_resolves_to_a_resource_in_the_bundle() {
        let pop = Population::new(10_000);
        let p = pop.patient(0).unwrap();
        let bundle = structured_record(&p, &GpRecord::generate(1, &p), &everything());
        let ids: std::collections::HashSet<String> = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| {
                Some(format!(
                    "{}/{}",
                    e["resource"]["resourceType"].as_str()?,
                    e["resource"]["id"].as_str()?
                ))
            })
            .collect();
        for list in resources(&bundle, "List") {
            for item in list["entry"].as_array().into_iter().flatten() {
                let r = item["item"]["reference"].as_str().unwrap();
                assert!(ids.contains(r), "{r}");
            }
        }
    }

    #[test]
    fn only_the_areas_asked_for_are_returned() {
        let pop = Population::new(10_000);
        let p = pop.patient(0).unwrap();
        let inc = Includes {
            problems: true,
            ..Includes::default()
        };
        let bundle = structured_record(&p, &GpRecord::generate(1, &p), &inc);
        let titles: Vec<&str> = resources(&bundle, "List")
            .map(|l| l["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["Problems"]);
        assert_eq!(resources(&bundle, "MedicationStatement").count(), 0);
    }

    #[test]
    fn a_record_with_withheld_items_carries_the_confidential_items_warning() {
        let pop = Population::new(100_000);
        let p = pop.example(EdgeCase::ConfidentialItems).unwrap();
        let bundle = structured_record(&p, &GpRecord::generate(1, &p), &everything());
        let meds = resources(&bundle, "List")
            .find(|l| l["title"] == "Medications and medical devices")
            .unwrap();
        assert!(
            meds["extension"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["valueCode"] == "confidential-items")
        );
    }

    #[test]
    fn a_record_in_transit_warns_on_every_list() {
        let pop = Population::new(100_000);
        let p = pop.example(EdgeCase::DataInTransit).unwrap();
        let bundle = structured_record(&p, &GpRecord::generate(1, &p), &everything());
        for list in resources(&bundle, "List").filter(|l| {
            l["code"]["coding"][0]["code"] != lists::TOPIC.code
                && l["code"]["coding"][0]["code"] != lists::CONSULTATION.code
        }) {
            assert!(
                list["extension"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["valueCode"] == "data-in-transit"),
                "{}",
                list["title"]
            );
        }
    }
}
