//! The aggregated record: the sources located and what each did, and sections of
//! entries — each entry naming the organisation it came from — plus the events of the
//! streamed form.
//!
//! Every entry names its source, so the panel can always show provenance and never
//! merge two organisations' entries silently.

use serde::{Deserialize, Serialize};

use crate::Demographics;

/// What kind of organisation a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A GP practice (GP Connect).
    GpPractice,
    /// An acute hospital trust.
    AcuteTrust,
    /// A mental-health provider.
    MentalHealth,
    /// A community provider.
    Community,
    /// An ambulance service.
    Ambulance,
    /// A social-care provider.
    SocialCare,
}

/// Which organisation an entry or status belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// The source's id in the gateway's registry.
    pub id: String,
    /// The organisation's name, shown beside each entry.
    pub organisation: String,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// The kind of organisation.
    pub kind: SourceKind,
}

/// What a source did with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// The source answered.
    Answered,
    /// The source did not answer before its deadline.
    TimedOut,
    /// The source answered with an error, or its answer could not be read.
    Failed,
    /// The source refused (e.g. the patient dissented, no relationship).
    Refused,
    /// The answer was about someone else and was discarded entirely.
    IdentityMismatch,
    /// The source is known to be down; it was not asked (circuit open).
    Unavailable,
}

/// One source's status for this view of the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStatus {
    /// The source.
    pub source: SourceRef,
    /// What happened.
    pub state: SourceState,
    /// When the gateway received the answer (RFC 3339), if it did.
    pub as_of: Option<String>,
    /// A short human-readable explanation when the state is not `answered`.
    pub message: Option<String>,
    /// Warnings the source attached to its answer (e.g. GP Connect's
    /// `confidential-items`, `data-in-transit`, `data-awaiting-filing`).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Entries withheld (by the source or by policy), counted but not shown.
    #[serde(default)]
    pub withheld: u32,
    /// Entries marked entered-in-error, dropped and counted.
    #[serde(default)]
    pub entered_in_error: u32,
}

impl SourceStatus {
    /// A status with no warnings or counts.
    pub fn new(
        source: SourceRef,
        state: SourceState,
        as_of: Option<String>,
        message: Option<String>,
    ) -> Self {
        Self {
            source,
            state,
            as_of,
            message,
            warnings: vec![],
            withheld: 0,
            entered_in_error: 0,
        }
    }
}

/// The kinds of section the record has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// Problems and diagnoses.
    Problems,
    /// Medications.
    Medications,
    /// Allergies and adverse reactions.
    Allergies,
    /// Results (pathology, observations).
    Results,
    /// Radiology reports.
    Radiology,
    /// Encounters and admissions.
    Encounters,
    /// Documents (discharge summaries, letters).
    Documents,
    /// Immunisations.
    Immunisations,
    /// Referrals.
    Referrals,
    /// Care plans.
    CarePlans,
}

impl SectionKind {
    /// Every section, in display order.
    pub const ALL: [SectionKind; 10] = [
        SectionKind::Problems,
        SectionKind::Medications,
        SectionKind::Allergies,
        SectionKind::Results,
        SectionKind::Radiology,
        SectionKind::Encounters,
        SectionKind::Documents,
        SectionKind::Immunisations,
        SectionKind::Referrals,
        SectionKind::CarePlans,
    ];

    /// The heading shown for the section.
    pub fn title(self) -> &'static str {
        match self {
            SectionKind::Problems => "Problems and diagnoses",
            SectionKind::Medications => "Medications",
            SectionKind::Allergies => "Allergies and adverse reactions",
            SectionKind::Results => "Results",
            SectionKind::Radiology => "Radiology",
            SectionKind::Encounters => "Encounters and admissions",
            SectionKind::Documents => "Documents",
            SectionKind::Immunisations => "Immunisations",
            SectionKind::Referrals => "Referrals",
            SectionKind::CarePlans => "Care plans",
        }
    }

    /// The name used in CSS classes and URLs (`care-plans`).
    pub fn slug(self) -> &'static str {
        match self {
            SectionKind::Problems => "problems",
            SectionKind::Medications => "medications",
            SectionKind::Allergies => "allergies",
            SectionKind::Results => "results",
            SectionKind::Radiology => "radiology",
            SectionKind::Encounters => "encounters",
            SectionKind::Documents => "documents",
            SectionKind::Immunisations => "immunisations",
            SectionKind::Referrals => "referrals",
            SectionKind::CarePlans => "care-plans",
        }
    }
}

/// A code from a code system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coding {
    /// The code system URI (e.g. `http://snomed.info/sct`).
    pub system: Option<String>,
    /// The code.
    pub code: Option<String>,
    /// The display text the source gave.
    pub display: Option<String>,
}

/// Why an entry is shown with a warning rather than as a normal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryFlag {
    /// It carries a `modifierExtension` the gateway does not understand, which may
    /// change its meaning.
    UnknownModifier,
    /// A date could not be read.
    InvalidDate,
}

