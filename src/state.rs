//! What the panel knows about the record so far, built up event by event as the
//! gateway streams it, so each source's data shows as soon as it arrives.

use std::sync::Arc;

use mcr_model::{Record, RecordEvent, SourceRef};

/// Where the view of the record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing received yet.
    Opening,
    /// Sources are answering.
    Receiving,
    /// Every located source has answered (or failed, or timed out).
    Complete,
    /// The gateway stopped the stream (e.g. it could not record the access).
    Aborted,
}

/// The record as received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelState {
    /// How far it has got.
    pub progress: Progress,
    /// The record so far. Shared with the view, which borrows it only while it reads
    /// it, so the next event's entries are added in place rather than to a copy.
    pub record: Arc<Record>,
    /// Why the stream was aborted, if it was.
    pub aborted: Option<String>,
}

impl Default for PanelState {
    fn default() -> Self {
        Self {
            progress: Progress::Opening,
            record: Arc::new(Record {
                patient: None,
                located: vec![],
                sources: vec![],
                sections: vec![],
                dataset: None,
            }),
            aborted: None,
        }
    }
}

impl PanelState {
    /// Takes in one event.
    pub fn apply(&mut self, event: RecordEvent) {
        match event {
            RecordEvent::Patient { patient } => {
                Arc::make_mut(&mut self.record).patient = patient;
                self.progress = Progress::Receiving;
            }
            RecordEvent::Located { sources, dataset } => {
                let record = Arc::make_mut(&mut self.record);
                record.located = sources;
                record.dataset = dataset;
            }
            RecordEvent::Source { status, sections } => {
                Arc::make_mut(&mut self.record).add_source(status, sections)
            }
            RecordEvent::Complete => self.progress = Progress::Complete,
            RecordEvent::Aborted { message } => {
                self.progress = Progress::Aborted;
                self.aborted = Some(message);
            }
        }
    }

    /// Forgets what one source said, before asking it again: its status and entries go,
    /// so it shows as being asked until the retry's answer arrives.
    pub fn forget_source(&mut self, id: &str) {
        let record = Arc::make_mut(&mut self.record);
        record.sources.retain(|s| s.source.id != id);
        for section in &mut record.sections {
            section.entries.retain(|e| e.source.id != id);
        }
    }

    /// Takes in one event of a single source's retry: only its `source` event is added
    /// (the record's patient, located list and progress stay as they are); an aborted
    /// retry is recorded like an aborted view.
    pub fn apply_retry(&mut self, id: &str, event: RecordEvent) {
        match event {
            RecordEvent::Source { status, sections } if status.source.id == id => {
                Arc::make_mut(&mut self.record).add_source(status, sections)
            }
            RecordEvent::Aborted { message } => {
                self.progress = Progress::Aborted;
                self.aborted = Some(message);
            }
            _ => {}
        }
    }

    /// Located sources that have not answered yet.
    pub fn waiting_for(&self) -> Vec<SourceRef> {
        waiting_for(&self.record)
    }
}

