//! Instances: filters (including hostile search text), detail, enable/disable, the agent
//! configuration, soft deletion, report history and downsampled metrics.

use chrono::{Duration, Utc};
use monihub_server::entity::{instance_reports, instances};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::helpers::{Backend, TestApp, agent_report, spawn_app};

/// Two projects, three applications, five instances; `web-3` is offline.
struct Fleet {
    shop_project: String,
    shop: String,
    shop_token: String,
    blog: String,
}

async fn fleet(app: &TestApp) -> Fleet {
    let (shop, shop_token) = app.application_with_token("shop").await;
    let shop_app = app
        .get(&format!("/api/v1/applications/{shop}"), &app.admin_token)
        .await
        .expect(200);
    let shop_project = shop_app.body["project_id"].as_str().unwrap().to_owned();
    let (_, cart_token) = {
        let cart = app.application(&shop_project, "cart").await;
        let token = app
            .post(
                &format!("/api/v1/applications/{cart}/agent-token"),
                &app.admin_token,
                json!({}),
            )
            .await
            .expect(201);
        (cart, token.body["token"].as_str().unwrap().to_owned())
    };
    let (blog, blog_token) = app.application_with_token("blog").await;
    for (token, host) in [
        (&shop_token, "web-1"),
        (&shop_token, "web-2"),
        (&shop_token, "web-3"),
        (&cart_token, "cart-1"),
        (&blog_token, "blog-1"),
    ] {
        app.instance(token, host).await;
    }
    instances::Entity::update_many()
        .col_expr(instances::Column::Online, Expr::value(false))
        .filter(instances::Column::AgentInstanceId.eq("web-3"))
        .exec(&app.db)
        .await
        .unwrap();
    Fleet {
        shop_project,
        shop,
        shop_token,
        blog,
    }
}

async fn instances_are_filtered_safely(backend: Backend) {
    let app = spawn_app(backend).await;
    let fleet = fleet(&app).await;
    let t = &app.admin_token;
    let hosts = |query: String| {
        let app = &app;
        async move {
            let reply = app
                .get(&format!("/api/v1/instances{query}"), t)
                .await
                .expect(200);
            let mut names: Vec<String> = reply
                .strings("agent_instance_id")
                .into_iter()
                .map(str::to_owned)
                .collect();
            names.sort();
            names
        }
    };
    assert_eq!(hosts(String::new()).await.len(), 5);
    assert_eq!(
        hosts(format!("?application_id={}", fleet.shop)).await,
        vec!["web-1", "web-2", "web-3"]
    );
    assert_eq!(
        hosts(format!("?project_id={}", fleet.shop_project)).await,
        vec!["cart-1", "web-1", "web-2", "web-3"]
    );
    assert_eq!(hosts("?online=false".into()).await, vec!["web-3"]);
    assert_eq!(
        hosts("?online=true&q=WEB".into()).await,
        vec!["web-1", "web-2"]
    );
    assert_eq!(hosts("?q=blog-1.example".into()).await, vec!["blog-1"]);
    assert_eq!(hosts("?q=10.1.2".into()).await.len(), 5);
    // Hostile search text is just text.
    for hostile in [
        "' OR 1=1 --",
        "%",
        "_",
        "\\",
        "web-1'; DROP TABLE instances; --",
    ] {
        let q = form_urlencoded::byte_serialize(hostile.as_bytes()).collect::<String>();
        assert!(hosts(format!("?q={q}")).await.is_empty(), "{hostile}");
    }
    assert_eq!(hosts(String::new()).await.len(), 5, "nothing was dropped");
    app.get("/api/v1/instances?online=maybe", t)
        .await
        .expect_problem(400);
    app.get("/api/v1/instances?application_id=nope", t)
        .await
        .expect_problem(400);
    let page = app
        .get("/api/v1/instances?per_page=2&page=2", t)
        .await
        .expect(200);
    assert_eq!(page.body["total"], 5);
    assert_eq!(page.body["items"].as_array().unwrap().len(), 2);
    let _ = fleet.blog;
}

