//! A follow-up draw's targets (`pingyi sample --targets FILE`): the places
//! whose subjects need more ratings. The leadership report writes them as
//! `csv/needs-ratings.csv` (one row per subject, with its township and
//! village, and the people it still needs for a firm answer); any CSV with
//! a township column and an optional village column will do. A row with a
//! village targets that village; a row with only a township (a
//! township-level organ, say) targets all of its villages. A place the
//! roster does not have is refused with the roster's closest names: a
//! misspelt village would otherwise get nobody, silently. With a column of
//! people needed (尚需评议人数, `needed`), the draw can size itself from it
//! (`Size::Targets`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::roster::Person;
use crate::ingest::csv::{fields, records};

/// Header spellings accepted for each column (the report writes them in
/// the report's language).
const TOWNSHIP: [&str; 2] = ["township", "乡镇"];
const VILLAGE: [&str; 4] = ["village", "村（社区）", "村(社区)", "村"];
const NEEDED: [&str; 4] = ["needed", "尚需评议人数", "people missing", "people_missing"];

/// The people still needed in one place: the most any of its rows needs
/// (one visit asks a person about every targeted subject of the place).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Need {
    pub township: String,
    /// Empty: the whole township.
    pub village: String,
    pub people: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Targets {
    pub path: String,
    pub sha256: String,
    /// (township, village); an empty village is the whole township.
    pub places: BTreeSet<(String, String)>,
    /// People needed per place, when the file says (a column `needed`).
    #[serde(default)]
    pub needs: Vec<Need>,
}

impl Targets {
    pub fn read(path: &Path) -> Result<Targets> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the targets file {}", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!(
                "{}: not UTF-8 (byte {}); save it as CSV UTF-8",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        })?;
        let (places, needs) = places(text.trim_start_matches('\u{feff}'), path)?;
        Ok(Targets {
            path: path.display().to_string(),
            sha256: crate::fsutil::sha256_file(path)?,
            places,
            needs,
        })
    }

    /// Refuses targets naming a township or village not on the roster,
    /// listing each with the roster's closest names.
    pub fn on_roster(&self, people: &[Person], roster: &Path) -> Result<()> {
        let mut villages: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for p in people {
            villages
                .entry(p.township.as_str())
                .or_default()
                .insert(p.village.as_str());
        }
        let problems: Vec<String> = self
            .places
            .iter()
            .filter_map(|(t, v)| match villages.get(t.as_str()) {
                None => Some(format!(
                    "township `{t}` is not on the roster; closest: {}",
                    closest(t, villages.keys().copied())
                )),
                Some(vs) if !v.is_empty() && !vs.contains(v.as_str()) => Some(format!(
                    "village `{v}` is not in {t} on the roster; closest: {}",
                    closest(v, vs.iter().copied())
                )),
                _ => None,
            })
            .collect();
        if problems.is_empty() {
            return Ok(());
        }
        bail!(
            "{}: {} target place(s) not on the roster {}, where nobody could be drawn:\n  {}\nspell them as the roster does and draw again; nothing was drawn",
            self.path,
            problems.len(),
            roster.display(),
            problems.join("\n  ")
        )
    }

    /// Is this person in a targeted place?
    pub fn keep(&self, p: &Person) -> bool {
        self.places
            .contains(&(p.township.clone(), p.village.clone()))
            || self.places.contains(&(p.township.clone(), String::new()))
    }
}

/// (township, village) places.
type Places = BTreeSet<(String, String)>;

/// The places of the rows, and the people needed per place when a column says.
fn places(text: &str, path: &Path) -> Result<(Places, Vec<Need>)> {
    let mut rows = records(text, 1).filter(|(_, r)| !r.trim().is_empty());
    let Some((_, header)) = rows.next() else {
        bail!(
            "{}: empty; it needs a header with a township column (乡镇)",
            path.display()
        );
    };
    let header = fields(header, b',');
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let Some(t) = find(&TOWNSHIP) else {
        bail!(
            "{} line 1: no township column (乡镇 or township); found {}",
            path.display(),
            header.join(", ")
        );
    };
    let v = find(&VILLAGE);
    let n = find(&NEEDED);
    let mut out = BTreeSet::new();
    let mut needs: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for (line, rec) in rows {
        let f = fields(rec, b',');
        let get = |i: usize| f.get(i).map_or("", |s| s.trim()).to_string();
        let township = get(t);
        if township.is_empty() {
            bail!(
                "{} line {line}: the township is empty; give every target its township",
                path.display()
            );
        }
        let place = (township, v.map_or(String::new(), get));
        if let Some(n) = n {
            let text = get(n);
            let people: u64 = text.parse().with_context(|| {
                format!(
                    "{} line {line}: `{text}` in the people-needed column is not a whole number",
                    path.display()
                )
            })?;
            let e = needs.entry(place.clone()).or_default();
            *e = (*e).max(people);
        }
        out.insert(place);
    }
    if out.is_empty() {
        bail!("{}: no targets below the header", path.display());
    }
    let needs = needs
        .into_iter()
        .map(|((township, village), people)| Need {
            township,
            village,
            people,
        })
        .collect();
    Ok((out, needs))
}

/// The three names nearest to `name` (edit distance in characters), nearest first.
fn closest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> String {
    let mut ranked: Vec<(usize, &str)> = names.map(|n| (distance(name, n), n)).collect();
    ranked.sort();
    let shown: Vec<&str> = ranked.iter().take(3).map(|(_, n)| *n).collect();
    if shown.is_empty() {
        "(none)".into()
    } else {
        shown.join(", ")
    }
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{closest, distance};

    #[test]
    fn the_nearest_names_come_first() {
        assert_eq!(distance("下平社", "下平社区"), 1);
        assert_eq!(distance("中枢镇", "中枢镇"), 0);
        assert_eq!(
            closest(
                "下平社",
                ["上平村", "下平社区", "富龙村", "下坪社区"].into_iter()
            ),
            "下平社区, 上平村, 下坪社区"
        );
    }
}
