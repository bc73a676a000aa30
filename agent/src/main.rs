//! `monihub-agent run | check`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use monihub_agent::check::Finding;
use monihub_agent::config::{Config, DEFAULT_FILE};
use monihub_agent::logs::LogBuffer;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[derive(Parser)]
#[command(name = "monihub-agent", version, about)]
struct Cli {
    /// The configuration file (TOML); `MONIHUB_AGENT_*` variables override it. The agent token
    /// comes from `MONIHUB_AGENT_TOKEN` or the file's `token_file`, never from the command line.
    #[arg(long, short, global = true, env = "MONIHUB_AGENT_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Report and run tasks until stopped (SIGTERM or Ctrl-C).
    Run,
    /// Check the configuration and reach the server once.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Without --config the default file is optional: variables alone can configure the agent.
    let (file, required) = match &cli.config {
        Some(file) => (file.clone(), true),
        None => (PathBuf::from(DEFAULT_FILE), false),
    };
    let config = match Config::load(&file, required) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("monihub-agent: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("monihub-agent: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Check => {
            let findings = runtime.block_on(monihub_agent::check::check(config));
            let mut ok = true;
            for finding in findings {
                match finding {
                    Finding::Ok(text) => println!("ok       {text}"),
                    Finding::Problem(text) => {
                        ok = false;
                        println!("PROBLEM  {text}");
                    }
                }
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Run => {
            let logs = LogBuffer::new(config.logs.buffer);
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            tracing_subscriber::registry()
                .with(tracing_subscriber::fmt::layer().with_filter(filter))
                .with(logs.clone())
                .init();
            match runtime.block_on(run(config, logs)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn run(config: Config, logs: LogBuffer) -> anyhow::Result<()> {
    let id =
        monihub_agent::identity::instance_id(&config.state_dir, config.instance_id.as_deref())?;
    tracing::info!(instance = %id, server = %config.server_url, "agent starting");
    let agent = monihub_agent::agent::Agent::new(Arc::new(config), logs, id)?;
    agent.run(terminated()).await;
    tracing::info!("agent stopped");
    Ok(())
}

/// SIGTERM (systemd, Kubernetes) or SIGINT (a terminal).
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
