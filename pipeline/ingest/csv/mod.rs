//! CSV and TSV exports, read in blocks of whole records so memory stays
//! bounded on files of any size. `CsvChunks` cuts the file into blocks of
//! bytes with the physical line each starts on (cheap, sequential); a
//! `Parser` turns a block into a table (the costly part, so blocks can be
//! parsed in parallel): it checks it is UTF-8, locates its records with
//! their physical line numbers (quotes may hold newlines, `scan.rs`), drops
//! blank lines, sets aside rows with too many fields, and codes every field
//! against its column's dictionary (`coded.rs`) in the same pass. A GB18030
//! block is split and coded as bytes, and each distinct text decoded once.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

use super::coded::{CodedTable, Coder};
use super::decode;
use super::scan::{self, count_byte, unquote, Records};
pub use super::scan::{fields, records};
use super::table::{pick_header, BadRow, RawTable};
use crate::config::Encoding;

/// Bytes read at a time: large enough for polars to parse in parallel,
/// small enough that a block's intermediate columns stay well under 1 GiB.
const BLOCK: usize = 8 << 20;

/// How far a record may run before a quote still open in it is taken for
/// a stray one (checked once a block's worth more has been read without
/// finding its end, so between 8 and 16 MiB past the record's start): the
/// quote's line is set aside and the lines after it are read as rows. No
/// real export has such a field. Only a line with no line end in as much
/// text refuses the file.
const MAX_RECORD: usize = BLOCK;

pub struct CsvChunks {
    file: File,
    encoding: Encoding,
    /// Whether `--encoding` named the encoding (for an error's message).
    told: bool,
    sep: u8,
    pending: Vec<u8>,
    /// Every byte read so far, hashed on the way (the file's SHA-256).
    hasher: sha2::Sha256,
    eof: bool,
    /// Physical line number of the first line in `pending`.
    next_line: usize,
    pub headers: Vec<String>,
    pub header_line: usize,
}

/// Bytes of whole records and the physical line the first one starts on;
/// or, instead, why the file cannot be read on from there.
pub struct Block {
    pub bytes: Vec<u8>,
    pub first_line: usize,
    refused: Option<Refusal>,
}

/// What turns a block into a table; shared by the threads that parse blocks.
#[derive(Clone)]
pub struct Parser {
    encoding: Encoding,
    told: bool,
    sep: u8,
    pub headers: Vec<String>,
}

/// A file-level problem: the file is refused whole.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}, column {column}: a quote opens a field that is still open {lines} lines ({mib} MiB) later, so the rest of the file would be one record: remove the stray quote, or put the whole field in quotes and write a quote inside it as \"\"")]
    OpenQuote {
        line: usize,
        column: String,
        lines: usize,
        mib: usize,
    },
    #[error("line {line} has no line end in the {mib} MiB read from its start (a line may hold at most {limit} MiB): this is not a CSV export as saved by Excel, WPS or a device (its line ends were lost, or it is another kind of file); save the export again as CSV")]
    LineTooLong {
        line: usize,
        mib: usize,
        limit: usize,
    },
    #[error(transparent)]
    Undecodable(#[from] decode::Undecodable),
}

