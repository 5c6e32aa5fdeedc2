//! Where a CSV block's records and fields lie, found 16 bytes at a time.
//!
//! `Records` walks a block's records with the physical line each starts on;
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

    /// The next record: the line it starts on, where it lies (start, end;
    /// without the trailing `\r`), and how many newlines its quoted fields
    /// hold.
    pub fn next_record(&mut self) -> Option<(usize, usize, usize, usize)> {
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
                self.marks.seek(found.0 + 1);
                found
            }
        };
        let trimmed = if end > pos && text[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        if let Some(last) = self.fields.last_mut() {
            last.end = last.end.min(trimmed);
        }
        let at = self.line;
        self.line += newlines + 1;
        self.pos = end + 1;
        Some((at, pos, trimmed, newlines))
    }
}

/// Records of `text` with the physical line each starts on; a record ends at
/// a newline outside quotes. The trailing `\r` is dropped.
pub fn records(text: &str, first_line: usize) -> impl Iterator<Item = (usize, &str)> {
    let mut walk = Records::new(text.as_bytes(), first_line, b',');
    // A record starts and ends next to ASCII bytes: its slice is whole characters.
    std::iter::from_fn(move || {
        walk.next_record()
            .map(|(line, start, end, _)| (line, &text[start..end]))
    })
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
mod tests {
    use super::*;

    #[test]
    fn records_keep_physical_lines_across_quoted_newlines() {
        let text = "a,b\r\n\"x\ny\",2\n\n3,4\n";
        let r: Vec<(usize, &str)> = records(text, 1).collect();
        assert_eq!(r, vec![(1, "a,b"), (2, "\"x\ny\",2"), (4, ""), (5, "3,4")]);
    }

    #[test]
    fn fields_and_counts_respect_quotes() {
        assert_eq!(fields("\"a,b\",\"c\"\"d\",", b','), vec!["a,b", "c\"d", ""]);
        assert_eq!(fields("\"a,b\",c,", b',').len(), 3);
        assert!(well_quoted(b"\"a \"\"b\"\"\nc\""));
        assert!(!well_quoted(b"a\"b\nc\""));
        assert!(!well_quoted(b"\"never closed\nd"));
        assert!(!well_quoted(b"\"\"\"\"\""));
        assert!(well_quoted(b"\"\""));
        assert!(!well_quoted(b"\""));
    }

    #[test]
    fn byte_counts_match_the_plain_count_at_every_length() {
        let text: Vec<u8> = (0..20_000u32)
            .map(|i| {
                if i % 7 == 0 || i % 255 == 3 {
                    b'\n'
                } else {
                    b'a'
                }
            })
            .collect();
        for len in [
            0, 1, 15, 16, 17, 31, 32, 33, 4079, 4080, 4081, 8159, 8160, 8161, 20_000,
        ] {
            let plain = text[..len].iter().filter(|&&b| b == b'\n').count();
            assert_eq!(count_byte(&text[..len], b'\n'), plain, "{len}");
        }
        assert_eq!(count_byte(&[b'\n'; 9000], b'\n'), 9000);
        assert_eq!(count_byte(&[0xFF; 5000], 0xFF), 5000);
    }

    /// A small deterministic generator: no dependency for one test.
    fn texts() -> impl Iterator<Item = Vec<u8>> {
        let alphabet: [&[u8]; 8] = [
            b"a",
            b",",
            b"\n",
            b"\"",
            b"\r",
            "中".as_bytes(),
            b"\t",
            b"bb",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        (0..3_000).map(move |n| {
            let len = n % 300;
            let mut text = Vec::new();
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Quotes in a third of the texts only: most records of
                // real exports have none, and take the marks' path.
                let pick = (state % 8) as usize;
                let pick = if pick == 3 && n % 3 != 0 { 0 } else { pick };
                text.extend_from_slice(alphabet[pick]);
            }
            text
        })
    }

    /// The records and fields of every text, walked mark by mark with
    /// quoted records handed to `scan_record`, are those `scan_record` finds
    /// walking every byte.
    #[test]
    fn marks_split_records_as_the_byte_walk_does() {
        for text in texts() {
            for sep in [b',', b'\t'] {
                let mut marks = Marks::new(&text, sep);
                let (mut pos, mut a, mut b) = (0, Vec::new(), Vec::new());
                while pos < text.len() {
                    let want = scan_record(&text, pos, sep, &mut b);
                    let got = match marks.record(pos, &mut a) {
                        Some(end) => (end, 0),
                        None => {
                            let found = scan_record(&text, pos, sep, &mut a);
                            marks.seek(found.0 + 1);
                            found
                        }
                    };
                    let spans = |f: &[Field]| -> Vec<(usize, usize, bool)> {
                        f.iter().map(|f| (f.start, f.end, f.quoted)).collect()
                    };
                    assert_eq!(got, want, "{:?} at {pos}", String::from_utf8_lossy(&text));
                    assert_eq!(
                        spans(&a),
                        spans(&b),
                        "{:?} at {pos}",
                        String::from_utf8_lossy(&text)
                    );
                    pos = want.0 + 1;
                }
            }
        }
    }
}
