//! Exit codes, documented in the README. Scripts and schedulers branch on
//! these, so they never change meaning.

use crate::config::ConfigError;

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

/// The exit code for an error that reached `main`.
pub fn code_for(err: &anyhow::Error) -> u8 {
    if err
        .chain()
        .any(|e| e.downcast_ref::<ConfigError>().is_some())
    {
        CONFIG
    } else if err
        .chain()
        .any(|e| e.downcast_ref::<crate::lock::Busy>().is_some())
    {
        ALREADY_RUNNING
    } else if err.chain().any(|e| {
        e.downcast_ref::<crate::warehouse::seal::Damaged>()
            .is_some()
    }) {
        DAMAGED
    } else {
        FAILURE
    }
}
