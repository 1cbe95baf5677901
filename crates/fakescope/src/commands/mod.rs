//! One file per subcommand.

use anyhow::Result;

use crate::cli::{Cli, Command};

pub mod bench;
pub mod calibrate;
pub mod eval;
pub mod eval_localization;
pub mod keys;
pub mod models;
pub mod prepare;
pub mod scan;
pub mod serve;
pub mod submit;
pub mod train;

/// Runs the parsed command; `Ok(false)` means it ran but some input failed.
pub fn run(cli: &Cli) -> Result<bool> {
    match &cli.command {
        Command::Scan(args) => scan::run(&cli.global, args),
        Command::Models { command } => models::run(&cli.global, command),
        Command::Eval(args) => eval::run(&cli.global, args),
        Command::EvalLocalization(args) => eval_localization::run(&cli.global, args),
        Command::Calibrate { command } => calibrate::run(&cli.global, command),
        Command::Prepare(args) => prepare::run(&cli.global, args),
        Command::Train(args) => train::run(&cli.global, args),
        Command::Serve(args) => serve::run(&cli.global, args),
        Command::Bench(args) => bench::run(&cli.global, args),
        Command::Worker(args) => serve::run_worker(&cli.global, args),
        Command::Keys { command } => keys::run(command),
    }
}
