//! `testenv up` and `testenv down`: start etcd, kube-apiserver, kube-controller-manager,
//! kube-scheduler and kwok in order, each only after the one before it is serving, and stop
//! exactly those processes again. A start that fails part-way stops what it had started.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::go::{self, human};
use super::ports::Ports;
use super::state::State;
use super::{build, flags, kubeconfig, kwok, pki, processes, storage, versions};
use crate::util::step;

/// Fake nodes: enough for anti-affinity and spread tests, few enough to start fast.
const NODES: usize = 3;
/// Upper bound for each readiness wait; a healthy start takes a few seconds per step.
const WAIT: Duration = Duration::from_secs(90);

/// Start the control plane (building it first if the cache lacks it) and write the env file.
pub fn up() -> anyhow::Result<State> {
    build::build()?;
    start_built()
}

/// Start the control plane from binaries that `build` has just checked.
pub fn start_built() -> anyhow::Result<State> {
    let state = State::locate();
    if processes::recorded(&state)?.iter().any(|r| r.is_alive()) {
        bail!(
            "a control plane is already running from {} (run `cargo xtask testenv down` first)",
            state.root.display()
        );
    }
    state.reset()?;
    let started = Instant::now();
    if let Err(e) = start(&state) {
        eprintln!("==> start failed; stopping the processes it had started");
        match processes::stop_all(&state) {
            // Keys and a kubeconfig for a control plane that is gone only mislead.
            Ok(_) => state.clear_keeping_logs()?,
            Err(stop_error) => eprintln!("    also failed to stop them: {stop_error:#}"),
        }
        return Err(e.context(format!(
            "failed to start the control plane (logs in {})",
            state.logs().display()
        )));
    }
    step(&format!("control plane up in {}", human(started.elapsed())));
    Ok(state)
}

/// Stop the processes recorded in the state folder and clear it, keeping the logs.
pub fn down() -> anyhow::Result<()> {
    let state = State::locate();
    let stopped = processes::stop_all(&state)?;
    state.clear_keeping_logs()?;
    step(&format!(
        "stopped {stopped} control-plane process(es); logs kept in {}",
        state.logs().display()
    ));
    Ok(())
}

/// Shell lines that point a client at the running control plane, and put the matching
/// kubectl and helm first on PATH (a distribution kubectl may be far outside the version skew).
pub fn export_lines(state: &State) -> String {
    format!(
        "export KUBECONFIG={}\nexport PATH=\"{}:$PATH\"",
        state.kubeconfig().display(),
        versions::bin_dir().display()
    )
}

fn start(state: &State) -> anyhow::Result<()> {
    let bin = versions::bin_dir();
    let ports = Ports::pick()?;

    step("generating certificates");
    pki::generate(&state.pki())?;
    std::fs::write(
        state.kubeconfig(),
        kubeconfig::render(&state.pki(), ports.apiserver),
    )?;

    step(&format!("starting etcd on 127.0.0.1:{}", ports.etcd_client));
    processes::spawn(
        state,
        1,
        "etcd",
        &bin.join("etcd"),
        &flags::etcd(state, &ports),
    )?;
    wait_until(state, "etcd to report healthy", || {
        Ok(etcd_healthy(ports.etcd_client))
    })?;

    step(&format!(
        "starting kube-apiserver on https://127.0.0.1:{}",
        ports.apiserver
    ));
    processes::spawn(
        state,
        2,
        "kube-apiserver",
        &bin.join("kube-apiserver"),
        &flags::apiserver(state, &ports),
    )?;
    wait_until(state, "kube-apiserver to become ready", || {
        Ok(kubectl(state)
            .args(["get", "--raw=/readyz"])
            .output()
            .is_ok_and(|o| o.status.success()))
    })?;

    step("starting kube-controller-manager, kube-scheduler and kwok");
    processes::spawn(
        state,
        3,
        "kube-controller-manager",
        &bin.join("kube-controller-manager"),
        &flags::controller_manager(state, &ports),
    )?;
    processes::spawn(
        state,
        4,
        "kube-scheduler",
        &bin.join("kube-scheduler"),
        &flags::scheduler(state, &ports),
    )?;
    processes::spawn(
        state,
        5,
        "kwok",
        &bin.join("kwok"),
        &flags::kwok(state, &versions::stages_file()),
    )?;

    step(&format!(
        "creating {NODES} fake nodes and {} static volumes",
        storage::VOLUMES
    ));
    apply(state, "nodes.yaml", &kwok::nodes_manifest(NODES))?;
    apply(
        state,
        "storage.yaml",
        &storage::manifest(&state.root.join("volumes")),
    )?;

    wait_until(state, "the fake nodes to become Ready", || {
        let out = kubectl(state)
            .args([
                "get",
                "nodes",
                "-o",
                "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}",
            ])
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(out.status.success() && text.lines().filter(|l| *l == "True").count() == NODES)
    })?;
    // The default ServiceAccount proves the controller-manager works, and Pods are rejected
    // by admission until their namespace has one.
    wait_until(
        state,
        "the controller-manager to create default ServiceAccounts",
        || {
            Ok(kubectl(state)
                .args(["get", "serviceaccount", "default", "--namespace=default"])
                .output()
                .is_ok_and(|o| o.status.success()))
        },
    )?;
    wait_until(
        state,
        "kube-controller-manager and kube-scheduler to serve health checks",
        || Ok(listening(ports.controller_manager) && listening(ports.scheduler)),
    )?;

    std::fs::write(state.env_file(), format!("{}\n", export_lines(state)))?;
    Ok(())
}

/// Poll `ready` until it holds, failing early with the log of any process that died.
fn wait_until(
    state: &State,
    what: &str,
    mut ready: impl FnMut() -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        processes::ensure_running(state)?;
        if ready()? {
            eprintln!("    {what}: done in {}", human(started.elapsed()));
            return Ok(());
        }
        if started.elapsed() > WAIT {
            bail!("timed out after {} waiting for {what}", human(WAIT));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A `kubectl` from the same build, pointed at this control plane.
pub fn kubectl(state: &State) -> Command {
    let mut cmd = Command::new(versions::bin_dir().join("kubectl"));
    cmd.arg(format!("--kubeconfig={}", state.kubeconfig().display()));
    cmd
}

fn apply(state: &State, name: &str, manifest: &str) -> anyhow::Result<()> {
    let file = state.manifests().join(name);
    std::fs::write(&file, manifest)?;
    go::output(
        kubectl(state)
            .args(["apply", "--server-side", "-f"])
            .arg(&file),
    )
    .map(drop)
    .with_context(|| format!("failed to apply {name}"))
}

/// etcd's `/health` over plain HTTP on loopback; a dependency-free GET is enough here.
fn etcd_healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.contains("\"health\":\"true\"")
}

fn listening(port: u16) -> bool {
    TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// Whether the state folder belongs to a control plane that is still running.
pub fn is_up(state: &State) -> anyhow::Result<bool> {
    Ok(state.env_file().is_file() && processes::recorded(state)?.iter().any(|r| r.is_alive()))
}
