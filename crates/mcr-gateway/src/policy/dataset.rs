//! Datasets below the whole record: what a role sees when the policy gives it only part
//! of the record (the social-care dataset of the design, §5, is the default table's
//! one; datasets are configured with the role table in `table.rs`). A dataset names its
//! sections, keeps only current entries where it says so, drops clinical narrative
//! where it says so, and hides whole kinds of source — which are then neither asked
//! nor named in `located`.

use mcr_model::{Dataset, Section, SectionKind, SourceKind};

/// A dataset rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetRule {
    /// Its name as shown.
    pub name: String,
    /// The sections it includes (demographics and the registered GP always come with
    /// the patient banner).
    pub sections: Vec<SectionKind>,
    /// Sections in which only current entries are kept.
    pub current_only: Vec<SectionKind>,
    /// Sections whose entries are sent without narrative or free-text detail.
    pub without_narrative: Vec<SectionKind>,
    /// Kinds of source neither asked nor named.
    pub hidden_sources: Vec<SourceKind>,
    /// What else it leaves out, in words.
    pub note: String,
}

/// Statuses that mark an entry as no longer current.
const ENDED: &[&str] = &[
    "resolved",
    "inactive",
    "remission",
    "completed",
    "stopped",
    "cancelled",
    "entered-in-error",
    "ended",
];

impl DatasetRule {
    /// Whether a source of `kind` is asked and named.
    pub fn shows_source(&self, kind: SourceKind) -> bool {
        !self.hidden_sources.contains(&kind)
    }

    /// Cuts `sections` down to the dataset.
    pub fn apply(&self, sections: &mut Vec<Section>) {
        sections.retain(|s| self.sections.contains(&s.kind));
        for section in sections.iter_mut() {
            if self.current_only.contains(&section.kind) {
                section.entries.retain(|e| {
                    !e.status
                        .as_deref()
                        .is_some_and(|s| ENDED.contains(&s.to_ascii_lowercase().as_str()))
                });
            }
            if self.without_narrative.contains(&section.kind) {
                for e in &mut section.entries {
                    e.detail = None;
                    e.narrative = None;
                }
            }
        }
        sections.retain(|s| !s.entries.is_empty());
    }

    /// The dataset as the panel is told it.
    pub fn describe(&self) -> Dataset {
        Dataset {
            name: self.name.clone(),
            sections: self.sections.clone(),
            note: self.note.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use mcr_model::{Entry, SourceRef};

    use super::*;
    use crate::policy::Policy;

    fn entry(id: &str, status: Option<&str>) -> Entry {
        let source = SourceRef {
            id: "rr8".into(),
            organisation: "Trust".into(),
            ods_code: "RR8".into(),
            kind: SourceKind::AcuteTrust,
        };
        Entry {
            status: status.map(Into::into),
            detail: Some("narrative detail".into()),
            narrative: Some("<p>seen in clinic</p>".into()),
            ..Entry::new(id, source, "x")
        }
    }

    #[test]
    fn the_social_care_dataset_keeps_current_items_and_drops_narrative_and_other_sections() {
        let mut sections = vec![
            Section {
                kind: SectionKind::Problems,
                entries: vec![entry("p1", Some("active")), entry("p2", Some("Resolved"))],
            },
            Section {
                kind: SectionKind::Medications,
                entries: vec![entry("m1", None), entry("m2", Some("stopped"))],
            },
            Section {
                kind: SectionKind::Results,
                entries: vec![entry("r1", None)],
            },
            Section {
                kind: SectionKind::Encounters,
                entries: vec![entry("e1", Some("finished"))],
            },
        ];
        let social_care = Policy::default()
            .dataset_for(Some("social-worker"))
            .expect("the default table's social-care dataset");
        social_care.apply(&mut sections);
        let kinds: Vec<SectionKind> = sections.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SectionKind::Problems,
                SectionKind::Medications,
                SectionKind::Encounters
            ]
        );
        assert_eq!(sections[0].entries.len(), 1);
        assert_eq!(sections[0].entries[0].id, "p1");
        assert_eq!(sections[1].entries[0].id, "m1");
        let encounter = &sections[2].entries[0];
        assert!(encounter.detail.is_none() && encounter.narrative.is_none());
        // Problems keep their detail; only encounters lose narrative.
        assert!(sections[0].entries[0].detail.is_some());
        assert!(!social_care.shows_source(SourceKind::MentalHealth));
        assert!(social_care.shows_source(SourceKind::GpPractice));
    }
}
