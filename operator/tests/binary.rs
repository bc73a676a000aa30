//! The `monihub-operator` binary itself: `render` and `crd` print what they promise, and `run`
//! on the local control plane becomes ready, reconciles, logs JSON, serves its metrics, and on
//! SIGTERM releases its lease and exits cleanly.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{SERVICE_ACCOUNT, create, grant_rbac, hub, install_crd, wait_ready};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::PostParams;
use monihub_operator::MoniHub;
use monihub_testenv::{TestEnv, wait_for};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_monihub-operator");

fn example_path(name: &str) -> String {
    format!("{}/../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn render_prints_every_child_of_a_file() {
    let out = Command::new(BINARY)
        .args(["render", "-f", &example_path("production"), "-n", "ops"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    for kind in [
        "Secret",
        "ConfigMap",
        "StatefulSet",
        "Job",
        "Deployment",
        "Service",
        "Ingress",
        "PodDisruptionBudget",
    ] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    assert!(docs.iter().all(|d| d["metadata"]["namespace"] == "ops"));

    let bad = Command::new(BINARY)
        .args(["render", "-f", "/nonexistent/monihub.yaml"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("failed to read /nonexistent/monihub.yaml")
    );
}

#[test]
fn crd_prints_the_committed_definition() {
    let out = Command::new(BINARY).arg("crd").output().unwrap();
    assert!(out.status.success());
    let committed = std::fs::read_to_string(format!(
        "{}/../crds/monihub.aione.tech_monihubs.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed);
}

#[tokio::test]
async fn run_reconciles_and_stops_cleanly_on_sigterm() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("op-binary").await? else {
        return Ok(());
    };
    install_crd(env.client()).await?;
    grant_rbac(&env).await?;
    // An adopted credentials Secret: its JWT key is kept, the missing password is added.
    let secrets: Api<Secret> = env.api();
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "metadata": {"name": "mh-credentials"},
                "stringData": {"jwt-secret": "a-key-the-user-chose-before-installing"}
            }))?,
        )
        .await?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = common::service_account_kubeconfig(&env, SERVICE_ACCOUNT, dir.path()).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = Command::new(BINARY)
        .args([
            "run",
            &format!("--watch-namespaces={}", env.namespace()),
            &format!("--lease-namespace={}", env.namespace()),
            &format!("--metrics-bind=127.0.0.1:{port}"),
        ])
        .env("KUBECONFIG", &kubeconfig)
        .env("POD_NAME", "operator-under-test")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().unwrap();
    let lines = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });

    let deadline = Instant::now() + common::TIMEOUT;
    while !common::http_get(port, "/readyz").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
        anyhow::ensure!(Instant::now() < deadline, "the operator never became ready");
        anyhow::ensure!(child.try_wait()?.is_none(), "the operator exited early");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let hubs: Api<MoniHub> = env.api();
    create(
        &hubs,
        hub(
            "mh",
            json!({"version": "0.1.0", "database": {"managed": {}}}),
        ),
    )
    .await?;
    wait_ready(&hubs, "mh", "0.1.0").await?;
    let adopted = secrets
        .get("mh-credentials")
        .await?
        .data
        .unwrap_or_default();
    assert_eq!(
        adopted["jwt-secret"].0,
        b"a-key-the-user-chose-before-installing".to_vec()
    );
    assert_eq!(adopted["database-password"].0.len(), 32);
    let metrics = common::http_get(port, "/metrics").unwrap_or_default();
    assert!(metrics.contains("monihub_operator_leader 1"), "{metrics}");
    let leases: Api<Lease> = env.api();
    let held = leases.get("monihub-operator").await?;
    assert_eq!(
        held.spec.and_then(|s| s.holder_identity).as_deref(),
        Some("operator-under-test")
    );

    // SIGTERM: the lease is released and the process exits 0.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        anyhow::ensure!(Instant::now() < deadline, "no exit within 30 s of SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status}");
    wait_for(
        &leases,
        "monihub-operator",
        common::TIMEOUT,
        |l: Option<&Lease>| {
            l.and_then(|l| l.spec.as_ref())
                .is_some_and(|s| s.holder_identity.is_none())
        },
    )
    .await?;
    // Every log line is JSON.
    let lines = lines.join().unwrap();
    assert!(!lines.is_empty());
    for line in &lines {
        let parsed: Value =
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("not JSON ({e}): {line}"))?;
        assert!(parsed["level"].is_string());
    }
    env.cleanup().await
}
