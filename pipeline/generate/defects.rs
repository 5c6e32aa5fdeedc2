//! Planted faults, so every ingest path has something real to catch: extra
//! rows with a bad date, an unknown subject, a rating off the scale, a repeated
//! response, a missing required value; plus a phone number and an 18-digit ID
//! number in otherwise valid comments. Planted rows are *added*, never
//! altered, so the clean data keeps the seed's figures exactly.
//! Every plant is listed in EXPECTED-DEFECTS.csv with file, line and column.

use std::borrow::Cow;

use super::export::{DateStyle, Field, Layout};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    BadDate,
    UnknownSubject,
    OffScale,
    Duplicate,
    MissingRequired,
}

impl Defect {
    pub fn name(self) -> &'static str {
        match self {
            Defect::BadDate => "bad_date",
            Defect::UnknownSubject => "unknown_subject",
            Defect::OffScale => "off_scale",
            Defect::Duplicate => "duplicate",
            Defect::MissingRequired => "missing_required",
        }
    }
}

/// After which data row (1-based) of a rating file each defect row is added.
pub const RATING_PLANTS: [(u64, Defect); 5] = [
    (7, Defect::BadDate),
    (19, Defect::UnknownSubject),
    (31, Defect::OffScale),
    (53, Defect::Duplicate),
    (71, Defect::MissingRequired),
];

/// Data row whose comment carries planted personal data.
pub const PII_ROW: u64 = 25;

/// One planted fault, as listed in EXPECTED-DEFECTS.csv.
#[derive(Debug, Clone)]
pub struct Planted {
    pub file: String,
    pub sheet: String,
    pub line: u64,
    pub column: &'static str,
    pub value: String,
    pub defect: &'static str,
}

/// Canonical name of an export column.
pub fn canonical(field: Field) -> &'static str {
    match field {
        Field::Response => "response_id",
        Field::SubjectId => "subject_id",
        Field::SubjectName => "subject_name",
        Field::Date(_) => "rated_at",
        Field::Period => "period",
        Field::Category => "rater_category",
        Field::RaterId => "rater_id",
        Field::Village => "rater_village",
        Field::Method => "method",
        Field::Channel => "channel",
        Field::Item => "item",
        Field::Rating | Field::Button => "rating",
        Field::Device => "device_id",
        Field::Comment => "comment",
    }
}

fn position(layout: Layout, want: impl Fn(Field) -> bool) -> Option<usize> {
    layout.iter().position(|(_, f)| want(*f))
}

/// Turns a copy of a valid row into a defect row. Returns the column and the
/// value that make it defective.
pub fn corrupt(
    cells: &mut [Cow<str>],
    layout: Layout,
    defect: Defect,
    n: u64,
) -> Option<(&'static str, String)> {
    let response = position(layout, |f| f == Field::Response)?;
    if defect != Defect::Duplicate {
        // A fresh response id, so the row is refused for its own fault only.
        let fresh = format!("{}X{n:04}", &cells[response][..2]);
        cells[response] = fresh.into();
    }
    let (idx, value): (usize, String) = match defect {
        Defect::Duplicate => (response, cells[response].to_string()),
        Defect::BadDate => {
            let i = position(layout, |f| matches!(f, Field::Date(_)))?;
            let bad = match layout[i].1 {
                Field::Date(DateStyle::Zh) => "2012年2月30日",
                Field::Date(DateStyle::Slash) => "2012/13/5",
                Field::Date(DateStyle::Time) => "2012-02-30 10:00:00",
                _ => "2012.9.31",
            };
            (i, bad.to_string())
        }
        Defect::UnknownSubject => {
            let i = position(layout, |f| f == Field::SubjectId)?;
            let bad = if cells[i].starts_with("GB") {
                "GB99999"
            } else {
                "ZZ9999"
            };
            (i, bad.to_string())
        }
        Defect::OffScale => {
            let i = position(layout, |f| matches!(f, Field::Rating | Field::Button))?;
            (
                i,
                if layout[i].1 == Field::Button {
                    "7"
                } else {
                    "很好"
                }
                .to_string(),
            )
        }
        Defect::MissingRequired => {
            let i = position(layout, |f| f == Field::Category).unwrap_or(response);
            (i, String::new())
        }
    };
    cells[idx] = value.clone().into();
    Some((canonical(layout[idx].1), value))
}

/// An 18-digit resident ID number of Luxi County (532527) with a valid check
/// character (GB 11643, ISO 7064 MOD 11-2) for a fictional person.
pub fn id_number() -> String {
    let body = "53252719830315001";
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).expect("digit") * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

pub const PHONE: &str = "13800001234";

/// The planted personal-data comment for a file, by its index among rating files.
pub fn pii_comment(file_index: usize) -> (&'static str, String) {
    if file_index % 2 == 0 {
        (
            "pii_phone",
            format!("有事请打电话{PHONE}找我，村里的路还没修"),
        )
    } else {
        (
            "pii_id_number",
            format!("我的身份证号是{}，低保的事一直没人管", id_number()),
        )
    }
}
