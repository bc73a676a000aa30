//! Children over a resource's life on a real API server: a deleted child comes back, a
//! hand-edited one is put back, a disabled ingress goes, pause stops changes but keeps status,
//! a spec pointing at a missing Secret degrades with a message and recovers, and deleting the
//! resource garbage-collects its children but keeps a retained volume and its credentials.

mod common;

use std::time::Duration;

use common::{
    Operator, TIMEOUT, condition, create, grant_rbac, hub, install_crd, patch, wait_ready,
};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use monihub_operator::MoniHub;
use monihub_operator::crd::Phase;
use monihub_testenv::{TestEnv, wait_for};
use serde_json::json;

fn replicas(d: Option<&Deployment>) -> Option<i32> {
    d?.spec.as_ref()?.replicas
}

#[tokio::test]
async fn children_are_restored_and_follow_the_spec() -> anyhow::Result<()> {
    let Some((env, operator)) = common::with_operator("op-children").await? else {
        return Ok(());
    };
    let hubs: Api<MoniHub> = env.api();
    create(
        &hubs,
        hub(
            "mh",
            json!({"version": "0.1.0", "database": {"managed": {}},
                   "ingress": {"enabled": true, "host": "mh.example.com"}}),
        ),
    )
    .await?;
    wait_ready(&hubs, "mh", "0.1.0").await?;

    // A deleted child is re-created.
    let services: Api<Service> = env.api();
    let old_uid = services.get("mh-frontend").await?.metadata.uid;
    services
        .delete("mh-frontend", &DeleteParams::default())
        .await?;
    wait_for(&services, "mh-frontend", TIMEOUT, |s: Option<&Service>| {
        s.is_some_and(|s| s.metadata.uid != old_uid)
    })
    .await?;

    // A hand edit of a field the operator owns is reverted.
    let deployments: Api<Deployment> = env.api();
    deployments
        .patch(
            "mh-server",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await?;
    wait_for(
        &deployments,
        "mh-server",
        TIMEOUT,
        |d: Option<&Deployment>| replicas(d) == Some(1),
    )
    .await?;

    // Disabling the ingress deletes it.
    let ingresses: Api<Ingress> = env.api();
    assert!(ingresses.get_opt("mh").await?.is_some());
    patch(
        &hubs,
        "mh",
        json!({"spec": {"ingress": {"enabled": false}}}),
    )
    .await?;
    wait_for(&ingresses, "mh", TIMEOUT, |i: Option<&Ingress>| i.is_none()).await?;

    // Paused: edits are not applied, hand edits stay, status is kept current.
    patch(
        &hubs,
        "mh",
        json!({"spec": {"paused": true, "frontend": {"replicas": 3}}}),
    )
    .await?;
    let paused = wait_for(&hubs, "mh", TIMEOUT, |h: Option<&MoniHub>| {
        h.is_some_and(|h| {
            h.status.as_ref().and_then(|s| s.phase) == Some(Phase::Paused)
                && h.status.as_ref().and_then(|s| s.observed_generation) == h.metadata.generation
        })
    })
    .await?
    .unwrap();
    assert_eq!(
        condition(&paused, "ServerAvailable").unwrap().status,
        "True"
    );
    deployments
        .patch(
            "mh-server",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 4}})),
        )
        .await?;
    // Status follows the hand-edited Deployment while paused (its pods roll out) …
    wait_for(&hubs, "mh", TIMEOUT, |h: Option<&MoniHub>| {
        h.and_then(|h| condition(h, "ServerAvailable"))
            .is_some_and(|c| c.message.starts_with("4/4"))
    })
    .await?;
    // … but nothing is changed by the operator.
    assert_eq!(
        replicas(deployments.get_opt("mh-frontend").await?.as_ref()),
        Some(1)
    );
    assert_eq!(
        replicas(deployments.get_opt("mh-server").await?.as_ref()),
        Some(4)
    );

    // Unpaused: the spec wins again.
    patch(&hubs, "mh", json!({"spec": {"paused": false}})).await?;
    wait_for(
        &deployments,
        "mh-frontend",
        TIMEOUT,
        |d: Option<&Deployment>| replicas(d) == Some(3),
    )
    .await?;
    wait_for(
        &deployments,
        "mh-server",
        TIMEOUT,
        |d: Option<&Deployment>| replicas(d) == Some(1),
    )
    .await?;
    wait_ready(&hubs, "mh", "0.1.0").await?;

    operator.stop().await?;
    env.cleanup().await
}

#[tokio::test]
async fn a_missing_secret_degrades_with_a_message_and_recovers() -> anyhow::Result<()> {
    let Some((env, operator)) = common::with_operator("op-degraded").await? else {
        return Ok(());
    };
    let hubs: Api<MoniHub> = env.api();
    create(
        &hubs,
        hub(
            "ext",
            json!({"version": "0.1.0",
                   "database": {"external": {"urlSecretRef": {"name": "db", "key": "url"}}}}),
        ),
    )
    .await?;
    let degraded = wait_for(&hubs, "ext", TIMEOUT, |h: Option<&MoniHub>| {
        h.and_then(|h| h.status.as_ref())
            .is_some_and(|s| s.phase == Some(Phase::Degraded))
    })
    .await?
    .unwrap();
    let ready = condition(&degraded, "Ready").unwrap();
    assert_eq!(ready.reason, "DatabaseSecretMissing");
    assert!(ready.message.contains("Secret"), "{}", ready.message);
    assert!(
        ready.message.contains("/db does not exist"),
        "{}",
        ready.message
    );
    assert!(ready.message.contains("kubectl"), "says how to fix it");
    // No hot loop: a handful of passes while degraded, not hundreds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let passes = operator.metrics.reconciles();
    assert!(passes < 20, "{passes} passes in a few seconds of Degraded");

    let secrets: Api<Secret> = env.api();
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "metadata": {"name": "db"},
                "stringData": {"url": "postgres://u:p@db.example.com/monihub"}
            }))?,
        )
        .await?;
    wait_ready(&hubs, "ext", "0.1.0").await?;

    operator.stop().await?;
    env.cleanup().await
}

