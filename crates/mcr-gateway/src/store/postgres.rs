//! The PostgreSQL backend, for many gateway replicas sharing one database.
//!
//! The gateway connects as its own role, which (after `mcr-gateway db grant`) may only
//! insert and read audit rows; migrations are applied by the role that owns the schema
//! (`--migrate-database-url`, or the gateway's own URL when it owns the schema).

use std::time::Duration;

use sqlx::AnyPool;
use sqlx::migrate::Migrator;

use super::sql::SqlStore;
use super::{Backend, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

async fn connect(url: &str, max: u32) -> Result<AnyPool, StoreError> {
    super::sql::pool_options()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .map_err(|e| StoreError::Setup(format!("cannot connect to PostgreSQL: {e}")))
}

/// Opens a pooled store at `url`, applying migrations if the schema is behind.
pub async fn open(url: &str) -> Result<SqlStore, StoreError> {
    let pool = connect(url, 16).await?;
    super::migrate::migrate(&MIGRATOR, &pool).await?;
    Ok(SqlStore::new(pool, Backend::Postgres))
}

/// Applies migrations with an owner's connection (`mcr-gateway db migrate`).
pub async fn migrate_as_owner(url: &str) -> Result<(), StoreError> {
    sqlx::any::install_default_drivers();
    let pool = connect(url, 2).await?;
    super::migrate::migrate(&MIGRATOR, &pool).await?;
    pool.close().await;
    Ok(())
}

/// Grants the gateway's role what it needs — insert-only on audit tables — and, if
/// given, the prune role the right to remove audit rows covered by a checkpoint.
pub async fn grant(
    owner_url: &str,
    gateway_role: &str,
    prune_role: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::any::install_default_drivers();
    let valid = |r: &str| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid(gateway_role) || !prune_role.is_none_or(valid) {
        return Err(StoreError::Setup(
            "role names may contain only letters, digits and _".into(),
        ));
    }
    let pool = connect(owner_url, 1).await?;
    let mut statements = vec![
        format!("GRANT USAGE ON SCHEMA public TO {gateway_role}"),
        format!("GRANT SELECT ON _sqlx_migrations TO {gateway_role}"),
        format!("GRANT SELECT, INSERT ON audit, audit_anchors TO {gateway_role}"),
        format!(
            "GRANT SELECT, INSERT, UPDATE ON contexts, comments, break_glass TO {gateway_role}"
        ),
        format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON locator_pointers, dissent TO {gateway_role}"
        ),
    ];
    if let Some(p) = prune_role {
        statements.push(format!("GRANT USAGE ON SCHEMA public TO {p}"));
        statements.push(format!("GRANT SELECT ON _sqlx_migrations TO {p}"));
        statements.push(format!("GRANT SELECT, INSERT, DELETE ON audit TO {p}"));
        statements.push(format!("GRANT SELECT, INSERT ON audit_anchors TO {p}"));
    }
    for s in statements {
        sqlx::query(&s).execute(&pool).await?;
    }
    pool.close().await;
    Ok(())
}
