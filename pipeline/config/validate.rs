//! Rules a configuration must satisfy beyond its shape: shares that sum to
//! one, categories that exist, thresholds inside (0, 1]. Each failure returns
//! the key and a message saying what is allowed.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Basis, Config, Named, RuleWindow, Source};
use crate::contract;

type Check = Result<(), (String, String)>;

fn fail(key: impl Into<String>, message: impl Into<String>) -> Check {
    Err((key.into(), message.into()))
}

pub fn check(c: &Config) -> Check {
    if let Err(e) = c.calendar.load() {
        return fail("calendar.file", format!("{e:#}"));
    }
    if c.report.min_cell == 0 {
        return fail("report.min_cell", "must be at least 1");
    }
    if c.report.min_cell_extreme < c.report.min_cell {
        return fail(
            "report.min_cell_extreme",
            format!(
                "is {} but must be at least report.min_cell ({})",
                c.report.min_cell_extreme, c.report.min_cell
            ),
        );
    }
    if !c.report.as_of.is_empty() && !is_iso_date(&c.report.as_of) {
        return fail(
            "report.as_of",
            format!(
                "`{}` is not a date; write YYYY-MM-DD or leave it empty for today",
                c.report.as_of
            ),
        );
    }
    if !c.period.earliest.is_empty() && !is_iso_date(&c.period.earliest) {
        return fail(
            "period.earliest",
            format!(
                "`{}` is not a date; write YYYY-MM-DD or leave it empty for 2000-01-01",
                c.period.earliest
            ),
        );
    }
    scale(c)?;
    let categories = names("rater_categories", &c.rater_categories)?;
    names("methods", &c.methods)?;
    names("channels", &c.channels)?;
    pioneers(c)?;
    org_types(c, &categories)?;
    if c.items.default.trim().is_empty() {
        return fail("items.default", "must name an item, e.g. \"总体评价\"");
    }
    for (key, v) in [
        ("ingest.max_file_bytes", c.ingest.max_file_bytes),
        ("ingest.max_sheet_bytes", c.ingest.max_sheet_bytes),
    ] {
        if v == 0 {
            return fail(
                key,
                "must be a number of bytes above 0, e.g. 4294967296 (4 GiB)",
            );
        }
    }
    sampling(c, &categories)?;
    breach(c)?;
    rules(c)?;
    integrity(c)?;
    groups(c)?;
    grades(c)?;
    columns(c)?;
    for (name, source) in &c.sources {
        self::source(c, name, source)?;
    }
    Ok(())
}

fn is_iso_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (
        parts[0].parse::<i32>(),
        parts[1].parse::<u32>(),
        parts[2].parse::<u32>(),
    ) else {
        return false;
    };
    crate::dates::Date::new(y, m, d).is_some()
}

fn scale(c: &Config) -> Check {
    for (i, level) in c.scale.iter().enumerate() {
        let key = format!("scale[{i}]");
        if level.abstain && (level.satisfied || level.score.is_some()) {
            return fail(
                key,
                format!(
                    "`{}` is an abstain label: it has no score and is not satisfied",
                    level.label
                ),
            );
        }
        match level.score {
            None if !level.abstain => {
                return fail(
                    key,
                    format!("`{}` needs a score (or abstain = true)", level.label),
                )
            }
            Some(s) if !s.is_finite() => {
                return fail(
                    format!("{key}.score"),
                    format!(
                    "`{s}` is not a number a mean can be taken of; give a finite score such as 3"
                ),
                )
            }
            _ => {}
        }
    }
    scale_spellings(c)?;
    let valid = c.scale.iter().filter(|l| !l.abstain);
    if !valid.clone().any(|l| l.satisfied) || !valid.clone().any(|l| !l.satisfied) {
        return fail(
            "scale",
            "needs at least one satisfied and one not-satisfied level",
        );
    }
    Ok(())
}

