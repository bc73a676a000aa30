//! Starting the control-plane processes with their logs and pid files in the state folder,
//! and stopping exactly those processes again.
//!
//! A pid file records the pid and the binary it ran; a pid is only signalled while
//! `/proc/<pid>/exe` still names that binary, so a recycled pid is never touched.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::state::State;

/// How long a process gets to exit after SIGTERM before it is killed.
const GRACE: Duration = Duration::from_secs(20);

/// One started process as recorded in its pid file.
pub struct Record {
    pub name: String,
    pub pid: u32,
    pub binary: PathBuf,
}

/// Start `binary` in the background, logging to `logs/<name>.log`, and record it.
pub fn spawn(
    state: &State,
    order: usize,
    name: &str,
    binary: &Path,
    args: &[String],
) -> anyhow::Result<()> {
    let log_path = state.logs().join(format!("{name}.log"));
    let log = File::create(&log_path)
        .with_context(|| format!("failed to create {}", log_path.display()))?;
    let child = Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("failed to start {}", binary.display()))?;
    let pid_file = state.pids().join(format!("{order:02}-{name}.pid"));
    std::fs::write(&pid_file, format!("{}\n{}\n", child.id(), binary.display()))
        .with_context(|| format!("failed to write {}", pid_file.display()))?;
    // Dropping the handle neither kills nor waits: the process outlives this command on
    // purpose, and `down` finds it again through the pid file.
    drop(child);
    Ok(())
}

/// Every recorded process, in start order.
pub fn recorded(state: &State) -> anyhow::Result<Vec<Record>> {
    let dir = state.pids();
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "pid"));
    files.sort();
    files.iter().map(|f| parse(f)).collect()
}

fn parse(file: &Path) -> anyhow::Result<Record> {
    let text = std::fs::read_to_string(file)?;
    let mut lines = text.lines();
    let pid = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .with_context(|| format!("no pid in {}", file.display()))?;
    let binary = lines
        .next()
        .map(PathBuf::from)
        .with_context(|| format!("no binary in {}", file.display()))?;
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    let name = stem.split_once('-').map_or(&*stem, |(_, n)| n).to_string();
    Ok(Record { name, pid, binary })
}

impl Record {
    /// Running (not a zombie) and still the binary we started under this pid.
    pub fn is_alive(&self) -> bool {
        let proc_dir = PathBuf::from(format!("/proc/{}", self.pid));
        let Ok(exe) = std::fs::read_link(proc_dir.join("exe")) else {
            return false;
        };
        let exe = exe.to_string_lossy();
        let ours = exe.trim_end_matches(" (deleted)") == self.binary.to_string_lossy();
        ours && !is_zombie(&proc_dir)
    }

    fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid.to_string())
            .stderr(Stdio::null())
            .status()
            .context("failed to run kill")?;
        // A process that exited between the check and the signal is fine.
        if !status.success() && self.is_alive() {
            bail!("failed to send SIG{signal} to {} ({})", self.name, self.pid);
        }
        Ok(())
    }

    /// SIGTERM, wait, then SIGKILL.
    pub fn stop(&self) -> anyhow::Result<bool> {
        if !self.is_alive() {
            return Ok(false);
        }
        self.signal("TERM")?;
        let started = Instant::now();
        while self.is_alive() {
            if started.elapsed() > GRACE {
                self.signal("KILL")?;
                std::thread::sleep(Duration::from_millis(200));
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(true)
    }
}

/// A zombie has exited; it only waits for its parent (this very process in `ci`) to reap it.
fn is_zombie(proc_dir: &Path) -> bool {
    std::fs::read_to_string(proc_dir.join("stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// Stop every recorded process, newest first, and forget them. Returns how many were running.
pub fn stop_all(state: &State) -> anyhow::Result<usize> {
    let mut stopped = 0;
    let mut first_error = None;
    for record in recorded(state)?.iter().rev() {
        match record.stop() {
            Ok(true) => stopped += 1,
            Ok(false) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if state.pids().is_dir() {
        std::fs::remove_dir_all(state.pids())?;
    }
    Ok(stopped)
}

/// Fail with the log tail of the first recorded process that is no longer running.
pub fn ensure_running(state: &State) -> anyhow::Result<()> {
    for record in recorded(state)? {
        if !record.is_alive() {
            bail!(
                "{} exited unexpectedly; last lines of its log:\n{}",
                record.name,
                log_tail(state, &record.name, 25)
            );
        }
    }
    Ok(())
}

/// The last `lines` lines of a process log.
pub fn log_tail(state: &State, name: &str, lines: usize) -> String {
    let path = state.logs().join(format!("{name}.log"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all[start..]
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
