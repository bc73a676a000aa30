//! Remote tasks: what an operator asks an agent to do, how the agent receives it
//! (`GET /api/v1/agent/tasks`), and what it answers
//! (`POST /api/v1/agent/task-records/{id}/result`).
//!
//! Every task type has a typed, validated content. The agent's local configuration still decides
//! which types it runs at all; the server can never widen that.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What to do, by type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", content = "content", rename_all = "snake_case")]
pub enum TaskContent {
    /// Run a shell script.
    ShellExec(ShellExec),
    /// Make an HTTP request from the host.
    HttpRequest(HttpRequest),
    /// Run code with an interpreter from the agent's allow-list.
    RunCode(RunCode),
    /// List, fetch, send or delete files under the agent's configured roots.
    FileManager(FileManager),
    /// Run a named hook from the agent's local configuration.
    CustomCommand(CustomCommand),
}

impl TaskContent {
    /// The type's name as stored and shown (`shell_exec`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::ShellExec(_) => "shell_exec",
            Self::HttpRequest(_) => "http_request",
            Self::RunCode(_) => "run_code",
            Self::FileManager(_) => "file_manager",
            Self::CustomCommand(_) => "custom_command",
        }
    }
}

/// `shell_exec`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShellExec {
    /// The script (1 to 65,536 characters).
    #[schema(min_length = 1, max_length = 65536)]
    pub script: String,
    /// Working directory on the host.
    #[schema(max_length = 4096)]
    pub workdir: Option<String>,
    /// Extra environment variables (at most 64).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// HTTP methods an `http_request` may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

/// `http_request`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpRequest {
    pub method: HttpMethod,
    /// An `http://` or `https://` URL (at most 2,048 characters).
    #[schema(min_length = 1, max_length = 2048)]
    pub url: String,
    /// Request headers (at most 64).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request body (at most 1 MiB).
    #[schema(max_length = 1048576)]
    pub body: Option<String>,
    /// Follow redirects (off unless asked for).
    #[serde(default)]
    pub follow_redirects: bool,
    /// Verify the server's certificate (on unless turned off).
    #[serde(default = "yes")]
    pub verify_tls: bool,
}

fn yes() -> bool {
    true
}

/// `run_code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunCode {
    /// The interpreter's name in the agent's allow-list, e.g. `python3` or `bash`.
    #[schema(min_length = 1, max_length = 32, pattern = r"^[a-z0-9][a-z0-9._-]*$")]
    pub interpreter: String,
    /// The code (1 to 65,536 characters).
    #[schema(min_length = 1, max_length = 65536)]
    pub code: String,
}

/// What a `file_manager` task does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileOperation {
    /// List a directory.
    List,
    /// Fetch `url` into `path`.
    Download,
    /// Send the file at `path` back with the result.
    Upload,
    /// Delete the file at `path`.
    Delete,
}

/// `file_manager`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileManager {
    pub operation: FileOperation,
    /// A path under one of the agent's configured roots.
    #[schema(min_length = 1, max_length = 4096)]
    pub path: String,
    /// The source of a `download` (`http://` or `https://`).
    #[schema(max_length = 2048)]
    pub url: Option<String>,
}

/// `custom_command`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomCommand {
    /// The hook's name in the agent's local configuration.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[a-z0-9][a-z0-9._-]*$")]
    pub name: String,
    /// Arguments (at most 16).
    #[serde(default)]
    pub args: Vec<String>,
}

/// One task record handed to an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaskAssignment {
    /// Answer with this id.
    pub record_id: Uuid,
    pub task_id: Uuid,
    #[serde(flatten)]
    pub content: TaskContent,
    /// Stop the work after this long and answer `timed_out`.
    pub timeout_seconds: u32,
    /// Higher first.
    pub priority: i32,
    /// Which attempt this is (from 1).
    pub attempt: u32,
}

/// The answer to a task poll.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PollResponse {
    /// Work to start now.
    pub tasks: Vec<TaskAssignment>,
    /// Records handed out earlier that were cancelled since: stop them.
    pub cancelled: Vec<Uuid>,
}

/// How a record ended on the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskOutcome {
    Succeeded,
    Failed,
    TimedOut,
    /// The agent's local configuration does not allow this task.
    Refused,
}

/// `POST /api/v1/agent/task-records/{id}/result`. Sending the same result again is harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskResult {
    /// The agent's instance id: a result is only accepted from the instance it was handed to.
    #[schema(min_length = 1, max_length = 64)]
    pub agent_instance_id: String,
    pub outcome: TaskOutcome,
    pub exit_code: Option<i32>,
    /// Output. The server keeps the first 131,072 characters and marks the rest truncated.
    pub output: Option<String>,
    #[serde(default)]
    pub output_truncated: bool,
    #[schema(max_length = 8192)]
    pub error: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}
