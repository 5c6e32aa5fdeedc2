//! The command line: global options and one subcommand per file in `cmd/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::cmd;

#[derive(Debug, Parser)]
#[command(
    name = "pingyi",
    version,
    about = "评议 — mass-evaluation analytics: ingest rating exports, compute satisfaction metrics, render reports"
)]
pub struct Cli {
    /// Configuration file (default: ./pingyi.toml if present, else built-in defaults)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show or check configuration
    #[command(subcommand)]
    Config(cmd::config::ConfigCmd),
    /// Generate a synthetic county's rating exports, rosters and ledger
    Generate(cmd::generate::GenerateArgs),
    /// Printable 测评表, the Excel entry template and the device schema for a campaign
    Forms(cmd::forms::FormsArgs),
    /// Ingest rating exports, rosters and ledgers into the warehouse
    Ingest(cmd::ingest::IngestArgs),
    /// Compute the metrics tables from the warehouse
    Compute(cmd::compute::ComputeArgs),
    /// Run SQL over the warehouse
    Query(cmd::query::QueryArgs),
    /// The data dictionary: every table's columns, types and meanings
    Tables(cmd::tables::TablesArgs),
    /// Draw raters per village at the configured ratio (随机抽查), reproducibly
    Sample(cmd::sample::SampleArgs),
    /// The rectification ledger: open, overdue and closed items (with the rate before and after)
    Ledger(cmd::ledger::LedgerArgs),
    /// The 诫勉谈话 cases: who holds the talk, by when, held or not; the case sheet to fill
    Cases(cmd::cases::CasesArgs),
    /// Render the reports: leadership, public notice board, unit cards (HTML, PDF, XLSX, CSV)
    Report(cmd::report::ReportArgs),
    /// The nightly job: ingest the inbox, compute, render; with a lock, a run record and a log
    Run(cmd::run::RunArgs),
    /// Last runs, batches, quarantine by reason, warehouse size, open breaches
    Status(cmd::status::StatusArgs),
    /// Bring a warehouse written by an earlier pingyi up to this one's format
    Migrate(cmd::migrate::MigrateArgs),
}
