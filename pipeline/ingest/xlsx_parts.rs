//! An .xlsx workbook's parts checked before calamine reads them.
//!
//! A workbook is a zip of XML parts, and calamine loads the shared strings
//! whole when it opens the book and a cell's text whole when it reads it:
//! a 2.3 MB file holding one 1.5 GB cell took 44 s and 8 GB. So each part
//! calamine may read (sheets, shared strings, styles, the workbook) is
//! first streamed here, a buffer at a time, and the workbook is refused by
//! name when a part decompresses to more than `ingest.max_sheet_bytes` or
//! holds a text longer than any cell Excel can make (32,767 characters). The same pass finds the sheet's
//! hidden rows (`<row hidden="1">`, or rows of zero height under
//! `zeroHeight`), which calamine does not report.
//!
//! Costs one more decompression of each part; the scan itself jumps from
//! `<` to `>` with memchr.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

/// Excel's limit on the characters of one cell.
pub const MAX_CELL_CHARS: usize = 32_767;

/// A text run longer than this many bytes of XML holds more than
/// `MAX_CELL_CHARS` characters however it is written (the longest form of
/// a character, `&#x10FFFF;`, is 10 bytes).
const MAX_TEXT_BYTES: usize = 10 * MAX_CELL_CHARS;

/// What the parts say that calamine does not: the hidden rows (Excel row
/// numbers, from 1) of each sheet, by sheet name.
#[derive(Debug, Default)]
pub struct Parts {
    pub hidden_rows: HashMap<String, Vec<u32>>,
}

/// Checks the parts of the workbook at `path`; Err is the refusal. A file
/// that is not a zip (an .xls) has no parts to check.
pub fn check(path: &Path, max_bytes: u64) -> Result<Parts, String> {
    let Ok(file) = File::open(path) else {
        return Ok(Parts::default());
    };
    let Ok(mut zip) = zip::ZipArchive::new(file) else {
        return Ok(Parts::default());
    };
    let mut parts = Parts::default();
    let sheets = sheets(&mut zip);
    for part in read_by_calamine(&zip) {
        let sheet = sheets.iter().find(|s| s.1 == part).map(|s| s.0.clone());
        let what = match &sheet {
            Some(name) => format!("sheet `{name}`"),
            None if part == "xl/sharedStrings.xml" => "its shared strings".to_string(),
            None => format!("its part {part}"),
        };
        let found = scan(&mut zip, &part, max_bytes).map_err(|e| e.message(&what, max_bytes))?;
        if let Some(name) = sheet.filter(|_| !found.is_empty()) {
            parts.hidden_rows.insert(name, found);
        }
    }
    Ok(parts)
}

/// The XML parts calamine may read (the workbook, its relationships,
/// styles, shared strings, sheets, tables): bounded, since a few kB of
/// zip can decompress to gigabytes in any of them. Other parts (images,
/// custom XML, VBA) are never decompressed here.
fn read_by_calamine<R: Read + std::io::Seek>(zip: &zip::ZipArchive<R>) -> Vec<String> {
    zip.file_names()
        .filter_map(Result::ok)
        .filter(|n| {
            (n.starts_with("xl/") || n.starts_with("_rels/") || n == "[Content_Types].xml")
                && (n.ends_with(".xml") || n.ends_with(".rels"))
        })
        .map(|n| n.into_owned())
        .collect()
}

/// Why a part is refused.
enum Fault {
    TooBig,
    LongText { row: Option<u32> },
    Unreadable(String),
}

impl Fault {
    fn message(self, what: &str, max_bytes: u64) -> String {
        match self {
            Fault::TooBig => format!("{what} decompresses to more than ingest.max_sheet_bytes ({max_bytes} bytes): split the workbook, or raise ingest.max_sheet_bytes in pingyi.toml if it is genuine"),
            Fault::LongText { row } => {
                let at = row.map_or_else(String::new, |r| format!(", row {r},"));
                format!("{what}{at} holds a text longer than {MAX_CELL_CHARS} characters, the most an Excel cell holds: the workbook was not saved by Excel or WPS; remove the cell or export the sheet again")
            }
            Fault::Unreadable(e) => format!("{what} cannot be read: {e}"),
        }
    }
}

/// Sheet names and their parts, from `xl/workbook.xml` and its
/// relationships. Missing or odd parts give no sheets (calamine then
/// reports the workbook as it finds it).
fn sheets<R: Read + std::io::Seek>(zip: &mut zip::ZipArchive<R>) -> Vec<(String, String)> {
    static TAG: OnceLock<[Regex; 2]> = OnceLock::new();
    let [sheet, relation] = TAG.get_or_init(|| {
        [
            Regex::new(r"<(?:\w+:)?sheet\s[^>]*>").expect("valid"),
            Regex::new(r"<(?:\w+:)?Relationship\s[^>]*>").expect("valid"),
        ]
    });
    let (Some(book), Some(rels)) = (
        small_part(zip, "xl/workbook.xml"),
        small_part(zip, "xl/_rels/workbook.xml.rels"),
    ) else {
        return Vec::new();
    };
    let targets: HashMap<String, String> = relation
        .find_iter(&rels)
        .filter_map(|m| Some((attr(m.as_str(), "Id")?, attr(m.as_str(), "Target")?)))
        .collect();
    sheet
        .find_iter(&book)
        .filter_map(|m| {
            let tag = m.as_str();
            let target = targets.get(&attr(tag, "r:id")?)?;
            let part = match target.strip_prefix('/') {
                Some(absolute) => absolute.to_string(),
                None => format!("xl/{target}"),
            };
            Some((attr(tag, "name")?, part))
        })
        .collect()
}

