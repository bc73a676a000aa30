//! The real host agent (the `monihub-agent` library: its report loop, task loop and executor)
//! against the real server: it registers and reports plausible metrics, follows its settings,
//! runs every task type end to end, refuses what its local configuration does not allow (types,
//! paths outside its roots, symlink escapes), stops timed-out and cancelled work on the host,
//! caps output, and says clearly when its token was rotated. Also the built-in application the
//! operator's node agents report to.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use monihub_agent::agent::Agent;
use monihub_agent::check::explain;
use monihub_agent::client::CallError;
use monihub_agent::config::{Config, LogShipping, TaskPolicy, Token};
use monihub_agent::host::Host;
use monihub_agent::logs::LogBuffer;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::{Backend, TestApp, spawn_app};

/// A host: its agent's configuration and folders.
struct HostDir {
    dir: TempDir,
}

impl HostDir {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("root/logs")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::fs::write(dir.path().join("root/logs/app.log"), "line one\n").unwrap();
        std::fs::write(dir.path().join("outside/secret"), "not for the server\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside"), dir.path().join("root/escape"))
            .unwrap();
        Self { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn config(&self, app: &TestApp, token: &str, id: &str, allowed: &[&str]) -> Config {
        Config {
            server_url: app.address.clone(),
            token: Some(Token(token.to_owned())),
            token_file: None,
            state_dir: self.path(&format!("state-{id}")),
            report_interval: Duration::from_secs(30),
            proxy: None,
            ca_file: None,
            request_timeout: Duration::from_secs(10),
            instance_id: Some(id.to_owned()),
            labels: BTreeMap::from([("region".to_owned(), "test".to_owned())]),
            tasks: TaskPolicy {
                allowed: allowed
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<BTreeSet<_>>(),
                file_roots: vec![self.path("root")],
                interpreters: BTreeMap::from([("sh".to_owned(), PathBuf::from("/bin/sh"))]),
                commands: BTreeMap::from([(
                    "greet".to_owned(),
                    vec!["/bin/echo".to_owned(), "hello".to_owned()],
                )]),
                output_limit: 1000,
                ..TaskPolicy::default()
            },
            logs: LogShipping::default(),
        }
    }
}

const ALL: [&str; 5] = [
    "shell_exec",
    "http_request",
    "run_code",
    "file_manager",
    "custom_command",
];

/// Register the agent (one report) and return it with the server's instance id.
async fn registered(app: &TestApp, config: Config) -> (Arc<Agent>, String) {
    let id = config.instance_id.clone().unwrap();
    let agent = Agent::new(Arc::new(config), LogBuffer::new(100), id.clone()).unwrap();
    let mut host = Host::new().unwrap();
    agent
        .report_once(&mut host)
        .await
        .expect("the first report is accepted");
    let list = app
        .get(&format!("/api/v1/instances?q={id}"), &app.admin_token)
        .await
        .expect(200);
    let instance = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["agent_instance_id"] == id.as_str())
        .expect("the instance is registered")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (agent, instance)
}

/// Quick task polls for this instance.
async fn fast_polls(app: &TestApp, instance: &str) {
    app.patch(
        &format!("/api/v1/instances/{instance}"),
        &app.admin_token,
        json!({"config": {"report_interval_seconds": 30, "long_poll_seconds": 1,
                          "tasks_enabled": true, "log_level": "info"}}),
    )
    .await
    .expect(200);
}

