//! The audit log: one row per access to patient data, committed before any patient data
//! leaves the gateway.
//!
//! Rows are insert-only (the schema's triggers refuse updates and deletes). A write that
//! fails is reported to the caller, which must then refuse the request: the gateway fails
//! closed. The storage issue extends this with hash chaining and PostgreSQL.

use sqlx::SqlitePool;

use crate::auth::Claims;
use crate::error::AppError;
use crate::time_fmt::now_rfc3339;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A patient context was opened (or refused).
    OpenContext,
    /// The record was requested; the gateway is about to ask the sources.
    ViewRecord,
    /// A source answered (or failed) and its data is about to be returned.
    SourceOutcome,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::OpenContext => "context.open",
            Action::ViewRecord => "record.view",
            Action::SourceOutcome => "record.source",
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
    fn as_str(self) -> &'static str {
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
    /// What was done.
    pub action: Action,
    /// How it ended.
    pub outcome: Outcome,
    /// Short detail (a source id, a refusal code); never a token.
    pub detail: Option<&'a str>,
}

/// Writes audit rows to the database.
#[derive(Clone)]
pub struct AuditLog {
    pool: SqlitePool,
}

impl AuditLog {
    /// An audit log writing to `pool`.
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Commits one row. Returns only after the commit; an error means the row is not
    /// stored and the caller must not return patient data.
    pub async fn record(&self, entry: AuditEntry<'_>) -> Result<(), AppError> {
        self.record_in(&self.pool, entry).await
    }

    /// Writes one row through `executor` (a pool or an open transaction).
    pub async fn record_in<'e, E>(&self, executor: E, entry: AuditEntry<'_>) -> Result<(), AppError>
    where
        E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
    {
        sqlx::query(
            "INSERT INTO audit (at, user_id, user_role, org_ods, nhs_number, action, outcome, detail)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(now_rfc3339())
        .bind(&entry.claims.sub)
        .bind(&entry.claims.role)
        .bind(&entry.claims.org)
        .bind(entry.nhs_number)
        .bind(entry.action.as_str())
        .bind(entry.outcome.as_str())
        .bind(entry.detail)
        .execute(executor)
        .await
        .map(|_| ())
        .map_err(|e| AppError::AuditUnavailable(e.to_string()))
    }
}
