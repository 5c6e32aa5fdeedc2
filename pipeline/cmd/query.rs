//! `pingyi query "SQL" | FILE.sql | --name NAME [--param K=V]... | --list`:
//! SQL over the warehouse tables, ad hoc or from the named queries in
//! `queries/`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::query::{self, named, Format};
use crate::warehouse::Warehouse;

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// One SQL statement, or a .sql file; tables: ratings, subjects, raters,
    /// suggestions, suggestions_history, quarantine, batches, runs, and the
    /// metrics tables once computed
    pub sql: Option<String>,
    /// Run the named query queries/NAME.sql
    #[arg(long, value_name = "NAME", conflicts_with = "sql")]
    pub name: Option<String>,
    /// A parameter of the query: --param township=中枢镇 (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub param: Vec<String>,
    /// List the named queries with their descriptions and parameters
    #[arg(long, conflicts_with_all = ["sql", "name"])]
    pub list: bool,
    /// Folder of named queries
    #[arg(long, value_name = "DIR", default_value = "queries")]
    pub queries: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// With --format csv: start with a byte-order mark so Excel shows Chinese
    #[arg(long)]
    pub bom: bool,
}

pub fn run(args: &QueryArgs, explicit: Option<&Path>) -> Result<()> {
    if args.list {
        for q in named::list(&args.queries)? {
            let params: Vec<String> = q.params.iter().map(|(n, m)| format!("{n} ({m})")).collect();
            println!("{:<32} {}", q.name, q.description);
            if !params.is_empty() {
                println!("{:<32}   params: {}", "", params.join(", "));
            }
        }
        return Ok(());
    }
    let sql = statement(args)?;
    let loaded = super::load_config(explicit)?;
    let wh = Warehouse::at(&loaded.config.paths.warehouse);
    let mut df = query::run(&wh, &sql)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    query::write(&mut df, args.format, args.bom, &mut out)
}

/// The SQL to run, with parameters bound.
fn statement(args: &QueryArgs) -> Result<String> {
    let params = args
        .param
        .iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) => Ok((k.trim().to_string(), v.to_string())),
            None => bail!("--param {p}: write it as KEY=VALUE"),
        })
        .collect::<Result<Vec<_>>>()?;
    let q = match (&args.name, &args.sql) {
        (Some(name), _) => named::find(&args.queries, name)?,
        (None, Some(s)) if s.trim_end().ends_with(".sql") && Path::new(s).is_file() => {
            let text = std::fs::read_to_string(s).with_context(|| format!("cannot read {s}"))?;
            named::parse(s, &text)
        }
        (None, Some(s)) => named::Named {
            name: "(command line)".into(),
            description: String::new(),
            params: Vec::new(),
            sql: s.clone(),
        },
        (None, None) => bail!("give a SQL statement, a .sql file, --name NAME or --list"),
    };
    named::bind(&q, &params)
}
