//! `kind e2e`: MoniHub on kind with real containers, end to end, as CI runs it.
//!
//! The production-like example (its resource requests scaled to fit a two-core node) runs with a
//! real PostgreSQL pod, real migration Jobs running the server image, and the server and nginx
//! Deployments behind their real probes. Through `kubectl port-forward` the console loads and a
//! sign-in works. Then: an upgrade to a second image tag migrates before the server rolls; a
//! server image whose migration fails leaves the old version serving; node agents (the agent
//! image as a DaemonSet) report the node to the built-in application; the PostgreSQL pod is
//! deleted and comes back with its data; the operator pod is killed and converges without a
//! duplicate Job; the MoniHub is deleted, its children go and the retained claim stays. Every
//! pod's log is saved under `target/artifacts/kind/` when a step fails; the measurements go to
//! `target/artifacts/kind/measurements.json`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::cluster::{self, Cluster, UpArgs};
use super::{CLUSTER, OPERATOR_NAMESPACE};
use crate::deploy::api_get;
use crate::images;
use crate::util::{free_port, run_cmd, step, workspace_root};

const NAMESPACE: &str = "default";
const NAME: &str = "monihub-prod";
const UPGRADE: &str = "0.1.1";
const BROKEN: &str = "0.1.2";

pub fn run() -> anyhow::Result<()> {
    let artifacts = workspace_root().join("target/artifacts/kind");
    std::fs::create_dir_all(&artifacts)?;
    with_fresh_cluster(|cluster| {
        let result = scenario(cluster, &artifacts);
        if let Err(e) = &result {
            eprintln!("the kind test failed: {e:#}");
            save_logs(cluster, &artifacts);
        }
        result
    })
}

/// A new cluster (one an interrupted run left is deleted first) for `f`, deleted afterwards
/// whether `f` passed or not.
fn with_fresh_cluster<T>(f: impl FnOnce(&Cluster) -> anyhow::Result<T>) -> anyhow::Result<T> {
    cluster::delete_leftover()?;
    let cluster = cluster::up(UpArgs {
        example: "minimal".to_owned(),
        port: free_port()?,
        node_image: "auto".to_owned(),
    })?;
    let result = f(&cluster);
    step(&format!("deleting kind cluster {CLUSTER}"));
    let deleted = run_cmd(
        cluster
            .kind_cmd()
            .args(["delete", "cluster", "--name", CLUSTER]),
    );
    let value = result?;
    deleted?;
    Ok(value)
}

fn scenario(cluster: &Cluster, artifacts: &std::path::Path) -> anyhow::Result<()> {
    let tag = env!("CARGO_PKG_VERSION");
    // The minimal example proved the path `kind up` offers; the rest runs on the production-like
    // one, so remove the minimal one first (its claim goes with it).
    run_cmd(cluster.kubectl().args([
        "-n",
        NAMESPACE,
        "delete",
        "monihub",
        "monihub",
        "--wait=true",
        "--timeout=120s",
    ]))?;

    step("applying the production-like example (requests scaled to a two-core node)");
    let started = Instant::now();
    cluster.apply(NAMESPACE, &production()?)?;
    let ready = cluster.wait_ready(NAMESPACE, NAME, tag)?;
    let mut measurements = json!({
        "apply_to_ready_seconds": ready.as_secs_f64(),
        "node_cpus": 2,
    });
    step(&format!(
        "Ready {:.0} s after apply",
        started.elapsed().as_secs_f64()
    ));
    let password = create_admin(cluster)?;
    let console = PortForward::start(cluster, &format!("svc/{NAME}-frontend"), 80)?;
    let base = format!("http://127.0.0.1:{}", console.port);
    step("through port-forward: the console loads, a sign-in works, a project is created");
    let secret = password.clone();
    http(|client| async move {
        crate::deploy::console_smoke(&client, &base, &secret, "kind-check").await
    })?;
    drop(console);

    measurements["rss_bytes"] = memory_by_container(cluster)?;
    measurements["image_bytes"] = json!(
        images::COMPONENTS
            .iter()
            .map(|c| (
                c.to_string(),
                json!(
                    cluster
                        .engine
                        .image_size(&images::image(c, tag))
                        .unwrap_or(0)
                )
            ))
            .collect::<serde_json::Map<String, Value>>()
    );

    upgrade(cluster, tag)?;
    failing_migration(cluster, tag, &password)?;
    node_agents_report(cluster, tag, &password)?;
    database_pod_deleted(cluster, &password)?;
    operator_pod_killed(cluster)?;
    hub_deleted(cluster)?;

    std::fs::write(
        artifacts.join("measurements.json"),
        serde_json::to_string_pretty(&measurements)?,
    )?;
    step(&format!("kind measurements: {measurements}"));
    Ok(())
}

