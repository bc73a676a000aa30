//! The offline kind node image: what `kind build node-image` produces, assembled without any
//! registry. Kubernetes' node binaries come from the same Go module build as the control plane
//! (kubelet, kubeadm, kube-proxy, plus kube-apiserver & co. and etcd from the testenv cache);
//! CoreDNS (with the plugins kind uses: `coredns.rs`), crictl and the local-path-provisioner (the
//! default StorageClass) from the Go module proxy; the pause binary from Kubernetes' own C source;
//! systemd, containerd, runc and the CNI plugins from Debian; kind's static files from its Go
//! module. The control-plane images kubeadm expects are built under their upstream names and
//! preloaded into the node's containerd. Cached in the engine by version.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use super::{coredns, kind_dir};
use crate::docker::Engine;
use crate::testenv::{build as testenv_build, go, versions, wrapper};
use crate::tools;
use crate::util::{run_cmd, step, workspace_root};

/// Bump when the recipe changes: the tag changes and the image is rebuilt.
const REVISION: u32 = 5;
/// `github.com/rancher/local-path-provisioner`: the default StorageClass, as in kind's images.
const LOCAL_PATH: &str = "0.0.30";
/// `sigs.k8s.io/cri-tools` (kind loads images through crictl in the node).
const CRICTL: &str = "1.36.0";
/// CoreDNS, the version kubeadm 1.36 deploys.
const COREDNS: &str = "1.14.2";
/// The etcd image tag kubeadm 1.36 asks for; the testenv's etcd 3.6 binary serves under it.
const ETCD_TAG: &str = "3.6.8-0";
/// kind's containerd configuration names pause 3.10; kubeadm 1.36 lists 3.10.2.
const PAUSE_TAGS: [&str; 2] = ["3.10", "3.10.2"];
/// The pod network of the node's static bridge CNI (single node: no kindnetd image offline).
const POD_SUBNET: &str = "10.244.0.0/24";

/// `monihub/kind-node:v1.36.3-1`.
pub fn image() -> String {
    format!("monihub/kind-node:v{}-{REVISION}", versions::KUBERNETES)
}

/// Images only the node uses carry a registry host (`localhost/`): `ctr import` keeps such names
/// as they are, and the kubelet asks for exactly them.
fn provisioner_image() -> String {
    format!("localhost/monihub/kind-local-path-provisioner:v{LOCAL_PATH}")
}

/// The local-path helper pod only needs a shell, mkdir and rm.
fn helper_image() -> String {
    format!("localhost/monihub/kind-local-path-helper:bookworm-{REVISION}")
}

fn base_image() -> String {
    format!("monihub/kind-base:bookworm-{REVISION}")
}

/// The images kubeadm pulls, under the names it pulls them by.
fn component_images() -> Vec<String> {
    let k8s = format!("v{}", versions::KUBERNETES);
    let mut images: Vec<String> = [
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kube-proxy",
    ]
    .iter()
    .map(|c| format!("registry.k8s.io/{c}:{k8s}"))
    .collect();
    images.push(format!("registry.k8s.io/etcd:{ETCD_TAG}"));
    images.push(format!("registry.k8s.io/coredns/coredns:v{COREDNS}"));
    images.extend(
        PAUSE_TAGS
            .iter()
            .map(|t| format!("registry.k8s.io/pause:{t}")),
    );
    images.push(provisioner_image());
    images.push(helper_image());
    images
}

/// Build the node image unless the engine has it; returns its tag.
pub fn build(engine: &Engine) -> anyhow::Result<String> {
    let tag = image();
    if engine.has_image(&tag) {
        step(&format!("kind node image {tag}: cached"));
        return Ok(tag);
    }
    step(&format!("building the offline kind node image {tag}"));
    testenv_build::build()?;
    let node_bin = node_binaries()?;
    let control_bin = versions::bin_dir();
    base(engine)?;
    components(engine, &node_bin, &control_bin)?;
    assemble(engine, &tag, &node_bin, &control_bin)?;
    Ok(tag)
}

