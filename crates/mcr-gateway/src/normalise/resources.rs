//! One mapping per FHIR resource type into a section entry, reading STU3 (GP Connect)
//! and R4 alike.

use std::collections::HashMap;

use mcr_model::{Entry, EntryFlag, Section, SectionKind, SourceRef};
use serde_json::Value;

use super::fhir::{
    as_list, codings, concept_text, date, entered_in_error, has_modifier_extension, status, text,
};
use super::html::sanitise;

/// Resources of one answer indexed by `Type/id`, to resolve references such as a
/// MedicationStatement's `medicationReference`.
pub struct Index<'a> {
    by_ref: HashMap<String, &'a Value>,
}

impl<'a> Index<'a> {
    /// Indexes `resources`.
    pub fn new(resources: impl IntoIterator<Item = &'a Value>) -> Self {
        let by_ref = resources
            .into_iter()
            .filter_map(|r| {
                Some((
                    format!("{}/{}", r["resourceType"].as_str()?, r["id"].as_str()?),
                    r,
                ))
            })
            .collect();
        Self { by_ref }
    }

    /// The resource a Reference points to: in the answer, or contained in `within`.
    pub fn resolve(&self, reference: &Value, within: &'a Value) -> Option<&'a Value> {
        let r = reference["reference"].as_str()?.trim();
        if let Some(local) = r.strip_prefix('#') {
            return as_list(&within["contained"]).find(|c| c["id"] == local);
        }
        let key = r.rsplit('/').take(2).collect::<Vec<_>>();
        match key.as_slice() {
            [id, ty] => self.by_ref.get(&format!("{ty}/{id}")).copied(),
            _ => None,
        }
    }
}

/// What became of one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapped {
    /// An entry for a section.
    Entry(SectionKind, Box<Entry>),
    /// Marked entered-in-error: dropped, counted.
    EnteredInError,
    /// Not a clinical entry (Patient, Organization, List, Medication …).
    NotAnEntry,
}

/// Per-protocol choices.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Show MedicationRequests as entries (R4) rather than as the authorisations behind
    /// MedicationStatements (GP Connect).
    pub medication_requests: bool,
}

fn set_date(entry: &mut Entry, v: &Value) {
    match date(v) {
        Ok(Some(d)) if entry.date.is_none() => entry.date = Some(d),
        Ok(_) => {}
        Err(_) => {
            if !entry.flags.contains(&EntryFlag::InvalidDate) {
                entry.flags.push(EntryFlag::InvalidDate);
            }
        }
    }
}

fn quantity(q: &Value) -> Option<String> {
    let value = match &q["value"] {
        Value::Number(n) => n.to_string(),
        other => text(other)?,
    };
    let unit = text(&q["unit"]).or_else(|| text(&q["code"]));
    Some(match (text(&q["comparator"]), unit) {
        (Some(c), Some(u)) => format!("{c}{value} {u}"),
        (None, Some(u)) => format!("{value} {u}"),
        (Some(c), None) => format!("{c}{value}"),
        (None, None) => value,
    })
}

