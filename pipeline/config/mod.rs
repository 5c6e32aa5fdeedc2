//! Configuration (`pingyi.toml`, DESIGN §4): every domain rule as data.
//!
//! The built-in defaults (`defaults.toml`, the seed's rules) are the base; a
//! user file merges over them table by table. Discovery: `--config FILE`, else
//! `./pingyi.toml`, else the defaults alone. Relative paths in a file are
//! resolved against the file's folder, so a config works from any cwd.

mod load;
mod model;
mod validate;

pub use load::{discover, load_file, parse_str, ConfigError, ConfigOrigin, Loaded};
pub use model::*;

/// The embedded defaults, also printed by `pingyi config show --defaults`.
pub const DEFAULTS_TOML: &str = include_str!("defaults.toml");