/// kubelet, kubeadm, kube-proxy, crictl, coredns and pause, cached by version.
fn node_binaries() -> anyhow::Result<PathBuf> {
    let bin = kind_dir().join(format!("node-v{}", versions::KUBERNETES));
    std::fs::create_dir_all(&bin)?;
    let commands = ["kubelet", "kubeadm", "kube-proxy"];
    if !commands.iter().all(|c| bin.join(c).is_file()) {
        step("building kubelet, kubeadm and kube-proxy from k8s.io/kubernetes");
        let packages: Vec<String> = commands
            .iter()
            .map(|c| format!("k8s.io/kubernetes/cmd/{c}"))
            .collect();
        let dir = wrapper::generate(&wrapper::Spec {
            name: "kubernetes-node",
            module: "k8s.io/kubernetes",
            version: format!("v{}", versions::KUBERNETES),
            tools: packages.clone(),
            local_replaces_to: Some(versions::kubernetes_staging_version()),
        })?;
        let what = commands.join(", ");
        let ldflags = testenv_build::kubernetes_ldflags();
        let took = testenv_build::go_build(&dir, &bin, &packages, &ldflags, &what)?;
        step(&format!("    {what} compiled in {}", go::human(took)));
    }
    for (name, version, package, ldflags) in [
        (
            "local-path-provisioner",
            LOCAL_PATH,
            "github.com/rancher/local-path-provisioner",
            String::new(),
        ),
        (
            "crictl",
            CRICTL,
            "sigs.k8s.io/cri-tools/cmd/crictl",
            format!("-X sigs.k8s.io/cri-tools/pkg/version.Version=v{CRICTL}"),
        ),
    ] {
        let built = tools::go_install(name, version, package, &ldflags)?;
        std::fs::copy(&built, bin.join(name))?;
    }
    std::fs::copy(coredns::build(COREDNS)?, bin.join("coredns"))?;
    if !bin.join("pause").is_file() {
        step("compiling pause from Kubernetes' C source (gcc -static)");
        let module = go::download(
            &kind_dir(),
            "k8s.io/kubernetes",
            &format!("v{}", versions::KUBERNETES),
        )?;
        run_cmd(
            Command::new("gcc")
                .args(["-Os", "-static", "-Wall", "-Werror"])
                .arg(format!("-DVERSION=v{}-monihub", PAUSE_TAGS[1]))
                .arg("-o")
                .arg(bin.join("pause"))
                .arg(module.dir.join("build/pause/linux/pause.c")),
        )
        .context("pause is compiled with gcc and the static C library (Debian's gcc, libc6-dev)")?;
    }
    Ok(bin)
}

/// The base image: Debian, systemd, containerd and kind's files.
fn base(engine: &Engine) -> anyhow::Result<()> {
    let tag = base_image();
    if engine.has_image(&tag) {
        return Ok(());
    }
    step(&format!(
        "building {tag} (systemd, containerd, runc, CNI plugins from Debian)"
    ));
    let kind_module = go::download(
        &kind_dir(),
        "sigs.k8s.io/kind",
        &format!("v{}", tools::KIND),
    )?;
    let ctx = tempfile::tempdir()?;
    let files = ctx.path().join("files");
    run_cmd(
        Command::new("cp")
            .arg("-a")
            .arg(kind_module.dir.join("images/base/files"))
            .arg(&files),
    )?;
    run_cmd(Command::new("chmod").arg("-R").arg("u+w").arg(&files))?;
    std::fs::remove_dir_all(files.join("LICENSES")).ok();
    let recipe = workspace_root().join("xtask/kind");
    std::fs::copy(
        recipe.join("base.Dockerfile"),
        ctx.path().join("Dockerfile"),
    )?;
    std::fs::copy(
        recipe.join("pre-entrypoint.sh"),
        ctx.path().join("pre-entrypoint.sh"),
    )?;
    run_cmd(
        engine
            .docker()
            .args(["build", "--progress=plain", "-t", &tag])
            .arg(ctx.path()),
    )
}

