//! `testenv build`: compile the pinned control-plane binaries from Go modules into the cache.
//!
//! Each component is skipped when the cache already holds binaries that print the expected
//! version, so a warm machine pays nothing and a half-finished build is simply redone.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::go::{self, human};
use super::{kwok, versions, wrapper};
use crate::util::step;

/// One binary in the cache and how to ask it for its version.
struct Binary {
    name: &'static str,
    version_args: &'static [&'static str],
    expect: String,
}

impl Binary {
    /// True when the cached binary runs and reports the pinned version.
    fn is_current(&self, bin: &Path) -> bool {
        let Ok(out) = Command::new(bin.join(self.name))
            .args(self.version_args)
            .output()
        else {
            return false;
        };
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out.status.success() && text.contains(&self.expect)
    }
}

/// A group of binaries built by one Go invocation sequence.
struct Component {
    name: &'static str,
    binaries: Vec<Binary>,
    build: fn(&Path) -> anyhow::Result<()>,
}

fn components() -> Vec<Component> {
    let k8s = format!("v{}", versions::KUBERNETES);
    let kube = |name| Binary {
        name,
        version_args: &["--version"],
        expect: format!("Kubernetes {k8s}"),
    };
    vec![
        Component {
            name: "Kubernetes (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl)",
            binaries: vec![
                kube("kube-apiserver"),
                kube("kube-controller-manager"),
                kube("kube-scheduler"),
                Binary {
                    name: "kubectl",
                    version_args: &["version", "--client"],
                    expect: format!("Client Version: {k8s}"),
                },
            ],
            build: build_kubernetes,
        },
        Component {
            name: "etcd",
            binaries: vec![Binary {
                name: "etcd",
                version_args: &["--version"],
                expect: format!("etcd Version: {}", versions::ETCD),
            }],
            build: build_etcd,
        },
        Component {
            name: "kwok",
            binaries: vec![Binary {
                name: "kwok",
                version_args: &["--version"],
                expect: format!("v{}", versions::KWOK),
            }],
            build: build_kwok,
        },
        Component {
            name: "helm",
            binaries: vec![Binary {
                name: "helm",
                version_args: &["version", "--short"],
                expect: format!("v{}", versions::HELM),
            }],
            build: build_helm,
        },
    ]
}

