//! The audit log: one row per access to patient data, committed before any patient data
//! leaves the gateway.
//!
//! Rows go through a group-commit writer: concurrent requests' rows are appended to the
//! hash chain in one transaction, and each request waits for the commit of the batch
//! holding its row. A failed write is returned to every waiting request, which must then
//! refuse (the gateway fails closed). At most once per [`ANCHOR_INTERVAL`], a batch
//! also records the chain's new head as an anchor, in its own transaction, so that
//! cutting the newest rows is detectable by [`verify`].

pub mod chain;
pub mod export;
pub mod report;
pub mod verify;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::auth::Claims;
use crate::error::AppError;
use crate::store::{AuditFields, AuditRow, Store};
use crate::time_fmt::now_audit;

/// How often, at most, the chain's head is anchored.
pub const ANCHOR_INTERVAL: Duration = Duration::from_secs(1);
/// The most rows committed in one transaction.
pub const MAX_BATCH: usize = 512;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A patient context was opened (or refused).
    OpenContext,
    /// A patient context was ended.
    EndContext,
    /// The record was requested; the gateway is about to ask the sources.
    ViewRecord,
    /// The demographics service named the patient's registered practice, which the
    /// gateway is about to ask (or said why no practice will be asked).
    LocatePractice,
    /// A source answered (or failed) and its data is about to be returned.
    SourceOutcome,
    /// A privacy officer recorded the patient's dissent.
    DissentSet,
    /// A privacy officer lifted the patient's dissent.
    DissentLift,
    /// A privacy officer read the patient's entry in the dissent register.
    DissentRead,
    /// The comments on a record were read.
    CommentsRead,
    /// A comment was added (or a retried post answered).
    CommentAdd,
    /// A comment was retracted by its author.
    CommentRetract,
    /// A clinician broke the glass (an emergency override of the patient's dissent).
    BreakGlass,
    /// A privacy officer listed break-glass use awaiting review.
    BreakGlassList,
    /// A privacy officer reviewed one break-glass use.
    BreakGlassReview,
    /// A patient's access log was read.
    AccessLogRead,
}

impl Action {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::OpenContext => "context.open",
            Action::EndContext => "context.end",
            Action::ViewRecord => "record.view",
            Action::LocatePractice => "record.practice",
            Action::SourceOutcome => "record.source",
            Action::DissentSet => "dissent.set",
            Action::DissentLift => "dissent.lift",
            Action::DissentRead => "dissent.read",
            Action::CommentsRead => "comments.read",
            Action::CommentAdd => "comment.add",
            Action::CommentRetract => "comment.retract",
            Action::BreakGlass => "break_glass.grant",
            Action::BreakGlassList => "break_glass.list",
            Action::BreakGlassReview => "break_glass.review",
            Action::AccessLogRead => "access_log.read",
        }
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Allowed and done.
    Allowed,
    /// Refused by policy.
    Refused,
    /// Failed (a source error, a timeout).
    Failed,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// One audit row to write.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// Who (from the verified token).
    pub claims: &'a Claims,
    /// The patient's NHS number (ten digits), if known.
    pub nhs_number: Option<&'a str>,
    /// The patient context, if any.
    pub context_id: Option<&'a str>,
    /// What was done.
    pub action: Action,
    /// How it ended.
    pub outcome: Outcome,
    /// Short detail (a source id, a refusal code); never a token.
    pub detail: Option<&'a str>,
}

impl AuditEntry<'_> {
    fn fields(&self) -> AuditFields {
        AuditFields {
            user_role: self.claims.role.clone(),
            org_ods: self.claims.org.clone(),
            nhs_number: self.nhs_number.map(str::to_string),
            context_id: self.context_id.map(str::to_string),
            ..AuditFields::event(
                self.claims.sub.clone(),
                self.action.as_str(),
                self.outcome.as_str(),
                self.detail.map(str::to_string),
            )
        }
    }
}

struct Pending {
    fields: AuditFields,
    reply: oneshot::Sender<Result<AuditRow, String>>,
}

/// Writes audit rows through the group-commit writer.
#[derive(Clone)]
pub struct AuditLog {
    queue: mpsc::Sender<Pending>,
}

impl AuditLog {
    /// Starts the writer task for `store`. It stops when the last `AuditLog` is dropped.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(store, rx));
        Self { queue }
    }

    /// Commits one row and returns it chained. Returns only after the commit; an error
    /// means the row is not stored and the caller must not return patient data.
    pub async fn record(&self, entry: AuditEntry<'_>) -> Result<AuditRow, AppError> {
        self.append(entry.fields()).await
    }

    /// [`Self::record`] as a future that owns what it needs, so that several rows can be
    /// waited on at once (a view's outcome rows as sources finish); the row is queued
    /// when the future is first polled.
    pub fn record_owned(
        &self,
        entry: AuditEntry<'_>,
    ) -> impl Future<Output = Result<AuditRow, AppError>> + Send + 'static {
        let (log, fields) = (self.clone(), entry.fields());
        async move { log.append(fields).await }
    }

    /// Commits a row given as fields (tools, checkpoints).
    pub async fn append(&self, fields: AuditFields) -> Result<AuditRow, AppError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { fields, reply })
            .await
            .map_err(|_| AppError::AuditUnavailable("the audit writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| AppError::AuditUnavailable("the audit writer dropped the row".into()))?
            .map_err(AppError::AuditUnavailable)
    }

    /// Whether the writer is still running (for `/readyz`).
    pub fn is_running(&self) -> bool {
        !self.queue.is_closed()
    }
}

async fn write_batches(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Pending>) {
    let mut last_anchor = Instant::now();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (fields, replies): (Vec<_>, Vec<_>) =
            batch.drain(..).map(|p| (p.fields, p.reply)).unzip();
        // The anchor goes in the batch's own transaction: a commit of its own would be a
        // second sync to disk that the next batch's rows wait behind.
        let anchor = last_anchor.elapsed() >= ANCHOR_INTERVAL;
        let written = if anchor {
            last_anchor = Instant::now();
            store.append_audit_anchored(fields, &now_audit()).await
        } else {
            store.append_audit(fields).await
        };
        match written {
            Ok(rows) => {
                for (reply, row) in replies.into_iter().zip(rows) {
                    let _ = reply.send(Ok(row));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(message.clone()));
                }
            }
        }
    }
}
