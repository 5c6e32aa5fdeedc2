//! Unit tests for the charts, and `write_demo` to look at one of each.

use std::collections::BTreeSet;

use super::axis::{rate_axis, RateAxis, MIN_SPAN};
use super::bars::{bin_counts, histogram_axis};
use super::*;

fn text(title: &str) -> Text {
    Text {
        title: title.into(),
        x: "期别".into(),
        y: "满意率".into(),
    }
}

fn point(period: &str, rate: Option<f64>) -> Point {
    Point {
        period: period.into(),
        est: Estimate {
            rate,
            ci_low: rate.map(|r| r - 0.03),
            ci_high: rate.map(|r| r + 0.02),
        },
    }
}

fn series(name: &str, rates: &[Option<f64>]) -> Series {
    let points = (rates.iter().enumerate())
        .map(|(i, &r)| point(&format!("2024Q{}", i + 1), r))
        .collect();
    Series {
        name: name.into(),
        points,
    }
}

fn burn(n: usize) -> Vec<BurnPoint> {
    (0..n)
        .map(|i| BurnPoint {
            date: format!("2024-{:02}-{:02}", 1 + i / 28, 1 + i % 28),
            open: (40 - (i as u32).min(40)),
            overdue: (i as u32 % 7).min(40 - (i as u32).min(40)),
        })
        .collect()
}

/// One of each chart, with `label` wherever the caller can put text.
fn all_charts(label: &str) -> Vec<String> {
    let t = Text {
        title: label.into(),
        x: label.into(),
        y: label.into(),
    };
    let ths = [0.6, 0.7];
    vec![
        trend(
            &[
                series(label, &[Some(0.8), None, Some(0.9)]),
                series("乡镇", &[Some(0.7)]),
            ],
            &ths,
            &t,
        ),
        ranking(
            &[Bar {
                label: label.into(),
                value: 0.55,
            }],
            &ths,
            &t,
        ),
        composition(
            &[QuotaBar {
                group: label.into(),
                share: 0.3,
                quota: 0.25,
            }],
            (label, label),
            &t,
        ),
        distribution(&[0.5, 0.65, 0.9], &ths, &t),
        burndown(&burn(3), (label, label), &t),
        trend_grid(
            &[
                series(label, &[Some(0.8), None, Some(0.9)]),
                series("乡镇", &[Some(0.7)]),
            ],
            Some(&series(label, &[Some(0.85), Some(0.86), Some(0.87)])),
            &ths,
            &t,
        ),
    ]
}

#[test]
fn deterministic() {
    assert_eq!(all_charts("满意率"), all_charts("满意率"));
}

#[test]
fn labels_are_escaped() {
    for label in [
        "<script>alert(1)</script>",
        "\"onerror=alert(1) x='",
        "{{ x }} & {% if %}",
    ] {
        for svg in all_charts(label) {
            for raw in ["<script", "\"onerror=", "{{", "}}", "{%", "'", "& "] {
                assert!(
                    !svg.contains(raw),
                    "{raw:?} raw in output for {label:?}:\n{svg}"
                );
            }
        }
    }
    for svg in all_charts("<script>alert(1)</script>") {
        assert!(svg.contains("&lt;script"), "{svg}");
    }
    for svg in all_charts("{{ x }}") {
        assert!(svg.contains("&#123;&#123; x &#125;&#125;"), "{svg}");
    }
}

