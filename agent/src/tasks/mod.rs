//! Running one task record. The local configuration decides: a type that is not in
//! `tasks.allowed`, an interpreter or hook that is not configured, or a path outside the file
//! roots ends as `refused` with the reason, and nothing runs. The server can never widen this.

pub mod files;
pub mod process;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use monihub_agent_protocol::limits::ERROR_MAX;
use monihub_agent_protocol::task::{HttpRequest, TaskContent};
use monihub_agent_protocol::{TaskAssignment, TaskOutcome, TaskResult};
use tokio::sync::watch;

use crate::config::Config;
use process::{Ending, Spawn};

/// Runs tasks under the local policy.
#[derive(Clone)]
pub struct Executor {
    config: Arc<Config>,
    instance_id: String,
}

fn clip(text: impl Into<String>) -> String {
    let text = text.into();
    if text.chars().count() > ERROR_MAX {
        text.chars().take(ERROR_MAX).collect()
    } else {
        text
    }
}

impl Executor {
    pub fn new(config: Arc<Config>, instance_id: String) -> Self {
        Self {
            config,
            instance_id,
        }
    }

    fn result(&self, outcome: TaskOutcome) -> TaskResult {
        TaskResult {
            agent_instance_id: self.instance_id.clone(),
            outcome,
            exit_code: None,
            output: None,
            output_truncated: false,
            error: None,
            started_at: None,
            finished_at: Some(Utc::now()),
        }
    }

    fn refused(&self, why: String) -> TaskResult {
        TaskResult {
            error: Some(clip(why)),
            ..self.result(TaskOutcome::Refused)
        }
    }

    fn failed(&self, why: String) -> TaskResult {
        TaskResult {
            error: Some(clip(why)),
            ..self.result(TaskOutcome::Failed)
        }
    }

    /// Run `task` to its end (or its timeout, or until `cancel` turns true).
    pub async fn run(&self, task: &TaskAssignment, cancel: watch::Receiver<bool>) -> TaskResult {
        let started = Utc::now();
        let kind = task.content.type_name();
        if !self.config.allows(kind) {
            return self.refused(format!(
                "this agent does not run {kind} tasks (its tasks.allowed setting)"
            ));
        }
        let timeout = Duration::from_secs(u64::from(task.timeout_seconds.max(1)));
        let limit = self.config.tasks.output_limit;
        let mut result = match &task.content {
            TaskContent::ShellExec(shell) => {
                let spawn = Spawn {
                    program: "/bin/sh".into(),
                    args: vec!["-c".into(), shell.script.clone()],
                    workdir: shell.workdir.as_ref().map(Into::into),
                    env: shell.env.clone(),
                };
                self.process(&spawn, timeout, cancel, limit).await
            }
            TaskContent::RunCode(code) => {
                let Some(interpreter) = self.config.tasks.interpreters.get(&code.interpreter)
                else {
                    return self.refused(format!(
                        "interpreter {:?} is not in this agent's tasks.interpreters",
                        code.interpreter
                    ));
                };
                let script = match self.write_script(&code.code) {
                    Ok(script) => script,
                    Err(e) => return self.failed(format!("{e:#}")),
                };
                let spawn = Spawn {
                    program: interpreter.clone(),
                    args: vec![script.path().to_string_lossy().into_owned()],
                    workdir: None,
                    env: Default::default(),
                };
                self.process(&spawn, timeout, cancel, limit).await
            }
            TaskContent::CustomCommand(command) => {
                let Some(argv) = self.config.tasks.commands.get(&command.name) else {
                    return self.refused(format!(
                        "command {:?} is not in this agent's tasks.commands",
                        command.name
                    ));
                };
                let spawn = Spawn {
                    program: argv[0].clone().into(),
                    args: argv[1..].iter().chain(&command.args).cloned().collect(),
                    workdir: None,
                    env: Default::default(),
                };
                self.process(&spawn, timeout, cancel, limit).await
            }
            TaskContent::HttpRequest(request) => {
                with_deadline(timeout, cancel, self.http_request(request, timeout, limit))
                    .await
                    .unwrap_or_else(|ending| self.interrupted(ending))
            }
            TaskContent::FileManager(file_task) => {
                let http = reqwest::Client::builder()
                    .timeout(timeout)
                    .redirect(reqwest::redirect::Policy::limited(5))
                    .build();
                let work = async {
                    let http = http.map_err(anyhow::Error::from)?;
                    files::run(
                        &self.config.tasks.file_roots,
                        file_task,
                        self.config.tasks.file_limit,
                        &http,
                    )
                    .await
                };
                match with_deadline(timeout, cancel, work).await {
                    Ok(Ok(output)) => TaskResult {
                        output: Some(output),
                        exit_code: Some(0),
                        ..self.result(TaskOutcome::Succeeded)
                    },
                    Ok(Err(e)) => match e.downcast::<files::Refusal>() {
                        Ok(refusal) => self.refused(refusal.0),
                        Err(e) => self.failed(format!("{e:#}")),
                    },
                    Err(ending) => self.interrupted(ending),
                }
            }
        };
        result.started_at = Some(started);
        result.finished_at = Some(Utc::now());
        result
    }

