//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.

use std::process::Command;

use crate::docker::Engine;
use crate::postgres::TestPostgres;
use crate::util::{SERVER_PACKAGES, run_cmd, step, workspace_root};
use crate::{apifuzz, console_e2e, deploy, images, kind, testenv};

#[derive(clap::Args)]
pub struct CiArgs {
    /// Skip the control-plane suites (they build Kubernetes from source on a cold cache).
    #[arg(long)]
    no_control_plane: bool,
    /// Skip what needs a Docker Engine (building the images, Compose, kind).
    #[arg(long)]
    no_docker: bool,
}

pub fn ci(args: CiArgs) -> anyhow::Result<()> {
    let root = workspace_root();
    let cargo = || {
        let mut c = Command::new(env!("CARGO"));
        c.current_dir(&root);
        c
    };

    step("checking formatting (cargo fmt --check)");
    run_cmd(cargo().args(["fmt", "--all", "--", "--check"]))?;

    step("linting (cargo clippy -D warnings)");
    run_cmd(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("building the tests");
    run_cmd(
        cargo()
            .args(["test", "--locked", "--no-run"])
            .args(SERVER_PACKAGES),
    )?;

    // The console first: it needs no database and fails fast on a type or lint error.
    crate::console::ci()?;

    let postgres = TestPostgres::start()?;
    step("running unit tests and API tests on SQLite and PostgreSQL");
    run_cmd(
        cargo()
            .args(["test", "--locked"])
            .args(SERVER_PACKAGES)
            .env("MONIHUB_TEST_POSTGRES_URL", postgres.url()),
    )?;
    // The fuzz run creates its PostgreSQL database in the same throwaway cluster.
    apifuzz::ci(&postgres.url())?;
    // The console in a real browser, behind nginx, on the same throwaway cluster.
    console_e2e::run(&postgres.url(), console_e2e::QUIET_FLEET)?;
    drop(postgres);

    if args.no_control_plane {
        step("skipping the control-plane suites (--no-control-plane)");
    } else {
        // The operator's tests check its nginx site with nginx itself.
        crate::util::ensure_packages("nginx", &["nginx-light"])?;
        testenv::ci_suites()?;
    }

    deploy::lint()?;
    if args.no_docker {
        step("skipping the image and Compose checks (--no-docker)");
    } else {
        let engine = Engine::connect()?;
        images::ensure_bases(&engine)?;
        let tag = env!("CARGO_PKG_VERSION");
        images::build(&engine, tag, &images::COMPONENTS)?;
        deploy::compose_e2e(&engine, tag)?;
        kind::e2e()?;
    }
    step("all checks passed");
    Ok(())
}
