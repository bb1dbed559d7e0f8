//! `mcr-sim`: runs the simulated GP practice on a loopback port and prints its URL.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::Parser;

/// Command-line options.
#[derive(Parser)]
#[command(about = "Simulated GP Connect practice serving a synthetic population")]
struct Args {
    /// Port on 127.0.0.1 (0 lets the OS choose).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Number of synthetic patients.
    #[arg(long, default_value_t = mcr_sim::population::DEFAULT_SIZE)]
    patients: usize,
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
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), args.port);
    let sim = mcr_sim::spawn(addr, args.patients).await?;
    // The first stdout line is read by `cargo xtask` to find the port.
    println!("mcr-sim gp-connect {}", sim.gp_base_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
