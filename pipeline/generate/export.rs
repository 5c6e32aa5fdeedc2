//! Writing generated rows the way counties' exports look: column layouts with
//! Chinese headers, CSV in GB18030 / UTF-8 with BOM / UTF-8, evaluation-device
//! JSON lines, and Excel workbooks with a title row above the header.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use super::model::{Rater, Rating};
use super::plan::Plan;
use crate::dates::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    Zh,
    Slash,
    Time,
    Excel,
}

/// What a column of a rating export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Response,
    SubjectId,
    SubjectName,
    Date(DateStyle),
    Period,
    Category,
    RaterId,
    Village,
    Method,
    Channel,
    Item,
    Rating,
    /// Evaluation-device button code (1 满意, 2 基本满意, 3 不满意).
    Button,
    Device,
    Comment,
}

pub type Layout = &'static [(&'static str, Field)];

/// 群众满意度测评表 keyed in by township clerks (GB18030).
pub const SURVEY: Layout = &[
    ("测评表编号", Field::Response),
    ("被评议对象编号", Field::SubjectId),
    ("被评议对象", Field::SubjectName),
    ("测评日期", Field::Date(DateStyle::Zh)),
    ("参评人员类别", Field::Category),
    ("评议人编号", Field::RaterId),
    ("评议人所在村(社区)", Field::Village),
    ("评议方式", Field::Method),
    ("评议途径", Field::Channel),
    ("测评项目", Field::Item),
    ("满意度", Field::Rating),
    ("意见建议", Field::Comment),
];

/// Talk sessions and online forms, exported from the county's system (UTF-8 with BOM).
pub const TALKS: Layout = &[
    ("问卷编号", Field::Response),
    ("被评议对象编号", Field::SubjectId),
    ("评议日期", Field::Date(DateStyle::Slash)),
    ("评议期次", Field::Period),
    ("评议人类别", Field::Category),
    ("评议人编号", Field::RaterId),
    ("评议人所在村（社区）", Field::Village),
    ("评议方式", Field::Method),
    ("评议途径", Field::Channel),
    ("评议内容", Field::Item),
    ("评价", Field::Rating),
    ("意见建议", Field::Comment),
];

/// Random-draw evaluation sheets typed into Excel.
pub const RANDOM: Layout = &[
    ("问卷编号", Field::Response),
    ("被评议对象编号", Field::SubjectId),
    ("被评议对象", Field::SubjectName),
    ("评议日期", Field::Date(DateStyle::Excel)),
    ("评议人编号", Field::RaterId),
    ("评议人类别", Field::Category),
    ("评议人所在村(社区)", Field::Village),
    ("评议方式", Field::Method),
    ("评议途径", Field::Channel),
    ("评议内容", Field::Item),
    ("评价", Field::Rating),
    ("意见建议", Field::Comment),
];

/// Evaluation-device votes: English keys, button codes (mapped in pingyi.toml).
pub const DEVICE: Layout = &[
    ("vote_id", Field::Response),
    ("device_id", Field::Device),
    ("target_code", Field::SubjectId),
    ("ts", Field::Date(DateStyle::Time)),
    ("button", Field::Button),
    ("remark", Field::Comment),
];

/// Response-id prefix by how the rating was collected.
fn prefix(plan: &Plan, r: &Rating) -> &'static str {
    if plan.cfg.methods[r.method as usize].name == "随机抽查" {
        return "SJ";
    }
    match plan.cfg.channels[r.channel as usize].name.as_str() {
        "测评表" => "CP",
        "问卷" => "WJ",
        "网络" => "WL",
        "评价器" => "DV",
        "评议会" => "PY",
        "座谈会" => "ZT",
        _ => "FT",
    }
}

/// A configured name or, for a messy row, one of its aliases.
fn spelled<'a>(name: &'a str, aliases: &'a [String], spelling: u8) -> Cow<'a, str> {
    match spelling {
        0 => Cow::Borrowed(name),
        1 if !aliases.is_empty() => Cow::Borrowed(&aliases[0]),
        2 => Cow::Owned(format!(" {name} ")),
        _ => Cow::Borrowed(name),
    }
}

pub fn cell<'a>(plan: &'a Plan, r: &'a Rating, field: Field) -> Cow<'a, str> {
    let subject = &plan.county.subjects[r.subject as usize];
    match field {
        Field::Response => format!("{}{:013}", prefix(plan, r), r.response).into(),
        Field::SubjectId => Cow::Borrowed(&subject.id),
        Field::SubjectName => Cow::Borrowed(&subject.name),
        Field::Date(DateStyle::Zh) => r.date.zh().into(),
        Field::Date(DateStyle::Slash) => r.date.slash().into(),
        Field::Date(DateStyle::Excel) => r.date.to_string().into(),
        Field::Date(DateStyle::Time) => format!(
            "{} {:02}:{:02}:{:02}",
            r.date,
            r.minute / 60,
            r.minute % 60,
            r.response % 60
        )
        .into(),
        Field::Period => format!("{}Q{}", r.date.year, r.date.quarter()).into(),
        Field::Category => {
            let c = &plan.cfg.rater_categories[r.category as usize];
            spelled(&c.name, &c.aliases, r.spelling.saturating_sub(2))
        }
        Field::RaterId => match r.rater {
            Rater::Anonymous => Cow::Borrowed(""),
            Rater::Person(p) => Cow::Borrowed(&plan.roster.people[p as usize].id),
            Rater::Client(c) => format!("FW{c:08}").into(),
        },
        Field::Village => match r.rater {
            Rater::Person(p) => {
                Cow::Borrowed(&plan.county.villages[plan.roster.people[p as usize].village].name)
            }
            _ => Cow::Borrowed(""),
        },
        Field::Method => Cow::Borrowed(&plan.cfg.methods[r.method as usize].name),
        Field::Channel => Cow::Borrowed(&plan.cfg.channels[r.channel as usize].name),
        Field::Item => Cow::Borrowed(&plan.items(r.subject as usize)[r.item as usize]),
        Field::Rating => {
            let l = &plan.cfg.scale[r.level as usize];
            spelled(&l.label, &l.aliases, r.spelling.min(2))
        }
        Field::Button => button(plan, r.level).into(),
        Field::Device => format!("PJQ-{:03}", r.subject % 997).into(),
        Field::Comment => Cow::Borrowed(r.comment.unwrap_or("")),
    }
}

