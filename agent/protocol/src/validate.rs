//! Limits checks shared by both ends: the agent before sending, the server before storing.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::config::{AgentConfig, LONG_POLL_SECONDS, REPORT_INTERVAL_SECONDS};
use crate::limits::*;
use crate::report::{AgentLogLine, ReportRequest};
use crate::task::{FileOperation, TaskContent, TaskResult};

/// One field outside the limits: `field` is a path such as `hardware.cpu_usage_percent` or
/// `logs[3].message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    /// `length`, `range`, `count`, `format` or `nul`.
    pub code: &'static str,
    pub message: String,
}

/// Checks a value against the protocol's limits.
pub trait Validate {
    /// Every violation, or `Ok` if there is none. `now` is the checker's clock (for timestamps).
    fn validate(&self, now: DateTime<Utc>) -> Result<(), Vec<Violation>>;
}

/// Collects violations with field paths.
#[derive(Default)]
struct Check {
    violations: Vec<Violation>,
}

impl Check {
    fn push(&mut self, field: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.violations.push(Violation {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let len = value.chars().count();
        if value.contains('\0') {
            self.push(field, "nul", "must not contain NUL characters");
        } else if len < min || len > max {
            let message = if min == 0 {
                format!("must be at most {max} characters long")
            } else {
                format!("must be between {min} and {max} characters long")
            };
            self.push(field, "length", message);
        }
    }

    fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(value) = value {
            self.text(field, value, 0, max);
        }
    }

    fn number(&mut self, field: &str, value: f64, min: f64, max: f64) {
        if !value.is_finite() || value < min || value > max {
            let message = if max.is_finite() {
                format!("must be a number between {min} and {max}")
            } else {
                format!("must be a finite number of at least {min}")
            };
            self.push(field, "range", message);
        }
    }

    fn names<V>(
        &mut self,
        field: &str,
        map: &BTreeMap<String, V>,
        max_entries: usize,
        max_name: usize,
        mut value: impl FnMut(&mut Self, &str, &V),
    ) {
        if map.len() > max_entries {
            self.push(field, "count", format!("at most {max_entries} entries"));
            return;
        }
        for (name, v) in map {
            let path = format!("{field}.{}", name.replace('\0', "\\0"));
            if name.is_empty() || name.chars().count() > max_name || name.contains('\0') {
                self.push(
                    &path,
                    "length",
                    format!("names must be 1 to {max_name} characters long, without NUL"),
                );
                continue;
            }
            value(self, &path, v);
        }
    }

    fn finish(self) -> Result<(), Vec<Violation>> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(self.violations)
        }
    }
}

fn is_instance_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= INSTANCE_ID_MAX
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
}

impl Validate for ReportRequest {
    fn validate(&self, now: DateTime<Utc>) -> Result<(), Vec<Violation>> {
        let mut check = Check::default();
        if !is_instance_id(&self.agent_instance_id) {
            check.push(
                "agent_instance_id",
                "format",
                "use 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'",
            );
        }
        check.text("agent_version", &self.agent_version, 0, SHORT_TEXT_MAX);
        if self.reported_at > now + Duration::seconds(CLOCK_SKEW_MAX_SECONDS) {
            check.push(
                "reported_at",
                "range",
                format!(
                    "lies more than {CLOCK_SKEW_MAX_SECONDS} s in the future: check the host's clock"
                ),
            );
        }

        let system = &self.system;
        check.text("system.hostname", &system.hostname, 1, HOSTNAME_MAX);
        check.optional_text(
            "system.os_version",
            system.os_version.as_deref(),
            SHORT_TEXT_MAX,
        );
        check.optional_text(
            "system.kernel_version",
            system.kernel_version.as_deref(),
            SHORT_TEXT_MAX,
        );
        check.optional_text(
            "network.mac_address",
            self.network.mac_address.as_deref(),
            SHORT_TEXT_MAX,
        );

        let hw = &self.hardware;
        check.optional_text(
            "hardware.cpu_model",
            hw.cpu_model.as_deref(),
            SHORT_TEXT_MAX,
        );
        check.number(
            "hardware.cpu_usage_percent",
            hw.cpu_usage_percent,
            0.0,
            100.0,
        );
        if let Some(load) = hw.load_average_1m {
            check.number("hardware.load_average_1m", load, 0.0, f64::INFINITY);
        }
        if hw.memory_used_bytes > hw.memory_total_bytes {
            check.push(
                "hardware.memory_used_bytes",
                "range",
                "must not exceed memory_total_bytes",
            );
        }
        if hw.disk_used_bytes > hw.disk_total_bytes {
            check.push(
                "hardware.disk_used_bytes",
                "range",
                "must not exceed disk_total_bytes",
            );
        }

        check.names(
            "environment",
            &self.environment,
            ENVIRONMENT_ENTRIES_MAX,
            ENVIRONMENT_NAME_MAX,
            |check, path, value| check.text(path, value, 0, ENVIRONMENT_VALUE_MAX),
        );
        check.names(
            "custom_fields",
            &self.custom_fields,
            CUSTOM_ENTRIES_MAX,
            CUSTOM_NAME_MAX,
            |check, path, value| check.text(path, value, 0, CUSTOM_VALUE_MAX),
        );
        check.names(
            "custom_metrics",
            &self.custom_metrics,
            CUSTOM_ENTRIES_MAX,
            CUSTOM_NAME_MAX,
            |check, path, value| check.number(path, *value, f64::MIN, f64::MAX),
        );

        if self.logs.len() > LOG_LINES_MAX {
            check.push("logs", "count", format!("at most {LOG_LINES_MAX} lines"));
        } else {
            for (i, line) in self.logs.iter().enumerate() {
                check_log_line(&mut check, &format!("logs[{i}]"), line);
            }
        }
        check.finish()
    }
}

