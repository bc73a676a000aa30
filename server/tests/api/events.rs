//! Live events over the WebSocket: tickets, the events a console sees, and delivery across
//! replicas on PostgreSQL.

use std::time::Duration;

use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Backend, TestApp, agent_report, spawn_app};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn issue_ticket(app: &TestApp, token: &str) -> String {
    let reply = app
        .post("/api/v1/ws/ticket", token, json!({}))
        .await
        .expect(200);
    assert_eq!(reply.body["expires_in"], 30);
    reply.body["ticket"].as_str().unwrap().to_owned()
}

async fn connect(address: &str, ticket: &str) -> Socket {
    let url = format!(
        "{}/api/v1/ws?ticket={ticket}",
        address.replace("http://", "ws://")
    );
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the WebSocket opens");
    socket
}

/// The next event of `kind`, skipping others; fails after a generous bound instead of hanging.
async fn next_event(socket: &mut Socket, kind: &str) -> Value {
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(message) = socket.next().await {
            if let Message::Text(text) = message.expect("a readable message") {
                let event: Value = serde_json::from_str(&text).expect("JSON events");
                if event["type"] == kind {
                    return event;
                }
            }
        }
        panic!("the socket closed before a {kind} event");
    })
    .await;
    found.unwrap_or_else(|_| panic!("no {kind} event arrived"))
}

async fn the_websocket_needs_a_ticket(backend: Backend) {
    let app = spawn_app(backend).await;
    app.get("/api/v1/ws", &app.admin_token)
        .await
        .expect_problem(400);
    // An access token is not a ticket, a ticket is not an access token, and garbage is neither.
    let ws = format!(
        "{}/api/v1/ws?ticket=",
        app.address.replace("http://", "ws://")
    );
    for bad in [app.admin_token.clone(), "garbage".to_owned()] {
        let refused = tokio_tungstenite::connect_async(format!("{ws}{bad}")).await;
        match refused {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401);
            }
            other => panic!("expected 401, got {other:?}"),
        }
    }
    let ticket = issue_ticket(&app, &app.admin_token).await;
    app.send(Method::GET, "/api/v1/auth/me", Some(&ticket), None)
        .await
        .expect_problem(401);
    // Anyone who may read the fleet may watch it.
    let (_, viewer) = app.user_with_role("watcher", "viewer").await;
    let viewer_ticket = issue_ticket(&app, &viewer).await;
    connect(&app.address, &viewer_ticket).await;
}

async fn the_console_sees_reports_and_task_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let (application, token) = app.application_with_token("shop").await;
    let ticket = issue_ticket(&app, &app.admin_token).await;
    let mut socket = connect(&app.address, &ticket).await;
    let reply = app
        .report(&token, &agent_report("web-1", 42.0))
        .await
        .expect(200);
    let instance = reply.body["instance_id"].as_str().unwrap().to_owned();
    let online = next_event(&mut socket, "instance.online").await;
    assert_eq!(online["instance_id"], instance);
    assert_eq!(online["application_id"], application);
    let report = next_event(&mut socket, "instance.report").await;
    assert_eq!(report["instance_id"], instance);
    assert_eq!(report["cpu_usage_percent"], 42.0);
    // A second report is a report, not a new arrival.
    app.report(&token, &agent_report("web-1", 7.0))
        .await
        .expect(200);
    let report = next_event(&mut socket, "instance.report").await;
    assert_eq!(report["cpu_usage_percent"], 7.0);

    let task = app
        .post(
            "/api/v1/tasks",
            &app.admin_token,
            json!({"name": "watch", "type": "shell_exec", "content": {"script": "id"},
                   "instance_ids": [instance]}),
        )
        .await
        .expect(201);
    let pending = next_event(&mut socket, "task.updated").await;
    assert_eq!(pending["task_id"], task.body["id"]);
    assert_eq!(pending["status"], "pending");
    app.send(
        Method::GET,
        "/api/v1/agent/tasks?agent_instance_id=web-1&wait=0",
        Some(&token),
        None,
    )
    .await
    .expect(200);
    let dispatched = next_event(&mut socket, "task.updated").await;
    assert_eq!(dispatched["status"], "dispatched");
    assert_eq!(dispatched["record_id"], pending["record_id"]);
}