/// One clinical entry (a problem, a medication, …) from one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry's id at its source.
    pub id: String,
    /// The source organisation.
    pub source: SourceRef,
    /// The main text: the problem, the medicine's name, the test.
    pub title: String,
    /// Codes, as the source gave them.
    #[serde(default)]
    pub codes: Vec<Coding>,
    /// The date the entry is about (onset, start, issue, effective), ISO 8601.
    pub date: Option<String>,
    /// When it ended (a stopped medicine, a discharge), ISO 8601.
    #[serde(default)]
    pub end_date: Option<String>,
    /// Status as the source gave it (`active`, `inactive`, `completed`, …).
    pub status: Option<String>,
    /// A category such as `repeat`, `acute`, `discharge`, `inpatient`.
    #[serde(default)]
    pub category: Option<String>,
    /// Further detail, such as a dosage instruction or a reaction.
    pub detail: Option<String>,
    /// A result's value with its unit, e.g. `48 mmol/mol`.
    #[serde(default)]
    pub value: Option<String>,
    /// A result's reference range, e.g. `20-41 mmol/mol`.
    #[serde(default)]
    pub reference_range: Option<String>,
    /// Narrative HTML, already sanitised by the gateway against an allow-list.
    #[serde(default)]
    pub narrative: Option<String>,
    /// Warnings about this entry.
    #[serde(default)]
    pub flags: Vec<EntryFlag>,
}

impl Entry {
    /// An entry with only the required fields set.
    pub fn new(id: impl Into<String>, source: SourceRef, title: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            source,
            title: title.into(),
            codes: vec![],
            date: None,
            end_date: None,
            status: None,
            category: None,
            detail: None,
            value: None,
            reference_range: None,
            narrative: None,
            flags: vec![],
        }
    }
}

/// A section and its entries from every source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Which section.
    pub kind: SectionKind,
    /// Entries, each carrying its source.
    pub entries: Vec<Entry>,
}

/// The part of the record a reader's role sees, when it is not the whole record (for
/// example the social-care dataset). Sections outside it are not part of the view: the
/// panel must not say "none recorded" for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// Its name, e.g. `social-care dataset`.
    pub name: String,
    /// The sections it includes.
    pub sections: Vec<SectionKind>,
    /// What else it leaves out, in words.
    pub note: String,
}

/// The record returned for a patient context (the `application/json` form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Demographics; `None` when no source could say who the patient is.
    pub patient: Option<Demographics>,
    /// Every source the locator found and that was asked.
    #[serde(default)]
    pub located: Vec<SourceRef>,
    /// Every source asked, with its status.
    pub sources: Vec<SourceStatus>,
    /// The sections.
    pub sections: Vec<Section>,
    /// The reader's dataset when it is not the whole record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<Dataset>,
}

impl Record {
    /// The section of the given kind, if present.
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }

    /// Adds one source's answer: its status and its entries, section by section.
    pub fn add_source(&mut self, status: SourceStatus, sections: Vec<Section>) {
        self.sources.push(status);
        for incoming in sections {
            match self.sections.iter_mut().find(|s| s.kind == incoming.kind) {
                Some(existing) => existing.entries.extend(incoming.entries),
                None => self.sections.push(incoming),
            }
        }
        self.sections.sort_by_key(|s| s.kind);
    }
}

/// One line of the streamed record (`application/x-ndjson`), in order: `patient`,
/// `located`, one `source` per source as it finishes, then `complete` — or `aborted`,
/// after which nothing more is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RecordEvent {
    /// Who the patient is (from the demographics service).
    Patient {
        /// Demographics, if known.
        patient: Option<Demographics>,
    },
    /// The sources being asked.
    Located {
        /// Sources, in no particular order.
        sources: Vec<SourceRef>,
        /// The reader's dataset when it is not the whole record.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dataset: Option<Dataset>,
    },
    /// One source finished.
    Source {
        /// Its status.
        status: SourceStatus,
        /// Its entries.
        sections: Vec<Section>,
    },
    /// Every source has finished.
    Complete,
    /// The stream stopped early (e.g. the audit log could not be written); what was
    /// sent before stands, nothing more follows.
    Aborted {
        /// Why.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: &str) -> SourceRef {
        SourceRef {
            id: id.into(),
            organisation: id.into(),
            ods_code: "X".into(),
            kind: SourceKind::AcuteTrust,
        }
    }

    #[test]
    fn adding_sources_merges_sections_keeping_each_entrys_source() {
        let mut r = Record {
            patient: None,
            located: vec![],
            sources: vec![],
            sections: vec![],
            dataset: None,
        };
        let s = |kind, src: &str| Section {
            kind,
            entries: vec![Entry::new("1", source(src), "x")],
        };
        r.add_source(
            SourceStatus::new(source("a"), SourceState::Answered, None, None),
            vec![s(SectionKind::Medications, "a")],
        );
        r.add_source(
            SourceStatus::new(source("b"), SourceState::Answered, None, None),
            vec![
                s(SectionKind::Problems, "b"),
                s(SectionKind::Medications, "b"),
            ],
        );
        assert_eq!(
            r.sections.iter().map(|s| s.kind).collect::<Vec<_>>(),
            [SectionKind::Problems, SectionKind::Medications]
        );
        let meds = r.section(SectionKind::Medications).unwrap();
        assert_eq!(
            meds.entries
                .iter()
                .map(|e| e.source.id.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn stream_events_are_tagged_with_their_name() {
        let line = serde_json::to_string(&RecordEvent::Complete).unwrap();
        assert_eq!(line, r#"{"event":"complete"}"#);
        let aborted: RecordEvent =
            serde_json::from_str(r#"{"event":"aborted","message":"audit"}"#).unwrap();
        assert_eq!(
            aborted,
            RecordEvent::Aborted {
                message: "audit".into()
            }
        );
    }
}