async fn disabling_an_instance_refuses_its_reports(backend: Backend) {
    let app = spawn_app(backend).await;
    let fleet = fleet(&app).await;
    let t = &app.admin_token;
    let id = app.instance(&fleet.shop_token, "web-1").await;
    let path = format!("/api/v1/instances/{id}");
    let detail = app.get(&path, t).await.expect(200);
    assert_eq!(detail.body["status"], "active");
    assert_eq!(detail.body["cpu_usage_percent"], 1.0);
    assert_eq!(detail.body["environment"]["DB_PASSWORD"], "[redacted]");
    app.patch(&path, t, json!({"status": "disabled"}))
        .await
        .expect(200);
    app.report(&fleet.shop_token, &agent_report("web-1", 5.0))
        .await
        .expect_problem(403);
    app.patch(&path, t, json!({"status": "active"}))
        .await
        .expect(200);
    app.report(&fleet.shop_token, &agent_report("web-1", 5.0))
        .await
        .expect(200);
    let audit = app
        .get(
            &format!("/api/v1/audit?action=instance.update&resource_id={id}"),
            t,
        )
        .await
        .expect(200);
    assert_eq!(audit.body["total"], 2);
}

async fn the_agent_config_is_validated_and_delivered(backend: Backend) {
    let app = spawn_app(backend).await;
    let fleet = fleet(&app).await;
    let t = &app.admin_token;
    let id = app.instance(&fleet.shop_token, "web-1").await;
    let path = format!("/api/v1/instances/{id}");
    let config = json!({
        "report_interval_seconds": 10, "long_poll_seconds": 20,
        "tasks_enabled": false, "log_level": "warn"
    });
    let updated = app
        .patch(&path, t, json!({"config": config}))
        .await
        .expect(200);
    assert_eq!(updated.body["config"], config);
    let answer = app
        .report(&fleet.shop_token, &agent_report("web-1", 1.0))
        .await
        .expect(200);
    assert_eq!(answer.body["config"], config);

    // Bad input is an error and changes nothing; it never resets the configuration.
    let mut bad = config.clone();
    bad["report_interval_seconds"] = json!(1);
    bad["long_poll_seconds"] = json!(600);
    let refused = app
        .patch(&path, t, json!({"config": bad}))
        .await
        .expect_problem(422);
    assert_eq!(
        refused.error_fields(),
        vec!["config.long_poll_seconds", "config.report_interval_seconds"]
    );
    for broken in [
        json!({"config": {"report_interval_seconds": 10}}),
        json!({"config": {"report_interval_seconds": "often", "long_poll_seconds": 20,
                          "tasks_enabled": true, "log_level": "info"}}),
        json!({"config": config, "colour": "red"}),
    ] {
        app.patch(&path, t, broken).await.expect_problem(400);
    }
    assert_eq!(app.get(&path, t).await.expect(200).body["config"], config);
}

async fn deleted_instances_leave_the_fleet(backend: Backend) {
    let app = spawn_app(backend).await;
    let fleet = fleet(&app).await;
    let t = &app.admin_token;
    let id = app.instance(&fleet.shop_token, "web-2").await;
    let path = format!("/api/v1/instances/{id}");
    app.delete(&path, t).await.expect(204);
    app.get(&path, t).await.expect_problem(404);
    app.patch(&path, t, json!({"status": "disabled"}))
        .await
        .expect_problem(404);
    app.delete(&path, t).await.expect_problem(404);
    let list = app.get("/api/v1/instances", t).await.expect(200);
    assert_eq!(list.body["total"], 4);
    let missing = uuid::Uuid::new_v4();
    app.get(&format!("/api/v1/instances/{missing}"), t)
        .await
        .expect_problem(404);
}

/// Writes `count` reports for an instance, `spacing` apart, the newest `spacing` ago.
async fn history(app: &TestApp, instance_id: &str, count: i64, spacing: Duration) {
    let instance_id = uuid::Uuid::parse_str(instance_id).unwrap();
    let now = Utc::now();
    let rows = (0..count).map(|i| {
        let at = now - spacing * (i + 1) as i32;
        let cpu = if i % 2 == 0 { 10.0 } else { 30.0 };
        instance_reports::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            instance_id: Set(instance_id),
            reported_at: Set(at),
            received_at: Set(at),
            cpu_usage_percent: Set(cpu),
            memory_usage_percent: Set(50.0),
            disk_usage_percent: Set(70.0),
            memory_used_bytes: Set(1),
            memory_total_bytes: Set(2),
            disk_used_bytes: Set(7),
            disk_total_bytes: Set(10),
            load_average_1m: Set(None),
            process_uptime_seconds: Set(None),
            thread_count: Set(None),
            custom_metrics: Set(json!({})),
        }
    });
    let rows: Vec<_> = rows.collect();
    for chunk in rows.chunks(200) {
        instance_reports::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
}

