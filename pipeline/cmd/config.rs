//! `pingyi config show` and `pingyi config check FILE`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Subcommand;

use crate::config::{load_file, DEFAULTS_TOML};

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print the effective configuration as TOML
    Show {
        /// Print the built-in defaults, with their comments, instead
        #[arg(long)]
        defaults: bool,
    },
    /// Validate a configuration file; exit 0 if it is good, 5 with the problem if not
    Check {
        /// The file to check
        file: PathBuf,
    },
}

pub fn run(cmd: &ConfigCmd, explicit: Option<&Path>) -> Result<()> {
    match cmd {
        ConfigCmd::Show { defaults: true } => print!("{DEFAULTS_TOML}"),
        ConfigCmd::Show { defaults: false } => {
            let mut loaded = super::load_config(explicit)?;
            // The rater key is a secret: say that it is set, never what it is.
            if !loaded.config.privacy.rater_key.is_empty() {
                loaded.config.privacy.rater_key = "(set; not shown)".into();
            }
            println!("# effective configuration from {}", loaded.origin);
            print!("{}", toml::to_string(&loaded.config)?);
        }
        ConfigCmd::Check { file } => {
            let loaded = load_file(file)?;
            let c = &loaded.config;
            println!(
                "{}: ok ({} scale levels, {} rater categories, {} org types, {} breach rules, {} sources)",
                file.display(),
                c.scale.len(),
                c.rater_categories.len(),
                c.org_types.len(),
                c.breach.rules.len(),
                c.sources.len()
            );
        }
    }
    Ok(())
}