/// `bench kind`: fresh MoniHubs from examples/minimal.yaml, one at a time, apply to Ready.
pub fn measure(runs: usize) -> anyhow::Result<super::Measured> {
    with_fresh_cluster(|cluster| {
        let text = std::fs::read_to_string(workspace_root().join("examples/minimal.yaml"))?;
        let template: Value = serde_saphyr::from_str(&text)?;
        let version = template["spec"]["version"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut apply_to_ready = Vec::new();
        let mut memory_bytes = Vec::new();
        for run in 0..runs {
            let name = format!("bench-{run}");
            let mut hub = template.clone();
            hub["metadata"]["name"] = json!(name);
            hub["spec"]["database"]["managed"]["storage"] = json!({"retainOnDelete": false});
            let started = Instant::now();
            cluster.apply(NAMESPACE, &hub)?;
            cluster.wait_ready(NAMESPACE, &name, &version)?;
            let seconds = started.elapsed().as_secs_f64();
            step(&format!(
                "run {}: Ready {seconds:.1} s after apply",
                run + 1
            ));
            apply_to_ready.push(seconds);
            if run + 1 == runs {
                std::thread::sleep(Duration::from_secs(10));
                let memory = memory_by_container(cluster)?;
                memory_bytes = memory
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| k.starts_with(&name) || k.starts_with("monihub-operator"))
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect();
            }
            run_cmd(cluster.kubectl().args([
                "-n",
                NAMESPACE,
                "delete",
                "monihub",
                &name,
                "--wait=true",
                "--timeout=180s",
            ]))?;
        }
        let tag = env!("CARGO_PKG_VERSION");
        let image_bytes = images::COMPONENTS
            .iter()
            .map(|c| {
                let image = images::image(c, tag);
                let size = cluster.engine.image_size(&image).unwrap_or(0);
                (image, size)
            })
            .collect();
        anyhow::Ok(super::Measured {
            apply_to_ready,
            image_bytes,
            memory_bytes,
        })
    })
}

/// examples/production.yaml with requests a two-core node can schedule next to the control plane.
fn production() -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(workspace_root().join("examples/production.yaml"))?;
    let mut hub: Value = serde_saphyr::from_str(&text)?;
    let spec = &mut hub["spec"];
    spec["server"]["resources"]["requests"] = json!({"cpu": "50m", "memory": "64Mi"});
    spec["frontend"]["resources"]["requests"] = json!({"cpu": "10m", "memory": "16Mi"});
    spec["database"]["managed"]["resources"]["requests"] =
        json!({"cpu": "100m", "memory": "128Mi"});
    spec["database"]["managed"]["storage"]["size"] = json!("1Gi");
    Ok(hub)
}

fn patch_version(cluster: &Cluster, version: &str) -> anyhow::Result<()> {
    patch_spec(cluster, json!({"version": version}))
}

/// A merge patch of the MoniHub's spec.
fn patch_spec(cluster: &Cluster, spec: Value) -> anyhow::Result<()> {
    run_cmd(cluster.kubectl().args([
        "-n",
        NAMESPACE,
        "patch",
        "monihub",
        NAME,
        "--type=merge",
        "-p",
        &json!({ "spec": spec }).to_string(),
    ]))
}

