//! Writing the generated county to its export files, planting the listed
//! faults as rows go by. Streams rows: memory does not grow with the scale.

use std::borrow::Cow;
use std::path::Path;

use anyhow::Result;

use super::defects::{self, corrupt, Planted, PII_ROW, RATING_PLANTS};
use super::export::*;
use super::ledger::Item;
use super::model::Rating;
use super::plan::Plan;
use crate::dates::Date;

enum Out {
    Csv(CsvOut),
    Jsonl(JsonlOut),
}

/// One streamed rating export and where it stands in planting faults.
pub struct Stream {
    pub name: String,
    layout: Layout,
    out: Out,
    index: usize,
    pub rows: u64,
    plants_done: usize,
    defects: bool,
}

impl Stream {
    pub fn csv(
        dir: &Path,
        name: &str,
        layout: Layout,
        encoding: Encoding,
        index: usize,
        defects: bool,
    ) -> Result<Stream> {
        let mut out = CsvOut::create(&dir.join(name), encoding)?;
        out.row(layout.iter().map(|(h, _)| *h))?;
        Ok(Stream::new(name, layout, Out::Csv(out), index, defects))
    }

    pub fn jsonl(
        dir: &Path,
        name: &str,
        layout: Layout,
        index: usize,
        defects: bool,
    ) -> Result<Stream> {
        let out = JsonlOut::create(&dir.join(name))?;
        Ok(Stream::new(name, layout, Out::Jsonl(out), index, defects))
    }

    fn new(name: &str, layout: Layout, out: Out, index: usize, defects: bool) -> Stream {
        Stream {
            name: name.to_string(),
            layout,
            out,
            index,
            rows: 0,
            plants_done: 0,
            defects,
        }
    }

    fn emit(&mut self, cells: &[Cow<str>]) -> Result<u64> {
        match &mut self.out {
            Out::Csv(c) => c.row(cells.iter()),
            Out::Jsonl(j) => {
                let pairs: Vec<(&str, Cow<str>)> = self
                    .layout
                    .iter()
                    .map(|(h, _)| *h)
                    .zip(cells.iter().cloned())
                    .collect();
                j.row(&pairs)
            }
        }
    }

    pub fn write(&mut self, plan: &Plan, r: &Rating, planted: &mut Vec<Planted>) -> Result<()> {
        let mut cells: Vec<Cow<str>> = self.layout.iter().map(|(_, f)| cell(plan, r, *f)).collect();
        self.rows += 1;
        // Personal data goes into typed comments, not device remarks.
        let pii = self.defects && self.rows == PII_ROW && self.index < 2;
        let comment = self.layout.iter().position(|(_, f)| *f == Field::Comment);
        if let (true, Some(c)) = (pii, comment) {
            let (kind, text) = defects::pii_comment(self.index);
            cells[c] = text.clone().into();
            let line = self.emit(&cells)?;
            planted.push(self.planted(line, "comment", text, kind));
        } else {
            self.emit(&cells)?;
        }
        while self.defects {
            let Some(&(after, defect)) = RATING_PLANTS.get(self.plants_done) else {
                break;
            };
            if after != self.rows {
                break;
            }
            self.plants_done += 1;
            let mut copy = cells.clone();
            if comment.is_some_and(|c| pii && c < copy.len()) {
                copy[comment.expect("checked")] = Cow::Borrowed("");
            }
            if let Some((column, value)) = corrupt(&mut copy, self.layout, defect, after) {
                let line = self.emit(&copy)?;
                planted.push(self.planted(line, column, value, defect.name()));
            }
        }
        Ok(())
    }

    fn planted(
        &self,
        line: u64,
        column: &'static str,
        value: String,
        defect: &'static str,
    ) -> Planted {
        Planted {
            file: self.name.clone(),
            sheet: String::new(),
            line,
            column,
            value,
            defect,
        }
    }

    pub fn finish(self) -> Result<u64> {
        match self.out {
            Out::Csv(c) => c.finish()?,
            Out::Jsonl(j) => j.finish()?,
        }
        Ok(self.rows)
    }
}

/// What the roster and workbook writers share: the county, the folder
/// they write into, whether they plant faults, and the answer key those
/// faults go to.
pub struct Files<'a, 'p> {
    pub plan: &'a Plan<'p>,
    pub dir: &'a Path,
    pub defects: bool,
    pub planted: &'a mut Vec<Planted>,
}

impl Files<'_, '_> {
    /// Records a planted fault of `file` at `line` (of `sheet`, "" in a CSV).
    fn plant(
        &mut self,
        (file, sheet): (&str, &str),
        line: u64,
        column: &'static str,
        value: String,
        defect: &'static str,
    ) {
        self.planted.push(Planted {
            file: file.to_string(),
            sheet: sheet.to_string(),
            line,
            column,
            value,
            defect,
        });
    }
}

