//! The local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)
//! built from Go modules and run as plain processes on 127.0.0.1.
//!
//! `build` compiles pinned versions into `$HOME/.cache/monihub/controlplane/<versions>/bin`;
//! `up` starts them with a fresh CA and writes a kubeconfig into `target/testenv`; `down` stops
//! exactly the processes `up` started. See `docs/testenv.md`.

pub(crate) mod build;
mod flags;
pub(crate) mod go;
mod kubeconfig;
mod kwok;
mod pki;
mod ports;
mod processes;
pub(crate) mod state;
mod storage;
mod suites;
pub(crate) mod up;
pub(crate) mod versions;
pub(crate) mod wrapper;

use anyhow::bail;
use clap::Subcommand;

pub use suites::with_control_plane;

#[derive(Subcommand)]
pub enum Command {
    /// Build the pinned control-plane binaries into the cache (skipped when already cached).
    Build,
    /// Start the control plane and print `export KUBECONFIG=…` (and PATH for kubectl/helm).
    Up,
    /// Stop exactly the processes `up` started.
    Down,
    /// Print the environment variables for the running control plane.
    Env,
    /// What CI runs: build (cached), up, the control-plane test suites, down (also on failure).
    Suites,
}

pub fn dispatch(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Build => build::build(),
        Command::Up => {
            let state = up::up()?;
            // stdout carries only the export lines, so `eval "$(cargo xtask testenv up)"` works.
            println!("{}", up::export_lines(&state));
            Ok(())
        }
        Command::Down => up::down(),
        Command::Env => {
            let state = state::State::locate();
            if !up::is_up(&state)? {
                bail!("no control plane is running (start one with `cargo xtask testenv up`)");
            }
            println!("{}", up::export_lines(&state));
            Ok(())
        }
        Command::Suites => ci_suites(),
    }
}

/// Build (cached), start, run the control-plane test suites, and stop (also on failure).
pub fn ci_suites() -> anyhow::Result<()> {
    suites::ci_suites()
}
