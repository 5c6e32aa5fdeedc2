//! The rater roster (参评人员名册) as the draw sees it: people with their
//! township, village and category, and every row that cannot take part,
//! with its line and reason. Nothing here depends on the order of the rows,
//! so a sorted or shuffled roster gives the same people.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::config::Config;
use crate::contract::Kind;
use crate::ingest::plain;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Person {
    pub id: String,
    pub township: String,
    pub village: String,
    pub category: String,
}

/// A roster row left out of the draw.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Excluded {
    pub line: u32,
    pub person_id: Option<String>,
    pub reason: String,
}

#[derive(Debug)]
pub struct Roster {
    pub people: Vec<Person>,
    pub excluded: Vec<Excluded>,
    pub rows: usize,
}

pub fn read(cfg: &Config, path: &Path) -> Result<Roster> {
    let plain = plain::read(cfg, path, Kind::Raters)?;
    let at = |c: &str| {
        plain
            .columns
            .iter()
            .position(|x| *x == c)
            .expect("raters column")
    };
    let (id, township, village, category) = (
        at("person_id"),
        at("township"),
        at("village"),
        at("category"),
    );
    let known: Vec<&str> = cfg
        .rater_categories
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let mut excluded: Vec<Excluded> = plain
        .bad
        .iter()
        .map(|(line, reason)| Excluded {
            line: *line,
            person_id: None,
            reason: reason.clone(),
        })
        .collect();
    // person_id → (line, person) for every complete row.
    let mut seen: BTreeMap<String, Vec<(u32, Person)>> = BTreeMap::new();
    for row in &plain.rows {
        let cell = |i: usize| row.cells[i].clone();
        let missing: Vec<&str> = [id, township, village, category]
            .iter()
            .filter(|&&i| row.cells[i].is_none())
            .map(|&i| plain.columns[i])
            .collect();
        let reason = if !missing.is_empty() {
            Some(format!("missing {}", missing.join(", ")))
        } else {
            let c = cell(category).unwrap_or_default();
            let canonical = canonical_category(cfg, &c);
            (!known.contains(&canonical.as_str()))
                .then(|| format!("category `{c}` is not one of: {}", known.join(", ")))
        };
        if let Some(reason) = reason {
            excluded.push(Excluded {
                line: row.line,
                person_id: cell(id),
                reason,
            });
            continue;
        }
        let person = Person {
            id: cell(id).unwrap_or_default(),
            township: cell(township).unwrap_or_default(),
            village: cell(village).unwrap_or_default(),
            category: canonical_category(cfg, &cell(category).unwrap_or_default()),
        };
        seen.entry(person.id.clone())
            .or_default()
            .push((row.line, person));
    }
    let mut people = Vec::with_capacity(seen.len());
    for (pid, rows) in seen {
        let first = &rows[0].1;
        if rows.iter().all(|(_, p)| p == first) {
            // The same person listed twice the same way: one person.
            people.push(first.clone());
        } else {
            // Which row is right cannot be told, and keeping the first
            // would make the draw depend on row order: leave all out.
            let lines: Vec<String> = rows.iter().map(|(l, _)| l.to_string()).collect();
            for (line, _) in &rows {
                excluded.push(Excluded {
                    line: *line,
                    person_id: Some(pid.clone()),
                    reason: format!("person listed differently on lines {}", lines.join(", ")),
                });
            }
        }
    }
    people.sort();
    excluded.sort();
    Ok(Roster {
        people,
        excluded,
        rows: plain.rows.len() + plain.bad.len(),
    })
}

/// The configured category a label or alias names (as ingest maps it).
fn canonical_category(cfg: &Config, label: &str) -> String {
    let folded = crate::headers::fold(label);
    cfg.rater_categories
        .iter()
        .find(|c| {
            crate::headers::fold(&c.name) == folded
                || c.aliases.iter().any(|a| crate::headers::fold(a) == folded)
        })
        .map_or_else(|| label.to_string(), |c| c.name.clone())
}
