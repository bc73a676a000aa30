//! CoreDNS for the offline node image, linked with only the plugins a kind cluster uses
//! (`xtask/kind/coredns/main.go` lists them and says why). Built in a module in the cache that
//! requires the pinned release, and cached until `main.go` or the version changes.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::kind_dir;
use crate::testenv::go;
use crate::util::{step, workspace_root};

/// The directives `main.go` keeps; `coredns -plugins` must list each (one name per line).
const PLUGINS: [&str; 12] = [
    "cache",
    "errors",
    "forward",
    "health",
    "hosts",
    "kubernetes",
    "loadbalance",
    "log",
    "loop",
    "prometheus",
    "ready",
    "reload",
];

/// Build (or reuse) CoreDNS `version`; returns the binary.
pub fn build(version: &str) -> anyhow::Result<PathBuf> {
    let source_path = workspace_root().join("xtask/kind/coredns/main.go");
    let source = std::fs::read_to_string(&source_path)
        .with_context(|| format!("failed to read {}", source_path.display()))?;
    let dir = kind_dir().join(format!("coredns-v{version}"));
    let binary = dir.join("coredns");
    let built_from = std::fs::read_to_string(dir.join("main.go")).unwrap_or_default();
    if binary.is_file() && built_from == source {
        return Ok(binary);
    }

    step(&format!(
        "building CoreDNS v{version} with the plugins kind uses ({})",
        PLUGINS.join(", ")
    ));
    go::check_toolchain()?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("failed to clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("failed to create {}", dir.display()))?;
    std::fs::write(dir.join("main.go"), &source)?;
    go::output(go::go(&dir).args(["mod", "init", "monihub.invalid/kind-coredns"]))?;
    go::output(
        go::go(&dir)
            .args(["mod", "edit"])
            .arg(format!("-require=github.com/coredns/coredns@v{version}")),
    )?;
    go::run_with_heartbeat(
        go::go(&dir).args(["mod", "tidy"]),
        "resolving CoreDNS's dependencies",
    )?;
    let partial = dir.join("coredns.partial");
    let ldflags = format!("-s -w -X github.com/coredns/coredns/coremain.GitCommit=v{version}");
    let took = go::build(&dir, &partial, &["."], &ldflags, "CoreDNS")?;
    check_plugins(&partial)?;
    // Renamed last: a build that stopped half way is never taken for a cached one.
    std::fs::rename(&partial, &binary)?;
    step(&format!("CoreDNS compiled in {}", go::human(took)));
    Ok(binary)
}

/// The build links what kind's Corefile needs: a plugin missing here would only show as a
/// CoreDNS pod crash-looping on "unknown directive" inside the cluster.
fn check_plugins(binary: &Path) -> anyhow::Result<()> {
    let listed = go::output(std::process::Command::new(binary).arg("-plugins"))?;
    let missing = missing_plugins(&listed);
    if !missing.is_empty() {
        bail!(
            "{} does not link the plugins {}; `-plugins` printed:\n{listed}",
            binary.display(),
            missing.join(", ")
        );
    }
    Ok(())
}

fn missing_plugins(listed: &str) -> Vec<&'static str> {
    PLUGINS
        .iter()
        .copied()
        .filter(|p| !listed.lines().any(|line| line.trim() == *p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plugin_is_checked_and_main_go_links_it() {
        let source =
            std::fs::read_to_string(workspace_root().join("xtask/kind/coredns/main.go")).unwrap();
        for plugin in PLUGINS {
            assert!(
                source.contains(&format!("\t{plugin:?}:")),
                "main.go does not keep the directive {plugin}"
            );
        }
    }

    #[test]
    fn a_missing_plugin_is_reported() {
        // What CoreDNS 1.14.2 built from main.go prints: the plugins above plus those their
        // imports register.
        let printed = "cache\ndebug\ndnstap\nerrors\nforward\nhealth\nhosts\nkubernetes\n\
                       loadbalance\nlog\nloop\nmetadata\nprometheus\nready\nreload\ntransfer\n";
        assert!(missing_plugins(printed).is_empty());
        let without_cache = printed.replace("cache\n", "");
        assert_eq!(missing_plugins(&without_cache), vec!["cache"]);
        // A name is matched whole, not as part of another one.
        assert_eq!(missing_plugins("cached\nlogs\n").len(), PLUGINS.len());
        assert_eq!(missing_plugins("").len(), PLUGINS.len());
    }
}
