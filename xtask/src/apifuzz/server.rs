//! The server under test: built like a developer builds it, started in production mode with
//! secrets generated for this run only, stopped when dropped (also on failure or panic).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

use super::http;
use crate::util::{SERVER_PACKAGES, free_port, step, workspace_root};

/// A healthy server migrates an empty database and answers `/readyz` within seconds.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// Build `monihub-server` and return the path of its executable.
///
/// Built as part of the server packages' test build, exactly as `cargo xtask ci` builds them:
/// a plain `cargo build` resolves dependency features without the dev-dependencies and would
/// compile much of the dependency tree a second time. After the tests were built this is a
/// no-op.
pub fn build() -> anyhow::Result<PathBuf> {
    step("building monihub-server (with the server packages' tests)");
    let out = Command::new(env!("CARGO"))
        .current_dir(workspace_root())
        .args(["test", "--locked", "--no-run"])
        .args(SERVER_PACKAGES)
        .arg("--message-format=json-render-diagnostics")
        .stderr(Stdio::inherit())
        .output()
        .context("failed to run cargo test --no-run")?;
    if !out.status.success() {
        bail!("failed to build monihub-server ({})", out.status);
    }
    executable_from_messages(&String::from_utf8_lossy(&out.stdout))
        .context("cargo did not report the monihub-server executable")
}

/// The `monihub-server` executable in cargo's JSON messages (not its unit-test harness).
fn executable_from_messages(messages: &str) -> Option<PathBuf> {
    #[derive(Deserialize)]
    struct Message {
        reason: String,
        target: Option<Target>,
        profile: Option<Profile>,
        executable: Option<PathBuf>,
    }
    #[derive(Deserialize)]
    struct Target {
        name: String,
        kind: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Profile {
        test: bool,
    }
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Message>(line).ok())
        .filter(|m| m.reason == "compiler-artifact")
        .filter(|m| {
            m.target
                .as_ref()
                .is_some_and(|t| t.name == "monihub-server" && t.kind.iter().any(|k| k == "bin"))
        })
        .filter(|m| m.profile.as_ref().is_some_and(|p| !p.test))
        .find_map(|m| m.executable)
}

/// Secrets of one run: random, never written anywhere but the server's environment.
pub struct Secrets {
    pub jwt_secret: String,
    pub admin_password: String,
}

impl Secrets {
    pub fn generate() -> anyhow::Result<Self> {
        Ok(Self {
            jwt_secret: random_hex(32)?,
            admin_password: random_hex(24)?,
        })
    }
}

fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("failed to read /dev/urandom")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// A signed-in user: the bearer token and the user's id.
pub struct Session {
    pub token: String,
    pub user_id: String,
}

/// A running server process; killed and reaped when dropped.
pub struct RunningServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl RunningServer {
    /// `monihub-server serve --migrate` on a free loopback port, stdout and stderr into `log`.
    pub fn start(
        binary: &Path,
        database_url: &str,
        secrets: &Secrets,
        log: &Path,
    ) -> anyhow::Result<Self> {
        Self::start_with(binary, database_url, secrets, log, &[])
    }

    /// [`RunningServer::start`] with further `MONIHUB_*` settings.
    pub fn start_with(
        binary: &Path,
        database_url: &str,
        secrets: &Secrets,
        log: &Path,
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log_file =
            File::create(log).with_context(|| format!("failed to create {}", log.display()))?;
        let child = Command::new(binary)
            .args(["serve", "--migrate"])
            .env("MONIHUB_MODE", "production")
            .env("MONIHUB_BIND", format!("127.0.0.1:{port}"))
            .env("MONIHUB_DATABASE_URL", database_url)
            .env("MONIHUB_JWT_SECRET", &secrets.jwt_secret)
            .env("MONIHUB_ADMIN_PASSWORD", &secrets.admin_password)
            .env("MONIHUB_LOG_FORMAT", "json")
            .env("MONIHUB_LOG_LEVEL", "warn")
            .envs(settings.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("failed to start {}", binary.display()))?;
        Ok(Self {
            child,
            port,
            log: log.to_path_buf(),
        })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Poll `/readyz` until it answers 200, failing early when the process exits.
    pub fn wait_ready(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            self.ensure_running()?;
            if http::get(self.port, "/readyz", None).is_ok_and(|r| r.status == 200) {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "the server was not ready after {}s; last lines of its log:\n{}",
                    READY_TIMEOUT.as_secs(),
                    self.log_tail(25)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Fail with the log tail when the server has exited.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "the server exited ({status}); last lines of its log:\n{}",
                self.log_tail(25)
            );
        }
        Ok(())
    }

    /// `POST /api/v1/auth/login`.
    pub fn sign_in(&self, username: &str, password: &str) -> anyhow::Result<Session> {
        #[derive(Deserialize)]
        struct Login {
            access_token: String,
            user: User,
        }
        #[derive(Deserialize)]
        struct User {
            id: String,
        }
        let response = http::post_json(
            self.port,
            "/api/v1/auth/login",
            &serde_json::json!({ "username": username, "password": password }),
        )?;
        if response.status != 200 {
            bail!(
                "failed to sign in as {username}: {} {}",
                response.status,
                response.body
            );
        }
        let login: Login =
            serde_json::from_str(&response.body).context("failed to parse the sign-in answer")?;
        Ok(Session {
            token: login.access_token,
            user_id: login.user.id,
        })
    }

    /// Whether the session still authenticates (`GET /api/v1/auth/me` answers 200).
    pub fn session_is_valid(&self, session: &Session) -> anyhow::Result<bool> {
        Ok(http::get(self.port, "/api/v1/auth/me", Some(&session.token))?.status == 200)
    }

    /// The last `lines` lines of the server's log, indented.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..]
            .iter()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        // The database is thrown away next, so there is nothing to shut down gracefully.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_server_executable_among_cargo_messages() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"name":"monihub_server","kind":["lib"]},"profile":{"test":false},"executable":null}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"monihub-server","kind":["bin"]},"profile":{"test":true},"executable":"/t/debug/deps/monihub_server-f179e6df"}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"monihub-server","kind":["bin"]},"profile":{"test":false},"executable":"/t/debug/monihub-server"}"#,
            r#"{"reason":"build-finished","success":true}"#,
            "not json at all",
        ]
        .join("\n");
        assert_eq!(
            executable_from_messages(&messages),
            Some(PathBuf::from("/t/debug/monihub-server"))
        );
    }

    #[test]
    fn no_executable_without_the_binary_artifact() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"name":"sea-orm","kind":["lib"]},"profile":{"test":false},"executable":null}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"monihub-server","kind":["bin"]},"profile":{"test":true},"executable":"/t/debug/deps/monihub_server-f179e6df"}"#,
        ]
        .join("\n");
        assert_eq!(executable_from_messages(&messages), None);
    }

    #[test]
    fn secrets_differ_per_run_and_are_long_enough() {
        let a = Secrets::generate().unwrap();
        let b = Secrets::generate().unwrap();
        assert_ne!(a.jwt_secret, b.jwt_secret);
        assert_ne!(a.admin_password, b.admin_password);
        // The server refuses signing keys shorter than 32 bytes.
        assert!(a.jwt_secret.len() >= 32);
        assert!(a.jwt_secret.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
