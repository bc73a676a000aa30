//! The state folder of a running control plane: PKI, kubeconfig, etcd data, logs and pid files,
//! all in one place so `down` and a person debugging a failure know where to look.

use std::path::PathBuf;

use anyhow::Context;

use crate::util;

/// Paths inside the state folder (`target/testenv` unless `MONIHUB_TESTENV_DIR` says otherwise).
#[derive(Clone)]
pub struct State {
    pub root: PathBuf,
}

impl State {
    pub fn locate() -> Self {
        let root = std::env::var_os("MONIHUB_TESTENV_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| util::workspace_root().join("target").join("testenv"));
        Self { root }
    }

    pub fn pki(&self) -> PathBuf {
        self.root.join("pki")
    }

    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    pub fn pids(&self) -> PathBuf {
        self.root.join("pids")
    }

    pub fn etcd_data(&self) -> PathBuf {
        self.root.join("etcd-data")
    }

    pub fn manifests(&self) -> PathBuf {
        self.root.join("manifests")
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.root.join("kubeconfig")
    }

    /// Shell lines that point a client at this control plane.
    pub fn env_file(&self) -> PathBuf {
        self.root.join("env")
    }

    /// Start from an empty folder; stale state from a crashed run must not leak into a new one.
    pub fn reset(&self) -> anyhow::Result<()> {
        if self.root.exists() {
            std::fs::remove_dir_all(&self.root)
                .with_context(|| format!("failed to clear {}", self.root.display()))?;
        }
        for dir in [
            self.pki(),
            self.logs(),
            self.pids(),
            self.etcd_data(),
            self.manifests(),
        ] {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
        Ok(())
    }

    /// After `down`: drop everything but the logs, which explain a failed run.
    pub fn clear_keeping_logs(&self) -> anyhow::Result<()> {
        if !self.root.exists() {
            return Ok(());
        }
        for entry in std::fs::read_dir(&self.root)? {
            let path = entry?.path();
            if path == self.logs() {
                continue;
            }
            if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            }
            .with_context(|| format!("failed to remove {}", path.display()))?;
        }
        Ok(())
    }
}