impl CsvChunks {
    pub fn open(
        path: &Path,
        told: Option<Encoding>,
        known: &dyn Fn(&str) -> bool,
    ) -> Result<std::result::Result<CsvChunks, Refusal>> {
        let mut file =
            File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut head = Vec::new();
        (&mut file).take(BLOCK as u64).read_to_end(&mut head)?;
        let eof = head.len() < BLOCK;
        let encoding = decode::detect(&head, told);
        let mut hasher = sha2::Sha256::default();
        sha2::Digest::update(&mut hasher, &head);
        let mut me = CsvChunks {
            file,
            encoding,
            told: told.is_some(),
            sep: b',',
            hasher,
            pending: head,
            eof,
            next_line: 1,
            headers: Vec::new(),
            header_line: 0,
        };
        // The header is among the first records: decode just enough of them.
        let upto = line_end(&me.pending, (1 << 16).min(me.pending.len()));
        if upto == me.pending.len() && !me.eof {
            // No line end in the first block: decoding would cut a
            // character and blame its bytes.
            return Ok(Err(Refusal::LineTooLong {
                line: 1 + count_byte(&me.pending, b'\n'),
                mib: me.pending.len() >> 20,
                limit: MAX_RECORD >> 20,
            }));
        }
        let text = match decode::decode(&me.pending[..upto], encoding, 1) {
            Ok(t) => t,
            Err(mut e) => {
                e.how = decode::how(told.is_some());
                return Ok(Err(e.into()));
            }
        };
        let records: Vec<(usize, &str)> = records(&text, 1)
            .filter(|(_, r)| !r.trim().is_empty())
            .take(10)
            .collect();
        if records.is_empty() {
            return Ok(Err(Refusal::Empty));
        }
        me.sep = if records
            .iter()
            .map(|r| r.1.matches('\t').count())
            .sum::<usize>()
            > records
                .iter()
                .map(|r| r.1.matches(',').count())
                .sum::<usize>()
        {
            b'\t'
        } else {
            b','
        };
        let split: Vec<(usize, Vec<String>)> = records
            .iter()
            .map(|(l, r)| (*l, fields(r, me.sep)))
            .collect();
        let pick = pick_header(
            split
                .iter()
                .enumerate()
                .map(|(i, (_, f))| (i, f.as_slice())),
            known,
        )
        .unwrap_or(0);
        me.headers = split[pick]
            .1
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        me.header_line = split[pick].0;
        me.skip_lines(me.header_line)?;
        Ok(Ok(me))
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Drops the first `n` physical lines (title rows and the header).
    fn skip_lines(&mut self, n: usize) -> Result<()> {
        let mut pos = 0;
        for _ in 0..n {
            match self.pending[pos..].iter().position(|&b| b == b'\n') {
                Some(p) => pos += p + 1,
                None => pos = self.pending.len(),
            }
        }
        self.pending.drain(..pos);
        self.next_line += n;
        Ok(())
    }

    /// The end of the last complete record in `pending` (after its newline).
    fn split_point(&self) -> Option<usize> {
        // A newline ends a record when an even number of quotes precedes it:
        // look back from the end, counting quotes (a vectorized count).
        let buf = &self.pending;
        let mut end = buf.len();
        for _ in 0..64 {
            let nl = buf[..end].iter().rposition(|&b| b == b'\n')?;
            if count_byte(&buf[..nl], b'"') % 2 == 0 {
                return Some(nl + 1);
            }
            end = nl;
        }
        // Many newlines inside one quoted field: walk forward instead.
        let mut quoted = false;
        let mut last = None;
        for (i, &b) in buf.iter().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => last = Some(i + 1),
                _ => {}
            }
        }
        last
    }

    /// The next block of records, or None at the end of the file.
    pub fn next_block(&mut self) -> Result<Option<Block>> {
        loop {
            if self.pending.is_empty() && self.eof {
                return Ok(None);
            }
            let cut = if self.eof {
                Some(self.pending.len())
            } else {
                // Counting quotes finds no record end for a block's worth:
                // a quote is still open. Cut where the walk that sets the
                // quote's line aside does.
                self.split_point().or_else(|| {
                    (self.pending.len() > MAX_RECORD)
                        .then(|| scan::cut_after_stray(&self.pending, self.sep))
                        .flatten()
                })
            };
            if let Some(cut) = cut {
                let rest = self.pending.split_off(cut);
                let bytes = std::mem::replace(&mut self.pending, rest);
                let first_line = self.next_line;
                self.next_line += count_byte(&bytes, b'\n');
                return Ok(Some(Block {
                    bytes,
                    first_line,
                    refused: None,
                }));
            }
            if self.pending.len() > MAX_RECORD {
                return Ok(Some(self.open_quote()));
            }
            // Read straight onto the unfinished record (no 8 MB copy).
            let start = self.pending.len();
            self.pending.reserve(BLOCK);
            (&mut self.file)
                .take(BLOCK as u64)
                .read_to_end(&mut self.pending)?;
            sha2::Digest::update(&mut self.hasher, &self.pending[start..]);
            self.eof = self.pending.len() - start < BLOCK;
        }
    }

    /// The block that refuses the file when a line runs past `MAX_RECORD`
    /// with no line end to cut at: it names the line and column of the
    /// quote left open. Reading stops here (the rest is only hashed).
    fn open_quote(&mut self) -> Block {
        let pending = std::mem::take(&mut self.pending);
        self.eof = true;
        // The last quote that opens a field and is never closed.
        let (mut quoted, mut column, mut newlines) = (false, 0, 0);
        let mut opened = (0, 0);
        for &b in &pending {
            match b {
                b'"' => {
                    quoted = !quoted;
                    if quoted {
                        opened = (newlines, column);
                    }
                }
                b'\n' if quoted => newlines += 1,
                b'\n' => (newlines, column) = (newlines + 1, 0),
                _ if b == self.sep && !quoted => column += 1,
                _ => {}
            }
        }
        if !quoted {
            // No quote is open: the line itself never ends.
            return Block {
                bytes: Vec::new(),
                first_line: self.next_line + newlines,
                refused: Some(Refusal::LineTooLong {
                    line: self.next_line + newlines,
                    mib: pending.len() >> 20,
                    limit: MAX_RECORD >> 20,
                }),
            };
        }
        let column = column_label(&self.headers, opened.1);
        Block {
            bytes: Vec::new(),
            first_line: self.next_line + opened.0,
            refused: Some(Refusal::OpenQuote {
                line: self.next_line + opened.0,
                column,
                lines: newlines - opened.0,
                mib: pending.len() >> 20,
            }),
        }
    }

    /// The next block as text columns (for `plain` and the fuzzer), or None
    /// at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<std::result::Result<RawTable, Refusal>>> {
        let parser = self.parser();
        let Some(block) = self.next_block()? else {
            return Ok(None);
        };
        Ok(Some(match parser.parse(block)? {
            Ok(coded) => Ok(coded.into_raw()?),
            Err(r) => Err(r),
        }))
    }

    pub fn parser(&self) -> Parser {
        Parser {
            encoding: self.encoding,
            told: self.told,
            sep: self.sep,
            headers: self.headers.clone(),
        }
    }

    /// The SHA-256 of the whole file: of the bytes read, and of the rest
    /// when reading stopped early (a refused file).
    pub fn finish_sha256(mut self) -> Result<String> {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = self.file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            sha2::Digest::update(&mut self.hasher, &buf[..n]);
        }
        Ok(crate::fsutil::hex(&sha2::Digest::finalize(self.hasher)))
    }
}

