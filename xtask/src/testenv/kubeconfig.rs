//! The admin kubeconfig for the running control plane. Its context name is what the test
//! support crate checks before it touches a cluster, so tests never run against another one.

use std::path::Path;

/// Context name the test support crate requires; keep in sync with `monihub-testenv`.
pub const CONTEXT: &str = "monihub-testenv";

/// Render a kubeconfig that reaches the apiserver on `port` with the admin certificate.
pub fn render(pki: &Path, port: u16) -> String {
    let ca = pki.join("ca.crt");
    let cert = pki.join("admin.crt");
    let key = pki.join("admin.key");
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: https://127.0.0.1:{port}
    certificate-authority: {ca}
users:
- name: {CONTEXT}-admin
  user:
    client-certificate: {cert}
    client-key: {key}
contexts:
- name: {CONTEXT}
  context:
    cluster: {CONTEXT}
    user: {CONTEXT}-admin
    namespace: default
current-context: {CONTEXT}
",
        ca = ca.display(),
        cert = cert.display(),
        key = key.display(),
    )
}