/// The control-plane images, each a binary on the Debian base.
fn components(engine: &Engine, node_bin: &Path, control_bin: &Path) -> anyhow::Result<()> {
    let k8s = format!("v{}", versions::KUBERNETES);
    let iptables = format!("monihub/kind-iptables:bookworm-{REVISION}");
    build_small(
        engine,
        &iptables,
        "FROM debian:bookworm-slim\n\
         RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iptables nftables conntrack ipset kmod \\\n \
         && rm -rf /var/lib/apt/lists/*\n",
        &[],
    )?;
    for c in [
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
    ] {
        build_small(
            engine,
            &format!("registry.k8s.io/{c}:{k8s}"),
            &format!(
                "FROM debian:bookworm-slim\nCOPY {c} /usr/local/bin/{c}\nENTRYPOINT [\"/usr/local/bin/{c}\"]\n"
            ),
            &[control_bin.join(c)],
        )?;
    }
    build_small(
        engine,
        &format!("registry.k8s.io/kube-proxy:{k8s}"),
        &format!(
            "FROM {iptables}\nCOPY kube-proxy /usr/local/bin/kube-proxy\nENTRYPOINT [\"/usr/local/bin/kube-proxy\"]\n"
        ),
        &[node_bin.join("kube-proxy")],
    )?;
    build_small(
        engine,
        &format!("registry.k8s.io/etcd:{ETCD_TAG}"),
        "FROM debian:bookworm-slim\nCOPY etcd /usr/local/bin/etcd\nENTRYPOINT [\"/usr/local/bin/etcd\"]\n",
        &[control_bin.join("etcd")],
    )?;
    build_small(
        engine,
        &format!("registry.k8s.io/coredns/coredns:v{COREDNS}"),
        "FROM debian:bookworm-slim\nCOPY coredns /coredns\nEXPOSE 53 53/udp\nENTRYPOINT [\"/coredns\"]\n",
        &[node_bin.join("coredns")],
    )?;
    build_small(
        engine,
        &format!("registry.k8s.io/pause:{}", PAUSE_TAGS[0]),
        "FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT [\"/pause\"]\n",
        &[node_bin.join("pause")],
    )?;
    build_small(
        engine,
        &provisioner_image(),
        "FROM debian:bookworm-slim\nCOPY local-path-provisioner /usr/local/bin/local-path-provisioner\n",
        &[node_bin.join("local-path-provisioner")],
    )?;
    engine.run(&["tag", "debian:bookworm-slim", &helper_image()])?;
    for extra in &PAUSE_TAGS[1..] {
        engine.run(&[
            "tag",
            &format!("registry.k8s.io/pause:{}", PAUSE_TAGS[0]),
            &format!("registry.k8s.io/pause:{extra}"),
        ])?;
    }
    Ok(())
}

fn build_small(
    engine: &Engine,
    tag: &str,
    dockerfile: &str,
    files: &[PathBuf],
) -> anyhow::Result<()> {
    let ctx = tempfile::tempdir()?;
    std::fs::write(ctx.path().join("Dockerfile"), dockerfile)?;
    for file in files {
        let name = file.file_name().context("a file to copy")?;
        std::fs::copy(file, ctx.path().join(name))
            .with_context(|| format!("missing {}", file.display()))?;
    }
    step(&format!("    image {tag}"));
    run_cmd(
        engine
            .docker()
            .args(["build", "--quiet", "-t", tag])
            .arg(ctx.path())
            .stdout(Stdio::null()),
    )
}

