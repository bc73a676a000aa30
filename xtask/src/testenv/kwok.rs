//! kwok's stage definitions (what turns fake Nodes Ready and Pods Running, Complete or gone)
//! and the fake Nodes themselves.
//!
//! Standalone kwok ships no stages, so they are assembled from the YAML that the kwok module
//! itself carries, following its own `kustomize/stage/fast` kustomization.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};

use super::{go, versions};
use crate::util::step;

/// The kustomization in the kwok module that lists the fast node and pod stages.
const STAGE_SET: &str = "kustomize/stage/fast";

/// Revision of [`OWN_STAGES`]; bump it when they change so cached stage files are rebuilt.
pub const STAGES_REVISION: u32 = 2;

/// kwok's `pod-complete` stage replaced by two, keyed on the pod label
/// `testenv.monihub.dev/outcome` (`monihub_testenv::OUTCOME_LABEL`), so tests can steer Jobs on a
/// control plane that runs no containers: without the label a Job pod completes, with `fail` it
/// fails with exit code 1, and with any other value (`hold`) it keeps running until the label is
/// removed from the pod.
const OWN_STAGES: &str = r#"apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-complete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Running'
    - key: '.metadata.ownerReferences.[].kind'
      operator: 'In'
      values:
      - 'Job'
    - key: '.metadata.labels["testenv.monihub.dev/outcome"]'
      operator: 'DoesNotExist'
  next:
    statusTemplate: |
      {{ $now := Now }}
      containerStatuses:
      {{ range $index, $item := .spec.containers }}
      - image: {{ $item.image | Quote }}
        name: {{ $item.name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 0
            finishedAt: {{ $now | Quote }}
            reason: Completed
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: Succeeded
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-fail
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Running'
    - key: '.metadata.ownerReferences.[].kind'
      operator: 'In'
      values:
      - 'Job'
    - key: '.metadata.labels["testenv.monihub.dev/outcome"]'
      operator: 'In'
      values:
      - 'fail'
  next:
    statusTemplate: |
      {{ $now := Now }}
      containerStatuses:
      {{ range $index, $item := .spec.containers }}
      - image: {{ $item.image | Quote }}
        name: {{ $item.name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 1
            finishedAt: {{ $now | Quote }}
            reason: Error
            message: "failed on purpose (testenv.monihub.dev/outcome=fail)"
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: Failed
"#;

/// Write the stage file into the cache, derived from the pinned kwok module.
pub fn assemble_stages() -> anyhow::Result<()> {
    step("assembling kwok stages from the kwok module");
    let module = go::download(
        &versions::cache_root(),
        "sigs.k8s.io/kwok",
        &format!("v{}", versions::KWOK),
    )?;
    let mut files = Vec::new();
    collect_resources(&module.dir.join(STAGE_SET), &mut files, 0)?;
    if files.is_empty() {
        bail!("no stage files found under {STAGE_SET} in the kwok module");
    }
    let mut out = String::new();
    for file in &files {
        if file.file_stem().is_some_and(|s| s == "pod-complete") {
            continue; // replaced by OWN_STAGES
        }
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("failed to read {}", file.display()))?;
        let _ = writeln!(out, "---\n{}", text.trim_end());
    }
    let _ = writeln!(out, "---\n{}", OWN_STAGES.trim_end());
    std::fs::write(versions::stages_file(), out)?;
    let names: Vec<_> = files
        .iter()
        .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    eprintln!("    stages: {}", names.join(", "));
    Ok(())
}

/// Follow a kustomization's `resources:` list down to the YAML files it names.
fn collect_resources(
    dir: &Path,
    files: &mut Vec<std::path::PathBuf>,
    depth: usize,
) -> anyhow::Result<()> {
    if depth > 8 {
        bail!("kustomization nesting too deep at {}", dir.display());
    }
    let kustomization = dir.join("kustomization.yaml");
    let text = std::fs::read_to_string(&kustomization)
        .with_context(|| format!("failed to read {}", kustomization.display()))?;
    for entry in resources(&text) {
        let path = dir.join(entry);
        if path.is_dir() {
            collect_resources(&path, files, depth + 1)?;
        } else if path.is_file() {
            files.push(path);
        } else {
            bail!(
                "{} lists a missing resource {entry}",
                kustomization.display()
            );
        }
    }
    Ok(())
}

/// The items of the top-level `resources:` list. kwok's kustomizations are plain lists of
/// relative paths, so a line scan is enough and avoids a YAML dependency.
fn resources(kustomization: &str) -> Vec<&str> {
    let mut in_resources = false;
    let mut out = Vec::new();
    for line in kustomization.lines() {
        if !line.starts_with([' ', '-', '#']) && !line.trim().is_empty() {
            in_resources = line.trim_end() == "resources:";
            continue;
        }
        if in_resources && let Some(item) = line.trim().strip_prefix("- ") {
            out.push(item.trim());
        }
    }
    out
}

/// Fake Nodes for kwok to manage. Untainted, so test Pods need no tolerations.
pub fn nodes_manifest(count: usize) -> String {
    let mut out = String::new();
    for i in 0..count {
        let _ = write!(
            out,
            "---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-{i}
  labels:
    kubernetes.io/hostname: kwok-node-{i}
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
  annotations:
    kwok.x-k8s.io/node: fake
"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::resources;

    #[test]
    fn reads_only_the_resources_list() {
        let text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../node/fast\n- pod-ready.yaml\npatches:\n- p.yaml\n";
        assert_eq!(resources(text), vec!["../node/fast", "pod-ready.yaml"]);
    }
}
