//! [`SqlStore`]: the [`Store`] implementation shared by SQLite and PostgreSQL.
//!
//! Queries use `$n` placeholders, which both engines accept; integer columns are 64-bit
//! on both. The one place the engines must differ is taking the audit chain's write
//! lock, so that concurrent writers — tasks in one process or gateway replicas on one
//! PostgreSQL — extend one linear chain: SQLite takes the database write lock up front
//! (`BEGIN IMMEDIATE`), PostgreSQL a transaction-scoped advisory lock (which the
//! gateway's insert-only role may take, unlike a table lock).

use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Connection, Row, Transaction};

use super::{
    Anchor, AuditFields, AuditRow, Backend, Comment, Dissent, Grant, NewComment, Pointer,
    PruneReport, Store, StoreError, StoredContext,
};
use crate::audit::chain::{GENESIS, row_hash};

/// Key of the PostgreSQL advisory lock that serialises audit chain writers.
pub const CHAIN_LOCK_KEY: i64 = 0x6d63_725f_6175_6474; // "mcr_audt"

/// Rows per multi-row audit `INSERT`: [`AUDIT_PARAMS`] parameters each keeps a statement
/// well inside both engines' limits on bound parameters (SQLite 32,766, PostgreSQL 65,535).
const INSERT_CHUNK: usize = 128;
/// Parameters per audit row: one per column of [`AUDIT_COLUMNS`].
const AUDIT_PARAMS: usize = 16;
/// The chain's head: the newest row's sequence number and hash.
const HEAD: &str = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
/// Records a head as an anchor (once per sequence number).
const INSERT_ANCHOR: &str =
    "INSERT INTO audit_anchors (seq, hash, at) VALUES ($1, $2, $3) ON CONFLICT (seq) DO NOTHING";
const AUDIT_COLUMNS: &str = "seq, at, user_id, user_role, org_ods, nhs_number, context_id, action, outcome, \
     detail, checkpoint_seq, checkpoint_hash, prev_hash, hash, request_id, client_addr";
const CONTEXT_COLUMNS: &str = "id, user_id, nhs_number, reason, created_ms, last_used_ms";
const COMMENT_COLUMNS: &str = "id, nhs_number, entry_source, entry_id, author_id, author_name, author_role, \
     author_org, body, created_ms, idempotency_key, retracted_ms";
const GRANT_COLUMNS: &str = "id, context_id, user_id, nhs_number, reason, granted_ms, expires_ms, ended_ms, \
     reviewed_by, reviewed_ms, reason_code";

/// How long a pooled connection may sit idle before it is pinged on its way out of the
/// pool.
const PING_AFTER_IDLE: Duration = Duration::from_secs(10);

