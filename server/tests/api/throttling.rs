//! Password guessing under real concurrency: limits that hold for parallel guesses and across
//! replicas, per-client blocks that strangers cannot turn against the owner, growing delays for
//! distributed guessing, the admin's unlock, throttled password checks, bounded hashing, and the
//! clean-up of spent counters.

use futures::future::join_all;
use monihub_server::entity::{auth_sessions, auth_throttle};
use monihub_server::housekeeping;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::helpers::{
    ADMIN_PASSWORD, Backend, MAX_LOGIN_FAILURES, Reply, USER_PASSWORD, spawn_app, spawn_app_with,
};

const LIMIT: usize = MAX_LOGIN_FAILURES as usize;

/// Answers that mean the password was actually checked.
fn evaluated(replies: &[Reply]) -> usize {
    replies
        .iter()
        .filter(|r| r.status == StatusCode::OK || r.status == StatusCode::UNAUTHORIZED)
        .count()
}

fn assert_only(replies: &[Reply], allowed: &[u16]) {
    for reply in replies {
        assert!(
            allowed.contains(&reply.status.as_u16()),
            "unexpected {}: {}",
            reply.status,
            reply.body
        );
    }
}

fn retry_after(reply: &Reply) -> u64 {
    reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Enough hashing slots that many guesses reach the counters at the same moment.
const WIDE_OPEN: &[(&str, &str)] = &[("password_hash_concurrency", "16")];

/// 40 guesses at once, the right password sent last: only `LIMIT` are ever checked, and the right
/// one does not get through once the limit is used up.
async fn parallel_guesses_are_limited(backend: Backend) {
    let app = spawn_app_with(backend, WIDE_OPEN).await;
    let guesses = (0..40).map(|i| {
        let password = if i == 39 {
            ADMIN_PASSWORD.to_owned()
        } else {
            format!("wrong-guess-{i}")
        };
        let app = &app;
        async move { app.login("admin", &password).await }
    });
    let replies = join_all(guesses).await;
    assert_only(&replies, &[200, 401, 429]);
    assert_eq!(evaluated(&replies), LIMIT, "{replies:#?}");
    app.login("admin", ADMIN_PASSWORD).await.expect_problem(429);
}

/// The limit is kept in the database: guesses spread over two replicas share it.
async fn the_limit_holds_across_replicas(backend: Backend) {
    let app = spawn_app_with(backend, WIDE_OPEN).await;
    let replica = app.spawn_replica().await;
    let guesses = (0..30).map(|i| {
        let app = &app;
        let address = if i % 2 == 0 {
            app.address.clone()
        } else {
            replica.clone()
        };
        async move {
            app.login_at(&address, "admin", &format!("wrong-{i}"), None)
                .await
        }
    });
    let replies = join_all(guesses).await;
    assert_only(&replies, &[401, 429]);
    assert_eq!(evaluated(&replies), LIMIT);
}

/// A stranger's failures block the stranger, not the owner signing in from elsewhere.
async fn a_stranger_cannot_lock_the_owner_out(backend: Backend) {
    let app = spawn_app_with(backend, &[("trusted_proxies", "127.0.0.1")]).await;
    let attacker = "203.0.113.66";
    for _ in 0..LIMIT {
        app.login_from(attacker, "admin", "wrong-password")
            .await
            .expect_problem(401);
    }
    for _ in 0..5 {
        let blocked = app
            .login_from(attacker, "admin", "wrong-password")
            .await
            .expect_problem(429);
        assert!(retry_after(&blocked) > 60, "the stranger stays blocked");
    }
    // Even the right password is refused from the blocked client…
    app.login_from(attacker, "admin", ADMIN_PASSWORD)
        .await
        .expect_problem(429);
    // …while the owner, elsewhere, signs in at once.
    app.login_from("198.51.100.7", "admin", ADMIN_PASSWORD)
        .await
        .expect(200);
}

/// Without a trusted proxy, `X-Forwarded-For` is ignored: a client cannot pick a fresh key.
async fn forwarded_for_from_untrusted_peers_is_ignored(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut replies = Vec::new();
    for i in 0..10 {
        replies.push(
            app.login_from(&format!("203.0.113.{i}"), "admin", "wrong-password")
                .await,
        );
    }
    assert_eq!(evaluated(&replies), LIMIT);
    assert_eq!(replies.last().unwrap().status, 429);
}

/// Guesses from many clients slow the account down (growing, capped delays) instead of locking it:
/// the owner waits at most the cap and then signs in.
async fn distributed_guessing_is_slowed_not_locked(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[("trusted_proxies", "127.0.0.1"), ("login_max_delay", "2s")],
    )
    .await;
    let mut delayed = 0;
    for i in 0..(LIMIT + 6) {
        let reply = app
            .login_from(&format!("203.0.113.{i}"), "admin", "wrong-password")
            .await;
        match reply.status.as_u16() {
            401 => {}
            429 => {
                delayed += 1;
                assert!(retry_after(&reply) <= 2, "{:?}", reply.headers);
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert!(delayed > 0, "guesses beyond the limit must be delayed");
    // The owner is delayed at most the cap, never locked out.
    let mut signed_in = false;
    for _ in 0..5 {
        let reply = app
            .login_from("198.51.100.7", "admin", ADMIN_PASSWORD)
            .await;
        if reply.status == 200 {
            signed_in = true;
            break;
        }
        let reply = reply.expect_problem(429);
        let wait = retry_after(&reply);
        assert!(wait <= 2, "waited {wait} s");
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    assert!(signed_in, "the owner must get in after the delay");
}

/// An admin clears a user's blocks; the unlock is audited.
async fn an_admin_unlocks_a_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, _) = app.user_with_role("alice", "viewer").await;
    for _ in 0..LIMIT {
        app.login("alice", "wrong-password").await.expect(401);
    }
    app.login("alice", USER_PASSWORD).await.expect_problem(429);
    app.post(
        &format!("/api/v1/users/{alice}/unlock"),
        &app.admin_token,
        json!({}),
    )
    .await
    .expect(204);
    app.login("alice", USER_PASSWORD).await.expect(200);
    let audit = app
        .get(
            &format!("/api/v1/audit?action=user.unlock&resource_id={alice}"),
            &app.admin_token,
        )
        .await
        .expect(200);
    assert_eq!(audit.body["total"], 1);
    let missing = uuid::Uuid::new_v4();
    app.post(
        &format!("/api/v1/users/{missing}/unlock"),
        &app.admin_token,
        json!({}),
    )
    .await
    .expect_problem(404);
}

/// Checks of the current password are limited too: a stolen token cannot guess the password.
async fn password_checks_are_throttled(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, token) = app.user_with_role("alice", "viewer").await;
    let change = |current: &str| json!({"current_password": current, "new_password": "a-brand-new-password"});
    let guesses = (0..10).map(|i| {
        let app = &app;
        let token = &token;
        let body = change(&format!("guess-{i}"));
        async move { app.post("/api/v1/auth/password", token, body).await }
    });
    let replies = join_all(guesses).await;
    assert_only(&replies, &[422, 429]);
    let checked = replies.iter().filter(|r| r.status == 422).count();
    assert_eq!(checked, LIMIT);
    // The right password is refused while blocked…
    app.post("/api/v1/auth/password", &token, change(USER_PASSWORD))
        .await
        .expect_problem(429);
    // …and accepted after an admin's unlock.
    app.post(
        &format!("/api/v1/users/{alice}/unlock"),
        &app.admin_token,
        json!({}),
    )
    .await
    .expect(204);
    app.post("/api/v1/auth/password", &token, change(USER_PASSWORD))
        .await
        .expect(204);
}

/// With one hashing slot and no waiting, a burst is shed with 503 + Retry-After (never a 500),
/// shed attempts are not counted, and the server serves normally afterwards.
async fn hashing_is_bounded_and_excess_is_shed(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("password_hash_concurrency", "1"),
            ("password_hash_wait", "0s"),
        ],
    )
    .await;
    let burst = (0..64).map(|i| {
        let app = &app;
        async move { app.login(&format!("nobody-{i}"), "some-password").await }
    });
    let replies = join_all(burst).await;
    assert_only(&replies, &[401, 503]);
    let shed: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    assert!(
        !shed.is_empty(),
        "a burst of 64 with one slot must shed some"
    );
    for reply in &shed {
        assert_eq!(retry_after(reply), 1);
        assert_eq!(
            reply.headers["content-type"], "application/problem+json",
            "{}",
            reply.body
        );
    }
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let shed_total = metrics
        .lines()
        .find_map(|l| l.strip_prefix("monihub_password_hash_shed_total "))
        .expect("shed counter exported");
    assert_eq!(shed_total.trim(), shed.len().to_string());
    // Only evaluated attempts were counted: one counter pair per evaluated name, none for shed.
    let counted = auth_throttle::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(counted as usize, 2 * (64 - shed.len()));
    app.login("admin", ADMIN_PASSWORD).await.expect(200);
}