/// The random-draw workbook: one sheet per township, faults on the first sheet.
pub fn random_draw_xlsx(to: &mut Files, name: &str, rows: &[Rating], stamp: Date) -> Result<()> {
    let (plan, defects) = (to.plan, to.defects);
    let mut book = Xlsx::new(stamp)?;
    let date_format = book.date_format();
    let headers: Vec<&str> = RANDOM.iter().map(|(h, _)| *h).collect();
    let quarter = rows
        .first()
        .map(|r| format!("{}年第{}季度", r.date.year, r.date.quarter()))
        .unwrap_or_default();
    for (t, township) in plan.county.townships.iter().enumerate() {
        let title = format!("泸西县“四群”教育随机抽查评议汇总表（{township}，{quarter}）");
        let ws = book.sheet(township, &title, &headers)?;
        let mut excel_row = 2u32;
        let mut data_rows = 0u64;
        let mut plants = RATING_PLANTS
            .iter()
            .filter(|_| defects && t == 0)
            .peekable();
        for r in rows
            .iter()
            .filter(|r| plan.county.subjects[r.subject as usize].township == t)
        {
            let mut cells: Vec<Cow<str>> = RANDOM.iter().map(|(_, f)| cell(plan, r, *f)).collect();
            Xlsx::write(ws, &date_format, excel_row, &xcells(&cells, r.date))?;
            excel_row += 1;
            data_rows += 1;
            if let Some(&(_, defect)) = plants.next_if(|p| p.0 == data_rows) {
                if let Some((column, value)) = corrupt(&mut cells, RANDOM, defect, data_rows) {
                    // A typed-in bad date is text in a date column.
                    let x = xcells(&cells, r.date);
                    let x = if defect == defects::Defect::BadDate {
                        text_date(x, &value)
                    } else {
                        x
                    };
                    Xlsx::write(ws, &date_format, excel_row, &x)?;
                    excel_row += 1;
                    let line = u64::from(excel_row);
                    to.plant((name, township), line, column, value, defect.name());
                }
            }
        }
    }
    book.save(&to.dir.join(name))
}

fn xcells<'a>(cells: &'a [Cow<'a, str>], date: Date) -> Vec<XCell<'a>> {
    RANDOM
        .iter()
        .zip(cells)
        .map(|((_, f), c)| {
            if matches!(f, Field::Date(_)) {
                XCell::Date(date)
            } else {
                XCell::Text(Cow::Borrowed(c.as_ref()))
            }
        })
        .collect()
}

fn text_date<'a>(cells: Vec<XCell<'a>>, value: &str) -> Vec<XCell<'a>> {
    cells
        .into_iter()
        .map(|c| {
            if let XCell::Date(_) = c {
                XCell::Text(Cow::Owned(value.to_string()))
            } else {
                c
            }
        })
        .collect()
}

/// The subject roster (UTF-8 with BOM), with two faulty extra rows.
pub fn subjects_csv(to: &mut Files, name: &str) -> Result<u64> {
    let (plan, defects) = (to.plan, to.defects);
    let mut out = CsvOut::create(&to.dir.join(name), Encoding::Utf8Bom)?;
    out.row([
        "被评议对象编号",
        "名称",
        "类型",
        "组织类型",
        "先锋类别",
        "乡镇",
        "村(社区)",
        "所属组织",
        "职务",
    ])?;
    let county = &plan.county;
    for (i, s) in county.subjects.iter().enumerate() {
        let org_type = &plan.cfg.org_types[s.org_type];
        let row = [
            s.id.as_str(),
            s.name.as_str(),
            if s.cadre { "干部" } else { "组织" },
            org_type.name.as_str(),
            if s.cadre {
                org_type.pioneer.as_str()
            } else {
                ""
            },
            county.townships[s.township].as_str(),
            s.village.map_or("", |v| county.villages[v].name.as_str()),
            s.parent.as_str(),
            s.position.as_str(),
        ];
        out.row(row)?;
        let bad = match i + 1 {
            10 if defects => Some((
                "ZZ9001",
                "县某某局党支部",
                "机关单位",
                "org_type",
                "机关单位",
                "unknown_org_type",
            )),
            20 if defects => Some(("ZZ9002", "", "机关", "name", "", "missing_required")),
            _ => None,
        };
        if let Some((id, nm, ty, column, value, defect)) = bad {
            let line = out.row([id, nm, "组织", ty, "", "中枢镇", "", "县直机关工委", ""])?;
            to.plant((name, ""), line, column, value.to_string(), defect);
        }
    }
    out.finish()?;
    Ok(county.subjects.len() as u64)
}

