//! The `fakescope` binary: parses the command line and calls the library crates.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;
mod detectors;
mod print;

/// Exit code when some input could not be scanned.
const EXIT_SOME_FAILED: u8 = 1;
/// Exit code when the command could not run at all (bad arguments, missing model, ...).
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if let Some(n) = cli.global.threads {
        // burn-flex runs its kernels on rayon's global pool.
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
        {
            eprintln!("fakescope: warning: cannot set {n} threads: {e}");
        }
    }
    match commands::run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(EXIT_SOME_FAILED),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fakescope: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// `fakescope scan ... | head` closing the pipe early is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
