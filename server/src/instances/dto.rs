//! Request and response bodies of the instance endpoints.

use chrono::{DateTime, Utc};
use monihub_agent_protocol::AgentConfig;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entity::{Status, instance_reports, instances};

/// An instance with its latest reported state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstanceDto {
    pub id: Uuid,
    pub application_id: Uuid,
    /// The agent's own id, unique within the application.
    pub agent_instance_id: String,
    pub hostname: String,
    pub ip_address: Option<String>,
    pub public_ip: Option<String>,
    pub mac_address: Option<String>,
    pub os_type: String,
    pub os_version: Option<String>,
    pub kernel_version: Option<String>,
    pub agent_version: String,
    pub cpu_model: Option<String>,
    pub cpu_cores: Option<i32>,
    pub cpu_usage_percent: f64,
    pub memory_usage_percent: f64,
    pub disk_usage_percent: f64,
    pub memory_total_bytes: i64,
    pub disk_total_bytes: i64,
    pub load_average_1m: Option<f64>,
    pub uptime_seconds: Option<i64>,
    /// The watched process's environment; values of secret-looking names are redacted.
    #[schema(value_type = Object)]
    pub environment: serde_json::Value,
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Value,
    /// The configuration the agent receives (the defaults unless an operator changed it).
    pub config: AgentConfig,
    /// `disabled`: reports are refused and no tasks are handed out.
    pub status: Status,
    pub online: bool,
    pub offline_at: Option<DateTime<Utc>>,
    pub first_report_at: DateTime<Utc>,
    pub last_report_at: DateTime<Utc>,
    pub report_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The configuration stored for an instance, or the defaults.
pub fn effective_config(stored: Option<&serde_json::Value>) -> AgentConfig {
    stored
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default()
}

impl From<instances::Model> for InstanceDto {
    fn from(i: instances::Model) -> Self {
        Self {
            config: effective_config(i.config.as_ref()),
            id: i.id,
            application_id: i.application_id,
            agent_instance_id: i.agent_instance_id,
            hostname: i.hostname,
            ip_address: i.ip_address,
            public_ip: i.public_ip,
            mac_address: i.mac_address,
            os_type: i.os_type,
            os_version: i.os_version,
            kernel_version: i.kernel_version,
            agent_version: i.agent_version,
            cpu_model: i.cpu_model,
            cpu_cores: i.cpu_cores,
            cpu_usage_percent: i.cpu_usage_percent,
            memory_usage_percent: i.memory_usage_percent,
            disk_usage_percent: i.disk_usage_percent,
            memory_total_bytes: i.memory_total_bytes,
            disk_total_bytes: i.disk_total_bytes,
            load_average_1m: i.load_average_1m,
            uptime_seconds: i.uptime_seconds,
            environment: i.environment,
            custom_fields: i.custom_fields,
            status: i.status,
            online: i.online,
            offline_at: i.offline_at,
            first_report_at: i.first_report_at,
            last_report_at: i.last_report_at,
            report_count: i.report_count,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// Filters of `GET /api/v1/instances`. Every value is bound as a parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstanceFilter {
    pub application_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    /// `true`: only online instances; `false`: only offline ones.
    pub online: Option<bool>,
    pub status: Option<Status>,
    /// Substring of hostname, IP address or agent instance id.
    pub q: Option<String>,
}

/// Body of `PATCH /api/v1/instances/{id}`; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInstance {
    /// `disabled` refuses the instance's reports and hands it no tasks.
    pub status: Option<Status>,
    /// The whole agent configuration (validated; it replaces the current one).
    pub config: Option<AgentConfig>,
}

/// One stored report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportDto {
    pub id: Uuid,
    pub reported_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub cpu_usage_percent: f64,
    pub memory_usage_percent: f64,
    pub disk_usage_percent: f64,
    pub memory_used_bytes: i64,
    pub memory_total_bytes: i64,
    pub disk_used_bytes: i64,
    pub disk_total_bytes: i64,
    pub load_average_1m: Option<f64>,
    pub process_uptime_seconds: Option<i64>,
    pub thread_count: Option<i32>,
    #[schema(value_type = Object)]
    pub custom_metrics: serde_json::Value,
}

impl From<instance_reports::Model> for ReportDto {
    fn from(r: instance_reports::Model) -> Self {
        Self {
            id: r.id,
            reported_at: r.reported_at,
            received_at: r.received_at,
            cpu_usage_percent: r.cpu_usage_percent,
            memory_usage_percent: r.memory_usage_percent,
            disk_usage_percent: r.disk_usage_percent,
            memory_used_bytes: r.memory_used_bytes,
            memory_total_bytes: r.memory_total_bytes,
            disk_used_bytes: r.disk_used_bytes,
            disk_total_bytes: r.disk_total_bytes,
            load_average_1m: r.load_average_1m,
            process_uptime_seconds: r.process_uptime_seconds,
            thread_count: r.thread_count,
            custom_metrics: r.custom_metrics,
        }
    }
}

/// Time range of `GET /api/v1/instances/{id}/reports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportRange {
    /// Reports received at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Reports received before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// `GET /api/v1/instances/{id}/metrics?range=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// How far back, e.g. `15m`, `1h`, `24h`, `7d` (1m to 30d; default 1h).
    #[param(pattern = r"^[0-9]+(s|m|h|d)$")]
    pub range: Option<String>,
}

/// One point of a downsampled series: averages over `[at, at + step)`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MetricPoint {
    pub at: DateTime<Utc>,
    pub cpu_usage_percent: f64,
    pub memory_usage_percent: f64,
    pub disk_usage_percent: f64,
    /// Reports averaged into this point.
    pub samples: i64,
}

/// A downsampled series of an instance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MetricSeries {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Seconds each point covers.
    pub step_seconds: i64,
    pub points: Vec<MetricPoint>,
}
