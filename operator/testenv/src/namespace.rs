//! A fresh namespace per test, so tests can run in parallel and never see each other's objects.

use std::time::Duration;

use anyhow::Context;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{DeleteParams, ObjectMeta, PostParams};
use kube::{Api, Client};

use crate::wait::wait_for;

/// Label on every test namespace, to find leftovers of failed tests.
pub const NAMESPACE_LABEL: &str = "monihub.dev/testenv";
/// The controller-manager creates the default ServiceAccount within a second or two.
const SERVICE_ACCOUNT_TIMEOUT: Duration = Duration::from_secs(30);

/// A namespace created for one test.
pub struct TestNamespace {
    client: Client,
    name: String,
}

impl TestNamespace {
    /// Create `<prefix>-<random>` and wait for its default ServiceAccount: Pods are rejected by
    /// admission until it exists.
    pub async fn create(client: Client, prefix: &str) -> anyhow::Result<Self> {
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let created = namespaces
            .create(
                &PostParams::default(),
                &Namespace {
                    metadata: ObjectMeta {
                        generate_name: Some(format!("{prefix}-")),
                        labels: Some([(NAMESPACE_LABEL.to_string(), "true".to_string())].into()),
                        ..Default::default()
                    },
                    ..Default::default()
                },
            )
            .await
            .with_context(|| format!("failed to create a namespace for {prefix}"))?;
        let name = created
            .metadata
            .name
            .context("the created namespace has no name")?;
        let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), &name);
        wait_for(
            &accounts,
            "default",
            SERVICE_ACCOUNT_TIMEOUT,
            |sa: Option<&ServiceAccount>| sa.is_some(),
        )
        .await
        .with_context(|| format!("namespace {name} never got its default ServiceAccount"))?;
        Ok(Self { client, name })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Start deleting the namespace; the controller-manager finishes it in the background.
    pub async fn delete(self) -> anyhow::Result<()> {
        let namespaces: Api<Namespace> = Api::all(self.client);
        namespaces
            .delete(&self.name, &DeleteParams::default())
            .await
            .with_context(|| format!("failed to delete namespace {}", self.name))?;
        Ok(())
    }
}
