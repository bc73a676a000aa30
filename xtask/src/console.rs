//! The console's checks, as CI runs them: install exactly the locked packages, then type-check,
//! lint, format check, unit tests, build, the bundle budget, and the API types drift check (the
//! types generated from `server/openapi.json` must match the committed ones).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::bail;

use crate::util::{run_cmd, step, workspace_root};

fn frontend() -> PathBuf {
    workspace_root().join("frontend")
}

fn npm(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    run_cmd(Command::new("npm").args(args).current_dir(dir))
}

/// `npm ci` unless `node_modules` already matches the lockfile.
pub fn install() -> anyhow::Result<()> {
    let dir = frontend();
    if Command::new("npm").arg("--version").output().is_err() {
        bail!("npm is not installed (Node.js 20 or newer is needed for the console)");
    }
    step("installing the console's packages (npm ci)");
    npm(&dir, &["ci", "--no-audit", "--no-fund"])
}

/// Regenerate `frontend/src/api/schema.d.ts` from `server/openapi.json`.
pub fn generate_types() -> anyhow::Result<()> {
    let dir = frontend();
    if !dir.join("node_modules").is_dir() {
        install()?;
    }
    step("writing frontend/src/api/schema.d.ts");
    npm(&dir, &["run", "--silent", "gen:api"])
}

pub fn ci() -> anyhow::Result<()> {
    let dir = frontend();
    install()?;
    step("checking the console: types, lint, format");
    npm(&dir, &["run", "--silent", "typecheck"])?;
    npm(&dir, &["run", "--silent", "lint"])?;
    npm(&dir, &["run", "--silent", "format:check"])?;
    step("checking the console's API types against server/openapi.json");
    let schema = dir.join("src/api/schema.d.ts");
    let committed = std::fs::read(&schema)?;
    npm(&dir, &["run", "--silent", "gen:api"])?;
    let generated = std::fs::read(&schema)?;
    if generated != committed {
        std::fs::write(&schema, committed)?;
        bail!(
            "frontend/src/api/schema.d.ts is out of date with server/openapi.json; run `cargo xtask gen`"
        );
    }
    step("running the console's unit tests (vitest)");
    npm(&dir, &["test"])?;
    step("building the console and checking its bundle budget");
    npm(&dir, &["run", "--silent", "build"])?;
    npm(&dir, &["run", "--silent", "size"])
}
