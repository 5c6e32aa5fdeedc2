//! Preparing one table of a file on its own, so the tables (blocks) of a big
//! file can be prepared on several threads at once: validation, quarantine
//! rows for the failures, keyed hashing of identities, the table's final
//! columns, and each rating's duplicate-key fingerprint. What needs every
//! earlier row (the duplicate check) is left to `Batch::absorb`.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use super::coded::CodedTable;
use super::dedupe::fingerprint;
use super::mapping::Mapping;
use super::piece::{Cells, Piece};
use super::privacy;
use super::quarantine;
use super::rules::{Accepted, Context, Validated};
use super::table::{RawTable, LINE};
use super::validate::validate;
use crate::config::Config;
use crate::contract::Kind;

/// Threads preparing blocks of one file (the machine's cores; polars adds
/// its own parallelism inside each block).
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// What every thread preparing a file's tables shares (read-only).
pub struct Prep<'a> {
    pub cfg: &'a Config,
    pub key: Option<Vec<u8>>,
    pub bounds: crate::dates::Bounds,
    /// Subject ids known so far: the warehouse's roster and this batch's.
    pub subjects: Series,
    pub source_scale: Vec<(String, String)>,
    /// The cases last computed (`validate::Context::cases`).
    pub cases: Vec<(String, String)>,
    pub batch: u32,
    pub shown: String,
}

/// What the quarantine and the counts need of the table a file gave.
struct Shape<'t> {
    headers: &'t [String],
    sheet: &'t Option<String>,
    bad: &'t [super::table::BadRow],
    /// Rows parsed (the rows set aside are in `bad`).
    rows: usize,
}

impl<'t> Shape<'t> {
    fn of(
        headers: &'t [String],
        sheet: &'t Option<String>,
        bad: &'t [super::table::BadRow],
        rows: usize,
    ) -> Shape<'t> {
        Shape {
            headers,
            sheet,
            bad,
            rows,
        }
    }
}

/// One table validated and ready, waiting for its turn at the duplicate check.
pub struct Prepared {
    /// Rows read, good and bad.
    pub rows: u64,
    /// Accepted rows in the table's columns (with batch_id, source_file,
    /// source_line): ratings coded, other kinds as a frame.
    pub accepted: Accepted,
    /// Ratings: the fingerprint of each accepted row's (response_id, subject_id, item).
    pub fingerprints: Vec<u64>,
    pub quarantine: Vec<DataFrame>,
    pub by_reason: BTreeMap<String, u64>,
    pub sheet: Option<String>,
    /// The duplicate key as the file names it, e.g. `问卷编号+被评议对象编号+评议内容`.
    pub key_header: String,
}

