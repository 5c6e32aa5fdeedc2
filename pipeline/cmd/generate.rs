//! `pingyi generate`: write a deterministic synthetic county to a folder.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use crate::generate::{self, Options, DEFAULT_SCALE};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Random seed: the same seed gives byte-identical files
    #[arg(long, default_value_t = 2012)]
    pub seed: u64,
    /// Output folder: exports go to OUT/inbox/, the answer key to OUT/
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Approximate number of rating rows (the default reproduces the seed's figures)
    #[arg(long, default_value_t = DEFAULT_SCALE)]
    pub scale: u64,
    /// First year of the generated span
    #[arg(long, default_value_t = 2011)]
    pub start_year: i32,
    /// Number of quarters (at least 4)
    #[arg(long, default_value_t = 8)]
    pub quarters: u32,
    /// Plant nothing: no faulty rows, no personal data, no manipulation
    #[arg(long)]
    pub clean: bool,
    /// Keep the planted faults but plant no manipulation (a county the integrity audit should find clean)
    #[arg(long)]
    pub no_manipulation: bool,
}

pub fn run(args: &GenerateArgs, explicit: Option<&Path>) -> Result<()> {
    let loaded = super::load_config(explicit)?;
    let started = Instant::now();
    let opts = Options {
        seed: args.seed,
        out: args.out.clone(),
        scale: args.scale,
        start_year: args.start_year,
        quarters: args.quarters,
        defects: !args.clean,
        manipulation: !(args.clean || args.no_manipulation),
    };
    let summary = generate::run(&loaded.config, &opts)?;
    for f in &summary.files {
        println!(
            "{:>10}  {:<8}  {}",
            f.rows,
            f.kind,
            args.out.join("inbox").join(&f.file).display()
        );
    }
    println!(
        "{} rating rows, {} subjects ({} cadres), {} roster people, {} suggestions, {} planted faults listed in {}, {} planted manipulation cases in {}",
        summary.rating_rows,
        summary.organizations + summary.cadres,
        summary.cadres,
        summary.roster_people,
        summary.suggestions,
        summary.planted_faults,
        args.out.join("EXPECTED-DEFECTS.csv").display(),
        summary.planted_manipulation,
        args.out.join("EXPECTED-INTEGRITY.csv").display()
    );
    eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