/// The documented way to the first admin: `create-admin` in a server pod.
fn create_admin(cluster: &Cluster) -> anyhow::Result<String> {
    step("creating the first admin with `monihub-server create-admin` in a server pod");
    let password = format!("Kind-{}", crate::deploy::random_hex(12)?);
    let mut child = cluster
        .kubectl()
        .args([
            "-n",
            NAMESPACE,
            "exec",
            "-i",
            &format!("deploy/{NAME}-server"),
            "--",
            "monihub-server",
            "create-admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    std::io::Write::write_all(
        child.stdin.as_mut().context("kubectl has no input")?,
        format!("{password}\n").as_bytes(),
    )?;
    drop(child.stdin.take());
    anyhow::ensure!(child.wait()?.success(), "create-admin failed");
    Ok(password)
}

/// Upgrade to a second tag of the same images: the migration Job of the new version completes
/// before any server pod of it exists.
fn upgrade(cluster: &Cluster, tag: &str) -> anyhow::Result<()> {
    step(&format!(
        "upgrading {tag} → {UPGRADE} (same images, second tag)"
    ));
    let mut tagged = Vec::new();
    for component in ["server", "frontend"] {
        let image = images::image(component, UPGRADE);
        cluster
            .engine
            .run(&["tag", &images::image(component, tag), &image])?;
        tagged.push(image);
    }
    cluster.load(&tagged)?;
    patch_version(cluster, UPGRADE)?;
    cluster.wait_ready(NAMESPACE, NAME, UPGRADE)?;

    let jobs = cluster.kubectl_json(&["-n", NAMESPACE, "get", "jobs"])?;
    let new_server = images::image("server", UPGRADE);
    let job = with_server_image(&jobs, &new_server)
        .context("no migration Job ran the new server image")?;
    let completed = job["status"]["completionTime"]
        .as_str()
        .context("the new version's migration Job has not completed")?
        .to_owned();
    let sets = cluster.kubectl_json(&[
        "-n",
        NAMESPACE,
        "get",
        "replicasets",
        "-l",
        &format!("app.kubernetes.io/instance={NAME},app.kubernetes.io/component=server"),
    ])?;
    let new_set =
        with_server_image(&sets, &new_server).context("no ReplicaSet of the new server version")?;
    let created = new_set["metadata"]["creationTimestamp"]
        .as_str()
        .unwrap_or_default();
    // RFC 3339 UTC timestamps of equal precision compare as strings.
    anyhow::ensure!(
        created >= completed.as_str(),
        "the server's new ReplicaSet ({created}) predates its migration's completion ({completed})"
    );
    Ok(())
}

/// The item of a list (Jobs, ReplicaSets) whose pod template runs `image`.
fn with_server_image<'a>(list: &'a Value, image: &str) -> Option<&'a Value> {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|item| item["spec"]["template"]["spec"]["containers"][0]["image"] == image)
}

