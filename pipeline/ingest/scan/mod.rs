//! Where a CSV block's records and fields lie, found 16 bytes at a time.
//!
//! `Records` walks a block's records with the physical line each starts on,
//! and sets a stray quote's line aside as a record of its own (so one
//! forgotten quote does not swallow the rows after it);
//! `Marks` yields the positions of the separators, newlines and quotes in
//! order, so a record without quotes is split by jumping from mark to mark
//! instead of testing every byte. A record with a quote is handed to
//! `scan_record`, the byte-by-byte walk that decides what quotes mean
//! (every quote toggles quoting). `count_byte` counts a byte (the feeder
//! thread's newline and quote counts per block). The byte-by-byte loops
//! this replaced were 15 % of ingest's CPU at 10M ratings (perf).
//!
//! Everything here works on bytes: the separators, quotes and newlines are
//! ASCII, and no byte of a longer character in UTF-8 or GB18030 is one of
//! them, so a block is split before (GB18030: instead of) being decoded.
//!
//! SSE2 is part of every x86-64 CPU, so no runtime detection is needed;
//! other targets take plain loops with the same answers.

/// Where one field of a record lies in the text, and whether it has quotes.
pub struct Field {
    pub start: usize,
    pub end: usize,
    pub quoted: bool,
}

/// How many times `needle` occurs in `bytes`.
pub fn count_byte(bytes: &[u8], needle: u8) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::count(bytes, needle)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        bytes.iter().filter(|&&b| b == needle).count()
    }
}

/// Scans the record starting at `pos` byte by byte: fills `fields` and
/// returns the end of the record (the position of its newline, or the end
/// of the text) and how many newlines its quoted fields hold. A quote
/// anywhere toggles quoting.
#[inline]
pub fn scan_record(bytes: &[u8], pos: usize, sep: u8, fields: &mut Vec<Field>) -> (usize, usize) {
    fields.clear();
    let (mut quoted, mut has_quote, mut newlines) = (false, false, 0);
    let mut start = pos;
    let mut i = pos;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            quoted = !quoted;
            has_quote = true;
        } else if b == sep && !quoted {
            fields.push(Field {
                start,
                end: i,
                quoted: has_quote,
            });
            start = i + 1;
            has_quote = false;
        } else if b == b'\n' {
            if !quoted {
                break;
            }
            newlines += 1;
        }
        i += 1;
    }
    fields.push(Field {
        start,
        end: i,
        quoted: has_quote,
    });
    (i, newlines)
}

/// The positions of a text's separators, newlines and quotes, in order:
/// one 64-bit mask per 64 bytes, consumed a set bit at a time.
pub struct Marks<'t> {
    bytes: &'t [u8],
    sep: u8,
    /// Start of the 64 bytes `bits` covers.
    chunk: usize,
    /// The marks of that chunk not yet handed out.
    bits: u64,
}

impl<'t> Marks<'t> {
    pub fn new(bytes: &'t [u8], sep: u8) -> Marks<'t> {
        let mut marks = Marks {
            bytes,
            sep,
            chunk: 0,
            bits: 0,
        };
        marks.seek(0);
        marks
    }

    /// Hands out the marks at or after `pos` from now on.
    pub fn seek(&mut self, pos: usize) {
        self.chunk = pos & !63;
        self.bits = self.mask(self.chunk) & (!0u64 << (pos & 63));
    }

    /// The record starting at `pos` (the marks before it handed out):
    /// fills `fields` and returns the end of the record (its newline, or
    /// the end of the text); None when a quote comes first, for
    /// `scan_record` to decide (then `seek` past what it found).
    #[inline]
    pub fn record(&mut self, pos: usize, fields: &mut Vec<Field>) -> Option<usize> {
        fields.clear();
        let mut start = pos;
        loop {
            let Some(i) = self.next_mark() else {
                let end = self.bytes.len();
                fields.push(Field {
                    start,
                    end,
                    quoted: false,
                });
                return Some(end);
            };
            match self.bytes[i] {
                b'"' => return None,
                b'\n' => {
                    fields.push(Field {
                        start,
                        end: i,
                        quoted: false,
                    });
                    return Some(i);
                }
                _ => {
                    fields.push(Field {
                        start,
                        end: i,
                        quoted: false,
                    });
                    start = i + 1;
                }
            }
        }
    }

    #[inline]
    fn next_mark(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.chunk += 64;
            if self.chunk >= self.bytes.len() {
                return None;
            }
            self.bits = self.mask(self.chunk);
        }
        let at = self.chunk + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(at)
    }

