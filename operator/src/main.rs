//! `monihub-operator`: the controller, and tools around its resource.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use monihub_operator::controller::Settings;
use monihub_operator::leader::LeaseSettings;
use monihub_operator::metrics::{self, Metrics};

#[derive(Parser)]
#[command(name = "monihub-operator", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Json,
    Text,
}

#[derive(Subcommand)]
enum Command {
    /// Run the controller (in-cluster, or with the current kubeconfig).
    Run {
        /// Namespaces to watch (comma-separated); all namespaces when empty.
        #[arg(long, env = "MONIHUB_WATCH_NAMESPACES", value_delimiter = ',')]
        watch_namespaces: Vec<String>,
        /// Address of `/metrics`, `/healthz` and `/readyz`.
        #[arg(
            long,
            env = "MONIHUB_OPERATOR_METRICS_BIND",
            default_value = "0.0.0.0:8080"
        )]
        metrics_bind: SocketAddr,
        /// Elect a leader among replicas (a Lease in `--lease-namespace`).
        #[arg(long, env = "MONIHUB_OPERATOR_LEADER_ELECT", default_value_t = true, action = clap::ArgAction::Set)]
        leader_elect: bool,
        /// Namespace of the leader Lease (the operator's own).
        #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
        lease_namespace: String,
        /// This replica's identity in the election.
        #[arg(long, env = "POD_NAME")]
        identity: Option<String>,
        #[arg(long, env = "MONIHUB_OPERATOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
        log_format: LogFormat,
    },
    /// Print the MoniHub CustomResourceDefinition (YAML).
    Crd,
    /// Print the manifests the operator would apply for the MoniHub resources in a file, from the
    /// same code the controller runs. Generated secret values and the resource's uid, which
    /// only the cluster knows, are shown as placeholders.
    Render {
        /// The file with one or more MoniHub resources (`-` reads standard input).
        #[arg(short = 'f', long = "filename")]
        file: PathBuf,
        /// Namespace for resources that name none.
        #[arg(short, long, default_value = "default")]
        namespace: String,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crd => print!("{}", monihub_operator::crd_yaml()?),
        Command::Render { file, namespace } => {
            let text = if file.as_os_str() == "-" {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                text
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("failed to read {}", file.display()))?
            };
            print!("{}", monihub_operator::render::render(&text, &namespace)?);
        }
        Command::Run {
            watch_namespaces,
            metrics_bind,
            leader_elect,
            lease_namespace,
            identity,
            log_format,
        } => {
            init_tracing(log_format);
            let identity = identity.unwrap_or_else(|| {
                std::env::var("HOSTNAME").unwrap_or_else(|_| "monihub-operator".into())
            });
            let settings = Settings {
                namespaces: watch_namespaces
                    .into_iter()
                    .filter(|n| !n.is_empty())
                    .collect(),
                ..Settings::default()
            };
            let options = monihub_operator::Options {
                settings,
                leader: leader_elect.then(|| LeaseSettings::new(&lease_namespace, &identity)),
            };
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?
                .block_on(serve(options, metrics_bind))?;
        }
    }
    Ok(())
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// How long a graceful shutdown may take before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

async fn serve(options: monihub_operator::Options, metrics_bind: SocketAddr) -> anyhow::Result<()> {
    let client = kube::Client::try_default()
        .await
        .context("failed to configure the Kubernetes client (in-cluster or kubeconfig)")?;
    let metrics = Arc::new(Metrics::default());
    let listener = metrics::bind(metrics_bind).await?;
    tokio::spawn(metrics::serve(listener, metrics.clone()));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stop_rx.await;
    };
    let run = monihub_operator::run(client, options, metrics, shutdown);
    tokio::pin!(run);
    tokio::select! {
        result = &mut run => return result.map(|_| ()),
        () = terminated() => tracing::info!("shutting down"),
    }
    let _ = stop_tx.send(());
    match tokio::time::timeout(SHUTDOWN_GRACE, run).await {
        Ok(result) => result.map(|_| ()),
        Err(_) => {
            tracing::warn!("graceful shutdown took too long; exiting");
            Ok(())
        }
    }
}

/// SIGTERM (Kubernetes) or SIGINT (a terminal).
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