/// A server image whose migration fails: the operator keeps the old version serving and says why.
fn failing_migration(cluster: &Cluster, tag: &str, password: &str) -> anyhow::Result<()> {
    step(&format!(
        "a release whose migration fails ({BROKEN}): the old version keeps serving"
    ));
    let broken = images::image("server", BROKEN);
    let ctx = tempfile::tempdir()?;
    // Any command of this image fails at start: its settings cannot be read.
    std::fs::write(
        ctx.path().join("Dockerfile"),
        format!(
            "FROM {}\nENV MONIHUB_DATABASE_MAX_CONNECTIONS=not-a-number\n",
            images::image("server", tag)
        ),
    )?;
    run_cmd(
        cluster
            .engine
            .docker()
            .args(["build", "--quiet", "-t", &broken])
            .arg(ctx.path())
            .stdout(Stdio::null()),
    )?;
    let frontend = images::image("frontend", BROKEN);
    cluster
        .engine
        .run(&["tag", &images::image("frontend", tag), &frontend])?;
    cluster.load(&[broken.clone(), frontend])?;
    patch_version(cluster, BROKEN)?;

    let deadline = Instant::now() + Duration::from_secs(420);
    loop {
        let hub = cluster.kubectl_json(&["-n", NAMESPACE, "get", "monihub", NAME])?;
        let migrated = hub["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["type"] == "Migrated")
            .cloned()
            .unwrap_or_default();
        if migrated["status"] == "False"
            && migrated["reason"] == "Failed"
            && migrated["message"]
                .as_str()
                .is_some_and(|m| m.contains("BackoffLimitExceeded"))
        {
            anyhow::ensure!(
                hub["status"]["currentVersion"] == UPGRADE,
                "currentVersion moved to {}",
                hub["status"]["currentVersion"]
            );
            break;
        }
        if Instant::now() > deadline {
            bail!("the failed migration was never reported: {}", hub["status"]);
        }
        std::thread::sleep(Duration::from_secs(3));
    }
    let deployment = cluster.kubectl_json(&[
        "-n",
        NAMESPACE,
        "get",
        "deployment",
        &format!("{NAME}-server"),
    ])?;
    anyhow::ensure!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"]
            == images::image("server", UPGRADE),
        "the server Deployment left the old version"
    );
    anyhow::ensure!(
        deployment["status"]["availableReplicas"]
            .as_i64()
            .unwrap_or(0)
            >= 1,
        "no server is available"
    );
    let console = PortForward::start(cluster, &format!("svc/{NAME}-server"), 8080)?;
    let base = format!("http://127.0.0.1:{}", console.port);
    let password = password.to_owned();
    http(|client| async move { sign_in(&client, &base, &password).await.map(drop) })?;
    drop(console);

    step(&format!("back to {UPGRADE}"));
    patch_version(cluster, UPGRADE)?;
    cluster.wait_ready(NAMESPACE, NAME, UPGRADE).map(drop)
}

/// `spec.agent.enabled`: the agent image runs on the node as a DaemonSet and the node reports
/// to the built-in "Cluster nodes" application, with no token handed out by a person.
fn node_agents_report(cluster: &Cluster, tag: &str, password: &str) -> anyhow::Result<()> {
    step("enabling node agents: the node reports to MoniHub within a minute and a half");
    let image = images::image("agent", UPGRADE);
    cluster
        .engine
        .run(&["tag", &images::image("agent", tag), &image])?;
    cluster.load(&[image])?;
    patch_spec(cluster, json!({"agent": {"enabled": true}}))?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while cluster
        .kubectl_out(&[
            "-n",
            NAMESPACE,
            "get",
            "daemonset",
            &format!("{NAME}-agent"),
        ])
        .is_err()
    {
        anyhow::ensure!(Instant::now() < deadline, "no agent DaemonSet appeared");
        std::thread::sleep(Duration::from_secs(2));
    }
    cluster.rollout(NAMESPACE, &format!("daemonset/{NAME}-agent"))?;
    let server = PortForward::start(cluster, &format!("svc/{NAME}-server"), 8080)?;
    let base = format!("http://127.0.0.1:{}", server.port);
    let password = password.to_owned();
    http(|client| async move {
        let token = sign_in(&client, &base, &password).await?;
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let page = api_get(&client, &base, "/api/v1/instances", &token).await?;
            let online = page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|i| i["online"] == true && i["cpu_cores"].as_u64().unwrap_or(0) > 0);
            if let Some(instance) = online {
                step(&format!(
                    "node {} reports ({} cores, agent {})",
                    instance["hostname"], instance["cpu_cores"], instance["agent_version"]
                ));
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "no node reported within 90 s: {page}"
            );
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    })
}

