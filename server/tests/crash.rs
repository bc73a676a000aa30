//! Crash safety of report ingestion: the real server binary is killed (SIGKILL) in the middle of a
//! load of concurrent reports; every report it acknowledged must be in the database afterwards.
//! Runs on SQLite and on PostgreSQL (`MONIHUB_TEST_POSTGRES_URL`, required).

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, EntityTrait};
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "crash-test-admin-password";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_server(database_url: &str, port: u16) -> Killed {
    let child = Command::new(env!("CARGO_BIN_EXE_monihub-server"))
        .args(["serve", "--migrate"])
        .env_clear()
        .env("MONIHUB_MODE", "production")
        .env("MONIHUB_BIND", format!("127.0.0.1:{port}"))
        .env("MONIHUB_DATABASE_URL", database_url)
        .env(
            "MONIHUB_JWT_SECRET",
            "crash-test-signing-key-0123456789abcdef",
        )
        .env("MONIHUB_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("MONIHUB_LOG_LEVEL", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    Killed(child)
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready");
}

async fn json_post(client: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let reply = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_success(), "{}", reply.status());
    reply.json().await.unwrap()
}

fn report(agent: usize, seq: u64) -> Value {
    json!({
        "agent_instance_id": format!("crash-{agent}"),
        "agent_version": "test",
        "reported_at": chrono::Utc::now(),
        "system": {"os_type": "linux", "hostname": format!("crash-{agent}")},
        "hardware": {"cpu_usage_percent": 1.0, "memory_total_bytes": 2, "memory_used_bytes": 1,
                     "disk_total_bytes": 2, "disk_used_bytes": 1},
        "custom_metrics": {"seq": seq}
    })
}

async fn acknowledged_reports_survive_a_kill(database_url: String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = start_server(&database_url, port);
    wait_ready(&client, &base).await;
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = login["access_token"].as_str().unwrap().to_owned();
    let project = json_post(
        &client,
        format!("{base}/api/v1/projects"),
        &admin,
        json!({"name": "Crash", "code": "crash"}),
    )
    .await;
    let application = json_post(
        &client,
        format!("{base}/api/v1/applications"),
        &admin,
        json!({"name": "Crash", "code": "crash-app", "project_id": project["id"]}),
    )
    .await;
    let issued = json_post(
        &client,
        format!(
            "{base}/api/v1/applications/{}/agent-token",
            application["id"].as_str().unwrap()
        ),
        &admin,
        json!({}),
    )
    .await;
    let token = issued["token"].as_str().unwrap().to_owned();

    // Sixteen agents report as fast as they can; every acknowledged sequence number is noted.
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let workers: Vec<_> = (0..16)
        .map(|agent| {
            let client = client.clone();
            let base = base.clone();
            let token = token.clone();
            let acknowledged = acknowledged.clone();
            tokio::spawn(async move {
                for n in 0..5_000u64 {
                    let seq = agent as u64 * 1_000_000 + n;
                    let sent = client
                        .post(format!("{base}/api/v1/agent/report"))
                        .bearer_auth(&token)
                        .json(&report(agent, seq))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 200 => {
                            acknowledged.lock().unwrap().insert(seq);
                        }
                        Ok(_) => {}
                        // The server is gone.
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    // Let the load run, then kill the server without warning.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.0.kill().expect("the server is killed");
    server.0.wait().unwrap();
    for worker in workers {
        worker.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 50,
        "the load never got going: {} reports acknowledged",
        acknowledged.len()
    );

    eprintln!("acknowledged before the kill: {}", acknowledged.len());
    // Every acknowledged report is in the database.
    let db = Database::connect(&database_url).await.unwrap();
    let stored: BTreeSet<u64> = monihub_server::entity::instance_reports::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| r.custom_metrics["seq"].as_f64().map(|s| s as u64))
        .collect();
    let missing: Vec<&u64> = acknowledged.difference(&stored).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged reports were lost: {:?}",
        missing.len(),
        acknowledged.len(),
        missing.iter().take(10).collect::<Vec<_>>()
    );

    // The server comes back on the same database and serves.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = start_server(&database_url, port);
    wait_ready(&client, &base).await;
    let _ = db.execute_unprepared("SELECT 1").await;
}

#[tokio::test]
async fn sqlite_acknowledged_reports_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/crash.db?mode=rwc", dir.path().display());
    acknowledged_reports_survive_a_kill(url).await;
}

#[tokio::test]
async fn postgres_acknowledged_reports_survive_a_kill() {
    let admin_url = std::env::var("MONIHUB_TEST_POSTGRES_URL")
        .expect("MONIHUB_TEST_POSTGRES_URL is required: the crash test runs on PostgreSQL too");
    let name = format!("monihub_crash_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    let base = admin_url.rsplit_once('/').unwrap().0;
    acknowledged_reports_survive_a_kill(format!("{base}/{name}")).await;
}