/// Node binaries and CNI configuration on the base, then the images imported into the node's
/// containerd (`docker run`, `ctr import`, `docker commit`, as `kind build node-image` does).
fn assemble(engine: &Engine, tag: &str, node_bin: &Path, control_bin: &Path) -> anyhow::Result<()> {
    let stage = format!("{tag}-stage");
    let ctx = tempfile::tempdir()?;
    for (dir, name) in [
        (node_bin, "kubelet"),
        (node_bin, "kubeadm"),
        (node_bin, "crictl"),
        (control_bin, "kubectl"),
    ] {
        std::fs::copy(dir.join(name), ctx.path().join(name))?;
    }
    std::fs::write(
        ctx.path().join("10-monihub.conflist"),
        serde_json::to_string_pretty(&serde_json::json!({
            "cniVersion": "0.4.0",
            "name": "monihub",
            "plugins": [
                {
                    "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true,
                    "hairpinMode": true,
                    "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": POD_SUBNET}]],
                        "routes": [{"dst": "0.0.0.0/0"}]
                    }
                },
                {"type": "portmap", "capabilities": {"portMappings": true}}
            ]
        }))?,
    )?;
    let storage =
        std::fs::read_to_string(workspace_root().join("xtask/kind/default-storage.yaml"))?
            .replace("LOCAL_PATH_PROVISIONER_IMAGE", &provisioner_image())
            .replace("LOCAL_PATH_HELPER_IMAGE", &helper_image());
    std::fs::write(ctx.path().join("default-storage.yaml"), storage)?;
    std::fs::write(
        ctx.path().join("Dockerfile"),
        format!(
            "FROM {base}\n\
             COPY kubelet kubeadm kubectl /usr/bin/\n\
             COPY crictl /usr/local/bin/\n\
             COPY 10-monihub.conflist /etc/cni/net.d/10-monihub.conflist\n\
             COPY default-storage.yaml /kind/manifests/default-storage.yaml\n\
             RUN echo -n \"v{k8s}\" > /kind/version && kubelet --version && kubeadm version -o short\n",
            base = base_image(),
            k8s = versions::KUBERNETES
        ),
    )?;
    step("    node stage image");
    run_cmd(
        engine
            .docker()
            .args(["build", "--quiet", "-t", &stage])
            .arg(ctx.path())
            .stdout(Stdio::null()),
    )?;

    let container = format!("monihub-kind-build-{}", std::process::id());
    let result = (|| -> anyhow::Result<()> {
        engine.run(&[
            "run",
            "--detach",
            // An init as PID 1 reaps the stopped containerd (sleep would leave a zombie).
            "--init",
            "--name",
            &container,
            "--entrypoint=sleep",
            "--security-opt",
            "seccomp=unconfined",
            &stage,
            "infinity",
        ])?;
        let exec = |script: &str| -> anyhow::Result<()> {
            run_cmd(
                engine
                    .docker()
                    .args(["exec", &container, "bash", "-c", script]),
            )
        };
        exec("nohup containerd >/tmp/containerd.log 2>&1 &")?;
        exec(
            "for i in $(seq 1 30); do ctr version >/dev/null 2>&1 && exit 0; sleep 1; done; \
             cat /tmp/containerd.log; exit 1",
        )?;
        step("    importing the control-plane images into the node's containerd");
        let mut save = engine
            .docker()
            .arg("save")
            .args(component_images())
            .stdout(Stdio::piped())
            .spawn()?;
        let saved = save.stdout.take().context("docker save has no output")?;
        let status = engine
            .docker()
            .args([
                "exec",
                "-i",
                &container,
                "ctr",
                "--namespace=k8s.io",
                "images",
                "import",
                "--all-platforms",
                "--no-unpack",
                "-",
            ])
            .stdin(saved)
            .stdout(Stdio::null())
            .status()?;
        if !save.wait()?.success() || !status.success() {
            bail!("importing the images into the node failed");
        }
        exec(
            "pkill containerd; for i in $(seq 1 60); do pgrep -x containerd >/dev/null || exit 0; \
             sleep 0.5; done; echo 'containerd did not stop'; exit 1",
        )?;
        engine.run(&[
            "commit",
            "--change",
            "ENTRYPOINT [ \"/usr/local/bin/monihub-pre-entrypoint\", \"/usr/local/bin/entrypoint\", \"/sbin/init\" ]",
            "--change",
            "CMD []",
            &container,
            tag,
        ])
    })();
    let _ = engine
        .docker()
        .args(["rm", "--force", "--volumes", &container])
        .stdout(Stdio::null())
        .status();
    let _ = engine
        .docker()
        .args(["image", "rm", &stage])
        .stdout(Stdio::null())
        .status();
    result?;
    step(&format!(
        "kind node image {tag}: {:.0} MB",
        engine.image_size(tag)? as f64 / 1e6
    ));
    Ok(())
}