/// The PostgreSQL pod is deleted; the StatefulSet brings it back on the same claim.
fn database_pod_deleted(cluster: &Cluster, password: &str) -> anyhow::Result<()> {
    step("deleting the PostgreSQL pod: it comes back with its data");
    run_cmd(cluster.kubectl().args([
        "-n",
        NAMESPACE,
        "delete",
        "pod",
        &format!("{NAME}-postgres-0"),
        "--wait=true",
    ]))?;
    cluster.rollout(NAMESPACE, &format!("statefulset/{NAME}-postgres"))?;
    let console = PortForward::start(cluster, &format!("svc/{NAME}-server"), 8080)?;
    let base = format!("http://127.0.0.1:{}", console.port);
    let password = password.to_owned();
    http(|client| async move {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let attempt = async {
                let token = sign_in(&client, &base, &password).await?;
                let projects = api_get(&client, &base, "/api/v1/projects", &token).await?;
                anyhow::Ok(projects)
            }
            .await;
            match attempt {
                Ok(projects) => {
                    anyhow::ensure!(
                        projects.to_string().contains("kind-check"),
                        "the project is gone: {projects}"
                    );
                    return Ok(());
                }
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_secs(2)).await,
            }
        }
    })
}

/// The operator pod is killed; its successor converges without creating a Job again.
fn operator_pod_killed(cluster: &Cluster) -> anyhow::Result<()> {
    step("killing the operator pod: its successor converges without duplicate Jobs");
    let before = job_names(cluster)?;
    run_cmd(cluster.kubectl().args([
        "-n",
        OPERATOR_NAMESPACE,
        "delete",
        "pod",
        "-l",
        "app.kubernetes.io/name=monihub-operator",
        "--grace-period=0",
        "--force",
    ]))?;
    cluster.rollout(OPERATOR_NAMESPACE, "deployment/monihub-operator")?;
    // The new leader has passed over the resource once it reports Ready again for this
    // generation; give it a few passes before comparing.
    cluster.wait_ready(NAMESPACE, NAME, UPGRADE)?;
    std::thread::sleep(Duration::from_secs(20));
    cluster.wait_ready(NAMESPACE, NAME, UPGRADE)?;
    let after = job_names(cluster)?;
    anyhow::ensure!(
        after.iter().all(|j| before.contains(j)),
        "the restarted operator created Jobs: before {before:?}, after {after:?}"
    );
    Ok(())
}

