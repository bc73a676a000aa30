//! Remote tasks end to end: validation per type, long-poll wake-up (in one process and across
//! replicas), leases, acknowledgement, results (idempotent, bound to the instance), cancel,
//! server-side timeouts, attempts and retries.

use std::time::Duration;

use chrono::Utc;
use monihub_server::tasks::sweep::sweep;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Reply, TestApp, spawn_app};

/// An application with two instances (`web-1`, `web-2`).
struct Setup {
    token: String,
    web1: String,
    web2: String,
}

async fn setup(app: &TestApp) -> Setup {
    let (_, token) = app.application_with_token("shop").await;
    let web1 = app.instance(&token, "web-1").await;
    let web2 = app.instance(&token, "web-2").await;
    Setup { token, web1, web2 }
}

fn shell_task(name: &str, targets: &[&str]) -> Value {
    json!({
        "name": name,
        "type": "shell_exec",
        "content": {"script": "uptime"},
        "instance_ids": targets,
        "timeout_seconds": 60
    })
}

async fn create(app: &TestApp, body: Value) -> Reply {
    app.post("/api/v1/tasks", &app.admin_token, body).await
}

async fn poll(app: &TestApp, token: &str, agent: &str, wait: u32) -> Reply {
    app.send(
        Method::GET,
        &format!("/api/v1/agent/tasks?agent_instance_id={agent}&wait={wait}"),
        Some(token),
        None,
    )
    .await
}

async fn ack(app: &TestApp, token: &str, agent: &str, record: &str) -> Reply {
    app.send(
        Method::POST,
        &format!("/api/v1/agent/task-records/{record}/ack"),
        Some(token),
        Some(&json!({"agent_instance_id": agent})),
    )
    .await
}

async fn answer(app: &TestApp, token: &str, record: &str, body: Value) -> Reply {
    app.send(
        Method::POST,
        &format!("/api/v1/agent/task-records/{record}/result"),
        Some(token),
        Some(&body),
    )
    .await
}

fn result(agent: &str, outcome: &str, output: &str) -> Value {
    json!({"agent_instance_id": agent, "outcome": outcome, "exit_code": 0, "output": output})
}

fn record_ids(reply: &Reply) -> Vec<String> {
    reply.body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["record_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn tasks_are_validated_per_type(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = setup(&app).await;
    let cases = [
        (
            json!({"name": "x", "type": "shell_exec", "content": {"script": ""},
                   "instance_ids": [s.web1]}),
            vec!["content.script"],
        ),
        (
            json!({"name": "x", "type": "http_request",
                   "content": {"method": "GET", "url": "file:///etc/shadow"},
                   "instance_ids": [s.web1]}),
            vec!["content.url"],
        ),
        (
            json!({"name": "", "type": "run_code",
                   "content": {"interpreter": "/bin/sh", "code": "id"},
                   "instance_ids": [], "priority": 101, "timeout_seconds": 0, "max_attempts": 11}),
            vec![
                "content.interpreter",
                "instance_ids",
                "max_attempts",
                "name",
                "priority",
                "timeout_seconds",
            ],
        ),
        (
            json!({"name": "x", "type": "file_manager",
                   "content": {"operation": "download", "path": "/srv/x"},
                   "instance_ids": [s.web1]}),
            vec!["content.url"],
        ),
        (
            shell_task("x", &[&uuid::Uuid::new_v4().to_string()]),
            vec!["instance_ids"],
        ),
    ];
    for (body, fields) in cases {
        let reply = create(&app, body.clone()).await.expect_problem(422);
        assert_eq!(reply.error_fields(), fields, "{body}");
    }
    for body in [
        json!({"name": "x", "type": "format_disk", "content": {}, "instance_ids": [s.web1]}),
        json!({"name": "x", "type": "shell_exec", "content": {"script": "id", "sudo": true},
               "instance_ids": [s.web1]}),
        json!({"name": "x", "type": "shell_exec", "content": {"script": "id"},
               "instance_ids": [s.web1], "colour": "red"}),
    ] {
        create(&app, body.clone()).await.expect_problem(400);
    }
    let list = app.get("/api/v1/tasks", &app.admin_token).await.expect(200);
    assert_eq!(list.body["total"], 0, "nothing was created");
    // A disabled instance cannot be targeted.
    app.patch(
        &format!("/api/v1/instances/{}", s.web2),
        &app.admin_token,
        json!({"status": "disabled"}),
    )
    .await
    .expect(200);
    let reply = create(&app, shell_task("x", &[&s.web1, &s.web2]))
        .await
        .expect_problem(422);
    assert!(
        reply.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&s.web2)
    );
    poll(&app, &s.token, "web-2", 0).await.expect_problem(403);
}

