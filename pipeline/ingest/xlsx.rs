//! Excel workbooks: every sheet (or the one named), each a table with its own
//! header row, found below any title rows. Date cells become ISO dates. Sheets
//! with no header row beside one that has it (instructions, lists) are skipped.

use std::borrow::Cow;
use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader, SheetVisible, Sheets};

use super::table::{from_cells, pick_header, RawTable};
use super::xlsx_cells::{blank, cell_text};
use super::xlsx_flags::Flag;
use super::xlsx_parts::{self, MAX_CELL_CHARS};
use super::xlsx_stream::{self, Streamed};

/// A workbook's tables, each with its flagged rows (hidden, formulas),
/// and notes for the file's report (hidden sheets not read).
pub struct Book {
    pub tables: Vec<(RawTable, Vec<Flag>)>,
    pub notes: Vec<String>,
}

/// Reads the sheets; Err is a file-level refusal (not a workbook, no such
/// sheet, a part too large or a cell too long). Hidden sheets are not
/// read unless `sheet` names one: what the person who filled the workbook
/// saw is what counts.
pub fn read(
    path: &Path,
    sheet: Option<&str>,
    known: &dyn Fn(&str) -> bool,
    max_sheet_bytes: u64,
) -> Result<Book, String> {
    let parts = xlsx_parts::check(path, max_sheet_bytes)?;
    let mut book =
        open_workbook_auto(path).map_err(|e| format!("not a readable spreadsheet: {e}"))?;
    let names = book.sheet_names();
    let (wanted, notes) = match sheet {
        Some(s) if names.iter().any(|n| n == s) => (vec![s.to_string()], Vec::new()),
        Some(s) => {
            return Err(format!(
                "no sheet named `{s}`; the sheets are: {}",
                names.join(", ")
            ))
        }
        None => visible(&book),
    };
    let mut out = Vec::new();
    let mut unheaded = Vec::new();
    for name in wanted {
        let hidden = parts.hidden_rows.get(&name).map_or(&[][..], Vec::as_slice);
        let sheet = match &mut book {
            Sheets::Xlsx(x) => match xlsx_stream::sheet(x, &name, known)
                .map_err(|e| format!("sheet `{name}` cannot be read: {e}"))?
            {
                Streamed::Table(table, headed, formulas) => {
                    Some((table, headed, flags(hidden, formulas)))
                }
                Streamed::Blank => None,
                Streamed::Overlong(row, column) => return Err(format!("sheet `{name}`, row {row}, column {column}: the cell holds more than {MAX_CELL_CHARS} characters, the most an Excel cell holds: the workbook was not saved by Excel or WPS; remove the cell or export the sheet again")),
                Streamed::OutOfOrder => from_grid(&mut book, &name, known)?
                    .map(|(t, headed, _)| (t, headed, flags(hidden, Vec::new()))),
            },
            _ => from_grid(&mut book, &name, known)?,
        };
        let Some((table, headed, flags)) = sheet else {
            continue;
        };
        if !headed {
            unheaded.push(out.len());
        }
        out.push((table, flags));
    }
    if out.is_empty() {
        let hidden = notes
            .first()
            .map_or_else(String::new, |n| format!(" ({n})"));
        return Err(format!(
            "the workbook has no data in any visible sheet{hidden}"
        ));
    }
    // Sheets with no row of known headers beside one that has them are
    // notes, not data (an entry template's instructions and drop-down
    // lists); alone, such a sheet is still read, so its mapping error names
    // the missing columns.
    if unheaded.len() < out.len() {
        let mut i = 0;
        out.retain(|_| {
            i += 1;
            !unheaded.contains(&(i - 1))
        });
    }
    Ok(Book { tables: out, notes })
}

/// The visible sheets, and a note naming the hidden ones (skipped).
fn visible<RS: std::io::Read + std::io::Seek>(book: &Sheets<RS>) -> (Vec<String>, Vec<String>) {
    let (shown, hidden): (Vec<&calamine::Sheet>, Vec<&calamine::Sheet>) = book
        .sheets_metadata()
        .iter()
        .partition(|s| s.visible == SheetVisible::Visible);
    let notes = if hidden.is_empty() {
        Vec::new()
    } else {
        let names: Vec<String> = hidden.iter().map(|s| format!("`{}`", s.name)).collect();
        vec![format!(
            "hidden sheets not read: {} (unhide a sheet in Excel, or name it with --sheet, if it holds data to count)",
            names.join(", ")
        )]
    };
    (shown.iter().map(|s| s.name.clone()).collect(), notes)
}