fn job_names(cluster: &Cluster) -> anyhow::Result<Vec<String>> {
    let jobs = cluster.kubectl_json(&["-n", NAMESPACE, "get", "jobs"])?;
    Ok(jobs["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|j| j["metadata"]["name"].as_str().map(str::to_owned))
        .collect())
}

/// Deleting the MoniHub removes its children; the retained claim (and its data) stays.
fn hub_deleted(cluster: &Cluster) -> anyhow::Result<()> {
    step("deleting the MoniHub: its children go, the retained claim stays");
    run_cmd(cluster.kubectl().args([
        "-n",
        NAMESPACE,
        "delete",
        "monihub",
        NAME,
        "--wait=true",
        "--timeout=120s",
    ]))?;
    let selector = format!("app.kubernetes.io/instance={NAME}");
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let left = cluster.kubectl_out(&[
            "-n",
            NAMESPACE,
            "get",
            "deployments,statefulsets,daemonsets,services,configmaps,jobs,poddisruptionbudgets,ingresses",
            "-l",
            &selector,
            "-o",
            "name",
        ])?;
        if left.trim().is_empty() {
            break;
        }
        if Instant::now() > deadline {
            bail!("children left after the MoniHub was deleted:\n{left}");
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    let claims = cluster.kubectl_out(&["-n", NAMESPACE, "get", "pvc", "-o", "name"])?;
    anyhow::ensure!(
        claims.contains(&format!("{NAME}-postgres")),
        "the retained claim was deleted: {claims}"
    );
    Ok(())
}

/// Working-set memory of the operator, server, nginx and PostgreSQL containers, from the node's
/// CRI (`crictl stats`).
fn memory_by_container(cluster: &Cluster) -> anyhow::Result<Value> {
    let node = format!("{CLUSTER}-control-plane");
    let read = |args: &[&str]| -> anyhow::Result<Value> {
        let out = cluster
            .engine
            .docker()
            .args(["exec", &node, "crictl"])
            .args(args)
            .output()?;
        anyhow::ensure!(out.status.success(), "crictl {} failed", args.join(" "));
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    let containers = read(&["ps", "-o", "json"])?;
    let stats = read(&["stats", "-o", "json"])?;
    let mut out = serde_json::Map::new();
    for container in containers["containers"].as_array().into_iter().flatten() {
        let name = container["metadata"]["name"].as_str().unwrap_or_default();
        let pod = container["labels"]["io.kubernetes.pod.name"]
            .as_str()
            .unwrap_or_default();
        if !["operator", "server", "nginx", "postgres"].contains(&name) {
            continue;
        }
        let id = container["id"].as_str().unwrap_or_default();
        let bytes = stats["stats"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["attributes"]["id"] == id)
            .and_then(|s| {
                // protobuf's JSON writes 64-bit numbers as strings
                let value = &s["memory"]["workingSetBytes"]["value"];
                value
                    .as_u64()
                    .or_else(|| value.as_str().and_then(|v| v.parse().ok()))
            })
            .unwrap_or(0);
        out.insert(format!("{pod}/{name}"), json!(bytes));
    }
    Ok(Value::Object(out))
}

/// `kubectl port-forward` to a free loopback port, stopped when dropped.
struct PortForward {
    child: Child,
    port: u16,
}

impl PortForward {
    fn start(cluster: &Cluster, target: &str, remote: u16) -> anyhow::Result<Self> {
        let port = free_port()?;
        let mut child = cluster
            .kubectl()
            .args([
                "-n",
                NAMESPACE,
                "port-forward",
                "--address",
                "127.0.0.1",
                target,
            ])
            .arg(format!("{port}:{remote}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().context("port-forward has no output")?;
        let mut lines = BufReader::new(stdout).lines();
        // "Forwarding from 127.0.0.1:<port> -> <remote>" once it listens.
        match lines.next() {
            Some(Ok(line)) if line.starts_with("Forwarding from") => {}
            other => {
                let _ = child.kill();
                bail!("kubectl port-forward {target} did not start: {other:?}");
            }
        }
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Ok(Self { child, port })
    }
}

impl Drop for PortForward {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http<F, Fut>(f: F) -> anyhow::Result<()>
where
    F: FnOnce(reqwest::Client) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()?;
    runtime.block_on(f(client))
}

async fn sign_in(client: &reqwest::Client, base: &str, password: &str) -> anyhow::Result<String> {
    crate::deploy::sign_in(client, base, password).await
}

/// Every pod's description and logs (current and previous), for a failed run.
fn save_logs(cluster: &Cluster, artifacts: &std::path::Path) {
    for namespace in [NAMESPACE, OPERATOR_NAMESPACE, "kube-system"] {
        let Ok(pods) = cluster.kubectl_json(&["-n", namespace, "get", "pods"]) else {
            continue;
        };
        for pod in pods["items"].as_array().into_iter().flatten() {
            let name = pod["metadata"]["name"].as_str().unwrap_or_default();
            let mut text = cluster
                .kubectl_out(&["-n", namespace, "describe", "pod", name])
                .unwrap_or_default();
            for previous in ["--previous=false", "--previous=true"] {
                text.push_str(&format!("\n--- logs {previous} ---\n"));
                text.push_str(
                    &cluster
                        .kubectl_out(&["-n", namespace, "logs", name, "--all-containers", previous])
                        .unwrap_or_default(),
                );
            }
            let _ = std::fs::write(artifacts.join(format!("{namespace}_{name}.log")), text);
        }
    }
    if let Ok(out) = cluster.kubectl_out(&["get", "events", "-A", "--sort-by=.lastTimestamp"]) {
        let _ = std::fs::write(artifacts.join("events.txt"), out);
    }
    eprintln!("    pod logs and events are in {}", artifacts.display());
}
