//! The Docker Engine the image, Compose and kind checks use.
//!
//! An engine that already answers (`DOCKER_HOST`, or the default socket) is used as it is. Otherwise
//! xtask starts Debian's `dockerd` itself (installing `docker.io` when missing), with its data under
//! `$MONIHUB_DOCKER_DATA_ROOT` (default: the cache folder, so images and build caches survive
//! between runs) and its own socket, and stops it when done. The client is Debian's
//! `/usr/bin/docker`, which matches Debian's engine.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::util::{cache_dir, run_cmd, step};

/// Debian's client.
const CLIENT: &str = "/usr/bin/docker";
/// The socket of an engine xtask starts.
const OWN_SOCKET: &str = "/run/monihub-docker.sock";
/// How long a starting engine may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A reachable engine; stops the one it started when dropped.
pub struct Engine {
    host: Option<String>,
    started: Option<Child>,
}

impl Engine {
    /// Use the running engine, or start one.
    pub fn connect() -> anyhow::Result<Self> {
        if !Path::new(CLIENT).exists() || which("dockerd").is_none() {
            crate::util::apt_install(&["docker.io"])
                .context("the image checks need Docker (Debian's docker.io)")?;
        }
        if let Ok(host) = std::env::var("DOCKER_HOST") {
            let engine = Self {
                host: Some(host.clone()),
                started: None,
            };
            engine
                .answers()
                .then_some(())
                .with_context(|| format!("no Docker engine answers at DOCKER_HOST={host}"))?;
            return Ok(engine);
        }
        for host in [None, Some(format!("unix://{OWN_SOCKET}"))] {
            let engine = Self {
                host,
                started: None,
            };
            if engine.answers() {
                return Ok(engine);
            }
        }
        Self::start()
    }

    fn start() -> anyhow::Result<Self> {
        if !crate::util::is_root() {
            bail!("no Docker engine is running; start one (or set DOCKER_HOST) and retry");
        }
        let data_root = std::env::var_os("MONIHUB_DOCKER_DATA_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache_dir().join("docker").join("data"));
        std::fs::create_dir_all(&data_root)
            .with_context(|| format!("failed to create {}", data_root.display()))?;
        // The log stays in the cache even when the data root is elsewhere: create its folder too.
        let log_dir = cache_dir().join("docker");
        std::fs::create_dir_all(&log_dir)
            .with_context(|| format!("failed to create {}", log_dir.display()))?;
        let log_path = log_dir.join("dockerd.log");
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("failed to create {}", log_path.display()))?;
        step(&format!(
            "starting dockerd (data in {}, log in {})",
            data_root.display(),
            log_path.display()
        ));
        let child = Command::new(which("dockerd").context("dockerd is not installed")?)
            .arg("--data-root")
            .arg(&data_root)
            .args([
                "--exec-root",
                "/run/monihub-docker",
                "--pidfile",
                "/run/monihub-docker.pid",
                "--host",
                &format!("unix://{OWN_SOCKET}"),
                // cgroup v1 hosts and nested containers: the cgroupfs driver works everywhere.
                "--exec-opt",
                "native.cgroupdriver=cgroupfs",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("failed to start dockerd")?;
        let mut engine = Self {
            host: Some(format!("unix://{OWN_SOCKET}")),
            started: Some(child),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while !engine.answers() {
            if let Some(child) = engine.started.as_mut()
                && let Some(status) = child.try_wait()?
            {
                engine.started = None;
                bail!(
                    "dockerd exited ({status}); its log:\n{}",
                    tail(&log_path, 20)
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "dockerd did not answer within {} s; its log:\n{}",
                    START_TIMEOUT.as_secs(),
                    tail(&log_path, 20)
                );
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        Ok(engine)
    }

    fn answers(&self) -> bool {
        self.docker()
            .args(["version", "--format", "{{.Server.Version}}"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// A `docker` command for this engine, BuildKit on.
    pub fn docker(&self) -> Command {
        let mut cmd = Command::new(CLIENT);
        self.configure(&mut cmd);
        cmd
    }

    /// Point another Docker client (Compose, kind) at this engine.
    pub fn configure(&self, cmd: &mut Command) {
        if let Some(host) = &self.host {
            cmd.env("DOCKER_HOST", host);
        }
        cmd.env("DOCKER_BUILDKIT", "1");
    }

    /// Whether `image` exists locally.
    pub fn has_image(&self, image: &str) -> bool {
        self.docker()
            .args(["image", "inspect", "--format", "{{.Id}}", image])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The size of a local image in bytes.
    pub fn image_size(&self, image: &str) -> anyhow::Result<u64> {
        let out = self
            .docker()
            .args(["image", "inspect", "--format", "{{.Size}}", image])
            .output()?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .with_context(|| format!("no size for {image}"))
    }

    /// `docker pull`, reporting failure instead of failing.
    pub fn try_pull(&self, image: &str) -> Result<(), String> {
        let out = self
            .docker()
            .args(["pull", "--quiet", image])
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }

    /// Run a docker command, inheriting output.
    pub fn run(&self, args: &[&str]) -> anyhow::Result<()> {
        run_cmd(self.docker().args(args))
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let Some(mut child) = self.started.take() else {
            return;
        };
        step("stopping the dockerd this run started");
        crate::util::terminate(&mut child, Duration::from_secs(30));
    }
}

/// A program on PATH (or in the sbin folders a non-login shell may lack).
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
