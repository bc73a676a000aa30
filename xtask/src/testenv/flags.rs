//! Command lines of the control-plane processes. Every listener is pinned to 127.0.0.1.

use std::path::Path;

use super::ports::Ports;
use super::state::State;

fn path(p: &Path) -> String {
    p.display().to_string()
}

pub fn etcd(state: &State, ports: &Ports) -> Vec<String> {
    let client = format!("http://127.0.0.1:{}", ports.etcd_client);
    let peer = format!("http://127.0.0.1:{}", ports.etcd_peer);
    vec![
        "--name=testenv".into(),
        format!("--data-dir={}", path(&state.etcd_data())),
        format!("--listen-client-urls={client}"),
        format!("--advertise-client-urls={client}"),
        format!("--listen-peer-urls={peer}"),
        format!("--initial-advertise-peer-urls={peer}"),
        format!("--initial-cluster=testenv={peer}"),
        // Throw-away data: durability only costs test time.
        "--unsafe-no-fsync=true".into(),
        "--log-level=warn".into(),
    ]
}

pub fn apiserver(state: &State, ports: &Ports) -> Vec<String> {
    let pki = state.pki();
    vec![
        format!("--etcd-servers=http://127.0.0.1:{}", ports.etcd_client),
        "--bind-address=127.0.0.1".into(),
        "--advertise-address=127.0.0.1".into(),
        format!("--secure-port={}", ports.apiserver),
        // No kube-proxy or Service network exists; keep the apiserver from managing the
        // `kubernetes` Service endpoints with a loopback address.
        "--endpoint-reconciler-type=none".into(),
        format!("--cert-dir={}", path(&pki)),
        format!("--tls-cert-file={}", path(&pki.join("apiserver.crt"))),
        format!(
            "--tls-private-key-file={}",
            path(&pki.join("apiserver.key"))
        ),
        format!("--client-ca-file={}", path(&pki.join("ca.crt"))),
        format!("--service-account-key-file={}", path(&pki.join("sa.pub"))),
        format!(
            "--service-account-signing-key-file={}",
            path(&pki.join("sa.key"))
        ),
        "--service-account-issuer=https://kubernetes.default.svc".into(),
        "--service-cluster-ip-range=10.96.0.0/16".into(),
        "--authorization-mode=Node,RBAC".into(),
        "--allow-privileged=true".into(),
        "--profiling=false".into(),
    ]
}

/// Common to controller-manager and scheduler: talk to the apiserver as admin, serve their
/// health endpoints on loopback only, and skip leader election (there is one of each).
fn component(state: &State, port: u16, cert_dir: &str) -> Vec<String> {
    let kubeconfig = path(&state.kubeconfig());
    vec![
        format!("--kubeconfig={kubeconfig}"),
        format!("--authentication-kubeconfig={kubeconfig}"),
        format!("--authorization-kubeconfig={kubeconfig}"),
        "--leader-elect=false".into(),
        "--bind-address=127.0.0.1".into(),
        format!("--secure-port={port}"),
        format!("--cert-dir={}", path(&state.pki().join(cert_dir))),
        "--profiling=false".into(),
    ]
}

pub fn controller_manager(state: &State, ports: &Ports) -> Vec<String> {
    let pki = state.pki();
    let mut args = component(state, ports.controller_manager, "controller-manager");
    args.extend([
        format!("--root-ca-file={}", path(&pki.join("ca.crt"))),
        format!(
            "--service-account-private-key-file={}",
            path(&pki.join("sa.key"))
        ),
        format!("--cluster-signing-cert-file={}", path(&pki.join("ca.crt"))),
        format!("--cluster-signing-key-file={}", path(&pki.join("ca.key"))),
        // Tests create many objects quickly; the defaults (20/30) throttle controllers.
        "--kube-api-qps=200".into(),
        "--kube-api-burst=400".into(),
    ]);
    args
}

pub fn scheduler(state: &State, ports: &Ports) -> Vec<String> {
    component(state, ports.scheduler, "scheduler")
}

pub fn kwok(state: &State, stages: &Path) -> Vec<String> {
    vec![
        format!("--kubeconfig={}", path(&state.kubeconfig())),
        format!("--config={}", path(stages)),
        "--manage-all-nodes=true".into(),
        // The node address only appears in status; loopback keeps anything that would dial a
        // "kubelet" (logs, exec) on this machine. Pod IPs must not be loopback (EndpointSlice
        // validation rejects them); they are status data that nothing connects to.
        "--node-ip=127.0.0.1".into(),
        "--cidr=10.244.0.0/16".into(),
        "--node-lease-duration-seconds=40".into(),
    ]
}
