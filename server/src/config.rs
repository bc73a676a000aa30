//! Typed configuration, loaded once: built-in defaults → optional TOML file → `MONIHUB_*` variables.
//!
//! Secrets (database URL, JWT key, admin password) are [`SecretString`]s: they never appear in
//! `Debug` output or logs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// The default database of the embedded mode: a SQLite file in the working directory.
pub const EMBEDDED_DATABASE_URL: &str = "sqlite://monihub.db?mode=rwc";
/// HS256 keys shorter than this are refused.
pub const MIN_JWT_SECRET_LEN: usize = 32;
/// What the console and Swagger UI need and nothing more: own scripts, styles and API calls; no
/// framing, no plugins, no foreign form targets. (Inline styles: Swagger UI sets some.)
pub const DEFAULT_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; object-src 'none'; \
     frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to load configuration")]
    Load(#[from] config::ConfigError),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// How the server is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One process on a laptop: SQLite by default, migrations applied on start, a JWT key generated
    /// and kept beside the database, a random first admin password printed once.
    Embedded,
    /// Clusters and Compose: every secret must be given, migrations are run by a separate job.
    Production,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Every setting of the server. Field names are the `MONIHUB_*` variable names in lower case.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub mode: Mode,
    pub database_url: Option<SecretString>,
    pub bind: String,
    pub jwt_secret: Option<SecretString>,
    #[serde(with = "humantime_serde")]
    pub token_ttl: Duration,
    pub admin_password: Option<SecretString>,
    /// An agent token (`mhat_…`) for the built-in "Cluster nodes" application, which the server
    /// creates at start when this is set: the operator's node agents use it.
    pub cluster_agent_token: Option<SecretString>,
    pub static_dir: Option<PathBuf>,
    pub log_format: LogFormat,
    /// A `tracing` filter directive, e.g. `info` or `monihub_server=debug,info`.
    pub log_level: String,
    #[serde(with = "humantime_serde")]
    pub offline_after: Duration,
    /// Sign-in attempts for one account from one client within `login_lockout` before that client
    /// is blocked (and, across all clients, before attempts for the account are delayed).
    pub login_max_failures: u32,
    /// The window attempts are counted in, and how long a blocked client stays blocked.
    #[serde(with = "humantime_serde")]
    pub login_lockout: Duration,
    /// The longest delay between sign-in attempts for one account across all clients.
    #[serde(with = "humantime_serde")]
    pub login_max_delay: Duration,
    /// Proxies whose `X-Forwarded-For` is believed (comma-separated addresses or CIDR ranges).
    /// Requests from anywhere else are attributed to their peer address.
    #[serde(deserialize_with = "ip_networks")]
    pub trusted_proxies: Vec<IpNet>,
    /// Password hashes run at once (0: one per core).
    pub password_hash_concurrency: usize,
    /// How long a request waits for a hashing slot before it is shed with 503.
    #[serde(with = "humantime_serde")]
    pub password_hash_wait: Duration,
    /// A request body must arrive completely within this time (408 otherwise).
    #[serde(with = "humantime_serde")]
    pub request_body_timeout: Duration,
    /// A token Prometheus may present to read `/api/v1/fleet/metrics` (at least 32 bytes; unset:
    /// only signed-in users can).
    pub metrics_token: Option<SecretString>,
    /// Report history older than this is deleted.
    #[serde(with = "humantime_serde")]
    pub retention_reports: Duration,
    /// Log lines older than this are deleted.
    #[serde(with = "humantime_serde")]
    pub retention_logs: Duration,
    /// Agent reports waiting to be stored; beyond this, agents get 503 with `Retry-After`.
    pub report_queue_capacity: usize,
    /// The most reports stored in one transaction.
    pub report_batch_max: usize,
    /// Report writers storing batches side by side (PostgreSQL; SQLite has one writer).
    pub report_writers: usize,
    /// The `Content-Security-Policy` sent with every response (empty: none).
    pub content_security_policy: String,
    /// `Strict-Transport-Security` max-age to send (unset: no header; set it when MoniHub is only
    /// reached over HTTPS).
    #[serde(default, with = "humantime_serde")]
    pub hsts_max_age: Option<Duration>,
    /// Upper bound of database connections held by this process.
    pub database_max_connections: u32,
    /// Idle database connections are closed after this long.
    #[serde(with = "humantime_serde")]
    pub database_idle_timeout: Duration,
}