/// Every label and alias of the scale is a different spelling under
/// `text::fold`, the comparison ingest looks ratings up with: two that fold
/// alike would map one cell to whichever level is listed first.
fn scale_spellings(c: &Config) -> Check {
    let mut seen: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (i, level) in c.scale.iter().enumerate() {
        let keys = std::iter::once((format!("scale[{i}].label"), &level.label)).chain(
            level
                .aliases
                .iter()
                .enumerate()
                .map(|(j, a)| (format!("scale[{i}].aliases[{j}]"), a)),
        );
        for (key, spelling) in keys {
            let folded = crate::text::fold(spelling);
            if folded.is_empty() {
                return fail(
                    key,
                    "is empty once spaces and invisible characters are removed",
                );
            }
            if let Some((other_key, other)) = seen.insert(folded, (key.clone(), spelling.clone())) {
                return fail(
                    key,
                    format!(
                        "`{spelling}` is the same label as `{other}` ({other_key}) once case, \
                         full-width forms and invisible characters are ignored, as ingest \
                         compares ratings; each spelling must map to one level: remove or \
                         change one"
                    ),
                );
            }
        }
    }
    Ok(())
}

/// Names must be unique and non-empty; returns them.
fn names(key: &str, list: &[Named]) -> Result<BTreeSet<String>, (String, String)> {
    let mut seen = BTreeSet::new();
    if list.is_empty() {
        fail(key, "must list at least one entry")?;
    }
    for (i, n) in list.iter().enumerate() {
        if n.name.trim().is_empty() {
            fail(format!("{key}[{i}].name"), "must not be empty")?;
        }
        for label in std::iter::once(&n.name).chain(&n.aliases) {
            if !seen.insert(label.clone()) {
                fail(
                    format!("{key}[{i}]"),
                    format!("`{label}` appears twice; names and aliases must be unique"),
                )?;
            }
        }
    }
    Ok(list.iter().map(|n| n.name.clone()).collect())
}

fn pioneers(c: &Config) -> Check {
    let mut seen = BTreeSet::new();
    for (i, p) in c.pioneers.iter().enumerate() {
        if !seen.insert(&p.name) {
            return fail(
                format!("pioneers[{i}]"),
                format!("pioneer `{}` is listed twice", p.name),
            );
        }
        if p.items.is_empty() {
            return fail(
                format!("pioneers[{i}].items"),
                format!("`{}` needs at least one item", p.name),
            );
        }
    }
    Ok(())
}

fn org_types(c: &Config, categories: &BTreeSet<String>) -> Check {
    let mut seen = BTreeSet::new();
    let pioneers: Vec<&str> = c.pioneers.iter().map(|p| p.name.as_str()).collect();
    for (i, o) in c.org_types.iter().enumerate() {
        let key = format!("org_types[{i}]");
        if !seen.insert(&o.name) {
            return fail(key, format!("org type `{}` is listed twice", o.name));
        }
        if !pioneers.contains(&o.pioneer.as_str()) {
            return fail(
                format!("{key}.pioneer"),
                format!(
                    "`{}` is not a configured pioneer; allowed: {}",
                    o.pioneer,
                    pioneers.join(", ")
                ),
            );
        }
        if o.items.is_empty() {
            return fail(
                format!("{key}.items"),
                format!("`{}` needs at least one item", o.name),
            );
        }
        if !(0.0..1.0).contains(&o.quota_tolerance) {
            return fail(format!("{key}.quota_tolerance"), "must be in [0, 1)");
        }
        quota(&key, &o.name, &o.quota, categories)?;
    }
    if c.org_types.is_empty() {
        return fail("org_types", "must list at least one org type");
    }
    Ok(())
}

/// Shares in [0, 1] summing to 1; every rater category in exactly one group.
fn quota(
    key: &str,
    org: &str,
    groups: &[super::model::QuotaGroup],
    categories: &BTreeSet<String>,
) -> Check {
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    let mut total = 0.0;
    for (j, g) in groups.iter().enumerate() {
        if !(0.0..=1.0).contains(&g.share) {
            return fail(
                format!("{key}.quota[{j}].share"),
                format!("{} is not a share in [0, 1]", g.share),
            );
        }
        total += g.share;
        for cat in &g.categories {
            if !categories.contains(cat) {
                return fail(
                    format!("{key}.quota[{j}].categories"),
                    format!(
                        "`{cat}` is not a rater category; allowed: {}",
                        join(categories)
                    ),
                );
            }
            if let Some(other) = owner.insert(cat, &g.group) {
                return fail(
                    format!("{key}.quota"),
                    format!(
                        "`{cat}` is in both `{other}` and `{}`; each category belongs to one group",
                        g.group
                    ),
                );
            }
        }
    }
    if (total - 1.0).abs() > 1e-6 {
        return fail(
            format!("{key}.quota"),
            format!("shares of `{org}` sum to {total}; they must sum to 1"),
        );
    }
    if let Some(missing) = categories.iter().find(|c| !owner.contains_key(c.as_str())) {
        return fail(
            format!("{key}.quota"),
            format!("rater category `{missing}` is in no quota group of `{org}`; add it to one"),
        );
    }
    Ok(())
}

