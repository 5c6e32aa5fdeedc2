//! The `pingyi` binary: parse the command line, dispatch, map errors to the
//! documented exit codes. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;
use pingyi::cli::{Cli, Command};
use pingyi::{cmd, exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = cli.config.as_deref();
    let result = match &cli.command {
        Command::Config(c) => cmd::config::run(c, config),
        Command::Generate(g) => cmd::generate::run(g, config),
    };
    match result {
        Ok(()) => ExitCode::from(exit::SUCCESS),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit::code_for(&err))
        }
    }
}
