//! `mcr-sim`: runs the simulated sources on a loopback port and prints their endpoints,
//! one per line, the demo patient's GP practice first:
//!
//! ```text
//! mcr-sim gp-connect http://127.0.0.1:PORT/Y90001/STU3/1/gpconnect/structured/fhir
//! mcr-sim endpoint gp-connect Y90002 http://…
//! mcr-sim endpoint fhir-r4 RR8 http://127.0.0.1:PORT/r4/RR8
//! mcr-sim endpoint pds pds http://127.0.0.1:PORT/pds/FHIR/R4
//! mcr-sim example deceased 999…
//! mcr-sim ready
//! ```
//!
//! `mcr-sim serve --config sim.toml` reads a configuration file; `mcr-sim --port 0
//! --seed 1 --patients 100000` works without one. Stops cleanly on Ctrl-C or SIGTERM.

use std::path::PathBuf;

// Responses are built as serde_json trees: dozens of small allocations per resource,
// where mimalloc is markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use mcr_sim::SimConfig;

/// Command-line options.
#[derive(Parser)]
#[command(
    about = "Simulated GP Connect practices, FHIR R4 providers and PDS serving a synthetic population"
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Port on 127.0.0.1 (0 lets the OS choose).
    #[arg(long, global = true)]
    port: Option<u16>,
    /// Population seed.
    #[arg(long, global = true)]
    seed: Option<u64>,
    /// Number of synthetic patients (at most 2,000,000).
    #[arg(long, global = true)]
    patients: Option<usize>,
    /// Number of GP practices.
    #[arg(long, global = true)]
    practices: Option<usize>,
    /// Write the gateway's source registry (TOML) for this region to this file.
    #[arg(long, global = true)]
    registry_out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve, optionally from a configuration file (flags override it).
    Serve {
        /// A TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Write one example of every kind of response to a folder (for FHIR validators).
    Samples {
        /// The folder to write into.
        #[arg(long)]
        out: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut config = match &args.command {
        Some(Command::Serve { config: Some(path) }) => {
            SimConfig::from_toml(&std::fs::read_to_string(path)?)?
        }
        _ => SimConfig::default(),
    };
    if let Some(port) = args.port {
        config.port = port;
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    if let Some(patients) = args.patients {
        config.patients = patients;
    }
    if let Some(practices) = args.practices {
        config.practices = practices;
    }
    if let Some(Command::Samples { out }) = &args.command {
        let population = mcr_sim::population::Population::with_seed(
            config.patients,
            config.seed,
            config.practices,
        );
        let n = mcr_sim::samples::write_samples(&population, out)?;
        println!("mcr-sim wrote {n} samples to {}", out.display());
        return Ok(());
    }
    if config.patients > mcr_sim::population::MAX_SIZE {
        anyhow::bail!("at most {} patients", mcr_sim::population::MAX_SIZE);
    }
    let sim = mcr_sim::start(config).await?;
    if let Some(path) = &args.registry_out {
        std::fs::write(path, mcr_sim::gateway_registry::registry_toml(&sim, 8_000))?;
    }
    // The first stdout line is read by `cargo xtask` to find the demo practice.
    println!("mcr-sim gp-connect {}", sim.gp_base_url());
    for e in sim.endpoints().iter().skip(1) {
        println!("mcr-sim endpoint {} {} {}", e.kind, e.id, e.url);
    }
    if let serde_json::Value::Object(examples) = mcr_sim::control::examples(&sim.state) {
        for (case, v) in examples {
            println!(
                "mcr-sim example {case} {}",
                v["nhs_number"].as_str().unwrap_or_default()
            );
        }
    }
    println!("mcr-sim ready");
    shutdown_signal().await;
    sim.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