fn button(plan: &Plan, level: u8) -> String {
    let l = &plan.levels;
    let code = l
        .satisfied
        .iter()
        .chain(&l.unsatisfied)
        .position(|&x| x == level)
        .map_or(0, |i| i + 1);
    code.to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Gb18030,
}

/// A CSV file written line by line; counts physical lines (the header is line 1).
pub struct CsvOut {
    w: BufWriter<File>,
    encoding: Encoding,
    line: String,
    pub lines: u64,
}

impl CsvOut {
    pub fn create(path: &Path, encoding: Encoding) -> Result<CsvOut> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        if encoding == Encoding::Utf8Bom {
            w.write_all("\u{feff}".as_bytes())?;
        }
        Ok(CsvOut {
            w,
            encoding,
            line: String::new(),
            lines: 0,
        })
    }

    pub fn row<S: AsRef<str>>(&mut self, fields: impl IntoIterator<Item = S>) -> Result<u64> {
        self.line.clear();
        for (i, f) in fields.into_iter().enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            push_csv_field(&mut self.line, f.as_ref());
        }
        self.line.push_str("\r\n");
        match self.encoding {
            Encoding::Gb18030 => {
                let (bytes, _, _) = encoding_rs::GB18030.encode(&self.line);
                self.w.write_all(&bytes)?;
            }
            _ => self.w.write_all(self.line.as_bytes())?,
        }
        self.lines += 1;
        Ok(self.lines)
    }

    pub fn finish(mut self) -> Result<()> {
        self.w.flush()?;
        Ok(())
    }
}

fn push_csv_field(out: &mut String, f: &str) {
    if f.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&f.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(f);
    }
}

/// Evaluation-device JSON lines.
pub struct JsonlOut {
    w: BufWriter<File>,
    pub lines: u64,
}

impl JsonlOut {
    pub fn create(path: &Path) -> Result<JsonlOut> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(JsonlOut {
            w: BufWriter::with_capacity(1 << 20, file),
            lines: 0,
        })
    }

    /// One object; the button code is written as a number, as devices do.
    pub fn row(&mut self, fields: &[(&str, Cow<str>)]) -> Result<u64> {
        self.w.write_all(b"{")?;
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                self.w.write_all(b",")?;
            }
            write!(self.w, "\"{k}\":")?;
            match v.parse::<u32>() {
                Ok(n) if *k == "button" => write!(self.w, "{n}")?,
                _ => serde_json::to_writer(&mut self.w, v.as_ref())?,
            }
        }
        self.w.write_all(b"}\n")?;
        self.lines += 1;
        Ok(self.lines)
    }

    pub fn finish(mut self) -> Result<()> {
        self.w.flush()?;
        Ok(())
    }
}

/// A workbook whose sheets have a merged title row, then the header, then data.
pub struct Xlsx {
    pub book: Workbook,
    date: Format,
    bold: Format,
}

pub enum XCell<'a> {
    Text(Cow<'a, str>),
    Date(Date),
}

impl Xlsx {
    /// `stamp` fixes the document's creation time so equal inputs give equal bytes.
    pub fn new(stamp: Date) -> Result<Xlsx> {
        let mut book = Workbook::new();
        let created =
            ExcelDateTime::from_ymd(stamp.year as u16, stamp.month as u8, stamp.day as u8)?;
        book.set_properties(
            &DocProperties::new()
                .set_creation_datetime(&created)
                .set_author("pingyi generate"),
        );
        Ok(Xlsx {
            book,
            date: Format::new().set_num_format("yyyy-mm-dd"),
            bold: Format::new().set_bold(),
        })
    }

    /// A new sheet with title and header; returns it for data rows from row index 2.
    pub fn sheet(&mut self, name: &str, title: &str, headers: &[&str]) -> Result<&mut Worksheet> {
        let bold = self.bold.clone();
        let ws = self.book.add_worksheet();
        ws.set_name(name)?;
        ws.merge_range(
            0,
            0,
            0,
            headers.len().saturating_sub(1) as u16,
            title,
            &bold,
        )?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(1, c as u16, *h, &bold)?;
            ws.set_column_width(c as u16, 14)?;
        }
        Ok(ws)
    }

    pub fn write(ws: &mut Worksheet, date: &Format, row: u32, cells: &[XCell]) -> Result<()> {
        for (c, cell) in cells.iter().enumerate() {
            match cell {
                XCell::Text(t) if t.is_empty() => {}
                XCell::Text(t) => {
                    ws.write_string(row, c as u16, t.as_ref())?;
                }
                XCell::Date(d) => {
                    ws.write_number_with_format(row, c as u16, d.excel_serial() as f64, date)?;
                }
            }
        }
        Ok(())
    }

    pub fn date_format(&self) -> Format {
        self.date.clone()
    }

    pub fn save(mut self, path: &Path) -> Result<()> {
        self.book
            .save(path)
            .with_context(|| format!("cannot write {}", path.display()))
    }
}
