//! The one integration test binary: every test runs the real `pingyi` CLI in
//! a temporary folder, as a user would.

mod calendar;
mod cases;
mod changes;
mod compute;
mod config;
mod county_bodies;
mod evidence;
mod forms;
mod fuzz;
mod generate;
mod hardening;
mod hardening_ingest;
mod hardening_query;
mod ingest;
mod integrity;
mod ledger;
mod long_ids;
mod metrics_sql;
mod migrate;
mod outputs;
mod public_notice;
mod query;
mod report;
mod report_view;
mod run;
mod sample;
mod snapshots;
mod standardized;
mod tables;
mod util;
mod window;
