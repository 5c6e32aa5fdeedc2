//! `pingyi sample --roster FILE --seed N (--per-village N | --total N) --out DIR`:
//! the random draw of raters (随机抽查) from the rater roster, and
//! `pingyi sample --check DIR`, which re-derives a draw from its audit
//! record and says whether the list in DIR is exactly that draw.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::config::Stratum;
use crate::fsutil::sha256_file;
use crate::sample::output::{self, Audit, Inputs, AUDIT, LIST_CSV};
use crate::sample::roster::Person;
use crate::sample::targets::Targets;
use crate::sample::{draw, roster, Size};
use crate::sheet::csv_text;

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The rater roster (参评人员名册): CSV or XLSX with person id, township,
    /// village and category (Chinese headers as configured)
    #[arg(long, value_name = "FILE", required_unless_present = "check")]
    pub roster: Option<PathBuf>,
    /// The seed, announced before the draw so anyone can re-derive it
    #[arg(long, required_unless_present = "check")]
    pub seed: Option<u64>,
    /// People per village, split across strata by the configured ratio
    #[arg(long, value_name = "N", conflicts_with = "total")]
    pub per_village: Option<u64>,
    /// People in all, split across villages in proportion to their eligible people
    #[arg(long, value_name = "N")]
    pub total: Option<u64>,
    /// Folder for 抽查名单.csv, 抽查名单.xlsx and audit.json
    #[arg(long, value_name = "DIR", required_unless_present = "check")]
    pub out: Option<PathBuf>,
    /// Draw only in the places of this list (the leadership report's
    /// csv/needs-ratings.csv: subjects needing more ratings, with township
    /// and village), for a follow-up draw
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// Re-derive the draw in DIR from its audit.json and compare the list
    #[arg(long, value_name = "DIR", conflicts_with_all = ["seed", "per_village", "total", "out", "targets"])]
    pub check: Option<PathBuf>,
}

pub fn run(args: &SampleArgs, explicit: Option<&Path>) -> Result<()> {
    let loaded = super::load_config(explicit)?;
    let cfg = &loaded.config;
    if let Some(dir) = &args.check {
        return check(cfg, dir, args.roster.as_deref());
    }
    let targets = args.targets.as_deref().map(Targets::read).transpose()?;
    let needs = targets.as_ref().map_or(&[][..], |t| t.needs.as_slice());
    let size = match (args.per_village, args.total) {
        (Some(n), None) => Size::PerVillage(n),
        (None, Some(n)) => Size::Total(n),
        (None, None) if !needs.is_empty() => Size::Targets(0),
        _ => bail!("say how many to draw: --per-village N or --total N (or --targets FILE with a column of people needed)"),
    };
    let (path, seed, out) = (
        args.roster.as_deref().expect("clap requires --roster"),
        args.seed.expect("clap requires --seed"),
        args.out.as_deref().expect("clap requires --out"),
    );
    crate::outdir::Protected::new(cfg, &loaded.origin).folder("--out", out, "sample")?;
    let strata = &cfg.sampling.strata;
    let r = roster::read(cfg, path)?;
    if let Some(t) = &targets {
        t.on_roster(&r.people, path)?;
    }
    let people = targeted(&r.people, targets.as_ref());
    if people.is_empty() {
        bail!(
            "nobody on the roster {} lives in the places of the targets file; check that its townships and villages are spelt as in the roster",
            path.display()
        );
    }
    let d = draw(&people, strata, seed, size, needs);
    // Sized by the targets: the total is what their needs came to.
    let size = match size {
        Size::Targets(_) => Size::Targets(d.villages.iter().flat_map(|v| &v.planned).sum()),
        other => other,
    };
    let inputs = Inputs {
        roster_path: path,
        roster_sha256: sha256_file(path)?,
        roster_rows: r.rows,
        excluded: &r.excluded,
        strata,
        seed,
        size,
        targets: targets.as_ref(),
    };
    let audit = output::write(out, &d, &inputs)?;
    summary(&audit, out);
    Ok(())
}

/// The roster's people in the targeted places (all of them without targets).
fn targeted(people: &[Person], targets: Option<&Targets>) -> Vec<Person> {
    people
        .iter()
        .filter(|p| targets.is_none_or(|t| t.keep(p)))
        .cloned()
        .collect()
}

