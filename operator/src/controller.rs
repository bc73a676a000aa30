//! The reconciler: `dereference → validate → build → apply → status` for one `MoniHub`, and the
//! controller that runs it on every change of the resource or of a child.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ListParams, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{Predicate, WatchStreamExt, predicates, reflector, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use rand::Rng;
use serde_json::{Value, json};

use crate::apply::{Children, owned_by};
use crate::children::{Component, GeneratedSecrets, MANAGER, Release, child_name, keys};
use crate::crd::{DatabaseSpec, MoniHub, MoniHubStatus, Phase};
use crate::desired::{Inputs, Kind, Stage, build, droppable};
use crate::gate::{GateInput, JobView, Migration, decide};
use crate::metrics::Metrics;
use crate::status::{Check, Facts, compute, deployment_check, statefulset_check};
use crate::{migration, networking};

/// Label selecting every child the operator manages (watches are restricted to it).
pub const MANAGED_SELECTOR: &str = "app.kubernetes.io/managed-by=monihub-operator";

/// Tunables of the controller.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Namespaces to watch; empty means all.
    pub namespaces: Vec<String>,
    /// Resync period of a healthy resource.
    pub resync: Duration,
    /// Wait after a resource-level problem the schema cannot catch (a missing Secret).
    pub degraded_requeue: Duration,
    /// Wait after the first failed migration attempt (doubles per failure).
    pub migration_retry_base: Duration,
    /// How long passes in flight at shutdown may take to finish.
    pub shutdown_grace: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            namespaces: Vec::new(),
            resync: Duration::from_secs(300),
            degraded_requeue: Duration::from_secs(120),
            migration_retry_base: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Errors of a pass. API errors are retried with backoff; nothing here is fatal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Kubernetes API request failed: {0}")]
    Kube(#[from] kube::Error),
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// A short label for metrics.
    pub fn reason(&self) -> String {
        match self {
            Error::Kube(kube::Error::Api(status)) => format!("api_{}", status.code),
            Error::Kube(_) => "transport".into(),
            Error::Invalid(_) => "invalid".into(),
        }
    }
}

/// Shared by every pass.
pub struct Context {
    pub client: Client,
    pub recorder: Recorder,
    pub metrics: Arc<Metrics>,
    pub settings: Settings,
    /// Mutating requests made to children and status (for tests and the benchmark).
    pub writes: AtomicU64,
    failures: Mutex<HashMap<ObjectRef<MoniHub>, u32>>,
}

impl Context {
    pub fn new(client: Client, metrics: Arc<Metrics>, settings: Settings) -> Self {
        let reporter = Reporter {
            controller: MANAGER.to_owned(),
            instance: std::env::var("POD_NAME").ok(),
        };
        Self {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            metrics,
            settings,
            writes: AtomicU64::new(0),
            failures: Mutex::new(HashMap::new()),
        }
    }
}

fn random(len: usize) -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Adopt the values of an existing credentials Secret; generate what it lacks, once.
fn secrets_from(existing: Option<&Secret>) -> GeneratedSecrets {
    let read = |key: &str| {
        existing
            .and_then(|s| s.data.as_ref())
            .and_then(|d| d.get(key))
            .and_then(|v| String::from_utf8(v.0.clone()).ok())
            .filter(|v| !v.is_empty())
    };
    GeneratedSecrets {
        database_password: read(keys::DATABASE_PASSWORD).unwrap_or_else(|| random(32)),
        jwt_secret: read(keys::JWT_SECRET).unwrap_or_else(|| random(64)),
        agent_token: read(keys::AGENT_TOKEN).unwrap_or_else(|| format!("mhat_{}", random(43))),
    }
}

/// The release the live server Deployment runs.
fn live_release(deployment: &Deployment) -> Option<Release> {
    let template = &deployment.spec.as_ref()?.template;
    let image = template
        .spec
        .as_ref()?
        .containers
        .iter()
        .find(|c| c.name == "server")?
        .image
        .clone()?;
    let version = template
        .metadata
        .as_ref()?
        .labels
        .as_ref()?
        .get("app.kubernetes.io/version")?
        .clone();
    Some(Release { version, image })
}

