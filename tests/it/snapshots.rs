//! Snapshots for review (insta): the report view models as JSON and every
//! named query's answer, on the sample warehouse. A change in a published
//! figure then shows as a readable diff of `tests/it/snapshots/*.snap`;
//! accept an intended one with `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test --test it snapshots::`) and commit it.
//!
//! Deterministic by construction: rows come sorted (the view models and the
//! named queries order them), numbers are rounded to 10 decimal places (a
//! sum over threads may differ in the last bit), and the machine's paths,
//! the pingyi version and the SVG charts (a hash stands for each) are left
//! out.

use pingyi::config::{load_file, Config, Lang};
use pingyi::render::templates::Templates;
use pingyi::report::load::{load, Data};
use pingyi::report::{leadership, public, units};
use pingyi::warehouse::Warehouse;
use serde_json::Value;

use crate::util::{county, repo, sample_warehouse, split_csv, sql_names};

/// The sample's configuration, its metrics and the Chinese labels.
fn sample() -> (Config, Data, Templates) {
    let d = county();
    let cfg = load_file(&d.join("pingyi.toml")).expect("config").config;
    let calendar = pingyi::calendar::WorkCalendar::load(None).expect("built-in calendar");
    let data = load(&Warehouse::at(sample_warehouse()), &calendar).expect("metrics");
    let t = Templates::load(None, Lang::Zh).expect("templates");
    (cfg, data, t)
}

/// Rounded to 10 places, so the last bit of a float does not matter.
fn round(x: f64) -> f64 {
    (x * 1e10).round() / 1e10
}

/// A view model as JSON a reviewer can diff: machine paths replaced, the
/// version and charts reduced to a stand-in, floats rounded.
fn reviewable<T: serde::Serialize>(model: &T) -> Value {
    let mut text = serde_json::to_string(model).unwrap();
    for (path, name) in [(sample_warehouse(), "<warehouse>"), (&repo(), "<repo>")] {
        let p = serde_json::to_string(&path.display().to_string()).unwrap();
        text = text.replace(p.trim_matches('"'), name);
    }
    let mut v: Value = serde_json::from_str(&text).unwrap();
    tidy(&mut v, "");
    v
}

fn tidy(v: &mut Value, key: &str) {
    match v {
        Value::Number(n) if n.is_f64() => {
            *v = serde_json::json!(round(n.as_f64().unwrap()));
        }
        Value::String(s) if s.starts_with("<svg") => *v = Value::String(svg_stand_in(s)),
        Value::String(_) if key == "version" => *v = Value::String("(version)".into()),
        Value::Array(items) => items.iter_mut().for_each(|x| tidy(x, key)),
        Value::Object(map) => map.iter_mut().for_each(|(k, x)| tidy(x, k)),
        _ => {}
    }
}

/// An SVG chart as its size and a hash: a changed chart shows as a changed
/// line, without thousands of lines of path data.
fn svg_stand_in(svg: &str) -> String {
    use sha2::Digest;
    let hash = pingyi::fsutil::hex(&sha2::Sha256::digest(svg.as_bytes()));
    format!("<svg: {} bytes, sha256 {}>", svg.len(), &hash[..16])
}

#[test]
fn leadership_view_model() {
    let (cfg, data, t) = sample();
    let m = leadership::build(&cfg, &data, &t.labels, "zh");
    insta::assert_json_snapshot!("leadership", reviewable(&m));
}

#[test]
fn public_view_model() {
    let (cfg, data, t) = sample();
    let m = public::build(&cfg, &data, &t.labels);
    insta::assert_json_snapshot!("public", reviewable(&m));
}

#[test]
fn unit_card_view_models() {
    let (cfg, data, t) = sample();
    // One subject per status of the cards' index, the first of each by id:
    // a firm breach, a breach resting on too few ratings, a firm watch entry, none.
    let status = units::view_models(&cfg, &data, &t.labels, &[]);
    let ids = first_of_each_status(&cfg, &data, &t);
    let m = units::view_models(&cfg, &data, &t.labels, &ids);
    assert_eq!(m["counts"], status["counts"]);
    insta::assert_json_snapshot!("unit_cards", reviewable(&m));
}

/// The first subject by id of each status the cards' index knows.
fn first_of_each_status<'a>(cfg: &Config, data: &'a Data, t: &Templates) -> Vec<&'a str> {
    // The rated subjects: those with a card.
    let mut ids: Vec<&str> = data
        .subject_period
        .iter()
        .map(|s| s.subject_id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let all = units::view_models(cfg, data, &t.labels, &ids);
    let mut found: Vec<(String, &str)> = Vec::new();
    for (card, id) in all["cards"].as_array().unwrap().iter().zip(&ids) {
        let status = card["status"].as_str().unwrap().to_string();
        if !found.iter().any(|(s, _)| *s == status) {
            found.push((status, id));
        }
    }
    found.sort_unstable();
    found.into_iter().map(|(_, id)| id).collect()
}

/// CSV with every number of more than 10 places rounded to 10.
fn rounded_csv(csv: &str) -> String {
    let mut out = String::new();
    for line in csv.lines() {
        let cells: Vec<String> = split_csv(line)
            .into_iter()
            .map(|c| match c.parse::<f64>() {
                Ok(x) if c.contains('.') => round(x).to_string(),
                _ if c.contains(',') || c.contains('"') => {
                    format!("\"{}\"", c.replace('"', "\"\""))
                }
                _ => c,
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[test]
fn every_named_query_on_the_sample() {
    let d = county();
    let queries = repo().join("queries");
    let queries_arg = queries.display().to_string();
    for name in sql_names(&queries) {
        let r = d.ok(&[
            "query",
            "--queries",
            &queries_arg,
            "--name",
            &name,
            "--example",
            "--format",
            "csv",
        ]);
        insta::assert_snapshot!(format!("query_{name}"), rounded_csv(&r.stdout));
    }
}
