//! `cargo xtask images`: MoniHub's container images, built from `docker/*.Dockerfile`.
//!
//! The Dockerfiles name official public base images. A base image missing locally is pulled; when
//! no registry answers, a local stand-in is built under the same tag (`xtask/standins/`, see its
//! README), so the Dockerfiles build unchanged on a machine without registry access.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::docker::{Engine, which};
use crate::util::{cache_dir, run_cmd, step, workspace_root};

/// The images MoniHub ships, each from `docker/<name>.Dockerfile`, tagged `monihub/<name>:<tag>`.
pub const COMPONENTS: [&str; 4] = ["server", "operator", "agent", "frontend"];

/// Label on every stand-in; its value is this revision, so a changed recipe rebuilds them.
const STANDIN_LABEL: &str = "dev.monihub.standin";
const STANDIN_REVISION: &str = "2";

/// The base of every other stand-in.
const DEBIAN: &str = "debian:bookworm-slim";

/// The base images the Dockerfiles name, with the stand-in recipe for each (a folder of
/// `xtask/standins/`), in build order.
const BASES: [(&str, &str); 5] = [
    ("gcr.io/distroless/cc-debian12:nonroot", "distroless-cc"),
    ("rust:1.95-bookworm", "rust"),
    ("node:20-bookworm-slim", "node"),
    ("nginx:1.28-bookworm", "nginx"),
    // Not a base of MoniHub's images: the database of Compose and of the operator's default.
    ("postgres:16", "postgres"),
];

#[derive(clap::Args)]
pub struct ImagesArgs {
    /// The tag of the images.
    #[arg(long, default_value = env!("CARGO_PKG_VERSION"))]
    tag: String,
    /// Which images (default: all).
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(COMPONENTS))]
    components: Vec<String>,
}

pub fn images(args: ImagesArgs) -> anyhow::Result<()> {
    let engine = Engine::connect()?;
    ensure_bases(&engine)?;
    let components: Vec<&str> = if args.components.is_empty() {
        COMPONENTS.to_vec()
    } else {
        args.components.iter().map(String::as_str).collect()
    };
    build(&engine, &args.tag, &components)?;
    for component in components {
        let image = image(component, &args.tag);
        println!("{image}: {:.1} MB", engine.image_size(&image)? as f64 / 1e6);
    }
    Ok(())
}

/// `monihub/<component>:<tag>`.
pub fn image(component: &str, tag: &str) -> String {
    format!("monihub/{component}:{tag}")
}

/// Build MoniHub's images (BuildKit; compiled dependencies stay in the engine's build cache).
pub fn build(engine: &Engine, tag: &str, components: &[&str]) -> anyhow::Result<()> {
    let root = workspace_root();
    for component in components {
        let image = image(component, tag);
        step(&format!("building {image} (docker/{component}.Dockerfile)"));
        run_cmd(
            engine
                .docker()
                .current_dir(&root)
                .args(["build", "--progress=plain", "-f"])
                .arg(format!("docker/{component}.Dockerfile"))
                .args(["-t", &image, "--build-arg"])
                .arg(format!("VERSION={tag}"))
                .arg("."),
        )?;
    }
    Ok(())
}

