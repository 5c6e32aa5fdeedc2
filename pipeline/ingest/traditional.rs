//! Values written in traditional characters (`總體評價`, `滿意`): a cell
//! that matches no configured word, but would once its traditional
//! characters were simplified, is quarantined with the simplified form as
//! the fix. It is not folded silently: the configured words are the ones
//! the county wrote, and a near match is the operator's call, not ours.

use anyhow::Result;
use polars::prelude::*;

use super::exprs::Check;
use super::normalize::simplified;
use super::rules::Context;

/// The configured words of a rating column, and the reason a value in
/// traditional characters is quarantined under; None for columns with no
/// vocabulary.
fn vocabulary(ctx: &Context, column: &str) -> Option<(Vec<String>, &'static str)> {
    let cfg = ctx.cfg;
    let named = |items: &[crate::config::Named]| -> Vec<String> {
        items
            .iter()
            .flat_map(|n| std::iter::once(n.name.clone()).chain(n.aliases.iter().cloned()))
            .collect()
    };
    Some(match column {
        "rating" => (
            cfg.scale
                .iter()
                .flat_map(|l| std::iter::once(l.label.clone()).chain(l.aliases.iter().cloned()))
                .chain(ctx.source_scale.iter().map(|p| p.0.clone()))
                .collect(),
            "off_scale",
        ),
        "rater_category" => (named(&cfg.rater_categories), "unknown_category"),
        "method" => (named(&cfg.methods), "unknown_method"),
        "channel" => (named(&cfg.channels), "unknown_channel"),
        // Items are free text, so a traditional one would pass as a new item.
        "item" => (configured_items(cfg), "bad_value"),
        _ => return None,
    })
}

/// Every item the configuration names (org types', pioneers', the default).
fn configured_items(cfg: &crate::config::Config) -> Vec<String> {
    let mut items: Vec<String> = cfg
        .org_types
        .iter()
        .flat_map(|o| o.items.iter().cloned())
        .chain(cfg.pioneers.iter().flat_map(|p| p.items.iter().cloned()))
        .chain(std::iter::once(cfg.items.default.clone()))
        .collect();
    items.sort();
    items.dedup();
    items
}

/// The check that quarantines the dictionary's values written in
/// traditional characters, naming each one's simplified form; None when
/// the dictionary has none.
pub fn check(
    ctx: &Context,
    column: &'static str,
    dict: &Series,
    header: &dyn Fn(&str) -> String,
) -> Result<Option<Check>> {
    let Some((words, reason)) = vocabulary(ctx, column) else {
        return Ok(None);
    };
    // Compared as the cells are: normalized.
    let words: Vec<String> = words
        .iter()
        .map(|w| super::normalize::cell(w, super::normalize::Fold::Name).into_owned())
        .collect();
    let known = |v: &str| words.iter().any(|w| w == v || w.to_lowercase() == v);
    let found: Vec<(&str, String)> = dict
        .str()?
        .iter()
        .flatten()
        .filter(|v| !v.is_ascii() && !known(v))
        .filter_map(|v| simplified(v).filter(|s| known(s)).map(|s| (v, s)))
        .collect();
    if found.is_empty() {
        return Ok(None);
    }
    let fixes: Vec<String> = found
        .iter()
        .map(|(v, s)| format!("{s} (not {v})"))
        .collect();
    let values: Vec<&str> = found.iter().map(|p| p.0).collect();
    Ok(Some(Check {
        column,
        bad: col(column).is_in(lit(Series::new("v".into(), values)).implode(false), false),
        reason,
        detail: format!(
            "{} is written in traditional characters: use the simplified form {}",
            header(column),
            fixes.join(", ")
        ),
    }))
}