/// Spent counters and long-expired sessions are removed; live ones stay.
async fn housekeeping_prunes_spent_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    let policy = app.settings.throttle_policy();
    for _ in 0..2 {
        app.login("admin", "wrong-password").await.expect(401);
    }
    app.login("ghost", "wrong-password").await.expect(401);
    let now = chrono::Utc::now();
    let rows = || auth_throttle::Entity::find().count(&app.db);
    assert_eq!(rows().await.unwrap(), 4);
    // Nothing is spent yet.
    let pruned = housekeeping::prune(&app.db, policy, now).await.unwrap();
    assert_eq!(pruned, housekeeping::Pruned::default());
    // Once the window has passed, every counter is spent.
    let later = now + policy.lockout + chrono::Duration::seconds(1);
    let pruned = housekeeping::prune(&app.db, policy, later).await.unwrap();
    assert_eq!(pruned.throttle_counters, 4);
    assert_eq!(rows().await.unwrap(), 0);
    // A blocked counter is kept until its block ends, even when its window has passed.
    for _ in 0..LIMIT {
        app.login("admin", "wrong-password").await.expect(401);
    }
    let now = chrono::Utc::now();
    auth_throttle::Entity::update_many()
        .col_expr(
            auth_throttle::Column::WindowStartedAt,
            Expr::value(now - policy.lockout * 2),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let pruned = housekeeping::prune(&app.db, policy, now).await.unwrap();
    assert_eq!(
        pruned.throttle_counters, 1,
        "the unblocked account counter goes"
    );
    assert_eq!(rows().await.unwrap(), 1, "the blocked client counter stays");
    let after_block = now + policy.lockout + chrono::Duration::seconds(5);
    let pruned = housekeeping::prune(&app.db, policy, after_block)
        .await
        .unwrap();
    assert_eq!(pruned.throttle_counters, 1);

    // Sessions: one long expired, the admin's own live.
    auth_sessions::Entity::update_many()
        .col_expr(
            auth_sessions::Column::ExpiresAt,
            Expr::value(now - chrono::Duration::days(3)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let live = app.login_ok("admin", ADMIN_PASSWORD).await;
    let pruned = housekeeping::prune(&app.db, policy, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(pruned.sessions, 1);
    app.get("/api/v1/auth/me", &live).await.expect(200);
}

crate::on_both_databases!(
    parallel_guesses_are_limited,
    the_limit_holds_across_replicas,
    a_stranger_cannot_lock_the_owner_out,
    forwarded_for_from_untrusted_peers_is_ignored,
    distributed_guessing_is_slowed_not_locked,
    an_admin_unlocks_a_user,
    password_checks_are_throttled,
    hashing_is_bounded_and_excess_is_shed,
    housekeeping_prunes_spent_rows,
);
