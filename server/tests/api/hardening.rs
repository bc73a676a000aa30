//! Hostile input found by probing the server: every case answers a clear 4xx (never a 500 or a
//! dropped connection) and changes nothing.

use crate::helpers::{Backend, spawn_app};

/// Offsets beyond the databases' signed 64-bit range used to panic the request.
async fn huge_pages_are_422_on_every_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = &app.admin_token;
    for list in [
        "/api/v1/projects",
        "/api/v1/applications",
        "/api/v1/users",
        "/api/v1/audit",
    ] {
        for query in [
            "page=18446744073709551615&per_page=1",
            "page=9223372036854775807&per_page=200",
            "page=1000000001",
        ] {
            let reply = app
                .get(&format!("{list}?{query}"), t)
                .await
                .expect_problem(422);
            assert_eq!(reply.error_fields(), vec!["page"], "{list}?{query}");
        }
        // The largest page accepted is an ordinary, empty page.
        let last = app
            .get(&format!("{list}?page=1000000000&per_page=200"), t)
            .await
            .expect(200);
        assert_eq!(last.body["items"], serde_json::json!([]), "{list}");
    }
}

crate::on_both_databases!(huge_pages_are_422_on_every_list);