async fn report_history_pages_by_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let fleet = fleet(&app).await;
    let t = &app.admin_token;
    let id = app.instance(&fleet.shop_token, "web-1").await;
    history(&app, &id, 30, Duration::minutes(1)).await;
    let path = format!("/api/v1/instances/{id}/reports");
    let all = app
        .get(&format!("{path}?per_page=200"), t)
        .await
        .expect(200);
    // 30 written, and the two live reports (the fleet's and this test's).
    assert_eq!(all.body["total"], 32);
    let from = (Utc::now() - Duration::seconds(10 * 60 + 30)).to_rfc3339();
    let q = form_urlencoded::byte_serialize(from.as_bytes()).collect::<String>();
    let recent = app
        .get(&format!("{path}?from={q}&per_page=4"), t)
        .await
        .expect(200);
    assert_eq!(
        recent.body["total"], 12,
        "10 written plus the two live reports"
    );
    assert_eq!(recent.body["items"].as_array().unwrap().len(), 4);
    let times: Vec<&str> = recent.strings("received_at");
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let to = (Utc::now() - Duration::days(1)).to_rfc3339();
    let q_to = form_urlencoded::byte_serialize(to.as_bytes()).collect::<String>();
    app.get(&format!("{path}?from={q}&to={q_to}"), t)
        .await
        .expect_problem(422);
}

