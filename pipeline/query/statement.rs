//! The statement `pingyi query` runs, checked on its parse tree before
//! polars plans it: no table function (every one reads a file named in the
//! query, outside the warehouse) and no function that reads files, unless
//! the analyst is trusted with them (`--allow-files`); and a bounded size,
//! because polars' planner recurses over the tree and a chain of 10,000
//! terms or 2,000 `UNION ALL` branches would overflow the stack and abort.
//!
//! The tree comes from the parser polars itself uses (sqlparser,
//! GenericDialect, polars' options), so what is checked is what runs:
//! quoting (`"read_csv"`, `` `read_csv` ``), comments between the name and
//! its parenthesis, case and schema qualifiers (`read_csv.x`, polars reads
//! the first part) are all gone from a name by the time it is looked at.

use std::ops::ControlFlow;

use anyhow::{anyhow, Result};
use sqlparser::ast::{
    Expr, ObjectName, ObjectNamePart, Query, Select, TableFactor, Visit, Visitor,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserOptions};

/// The stack a statement is parsed, checked, planned and dropped on. The
/// limits below keep polars far inside it; the tree of a statement over
/// the limits is as deep as it is long, and walking it to find that out
/// needs room too. Address space only: pages are touched as used.
const STACK: usize = 64 << 20;

/// Expressions and subqueries nested deeper than this are refused: a chain
/// of operators (`a OR b OR …`) nests one level per term.
const MAX_DEPTH: usize = 200;

/// SELECTs (UNION branches, subqueries, CTEs) and tables in one statement.
const MAX_PARTS: usize = 200;

/// Runs `f` on a thread with a stack large enough for any statement the
/// limits let through, and for checking one that they do not.
pub fn on_large_stack<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("query".into())
            .stack_size(STACK)
            .spawn_scoped(s, f)
            .map_err(|e| anyhow!("cannot start the query thread: {e}"))?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Refuses a statement over the size limits or, unless `allow_files`,
/// reading files. A statement that does not parse passes: polars parses it
/// again and reports the syntax error with its position.
pub fn check(sql: &str, allow_files: bool) -> Result<()> {
    let parsed = Parser::new(&GenericDialect)
        .with_options(ParserOptions {
            trailing_commas: true,
            ..Default::default()
        })
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements());
    let Ok(statements) = parsed else {
        return Ok(());
    };
    let mut walker = Walker {
        allow_files,
        depth: 0,
        parts: 0,
    };
    match statements.visit(&mut walker) {
        ControlFlow::Break(refusal) => Err(anyhow!(refusal)),
        ControlFlow::Continue(()) => Ok(()),
    }
}

struct Walker {
    allow_files: bool,
    depth: usize,
    parts: usize,
}

impl Walker {
    fn enter(&mut self) -> ControlFlow<String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return ControlFlow::Break(format!(
                "the statement nests more than {MAX_DEPTH} levels deep (a long chain of \
                 operators such as `a OR b OR …`, or subqueries within subqueries); \
                 pingyi query takes at most {MAX_DEPTH}: write a list as `x IN (…)`, \
                 or split the statement"
            ));
        }
        ControlFlow::Continue(())
    }

    fn part(&mut self) -> ControlFlow<String> {
        self.parts += 1;
        if self.parts > MAX_PARTS {
            return ControlFlow::Break(format!(
                "the statement has more than {MAX_PARTS} SELECTs and tables (UNION \
                 branches, subqueries, CTEs and joined tables together); pingyi query \
                 takes at most {MAX_PARTS}: split it into several queries"
            ));
        }
        ControlFlow::Continue(())
    }
}

impl Visitor for Walker {
    type Break = String;

    fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<String> {
        self.enter()
    }