/// Located sources in `record` with no status yet.
pub fn waiting_for(record: &Record) -> Vec<SourceRef> {
    record
        .located
        .iter()
        .filter(|l| !record.sources.iter().any(|s| s.source.id == l.id))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use mcr_model::{SourceKind, SourceState, SourceStatus};

    use super::*;

    fn source(id: &str) -> SourceRef {
        SourceRef {
            id: id.into(),
            organisation: id.into(),
            ods_code: id.into(),
            kind: SourceKind::AcuteTrust,
        }
    }

    /// Guards the panel's render time: the view borrows the record rather than holding
    /// its own reference, so each answer is added to the one record, not to a copy.
    #[test]
    fn a_source_answer_is_added_in_place_not_to_a_copy() {
        let mut s = PanelState::default();
        s.apply(RecordEvent::Patient { patient: None });
        let record = Arc::as_ptr(&s.record);
        s.apply(RecordEvent::Source {
            status: SourceStatus::new(source("rr8"), SourceState::Answered, None, None),
            sections: vec![],
        });
        assert_eq!(Arc::as_ptr(&s.record), record);
        // Had the view kept a reference, the answer would go to a copy and the view's
        // record stay as it was.
        let shown = Arc::clone(&s.record);
        s.forget_source("rr8");
        assert_ne!(Arc::as_ptr(&s.record), Arc::as_ptr(&shown));
        assert_eq!(shown.sources.len(), 1);
        assert!(s.record.sources.is_empty());
    }

    #[test]
    fn sources_not_yet_answered_are_waited_for_until_complete() {
        let mut s = PanelState::default();
        s.apply(RecordEvent::Patient { patient: None });
        s.apply(RecordEvent::Located {
            sources: vec![source("gp"), source("rr8")],
            dataset: None,
        });
        assert_eq!(s.waiting_for().len(), 2);
        s.apply(RecordEvent::Source {
            status: SourceStatus::new(source("rr8"), SourceState::Answered, None, None),
            sections: vec![],
        });
        assert_eq!(s.waiting_for(), vec![source("gp")]);
        assert_eq!(s.progress, Progress::Receiving);
        s.apply(RecordEvent::Complete);
        assert_eq!(s.progress, Progress::Complete);
    }

    #[test]
    fn a_retried_source_is_waited_for_again_and_only_its_answer_is_taken() {
        let mut s = PanelState::default();
        s.apply(RecordEvent::Located {
            sources: vec![source("gp"), source("rr8")],
            dataset: None,
        });
        let entry = |src: &str| mcr_model::Entry::new("e1", source(src), "Asthma");
        for (id, state) in [("gp", SourceState::Answered), ("rr8", SourceState::Failed)] {
            s.apply(RecordEvent::Source {
                status: SourceStatus::new(source(id), state, None, None),
                sections: vec![mcr_model::Section {
                    kind: mcr_model::SectionKind::Problems,
                    entries: if id == "gp" {
                        vec![entry("gp")]
                    } else {
                        vec![]
                    },
                }],
            });
        }
        s.apply(RecordEvent::Complete);
        s.forget_source("rr8");
        assert_eq!(s.waiting_for(), vec![source("rr8")]);
        // The retry's own patient and located events change nothing; another source's
        // status would not be taken either.
        s.apply_retry("rr8", RecordEvent::Patient { patient: None });
        s.apply_retry(
            "rr8",
            RecordEvent::Located {
                sources: vec![source("rr8")],
                dataset: None,
            },
        );
        s.apply_retry(
            "rr8",
            RecordEvent::Source {
                status: SourceStatus::new(source("gp"), SourceState::Failed, None, None),
                sections: vec![],
            },
        );
        assert_eq!(s.record.located.len(), 2);
        s.apply_retry(
            "rr8",
            RecordEvent::Source {
                status: SourceStatus::new(source("rr8"), SourceState::Answered, None, None),
                sections: vec![mcr_model::Section {
                    kind: mcr_model::SectionKind::Problems,
                    entries: vec![entry("rr8")],
                }],
            },
        );
        s.apply_retry("rr8", RecordEvent::Complete);
        assert!(s.waiting_for().is_empty());
        assert_eq!(s.progress, Progress::Complete);
        let states: Vec<(&str, SourceState)> = s
            .record
            .sources
            .iter()
            .map(|x| (x.source.id.as_str(), x.state))
            .collect();
        assert_eq!(
            states,
            [
                ("gp", SourceState::Answered),
                ("rr8", SourceState::Answered)
            ]
        );
        assert_eq!(s.record.sections[0].entries.len(), 2);
    }

    #[test]
    fn an_aborted_stream_keeps_its_reason() {
        let mut s = PanelState::default();
        s.apply(RecordEvent::Aborted {
            message: "audit".into(),
        });
        assert_eq!(
            (s.progress, s.aborted.as_deref()),
            (Progress::Aborted, Some("audit"))
        );
    }
}