fn sampling(c: &Config, categories: &BTreeSet<String>) -> Check {
    let s = &c.sampling;
    if s.strata.is_empty() {
        return fail("sampling.strata", "must list at least one stratum");
    }
    let mut seen = BTreeSet::new();
    for (i, st) in s.strata.iter().enumerate() {
        if !categories.contains(&st.category) {
            return fail(
                format!("sampling.strata[{i}].category"),
                format!(
                    "`{}` is not a rater category; allowed: {}",
                    st.category,
                    join(categories)
                ),
            );
        }
        if !seen.insert(&st.category) {
            return fail(
                format!("sampling.strata[{i}]"),
                format!("`{}` is listed twice", st.category),
            );
        }
        if st.weight == 0 {
            return fail(
                format!("sampling.strata[{i}].weight"),
                "must be a positive whole number (the seed's ratio is 2:7:1)",
            );
        }
    }
    if !(0.0..1.0).contains(&s.tolerance) {
        return fail("sampling.tolerance", "must be in [0, 1)");
    }
    Ok(())
}

fn rules(c: &Config) -> Check {
    if c.rules.min_raters == 0 {
        return fail(
            "rules.min_raters",
            "must be at least 1 (the default is 20 people)",
        );
    }
    let h = c.rules.plan_half_width;
    if !(h > 0.0 && h < 0.5) {
        return fail(
            "rules.plan_half_width",
            format!("{h} is not a half-width in (0, 0.5), e.g. 0.10 for ±10 points"),
        );
    }
    Ok(())
}

fn breach(c: &Config) -> Check {
    let b = &c.breach;
    if b.rules.is_empty() {
        return fail(
            "breach.rules",
            "must list at least one rule, e.g. { below = 0.60, times = 1 }",
        );
    }
    for (i, r) in b.rules.iter().enumerate() {
        if !(r.below > 0.0 && r.below <= 1.0) {
            return fail(
                format!("breach.rules[{i}].below"),
                format!("{} is not a rate in (0, 1]", r.below),
            );
        }
        if r.times == 0 {
            return fail(format!("breach.rules[{i}].times"), "must be at least 1");
        }
    }
    if b.action.trim().is_empty() {
        return fail("breach.action", "must name the action, e.g. \"诫勉谈话\"");
    }
    // A pooled year has a clustered raw interval (the grades' cell) but no
    // post-stratified one yet: refuse rather than judge it on another basis.
    if b.basis == Basis::PostStratified {
        for (key, w) in [
            ("breach.window.organization", b.window.organization),
            ("breach.window.cadre", b.window.cadre),
        ] {
            if w == RuleWindow::Year {
                return fail(
                    key,
                    "\"year\" needs breach.basis = \"raw\": a pooled year has no post-stratified interval; use \"period\" or the raw basis",
                );
            }
        }
    }
    Ok(())
}

/// The county-body rule names org types that exist, parents that are not
/// blank, and a group name no township can be mistaken for.
fn groups(c: &Config) -> Check {
    let g = &c.groups;
    let name = g.county_bodies.trim();
    if name != g.county_bodies || name == "全县" {
        return fail(
            "groups.county_bodies",
            format!(
                "`{}` cannot name the group: write a name such as \"县直单位\" (not 全县, no surrounding spaces), or \"\" for none",
                g.county_bodies
            ),
        );
    }
    for (k, p) in g.county_body_parents.iter().enumerate() {
        if p.trim().is_empty() {
            return fail(
                format!("groups.county_body_parents[{k}]"),
                "is blank: name a parent organization as the roster's 所属组织 writes it, e.g. \"县直机关工委\"",
            );
        }
    }
    for (k, t) in g.county_body_org_types.iter().enumerate() {
        if c.org_type(t).is_none() {
            let known: Vec<&str> = c.org_types.iter().map(|o| o.name.as_str()).collect();
            return fail(
                format!("groups.county_body_org_types[{k}]"),
                format!("`{t}` is not a configured org type ({})", known.join(", ")),
            );
        }
    }
    if !name.is_empty() && g.county_body_parents.is_empty() && g.county_body_org_types.is_empty() {
        return fail(
            "groups.county_bodies",
            format!("names the group `{name}` but no rule fills it: list county_body_parents or county_body_org_types, or write \"\""),
        );
    }
    Ok(())
}

