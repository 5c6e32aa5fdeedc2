//! Configuration: discovery, `config show`, `config check`, and errors that
//! name the file, the key and what is allowed.

use crate::util::{repo, Dir};

#[test]
fn works_in_an_empty_folder_with_the_seed_rules() {
    let d = Dir::new();
    let r = d.ok(&["config", "show"]);
    assert!(
        r.stdout
            .starts_with("# effective configuration from built-in defaults"),
        "{}",
        r.stdout
    );
    for needle in [
        "action = \"诫勉谈话\"",
        "below = 0.6",
        "below = 0.7",
        "share = 0.55",
        "share = 0.35",
        "share = 0.1",
        "weight = 7",
        "min_cell = 5",
        "granularity = \"quarter\"",
    ] {
        assert!(
            r.stdout.contains(needle),
            "missing {needle} in\n{}",
            r.stdout
        );
    }
    // Paths default to the working directory.
    let wh = d.path().join("warehouse");
    assert!(
        r.stdout
            .contains(&format!("warehouse = \"{}\"", wh.display())),
        "{}",
        r.stdout
    );
}

#[test]
fn the_effective_configuration_reparses_to_itself() {
    let d = Dir::new();
    let shown = d.ok(&["config", "show"]).stdout;
    d.write("shown.toml", &shown);
    let again = d.ok(&["--config", "shown.toml", "config", "show"]).stdout;
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&shown), body(&again));
}

