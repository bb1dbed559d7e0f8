//! The store: one interface ([`Store`]) for everything the gateway keeps — audit rows,
//! patient contexts, comments, locator pointers, the dissent register and break-glass
//! grants — over two backends: embedded SQLite (default, a file in the data directory)
//! and PostgreSQL (many replicas, one shared database).
//!
//! Both backends run the same SQL through sqlx's `Any` driver ([`sql::SqlStore`]); what
//! differs — connecting, migrations, and how a writer takes the audit chain's lock — is
//! in [`sqlite`] and [`postgres`]. The same test suite runs against both.

pub mod migrate;
pub mod postgres;
pub mod sql;
pub mod sqlite;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or refused the operation.
    #[error("database error: {0}")]
    Database(String),
    /// The database was migrated by a newer version of the gateway.
    #[error(
        "the database was migrated by a newer version of mcr-gateway (it has migration {0}, which this version does not know); upgrade the gateway rather than run an older one against it"
    )]
    NewerSchema(i64),
    /// Setup failed before the database was reached (e.g. the data directory).
    #[error("{0}")]
    Setup(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

/// The fields of an audit row that the writer supplies; the chain adds `seq` and hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFields {
    /// When (fixed-width RFC 3339 UTC, see [`crate::time_fmt::now_audit`]).
    pub at: String,
    /// Who: the user id from the verified token (or a tool's name).
    pub user_id: String,
    /// The user's role.
    pub user_role: Option<String>,
    /// The user's organisation (ODS code).
    pub org_ods: Option<String>,
    /// The patient, ten digits.
    pub nhs_number: Option<String>,
    /// The patient context the access was made in.
    pub context_id: Option<String>,
    /// What was done (`context.open`, `record.view`, `record.source`, `audit.prune` …).
    pub action: String,
    /// How it ended (`allowed`, `refused`, `failed`).
    pub outcome: String,
    /// Short detail; never a token.
    pub detail: Option<String>,
    /// For a prune checkpoint: the last sequence number pruned.
    pub checkpoint_seq: Option<i64>,
    /// For a prune checkpoint: the hash of that row.
    pub checkpoint_hash: Option<String>,
    /// The request that caused the row (absent for rows written before request ids, and
    /// for rows no request caused); left out of the canonical form when absent, so
    /// older rows keep their hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The client's IP address as the connection gave it (absent for older rows and
    /// for rows no request caused); left out of the canonical form when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_addr: Option<String>,
}

impl AuditFields {
    /// Whether the row is a break-glass grant or an access made under one (its detail
    /// then starts `break-glass`).
    pub fn under_break_glass(&self) -> bool {
        self.action == "break_glass.grant"
            || self
                .detail
                .as_deref()
                .is_some_and(|d| d.starts_with("break-glass"))
    }

    /// A row recorded now by `user_id` with no patient, context or checkpoint, in the
    /// current request (if any); set other fields with struct update syntax.
    pub fn event(
        user_id: impl Into<String>,
        action: &str,
        outcome: &str,
        detail: Option<String>,
    ) -> Self {
        Self {
            at: crate::time_fmt::now_audit(),
            user_id: user_id.into(),
            user_role: None,
            org_ods: None,
            nhs_number: None,
            context_id: None,
            action: action.into(),
            outcome: outcome.into(),
            detail,
            checkpoint_seq: None,
            checkpoint_hash: None,
            request_id: crate::request_id::current(),
            client_addr: crate::request_id::client(),
        }
    }
}

/// A stored audit row: its fields, its place in the chain and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// The row's content.
    #[serde(flatten)]
    pub fields: AuditFields,
    /// The previous row's hash (64 zeros for the first row).
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and the row's canonical form, hex.
    pub hash: String,
}

/// A record of the chain's head kept outside the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The head's sequence number when written.
    pub seq: i64,
    /// The head's hash.
    pub hash: String,
}

/// What a prune removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneReport {
    /// The last sequence number removed (0 when nothing was old enough).
    pub pruned_through: i64,
    /// How many rows were removed.
    pub removed: u64,
    /// The checkpoint row appended to the chain, if anything was removed.
    pub checkpoint: Option<AuditRow>,
}

