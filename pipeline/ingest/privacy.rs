//! Rater identities never reach the warehouse in clear: each id is replaced
//! by HMAC-SHA256 under a key held in configuration or the environment, so
//! the same person links across files and batches but cannot be looked up
//! without the key.

use anyhow::{bail, Result};
use hmac::{Hmac, KeyInit, Mac};
use polars::prelude::*;
use rayon::prelude::*;

use crate::config::{Config, ConfigError};

/// The key: the environment variable `privacy.rater_key_env` names
/// (`PINGYI_RATER_KEY`), else `privacy.rater_key`. The environment wins, so
/// a key moved out of the file, as the file advises, takes over without
/// editing the file; when both are set and differ, a warning says so.
pub fn key(cfg: &Config) -> Option<Vec<u8>> {
    let env = std::env::var(&cfg.privacy.rater_key_env)
        .ok()
        .filter(|k| !k.is_empty());
    let file = Some(cfg.privacy.rater_key.as_str()).filter(|k| !k.is_empty());
    if let (Some(e), Some(f)) = (&env, file) {
        if e != f {
            eprintln!(
                "warning: the environment variable {} and privacy.rater_key are both set and differ; \
                 using the environment variable's key (remove the other)",
                cfg.privacy.rater_key_env
            );
        }
    }
    env.map(String::into_bytes)
        .or_else(|| file.map(|f| f.as_bytes().to_vec()))
}

/// What the manifest records of the key its rater keys were made with: an
/// HMAC of a fixed text, which tells keys apart without revealing one.
pub fn fingerprint(key: &[u8]) -> String {
    hash(key, "pingyi rater key fingerprint")
}

/// Refuses a key other than the one the warehouse's rater keys were made
/// with (`recorded`): under it the same person would get a new key, and
/// every count of distinct raters would split them in two.
pub fn same_key(
    cfg: &Config,
    key: Option<&[u8]>,
    recorded: Option<&str>,
) -> Result<(), ConfigError> {
    let (Some(key), Some(recorded)) = (key, recorded) else {
        return Ok(());
    };
    if fingerprint(key) == recorded {
        return Ok(());
    }
    let env = &cfg.privacy.rater_key_env;
    Err(ConfigError::Key {
        path: format!("the rater key (environment variable {env}, else privacy.rater_key)"),
        key: "privacy.rater_key".into(),
        message: format!(
            "is not the key this warehouse's rater keys were made with (fingerprint {} in \
             MANIFEST.json); ingesting with it would give the same people new keys and count \
             them twice. Nothing was ingested. Restore the original key in {env} (which wins \
             over privacy.rater_key when both are set). Stored ids are only hashes, so they \
             cannot be re-keyed: a new key needs a new warehouse with every export ingested \
             again",
            recorded
        ),
    })
}

/// HMAC-SHA256 under one key, keyed once: each id then costs two
/// compressions instead of four.
#[derive(Clone)]
pub struct Keyed(Hmac<sha2::Sha256>);

impl Keyed {
    pub fn new(key: &[u8]) -> Keyed {
        Keyed(Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length"))
    }

    /// First 16 bytes of HMAC-SHA256(key, id), hex.
    pub fn hash(&self, id: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(id.as_bytes());
        crate::fsutil::hex(&mac.finalize().into_bytes()[..16])
    }
}

/// First 16 bytes of HMAC-SHA256(key, id), hex.
pub fn hash(key: &[u8], id: &str) -> String {
    Keyed::new(key).hash(id)
}

/// The keyed hash of each id (null stays null), in parallel.
pub fn hash_all(key: &[u8], ids: &StringChunked) -> Series {
    let keyed = Keyed::new(key);
    let ids: Vec<Option<&str>> = ids.iter().collect();
    let hashed: Vec<Option<String>> = ids
        .par_iter()
        .with_min_len(4096)
        .map(|id| id.map(|id| keyed.hash(id.trim())))
        .collect();
    Series::new("hashed".into(), hashed)
}

/// Replaces the clear-id column `from` with its keyed hash named `to`.
/// Each distinct id is hashed once (in parallel); rows look theirs up.
pub fn replace(
    df: &mut DataFrame,
    from: &str,
    to: &str,
    key: Option<&[u8]>,
    cfg: &Config,
) -> Result<()> {
    let ids = df.column(from)?.str()?.clone();
    if ids.null_count() < ids.len() && key.is_none() {
        bail!(no_key(cfg));
    }
    let distinct = ids.unique()?.into_series().drop_nulls();
    let new = hash_all(key.unwrap_or_default(), distinct.str()?);
    let hashed = col(from).replace_strict(
        lit(distinct.with_name("old".into())),
        lit(new.with_name("new".into())),
        Some(lit(NULL).cast(DataType::String)),
        Some(DataType::String),
    );
    *df = std::mem::take(df)
        .lazy()
        .with_column(hashed.alias(to))
        .drop(by_name([from], true, false))
        .collect()?;
    Ok(())
}

/// The dictionary of a coded id column (`piece::Cells::Coded`) hashed; an
/// error when a row has an id and there is no key.
pub fn replace_coded(
    dict: &Series,
    codes: &[u32],
    key: Option<&[u8]>,
    cfg: &Config,
) -> Result<Series> {
    let ids = dict.str()?;
    if key.is_none() {
        let present: Vec<bool> = ids.iter().map(|v| v.is_some()).collect();
        if codes.iter().any(|&c| present[c as usize]) {
            bail!(no_key(cfg));
        }
    }
    Ok(hash_all(key.unwrap_or_default(), ids))
}

fn no_key(cfg: &Config) -> String {
    format!(
        "the input has rater ids but no key to hash them with: set the environment variable {} (or privacy.rater_key) to a secret kept outside the warehouse",
        cfg.privacy.rater_key_env
    )
}