fn check_log_line(check: &mut Check, path: &str, line: &AgentLogLine) {
    check.text(
        &format!("{path}.message"),
        &line.message,
        1,
        LOG_MESSAGE_MAX,
    );
    check.optional_text(
        &format!("{path}.trace_id"),
        line.trace_id.as_deref(),
        SHORT_TEXT_MAX,
    );
    check.names(
        &format!("{path}.context"),
        &line.context,
        LOG_CONTEXT_ENTRIES_MAX,
        CUSTOM_NAME_MAX,
        |check, path, value| check.text(path, value, 0, CUSTOM_VALUE_MAX),
    );
}

fn is_http_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && url.len() > "https://".len()
        && !url.chars().any(char::is_whitespace)
}

fn is_name(value: &str, max: usize) -> bool {
    let mut chars = value.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value.len() <= max
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

impl Validate for TaskContent {
    /// Field paths are relative to the content (`script`, `headers.X`, …).
    fn validate(&self, _now: DateTime<Utc>) -> Result<(), Vec<Violation>> {
        let mut check = Check::default();
        match self {
            TaskContent::ShellExec(shell) => {
                check.text("script", &shell.script, 1, SCRIPT_MAX);
                check.optional_text("workdir", shell.workdir.as_deref(), PATH_MAX);
                check.names(
                    "env",
                    &shell.env,
                    TASK_MAP_ENTRIES_MAX,
                    ENVIRONMENT_NAME_MAX,
                    |check, path, value| check.text(path, value, 0, ENVIRONMENT_VALUE_MAX),
                );
            }
            TaskContent::HttpRequest(http) => {
                check.text("url", &http.url, 1, URL_MAX);
                if !is_http_url(&http.url) {
                    check.push("url", "format", "must be an http:// or https:// URL");
                }
                check.names(
                    "headers",
                    &http.headers,
                    TASK_MAP_ENTRIES_MAX,
                    CUSTOM_NAME_MAX,
                    |check, path, value| check.text(path, value, 0, CUSTOM_VALUE_MAX),
                );
                check.optional_text("body", http.body.as_deref(), HTTP_BODY_MAX);
            }
            TaskContent::RunCode(code) => {
                if !is_name(&code.interpreter, 32) {
                    check.push(
                        "interpreter",
                        "format",
                        "use 1 to 32 lower-case letters, digits, '.', '_' and '-'",
                    );
                }
                check.text("code", &code.code, 1, SCRIPT_MAX);
            }
            TaskContent::FileManager(files) => {
                check.text("path", &files.path, 1, PATH_MAX);
                match (&files.operation, &files.url) {
                    (FileOperation::Download, None) => {
                        check.push("url", "required", "a download needs the URL to fetch")
                    }
                    (FileOperation::Download, Some(url)) => {
                        check.text("url", url, 1, URL_MAX);
                        if !is_http_url(url) {
                            check.push("url", "format", "must be an http:// or https:// URL");
                        }
                    }
                    (_, Some(_)) => check.push("url", "unexpected", "only a download takes a URL"),
                    (_, None) => {}
                }
            }
            TaskContent::CustomCommand(command) => {
                if !is_name(&command.name, 64) {
                    check.push(
                        "name",
                        "format",
                        "use 1 to 64 lower-case letters, digits, '.', '_' and '-'",
                    );
                }
                if command.args.len() > TASK_ARGS_MAX {
                    check.push(
                        "args",
                        "count",
                        format!("at most {TASK_ARGS_MAX} arguments"),
                    );
                } else {
                    for (i, arg) in command.args.iter().enumerate() {
                        check.text(&format!("args[{i}]"), arg, 0, CUSTOM_VALUE_MAX);
                    }
                }
            }
        }
        check.finish()
    }
}

impl Validate for TaskResult {
    fn validate(&self, _now: DateTime<Utc>) -> Result<(), Vec<Violation>> {
        let mut check = Check::default();
        if !is_instance_id(&self.agent_instance_id) {
            check.push(
                "agent_instance_id",
                "format",
                "use 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'",
            );
        }
        // Output is not refused for its length: the server keeps the first OUTPUT_MAX characters
        // and marks the result truncated, so a result is never lost.
        if self.output.as_deref().is_some_and(|o| o.contains('\0')) {
            check.push("output", "nul", "must not contain NUL characters");
        }
        check.optional_text("error", self.error.as_deref(), ERROR_MAX);
        if let (Some(started), Some(finished)) = (self.started_at, self.finished_at)
            && finished < started
        {
            check.push("finished_at", "range", "must not be before started_at");
        }
        check.finish()
    }
}

impl Validate for AgentConfig {
    fn validate(&self, _now: DateTime<Utc>) -> Result<(), Vec<Violation>> {
        let mut check = Check::default();
        if !REPORT_INTERVAL_SECONDS.contains(&self.report_interval_seconds) {
            check.push(
                "report_interval_seconds",
                "range",
                format!(
                    "must be between {} and {}",
                    REPORT_INTERVAL_SECONDS.start(),
                    REPORT_INTERVAL_SECONDS.end()
                ),
            );
        }
        if !LONG_POLL_SECONDS.contains(&self.long_poll_seconds) {
            check.push(
                "long_poll_seconds",
                "range",
                format!(
                    "must be between {} and {}",
                    LONG_POLL_SECONDS.start(),
                    LONG_POLL_SECONDS.end()
                ),
            );
        }
        check.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::*;

    fn report() -> ReportRequest {
        ReportRequest {
            agent_instance_id: "host-1".into(),
            agent_version: "0.1.0".into(),
            reported_at: Utc::now(),
            system: SystemInfo {
                os_type: OsType::Linux,
                os_version: Some("Debian 12".into()),
                hostname: "web-1".into(),
                kernel_version: None,
                uptime_seconds: Some(10),
            },
            network: NetworkInfo::default(),
            hardware: HardwareInfo {
                cpu_model: None,
                cpu_cores: Some(2),
                cpu_usage_percent: 12.0,
                load_average_1m: Some(0.5),
                memory_total_bytes: 100,
                memory_used_bytes: 50,
                disk_total_bytes: 100,
                disk_used_bytes: 10,
            },
            runtime: RuntimeInfo::default(),
            environment: BTreeMap::new(),
            custom_fields: BTreeMap::new(),
            custom_metrics: BTreeMap::new(),
            logs: Vec::new(),
        }
    }

    fn fields(result: Result<(), Vec<Violation>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    #[test]
    fn a_plain_report_is_valid() {
        assert_eq!(report().validate(Utc::now()), Ok(()));
    }

    #[test]
    fn every_limit_names_its_field() {
        let mut r = report();
        r.agent_instance_id = "has space".into();
        r.reported_at = Utc::now() + Duration::hours(1);
        r.system.hostname = String::new();
        r.hardware.cpu_usage_percent = 100.5;
        r.hardware.load_average_1m = Some(f64::NAN);
        r.hardware.memory_used_bytes = 101;
        r.environment.insert("A".into(), "x\0y".into());
        r.custom_metrics.insert("latency".into(), f64::INFINITY);
        r.custom_fields.insert(String::new(), "v".into());
        r.logs.push(AgentLogLine {
            level: LogLevel::Info,
            message: String::new(),
            logged_at: None,
            trace_id: None,
            context: BTreeMap::new(),
        });
        assert_eq!(
            fields(r.validate(Utc::now())),
            vec![
                "agent_instance_id",
                "reported_at",
                "system.hostname",
                "hardware.cpu_usage_percent",
                "hardware.load_average_1m",
                "hardware.memory_used_bytes",
                "environment.A",
                "custom_fields.",
                "custom_metrics.latency",
                "logs[0].message",
            ]
        );
    }

    #[test]
    fn counts_are_bounded() {
        let mut r = report();
        for i in 0..=CUSTOM_ENTRIES_MAX {
            r.custom_metrics.insert(format!("m{i}"), 1.0);
        }
        let line = AgentLogLine {
            level: LogLevel::Warn,
            message: "x".into(),
            logged_at: None,
            trace_id: None,
            context: BTreeMap::new(),
        };
        r.logs = vec![line; LOG_LINES_MAX + 1];
        assert_eq!(
            fields(r.validate(Utc::now())),
            vec!["custom_metrics", "logs"]
        );
    }

    #[test]
    fn task_contents_are_checked_per_type() {
        use crate::task::*;
        let now = Utc::now();
        let ok = TaskContent::ShellExec(ShellExec {
            script: "uptime".into(),
            workdir: None,
            env: BTreeMap::new(),
        });
        assert_eq!(ok.validate(now), Ok(()));
        let cases: Vec<(TaskContent, Vec<&str>)> = vec![
            (
                TaskContent::ShellExec(ShellExec {
                    script: String::new(),
                    workdir: Some("a\0b".into()),
                    env: BTreeMap::new(),
                }),
                vec!["script", "workdir"],
            ),
            (
                TaskContent::HttpRequest(HttpRequest {
                    method: HttpMethod::Get,
                    url: "file:///etc/passwd".into(),
                    headers: BTreeMap::new(),
                    body: None,
                    follow_redirects: false,
                    verify_tls: true,
                }),
                vec!["url"],
            ),
            (
                TaskContent::RunCode(RunCode {
                    interpreter: "/bin/sh".into(),
                    code: "x".into(),
                }),
                vec!["interpreter"],
            ),
            (
                TaskContent::FileManager(FileManager {
                    operation: FileOperation::Download,
                    path: "/srv/app/x".into(),
                    url: None,
                }),
                vec!["url"],
            ),
            (
                TaskContent::FileManager(FileManager {
                    operation: FileOperation::Delete,
                    path: String::new(),
                    url: Some("https://example.com/x".into()),
                }),
                vec!["path", "url"],
            ),
            (
                TaskContent::CustomCommand(CustomCommand {
                    name: "Restart App".into(),
                    args: vec!["x".into(); 17],
                }),
                vec!["name", "args"],
            ),
        ];
        for (content, expected) in cases {
            assert_eq!(fields(content.validate(now)), expected, "{content:?}");
        }
    }

    #[test]
    fn task_contents_round_trip_with_their_type() {
        let json = serde_json::json!({"type": "run_code", "content": {"interpreter": "python3", "code": "print(1)"}});
        let content: crate::task::TaskContent = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(content.type_name(), "run_code");
        assert_eq!(serde_json::to_value(&content).unwrap(), json);
        let unknown = serde_json::json!({"type": "format_disk", "content": {}});
        assert!(serde_json::from_value::<crate::task::TaskContent>(unknown).is_err());
    }

    #[test]
    fn agent_config_bounds() {
        assert_eq!(AgentConfig::default().validate(Utc::now()), Ok(()));
        let bad = AgentConfig {
            report_interval_seconds: 1,
            long_poll_seconds: 61,
            ..AgentConfig::default()
        };
        assert_eq!(
            fields(bad.validate(Utc::now())),
            vec!["report_interval_seconds", "long_poll_seconds"]
        );
    }
}
