//! `monihub-server`: see `monihub_server::cli` for the commands.

use std::process::ExitCode;

use clap::Parser;
use monihub_server::cli::{Cli, run};

/// jemalloc with background purging: memory freed after a burst (thousands of agents polling at
/// once) goes back to the system within about a second instead of staying with the process. The
/// options are compiled in (`JEMALLOC_SYS_WITH_MALLOC_CONF` in `.cargo/config.toml`; a test
/// checks the binary carries them); `_RJEM_MALLOC_CONF` overrides them at run time.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: failed to start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
