//! `monihub-operator`: the controller, and tools around its resource.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
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
    /// Print the manifests the operator would apply for the MoniHub resources in a file, from the
    /// same code the controller runs. Generated secret values and the resource's uid, which
    /// only the cluster knows, are shown as placeholders.
    Render {
        /// The file with one or more MoniHub resources (`-` reads standard input).
        #[arg(short = 'f', long = "filename")]
        file: PathBuf,
        /// Namespace for resources that name none.
        #[arg(short, long, default_value = "default")]
        namespace: String,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crd => print!("{}", monihub_operator::crd_yaml()?),
        Command::Render { file, namespace } => {
            let text = if file.as_os_str() == "-" {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                text
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("failed to read {}", file.display()))?
            };
            print!("{}", monihub_operator::render::render(&text, &namespace)?);
        }
    }
    Ok(())
}