/// Every base image present: pulled, or a stand-in built.
pub fn ensure_bases(engine: &Engine) -> anyhow::Result<()> {
    let all = std::iter::once(DEBIAN).chain(BASES.iter().map(|(tag, _)| *tag));
    let missing: Vec<&str> = all.filter(|tag| !current(engine, tag)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    // One pull tells whether a registry answers; without one, build every missing stand-in.
    let first = missing[0];
    step(&format!("pulling {first}"));
    let offline = match engine.try_pull(first) {
        Ok(()) => false,
        Err(reason) => {
            step(&format!(
                "no registry answers ({}): building local stand-ins for {}",
                reason.lines().last().unwrap_or_default(),
                missing.join(", ")
            ));
            true
        }
    };
    for tag in missing {
        if !offline && (tag == first || engine.try_pull(tag).is_ok()) {
            continue;
        }
        if tag == DEBIAN {
            debian(engine)?;
        } else {
            let recipe = BASES
                .iter()
                .find(|(t, _)| *t == tag)
                .map(|(_, recipe)| *recipe)
                .expect("every base has a recipe");
            standin(engine, tag, recipe)?;
        }
    }
    Ok(())
}

/// Present, and not an outdated stand-in.
fn current(engine: &Engine, tag: &str) -> bool {
    if !engine.has_image(tag) {
        return false;
    }
    let out = engine
        .docker()
        .args([
            "image",
            "inspect",
            "--format",
            &format!("{{{{ index .Config.Labels \"{STANDIN_LABEL}\" }}}}"),
            tag,
        ])
        .output();
    let label = out
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    // A real image has no label (`<no value>` or empty) and is never replaced.
    label.is_empty() || label == "<no value>" || label == STANDIN_REVISION
}

/// `debian:bookworm-slim` from `debootstrap --variant=minbase`, imported.
fn debian(engine: &Engine) -> anyhow::Result<()> {
    if which("debootstrap").is_none() {
        crate::util::apt_install(&["debootstrap"])?;
    }
    let work = cache_dir().join("standins");
    std::fs::create_dir_all(&work)?;
    let rootfs = tempfile::Builder::new()
        .prefix("debian-")
        .tempdir_in(&work)?;
    let mirror = std::env::var("MONIHUB_DEBIAN_MIRROR")
        .unwrap_or_else(|_| "http://deb.debian.org/debian".to_owned());
    step(&format!(
        "debootstrap bookworm from {mirror} (about 2 minutes)"
    ));
    let log = work.join("debootstrap.log");
    let status = Command::new(which("debootstrap").context("debootstrap is not installed")?)
        .args(["--variant=minbase", "bookworm"])
        .arg(rootfs.path())
        .arg(&mirror)
        .stdout(std::fs::File::create(&log)?)
        .stderr(Stdio::inherit())
        .status()?;
    if !status.success() {
        bail!("debootstrap failed; see {}", log.display());
    }
    for leftover in ["var/cache/apt/archives", "var/lib/apt/lists"] {
        let dir = rootfs.path().join(leftover);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
            std::fs::create_dir_all(&dir)?;
        }
    }
    step(&format!("importing the file system as {DEBIAN}"));
    let mut tar = Command::new("tar")
        .arg("-C")
        .arg(rootfs.path())
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = tar.stdout.take().context("tar has no output")?;
    let status = engine
        .docker()
        .args([
            "import",
            "--change",
            &format!("LABEL {STANDIN_LABEL}={STANDIN_REVISION}"),
            "--change",
            "CMD [\"bash\"]",
            "-",
            DEBIAN,
        ])
        .stdin(stdout)
        .stdout(Stdio::null())
        .status()?;
    if !tar.wait()?.success() || !status.success() {
        bail!("importing the debootstrapped file system failed");
    }
    Ok(())
}

/// Build one stand-in from its recipe folder, adding what it copies from this machine.
fn standin(engine: &Engine, tag: &str, recipe: &str) -> anyhow::Result<()> {
    step(&format!(
        "building the stand-in {tag} (xtask/standins/{recipe})"
    ));
    let context = tempfile::Builder::new()
        .prefix("standin-")
        .tempdir_in(std::env::temp_dir())?;
    let ctx = context.path();
    copy_tree(&workspace_root().join("xtask/standins").join(recipe), ctx)?;
    let mut build_args = Vec::new();
    match recipe {
        "rust" => {
            local_ca(ctx)?;
            let (version, sysroot) = host_rust()?;
            let wanted = tag
                .strip_prefix("rust:")
                .and_then(|t| t.strip_suffix("-bookworm"))
                .unwrap_or_default();
            if !version.starts_with(&format!("{wanted}.")) {
                bail!("the {tag} stand-in needs Rust {wanted} on this machine, found {version}");
            }
            let toolchain = ctx.join("toolchain");
            std::fs::create_dir_all(&toolchain)?;
            for part in ["bin", "lib", "libexec"] {
                if sysroot.join(part).exists() {
                    run_cmd(
                        Command::new("cp")
                            .arg("-a")
                            .arg(sysroot.join(part))
                            .arg(&toolchain),
                    )?;
                }
            }
            build_args.push(format!("RUST_VERSION={version}"));
        }
        "node" => {
            local_ca(ctx)?;
            let node = which("node").context("the node stand-in needs Node.js on this machine")?;
            let version = String::from_utf8(Command::new(&node).arg("--version").output()?.stdout)?;
            let wanted = tag
                .strip_prefix("node:")
                .and_then(|t| t.split('-').next())
                .unwrap_or_default();
            if !version.trim().starts_with(&format!("v{wanted}.")) {
                bail!(
                    "the {tag} stand-in needs Node.js {wanted} on this machine, found {}",
                    version.trim()
                );
            }
            std::fs::copy(std::fs::canonicalize(&node)?, ctx.join("node"))?;
            let root =
                String::from_utf8(Command::new("npm").args(["root", "-g"]).output()?.stdout)?;
            run_cmd(
                Command::new("cp")
                    .arg("-a")
                    .arg(Path::new(root.trim()).join("npm"))
                    .arg(ctx.join("npm")),
            )?;
        }
        _ => {}
    }
    let mut cmd = engine.docker();
    cmd.args(["build", "--quiet", "-t", tag, "--label"])
        .arg(format!("{STANDIN_LABEL}={STANDIN_REVISION}"));
    for arg in build_args {
        cmd.args(["--build-arg", &arg]);
    }
    cmd.arg(ctx).stdout(Stdio::null());
    run_cmd(&mut cmd)
}

