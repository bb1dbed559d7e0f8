//! The embedded SQLite backend: a WAL-mode file in the data directory, created on first
//! run, `synchronous = FULL` so a committed audit row survives power loss.

use std::path::Path;

use sqlx::Executor;
use sqlx::migrate::Migrator;

use super::sql::SqlStore;
use super::{Backend, StoreError};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "mcr.sqlite";

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

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
    let pool = super::sql::pool_options()
        .max_connections(4)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .map_err(|e| {
            StoreError::Setup(format!(
                "cannot open the database in {}: {e}",
                data_dir.display()
            ))
        })?;
    super::migrate::migrate(&MIGRATOR, &pool).await?;
    Ok(SqlStore::new(pool, Backend::Sqlite))
}