impl Prep<'_> {
    pub fn prepare(&self, m: &Mapping, t: &RawTable) -> Result<Prepared> {
        let validated = self.naming_file(validate(&self.context(), m, t))?;
        self.finish(
            m,
            Shape::of(&t.headers, &t.sheet, &t.bad, t.df.height()),
            validated,
        )
    }

    /// A table as the CSV reader codes it: ratings are checked on their
    /// dictionaries, other kinds row by row.
    pub fn prepare_coded(&self, m: &Mapping, t: CodedTable) -> Result<Prepared> {
        if m.kind != Kind::Ratings {
            return self.prepare(m, &t.into_raw()?);
        }
        let validated = self.naming_file(super::ratings::validate(&self.context(), m, &t))?;
        self.finish(
            m,
            Shape::of(&t.headers, &t.sheet, &t.bad, t.height()),
            validated,
        )
    }

    /// A validation error names the file it happened in.
    fn naming_file<T>(&self, r: Result<T>) -> Result<T> {
        anyhow::Context::with_context(r, || format!("validating {}", self.shown))
    }

    fn context(&self) -> Context<'_> {
        Context {
            cfg: self.cfg,
            bounds: self.bounds,
            subjects: self.subjects.clone(),
            source_scale: self.source_scale.clone(),
            key: self.key.as_deref(),
            cases: &self.cases,
        }
    }

    /// Quarantine rows, hashed identities, provenance and fingerprints of a
    /// validated table.
    fn finish(&self, m: &Mapping, t: Shape, validated: Validated) -> Result<Prepared> {
        let Validated {
            accepted,
            failed,
            checks,
        } = validated;
        let mut by_reason = BTreeMap::new();
        let key = self.key.as_deref().unwrap_or_default();
        let private = quarantine::private_column(m, t.headers);
        let mut frames = vec![quarantine::rows(
            key,
            self.batch,
            &self.shown,
            m,
            (t.headers, t.sheet.as_deref()),
            &failed,
            &checks,
            private.as_deref(),
            &mut by_reason,
        )?];
        if !t.bad.is_empty() {
            for b in t.bad {
                *by_reason.entry(b.code.into()).or_default() += 1;
            }
            let at = private
                .as_deref()
                .and_then(|h| t.headers.iter().position(|x| x == h));
            let mask = |v: &str| quarantine::masked(key, v);
            let rows: Vec<quarantine::Row> = t
                .bad
                .iter()
                .map(|b| quarantine::Row {
                    line: b.line,
                    column: "",
                    value: b.shown(at, t.headers.len(), &mask),
                    reason: b.code,
                    detail: b.reason.clone(),
                    row: String::new(),
                })
                .collect();
            frames.push(quarantine::frame(
                m.kind,
                t.sheet.as_deref(),
                &rows,
                self.batch,
                &self.shown,
            )?);
        }
        let (accepted, fingerprints) = match accepted {
            Accepted::Frame(df) => (Accepted::Frame(self.frame(m.kind, df)?), Vec::new()),
            Accepted::Coded(piece) => {
                let piece = self.ratings(piece)?;
                let fingerprints = fingerprints(&piece)?;
                (Accepted::Coded(piece), fingerprints)
            }
        };
        let header = |c: &str| {
            m.position(c)
                .map_or_else(|| c.to_string(), |i| t.headers[i].clone())
        };
        Ok(Prepared {
            rows: (t.rows + t.bad.len()) as u64,
            accepted,
            fingerprints,
            quarantine: frames,
            by_reason,
            sheet: t.sheet.clone(),
            key_header: format!(
                "{}+{}+{}",
                header("response_id"),
                header("subject_id"),
                header("item")
            ),
        })
    }

    /// Rosters and ledgers: ids hashed, provenance added, columns in table order.
    fn frame(&self, kind: Kind, mut df: DataFrame) -> Result<DataFrame> {
        if kind == Kind::Raters && df.column("__person_id").is_ok() {
            privacy::replace(
                &mut df,
                "__person_id",
                "person_key",
                self.key.as_deref(),
                self.cfg,
            )?;
        }
        self.provenance(df, table_of(kind))
    }

    /// Adds batch_id, source_file, source_line and puts columns in table order.
    fn provenance(&self, df: DataFrame, table: &str) -> Result<DataFrame> {
        let schema = crate::warehouse::schema::of(table);
        let exprs: Vec<Expr> = schema
            .iter()
            .map(|(name, dtype)| {
                match name.as_str() {
                    "batch_id" => lit(self.batch),
                    "source_file" => lit(self.shown.clone()),
                    "source_line" => col(LINE),
                    n => col(n),
                }
                .cast(dtype.clone())
                .alias(name.clone())
            })
            .collect();
        Ok(df.lazy().select(exprs).collect()?)
    }

    /// Ratings: rater ids hashed (on the dictionaries already when there is
    /// a key), provenance added, columns in table order.
    fn ratings(&self, mut piece: Piece) -> Result<Piece> {
        if let Ok(Cells::Coded { dict, keys }) = piece.remove("__rater_id") {
            let hashed = privacy::replace_coded(&dict, &keys, self.key.as_deref(), self.cfg)?;
            piece
                .columns
                .push(("rater_key".into(), Cells::Coded { dict: hashed, keys }));
        }
        let rows = piece.height;
        let mut response_key = Some(response_keys(piece.cells("response_id")?)?);
        let schema = crate::warehouse::schema::of("ratings");
        let mut columns = Vec::with_capacity(schema.len());
        for (name, dtype) in schema.iter() {
            let cells = match name.as_str() {
                "batch_id" => Cells::Plain(Column::new_scalar(
                    name.clone(),
                    Scalar::from(self.batch),
                    rows,
                )),
                "source_file" => Cells::constant(&self.shown, rows),
                "source_line" => piece.remove(LINE)?,
                "response_key" => response_key.take().expect("one response_key column"),
                n => piece.remove(n)?,
            };
            let cells = match cells {
                Cells::Plain(c) => Cells::Plain(c.cast(dtype)?.with_name(name.clone())),
                Cells::Coded { dict, keys } => Cells::Coded {
                    dict: dict.cast(dtype)?,
                    keys,
                },
            };
            columns.push((name.clone(), cells));
        }
        Ok(Piece {
            height: rows,
            columns,
        })
    }
}

/// The response ids' keys (`warehouse::keys`): each distinct id of a
/// coded column hashed once.
fn response_keys(ids: &Cells) -> Result<Cells> {
    let key = crate::warehouse::keys::response_key;
    Ok(match ids {
        Cells::Coded { dict, keys } => {
            let dict: Int64Chunked = dict.str()?.iter().map(key).collect();
            Cells::Coded {
                dict: dict.into_series(),
                keys: keys.clone(),
            }
        }
        Cells::Plain(c) => {
            let ks: Int64Chunked = c.str()?.iter().map(key).collect();
            Cells::Plain(ks.into_column())
        }
    })
}

/// The warehouse table a kind of export feeds.
fn table_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Ledger => "suggestions",
        Kind::Cases => "case_records",
        kind => kind.name(),
    }
}

fn fingerprints(piece: &Piece) -> Result<Vec<u64>> {
    let (r, s, i) = (
        piece.texts("response_id")?,
        piece.texts("subject_id")?,
        piece.texts("item")?,
    );
    Ok(r.iter()
        .zip(&s)
        .zip(&i)
        .map(|((r, s), i)| fingerprint(r.unwrap_or(""), s.unwrap_or(""), i.unwrap_or("")))
        .collect())
}
