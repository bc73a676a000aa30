//! `cargo xtask <verb>`: the single entry point for MoniHub automation.
//!
//! CI runs exactly what a developer runs: `.ci/run` calls `cargo xtask ci`.

mod apifuzz;
mod bench;
mod ci;
mod console;
mod generate;
mod postgres;
mod run;
mod simulate;
mod testenv;
mod util;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "MoniHub automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build and run MoniHub in embedded mode (SQLite, no containers) on http://localhost:9080.
    Run(run::RunArgs),
    /// Run every check CI runs: formatting, lints, unit tests, API tests and API fuzzing on
    /// PostgreSQL and SQLite, and the control-plane suites.
    Ci(ci::CiArgs),
    /// Fuzz the HTTP API with Schemathesis against its OpenAPI document, on SQLite and
    /// PostgreSQL, without and with an admin token.
    Apifuzz(apifuzz::ApifuzzArgs),
    /// Benchmarks (`server`: report ingestion and instance listing); results go to BENCHMARKS.md.
    Bench(bench::BenchArgs),
    /// Simulate a fleet of agents against a running server (token from MONIHUB_AGENT_TOKEN).
    Simulate(simulate::SimulateArgs),
    /// Regenerate committed derived files (the OpenAPI document).
    Gen,
    /// Build, start and stop the local Kubernetes control plane used by the operator tests.
    #[command(subcommand)]
    Testenv(testenv::Command),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run(args) => run::run(args),
        Command::Ci(args) => ci::ci(args),
        Command::Apifuzz(args) => apifuzz::apifuzz(args),
        Command::Simulate(args) => simulate::simulate(args),
        Command::Bench(args) => bench::bench(args),
        Command::Gen => generate::generate(),
        Command::Testenv(cmd) => testenv::dispatch(cmd),
    }
}