fn integrity(c: &Config) -> Check {
    let i = &c.integrity;
    let methods: BTreeSet<&str> = c.methods.iter().map(|m| m.name.as_str()).collect();
    for (k, m) in i.face_to_face.iter().enumerate() {
        if !methods.contains(m.as_str()) || *m == i.benchmark {
            return fail(
                format!("integrity.face_to_face[{k}]"),
                format!("`{m}` must be a configured method other than the benchmark"),
            );
        }
    }
    if !methods.contains(i.benchmark.as_str()) {
        return fail(
            "integrity.benchmark",
            format!("`{}` is not a configured method", i.benchmark),
        );
    }
    if i.hours[0] >= i.hours[1] || i.hours[1] > 24 {
        return fail(
            "integrity.hours",
            "must be [from, to] o'clock with from < to ≤ 24, e.g. [7, 22]",
        );
    }
    for (key, v) in [
        ("integrity.alpha", i.alpha),
        ("integrity.straight_min_gap", i.straight_min_gap),
        ("integrity.method_min_gap", i.method_min_gap),
    ] {
        if !(v > 0.0 && v < 1.0) {
            return fail(key, "must lie between 0 and 1");
        }
    }
    for (key, v) in [
        ("integrity.burst_minutes", i.burst_minutes),
        ("integrity.burst_votes", i.burst_votes),
        ("integrity.method_min_raters", i.method_min_raters),
        ("integrity.straight_min_items", i.straight_min_items),
    ] {
        if v == 0 {
            return fail(key, "must be at least 1");
        }
    }
    Ok(())
}

fn grades(c: &Config) -> Check {
    if c.grades.is_empty() {
        return fail("grades", "must list at least one grade band");
    }
    for (i, w) in c.grades.windows(2).enumerate() {
        if w[1].min >= w[0].min {
            return fail(
                format!("grades[{}].min", i + 1),
                "bands must be listed highest first with strictly decreasing `min`",
            );
        }
    }
    if let Some((i, g)) = c
        .grades
        .iter()
        .enumerate()
        .find(|(_, g)| !(0.0..=1.0).contains(&g.min))
    {
        return fail(
            format!("grades[{i}].min"),
            format!("{} is not a rate in [0, 1]", g.min),
        );
    }
    Ok(())
}

fn columns(c: &Config) -> Check {
    let canonical = contract::all_columns();
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    for (name, aliases) in &c.columns {
        if !canonical.contains(&name.as_str()) {
            return fail(
                format!("columns.{name}"),
                format!("not a canonical column; allowed: {}", canonical.join(", ")),
            );
        }
        for alias in aliases {
            let folded = crate::headers::fold(alias);
            if let Some(other) = owner.insert(folded, name) {
                if other != name {
                    return fail(
                        format!("columns.{name}"),
                        format!("alias `{alias}` is also an alias of `{other}`"),
                    );
                }
            }
        }
    }
    Ok(())
}

fn source(c: &Config, name: &str, s: &Source) -> Check {
    let key = format!("sources.{name}");
    if s.files.is_empty() {
        return fail(
            format!("{key}.files"),
            "must list at least one file-name pattern, e.g. \"*.jsonl\"",
        );
    }
    let canonical = contract::all_columns();
    for col in s.columns.keys().chain(s.constants.keys()) {
        if !canonical.contains(&col.as_str()) {
            return fail(
                key.to_string(),
                format!(
                    "`{col}` is not a canonical column; allowed: {}",
                    canonical.join(", ")
                ),
            );
        }
    }
    let labels: Vec<&str> = c.scale.iter().map(|l| l.label.as_str()).collect();
    for (value, label) in &s.scale {
        if !labels.contains(&label.as_str()) {
            return fail(
                format!("{key}.scale.{value}"),
                format!(
                    "`{label}` is not a scale label; allowed: {}",
                    labels.join(", ")
                ),
            );
        }
    }
    Ok(())
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
