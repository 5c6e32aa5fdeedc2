//! The template set: minijinja templates and label files from
//! `report-templates/`, embedded in the binary; `--templates DIR` overrides
//! any of them file by file (a county's own letterhead), and its
//! `i18n/<lang>.toml` overrides labels key by key.
//!
//! Auto-escaping follows the file name: `.html` templates escape every value
//! unless marked safe (only our own SVG charts are), `.css` is included raw.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use minijinja::value::{Kwargs, Serde, Value};
use minijinja::{Environment, Error, ErrorKind};
use serde::Serialize;

use super::format;
use crate::config::Lang;

/// Every template and label file, as shipped.
const EMBEDDED: [(&str, &str); 13] = [
    (
        "base.html",
        include_str!("../../report-templates/base.html"),
    ),
    (
        "style.css",
        include_str!("../../report-templates/style.css"),
    ),
    (
        "macros.html",
        include_str!("../../report-templates/macros.html"),
    ),
    (
        "leadership.html",
        include_str!("../../report-templates/leadership.html"),
    ),
    (
        "public.html",
        include_str!("../../report-templates/public.html"),
    ),
    (
        "unit.html",
        include_str!("../../report-templates/unit.html"),
    ),
    (
        "units-index.html",
        include_str!("../../report-templates/units-index.html"),
    ),
    (
        "index.html",
        include_str!("../../report-templates/index.html"),
    ),
    // The printable forms of `pingyi forms` (their labels: `forms/i18n/`, read by `forms::sheet`).
    (
        "forms/form.html",
        include_str!("../../report-templates/forms/form.html"),
    ),
    (
        "forms/form.css",
        include_str!("../../report-templates/forms/form.css"),
    ),
    (
        "forms/index.html",
        include_str!("../../report-templates/forms/index.html"),
    ),
    (
        "i18n/zh.toml",
        include_str!("../../report-templates/i18n/zh.toml"),
    ),
    (
        "i18n/en.toml",
        include_str!("../../report-templates/i18n/en.toml"),
    ),
];

/// Labels of one language: `t.key` in templates, `labels.get("key")` in code.
#[derive(Debug, Clone, Serialize)]
pub struct Labels(pub BTreeMap<String, String>);

impl Labels {
    /// The label, or the key itself so a missing label shows, not breaks.
    pub fn get(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_else(|| key.to_string())
    }
}

pub struct Templates {
    env: Environment<'static>,
    pub labels: Labels,
}

impl Templates {
    pub fn load(dir: Option<&Path>, lang: Lang) -> Result<Templates> {
        if let Some(d) = dir {
            if !d.is_dir() {
                bail!("--templates {}: no such folder", d.display());
            }
        }
        let mut env = Environment::new();
        for (name, builtin) in EMBEDDED.iter().filter(|(n, _)| !n.ends_with(".toml")) {
            let source = source(dir, name, builtin)?;
            env.add_template_owned(name.to_string(), source)
                .map_err(|e| template_error(dir, name, e))?;
        }
        register_filters(&mut env);
        let labels = labels(dir, lang)?;
        Ok(Templates { env, labels })
    }

    /// Renders `name` with the view model as `m` and the labels as `t`.
    pub fn render<T: Serialize>(&self, name: &str, model: &T) -> Result<String> {
        let tmpl = self.env.get_template(name)?;
        let ctx = minijinja::context! {
            t => Value::from(Serde(&self.labels)),
            m => Value::from(Serde(model)),
        };
        tmpl.render(ctx)
            .map_err(|e| anyhow::anyhow!("{}", describe(&e)))
            .with_context(|| format!("cannot render template {name}"))
    }
}

/// The override file if the folder has it, else the built-in text.
fn source(dir: Option<&Path>, name: &str, builtin: &str) -> Result<String> {
    match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
        Some(p) => std::fs::read_to_string(&p)
            .with_context(|| format!("cannot read template {}", p.display())),
        None => Ok(builtin.to_string()),
    }
}

fn template_error(dir: Option<&Path>, name: &str, e: Error) -> anyhow::Error {
    let origin: PathBuf = dir.map_or_else(|| PathBuf::from("(built-in)"), Path::to_path_buf);
    anyhow::anyhow!(
        "template {} in {}: {}; fix the template or remove it to use the built-in one",
        name,
        origin.display(),
        describe(&e)
    )
}

/// minijinja's message with the line it points at.
fn describe(e: &Error) -> String {
    match e.line() {
        Some(line) => format!("line {line}: {e}"),
        None => e.to_string(),
    }
}

/// Built-in labels, with the override folder's keys on top.
fn labels(dir: Option<&Path>, lang: Lang) -> Result<Labels> {
    let file = match lang {
        Lang::Zh => "i18n/zh.toml",
        Lang::En => "i18n/en.toml",
    };
    let builtin = EMBEDDED
        .iter()
        .find(|(n, _)| *n == file)
        .map_or("", |(_, s)| s);
    Ok(Labels(merged_labels(builtin, dir, file)?))
}

/// Labels parsed from `builtin`, with `dir/file`'s keys on top when the
/// override folder has that file (reports and forms alike).
pub fn merged_labels(
    builtin: &str,
    dir: Option<&Path>,
    file: &str,
) -> Result<BTreeMap<String, String>> {
    let mut map: BTreeMap<String, String> =
        toml::from_str(builtin).with_context(|| format!("built-in labels {file} do not parse"))?;
    if let Some(p) = dir.map(|d| d.join(file)).filter(|p| p.is_file()) {
        let text = std::fs::read_to_string(&p)
            .with_context(|| format!("cannot read labels {}", p.display()))?;
        let over: BTreeMap<String, String> = toml::from_str(&text).with_context(|| {
            format!(
                "labels {}: every entry must be `key = \"text\"`",
                p.display()
            )
        })?;
        map.extend(over);
    }
    Ok(map)
}

fn register_filters(env: &mut Environment<'static>) {
    env.add_filter("pct", |v: Option<f64>, digits: Option<usize>| {
        format::pct(v, digits.unwrap_or(1))
    });
    env.add_filter("pp", |v: Option<f64>| format::pp(v));
    env.add_filter("num", |v: Option<u64>| {
        v.map_or("—".to_string(), format::thousands)
    });
    env.add_filter("fixed", |v: Option<f64>, digits: Option<usize>| {
        format::fixed(v, digits.unwrap_or(2))
    });
    env.add_filter("interval", |lo: Option<f64>, hi: Option<f64>| {
        format::interval(lo, hi)
    });
    env.add_filter("fill", fill);
    // A unit card's file name, as `units` writes it.
    env.add_filter("card", |id: String| super::format::file_name(&id));
}

/// `{{ t.note|fill(n=3) }}`: replaces `{n}` in a label with the value.
fn fill(text: String, kwargs: Kwargs) -> Result<String, Error> {
    let mut out = text;
    for key in kwargs.args() {
        let v: Value = kwargs.get(key)?;
        out = out.replace(&format!("{{{key}}}"), &v.to_string());
    }
    kwargs
        .assert_all_used()
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
    Ok(out)
}