async fn task(app: &TestApp, instance: &str, kind: &str, content: Value, timeout: u32) -> String {
    let reply = app
        .post(
            "/api/v1/tasks",
            &app.admin_token,
            json!({"name": format!("{kind} test"), "type": kind, "content": content,
                   "instance_ids": [instance], "timeout_seconds": timeout}),
        )
        .await
        .expect(201);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// The task's (single) record once it is final.
async fn finished(app: &TestApp, task: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let records = app
            .get(&format!("/api/v1/tasks/{task}/records"), &app.admin_token)
            .await
            .expect(200);
        let record = records.body["items"][0].clone();
        let status = record["status"].as_str().unwrap_or_default();
        if !["pending", "dispatched", "running"].contains(&status) {
            return record;
        }
        assert!(
            Instant::now() < deadline,
            "task {task} never finished: {record}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn registers_reports_and_follows_its_settings(backend: Backend) {
    let app = spawn_app(backend).await;
    let (application, token) = app.application_with_token("fleet").await;
    let host = HostDir::new();
    let config = host.config(&app, &token, "host-a", &ALL);
    let id = config.instance_id.clone().unwrap();
    let agent = Agent::new(Arc::new(config), LogBuffer::new(100), id.clone()).unwrap();
    let mut sampler = Host::new().unwrap();
    // A busy second, so the measured CPU cannot be zero.
    let busy = std::thread::spawn(|| {
        let started = Instant::now();
        let mut x = 1u64;
        while started.elapsed() < Duration::from_millis(1200) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        x
    });
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let settings = agent.report_once(&mut sampler).await.unwrap();
    busy.join().unwrap();
    assert_eq!(settings.report_interval_seconds, 30, "the defaults");

    let list = app
        .get(&format!("/api/v1/instances?q={id}"), &app.admin_token)
        .await
        .expect(200);
    let instance = &list.body["items"][0];
    assert_eq!(instance["application_id"], application.as_str());
    let cpu = instance["cpu_usage_percent"].as_f64().unwrap();
    assert!(cpu > 0.0 && cpu <= 100.0, "cpu {cpu}");
    let memory = instance["memory_usage_percent"].as_f64().unwrap();
    assert!(memory > 0.0 && memory <= 100.0, "memory {memory}");
    assert!(instance["memory_total_bytes"].as_i64().unwrap() > 0);
    assert_eq!(instance["online"], true);
    assert_eq!(instance["custom_fields"]["region"], "test");

    // A settings change reaches the agent with its next report.
    let instance_id = instance["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/instances/{instance_id}"),
        &app.admin_token,
        json!({"config": {"report_interval_seconds": 7, "long_poll_seconds": 5,
                          "tasks_enabled": false, "log_level": "warn"}}),
    )
    .await
    .expect(200);
    let settings = agent.report_once(&mut sampler).await.unwrap();
    assert_eq!(settings.report_interval_seconds, 7);
    assert!(!settings.tasks_enabled);
    assert_eq!(agent.settings().borrow().as_ref(), Some(&settings));

    // A rotated token: a clear error that says what to do.
    app.post(
        &format!("/api/v1/applications/{application}/agent-token"),
        &app.admin_token,
        json!({}),
    )
    .await
    .expect(201);
    let err = agent.report_once(&mut sampler).await.unwrap_err();
    assert!(matches!(err, CallError::Unauthorized(_)), "{err:?}");
    let said = explain(&err, &app.address);
    assert!(said.contains("rotated"), "{said}");
}

async fn runs_every_task_type_end_to_end(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = app.application_with_token("fleet").await;
    let host = HostDir::new();
    let (agent, instance) = registered(&app, host.config(&app, &token, "host-b", &ALL)).await;
    fast_polls(&app, &instance).await;
    agent.report_once(&mut Host::new().unwrap()).await.unwrap();
    let loop_task = tokio::spawn(agent.clone().task_loop());

    let shell = task(
        &app,
        &instance,
        "shell_exec",
        json!({"script": "echo hi; exit 0"}),
        30,
    )
    .await;
    let record = finished(&app, &shell).await;
    assert_eq!(record["status"], "succeeded", "{record}");
    assert_eq!(record["output"], "hi\n");
    assert_eq!(record["exit_code"], 0);

    let failing = task(
        &app,
        &instance,
        "shell_exec",
        json!({"script": "echo no >&2; exit 4"}),
        30,
    )
    .await;
    let record = finished(&app, &failing).await;
    assert_eq!(record["status"], "failed", "{record}");
    assert_eq!(record["exit_code"], 4);
    assert!(record["output"].as_str().unwrap().contains("[stderr]\nno"));

    let code = task(
        &app,
        &instance,
        "run_code",
        json!({"interpreter": "sh", "code": "echo from code"}),
        30,
    )
    .await;
    assert_eq!(finished(&app, &code).await["output"], "from code\n");

    let hook = task(
        &app,
        &instance,
        "custom_command",
        json!({"name": "greet", "args": ["world"]}),
        30,
    )
    .await;
    assert_eq!(finished(&app, &hook).await["output"], "hello world\n");

    let http = task(
        &app,
        &instance,
        "http_request",
        json!({"method": "GET", "url": format!("{}/healthz", app.address)}),
        30,
    )
    .await;
    let record = finished(&app, &http).await;
    assert_eq!(record["status"], "succeeded", "{record}");
    assert_eq!(record["exit_code"], 200);
    assert!(record["output"].as_str().unwrap().starts_with("HTTP 200"));

    let root = host.path("root");
    let list = task(
        &app,
        &instance,
        "file_manager",
        json!({"operation": "list", "path": root.join("logs")}),
        30,
    )
    .await;
    let record = finished(&app, &list).await;
    let listing: Value = serde_json::from_str(record["output"].as_str().unwrap()).unwrap();
    assert_eq!(listing[0]["name"], "app.log");

    let upload = task(
        &app,
        &instance,
        "file_manager",
        json!({"operation": "upload", "path": root.join("logs/app.log")}),
        30,
    )
    .await;
    let record = finished(&app, &upload).await;
    let sent: Value = serde_json::from_str(record["output"].as_str().unwrap()).unwrap();
    assert_eq!(sent["content_base64"], "bGluZSBvbmUK", "base64 of the file");

    let download = task(
        &app,
        &instance,
        "file_manager",
        json!({"operation": "download", "path": root.join("logs/health.txt"),
               "url": format!("{}/healthz", app.address)}),
        30,
    )
    .await;
    assert_eq!(finished(&app, &download).await["status"], "succeeded");
    assert!(root.join("logs/health.txt").is_file());

    let delete = task(
        &app,
        &instance,
        "file_manager",
        json!({"operation": "delete", "path": root.join("logs/health.txt")}),
        30,
    )
    .await;
    assert_eq!(finished(&app, &delete).await["status"], "succeeded");
    assert!(!root.join("logs/health.txt").exists());

    // Refused by the local policy: outside the roots, `..`, a symlink out.
    for path in [
        host.path("outside/secret"),
        root.join("logs/../../outside/secret"),
        root.join("escape/secret"),
    ] {
        let escape = task(
            &app,
            &instance,
            "file_manager",
            json!({"operation": "upload", "path": path}),
            30,
        )
        .await;
        let record = finished(&app, &escape).await;
        assert_eq!(record["status"], "refused", "{path:?}: {record}");
        assert!(
            record["output"].is_null()
                || !record["output"]
                    .as_str()
                    .unwrap()
                    .contains("not for the server")
        );
    }
    assert!(
        host.path("outside/secret").is_file(),
        "nothing outside was touched"
    );

    // Output beyond the agent's limit (1,000 here) is cut and marked.
    let chatty = task(
        &app,
        &instance,
        "shell_exec",
        json!({"script": "head -c 100000 /dev/zero | tr '\\0' x"}),
        30,
    )
    .await;
    let record = finished(&app, &chatty).await;
    assert_eq!(record["output_truncated"], true, "{record}");
    assert_eq!(record["output"].as_str().unwrap().len(), 1000);

    // A task that outlives its timeout, ignoring SIGTERM, is killed with its children: the
    // child (which also ignores SIGTERM) records its pid and would only touch the marker long
    // after the agent's kill.
    let marker = host.path("survived");
    let child_pid = host.path("child.pid");
    let script = format!(
        "trap '' TERM; sh -c 'trap \"\" TERM; echo $$ > {}; sleep 30; touch {}' & sleep 60",
        child_pid.display(),
        marker.display()
    );
    let stubborn = task(
        &app,
        &instance,
        "shell_exec",
        json!({ "script": script }),
        1,
    )
    .await;
    let record = finished(&app, &stubborn).await;
    assert_eq!(record["status"], "timeout", "{record}");
    let pid = wait_for_file(&child_pid).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            Instant::now() < deadline,
            "a child ({pid}) of a timed-out task kept running"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!marker.exists());

    loop_task.abort();
}

