//! `POST /api/v1/agent/report`: one snapshot of a host, and the server's answer.
//!
//! Sizes are in bytes and percentages in 0–100; the server derives memory and disk percentages
//! from the byte counts, so the two can never disagree.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::config::AgentConfig;

/// One report of an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// The agent's own id for the instance it watches, kept across restarts (1–64 characters of
    /// `A-Z a-z 0-9 . _ : -`). Together with the application it identifies the instance.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9._:-]+$")]
    pub agent_instance_id: String,
    /// The agent's version.
    #[schema(max_length = 256)]
    pub agent_version: String,
    /// When the agent took this snapshot.
    pub reported_at: DateTime<Utc>,
    pub system: SystemInfo,
    #[serde(default)]
    pub network: NetworkInfo,
    pub hardware: HardwareInfo,
    #[serde(default)]
    pub runtime: RuntimeInfo,
    /// Environment of the watched process. Values of names that look secret are never stored.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Free-form labels (e.g. `region`, `build`).
    #[serde(default)]
    pub custom_fields: BTreeMap<String, String>,
    /// Application metrics, by name.
    #[serde(default)]
    pub custom_metrics: BTreeMap<String, f64>,
    /// The agent's own log lines since its last accepted report.
    #[serde(default)]
    pub logs: Vec<AgentLogLine>,
}

/// Operating system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemInfo {
    pub os_type: OsType,
    #[schema(max_length = 256)]
    pub os_version: Option<String>,
    #[schema(min_length = 1, max_length = 255)]
    pub hostname: String,
    #[schema(max_length = 256)]
    pub kernel_version: Option<String>,
    /// Seconds since the host booted.
    pub uptime_seconds: Option<u64>,
}

/// Operating system family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OsType {
    Linux,
    Windows,
    Macos,
    Unix,
    Unknown,
}

/// Addresses of the host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkInfo {
    /// The address the host is reached at inside its network.
    #[schema(value_type = Option<String>)]
    pub ip_address: Option<IpAddr>,
    #[schema(value_type = Option<String>)]
    pub public_ip: Option<IpAddr>,
    #[schema(max_length = 256)]
    pub mac_address: Option<String>,
}

/// Processor, memory and disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HardwareInfo {
    #[schema(max_length = 256)]
    pub cpu_model: Option<String>,
    pub cpu_cores: Option<u32>,
    /// CPU busy over the last interval, 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub cpu_usage_percent: f64,
    /// Load average over one minute.
    #[schema(minimum = 0)]
    pub load_average_1m: Option<f64>,
    pub memory_total_bytes: u64,
    /// At most `memory_total_bytes`.
    pub memory_used_bytes: u64,
    pub disk_total_bytes: u64,
    /// At most `disk_total_bytes`.
    pub disk_used_bytes: u64,
}

impl HardwareInfo {
    /// Memory in use, 0–100 (0 when the total is unknown).
    pub fn memory_usage_percent(&self) -> f64 {
        percent(self.memory_used_bytes, self.memory_total_bytes)
    }

    /// Disk in use, 0–100 (0 when the total is unknown).
    pub fn disk_usage_percent(&self) -> f64 {
        percent(self.disk_used_bytes, self.disk_total_bytes)
    }
}

fn percent(used: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (used as f64 / total as f64 * 100.0).clamp(0.0, 100.0)
    }
}

/// The watched process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuntimeInfo {
    pub process_id: Option<u32>,
    pub process_uptime_seconds: Option<u64>,
    pub thread_count: Option<u32>,
}

/// Severity of a log line.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// One log line of the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentLogLine {
    pub level: LogLevel,
    #[schema(min_length = 1, max_length = 8192)]
    pub message: String,
    pub logged_at: Option<DateTime<Utc>>,
    /// Trace id to correlate with server logs.
    #[schema(max_length = 256)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub context: BTreeMap<String, String>,
}

/// The server's answer to an accepted report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportResponse {
    /// The server's id of the instance.
    pub instance_id: Uuid,
    /// The configuration the agent should run with from now on.
    pub config: AgentConfig,
    /// When the server stored the report.
    pub received_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_come_from_byte_counts() {
        let hw = HardwareInfo {
            cpu_model: None,
            cpu_cores: None,
            cpu_usage_percent: 12.5,
            load_average_1m: None,
            memory_total_bytes: 8,
            memory_used_bytes: 2,
            disk_total_bytes: 0,
            disk_used_bytes: 0,
        };
        assert_eq!(hw.memory_usage_percent(), 25.0);
        assert_eq!(hw.disk_usage_percent(), 0.0);
    }

    #[test]
    fn minimal_reports_parse_and_unknown_fields_do_not() {
        let minimal = serde_json::json!({
            "agent_instance_id": "host-1",
            "agent_version": "0.1.0",
            "reported_at": "2026-12-03T10:00:00Z",
            "system": {"os_type": "linux", "hostname": "web-1"},
            "hardware": {
                "cpu_usage_percent": 3.0,
                "memory_total_bytes": 1024, "memory_used_bytes": 512,
                "disk_total_bytes": 2048, "disk_used_bytes": 1024
            }
        });
        let report: ReportRequest = serde_json::from_value(minimal.clone()).unwrap();
        assert!(report.environment.is_empty() && report.logs.is_empty());
        let mut extra = minimal;
        extra["application_code"] = "shop".into();
        assert!(serde_json::from_value::<ReportRequest>(extra).is_err());
    }
}
