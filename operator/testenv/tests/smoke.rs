//! Smoke tests proving the local control plane is a real one: built-in controllers, the
//! scheduler and kwok move workloads to completion, the garbage collector runs, CRD CEL rules and
//! RBAC are enforced by the apiserver, and StatefulSet claims bind.

use std::time::Duration;

use anyhow::Context;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, Pod, Secret, ServiceAccount,
};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use kube::runtime::wait::conditions;
use kube::{Api, Error};
use monihub_testenv::{TestEnv, wait_for};
use serde_json::json;

/// Generous for two cores; a healthy run needs a few seconds per wait.
const TIMEOUT: Duration = Duration::from_secs(60);

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("test manifests are valid")
}

fn status_code(error: &Error) -> Option<u16> {
    match error {
        Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// Tier check for scheduler + kwok: ReplicaSet → Pods → scheduled → Ready → Available.
#[tokio::test]
async fn deployment_becomes_available() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("smoke-deploy").await? else {
        return Ok(());
    };
    let deployments: Api<Deployment> = env.api();
    deployments
        .create(
            &PostParams::default(),
            &from_json(json!({
                "metadata": { "name": "web" },
                "spec": {
                    "replicas": 2,
                    "selector": { "matchLabels": { "app": "web" } },
                    "template": {
                        "metadata": { "labels": { "app": "web" } },
                        "spec": { "containers": [{ "name": "web", "image": "example.invalid/web:1" }] }
                    }
                }
            })),
        )
        .await?;
    wait_for(&deployments, "web", TIMEOUT, |d: Option<&Deployment>| {
        d.and_then(|d| d.status.as_ref()).is_some_and(|s| {
            s.available_replicas == Some(2)
                && s.conditions
                    .iter()
                    .flatten()
                    .any(|c| c.type_ == "Available" && c.status == "True")
        })
    })
    .await?;
    env.cleanup().await
}

/// Job controller + kwok's pod-complete stage: the Job reaches Complete.
#[tokio::test]
async fn job_completes() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("smoke-job").await? else {
        return Ok(());
    };
    let jobs: Api<Job> = env.api();
    jobs.create(
        &PostParams::default(),
        &from_json(json!({
            "metadata": { "name": "migrate" },
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{ "name": "migrate", "image": "example.invalid/migrate:1" }]
                    }
                }
            }
        })),
    )
    .await?;
    wait_for(&jobs, "migrate", TIMEOUT, |j: Option<&Job>| {
        j.and_then(|j| j.status.as_ref()).is_some_and(|s| {
            s.succeeded == Some(1)
                && s.conditions
                    .iter()
                    .flatten()
                    .any(|c| c.type_ == "Complete" && c.status == "True")
        })
    })
    .await?;
    env.cleanup().await
}

/// The garbage collector deletes a dependent once its owner is gone.
#[tokio::test]
async fn deleting_an_owner_collects_its_dependents() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("smoke-gc").await? else {
        return Ok(());
    };
    let config_maps: Api<ConfigMap> = env.api();
    let secrets: Api<Secret> = env.api();
    let owner = config_maps
        .create(
            &PostParams::default(),
            &from_json(json!({ "metadata": { "name": "owner" }, "data": { "k": "v" } })),
        )
        .await?;
    let uid = owner.metadata.uid.context("owner has no uid")?;
    secrets
        .create(
            &PostParams::default(),
            &from_json(json!({
                "metadata": {
                    "name": "dependent",
                    "ownerReferences": [{
                        "apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid
                    }]
                },
                "stringData": { "k": "v" }
            })),
        )
        .await?;
    config_maps
        .delete("owner", &DeleteParams::background())
        .await?;
    wait_for(&secrets, "dependent", TIMEOUT, |s: Option<&Secret>| {
        s.is_none()
    })
    .await
    .context("the garbage collector did not delete the dependent Secret")?;
    env.cleanup().await
}

