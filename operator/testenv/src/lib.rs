//! Test support for suites that run against the local Kubernetes control plane started by
//! `cargo xtask testenv up`.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! let Some(env) = monihub_testenv::TestEnv::new("my-test").await? else {
//!     return Ok(()); // no control plane and not required: skipped
//! };
//! let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = env.api();
//! # let _ = pods;
//! env.cleanup().await
//! # }
//! ```
//!
//! When `MONIHUB_TESTENV_REQUIRED=1` (as CI sets it) a missing or unreachable control plane is
//! an error, so a suite can never pass by skipping.

mod connect;
mod namespace;
mod wait;

pub use connect::{CONTEXT, ControlPlane, REQUIRED_VAR, connect, connect_with};
pub use namespace::TestNamespace;
pub use wait::wait_for;

use kube::{Api, Client, Resource};

/// Pod label steering the control plane's Job pods (kwok runs no containers): absent, a Job
/// pod completes; `fail`, it fails with exit code 1; any other value (`hold`), it keeps running
/// until the label is removed from the pod.
pub const OUTCOME_LABEL: &str = "testenv.monihub.dev/outcome";

/// A connected control plane plus a fresh namespace for one test.
pub struct TestEnv {
    control_plane: ControlPlane,
    namespace: TestNamespace,
}

impl TestEnv {
    /// Connect (see [`connect`]) and create a namespace named `<prefix>-<random>`.
    /// `Ok(None)` means "skip": no control plane and `MONIHUB_TESTENV_REQUIRED` is not set.
    pub async fn new(prefix: &str) -> anyhow::Result<Option<Self>> {
        let Some(control_plane) = connect().await? else {
            return Ok(None);
        };
        let namespace = TestNamespace::create(control_plane.client(), prefix).await?;
        Ok(Some(Self {
            control_plane,
            namespace,
        }))
    }

    /// An admin client.
    pub fn client(&self) -> Client {
        self.control_plane.client()
    }

    /// The connected control plane (for cluster-scoped work and other identities).
    pub fn control_plane(&self) -> &ControlPlane {
        &self.control_plane
    }

    /// The test's namespace name.
    pub fn namespace(&self) -> &str {
        self.namespace.name()
    }

    /// An admin `Api` scoped to the test's namespace.
    pub fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        Api::namespaced(self.client(), self.namespace())
    }

    /// A client that authenticates as a ServiceAccount of the test's namespace, with a token
    /// from the TokenRequest API, so RBAC rules are checked exactly as for a workload.
    pub async fn service_account_client(&self, service_account: &str) -> anyhow::Result<Client> {
        self.control_plane
            .service_account_client(self.namespace(), service_account)
            .await
    }

    /// Delete the namespace. A failed test skips this on purpose, leaving its objects for
    /// inspection until the control plane is stopped.
    pub async fn cleanup(self) -> anyhow::Result<()> {
        self.namespace.delete().await
    }
}
