//! Malformed requests always get a problem+json answer, never a 500.

use reqwest::Method;

use crate::helpers::{Backend, spawn_app};

async fn malformed_bodies_are_400_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"".to_vec()),
        ("application/json", b"[1,2,3]".to_vec()),
        ("application/json", br#"{"name": 5, "code": "x"}"#.to_vec()),
        ("application/json", br#"{"name": "x"}"#.to_vec()),
        (
            "application/json",
            br#"{"name": "x", "code": "xx", "colour": "red"}"#.to_vec(),
        ),
        ("application/json", vec![0xff, 0xfe, 0x00]),
        ("text/plain", br#"{"name": "x", "code": "xx"}"#.to_vec()),
    ];
    for (content_type, body) in cases {
        let reply = app
            .send_raw(Method::POST, "/api/v1/projects", content_type, body.clone())
            .await;
        assert_eq!(
            reply.status,
            400,
            "{content_type} {:?}: {}",
            String::from_utf8_lossy(&body),
            reply.body
        );
        reply.expect_problem(400);
    }
    let list = app
        .get("/api/v1/projects", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(
        list.body["total"], 0,
        "nothing may be written by a rejected request"
    );
}

async fn oversized_bodies_are_413(backend: Backend) {
    let app = spawn_app(backend).await;
    let huge = format!(
        r#"{{"name": "x", "code": "xx", "description": "{}"}}"#,
        "a".repeat(300_000)
    );
    app.send_raw(
        Method::POST,
        "/api/v1/projects",
        "application/json",
        huge.into_bytes(),
    )
    .await
    .expect_problem(413);
}

async fn bad_paths_unknown_routes_and_methods(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    app.get("/api/v1/projects/not-a-uuid", t)
        .await
        .expect_problem(400);
    app.get("/api/v1/nothing-here", t).await.expect_problem(404);
    app.get("/api/v2/projects", t).await.expect_problem(404);
    app.get("/definitely/not/here", t).await.expect_problem(404);
    // A method a path does not serve is answered like an unknown route.
    app.send(Method::PUT, "/api/v1/projects", Some(t), None)
        .await
        .expect_problem(404);
}

async fn request_ids_are_echoed_or_generated(backend: Backend) {
    let app = spawn_app(backend).await;
    let echoed = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-abc_123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-abc_123");
    // Unsafe ids are replaced, never reflected.
    let replaced = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "evil\tvalue with spaces")
        .send()
        .await
        .unwrap();
    let id = replaced.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

crate::on_both_databases!(
    malformed_bodies_are_400_problems,
    oversized_bodies_are_413,
    bad_paths_unknown_routes_and_methods,
    request_ids_are_echoed_or_generated,
);