#[test]
fn chinese_labels_verbatim_and_inlinable_root() {
    for svg in all_charts("满意率") {
        assert!(
            svg.starts_with("<svg role=\"img\" aria-label=\"满意率\""),
            "{svg}"
        );
        assert!(svg.contains(">\n满意率\n</text>"), "{svg}");
        assert!(svg.contains("viewBox=\"0 0 640 "), "{svg}");
        assert!(svg.contains(&format!("font-family=\"{FONT}\"")), "{svg}");
        assert!(!svg.contains("<?xml"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}

#[test]
fn trend_draws_threshold_labels() {
    let svg = trend(
        &[series("全县", &[Some(0.73), Some(0.68)])],
        &[0.6, 0.7],
        &text("满意率趋势"),
    );
    assert!(svg.contains(">\n60%\n</text>"), "{svg}");
    assert!(svg.contains(">\n70%\n</text>"), "{svg}");
    assert!(svg.contains(">\n2024Q2\n</text>"), "{svg}");
    // Both threshold lines dashed, in their real colours.
    assert_eq!(svg.matches("stroke-dasharray=\"6 4\"").count(), 2, "{svg}");
    assert!(
        svg.contains("stroke=\"#D04E45\" stroke-dasharray")
            && svg.contains("stroke=\"#E09B2D\" stroke-dasharray")
    );
}

#[test]
fn empty_and_degenerate_inputs_do_not_panic() {
    let t = text("");
    let none = series("x", &[None, None]);
    let edge = series(
        "x",
        &[
            Some(0.0),
            Some(1.0),
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(-3.0),
        ],
    );
    let odd = [f64::NAN, -1.0, 0.0, 1.0, 2.0, f64::INFINITY];
    let outputs = [
        trend(&[], &[], &t),
        trend(std::slice::from_ref(&none), &[0.6, 0.7], &t),
        trend(
            &[Series {
                name: String::new(),
                points: vec![],
            }],
            &[],
            &t,
        ),
        trend(&[series("x", &[Some(0.9)])], &odd, &t),
        trend(&[edge.clone(), none.clone()], &odd, &t),
        ranking(&[], &[0.6], &t),
        ranking(
            &[Bar {
                label: String::new(),
                value: f64::NAN,
            }],
            &[],
            &t,
        ),
        ranking(
            &[
                Bar {
                    label: "a".into(),
                    value: 0.0,
                },
                Bar {
                    label: "b".into(),
                    value: 1.0,
                },
            ],
            &odd,
            &t,
        ),
        composition(&[], ("", ""), &t),
        composition(
            &[QuotaBar {
                group: "g".into(),
                share: 0.0,
                quota: 0.0,
            }],
            ("", ""),
            &t,
        ),
        composition(
            &[QuotaBar {
                group: "g".into(),
                share: 1.0,
                quota: f64::NAN,
            }],
            ("", ""),
            &t,
        ),
        distribution(&[], &[], &t),
        distribution(&[f64::NAN], &[0.6], &t),
        distribution(&odd, &odd, &t),
        burndown(&[], ("", ""), &t),
        burndown(&burn(1), ("", ""), &t),
        burndown(
            &[BurnPoint {
                date: String::new(),
                open: 0,
                overdue: 0,
            }],
            ("", ""),
            &t,
        ),
        burndown(&burn(400), ("open", "overdue"), &t),
        trend_grid(&[], None, &[], &t),
        trend_grid(&[], Some(&edge), &odd, &t),
        trend_grid(std::slice::from_ref(&none), None, &[0.6], &t),
        trend_grid(&[none.clone(), edge.clone()], Some(&none), &odd, &t),
        trend_grid(
            &[Series {
                name: String::new(),
                points: vec![],
            }],
            Some(&edge),
            &[0.6, 0.7],
            &t,
        ),
        trend_grid(
            &(0..40)
                .map(|i| series(&i.to_string(), &[Some(0.5)]))
                .collect::<Vec<_>>(),
            None,
            &[0.6, 0.7],
            &t,
        ),
    ];
    for svg in outputs {
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
    }
}

#[test]
fn crowded_legend_says_how_many_are_left_out() {
    let many: Vec<Series> = (0..40)
        .map(|i| series(&format!("第{i}乡镇"), &[Some(0.8), Some(0.9)]))
        .collect();
    let svg = trend(&many, &[0.6, 0.7], &text("t"));
    assert!(
        svg.contains(">\n第0乡镇\n</text>") && !svg.contains(">\n第39乡镇\n</text>"),
        "{svg}"
    );
    assert!(svg.contains(">\n… +"), "{svg}");
}

#[test]
fn long_labels_are_cut() {
    let long = "一二三四五六七八九十一二三四五六七八九十";
    let svg = ranking(
        &[Bar {
            label: long.into(),
            value: 0.9,
        }],
        &[0.6, 0.7],
        &text("t"),
    );
    assert!(!svg.contains(long));
    assert!(svg.contains("一二三四五六七八九十一二三四五…"), "{svg}");
}

#[test]
fn bins_put_thresholds_and_100_percent_in_the_right_place() {
    let counts = bin_counts(&[0.6, 0.6499, 0.65, 1.0, 0.0, 0.0499]);
    assert_eq!(
        (counts[0], counts[12], counts[13], counts[19]),
        (2, 2, 1, 1)
    );
}

fn bar_list(values: &[(&str, f64)]) -> Vec<Bar> {
    values
        .iter()
        .map(|&(label, value)| Bar {
            label: label.into(),
            value,
        })
        .collect()
}

/// The sample county's township rates of 2012.
const TOWNSHIPS: [(&str, f64); 8] = [
    ("旧城镇", 0.917),
    ("向阳乡", 0.916),
    ("白水镇", 0.910),
    ("金马镇", 0.910),
    ("三塘乡", 0.908),
    ("午街铺镇", 0.902),
    ("中枢镇", 0.897),
    ("永宁乡", 0.895),
];

fn tick(svg: &str, label: &str) -> bool {
    svg.contains(&format!(">\n{label}\n</text>"))
}

/// The colours of the 2-px polylines: series lines and their legend marks.
fn line_colours(svg: &str) -> BTreeSet<String> {
    svg.split("<polyline")
        .skip(1)
        .filter_map(|el| el.split("/>").next())
        .filter(|el| el.contains("stroke-width=\"2\""))
        .filter_map(|el| el.split("stroke=\"").nth(1))
        .map(|rest| rest[..7].to_string())
        .collect()
}

const BREAK_INK: &str = "stroke=\"#555555\"";

#[test]
fn axis_floor_is_a_round_tick_below_the_data() {
    // 89.5–91.7 %: 1 % ticks from 82 % (the axis spans at least 10 points)
    // to 92 %; 60 % and 70 % are far below and left out.
    let values: Vec<f64> = TOWNSHIPS.iter().map(|t| t.1).collect();
    let a = rate_axis(&values, &[0.6, 0.7]);
    assert_eq!((a.lo(), a.hi(), a.step()), (0.82, 0.92, 0.01));
    assert!(a.broken() && a.shown.is_empty());
    assert_eq!(a.far, vec![0.6, 0.7]);
    assert_eq!(a.tick_count(), 11);
    // 72–95 %: both thresholds are within the data's spread and stay in
    // view; the floor is a 5 % tick below 60 %, not on it.
    let a = rate_axis(&[0.72, 0.95], &[0.6, 0.7]);
    assert_eq!((a.lo(), a.hi(), a.step()), (0.55, 0.95, 0.05));
    assert_eq!(a.shown, vec![(0, 0.6), (1, 0.7)]);
    // 79–96 %: 70 % is near (within the spread), 60 % is not.
    let a = rate_axis(&[0.79, 0.96], &[0.6, 0.7]);
    assert_eq!((a.lo(), a.hi()), (0.65, 1.0));
    assert_eq!(
        (a.shown.clone(), a.far.clone()),
        (vec![(1, 0.7)], vec![0.6])
    );
    // Data reaching down to 21 %: a floor within two steps of 0 becomes 0.
    let a = rate_axis(&[0.21, 1.0], &[0.6, 0.7]);
    assert_eq!((a.lo(), a.hi(), a.step()), (0.0, 1.0, 0.1));
    assert!(!a.broken());
    // Everything at 100 %: the axis still spans ten points below it.
    let a = rate_axis(&[1.0, 1.0], &[]);
    assert_eq!((a.lo(), a.hi()), (0.9, 1.0));
    // A failing unit at 20–40 %: thresholds above are near and in view.
    let a = rate_axis(&[0.2, 0.4], &[0.6, 0.7]);
    assert_eq!(a.shown.len(), 1, "{a:?}");
    assert_eq!(a.far, vec![0.7]);
    // No data: the full axis, every threshold drawn.
    assert_eq!(
        rate_axis(&[f64::NAN], &[0.6, 0.7]),
        RateAxis::full(&[0.6, 0.7])
    );
}

#[test]
fn axis_invariants_hold_for_any_data() {
    let grid: Vec<f64> = (0..=40).map(|i| f64::from(i) / 40.0).collect();
    for &lo in &grid {
        for &hi in grid.iter().filter(|&&h| h >= lo) {
            let a = rate_axis(&[lo, hi], &[0.6, 0.7]);
            let ctx = format!("{lo}..{hi}: {a:?}");
            assert!(a.lo() >= 0.0 && a.hi() <= 1.0 && a.lo() < a.hi(), "{ctx}");
            assert!(a.lo() <= lo && a.hi() >= hi - 1e-9, "{ctx}");
            assert!(a.hi() - a.lo() >= MIN_SPAN - 1e-9, "{ctx}");
            assert!((2..=11).contains(&a.tick_count()), "{ctx}");
            // A broken axis keeps the smallest value off the axis line.
            assert!(!a.broken() || lo - a.lo() > 0.0, "{ctx}");
            for &(_, t) in &a.shown {
                assert!(t >= a.lo() && t <= a.hi(), "{ctx}");
            }
            assert_eq!(a.shown.len() + a.far.len(), 2, "{ctx}");
        }
    }
}

#[test]
fn ranking_axis_from_data_with_break_and_note() {
    let svg = ranking(&bar_list(&TOWNSHIPS), &[0.6, 0.7], &text("乡镇排名"));
    assert!(
        tick(&svg, "82%") && tick(&svg, "92%") && tick(&svg, "87%"),
        "{svg}"
    );
    assert!(!tick(&svg, "0%") && !tick(&svg, "100%"), "{svg}");
    // Far thresholds: no line, a note instead.
    assert!(!svg.contains("stroke-dasharray"), "{svg}");
    assert!(tick(&svg, "60%、70% 线远低于数据，未画出"), "{svg}");
    // The zig-zag on the axis, and a white cut across each bar.
    assert_eq!(svg.matches(BREAK_INK).count(), 1, "{svg}");
    let cuts = svg.matches("stroke=\"#FFFFFF\" stroke-width=\"3\"").count();
    assert_eq!(cuts, TOWNSHIPS.len(), "{svg}");
}

#[test]
fn ranking_from_zero_has_no_break_and_draws_near_thresholds() {
    let svg = ranking(
        &bar_list(&[("甲", 0.95), ("乙", 0.65), ("丙", 0.15)]),
        &[0.6, 0.7],
        &text("t"),
    );
    assert!(tick(&svg, "0%") && tick(&svg, "100%"), "{svg}");
    assert!(!svg.contains(BREAK_INK) && !svg.contains("#FFFFFF\" stroke-width=\"3\""));
    assert_eq!(svg.matches("stroke-dasharray").count(), 2, "{svg}");
    assert!(!svg.contains("未画出"), "{svg}");
}

#[test]
fn ranking_keeps_the_callers_order() {
    // Callers pass rows ranked best first; a re-sort (by label or rate)
    // would break the order shared with the ranking table.
    let order = [("b", 0.7), ("c", 0.9), ("a", 0.8)];
    let svg = ranking(&bar_list(&order), &[], &text("t"));
    let at = |l: &str| svg.find(&format!(">\n{l}\n</text>")).unwrap();
    assert!(at("b") < at("c") && at("c") < at("a"), "{svg}");
}

#[test]
fn note_follows_the_captions_language() {
    let t = Text {
        title: "Townships".into(),
        x: "Satisfaction".into(),
        y: String::new(),
    };
    let svg = ranking(&bar_list(&TOWNSHIPS), &[0.6, 0.7], &t);
    assert!(
        tick(&svg, "60% and 70% lines far below the data, not drawn"),
        "{svg}"
    );
}

#[test]
fn trend_axis_from_data_with_break() {
    let high = series("全县", &[Some(0.9), Some(0.92), Some(0.91)]);
    let svg = trend(std::slice::from_ref(&high), &[0.6, 0.7], &text("t"));
    // Values 87–94 % with their intervals: 1 % ticks from 84 %.
    assert!(tick(&svg, "84%") && tick(&svg, "94%"), "{svg}");
    assert!(!tick(&svg, "40%"), "{svg}");
    assert_eq!(svg.matches(BREAK_INK).count(), 1, "{svg}");
    assert!(tick(&svg, "60%、70% 线远低于数据，未画出"), "{svg}");
    let low = series("x", &[Some(0.3), Some(0.9)]);
    let svg = trend(&[low], &[0.6, 0.7], &text("t"));
    assert!(tick(&svg, "0%") && !svg.contains(BREAK_INK), "{svg}");
}

#[test]
fn series_colours_are_distinct() {
    for (i, a) in PALETTE.iter().enumerate() {
        assert!(!PALETTE[i + 1..].contains(a), "{a:?} twice in the palette");
    }
    for c in PALETTE {
        assert!(c != ALERT && c != AMBER && c != REFERENCE, "{c:?}");
    }
    for n in 1..=PALETTE.len() + 3 {
        let many: Vec<Series> = (0..n)
            .map(|i| series(&format!("第{i}乡镇"), &[Some(0.8), Some(0.9)]))
            .collect();
        let svg = trend(&many, &[0.6, 0.7], &text("t"));
        assert_eq!(line_colours(&svg).len(), n.min(PALETTE.len()), "{n}: {svg}");
        let left_out = n.saturating_sub(PALETTE.len());
        assert_eq!(
            svg.contains(&format!("… +{left_out}")),
            left_out > 0,
            "{svg}"
        );
    }
    // The other multi-series charts: two colours each, not the same.
    let burn = burndown(&burn(5), ("未整改", "已逾期"), &text("t"));
    assert_eq!(line_colours(&burn).len(), 2, "{burn}");
    let grid = trend_grid(
        &[series("甲", &[Some(0.8), Some(0.9)])],
        Some(&series("全县", &[Some(0.85), Some(0.86)])),
        &[0.6, 0.7],
        &text("t"),
    );
    assert_eq!(line_colours(&grid).len(), 2, "{grid}");
}

#[test]
fn grid_has_one_panel_per_series_on_one_axis() {
    let names = [
        "旧城镇",
        "向阳乡",
        "白水镇",
        "金马镇",
        "三塘乡",
        "午街铺镇",
        "中枢镇",
        "永宁乡",
    ];
    let towns: Vec<Series> = (names.iter().enumerate())
        .map(|(i, n)| {
            let r = 0.84 + 0.01 * i as f64;
            series(n, &[Some(r), Some(r + 0.02), None, Some(r - 0.01)])
        })
        .collect();
    let county = series("全县", &[Some(0.88), Some(0.89), Some(0.9), Some(0.9)]);
    let svg = trend_grid(&towns, Some(&county), &[0.6, 0.7], &text("满意率走势"));
    for n in names {
        assert_eq!(
            svg.matches(&format!(">\n{n}\n</text>")).count(),
            1,
            "{n}: {svg}"
        );
    }
    // Three to a row: 3 rows for 8 panels.
    assert!(svg.contains("height=\"502\""), "{svg}");
    assert!(svg.contains("style=\"max-height:none\""), "{svg}");
    // One axis break per panel; y labels in the first column only (3 rows).
    assert_eq!(svg.matches(BREAK_INK).count(), names.len(), "{svg}");
    assert_eq!(svg.matches(">\n90%\n</text>").count(), 3, "{svg}");
    // The county drawn in every panel, plus its legend mark.
    assert_eq!(
        svg.matches("stroke=\"#A8A8A8\"").count(),
        names.len() + 1,
        "{svg}"
    );
    // First and last period under every panel.
    assert_eq!(svg.matches(">\n2024Q1\n</text>").count(), names.len());
    assert_eq!(svg.matches(">\n2024Q4\n</text>").count(), names.len());
    // 60 % far below the data (81–93 %): named once, not drawn.
    assert_eq!(svg.matches("线远低于数据").count(), 1, "{svg}");
    let one = trend_grid(&towns[..1], None, &[], &text("t"));
    assert!(one.contains("height=\"180\""), "{one}");
    assert_eq!(
        trend_grid(&towns, None, &[], &text("t")),
        trend_grid(&towns, None, &[], &text("t"))
    );
}

#[test]
fn histogram_axis_starts_at_the_lowest_bin() {
    let counts = bin_counts(&[0.55, 0.9, 1.0]);
    let a = histogram_axis(&counts, &[0.6, 0.7]);
    assert_eq!((a.lo(), a.hi(), a.far.len()), (0.5, 1.0, 0));
    let a = histogram_axis(&bin_counts(&[0.81, 0.97]), &[0.6, 0.7]);
    assert_eq!((a.lo(), a.far.clone()), (0.8, vec![0.6, 0.7]));
    let svg = distribution(&[0.81, 0.97], &[0.6, 0.7], &text("t"));
    assert!(
        svg.contains(BREAK_INK) && tick(&svg, "80%") && !tick(&svg, "0%"),
        "{svg}"
    );
    let a = histogram_axis(&bin_counts(&[0.12, 0.97]), &[0.6, 0.7]);
    assert_eq!(a.lo(), 0.0);
}

/// Writes one example of each chart for a look in a browser:
/// `PINGYI_CHART_DEMO=/tmp/charts-demo cargo test --lib report::charts -- --ignored`
#[test]
#[ignore = "writes files; run by hand"]
fn write_demo() {
    let dir = std::env::var("PINGYI_CHART_DEMO").unwrap_or_else(|_| "/tmp/charts-demo".into());
    std::fs::create_dir_all(&dir).unwrap();
    let ths = [0.6, 0.7];
    let quarters = |r: &[Option<f64>]| series("全县", r);
    let mut towns = vec![
        quarters(&[
            Some(0.91),
            Some(0.93),
            Some(0.9),
            Some(0.95),
            Some(0.94),
            Some(0.96),
            Some(0.95),
            Some(0.97),
        ]),
        series(
            "城关镇",
            &[
                Some(0.82),
                Some(0.79),
                None,
                Some(0.71),
                Some(0.66),
                Some(0.72),
                Some(0.78),
                Some(0.81),
            ],
        ),
        series(
            "Riverside Township",
            &[
                Some(0.7),
                Some(0.74),
                Some(0.77),
                Some(0.75),
                None,
                None,
                Some(0.84),
                Some(0.86),
            ],
        ),
    ];
    towns[1].points[6].est.ci_low = None;
    let single = vec![towns[0].clone()];
    let bars: Vec<Bar> = [
        ("城关镇党委", 0.971),
        ("东风街道党工委", 0.931),
        ("县财政局党组", 0.884),
        ("Riverside Township", 0.812),
        ("县自然资源和规划局机关党委（很长的名称会被截断）", 0.74),
        ("南山乡", 0.689),
        ("北湖乡", 0.652),
        ("西岭镇", 0.58),
    ]
    .iter()
    .map(|&(l, v)| Bar {
        label: l.into(),
        value: v,
    })
    .collect();
    let quota = [
        ("党员", 0.31, 0.3),
        ("群众代表", 0.42, 0.4),
        ("服务对象", 0.12, 0.2),
        ("两代表一委员", 0.15, 0.1),
    ]
    .iter()
    .map(|&(g, s, q)| QuotaBar {
        group: g.into(),
        share: s,
        quota: q,
    })
    .collect::<Vec<_>>();
    let rates: Vec<f64> = (0..240)
        .map(|i| 0.55 + 0.45 * (((i * 37) % 100) as f64 / 100.0).powf(0.4))
        .collect();
    let t = |title: &str, x: &str, y: &str| Text {
        title: title.into(),
        x: x.into(),
        y: y.into(),
    };
    let charts = [
        (
            "trend",
            trend(&towns, &ths, &t("各乡镇满意率趋势", "季度", "满意率")),
        ),
        (
            "trend-single",
            trend(&single, &ths, &t("全县满意率", "季度", "满意率")),
        ),
        (
            "ranking",
            ranking(&bars, &ths, &t("单位满意率排名", "满意率", "")),
        ),
        (
            "composition",
            composition(
                &quota,
                ("实际占比", "配额"),
                &t("评议人构成与配额", "", "占比"),
            ),
        ),
        (
            "distribution",
            distribution(&rates, &ths, &t("单位满意率分布", "满意率", "单位数")),
        ),
        (
            "burndown",
            burndown(
                &burn(75),
                ("未整改", "已逾期"),
                &t("整改台账", "日期", "事项数"),
            ),
        ),
        ("empty", trend(&[], &ths, &t("无数据的图", "", ""))),
        (
            "grid",
            trend_grid(
                &towns[1..],
                Some(&towns[0]),
                &ths,
                &t("各乡镇满意率走势", "季度", "满意率"),
            ),
        ),
        (
            "ranking-near",
            ranking(
                &bar_list(&TOWNSHIPS),
                &ths,
                &t("Townships", "Satisfaction", ""),
            ),
        ),
    ];
    for (name, svg) in charts {
        std::fs::write(format!("{dir}/{name}.svg"), svg).unwrap();
    }
}