crate::on_both_databases!(
    the_websocket_needs_a_ticket,
    the_console_sees_reports_and_task_changes,
);

/// On PostgreSQL a client connected to one replica sees what happens on another.
#[tokio::test]
async fn postgres_events_reach_clients_of_every_replica() {
    let app = spawn_app(Backend::Postgres).await;
    let (_, token) = app.application_with_token("shop").await;
    let replica = app.spawn_replica().await;
    let ticket = issue_ticket(&app, &app.admin_token).await;
    let mut socket = connect(&replica, &ticket).await;
    // The replica's listener connects in the background; give it a moment, then report on the
    // first server until the event shows up on the replica's socket.
    let mut delivered = None;
    for attempt in 0..10 {
        app.report(&token, &agent_report("web-1", f64::from(attempt)))
            .await
            .expect(200);
        if let Ok(event) = tokio::time::timeout(
            Duration::from_secs(2),
            next_event(&mut socket, "instance.report"),
        )
        .await
        {
            delivered = Some(event);
            break;
        }
    }
    let event = delivered.expect("a report on one replica reaches a client of the other");
    assert_eq!(event["type"], "instance.report");
}

/// A client that stops reading is disconnected instead of being buffered for: it falls more than
/// the backlog behind (close code 1013), or its socket stays full for `SEND_TIMEOUT` (dropped
/// without a close frame, which could not get through); which comes first depends on the socket
/// buffers. Either way it receives a small part of the flood, the connection ends, and the server
/// goes on serving. The test floods the event channel through PostgreSQL.
#[tokio::test]
async fn postgres_a_client_that_stops_reading_is_dropped() {
    use sea_orm::{ConnectionTrait, Statement};

    let app = spawn_app(Backend::Postgres).await;
    let notify = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap();
        }
    };
    // A reading client proves the server's listener is up before the flood.
    let ticket = issue_ticket(&app, &app.admin_token).await;
    let mut probe = connect(&app.address, &ticket).await;
    let ready = async {
        loop {
            notify(
                r#"SELECT pg_notify('monihub_events', '[{"type":"instance.offline","instance_id":"00000000-0000-0000-0000-000000000000","at":"2026-12-03T10:00:00Z"}]')"#,
            )
            .await;
            if tokio::time::timeout(
                Duration::from_secs(1),
                next_event(&mut probe, "instance.offline"),
            )
            .await
            .is_ok()
            {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), ready)
        .await
        .expect("the event listener starts");
    drop(probe);

    // The slow client: a small receive buffer, and it never reads.
    let ticket = issue_ticket(&app, &app.admin_token).await;
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(4096).unwrap();
    let stream = tcp
        .connect(app.address.trim_start_matches("http://").parse().unwrap())
        .await
        .unwrap();
    let url = format!(
        "{}/api/v1/ws?ticket={ticket}",
        app.address.replace("http://", "ws://")
    );
    let (mut slow, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();

    // 2,000 notifications of 60 distinct events each: about 12 MB of events.
    notify(
        r#"SELECT pg_notify('monihub_events', (
               SELECT '[' || string_agg(format(
                   '{"type":"instance.offline","instance_id":"%s","at":"2026-12-03T10:00:00Z"}',
                   gen_random_uuid()), ',') || ']'
               FROM generate_series(1, 60) WHERE n > 0))
           FROM generate_series(1, 2000) AS n"#,
    )
    .await;
    tokio::time::sleep(monihub_server::events::routes::SEND_TIMEOUT + Duration::from_secs(3)).await;

    let mut received = 0u64;
    let ending = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match slow.next().await {
                Some(Ok(Message::Text(_))) => received += 1,
                Some(Ok(Message::Close(frame))) => break format!("close frame {frame:?}"),
                Some(Ok(_)) => {}
                Some(Err(err)) => break format!("error {err}"),
                None => break "end of stream".to_owned(),
            }
        }
    })
    .await
    .expect("the server dropped the slow client");
    assert!(received < 120_000, "{received} events were buffered for it");
    assert!(
        !ending.starts_with("close frame") || ending.contains("Again"),
        "{ending}"
    );
    app.get("/api/v1/instances", &app.admin_token)
        .await
        .expect(200);
}
