//! One view of a record: ask every located source at once and emit the record's events
//! in order — `patient`, `located`, one `source` per source as it finishes, `complete`.
//!
//! Audit ordering: the caller has committed the access row before this starts; here a
//! chained outcome row is committed before each `source` event is sent. If an audit
//! write fails, `aborted` is sent and nothing more; the remaining upstream calls are
//! cancelled. If the receiver goes away (the client disconnected), the upstream calls
//! are cancelled too.

use std::collections::HashMap;

use mcr_model::{Demographics, NhsNumber, RecordEvent, SourceState, SourceStatus};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::audit::{Action, AuditEntry, AuditLog, Outcome};
use crate::auth::Claims;
use crate::locator::Located;
use crate::sources::SourceResult;

/// Everything a view needs.
pub struct View {
    /// Who is looking.
    pub claims: Claims,
    /// The patient.
    pub nhs: NhsNumber,
    /// The context the view is in.
    pub context_id: String,
    /// What the locator found.
    pub located: Located,
    /// Where outcome rows go.
    pub audit: AuditLog,
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
        located,
        audit,
    } = view;
    let references = located
        .sources
        .iter()
        .map(|s| s.reference.clone())
        .collect::<Vec<_>>();
    let mut tasks = JoinSet::new();
    let mut pending = HashMap::new();
    for source in located.sources {
        let (nhs, claims) = (nhs.clone(), claims.clone());
        let reference = source.reference.clone();
        let handle = tasks.spawn(async move { source.fetch(&nhs, &claims).await });
        pending.insert(handle.id(), reference);
    }
    let opening = [
        RecordEvent::Patient {
            patient: located.patient,
        },
        RecordEvent::Located {
            sources: references,
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
                let status = SourceStatus::new(
                    reference,
                    SourceState::Failed,
                    None,
                    Some("the gateway could not ask this source".into()),
                );
                (
                    SourceResult {
                        status,
                        sections: vec![],
                    },
                    None,
                )
            }
        };
        let detail = format!("{}: {:?}", result.status.source.id, result.status.state);
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
