//! `monihub-operator`: the controller, and tools around its resource.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "monihub-operator", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the MoniHub CustomResourceDefinition (YAML).
    Crd,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crd => print!("{}", monihub_operator::crd_yaml()?),
    }
    Ok(())
}
