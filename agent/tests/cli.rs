//! The `monihub-agent` binary: the shipped example configuration is valid, bad configurations
//! are refused before anything runs (exit 2), and `check` explains an unreachable server.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use monihub_agent::config::Config;

const BINARY: &str = env!("CARGO_BIN_EXE_monihub-agent");

#[test]
fn the_shipped_configuration_is_valid() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/agent.toml");
    let env = HashMap::from([("MONIHUB_AGENT_TOKEN".to_owned(), "mhat_x".to_owned())]);
    let config = Config::load_from(&file, true, &env).unwrap();
    assert!(config.tasks.allowed.is_empty(), "nothing runs by default");
    assert_eq!(config.report_interval.as_secs(), 30);
}

#[test]
fn a_bad_configuration_is_refused_before_anything_runs() {
    let out = Command::new(BINARY)
        .args(["--config", "/nonexistent/agent.toml", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));

    let out = Command::new(BINARY)
        .arg("run")
        .env_clear()
        .env("MONIHUB_AGENT_SERVER_URL", "https://hub.example.com")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no agent token"));
}

#[test]
fn check_explains_an_unreachable_server() {
    let state = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let out = Command::new(BINARY)
        .arg("check")
        .env_clear()
        .env("MONIHUB_AGENT_SERVER_URL", "http://127.0.0.1:1")
        .env("MONIHUB_AGENT_TOKEN", "mhat_check")
        .env("MONIHUB_AGENT_STATE_DIR", state.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("ok       configuration is valid"), "{text}");
    assert!(
        text.contains("PROBLEM  nothing listens at http://127.0.0.1:1"),
        "{text}"
    );
    assert!(!text.contains("mhat_check"), "the token is never printed");
}
