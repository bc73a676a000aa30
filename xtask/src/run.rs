//! `cargo xtask run`: MoniHub on a laptop, no containers. SQLite in `./data`, migrations applied,
//! the first admin created (password printed once), server on http://localhost:9080.

use std::process::Command;

use crate::util::{run_cmd, step, workspace_root};

#[derive(clap::Args)]
pub struct RunArgs {
    /// Build with optimisations.
    #[arg(long)]
    release: bool,
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let root = workspace_root();
    let data = root.join("data");
    std::fs::create_dir_all(&data)?;

    let frontend = root.join("frontend");
    let static_dir = frontend.join("dist");
    if frontend.join("package.json").exists() {
        step("building the console (npm ci && npm run build)");
        run_cmd(Command::new("npm").arg("ci").current_dir(&frontend))?;
        run_cmd(
            Command::new("npm")
                .args(["run", "build"])
                .current_dir(&frontend),
        )?;
    }

    step("building and starting the server in embedded mode");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(&root)
        .args(["run", "--locked", "-p", "monihub-server"]);
    if args.release {
        cmd.arg("--release");
    }
    cmd.args(["--", "serve", "--migrate"])
        .env("MONIHUB_MODE", "embedded")
        .env(
            "MONIHUB_DATABASE_URL",
            std::env::var("MONIHUB_DATABASE_URL")
                .unwrap_or_else(|_| format!("sqlite://{}/monihub.db?mode=rwc", data.display())),
        )
        .env(
            "MONIHUB_BIND",
            std::env::var("MONIHUB_BIND").unwrap_or_else(|_| "127.0.0.1:9080".into()),
        )
        .env(
            "MONIHUB_LOG_FORMAT",
            std::env::var("MONIHUB_LOG_FORMAT").unwrap_or_else(|_| "pretty".into()),
        );
    if static_dir.join("index.html").exists() {
        cmd.env("MONIHUB_STATIC_DIR", &static_dir);
    }
    run_cmd(&mut cmd)
}
