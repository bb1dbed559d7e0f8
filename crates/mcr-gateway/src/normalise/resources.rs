//! One mapping per FHIR resource type into a section entry, reading STU3 (GP Connect)
//! and R4 alike.

use std::collections::HashMap;

use mcr_model::{Entry, EntryFlag, Section, SectionKind, SourceRef};
use serde_json::Number;

use super::fhir::{
    codings, concept_text, date, entered_in_error, has_modifier_extension, status, text,
};
use super::html::sanitise;
use super::lenient::Leaf;
use super::types::{Attachment, Concept, Quantity, Reference, Resource};

/// Resources of one answer indexed by `Type/id`, to resolve references such as a
/// MedicationStatement's `medicationReference`.
pub struct Index<'r, 'a> {
    /// By `(type, id)`: the same matches as keying by the string `Type/id`, since a
    /// reference's two parts never hold a `/`.
    by_ref: HashMap<(&'r str, &'r str), &'r Resource<'a>>,
}

impl<'r, 'a> Index<'r, 'a> {
    /// Indexes `resources`.
    pub fn new(resources: impl IntoIterator<Item = &'r Resource<'a>>) -> Self {
        let resources = resources.into_iter();
        // Sized once: growing it resource by resource rehashed it again and again.
        let mut by_ref = HashMap::with_capacity(resources.size_hint().0);
        by_ref.extend(
            resources.filter_map(|r| Some(((r.resource_type.as_str()?, r.id.as_str()?), r))),
        );
        Self { by_ref }
    }