    /// Bit i set when byte `start + i` is a separator, newline or quote.
    #[inline]
    fn mask(&self, start: usize) -> u64 {
        let rest = self.bytes.get(start..).unwrap_or_default();
        #[cfg(target_arch = "x86_64")]
        if let Some(full) = rest.first_chunk::<64>() {
            return sse2::marks(full, self.sep);
        }
        rest.iter()
            .take(64)
            .enumerate()
            .filter(|(_, &b)| b == self.sep || b == b'\n' || b == b'"')
            .fold(0, |bits, (i, _)| bits | 1 << i)
    }
}

/// `"…"` with every quote inside doubled: a properly quoted field.
pub fn well_quoted(field: &[u8]) -> bool {
    let Some(inner) = field
        .strip_prefix(b"\"")
        .and_then(|f| f.strip_suffix(b"\""))
    else {
        return false;
    };
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == b'"' {
            if inner.get(i + 1) != Some(&b'"') {
                return false;
            }
            i += 1;
        }
        i += 1;
    }
    true
}

/// A field with quotes as its bytes: quotes dropped, `""` inside quotes
/// kept as one. Quotes are ASCII, never a byte of a longer character.
pub fn unquote(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut quoted = false;
    let mut bytes = field.iter().peekable();
    while let Some(&b) = bytes.next() {
        match b {
            b'"' if quoted && bytes.peek() == Some(&&b'"') => {
                bytes.next();
                out.push(b'"');
            }
            b'"' => quoted = !quoted,
            b => out.push(b),
        }
    }
    out
}

/// Walks the records of a block: the one place that decides where a record
/// ends (a newline outside quotes) and which line it starts on.
pub struct Records<'t> {
    text: &'t [u8],
    sep: u8,
    marks: Marks<'t>,
    pos: usize,
    line: usize,
    /// The fields of the record `next_record` returned last.
    pub fields: Vec<Field>,
}

/// One record: the physical line it starts on and where it lies (start,
/// end; without the trailing `\r`).
pub struct Record {
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub stray: Option<Stray>,
}

/// A quote that opens a field and does not close it properly. Read as CSV
/// the field would swallow the lines after it (rows of other raters), so
/// the record is its own line only, split on every separator.
pub struct Stray {
    /// The field the quote opens, counted from 0.
    pub column: usize,
    /// The lines the field would run over, its own included.
    pub lines: usize,
    /// Whether it would still be open at the end of the text.
    pub unclosed: bool,
}

