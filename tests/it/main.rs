//! The one integration test binary: every test runs the real `pingyi` CLI in
//! a temporary folder, as a user would.

mod compute;
mod config;
mod generate;
mod ingest;
mod ledger;
mod metrics_sql;
mod query;
mod report;
mod run;
mod sample;
mod util;
