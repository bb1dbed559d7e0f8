//! One view of a record: every located source asked at once, and the record's events
//! emitted in order — `patient`, `located`, one `source` per source as it finishes,
//! `complete`.
//!
//! No source is asked before a committed audit row says it will be: the caller commits
//! the access row, naming the providers found from their pointers, and asks them before
//! [`run`]; the demographics service is asked meanwhile, and when it names the
//! registered practice a `record.practice` row saying so is committed before the
//! practice is asked. So the providers' fetches overlap the demographics lookup, as a
//! bare client's would. `patient` and `located` go out once the practice is known; a
//! `source` event only after that source's outcome row is committed (a source that
//! answers before the practice is known has its row committed at once and its event
//! held until then). Rows are committed concurrently — a source finishing while
//! another's row commits does not wait for that commit to queue its own — but each
//! event waits for its own row. If an audit write fails, `aborted` is sent and nothing more, and
//! the remaining upstream calls are cancelled — as they are when the client goes away.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use mcr_model::{Demographics, NhsNumber, RecordEvent, SourceRef, SourceState, SourceStatus};
use tokio::sync::mpsc;
use tokio::task::{Id, JoinHandle, JoinSet};

use crate::audit::{Action, AuditEntry, AuditLog, Outcome};
use crate::auth::Claims;
use crate::error::AppError;
use crate::locator::Registration;
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

/// The demographics service's answer, being looked up in its own task (aborted if the
/// view ends first).
pub struct PendingRegistration(JoinHandle<Registration>);

impl PendingRegistration {
    /// Runs `lookup` in a task of its own, so it proceeds while the access row commits.
    pub fn spawn(lookup: impl Future<Output = Registration> + Send + 'static) -> Self {
        Self(tokio::spawn(lookup))
    }

    async fn answer(&mut self) -> Registration {
        match (&mut self.0).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "demographics lookup task failed");
                Registration {
                    patient: None,
                    practice: None,
                    notes: vec!["the demographics service could not be asked".into()],
                }
            }
        }
    }
}