impl Settings {
    /// Loads settings from defaults, then `file` (if any), then `MONIHUB_*` variables, then
    /// `overrides` (used by tests and by command-line flags), and validates them.
    pub fn load(file: Option<&Path>, overrides: &[(&str, &str)]) -> Result<Self, ConfigError> {
        Self::load_with_env(file, None, overrides)
    }

    /// Like [`Settings::load`], reading variables from `env` instead of the process environment
    /// when given (so tests do not depend on the caller's shell).
    fn load_with_env(
        file: Option<&Path>,
        env: Option<config::Map<String, String>>,
        overrides: &[(&str, &str)],
    ) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder()
            .set_default("mode", "production")?
            .set_default("bind", "0.0.0.0:9080")?
            .set_default("token_ttl", "1h")?
            .set_default("log_format", "json")?
            .set_default("log_level", "info")?
            .set_default("offline_after", "90s")?
            .set_default("login_max_failures", 5)?
            .set_default("login_lockout", "15m")?
            .set_default("login_max_delay", "30s")?
            .set_default("trusted_proxies", "")?
            .set_default("password_hash_concurrency", 0)?
            .set_default("password_hash_wait", "5s")?
            .set_default("request_body_timeout", "30s")?
            .set_default("retention_reports", "7d")?
            .set_default("retention_logs", "30d")?
            .set_default("report_queue_capacity", 4096)?
            .set_default("report_batch_max", 500)?
            .set_default("report_writers", 2)?
            .set_default("content_security_policy", DEFAULT_CONTENT_SECURITY_POLICY)?
            .set_default("database_max_connections", 10)?
            .set_default("database_idle_timeout", "10m")?;
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("MONIHUB")
                .prefix_separator("_")
                .try_parsing(false)
                .source(env),
        );
        for (key, value) in overrides {
            builder = builder.set_override(*key, *value)?;
        }
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(secret) = &self.jwt_secret
            && secret.expose_secret().len() < MIN_JWT_SECRET_LEN
        {
            return Err(ConfigError::Invalid(format!(
                "MONIHUB_JWT_SECRET must be at least {MIN_JWT_SECRET_LEN} bytes"
            )));
        }
        if self.mode == Mode::Production {
            if self.jwt_secret.is_none() {
                return Err(ConfigError::Invalid(
                    "MONIHUB_JWT_SECRET is required in production mode (there is no built-in key)"
                        .into(),
                ));
            }
            if self.database_url.is_none() {
                return Err(ConfigError::Invalid(
                    "MONIHUB_DATABASE_URL is required in production mode".into(),
                ));
            }
        }
        if !(Duration::from_secs(60)..=Duration::from_secs(30 * 24 * 3600))
            .contains(&self.token_ttl)
        {
            return Err(ConfigError::Invalid(
                "MONIHUB_TOKEN_TTL must be between 1m and 30d".into(),
            ));
        }
        if let Some(token) = &self.metrics_token
            && token.expose_secret().len() < MIN_JWT_SECRET_LEN
        {
            return Err(ConfigError::Invalid(format!(
                "MONIHUB_METRICS_TOKEN must be at least {MIN_JWT_SECRET_LEN} bytes"
            )));
        }
        if self.login_max_failures == 0 {
            return Err(ConfigError::Invalid(
                "MONIHUB_LOGIN_MAX_FAILURES must be at least 1".into(),
            ));
        }
        if !(Duration::from_secs(1)..=Duration::from_secs(24 * 3600)).contains(&self.login_lockout)
        {
            return Err(ConfigError::Invalid(
                "MONIHUB_LOGIN_LOCKOUT must be between 1s and 24h".into(),
            ));
        }
        if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&self.login_max_delay) {
            return Err(ConfigError::Invalid(
                "MONIHUB_LOGIN_MAX_DELAY must be between 1s and 1h".into(),
            ));
        }
        if let Some(token) = &self.cluster_agent_token {
            let token = token.expose_secret();
            if !token.starts_with(crate::applications::token::TOKEN_PREFIX)
                || token.len() < 40
                || !token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(ConfigError::Invalid(
                    "MONIHUB_CLUSTER_AGENT_TOKEN must be an agent token (mhat_ and at least 35 \
                     more letters, digits, - or _)"
                        .into(),
                ));
            }
        }
        if let Some(password) = &self.admin_password
            && let Err(message) = crate::auth::password::check_policy(password.expose_secret())
        {
            return Err(ConfigError::Invalid(format!(
                "MONIHUB_ADMIN_PASSWORD is not acceptable: {message}"
            )));
        }
        if !self
            .content_security_policy
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(ConfigError::Invalid(
                "MONIHUB_CONTENT_SECURITY_POLICY must be printable ASCII on one line".into(),
            ));
        }
        if !(Duration::from_secs(10)..=Duration::from_secs(7 * 86_400))
            .contains(&self.offline_after)
        {
            return Err(ConfigError::Invalid(
                "MONIHUB_OFFLINE_AFTER must be between 10s and 7d".into(),
            ));
        }
        let retention_bounds = Duration::from_secs(3600)..=Duration::from_secs(3650 * 86_400);
        if !retention_bounds.contains(&self.retention_reports)
            || !retention_bounds.contains(&self.retention_logs)
        {
            return Err(ConfigError::Invalid(
                "MONIHUB_RETENTION_REPORTS and MONIHUB_RETENTION_LOGS must be between 1h and 3650d"
                    .into(),
            ));
        }
        if self.report_queue_capacity == 0 || !(1..=5000).contains(&self.report_batch_max) {
            return Err(ConfigError::Invalid(
                "MONIHUB_REPORT_QUEUE_CAPACITY must be at least 1 and MONIHUB_REPORT_BATCH_MAX \
                 between 1 and 5000"
                    .into(),
            ));
        }
        if !(1..=16).contains(&self.report_writers) {
            return Err(ConfigError::Invalid(
                "MONIHUB_REPORT_WRITERS must be between 1 and 16".into(),
            ));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "MONIHUB_DATABASE_MAX_CONNECTIONS must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The database URL to use: the configured one, or the embedded default.
    pub fn database_url(&self) -> SecretString {
        self.database_url
            .clone()
            .unwrap_or_else(|| SecretString::from(EMBEDDED_DATABASE_URL))
    }
}

