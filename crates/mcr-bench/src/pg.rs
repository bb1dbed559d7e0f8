//! A throwaway PostgreSQL database for one benchmark run (the local test server, or
//! `MCR_TEST_DATABASE_URL`), dropped afterwards.

use sqlx::Connection;

/// A fresh database; dropped with [`BenchDb::drop_now`].
pub struct BenchDb {
    /// URL of the new database (as the admin user, who owns it).
    pub url: String,
    admin: String,
    name: String,
}

impl BenchDb {
    /// Creates a database, or `None` (with a message) if the server is unreachable.
    pub async fn create() -> Option<Self> {
        let admin = std::env::var("MCR_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!(
                    "PostgreSQL unreachable at {admin} ({e}): PostgreSQL figures not measured"
                );
                return None;
            }
        };
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).ok()?;
        let name = format!(
            "mcr_bench_{}",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        );
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .ok()?;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Some(Self {
            url: format!("{base}/{name}"),
            admin,
            name,
        })
    }

    /// Drops the database.
    pub async fn drop_now(self) {
        if let Ok(mut c) = sqlx::PgConnection::connect(&self.admin).await {
            let _ = sqlx::raw_sql(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut c)
            .await;
        }
    }
}
