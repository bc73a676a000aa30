//! Running a program for a task: in its own process group, so that a timeout or a cancel stops
//! everything it started (SIGTERM to the group, then SIGKILL after a grace period — a child that
//! ignores SIGTERM is still stopped); stdout and stderr read to the end but kept only up to the
//! limit, so a chatty task can neither block on a full pipe nor fill the agent's memory.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio::sync::watch;

/// How long a process group has between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(3);

/// What to run.
#[derive(Clone, Debug)]
pub struct Spawn {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub workdir: Option<PathBuf>,
    pub env: BTreeMap<String, String>,
}

/// How it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    Exited(Option<i32>),
    TimedOut,
    Cancelled,
}

/// The end and the captured output.
#[derive(Clone, Debug)]
pub struct Finished {
    pub ending: Ending,
    pub stdout: String,
    pub stderr: String,
    pub truncated: bool,
}

impl Finished {
    /// stdout, then stderr under a marker, cut to `limit` characters.
    pub fn combined(&self, limit: usize) -> (String, bool) {
        let mut out = self.stdout.clone();
        if !self.stderr.is_empty() {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("[stderr]\n");
            out.push_str(&self.stderr);
        }
        let mut truncated = self.truncated;
        if out.chars().count() > limit {
            out = out.chars().take(limit).collect();
            truncated = true;
        }
        (out, truncated)
    }
}

/// Read a stream to its end, keeping the first `limit` bytes.
async fn capture(mut stream: impl AsyncRead + Unpin, limit: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut truncated = false;
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = limit.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
                truncated |= n > room;
            }
        }
    }
    (kept, truncated)
}

fn signal_group(pgid: Pid, signal: Signal) {
    // ESRCH (the group is gone) is the normal case after a clean exit.
    let _ = killpg(pgid, signal);
}

/// Resolves once `cancel` turns true; never if its sender is gone without cancelling.
pub async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    while !*cancel.borrow_and_update() {
        if cancel.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Run `spawn` until it exits, `timeout` passes or `cancel` turns true.
pub async fn run(
    spawn: &Spawn,
    timeout: Duration,
    mut cancel: watch::Receiver<bool>,
    output_limit: usize,
) -> std::io::Result<Finished> {
    let mut command = Command::new(&spawn.program);
    command
        .args(&spawn.args)
        .envs(&spawn.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(dir) = &spawn.workdir {
        command.current_dir(dir);
    }
    let mut child = command.spawn()?;
    let pgid = Pid::from_raw(child.id().map(|id| id as i32).unwrap_or_default());
    let stdout = tokio::spawn(capture(
        child.stdout.take().expect("stdout is piped"),
        output_limit,
    ));
    let stderr = tokio::spawn(capture(
        child.stderr.take().expect("stderr is piped"),
        output_limit,
    ));
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let ending = tokio::select! {
        status = child.wait() => Ending::Exited(status?.code()),
        () = &mut deadline => Ending::TimedOut,
        () = cancelled(&mut cancel) => Ending::Cancelled,
    };
    if !matches!(ending, Ending::Exited(_)) {
        signal_group(pgid, Signal::SIGTERM);
        if tokio::time::timeout(KILL_GRACE, child.wait())
            .await
            .is_err()
        {
            signal_group(pgid, Signal::SIGKILL);
            let _ = child.wait().await;
        }
    }
    // Whatever the task left running in its group goes with it, so its pipes close.
    signal_group(pgid, Signal::SIGKILL);
    let collect = |handle: tokio::task::JoinHandle<(Vec<u8>, bool)>| async move {
        match tokio::time::timeout(KILL_GRACE, handle).await {
            Ok(Ok((bytes, truncated))) => (String::from_utf8_lossy(&bytes).into_owned(), truncated),
            _ => (String::new(), false),
        }
    };
    let (stdout, out_cut) = collect(stdout).await;
    let (stderr, err_cut) = collect(stderr).await;
    Ok(Finished {
        ending,
        stdout,
        stderr,
        truncated: out_cut || err_cut,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn sh(script: &str) -> Spawn {
        Spawn {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            workdir: None,
            env: BTreeMap::new(),
        }
    }

    fn never() -> watch::Receiver<bool> {
        let (tx, rx) = watch::channel(false);
        std::mem::forget(tx);
        rx
    }

    #[tokio::test]
    async fn output_and_exit_code_are_captured() {
        let done = run(
            &sh("echo out; echo err >&2; exit 3"),
            Duration::from_secs(10),
            never(),
            1024,
        )
        .await
        .unwrap();
        assert_eq!(done.ending, Ending::Exited(Some(3)));
        let (text, truncated) = done.combined(1024);
        assert_eq!(text, "out\n[stderr]\nerr\n");
        assert!(!truncated);
    }

    #[tokio::test]
    async fn a_timeout_kills_the_whole_group_even_if_it_ignores_sigterm() {
        let started = Instant::now();
        let marker = tempfile::tempdir().unwrap();
        let file = marker.path().join("survived");
        // The shell and its background child both ignore SIGTERM.
        let script = format!(
            "trap '' TERM; (trap '' TERM; sleep 5; touch {}) & sleep 30",
            file.display()
        );
        let done = run(&sh(&script), Duration::from_millis(300), never(), 1024)
            .await
            .unwrap();
        assert_eq!(done.ending, Ending::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(20));
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert!(!file.exists(), "a child outlived the timeout");
    }

    #[tokio::test]
    async fn cancel_stops_a_running_task() {
        let (tx, rx) = watch::channel(false);
        let task =
            tokio::spawn(
                async move { run(&sh("sleep 30"), Duration::from_secs(60), rx, 1024).await },
            );
        tokio::time::sleep(Duration::from_millis(200)).await;
        tx.send(true).unwrap();
        let done = tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(done.ending, Ending::Cancelled);
    }

    #[tokio::test]
    async fn output_is_capped_without_blocking_the_child() {
        // 4 MiB through a pipe: the child finishes because the agent keeps reading.
        let done = run(
            &sh("head -c 4194304 /dev/zero | tr '\\0' x; echo; echo done >&2"),
            Duration::from_secs(30),
            never(),
            1000,
        )
        .await
        .unwrap();
        assert_eq!(done.ending, Ending::Exited(Some(0)));
        assert!(done.truncated);
        let (text, truncated) = done.combined(1000);
        assert!(truncated && text.chars().count() == 1000);
    }
}
