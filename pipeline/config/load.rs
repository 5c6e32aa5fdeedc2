//! Finding, reading, merging and checking a configuration file.

use std::path::{Path, PathBuf};

use super::{model::Config, validate, DEFAULTS_TOML};

/// Where the effective configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    File(PathBuf),
    Defaults,
}

impl std::fmt::Display for ConfigOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigOrigin::File(p) => write!(f, "{}", p.display()),
            ConfigOrigin::Defaults => f.write_str("built-in defaults"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub origin: ConfigOrigin,
}

/// A configuration problem. Each names the file and, where there is one, the
/// key, and says what is allowed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not valid TOML: {message}")]
    Syntax { path: String, message: String },
    #[error("{path}: key `{key}`: {message}")]
    Key {
        path: String,
        key: String,
        message: String,
    },
}

impl crate::exit::Coded for ConfigError {
    const CODE: u8 = crate::exit::CONFIG;
}

/// `--config FILE`, else `./pingyi.toml` in `cwd`, else the built-in defaults
/// with paths relative to `cwd`.
pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Loaded, ConfigError> {
    if let Some(path) = explicit {
        return load_file(path);
    }
    let local = cwd.join("pingyi.toml");
    if local.is_file() {
        return load_file(&local);
    }
    let config = parse_str("", "built-in defaults", cwd)?;
    Ok(Loaded {
        config,
        origin: ConfigOrigin::Defaults,
    })
}

pub fn load_file(path: &Path) -> Result<Loaded, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: shown.clone(),
        source,
    })?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let config = parse_str(&text, &shown, base)?;
    Ok(Loaded {
        config,
        origin: ConfigOrigin::File(path.to_path_buf()),
    })
}

/// Parses `text` (named `origin` in messages) over the defaults, checks every
/// rule, and resolves relative paths against `base`.
pub fn parse_str(text: &str, origin: &str, base: &Path) -> Result<Config, ConfigError> {
    let user: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Syntax {
            path: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
    let mut merged: toml::Table = DEFAULTS_TOML
        .parse()
        .expect("built-in defaults.toml is valid TOML (checked by tests)");
    merge(&mut merged, user);
    let mut config: Config =
        serde_path_to_error::deserialize(merged).map_err(|e| ConfigError::Key {
            path: origin.to_string(),
            key: display_key(&e.path().to_string()),
            message: e.inner().message().trim_end().to_string(),
        })?;
    validate::check(&config).map_err(|(key, message)| ConfigError::Key {
        path: origin.to_string(),
        key,
        message,
    })?;
    resolve_paths(&mut config, base);
    Ok(config)
}

/// Tables merge key by key; any other value (arrays included) replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// serde_path_to_error writes `.` for the root; say so plainly.
fn display_key(path: &str) -> String {
    if path == "." || path.is_empty() {
        "(top level)".to_string()
    } else {
        path.to_string()
    }
}

fn resolve_paths(config: &mut Config, base: &Path) {
    for p in [
        &mut config.paths.inbox,
        &mut config.paths.warehouse,
        &mut config.paths.reports,
        &mut config.calendar.file,
    ] {
        if p.is_relative() && !p.as_os_str().is_empty() {
            *p = base.join(&*p);
        }
    }
}
