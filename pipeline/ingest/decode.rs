//! Text encodings of exports: UTF-8 (with or without BOM) and GB18030, the
//! superset of GBK/GB2312 that Chinese Excel writes. Detection: a UTF-8 BOM
//! means UTF-8; bytes that are valid UTF-8 are UTF-8, and so are bytes
//! whose whole first lines are UTF-8 with characters beyond ASCII (a UTF-8
//! file with one bad line); otherwise GB18030. Bytes that do not decode
//! refuse the file, naming the line where decoding fails and how the
//! encoding was chosen.

use std::borrow::Cow;

use crate::config::Encoding;

#[derive(Debug, thiserror::Error)]
#[error("line {line}: bytes {bytes} are not valid {encoding} (the encoding {how}); save the file as UTF-8 or GB18030 (or name its encoding with --encoding)")]
pub struct Undecodable {
    pub line: usize,
    pub bytes: String,
    pub encoding: &'static str,
    /// How the encoding was chosen, for the message.
    pub how: &'static str,
}

/// How the encoding was chosen: `told` by --encoding, or detected.
pub fn how(told: bool) -> &'static str {
    if told {
        "named by --encoding"
    } else {
        "detected from the file's first lines"
    }
}

/// Which encoding `bytes` are in, unless told.
pub fn detect(bytes: &[u8], told: Option<Encoding>) -> Encoding {
    if let Some(e) = told {
        return e;
    }
    if bytes.starts_with(b"\xef\xbb\xbf") {
        return Encoding::Utf8;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => Encoding::Utf8,
        // Only the end is cut short: the sample is the file's first block,
        // and the cut can fall inside a character (a BOM-less UTF-8 file over
        // 8 MB was taken for GB18030 and refused).
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        // Whole lines of Chinese that are valid UTF-8 before the bad bytes:
        // a UTF-8 file with a bad line, not GB18030 (a GB18030 line of
        // Chinese is practically never valid UTF-8). Reported as UTF-8, at
        // the line that fails.
        Err(e) if !whole_lines(&bytes[..e.valid_up_to()]).is_ascii() => Encoding::Utf8,
        Err(_) => Encoding::Gb18030,
    }
}

/// `bytes` up to and including their last line end.
fn whole_lines(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)]
}

pub fn name(e: Encoding) -> &'static str {
    match e {
        Encoding::Utf8 => "UTF-8",
        Encoding::Gb18030 => "GB18030",
    }
}

/// Decodes a block of whole lines without copying when it is UTF-8 already.
pub fn decode_owned(
    mut bytes: Vec<u8>,
    encoding: Encoding,
    first_line: usize,
) -> Result<String, Undecodable> {
    if encoding == Encoding::Gb18030 {
        return decode(&bytes, encoding, first_line);
    }
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    // simdutf8 checks Chinese text several times faster than std (std's
    // check was 6 % of ingest's CPU); std's runs only on a failure, to say where.
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: the bytes were just checked to be UTF-8.
        return Ok(unsafe { String::from_utf8_unchecked(bytes) });
    }
    String::from_utf8(bytes).map_err(|e| locate(e.as_bytes(), encoding, first_line))
}

/// Decodes a block of whole lines; `first_line` numbers the block's first line.
pub fn decode(bytes: &[u8], encoding: Encoding, first_line: usize) -> Result<String, Undecodable> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    text(bytes, encoding)
        .map(Cow::into_owned)
        .ok_or_else(|| locate(bytes, encoding, first_line))
}

/// The text of `bytes` (borrowed when they are UTF-8, or ASCII in
/// GB18030), or None when they do not decode.
pub fn text(bytes: &[u8], encoding: Encoding) -> Option<Cow<'_, str>> {
    match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
        Encoding::Gb18030 => {
            encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes)
        }
    }
}

/// Finds the first line that does not decode, for the message.
fn locate(bytes: &[u8], encoding: Encoding, first_line: usize) -> Undecodable {
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let bad = match encoding {
            Encoding::Utf8 => std::str::from_utf8(line).err().map(|e| e.valid_up_to()),
            Encoding::Gb18030 => encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(line)
                .is_none()
                .then(|| first_bad_gb(line)),
        };
        if let Some(at) = bad {
            let shown: Vec<String> = line[at..]
                .iter()
                .take(4)
                .map(|b| format!("{b:02X}"))
                .collect();
            return Undecodable {
                line: first_line + i,
                bytes: shown.join(" "),
                encoding: name(encoding),
                how: how(false),
            };
        }
    }
    Undecodable {
        line: first_line,
        bytes: String::new(),
        encoding: name(encoding),
        how: how(false),
    }
}

/// Byte offset of the first malformed GB18030 sequence in `line`.
fn first_bad_gb(line: &[u8]) -> usize {
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(line.len() * 3 + 8);
    let (result, read) = decoder.decode_to_string_without_replacement(line, &mut out, true);
    match result {
        encoding_rs::DecoderResult::Malformed(bad, after) => {
            read.saturating_sub(usize::from(bad) + usize::from(after))
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_and_decodes_each_encoding() {
        let (gb, _, _) = encoding_rs::GB18030.encode("评议,满意\n");
        assert_eq!(detect(&gb, None), Encoding::Gb18030);
        assert_eq!(decode(&gb, Encoding::Gb18030, 1).unwrap(), "评议,满意\n");
        let bom = "\u{feff}评议\n".as_bytes();
        assert_eq!(detect(bom, None), Encoding::Utf8);
        assert_eq!(decode(bom, Encoding::Utf8, 1).unwrap(), "评议\n");
        // A first block cut inside a character is still UTF-8.
        let cut = &"评议,满意".as_bytes()[..8];
        assert_eq!(detect(cut, None), Encoding::Utf8);
    }

    #[test]
    fn names_the_line_of_undecodable_bytes() {
        let bytes = b"a,b\nc,d\n\xff\xfe,x\n";
        let e = decode(bytes, Encoding::Utf8, 1).unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.bytes, "FF FE 2C 78");
    }

    #[test]
    fn a_utf8_file_with_a_gb18030_line_is_utf8_failing_at_that_line() {
        let mut bytes = "问卷编号,评价\nA1,满意\n".as_bytes().to_vec();
        let (gb, _, _) = encoding_rs::GB18030.encode("A2,不满意\n");
        bytes.extend_from_slice(&gb);
        assert_eq!(detect(&bytes, None), Encoding::Utf8);
        let e = decode(&bytes, Encoding::Utf8, 1).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            e.to_string()
                .starts_with("line 3: bytes B2 BB C2 FA are not valid UTF-8"),
            "{e}"
        );
        // A GB18030 file stays GB18030.
        let (gb, _, _) = encoding_rs::GB18030.encode("问卷编号,评价\nA1,满意\n");
        assert_eq!(detect(&gb, None), Encoding::Gb18030);
    }
}
