//! The aggregated record: sources with their status, and sections of entries.
//!
//! Every entry names the source organisation it came from, so the panel can always show
//! provenance and never merge two organisations' entries silently.

use serde::{Deserialize, Serialize};

use crate::Demographics;

/// Which organisation an entry or status belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// The source's id in the gateway's registry.
    pub id: String,
    /// The organisation's name, shown beside each entry.
    pub organisation: String,
    /// The organisation's ODS code.
    pub ods_code: String,
}

/// What a source did with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// The source answered in full.
    Answered,
    /// The source did not answer before its deadline.
    TimedOut,
    /// The source answered with an error or could not be reached.
    Failed,
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
}

/// The kinds of section the record has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// Problems and diagnoses.
    Problems,
    /// Medications.
    Medications,
}

impl SectionKind {
    /// The heading shown for the section.
    pub fn title(self) -> &'static str {
        match self {
            SectionKind::Problems => "Problems and diagnoses",
            SectionKind::Medications => "Medications",
        }
    }
}

/// One clinical entry (a problem, a medication, …) from one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry's id at its source.
    pub id: String,
    /// The source organisation.
    pub source: SourceRef,
    /// The main text: the problem or the medicine's name.
    pub title: String,
    /// The code system and code, when coded (e.g. `http://snomed.info/sct|38341003`).
    pub code: Option<String>,
    /// The date the entry is about (onset, start, issue), ISO 8601.
    pub date: Option<String>,
    /// Status as the source gave it (`active`, `inactive`, `completed`, …).
    pub status: Option<String>,
    /// Further detail, such as a dosage instruction.
    pub detail: Option<String>,
}

/// A section and its entries from every source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Which section.
    pub kind: SectionKind,
    /// Entries, each carrying its source.
    pub entries: Vec<Entry>,
}

/// The record returned for a patient context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Demographics from the registered practice; `None` when it did not answer.
    pub patient: Option<Demographics>,
    /// Every source asked, with its status.
    pub sources: Vec<SourceStatus>,
    /// The sections.
    pub sections: Vec<Section>,
}

impl Record {
    /// The section of the given kind, if present.
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }
}