fn summary(a: &Audit, out: &Path) {
    let per = |v: &[u64]| -> String {
        a.ratio
            .iter()
            .zip(v)
            .map(|(s, n)| format!("{} {n}", s.category))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "drew {} people in {} villages (seed {}): {}",
        a.list.rows,
        a.totals.villages,
        a.seed,
        per(&a.totals.drawn)
    );
    println!("planned: {}", per(&a.totals.planned));
    if a.size.mode == "targets" {
        println!(
            "sized by the targets' people needed (the most any subject of a village needs): {} people planned in all",
            a.size.n
        );
    }
    if a.totals.villages_short > 0 {
        eprintln!(
            "warning: {} villages have fewer people than planned in a stratum (short: {}); they gave everyone they have and nobody was substituted:",
            a.totals.villages_short,
            per(&a.totals.shortfall)
        );
        for v in a
            .villages
            .iter()
            .filter(|v| v.shortfall.iter().any(|&s| s > 0))
            .take(20)
        {
            eprintln!(
                "  {} {}: short {}",
                v.township,
                v.village,
                per(&v.shortfall)
            );
        }
    }
    if !a.roster.excluded.is_empty() {
        eprintln!(
            "warning: {} roster rows left out of the draw:",
            a.roster.excluded.len()
        );
        for e in a.roster.excluded.iter().take(20) {
            eprintln!("  {} line {}: {}", a.roster.path, e.line, e.reason);
        }
    }
    println!(
        "wrote {}, {} and {} in {}",
        LIST_CSV,
        output::LIST_XLSX,
        AUDIT,
        out.display()
    );
}

/// Re-derives the draw from `dir/audit.json` and compares the list.
fn check(cfg: &crate::config::Config, dir: &Path, roster_override: Option<&Path>) -> Result<()> {
    let text = std::fs::read_to_string(dir.join(AUDIT)).with_context(|| {
        format!(
            "cannot read {}; is {} a draw's folder?",
            dir.join(AUDIT).display(),
            dir.display()
        )
    })?;
    let a: Audit = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a draw's audit record", dir.join(AUDIT).display()))?;
    let path = roster_override.map_or_else(|| PathBuf::from(&a.roster.path), Path::to_path_buf);
    let hash = sha256_file(&path)?;
    if hash != a.roster.sha256 {
        bail!(
            "{} is not the roster the draw used (SHA-256 {hash}, the audit record says {}); pass the original with --roster",
            path.display(),
            a.roster.sha256
        );
    }
    let strata: &[Stratum] = &a.ratio;
    let size = Size::from_record(&a.size)
        .context("the audit record's size mode is none of per_village, total, targets")?;
    let r = roster::read(cfg, &path)?;
    if let Some(t) = &a.targets {
        let now = crate::fsutil::sha256_file(Path::new(&t.path))
            .with_context(|| format!("the draw was limited to the targets in {}", t.path))?;
        if now != t.sha256 {
            bail!("{} is not the targets file the draw used (SHA-256 {now}, the audit record says {})", t.path, t.sha256);
        }
    }
    let people = targeted(&r.people, a.targets.as_ref());
    let needs = a.targets.as_ref().map_or(&[][..], |t| t.needs.as_slice());
    let again = csv_text(&output::sheet(
        &draw(&people, strata, a.seed, size, needs).list,
    ));
    let listed = std::fs::read_to_string(dir.join(LIST_CSV))
        .with_context(|| format!("cannot read {}", dir.join(LIST_CSV).display()))?;
    if again != listed {
        let line = again
            .lines()
            .zip(listed.lines())
            .position(|(x, y)| x != y)
            .map_or_else(
                || {
                    format!(
                        "the lists differ in length ({} and {} lines)",
                        again.lines().count(),
                        listed.lines().count()
                    )
                },
                |i| format!("line {} differs", i + 1),
            );
        bail!(
            "{} is not the draw its audit record describes: {line}",
            dir.join(LIST_CSV).display()
        );
    }
    println!(
        "{}: the list re-derives exactly from the roster (SHA-256 {}), seed {}, ratio {}, {} {} ({} people)",
        dir.display(),
        &hash[..12],
        a.seed,
        a.ratio.iter().map(|s| s.weight.to_string()).collect::<Vec<_>>().join(":"),
        a.size.mode,
        a.size.n,
        a.list.rows
    );
    Ok(())
}
