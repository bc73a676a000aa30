//! `cargo xtask apifuzz`: property-based fuzzing of the HTTP API with Schemathesis, driven by the
//! OpenAPI document the server itself serves.
//!
//! For each database (SQLite and PostgreSQL) a freshly built server starts on an empty database
//! with secrets made for this run, and Schemathesis runs twice against it: without a token and
//! with the bootstrap admin's token. Any 5xx, undocumented status code or content type, or body
//! that does not match its schema fails the run. The number of test cases and the seed are
//! fixed, so a run takes the same time and sends the same requests every time. See
//! `docs/api-fuzzing.md`.

pub(crate) mod database;
mod http;
mod schemathesis;
pub(crate) mod server;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::postgres::TestPostgres;
use crate::util::{step, workspace_root};
use database::{Backend, FreshDatabase};
use schemathesis::{Caller, Invocation, Schemathesis};
use server::{RunningServer, Secrets};

/// Test cases per operation and phase: enough to reach past the first validation error of
/// every field, few enough for both databases to finish in two to three minutes on two cores.
const DEFAULT_EXAMPLES: u32 = 50;
/// Any fixed value keeps runs reproducible; change it to look elsewhere.
const DEFAULT_SEED: u64 = 1;

#[derive(clap::Args)]
pub struct ApifuzzArgs {
    /// A PostgreSQL server whose user may create databases, as the URL of its maintenance
    /// database (e.g. postgres://postgres@127.0.0.1:5432/postgres). Without it a throwaway
    /// cluster is started, as in `cargo xtask ci`.
    #[arg(long, env = "MONIHUB_TEST_POSTGRES_URL", hide_env_values = true)]
    postgres_url: Option<String>,
    /// Fuzz on this database only (default: both).
    #[arg(long, value_enum)]
    database: Option<Backend>,
    /// Test cases per API operation and test phase.
    #[arg(long, default_value_t = DEFAULT_EXAMPLES, value_parser = clap::value_parser!(u32).range(1..))]
    examples: u32,
    /// Seed for generating test cases.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
}

/// How much to fuzz.
struct Plan {
    examples: u32,
    seed: u64,
}

pub fn apifuzz(args: ApifuzzArgs) -> anyhow::Result<()> {
    let backends = match args.database {
        Some(backend) => vec![backend],
        None => vec![Backend::Sqlite, Backend::Postgres],
    };
    let plan = Plan {
        examples: args.examples,
        seed: args.seed,
    };
    // Stopped when dropped, after fuzzing.
    let throwaway = match args.postgres_url {
        None if backends.contains(&Backend::Postgres) => Some(TestPostgres::start()?),
        _ => None,
    };
    let postgres_url = args
        .postgres_url
        .or_else(|| throwaway.as_ref().map(TestPostgres::url));
    fuzz(&plan, &backends, postgres_url.as_deref())
}

/// What `cargo xtask ci` runs: both databases, the default size and seed. `postgres_url` is the
/// maintenance database of CI's throwaway cluster.
pub fn ci(postgres_url: &str) -> anyhow::Result<()> {
    let plan = Plan {
        examples: DEFAULT_EXAMPLES,
        seed: DEFAULT_SEED,
    };
    fuzz(
        &plan,
        &[Backend::Sqlite, Backend::Postgres],
        Some(postgres_url),
    )
}

fn fuzz(plan: &Plan, backends: &[Backend], postgres_url: Option<&str>) -> anyhow::Result<()> {
    let binary = server::build()?;
    let schemathesis = Schemathesis::ensure_installed()?;
    // The databases are fuzzed at the same time, each by its own server and Schemathesis
    // process: one Schemathesis keeps about one core busy, so on two cores this nearly halves
    // the wall time. Each report is printed whole when its run ends.
    let outcomes: Vec<(Backend, anyhow::Result<Vec<String>>, Duration)> =
        std::thread::scope(|scope| {
            let runs: Vec<_> = backends
                .iter()
                .map(|&backend| {
                    let (binary, schemathesis) = (&binary, &schemathesis);
                    scope.spawn(move || {
                        let started = Instant::now();
                        let failures =
                            fuzz_backend(plan, backend, binary, schemathesis, postgres_url)
                                .with_context(|| format!("failed to fuzz the API on {backend}"));
                        (backend, failures, started.elapsed())
                    })
                })
                .collect();
            runs.into_iter()
                .map(|run| run.join().expect("a fuzzing thread panicked"))
                .collect()
        });
    let mut failed = Vec::new();
    let mut timings = Vec::new();
    let mut errors = Vec::new();
    for (backend, outcome, took) in outcomes {
        timings.push(format!("{backend} {}", seconds(took)));
        match outcome {
            Ok(failures) => failed.extend(failures),
            Err(error) => errors.push(error),
        }
    }
    step(&format!("API fuzzing took {}", timings.join(", ")));
    if let Some(error) = errors.into_iter().next() {
        return Err(error);
    }
    if !failed.is_empty() {
        bail!(
            "API fuzzing found failures: {} (reports above; server logs and Schemathesis files in {})",
            failed.join("; "),
            output_root().display()
        );
    }
    step("API fuzzing found no failures");
    Ok(())
}

/// Fuzz one database with every caller; returns the scenarios that failed.
fn fuzz_backend(
    plan: &Plan,
    backend: Backend,
    binary: &Path,
    schemathesis: &Schemathesis,
    postgres_url: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    let dir = output_root().join(backend.to_string());
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("failed to clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;

    // Declared before the server, so it is dropped after the server has stopped.
    let database = FreshDatabase::create(backend, postgres_url)?;
    let secrets = Secrets::generate()?;
    let mut server =
        RunningServer::start(binary, database.url(), &secrets, &dir.join("server.log"))?;
    step(&format!(
        "starting the server on {backend} at {}",
        server.base_url()
    ));
    server.wait_ready()?;
    // Signed in before any fuzzing, so sign-in attempts the fuzzer makes (and the lockout
    // they may trigger) cannot keep the signed-in run from starting.
    let session = server.sign_in("admin", &secrets.admin_password)?;

    let mut failed = Vec::new();
    for caller in Caller::ALL {
        let scenario = format!("{backend} {caller}");
        step(&format!("fuzzing the API on {scenario}"));
        let base_url = server.base_url();
        let invocation = Invocation {
            base_url: &base_url,
            caller,
            examples: plan.examples,
            seed: plan.seed,
            dir: &dir.join(caller.slug()),
        };
        let mut passed = schemathesis.run(&invocation, &scenario, &session)?;
        server.ensure_running()?;
        if caller == Caller::Admin && !server.session_is_valid(&session)? {
            // A new way for the API to end the caller's own session: the requests after it
            // were answered 401, so most of this run tested nothing. Exclude or hook it.
            eprintln!(
                "the signed-in run ended its own session part-way; see SESSION_ENDING_OPERATIONS \
                 and hooks.py in xtask/src/apifuzz/"
            );
            passed = false;
        }
        if !passed {
            eprintln!(
                "--- last lines of the server log ({}) ---\n{}",
                dir.join("server.log").display(),
                server.log_tail(30)
            );
            failed.push(scenario);
        }
    }
    Ok(failed)
}

/// `target/apifuzz`: server logs and Schemathesis' own files (crash files for `st replay`).
fn output_root() -> PathBuf {
    workspace_root().join("target").join("apifuzz")
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs())
}
