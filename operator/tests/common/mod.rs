//! Shared by the control-plane suites: installing the CRD, and running the operator in-process
//! as a ServiceAccount bound to exactly the RBAC rules the chart ships.

#![allow(dead_code)] // each suite uses a different part

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client, CustomResourceExt};
use monihub_operator::controller::{Context, Settings};
use monihub_operator::leader::LeaseSettings;
use monihub_operator::metrics::Metrics;
use monihub_operator::preflight::{LEADER_ELECTION_RULES, RBAC_RULES, Rule, rules};
use monihub_operator::{MoniHub, Options};
use monihub_testenv::{TestEnv, wait_for};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Generous for two cores; a healthy run needs a few seconds per wait.
pub const TIMEOUT: Duration = Duration::from_secs(90);
/// The ServiceAccount the in-process operator authenticates as.
pub const SERVICE_ACCOUNT: &str = "monihub-operator";

/// Installs (or updates) the CRD and waits until the API server serves it.
pub async fn install_crd(client: Client) -> anyhow::Result<()> {
    let crds: Api<CustomResourceDefinition> = Api::all(client);
    let crd = MoniHub::crd();
    let name = crd.metadata.name.clone().expect("the CRD has a name");
    crds.patch(
        &name,
        &PatchParams::apply("monihub-tests").force(),
        &Patch::Apply(&crd),
    )
    .await?;
    wait_for(
        &crds,
        &name,
        TIMEOUT,
        |crd: Option<&CustomResourceDefinition>| {
            crd.and_then(|c| c.status.as_ref())
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|conditions| {
                    conditions
                        .iter()
                        .any(|c| c.type_ == "Established" && c.status == "True")
                })
        },
    )
    .await?;
    Ok(())
}

fn policy_rules(yaml: &str) -> Vec<PolicyRule> {
    rules(yaml)
        .expect("the shipped rules parse")
        .into_iter()
        .map(|r: Rule| PolicyRule {
            api_groups: Some(r.api_groups),
            resources: Some(r.resources),
            verbs: r.verbs,
            ..PolicyRule::default()
        })
        .collect()
}

/// The operator's ServiceAccount in the test namespace, bound by a Role to the chart's rules
/// (the chart's `watchNamespaces` mode) plus the leader-election rules.
pub async fn grant_rbac(env: &TestEnv) -> anyhow::Result<()> {
    let ns = env.namespace();
    let accounts: Api<ServiceAccount> = env.api();
    accounts
        .create(
            &PostParams::default(),
            &ServiceAccount {
                metadata: ObjectMeta {
                    name: Some(SERVICE_ACCOUNT.into()),
                    ..ObjectMeta::default()
                },
                ..ServiceAccount::default()
            },
        )
        .await?;
    let mut rules = policy_rules(RBAC_RULES);
    rules.extend(policy_rules(LEADER_ELECTION_RULES));
    let roles: Api<Role> = env.api();
    roles
        .create(
            &PostParams::default(),
            &Role {
                metadata: ObjectMeta {
                    name: Some(SERVICE_ACCOUNT.into()),
                    ..ObjectMeta::default()
                },
                rules: Some(rules),
            },
        )
        .await?;
    let bindings: Api<RoleBinding> = env.api();
    bindings
        .create(
            &PostParams::default(),
            &RoleBinding {
                metadata: ObjectMeta {
                    name: Some(SERVICE_ACCOUNT.into()),
                    ..ObjectMeta::default()
                },
                role_ref: RoleRef {
                    api_group: Some("rbac.authorization.k8s.io".into()),
                    kind: "Role".into(),
                    name: SERVICE_ACCOUNT.into(),
                },
                subjects: Some(vec![Subject {
                    kind: "ServiceAccount".into(),
                    name: SERVICE_ACCOUNT.into(),
                    namespace: Some(ns.to_owned()),
                    ..Subject::default()
                }]),
            },
        )
        .await?;
    Ok(())
}

/// Settings that keep tests short: quick retries, watch only the test namespace.
pub fn test_settings(env: &TestEnv) -> Settings {
    Settings {
        namespaces: vec![env.namespace().to_owned()],
        degraded_requeue: Duration::from_secs(2),
        migration_retry_base: Duration::from_secs(1),
        ..Settings::default()
    }
}

/// A fresh namespace with the CRD installed, the operator's RBAC granted and one operator
/// (no leader election) running in it; `None` when the control plane is absent and not required.
pub async fn with_operator(prefix: &str) -> anyhow::Result<Option<(TestEnv, Operator)>> {
    let Some(env) = TestEnv::new(prefix).await? else {
        return Ok(None);
    };
    install_crd(env.client()).await?;
    grant_rbac(&env).await?;
    let operator = Operator::start(&env, None).await?;
    Ok(Some((env, operator)))
}

/// An operator running in this process.
pub struct Operator {
    pub metrics: Arc<Metrics>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<Arc<Context>>>>,
}

impl Operator {
    /// Start an operator as the ServiceAccount (see [`grant_rbac`]).
    pub async fn start(env: &TestEnv, leader: Option<&str>) -> anyhow::Result<Self> {
        let client = env.service_account_client(SERVICE_ACCOUNT).await?;
        Self::start_as(client, env, leader)
    }