/// The flagged rows of a streamed sheet: its hidden rows and formula cells.
fn flags(hidden: &[u32], formulas: Vec<xlsx_stream::Formula>) -> Vec<Flag> {
    hidden
        .iter()
        .map(|&line| Flag::Hidden(line))
        .chain(formulas.into_iter().map(Flag::Formula))
        .collect()
}

/// A sheet read through calamine's grid of its cells (.xls, .ods, and an
/// .xlsx whose rows are out of order): its table and whether a row of known
/// headers was found, or None when every cell is blank.
fn from_grid<RS: std::io::Read + std::io::Seek>(
    book: &mut Sheets<RS>,
    name: &str,
    known: &dyn Fn(&str) -> bool,
) -> Result<Option<(RawTable, bool, Vec<Flag>)>, String> {
    let range = book
        .worksheet_range(name)
        .map_err(|e| format!("sheet `{name}` cannot be read: {e}"))?;
    let top = range.start().map_or(0, |s| s.0);
    if range.rows().all(|r| r.iter().all(blank)) {
        return Ok(None);
    }
    let as_text: Vec<Vec<String>> = range
        .rows()
        .take(10)
        .map(|r| r.iter().map(|c| text(c).unwrap_or_default()).collect())
        .collect();
    let picked = pick_header(
        as_text.iter().enumerate().map(|(i, r)| (i, r.as_slice())),
        known,
    );
    let header_at = picked.unwrap_or(0);
    let headers: Vec<String> = as_text[header_at]
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    // Straight from the cells into the columns: text is borrowed from
    // the sheet, and only numbers and dates are formatted.
    let data = range
        .rows()
        .enumerate()
        .skip(header_at + 1)
        .filter(|(_, r)| !r.iter().all(blank))
        .map(|(i, r)| (top + i as u32 + 1, r.iter().map(cell_text)));
    let df = from_cells(headers.len(), data, range.height());
    let table = RawTable {
        sheet: Some(name.to_string()),
        df,
        headers,
        bad: Vec::new(),
    };
    // calamine's grid tells neither hidden rows nor formulas (.xls, .ods).
    Ok(Some((table, picked.is_some(), Vec::new())))
}

fn text(cell: &Data) -> Option<String> {
    cell_text(cell).map(Cow::into_owned)
}

/// Excel workbooks, as a format of `format.rs`.
pub struct Xlsx;

impl super::format::Reader for Xlsx {
    fn name(&self) -> &'static str {
        "xlsx"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["xlsx", "xlsm", "xls"]
    }

    fn open(
        &self,
        path: &Path,
        how: &super::format::How,
    ) -> anyhow::Result<Result<super::format::Source, crate::contract::Refusal>> {
        Ok(read(path, how.sheet, how.known, how.max_sheet_bytes)
            .map(|book| {
                let (tables, flags) = book.tables.into_iter().unzip();
                super::format::Source {
                    tables: super::format::Tables::Loaded(tables),
                    notes: book.notes,
                    flags,
                }
            })
            .map_err(crate::contract::Refusal::unreadable))
    }

    fn has_sheets(&self) -> bool {
        true
    }

    /// A workbook as a county saves it: a title row above the headers, a
    /// date cell, a formula, a hidden row, a second sheet of subjects.
    fn fuzz_seed(&self, _: &mut crate::rng::Rng) -> Vec<u8> {
        static SEED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        SEED.get_or_init(|| fuzz_workbook().expect("an in-memory workbook"))
            .clone()
    }
}

