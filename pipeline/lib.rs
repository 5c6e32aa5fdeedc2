//! pingyi (评议): batch analytics and reporting for mass evaluation of party
//! organizations and cadres. Each stage is a module; each subcommand has a
//! file under `cmd/`; `main.rs` only dispatches.

pub mod calendar;
pub mod cli;
pub mod cmd;
pub mod compute;
pub mod config;
pub mod contract;
pub mod csvsafe;
pub mod dates;
pub mod exit;
pub mod failure;
pub mod forms;
pub mod fsutil;
pub mod generate;
pub mod headers;
pub mod ingest;
pub mod ledger;
pub mod lock;
pub mod outdir;
pub mod overdue;
pub mod periods;
pub mod query;
pub mod render;
pub mod report;
pub mod rng;
pub mod run;
pub mod sample;
pub mod sheet;
pub mod stats;
pub mod text;
pub mod warehouse;
