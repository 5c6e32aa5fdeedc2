//! `pingyi forms --period P [--township T] [--org-type O] [--copies N]
//! [--lang zh|en] [--out DIR] [--pdf]`: the campaign's printable 测评表,
//! Excel entry template and device schema, from the configuration and the
//! subject roster in the warehouse.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use super::report::RenderArgs;
use crate::forms::{self, Options};
use crate::warehouse::Warehouse;

// --lang, --pdf, --chromium and --templates are `report`'s, with help that
// names what forms print and which templates they read.
#[derive(Debug, Args)]
#[command(
    mut_arg("lang", |a| a.help("Language of the forms' printed text (default: report.language); values stay as configured")),
    mut_arg("pdf", |a| a.help("Also print each group's forms to PDF through headless Chromium")),
    mut_arg("templates", |a| a.help("A folder of templates (forms/form.html, forms/form.css, forms/i18n/LANG.toml) overriding the built-in ones")),
)]
pub struct FormsArgs {
    /// The campaign's period, in the configured granularity (2012Q3, 2012-09, 2012H2, 2012)
    #[arg(long, value_name = "PERIOD")]
    pub period: String,
    /// Only the subject groups of this township (乡镇)
    #[arg(long, value_name = "T")]
    pub township: Option<String>,
    /// Only the subject groups of this organization type (机关, 农村, …)
    #[arg(long, value_name = "TYPE")]
    pub org_type: Option<String>,
    /// Sheets printed per group, each with its own id (one per rater)
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=999))]
    pub copies: u32,
    /// Evaluation method printed on the forms (default: 群众测评)
    #[arg(long, value_name = "NAME")]
    pub method: Option<String>,
    /// Evaluation channel printed on the forms (default: 测评表)
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Output folder, replaced whole (default: forms/PERIOD)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub render: RenderArgs,
}

pub fn run(args: &FormsArgs, explicit: Option<&Path>) -> Result<()> {
    let loaded = super::load_config(explicit)?;
    let cfg = &loaded.config;
    let opts = Options {
        period: args.period.clone(),
        township: args.township.clone(),
        org_type: args.org_type.clone(),
        lang: args.render.lang(cfg.report.language),
        out: args.out.clone(),
        copies: args.copies,
        method: args.method.clone(),
        channel: args.channel.clone(),
        pdf: args.render.pdf,
        chromium: args.render.chromium.clone(),
        templates: args.render.templates.clone(),
        protected: crate::outdir::Protected::new(cfg, &loaded.origin),
    };
    let wh = Warehouse::at(&cfg.paths.warehouse);
    let s = forms::run(cfg, &wh, &opts)?;
    println!(
        "{} subject groups, {} sheets{} in {}",
        s.groups,
        s.sheets,
        if s.pdfs > 0 {
            format!(", {} PDFs", s.pdfs)
        } else {
            String::new()
        },
        s.out.display()
    );
    Ok(())
}
