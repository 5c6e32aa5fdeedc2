//! Exit codes, documented in the README. Scripts and schedulers branch on
//! these, so they never change meaning. A leaf module: the typed errors with
//! a code of their own (configuration, lock, seal) implement `Coded` beside
//! their definitions, and `failure.rs` maps an error to its code.

pub const SUCCESS: u8 = 0;
/// Anything that is not one of the cases below: I/O failure, a bug.
pub const FAILURE: u8 = 1;
/// Bad command line (clap's own code).
pub const USAGE: u8 = 2;
/// Ingest finished; some rows were quarantined (see the quarantine CSV).
pub const QUARANTINED: u8 = 3;
/// Ingest finished; at least one file was refused whole.
pub const REFUSED: u8 = 4;
/// The configuration file is missing, malformed or breaks a rule.
pub const CONFIG: u8 = 5;
/// Another pingyi holds the warehouse lock; nothing was done.
pub const ALREADY_RUNNING: u8 = 6;
/// A file the warehouse manifest lists is missing, truncated or changed.
pub const DAMAGED: u8 = 7;
/// The warehouse is of another format: an older one needs `pingyi
/// migrate`, a newer one a newer pingyi; nothing was done.
pub const FORMAT: u8 = 8;

/// A typed (thiserror) failure of one stage that has an exit code of its
/// own: the configuration's, the warehouse lock's, the warehouse seal's.
pub trait Coded: std::error::Error + Send + Sync + 'static {
    const CODE: u8;
}
