//! Small helpers shared by xtask commands: workspace paths, the server packages, running commands
//! with progress, free ports.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::{Context, bail};

/// Packages whose tests need only PostgreSQL (the control-plane suites run separately), as
/// cargo arguments.
pub const SERVER_PACKAGES: [&str; 10] = [
    "-p",
    "monihub-server",
    "-p",
    "monihub-migration",
    "-p",
    "monihub-agent-protocol",
    "-p",
    "monihub-agent",
    "-p",
    "xtask",
];

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

/// A loopback port that was free a moment ago (the kernel's choice for port 0).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Install Debian packages (for a command the checks need) unless `probe` already runs.
/// Needs root; otherwise the error names the packages to install.
pub fn ensure_packages(probe: &str, packages: &[&str]) -> anyhow::Result<()> {
    if Command::new(probe).arg("-v").output().is_ok() {
        return Ok(());
    }
    apt_install(packages).with_context(|| format!("{probe} is not installed"))
}

/// Install Debian packages (needs root; otherwise the error names them).
pub fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    let list = packages.join(" ");
    if !is_root() {
        bail!("install the distribution's packages: {list}");
    }
    step(&format!(
        "installing {list} from the distribution's packages"
    ));
    // A fresh machine's package lists may be empty; refreshing them once is cheap.
    run_cmd(Command::new("apt-get").args(["update", "-q"]))?;
    run_cmd(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// Whether this process runs as root (and may install packages).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Stop a child the polite way: SIGTERM, up to `grace` for it to exit, then SIGKILL. Servers that
/// manage children of their own (nginx's workers, dockerd's containers) take them down on
/// SIGTERM; SIGKILL would orphan them.
pub fn terminate(child: &mut std::process::Child, grace: std::time::Duration) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}