/// The apiserver evaluates a CRD's CEL rule and rejects an object that breaks it.
#[tokio::test]
async fn crd_cel_rule_rejects_a_bad_object() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("smoke-cel").await? else {
        return Ok(());
    };
    let crds: Api<CustomResourceDefinition> = Api::all(env.client());
    let name = "ranges.smoke.testenv.monihub.dev";
    // Cluster-scoped and shared by reruns on the same control plane, so apply idempotently.
    crds.patch(
        name,
        &PatchParams::apply("monihub-testenv-smoke").force(),
        &Patch::Apply(json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": { "name": name },
            "spec": {
                "group": "smoke.testenv.monihub.dev",
                "names": { "kind": "Range", "plural": "ranges", "singular": "range" },
                "scope": "Namespaced",
                "versions": [{
                    "name": "v1", "served": true, "storage": true,
                    "schema": { "openAPIV3Schema": {
                        "type": "object",
                        "properties": { "spec": {
                            "type": "object",
                            "required": ["min", "max"],
                            "properties": {
                                "min": { "type": "integer" },
                                "max": { "type": "integer" }
                            },
                            "x-kubernetes-validations": [
                                { "rule": "self.min <= self.max", "message": "min must not exceed max" }
                            ]
                        } }
                    } }
                }]
            }
        })),
    )
    .await?;
    wait_for(
        &crds,
        name,
        TIMEOUT,
        |c: Option<&CustomResourceDefinition>| {
            c.and_then(|c| c.status.as_ref()).is_some_and(|s| {
                s.conditions
                    .iter()
                    .flatten()
                    .any(|c| c.type_ == "Established" && c.status == "True")
            })
        },
    )
    .await?;

    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(
        "smoke.testenv.monihub.dev",
        "v1",
        "Range",
    ));
    let ranges: Api<DynamicObject> = Api::namespaced_with(env.client(), env.namespace(), &resource);
    let range = |name: &str, min: i64, max: i64| -> DynamicObject {
        from_json(json!({
            "apiVersion": "smoke.testenv.monihub.dev/v1",
            "kind": "Range",
            "metadata": { "name": name },
            "spec": { "min": min, "max": max }
        }))
    };
    // The CRD may be Established a moment before its endpoint serves; retry the good object.
    let mut attempts = 0;
    while let Err(e) = ranges
        .create(&PostParams::default(), &range("good", 1, 5))
        .await
    {
        attempts += 1;
        anyhow::ensure!(
            status_code(&e) == Some(404) && attempts < 50,
            "creating a valid Range failed: {e}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let rejected = ranges
        .create(&PostParams::default(), &range("bad", 5, 1))
        .await
        .expect_err("the CEL rule must reject min > max");
    assert_eq!(
        status_code(&rejected),
        Some(422),
        "unexpected error: {rejected}"
    );
    assert!(
        rejected.to_string().contains("min must not exceed max"),
        "the rejection must carry the rule's message: {rejected}"
    );
    env.cleanup().await
}

/// A ServiceAccount token carries exactly its RBAC grants: allowed reads work, the rest is 403.
#[tokio::test]
async fn rbac_limited_service_account_is_denied() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("smoke-rbac").await? else {
        return Ok(());
    };
    let ns = env.namespace().to_string();
    env.api::<ServiceAccount>()
        .create(
            &PostParams::default(),
            &from_json(json!({ "metadata": { "name": "reader" } })),
        )
        .await?;
    env.api::<Role>()
        .create(
            &PostParams::default(),
            &from_json(json!({
                "metadata": { "name": "configmap-reader" },
                "rules": [{ "apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"] }]
            })),
        )
        .await?;
    env.api::<RoleBinding>()
        .create(
            &PostParams::default(),
            &from_json(json!({
                "metadata": { "name": "reader" },
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "configmap-reader" },
                "subjects": [{ "kind": "ServiceAccount", "name": "reader", "namespace": ns }]
            })),
        )
        .await?;

    let reader = env.service_account_client("reader").await?;
    let config_maps: Api<ConfigMap> = Api::namespaced(reader.clone(), &ns);
    config_maps
        .list(&Default::default())
        .await
        .context("the granted list of ConfigMaps must succeed")?;

    let create = config_maps
        .create(
            &PostParams::default(),
            &from_json(json!({ "metadata": { "name": "nope" } })),
        )
        .await
        .expect_err("creating a ConfigMap is not granted");
    assert_eq!(
        status_code(&create),
        Some(403),
        "unexpected error: {create}"
    );

    let secrets: Api<Secret> = Api::namespaced(reader.clone(), &ns);
    let list = secrets
        .list(&Default::default())
        .await
        .expect_err("Secrets are not granted");
    assert_eq!(status_code(&list), Some(403), "unexpected error: {list}");

    let other_namespace: Api<ConfigMap> = Api::namespaced(reader, "default");
    let cross = other_namespace
        .list(&Default::default())
        .await
        .expect_err("the Role is namespaced");
    assert_eq!(status_code(&cross), Some(403), "unexpected error: {cross}");
    env.cleanup().await
}

