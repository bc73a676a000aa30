//! `kind up` / `kind down`: the cluster, MoniHub's images in it, the chart, an example, the URL.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use super::{CLUSTER, OPERATOR_NAMESPACE, kind_dir, node};
use crate::docker::Engine;
use crate::testenv::versions;
use crate::util::{run_cmd, step, workspace_root};
use crate::{images, tools};

/// The console's NodePort, mapped to the host by `kind-config.yaml`.
pub const CONSOLE_NODE_PORT: u16 = 30080;

#[derive(clap::Args)]
pub struct UpArgs {
    /// The example to apply (a file of `examples/` without `.yaml`).
    #[arg(long, default_value = "minimal")]
    pub example: String,
    /// The console's port on 127.0.0.1.
    #[arg(long, env = "MONIHUB_KIND_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Node image: `offline` (assembled here), `default` (kind's own, pulled), or `auto`
    /// (offline when no registry answers).
    #[arg(long, default_value = "auto", value_parser = ["auto", "offline", "default"])]
    pub node_image: String,
}

/// A running cluster and the tools that talk to it.
pub struct Cluster {
    pub engine: Engine,
    pub kind: PathBuf,
    pub helm: PathBuf,
    pub kubeconfig: PathBuf,
    /// A folder first on kind's PATH with the docker wrapper, on hosts that need it.
    shim: Option<PathBuf>,
}

impl Cluster {
    pub fn kubectl(&self) -> Command {
        let mut cmd = Command::new(versions::bin_dir().join("kubectl"));
        cmd.arg(format!("--kubeconfig={}", self.kubeconfig.display()));
        cmd
    }

    pub fn helm_cmd(&self) -> Command {
        let mut cmd = Command::new(&self.helm);
        cmd.env("KUBECONFIG", &self.kubeconfig);
        cmd
    }