    /// The resource a Reference points to: in the answer, or contained in `within`.
    pub fn resolve(
        &self,
        reference: &Reference<'_>,
        within: &'r Resource<'a>,
    ) -> Option<&'r Resource<'a>> {
        let r = reference.reference.as_str()?.trim();
        if let Some(local) = r.strip_prefix('#') {
            return within.contained.iter().find(|c| c.id.is(local));
        }
        let mut parts = r.rsplit('/');
        let (id, ty) = (parts.next()?, parts.next()?);
        self.by_ref.get(&(ty, id)).copied()
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

fn set_date(entry: &mut Entry, v: &Leaf<'_>) {
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

fn quantity(q: &Quantity<'_>) -> Option<String> {
    let value = match &q.value {
        Leaf::Num(n) => Number::to_string(n),
        other => text(other)?,
    };
    let unit = text(&q.unit).or_else(|| text(&q.code));
    Some(match (text(&q.comparator), unit) {
        (Some(c), Some(u)) => format!("{c}{value} {u}"),
        (None, Some(u)) => format!("{value} {u}"),
        (Some(c), None) => format!("{c}{value}"),
        (None, None) => value,
    })
}

fn observation_value(r: &Resource<'_>) -> Option<String> {
    if let Some(q) = &r.value_quantity.0 {
        return quantity(q);
    }
    text(&r.value_string)
        .or_else(|| concept_text(&r.value_codeable_concept))
        .or_else(|| {
            r.value_boolean
                .as_bool()
                .map(|b| if b { "yes".into() } else { "no".into() })
        })
        .or_else(|| {
            let parts: Vec<String> = r
                .component
                .iter()
                .filter_map(|c| {
                    Some(format!(
                        "{} {}",
                        concept_text(&c.code)?,
                        quantity(&c.value_quantity)?
                    ))
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        })
}

fn reference_range(r: &Resource<'_>) -> Option<String> {
    let range = r.reference_range.iter().next()?;
    if let Some(t) = text(&range.text) {
        return Some(t);
    }
    let low = quantity(&range.low);
    let high = quantity(&range.high);
    match (low, high) {
        (Some(l), Some(h)) => Some(format!("{l} – {h}")),
        (Some(l), None) => Some(format!("≥ {l}")),
        (None, Some(h)) => Some(format!("≤ {h}")),
        (None, None) => None,
    }
}

fn narrative_of(r: &Resource<'_>) -> Option<String> {
    r.text.div.text().map(sanitise)
}

/// An inline HTML or plain-text attachment as sanitised HTML.
fn attachment_html(a: &Attachment<'_>) -> Option<String> {
    use base64::Engine;
    let kind = a.content_type.as_str().unwrap_or_default();
    let data = a.data.as_str()?;
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

fn is_radiology(r: &Resource<'_>) -> bool {
    // A single category is read both as the list's one item and as itself, as before:
    // the same concept twice.
    r.category.iter().any(|c| {
        c.coding.iter().any(|code| {
            matches!(
                code.code.as_str().map(str::trim),
                Some("RAD" | "imaging" | "394914008" | "18748-4")
            )
        }) || concept_text(c).is_some_and(|t| t.to_ascii_lowercase().contains("radiology"))
    })
}

/// The concept a field holds when it holds one rather than a list.
fn one_concept<'c, 'a>(list: &'c super::lenient::List<Concept<'a>>) -> Option<&'c Concept<'a>> {
    list.single()
}

/// Maps one resource.
pub fn map<'r, 'a>(
    r: &'r Resource<'a>,
    index: &Index<'r, 'a>,
    source: &SourceRef,
    options: Options,
) -> Mapped {
    let resource_type = r.resource_type.as_str().unwrap_or_default();
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
    let id = text(&r.id).unwrap_or_default();
    let mut e = Entry::new(id, source.clone(), String::new());
    if has_modifier_extension(r) {
        e.flags.push(EntryFlag::UnknownModifier);
    }
    let title_from = |cc: Option<&Concept<'_>>, e: &mut Entry| {
        let cc = cc?;
        e.codes = codings(cc);
        concept_text(cc)
    };
    let title = match resource_type {
        "Condition" => {
            e.status = status(&r.clinical_status);
            set_date(&mut e, &r.onset_date_time);
            set_date(&mut e, &r.asserted_date);
            set_date(&mut e, &r.recorded_date);
            if let Ok(Some(end)) = date(&r.abatement_date_time) {
                e.end_date = Some(end);
            }
            title_from(Some(&r.code), &mut e)
        }
        "MedicationStatement" | "MedicationRequest" => {
            let concept = index
                .resolve(&r.medication_reference, r)
                .map(|m| &m.code)
                .unwrap_or(&r.medication_codeable_concept);
            e.status = status(&r.status);
            set_date(&mut e, &r.effective_period.start);
            set_date(&mut e, &r.effective_date_time);
            set_date(&mut e, &r.authored_on);
            set_date(&mut e, &r.date_asserted);
            if let Ok(Some(end)) = date(&r.effective_period.end) {
                e.end_date = Some(end);
            }
            e.detail = r
                .dosage
                .iter()
                .chain(r.dosage_instruction.iter())
                .find_map(|d| text(&d.text));
            e.category = r
                .category
                .iter()
                .chain(std::iter::once(&*r.course_of_therapy_type))
                .find_map(|c| concept_text(c).or_else(|| status(c)));
            title_from(Some(concept), &mut e)
        }
        "AllergyIntolerance" => {
            e.status = status(&r.clinical_status);
            set_date(&mut e, &r.onset_date_time);
            set_date(&mut e, &r.asserted_date);
            set_date(&mut e, &r.recorded_date);
            let reactions: Vec<String> = r
                .reaction
                .iter()
                .flat_map(|x| x.manifestation.iter().filter_map(concept_text))
                .collect();
            e.detail = (!reactions.is_empty()).then(|| reactions.join(", "));
            title_from(Some(&r.code), &mut e)
        }
        "Observation" => {
            e.status = status(&r.status);
            set_date(&mut e, &r.effective_date_time);
            set_date(&mut e, &r.effective_period.start);
            set_date(&mut e, &r.issued);
            e.value = observation_value(r);
            e.reference_range = reference_range(r);
            e.detail = r
                .interpretation
                .iter()
                .find_map(concept_text)
                .or_else(|| text(&r.comment));
            title_from(Some(&r.code), &mut e)
        }
        "DiagnosticReport" => {
            e.status = status(&r.status);
            set_date(&mut e, &r.effective_date_time);
            set_date(&mut e, &r.issued);
            e.detail = text(&r.conclusion);
            e.narrative = r
                .presented_form
                .iter()
                .find_map(attachment_html)
                .or_else(|| narrative_of(r));
            title_from(Some(&r.code), &mut e)
        }
        "Encounter" => {
            e.status = status(&r.status);
            set_date(&mut e, &r.period.start);
            if let Ok(Some(end)) = date(&r.period.end) {
                e.end_date = Some(end);
            }
            e.category = text(&r.class.display).or_else(|| text(&r.class.code));
            e.detail = r.reason_code.iter().find_map(concept_text);
            title_from(r.type_.iter().next(), &mut e).or_else(|| e.category.clone())
        }
        "DocumentReference" => {
            e.status = status(&r.status);
            set_date(&mut e, &r.date);
            set_date(&mut e, &r.created);
            set_date(&mut e, &r.indexed);
            e.detail = text(&r.description);
            e.narrative = r
                .content
                .iter()
                .find_map(|c| attachment_html(&c.attachment));
            title_from(one_concept(&r.type_), &mut e).or_else(|| text(&r.description))
        }
        "Composition" => {
            e.status = status(&r.status);
            set_date(&mut e, &r.date);
            let sections: Vec<String> = r
                .section
                .iter()
                .filter_map(|s| {
                    Some(format!(
                        "<h4>{}</h4>{}",
                        ammonia::clean_text(s.title.text().unwrap_or_default()),
                        s.text.div.text()?
                    ))
                })
                .collect();
            e.narrative = (!sections.is_empty())
                .then(|| sanitise(&sections.join("")))
                .or_else(|| narrative_of(r));
            text(&r.title).or_else(|| title_from(one_concept(&r.type_), &mut e))
        }
        "Immunization" => {
            e.status = status(&r.status);
            set_date(&mut e, &r.occurrence_date_time);
            set_date(&mut e, &r.date);
            title_from(Some(&r.vaccine_code), &mut e)
        }
        "ReferralRequest" | "ServiceRequest" => {
            e.status = status(&r.status);
            set_date(&mut e, &r.authored_on);
            set_date(&mut e, &r.occurrence_date_time);
            e.detail = r.reason_code.iter().find_map(concept_text);
            title_from(Some(&r.code), &mut e)
                .or_else(|| r.specialty.iter().next().and_then(concept_text))
                .or_else(|| r.service_requested.iter().find_map(concept_text))
        }
        "CarePlan" => {
            e.status = status(&r.status);
            set_date(&mut e, &r.period.start);
            set_date(&mut e, &r.created);
            e.detail = text(&r.description);
            e.narrative = narrative_of(r);
            text(&r.title).or_else(|| r.category.iter().find_map(concept_text))
        }
        _ => None,
    };
    e.title = title.unwrap_or_else(|| format!("{resource_type} without a name"));
    Mapped::Entry(kind, Box::new(e))
}

/// Maps every resource into sections (in display order), counting entered-in-error ones.
pub fn sections<'r, 'a>(
    resources: impl IntoIterator<Item = &'r Resource<'a>>,
    index: &Index<'r, 'a>,
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
