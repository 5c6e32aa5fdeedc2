//! Fuzzing what a hostile export reaches first: the reader of every input
//! format (`format.rs`; CSV's encoding detection, decoding, header row,
//! records and quoting, JSON lines, workbooks), the date parser and the
//! header mapper. Inputs come from a seeded generator (`crate::rng`, so a
//! failing case is re-made from its seed and number): realistic files (a
//! format's own, `Reader::fuzz_seed`) mutated by flipping, inserting,
//! deleting and repeating bytes drawn from the ones parsers trip on (quotes, separators,
//! line ends, a BOM, bytes of UTF-8 and GB18030 characters, invalid bytes).
//! Each input runs under `catch_unwind`: an error is a fine answer, a panic
//! is a bug. The test suite runs a short campaign; the README says how to
//! run a long one (cargo-fuzz needs a nightly toolchain, which this project
//! does not assume).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use super::input::{self, Format, Hints};
use crate::config::Config;
use crate::rng::Rng;

/// What a campaign feeds: every input format's reader (`Format::all`), the
/// date parser, the header mapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    File(Format),
    Dates,
    Headers,
}

impl Target {
    /// The readers first, then the parsers behind them.
    pub fn all() -> Vec<Target> {
        Format::all()
            .map(Target::File)
            .chain([Target::Dates, Target::Headers])
            .collect()
    }

    /// The name the campaign reports and its environment variable takes
    /// (`PINGYI_FUZZ_CASES_CSV`): a format's own name.
    pub fn name(self) -> &'static str {
        match self {
            Target::File(f) => f.name(),
            Target::Dates => "dates",
            Target::Headers => "headers",
        }
    }

    /// What the generator derives a case's randomness from: the numbers
    /// the four targets had before the formats were iterated (csv 0,
    /// dates 1, headers 2, jsonl 3), so a seed makes the same inputs as it
    /// did; a format added later takes the next free number.
    fn label(self) -> u64 {
        match self {
            Target::Dates => 1,
            Target::Headers => 2,
            Target::File(f) => match Format::all().position(|g| g == f) {
                Some(0) => 0,
                Some(i) => i as u64 + 2,
                None => unreachable!("every format is in the list"),
            },
        }
    }
}

/// A case that panicked: its number (re-made by `input(target, seed, case)`),
/// the input and the panic's message.
#[derive(Debug)]
pub struct Panic {
    pub case: u64,
    pub input: Vec<u8>,
    pub message: String,
}

/// Runs `cases` generated inputs through `target`; `dir` holds the file the
/// file readers read. Returns the panics (none, one hopes).
pub fn run(cfg: &Config, target: Target, seed: u64, cases: u64, dir: &Path) -> Vec<Panic> {
    // The file the readers read, named so its extension picks the format.
    let path = dir.join(match target {
        Target::File(f) => format!("fuzz.{}", f.reader().extensions()[0]),
        _ => "fuzz.csv".to_string(),
    });
    let mut panics = Vec::new();
    for case in 0..cases {
        let bytes = input(target, seed, case);
        let outcome = catch_unwind(AssertUnwindSafe(|| one(cfg, target, &bytes, &path)));
        if let Err(payload) = outcome {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            panics.push(Panic {
                case,
                input: bytes,
                message,
            });
        }
    }
    panics
}

/// One input through one target; errors are answers, only panics count.
fn one(cfg: &Config, target: Target, bytes: &[u8], path: &Path) {
    match target {
        Target::Dates => {
            let text = String::from_utf8_lossy(bytes);
            if let Some(d) = crate::dates::parse_loose(&text) {
                // What it returns is a real day.
                assert!(crate::dates::Date::new(d.year, d.month, d.day).is_some());
                assert_eq!(crate::dates::Date::from_days(d.to_days()), d);
            }
        }
        Target::Headers => {
            let text = String::from_utf8_lossy(bytes);
            let headers: Vec<String> = text.split(',').map(str::to_string).collect();
            for told in [None, Some(crate::contract::Kind::Ratings)] {
                if let Ok(m) = super::mapping::resolve(cfg, &headers, None, told) {
                    // Every mapped column points at a header that exists.
                    for c in crate::contract::all_columns() {
                        assert!(m.position(c).is_none_or(|i| i < headers.len()));
                    }
                }
            }
        }
        Target::File(format) => {
            if std::fs::write(path, bytes).is_err() {
                return;
            }
            read_all(cfg, path, format);
        }
    }
}

