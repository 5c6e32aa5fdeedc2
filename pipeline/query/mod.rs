//! SQL over the warehouse: every table registered as a lazy scan of its
//! committed files, so a query reads only the columns it names.

pub mod guard;
pub mod named;
mod output;
pub mod repl;
pub mod statement;

use anyhow::{anyhow, bail, Result};
use polars::prelude::*;
use polars::sql::SQLContext;

pub use output::{write, write_file, xlsx, CsvOptions, Format};

use crate::warehouse::{Manifest, Warehouse, TABLES};

/// A SQL context with the warehouse tables and `batches` registered.
pub fn context(wh: &Warehouse, manifest: &Manifest) -> Result<SQLContext> {
    let ctx = SQLContext::new();
    // The registry's tables: the ingested ones always (empty before any
    // ingest), the metrics tables once `pingyi compute` has run.
    for t in crate::compute::tables::catalog() {
        if TABLES.contains(&t.name) || manifest.tables.contains_key(t.name) {
            ctx.register(t.name, wh.scan(manifest, t.name)?);
        }
    }
    ctx.register("batches", batches(manifest)?.lazy());
    ctx.register("runs", crate::warehouse::runs::table(&wh.root)?.lazy());
    Ok(ctx)
}

/// One row per input file of every committed batch.
pub fn batches(m: &Manifest) -> Result<DataFrame> {
    let rows: Vec<(
        &crate::warehouse::BatchRecord,
        &crate::warehouse::FileRecord,
    )> = m
        .batches
        .iter()
        .flat_map(|b| b.files.iter().map(move |f| (b, f)))
        .collect();
    let s = |name: &str,
             f: &dyn Fn(
        &(
            &crate::warehouse::BatchRecord,
            &crate::warehouse::FileRecord,
        ),
    ) -> String|
     -> Column {
        Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into()
    };
    let n = |name: &str,
             f: &dyn Fn(
        &(
            &crate::warehouse::BatchRecord,
            &crate::warehouse::FileRecord,
        ),
    ) -> u64|
     -> Column {
        Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into()
    };
    Ok(DataFrame::new_infer_height(vec![
        Series::new(
            "batch_id".into(),
            rows.iter().map(|r| r.0.id).collect::<Vec<_>>(),
        )
        .into(),
        s("committed_at", &|r| r.0.committed_at.clone()),
        s("file", &|r| r.1.path.clone()),
        s("sha256", &|r| r.1.sha256.clone()),
        s("kind", &|r| r.1.kind.clone().unwrap_or_default()),
        s("status", &|r| r.1.status.as_str().to_string()),
        n("rows", &|r| r.1.rows),
        n("accepted", &|r| r.1.accepted),
        n("quarantined", &|r| r.1.quarantined),
        s("quarantined_by_reason", &|r| {
            serde_json::to_string(&r.1.quarantined_by_reason).unwrap_or_default()
        }),
        s("message", &|r| r.1.message.clone()),
    ])?)
}

/// Runs one statement and returns its result. Table functions and other
/// reads of files outside the warehouse are refused unless `allow_files`,
/// and so is a statement too large to plan (`statement`).
pub fn run(wh: &Warehouse, sql: &str, allow_files: bool) -> Result<DataFrame> {
    read_only(sql)?;
    statement::on_large_stack(|| {
        statement::check(sql, allow_files)?;
        let manifest = wh.manifest()?;
        let mut ctx = context(wh, &manifest)?;
        let names: Vec<String> = ctx.get_tables();
        let lf = ctx.execute(sql).map_err(|e| explain(e, sql, &names))?;
        lf.collect().map_err(|e| explain(e, sql, &names))
    })
}

/// Statements that would change data. polars' SQL accepts `CREATE TABLE`,
/// `DROP` or `TRUNCATE` against its in-memory catalog and reports success,
/// which an analyst would take to mean the warehouse changed; anything else
/// goes to the SQL parser, which names a misspelt keyword's position.
const WRITES: [&str; 12] = [
    "insert", "update", "delete", "create", "drop", "truncate", "alter", "copy", "merge",
    "replace", "attach", "grant",
];

fn read_only(sql: &str) -> Result<()> {
    let first = first_word(sql).to_lowercase();
    if first.is_empty() {
        bail!("the query is empty: give one SELECT (or WITH …) statement");
    }
    if WRITES.contains(&first.as_str()) {
        bail!(
            "`{}` would write: pingyi query only reads (SELECT, WITH, SHOW TABLES, EXPLAIN); \
             the warehouse changes only through `pingyi ingest` and `pingyi compute`",
            first.to_uppercase()
        );
    }
    Ok(())
}

/// The first keyword after comments, whitespace and opening parentheses.
fn first_word(sql: &str) -> &str {
    let mut rest = sql;
    loop {
        let t = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
        if let Some(after) = t.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(after) = t.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
        } else {
            return t.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
        }
    }
}

/// polars' error, without the query plan it appends, with the line of SQL
/// and a caret for syntax errors, and the known tables for an unknown one.
fn explain(e: PolarsError, sql: &str, tables: &[String]) -> anyhow::Error {
    let full = e.to_string();
    let msg = full
        .split("\n\nResolved plan")
        .next()
        .unwrap_or(&full)
        .trim();
    let lower = msg.to_lowercase();
    if lower.contains("not found") && (lower.contains("relation") || lower.contains("table")) {
        return anyhow!(
            "{msg}\nknown tables: {} (metrics tables appear after `pingyi compute`)",
            tables.join(", ")
        );
    }
    if lower.contains("only one) statement") {
        return anyhow!("give one statement at a time (found more than one; drop the extra `;`)");
    }
    match position(msg) {
        Some((line, col)) if lower.contains("parser error") => {
            let text = sql.lines().nth(line.saturating_sub(1)).unwrap_or("");
            let caret = format!(
                "{}^",
                " ".repeat(output::width(
                    &text.chars().take(col.saturating_sub(1)).collect::<String>(),
                ))
            );
            anyhow!("SQL syntax error at line {line}, column {col}: {msg}\n  {text}\n  {caret}")
        }
        _ if lower.contains("parser error") && msg.ends_with("found: EOF") => {
            anyhow!("SQL syntax error at the end of the statement (is something missing?): {msg}")
        }
        _ => anyhow!("{msg}"),
    }
}

/// `… at Line: 3, Column: 14` in a sqlparser message.
fn position(msg: &str) -> Option<(usize, usize)> {
    let after = &msg[msg.find("Line: ")? + 6..];
    let (line, rest) = after.split_once(',')?;
    let col = rest.trim().strip_prefix("Column: ")?;
    let col: String = col.chars().take_while(|c| c.is_ascii_digit()).collect();
    Some((line.trim().parse().ok()?, col.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_pass() {
        assert!(read_only("-- the list\n/* x */ ( select 1)").is_ok());
        assert!(read_only("WITH a as (select 1) select * from a").is_ok());
        for w in [
            "drop table ratings",
            "create table t as select 1",
            "  insert into t values (1)",
            "truncate ratings",
        ] {
            let e = read_only(w).unwrap_err().to_string();
            assert!(e.contains("would write"), "{e}");
        }
        assert!(read_only("-- nothing\n")
            .unwrap_err()
            .to_string()
            .contains("empty"));
    }

    #[test]
    fn positions_from_sqlparser() {
        assert_eq!(
            position("Expected: x, found: selec at Line: 2, Column: 14"),
            Some((2, 14))
        );
        assert_eq!(position("no position"), None);
    }
}
