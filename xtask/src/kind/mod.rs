//! `cargo xtask kind image|up|down|e2e`: MoniHub on a local kind cluster with real containers.
//!
//! `up` creates the cluster from `kind-config.yaml`, builds and loads MoniHub's images, installs
//! the operator chart, applies an example, waits for `Ready` and prints the console's URL. Where
//! no registry answers, the cluster runs on a node image assembled here from Debian's packages
//! and Go modules (`image`); `e2e` is CI's whole-stack test on that cluster.

mod cluster;
mod coredns;
mod e2e;
mod node;

use std::path::PathBuf;

use crate::util::cache_dir;

pub use cluster::UpArgs;

/// The cluster's name (its node container is `monihub-control-plane`).
pub const CLUSTER: &str = "monihub";
/// Namespace of the operator's release.
pub const OPERATOR_NAMESPACE: &str = "monihub-system";

#[derive(clap::Subcommand)]
pub enum Command {
    /// Build the offline node image (Kubernetes from Go modules, Debian's containerd), cached.
    Image,
    /// Create the cluster, build and load the images, install the chart, apply an example, wait
    /// for Ready and print the console's URL.
    Up(UpArgs),
    /// Delete the cluster.
    Down,
    /// The whole-stack test CI runs: up with the production-like example, then upgrades, a
    /// failing migration, database and operator pod deletion, and deletion of the MoniHub.
    E2e,
}

pub fn dispatch(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Image => {
            let engine = crate::docker::Engine::connect()?;
            crate::images::ensure_bases(&engine)?;
            node::build(&engine).map(drop)
        }
        Command::Up(args) => cluster::up(args).map(drop),
        Command::Down => cluster::down(),
        Command::E2e => e2e::run(),
    }
}

/// The whole-stack test (`kind e2e`), for `cargo xtask ci`.
pub fn e2e() -> anyhow::Result<()> {
    e2e::run()
}

/// What `bench kind` reports.
pub struct Measured {
    /// Seconds from `kubectl apply` to `Ready`, one per run.
    pub apply_to_ready: Vec<f64>,
    /// Image sizes in bytes.
    pub image_bytes: Vec<(String, u64)>,
    /// Working-set bytes per `pod/container`.
    pub memory_bytes: Vec<(String, u64)>,
}

/// Bring a cluster up, time `runs` MoniHubs from apply to Ready, measure, delete the cluster.
pub fn measure(runs: usize) -> anyhow::Result<Measured> {
    e2e::measure(runs)
}

/// `$HOME/.cache/monihub/kind`: node binaries, the kubeconfig, rendered configuration.
fn kind_dir() -> PathBuf {
    cache_dir().join("kind")
}