/// Opens a file as ingest does and reads every table of it.
fn read_all(cfg: &Config, path: &Path, format: Format) {
    let Ok(Ok(opened)) = input::open(cfg, path, format, &Hints::default()) else {
        return;
    };
    let _ = opened.each_table(cfg, path, |_, _| Ok(()));
}

/// Case `case` of `target` under `seed`: a seed input, mutated.
pub fn input(target: Target, seed: u64, case: u64) -> Vec<u8> {
    let mut rng = Rng::derive(seed, &[target.label(), case]);
    let mut bytes = match target {
        Target::File(f) => f.reader().fuzz_seed(&mut rng),
        Target::Dates => rng.pick(DATES).as_bytes().to_vec(),
        Target::Headers => rng.pick(HEADERS).as_bytes().to_vec(),
    };
    let mutations = rng.range(0, 8);
    for _ in 0..mutations {
        mutate(&mut rng, &mut bytes);
    }
    bytes
}

/// Bytes parsers trip on.
const SPICE: &[&[u8]] = &[
    b"\"",
    b",",
    b"\t",
    b"\n",
    b"\r",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xfe",
    b"\x00",
    b"\xe8\xaf\x84",
    b"\xc6\xc0",
    b"\x81\x30",
    b"\x81",
    b"\xe9",
    b"{",
    b"}",
    b":",
    b"[",
    b"]",
    b"-",
    b"/",
    b".",
    b"T",
    b" ",
    b"\xe5\xb9\xb4",
    b"\xe6\x9c\x88",
    b"\xe6\x97\xa5",
    b"9999",
    b"0",
    b"45000",
    b"25:00",
    b"\\",
    b"'",
    b"=",
    b"\xe3\x80\x80",
    b"(",
    b"\xef\xbc\x88",
];

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let at = |rng: &mut Rng, len: usize| rng.below(len as u64 + 1) as usize;
    match rng.below(6) {
        0 if !bytes.is_empty() => {
            let i = at(rng, bytes.len() - 1);
            bytes[i] ^= 1 << rng.below(8);
        }
        1 | 2 => {
            let i = at(rng, bytes.len());
            let spice = rng.pick(SPICE);
            let times = if rng.chance(0.1) {
                rng.range(2, 200)
            } else {
                1
            };
            for _ in 0..times {
                bytes.splice(i..i, spice.iter().copied());
            }
        }
        3 if !bytes.is_empty() => {
            let i = at(rng, bytes.len() - 1);
            let n = rng.range(1, 16) as usize;
            bytes.drain(i..(i + n).min(bytes.len()));
        }
        4 if !bytes.is_empty() => {
            let i = at(rng, bytes.len() - 1);
            let n = rng.range(1, 64) as usize;
            let piece: Vec<u8> = bytes[i..(i + n).min(bytes.len())].to_vec();
            let j = at(rng, bytes.len());
            bytes.splice(j..j, piece);
        }
        _ => {
            let n = at(rng, bytes.len());
            bytes.truncate(n);
        }
    }
}

const DATES: &[&str] = &[
    "2012-09-03",
    "2012/9/3",
    "2012.9.3",
    "2012年9月3日",
    "41155",
    "41155.5",
    "2012-09-03 14:30:00",
    "2012-09-03T08:00:00+08:00",
    "2012-09-03T08:00Z",
    "2012年9月3日 10:15",
    "9999-12-31",
    "-2012-01-01",
    "2012-09-03T25:00:00",
];

const HEADERS: &[&str] = &[
    "问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径,评价",
    "被评议对象编号,名称,类型,组织类型,先锋类别,乡镇,村(社区),所属组织,职务",
    "人员编号,乡镇,村（社区）,人员类别",
    "RESPONSE_ID, Subject_ID ,rated_at,rater_category,method,channel,rating,rating",
    "台账编号,被评议对象编号,收集日期,收集方式,问题类别,意见建议内容,整改措施,责任人,完成时限,整改状态",
    ",,,",
];
