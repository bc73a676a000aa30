//! Finding and checking the control plane: only a kubeconfig whose current context is the one
//! `cargo xtask testenv up` writes is used, so tests never create objects in another cluster.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::PostParams;
use kube::config::{AuthInfo, KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

/// Set to `1` (CI does) to turn "no control plane" from a skip into a failure.
pub const REQUIRED_VAR: &str = "MONIHUB_TESTENV_REQUIRED";
/// The kubeconfig context written by `cargo xtask testenv up`.
pub const CONTEXT: &str = "monihub-testenv";

/// How long to wait for the apiserver before calling it unreachable.
const REACH_TIMEOUT: Duration = Duration::from_secs(10);
/// Lifetime of ServiceAccount tokens handed to tests.
const TOKEN_SECONDS: i64 = 3600;

/// A reachable control plane: its admin client and the configuration it was built from.
#[derive(Clone)]
pub struct ControlPlane {
    client: Client,
    config: Config,
}

/// Connect using `KUBECONFIG`, honouring `MONIHUB_TESTENV_REQUIRED`.
pub async fn connect() -> anyhow::Result<Option<ControlPlane>> {
    let kubeconfig = std::env::var_os("KUBECONFIG").map(PathBuf::from);
    let required = std::env::var(REQUIRED_VAR).is_ok_and(|v| v == "1" || v == "true");
    connect_with(kubeconfig.as_deref(), required).await
}

/// Connect using an explicit kubeconfig path. Unreachable means `Err` when `required`,
/// otherwise `Ok(None)` (skip) with a warning.
pub async fn connect_with(
    kubeconfig: Option<&Path>,
    required: bool,
) -> anyhow::Result<Option<ControlPlane>> {
    match reach(kubeconfig).await {
        Ok(control_plane) => Ok(Some(control_plane)),
        Err(e) if required => Err(e.context(format!(
            "{REQUIRED_VAR} is set but the local control plane is not reachable \
             (start it with `cargo xtask testenv up`)"
        ))),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "no local control plane; skipping");
            Ok(None)
        }
    }
}

async fn reach(kubeconfig: Option<&Path>) -> anyhow::Result<ControlPlane> {
    let Some(paths) = kubeconfig else {
        bail!("KUBECONFIG is not set");
    };
    // KUBECONFIG may be a list; the test environment writes a single file, so use the first.
    let first = std::env::split_paths(paths)
        .next()
        .context("KUBECONFIG is empty")?;
    let file = Kubeconfig::read_from(&first)
        .with_context(|| format!("failed to read kubeconfig {}", first.display()))?;
    let context = file.current_context.clone().unwrap_or_default();
    if context != CONTEXT {
        bail!(
            "kubeconfig {} selects context {context:?}, not {CONTEXT:?}; refusing to run tests against it",
            first.display()
        );
    }
    let mut config = Config::from_custom_kubeconfig(file, &KubeConfigOptions::default())
        .await
        .context("failed to load the kubeconfig")?;
    config.connect_timeout = Some(Duration::from_secs(5));
    let client = Client::try_from(config.clone()).context("failed to build a client")?;
    tokio::time::timeout(REACH_TIMEOUT, client.apiserver_version())
        .await
        .context("the apiserver did not answer in time")?
        .context("failed to reach the apiserver")?;
    Ok(ControlPlane { client, config })
}

impl ControlPlane {
    /// The admin client (`system:masters`).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// A client authenticated with a fresh token of `namespace/service_account`.
    pub async fn service_account_client(
        &self,
        namespace: &str,
        service_account: &str,
    ) -> anyhow::Result<Client> {
        let accounts: Api<ServiceAccount> = Api::namespaced(self.client(), namespace);
        let request = TokenRequest {
            spec: Some(TokenRequestSpec {
                expiration_seconds: Some(TOKEN_SECONDS),
                ..Default::default()
            }),
            ..Default::default()
        };
        let issued = accounts
            .create_token_request(service_account, &PostParams::default(), &request)
            .await
            .with_context(|| {
                format!("failed to request a token for {namespace}/{service_account}")
            })?;
        let token = issued
            .status
            .and_then(|s| s.token)
            .context("the token request returned no token")?;
        let mut config = self.config.clone();
        // Replace the admin certificate entirely: the token must be the only identity.
        config.auth_info = AuthInfo {
            token: Some(token.into()),
            ..Default::default()
        };
        Client::try_from(config).context("failed to build a ServiceAccount client")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_kubeconfig_skips_unless_required() {
        assert!(connect_with(None, false).await.unwrap().is_none());
        let err = connect_with(None, true).await.err().expect("must fail");
        assert!(format!("{err:#}").contains(REQUIRED_VAR));
    }

    #[tokio::test]
    async fn unreachable_apiserver_fails_when_required() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        std::fs::write(&path, kubeconfig("https://127.0.0.1:1", CONTEXT)).unwrap();
        assert!(connect_with(Some(&path), false).await.unwrap().is_none());
        let err = connect_with(Some(&path), true)
            .await
            .err()
            .expect("must fail");
        assert!(format!("{err:#}").contains("failed to reach the apiserver"));
    }

    #[tokio::test]
    async fn foreign_context_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        std::fs::write(&path, kubeconfig("https://127.0.0.1:1", "production")).unwrap();
        let err = connect_with(Some(&path), true)
            .await
            .err()
            .expect("must fail");
        assert!(format!("{err:#}").contains("refusing"));
    }

    fn kubeconfig(server: &str, context: &str) -> String {
        format!(
            "apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: {server}
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: t
contexts:
- name: {context}
  context:
    cluster: c
    user: u
current-context: {context}
"
        )
    }
}
