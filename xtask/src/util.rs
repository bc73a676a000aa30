//! Small helpers shared by xtask commands: workspace paths, running commands with progress.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Announce a step so a person never stares at a silent terminal.
pub fn step(msg: &str) {
    eprintln!("==> {msg}");
}

/// Run a command, inheriting stdio; fail with the command line when it exits non-zero.
pub fn run_cmd(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("failed to start {shown}"))?;
    if !status.success() {
        bail!("command failed ({status}): {shown}");
    }
    Ok(())
}

/// The cache folder for expensive builds, outside the repository: `$HOME/.cache/monihub`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("MONIHUB_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
            PathBuf::from(home).join(".cache").join("monihub")
        })
}
