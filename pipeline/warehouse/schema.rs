//! Column names and types of the warehouse tables (DESIGN §3, §7). Queries,
//! metrics and reports read these names; an empty table still has them.

use polars::prelude::{DataType, Field, Schema};

const STR: DataType = DataType::String;

fn schema(cols: &[(&str, DataType)]) -> Schema {
    cols.iter()
        .map(|(n, t)| Field::new((*n).into(), t.clone()))
        .collect()
}

/// Provenance columns every ingested table carries.
const PROVENANCE: [(&str, DataType); 3] = [
    ("batch_id", DataType::UInt32),
    ("source_file", STR),
    ("source_line", DataType::UInt32),
];

pub fn of(table: &str) -> Schema {
    let mut cols: Vec<(&str, DataType)> = match table {
        "ratings" => vec![
            ("response_id", STR),
            ("subject_id", STR),
            ("rated_at", DataType::Date),
            ("period", STR),
            ("rater_category", STR),
            // keyed hash of rater_id; the clear id is never stored
            ("rater_key", STR),
            ("rater_village", STR),
            ("method", STR),
            ("channel", STR),
            ("item", STR),
            ("rating", STR),
            ("score", DataType::Float64),
            ("valid", DataType::Boolean),
            ("satisfied", DataType::Boolean),
            ("comment", STR),
        ],
        "subjects" => vec![
            ("subject_id", STR),
            ("name", STR),
            ("kind", STR),
            ("org_type", STR),
            ("pioneer_category", STR),
            ("township", STR),
            ("village", STR),
            ("parent", STR),
            ("position", STR),
        ],
        "raters" => vec![
            ("person_key", STR),
            ("village", STR),
            ("township", STR),
            ("category", STR),
        ],
        "suggestions" | "suggestions_history" => vec![
            ("suggestion_id", STR),
            ("subject_id", STR),
            ("received_at", DataType::Date),
            ("source_method", STR),
            ("category", STR),
            ("content", STR),
            ("answered_on_spot", DataType::Boolean),
            ("measure", STR),
            ("owner", STR),
            ("deadline", DataType::Date),
            ("status", STR),
            ("closed_at", DataType::Date),
            ("follow_up", STR),
        ],
        "quarantine" => vec![
            ("kind", STR),
            ("sheet", STR),
            ("column", STR),
            ("value", STR),
            ("reason", STR),
            ("detail", STR),
            // the offending row as the file had it, header → cell, JSON
            ("row", STR),
        ],
        _ => vec![],
    };
    cols.extend(PROVENANCE.iter().cloned());
    schema(&cols)
}
