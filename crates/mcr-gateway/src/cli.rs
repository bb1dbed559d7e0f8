//! The command line: `mcr-gateway [serve flags]` runs the gateway; `mcr-gateway audit
//! verify|export|prune|report`, `mcr-gateway dev-token` and `mcr-gateway db migrate|grant` are operations tools that
//! work on the same store.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::audit::export::{Format, line};
use crate::audit::report;
use crate::audit::verify::{VerifyError, verify};
use crate::config::Config;
use crate::store::{self, AuditFields, Location};
use crate::time_fmt::parse_to_audit;

/// `mcr-gateway`.
#[derive(Debug, Parser)]
#[command(
    name = "mcr-gateway",
    about = "My Care Record gateway",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// An operations command; without one, the gateway serves.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Serve flags.
    #[command(flatten)]
    pub serve: Config,
}

/// Where an operations command finds the store.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// SQLite data directory (when no database URL is given).
    #[arg(long, env = "MCR_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// PostgreSQL URL.
    #[arg(long, env = "MCR_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl StoreArgs {
    fn location(&self) -> Location<'_> {
        match &self.database_url {
            Some(url) => Location::Postgres(url),
            None => Location::DataDir(&self.data_dir),
        }
    }
}

/// Operations commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The audit log.
    Audit {
        /// What to do.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Demo mode: prints a signed token for a demo user from a running gateway's demo
    /// identity provider, for trying the API with curl.
    DevToken {
        /// The running gateway (demo mode).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        gateway: String,
        /// Demo user: ae-doctor, ward-nurse, gp, privacy-officer, social-worker, patient.
        #[arg(long)]
        user: String,
        /// Launch in this patient's context (ten digits).
        #[arg(long)]
        patient: Option<String>,
    },
    /// Database administration (PostgreSQL).
    Db {
        /// What to do.
        #[command(subcommand)]
        command: DbCommand,
    },
}

/// This machine's host name (Linux), or `mcr-gateway` when it cannot be read.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "mcr-gateway".into())
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// The stored rows, one JSON object per line.
    Ndjson,
    /// FHIR R4 AuditEvent, one per line.
    Fhir,
}

/// `mcr-gateway audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Checks the whole hash chain and its anchors; names the first bad sequence number.
    Verify(StoreArgs),
    /// Writes audit rows at or after a time to stdout.
    Export {
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
        /// RFC 3339 time, e.g. 2026-01-01T00:00:00Z.
        #[arg(long)]
        since: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "ndjson")]
        format: ExportFormat,
        /// The gateway's host name, recorded as the server and observer of FHIR
        /// AuditEvents; this machine's host name if not given.
        #[arg(long)]
        server: Option<String>,
    },
    /// Flags patterns a privacy officer should look at: records opened by search, many
    /// patients per user per hour, a user sharing the patient's surname, break-glass use.
    Report {
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
        /// RFC 3339 time; only rows recorded at or after it.
        #[arg(long, default_value = "1970-01-01T00:00:00Z")]
        since: String,
        /// Flag more than this many distinct patients viewed by one user in an hour.
        #[arg(long, default_value_t = 20)]
        patients_per_hour: usize,
        /// One JSON object per flag instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Removes rows older than a time, appending a checkpoint to the chain. Run with the
    /// prune role's database URL (the gateway's own role cannot delete audit rows).
    Prune {
        /// Store location.
        #[command(flatten)]
        store: StoreArgs,
        /// RFC 3339 time; rows recorded before it are removed.
        #[arg(long)]
        before: String,
        /// Who is pruning (recorded in the checkpoint row).
        #[arg(long, default_value = "mcr-gateway audit prune")]
        by: String,
    },
}

/// `mcr-gateway db …`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Applies migrations, connecting as the schema owner.
    Migrate {
        /// Owner's PostgreSQL URL.
        #[arg(long, env = "MCR_DATABASE_URL")]
        database_url: String,
    },
    /// Grants the gateway's role insert-only audit access (and the prune role delete).
    Grant {
        /// Owner's PostgreSQL URL.
        #[arg(long, env = "MCR_DATABASE_URL")]
        database_url: String,
        /// The role the gateway connects as.
        #[arg(long)]
        gateway_role: String,
        /// The role `audit prune` connects as.
        #[arg(long)]
        prune_role: Option<String>,
    },
}

