//! The CSV walk's tests: records, stray quotes, marks against the byte walk.

use super::*;

#[test]
fn records_keep_physical_lines_across_quoted_newlines() {
    let text = "a,b\r\n\"x\ny\",2\n\n3,4\n";
    let r: Vec<(usize, &str)> = records(text, 1).collect();
    assert_eq!(r, vec![(1, "a,b"), (2, "\"x\ny\",2"), (4, ""), (5, "3,4")]);
}

/// A record walked: its line, text, and its stray quote's (column, lines,
/// unclosed).
type Walked = (usize, String, Option<(usize, usize, bool)>);

/// Every record of `text`, walked.
fn walk(text: &[u8]) -> Vec<Walked> {
    let mut walk = Records::new(text, 1, b',');
    std::iter::from_fn(|| walk.next_record())
        .map(|r| {
            let rec = String::from_utf8_lossy(&text[r.start..r.end]).into_owned();
            (
                r.line,
                rec,
                r.stray.map(|s| (s.column, s.lines, s.unclosed)),
            )
        })
        .collect()
}

#[test]
fn a_stray_quote_is_a_record_of_its_own_line() {
    // Line 2's quote would pair with line 4's, text running on after
    // it; line 4's quote then opens a field line 5 closes properly;
    // line 6's is never closed.
    let text = b"a,b\nc,\"d\ne,f\n\"g\nh\",i\nk,\"l\n";
    let s = |line: usize, rec: &str, stray| (line, rec.to_string(), stray);
    assert_eq!(
        walk(text),
        vec![
            s(1, "a,b", None),
            s(2, "c,\"d", Some((1, 3, false))),
            s(3, "e,f", None),
            s(4, "\"g\nh\",i", None),
            s(6, "k,\"l", Some((1, 1, true))),
        ]
    );
    // A stray line's fields are split on every separator.
    let text = b"x,\"y,z\r\nw\n";
    let mut records = Records::new(text, 1, b',');
    let r = records.next_record().unwrap();
    assert_eq!((r.end, records.fields.len()), (6, 3));
    assert!(r.stray.unwrap().unclosed);
    // The last line of a file, with no line end, its quote left open.
    assert_eq!(
        walk(b"a\n\"b"),
        vec![s(1, "a", None), s(2, "\"b", Some((0, 1, true)))]
    );
}

#[test]
fn a_quote_open_for_a_block_is_cut_after_its_line_not_inside_a_later_field() {
    let text = b"x,\"open\na,b\nc,d\ne,\"half\n";
    assert_eq!(cut_after_stray(text, b','), Some(text.len() - 8));
    assert_eq!(cut_after_stray(b"x,\"open\n", b','), Some(8));
    assert_eq!(cut_after_stray(b"x,\"no line end", b','), None);
}

/// Whatever its quotes, a text is walked to its end, each record
/// starting on a later line than the one before.
#[test]
fn every_text_is_walked_to_its_end() {
    for text in texts() {
        let mut records = Records::new(&text, 1, b',');
        let (mut last, mut count) = (0, 0);
        while let Some(r) = records.next_record() {
            assert!(r.line > last, "{:?}", String::from_utf8_lossy(&text));
            last = r.line;
            count += 1;
        }
        assert!(count <= count_byte(&text, b'\n') + 1);
    }
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