/// A patient context as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContext {
    /// Opaque id.
    pub id: String,
    /// The user who opened it.
    pub user_id: String,
    /// The patient, ten digits.
    pub nhs_number: String,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// Created (ms since the epoch).
    pub created_ms: i64,
    /// Last used (ms since the epoch).
    pub last_used_ms: i64,
}

/// A comment to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    /// New comment id.
    pub id: String,
    /// The patient.
    pub nhs_number: String,
    /// The entry commented on (source id, entry id), if any.
    pub entry: Option<(String, String)>,
    /// Author id (from the token).
    pub author_id: String,
    /// Author display name.
    pub author_name: Option<String>,
    /// Author role.
    pub author_role: Option<String>,
    /// Author organisation.
    pub author_org: Option<String>,
    /// Plain text.
    pub body: String,
    /// Server time (ms).
    pub created_ms: i64,
    /// Client-chosen key: a retried post with the same key is stored once.
    pub idempotency_key: String,
}

/// A stored comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The comment as written.
    pub comment: NewComment,
    /// When it was retracted by its author, if it was.
    pub retracted_ms: Option<i64>,
}

/// A record pointer: this source holds records for this patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    /// The patient.
    pub nhs_number: String,
    /// The source's registry id.
    pub source_id: String,
    /// When published (ms).
    pub updated_ms: i64,
}

/// An entry in the dissent register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dissent {
    /// The patient.
    pub nhs_number: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// Why, if given.
    pub reason: Option<String>,
    /// When (ms).
    pub recorded_ms: i64,
}

/// A break-glass grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Grant id.
    pub id: String,
    /// The context it was granted in (it ends with it).
    pub context_id: String,
    /// Who broke the glass.
    pub user_id: String,
    /// The patient.
    pub nhs_number: String,
    /// The stated reason.
    pub reason: String,
    /// The coded reason (`BreakGlassReason::code`).
    pub reason_code: String,
    /// Granted (ms).
    pub granted_ms: i64,
    /// Expires (ms).
    pub expires_ms: i64,
    /// Ended early (ms), e.g. when the context ended.
    pub ended_ms: Option<i64>,
    /// The privacy officer who reviewed it.
    pub reviewed_by: Option<String>,
    /// When it was reviewed (ms).
    pub reviewed_ms: Option<i64>,
}