    pub fn kind_cmd(&self) -> Command {
        let mut cmd = Command::new(&self.kind);
        self.engine.configure(&mut cmd);
        if let Some(shim) = &self.shim {
            let mut path = vec![shim.clone()];
            path.extend(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            ));
            cmd.env("PATH", std::env::join_paths(path).unwrap_or_default());
        } else {
            // kind runs `docker`: Debian's client, matching the engine.
            cmd.env("PATH", path_with_debian_docker());
        }
        cmd
    }

    /// kubectl's output, failing with its error text.
    pub fn kubectl_out(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = self.kubectl().args(args).output()?;
        if !out.status.success() {
            bail!(
                "kubectl {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    pub fn kubectl_json(&self, args: &[&str]) -> anyhow::Result<Value> {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        Ok(serde_json::from_str(&self.kubectl_out(&all)?)?)
    }

    /// `kubectl apply --server-side` of one object in `namespace`.
    pub fn apply(&self, namespace: &str, object: &Value) -> anyhow::Result<()> {
        let mut child = self
            .kubectl()
            .args(["apply", "--server-side", "-n", namespace, "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        std::io::Write::write_all(
            child.stdin.as_mut().context("kubectl has no input")?,
            object.to_string().as_bytes(),
        )?;
        drop(child.stdin.take());
        anyhow::ensure!(child.wait()?.success(), "kubectl apply failed");
        Ok(())
    }

    /// `kubectl rollout status` of a workload, up to three minutes.
    pub fn rollout(&self, namespace: &str, workload: &str) -> anyhow::Result<()> {
        run_cmd(self.kubectl().args([
            "-n",
            namespace,
            "rollout",
            "status",
            workload,
            "--timeout=180s",
        ]))
    }

    /// Load local images into the node.
    pub fn load(&self, images: &[String]) -> anyhow::Result<()> {
        for image in images {
            step(&format!("loading {image} into the cluster"));
            run_cmd(
                self.kind_cmd()
                    .args(["load", "docker-image", "--name", CLUSTER])
                    .arg(image),
            )?;
        }
        Ok(())
    }

    /// Wait until a MoniHub reports `Ready` for `version`, printing its phase as it changes.
    pub fn wait_ready(
        &self,
        namespace: &str,
        name: &str,
        version: &str,
    ) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let deadline = started + Duration::from_secs(600);
        let mut last = String::new();
        loop {
            let hub = self.kubectl_json(&["-n", namespace, "get", "monihub", name]);
            if let Ok(hub) = hub {
                let status = &hub["status"];
                let ready = status["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True");
                let phase = format!(
                    "{} ({})",
                    status["phase"].as_str().unwrap_or("no status yet"),
                    status["currentVersion"].as_str().unwrap_or("-")
                );
                if phase != last {
                    step(&format!(
                        "    {namespace}/{name}: {phase} after {} s",
                        started.elapsed().as_secs()
                    ));
                    last = phase;
                }
                if ready
                    && status["currentVersion"] == version
                    && status["observedGeneration"] == hub["metadata"]["generation"]
                {
                    return Ok(started.elapsed());
                }
            }
            if Instant::now() > deadline {
                bail!("{namespace}/{name} did not become Ready for {version} within 10 minutes");
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    }
}

/// Connect to an existing cluster (after `up`).
pub fn connect() -> anyhow::Result<Cluster> {
    let engine = Engine::connect()?;
    let cluster = Cluster {
        engine,
        kind: tools::kind()?,
        helm: tools::helm()?,
        kubeconfig: kind_dir().join("kubeconfig"),
        shim: unprivileged_shim()?,
    };
    Ok(cluster)
}

pub fn up(args: UpArgs) -> anyhow::Result<Cluster> {
    step("checking prerequisites: Docker engine, kind, kubectl, helm");
    let cluster = connect().context("a prerequisite is missing")?;
    images::ensure_bases(&cluster.engine)?;

    let offline = match args.node_image.as_str() {
        "offline" => true,
        "default" => false,
        _ => {
            cluster.engine.has_image(&node::image())
                || cluster
                    .engine
                    .try_pull("registry.k8s.io/pause:3.10")
                    .is_err()
        }
    };
    let node_image = if offline {
        Some(node::build(&cluster.engine)?)
    } else {
        None
    };

    let exists = String::from_utf8(
        cluster
            .kind_cmd()
            .args(["get", "clusters"])
            .output()?
            .stdout,
    )?
    .lines()
    .any(|l| l == CLUSTER);
    if exists {
        step(&format!("kind cluster {CLUSTER} exists: reusing it"));
        run_cmd(
            cluster
                .kind_cmd()
                .args(["export", "kubeconfig", "--name", CLUSTER, "--kubeconfig"])
                .arg(&cluster.kubeconfig),
        )?;
    } else {
        let config = render_config(args.port, offline)?;
        step(&format!(
            "creating kind cluster {CLUSTER} (node image {})",
            node_image.as_deref().unwrap_or("kind's default")
        ));
        let mut create = cluster.kind_cmd();
        create
            .args([
                "create", "cluster", "--name", CLUSTER, "--wait", "180s", "--config",
            ])
            .arg(&config)
            .arg("--kubeconfig")
            .arg(&cluster.kubeconfig);
        if let Some(image) = &node_image {
            create.args(["--image", image]);
        }
        run_cmd(&mut create)?;
    }
    cluster.rollout("kube-system", "deployment/coredns")?;

    let tag = env!("CARGO_PKG_VERSION");
    images::build(&cluster.engine, tag, &images::COMPONENTS)?;
    let mut to_load: Vec<String> = images::COMPONENTS
        .iter()
        .map(|c| images::image(c, tag))
        .collect();
    to_load.push("postgres:16".to_owned());
    cluster.load(&to_load)?;

    install_chart(&cluster, tag)?;

    let example = workspace_root().join(format!("examples/{}.yaml", args.example));
    let hub: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(&example)
            .with_context(|| format!("no example {}", example.display()))?,
    )?;
    let name = hub["metadata"]["name"]
        .as_str()
        .unwrap_or("monihub")
        .to_owned();
    let version = hub["spec"]["version"].as_str().unwrap_or(tag).to_owned();
    step(&format!("applying {}", example.display()));
    run_cmd(
        cluster
            .kubectl()
            .args(["apply", "--server-side", "-n", "default", "-f"])
            .arg(&example),
    )?;
    let took = cluster.wait_ready("default", &name, &version)?;
    step(&format!(
        "{name} is Ready ({} s after apply)",
        took.as_secs()
    ));
    expose_console(&cluster, "default", &name)?;
    println!(
        "\nMoniHub runs on kind: http://127.0.0.1:{}\n\
         Create the first admin (prints its password once):\n  \
         KUBECONFIG={} kubectl exec deploy/{name}-server -- monihub-server create-admin\n",
        args.port,
        cluster.kubeconfig.display()
    );
    Ok(cluster)
}

pub fn down() -> anyhow::Result<()> {
    let cluster = connect()?;
    step(&format!("deleting kind cluster {CLUSTER}"));
    run_cmd(
        cluster
            .kind_cmd()
            .args(["delete", "cluster", "--name", CLUSTER]),
    )
}

/// Tests start from a fresh cluster: one left by an earlier, interrupted run is deleted.
pub fn delete_leftover() -> anyhow::Result<()> {
    let cluster = connect()?;
    let clusters = String::from_utf8(
        cluster
            .kind_cmd()
            .args(["get", "clusters"])
            .output()?
            .stdout,
    )?;
    if clusters.lines().any(|l| l == CLUSTER) {
        step(&format!(
            "deleting the kind cluster {CLUSTER} an earlier run left"
        ));
        run_cmd(
            cluster
                .kind_cmd()
                .args(["delete", "cluster", "--name", CLUSTER]),
        )?;
    }
    Ok(())
}

/// `helm upgrade --install` of the operator chart with the local image tag.
pub fn install_chart(cluster: &Cluster, tag: &str) -> anyhow::Result<()> {
    step("installing the operator chart (helm upgrade --install --wait)");
    run_cmd(cluster.helm_cmd().current_dir(workspace_root()).args([
        "upgrade",
        "--install",
        "monihub-operator",
        "helm/monihub-operator",
        "--namespace",
        OPERATOR_NAMESPACE,
        "--create-namespace",
        "--set",
        &format!("image.tag={tag}"),
        "--set",
        "image.pullPolicy=Never",
        "--wait",
        "--timeout",
        "5m",
    ]))
}

/// A NodePort Service in front of the MoniHub's nginx pods, on the port `kind-config.yaml` maps.
fn expose_console(cluster: &Cluster, namespace: &str, name: &str) -> anyhow::Result<()> {
    let service = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": format!("{name}-console-nodeport")},
        "spec": {
            "type": "NodePort",
            "selector": {
                "app.kubernetes.io/instance": name,
                "app.kubernetes.io/component": "frontend"
            },
            "ports": [{"port": 80, "targetPort": "http", "nodePort": CONSOLE_NODE_PORT}]
        }
    });
    cluster
        .apply(namespace, &service)
        .context("failed to create the console's NodePort Service")?;
    Ok(())
}

