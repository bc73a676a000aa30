//! An overloaded server: the agent backs off, never sooner than the server's `Retry-After`, and
//! recovers when the server does. The server here is a stand-in on loopback that answers 503
//! twice and then accepts (a real server only sheds load under a flood of reports).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use monihub_agent::agent::Agent;
use monihub_agent::config::{Config, LogShipping, TaskPolicy, Token};
use monihub_agent::logs::LogBuffer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Read one HTTP request (headers and a Content-Length body).
async fn read_request(stream: &mut tokio::net::TcpStream) -> String {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        data.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&data);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&data).into_owned()
}

#[tokio::test]
async fn an_overloaded_server_is_retried_no_sooner_than_it_asks() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let server_seen = seen.clone();
    let server = tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let request = read_request(&mut stream).await;
            let n = {
                let mut seen = server_seen.lock().unwrap();
                seen.push((Instant::now(), request));
                seen.len()
            };
            let response = if n <= 2 {
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
            } else {
                let body = serde_json::json!({
                    "instance_id": "0192d4a0-0000-7000-8000-000000000001",
                    "config": {"report_interval_seconds": 60, "long_poll_seconds": 30,
                               "tasks_enabled": false, "log_level": "info"},
                    "received_at": chrono::Utc::now(),
                })
                .to_string();
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });

    let state = tempfile::tempdir().unwrap();
    let config = Config {
        server_url: format!("http://{address}"),
        token: Some(Token("mhat_test".into())),
        token_file: None,
        state_dir: PathBuf::from(state.path()),
        report_interval: Duration::from_secs(30),
        proxy: None,
        ca_file: None,
        request_timeout: Duration::from_secs(5),
        instance_id: Some("backoff-host".into()),
        labels: BTreeMap::new(),
        tasks: TaskPolicy::default(),
        logs: LogShipping::default(),
    };
    let agent = Agent::new(Arc::new(config), LogBuffer::new(10), "backoff-host".into()).unwrap();
    let mut settings = agent.settings();
    let reports = tokio::spawn(agent.clone().report_loop());
    tokio::time::timeout(Duration::from_secs(60), async {
        while settings.borrow_and_update().is_none() {
            settings.changed().await.unwrap();
        }
    })
    .await
    .expect("the agent never got through");
    reports.abort();
    server.abort();

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "two refusals, then one accepted report");
    for pair in seen.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= Duration::from_secs(2),
            "retried after {gap:?}, before Retry-After"
        );
    }
    let (_, request) = &seen[0];
    assert!(request.starts_with("POST /api/v1/agent/report "));
    assert!(
        request
            .to_lowercase()
            .contains("authorization: bearer mhat_test")
    );
    assert!(request.contains("\"agent_instance_id\":\"backoff-host\""));
}
