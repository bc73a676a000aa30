//! monihub-operator: turns one `MoniHub` resource into the running stack.

pub mod agent;
pub mod apply;
pub mod children;
pub mod controller;
pub mod crd;
pub mod database;
pub mod desired;
pub mod frontend;
pub mod gate;
pub mod leader;
pub mod metrics;
pub mod migration;
pub mod networking;
pub mod pod;
pub mod preflight;
pub mod render;
pub mod server;
pub mod status;

use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;

pub use crd::{MoniHub, MoniHubSpec, MoniHubStatus};

/// The CRD as YAML, exactly as committed under `crds/`.
pub fn crd_yaml() -> anyhow::Result<String> {
    use kube::CustomResourceExt;
    Ok(serde_saphyr::to_string(&MoniHub::crd())?)
}

/// How to run the operator.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub settings: controller::Settings,
    /// Leader election; `None` runs the controller at once (a single replica).
    pub leader: Option<leader::LeaseSettings>,
}

/// Preflight, then (as leader, when elected) the controller until `shutdown` resolves. Returns
/// an error when the preflight fails or leadership is lost (the process should exit then).
pub async fn run(
    client: kube::Client,
    options: Options,
    metrics: Arc<metrics::Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Arc<controller::Context>> {
    preflight::check(
        &client,
        &options.settings.namespaces,
        options.leader.as_ref().map(|l| l.namespace.as_str()),
    )
    .await?;
    tracing::info!(
        namespaces = ?options.settings.namespaces,
        "preflight passed: the CRD is installed and every permission is granted"
    );
    metrics.set_ready();
    let ctx = Arc::new(controller::Context::new(
        client.clone(),
        metrics.clone(),
        options.settings,
    ));
    let stop = shutdown.boxed().shared();
    let Some(lease) = options.leader else {
        controller::run(ctx.clone(), stop).await;
        tracing::info!("controller stopped");
        return Ok(ctx);
    };
    let mut elector = leader::Elector::new(client, lease);
    tracing::info!("waiting for the leader lease");
    if elector.acquire(&mut stop.clone()).await.is_none() {
        return Ok(ctx);
    }
    tracing::info!("leading; starting the controller");
    metrics.set_leader(true);
    let ended = elector.lead(controller::run(ctx.clone(), stop)).await;
    metrics.set_leader(false);
    match ended {
        leader::Ended::Finished => Ok(ctx),
        leader::Ended::Lost => {
            anyhow::bail!("lost the leader lease; exiting so a fresh start rejoins")
        }
    }
}