fn typed<K: serde::de::DeserializeOwned>(value: Option<&Value>) -> Option<K> {
    value.and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// A problem with what the spec references that only the cluster can show.
async fn dereference(
    hub: &MoniHub,
    secrets: &Api<Secret>,
) -> kube::Result<Option<(String, String)>> {
    let mut refs = Vec::new();
    if let DatabaseSpec::External(external) = &hub.spec.database {
        refs.push((
            "DatabaseSecretMissing",
            "spec.database.external.urlSecretRef",
            &external.url_secret_ref,
        ));
    }
    if let Some(admin) = &hub.spec.admin_password_secret_ref {
        refs.push(("AdminSecretMissing", "spec.adminPasswordSecretRef", admin));
    }
    let namespace = hub.namespace().unwrap_or_default();
    for (reason, field, r) in refs {
        let found = secrets.get_opt(&r.name).await?;
        let has_key = found
            .as_ref()
            .and_then(|s| s.data.as_ref())
            .and_then(|d| d.get(&r.key))
            .is_some_and(|v| !v.0.is_empty());
        if !has_key {
            let what = if found.is_some() {
                format!("Secret {}/{} has no key {:?}", namespace, r.name, r.key)
            } else {
                format!("Secret {}/{} does not exist", namespace, r.name)
            };
            return Ok(Some((
                reason.to_owned(),
                format!(
                    "{what} ({field}); create it, e.g. `kubectl -n {namespace} create secret \
                     generic {} --from-literal={}=...`",
                    r.name, r.key
                ),
            )));
        }
    }
    Ok(None)
}

/// One reconcile pass.
pub async fn reconcile(hub: Arc<MoniHub>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let result = reconcile_inner(&hub, &ctx).await;
    ctx.metrics
        .record(started.elapsed(), result.as_ref().err().map(Error::reason));
    if result.is_ok()
        && let Ok(mut failures) = ctx.failures.lock()
    {
        failures.remove(&ObjectRef::from_obj(hub.as_ref()));
    }
    result
}

/// After a failed pass: retry with exponential backoff per resource (1 s … 5 min).
pub fn error_policy(hub: Arc<MoniHub>, error: &Error, ctx: Arc<Context>) -> Action {
    let failures = ctx
        .failures
        .lock()
        .map(|mut f| {
            let n = f.entry(ObjectRef::from_obj(hub.as_ref())).or_insert(0);
            *n += 1;
            *n
        })
        .unwrap_or(1);
    let delay = Duration::from_secs(1 << failures.min(8)).min(Duration::from_secs(300));
    tracing::warn!(
        monihub = %hub.name_any(),
        namespace = hub.namespace().unwrap_or_default(),
        error = %error,
        retry_in = ?delay,
        "reconcile failed"
    );
    Action::requeue(delay)
}

async fn reconcile_inner(hub: &MoniHub, ctx: &Context) -> Result<Action, Error> {
    // Deletion first: garbage collection removes the children; re-creating any would race it.
    if hub.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = hub
        .namespace()
        .ok_or_else(|| Error::Invalid("a MoniHub must be namespaced".into()))?;
    let uid = hub
        .uid()
        .ok_or_else(|| Error::Invalid("the MoniHub has no uid yet".into()))?;
    let client = ctx.client.clone();
    let children = Children::new(client.clone(), &namespace, &ctx.writes);
    let settings = &ctx.settings;

    // Dereference: what the spec points at, and the secrets generated before.
    let secrets_api: Api<Secret> = Api::namespaced(client.clone(), &namespace);
    let problem = dereference(hub, &secrets_api).await?;
    let credentials = children
        .get(Kind::Secret, &child_name(hub, "credentials"))
        .await?;
    let secrets = secrets_from(typed::<Secret>(credentials.as_ref()).as_ref());

    // Observe the workloads the gates and status depend on.
    let statefulset: Option<StatefulSet> = typed(
        children
            .get(Kind::StatefulSet, &child_name(hub, "postgres"))
            .await?
            .as_ref(),
    );
    let server: Option<Deployment> = typed(
        children
            .get(Kind::Deployment, &child_name(hub, "server"))
            .await?
            .as_ref(),
    );
    let frontend: Option<Deployment> = typed(
        children
            .get(Kind::Deployment, &child_name(hub, "frontend"))
            .await?
            .as_ref(),
    );
    let jobs_api: Api<Job> = Api::namespaced(client.clone(), &namespace);
    let selector = format!(
        "app.kubernetes.io/instance={},app.kubernetes.io/component={}",
        hub.name_any(),
        Component::Migration.as_str()
    );
    let jobs: Vec<JobView> = jobs_api
        .list(&ListParams::default().labels(&selector))
        .await?
        .items
        .iter()
        .filter(|j| {
            j.owner_references()
                .iter()
                .any(|o| o.uid == uid && o.controller == Some(true))
        })
        .filter_map(JobView::of)
        .collect();

    let database = match &hub.spec.database {
        DatabaseSpec::Managed(_) => statefulset_check(statefulset.as_ref()),
        DatabaseSpec::External(_) if problem.is_none() => {
            Check::ok("SecretFound", "the external database's URL Secret exists")
        }
        DatabaseSpec::External(_) => Check::not("SecretMissing", "see the Ready condition"),
    };
    let target_hash = migration::migration_hash(hub);
    let old_status = hub.status.clone().unwrap_or_default();
    let gate = decide(
        &GateInput {
            target: &target_hash,
            migrated: old_status.migration_hash.as_deref(),
            jobs: &jobs,
            database_ready: database.ok && problem.is_none(),
            now: Timestamp::now(),
            retry_base: settings.migration_retry_base,
        },
        |attempt| migration::job_name(hub, &target_hash, attempt),
    );
    let serving = if gate.migration == Migration::Done {
        Some(Release::target(hub))
    } else {
        server.as_ref().and_then(live_release)
    };

    // Build and apply, unless paused or the spec needs fixing first.
    if !hub.spec.paused && problem.is_none() {
        let manifests = build(
            hub,
            &Inputs {
                secrets,
                serving: serving.clone(),
                migration_attempt: gate.attempt,
            },
        );
        for manifest in &manifests {
            if manifest.stage == Stage::Migration {
                if !jobs.iter().any(|j| j.name == manifest.name) {
                    children.create(manifest).await?;
                }
                continue;
            }
            let live = match manifest.kind {
                Kind::Secret if manifest.stage == Stage::Config => credentials.clone(),
                _ => children.get(manifest.kind, &manifest.name).await?,
            };
            children.apply(manifest, live.as_ref()).await?;
        }
        for (kind, name) in droppable(hub) {
            if manifests.iter().any(|m| m.kind == kind && m.name == name) {
                continue;
            }
            if let Some(live) = children.get(kind, &name).await?
                && owned_by(&live, &uid)
            {
                children.delete(kind, &name).await?;
            }
        }
        for name in gate.cancel.iter().chain(&gate.prune) {
            children.delete(Kind::Job, name).await?;
        }
    }

    // Status: computed from what this pass saw, written only when it changed.
    let serving_version = server.as_ref().and_then(live_release).map(|r| r.version);
    let server_check = match (&server, &serving) {
        (Some(d), Some(want)) if live_release(d).is_some_and(|r| r.image == want.image) => {
            deployment_check(Some(d), "server")
        }
        (Some(_), Some(_)) => Check::not("Progressing", "the server is being rolled"),
        (None, _) | (_, None) => Check::not(
            "WaitingForMigration",
            "the server starts once the first migration succeeded",
        ),
    };
    let facts = Facts {
        generation: hub.metadata.generation,
        paused: hub.spec.paused,
        problem: problem.clone(),
        database,
        migration: gate.migration.clone(),
        server: server_check,
        frontend: deployment_check(frontend.as_ref(), "console"),
        target_version: hub.spec.version.clone(),
        target_hash,
        serving_version,
        nothing_yet: credentials.is_none() && server.is_none() && frontend.is_none(),
        url: networking::url(hub),
    };
    let status = compute(&old_status, &facts, Timestamp::now());
    if hub.status.as_ref() != Some(&status) {
        write_status(hub, ctx, &namespace, &status).await?;
        if old_status.phase != status.phase {
            publish_phase(hub, ctx, &status).await;
        }
    }

    Ok(match (&facts.problem, &gate.migration, status.phase) {
        (Some(_), _, _) => Action::requeue(settings.degraded_requeue),
        (_, Migration::Failed { retry_in, .. }, _) => {
            Action::requeue(*retry_in + Duration::from_secs(1))
        }
        (_, _, Some(Phase::Ready | Phase::Paused)) => Action::requeue(settings.resync),
        // Children's changes wake the controller; this is the fallback.
        _ => Action::requeue(Duration::from_secs(30)),
    })
}

async fn write_status(
    hub: &MoniHub,
    ctx: &Context,
    namespace: &str,
    status: &MoniHubStatus,
) -> Result<(), Error> {
    let api: Api<MoniHub> = Api::namespaced(ctx.client.clone(), namespace);
    ctx.writes.fetch_add(1, Ordering::Relaxed);
    api.patch_status(
        &hub.name_any(),
        &PatchParams::default(),
        &Patch::Merge(json!({ "status": status })),
    )
    .await?;
    Ok(())
}

async fn publish_phase(hub: &MoniHub, ctx: &Context, status: &MoniHubStatus) {
    let phase = status.phase.unwrap_or(Phase::Pending);
    let message = status
        .conditions
        .iter()
        .find(|c| c.type_ == crate::status::READY)
        .map(|c| c.message.clone())
        .unwrap_or_default();
    let event = Event {
        type_: if phase == Phase::Degraded {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: phase.as_str().to_owned(),
        note: Some(message.chars().take(1000).collect()),
        action: "Reconcile".to_owned(),
        secondary: None,
    };
    // Events are best effort: a failure to record one must not fail the pass.
    if let Err(e) = ctx.recorder.publish(&event, &hub.object_ref(&())).await {
        tracing::warn!(error = %e, "failed to publish an event");
    }
}

/// Run the controller until `shutdown` resolves: MoniHubs (generation and annotation changes
/// only, so status writes do not wake it) and their children (selected by the managed-by
/// label, so it never caches unrelated Secrets or ConfigMaps).
pub async fn run(ctx: Arc<Context>, shutdown: impl Future<Output = ()> + Send + 'static) {
    let client = ctx.client.clone();
    let namespaces = ctx.settings.namespaces.clone();
    let children = watcher::Config::default().labels(MANAGED_SELECTOR);
    let (reader, writer) = reflector::store();
    let hubs_api = |ns: Option<&str>| -> Api<MoniHub> {
        match ns {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        }
    };
    let hub_stream = match namespaces.as_slice() {
        [] => watcher(hubs_api(None), watcher::Config::default()).boxed(),
        list => futures::stream::select_all(
            list.iter()
                .map(|ns| watcher(hubs_api(Some(ns)), watcher::Config::default()).boxed()),
        )
        .boxed(),
    };
    let hubs = hub_stream
        .default_backoff()
        .reflect(writer)
        .applied_objects()
        .predicate_filter(
            predicates::generation.combine(predicates::annotations),
            Default::default(),
        );
    let mut controller = Controller::for_stream(hubs, reader);
    macro_rules! owns {
        ($kind:ty) => {
            for api in child_apis::<$kind>(&client, &namespaces) {
                controller = controller.owns(api, children.clone());
            }
        };
    }
    owns!(StatefulSet);
    owns!(Deployment);
    owns!(DaemonSet);
    owns!(Service);
    owns!(ConfigMap);
    owns!(Job);
    owns!(Ingress);
    owns!(PodDisruptionBudget);
    // The credentials Secret of a retained database has no owner reference: map by label.
    for api in child_apis::<Secret>(&client, &namespaces) {
        controller = controller.watches(api, children.clone(), |secret: Secret| {
            let name = secret.labels().get("app.kubernetes.io/instance")?.clone();
            Some(ObjectRef::new(&name).within(&secret.namespace()?))
        });
    }
    let shutdown = shutdown.shared();
    let grace = ctx.settings.shutdown_grace;
    let running = controller
        .graceful_shutdown_on(shutdown.clone())
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "controller event");
            }
        });
    // A shutdown while the caches are still filling would wait for them forever: bound it.
    let deadline = shutdown.then(|()| tokio::time::sleep(grace));
    tokio::select! {
        () = running => {}
        () = deadline => tracing::warn!(?grace, "passes still running at shutdown were stopped"),
    }
}

fn child_apis<K>(client: &Client, namespaces: &[String]) -> Vec<Api<K>>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    if namespaces.is_empty() {
        vec![Api::all(client.clone())]
    } else {
        namespaces
            .iter()
            .map(|ns| Api::namespaced(client.clone(), ns))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_credentials_are_adopted_and_missing_ones_generated_once() {
        let existing: Secret =
            serde_json::from_value(json!({"data": {"jwt-secret": "dXNlci1jaG9zZW4tand0"}}))
                .unwrap();
        let secrets = secrets_from(Some(&existing));
        assert_eq!(secrets.jwt_secret, "user-chosen-jwt");
        assert_eq!(secrets.database_password.len(), 32);
        let fresh = secrets_from(None);
        assert_eq!(fresh.jwt_secret.len(), 64);
        assert_ne!(fresh.jwt_secret, secrets_from(None).jwt_secret);
    }

    #[test]
    fn the_live_release_is_read_from_the_pod_template() {
        let hub =
            crate::children::test_hub(json!({"version": "1.2.3", "database": {"managed": {}}}));
        let release = Release::target(&hub);
        let d = crate::server::deployment(&hub, &release, "h");
        assert_eq!(live_release(&d), Some(release));
    }
}
