//! The CSV reader's block parsing: GB18030 split as bytes equals the
//! block decoded whole; undecodable bytes refuse the block at their line.

use super::*;

/// Records in GB18030 split as bytes (each distinct text decoded once)
/// make the table the block decoded whole makes: fields, empty and
/// quoted cells, blank lines (ASCII and ideographic spaces, a no-break
/// space whose GB18030 bytes are digits), rows set aside, CRLF, tabs.
#[test]
fn a_gb18030_block_split_as_bytes_is_the_block_decoded_whole() {
    let lines = [
        "问卷编号,对象,评价,意见",
        "Q1,ZZ0001,满意,",
        "Q2,ZZ0001,不满意,\"门难进，脸难看\"\r",
        "",
        "\u{3000}\u{3000}",
        "\u{a0}",
        " \t ",
        "Q3,ZZ0002,基本满意,\"说\"\"好的\"\"事\n没办\"",
        "Q4,ZZ0002,满意,多,了,字段",
        ",,,",
        "Q5,ZZ0003,\u{a0}满意\u{3000},长长长长长长长长长长长长长长长长的意见",
        "Q6,ZZ0003,\"未闭合,x",
        "Q7,ZZ0003,满意,最后一行没有换行",
    ];
    for sep in [",", "\t"] {
        let text = lines.join("\n").replace(',', sep);
        let (gb, _, unmappable) = encoding_rs::GB18030.encode(&text);
        assert!(!unmappable);
        let parser = Parser {
            encoding: Encoding::Gb18030,
            told: false,
            sep: sep.as_bytes()[0],
            headers: ["问卷编号", "对象", "评价", "意见"]
                .map(String::from)
                .to_vec(),
        };
        let bytes = parser
            .split(&gb, 7, Encoding::Gb18030)
            .unwrap()
            .into_raw()
            .unwrap();
        let whole = parser
            .split(text.as_bytes(), 7, Encoding::Utf8)
            .unwrap()
            .into_raw()
            .unwrap();
        assert!(
            bytes.df.equals_missing(&whole.df),
            "{}\n{}",
            bytes.df,
            whole.df
        );
        let bad = |t: &RawTable| -> Vec<(u32, String, String)> {
            t.bad
                .iter()
                .map(|b| (b.line, b.reason.clone(), b.raw.clone()))
                .collect()
        };
        assert_eq!(bad(&bytes), bad(&whole));
        // `,,,` is a row of empty cells; with tabs, a blank line. Q6's
        // stray quote sets its line aside; Q7 after it is a row.
        let rows = if sep == "," { 7 } else { 6 };
        assert_eq!(whole.df.height(), rows, "{}", whole.df);
        assert_eq!(bad(&whole).len(), 2, "{:?}", bad(&whole));
    }
}

/// A GB18030 block with a byte that is not GB18030 is refused by the
/// whole-block path, naming its line, as before.
#[test]
fn an_undecodable_gb18030_field_refuses_the_block_at_its_line() {
    let mut gb = encoding_rs::GB18030
        .encode("a,b\n满意,好\n满意,好\n")
        .0
        .into_owned();
    let at = gb.len() - 2;
    gb[at] = 0xFF;
    let parser = Parser {
        encoding: Encoding::Gb18030,
        told: false,
        sep: b',',
        headers: vec!["a".into(), "b".into()],
    };
    assert!(parser.split(&gb, 1, Encoding::Gb18030).is_none());
    // 中 is D6 D0: with a quote between its two bytes it is no
    // character, and dropping the quote must not make it one.
    let broken = b"a,b\nx,\"\xD6\"\xD0\n";
    assert!(parser.split(broken, 1, Encoding::Gb18030).is_none());
    assert!(matches!(
        parser.parse(Block {
            bytes: broken.to_vec(),
            first_line: 1,
            refused: None,
        }),
        Ok(Err(Refusal::Undecodable(ref e))) if e.line == 2
    ));
    let block = Block {
        bytes: gb,
        first_line: 1,
        refused: None,
    };
    match parser.parse(block).unwrap() {
        Err(Refusal::Undecodable(e)) => assert_eq!(e.line, 3, "{e}"),
        other => panic!("{:?}", other.map(|t| t.height())),
    }
}
