//! The agent's local configuration: a TOML file plus `MONIHUB_AGENT_*` variables (which win).
//! It decides what the agent may do; the server's per-instance settings can only narrow it.
//!
//! ```toml
//! server_url = "https://monihub.example.com"
//! token_file = "/etc/monihub-agent/token"   # or MONIHUB_AGENT_TOKEN; never a command-line flag
//! state_dir = "/var/lib/monihub-agent"
//! report_interval = "30s"                   # until the server says otherwise
//!
//! [tasks]
//! allowed = ["shell_exec", "http_request"] # nothing runs unless listed
//! file_roots = ["/var/log/myapp"]
//! [tasks.interpreters]
//! python3 = "/usr/bin/python3"
//! [tasks.commands]
//! restart-app = ["/usr/bin/systemctl", "restart", "myapp"]
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

/// Variables named `MONIHUB_AGENT_<KEY>` (nested keys with `__`, e.g.
/// `MONIHUB_AGENT_TASKS__ALLOWED=shell_exec,http_request`) override the file.
pub const ENV_PREFIX: &str = "MONIHUB_AGENT";
/// The default configuration file.
pub const DEFAULT_FILE: &str = "/etc/monihub-agent/agent.toml";

/// Task types, as the protocol names them.
pub const TASK_TYPES: [&str; 5] = [
    "shell_exec",
    "http_request",
    "run_code",
    "file_manager",
    "custom_command",
];

/// The whole configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The server's base URL (`https://…`, or `http://` on a trusted network).
    pub server_url: String,
    /// The agent token, from the environment only (`MONIHUB_AGENT_TOKEN`).
    #[serde(default, skip_deserializing)]
    pub token: Option<Token>,
    /// A file holding the agent token (re-read when the server refuses the current one).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Where the agent keeps its identity.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// Seconds between reports until the server's answer sets it.
    #[serde(default = "default_interval", with = "humantime_serde")]
    pub report_interval: Duration,
    /// An HTTP(S) proxy for every request to the server.
    #[serde(default)]
    pub proxy: Option<String>,
    /// Extra CA certificates (PEM) to trust for the server.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Per-request timeout towards the server (long-polls add their wait).
    #[serde(default = "default_request_timeout", with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Instance id override (otherwise generated once and kept in `state_dir`).
    #[serde(default)]
    pub instance_id: Option<String>,
    /// Free-form labels sent with every report.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub tasks: TaskPolicy,
    #[serde(default)]
    pub logs: LogShipping,
}

/// The agent token; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(pub String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

/// What remote tasks may do on this host.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPolicy {
    /// Task types that run; every other type is refused with a clear result.
    #[serde(default)]
    pub allowed: BTreeSet<String>,
    /// Directories `file_manager` may touch (nothing outside them, symlinks included).
    #[serde(default)]
    pub file_roots: Vec<PathBuf>,
    /// `run_code` interpreters by name: the only programs code can be handed to.
    #[serde(default)]
    pub interpreters: BTreeMap<String, PathBuf>,
    /// `custom_command` hooks by name: program and fixed arguments.
    #[serde(default)]
    pub commands: BTreeMap<String, Vec<String>>,
    /// Bytes of stdout and stderr kept per task; the rest is cut and marked truncated.
    #[serde(default = "default_output_limit")]
    pub output_limit: usize,
    /// Largest file `file_manager` downloads or sends back.
    #[serde(default = "default_file_limit")]
    pub file_limit: u64,
    /// Tasks running at once; more wait.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
}

impl Default for TaskPolicy {
    fn default() -> Self {
        Self {
            allowed: BTreeSet::new(),
            file_roots: Vec::new(),
            interpreters: BTreeMap::new(),
            commands: BTreeMap::new(),
            output_limit: default_output_limit(),
            file_limit: default_file_limit(),
            concurrency: default_concurrency(),
        }
    }
}

/// The agent's own log lines, shipped with reports.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogShipping {
    /// Lines kept between two accepted reports; more are dropped (and counted).
    #[serde(default = "default_log_buffer")]
    pub buffer: usize,
}

impl Default for LogShipping {
    fn default() -> Self {
        Self {
            buffer: default_log_buffer(),
        }
    }
}

fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/monihub-agent")
}
fn default_interval() -> Duration {
    Duration::from_secs(30)
}
fn default_request_timeout() -> Duration {
    Duration::from_secs(15)
}
fn default_output_limit() -> usize {
    monihub_agent_protocol::limits::OUTPUT_MAX
}
fn default_file_limit() -> u64 {
    64 * 1024 * 1024
}
fn default_concurrency() -> usize {
    4
}
fn default_log_buffer() -> usize {
    500
}

impl Config {
    /// Read `file` (optional when `required` is false) and the environment, then check it.
    pub fn load(file: &Path, required: bool) -> anyhow::Result<Self> {
        let env = std::env::vars().collect();
        Self::load_from(file, required, &env)
    }

    /// [`Config::load`] with an explicit environment (for tests).
    pub fn load_from(
        file: &Path,
        required: bool,
        env: &std::collections::HashMap<String, String>,
    ) -> anyhow::Result<Self> {
        if required && !file.is_file() {
            bail!("the configuration file {} does not exist", file.display());
        }
        let settings = config::Config::builder()
            .add_source(config::File::from(file).required(required))
            .add_source(
                config::Environment::with_prefix(ENV_PREFIX)
                    .prefix_separator("_")
                    .separator("__")
                    .list_separator(",")
                    .with_list_parse_key("tasks.allowed")
                    .with_list_parse_key("tasks.file_roots")
                    .try_parsing(true)
                    .source(Some(
                        env.iter()
                            .filter(|(k, _)| k.as_str() != "MONIHUB_AGENT_TOKEN")
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    )),
            )
            .build()
            .with_context(|| format!("failed to read the configuration ({})", file.display()))?;
        let mut config: Config = settings
            .try_deserialize()
            .context("the configuration is not valid")?;
        // A comma list from the environment may be empty (`MONIHUB_AGENT_TASKS__ALLOWED=` means
        // none) or spaced (`a, b`): its parser yields "" and " b" for those.
        config.tasks.allowed = std::mem::take(&mut config.tasks.allowed)
            .into_iter()
            .map(|kind| kind.trim().to_owned())
            .filter(|kind| !kind.is_empty())
            .collect();
        config
            .tasks
            .file_roots
            .retain(|root| !root.as_os_str().is_empty());
        config.token = env
            .get("MONIHUB_AGENT_TOKEN")
            .filter(|t| !t.trim().is_empty())
            .map(|t| Token(t.trim().to_owned()));
        config.validate()?;
        Ok(config)
    }