    fn post_visit_query(&mut self, _: &Query) -> ControlFlow<String> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, _: &Select) -> ControlFlow<String> {
        self.part()
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
        self.enter()?;
        match expr {
            Expr::Function(f) if !self.allow_files && reads_files(&f.name) => {
                ControlFlow::Break(refusal(&f.name))
            }
            _ => ControlFlow::Continue(()),
        }
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<String> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<String> {
        let computed = name
            .0
            .iter()
            .any(|p| matches!(p, ObjectNamePart::Function(_)));
        if computed && !self.allow_files {
            return ControlFlow::Break(format!(
                "`{name}` computes a table's name with a function; pingyi query reads \
                 the warehouse tables by name (SHOW TABLES lists them)"
            ));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<String> {
        self.part()?;
        if self.allow_files {
            return ControlFlow::Continue(());
        }
        match factor {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            }
            | TableFactor::Function { name, .. } => ControlFlow::Break(refusal(name)),
            TableFactor::TableFunction { .. }
            | TableFactor::JsonTable { .. }
            | TableFactor::OpenJsonTable { .. }
            | TableFactor::XmlTable { .. } => ControlFlow::Break(format!(
                "`{factor}` is a table function; {}",
                ONLY_WAREHOUSE
            )),
            _ => ControlFlow::Continue(()),
        }
    }
}

const ONLY_WAREHOUSE: &str = "table functions read files named in the query, outside the \
     warehouse (read_csv, read_parquet, …), and pingyi query refuses them: it reads only \
     the warehouse tables (SHOW TABLES lists them); a trusted analyst may add --allow-files";

fn refusal(name: &ObjectName) -> String {
    format!(
        "`{}(…)` is a table function; {ONLY_WAREHOUSE}",
        normalized(name)
    )
}

/// A name as the engine resolves it: unquoted, lower case, parts joined by dots.
fn normalized(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.to_lowercase(),
            ObjectNamePart::Function(f) => f.to_string().to_lowercase(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A scalar function reading a file, in polars or in the engines the SQL
/// is kept portable to (DuckDB `read_text`, PostgreSQL `pg_read_file`): in
/// any part of its name, since polars resolves a qualified name by one part.
fn reads_files(name: &ObjectName) -> bool {
    normalized(name).split('.').any(|part| {
        part.starts_with("read_")
            || part.starts_with("scan_")
            || [
                "pg_read_file",
                "pg_read_binary_file",
                "load_file",
                "lo_import",
            ]
            .contains(&part)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(sql: &str) -> Option<String> {
        on_large_stack(|| Ok(check(sql, false).err().map(|e| e.to_string()))).unwrap()
    }

    #[test]
    fn table_functions_are_refused_however_the_name_is_written() {
        for sql in [
            "select * from read_parquet('/etc/passwd')",
            "SELECT * FROM READ_CSV ('x.csv')",
            "select * from \"read_json\"('x')",
            "select * from `read_csv`('../outside.csv')",
            "select * from read_csv/**/('x')",
            "select * from read_csv.x('x')",
            "select * from \"read_csv\".\"y\"('x')",
            "select * from generate_series(1, 3)",
            "with a as (select 1) select * from a join read_ipc('y') on true",
            "select * from ratings where rating in (select * from read_csv('x'))",
            "select read_text('x')",
        ] {
            let e = refused(sql).unwrap_or_else(|| panic!("passed: {sql}"));
            assert!(e.contains("--allow-files"), "{e}");
        }
        for sql in [
            "select * from ratings where comment like '%read_csv(%'",
            "select 1 -- read_parquet('x')\n",
            "select /* read_csv('x') */ 1",
            "select read_csv from t",
            "select * from \"ratings\"",
        ] {
            assert_eq!(refused(sql), None, "{sql}");
        }
        assert!(on_large_stack(|| check("select * from read_csv('x')", true)).is_ok());
    }

    #[test]
    fn long_chains_are_refused_with_a_message_not_a_stack_overflow() {
        let terms = vec!["1"; 10_000].join(" + ");
        let e = refused(&format!("select {terms}")).unwrap();
        assert!(e.contains("levels deep"), "{e}");
        let branches = vec!["select 1 as x"; 2_000].join(" union all ");
        let e = refused(&branches).unwrap();
        assert!(e.contains("SELECTs"), "{e}");
        let fine = vec!["1"; 100].join(" + ");
        assert_eq!(refused(&format!("select {fine}")), None);
    }
}
