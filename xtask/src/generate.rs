//! `cargo xtask gen`: regenerate the committed, derived files. CI fails when they drift.

use std::process::Command;

use anyhow::Context;

use crate::util::{step, workspace_root};

/// The committed CRD, relative to the workspace root.
pub const CRD_FILE: &str = "crds/monihub.aione.tech_monihubs.yaml";
/// The Helm chart's copy of it (a chart cannot read files outside its folder).
pub const CHART_CRD_FILE: &str =
    "helm/monihub-operator/files/crds/monihub.aione.tech_monihubs.yaml";

pub fn generate() -> anyhow::Result<()> {
    let root = workspace_root();
    step("writing server/openapi.json");
    let output = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args([
            "run",
            "--quiet",
            "--locked",
            "-p",
            "monihub-server",
            "--",
            "openapi",
        ])
        .output()
        .context("failed to run monihub-server openapi")?;
    if !output.status.success() {
        anyhow::bail!(
            "monihub-server openapi failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::write(root.join("server/openapi.json"), &output.stdout)?;

    step("writing the CRD (crds/ and the Helm chart's copy)");
    let output = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args([
            "run",
            "--quiet",
            "--locked",
            "-p",
            "monihub-operator",
            "--",
            "crd",
        ])
        .output()
        .context("failed to run monihub-operator crd")?;
    if !output.status.success() {
        anyhow::bail!(
            "monihub-operator crd failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for file in [CRD_FILE, CHART_CRD_FILE] {
        let path = root.join(file);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, &output.stdout)?;
    }

    // The console's API types follow the OpenAPI document just written.
    crate::console::generate_types()
}
