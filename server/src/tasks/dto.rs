//! Bodies of the task endpoints.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use monihub_agent_protocol::TaskContent;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entity::task_records::{self, RecordStatus};
use crate::entity::tasks;

fn default_priority() -> i32 {
    50
}
fn default_timeout() -> u32 {
    300
}
fn default_attempts() -> u32 {
    1
}

/// Body of `POST /api/v1/tasks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    #[schema(min_length = 1, max_length = 128)]
    pub name: String,
    #[serde(flatten)]
    pub content: TaskContent,
    /// The instances to run it on (1 to 1,000, all active).
    #[schema(min_items = 1, max_items = 1000)]
    pub instance_ids: Vec<Uuid>,
    /// 0–100, higher first (default 50).
    #[serde(default = "default_priority")]
    #[schema(minimum = 0, maximum = 100)]
    pub priority: i32,
    /// Seconds the work may take once started, 1–86,400 (default 300).
    #[serde(default = "default_timeout")]
    #[schema(minimum = 1, maximum = 86400)]
    pub timeout_seconds: u32,
    /// Attempts per instance when a run fails or times out, 1–10 (default 1).
    #[serde(default = "default_attempts")]
    #[schema(minimum = 1, maximum = 10)]
    pub max_attempts: u32,
}

/// A task with how its records stand.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskDto {
    pub id: Uuid,
    pub name: String,
    #[serde(flatten)]
    pub content: TaskContent,
    pub priority: i32,
    pub timeout_seconds: i32,
    pub max_attempts: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Records by status.
    pub records: BTreeMap<String, u64>,
}

impl TaskDto {
    pub fn new(task: tasks::Model, records: BTreeMap<String, u64>) -> Self {
        Self {
            // Stored from a validated `TaskContent`; a row that no longer parses is shown as
            // a shell task with no script rather than failing the whole list.
            content: serde_json::from_value(task.content).unwrap_or(TaskContent::ShellExec(
                monihub_agent_protocol::task::ShellExec {
                    script: String::new(),
                    workdir: None,
                    env: BTreeMap::new(),
                },
            )),
            id: task.id,
            name: task.name,
            priority: task.priority,
            timeout_seconds: task.timeout_seconds,
            max_attempts: task.max_attempts,
            created_by: task.created_by_name,
            created_at: task.created_at,
            cancelled_at: task.cancelled_at,
            records,
        }
    }
}

/// One instance's record of a task.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskRecordDto {
    pub id: Uuid,
    pub task_id: Uuid,
    pub instance_id: Uuid,
    pub status: RecordStatus,
    pub attempt: i32,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub exit_code: Option<i32>,
    pub output: Option<String>,
    pub output_truncated: bool,
    pub error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<task_records::Model> for TaskRecordDto {
    fn from(r: task_records::Model) -> Self {
        Self {
            id: r.id,
            task_id: r.task_id,
            instance_id: r.instance_id,
            status: r.status,
            attempt: r.attempt,
            dispatched_at: r.dispatched_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            exit_code: r.exit_code,
            output: r.output,
            output_truncated: r.output_truncated,
            error: r.error,
            updated_at: r.updated_at,
        }
    }
}

/// Filters of `GET /api/v1/tasks/{id}/records`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordFilter {
    pub status: Option<RecordStatus>,
}

/// Filters of `GET /api/v1/tasks`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    /// Substring of the name.
    pub q: Option<String>,
}

/// `GET /api/v1/agent/tasks`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PollQuery {
    /// The agent's instance id (as in its reports).
    #[param(min_length = 1, max_length = 64)]
    pub agent_instance_id: String,
    /// Seconds to wait for work when there is none, 0–60 (default 30).
    #[param(minimum = 0, maximum = 60)]
    pub wait: Option<u32>,
}

/// Body of `POST /api/v1/agent/task-records/{id}/ack`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckRecord {
    #[schema(min_length = 1, max_length = 64)]
    pub agent_instance_id: String,
}