async fn a_waiting_agent_is_woken_by_new_work(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = setup(&app).await;
    let waiting = {
        let app = &app;
        let token = s.token.clone();
        async move { poll(app, &token, "web-1", 30).await }
    };
    let creating = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        create(&app, shell_task("wake", &[&s.web1]))
            .await
            .expect(201)
    };
    let (polled, created) = futures::join!(waiting, creating);
    let polled = polled.expect(200);
    let tasks = polled.body["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 1, "{}", polled.body);
    assert_eq!(tasks[0]["task_id"], created.body["id"]);
    assert_eq!(tasks[0]["type"], "shell_exec");
    assert_eq!(tasks[0]["content"]["script"], "uptime");
    assert_eq!(tasks[0]["attempt"], 1);
    // The other instance has nothing; an empty wait answers at once.
    let other = poll(&app, &s.token, "web-2", 0).await.expect(200);
    assert_eq!(other.body["tasks"], json!([]));
    // Unknown instances and wrong tokens are refused.
    poll(&app, &s.token, "never-reported", 0)
        .await
        .expect_problem(404);
    poll(&app, "mhat_wrong", "web-1", 0)
        .await
        .expect_problem(401);
    poll(&app, &s.token, "web-1", 61).await.expect_problem(422);
}

async fn leases_lapse_and_results_are_idempotent_and_bound(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = setup(&app).await;
    let task = create(&app, shell_task("lease", &[&s.web1]))
        .await
        .expect(201);
    let task_id = task.body["id"].as_str().unwrap().to_owned();
    let first = poll(&app, &s.token, "web-1", 0).await.expect(200);
    let record = record_ids(&first).remove(0);
    // Handed out once: a second poll gets nothing.
    assert_eq!(
        poll(&app, &s.token, "web-1", 0).await.body["tasks"],
        json!([])
    );
    // Not acknowledged within the lease: back to pending, handed out again.
    let swept = sweep(&app.db, Utc::now() + chrono::Duration::seconds(31))
        .await
        .unwrap();
    assert_eq!(swept.requeued, 1);
    let again = poll(&app, &s.token, "web-1", 0).await.expect(200);
    assert_eq!(record_ids(&again), vec![record.clone()]);

    ack(&app, &s.token, "web-1", &record).await.expect(204);
    ack(&app, &s.token, "web-1", &record).await.expect(204);
    // Another instance of the application cannot touch the record, nor another application.
    ack(&app, &s.token, "web-2", &record)
        .await
        .expect_problem(404);
    answer(&app, &s.token, &record, result("web-2", "succeeded", "x"))
        .await
        .expect_problem(404);
    let (_, blog_token) = app.application_with_token("blog").await;
    app.instance(&blog_token, "web-1").await;
    answer(
        &app,
        &blog_token,
        &record,
        result("web-1", "succeeded", "x"),
    )
    .await
    .expect_problem(404);

    let done = answer(
        &app,
        &s.token,
        &record,
        result("web-1", "succeeded", "up 3 days"),
    )
    .await
    .expect(200);
    assert_eq!(done.body["status"], "succeeded");
    assert_eq!(done.body["output"], "up 3 days");
    // The same result again is fine; a different one is a conflict.
    answer(
        &app,
        &s.token,
        &record,
        result("web-1", "succeeded", "up 3 days"),
    )
    .await
    .expect(200);
    answer(&app, &s.token, &record, result("web-1", "failed", "oops"))
        .await
        .expect_problem(409);
    let detail = app
        .get(&format!("/api/v1/tasks/{task_id}"), &app.admin_token)
        .await
        .expect(200);
    assert_eq!(detail.body["records"], json!({"succeeded": 1}));
}