/// Everything the gateway keeps, behind one interface.
#[async_trait]
pub trait Store: Send + Sync {
    /// The engine behind this store.
    fn backend(&self) -> Backend;
    /// Checks the database answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Appends rows to the audit chain in one transaction, in order, and returns them
    /// chained. Returns only after the commit.
    async fn append_audit(&self, rows: Vec<AuditFields>) -> Result<Vec<AuditRow>, StoreError>;
    /// As [`Store::append_audit`], and records the new head as an anchor at `at` in the
    /// same transaction: one commit (one sync to disk) for both, where two would hold
    /// back the rows queued behind them.
    async fn append_audit_anchored(
        &self,
        rows: Vec<AuditFields>,
        at: &str,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let out = self.append_audit(rows).await?;
        self.write_anchor(at).await?;
        Ok(out)
    }
    /// Up to `limit` audit rows with `seq > after`, in order.
    async fn audit_rows(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError>;
    /// Audit rows at or after `since` (RFC 3339, same fixed width), in order, paged.
    async fn audit_since(
        &self,
        since: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError>;
    /// A patient's audit rows, newest first: at most `limit`, all before `before_seq`
    /// when given (paging back through the access log).
    async fn audit_for_patient(
        &self,
        nhs_number: &str,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError>;
    /// The newest prune checkpoint row, if any.
    async fn latest_checkpoint(&self) -> Result<Option<AuditRow>, StoreError>;
    /// Records the chain's current head as an anchor (idempotent); returns it.
    async fn write_anchor(&self, at: &str) -> Result<Option<Anchor>, StoreError>;
    /// All anchors, in order.
    async fn anchors(&self) -> Result<Vec<Anchor>, StoreError>;
    /// Removes audit rows older than `before` and appends a checkpoint row naming the
    /// last one removed and its hash, in one transaction.
    async fn prune_audit(
        &self,
        before: &str,
        checkpoint: AuditFields,
    ) -> Result<PruneReport, StoreError>;

    /// Stores a new patient context.
    async fn create_context(&self, ctx: &StoredContext) -> Result<(), StoreError>;
    /// Loads the context `id` of `user` if it has not ended and was used at or after
    /// `idle_cutoff_ms`, and marks it used at `now_ms` if it was last marked before
    /// `refresh_before_ms` (so a burst of requests does not write on every one).
    async fn touch_context(
        &self,
        id: &str,
        user: &str,
        now_ms: i64,
        idle_cutoff_ms: i64,
        refresh_before_ms: i64,
    ) -> Result<Option<StoredContext>, StoreError>;
    /// Ends a context; returns whether one was open.
    async fn end_context(&self, id: &str, user: &str, now_ms: i64) -> Result<bool, StoreError>;
    /// When `user` last used a context on this patient other than `except_context`: the
    /// time of their previous view, if they had one.
    async fn previous_view_ms(
        &self,
        user: &str,
        nhs_number: &str,
        except_context: &str,
    ) -> Result<Option<i64>, StoreError>;

    /// Adds a comment; a repeat of the same author's idempotency key returns the
    /// comment stored the first time and stores nothing.
    async fn add_comment(&self, comment: &NewComment) -> Result<Comment, StoreError>;
    /// The comment `author_id` posted with `idempotency_key`, if any.
    async fn comment_by_key(
        &self,
        author_id: &str,
        idempotency_key: &str,
    ) -> Result<Option<Comment>, StoreError>;
    /// How many comments `author_id` has posted since `since_ms` (for the rate limit).
    async fn comments_by_author_since(
        &self,
        author_id: &str,
        since_ms: i64,
    ) -> Result<i64, StoreError>;
    /// A patient's comments, oldest first.
    async fn comments_for(&self, nhs_number: &str) -> Result<Vec<Comment>, StoreError>;
    /// Retracts the author's own comment on this patient; returns whether it was theirs,
    /// on this patient, and not yet retracted.
    async fn retract_comment(
        &self,
        id: &str,
        author_id: &str,
        nhs_number: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Publishes pointers (insert or refresh), in one transaction.
    async fn put_pointers(&self, pointers: &[Pointer]) -> Result<(), StoreError>;
    /// Withdraws one source's pointers for the given patients; returns how many.
    async fn delete_pointers(
        &self,
        source_id: &str,
        nhs_numbers: &[String],
    ) -> Result<u64, StoreError>;
    /// The pointers for a patient.
    async fn pointers_for(&self, nhs_number: &str) -> Result<Vec<Pointer>, StoreError>;

    /// Records (or re-records) a patient's dissent.
    async fn set_dissent(&self, dissent: &Dissent) -> Result<(), StoreError>;
    /// Lifts a patient's dissent; returns whether there was one.
    async fn lift_dissent(&self, nhs_number: &str) -> Result<bool, StoreError>;
    /// The patient's dissent, if recorded.
    async fn dissent(&self, nhs_number: &str) -> Result<Option<Dissent>, StoreError>;

    /// Stores a break-glass grant.
    async fn grant_break_glass(&self, grant: &Grant) -> Result<(), StoreError>;
    /// The grant in force in a context at `now_ms`, if any.
    async fn active_grant(
        &self,
        context_id: &str,
        now_ms: i64,
    ) -> Result<Option<Grant>, StoreError>;
    /// Ends every grant of a context; returns how many were in force.
    async fn end_grants(&self, context_id: &str, now_ms: i64) -> Result<u64, StoreError>;
    /// Grants not yet reviewed, oldest first.
    async fn grants_to_review(&self) -> Result<Vec<Grant>, StoreError>;
    /// Marks a grant reviewed; returns whether it existed and was unreviewed.
    async fn review_grant(&self, id: &str, reviewer: &str, now_ms: i64)
    -> Result<bool, StoreError>;
}

/// Where the store lives.
#[derive(Debug, Clone)]
pub enum Location<'a> {
    /// SQLite file in this data directory.
    DataDir(&'a Path),
    /// PostgreSQL at this URL.
    Postgres(&'a str),
}

/// Opens the store, creating it on first use and applying migrations.
pub async fn open(location: Location<'_>) -> Result<Arc<dyn Store>, StoreError> {
    sqlx::any::install_default_drivers();
    let store = match location {
        Location::DataDir(dir) => sqlite::open(dir).await?,
        Location::Postgres(url) => postgres::open(url).await?,
    };
    Ok(Arc::new(store))
}
