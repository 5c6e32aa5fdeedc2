//! The `pingyi` binary: parse the command line, dispatch, map errors to the
//! documented exit codes. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;
use pingyi::cli::{Cli, Command};
use pingyi::{cmd, exit, failure};

/// The system allocator; under `query`'s memory limit a refused allocation
/// ends the process with a clean error instead of an abort.
#[global_allocator]
static ALLOCATOR: pingyi::query::guard::Allocator = pingyi::query::guard::Allocator;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = cli.config.as_deref();
    let result = match &cli.command {
        Command::Config(c) => cmd::config::run(c, config).map(|()| exit::SUCCESS),
        Command::Generate(g) => cmd::generate::run(g, config).map(|()| exit::SUCCESS),
        Command::Forms(f) => cmd::forms::run(f, config).map(|()| exit::SUCCESS),
        Command::Ingest(i) => cmd::ingest::run(i, config),
        Command::Compute(c) => cmd::compute::run(c, config).map(|()| exit::SUCCESS),
        Command::Query(q) => cmd::query::run(q, config).map(|()| exit::SUCCESS),
        Command::Tables(t) => cmd::tables::run(t).map(|()| exit::SUCCESS),
        Command::Report(r) => cmd::report::run(r, config).map(|()| exit::SUCCESS),
        Command::Ledger(l) => cmd::ledger::run(l, config).map(|()| exit::SUCCESS),
        Command::Cases(c) => cmd::cases::run(c, config).map(|()| exit::SUCCESS),
        Command::Sample(s) => cmd::sample::run(s, config).map(|()| exit::SUCCESS),
        Command::Run(r) => cmd::run::run(r, config),
        Command::Status(s) => cmd::status::run(s, config),
        Command::Migrate(m) => cmd::migrate::run(m, config).map(|()| exit::SUCCESS),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) if failure::is_broken_pipe(&err) => ExitCode::from(exit::SUCCESS),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(failure::code_for(&err))
        }
    }
}
