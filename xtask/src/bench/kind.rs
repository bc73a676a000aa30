//! `cargo xtask bench kind`: MoniHub on kind with real images — time from `kubectl apply` to
//! `Ready`, image sizes, and the memory of the operator, server, nginx and PostgreSQL containers.

use std::fmt::Write as _;

use super::{machine, median, write_section};
use crate::kind;

#[derive(clap::Args)]
pub struct KindArgs {
    /// MoniHub resources applied one after another (the median is reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

pub fn kind(args: KindArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.runs > 0, "--runs must be at least 1");
    let measured = kind::measure(args.runs)?;
    let mut text = String::new();
    writeln!(text, "## Deployment on kind (`cargo xtask bench kind`)\n")?;
    writeln!(
        text,
        "A single-node kind cluster on {} (the offline node image where no registry answers), \
         MoniHub's images built and loaded, the operator installed with its chart. Each run applies \
         `examples/minimal.yaml` under a new name and times `kubectl apply` to the `Ready` \
         condition: the PostgreSQL pod starts on a fresh claim, the migration Job runs the server \
         image, then the server and nginx Deployments become Available through their probes. \
         Memory is the containers' working set from the node's CRI (`crictl stats`) with the \
         resource Ready and idle. Image sizes are those built on the base images at hand: where \
         no registry answers, the local stand-ins of `xtask/standins/` (their Debian base is \
         larger than the official slim images).\n",
        machine()
    )?;
    writeln!(text, "| measurement | value |\n|---|---|")?;
    writeln!(
        text,
        "| apply → Ready, median of {} runs | {:.1} s (runs: {}) |",
        measured.apply_to_ready.len(),
        median(measured.apply_to_ready.clone()),
        measured
            .apply_to_ready
            .iter()
            .map(|s| format!("{s:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    for (image, bytes) in &measured.image_bytes {
        writeln!(text, "| image `{image}` | {:.1} MB |", *bytes as f64 / 1e6)?;
    }
    for (container, bytes) in &measured.memory_bytes {
        writeln!(
            text,
            "| working set of `{container}` | {:.1} MiB |",
            *bytes as f64 / 1_048_576.0
        )?;
    }
    write_section("Deployment on kind", &text)
}