/// StatefulSet claims bind to the pre-created volumes, so its Pods schedule and become Ready.
#[tokio::test]
async fn statefulset_claims_bind_and_pods_become_ready() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("smoke-sts").await? else {
        return Ok(());
    };
    let sets: Api<StatefulSet> = env.api();
    sets.create(
        &PostParams::default(),
        &from_json(json!({
            "metadata": { "name": "db" },
            "spec": {
                "replicas": 2,
                "serviceName": "db",
                "selector": { "matchLabels": { "app": "db" } },
                "template": {
                    "metadata": { "labels": { "app": "db" } },
                    "spec": { "containers": [{
                        "name": "db", "image": "example.invalid/db:1",
                        "volumeMounts": [{ "name": "data", "mountPath": "/data" }]
                    }] }
                },
                "volumeClaimTemplates": [{
                    "metadata": { "name": "data" },
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": { "requests": { "storage": "1Gi" } }
                    }
                }]
            }
        })),
    )
    .await?;
    wait_for(&sets, "db", TIMEOUT, |s: Option<&StatefulSet>| {
        s.and_then(|s| s.status.as_ref())
            .is_some_and(|s| s.ready_replicas == Some(2))
    })
    .await?;
    let claims: Api<PersistentVolumeClaim> = env.api();
    for claim in ["data-db-0", "data-db-1"] {
        let phase = claims.get(claim).await?.status.and_then(|s| s.phase);
        assert_eq!(phase.as_deref(), Some("Bound"), "{claim} is not bound");
    }
    env.cleanup().await
}

/// Deleting a namespace finishes: the namespace controller removes its workloads, kwok finalizes
/// the Pods, and the namespace itself disappears (without a controller-manager it would stay
/// Terminating forever).
#[tokio::test]
async fn namespace_deletion_completes() -> anyhow::Result<()> {
    let Some(env) = TestEnv::new("smoke-ns").await? else {
        return Ok(());
    };
    let jobs: Api<Job> = env.api();
    jobs.create(
        &PostParams::default(),
        &from_json(json!({
            "metadata": { "name": "long" },
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{ "name": "c", "image": "example.invalid/c:1" }]
                    }
                }
            }
        })),
    )
    .await?;
    let pods: Api<Pod> = env.api();
    let started = tokio::time::Instant::now();
    while pods.list(&Default::default()).await?.items.is_empty() {
        anyhow::ensure!(started.elapsed() < TIMEOUT, "the Job never created a Pod");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let name = env.namespace().to_string();
    let namespaces: Api<Namespace> = Api::all(env.client());
    let uid = namespaces
        .get(&name)
        .await?
        .metadata
        .uid
        .context("namespace has no uid")?;
    env.cleanup().await?;
    wait_for(&namespaces, &name, TIMEOUT, conditions::is_deleted(&uid))
        .await
        .context("the namespace never finished terminating")?;
    Ok(())
}