async fn metrics_are_downsampled_in_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let fleet = fleet(&app).await;
    let t = &app.admin_token;
    let id = app.instance(&fleet.shop_token, "web-1").await;
    // A report every 6 s for the last hour, alternating 10 % and 30 % CPU (plus the fleet's and
    // this test's live reports).
    history(&app, &id, 598, Duration::seconds(6)).await;
    let series = app
        .get(&format!("/api/v1/instances/{id}/metrics?range=1h"), t)
        .await
        .expect(200);
    let points = series.body["points"].as_array().unwrap();
    assert_eq!(series.body["step_seconds"], 12);
    assert!(
        points.len() <= 300 && points.len() >= 290,
        "{}",
        points.len()
    );
    let samples: i64 = points.iter().map(|p| p["samples"].as_i64().unwrap()).sum();
    assert_eq!(samples, 600);
    // The last point also holds the live reports (1 %); every other full point averages one
    // 10 % and one 30 % report.
    for point in &points[..points.len() - 1] {
        let cpu = point["cpu_usage_percent"].as_f64().unwrap();
        assert!((1.0..=30.0).contains(&cpu), "{point}");
        if point["samples"] == 2 {
            assert_eq!(cpu, 20.0, "{point}");
        }
    }
    let times: Vec<&str> = points.iter().map(|p| p["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "oldest first");
    // A shorter range only sees its own part.
    let recent = app
        .get(&format!("/api/v1/instances/{id}/metrics?range=1m"), t)
        .await
        .expect(200);
    let recent_samples: i64 = recent.body["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["samples"].as_i64().unwrap())
        .sum();
    assert!((10..=12).contains(&recent_samples), "{recent_samples}");
    for bad in ["1w", "0m", "31d", "x", "-5m"] {
        let reply = app
            .get(&format!("/api/v1/instances/{id}/metrics?range={bad}"), t)
            .await
            .expect_problem(422);
        assert_eq!(reply.error_fields(), vec!["range"]);
    }
}

/// No report for the offline delay: offline with `offline_at`; the next report: online again.
/// Two sweeps at once take each instance offline once.
async fn instances_go_offline_and_come_back(backend: Backend) {
    use monihub_server::instances::presence::sweep;
    let app = spawn_app(backend).await;
    let fleet = fleet(&app).await;
    let t = &app.admin_token;
    let offline_after = std::time::Duration::from_secs(90);
    // Nothing is stale yet (web-3 was set offline by hand and stays as it is).
    assert!(
        sweep(&app.db, offline_after, Utc::now())
            .await
            .unwrap()
            .is_empty()
    );
    // Ten minutes later every online instance is stale: two sweeps race for them.
    let later = Utc::now() + Duration::minutes(10);
    let (a, b) = futures::join!(
        sweep(&app.db, offline_after, later),
        sweep(&app.db, offline_after, later)
    );
    let mut gone = a.unwrap();
    gone.extend(b.unwrap());
    assert_eq!(
        gone.len(),
        4,
        "each instance goes offline exactly once: {gone:?}"
    );
    // Once in the server's operation log too, one line per instance.
    let lines = app
        .get("/api/v1/logs?source=server&level=warn", t)
        .await
        .expect(200);
    assert_eq!(lines.body["total"], 4);
    let mut logged: Vec<String> = lines
        .strings("instance_id")
        .into_iter()
        .map(str::to_owned)
        .collect();
    logged.sort();
    let mut expected: Vec<String> = gone.iter().map(|id| id.to_string()).collect();
    expected.sort();
    assert_eq!(logged, expected);
    assert!(
        lines.strings("message")[0].contains("went offline"),
        "{:?}",
        lines.body
    );
    let offline = app
        .get("/api/v1/instances?online=false&per_page=10", t)
        .await
        .expect(200);
    assert_eq!(offline.body["total"], 5);
    let web1 = app.instance(&fleet.shop_token, "web-1").await;
    let back = app
        .get(&format!("/api/v1/instances/{web1}"), t)
        .await
        .expect(200);
    assert_eq!(back.body["online"], true);
    assert_eq!(back.body["offline_at"], serde_json::Value::Null);
    let still = app
        .get("/api/v1/instances?online=false", t)
        .await
        .expect(200);
    assert_eq!(still.body["total"], 4);
    assert!(still.body["items"][0]["offline_at"].is_string());
}

/// The fleet as Prometheus sees it: one series per instance and metric, labelled with its
/// application and project; readable by viewers and with the scrape token, nobody else.
async fn fleet_metrics_for_prometheus(backend: Backend) {
    let scrape_token = "scrape-token-0123456789abcdefghijklmnop";
    let app = crate::helpers::spawn_app_with(backend, &[("metrics_token", scrape_token)]).await;
    let fleet = fleet(&app).await;
    let web1 = app.instance(&fleet.shop_token, "web-1").await;
    let scrape = |token: Option<String>| {
        let app = &app;
        async move {
            let mut request = app.client.get(app.url("/api/v1/fleet/metrics"));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send().await.unwrap()
        }
    };
    let reply = scrape(Some(scrape_token.into())).await;
    assert_eq!(reply.status(), 200);
    let text = reply.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("monihub_instance_cpu_usage_percent{")
                && l.contains(&format!("instance_id=\"{web1}\""))
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("hostname=\"web-1.example\""), "{line}");
    assert!(line.contains("application=\"shop\""), "{line}");
    assert!(line.contains("project=\"shop-project\""), "{line}");
    assert!(line.ends_with(" 1.0"), "{line}");
    let online: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("monihub_instance_online{"))
        .collect();
    assert_eq!(online.len(), 5);
    assert_eq!(online.iter().filter(|l| l.ends_with(" 0")).count(), 1);
    assert!(text.contains("# TYPE monihub_instance_disk_usage_percent gauge"));

    let (_, viewer) = app.user_with_role("watcher", "viewer").await;
    assert_eq!(scrape(Some(viewer)).await.status(), 200);
    assert_eq!(scrape(None).await.status(), 401);
    assert_eq!(
        scrape(Some("scrape-token-0123456789abcdefghijklmnoX".into()))
            .await
            .status(),
        401
    );
    assert_eq!(scrape(Some(fleet.shop_token.clone())).await.status(), 401);
}

crate::on_both_databases!(
    fleet_metrics_for_prometheus,
    instances_go_offline_and_come_back,
    instances_are_filtered_safely,
    disabling_an_instance_refuses_its_reports,
    the_agent_config_is_validated_and_delivered,
    deleted_instances_leave_the_fleet,
    report_history_pages_by_time,
    metrics_are_downsampled_in_the_database,
);