/// Runs an operations command; returns the process exit code.
pub async fn run(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Audit {
            command: AuditCommand::Verify(args),
        } => {
            let store = store::open(args.location()).await?;
            match verify(store.as_ref()).await {
                Ok(v) => {
                    println!(
                        "audit chain intact: sequences {}..={} ({} rows, {} anchors checked)",
                        v.first_seq, v.last_seq, v.rows, v.anchors
                    );
                    Ok(0)
                }
                Err(VerifyError::Broken(b)) => {
                    println!(
                        "AUDIT CHAIN BROKEN: first bad sequence number {}: {}",
                        b.seq, b.reason
                    );
                    Ok(1)
                }
                Err(VerifyError::Store(e)) => Err(e.into()),
            }
        }
        Command::Audit {
            command:
                AuditCommand::Export {
                    store: args,
                    since,
                    format,
                    server,
                },
        } => {
            let server = server.unwrap_or_else(host_name);
            let since = parse_to_audit(&since).map_err(anyhow::Error::msg)?;
            let store = store::open(args.location()).await?;
            let format = match format {
                ExportFormat::Ndjson => Format::Ndjson,
                ExportFormat::Fhir => Format::Fhir,
            };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut after = 0;
            loop {
                let rows = store.audit_since(&since, after, 5_000).await?;
                let Some(last) = rows.last() else { break };
                after = last.seq;
                for row in &rows {
                    writeln!(out, "{}", line(row, format, &server))?;
                }
            }
            out.flush()?;
            Ok(0)
        }
        Command::Audit {
            command:
                AuditCommand::Report {
                    store: args,
                    since,
                    patients_per_hour,
                    json,
                },
        } => {
            let since = parse_to_audit(&since).map_err(anyhow::Error::msg)?;
            let store = store::open(args.location()).await?;
            let mut rows = vec![];
            let mut after = 0;
            loop {
                let page = store.audit_since(&since, after, 5_000).await?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                rows.extend(page);
            }
            let flags = report::flags(&rows, report::Thresholds { patients_per_hour });
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if json {
                for flag in &flags {
                    writeln!(out, "{}", serde_json::to_string(flag)?)?;
                }
            } else if flags.is_empty() {
                writeln!(out, "no patterns to review in {} audit rows", rows.len())?;
            } else {
                writeln!(
                    out,
                    "{:<26} {:<24} {:>6}  first/hour",
                    "pattern", "user", "count"
                )?;
                for f in &flags {
                    writeln!(
                        out,
                        "{:<26} {:<24} {:>6}  {}",
                        f.pattern, f.user_id, f.count, f.at
                    )?;
                }
            }
            out.flush()?;
            Ok(0)
        }
        Command::Audit {
            command:
                AuditCommand::Prune {
                    store: args,
                    before,
                    by,
                },
        } => {
            let before = parse_to_audit(&before).map_err(anyhow::Error::msg)?;
            let store = store::open(args.location()).await?;
            let checkpoint = AuditFields::event(
                by,
                "audit.prune",
                "allowed",
                Some(format!("rows recorded before {before} removed")),
            );
            let report = store.prune_audit(&before, checkpoint).await?;
            match report.checkpoint {
                Some(cp) => println!(
                    "pruned {} rows through sequence {}; checkpoint appended at sequence {}",
                    report.removed, report.pruned_through, cp.seq
                ),
                None => println!("nothing recorded before {before}; nothing pruned"),
            }
            Ok(0)
        }
        Command::DevToken {
            gateway,
            user,
            patient,
        } => {
            let response = reqwest::Client::new()
                .post(format!("{}/demo/token", gateway.trim_end_matches('/')))
                .json(&serde_json::json!({"user": user, "nhs_number": patient}))
                .send()
                .await?;
            let status = response.status();
            let body: serde_json::Value = response.json().await?;
            match body["access_token"].as_str() {
                Some(token) if status.is_success() => {
                    println!("{token}");
                    Ok(0)
                }
                _ => {
                    eprintln!(
                        "no token ({status}): {}",
                        body["message"]
                            .as_str()
                            .unwrap_or("is the gateway running in demo mode?")
                    );
                    Ok(1)
                }
            }
        }
        Command::Db {
            command: DbCommand::Migrate { database_url },
        } => {
            store::postgres::migrate_as_owner(&database_url).await?;
            println!("migrations applied");
            Ok(0)
        }
        Command::Db {
            command:
                DbCommand::Grant {
                    database_url,
                    gateway_role,
                    prune_role,
                },
        } => {
            store::postgres::grant(&database_url, &gateway_role, prune_role.as_deref()).await?;
            println!("granted");
            Ok(0)
        }
    }
}