#[test]
fn finds_pingyi_toml_in_the_working_folder_and_merges_over_defaults() {
    let d = Dir::new();
    d.write(
        "pingyi.toml",
        "[rules]\nmin_raters = 12\n\n[paths]\nwarehouse = \"wh\"\n",
    );
    let r = d.ok(&["config", "show"]);
    assert!(
        r.stdout.contains("from ./pingyi.toml") || r.stdout.contains("pingyi.toml"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("min_raters = 12"));
    // Untouched keys of the same table keep their defaults.
    assert!(r.stdout.contains("plan_half_width = 0.1"));
    assert!(r.stdout.contains("wh\""));
}

#[test]
fn explicit_config_wins_and_relative_paths_follow_the_file() {
    let d = Dir::new();
    std::fs::create_dir(d.join("etc")).unwrap();
    d.write("pingyi.toml", "[rules]\nmin_raters = 12\n");
    d.write(
        "etc/county.toml",
        "[rules]\nmin_raters = 40\n[paths]\ninbox = \"drop\"\n",
    );
    let r = d.ok(&["--config", "etc/county.toml", "config", "show"]);
    assert!(r.stdout.contains("min_raters = 40"));
    assert!(r.stdout.contains("etc/drop"), "{}", r.stdout);
}

#[test]
fn the_repository_config_checks_out() {
    let d = Dir::new();
    let file = repo().join("pingyi.toml");
    let r = d.ok(&["config", "check", file.to_str().unwrap()]);
    assert!(
        r.stdout.contains(
            "ok (4 scale levels, 9 rater categories, 7 org types, 2 breach rules, 1 sources)"
        ),
        "{}",
        r.stdout
    );
}

/// Checks `text` and returns stderr, insisting on the configuration exit code.
fn refused(text: &str) -> String {
    let d = Dir::new();
    d.write("bad.toml", text);
    let r = d.run(&["config", "check", "bad.toml"]);
    assert_eq!(
        r.code, 5,
        "expected exit 5, got {}: {}{}",
        r.code, r.stdout, r.stderr
    );
    assert!(
        r.stderr.contains("bad.toml"),
        "file not named: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.stderr
}

/// Checks `text`, insisting that it is refused and the message says each of `needles`.
fn refused_saying(text: &str, needles: &[&str]) {
    let e = refused(text);
    for n in needles {
        assert!(e.contains(n), "{n:?} not said in {e}");
    }
}

#[test]
fn unknown_key_names_file_key_and_allowed_keys() {
    let e = refused("[breach]\nmin_vaild = 10\n");
    insta::assert_snapshot!(e.trim(), @"error: bad.toml: key `breach.min_vaild`: unknown field `min_vaild`, expected one of `basis`, `action`, `rules`, `window`");
}

#[test]
fn unknown_section_is_refused() {
    refused_saying(
        "[breech]\naction = \"x\"\n",
        &["`breech`", "expected one of"],
    );
}

#[test]
fn bad_enum_value_lists_what_is_allowed() {
    let e = refused("[period]\ngranularity = \"weekly\"\n");
    insta::assert_snapshot!(e.trim(), @"error: bad.toml: key `period.granularity`: unknown variant `weekly`, expected one of `month`, `quarter`, `half`, `year`");
}

#[test]
fn wrong_type_names_the_key() {
    refused_saying(
        "[report]\nmin_cell = \"five\"\n",
        &["`report.min_cell`", "invalid type"],
    );
}

#[test]
fn quota_shares_must_sum_to_one() {
    refused_saying(
        &org_type_with_quota(
            r#"  { group = "服务对象和群众代表", share = 0.55, categories = ["服务对象", "普通群众", "企业代表", "致富带头人", "先锋户", "村组干部"] },
  { group = "两代表一委员", share = 0.30, categories = ["两代表一委员"] },
  { group = "离退休老干部", share = 0.10, categories = ["离退休老干部", "老党员"] },"#,
        ),
        &["org_types[0].quota", "sum to 0.95", "must sum to 1"],
    );
}

#[test]
fn every_rater_category_needs_a_quota_group() {
    refused_saying(
        &org_type_with_quota(
            r#"  { group = "群众", share = 0.65, categories = ["服务对象", "普通群众", "企业代表", "致富带头人", "先锋户", "村组干部"] },
  { group = "两代表一委员", share = 0.35, categories = ["两代表一委员"] },"#,
        ),
        &["`离退休老干部` is in no quota group of `机关`"],
    );
}

/// A configuration whose one org type, 机关, has the quota groups `groups`
/// (lines of an inline-table array).
fn org_type_with_quota(groups: &str) -> String {
    format!(
        "[[org_types]]\nname = \"机关\"\npioneer = \"勤廉先锋\"\nitems = [\"总体评价\"]\nquota_tolerance = 0.05\nquota = [\n{groups}\n]\n"
    )
}

#[test]
fn breach_thresholds_must_be_rates() {
    refused_saying(
        "[breach]\nrules = [ { below = 60, times = 1 } ]\n",
        &["breach.rules[0].below", "(0, 1]"],
    );
}

#[test]
fn sampling_strata_must_be_rater_categories() {
    refused_saying(
        "[sampling]\nstrata = [ { category = \"村干部们\", weight = 2 } ]\n",
        &["sampling.strata[0].category", "allowed:", "普通群众"],
    );
}

#[test]
fn grade_bands_must_descend() {
    refused_saying(
        "[[grades]]\nname = \"好\"\nmin = 0.5\n\n[[grades]]\nname = \"更好\"\nmin = 0.9\n",
        &["grades[1].min", "highest first"],
    );
}

#[test]
fn source_scale_must_map_to_configured_labels() {
    refused_saying(
        "[sources.dev]\nfiles = [\"*.jsonl\"]\n[sources.dev.scale]\n\"1\" = \"Very good\"\n",
        &["sources.dev.scale.1", "满意, 基本满意"],
    );
}

#[test]
fn column_aliases_must_name_canonical_columns() {
    refused_saying(
        "[columns]\nrater = [\"评议人\"]\n",
        &["columns.rater", "rater_id"],
    );
}

#[test]
fn toml_syntax_errors_give_the_line() {
    refused_saying("[rules\nmin_raters = 3\n", &["not valid TOML", "line 1"]);
}

#[test]
fn a_missing_config_file_is_a_configuration_error() {
    let d = Dir::new();
    let r = d.run(&["--config", "nope.toml", "config", "show"]);
    assert_eq!(r.code, 5);
    assert!(r.stderr.contains("nope.toml"), "{}", r.stderr);
}

#[test]
fn show_never_prints_the_rater_key() {
    let d = Dir::new();
    d.write("pingyi.toml", "[privacy]\nrater_key = \"s3cret-value\"\n");
    let r = d.ok(&["config", "show"]);
    assert!(
        !r.stdout.contains("s3cret-value") && r.stdout.contains("(set; not shown)"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_county_body_rule_names_the_key_at_fault() {
    refused_saying(
        "[groups]\ncounty_body_org_types = [\"机关单位\"]\n",
        &[
            "groups.county_body_org_types[0]",
            "`机关单位` is not a configured org type",
            "机关",
        ],
    );
    refused_saying(
        "[groups]\ncounty_body_parents = [\"县直机关工委\", \" \"]\n",
        &["groups.county_body_parents[1]", "blank"],
    );
    refused_saying(
        "[groups]\ncounty_bodies = \"全县\"\n",
        &["groups.county_bodies"],
    );
    refused_saying(
        "[groups]\ncounty_body_parents = []\n",
        &["groups.county_bodies", "no rule fills it"],
    );
    refused_saying(
        "[groups]\ncounty_bodys = \"县直单位\"\n",
        &["groups.county_bodys"],
    );
}
