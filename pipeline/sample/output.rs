//! What the draw hands over: the list for the teams going door to door as
//! CSV (UTF-8 with BOM, for Excel) and XLSX, and the audit record as JSON.
//! Each file is written atomically and the audit record last, so a folder
//! with an audit record always holds the list it describes.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::roster::Excluded;
use super::targets::Targets;
use super::{Draw, Drawn, Size, Village};
use crate::config::Stratum;
use crate::fsutil::write_atomic;
use crate::sheet::{csv_text, write_xlsx, Cell, Sheet};

pub const LIST_CSV: &str = "抽查名单.csv";
pub const LIST_XLSX: &str = "抽查名单.xlsx";
pub const AUDIT: &str = "audit.json";

const HEADERS: [&str; 7] = [
    "序号",
    "乡镇",
    "村(社区)",
    "人员类别",
    "抽签序",
    "人员编号",
    "抽签码",
];

/// Everything needed to re-derive the list and check it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Audit {
    pub roster: RosterRecord,
    pub seed: u64,
    pub ratio: Vec<Stratum>,
    pub size: SizeRecord,
    pub rule: String,
    pub villages: Vec<Village>,
    pub totals: Totals,
    pub list: ListRecord,
    /// A follow-up draw's targets: only people in these places were drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Targets>,
    pub pingyi_version: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RosterRecord {
    pub path: String,
    pub sha256: String,
    pub rows: usize,
    pub eligible: u64,
    pub excluded: Vec<Excluded>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SizeRecord {
    /// per_village | total | targets (as the targets file's needs ask)
    pub mode: String,
    pub n: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Totals {
    pub villages: usize,
    pub planned: Vec<u64>,
    pub drawn: Vec<u64>,
    pub shortfall: Vec<u64>,
    pub villages_short: usize,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ListRecord {
    pub csv: String,
    pub xlsx: String,
    pub rows: usize,
    /// SHA-256 of the CSV file's bytes
    pub csv_sha256: String,
}

impl Size {
    pub fn record(self) -> SizeRecord {
        match self {
            Size::PerVillage(n) => SizeRecord {
                mode: "per_village".into(),
                n,
            },
            Size::Total(n) => SizeRecord {
                mode: "total".into(),
                n,
            },
            Size::Targets(n) => SizeRecord {
                mode: "targets".into(),
                n,
            },
        }
    }

    pub fn from_record(r: &SizeRecord) -> Option<Size> {
        match r.mode.as_str() {
            "per_village" => Some(Size::PerVillage(r.n)),
            "total" => Some(Size::Total(r.n)),
            "targets" => Some(Size::Targets(r.n)),
            _ => None,
        }
    }
}

pub struct Inputs<'a> {
    pub roster_path: &'a Path,
    pub roster_sha256: String,
    pub roster_rows: usize,
    pub excluded: &'a [Excluded],
    pub strata: &'a [Stratum],
    pub seed: u64,
    pub size: Size,
    pub targets: Option<&'a Targets>,
}

pub const RULE: &str = "key = lowercase hex SHA-256 of the UTF-8 text \"<seed>:<person_id>\"; \
in each village and stratum the smallest keys are drawn; a village's size is split across strata \
by weight with largest-remainder rounding (ties to the stratum listed first); with a total, the \
total is split across villages in proportion to eligible people the same way (ties to the first \
village in (township, village) order); a short stratum gives everyone and a shortfall.";

/// The list as one sheet, in list order: the CSV and the workbook are
/// written from it by the report's table writers (BOM, quoting, formula-like
/// text defused), so they always agree.
pub fn sheet(list: &[Drawn]) -> Sheet {
    let text = |s: &str| Cell::Text(s.to_string());
    Sheet {
        name: "抽查名单".into(),
        file: "",
        headers: HEADERS.iter().map(|h| h.to_string()).collect(),
        rows: list
            .iter()
            .enumerate()
            .map(|(i, d)| {
                vec![
                    Cell::Int(i as u64 + 1),
                    text(&d.township),
                    text(&d.village),
                    text(&d.category),
                    Cell::Int(d.place),
                    text(&d.person_id),
                    text(&d.key[..12]),
                ]
            })
            .collect(),
    }
}

/// Writes the list and, last, the audit record into `dir`.
pub fn write(dir: &Path, draw: &Draw, inputs: &Inputs) -> Result<Audit> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    crate::outdir::mark(dir, "sample")?;
    let list = sheet(&draw.list);
    let text = csv_text(&list);
    write_atomic(&dir.join(LIST_CSV), text.as_bytes())?;
    // A fixed creation date: the same draw gives the same workbook bytes.
    write_xlsx(&[list], "2000-01-01", &dir.join(LIST_XLSX))?;
    let audit = audit(
        draw,
        inputs,
        crate::fsutil::hex(&<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes())),
    );
    let json = serde_json::to_string_pretty(&audit)? + "\n";
    write_atomic(&dir.join(AUDIT), json.as_bytes())?;
    Ok(audit)
}

fn audit(draw: &Draw, i: &Inputs, csv_sha256: String) -> Audit {
    let n = i.strata.len();
    let sum = |f: &dyn Fn(&Village) -> &Vec<u64>| -> Vec<u64> {
        (0..n)
            .map(|s| draw.villages.iter().map(|v| f(v)[s]).sum())
            .collect()
    };
    Audit {
        roster: RosterRecord {
            path: i.roster_path.display().to_string(),
            sha256: i.roster_sha256.clone(),
            rows: i.roster_rows,
            // People in a stratum, as the villages counted them.
            eligible: draw.villages.iter().flat_map(|v| &v.eligible).sum(),
            excluded: i.excluded.to_vec(),
        },
        seed: i.seed,
        ratio: i.strata.to_vec(),
        size: i.size.record(),
        rule: RULE.into(),
        villages: draw.villages.clone(),
        totals: Totals {
            villages: draw.villages.len(),
            planned: sum(&|v| &v.planned),
            drawn: sum(&|v| &v.drawn),
            shortfall: sum(&|v| &v.shortfall),
            villages_short: draw
                .villages
                .iter()
                .filter(|v| v.shortfall.iter().any(|&s| s > 0))
                .count(),
        },
        list: ListRecord {
            csv: LIST_CSV.into(),
            xlsx: LIST_XLSX.into(),
            rows: draw.list.len(),
            csv_sha256,
        },
        targets: i.targets.cloned(),
        pingyi_version: env!("CARGO_PKG_VERSION").into(),
    }
}
