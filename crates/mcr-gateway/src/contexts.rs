//! Patient contexts: an opaque, unguessable id bound to one user and one patient.
//!
//! NHS numbers never appear in URLs; the panel opens a context with the number in a
//! request body and then uses the context id. Contexts live in the database, so any
//! gateway replica honours them, and expire after a period of inactivity.

use base64::Engine;
use mcr_model::NhsNumber;
use sqlx::SqlitePool;

use crate::audit::{Action, AuditEntry, AuditLog, Outcome};
use crate::auth::Claims;
use crate::error::AppError;

/// An open context, as loaded for a request.
#[derive(Debug, Clone)]
pub struct PatientContext {
    /// The context id.
    pub id: String,
    /// The patient.
    pub nhs_number: NhsNumber,
}

/// Creates, looks up and ends patient contexts.
#[derive(Clone)]
pub struct ContextStore {
    pool: SqlitePool,
    idle_secs: i64,
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A new context id: 32 random bytes from the OS, base64url (256 bits, unguessable).
fn new_context_id() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

impl ContextStore {
    /// A store in `pool`; contexts expire after `idle_minutes` without use.
    pub fn new(pool: SqlitePool, idle_minutes: u64) -> Self {
        Self {
            pool,
            idle_secs: (idle_minutes * 60) as i64,
        }
    }

    /// Opens a context for `claims.sub` and `nhs`, writing its audit row in the same
    /// transaction: either both are stored or neither is.
    pub async fn open(
        &self,
        claims: &Claims,
        nhs: &NhsNumber,
        reason: Option<&str>,
        audit: &AuditLog,
    ) -> Result<String, AppError> {
        let id = new_context_id()?;
        let now = unix_now();
        let digits = nhs.as_digits();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| AppError::AuditUnavailable(e.to_string()))?;
        sqlx::query(
            "INSERT INTO contexts (id, user_id, nhs_number, reason, created_at, last_used_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(&claims.sub)
        .bind(&digits)
        .bind(reason)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let entry = AuditEntry {
            claims,
            nhs_number: Some(&digits),
            action: Action::OpenContext,
            outcome: Outcome::Allowed,
            detail: reason,
        };
        audit.record_in(&mut *tx, entry).await?;
        tx.commit()
            .await
            .map_err(|e| AppError::AuditUnavailable(e.to_string()))?;
        Ok(id)
    }

    /// Loads the context `id` if it belongs to `user` and has not expired or ended, and
    /// marks it used. Anything else is [`AppError::ContextNotFound`] — a context of
    /// another user is indistinguishable from one that does not exist.
    pub async fn touch(&self, id: &str, user: &str) -> Result<PatientContext, AppError> {
        let now = unix_now();
        let row: Option<(String,)> = sqlx::query_as(
            "UPDATE contexts SET last_used_at = ?1
             WHERE id = ?2 AND user_id = ?3 AND ended_at IS NULL AND last_used_at >= ?4
             RETURNING nhs_number",
        )
        .bind(now)
        .bind(id)
        .bind(user)
        .bind(now - self.idle_secs)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let (digits,) = row.ok_or(AppError::ContextNotFound)?;
        let nhs_number =
            NhsNumber::parse(&digits).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(PatientContext {
            id: id.to_string(),
            nhs_number,
        })
    }
}