    pub fn start_as(client: Client, env: &TestEnv, leader: Option<&str>) -> anyhow::Result<Self> {
        // `RUST_LOG=monihub_operator=debug` shows the operator's log in a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .try_init();
        let metrics = Arc::new(Metrics::default());
        let (stop, stopped) = oneshot::channel::<()>();
        let options = Options {
            settings: test_settings(env),
            leader: leader.map(|identity| LeaseSettings {
                lease_duration: Duration::from_secs(6),
                renew_deadline: Duration::from_secs(4),
                retry_period: Duration::from_millis(500),
                ..LeaseSettings::new(env.namespace(), identity)
            }),
        };
        let task = tokio::spawn(monihub_operator::run(
            client,
            options,
            metrics.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(Self {
            metrics,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Graceful stop; returns the controller's context (its write counter).
    pub async fn stop(mut self) -> anyhow::Result<Arc<Context>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let task = self.task.take().expect("running");
        tokio::time::timeout(Duration::from_secs(30), task).await??
    }

    /// Kill the operator where it stands (as a crashed process would stop).
    pub fn kill(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    /// Whether it holds the leader lease.
    pub fn leading(&self) -> bool {
        self.metrics.leading()
    }

    /// The task's result if it already ended (a failed preflight, for instance).
    pub async fn finished(&mut self) -> Option<anyhow::Result<Arc<Context>>> {
        let task = self.task.as_mut()?;
        if !task.is_finished() {
            return None;
        }
        let task = self.task.take()?;
        Some(task.await.map_err(anyhow::Error::from).and_then(|r| r))
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A MoniHub from an example file (by name, without `.yaml`).
pub fn example(name: &str) -> Value {
    let path = format!("{}/../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("example exists");
    serde_saphyr::from_str(&text).expect("examples are YAML")
}

/// A MoniHub named `name` with `spec`.
pub fn hub(name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "monihub.aione.tech/v1alpha1",
        "kind": "MoniHub",
        "metadata": {"name": name},
        "spec": spec,
    })
}

/// Create a resource from JSON (as `kubectl apply` would, as the admin).
pub async fn create(api: &Api<MoniHub>, object: Value) -> anyhow::Result<MoniHub> {
    let hub: MoniHub = serde_json::from_value(object)?;
    Ok(api.create(&PostParams::default(), &hub).await?)
}

/// Merge-patch a resource's spec or metadata.
pub async fn patch(api: &Api<MoniHub>, name: &str, patch: Value) -> anyhow::Result<()> {
    api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    Ok(())
}

/// The status of condition `type_`, if set.
pub fn condition<'a>(
    hub: &'a MoniHub,
    type_: &str,
) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    hub.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
}

/// Wait until the resource is Ready at `version` for its current generation.
pub async fn wait_ready(api: &Api<MoniHub>, name: &str, version: &str) -> anyhow::Result<MoniHub> {
    let version = version.to_owned();
    let hub = wait_for(api, name, TIMEOUT, move |hub: Option<&MoniHub>| {
        hub.is_some_and(|h| {
            let status = h.status.as_ref();
            status.and_then(|s| s.observed_generation) == h.metadata.generation
                && status.and_then(|s| s.current_version.as_deref()) == Some(version.as_str())
                && condition(h, "Ready").is_some_and(|c| c.status == "True")
        })
    })
    .await?;
    Ok(hub.expect("ready resources exist"))
}

/// The garbage collector learns about a new CRD only at its next discovery resync (every 30 s),
/// and until then does not delete what a MoniHub owns. Prove it handles MoniHub owners before a
/// test depends on it: a throwaway resource's owned ConfigMap must go when the resource goes.
pub async fn wait_for_garbage_collector(env: &TestEnv) -> anyhow::Result<()> {
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::ResourceExt;
    let hubs: Api<MoniHub> = env.api();
    // Paused, so no operator that might be running touches it.
    let probe = create(
        &hubs,
        hub(
            "gc-probe",
            json!({"version": "0.1.0", "paused": true,
                   "database": {"external": {"urlSecretRef": {"name": "x", "key": "y"}}}}),
        ),
    )
    .await?;
    let configs: Api<ConfigMap> = env.api();
    let owned: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "gc-probe", "ownerReferences": [{
            "apiVersion": "monihub.aione.tech/v1alpha1", "kind": "MoniHub",
            "name": "gc-probe", "uid": probe.uid().unwrap_or_default(),
        }]}
    }))?;
    configs.create(&PostParams::default(), &owned).await?;
    hubs.delete("gc-probe", &kube::api::DeleteParams::background())
        .await?;
    wait_for(
        &configs,
        "gc-probe",
        Duration::from_secs(180),
        |c: Option<&ConfigMap>| c.is_none(),
    )
    .await
    .map_err(|e| e.context("the garbage collector never collected a MoniHub's dependent"))?;
    Ok(())
}

/// A kubeconfig that authenticates as a ServiceAccount of the test's namespace (a bearer token), written
/// next to the test's other files.
pub async fn service_account_kubeconfig(
    env: &TestEnv,
    service_account: &str,
    dir: &std::path::Path,
) -> anyhow::Result<std::path::PathBuf> {
    use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
    let accounts: Api<ServiceAccount> = env.api();
    let issued = accounts
        .create_token_request(
            service_account,
            &PostParams::default(),
            &TokenRequest {
                spec: Some(TokenRequestSpec {
                    expiration_seconds: Some(3600),
                    ..TokenRequestSpec::default()
                }),
                ..TokenRequest::default()
            },
        )
        .await?;
    let token = issued.status.map(|s| s.token).unwrap_or_default();
    let admin = kube::config::Kubeconfig::read_from(std::env::var("KUBECONFIG")?)?;
    let cluster = admin.clusters[0].clone();
    let text = serde_json::to_string(&json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [cluster],
        "users": [{"name": "operator", "user": {"token": token}}],
        "contexts": [{"name": "operator", "context": {"cluster": cluster.name, "user": "operator"}}],
        "current-context": "operator",
    }))?;
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// A plain HTTP/1.1 GET on loopback (metrics and probes), the whole answer as text.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}