#[tokio::test]
async fn deletion_collects_children_but_keeps_a_retained_volume() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("op-delete").await? else {
        return Ok(());
    };
    install_crd(env.client()).await?;
    common::wait_for_garbage_collector(&env).await?;
    grant_rbac(&env).await?;
    let operator = Operator::start(&env, None).await?;
    let hubs: Api<MoniHub> = env.api();
    create(
        &hubs,
        hub(
            "keep",
            json!({"version": "0.1.0", "database": {"managed": {}}}),
        ),
    )
    .await?;
    create(
        &hubs,
        hub(
            "drop",
            json!({"version": "0.1.0",
                   "database": {"managed": {"storage": {"retainOnDelete": false}}}}),
        ),
    )
    .await?;
    wait_ready(&hubs, "keep", "0.1.0").await?;
    wait_ready(&hubs, "drop", "0.1.0").await?;
    let claims: Api<PersistentVolumeClaim> = env.api();
    for claim in ["data-keep-postgres-0", "data-drop-postgres-0"] {
        assert!(claims.get_opt(claim).await?.is_some(), "{claim}");
    }

    for name in ["keep", "drop"] {
        hubs.delete(name, &DeleteParams::background()).await?;
    }
    let deployments: Api<Deployment> = env.api();
    let sets: Api<StatefulSet> = env.api();
    for name in ["keep", "drop"] {
        wait_for(&hubs, name, TIMEOUT, |h: Option<&MoniHub>| h.is_none()).await?;
        for child in ["server", "frontend"] {
            wait_for(
                &deployments,
                &format!("{name}-{child}"),
                TIMEOUT,
                |d: Option<&Deployment>| d.is_none(),
            )
            .await?;
        }
        wait_for(
            &sets,
            &format!("{name}-postgres"),
            TIMEOUT,
            |s: Option<&StatefulSet>| s.is_none(),
        )
        .await?;
    }
    // The dropped volume goes with its StatefulSet; the retained one and its credentials stay.
    wait_for(
        &claims,
        "data-drop-postgres-0",
        TIMEOUT,
        |c: Option<&PersistentVolumeClaim>| {
            c.is_none_or(|c| c.metadata.deletion_timestamp.is_some())
        },
    )
    .await?;
    let secrets: Api<Secret> = env.api();
    wait_for(
        &secrets,
        "drop-credentials",
        TIMEOUT,
        |s: Option<&Secret>| s.is_none(),
    )
    .await?;
    assert!(claims.get_opt("data-keep-postgres-0").await?.is_some());
    assert!(secrets.get_opt("keep-credentials").await?.is_some());
    // Nothing was re-created while the resources were going away.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(deployments.get_opt("keep-server").await?.is_none());

    operator.stop().await?;
    env.cleanup().await
}

#[tokio::test]
async fn node_agents_follow_the_spec() -> anyhow::Result<()> {
    use k8s_openapi::api::apps::v1::DaemonSet;
    let Some((env, operator)) = common::with_operator("op-agents").await? else {
        return Ok(());
    };
    let hubs: Api<MoniHub> = env.api();
    create(
        &hubs,
        hub(
            "mh",
            json!({"version": "0.1.0", "database": {"managed": {}},
                   "agent": {"enabled": true, "allowedTasks": ["shell_exec"]}}),
        ),
    )
    .await?;
    wait_ready(&hubs, "mh", "0.1.0").await?;
    // One agent per node, Ready (kwok's three nodes).
    let sets: Api<DaemonSet> = env.api();
    wait_for(&sets, "mh-agent", TIMEOUT, |d: Option<&DaemonSet>| {
        d.and_then(|d| d.status.as_ref())
            .is_some_and(|s| s.desired_number_scheduled == 3 && s.number_ready == 3)
    })
    .await?;
    let secrets: Api<Secret> = env.api();
    let token = secrets
        .get("mh-credentials")
        .await?
        .data
        .unwrap_or_default()["agent-token"]
        .0
        .clone();
    assert!(String::from_utf8(token)?.starts_with("mhat_"));
    let deployments: Api<Deployment> = env.api();
    let server_env = |d: &Deployment| -> Vec<String> {
        d.spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap()
            .containers[0]
            .env
            .iter()
            .flatten()
            .map(|e| e.name.clone())
            .collect()
    };
    assert!(
        server_env(&deployments.get("mh-server").await?)
            .contains(&"MONIHUB_CLUSTER_AGENT_TOKEN".to_owned()),
        "the server is told the agents' token"
    );

    // Disabled: the agents go, and the server stops accepting their token.
    patch(&hubs, "mh", json!({"spec": {"agent": {"enabled": false}}})).await?;
    wait_for(&sets, "mh-agent", TIMEOUT, |d: Option<&DaemonSet>| {
        d.is_none()
    })
    .await?;
    wait_for(
        &deployments,
        "mh-server",
        TIMEOUT,
        move |d: Option<&Deployment>| {
            d.is_some_and(|d| !server_env(d).contains(&"MONIHUB_CLUSTER_AGENT_TOKEN".to_owned()))
        },
    )
    .await?;
    let kept = secrets
        .get("mh-credentials")
        .await?
        .data
        .unwrap_or_default();
    assert!(!kept.contains_key("agent-token"));

    operator.stop().await?;
    env.cleanup().await
}
