//! From an error that ended a command to its exit code. The failures with a
//! code of their own are typed errors of their stages (`exit::Coded`:
//! configuration, warehouse lock, warehouse seal); anyhow carries them up
//! through the layers between (ingest, compute and query meet a damaged
//! file deep inside a scan), so this is the one place that looks for them.

use std::error::Error;

use crate::config::ConfigError;
use crate::exit::{self, Coded};
use crate::lock::Busy;
use crate::warehouse::seal::Damaged;
use crate::warehouse::OtherFormat;

/// The exit code for an error that reached `main` (or ended a `run`).
/// The first coded failure in the chain decides; anything else is 1.
pub fn code_for(err: &anyhow::Error) -> u8 {
    err.chain().find_map(code_of).unwrap_or(exit::FAILURE)
}

fn code_of(e: &(dyn Error + 'static)) -> Option<u8> {
    coded::<ConfigError>(e)
        .or_else(|| coded::<Busy>(e))
        .or_else(|| coded::<Damaged>(e))
        .or_else(|| coded::<OtherFormat>(e))
}

fn coded<E: Coded>(e: &(dyn Error + 'static)) -> Option<u8> {
    e.is::<E>().then_some(E::CODE)
}

/// `pingyi query … | head` closing the pipe early: not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use anyhow::Context;

    use super::*;

    /// Each coded failure keeps its code under the context the layers add.
    #[test]
    fn a_coded_failure_under_context_keeps_its_code() {
        let wrapped = |e: anyhow::Error| Err::<(), _>(e).context("while working").unwrap_err();
        let damaged = Damaged {
            path: "wh/x.parquet".into(),
            problem: "truncated".into(),
            derived: false,
        };
        let busy = Busy {
            pid: 1,
            started: String::new(),
            warehouse: String::new(),
            lock: String::new(),
        };
        let config = ConfigError::Syntax {
            path: "pingyi.toml".into(),
            message: "bad".into(),
        };
        assert_eq!(code_for(&wrapped(damaged.into())), exit::DAMAGED);
        assert_eq!(code_for(&wrapped(busy.into())), exit::ALREADY_RUNNING);
        assert_eq!(code_for(&wrapped(config.into())), exit::CONFIG);
        assert_eq!(
            code_for(&wrapped(anyhow::anyhow!("disk full"))),
            exit::FAILURE
        );
    }
}