async fn cancel_reaches_pending_and_running_records(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = setup(&app).await;
    let task = create(&app, shell_task("cancel me", &[&s.web1, &s.web2]))
        .await
        .expect(201);
    let task_id = task.body["id"].as_str().unwrap().to_owned();
    // web-1 takes and starts its record; web-2's stays pending.
    let record = record_ids(&poll(&app, &s.token, "web-1", 0).await.expect(200)).remove(0);
    ack(&app, &s.token, "web-1", &record).await.expect(204);
    let cancelled = app
        .post(
            &format!("/api/v1/tasks/{task_id}/cancel"),
            &app.admin_token,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(cancelled.body["records"], json!({"cancelled": 2}));
    assert!(cancelled.body["cancelled_at"].is_string());
    // The pending record is never handed out; the running one is called off once.
    let web2 = poll(&app, &s.token, "web-2", 0).await.expect(200);
    assert_eq!(web2.body, json!({"tasks": [], "cancelled": []}));
    let web1 = poll(&app, &s.token, "web-1", 0).await.expect(200);
    assert_eq!(web1.body["cancelled"], json!([record]));
    let web1 = poll(&app, &s.token, "web-1", 0).await.expect(200);
    assert_eq!(web1.body["cancelled"], json!([]));
    answer(
        &app,
        &s.token,
        &record,
        result("web-1", "succeeded", "late"),
    )
    .await
    .expect_problem(409);
    // Cancelling again changes nothing.
    app.post(
        &format!("/api/v1/tasks/{task_id}/cancel"),
        &app.admin_token,
        json!({}),
    )
    .await
    .expect(200);
}

async fn the_server_times_out_silent_runs_and_attempts_are_counted(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = setup(&app).await;
    let mut body = shell_task("flaky", &[&s.web1]);
    body["max_attempts"] = json!(2);
    let task = create(&app, body).await.expect(201);
    let task_id = task.body["id"].as_str().unwrap().to_owned();
    let record = record_ids(&poll(&app, &s.token, "web-1", 0).await.expect(200)).remove(0);
    ack(&app, &s.token, "web-1", &record).await.expect(204);
    // Past timeout (60 s) and grace: the first attempt times out and the record is re-queued.
    let late = Utc::now() + chrono::Duration::seconds(60 + 31);
    let swept = sweep(&app.db, late).await.unwrap();
    assert_eq!(swept.requeued, 1);
    let again = poll(&app, &s.token, "web-1", 0).await.expect(200);
    assert_eq!(again.body["tasks"][0]["attempt"], 2);
    ack(&app, &s.token, "web-1", &record).await.expect(204);
    let swept = sweep(&app.db, late + chrono::Duration::seconds(120))
        .await
        .unwrap();
    assert_eq!(swept.timed_out, 1);
    // Both steps are in the server's operation log, with the instance and its application.
    let lines = app
        .get(
            &format!("/api/v1/logs?source=server&instance_id={}", s.web1),
            &app.admin_token,
        )
        .await
        .expect(200);
    let mut messages = lines.strings("message");
    messages.sort();
    assert_eq!(
        messages,
        [
            "task record got no result before its deadline: retrying",
            "task record got no result before its deadline: timed out",
        ]
    );
    let shop = app
        .get(&format!("/api/v1/instances/{}", s.web1), &app.admin_token)
        .await
        .expect(200)
        .body["application_id"]
        .clone();
    for item in lines.body["items"].as_array().unwrap() {
        assert_eq!(item["application_id"], shop);
        assert_eq!(item["level"], "warn");
        assert_eq!(item["context"]["task_id"].as_str(), Some(task_id.as_str()));
        assert!(item["trace_id"].is_string());
    }
    let records = app
        .get(
            &format!("/api/v1/tasks/{task_id}/records?status=timeout"),
            &app.admin_token,
        )
        .await
        .expect(200);
    assert_eq!(records.body["total"], 1);
    assert_eq!(records.body["items"][0]["attempt"], 2);
    // An operator retries it; a finished success cannot be retried.
    let retried = app
        .post(
            &format!("/api/v1/task-records/{record}/retry"),
            &app.admin_token,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(retried.body["status"], "pending");
    assert_eq!(retried.body["attempt"], 3);
    let record = record_ids(&poll(&app, &s.token, "web-1", 0).await.expect(200)).remove(0);
    ack(&app, &s.token, "web-1", &record).await.expect(204);
    answer(&app, &s.token, &record, result("web-1", "succeeded", "ok"))
        .await
        .expect(200);
    app.post(
        &format!("/api/v1/task-records/{record}/retry"),
        &app.admin_token,
        json!({}),
    )
    .await
    .expect_problem(409);
}

async fn long_output_is_capped_not_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = setup(&app).await;
    create(&app, shell_task("chatty", &[&s.web1]))
        .await
        .expect(201);
    let record = record_ids(&poll(&app, &s.token, "web-1", 0).await.expect(200)).remove(0);
    ack(&app, &s.token, "web-1", &record).await.expect(204);
    let long = "x".repeat(monihub_agent_protocol::limits::OUTPUT_MAX + 100);
    let stored = answer(&app, &s.token, &record, result("web-1", "failed", &long))
        .await
        .expect(200);
    assert_eq!(stored.body["status"], "failed");
    assert_eq!(stored.body["output_truncated"], true);
    assert_eq!(
        stored.body["output"].as_str().unwrap().len(),
        monihub_agent_protocol::limits::OUTPUT_MAX
    );
}

crate::on_both_databases!(
    tasks_are_validated_per_type,
    a_waiting_agent_is_woken_by_new_work,
    leases_lapse_and_results_are_idempotent_and_bound,
    cancel_reaches_pending_and_running_records,
    the_server_times_out_silent_runs_and_attempts_are_counted,
    long_output_is_capped_not_refused,
);

/// Across replicas on PostgreSQL: an agent waiting on one server is woken by a task created on
/// another (LISTEN/NOTIFY), with no polling.
#[tokio::test]
async fn postgres_wakes_agents_waiting_on_another_replica() {
    let app = spawn_app(Backend::Postgres).await;
    let s = setup(&app).await;
    let replica = app.spawn_replica().await;
    let waiting = {
        let client = app.client.clone();
        let token = s.token.clone();
        async move {
            let reply = client
                .get(format!(
                    "{replica}/api/v1/agent/tasks?agent_instance_id=web-1&wait=30"
                ))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            reply.json::<Value>().await.unwrap()
        }
    };
    let creating = async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        create(&app, shell_task("across", &[&s.web1]))
            .await
            .expect(201)
    };
    let (polled, created) = futures::join!(waiting, creating);
    assert_eq!(
        polled["tasks"][0]["task_id"], created.body["id"],
        "{polled}"
    );
}
