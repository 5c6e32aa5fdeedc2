//! Unit tests for the charts, and `write_demo` to look at one of each.

use super::bars::bin_counts;
use super::trend::trend_floor;
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
        rate,
        ci_low: rate.map(|r| r - 0.03),
        ci_high: rate.map(|r| r + 0.02),
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
        &[series("全县", &[Some(0.93), Some(0.88)])],
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
        trend(&[edge.clone(), none], &odd, &t),
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

#[test]
fn trend_floor_is_round_and_at_most_40_percent() {
    assert_eq!(trend_floor(0.9), 0.4);
    assert_eq!(trend_floor(0.41), 0.35);
    assert_eq!(trend_floor(0.0), 0.0);
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
    towns[1].points[6].ci_low = None;
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
    ];
    for (name, svg) in charts {
        std::fs::write(format!("{dir}/{name}.svg"), svg).unwrap();
    }
}
