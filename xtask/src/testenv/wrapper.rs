//! Generated wrapper Go modules for programs whose go.mod carries `replace` or `exclude`
//! directives (kube-apiserver & co., etcd, Docker Compose), which `go install pkg@version` refuses
//! to build.
//!
//! The wrapper lives in the cache, outside the repository, and is rewritten on every build
//! from the upstream go.mod of the pinned version: nothing upstream is vendored or committed.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;

use super::go;
use super::versions;
use crate::util::step;

/// What to wrap.
pub struct Spec {
    /// Folder name under the cache's `wrappers/`.
    pub name: &'static str,
    /// The upstream module holding the programs.
    pub module: &'static str,
    /// Its pinned version (`v1.36.3`).
    pub version: String,
    /// Packages to register as `tool`s of the wrapper.
    pub tools: Vec<String>,
    /// Upstream replaces that point into the upstream repository itself (`./staging/…`) only work
    /// when it is the main module. `Some(v)` pins each such module to its published version `v`;
    /// `None` drops them and relies on the upstream requirements.
    pub local_replaces_to: Option<String>,
}

/// Write the wrapper's go.mod, resolve it, and return its folder.
pub fn generate(spec: &Spec) -> anyhow::Result<PathBuf> {
    let dir = versions::wrapper_dir(spec.name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("failed to clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let module_path = format!("monihub.invalid/testenv-{}", spec.name);
    std::fs::write(dir.join("go.mod"), format!("module {module_path}\n"))?;

    step(&format!(
        "    fetching {}@{} metadata",
        spec.module, spec.version
    ));
    let upstream = go::download(&dir, spec.module, &spec.version)?;
    let upstream_mod = go::parse_go_mod(&dir, &upstream.go_mod)?;
    let go_mod = render(&module_path, spec, &upstream_mod);
    std::fs::write(dir.join("go.mod"), go_mod)?;

    step(&format!(
        "    resolving dependencies of {}@{} (first run downloads them)",
        spec.module, spec.version
    ));
    let mut get = go::go(&dir);
    get.args(["get", "-tool"]);
    for tool in &spec.tools {
        get.arg(format!("{tool}@{}", spec.version));
    }
    go::run_with_heartbeat(&mut get, "resolving modules")?;
    go::run_with_heartbeat(
        go::go(&dir).args(["mod", "tidy"]),
        "tidying the wrapper module",
    )?;
    Ok(dir)
}

/// The wrapper go.mod before `go get`: the replaces must exist first, or resolution fails on
/// the upstream's `v0.0.0` placeholder requirements.
fn render(module_path: &str, spec: &Spec, upstream: &go::GoMod) -> String {
    let mut out = format!("module {module_path}\n\n");
    if let Some(go_version) = &upstream.go {
        let _ = writeln!(out, "go {go_version}\n");
    }
    // The upstream godebug line only applies when it is the main module; without it, the
    // wrapper's `go` line would silently switch TLS/x509 and other runtime defaults.
    for setting in upstream.godebug.iter().flatten() {
        let _ = writeln!(out, "godebug {}={}\n", setting.key, setting.value);
    }
    let mut replaces = Vec::new();
    for r in upstream.replace.iter().flatten() {
        let local = r.new.path.starts_with("./") || r.new.path.starts_with("../");
        match (&r.new.version, local, &spec.local_replaces_to) {
            (_, true, Some(published)) => {
                replaces.push(format!("{} => {} {published}", r.old.path, r.old.path));
            }
            (_, true, None) => {}
            (Some(version), false, _) => {
                replaces.push(format!("{} => {} {version}", r.old.path, r.new.path));
            }
            (None, false, _) => {}
        }
    }
    if !replaces.is_empty() {
        out.push_str("replace (\n");
        for line in replaces {
            let _ = writeln!(out, "\t{line}");
        }
        out.push_str(")\n");
    }
    // Excluded versions only apply in the main module; without them, resolution may pick them.
    let excludes: Vec<String> = upstream
        .exclude
        .iter()
        .flatten()
        .filter_map(|m| m.version.as_ref().map(|v| format!("{} {v}", m.path)))
        .collect();
    if !excludes.is_empty() {
        out.push_str("exclude (\n");
        for line in excludes {
            let _ = writeln!(out, "\t{line}");
        }
        out.push_str(")\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream() -> go::GoMod {
        serde_json::from_value(serde_json::json!({
            "Go": "1.26.0",
            "GoDebug": [{ "Key": "default", "Value": "go1.26" }],
            "Replace": [
                { "Old": { "Path": "k8s.io/api" }, "New": { "Path": "./staging/src/k8s.io/api" } },
                { "Old": { "Path": "example.com/fork" }, "New": { "Path": "example.com/fixed", "Version": "v1.2.3" } }
            ],
            "Exclude": [{ "Path": "example.com/broken", "Version": "v0.0.1" }]
        }))
        .unwrap()
    }

    fn spec(local_replaces_to: Option<&str>) -> Spec {
        Spec {
            name: "kubernetes",
            module: "k8s.io/kubernetes",
            version: "v1.36.3".into(),
            tools: vec![],
            local_replaces_to: local_replaces_to.map(String::from),
        }
    }

    #[test]
    fn pins_in_repository_replaces_and_keeps_godebug() {
        let go_mod = render("w", &spec(Some("v0.36.3")), &upstream());
        assert!(go_mod.contains("go 1.26.0\n"));
        assert!(go_mod.contains("godebug default=go1.26\n"));
        assert!(go_mod.contains("\tk8s.io/api => k8s.io/api v0.36.3\n"));
        assert!(go_mod.contains("\texample.com/fork => example.com/fixed v1.2.3\n"));
        assert!(go_mod.contains("exclude (\n\texample.com/broken v0.0.1\n)\n"));
    }

    #[test]
    fn drops_in_repository_replaces_without_a_published_version() {
        let go_mod = render("w", &spec(None), &upstream());
        assert!(!go_mod.contains("k8s.io/api"));
        assert!(go_mod.contains("example.com/fork => example.com/fixed v1.2.3"));
    }
}
