//! Applying migrations, the same way on both engines: a schema migrated by a newer
//! gateway, or by migrations that differ from this version's, is refused with a clear
//! message; a fully migrated schema is left untouched.

use std::collections::BTreeMap;

use sqlx::AnyPool;
use sqlx::migrate::{MigrateError, Migrator};

use super::StoreError;

/// Refuses a schema migrated by a newer gateway, or by migrations that differ from this
/// version's (same number, different content); applies any migration not yet applied.
///
/// A fully migrated schema is left untouched, so a gateway role without DDL rights can
/// start against a database its owner migrated.
pub async fn migrate(migrator: &Migrator, pool: &AnyPool) -> Result<(), StoreError> {
    let known: BTreeMap<i64, &[u8]> = migrator
        .iter()
        .map(|m| (m.version, m.checksum.as_ref()))
        .collect();
    let applied: Option<Vec<(i64, Vec<u8>)>> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_all(pool)
            .await
            .ok();
    if let Some(applied) = &applied {
        for (version, checksum) in applied {
            match known.get(version) {
                None => return Err(StoreError::NewerSchema(*version)),
                Some(ours) if *ours != checksum.as_slice() => {
                    return Err(StoreError::Setup(format!(
                        "the database's migration {version} differs from this version's; it was made by a different build of mcr-gateway"
                    )));
                }
                Some(_) => {}
            }
        }
        if applied.len() == known.len() {
            return Ok(());
        }
    }
    migrator.run(pool).await.map_err(|e| match e {
        MigrateError::VersionMissing(v) => StoreError::NewerSchema(v),
        other => StoreError::Setup(format!("cannot apply database migrations: {other}")),
    })
}