impl Parser {
    /// Decodes and parses one block; Ok(Err) when it cannot be decoded.
    pub fn parse(&self, block: Block) -> Result<std::result::Result<CodedTable, Refusal>> {
        let Block {
            bytes,
            first_line,
            refused,
        } = block;
        if let Some(refusal) = refused {
            return Ok(Err(refusal));
        }
        if self.encoding == Encoding::Gb18030 {
            // Split as bytes (no byte of a GB18030 character is a separator,
            // quote or newline), each distinct text decoded once: decoding
            // the block whole was a tenth of this file's CPU. A text that
            // does not decode sends the block down the path below, which
            // names its line.
            let raw = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
            if let Some(table) = self.split(raw, first_line, Encoding::Gb18030) {
                return Ok(Ok(table));
            }
        }
        match decode::decode_owned(bytes, self.encoding, first_line) {
            Ok(text) => match self.split(text.as_bytes(), first_line, Encoding::Utf8) {
                Some(table) => Ok(Ok(table)),
                None => anyhow::bail!(
                    "the block from line {first_line}, checked as text, did not split as text"
                ),
            },
            Err(mut e) => {
                e.how = decode::how(self.told);
                Ok(Err(e.into()))
            }
        }
    }

    /// Splits the block's records into fields and codes each field against
    /// its column's dictionary, in one pass. Blank lines are skipped, rows
    /// with too many fields are set aside, short rows are padded with empty
    /// cells; every record keeps the physical line it starts on (quotes may
    /// hold newlines). None when a text is not in `encoding`.
    fn split(&self, text: &[u8], first_line: usize, encoding: Encoding) -> Option<CodedTable> {
        let n = self.headers.len();
        let rows_guess = text.len() / 64 + 1;
        let mut coders: Vec<Coder> = (0..n).map(|_| Coder::with_capacity(rows_guess)).collect();
        let mut lines: Vec<u32> = Vec::with_capacity(rows_guess);
        let mut bad = Vec::new();
        let mut walk = Records::new(text, first_line, self.sep);
        while let Some(record) = walk.next_record() {
            let rec = &text[record.start..record.end];
            let fields = &walk.fields;
            let at = record.line as u32;
            if blank(rec, encoding)? {
                continue;
            }
            if let Some(stray) = &record.stray {
                let rec = decode::text(rec, encoding)?;
                bad.push(self.stray_row(at, &rec, stray));
                continue;
            }
            if fields.len() > n {
                let rec = decode::text(rec, encoding)?;
                bad.push(BadRow {
                    line: at,
                    code: "malformed_row",
                    reason: format!("the row has {} fields, the header has {n}", fields.len()),
                    raw: rec.to_string(),
                    fields: Some((scan::fields(&rec, self.sep), char::from(self.sep))),
                });
                continue;
            }
            for (j, coder) in coders.iter_mut().enumerate() {
                match fields.get(j) {
                    Some(f) if !f.quoted => match f.end - f.start {
                        0 => coder.push(None),
                        _ => coder.push_field(text, f.start, f.end),
                    },
                    Some(f) => {
                        // Checked with its quotes: a quote inside a broken
                        // character would otherwise be dropped and leave a
                        // character that decodes.
                        let quoted = &text[f.start..f.end];
                        decode::text(quoted, encoding)?;
                        coder.push_owned(unquote(quoted));
                    }
                    None => coder.push(None),
                }
            }
            lines.push(at);
        }
        let columns = coders
            .into_iter()
            .map(|c| c.finish_with(|t| decode::text(t, encoding)))
            .collect::<Option<Vec<_>>>()?;
        Some(CodedTable {
            sheet: None,
            headers: self.headers.clone(),
            columns,
            lines,
            bad,
        })
    }