impl<'t> Records<'t> {
    pub fn new(text: &'t [u8], first_line: usize, sep: u8) -> Records<'t> {
        Records {
            text,
            sep,
            marks: Marks::new(text, sep),
            pos: 0,
            line: first_line,
            fields: Vec::new(),
        }
    }

    /// The next record, its fields in `fields`.
    pub fn next_record(&mut self) -> Option<Record> {
        let (text, pos) = (self.text, self.pos);
        if pos >= text.len() {
            return None;
        }
        // Records without quotes go mark to mark; a quoted one is walked
        // byte by byte, which decides what its quotes mean.
        let (end, newlines) = match self.marks.record(pos, &mut self.fields) {
            Some(end) => (end, 0),
            None => {
                let found = scan_record(text, pos, self.sep, &mut self.fields);
                if let Some(stray) = self.stray(pos, found) {
                    return Some(self.own_line(pos, stray));
                }
                self.marks.seek(found.0 + 1);
                found
            }
        };
        let trimmed = trim_cr(text, pos, end);
        if let Some(last) = self.fields.last_mut() {
            last.end = last.end.min(trimmed);
        }
        let at = self.line;
        self.line += newlines + 1;
        self.pos = end + 1;
        Some(Record {
            line: at,
            start: pos,
            end: trimmed,
            stray: None,
        })
    }

    /// Whether the quoted record `scan_record` found at `pos` holds a stray
    /// quote: one that runs a field over a line end and then does not close
    /// it (text after the closing quote, or no closing quote at all), or
    /// that is still open at the end of the text.
    fn stray(&self, pos: usize, (end, newlines): (usize, usize)) -> Option<Stray> {
        let text = self.text;
        let unclosed = end == text.len() && count_byte(&text[pos..end], b'"') % 2 == 1;
        if newlines == 0 && !unclosed {
            return None;
        }
        let column = self
            .fields
            .iter()
            .position(|f| f.quoted && !well_quoted(&text[f.start..f.end]))?;
        // A text's last newline ends its last line; none starts after it.
        let last = usize::from(!(unclosed && text.ends_with(b"\n")));
        Some(Stray {
            column,
            lines: newlines + last,
            unclosed,
        })
    }

    /// The stray quote's line as its own record, its fields split on every
    /// separator (its quotes are what went wrong); the walk goes on at the
    /// next line.
    fn own_line(&mut self, pos: usize, stray: Stray) -> Record {
        let text = self.text;
        let nl = text[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |p| pos + p);
        let end = trim_cr(text, pos, nl);
        self.fields.clear();
        let mut start = pos;
        for i in pos..=end {
            if i == end || text[i] == self.sep {
                self.fields.push(Field {
                    start,
                    end: i,
                    quoted: text[start..i].contains(&b'"'),
                });
                start = i + 1;
            }
        }
        self.marks.seek(nl + 1);
        let at = self.line;
        self.line += 1;
        self.pos = nl + 1;
        Record {
            line: at,
            start: pos,
            end,
            stray: Some(stray),
        }
    }
}

/// `end` without a `\r` just before it (not before `start`).
fn trim_cr(text: &[u8], start: usize, end: usize) -> usize {
    if end > start && text[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// Where to cut a text whose first record has a quote still open a block
/// later: after the last record the walk that sets stray quotes aside finds
/// complete (the first record is the stray quote's line). A later record
/// still open at the end may be a quoted field the next read closes, so the
/// cut is before it. None when there is no line end to cut at.
pub fn cut_after_stray(text: &[u8], sep: u8) -> Option<usize> {
    let mut walk = Records::new(text, 0, sep);
    let mut cut = None;
    while let Some(r) = walk.next_record() {
        let open = r.stray.as_ref().is_some_and(|s| s.unclosed);
        if walk.pos > text.len() || (open && r.start > 0) {
            break;
        }
        cut = Some(walk.pos);
    }
    cut
}

/// Records of `text` with the physical line each starts on; a record ends at
/// a newline outside quotes. The trailing `\r` is dropped.
pub fn records(text: &str, first_line: usize) -> impl Iterator<Item = (usize, &str)> {
    let mut walk = Records::new(text.as_bytes(), first_line, b',');
    // A record starts and ends next to ASCII bytes: its slice is whole characters.
    std::iter::from_fn(move || walk.next_record().map(|r| (r.line, &text[r.start..r.end])))
}

/// Splits one record into fields (header detection, rows set aside).
pub fn fields(rec: &str, sep: u8) -> Vec<String> {
    let mut found = Vec::new();
    scan_record(rec.as_bytes(), 0, sep, &mut found);
    found
        .iter()
        .map(|f| String::from_utf8_lossy(&unquote(&rec.as_bytes()[f.start..f.end])).into_owned())
        .collect()
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    pub fn count(bytes: &[u8], needle: u8) -> usize {
        let mut total = 0;
        // A byte lane counts up to 255 hits: sum the lanes every 255 rounds.
        for part in bytes.chunks(16 * 255) {
            let mut rounds = part.chunks_exact(16);
            // SAFETY: SSE2 is baseline on x86-64; each load reads one
            // 16-byte chunk of the slice.
            unsafe {
                let needle = _mm_set1_epi8(needle as i8);
                let mut lanes = _mm_setzero_si128();
                for round in &mut rounds {
                    let v = _mm_loadu_si128(round.as_ptr().cast());
                    // A hit compares as -1: subtracting it adds one.
                    lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(v, needle));
                }
                let sums = _mm_sad_epu8(lanes, _mm_setzero_si128());
                total += _mm_cvtsi128_si64(sums) as usize;
                total += _mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)) as usize;
            }
            total += rounds.remainder().iter().filter(|&&b| b == needle).count();
        }
        total
    }

    #[inline]
    pub fn marks(bytes: &[u8; 64], sep: u8) -> u64 {
        // SAFETY: SSE2 is baseline on x86-64; the four loads read the
        // 64 bytes of the array.
        unsafe {
            let (sep, nl, quote) = (
                _mm_set1_epi8(sep as i8),
                _mm_set1_epi8(b'\n' as i8),
                _mm_set1_epi8(b'"' as i8),
            );
            let mut bits = 0u64;
            for k in 0..4 {
                let v = _mm_loadu_si128(bytes.as_ptr().add(16 * k).cast());
                let hit = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(v, sep), _mm_cmpeq_epi8(v, nl)),
                    _mm_cmpeq_epi8(v, quote),
                );
                bits |= u64::from(_mm_movemask_epi8(hit) as u16) << (16 * k);
            }
            bits
        }
    }
}

#[cfg(test)]
mod tests;