    fn interrupted(&self, ending: Ending) -> TaskResult {
        match ending {
            Ending::Cancelled => self.failed("cancelled".into()),
            _ => TaskResult {
                error: Some("timed out".into()),
                ..self.result(TaskOutcome::TimedOut)
            },
        }
    }

    /// Code for an interpreter, in a private temporary file removed afterwards.
    fn write_script(&self, code: &str) -> anyhow::Result<tempfile::NamedTempFile> {
        use std::io::Write as _;
        let mut file = tempfile::Builder::new()
            .prefix("monihub-task-")
            .tempfile()?;
        file.write_all(code.as_bytes())?;
        file.flush()?;
        Ok(file)
    }

    async fn process(
        &self,
        spawn: &Spawn,
        timeout: Duration,
        cancel: watch::Receiver<bool>,
        limit: usize,
    ) -> TaskResult {
        let finished = match process::run(spawn, timeout, cancel, limit).await {
            Ok(finished) => finished,
            Err(e) => {
                return self.failed(format!("failed to start {}: {e}", spawn.program.display()));
            }
        };
        let (output, truncated) = finished.combined(limit);
        let (outcome, exit_code, error) = match finished.ending {
            Ending::Exited(Some(0)) => (TaskOutcome::Succeeded, Some(0), None),
            Ending::Exited(Some(code)) => (
                TaskOutcome::Failed,
                Some(code),
                Some(format!("exited with status {code}")),
            ),
            Ending::Exited(None) => (TaskOutcome::Failed, None, Some("killed by a signal".into())),
            Ending::TimedOut => (TaskOutcome::TimedOut, None, Some("timed out".into())),
            Ending::Cancelled => (TaskOutcome::Failed, None, Some("cancelled".into())),
        };
        TaskResult {
            exit_code,
            output: Some(output),
            output_truncated: truncated,
            error,
            ..self.result(outcome)
        }
    }

    async fn http_request(
        &self,
        request: &HttpRequest,
        timeout: Duration,
        limit: usize,
    ) -> TaskResult {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(if request.follow_redirects {
                reqwest::redirect::Policy::limited(10)
            } else {
                reqwest::redirect::Policy::none()
            })
            .danger_accept_invalid_certs(!request.verify_tls)
            .build();
        let client = match client {
            Ok(client) => client,
            Err(e) => return self.failed(format!("failed to prepare the request: {e}")),
        };
        let method = reqwest::Method::from_bytes(
            serde_json::to_value(request.method)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
                .as_bytes(),
        )
        .unwrap_or(reqwest::Method::GET);
        let mut builder = client.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) => return self.failed(format!("request failed: {e}")),
        };
        let status = response.status();
        let mut output = format!("HTTP {status}\n");
        for (name, value) in response.headers() {
            output.push_str(&format!(
                "{name}: {}\n",
                value.to_str().unwrap_or("<binary>")
            ));
        }
        output.push('\n');
        let mut truncated = false;
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        use futures::StreamExt as _;
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else { break };
            let room = limit.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if chunk.len() > room {
                truncated = true;
                break;
            }
        }
        output.push_str(&String::from_utf8_lossy(&body));
        if output.chars().count() > limit {
            output = output.chars().take(limit).collect();
            truncated = true;
        }
        let ok = status.is_success() || status.is_redirection();
        TaskResult {
            exit_code: Some(i32::from(status.as_u16())),
            output: Some(output),
            output_truncated: truncated,
            error: (!ok).then(|| format!("the server answered {status}")),
            ..self.result(if ok {
                TaskOutcome::Succeeded
            } else {
                TaskOutcome::Failed
            })
        }
    }
}

/// Run `work` unless the deadline passes or the task is cancelled first.
async fn with_deadline<T>(
    timeout: Duration,
    mut cancel: watch::Receiver<bool>,
    work: impl Future<Output = T>,
) -> Result<T, Ending> {
    tokio::select! {
        value = work => Ok(value),
        () = tokio::time::sleep(timeout) => Err(Ending::TimedOut),
        () = process::cancelled(&mut cancel) => Err(Ending::Cancelled),
    }
}
