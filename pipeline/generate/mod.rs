//! `pingyi generate`: a deterministic synthetic county shaped like Luxi, its
//! rating exports in the formats counties produce, rosters, the ledger and an
//! answer key of planted faults.
//!
//! Layout of `--out DIR`: `DIR/inbox/` holds what would land in a county's
//! inbox; `DIR/EXPECTED-DEFECTS.csv` lists every planted fault and
//! `DIR/generate-summary.json` the counts; `DIR/EXPECTED-INTEGRITY.csv`
//! lists the planted manipulation (`manipulation.rs`) the integrity audit
//! must find. Files are written to a staging
//! folder and moved into place only when all of them are complete.

mod campaign;
mod county;
mod defects;
mod export;
mod ledger;
mod manipulation;
mod model;
mod names;
mod people;
mod plan;
mod routine;
mod visits;
mod write;

use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use export::{Encoding, DEVICE, SURVEY, TALKS};
use model::{Rating, Suggestion};
use plan::Plan;
use write::Stream;

pub use campaign::{SEED_DRAW, SEED_DRAW_RATE, SEED_DRAW_SUGGESTIONS};
pub use county::{largest_remainder, SEED_CADRES};

/// Rating rows at the default scale: the campaign plus two years of routine work.
pub const DEFAULT_SCALE: u64 = 38_000;

#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    pub out: PathBuf,
    pub scale: u64,
    pub start_year: i32,
    pub quarters: u32,
    pub defects: bool,
    /// Plant the manipulation the integrity audit finds (`manipulation.rs`).
    pub manipulation: bool,
}

#[derive(Debug, Serialize)]
pub struct FileSummary {
    pub file: String,
    pub kind: &'static str,
    pub rows: u64,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub seed: u64,
    pub scale: u64,
    pub periods: Vec<String>,
    pub townships: usize,
    pub villages: usize,
    pub organizations: usize,
    pub cadres: usize,
    pub roster_people: usize,
    pub rating_rows: u64,
    pub suggestions: usize,
    pub planted_faults: usize,
    /// Planted manipulation cases (rows of EXPECTED-INTEGRITY.csv).
    pub planted_manipulation: usize,
    pub files: Vec<FileSummary>,
}

