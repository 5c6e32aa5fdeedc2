//! The interactive session of `pingyi query` on a terminal: statements may
//! span lines and end with `;`, each is answered as an aligned table, and a
//! mistake prints its error and keeps the session. Backslash commands list
//! tables and columns. Line editing and history are the terminal's (run it
//! under `rlwrap` for readline keys and a history file): no dependency on a
//! line-editing crate.

use std::io::{BufRead, Write};

use anyhow::Result;

use super::{run as run_sql, write, Format};
use crate::warehouse::Warehouse;

const HELP: &str = "end a statement with ;   \\t tables   \\d TABLE columns   \\q quit";

pub fn run(wh: &Warehouse) -> Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    writeln!(out, "pingyi query — {}", HELP)?;
    let mut buffer = String::new();
    loop {
        write!(
            out,
            "{}",
            if buffer.is_empty() {
                "pingyi> "
            } else {
                "   ...> "
            }
        )?;
        out.flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            writeln!(out)?;
            return Ok(());
        }
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with('\\') {
            if !command(wh, trimmed, &mut out)? {
                return Ok(());
            }
            continue;
        }
        buffer.push_str(&line);
        if let Some(sql) = buffer.trim_end().strip_suffix(';') {
            answer(wh, sql, &mut out)?;
            buffer.clear();
        }
    }
}

fn answer(wh: &Warehouse, sql: &str, out: &mut dyn Write) -> Result<()> {
    match run_sql(wh, sql, false) {
        Ok(mut df) => write(&mut df, Format::Table, Default::default(), out),
        Err(e) => Ok(writeln!(out, "error: {e:#}")?),
    }
}

/// Runs a backslash command; false means quit.
fn command(wh: &Warehouse, cmd: &str, out: &mut dyn Write) -> Result<bool> {
    let mut words = cmd.split_whitespace();
    match (words.next(), words.next()) {
        (Some("\\q"), _) => return Ok(false),
        (Some("\\t"), _) => answer(wh, "show tables", out)?,
        (Some("\\d"), Some(table)) => describe(wh, table, out)?,
        _ => writeln!(out, "{HELP}")?,
    }
    Ok(true)
}

/// `\d TABLE`: a declared table's columns with type and meaning from the
/// registry; `batches` and `runs`, built from the manifest and the run
/// records, as the query engine sees them.
fn describe(wh: &Warehouse, table: &str, out: &mut dyn Write) -> Result<()> {
    if let Some(t) = crate::compute::tables::catalog()
        .into_iter()
        .find(|t| t.name == table)
    {
        for c in &t.columns {
            writeln!(
                out,
                "{:<24} {:<6} {}",
                c.name,
                c.dtype.to_string(),
                c.meaning
            )?;
        }
        return Ok(());
    }
    // Quoted: a table name is an identifier, never SQL to run.
    let sql = format!("select * from \"{}\" limit 0", table.replace('"', ""));
    match run_sql(wh, &sql, false) {
        Ok(df) => {
            for (name, dtype) in df.schema().iter() {
                writeln!(out, "{name:<24} {dtype}")?;
            }
        }
        Err(e) => writeln!(out, "error: {e:#}")?,
    }
    Ok(())
}
