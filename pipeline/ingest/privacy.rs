//! Rater identities never reach the warehouse in clear: each id is replaced
//! by HMAC-SHA256 under a key held in configuration or the environment, so
//! the same person links across files and batches but cannot be looked up
//! without the key.

use anyhow::{bail, Result};
use hmac::{Hmac, KeyInit, Mac};
use polars::prelude::{Column, DataFrame, IntoColumn, NamedFrom, Series};
use rayon::prelude::*;

use crate::config::Config;

/// The key: `privacy.rater_key`, else the environment variable it names.
pub fn key(cfg: &Config) -> Option<Vec<u8>> {
    if !cfg.privacy.rater_key.is_empty() {
        return Some(cfg.privacy.rater_key.as_bytes().to_vec());
    }
    std::env::var(&cfg.privacy.rater_key_env)
        .ok()
        .filter(|k| !k.is_empty())
        .map(String::into_bytes)
}

/// First 16 bytes of HMAC-SHA256(key, id), hex.
pub fn hash(key: &[u8], id: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    crate::fsutil::hex(&mac.finalize().into_bytes()[..16])
}

/// Replaces the clear-id column `from` with its keyed hash named `to`.
pub fn replace(
    df: &mut DataFrame,
    from: &str,
    to: &str,
    key: Option<&[u8]>,
    cfg: &Config,
) -> Result<()> {
    let ids = df.column(from)?.str()?.clone();
    if ids.null_count() < ids.len() && key.is_none() {
        bail!(
            "the input has rater ids but no key to hash them with: set the environment variable {} (or privacy.rater_key) to a secret kept outside the warehouse",
            cfg.privacy.rater_key_env
        );
    }
    let key = key.unwrap_or_default();
    // HMAC is the costliest step of ingest per row: spread it over the cores.
    let values: Vec<Option<&str>> = ids.iter().collect();
    let hashed: Vec<Option<String>> = values
        .par_iter()
        .with_min_len(4096)
        .map(|v| v.map(|id| hash(key, id.trim())))
        .collect();
    let col: Column = Series::new(to.into(), hashed).into_column();
    df.drop_in_place(from)?;
    df.with_column(col)?;
    Ok(())
}
