//! The control-plane test suites as CI runs them: build (cached), compile the suites, start
//! the control plane, run them with `MONIHUB_TESTENV_REQUIRED=1`, and stop it, also on failure.

use std::process::Command;

use anyhow::bail;

use super::state::State;
use super::{build, processes, up, versions};
use crate::util::{run_cmd, step, workspace_root};

/// Crates whose integration tests need the control plane.
pub const SUITES: &[&str] = &["monihub-testenv", "monihub-operator"];

/// The running control plane; stopped when dropped, so a panic or an early return cannot leave
/// it running.
struct Running {
    state: State,
    stopped: bool,
}

impl Running {
    fn stop(mut self) -> anyhow::Result<()> {
        self.stopped = true;
        up::down()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.stopped
            && let Err(e) = up::down()
        {
            eprintln!("failed to stop the control plane: {e:#}");
        }
    }
}

pub fn ci_suites() -> anyhow::Result<()> {
    build::build()?;

    // Compile first, so compilation does not compete with the control plane for two cores.
    step("compiling the control-plane test suites");
    run_cmd(cargo().args(["test", "--no-run"]).args(package_args()))?;

    let running = Running {
        state: up::start_built()?,
        stopped: false,
    };
    let state = &running.state;
    let mut failed = Vec::new();
    if let Err(e) = crate::deploy::validate_manifests(&|| up::kubectl(state)) {
        eprintln!("{e:#}");
        failed.push("chart manifests (kubeconform)");
    }
    for suite in SUITES {
        step(&format!(
            "running the {suite} tests against the control plane"
        ));
        let result = run_cmd(
            cargo()
                .args(["test", "-p", suite])
                .env("KUBECONFIG", state.kubeconfig())
                .env("MONIHUB_TESTENV_REQUIRED", "1")
                // Chart and manifest suites shell out to the matching helm and kubectl.
                .env("PATH", path_with_bin()?),
        );
        if let Err(e) = result {
            eprintln!("{e:#}");
            failed.push(*suite);
        }
    }
    if !failed.is_empty() {
        for record in processes::recorded(state)? {
            eprintln!(
                "--- last lines of {} ---\n{}",
                record.name,
                processes::log_tail(state, &record.name, 15)
            );
        }
    }
    running.stop()?;
    if !failed.is_empty() {
        bail!("control-plane suites failed: {}", failed.join(", "));
    }
    Ok(())
}

/// Build (cached) and start a fresh control plane, run `f` with its kubeconfig and a PATH that
/// puts the matching kubectl first, and stop it again, also when `f` fails.
pub fn with_control_plane<T>(
    f: impl FnOnce(&std::path::Path, &std::ffi::OsStr) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    build::build()?;
    let running = Running {
        state: up::start_built()?,
        stopped: false,
    };
    let result = f(&running.state.kubeconfig(), &path_with_bin()?);
    running.stop()?;
    result
}

fn path_with_bin() -> anyhow::Result<std::ffi::OsString> {
    let mut dirs = vec![versions::bin_dir()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    Ok(std::env::join_paths(dirs)?)
}

fn package_args() -> Vec<String> {
    SUITES
        .iter()
        .flat_map(|s| ["-p".to_string(), s.to_string()])
        .collect()
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}
