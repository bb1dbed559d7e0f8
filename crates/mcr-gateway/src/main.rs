//! `mcr-gateway`: configuration → telemetry → application → serve until Ctrl-C; or an
//! operations command (`audit verify|export|prune`, `db migrate|grant`).

use clap::Parser;
use mcr_gateway::cli::{self, Cli};
use mcr_gateway::startup::Application;

/// mimalloc: many small, short-lived allocations per view (JSON trees) across threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let prompt = mcr_gateway::memory::return_freed_memory_promptly();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if !prompt {
        tracing::info!("the allocator's purge options were left as configured");
    }
    let args = Cli::parse();
    if let Some(command) = args.command {
        let code = cli::run(command).await?;
        std::process::exit(code);
    }
    let app = Application::build(args.serve).await?;
    // The first stdout line is read by `cargo xtask` to find the port.
    println!("mcr-gateway listening on {}", app.base_url());
    app.run_until(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
