//! Patient contexts: an opaque, unguessable id bound to one user and one patient.
//!
//! NHS numbers never appear in URLs; the panel opens a context with the number in a
//! request body and then uses the context id. Contexts live in the store, so every
//! gateway replica honours them, and expire after a period of inactivity.

use std::sync::Arc;

use base64::Engine;
use mcr_model::NhsNumber;

use crate::audit::{Action, AuditEntry, AuditLog, Outcome};
use crate::auth::Claims;
use crate::error::AppError;
use crate::store::{Store, StoredContext};
use crate::time_fmt::now_ms;

/// How stale a context's last-used time may get before a request refreshes it: idle
/// expiry (minutes) is therefore exact to within this, and a burst of views costs one
/// write. Each write is a synced commit that audit rows queue behind on SQLite's one
/// writing connection, so they are kept rare.
pub const TOUCH_EVERY_MS: i64 = 60_000;

/// An open context, as loaded for a request.
#[derive(Debug, Clone)]
pub struct PatientContext {
    /// The context id.
    pub id: String,
    /// The patient.
    pub nhs_number: NhsNumber,
}

/// Creates and looks up patient contexts.
#[derive(Clone)]
pub struct ContextStore {
    store: Arc<dyn Store>,
    idle_ms: i64,
}

/// A new context id: 32 random bytes from the OS, base64url (256 bits, unguessable).
fn new_context_id() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

impl ContextStore {
    /// Contexts in `store` that expire after `idle_minutes` without use.
    pub fn new(store: Arc<dyn Store>, idle_minutes: u64) -> Self {
        Self {
            store,
            idle_ms: (idle_minutes * 60_000) as i64,
        }
    }

    /// Opens a context for `claims.sub` and `nhs`. The audit row is committed first: a
    /// context exists only if its opening is on record.
    pub async fn open(
        &self,
        claims: &Claims,
        nhs: &NhsNumber,
        reason: Option<&str>,
        audit: &AuditLog,
    ) -> Result<String, AppError> {
        let id = new_context_id()?;
        let digits = nhs.as_digits();
        audit
            .record(AuditEntry {
                claims,
                nhs_number: Some(&digits),
                context_id: Some(&id),
                action: Action::OpenContext,
                outcome: Outcome::Allowed,
                detail: reason,
            })
            .await?;
        let now = now_ms();
        self.store
            .create_context(&StoredContext {
                id: id.clone(),
                user_id: claims.sub.clone(),
                nhs_number: digits,
                reason: reason.map(str::to_string),
                created_ms: now,
                last_used_ms: now,
            })
            .await?;
        Ok(id)
    }

    /// Loads the context `id` if it belongs to `user` and has not expired or ended, and
    /// marks it used. Anything else is [`AppError::ContextNotFound`] — a context of
    /// another user is indistinguishable from one that does not exist.
    ///
    /// The request waits only for the lookup: marking the context used (at most once
    /// per [`TOUCH_EVERY_MS`]) is a write that nothing in this request depends on, so it
    /// is done in a task of its own rather than in front of the request's audit rows.
    pub async fn touch(&self, id: &str, user: &str) -> Result<PatientContext, AppError> {
        let now = now_ms();
        let ctx = self
            .store
            .touch_context(id, user, now, now - self.idle_ms, i64::MIN)
            .await?
            .ok_or(AppError::ContextNotFound)?;
        if ctx.last_used_ms < now - TOUCH_EVERY_MS {
            let (store, idle_ms) = (self.store.clone(), self.idle_ms);
            let (id, user) = (id.to_string(), user.to_string());
            tokio::spawn(async move {
                let marked = store
                    .touch_context(&id, &user, now, now - idle_ms, now - TOUCH_EVERY_MS)
                    .await;
                if let Err(e) = marked {
                    tracing::warn!(error = %e, "could not mark a context used");
                }
            });
        }
        let nhs_number =
            NhsNumber::parse(&ctx.nhs_number).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(PatientContext {
            id: ctx.id,
            nhs_number,
        })
    }
}