    /// A stray quote's line, set aside: the reason names the column and how
    /// far the quote would have run, and the fields are the line split on
    /// every separator, so the quarantine masks the right one.
    fn stray_row(&self, at: u32, rec: &str, stray: &scan::Stray) -> BadRow {
        let column = column_label(&self.headers, stray.column);
        let end = at as usize + stray.lines - 1;
        let run = if stray.unclosed && stray.lines == 1 {
            "it is never closed".to_string()
        } else if stray.unclosed {
            format!("it is never closed, and would swallow every line to line {end}")
        } else {
            format!(
                "read as CSV the field would run over {} lines, to line {end}",
                stray.lines
            )
        };
        let sep = char::from(self.sep);
        BadRow {
            line: at,
            code: "malformed_row",
            reason: format!("column {column}: a quote opens a field and does not close it on this line ({run}), so the line is set aside and the lines after it are read as rows: remove the stray quote, or put the whole field in quotes and write a quote inside it as \"\""),
            raw: rec.to_string(),
            fields: Some((rec.split(sep).map(str::to_string).collect(), sep)),
        }
    }
}

/// Column `i` (from 0) as a message names it: its number from 1 and header.
fn column_label(headers: &[String], i: usize) -> String {
    headers
        .get(i)
        .map_or_else(|| format!("{}", i + 1), |h| format!("{} ({h})", i + 1))
}

/// Whether the record is blank (`str::trim` leaves nothing), decoding it
/// only when its bytes cannot tell: most records hold a visible ASCII
/// character that is never a byte of a longer one (GB18030's trailing bytes
/// include digits and letters; its punctuation, such as the comma, is never
/// one). None when it does not decode.
fn blank(rec: &[u8], encoding: Encoding) -> Option<bool> {
    let visible = |b: u8| match encoding {
        Encoding::Utf8 => b.is_ascii_graphic(),
        Encoding::Gb18030 => matches!(b, b'!'..=b'/' | b':'..=b'?'),
    };
    if rec.iter().any(|&b| visible(b)) {
        return Some(false);
    }
    if rec.is_ascii() {
        return Some(rec.iter().all(|&b| matches!(b, b'\t'..=b'\r' | b' ')));
    }
    decode::text(rec, encoding).map(|t| t.trim().is_empty())
}

/// A CSV file's problem refuses it as unreadable, with its message.
impl From<Refusal> for crate::contract::Refusal {
    fn from(r: Refusal) -> crate::contract::Refusal {
        crate::contract::Refusal::unreadable(r.to_string())
    }
}

/// Exports the fuzz tests start from (`formats.rs`): every kind, title rows, Excel serial
/// dates, a field over two lines, an extra field, an unclosed quote.
pub const FUZZ_SEEDS: &[&str] = &[
    "问卷编号,被评议对象编号,评议日期,评议期次,评议人类别,评议人编号,评议人所在村（社区）,评议方式,评议途径,评议内容,评价,意见建议\nZT1,ZZ0001,2011/1/20,2011Q1,服务对象,FW041,,民情恳谈,座谈会,总体评价,满意,\nZT2,ZZ0002,2012年9月3日,,普通群众,,,群众测评,问卷,,不满意,\"有两行\n的意见\"\n",
    "泸西县群众满意度测评汇总\n问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径,评价\nA1,ZZ0001,41155,普通群众,群众测评,问卷,满意\n\nA2,ZZ0001,2012-09-03 14:30:00,群众,群众测评,问卷, 不满意 ,多出来的一列\n",
    "被评议对象编号,名称,类型,组织类型,先锋类别,乡镇,村(社区),所属组织,职务\nZZ0001,下平社区党总支,组织,社区,,中枢镇,下平社区,中枢镇党委,\n",
    "人员编号,乡镇,村(社区),人员类别\nR000001,中枢镇,下平社区,两代表一委员\n",
    "台账编号,被评议对象编号,收集日期,收集方式,问题类别,意见建议内容,整改措施,责任人,完成时限,整改状态\nY1,A,2012-03-01,随机抽查,作风,\"修路\"\"急\"\"\",x,张三,2012-04-01,整改中\n",
    "response_id,subject_id,rated_at,rater_category,method,channel,rating\nr1,s1,2012-09-03T08:00,服务对象,群众测评,评价器,满意\n",
    "",
    "\n\n\n",
    "a\n\"unclosed,quote\n",
];

/// End of the line containing byte `at` (to decode whole lines only).
fn line_end(bytes: &[u8], at: usize) -> usize {
    let at = at.min(bytes.len());
    bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| at + p + 1)
}

#[cfg(test)]
mod tests;