/// The rater roster (plain UTF-8, no BOM), with one row of an unknown category.
pub fn raters_csv(to: &mut Files, name: &str) -> Result<u64> {
    let plan = to.plan;
    let mut out = CsvOut::create(&to.dir.join(name), Encoding::Utf8)?;
    out.row(["人员编号", "乡镇", "村(社区)", "人员类别"])?;
    for (i, p) in plan.roster.people.iter().enumerate() {
        let village = &plan.county.villages[p.village];
        out.row([
            p.id.as_str(),
            &plan.county.townships[p.township],
            &village.name,
            plan.category_name(p.category as u8),
        ])?;
        if to.defects && i + 1 == 10 {
            let line = out.row([
                "R999001",
                &plan.county.townships[p.township],
                &village.name,
                "贫困户",
            ])?;
            to.plant(
                (name, ""),
                line,
                "category",
                "贫困户".into(),
                "unknown_category",
            );
        }
    }
    out.finish()?;
    Ok(plan.roster.people.len() as u64)
}

/// The rectification ledger workbook, with a bad deadline and an unknown status.
pub fn ledger_xlsx(to: &mut Files, name: &str, items: &[Item], stamp: Date) -> Result<()> {
    let (plan, defects) = (to.plan, to.defects);
    let mut book = Xlsx::new(stamp)?;
    let date_format = book.date_format();
    const SHEET: &str = "整改销号台账";
    let headers = [
        "台账编号",
        "被评议对象编号",
        "被评议对象",
        "收集日期",
        "收集方式",
        "问题类别",
        "意见建议内容",
        "现场答复",
        "整改措施",
        "责任人",
        "完成时限",
        "整改状态",
        "销号日期",
        "跟踪问效",
    ];
    let ws = book.sheet(SHEET, "泸西县群众评议意见建议整改销号台账", &headers)?;
    let mut row = 2u32;
    for (i, it) in items.iter().enumerate() {
        let mut cells = ledger_cells(plan, it);
        Xlsx::write(ws, &date_format, row, &cells)?;
        row += 1;
        let bad = match i + 1 {
            5 if defects => Some((10, "deadline", "2012年2月30日", "bad_date")),
            9 if defects => Some((11, "status", "待定", "unknown_status")),
            _ => None,
        };
        if let Some((col, column, value, defect)) = bad {
            cells[0] = XCell::Text(format!("YJ9{:04}", i + 1).into());
            cells[col] = XCell::Text(value.into());
            Xlsx::write(ws, &date_format, row, &cells)?;
            row += 1;
            to.plant((name, SHEET), u64::from(row), column, value.into(), defect);
        }
    }
    book.save(&to.dir.join(name))
}

fn ledger_cells<'a>(plan: &'a Plan, it: &'a Item) -> Vec<XCell<'a>> {
    let s = &plan.county.subjects[it.subject];
    let t = |x: &'a str| XCell::Text(Cow::Borrowed(x));
    vec![
        t(&it.id),
        t(&s.id),
        t(&s.name),
        XCell::Date(it.received),
        t(&plan.cfg.methods[it.method as usize].name),
        t(it.category),
        t(it.content),
        t(if it.answered_on_spot { "是" } else { "否" }),
        t(it.measure),
        t(&it.owner),
        XCell::Date(it.deadline),
        t(it.status),
        it.closed.map_or(t(""), XCell::Date),
        t(it.follow_up),
    ]
}

/// The answer key: every planted fault with file, sheet, line and column.
pub fn expected_defects(path: &Path, planted: &[Planted]) -> Result<()> {
    let mut out = CsvOut::create(path, Encoding::Utf8Bom)?;
    out.row(["file", "sheet", "line", "column", "value", "defect"])?;
    let mut planted: Vec<&Planted> = planted.iter().collect();
    planted.sort_by(|a, b| (&a.file, &a.sheet, a.line).cmp(&(&b.file, &b.sheet, b.line)));
    for p in planted {
        out.row([
            p.file.as_str(),
            &p.sheet,
            &p.line.to_string(),
            p.column,
            &p.value,
            p.defect,
        ])?;
    }
    out.finish()
}

/// The ledger as generated, for checking `pingyi ledger` against: each
/// item's status, deadline, closing date, and whether it is overdue on the
/// as-of date (not closed, deadline before it). Planted bad rows are not
/// items and are not listed.
pub fn expected_ledger(path: &Path, items: &[Item], as_of: Date) -> Result<()> {
    let mut out = CsvOut::create(path, Encoding::Utf8Bom)?;
    out.row([
        "suggestion_id",
        "status",
        "deadline",
        "closed_at",
        "as_of",
        "overdue",
    ])?;
    for it in items {
        let overdue = it.closed.is_none() && it.deadline < as_of;
        out.row([
            it.id.as_str(),
            it.status,
            &it.deadline.to_string(),
            &it.closed.map(|d| d.to_string()).unwrap_or_default(),
            &as_of.to_string(),
            if overdue { "true" } else { "false" },
        ])?;
    }
    out.finish()
}
