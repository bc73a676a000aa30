//! monihub-operator: turns one `MoniHub` resource into the running stack.

pub mod children;
pub mod crd;
pub mod database;
pub mod desired;
pub mod frontend;
pub mod migration;
pub mod networking;
pub mod pod;
pub mod render;
pub mod server;

pub use crd::{MoniHub, MoniHubSpec, MoniHubStatus};

/// The CRD as YAML, exactly as committed under `crds/`.
pub fn crd_yaml() -> anyhow::Result<String> {
    use kube::CustomResourceExt;
    Ok(serde_saphyr::to_string(&MoniHub::crd())?)
}