/// Pool options both engines share. sqlx by default pings every connection it hands
/// out, which on PostgreSQL is a second round trip before every query (the locator
/// benchmark measured it at about two fifths of a lookup); here only a connection idle
/// for [`PING_AFTER_IDLE`] is pinged — the one a restarted server or a dropped network
/// is likely to have broken — and one that fails the ping is closed and another taken.
pub fn pool_options() -> AnyPoolOptions {
    AnyPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// Rows per multi-row `INSERT` of pointers: 750 parameters, under SQLite's oldest
/// default limit of 999 and far under PostgreSQL's 65,535.
const POINTERS_PER_INSERT: usize = 250;

/// The pointers with each (patient, source) once, at its last position's value: one
/// multi-row `INSERT … ON CONFLICT DO UPDATE` may not touch a row twice (PostgreSQL
/// refuses it), while a request may name a pointer twice and the later one wins.
fn last_of_each_pointer(pointers: &[Pointer]) -> Vec<&Pointer> {
    let mut last = std::collections::HashMap::with_capacity(pointers.len());
    for (i, p) in pointers.iter().enumerate() {
        last.insert((p.nhs_number.as_str(), p.source_id.as_str()), i);
    }
    pointers
        .iter()
        .enumerate()
        .filter(|(i, p)| last.get(&(p.nhs_number.as_str(), p.source_id.as_str())) == Some(i))
        .map(|(_, p)| p)
        .collect()
}

/// A store over a sqlx `Any` pool.
///
/// Writes go through `writer`: on PostgreSQL the same pool, on SQLite a pool of one
/// connection. SQLite has one write lock per database; writers on several connections
/// meet it as `SQLITE_BUSY` and retry on the busy handler's sleeps (1, 2, 5, 10 … ms),
/// which put those sleeps in front of audit commits. One writing connection makes them
/// wait their turn in the pool's queue instead, for no longer than the writes before
/// them take. Reads use `pool` (WAL readers never wait for the writer).
pub struct SqlStore {
    pool: AnyPool,
    writer: AnyPool,
    backend: Backend,
}

fn audit_row(r: &AnyRow) -> Result<AuditRow, sqlx::Error> {
    Ok(AuditRow {
        seq: r.try_get("seq")?,
        fields: AuditFields {
            at: r.try_get("at")?,
            user_id: r.try_get("user_id")?,
            user_role: r.try_get("user_role")?,
            org_ods: r.try_get("org_ods")?,
            nhs_number: r.try_get("nhs_number")?,
            context_id: r.try_get("context_id")?,
            action: r.try_get("action")?,
            outcome: r.try_get("outcome")?,
            detail: r.try_get("detail")?,
            checkpoint_seq: r.try_get("checkpoint_seq")?,
            checkpoint_hash: r.try_get("checkpoint_hash")?,
            request_id: r.try_get("request_id")?,
            client_addr: r.try_get("client_addr")?,
        },
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

fn context(r: &AnyRow) -> Result<StoredContext, sqlx::Error> {
    Ok(StoredContext {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        nhs_number: r.try_get("nhs_number")?,
        reason: r.try_get("reason")?,
        created_ms: r.try_get("created_ms")?,
        last_used_ms: r.try_get("last_used_ms")?,
    })
}

fn comment(r: &AnyRow) -> Result<Comment, sqlx::Error> {
    let source: Option<String> = r.try_get("entry_source")?;
    let entry: Option<String> = r.try_get("entry_id")?;
    Ok(Comment {
        comment: NewComment {
            id: r.try_get("id")?,
            nhs_number: r.try_get("nhs_number")?,
            entry: source.zip(entry),
            author_id: r.try_get("author_id")?,
            author_name: r.try_get("author_name")?,
            author_role: r.try_get("author_role")?,
            author_org: r.try_get("author_org")?,
            body: r.try_get("body")?,
            created_ms: r.try_get("created_ms")?,
            idempotency_key: r.try_get("idempotency_key")?,
        },
        retracted_ms: r.try_get("retracted_ms")?,
    })
}

fn grant(r: &AnyRow) -> Result<Grant, sqlx::Error> {
    Ok(Grant {
        id: r.try_get("id")?,
        context_id: r.try_get("context_id")?,
        user_id: r.try_get("user_id")?,
        nhs_number: r.try_get("nhs_number")?,
        reason: r.try_get("reason")?,
        granted_ms: r.try_get("granted_ms")?,
        expires_ms: r.try_get("expires_ms")?,
        ended_ms: r.try_get("ended_ms")?,
        reviewed_by: r.try_get("reviewed_by")?,
        reviewed_ms: r.try_get("reviewed_ms")?,
        reason_code: r.try_get("reason_code")?,
    })
}

fn rows<T>(
    rows: Vec<AnyRow>,
    f: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError> {
    rows.iter()
        .map(|r| f(r).map_err(StoreError::from))
        .collect()
}

impl SqlStore {
    /// A store over `pool`, which runs on `backend`, reading and writing through it.
    pub fn new(pool: AnyPool, backend: Backend) -> Self {
        Self {
            writer: pool.clone(),
            pool,
            backend,
        }
    }

    /// A store that reads through `pool` and writes through `writer` (SQLite's one
    /// writing connection).
    pub fn with_writer(pool: AnyPool, writer: AnyPool, backend: Backend) -> Self {
        Self {
            pool,
            writer,
            backend,
        }
    }

    /// The pool, for tools and tests.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Opens a transaction holding the audit chain's write lock.
    async fn begin_chain(&self) -> Result<Transaction<'static, Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.writer.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(CHAIN_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    async fn head(tx: &mut Transaction<'static, Any>) -> Result<(i64, String), StoreError> {
        let head: Option<(i64, String)> = sqlx::query_as(HEAD).fetch_optional(&mut **tx).await?;
        Ok(head.unwrap_or_else(|| (0, GENESIS.to_string())))
    }

    /// Chains and inserts `rows` after the current head inside `tx`: the hashes are
    /// computed first, then the rows go in with one multi-row `INSERT` per
    /// [`INSERT_CHUNK`] rows rather than one statement (one round trip) per row.
    async fn chain_in(
        tx: &mut Transaction<'static, Any>,
        rows: Vec<AuditFields>,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let (mut seq, mut prev) = Self::head(tx).await?;
        let mut out = Vec::with_capacity(rows.len());
        for fields in rows {
            seq += 1;
            let hash = row_hash(&prev, seq, &fields);
            out.push(AuditRow {
                seq,
                fields,
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            });
        }
        for chunk in out.chunks(INSERT_CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let params: Vec<String> = (1..=AUDIT_PARAMS)
                        .map(|c| format!("${}", i * AUDIT_PARAMS + c))
                        .collect();
                    format!("({})", params.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO audit ({AUDIT_COLUMNS}) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for row in chunk {
                let f = &row.fields;
                query = query
                    .bind(row.seq)
                    .bind(&f.at)
                    .bind(&f.user_id)
                    .bind(&f.user_role)
                    .bind(&f.org_ods)
                    .bind(&f.nhs_number)
                    .bind(&f.context_id)
                    .bind(&f.action)
                    .bind(&f.outcome)
                    .bind(&f.detail)
                    .bind(f.checkpoint_seq)
                    .bind(&f.checkpoint_hash)
                    .bind(&row.prev_hash)
                    .bind(&row.hash)
                    .bind(&f.request_id)
                    .bind(&f.client_addr);
            }
            query.execute(&mut **tx).await?;
        }
        Ok(out)
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn append_audit(&self, rows: Vec<AuditFields>) -> Result<Vec<AuditRow>, StoreError> {
        let mut tx = self.begin_chain().await?;
        let out = Self::chain_in(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn append_audit_anchored(
        &self,
        rows: Vec<AuditFields>,
        at: &str,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let mut tx = self.begin_chain().await?;
        let out = Self::chain_in(&mut tx, rows).await?;
        if let Some(head) = out.last() {
            sqlx::query(INSERT_ANCHOR)
                .bind(head.seq)
                .bind(&head.hash)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn audit_rows(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows(found, audit_row)
    }

    async fn audit_for_patient(
        &self,
        nhs_number: &str,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE nhs_number = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
        ))
        .bind(nhs_number)
        .bind(before_seq.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows(found, audit_row)
    }

    async fn audit_since(
        &self,
        since: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE at >= $1 AND seq > $2 ORDER BY seq LIMIT $3"
        ))
        .bind(since)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows(found, audit_row)
    }

    async fn latest_checkpoint(&self) -> Result<Option<AuditRow>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE checkpoint_seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.as_ref().map(audit_row).transpose()?)
    }

    async fn write_anchor(&self, at: &str) -> Result<Option<Anchor>, StoreError> {
        let head: Option<(i64, String)> = sqlx::query_as(HEAD).fetch_optional(&self.writer).await?;
        let Some((seq, hash)) = head else {
            return Ok(None);
        };
        sqlx::query(INSERT_ANCHOR)
            .bind(seq)
            .bind(&hash)
            .bind(at)
            .execute(&self.writer)
            .await?;
        Ok(Some(Anchor { seq, hash }))
    }

    async fn anchors(&self) -> Result<Vec<Anchor>, StoreError> {
        let found: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_anchors ORDER BY seq")
                .fetch_all(&self.pool)
                .await?;
        Ok(found
            .into_iter()
            .map(|(seq, hash)| Anchor { seq, hash })
            .collect())
    }

    async fn prune_audit(
        &self,
        before: &str,
        mut checkpoint: AuditFields,
    ) -> Result<PruneReport, StoreError> {
        let mut tx = self.begin_chain().await?;
        let (head_seq, _) = Self::head(&mut tx).await?;
        // The newest row older than `before`; the head itself is never pruned, so the
        // chain always has a row to extend.
        let last: Option<(i64, String)> = sqlx::query_as(
            "SELECT seq, hash FROM audit WHERE at < $1 AND seq < $2 ORDER BY seq DESC LIMIT 1",
        )
        .bind(before)
        .bind(head_seq)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((pruned_through, pruned_hash)) = last else {
            tx.rollback().await?;
            return Ok(PruneReport {
                pruned_through: 0,
                removed: 0,
                checkpoint: None,
            });
        };
        checkpoint.checkpoint_seq = Some(pruned_through);
        checkpoint.checkpoint_hash = Some(pruned_hash);
        let row = Self::chain_in(&mut tx, vec![checkpoint]).await?.pop();
        let removed = sqlx::query("DELETE FROM audit WHERE seq <= $1")
            .bind(pruned_through)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(PruneReport {
            pruned_through,
            removed,
            checkpoint: row,
        })
    }

    async fn create_context(&self, ctx: &StoredContext) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO contexts ({CONTEXT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(&ctx.id)
        .bind(&ctx.user_id)
        .bind(&ctx.nhs_number)
        .bind(&ctx.reason)
        .bind(ctx.created_ms)
        .bind(ctx.last_used_ms)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn touch_context(
        &self,
        id: &str,
        user: &str,
        now_ms: i64,
        idle_cutoff_ms: i64,
        refresh_before_ms: i64,
    ) -> Result<Option<StoredContext>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {CONTEXT_COLUMNS} FROM contexts
             WHERE id = $1 AND user_id = $2 AND ended_ms IS NULL AND last_used_ms >= $3"
        ))
        .bind(id)
        .bind(user)
        .bind(idle_cutoff_ms)
        .fetch_optional(&self.pool)
        .await?;
        let Some(mut ctx) = found.as_ref().map(context).transpose()? else {
            return Ok(None);
        };
        if ctx.last_used_ms < refresh_before_ms {
            sqlx::query(
                "UPDATE contexts SET last_used_ms = $1 WHERE id = $2 AND last_used_ms < $1",
            )
            .bind(now_ms)
            .bind(id)
            .execute(&self.writer)
            .await?;
            ctx.last_used_ms = now_ms;
        }
        Ok(Some(ctx))
    }

    async fn end_context(&self, id: &str, user: &str, now_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE contexts SET ended_ms = $1 WHERE id = $2 AND user_id = $3 AND ended_ms IS NULL",
        )
        .bind(now_ms)
        .bind(id)
        .bind(user)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn previous_view_ms(
        &self,
        user: &str,
        nhs_number: &str,
        except_context: &str,
    ) -> Result<Option<i64>, StoreError> {
        let (last,): (Option<i64>,) = sqlx::query_as(
            "SELECT MAX(last_used_ms) FROM contexts WHERE user_id = $1 AND nhs_number = $2 AND id <> $3",
        )
        .bind(user)
        .bind(nhs_number)
        .bind(except_context)
        .fetch_one(&self.pool)
        .await?;
        Ok(last)
    }

    async fn add_comment(&self, c: &NewComment) -> Result<Comment, StoreError> {
        let (source, entry) = c.entry.clone().unzip();
        sqlx::query(&format!(
            "INSERT INTO comments ({COMMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)
             ON CONFLICT (author_id, idempotency_key) DO NOTHING"
        ))
        .bind(&c.id)
        .bind(&c.nhs_number)
        .bind(source)
        .bind(entry)
        .bind(&c.author_id)
        .bind(&c.author_name)
        .bind(&c.author_role)
        .bind(&c.author_org)
        .bind(&c.body)
        .bind(c.created_ms)
        .bind(&c.idempotency_key)
        .execute(&self.writer)
        .await?;
        let stored = sqlx::query(&format!(
            "SELECT {COMMENT_COLUMNS} FROM comments WHERE author_id = $1 AND idempotency_key = $2"
        ))
        .bind(&c.author_id)
        .bind(&c.idempotency_key)
        .fetch_one(&self.pool)
        .await?;
        Ok(comment(&stored)?)
    }

    async fn comment_by_key(
        &self,
        author_id: &str,
        idempotency_key: &str,
    ) -> Result<Option<Comment>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {COMMENT_COLUMNS} FROM comments WHERE author_id = $1 AND idempotency_key = $2"
        ))
        .bind(author_id)
        .bind(idempotency_key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.as_ref().map(comment).transpose()?)
    }

    async fn comments_by_author_since(
        &self,
        author_id: &str,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM comments WHERE author_id = $1 AND created_ms >= $2",
        )
        .bind(author_id)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(count)
    }

    async fn comments_for(&self, nhs_number: &str) -> Result<Vec<Comment>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {COMMENT_COLUMNS} FROM comments WHERE nhs_number = $1 ORDER BY created_ms, id"
        ))
        .bind(nhs_number)
        .fetch_all(&self.pool)
        .await?;
        rows(found, comment)
    }

    async fn retract_comment(
        &self,
        id: &str,
        author_id: &str,
        nhs_number: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE comments SET retracted_ms = $1
             WHERE id = $2 AND author_id = $3 AND nhs_number = $4 AND retracted_ms IS NULL",
        )
        .bind(now_ms)
        .bind(id)
        .bind(author_id)
        .bind(nhs_number)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn put_pointers(&self, pointers: &[Pointer]) -> Result<(), StoreError> {
        // One statement per chunk of rows rather than one per row: a source's bulk
        // publish of 10,000 pointers is then 40 round trips, not 10,000.
        let pointers = last_of_each_pointer(pointers);
        let mut tx = self.writer.begin().await?;
        for chunk in pointers.chunks(POINTERS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO locator_pointers (nhs_number, source_id, updated_ms) VALUES ",
            );
            for i in 0..chunk.len() {
                let n = i * 3;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("(${}, ${}, ${})", n + 1, n + 2, n + 3));
            }
            sql.push_str(
                " ON CONFLICT (nhs_number, source_id) DO UPDATE SET updated_ms = excluded.updated_ms",
            );
            let mut query = sqlx::query(&sql);
            for p in chunk {
                query = query
                    .bind(&p.nhs_number)
                    .bind(&p.source_id)
                    .bind(p.updated_ms);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_pointers(
        &self,
        source_id: &str,
        nhs_numbers: &[String],
    ) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut removed = 0;
        for nhs in nhs_numbers {
            removed += sqlx::query(
                "DELETE FROM locator_pointers WHERE source_id = $1 AND nhs_number = $2",
            )
            .bind(source_id)
            .bind(nhs)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(removed)
    }

    async fn pointers_for(&self, nhs_number: &str) -> Result<Vec<Pointer>, StoreError> {
        let found: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT nhs_number, source_id, updated_ms FROM locator_pointers WHERE nhs_number = $1 ORDER BY source_id",
        )
        .bind(nhs_number)
        .fetch_all(&self.pool)
        .await?;
        Ok(found
            .into_iter()
            .map(|(nhs_number, source_id, updated_ms)| Pointer {
                nhs_number,
                source_id,
                updated_ms,
            })
            .collect())
    }

    async fn set_dissent(&self, d: &Dissent) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dissent (nhs_number, recorded_by, reason, recorded_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (nhs_number) DO UPDATE SET recorded_by = excluded.recorded_by,
                 reason = excluded.reason, recorded_ms = excluded.recorded_ms",
        )
        .bind(&d.nhs_number)
        .bind(&d.recorded_by)
        .bind(&d.reason)
        .bind(d.recorded_ms)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn lift_dissent(&self, nhs_number: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM dissent WHERE nhs_number = $1")
            .bind(nhs_number)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn dissent(&self, nhs_number: &str) -> Result<Option<Dissent>, StoreError> {
        let found: Option<(String, String, Option<String>, i64)> =
            sqlx::query_as("SELECT nhs_number, recorded_by, reason, recorded_ms FROM dissent WHERE nhs_number = $1")
                .bind(nhs_number)
                .fetch_optional(&self.pool)
                .await?;
        Ok(
            found.map(|(nhs_number, recorded_by, reason, recorded_ms)| Dissent {
                nhs_number,
                recorded_by,
                reason,
                recorded_ms,
            }),
        )
    }

    async fn grant_break_glass(&self, g: &Grant) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO break_glass ({GRANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&g.id)
        .bind(&g.context_id)
        .bind(&g.user_id)
        .bind(&g.nhs_number)
        .bind(&g.reason)
        .bind(g.granted_ms)
        .bind(g.expires_ms)
        .bind(g.ended_ms)
        .bind(&g.reviewed_by)
        .bind(g.reviewed_ms)
        .bind(&g.reason_code)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn active_grant(
        &self,
        context_id: &str,
        now_ms: i64,
    ) -> Result<Option<Grant>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS} FROM break_glass
             WHERE context_id = $1 AND ended_ms IS NULL AND expires_ms > $2 ORDER BY granted_ms DESC LIMIT 1"
        ))
        .bind(context_id)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.as_ref().map(grant).transpose()?)
    }

    async fn end_grants(&self, context_id: &str, now_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE break_glass SET ended_ms = $1 WHERE context_id = $2 AND ended_ms IS NULL AND expires_ms > $1",
        )
        .bind(now_ms)
        .bind(context_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    async fn grants_to_review(&self) -> Result<Vec<Grant>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS} FROM break_glass WHERE reviewed_by IS NULL ORDER BY granted_ms, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows(found, grant)
    }

    async fn review_grant(
        &self,
        id: &str,
        reviewer: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE break_glass SET reviewed_by = $1, reviewed_ms = $2 WHERE id = $3 AND reviewed_by IS NULL")
            .bind(reviewer)
            .bind(now_ms)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