    /// Every problem the agent can find without the server.
    pub fn validate(&self) -> anyhow::Result<()> {
        let url = reqwest::Url::parse(&self.server_url)
            .with_context(|| format!("server_url {:?} is not a URL", self.server_url))?;
        if !matches!(url.scheme(), "http" | "https") {
            bail!("server_url must start with https:// (or http://)");
        }
        if url.host_str().is_none() {
            bail!("server_url has no host");
        }
        if self.token.is_none() && self.token_file.is_none() {
            bail!("no agent token: set MONIHUB_AGENT_TOKEN or token_file");
        }
        if !(5..=3600).contains(&self.report_interval.as_secs()) {
            bail!("report_interval must be between 5s and 1h");
        }
        if let Some(id) = &self.instance_id {
            let valid = !id.is_empty()
                && id.len() <= monihub_agent_protocol::limits::INSTANCE_ID_MAX
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c));
            if !valid {
                bail!("instance_id must be 1–64 characters of A-Z a-z 0-9 . _ : -");
            }
        }
        for kind in &self.tasks.allowed {
            if !TASK_TYPES.contains(&kind.as_str()) {
                bail!(
                    "tasks.allowed names an unknown task type {kind:?} (known: {})",
                    TASK_TYPES.join(", ")
                );
            }
        }
        for root in &self.tasks.file_roots {
            if !root.is_absolute() {
                bail!(
                    "tasks.file_roots entries must be absolute ({})",
                    root.display()
                );
            }
        }
        for (name, path) in &self.tasks.interpreters {
            if !path.is_absolute() {
                bail!("tasks.interpreters.{name} must be an absolute path");
            }
        }
        for (name, argv) in &self.tasks.commands {
            if argv.first().is_none_or(|p| !Path::new(p).is_absolute()) {
                bail!("tasks.commands.{name} must start with an absolute program path");
            }
        }
        if self.tasks.output_limit == 0 || self.tasks.concurrency == 0 || self.logs.buffer == 0 {
            bail!("tasks.output_limit, tasks.concurrency and logs.buffer must be positive");
        }
        Ok(())
    }

    /// The token to send: the variable, else the file's first line (read fresh each call, so a
    /// rotated token file is picked up without a restart).
    pub fn current_token(&self) -> anyhow::Result<Token> {
        if let Some(token) = &self.token {
            return Ok(token.clone());
        }
        let path = self
            .token_file
            .as_ref()
            .context("no agent token configured")?;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read the token file {}", path.display()))?;
        let token = text.lines().next().unwrap_or_default().trim().to_owned();
        if token.is_empty() {
            bail!("the token file {} is empty", path.display());
        }
        Ok(Token(token))
    }

    /// Whether a task type may run here.
    pub fn allows(&self, kind: &str) -> bool {
        self.tasks.allowed.contains(kind)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("agent.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The operator sets the variable to an empty list when no task type is allowed.
    #[test]
    fn empty_or_spaced_lists_from_the_environment_are_read_as_meant() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("absent.toml");
        let load = |allowed: &str| {
            Config::load_from(
                &file,
                false,
                &env(&[
                    ("MONIHUB_AGENT_SERVER_URL", "http://hub:8080"),
                    ("MONIHUB_AGENT_TOKEN", "mhat_secret"),
                    ("MONIHUB_AGENT_TASKS__ALLOWED", allowed),
                    ("MONIHUB_AGENT_TASKS__FILE_ROOTS", ""),
                ]),
            )
        };
        let none = load("").unwrap();
        assert!(none.tasks.allowed.is_empty() && none.tasks.file_roots.is_empty());
        let two = load("shell_exec, http_request").unwrap();
        assert!(two.allows("shell_exec") && two.allows("http_request"));
        assert!(
            load("shell_exec,rm_rf").is_err(),
            "unknown types still fail"
        );
    }

    #[test]
    fn file_and_environment_combine_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            r#"
server_url = "https://hub.example.com"
report_interval = "10s"
[tasks]
allowed = ["shell_exec"]
[tasks.interpreters]
python3 = "/usr/bin/python3"
"#,
        );
        let config = Config::load_from(
            &file,
            true,
            &env(&[
                ("MONIHUB_AGENT_TOKEN", "mhat_secret"),
                ("MONIHUB_AGENT_REPORT_INTERVAL", "20s"),
                ("MONIHUB_AGENT_TASKS__ALLOWED", "shell_exec,run_code"),
            ]),
        )
        .unwrap();
        assert_eq!(config.report_interval, Duration::from_secs(20));
        assert!(config.allows("run_code") && !config.allows("file_manager"));
        assert_eq!(config.current_token().unwrap().0, "mhat_secret");
        assert!(
            !format!("{config:?}").contains("mhat_secret"),
            "never printed"
        );
    }

    #[test]
    fn bad_configurations_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("server_url = \"ftp://x\"", "https://"),
            ("server_url = \"not a url\"", "is not a URL"),
            (
                "server_url = \"https://x\"\n[tasks]\nallowed = [\"rm_rf\"]",
                "unknown task type",
            ),
            (
                "server_url = \"https://x\"\n[tasks]\nfile_roots = [\"relative\"]",
                "absolute",
            ),
            (
                "server_url = \"https://x\"\nreport_interval = \"1s\"",
                "between 5s",
            ),
            ("server_url = \"https://x\"\nsurprise = 1", "not valid"),
        ];
        for (text, expected) in cases {
            let file = write(dir.path(), text);
            let err =
                Config::load_from(&file, true, &env(&[("MONIHUB_AGENT_TOKEN", "t")])).unwrap_err();
            assert!(format!("{err:#}").contains(expected), "{text}: {err:#}");
        }
        let file = write(dir.path(), "server_url = \"https://x\"");
        let err = Config::load_from(&file, true, &env(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("no agent token"));
        let err = Config::load_from(&dir.path().join("missing.toml"), true, &env(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("does not exist"));
    }

    #[test]
    fn the_token_file_is_read_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "mhat_one\n").unwrap();
        let file = write(
            dir.path(),
            &format!(
                "server_url = \"https://x\"\ntoken_file = \"{}\"",
                token.display()
            ),
        );
        let config = Config::load_from(&file, true, &env(&[])).unwrap();
        assert_eq!(config.current_token().unwrap().0, "mhat_one");
        std::fs::write(&token, "mhat_two\n").unwrap();
        assert_eq!(config.current_token().unwrap().0, "mhat_two");
    }
}
