//! `cargo xtask <verb>`: the single entry point for MoniHub automation.
//!
//! CI runs exactly what a developer runs: `.ci/run` calls `cargo xtask ci`.

mod apifuzz;
mod bench;
mod ci;
mod console;
mod console_e2e;
mod deploy;
mod docker;
mod generate;
mod images;
mod kind;
mod postgres;
mod run;
mod simulate;
mod testenv;
mod tools;
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
    /// Regenerate committed derived files (the OpenAPI document, the CRD and its chart copy, the
    /// console's API types).
    Gen,
    /// Build MoniHub's container images (server, operator, agent, frontend) with Docker; base
    /// images a registry cannot provide are built locally as stand-ins.
    Images(images::ImagesArgs),
    /// The console's browser specs against the server on PostgreSQL behind nginx, with
    /// simulated agents.
    ConsoleE2e(console_e2e::ConsoleE2eArgs),
    /// One deployment check of `ci` on its own (lint, compose).
    #[command(subcommand)]
    Deploy(deploy::Check),
    /// MoniHub on a local kind cluster: `image` (offline node image), `up`, `down`, `e2e`.
    #[command(subcommand)]
    Kind(kind::Command),
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
        Command::Images(args) => images::images(args),
        Command::ConsoleE2e(args) => console_e2e::console_e2e(args),
        Command::Deploy(check) => deploy::dispatch(check),
        Command::Kind(cmd) => kind::dispatch(cmd),
        Command::Testenv(cmd) => testenv::dispatch(cmd),
    }
}
