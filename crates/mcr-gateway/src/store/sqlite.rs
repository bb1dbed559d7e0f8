//! The embedded SQLite backend: a WAL-mode file in the data directory, created on first
//! run, `synchronous = FULL` so a committed audit row survives power loss; one
//! connection writes, a few read, and the WAL is checkpointed off the write path.

use std::path::Path;

use sqlx::Executor;
use sqlx::migrate::Migrator;

use super::sql::SqlStore;
use super::{Backend, StoreError};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "mcr.sqlite";

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Connections for reads (WAL readers do not wait for the writer); writes have one
/// connection of their own (see [`SqlStore`]).
const READERS: u32 = 4;
/// How often the WAL is copied into the database off the write path.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// WAL pages (4 KiB) after which the writing connection checkpoints at a commit itself,
/// should the periodic checkpoint not keep up (SQLite's default is 1,000).
const BACKSTOP_PAGES: u32 = 16_000;

/// Opens (creating if needed) the database in `data_dir` and applies migrations.
pub async fn open(data_dir: &Path) -> Result<SqlStore, StoreError> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        StoreError::Setup(format!(
            "cannot create the data directory {}: {e}",
            data_dir.display()
        ))
    })?;
    let probe = data_dir.join(".mcr-write-test");
    std::fs::write(&probe, b"").map_err(|e| {
        StoreError::Setup(format!(
            "the data directory {} is not writable: {e}",
            data_dir.display()
        ))
    })?;
    let _ = std::fs::remove_file(&probe);
    let url = format!("sqlite://{}?mode=rwc", data_dir.join(DB_FILE).display());
    let cannot_open = |e: sqlx::Error| {
        StoreError::Setup(format!(
            "cannot open the database in {}: {e}",
            data_dir.display()
        ))
    };
    let pool = super::sql::pool_options()
        .max_connections(READERS)
        .after_connect(|conn, _| Box::pin(async move { configure(conn, false).await }))
        .connect(&url)
        .await
        .map_err(cannot_open)?;
    super::migrate::migrate(&MIGRATOR, &pool).await?;
    let writer = super::sql::pool_options()
        .max_connections(1)
        .after_connect(|conn, _| Box::pin(async move { configure(conn, true).await }))
        .connect(&url)
        .await
        .map_err(cannot_open)?;
    tokio::spawn(checkpoint_now_and_then(pool.clone()));
    Ok(SqlStore::with_writer(pool, writer, Backend::Sqlite))
}

/// Sets a connection up: WAL, `synchronous = FULL` (a committed row survives power
/// loss), a busy timeout for other processes (the CLI), foreign keys. The writing
/// connection checkpoints the WAL itself only as a backstop, at [`BACKSTOP_PAGES`]:
/// a checkpoint copies the WAL into the database and syncs it, and done at a commit it
/// would hold back every audit row waiting behind that commit;
/// [`checkpoint_now_and_then`] does it on a reading connection instead.
async fn configure(conn: &mut sqlx::AnyConnection, writer: bool) -> Result<(), sqlx::Error> {
    conn.execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
    )
    .await?;
    if writer {
        conn.execute(format!("PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES};").as_str())
            .await?;
    }
    Ok(())
}

/// Copies the WAL into the database every [`CHECKPOINT_EVERY`], without waiting for
/// writers or readers (`PASSIVE`), until the pool closes.
async fn checkpoint_now_and_then(pool: sqlx::AnyPool) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !pool.is_closed() {
        every.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
            && !pool.is_closed()
        {
            tracing::warn!(error = %e, "could not checkpoint the database's WAL");
        }
    }
}
