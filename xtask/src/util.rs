//! Small helpers shared by xtask commands: workspace paths, running commands with progress.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::{Context, bail};

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Announce a step so a person never stares at a silent terminal. The prefix is the time since
/// the first step, so CI logs show where the minutes go.
pub fn step(msg: &str) {
    static START: OnceLock<Instant> = OnceLock::new();
    let elapsed = START.get_or_init(Instant::now).elapsed().as_secs();
    eprintln!("==> [{:02}:{:02}] {msg}", elapsed / 60, elapsed % 60);
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
