//! The upgrade gate on a real API server: a new version's migration Job runs first and the
//! server keeps its image until the Job succeeds; a failing Job leaves the old version serving,
//! says why, and is retried with new Jobs until it succeeds; reverting cancels a pending Job;
//! only schema inputs (or the rerun annotation) run migrations.

mod common;

use std::time::Duration;

use common::{TIMEOUT, condition, create, hub, patch, wait_ready};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::events::v1::Event;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, ResourceExt};
use monihub_operator::MoniHub;
use monihub_operator::crd::Phase;
use monihub_operator::migration::{ATTEMPT_ANNOTATION, HASH_LABEL, RERUN_ANNOTATION};
use monihub_testenv::{OUTCOME_LABEL, TestEnv, wait_for};
use serde_json::json;

const JOBS: &str = "app.kubernetes.io/component=migration";

fn server_image(d: &Deployment) -> String {
    d.spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0]
        .image
        .clone()
        .unwrap()
}

async fn jobs(env: &TestEnv) -> anyhow::Result<Vec<Job>> {
    let api: Api<Job> = env.api();
    Ok(api.list(&ListParams::default().labels(JOBS)).await?.items)
}

/// Wait until a migration Job for the resource's current target hash exists, and return it.
async fn wait_for_job(env: &TestEnv, hash_of: &MoniHub, attempt: u32) -> anyhow::Result<Job> {
    let hash = monihub_operator::migration::migration_hash(hash_of);
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let found = jobs(env).await?.into_iter().find(|j| {
            j.labels().get(HASH_LABEL) == Some(&hash)
                && j.annotations().get(ATTEMPT_ANNOTATION) == Some(&attempt.to_string())
        });
        if let Some(job) = found {
            return Ok(job);
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("no migration Job attempt {attempt} for {hash}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_phase(api: &Api<MoniHub>, name: &str, phase: Phase) -> anyhow::Result<MoniHub> {
    Ok(wait_for(api, name, TIMEOUT, move |h: Option<&MoniHub>| {
        h.is_some_and(|h| {
            h.status.as_ref().and_then(|s| s.phase) == Some(phase)
                && h.status.as_ref().and_then(|s| s.observed_generation) == h.metadata.generation
        })
    })
    .await?
    .expect("exists"))
}

#[tokio::test]
async fn an_upgrade_migrates_before_the_server_moves() -> anyhow::Result<()> {
    let Some((env, operator)) = common::with_operator("op-upgrade").await? else {
        return Ok(());
    };
    let hubs: Api<MoniHub> = env.api();
    let deployments: Api<Deployment> = env.api();
    create(
        &hubs,
        hub(
            "mh",
            json!({"version": "0.1.0", "database": {"managed": {}}}),
        ),
    )
    .await?;
    wait_ready(&hubs, "mh", "0.1.0").await?;
    assert_eq!(jobs(&env).await?.len(), 1);

    // Bump the version and hold the new migration's pod running.
    patch(
        &hubs,
        "mh",
        json!({"spec": {"version": "0.2.0", "podLabels": {OUTCOME_LABEL: "hold"}}}),
    )
    .await?;
    let migrating = wait_phase(&hubs, "mh", Phase::Migrating).await?;
    let job = wait_for_job(&env, &migrating, 1).await?;
    let job_image = job
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0]
        .image
        .clone();
    assert_eq!(job_image.as_deref(), Some("monihub/server:0.2.0"));
    let migrated = condition(&migrating, "Migrated").unwrap();
    assert_eq!(
        (migrated.status.as_str(), migrated.reason.as_str()),
        ("False", "Running")
    );
    // The server keeps the old image while the migration runs, even as its pods roll for the
    // new pod label.
    let server = deployments.get("mh-server").await?;
    assert_eq!(server_image(&server), "monihub/server:0.1.0");
    let status = migrating.status.as_ref().unwrap();
    assert_eq!(status.current_version.as_deref(), Some("0.1.0"));
    assert_eq!(status.migrated_version.as_deref(), Some("0.1.0"));

    // Let the pod finish: the Job completes, then the server rolls to the new image.
    let pods: Api<Pod> = env.api();
    let job_name = job.name_any();
    let pod = wait_for_pod(&pods, &job_name).await?;
    pods.patch(
        &pod,
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {OUTCOME_LABEL: null}}})),
    )
    .await?;
    let ready = wait_ready(&hubs, "mh", "0.2.0").await?;
    assert_eq!(
        ready.status.as_ref().unwrap().migrated_version.as_deref(),
        Some("0.2.0")
    );
    assert_eq!(
        server_image(&deployments.get("mh-server").await?),
        "monihub/server:0.2.0"
    );
    assert_eq!(jobs(&env).await?.len(), 2);

    // Scaling is not a schema change: no migration.
    patch(&hubs, "mh", json!({"spec": {"server": {"replicas": 2}}})).await?;
    wait_ready(&hubs, "mh", "0.2.0").await?;
    assert_eq!(jobs(&env).await?.len(), 2, "scaling ran a migration");

    // The rerun annotation forces one.
    patch(
        &hubs,
        "mh",
        json!({"metadata": {"annotations": {RERUN_ANNOTATION: "once"}}}),
    )
    .await?;
    let rerun = hubs.get("mh").await?;
    let job = wait_for_job(&env, &rerun, 1).await?;
    let pod = wait_for_pod(&pods, &job.name_any()).await?;
    pods.patch(
        &pod,
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {OUTCOME_LABEL: null}}})),
    )
    .await?;
    wait_for(&hubs, "mh", TIMEOUT, |h: Option<&MoniHub>| {
        h.and_then(|h| h.status.as_ref()).is_some_and(|s| {
            s.migration_hash.as_deref()
                == Some(monihub_operator::migration::migration_hash(&rerun).as_str())
        })
    })
    .await?;
    assert_eq!(jobs(&env).await?.len(), 3);

    // Reverting a pending upgrade cancels its Job and keeps the running version.
    patch(&hubs, "mh", json!({"spec": {"version": "0.3.0"}})).await?;
    let pending = wait_phase(&hubs, "mh", Phase::Migrating).await?;
    let doomed = wait_for_job(&env, &pending, 1).await?.name_any();
    patch(&hubs, "mh", json!({"spec": {"version": "0.2.0"}})).await?;
    let jobs_api: Api<Job> = env.api();
    wait_for(&jobs_api, &doomed, TIMEOUT, |j: Option<&Job>| j.is_none()).await?;
    wait_ready(&hubs, "mh", "0.2.0").await?;
    assert_eq!(
        server_image(&deployments.get("mh-server").await?),
        "monihub/server:0.2.0"
    );

    operator.stop().await?;
    env.cleanup().await
}