/// Build every component that the cache lacks, then assemble the kwok stages.
/// Holds an exclusive lock on `<cache>/build.lock` until dropped.
fn lock_cache(cache: &std::path::Path) -> anyhow::Result<std::fs::File> {
    let path = cache.join("build.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("failed to open {}", path.display()))?;
    if file.try_lock().is_err() {
        step(&format!(
            "another build holds {}; waiting for it to finish",
            path.display()
        ));
        file.lock()
            .with_context(|| format!("failed to lock {}", path.display()))?;
    }
    Ok(file)
}

pub fn build() -> anyhow::Result<()> {
    let toolchain = go::check_toolchain()?;
    let bin = versions::bin_dir();
    std::fs::create_dir_all(&bin).with_context(|| format!("failed to create {}", bin.display()))?;
    // Two builds into one cache (two checkouts, or CI next to a developer) would overwrite each
    // other's wrapper modules and binaries: the second waits for the first, then finds it cached.
    let _lock = lock_cache(&versions::cache_root())?;
    step(&format!(
        "control plane {} in {} ({toolchain})",
        versions::version_key(),
        bin.display()
    ));

    let started = Instant::now();
    let all = components();
    let total = all.len();
    let mut built = Vec::new();
    for (i, component) in all.into_iter().enumerate() {
        let n = i + 1;
        if component.binaries.iter().all(|b| b.is_current(&bin)) {
            step(&format!("[{n}/{total}] {}: cached", component.name));
            continue;
        }
        step(&format!("[{n}/{total}] building {} …", component.name));
        let t = Instant::now();
        (component.build)(&bin)?;
        for binary in &component.binaries {
            if !binary.is_current(&bin) {
                bail!(
                    "{} was built but does not report {}",
                    binary.name,
                    binary.expect
                );
            }
        }
        step(&format!(
            "[{n}/{total}] {} built in {}",
            component.name,
            human(t.elapsed())
        ));
        built.push(component.name);
    }

    if built.is_empty() && versions::stages_file().is_file() {
        return Ok(());
    }
    kwok::assemble_stages()?;
    step(&format!(
        "control plane ready in {}: {} of binaries",
        human(started.elapsed()),
        megabytes(dir_size(&bin)?)
    ));
    Ok(())
}

/// Every version-stamping `-X` flag Kubernetes' own build sets that clients look at.
pub(crate) fn kubernetes_ldflags() -> String {
    let version = format!("v{}", versions::KUBERNETES);
    let minor = versions::kubernetes_minor();
    let mut flags = String::from("-s -w");
    for pkg in [
        "k8s.io/component-base/version",
        "k8s.io/client-go/pkg/version",
    ] {
        flags.push_str(&format!(
            " -X {pkg}.gitVersion={version} -X {pkg}.gitMajor=1 -X {pkg}.gitMinor={minor} -X {pkg}.gitTreeState=clean"
        ));
    }
    flags
}

fn build_kubernetes(bin: &Path) -> anyhow::Result<()> {
    let commands = [
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kubectl",
    ];
    let packages: Vec<String> = commands
        .iter()
        .map(|c| format!("k8s.io/kubernetes/cmd/{c}"))
        .collect();
    let dir = wrapper::generate(&wrapper::Spec {
        name: "kubernetes",
        module: "k8s.io/kubernetes",
        version: format!("v{}", versions::KUBERNETES),
        tools: packages.clone(),
        local_replaces_to: Some(versions::kubernetes_staging_version()),
    })?;
    let what = commands.join(", ");
    step(&format!("    compiling {what}"));
    let took = go_build(&dir, bin, &packages, &kubernetes_ldflags(), &what)?;
    eprintln!("    {what} compiled in {}", human(took));
    Ok(())
}

fn build_etcd(bin: &Path) -> anyhow::Result<()> {
    let package = "go.etcd.io/etcd/server/v3".to_string();
    let dir = wrapper::generate(&wrapper::Spec {
        name: "etcd",
        module: "go.etcd.io/etcd/server/v3",
        version: format!("v{}", versions::ETCD),
        tools: vec![package.clone()],
        // etcd's own replaces point at sibling folders; as a dependency its requirements
        // already name the matching published modules, so they are simply dropped.
        local_replaces_to: None,
    })?;
    step("    compiling etcd");
    let took = go::build(&dir, bin.join("etcd"), &[&package], "-s -w", "etcd")?;
    eprintln!("    etcd compiled in {}", human(took));
    Ok(())
}

fn build_kwok(bin: &Path) -> anyhow::Result<()> {
    // kwok has no replace directives, so a plain `go install pkg@version` works.
    let ldflags = format!(
        "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version={} -X sigs.k8s.io/kwok/pkg/consts.PreRelease=GA",
        versions::KWOK
    );
    go_install(
        bin,
        &format!("sigs.k8s.io/kwok/cmd/kwok@v{}", versions::KWOK),
        &ldflags,
        "kwok",
    )
}

fn build_helm(bin: &Path) -> anyhow::Result<()> {
    let ldflags = format!(
        "-s -w -X helm.sh/helm/v4/internal/version.version=v{}",
        versions::HELM
    );
    go_install(
        bin,
        &format!("helm.sh/helm/v4/cmd/helm@v{}", versions::HELM),
        &ldflags,
        "helm",
    )
}

/// Compile main `packages` of the module in `dir` into `bin`, each binary named after its
/// package's last element. One `go build` for all of them: the linker runs on one core, so the
/// go tool overlaps each link with the other commands' compiles.
pub(crate) fn go_build(
    dir: &Path,
    bin: &Path,
    packages: &[String],
    ldflags: &str,
    what: &str,
) -> anyhow::Result<Duration> {
    std::fs::create_dir_all(bin)?;
    // A trailing separator tells `go build -o` that this is a folder for several binaries.
    let mut out = bin.as_os_str().to_owned();
    out.push("/");
    let packages: Vec<&str> = packages.iter().map(String::as_str).collect();
    go::build(dir, out, &packages, ldflags, what)
}

fn go_install(bin: &Path, target: &str, ldflags: &str, what: &str) -> anyhow::Result<()> {
    // Run outside any module so the target's own go.mod decides every dependency version.
    let neutral = versions::cache_root();
    let took = go::run_with_heartbeat(
        go::go(&neutral).env("GOBIN", bin).args([
            "install",
            "-trimpath",
            "-ldflags",
            ldflags,
            target,
        ]),
        &format!("building {what}"),
    )?;
    eprintln!("    {what} built in {}", human(took));
    Ok(())
}

fn dir_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        total += entry?.metadata()?.len();
    }
    Ok(total)
}

fn megabytes(bytes: u64) -> String {
    format!("{} MB", bytes / 1_000_000)
}