/// A small XML part as text (the workbook and its relationships).
fn small_part<R: Read + std::io::Seek>(zip: &mut zip::ZipArchive<R>, name: &str) -> Option<String> {
    let f = zip.by_name(name).ok()?;
    let mut text = String::new();
    f.take(64 << 20).read_to_string(&mut text).ok()?;
    Some(text)
}

/// Attribute `name` of a tag's text, its entities decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[at..].find('"')? + at;
    Some(
        tag[at..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// Streams one part: its size and text runs bounded, its hidden rows found.
fn scan<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    max_bytes: u64,
) -> Result<Vec<u32>, Fault> {
    let mut f = zip
        .by_name(name)
        .map_err(|e| Fault::Unreadable(e.to_string()))?;
    if f.size() > max_bytes {
        return Err(Fault::TooBig);
    }
    let mut s = Scanner::default();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| Fault::Unreadable(e.to_string()))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > max_bytes {
            return Err(Fault::TooBig);
        }
        s.feed(&buf[..n])?;
    }
    Ok(s.hidden)
}

/// The state of a part's scan across buffers.
#[derive(Default)]
struct Scanner {
    in_tag: bool,
    /// The current tag's first bytes (enough for a row's attributes).
    tag: Vec<u8>,
    text_run: usize,
    /// The row of the last `<row>` (Excel numbering, from 1).
    row: u32,
    zero_height: bool,
    hidden: Vec<u32>,
}

impl Scanner {
    fn feed(&mut self, mut bytes: &[u8]) -> Result<(), Fault> {
        while !bytes.is_empty() {
            if self.in_tag {
                let end = memchr::memchr(b'>', bytes);
                let upto = end.unwrap_or(bytes.len());
                let room = 512usize.saturating_sub(self.tag.len());
                self.tag.extend_from_slice(&bytes[..upto.min(room)]);
                let Some(end) = end else { return Ok(()) };
                self.in_tag = false;
                self.tag_done();
                bytes = &bytes[end + 1..];
            } else {
                let start = memchr::memchr(b'<', bytes);
                self.text_run += start.unwrap_or(bytes.len());
                if self.text_run > MAX_TEXT_BYTES {
                    let row = (self.row > 0).then_some(self.row);
                    return Err(Fault::LongText { row });
                }
                let Some(start) = start else { return Ok(()) };
                self.in_tag = true;
                self.tag.clear();
                self.text_run = 0;
                bytes = &bytes[start + 1..];
            }
        }
        Ok(())
    }

    /// A whole tag has been read: rows and the sheet's default row height.
    fn tag_done(&mut self) {
        let tag = String::from_utf8_lossy(&self.tag);
        let name = tag.split([' ', '/', '\t', '\r', '\n']).next().unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        let yes = |a: &str| matches!(attr(&tag, a).as_deref(), Some("1" | "true"));
        match local {
            "row" => {
                self.row = attr(&tag, "r")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(self.row + 1);
                let tall = yes("customHeight")
                    && attr(&tag, "ht")
                        .and_then(|h| h.parse::<f64>().ok())
                        .is_some_and(|h| h > 0.0);
                if yes("hidden") || (self.zero_height && !tall) {
                    self.hidden.push(self.row);
                }
            }
            "sheetFormatPr" => self.zero_height = yes("zeroHeight"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_rows_and_long_texts_are_found_across_buffers() {
        let xml = r#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2" hidden="1"><c r="A2"><v>1</v></c></row><row spans="1:2" hidden="true"></row><row r="7" ht="0" hidden="0"/></sheetData></worksheet>"#;
        for cut in [1, 7, 13, xml.len()] {
            let mut s = Scanner::default();
            for chunk in xml.as_bytes().chunks(cut) {
                assert!(s.feed(chunk).is_ok());
            }
            assert_eq!(s.hidden, vec![2, 3], "cut {cut}");
        }
        let long = format!(
            "<row r=\"4\"><c><is><t>{}</t></is></c></row>",
            "x".repeat(MAX_TEXT_BYTES + 1)
        );
        let mut s = Scanner::default();
        assert!(matches!(
            s.feed(long.as_bytes()),
            Err(Fault::LongText { row: Some(4) })
        ));
        let zero =
            r#"<sheetFormatPr zeroHeight="1"/><row r="1" customHeight="1" ht="15"/><row r="2"/>"#;
        let mut s = Scanner::default();
        assert!(s.feed(zero.as_bytes()).is_ok());
        assert_eq!(s.hidden, vec![2]);
    }
}
