//! `pingyi query "SQL" | FILE.sql | --name NAME [--param K=V]... | --list`:
//! SQL over the warehouse tables, ad hoc or from the named queries in
//! `queries/`; with no statement, SQL from standard input or, on a
//! terminal, an interactive session.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::query::{self, named, repl, Format};
use crate::warehouse::Warehouse;

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// One SQL statement, or a .sql file; tables: ratings, subjects, raters,
    /// suggestions, suggestions_history, quarantine, batches, runs, and the
    /// metrics tables once computed (`pingyi tables` describes them). Without it: read SQL from standard
    /// input, or on a terminal start an interactive session
    pub sql: Option<String>,
    /// Run the named query queries/NAME.sql
    #[arg(long, value_name = "NAME", conflicts_with = "sql")]
    pub name: Option<String>,
    /// A parameter of the query: --param township=中枢镇 (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub param: Vec<String>,
    /// Run the named query with the parameters of its `-- example:` line
    #[arg(long, requires = "name", conflicts_with = "param")]
    pub example: bool,
    /// List the named queries with their descriptions and parameters
    #[arg(long, conflicts_with_all = ["sql", "name"])]
    pub list: bool,
    /// Folder of named queries
    #[arg(long, value_name = "DIR", default_value = "queries")]
    pub queries: PathBuf,
    /// Output format [default: from --out's extension, else table]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the result to FILE (atomically) instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// With --format csv: start with a byte-order mark so Excel shows Chinese
    #[arg(long)]
    pub bom: bool,
    /// CSV for programs: leave text starting with = + - @ as it is (by
    /// default such text gets a leading ' so a spreadsheet shows it, never
    /// runs it as a formula)
    #[arg(long)]
    pub raw: bool,
    /// Allow the SQL table functions that read files outside the warehouse
    /// (read_parquet, read_csv, read_ipc, read_json): for a trusted analyst
    #[arg(long)]
    pub allow_files: bool,
    /// Memory the query may use, in MiB (default: three quarters of the
    /// machine's memory); beyond it the query stops with an error
    #[arg(long, value_name = "MIB")]
    pub memory_limit: Option<u64>,
}

pub fn run(args: &QueryArgs, explicit: Option<&Path>) -> Result<()> {
    if args.list {
        return list(&args.queries);
    }
    let format = output_format(args)?;
    let loaded = super::load_config(explicit)?;
    if let Some(path) = &args.out {
        crate::outdir::Protected::new(&loaded.config, &loaded.origin).file("--out", path)?;
    }
    let wh = Warehouse::at(&loaded.config.paths.warehouse);
    let sql = match statement(args)? {
        Some(sql) => sql,
        None if std::io::stdin().is_terminal() => return repl::run(&wh),
        None => {
            let mut sql = String::new();
            std::io::stdin().read_to_string(&mut sql)?;
            sql
        }
    };
    if let Some(bytes) = args
        .memory_limit
        .map(|mib| mib << 20)
        .or_else(query::guard::default_limit)
    {
        query::guard::limit_memory(bytes);
    }
    let mut df = query::run(&wh, &sql, args.allow_files)?;
    let csv = query::CsvOptions {
        bom: args.bom,
        raw: args.raw,
    };
    match &args.out {
        Some(path) => {
            query::write_file(&mut df, format, csv, path)?;
            eprintln!("wrote {} rows to {}", df.height(), path.display());
            Ok(())
        }
        None => query::write(&mut df, format, csv, &mut std::io::stdout().lock()),
    }
}

fn output_format(args: &QueryArgs) -> Result<Format> {
    let format = args
        .format
        .or_else(|| args.out.as_deref().and_then(Format::from_extension))
        .unwrap_or(Format::Table);
    if format == Format::Parquet && args.out.is_none() {
        bail!("--format parquet writes a file: add --out FILE.parquet");
    }
    if args.bom && format != Format::Csv {
        bail!("--bom is for CSV: add --format csv (or --out FILE.csv)");
    }
    if args.raw && format != Format::Csv {
        bail!("--raw is for CSV: add --format csv (or --out FILE.csv)");
    }
    Ok(format)
}

fn list(dir: &Path) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for q in named::list(dir)? {
        writeln!(out, "{:<32} {}", q.name, q.description)?;
        let params: Vec<String> = q.params.iter().map(|(n, m)| format!("{n} ({m})")).collect();
        if !params.is_empty() {
            writeln!(out, "{:<32}   params: {}", "", params.join(", "))?;
        }
        if !q.example.is_empty() {
            let ex: Vec<String> = q
                .example
                .iter()
                .map(|(k, v)| format!("--param {k}={v}"))
                .collect();
            writeln!(
                out,
                "{:<32}   e.g. pingyi query --name {} {}",
                "",
                q.name,
                ex.join(" ")
            )?;
        }
    }
    Ok(())
}

/// The SQL to run, with parameters bound.
fn statement(args: &QueryArgs) -> Result<Option<String>> {
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
            example: Vec::new(),
            sql: s.clone(),
        },
        (None, None) => return Ok(None),
    };
    let params = if args.example {
        q.example.clone()
    } else {
        params
    };
    named::bind(&q, &params).map(Some)
}
