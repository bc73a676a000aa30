//! Thin wrappers around the `go` tool: the build environment, module metadata and
//! long-running commands that report progress instead of going silent.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

/// How often a long Go command reports that it is still working.
const HEARTBEAT: Duration = Duration::from_secs(30);

/// A `go` command with the environment every build uses: static binaries (upstream builds these
/// with cgo off too) and a writable module cache so `go clean -modcache` works without sudo.
pub fn go(dir: &Path) -> Command {
    let mut cmd = Command::new(go_binary());
    cmd.current_dir(dir).env("CGO_ENABLED", "0");
    let mut flags = std::env::var("GOFLAGS").unwrap_or_default();
    for flag in ["-modcacherw", "-buildvcs=false"] {
        if !flags.split_whitespace().any(|f| f == flag) {
            flags.push(' ');
            flags.push_str(flag);
        }
    }
    cmd.env("GOFLAGS", flags.trim());
    cmd
}

/// `$GO`, else `go` on PATH, else the standard install location (CI shells may not have Go's
/// folder on PATH).
fn go_binary() -> PathBuf {
    if let Some(go) = std::env::var_os("GO") {
        return PathBuf::from(go);
    }
    let on_path = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("go"))
        .find(|candidate| candidate.is_file());
    on_path.unwrap_or_else(|| PathBuf::from("/usr/local/go/bin/go"))
}

/// Fail early with a useful message when Go is missing, instead of deep inside a build.
pub fn check_toolchain() -> anyhow::Result<String> {
    let out = Command::new(go_binary())
        .arg("version")
        .output()
        .context("failed to run `go version`: the control plane is built from Go modules and needs Go 1.26 or newer on PATH")?;
    if !out.status.success() {
        bail!(
            "`go version` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Run a command that may take minutes, printing a heartbeat so logs never look stuck.
pub fn run_with_heartbeat(cmd: &mut Command, what: &str) -> anyhow::Result<Duration> {
    let shown = format!("{cmd:?}");
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("failed to start {shown}"))?;
    let mut next_beat = HEARTBEAT;
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("{what} failed ({status}): {shown}");
            }
            return Ok(started.elapsed());
        }
        if started.elapsed() >= next_beat {
            eprintln!("    … still {what} ({})", human(started.elapsed()));
            next_beat += HEARTBEAT;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// `go build -trimpath -ldflags <ldflags> -o <out> <packages>` in the module `dir`, reporting
/// progress as "compiling <what>"; returns how long it took. `out` is a file for one package,
/// or a folder ending in `/` for several.
pub fn build(
    dir: &Path,
    out: impl AsRef<std::ffi::OsStr>,
    packages: &[&str],
    ldflags: &str,
    what: &str,
) -> anyhow::Result<Duration> {
    run_with_heartbeat(
        go(dir)
            .args(["build", "-trimpath", "-ldflags", ldflags, "-o"])
            .arg(out)
            .args(packages),
        &format!("compiling {what}"),
    )
}

/// Run a short command and return its stdout.
pub fn output(cmd: &mut Command) -> anyhow::Result<String> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("failed to start {shown}"))?;
    if !out.status.success() {
        bail!(
            "command failed ({}): {shown}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What `go mod download -json` reports about one module version.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DownloadedModule {
    /// The module's go.mod inside the module cache.
    pub go_mod: PathBuf,
    /// The extracted module source inside the module cache.
    pub dir: PathBuf,
}

/// Download one module version through the module proxy and say where it landed.
pub fn download(dir: &Path, module: &str, version: &str) -> anyhow::Result<DownloadedModule> {
    let json = output(
        go(dir)
            .args(["mod", "download", "-json"])
            .arg(format!("{module}@{version}")),
    )?;
    serde_json::from_str(&json)
        .with_context(|| format!("failed to parse `go mod download` output for {module}"))
}

/// The parts of a go.mod that a wrapper module has to carry over.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct GoMod {
    #[serde(default)]
    pub go: Option<String>,
    #[serde(default, rename = "GoDebug")]
    pub godebug: Option<Vec<GoDebug>>,
    #[serde(default)]
    pub replace: Option<Vec<Replace>>,
    #[serde(default)]
    pub exclude: Option<Vec<ModulePath>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GoDebug {
    pub key: String,
    pub value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Replace {
    pub old: ModulePath,
    pub new: ModulePath,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModulePath {
    pub path: String,
    #[serde(default)]
    pub version: Option<String>,
}

/// Parse a go.mod with Go's own parser (`go mod edit -json`) rather than guessing its syntax.
pub fn parse_go_mod(dir: &Path, go_mod: &Path) -> anyhow::Result<GoMod> {
    let json = output(go(dir).args(["mod", "edit", "-json"]).arg(go_mod))?;
    serde_json::from_str(&json).with_context(|| format!("failed to parse {}", go_mod.display()))
}

/// `1m05s`-style durations for progress lines and the build summary.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}