/// `a, b/16, …` → networks; a bare address is a network of one.
fn ip_networks<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<IpNet>, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<IpNet>()
                .or_else(|_| part.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "'{part}' in MONIHUB_TRUSTED_PROXIES is not an IP address or CIDR range"
                    ))
                })
        })
        .collect()
}

impl Settings {
    /// The throttling parameters of sign-ins and password checks.
    pub fn throttle_policy(&self) -> crate::auth::throttle::Policy {
        // Both are bounded by `validate`, so the conversion cannot fail.
        let duration =
            |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(1));
        crate::auth::throttle::Policy {
            max_failures: self.login_max_failures,
            lockout: duration(self.login_lockout),
            max_delay: duration(self.login_max_delay),
        }
    }

    /// How long report history and logs are kept.
    pub fn retention(&self) -> crate::retention::Retention {
        crate::retention::Retention {
            reports: self.retention_reports,
            logs: self.retention_logs,
        }
    }

    /// The hashing concurrency to use (`0` means one per core).
    pub fn password_hash_slots(&self) -> usize {
        match self.password_hash_concurrency {
            0 => crate::auth::hasher::default_concurrency(),
            n => n,
        }
    }
}

/// The file of a `sqlite:` URL, or `None` for other databases and in-memory SQLite.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(PathBuf::from(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn load(overrides: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::load_with_env(None, Some(config::Map::new()), overrides)
    }

    #[test]
    fn production_requires_a_jwt_secret() {
        let err = load(&[("database_url", "postgres://x")]).unwrap_err();
        assert!(err.to_string().contains("MONIHUB_JWT_SECRET"), "{err}");
    }

    #[test]
    fn short_jwt_secret_is_refused() {
        let err = load(&[("mode", "embedded"), ("jwt_secret", "short")]).unwrap_err();
        assert!(err.to_string().contains("at least 32 bytes"), "{err}");
    }

    #[test]
    fn embedded_defaults_to_sqlite() {
        let s = load(&[("mode", "embedded")]).unwrap();
        assert_eq!(s.database_url().expose_secret(), EMBEDDED_DATABASE_URL);
        assert_eq!(s.token_ttl, Duration::from_secs(3600));
        assert_eq!(s.bind, "0.0.0.0:9080");
    }

    #[test]
    fn durations_parse_human_units() {
        let s = load(&[
            ("mode", "production"),
            ("jwt_secret", SECRET),
            ("database_url", "postgres://x"),
            ("token_ttl", "15m"),
        ])
        .unwrap();
        assert_eq!(s.token_ttl, Duration::from_secs(900));
    }

    #[test]
    fn unknown_mode_is_a_clear_error() {
        let err = load(&[("mode", "cluster")]).unwrap_err();
        assert!(format!("{err:#?}").contains("cluster"), "{err:#?}");
    }

    #[test]
    fn secrets_are_not_in_debug_output() {
        let s = load(&[("mode", "embedded"), ("jwt_secret", SECRET)]).unwrap();
        assert!(!format!("{s:?}").contains(SECRET));
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_ranges() {
        let s = load(&[
            ("mode", "embedded"),
            ("trusted_proxies", " 10.0.0.0/8, 127.0.0.1 ,::1"),
        ])
        .unwrap();
        let shown: Vec<String> = s.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(shown, vec!["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
        assert!(
            load(&[("mode", "embedded")])
                .unwrap()
                .trusted_proxies
                .is_empty()
        );
        let err =
            load(&[("mode", "embedded"), ("trusted_proxies", "10.0.0.0/8,nope")]).unwrap_err();
        assert!(format!("{err:#?}").contains("'nope'"), "{err:#?}");
    }

    #[test]
    fn a_cluster_agent_token_must_look_like_one() {
        let err = load(&[("mode", "embedded"), ("cluster_agent_token", "hunter2")]).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("MONIHUB_CLUSTER_AGENT_TOKEN"), "{message}");
        assert!(!message.contains("hunter2"), "the value is never shown");
        let token = crate::applications::token::generate().token;
        let s = load(&[("mode", "embedded"), ("cluster_agent_token", &token)]).unwrap();
        assert!(s.cluster_agent_token.is_some());
    }

    #[test]
    fn a_weak_admin_password_is_a_configuration_error() {
        let err = load(&[("mode", "embedded"), ("admin_password", "short")]).unwrap_err();
        assert!(err.to_string().contains("MONIHUB_ADMIN_PASSWORD"), "{err}");
        assert!(!err.to_string().contains("short\""), "{err}");
    }

    #[test]
    fn hsts_is_off_unless_configured() {
        assert_eq!(load(&[("mode", "embedded")]).unwrap().hsts_max_age, None);
        let s = load(&[("mode", "embedded"), ("hsts_max_age", "180d")]).unwrap();
        assert_eq!(s.hsts_max_age, Some(Duration::from_secs(180 * 86400)));
    }

    #[test]
    fn sqlite_file_is_extracted_from_urls() {
        assert_eq!(
            sqlite_file("sqlite://data/m.db?mode=rwc"),
            Some(PathBuf::from("data/m.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://h/db"), None);
    }
}
