//! Running the operator on a real API server: of two replicas only the leader reconciles and a
//! standby takes over when it stops or dies; an operator killed mid-reconcile and restarted
//! converges without duplicate Jobs; a missing permission fails the preflight with a message
//! naming it.

mod common;

use std::time::Duration;

use common::{Operator, TIMEOUT, create, grant_rbac, hub, install_crd, patch, wait_ready};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;
use kube::api::{ListParams, ObjectMeta, PostParams};
use monihub_operator::MoniHub;
use monihub_testenv::{TestEnv, wait_for};
use serde_json::json;

/// Wait until `operator` leads.
async fn until_leading(operator: &Operator) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !operator.leading() {
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("never became leader");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

async fn holder(env: &TestEnv) -> anyhow::Result<Option<String>> {
    let leases: Api<Lease> = env.api();
    Ok(leases
        .get_opt("monihub-operator")
        .await?
        .and_then(|l| l.spec)
        .and_then(|s| s.holder_identity))
}

#[tokio::test]
async fn only_the_leader_reconciles_and_a_standby_takes_over() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("op-leader").await? else {
        return Ok(());
    };
    install_crd(env.client()).await?;
    grant_rbac(&env).await?;
    let a = Operator::start(&env, Some("replica-a")).await?;
    until_leading(&a).await?;
    let b = Operator::start(&env, Some("replica-b")).await?;
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
    assert_eq!(holder(&env).await?.as_deref(), Some("replica-a"));
    assert!(!b.leading());
    assert!(a.metrics.reconciles() > 0);
    assert_eq!(b.metrics.reconciles(), 0, "the standby reconciled");

    // A graceful stop releases the lease: the standby takes over and acts on changes.
    a.stop().await?;
    until_leading(&b).await?;
    assert_eq!(holder(&env).await?.as_deref(), Some("replica-b"));
    patch(&hubs, "mh", json!({"spec": {"frontend": {"replicas": 2}}})).await?;
    let deployments: Api<Deployment> = env.api();
    wait_for(
        &deployments,
        "mh-frontend",
        TIMEOUT,
        |d: Option<&Deployment>| {
            d.and_then(|d| d.spec.as_ref()).and_then(|s| s.replicas) == Some(2)
        },
    )
    .await?;

    // A crashed leader does not release: a new replica takes over once the lease expires.
    let c = Operator::start(&env, Some("replica-c")).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!c.leading(), "took a lease that was still renewed");
    b.kill();
    until_leading(&c).await?;
    assert_eq!(holder(&env).await?.as_deref(), Some("replica-c"));
    patch(&hubs, "mh", json!({"spec": {"frontend": {"replicas": 1}}})).await?;
    wait_for(
        &deployments,
        "mh-frontend",
        TIMEOUT,
        |d: Option<&Deployment>| {
            d.and_then(|d| d.spec.as_ref()).and_then(|s| s.replicas) == Some(1)
        },
    )
    .await?;

    c.stop().await?;
    env.cleanup().await
}

#[tokio::test]
async fn an_operator_killed_mid_reconcile_converges_without_duplicate_jobs() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("op-restart").await? else {
        return Ok(());
    };
    install_crd(env.client()).await?;
    grant_rbac(&env).await?;
    let hubs: Api<MoniHub> = env.api();
    create(
        &hubs,
        hub(
            "mh",
            json!({"version": "0.1.0", "database": {"managed": {}}}),
        ),
    )
    .await?;
    // Kill the operator at different points of its first passes, several times over.
    for delay_ms in [50, 150, 300, 600, 1000] {
        let operator = Operator::start(&env, None).await?;
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        operator.kill();
    }
    // The restarted operator makes its own pass over what the killed ones left.
    let operator = Operator::start(&env, None).await?;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while operator.metrics.reconciles() == 0 {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "no pass after restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_ready(&hubs, "mh", "0.1.0").await?;
    let jobs: Api<Job> = env.api();
    let all = jobs
        .list(&ListParams::default().labels("app.kubernetes.io/component=migration"))
        .await?;
    assert_eq!(all.items.len(), 1, "duplicate migration Jobs");
    operator.stop().await?;
    env.cleanup().await
}

#[tokio::test]
async fn missing_permissions_fail_the_preflight_by_name() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("op-preflight").await? else {
        return Ok(());
    };
    install_crd(env.client()).await?;
    let accounts: Api<ServiceAccount> = env.api();
    accounts
        .create(
            &PostParams::default(),
            &ServiceAccount {
                metadata: ObjectMeta {
                    name: Some("nobody".into()),
                    ..ObjectMeta::default()
                },
                ..ServiceAccount::default()
            },
        )
        .await?;
    let client = env.service_account_client("nobody").await?;
    let mut operator = Operator::start_as(client, &env, None)?;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let result = loop {
        if let Some(result) = operator.finished().await {
            break result;
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("the preflight did not fail");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let message = format!("{:#}", result.err().expect("the preflight must fail"));
    assert!(message.contains("lacks"), "{message}");
    assert!(
        message.contains("list monihub.aione.tech/monihubs"),
        "{message}"
    );
    assert!(message.contains("patch apps/deployments"), "{message}");
    assert!(!operator.metrics.encode().is_empty());
    env.cleanup().await
}