pub fn run(cfg: &Config, opts: &Options) -> Result<Summary> {
    anyhow::ensure!(
        opts.quarters >= 4,
        "--quarters must be at least 4 (trends need four periods)"
    );
    let plan = Plan::new(cfg, opts.seed, opts.start_year, opts.quarters)?;
    let staging = opts.out.join(format!(".generate-{}", std::process::id()));
    let inbox = staging.join("inbox");
    std::fs::create_dir_all(&inbox)
        .with_context(|| format!("cannot create {}", inbox.display()))?;
    let result = generate_into(&plan, opts, &staging, &inbox);
    match result {
        Ok(summary) => {
            publish(&staging, &opts.out)?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

/// Moves each finished file from staging into `out`, replacing older ones.
fn publish(staging: &Path, out: &Path) -> Result<()> {
    let target_inbox = out.join("inbox");
    std::fs::create_dir_all(&target_inbox)?;
    for entry in std::fs::read_dir(staging.join("inbox"))? {
        let entry = entry?;
        std::fs::rename(entry.path(), target_inbox.join(entry.file_name()))?;
    }
    for name in [
        "EXPECTED-DEFECTS.csv",
        "EXPECTED-INTEGRITY.csv",
        "EXPECTED-LEDGER.csv",
        "generate-summary.json",
    ] {
        std::fs::rename(staging.join(name), out.join(name))?;
    }
    std::fs::remove_dir_all(staging)?;
    Ok(())
}

fn generate_into(plan: &Plan, opts: &Options, staging: &Path, inbox: &Path) -> Result<Summary> {
    let fraction = (opts.scale as f64 / campaign::CAMPAIGN_ROWS as f64).min(1.0);
    let camp = campaign::build(plan, fraction);
    let first = plan.quarters[0];
    let last = *plan.quarters.last().expect("at least four quarters");
    let span = if first.year == last.year {
        first.year.to_string()
    } else {
        format!("{}-{}", first.year, last.year)
    };
    let stamp = last.last_day();
    let mut planted = Vec::new();
    let mut streams = [
        Stream::csv(
            inbox,
            &format!("群众满意度测评表_{span}.csv"),
            SURVEY,
            Encoding::Gb18030,
            1,
            opts.defects,
        )?,
        Stream::csv(
            inbox,
            &format!("民情恳谈及网上评议_{span}.csv"),
            TALKS,
            Encoding::Utf8Bom,
            0,
            opts.defects,
        )?,
        Stream::jsonl(
            inbox,
            &format!("评价器导出_{span}.jsonl"),
            DEVICE,
            2,
            opts.defects,
        )?,
    ];
    for r in &camp.survey {
        streams[0].write(plan, r, &mut planted)?;
    }
    let campaign_rows = (camp.survey.len() + camp.random.len()) as u64;
    let routine_rows = opts.scale.saturating_sub(campaign_rows);
    let mut suggestions = camp.suggestions.clone();
    routine_into(
        plan,
        routine_rows,
        &mut streams,
        &mut suggestions,
        &mut planted,
    )?;
    let cast = visits::Cast::new(plan);
    let mut visited = visits::honest(plan, &cast);
    let plants = if opts.manipulation {
        manipulation::plant(plan, &cast, &camp.survey)
    } else {
        manipulation::Plants::default()
    };
    // Planted rows go after the exports' own rows: the planted faults'
    // line numbers stay where they were.
    for r in &plants.survey {
        streams[0].write(plan, r, &mut planted)?;
    }
    for r in &plants.device {
        streams[2].write(plan, r, &mut planted)?;
    }
    visited.extend(plants.visits);
    let visits_name = format!("入户走访评议_{}.csv", last.year);
    let visit_rows = visits::write(plan, inbox, &visits_name, &mut visited)?;

    let draw_quarter = plan.quarters[plan.quarters.len() - 2];
    let draw_name = format!(
        "随机抽查评议_{}年第{}季度.xlsx",
        draw_quarter.year, draw_quarter.q
    );
    let mut to = write::Files {
        plan,
        dir: inbox,
        defects: opts.defects,
        planted: &mut planted,
    };
    write::random_draw_xlsx(&mut to, &draw_name, &camp.random, stamp)?;
    let items = ledger::build(plan, &suggestions, stamp);
    write::ledger_xlsx(&mut to, "整改销号台账.xlsx", &items, stamp)?;
    let subjects = write::subjects_csv(&mut to, "评议对象名册.csv")?;
    let people = write::raters_csv(&mut to, "参评人员名册.csv")?;

    let mut files = Vec::new();
    let mut rating_rows = camp.random.len() as u64 + visit_rows;
    for s in streams {
        let name = s.name.clone();
        let rows = s.finish()?;
        rating_rows += rows;
        files.push(FileSummary {
            file: name,
            kind: "ratings",
            rows,
        });
    }
    files.push(FileSummary {
        file: visits_name,
        kind: "ratings",
        rows: visit_rows,
    });
    files.push(FileSummary {
        file: draw_name,
        kind: "ratings",
        rows: camp.random.len() as u64,
    });
    files.push(FileSummary {
        file: "整改销号台账.xlsx".into(),
        kind: "ledger",
        rows: items.len() as u64,
    });
    files.push(FileSummary {
        file: "评议对象名册.csv".into(),
        kind: "subjects",
        rows: subjects,
    });
    files.push(FileSummary {
        file: "参评人员名册.csv".into(),
        kind: "raters",
        rows: people,
    });
    write::expected_defects(&staging.join("EXPECTED-DEFECTS.csv"), &planted)?;
    write::expected_ledger(&staging.join("EXPECTED-LEDGER.csv"), &items, stamp)?;
    manipulation::expected_integrity(&staging.join("EXPECTED-INTEGRITY.csv"), &plants.expected)?;
    let county = &plan.county;
    let summary = Summary {
        seed: opts.seed,
        scale: opts.scale,
        periods: plan.quarters.iter().map(|q| q.to_string()).collect(),
        townships: county.townships.len(),
        villages: county.villages.len(),
        organizations: county.orgs.len(),
        cadres: county.subjects.len() - county.orgs.len(),
        roster_people: plan.roster.people.len(),
        rating_rows,
        suggestions: items.len(),
        planted_faults: planted.len(),
        planted_manipulation: plants.expected.len(),
        files,
    };
    let json = serde_json::to_string_pretty(&summary)? + "\n";
    std::fs::write(staging.join("generate-summary.json"), json)?;
    Ok(summary)
}

/// Routine rows in parallel chunks of subjects; a writer thread serializes
/// them in chunk order while the next batch is generated. At most two
/// batches are in memory, so memory does not grow with the scale.
fn routine_into(
    plan: &Plan,
    rows: u64,
    streams: &mut [Stream; 3],
    suggestions: &mut Vec<Suggestion>,
    planted: &mut Vec<defects::Planted>,
) -> Result<()> {
    const CHUNK: usize = 4;
    let per_weight = routine::rows_per_weight(plan, rows);
    let quotas = routine::Quotas::new(plan);
    let n = plan.county.subjects.len();
    let chunks: Vec<std::ops::Range<usize>> = (0..n)
        .step_by(CHUNK)
        .map(|s| s..(s + CHUNK).min(n))
        .collect();
    let batch = rayon::current_num_threads().max(1) * 2;
    let (questionnaire, device) = (plan.channel("问卷"), plan.channel("评价器"));
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = sync_channel::<Vec<routine::Chunk>>(1);
        let writer = scope.spawn(move || -> Result<()> {
            for batch in rx {
                for chunk in batch {
                    for r in &chunk.ratings {
                        let target = route(r, questionnaire, device);
                        streams[target].write(plan, r, planted)?;
                    }
                    suggestions.extend(chunk.suggestions);
                }
            }
            Ok(())
        });
        for group in chunks.chunks(batch) {
            let out: Vec<routine::Chunk> = group
                .par_iter()
                .map(|range| routine::generate(plan, &quotas, range.clone(), per_weight))
                .collect();
            if tx.send(out).is_err() {
                break; // the writer failed; its error is reported below
            }
        }
        drop(tx);
        writer.join().expect("writer thread does not panic")
    })
}

/// Which export a routine rating belongs in: questionnaires with the keyed-in
/// forms (GB18030), device votes in the device export, the rest in the talks export.
fn route(r: &Rating, questionnaire: u8, device: u8) -> usize {
    if r.channel == questionnaire {
        0
    } else if r.channel == device {
        2
    } else {
        1
    }
}
