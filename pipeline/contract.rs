//! The data contract (DESIGN §3): the kinds of input file, their canonical
//! columns and which of them are required. Configuration validates header
//! aliases against these names; ingest maps headers onto them.

use serde::{Deserialize, Serialize};

/// The kinds of file pingyi reads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Ratings,
    Subjects,
    Raters,
    Ledger,
    /// 诫勉谈话 case records: the department's sheet of talks held or not.
    Cases,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Ratings,
        Kind::Subjects,
        Kind::Raters,
        Kind::Ledger,
        Kind::Cases,
    ];

    /// Canonical columns of this kind, each with whether it is required.
    pub fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            Kind::Ratings => RATINGS,
            Kind::Subjects => SUBJECTS,
            Kind::Raters => RATERS,
            Kind::Ledger => LEDGER,
            Kind::Cases => CASES,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Ratings => "ratings",
            Kind::Subjects => "subjects",
            Kind::Raters => "raters",
            Kind::Ledger => "ledger",
            Kind::Cases => "cases",
        }
    }
}

const RATINGS: &[(&str, bool)] = &[
    ("response_id", true),
    ("subject_id", true),
    ("subject_name", false),
    ("rated_at", true),
    ("period", false),
    ("rater_category", true),
    ("rater_id", false),
    ("rater_village", false),
    ("device_id", false),
    ("collector", false),
    ("method", true),
    ("channel", true),
    ("item", false),
    ("rating", true),
    ("comment", false),
];

const SUBJECTS: &[(&str, bool)] = &[
    ("subject_id", true),
    ("name", true),
    ("kind", true),
    ("org_type", true),
    ("pioneer_category", false),
    ("township", true),
    ("village", false),
    ("parent", false),
    ("position", false),
];

const RATERS: &[(&str, bool)] = &[
    ("person_id", true),
    ("village", true),
    ("township", true),
    ("category", true),
];

const LEDGER: &[(&str, bool)] = &[
    ("suggestion_id", true),
    ("subject_id", true),
    ("received_at", true),
    ("source_method", true),
    ("category", true),
    ("content", false),
    ("answered_on_spot", false),
    ("measure", false),
    ("owner", false),
    ("deadline", false),
    ("status", true),
    ("closed_at", false),
    ("follow_up", false),
];

/// A case record: what the department says happened to one 诫勉谈话 case.
const CASES: &[(&str, bool)] = &[
    ("case_id", true),
    ("subject_id", false),
    ("status", true),
    ("held_on", false),
    ("outcome", false),
    ("reason", false),
    ("interviewer", false),
];

/// Every canonical column name, across kinds, sorted and without repeats.
pub fn all_columns() -> Vec<&'static str> {
    let mut names: Vec<&str> = Kind::ALL
        .iter()
        .flat_map(|k| k.columns().iter().map(|(n, _)| *n))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Subject kinds as they appear in the roster.
pub const SUBJECT_KINDS: [&str; 2] = ["组织", "干部"];

/// Ledger statuses (整改销号台账), in the order an item moves through them.
pub const LEDGER_STATUSES: [&str; 3] = ["未整改", "整改中", "已销号"];

/// Where a 诫勉谈话 case stands. A case opens as `Pending`; the department's
/// case sheet moves it to `Held` (with the day) or `Declined` (with a reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CaseStatus {
    Pending,
    Held,
    Declined,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 3] = [CaseStatus::Pending, CaseStatus::Held, CaseStatus::Declined];

    /// The word the warehouse stores and the sheet carries.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Pending => "待谈话",
            CaseStatus::Held => "已谈话",
            CaseStatus::Declined => "不予谈话",
        }
    }

    pub fn parse(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// How sure a finding "below the threshold t" is, from the people it rests
/// on and its interval. Ordered weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// Fewer than `rules.min_raters` people: no finding either way.
    Thin,
    /// The rate is below t, the interval reaches it (可能低于).
    Likely,
    /// The whole interval lies below t: sufficient evidence (证据充分).
    Certain,
}

impl Evidence {
    pub const ALL: [Evidence; 3] = [Evidence::Thin, Evidence::Likely, Evidence::Certain];

    /// The label stored in the tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Thin => "thin",
            Evidence::Likely => "likely",
            Evidence::Certain => "certain",
        }
    }

    /// Only `certain` is 证据充分: what a talk, a tile or a card may say.
    pub fn is_sufficient(self) -> bool {
        self == Evidence::Certain
    }
}

/// Why an input file is refused whole: what kind of problem it is, to
/// branch on, and the message the operator reads, recorded as it always
/// was (`MANIFEST.json`, `ingest --json`, run records, `rejected/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Refused before it was opened: not a regular file, or larger than
    /// `ingest.max_file_bytes`. Never read, so never hashed: reported, not
    /// recorded in the manifest.
    Unopened,
    /// Its bytes cannot be read as its format: empty, not in its encoding,
    /// a stray quote or a line with no end, not a workbook, no such sheet,
    /// no JSON object.
    Unreadable,
    /// Its headers map to no kind of data, or its sheets to different kinds.
    Unmapped,
}

impl Refusal {
    pub fn unopened(message: impl Into<String>) -> Refusal {
        Refusal::new(RefusalKind::Unopened, message)
    }

    pub fn unreadable(message: impl Into<String>) -> Refusal {
        Refusal::new(RefusalKind::Unreadable, message)
    }

    pub fn unmapped(message: impl Into<String>) -> Refusal {
        Refusal::new(RefusalKind::Unmapped, message)
    }

    fn new(kind: RefusalKind, message: impl Into<String>) -> Refusal {
        Refusal {
            kind,
            message: message.into(),
        }
    }

    /// Whether the manifest records the refusal, with the file's hash:
    /// every refusal of a file that was opened.
    pub fn recorded(&self) -> bool {
        self.kind != RefusalKind::Unopened
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A level a metric groups ratings or ledger items at: the `level` column
/// of `group_period`, `changes`, `trends`, the cluster sums and the ledger
/// summary, stored as `as_str` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Subject,
    /// The whole county: one group, 全县.
    County,
    Township,
    Village,
    OrgType,
    PioneerCategory,
    RaterCategory,
    Method,
    Channel,
    Item,
    /// A ledger item's problem category (the ledger summary only).
    Category,
}

impl Level {
    /// The stored name, which is also the column the level groups by
    /// (but for `subject`, grouped by `subject_id`, and `county`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Subject => "subject",
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
            Level::OrgType => "org_type",
            Level::PioneerCategory => "pioneer_category",
            Level::RaterCategory => "rater_category",
            Level::Method => "method",
            Level::Channel => "channel",
            Level::Item => "item",
            Level::Category => "category",
        }
    }
}

/// Rows read back from a metric table hold the level as its stored text.
impl PartialEq<Level> for String {
    fn eq(&self, level: &Level) -> bool {
        self == level.as_str()
    }
}

impl PartialEq<Level> for str {
    fn eq(&self, level: &Level) -> bool {
        self == level.as_str()
    }
}
