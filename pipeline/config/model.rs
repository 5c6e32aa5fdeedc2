//! The shape of the configuration. Every struct denies unknown keys so a typo
//! is an error naming the key, never a silently ignored rule.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::contract::Kind;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub paths: Paths,
    pub period: PeriodCfg,
    pub report: ReportCfg,
    pub privacy: Privacy,
    pub scale: Vec<ScaleLevel>,
    pub rater_categories: Vec<Named>,
    pub methods: Vec<Named>,
    pub channels: Vec<Named>,
    pub pioneers: Vec<Pioneer>,
    pub org_types: Vec<OrgType>,
    pub items: Items,
    pub ingest: IngestCfg,
    pub sampling: Sampling,
    pub breach: Breach,
    pub calendar: CalendarCfg,
    pub cases: CasesCfg,
    pub rules: Rules,
    pub integrity: IntegrityCfg,
    pub groups: GroupsCfg,
    pub grades: Vec<Grade>,
    pub columns: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub sources: BTreeMap<String, Source>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    pub inbox: PathBuf,
    pub warehouse: PathBuf,
    pub reports: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Month,
    Quarter,
    Half,
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    Year,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodCfg {
    pub granularity: Granularity,
    pub window: Window,
    /// Ratings and ledger dates before this (YYYY-MM-DD; empty: 2000-01-01)
    /// are quarantined as `bad_date`: a typo such as 1900 is not data.
    #[serde(default)]
    pub earliest: String,
}

impl Config {
    /// The dates an export may carry: from `period.earliest` (default
    /// 2000-01-01) to the run's as-of date.
    pub fn date_bounds(&self, as_of: crate::dates::Date) -> crate::dates::Bounds {
        crate::dates::Bounds {
            earliest: crate::dates::parse_loose(&self.period.earliest)
                .unwrap_or(crate::dates::DEFAULT_EARLIEST),
            latest: as_of,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportCfg {
    pub language: Lang,
    pub min_cell: u32,
    /// A 0% or 100% on fewer raters than this is withheld from the public
    /// report: it would tell what every one of them answered.
    pub min_cell_extreme: u32,
    /// Empty for "today"; a fixed date makes runs reproducible.
    pub as_of: String,
    /// Who issues the reports, printed in their letterhead (e.g. 中共某某县委组织部).
    pub issuer: String,
    /// The public board shows an assessment year only this many days after
    /// its end (late forms arrive meanwhile), and from then on no nightly
    /// rating changes what it shows.
    pub public_grace_days: u32,
    /// How long the 公示 runs (公示期), from the as-of date.
    pub notice_days: u32,
    /// Count `notice_days` as working days (the calendar's holidays and
    /// 调休 workdays) rather than calendar days.
    pub notice_workdays: bool,
    /// Where people object to a result (监督电话, 地址, 邮箱), printed on
    /// the 公示; empty ones are left out, never made up.
    pub objection_phone: String,
    pub objection_address: String,
    pub objection_email: String,
}

/// The working-day calendar deadlines are counted in (`crate::calendar`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarCfg {
    /// A county's own holiday file; empty: the built-in one.
    pub file: PathBuf,
}

/// The 诫勉谈话 cases a certain breach opens (`compute::cases`): who holds
/// the talk and in how many working days.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesCfg {
    /// Working days from the day a case opens to its due date.
    pub due_workdays: u32,
    /// The responsible leader of a subject of no listed org type (county bodies).
    pub default_leader: String,
    /// The responsible leader by the subject's org type; `{township}` is
    /// replaced by the subject's township.
    pub leaders: Vec<CaseLeader>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseLeader {
    pub org_type: String,
    pub leader: String,
}

impl CasesCfg {
    /// The leader of a subject of `org_type` in `township`.
    pub fn leader(&self, org_type: &str, township: &str) -> String {
        let role = self
            .leaders
            .iter()
            .find(|l| l.org_type == org_type)
            .map_or(self.default_leader.as_str(), |l| l.leader.as_str());
        role.replace("{township}", township)
    }
}

impl CalendarCfg {
    pub fn load(&self) -> anyhow::Result<crate::calendar::WorkCalendar> {
        let file = (!self.file.as_os_str().is_empty()).then_some(self.file.as_path());
        crate::calendar::WorkCalendar::load(file)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    pub rater_key_env: String,
    pub rater_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleLevel {
    pub label: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default)]
    pub satisfied: bool,
    #[serde(default)]
    pub abstain: bool,
}

/// A configured name with the spellings exports use for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pioneer {
    pub name: String,
    pub items: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgType {
    pub name: String,
    pub pioneer: String,
    pub items: Vec<String>,
    pub quota_tolerance: f64,
    pub quota: Vec<QuotaGroup>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaGroup {
    pub group: String,
    pub share: f64,
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Items {
    pub default: String,
}

/// Bounds on what ingest reads (bytes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestCfg {
    /// A larger input file is refused unread.
    pub max_file_bytes: u64,
    /// A workbook part (a sheet, the shared strings) decompressing to more is refused.
    pub max_sheet_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SamplingUnit {
    Village,
    Township,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sampling {
    pub unit: SamplingUnit,
    pub strata: Vec<Stratum>,
    pub tolerance: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stratum {
    pub category: String,
    pub weight: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Raw,
    PostStratified,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Breach {
    pub basis: Basis,
    pub action: String,
    pub rules: Vec<BreachRule>,
    /// What one evaluation is, per subject kind, when the rules count them.
    pub window: RuleWindows,
}

/// The evaluation the breach rules count, per subject kind (组织, 干部).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleWindows {
    pub organization: RuleWindow,
    pub cadre: RuleWindow,
}

impl RuleWindows {
    /// The rule window of a subject kind as the roster spells it (干部 is a
    /// cadre; anything else, 组织, an organization).
    pub fn of(&self, kind: &str) -> RuleWindow {
        if kind == "干部" {
            self.cadre
        } else {
            self.organization
        }
    }

    pub fn any_year(&self) -> bool {
        self.organization == RuleWindow::Year || self.cadre == RuleWindow::Year
    }
}

/// `period`: each evaluation period (评议期次, a quarter by default) is one
/// evaluation and the rules count periods within the assessment year.
/// `year`: the assessment year's ratings pooled are one evaluation; a rule
/// "below B × T" counts T consecutive assessment years ending at the window
/// (DESIGN §5 "breach"; README "Rule windows").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleWindow {
    #[serde(alias = "quarter")]
    Period,
    Year,
}

impl RuleWindow {
    /// The label stored in the tables (`rule_window`).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleWindow::Period => "period",
            RuleWindow::Year => "year",
        }
    }
}

/// What a judgement about a subject rests on (DESIGN §5 "Evidence"): the
/// people a breach, a grade or a 较差 on the notice board needs, and the
/// interval half-width a sample is planned for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Fewer raters (people, not ratings) than this: evidence `thin`, no grade.
    pub min_raters: u32,
    /// The half-width of the 95% interval a planned sample aims at.
    pub plan_half_width: f64,
}

/// The thresholds of the integrity checks (评议真实性核查; `compute::integrity`).
/// A rule check flags a count above its limit; a test flags q below
/// `alpha` with a gap of at least its minimum, so a tiny but "significant"
/// difference on thousands of forms is not called manipulation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrityCfg {
    /// Forms one rater key may give one subject in one period.
    pub max_forms_per_key: u32,
    /// Subjects one rater key may rate in one day.
    pub max_subjects_per_key_day: u32,
    /// A burst: more than this many votes for one subject from one device or collector …
    pub burst_votes: u32,
    /// … within this many minutes.
    pub burst_minutes: u32,
    /// Votes are expected from `hours[0]` o'clock up to (not including) `hours[1]`.
    pub hours: [u32; 2],
    /// Votes outside those hours for one subject from one device or
    /// collector in one period: this many or more are flagged.
    pub off_hours_votes: u32,
    /// Straight-lining counts forms with at least this many valid ratings.
    pub straight_min_items: u32,
    /// A collector or channel is tested with at least this many such forms.
    pub straight_min_forms: u32,
    /// Its all-top share must exceed the others' by at least this much.
    pub straight_min_gap: f64,
    /// The face-to-face methods (cadres take the forms themselves).
    pub face_to_face: Vec<String>,
    /// The method the rated unit does not choose: the benchmark.
    pub benchmark: String,
    /// People (forms) each side needs before a subject is tested.
    pub method_min_raters: u32,
    /// The face-to-face rate must exceed the benchmark's by at least this much.
    pub method_min_gap: f64,
    /// A test flags where its Benjamini-Hochberg q is below this.
    pub alpha: f64,
    /// Leave the votes of flagged device bursts out of every rate (they stay
    /// in the warehouse; the leadership report says how many were left out).
    /// Off by default: a flag is a question, not a finding. Not serialized
    /// while off, so turning it on changes the metrics' inputs key and
    /// leaving it off keeps the key warehouses already have.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclude_bursts: bool,
}

/// Groups drawn apart from the roster's own columns: the county's bodies
/// (县直单位), whose units the roster places in the county seat's township
/// but which no township answers for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupsCfg {
    /// The name of their group at the township level; empty: no such group.
    pub county_bodies: String,
    /// A subject whose parent (所属组织) is one of these is a county body,
    /// and so is every cadre of such an organization (its parent is the
    /// organization's name).
    pub county_body_parents: Vec<String>,
    /// Every subject of these org types is a county body.
    pub county_body_org_types: Vec<String>,
}