/// This machine's local certificate authorities, for stand-ins that download packages (a network
/// may reach the registries only through an intercepting proxy).
fn local_ca(ctx: &Path) -> anyhow::Result<()> {
    let dir = ctx.join("local-ca");
    std::fs::create_dir_all(&dir)?;
    if let Ok(entries) = std::fs::read_dir("/usr/local/share/ca-certificates") {
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "crt") {
                std::fs::copy(&path, dir.join(path.file_name().unwrap_or_default()))?;
            }
        }
    }
    Ok(())
}

/// The version and sysroot of the workspace's Rust toolchain.
fn host_rust() -> anyhow::Result<(String, PathBuf)> {
    let root = workspace_root();
    let version = String::from_utf8(
        Command::new("rustc")
            .current_dir(&root)
            .arg("--version")
            .output()?
            .stdout,
    )?;
    let version = version
        .split_whitespace()
        .nth(1)
        .context("unexpected `rustc --version` output")?
        .to_owned();
    let sysroot = String::from_utf8(
        Command::new("rustc")
            .current_dir(&root)
            .args(["--print", "sysroot"])
            .output()?
            .stdout,
    )?;
    Ok((version, PathBuf::from(sysroot.trim())))
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("no {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `FROM` of every Dockerfile, with `ARG` defaults substituted.
    fn bases_named_in(dockerfile: &Path) -> Vec<String> {
        let text = std::fs::read_to_string(dockerfile).unwrap();
        let mut args = std::collections::HashMap::new();
        let mut stages = Vec::new();
        let mut bases = Vec::new();
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("ARG ") {
                if let Some((name, value)) = rest.split_once('=') {
                    args.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            } else if let Some(rest) = line.strip_prefix("FROM ") {
                let mut words = rest.split_whitespace();
                let mut image = words.next().unwrap().to_owned();
                for (name, value) in &args {
                    image = image.replace(&format!("${{{name}}}"), value);
                }
                if let (Some("AS"), Some(stage)) = (words.next(), words.next()) {
                    stages.push(stage.to_owned());
                }
                if !stages.contains(&image) && image != "scratch" {
                    bases.push(image);
                }
            }
        }
        bases
    }

    #[test]
    fn every_base_image_has_a_stand_in() {
        let root = workspace_root();
        let known: Vec<&str> = std::iter::once(DEBIAN)
            .chain(BASES.iter().map(|(t, _)| *t))
            .collect();
        for component in COMPONENTS {
            let file = root.join(format!("docker/{component}.Dockerfile"));
            for base in bases_named_in(&file) {
                assert!(
                    known.contains(&base.as_str()),
                    "{} names {base}, which has no stand-in",
                    file.display()
                );
            }
        }
        for (_, recipe) in BASES {
            let file = root.join("xtask/standins").join(recipe).join("Dockerfile");
            for base in bases_named_in(&file) {
                assert!(known.contains(&base.as_str()), "{recipe} builds on {base}");
            }
        }
    }

    /// The Rust images share one cached build: their build stages must stay byte-identical.
    #[test]
    fn rust_build_stages_are_identical() {
        let stage = |component: &str| {
            let text = std::fs::read_to_string(
                workspace_root().join(format!("docker/{component}.Dockerfile")),
            )
            .unwrap();
            let start = text.find("FROM rust:").expect("a Rust build stage");
            let end = text[start..].find("\nFROM ").expect("a runtime stage") + start;
            text[start..end].to_owned()
        };
        assert_eq!(stage("server"), stage("operator"));
        assert_eq!(stage("server"), stage("agent"));
    }

    #[test]
    fn rust_stand_in_matches_the_pinned_toolchain() {
        let toolchain =
            std::fs::read_to_string(workspace_root().join("rust-toolchain.toml")).unwrap();
        let channel = toolchain
            .lines()
            .find_map(|l| l.strip_prefix("channel = "))
            .unwrap()
            .trim_matches('"');
        let minor = channel.rsplit_once('.').map_or(channel, |(m, _)| m);
        assert!(
            BASES
                .iter()
                .any(|(tag, _)| *tag == format!("rust:{minor}-bookworm")),
            "the Rust images build with rust:{minor}-bookworm"
        );
    }
}