/// `kind-config.yaml` with the console's host port, and (offline) the default CNI off: the
/// offline node image carries a static bridge configuration instead of kindnetd.
fn render_config(port: u16, offline: bool) -> anyhow::Result<PathBuf> {
    let text = std::fs::read_to_string(workspace_root().join("kind-config.yaml"))?;
    let mut config: Value = serde_saphyr::from_str(&text)?;
    for node in config["nodes"].as_array_mut().into_iter().flatten() {
        for mapping in node["extraPortMappings"]
            .as_array_mut()
            .into_iter()
            .flatten()
        {
            if mapping["containerPort"] == CONSOLE_NODE_PORT {
                mapping["hostPort"] = port.into();
            }
        }
    }
    if offline {
        config["networking"]["disableDefaultCNI"] = true.into();
    }
    let path = kind_dir().join("kind-config.json");
    std::fs::create_dir_all(kind_dir())?;
    std::fs::write(&path, serde_json::to_string_pretty(&config)?)?;
    Ok(path)
}

/// kind starts its node with `--privileged`, which fails on hosts whose capability bounding set
/// lacks CAP_SYS_RESOURCE; there the docker wrapper of `xtask/kind` stands in front of docker.
fn unprivileged_shim() -> anyhow::Result<Option<PathBuf>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let bounding = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(u64::MAX);
    const CAP_SYS_RESOURCE: u32 = 24;
    if bounding & (1 << CAP_SYS_RESOURCE) != 0 {
        return Ok(None);
    }
    let dir = kind_dir().join("shim");
    std::fs::create_dir_all(&dir)?;
    let target = dir.join("docker");
    std::fs::copy(
        workspace_root().join("xtask/kind/docker-unprivileged.sh"),
        &target,
    )?;
    set_executable(&target)?;
    Ok(Some(dir))
}

fn set_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// PATH with /usr/bin first, so kind's `docker` is Debian's client.
fn path_with_debian_docker() -> std::ffi::OsString {
    let mut path = vec![PathBuf::from("/usr/bin")];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(path).unwrap_or_default()
}
