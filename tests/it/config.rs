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

#[test]
fn unknown_key_names_file_key_and_allowed_keys() {
    let e = refused("[breach]\nmin_vaild = 10\n");
    insta::assert_snapshot!(e.trim(), @"error: bad.toml: key `breach.min_vaild`: unknown field `min_vaild`, expected one of `basis`, `action`, `rules`, `window`");
}

#[test]
fn unknown_section_is_refused() {
    let e = refused("[breech]\naction = \"x\"\n");
    assert!(
        e.contains("`breech`") && e.contains("expected one of"),
        "{e}"
    );
}

#[test]
fn bad_enum_value_lists_what_is_allowed() {
    let e = refused("[period]\ngranularity = \"weekly\"\n");
    insta::assert_snapshot!(e.trim(), @"error: bad.toml: key `period.granularity`: unknown variant `weekly`, expected one of `month`, `quarter`, `half`, `year`");
}

#[test]
fn wrong_type_names_the_key() {
    let e = refused("[report]\nmin_cell = \"five\"\n");
    assert!(
        e.contains("`report.min_cell`") && e.contains("invalid type"),
        "{e}"
    );
}

#[test]
fn quota_shares_must_sum_to_one() {
    let e = refused(
        r#"[[org_types]]
name = "机关"
pioneer = "勤廉先锋"
items = ["总体评价"]
quota_tolerance = 0.05
quota = [
  { group = "服务对象和群众代表", share = 0.55, categories = ["服务对象", "普通群众", "企业代表", "致富带头人", "先锋户", "村组干部"] },
  { group = "两代表一委员", share = 0.30, categories = ["两代表一委员"] },
  { group = "离退休老干部", share = 0.10, categories = ["离退休老干部", "老党员"] },
]
"#,
    );
    assert!(
        e.contains("org_types[0].quota")
            && e.contains("sum to 0.95")
            && e.contains("must sum to 1"),
        "{e}"
    );
}

#[test]
fn every_rater_category_needs_a_quota_group() {
    let e = refused(
        r#"[[org_types]]
name = "机关"
pioneer = "勤廉先锋"
items = ["总体评价"]
quota_tolerance = 0.05
quota = [
  { group = "群众", share = 0.65, categories = ["服务对象", "普通群众", "企业代表", "致富带头人", "先锋户", "村组干部"] },
  { group = "两代表一委员", share = 0.35, categories = ["两代表一委员"] },
]
"#,
    );
    assert!(
        e.contains("`离退休老干部` is in no quota group of `机关`"),
        "{e}"
    );
}

#[test]
fn breach_thresholds_must_be_rates() {
    let e = refused("[breach]\nrules = [ { below = 60, times = 1 } ]\n");
    assert!(
        e.contains("breach.rules[0].below") && e.contains("(0, 1]"),
        "{e}"
    );
}

#[test]
fn sampling_strata_must_be_rater_categories() {
    let e = refused("[sampling]\nstrata = [ { category = \"村干部们\", weight = 2 } ]\n");
    assert!(
        e.contains("sampling.strata[0].category")
            && e.contains("allowed:")
            && e.contains("普通群众"),
        "{e}"
    );
}

#[test]
fn grade_bands_must_descend() {
    let e =
        refused("[[grades]]\nname = \"好\"\nmin = 0.5\n\n[[grades]]\nname = \"更好\"\nmin = 0.9\n");
    assert!(
        e.contains("grades[1].min") && e.contains("highest first"),
        "{e}"
    );
}

#[test]
fn source_scale_must_map_to_configured_labels() {
    let e = refused(
        "[sources.dev]\nfiles = [\"*.jsonl\"]\n[sources.dev.scale]\n\"1\" = \"Very good\"\n",
    );
    assert!(
        e.contains("sources.dev.scale.1") && e.contains("满意, 基本满意"),
        "{e}"
    );
}

#[test]
fn column_aliases_must_name_canonical_columns() {
    let e = refused("[columns]\nrater = [\"评议人\"]\n");
    assert!(e.contains("columns.rater") && e.contains("rater_id"), "{e}");
}

#[test]
fn toml_syntax_errors_give_the_line() {
    let e = refused("[rules\nmin_raters = 3\n");
    assert!(e.contains("not valid TOML") && e.contains("line 1"), "{e}");
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
    let e = refused("[groups]\ncounty_body_org_types = [\"机关单位\"]\n");
    assert!(
        e.contains("groups.county_body_org_types[0]")
            && e.contains("`机关单位` is not a configured org type")
            && e.contains("机关"),
        "{e}"
    );
    let e = refused("[groups]\ncounty_body_parents = [\"县直机关工委\", \" \"]\n");
    assert!(
        e.contains("groups.county_body_parents[1]") && e.contains("blank"),
        "{e}"
    );
    let e = refused("[groups]\ncounty_bodies = \"全县\"\n");
    assert!(e.contains("groups.county_bodies"), "{e}");
    let e = refused("[groups]\ncounty_body_parents = []\n");
    assert!(
        e.contains("groups.county_bodies") && e.contains("no rule fills it"),
        "{e}"
    );
    let e = refused("[groups]\ncounty_bodys = \"县直单位\"\n");
    assert!(e.contains("groups.county_bodys"), "{e}");
}