fn fuzz_workbook() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    let mut book = Workbook::new();
    let ratings = book.add_worksheet().set_name("测评")?;
    ratings.write_string(0, 0, "泸西县群众满意度测评汇总")?;
    let headers = [
        "问卷编号",
        "被评议对象编号",
        "评议日期",
        "评议人类别",
        "评议方式",
        "评议途径",
        "评价",
    ];
    for (c, h) in headers.iter().enumerate() {
        ratings.write_string(1, c as u16, *h)?;
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for r in 2..6u32 {
        ratings.write_string(r, 0, format!("X{r}"))?;
        ratings.write_string(r, 1, "ZZ0001")?;
        ratings.write_datetime_with_format(
            r,
            2,
            &ExcelDateTime::from_ymd(2012, 9, r as u8)?,
            &date,
        )?;
        for (c, v) in [(3, "普通群众"), (4, "群众测评"), (5, "问卷"), (6, "满意")] {
            ratings.write_string(r, c, v)?;
        }
    }
    ratings.write_formula(5, 6, Formula::new("=\"不满意\"").set_result("满意"))?;
    ratings.set_row_hidden(4)?;
    let subjects = book.add_worksheet().set_name("对象")?;
    for (c, h) in ["被评议对象编号", "名称", "类型", "乡镇"]
        .iter()
        .enumerate()
    {
        subjects.write_string(0, c as u16, *h)?;
    }
    for (c, v) in ["ZZ0001", "下平社区党总支", "组织", "中枢镇"]
        .iter()
        .enumerate()
    {
        subjects.write_string(1, c as u16, *v)?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use calamine::open_workbook_auto;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    use super::*;

    fn known(h: &str) -> bool {
        ["测评对象", "评议结果", "整改事项"].contains(&h)
    }

    #[test]
    fn numbers_excel_rounds_are_shown_in_its_scientific_form() {
        let shown = |f: f64| cell_text(&Data::Float(f)).unwrap().into_owned();
        assert_eq!(shown(410101198001011234.0), "4.10101198001011E+17");
        assert_eq!(shown(1e15), "1E+15");
        assert_eq!(shown(999_999_999_999_999.0), "999999999999999");
        assert_eq!(shown(1397.0), "1397");
        assert_eq!(shown(2.5), "2.5");
    }

    /// A sheet with a title row, blank and whitespace-only rows, a stray
    /// cell left of the table, a header with no data under it, a cell past
    /// the header and typed cells: the streamed table is the grid's.
    #[test]
    fn a_streamed_sheet_is_the_table_its_grid_gives() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.xlsx");
        let mut book = Workbook::new();
        let ws = book.add_worksheet().set_name("台账").unwrap();
        ws.write_string(1, 2, "2012 年整改销号台账").unwrap();
        for (c, h) in ["测评对象", "评议结果", "整改事项", "备注"]
            .iter()
            .enumerate()
        {
            ws.write_string(3, 2 + c as u16, *h).unwrap();
        }
        ws.write_string(4, 2, "A01").unwrap();
        ws.write_number(4, 3, 2.0).unwrap();
        ws.write_number(4, 4, 0.25).unwrap();
        ws.write_string(5, 3, "   ").unwrap();
        let date = ExcelDateTime::from_ymd(2012, 3, 9).unwrap();
        let fmt = Format::new().set_num_format("yyyy-mm-dd");
        ws.write_datetime_with_format(7, 2, &date, &fmt).unwrap();
        ws.write_boolean(7, 4, true).unwrap();
        ws.write_string(7, 7, "past the header").unwrap();
        ws.write_string(9, 0, "stray").unwrap();
        ws.write_string(10, 3, " 满意 ").unwrap();
        let blank = book.add_worksheet().set_name("空").unwrap();
        blank.write_string(2, 2, "  ").unwrap();
        book.save(&path).unwrap();

        for name in ["台账", "空"] {
            let mut grid = open_workbook_auto(&path).unwrap();
            let from_grid = from_grid(&mut grid, name, &known).unwrap();
            let Sheets::Xlsx(mut book) = open_workbook_auto(&path).unwrap() else {
                panic!("an .xlsx");
            };
            let streamed = match xlsx_stream::sheet(&mut book, name, &known).unwrap() {
                Streamed::Table(t, headed, _) => Some((t, headed)),
                Streamed::Blank => None,
                Streamed::OutOfOrder | Streamed::Overlong(..) => panic!("rows in order"),
            };
            match (from_grid, streamed) {
                (Some((g, g_headed, _)), Some((s, s_headed))) => {
                    assert_eq!(s.headers, g.headers);
                    assert_eq!(s_headed, g_headed);
                    assert!(s.df.equals_missing(&g.df), "{}\n{}", s.df, g.df);
                    assert_eq!(s.df.height(), 4, "{}", s.df);
                    assert_eq!(s.headers.len(), 8);
                }
                (None, None) => assert_eq!(name, "空"),
                (g, s) => panic!("{name}: grid {:?}, streamed {:?}", g.is_some(), s.is_some()),
            }
        }
    }
}
