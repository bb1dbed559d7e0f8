//! One view of a record: every located source asked at once, and the record's events
//! emitted in order — `patient`, `located`, one `source` per source as it finishes,
//! `complete`.
//!
//! Fetches start as soon as each source is known: the providers' (from their pointers)
//! while the demographics service is still being asked, the registered practice's when
//! it answers. Nothing is *sent* before the access row is committed (the caller commits
//! it before [`run`]), and each `source` event only after that source's outcome row is
//! committed; if an audit write fails, `aborted` is sent and nothing more, and the
//! remaining upstream calls are cancelled — as they are when the client goes away.

use std::collections::HashMap;
use std::sync::Arc;

use mcr_model::{Demographics, NhsNumber, RecordEvent, SourceRef, SourceState, SourceStatus};
use tokio::sync::mpsc;
use tokio::task::{Id, JoinSet};

use crate::audit::{Action, AuditEntry, AuditLog, Outcome};
use crate::auth::Claims;
use crate::policy::{DatasetRule, SensitiveCodes};
use crate::sources::{Source, SourceResult};

type Finished = (SourceResult, Option<Demographics>);

/// The upstream fetches of one view, started as sources become known.
#[derive(Default)]
pub struct Fetches {
    tasks: JoinSet<Finished>,
    pending: HashMap<Id, SourceRef>,
    asked: Vec<SourceRef>,
}

impl Fetches {
    /// Starts asking `source` (once per source); `first` puts it at the head of the
    /// `located` list (the registered practice).
    pub fn ask(&mut self, source: Arc<Source>, nhs: &NhsNumber, claims: &Claims, first: bool) {
        if self.asked.iter().any(|s| s.id == source.reference.id) {
            return;
        }
        let reference = source.reference.clone();
        let (nhs, claims) = (nhs.clone(), claims.clone());
        let handle = self
            .tasks
            .spawn(async move { source.fetch(&nhs, &claims).await });
        self.pending.insert(handle.id(), reference.clone());
        if first {
            self.asked.insert(0, reference);
        } else {
            self.asked.push(reference);
        }
    }

    /// The sources being asked, in `located` order.
    pub fn asked(&self) -> &[SourceRef] {
        &self.asked
    }
}

/// Everything a view needs.
pub struct View {
    /// Who is looking.
    pub claims: Claims,
    /// The patient.
    pub nhs: NhsNumber,
    /// The context the view is in.
    pub context_id: String,
    /// Demographics from the demographics service.
    pub patient: Option<Demographics>,
    /// The fetches in flight.
    pub fetches: Fetches,
    /// Where outcome rows go.
    pub audit: AuditLog,
    /// Codes whose entries are withheld.
    pub sensitive: Arc<SensitiveCodes>,
    /// The reader's dataset, when it is not the whole record.
    pub dataset: Option<&'static DatasetRule>,
}

fn outcome_of(state: SourceState) -> Outcome {
    match state {
        SourceState::Answered => Outcome::Allowed,
        SourceState::Refused => Outcome::Refused,
        _ => Outcome::Failed,
    }
}

/// Runs the view, sending events to `tx` until `complete` or `aborted`.
pub async fn run(view: View, tx: mpsc::Sender<(RecordEvent, Option<Demographics>)>) {
    let View {
        claims,
        nhs,
        context_id,
        patient,
        fetches,
        audit,
        sensitive,
        dataset,
    } = view;
    let Fetches {
        mut tasks,
        pending,
        asked,
    } = fetches;
    let opening = [
        RecordEvent::Patient { patient },
        RecordEvent::Located {
            sources: asked,
            dataset: dataset.map(DatasetRule::describe),
        },
    ];
    for event in opening {
        if tx.send((event, None)).await.is_err() {
            return;
        }
    }
    let digits = nhs.as_digits();
    loop {
        let next = tokio::select! {
            _ = tx.closed() => return,
            next = tasks.join_next_with_id() => next,
        };
        let (result, patient) = match next {
            None => break,
            Some(Ok((_, finished))) => finished,
            Some(Err(e)) => {
                let Some(reference) = pending.get(&e.id()).cloned() else {
                    continue;
                };
                tracing::error!(source = %reference.id, error = %e, "source task failed");
                let message = Some("the gateway could not ask this source".into());
                (
                    SourceResult {
                        status: SourceStatus::new(reference, SourceState::Failed, None, message),
                        sections: vec![],
                    },
                    None,
                )
            }
        };
        let (mut result, patient) = (result, patient);
        // Sensitive items never leave the gateway; the source's status counts them.
        result.status.withheld += sensitive.withhold(&mut result.sections);
        // Then the reader's dataset: what it leaves out is not part of this view.
        if let Some(dataset) = dataset {
            dataset.apply(&mut result.sections);
        }
        let entries: usize = result.sections.iter().map(|s| s.entries.len()).sum();
        let detail = format!(
            "{}: {:?}; {entries} entries sent; {} withheld",
            result.status.source.id, result.status.state, result.status.withheld
        );
        let row = AuditEntry {
            claims: &claims,
            nhs_number: Some(&digits),
            context_id: Some(&context_id),
            action: Action::SourceOutcome,
            outcome: outcome_of(result.status.state),
            detail: Some(&detail),
        };
        if audit.record(row).await.is_err() {
            let message = "the access could not be recorded, so no more of the record will be sent"
                .to_string();
            let _ = tx.send((RecordEvent::Aborted { message }, None)).await;
            return;
        }
        let event = RecordEvent::Source {
            status: result.status,
            sections: result.sections,
        };
        if tx.send((event, patient)).await.is_err() {
            return;
        }
    }
    let _ = tx.send((RecordEvent::Complete, None)).await;
}

/// Helps the JSON form find demographics when there is no demographics service.
pub fn prefer_patient(current: &mut Option<Demographics>, candidate: Option<Demographics>) {
    if current.is_none() {
        *current = candidate;
    }
}