fn observation_value(r: &Value) -> Option<String> {
    if r["valueQuantity"].is_object() {
        return quantity(&r["valueQuantity"]);
    }
    text(&r["valueString"])
        .or_else(|| concept_text(&r["valueCodeableConcept"]))
        .or_else(|| {
            r["valueBoolean"]
                .as_bool()
                .map(|b| if b { "yes".into() } else { "no".into() })
        })
        .or_else(|| {
            let parts: Vec<String> = as_list(&r["component"])
                .filter_map(|c| {
                    Some(format!(
                        "{} {}",
                        concept_text(&c["code"])?,
                        quantity(&c["valueQuantity"])?
                    ))
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        })
}

fn reference_range(r: &Value) -> Option<String> {
    let range = as_list(&r["referenceRange"]).next()?;
    if let Some(t) = text(&range["text"]) {
        return Some(t);
    }
    let low = quantity(&range["low"]);
    let high = quantity(&range["high"]);
    match (low, high) {
        (Some(l), Some(h)) => Some(format!("{l} – {h}")),
        (Some(l), None) => Some(format!("≥ {l}")),
        (None, Some(h)) => Some(format!("≤ {h}")),
        (None, None) => None,
    }
}

fn narrative_of(r: &Value) -> Option<String> {
    text(&r["text"]["div"]).map(|div| sanitise(&div))
}

/// An inline HTML or plain-text attachment as sanitised HTML.
fn attachment_html(a: &Value) -> Option<String> {
    use base64::Engine;
    let kind = a["contentType"].as_str().unwrap_or_default();
    let data = a["data"].as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()?;
    let body = String::from_utf8(bytes).ok()?;
    if kind.starts_with("text/html") {
        Some(sanitise(&body))
    } else if kind.starts_with("text/plain") {
        Some(format!("<pre>{}</pre>", ammonia::clean_text(&body)))
    } else {
        None
    }
}

fn is_radiology(r: &Value) -> bool {
    as_list(&r["category"])
        .chain(std::iter::once(&r["category"]))
        .any(|c| {
            as_list(&c["coding"]).any(|code| {
                matches!(
                    code["code"].as_str().map(str::trim),
                    Some("RAD" | "imaging" | "394914008" | "18748-4")
                )
            }) || concept_text(c).is_some_and(|t| t.to_ascii_lowercase().contains("radiology"))
        })
}

/// Maps one resource.
pub fn map(r: &Value, index: &Index<'_>, source: &SourceRef, options: Options) -> Mapped {
    let resource_type = r["resourceType"].as_str().unwrap_or_default();
    let kind = match resource_type {
        "Condition" => SectionKind::Problems,
        "MedicationStatement" => SectionKind::Medications,
        "MedicationRequest" if options.medication_requests => SectionKind::Medications,
        "AllergyIntolerance" => SectionKind::Allergies,
        "Observation" => SectionKind::Results,
        "DiagnosticReport" if is_radiology(r) => SectionKind::Radiology,
        "DiagnosticReport" => SectionKind::Results,
        "Encounter" => SectionKind::Encounters,
        "DocumentReference" | "Composition" => SectionKind::Documents,
        "Immunization" => SectionKind::Immunisations,
        "ReferralRequest" | "ServiceRequest" => SectionKind::Referrals,
        "CarePlan" => SectionKind::CarePlans,
        _ => return Mapped::NotAnEntry,
    };
    if entered_in_error(r) {
        return Mapped::EnteredInError;
    }
    let id = text(&r["id"]).unwrap_or_default();
    let mut e = Entry::new(id, source.clone(), String::new());
    if has_modifier_extension(r) {
        e.flags.push(EntryFlag::UnknownModifier);
    }
    let title_from = |cc: &Value, e: &mut Entry| {
        e.codes = codings(cc);
        concept_text(cc)
    };
    let title = match resource_type {
        "Condition" => {
            e.status = status(&r["clinicalStatus"]);
            set_date(&mut e, &r["onsetDateTime"]);
            set_date(&mut e, &r["assertedDate"]);
            set_date(&mut e, &r["recordedDate"]);
            if let Ok(Some(end)) = date(&r["abatementDateTime"]) {
                e.end_date = Some(end);
            }
            title_from(&r["code"], &mut e)
        }
        "MedicationStatement" | "MedicationRequest" => {
            let concept = index
                .resolve(&r["medicationReference"], r)
                .map(|m| &m["code"])
                .unwrap_or(&r["medicationCodeableConcept"]);
            e.status = status(&r["status"]);
            set_date(&mut e, &r["effectivePeriod"]["start"]);
            set_date(&mut e, &r["effectiveDateTime"]);
            set_date(&mut e, &r["authoredOn"]);
            set_date(&mut e, &r["dateAsserted"]);
            if let Ok(Some(end)) = date(&r["effectivePeriod"]["end"]) {
                e.end_date = Some(end);
            }
            e.detail = as_list(&r["dosage"])
                .chain(as_list(&r["dosageInstruction"]))
                .find_map(|d| text(&d["text"]));
            e.category = as_list(&r["category"])
                .chain(std::iter::once(&r["courseOfTherapyType"]))
                .find_map(|c| concept_text(c).or_else(|| status(c)));
            title_from(concept, &mut e)
        }
        "AllergyIntolerance" => {
            e.status = status(&r["clinicalStatus"]);
            set_date(&mut e, &r["onsetDateTime"]);
            set_date(&mut e, &r["assertedDate"]);
            set_date(&mut e, &r["recordedDate"]);
            let reactions: Vec<String> = as_list(&r["reaction"])
                .flat_map(|x| {
                    as_list(&x["manifestation"])
                        .filter_map(concept_text)
                        .collect::<Vec<_>>()
                })
                .collect();
            e.detail = (!reactions.is_empty()).then(|| reactions.join(", "));
            title_from(&r["code"], &mut e)
        }
        "Observation" => {
            e.status = status(&r["status"]);
            set_date(&mut e, &r["effectiveDateTime"]);
            set_date(&mut e, &r["effectivePeriod"]["start"]);
            set_date(&mut e, &r["issued"]);
            e.value = observation_value(r);
            e.reference_range = reference_range(r);
            e.detail = as_list(&r["interpretation"])
                .find_map(concept_text)
                .or_else(|| text(&r["comment"]));
            title_from(&r["code"], &mut e)
        }
        "DiagnosticReport" => {
            e.status = status(&r["status"]);
            set_date(&mut e, &r["effectiveDateTime"]);
            set_date(&mut e, &r["issued"]);
            e.detail = text(&r["conclusion"]);
            e.narrative = as_list(&r["presentedForm"])
                .find_map(attachment_html)
                .or_else(|| narrative_of(r));
            title_from(&r["code"], &mut e)
        }
        "Encounter" => {
            e.status = status(&r["status"]);
            set_date(&mut e, &r["period"]["start"]);
            if let Ok(Some(end)) = date(&r["period"]["end"]) {
                e.end_date = Some(end);
            }
            e.category = text(&r["class"]["display"]).or_else(|| text(&r["class"]["code"]));
            e.detail = as_list(&r["reasonCode"]).find_map(concept_text);
            let ty = as_list(&r["type"]).next().cloned().unwrap_or(Value::Null);
            title_from(&ty, &mut e).or_else(|| e.category.clone())
        }
        "DocumentReference" => {
            e.status = status(&r["status"]);
            set_date(&mut e, &r["date"]);
            set_date(&mut e, &r["created"]);
            set_date(&mut e, &r["indexed"]);
            e.detail = text(&r["description"]);
            e.narrative = as_list(&r["content"]).find_map(|c| attachment_html(&c["attachment"]));
            title_from(&r["type"], &mut e).or_else(|| text(&r["description"]))
        }
        "Composition" => {
            e.status = status(&r["status"]);
            set_date(&mut e, &r["date"]);
            let sections: Vec<String> = as_list(&r["section"])
                .filter_map(|s| {
                    Some(format!(
                        "<h4>{}</h4>{}",
                        ammonia::clean_text(&text(&s["title"]).unwrap_or_default()),
                        text(&s["text"]["div"])?
                    ))
                })
                .collect();
            e.narrative = (!sections.is_empty())
                .then(|| sanitise(&sections.join("")))
                .or_else(|| narrative_of(r));
            text(&r["title"]).or_else(|| title_from(&r["type"], &mut e))
        }
        "Immunization" => {
            e.status = status(&r["status"]);
            set_date(&mut e, &r["occurrenceDateTime"]);
            set_date(&mut e, &r["date"]);
            title_from(&r["vaccineCode"], &mut e)
        }
        "ReferralRequest" | "ServiceRequest" => {
            e.status = status(&r["status"]);
            set_date(&mut e, &r["authoredOn"]);
            set_date(&mut e, &r["occurrenceDateTime"]);
            e.detail = as_list(&r["reasonCode"]).find_map(concept_text);
            let specialty = as_list(&r["specialty"])
                .next()
                .cloned()
                .unwrap_or(Value::Null);
            title_from(&r["code"], &mut e)
                .or_else(|| concept_text(&specialty))
                .or_else(|| as_list(&r["serviceRequested"]).find_map(concept_text))
        }
        "CarePlan" => {
            e.status = status(&r["status"]);
            set_date(&mut e, &r["period"]["start"]);
            set_date(&mut e, &r["created"]);
            e.detail = text(&r["description"]);
            e.narrative = narrative_of(r);
            text(&r["title"]).or_else(|| as_list(&r["category"]).find_map(concept_text))
        }
        _ => None,
    };
    e.title = title.unwrap_or_else(|| format!("{resource_type} without a name"));
    Mapped::Entry(kind, Box::new(e))
}

/// Maps every resource into sections (in display order), counting entered-in-error ones.
pub fn sections<'a>(
    resources: impl IntoIterator<Item = &'a Value>,
    index: &Index<'_>,
    source: &SourceRef,
    options: Options,
) -> (Vec<Section>, u32) {
    let mut sections: Vec<Section> = Vec::new();
    let mut entered_in_error = 0;
    for r in resources {
        match map(r, index, source, options) {
            Mapped::Entry(kind, entry) => match sections.iter_mut().find(|s| s.kind == kind) {
                Some(s) => s.entries.push(*entry),
                None => sections.push(Section {
                    kind,
                    entries: vec![*entry],
                }),
            },
            Mapped::EnteredInError => entered_in_error += 1,
            Mapped::NotAnEntry => {}
        }
    }
    sections.sort_by_key(|s| s.kind);
    (sections, entered_in_error)
}
