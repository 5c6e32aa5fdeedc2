//! Who is rated on which sheet: the subject roster from the warehouse,
//! grouped into the units a form goes to, each with the evaluation items
//! its subjects are rated on (评议内容突出针对性).
//!
//! A group is an organization and the cadres under it (their `parent` names
//! it): the households a unit serves rate the unit and its cadres on one
//! sheet. Cadres whose parent organization is not itself in the roster form
//! a group of their own under that parent's name. Within a group, subjects
//! rated on the same items share a section, so each section is one grid.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use polars::prelude::DataFrame;
use serde::Serialize;

use crate::config::Config;
use crate::warehouse::Warehouse;

#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub org_type: String,
    pub pioneer: Option<String>,
    pub township: String,
    pub parent: Option<String>,
    pub position: Option<String>,
}

/// Subjects rated on the same items: one grid on the form.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub kind: String,
    pub items: Vec<String>,
    pub subjects: Vec<Subject>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Short and stable: the organization's subject id, else the smallest
    /// cadre id (ids outlive roster order, so reprinting never renumbers).
    pub code: String,
    pub township: String,
    /// The organization's name (or the cadres' parent).
    pub unit: String,
    pub org_type: String,
    pub sections: Vec<Section>,
}

impl Group {
    pub fn subjects(&self) -> impl Iterator<Item = &Subject> {
        self.sections.iter().flat_map(|s| &s.subjects)
    }
}

/// The committed subject roster, in subject id order.
pub fn read_subjects(wh: &Warehouse) -> Result<Vec<Subject>> {
    let m = wh.manifest()?;
    let df = wh
        .scan(&m, "subjects")?
        .collect()
        .with_context(|| format!("cannot read the subject roster in {}", wh.root.display()))?;
    if df.height() == 0 {
        bail!(
            "the warehouse {} has no subject roster; ingest the roster (评议对象名册) first: `pingyi ingest ROSTER.csv`",
            wh.root.display()
        );
    }
    let mut out = subjects_of(&df)?;
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn subjects_of(df: &DataFrame) -> Result<Vec<Subject>> {
    let text = |name: &str| -> Result<Vec<Option<String>>> {
        Ok(df
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.map(str::to_string).filter(|s| !s.is_empty()))
            .collect())
    };
    let (ids, names, kinds) = (text("subject_id")?, text("name")?, text("kind")?);
    let (types, pioneers, towns) = (
        text("org_type")?,
        text("pioneer_category")?,
        text("township")?,
    );
    let (parents, positions) = (text("parent")?, text("position")?);
    Ok((0..df.height())
        .map(|i| Subject {
            id: ids[i].clone().unwrap_or_default(),
            name: names[i].clone().unwrap_or_default(),
            kind: kinds[i].clone().unwrap_or_default(),
            org_type: types[i].clone().unwrap_or_default(),
            pioneer: pioneers[i].clone(),
            township: towns[i].clone().unwrap_or_default(),
            parent: parents[i].clone(),
            position: positions[i].clone(),
        })
        .collect())
}

/// The items a subject is rated on: an organization's by its org type; a
/// cadre's by their pioneer category, else their org type's pioneer
/// category, else their org type's items; the default item at the least.
pub fn items_for(cfg: &Config, s: &Subject) -> Vec<String> {
    let org = cfg.org_type(&s.org_type);
    let pioneer = if s.kind == "组织" {
        None
    } else {
        s.pioneer
            .as_deref()
            .and_then(|p| cfg.pioneer(p))
            .or_else(|| org.and_then(|o| cfg.pioneer(&o.pioneer)))
    };
    match (pioneer, org) {
        (Some(p), _) => p.items.clone(),
        (None, Some(o)) => o.items.clone(),
        (None, None) => vec![cfg.items.default.clone()],
    }
}

/// Every subject in a group, groups in code order.
pub fn build(cfg: &Config, subjects: &[Subject]) -> Vec<Group> {
    // (township, unit name) → the unit's organization and its members.
    let mut units: BTreeMap<(String, String), Vec<&Subject>> = BTreeMap::new();
    for s in subjects {
        let unit = if s.kind == "组织" {
            s.name.clone()
        } else {
            s.parent.clone().unwrap_or_else(|| s.name.clone())
        };
        units.entry((s.township.clone(), unit)).or_default().push(s);
    }
    let mut groups: Vec<Group> = units
        .into_iter()
        .map(|((township, unit), members)| group(cfg, township, unit, members))
        .collect();
    groups.sort_by(|a, b| a.code.cmp(&b.code));
    groups
}

fn group(cfg: &Config, township: String, unit: String, mut members: Vec<&Subject>) -> Group {
    // The organization first, then its cadres in id order.
    members.sort_by_key(|s| (s.kind != "组织", s.id.clone()));
    let head = members[0];
    let mut sections: Vec<Section> = Vec::new();
    for s in members.iter().copied() {
        let items = items_for(cfg, s);
        match sections
            .iter_mut()
            .find(|sec| sec.kind == s.kind && sec.items == items)
        {
            Some(sec) => sec.subjects.push(s.clone()),
            None => sections.push(Section {
                kind: s.kind.clone(),
                items,
                subjects: vec![s.clone()],
            }),
        }
    }
    Group {
        code: head.id.clone(),
        township,
        unit,
        org_type: head.org_type.clone(),
        sections,
    }
}

/// Keeps the groups of one township and/or org type; a filter that matches
/// nothing is an error listing what there is.
pub fn filter(
    groups: Vec<Group>,
    township: Option<&str>,
    org_type: Option<&str>,
) -> Result<Vec<Group>> {
    let known = |f: fn(&Group) -> &String| {
        let mut v: Vec<&str> = groups.iter().map(|g| f(g).as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v.join(", ")
    };
    if let Some(t) = township.filter(|t| !groups.iter().any(|g| g.township == *t)) {
        bail!(
            "--township {t}: no subject in the roster is in that township; the townships are: {}",
            known(|g| &g.township)
        );
    }
    if let Some(o) = org_type.filter(|o| !groups.iter().any(|g| g.org_type == *o)) {
        bail!(
            "--org-type {o}: no group of that organization type; the roster has: {}",
            known(|g| &g.org_type)
        );
    }
    let kept: Vec<Group> = groups
        .into_iter()
        .filter(|g| township.is_none_or(|t| g.township == t))
        .filter(|g| org_type.is_none_or(|o| g.org_type == o))
        .collect();
    if kept.is_empty() {
        bail!("no subject group is both in --township and of --org-type");
    }
    Ok(kept)
}