/// The (first) pod of a Job.
async fn wait_for_pod(pods: &Api<Pod>, job: &str) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let list = pods
            .list(&ListParams::default().labels(&format!("batch.kubernetes.io/job-name={job}")))
            .await?;
        if let Some(pod) = list.items.first() {
            return Ok(pod.name_any());
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("Job {job} never got a pod");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_failing_migration_keeps_the_old_version_and_recovers() -> anyhow::Result<()> {
    let Some((env, operator)) = common::with_operator("op-migfail").await? else {
        return Ok(());
    };
    let hubs: Api<MoniHub> = env.api();
    let deployments: Api<Deployment> = env.api();
    create(
        &hubs,
        hub(
            "mh",
            json!({"version": "0.1.0", "database": {"managed": {}}}),
        ),
    )
    .await?;
    wait_ready(&hubs, "mh", "0.1.0").await?;

    patch(
        &hubs,
        "mh",
        json!({"spec": {"version": "0.2.0", "migration": {"backoffLimit": 0},
                        "podLabels": {OUTCOME_LABEL: "fail"}}}),
    )
    .await?;
    let degraded = wait_phase(&hubs, "mh", Phase::Degraded).await?;
    let migrated = condition(&degraded, "Migrated").unwrap();
    assert_eq!(migrated.status, "False");
    assert_eq!(migrated.reason, "Failed");
    assert!(
        migrated.message.contains("BackoffLimitExceeded"),
        "{}",
        migrated.message
    );
    let status = degraded.status.as_ref().unwrap();
    assert_eq!(status.current_version.as_deref(), Some("0.1.0"));
    assert_eq!(status.migrated_version.as_deref(), Some("0.1.0"));
    assert_eq!(
        server_image(&deployments.get("mh-server").await?),
        "monihub/server:0.1.0",
        "the old version keeps serving"
    );
    // A Warning event says so.
    let events: Api<Event> = env.api();
    let warned = events
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .any(|e| {
            e.type_.as_deref() == Some("Warning")
                && e.reason.as_deref() == Some("Degraded")
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("mh")
        });
    assert!(warned, "no Warning event for the failed migration");
    // Retried with backoff as a new Job, never by patching the failed one.
    let second = wait_for_job(&env, &degraded, 2).await?;
    assert_ne!(
        second.name_any(),
        wait_for_job(&env, &degraded, 1).await?.name_any()
    );

    // Fixed: the next attempt succeeds and the server moves.
    patch(&hubs, "mh", json!({"spec": {"podLabels": null}})).await?;
    let ready = wait_ready(&hubs, "mh", "0.2.0").await?;
    assert_eq!(
        ready.status.as_ref().unwrap().migrated_version.as_deref(),
        Some("0.2.0")
    );
    assert_eq!(
        server_image(&deployments.get("mh-server").await?),
        "monihub/server:0.2.0"
    );

    operator.stop().await?;
    env.cleanup().await
}
