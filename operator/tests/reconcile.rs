//! The operator on a real API server (kwok makes pods Ready and Jobs complete): each example
//! reaches Ready with the children it asks for, and a pass over a converged installation makes
//! no mutating request.

mod common;

use std::sync::Arc;

use common::{create, example, test_settings, wait_ready};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{ListParams, PostParams};
use kube::{Api, ResourceExt};
use monihub_operator::MoniHub;
use monihub_operator::controller::{Context, reconcile};
use monihub_operator::metrics::Metrics;
use serde_json::json;

const MANAGED: &str = "app.kubernetes.io/managed-by=monihub-operator";

fn image(d: &Deployment) -> String {
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

#[tokio::test]
async fn the_examples_reach_ready_with_their_children() -> anyhow::Result<()> {
    let Some((env, operator)) = common::with_operator("op-examples").await? else {
        return Ok(());
    };
    let hubs: Api<MoniHub> = env.api();
    // The external database's URL Secret, as its README tells users to create it.
    let secrets: Api<Secret> = env.api();
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "metadata": {"name": "monihub-database"},
                "stringData": {"url": "postgres://monihub:pw@db.example.com:5432/monihub"}
            }))?,
        )
        .await?;
    for name in ["minimal", "production", "external-database"] {
        create(&hubs, example(name)).await?;
    }
    let mut ready = Vec::new();
    for name in ["monihub", "monihub-prod", "monihub-ext"] {
        ready.push(wait_ready(&hubs, name, "0.1.0").await?);
    }

    // Every managed child is labelled and owned (the credentials of a retained database are
    // kept on purpose: they open the retained data).
    let uids: Vec<String> = ready.iter().filter_map(|h| h.uid()).collect();
    let deployments: Api<Deployment> = env.api();
    let all = deployments
        .list(&ListParams::default().labels(MANAGED))
        .await?;
    assert_eq!(all.items.len(), 6, "server and console of three resources");
    for d in &all.items {
        let owner = &d.owner_references()[0];
        assert!(uids.contains(&owner.uid) && owner.controller == Some(true));
        for key in ["name", "instance", "component", "managed-by", "version"] {
            assert!(d.labels().contains_key(&format!("app.kubernetes.io/{key}")));
        }
        assert!(image(d).ends_with(":0.1.0"), "{}", image(d));
    }
    let prod = deployments.get("monihub-prod-server").await?;
    assert_eq!(prod.spec.as_ref().unwrap().replicas, Some(2));
    let status = ready[1].status.as_ref().unwrap();
    assert_eq!(status.url.as_deref(), Some("https://monihub.example.com"));
    assert_eq!(status.migrated_version.as_deref(), Some("0.1.0"));
    for c in &status.conditions {
        assert_eq!(c.status, "True", "{c:?}");
        assert_eq!(c.observed_generation, ready[1].metadata.generation);
    }

    let sets: Api<StatefulSet> = env.api();
    assert!(sets.get_opt("monihub-postgres").await?.is_some());
    assert!(
        sets.get_opt("monihub-ext-postgres").await?.is_none(),
        "no database for an external one"
    );
    let services: Api<Service> = env.api();
    let headless = services.get("monihub-postgres").await?;
    assert_eq!(headless.spec.unwrap().cluster_ip.as_deref(), Some("None"));
    let ingresses: Api<Ingress> = env.api();
    assert!(ingresses.get_opt("monihub-prod").await?.is_some());
    assert!(ingresses.get_opt("monihub").await?.is_none());
    let budgets: Api<PodDisruptionBudget> = env.api();
    assert!(budgets.get_opt("monihub-prod-server").await?.is_some());
    assert!(budgets.get_opt("monihub-prod-frontend").await?.is_some());
    assert!(budgets.get_opt("monihub-server").await?.is_none());
    let configs: Api<ConfigMap> = env.api();
    let site = configs.get("monihub-prod-frontend").await?;
    assert!(
        site.data.unwrap()["default.conf"].contains("proxy_pass http://monihub-prod-server:8080;")
    );

    // One completed migration Job per resource, with the version's image.
    let jobs: Api<Job> = env.api();
    let jobs = jobs.list(&ListParams::default().labels(MANAGED)).await?;
    assert_eq!(jobs.items.len(), 3);
    for job in &jobs.items {
        assert_eq!(job.status.as_ref().unwrap().succeeded, Some(1));
    }

    // The external database's URL is used by reference, never copied.
    let ext = deployments.get("monihub-ext-server").await?;
    let env_vars = ext.spec.unwrap().template.spec.unwrap().containers[0]
        .env
        .clone()
        .unwrap();
    let url = env_vars
        .iter()
        .find(|e| e.name == "MONIHUB_DATABASE_URL")
        .unwrap();
    assert!(url.value.is_none());
    let selector = url
        .value_from
        .as_ref()
        .unwrap()
        .secret_key_ref
        .as_ref()
        .unwrap();
    assert_eq!(
        (selector.name.as_str(), selector.key.as_str()),
        ("monihub-database", "url")
    );

    // A pass over converged resources writes nothing: no apply, no status, no event.
    let ctx = Arc::new(Context::new(
        env.service_account_client(common::SERVICE_ACCOUNT).await?,
        Arc::new(Metrics::default()),
        test_settings(&env),
    ));
    for name in ["monihub", "monihub-prod", "monihub-ext"] {
        let hub = hubs.get(name).await?;
        reconcile(Arc::new(hub), ctx.clone()).await?;
    }
    assert_eq!(
        ctx.writes.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "a no-op pass made mutating requests"
    );

    operator.stop().await?;
    env.cleanup().await
}