async fn refuses_task_types_it_does_not_allow(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = app.application_with_token("fleet").await;
    let host = HostDir::new();
    let (agent, instance) =
        registered(&app, host.config(&app, &token, "host-c", &["shell_exec"])).await;
    fast_polls(&app, &instance).await;
    agent.report_once(&mut Host::new().unwrap()).await.unwrap();
    let loop_task = tokio::spawn(agent.clone().task_loop());
    let http = task(
        &app,
        &instance,
        "http_request",
        json!({"method": "GET", "url": format!("{}/healthz", app.address)}),
        30,
    )
    .await;
    let record = finished(&app, &http).await;
    assert_eq!(record["status"], "refused", "{record}");
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .contains("does not run http_request tasks")
    );
    loop_task.abort();
}

async fn a_cancelled_task_stops_on_the_host(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = app.application_with_token("fleet").await;
    let host = HostDir::new();
    let (agent, instance) = registered(&app, host.config(&app, &token, "host-d", &ALL)).await;
    fast_polls(&app, &instance).await;
    agent.report_once(&mut Host::new().unwrap()).await.unwrap();
    let loop_task = tokio::spawn(agent.clone().task_loop());
    let pidfile = host.path("pid");
    let long = task(
        &app,
        &instance,
        "shell_exec",
        json!({"script": format!("echo $$ > {}; sleep 60", pidfile.display())}),
        120,
    )
    .await;
    let pid = wait_for_file(&pidfile).await;
    app.post(
        &format!("/api/v1/tasks/{long}/cancel"),
        &app.admin_token,
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(finished(&app, &long).await["status"], "cancelled");
    // The agent learns of it on its next poll and kills the process group.
    let deadline = Instant::now() + Duration::from_secs(20);
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            Instant::now() < deadline,
            "the cancelled task's shell ({pid}) still runs"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    loop_task.abort();
}

async fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.trim().is_empty()
        {
            return text.trim().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

crate::on_both_databases!(
    registers_reports_and_follows_its_settings,
    runs_every_task_type_end_to_end,
    refuses_task_types_it_does_not_allow,
    a_cancelled_task_stops_on_the_host,
    the_cluster_application_accepts_the_configured_token,
);

/// The built-in Cluster nodes application for the operator's node agents: created at start by
/// every replica at once without duplicates, accepting exactly the configured token.
async fn the_cluster_application_accepts_the_configured_token(backend: Backend) {
    use monihub_server::applications::cluster::{self, Outcome};
    use secrecy::SecretString;
    let app = spawn_app(backend).await;
    let token = monihub_server::applications::token::generate().token;
    let secret = SecretString::from(token.clone());
    let (a, b) = tokio::join!(
        cluster::ensure(&app.db, &secret),
        cluster::ensure(&app.db, &secret)
    );
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert_eq!(
        cluster::ensure(&app.db, &secret).await.unwrap(),
        Outcome::Unchanged
    );
    let apps = app
        .get("/api/v1/applications?q=cluster-nodes", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(apps.body["total"], 1, "{}", apps.body);
    let application = apps.body["items"][0]["id"].as_str().unwrap().to_owned();

    let reply = app
        .report(&token, &crate::helpers::agent_report("node-1", 5.0))
        .await
        .expect(200);
    let instance = reply.body["instance_id"].as_str().unwrap();
    let detail = app
        .get(&format!("/api/v1/instances/{instance}"), &app.admin_token)
        .await
        .expect(200);
    assert_eq!(detail.body["application_id"], application.as_str());

    // A new token from the deployment replaces the old one: a replica started with it (whose
    // token cache starts empty) takes only the new token.
    let next = monihub_server::applications::token::generate().token;
    assert_eq!(
        cluster::ensure(&app.db, &SecretString::from(next.clone()))
            .await
            .unwrap(),
        Outcome::Updated
    );
    let replica = app.spawn_replica().await;
    let report = |token: String| {
        let request = app
            .client
            .post(format!("{replica}/api/v1/agent/report"))
            .bearer_auth(token)
            .json(&crate::helpers::agent_report("node-1", 5.0));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(report(token).await, 401);
    assert_eq!(report(next).await, 200);
}