impl Drop for PendingRegistration {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Who the patient is and which practice to ask: known before the access row (the only
/// practice configured), or still being asked of the demographics service.
pub enum Locating {
    /// Known; the practice (if any) is already being asked.
    Known(Option<Demographics>),
    /// The demographics service has not answered yet.
    Pending(PendingRegistration),
}

/// The detail of the `record.practice` row: whom the demographics service named and
/// whether the gateway asks them, anything else it said, and the snooping report's mark.
pub fn registration_detail(
    registration: &Registration,
    asking: Option<&str>,
    user_name: Option<&str>,
) -> String {
    let mut detail = format!("asking: {}", asking.unwrap_or("none"));
    for note in &registration.notes {
        detail.push_str(&format!("; {note}"));
    }
    if let (Some(user), Some(family)) = (
        user_name,
        registration
            .patient
            .as_ref()
            .and_then(|p| p.family_name.as_deref()),
    ) && crate::audit::report::same_surname(user, family)
    {
        detail.push_str(&format!("; {}", crate::audit::report::SAME_SURNAME));
    }
    detail
}

/// Everything a view needs.
pub struct View {
    /// Who is looking.
    pub claims: Claims,
    /// The patient.
    pub nhs: NhsNumber,
    /// The context the view is in.
    pub context_id: String,
    /// Demographics and the registered practice.
    pub locating: Locating,
    /// The fetches in flight.
    pub fetches: Fetches,
    /// Where outcome rows go.
    pub audit: AuditLog,
    /// Codes whose entries are withheld.
    pub sensitive: Arc<SensitiveCodes>,
    /// The reader's dataset, when it is not the whole record.
    pub dataset: Option<Arc<DatasetRule>>,
}

fn outcome_of(state: SourceState) -> Outcome {
    match state {
        SourceState::Answered => Outcome::Allowed,
        SourceState::Refused => Outcome::Refused,
        _ => Outcome::Failed,
    }
}

type Event = (RecordEvent, Option<Demographics>);

/// What follows once an audit row of the view is committed.
enum Then {
    /// The `record.practice` row: the practice (if any) is asked, and `patient` and
    /// `located` go out with any source events held for them.
    Practice {
        patient: Option<Demographics>,
        practice: Option<Arc<Source>>,
    },
    /// A source's outcome row: its event goes out.
    Send(Event),
}

/// A row being committed, with what follows it.
type Commit = Pin<Box<dyn Future<Output = (Result<(), AppError>, Then)> + Send>>;

/// Runs the view, sending events to `tx` until `complete` or `aborted`.
///
/// Outcome rows are committed concurrently: a source that finishes while another's row
/// is committing is processed and its row queued at once (so they can share a group
/// commit) rather than after that commit; each event still waits for its own row.
pub async fn run(view: View, tx: mpsc::Sender<Event>) {
    let View {
        claims,
        nhs,
        context_id,
        locating,
        mut fetches,
        audit,
        sensitive,
        dataset,
    } = view;
    let digits = nhs.as_digits();
    let aborted = || RecordEvent::Aborted {
        message: "the access could not be recorded, so no more of the record will be sent".into(),
    };
    let opening = |patient, fetches: &Fetches| {
        [
            RecordEvent::Patient { patient },
            RecordEvent::Located {
                sources: fetches.asked().to_vec(),
                dataset: dataset.as_deref().map(DatasetRule::describe),
            },
        ]
    };
    let commit = |action, outcome, detail: &str, then| -> Commit {
        let row = audit.record_owned(AuditEntry {
            claims: &claims,
            nhs_number: Some(&digits),
            context_id: Some(&context_id),
            action,
            outcome,
            detail: Some(detail),
        });
        Box::pin(async move { (row.await.map(drop), then) })
    };
    // Source events ready before `patient` and `located` could be sent.
    let mut held: Vec<Event> = Vec::new();
    let mut opened = false;
    let mut pending = match locating {
        Locating::Known(patient) => {
            for event in opening(patient, &fetches) {
                if tx.send((event, None)).await.is_err() {
                    return;
                }
            }
            opened = true;
            None
        }
        Locating::Pending(lookup) => Some(lookup),
    };
    let mut commits: FuturesUnordered<Commit> = FuturesUnordered::new();
    loop {
        enum Next {
            Located(Registration),
            Finished(Option<Result<(Id, Finished), tokio::task::JoinError>>),
            Committed((Result<(), AppError>, Then)),
        }
        if pending.is_none() && fetches.tasks.is_empty() && commits.is_empty() {
            break;
        }
        let next = tokio::select! {
            _ = tx.closed() => return,
            found = async {
                match pending.as_mut() {
                    Some(lookup) => lookup.answer().await,
                    None => std::future::pending().await,
                }
            }, if pending.is_some() => Next::Located(found),
            next = fetches.tasks.join_next_with_id(), if !fetches.tasks.is_empty() => {
                Next::Finished(next)
            }
            Some(done) = commits.next(), if !commits.is_empty() => Next::Committed(done),
        };
        match next {
            Next::Located(registration) => {
                pending = None;
                let practice = registration.practice.clone().filter(|p| {
                    dataset
                        .as_ref()
                        .is_none_or(|d| d.shows_source(p.reference.kind))
                });
                let detail = registration_detail(
                    &registration,
                    practice.as_ref().map(|p| p.reference.id.as_str()),
                    claims.name.as_deref(),
                );
                let then = Then::Practice {
                    patient: registration.patient,
                    practice,
                };
                commits.push(commit(
                    Action::LocatePractice,
                    Outcome::Allowed,
                    &detail,
                    then,
                ));
            }
            Next::Finished(None) => {}
            Next::Finished(Some(finished)) => {
                let (result, patient) = match finished {
                    Ok((_, finished)) => finished,
                    Err(e) => {
                        let Some(reference) = fetches.pending.get(&e.id()).cloned() else {
                            continue;
                        };
                        tracing::error!(source = %reference.id, error = %e, "source task failed");
                        let message = Some("the gateway could not ask this source".into());
                        (
                            SourceResult {
                                status: SourceStatus::new(
                                    reference,
                                    SourceState::Failed,
                                    None,
                                    message,
                                ),
                                sections: vec![],
                                related: vec![],
                            },
                            None,
                        )
                    }
                };
                let mut result = result;
                // Sensitive items never leave the gateway; the source's status counts them.
                result.status.withheld += sensitive.withhold(&mut result.sections, &result.related);
                // Then the reader's dataset: what it leaves out is not part of this view.
                if let Some(dataset) = &dataset {
                    dataset.apply(&mut result.sections);
                }
                let entries: usize = result.sections.iter().map(|s| s.entries.len()).sum();
                let detail = format!(
                    "{}: {:?}; {entries} entries sent; {} withheld",
                    result.status.source.id, result.status.state, result.status.withheld
                );
                let outcome = outcome_of(result.status.state);
                let event = RecordEvent::Source {
                    status: result.status,
                    sections: result.sections,
                };
                commits.push(commit(
                    Action::SourceOutcome,
                    outcome,
                    &detail,
                    Then::Send((event, patient)),
                ));
            }
            Next::Committed((Err(_), _)) => {
                let _ = tx.send((aborted(), None)).await;
                return;
            }
            Next::Committed((Ok(_), Then::Practice { patient, practice })) => {
                if let Some(practice) = practice {
                    fetches.ask(practice, &nhs, &claims, true);
                }
                opened = true;
                let events = opening(patient, &fetches)
                    .into_iter()
                    .map(|e| (e, None))
                    .chain(held.drain(..));
                for event in events {
                    if tx.send(event).await.is_err() {
                        return;
                    }
                }
            }
            Next::Committed((Ok(_), Then::Send(event))) => {
                if !opened {
                    held.push(event);
                } else if tx.send(event).await.is_err() {
                    return;
                }
            }
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