/// "`times` or more periods with a rate below `below` in one window".
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreachRule {
    pub below: f64,
    pub times: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub name: String,
    pub min: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Utf8,
    Gb18030,
}

/// A per-source mapping for exports whose headers or scale are foreign
/// (e.g. an evaluation device writing English keys and 1–3 button codes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// File-name patterns (`*` and `?`) this source applies to.
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// Canonical column → the header this source uses for it.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Canonical column → a value for every row (the source has no such column).
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// Source rating value → a configured scale label.
    #[serde(default)]
    pub scale: BTreeMap<String, String>,
}

/// One rater category a quota covers: (org type, rater category, quota
/// group, the group's share, the org type's tolerance).
pub type QuotaRow<'a> = (&'a str, &'a str, &'a str, f64, f64);

impl Config {
    /// Every (org type, rater category) pair a quota group covers.
    pub fn quota_rows(&self) -> impl Iterator<Item = QuotaRow<'_>> {
        self.org_types.iter().flat_map(|o| {
            o.quota.iter().flat_map(move |g| {
                g.categories
                    .iter()
                    .map(move |c| (&*o.name, &**c, &*g.group, g.share, o.quota_tolerance))
            })
        })
    }

    /// The scale label with the highest score among the valid levels: a
    /// form all at it is straight-lined (`compute::integrity`).
    pub fn top_label(&self) -> String {
        self.scale
            .iter()
            .filter(|l| !l.abstain)
            .max_by(|a, b| a.score.unwrap_or(0.0).total_cmp(&b.score.unwrap_or(0.0)))
            .map(|l| l.label.clone())
            .unwrap_or_default()
    }

    pub fn org_type(&self, name: &str) -> Option<&OrgType> {
        self.org_types.iter().find(|o| o.name == name)
    }

    pub fn pioneer(&self, name: &str) -> Option<&Pioneer> {
        self.pioneers.iter().find(|p| p.name == name)
    }
}
