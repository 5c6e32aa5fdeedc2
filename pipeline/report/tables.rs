//! The report's tabular content: the HR workbook's sheets (breach list,
//! watchlist, grades, rankings, ledger) and the public CSV, built from the
//! view models in the report language. Writing them is `crate::sheet`'s.

use super::leadership::Leadership;
use super::load::PeriodFigures;
use super::public::Public;
use super::templates::Labels;
use crate::sheet::{Cell, Sheet};

/// An empty sheet whose name and headers are label keys of the report language.
fn labelled(labels: &Labels, name_key: &str, file: &'static str, headers: &[&str]) -> Sheet {
    Sheet {
        name: labels.get(name_key),
        file,
        headers: headers.iter().map(|h| labels.get(h)).collect(),
        rows: Vec::new(),
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

/// Where a watch stands, in words: one more evaluation triggers (by period
/// or by year), or the window ended without triggering.
fn watch_status(w: &super::model::WatchRow, labels: &Labels) -> String {
    match w.status.as_str() {
        "open" => labels.get(&format!("watch_open_{}", w.rule_window)),
        other => labels.get(&format!("watch_{other}")),
    }
}

/// The HR workbook's sheets, from the leadership view model.
pub fn hr_sheets(m: &Leadership, labels: &Labels) -> Vec<Sheet> {
    let mut breaches = labelled(
        labels,
        "breaches",
        "breaches",
        &[
            &[
                "window",
                "subject_id",
                "name",
                "kind",
                "township",
                "org_type",
                "rule",
            ][..],
            &PERIOD_COLUMNS,
            &["action"],
        ]
        .concat(),
    );
    for b in &m.breaches {
        for p in &b.periods {
            let mut row = vec![
                window(&b.window),
                text(&b.who.subject_id),
                text(&b.who.name),
                text(&b.who.kind),
                text(&b.who.township),
                text(&b.who.org_type),
                text(&b.rule),
            ];
            row.extend(period_cells(p, labels));
            row.push(text(&b.action));
            breaches.rows.push(row);
        }
    }
    let mut watch = labelled(
        labels,
        "watchlist",
        "watchlist",
        &[
            &["subject_id", "name", "township"][..],
            &PERIOD_COLUMNS,
            &["watch_status"],
        ]
        .concat(),
    );
    for w in &m.attention.firm_watch {
        let mut row = vec![
            text(&w.who.subject_id),
            text(&w.who.name),
            text(&w.who.township),
        ];
        row.extend(period_cells(&w.at, labels));
        row.push(text(&watch_status(w, labels)));
        watch.rows.push(row);
    }
    vec![
        breaches,
        watch,
        needs_sheet(m, labels),
        ranking_sheet(m, labels, true),
        ranking_sheet(m, labels, false),
        ledger_sheet(m, labels),
    ]
}

fn ranking_sheet(m: &Leadership, labels: &Labels, township: bool) -> Sheet {
    // The first column says what is ranked, not "category".
    let (key, file, rows, what) = if township {
        (
            "ranking_township",
            "ranking_township",
            &m.townships,
            "township",
        )
    } else {
        (
            "ranking_org_type",
            "ranking_org_type",
            &m.org_types,
            "org_type",
        )
    };
    let mut s = labelled(
        labels,
        key,
        file,
        &[
            "rank",
            "rank_to",
            what,
            "valid",
            "rate_std",
            "rate",
            "ci_low",
            "ci_high",
            "prev_year",
            "change_pp",
            "within_pp",
            "mix_pp",
        ],
    );
    // The county bodies follow the townships unranked (`model::township_ranking`).
    let apart = m.county_bodies.as_ref().filter(|_| township).map(|r| {
        let name = super::format::fill(&labels.get("county_bodies_apart"), &[("name", &r.group)]);
        (r, name)
    });
    let ranked = rows.iter().map(|r| (r, None));
    for (r, name) in ranked.chain(apart.iter().map(|(r, n)| (*r, Some(n.clone())))) {
        let (best, worst, group) = match name {
            None => (
                Cell::Int(r.places.0 as u64),
                Cell::Int(r.places.1 as u64),
                text(&r.group),
            ),
            Some(n) => (
                Cell::Text(String::new()),
                Cell::Text(String::new()),
                Cell::Text(n),
            ),
        };
        s.rows.push(vec![
            best,
            worst,
            group,
            Cell::Int(r.valid),
            Cell::Pct(r.rate_std),
            Cell::Pct(r.rate),
            Cell::Pct(r.ci_low),
            Cell::Pct(r.ci_high),
            Cell::Pct(r.prev_rate),
            Cell::Points(r.change.map(|c| c * 100.0)),
            Cell::Points(r.split.and_then(|x| x.within).map(|c| c * 100.0)),
            Cell::Points(r.split.and_then(|x| x.mix).map(|c| c * 100.0)),
        ]);
    }
    s
}

/// Subjects whose breach or watch entry rests on too few people: their
/// lowest period, its people, the people a firm answer needs (the plan) and
/// those still missing. Also `needs-ratings.csv`,
/// the target list of `pingyi sample --targets`.
pub fn needs_sheet(m: &Leadership, labels: &Labels) -> Sheet {
    let mut s = labelled(
        labels,
        "needs_ratings",
        "needs-ratings",
        &[
            "township",
            "village",
            "subject_id",
            "name",
            "kind",
            "org_type",
            "reason",
            "period",
            "rate",
            "valid",
            "raters",
            "people_planned",
            "needed",
        ],
    );
    for t in &m.attention.needs {
        for n in &t.subjects {
            // The roster's township: `pingyi sample --targets` draws there.
            s.rows.push(vec![
                text(&n.seat),
                text(&n.village),
                text(&n.who.subject_id),
                text(&n.who.name),
                text(&n.who.kind),
                text(&n.who.org_type),
                text(&labels.get(&format!("reason_{}", n.reason))),
                text(&n.period),
                Cell::Pct(Some(n.rate)),
                Cell::Int(n.valid),
                Cell::Int(n.raters),
                Cell::Int(n.people),
                Cell::Int(n.needed),
            ]);
        }
    }
    s
}

/// A period below a threshold, as the breaches and watchlist sheets show it.
const PERIOD_COLUMNS: [&str; 7] = [
    "period", "rate", "valid", "raters", "ci_low", "ci_high", "evidence",
];

fn period_cells(p: &PeriodFigures, labels: &Labels) -> [Cell; 7] {
    [
        text(&p.period),
        Cell::Pct(Some(p.rate)),
        Cell::Int(p.valid),
        Cell::Int(p.raters),
        Cell::Pct(p.ci_low),
        Cell::Pct(p.ci_high),
        text(&labels.get(&format!("evidence_{}", p.evidence.as_str()))),
    ]
}

/// An assessment year as a number when it is one.
fn window(w: &str) -> Cell {
    w.parse().map_or_else(|_| text(w), Cell::Int)
}

fn ledger_sheet(m: &Leadership, labels: &Labels) -> Sheet {
    let mut s = labelled(
        labels,
        "overdue_items",
        "overdue",
        &[
            "subject_id",
            "name",
            "township",
            "category",
            "content",
            "measure",
            "owner",
            "received_at",
            "deadline",
            "days_overdue",
        ],
    );
    for i in &m.ledger.overdue {
        s.rows.push(vec![
            text(&i.who.subject_id),
            text(&i.who.name),
            text(&i.who.township),
            text(&i.category),
            text(&i.content),
            text(&i.measure),
            text(&i.owner),
            Cell::Date(i.received_at.clone()),
            Cell::Date(i.deadline.clone()),
            Cell::Int(i.days_overdue.unwrap_or(0).max(0) as u64),
        ]);
    }
    s
}

/// Grades of every subject in the window (internal: nothing suppressed).
pub fn grades_sheet(data: &super::load::Data, labels: &Labels) -> Sheet {
    let idx = super::model::Index::new(data);
    let w = super::model::window(data);
    let mut s = labelled(
        labels,
        "grade",
        "grades",
        &[
            "subject_id",
            "name",
            "kind",
            "township",
            "org_type",
            "position",
            "raters",
            "valid",
            "rate",
            "grade",
        ],
    );
    for g in data.grades.iter().filter(|g| g.window == w) {
        let who = idx.who(&g.subject_id);
        s.rows.push(vec![
            text(&who.subject_id),
            text(&who.name),
            text(&who.kind),
            text(&who.township),
            text(&who.org_type),
            text(&who.position),
            Cell::Int(g.raters.unwrap_or(0)),
            Cell::Int(g.valid),
            Cell::Pct(g.rate),
            grade_cell(g.grade.as_deref(), g.rate.is_some(), labels),
        ]);
    }
    s
}

/// A grade as every output writes it: the band, or, where a rate is shown
/// but it rests on fewer than `rules.min_raters` people (compute gives no
/// band then), "不评定等次（评议人数不足）"; empty where nothing is shown.
fn grade_cell(grade: Option<&str>, rated: bool, labels: &Labels) -> Cell {
    match grade {
        Some(g) => text(g),
        None if rated => text(&labels.get("no_grade_thin")),
        None => text(""),
    }
}

/// The public results as one sheet, suppressed cells empty.
pub fn public_sheet(m: &Public, labels: &Labels) -> Sheet {
    let mut s = labelled(
        labels,
        "public_title",
        "public",
        &[
            "township",
            "subject_id",
            "kind",
            "name",
            "detail_col",
            "unit",
            "raters",
            "rate",
            "grade",
        ],
    );
    s.headers[4] = format!("{}/{}", labels.get("org_type"), labels.get("position"));
    let row = |r: &super::public::Row| {
        vec![
            text(&r.township),
            text(&r.subject_id),
            text(&r.kind),
            text(&r.name),
            text(&r.detail),
            text(&r.unit),
            text(&r.raters),
            // A percentage as people write it (90.5%), not a fraction: the
            // CSV is what a township opens in Excel and reposts.
            text(&super::format::pct(r.rate, 1)),
            grade_cell(r.grade.as_deref(), r.rate.is_some(), labels),
        ]
    };
    s.rows.push(row(&m.county));
    for t in &m.townships {
        s.rows.push(row(&t.total));
        s.rows
            .extend(t.organizations.iter().chain(&t.cadres).map(row));
    }
    s
}

/// Every integrity flag (需核实), for `csv/integrity.csv` beside the
/// leadership page, which lists the largest of each check only.
pub fn integrity_sheet(rows: &[super::integrity::FlagRow], labels: &Labels) -> Sheet {
    let mut s = labelled(
        labels,
        "integrity_sheet",
        "integrity",
        &[
            "integrity_check",
            "subject_id",
            "name",
            "township",
            "integrity_unit",
            "integrity_window",
            "integrity_when",
            "integrity_n",
            "q",
            "integrity_finding",
        ],
    );
    for f in rows {
        let who = f.who.as_ref();
        s.rows.push(vec![
            text(&f.check),
            text(who.map_or("", |w| w.subject_id.as_str())),
            text(who.map_or("", |w| w.name.as_str())),
            text(who.map_or("", |w| w.township.as_str())),
            text(&f.unit),
            text(&f.window),
            text(&f.span),
            f.n.map_or(text(""), Cell::Int),
            text(&f.q.map(|q| format!("{q:.6}")).unwrap_or_default()),
            text(format!("{} {}", f.note, f.figures).trim()),
        ]);
    }
    s
}
