//! From plotters to the finished SVG string (inlinable root, dashed
//! threshold rewrite, escaping, brace protection, the empty-chart
//! placeholder) and the text helpers: style, cleaning, measuring, cutting.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Area, DrawResult, DASHED, DASH_ARRAY, FONT, MAX_LABEL_CHARS, MAX_LEGEND_CHARS, TITLE_PX, WIDTH,
};

/// Draws with plotters into a string and finishes the root element; any
/// plotters error gives the placeholder instead.
pub(super) fn render(
    size: (u32, u32),
    title: &str,
    draw: impl FnOnce(&Area) -> DrawResult,
) -> String {
    render_with(size, title, "", draw)
}

/// [`render`] with extra attributes on the root element (` name="value"`,
/// a constant of this module's callers, never user text).
pub(super) fn render_with(
    size: (u32, u32),
    title: &str,
    root_attrs: &str,
    draw: impl FnOnce(&Area) -> DrawResult,
) -> String {
    let mut svg = String::with_capacity(24 * 1024);
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let result = root
            .fill(&WHITE)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present());
        result.is_ok()
    };
    if drawn {
        finish(&svg, title, root_attrs)
    } else {
        placeholder(title)
    }
}

/// Makes plotters' document inlinable: anything before `<svg` (an XML
/// declaration, should a later plotters write one) goes, the root gets
/// `role="img"`, the title as `aria-label` and `root_attrs`, and braces are
/// neutralized.
fn finish(svg: &str, title: &str, root_attrs: &str) -> String {
    let Some(body) = svg.find("<svg").map(|i| &svg[i + "<svg".len()..]) else {
        return placeholder(title);
    };
    let mut out = String::with_capacity(svg.len() + title.len() + 64);
    out.push_str("<svg role=\"img\" aria-label=\"");
    escape_into(&mut out, &clean(title));
    out.push('"');
    out.push_str(root_attrs);
    out.push_str(body);
    protect_braces(dash_thresholds(out))
}

/// Turns the marker-coloured threshold lines into dashed ones in the real
/// colour. Should plotters ever write colours differently, the lines stay
/// solid (and the tests fail); nothing else changes.
fn dash_thresholds(mut svg: String) -> String {
    for (marker, real) in DASHED {
        let from = format!("stroke=\"{}\"", hex(marker));
        if svg.contains(&from) {
            svg = svg.replace(
                &from,
                &format!("stroke=\"{}\" stroke-dasharray=\"{DASH_ARRAY}\"", hex(real)),
            );
        }
    }
    svg
}

/// A colour the way plotters-svg writes it.
fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Small SVG for "nothing to show": the title and a dash, in no language.
pub(super) fn placeholder(title: &str) -> String {
    let (w, h) = (WIDTH, 80);
    let mut aria = String::new();
    escape_into(&mut aria, &clean(title));
    let mut shown = String::new();
    escape_into(
        &mut shown,
        &fit(&clean(title), f64::from(w) - 24.0, TITLE_PX),
    );
    let text = |y: u32, size: u32, weight: &str, fill: &str, body: &str| {
        format!(
            "<text x=\"{}\" y=\"{y}\" text-anchor=\"middle\" font-family=\"{FONT}\" font-size=\"{size}\"{weight} fill=\"{fill}\">{body}</text>\n",
            w / 2
        )
    };
    let svg = format!(
        "<svg role=\"img\" aria-label=\"{aria}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\"/>\n{}{}</svg>\n",
        text(26, 16, " font-weight=\"bold\"", "#333333", &shown),
        text(58, 14, "", "#777777", "—"),
    );
    protect_braces(svg)
}

/// The same escaping plotters applies to its text and attributes.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// Plotters never writes braces itself, so every brace in the output came
/// from a label; as character references they render the same but are inert
/// to template engines.
fn protect_braces(svg: String) -> String {
    if svg.contains(['{', '}']) {
        svg.replace('{', "&#123;").replace('}', "&#125;")
    } else {
        svg
    }
}

// ---------------------------------------------------------------- text

pub(super) fn style(px: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FONT), px * 1.24, FontStyle::Normal)
        .color(&color)
        .pos(Pos::new(h, v))
}

/// Control characters are not allowed in XML; they become spaces.
pub(super) fn clean(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.trim().to_string()
}

pub(super) fn axis_label(s: &str) -> String {
    truncate(&clean(s), MAX_LABEL_CHARS)
}

pub(super) fn legend_label(s: &str) -> String {
    truncate(&clean(s), MAX_LEGEND_CHARS)
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Cuts `s` with "…" so that it fits `max_px` at `px`.
pub(super) fn fit(s: &str, max_px: f64, px: f64) -> String {
    if text_width(s, px) <= max_px {
        return s.to_string();
    }
    let mut used = char_width('…') * px;
    let mut out = String::new();
    for c in s.chars() {
        used += char_width(c) * px;
        if used > max_px {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

pub(super) fn text_width(s: &str, px: f64) -> f64 {
    s.chars().map(char_width).sum::<f64>() * px
}

/// Rough advance width in em: full width for CJK and full-width forms, a bit
/// more than half for Latin, enough to keep labels from overlapping.
fn char_width(c: char) -> f64 {
    match c as u32 {
        0x1100..=0x115F | 0x2026 | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 1.0,
        0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD => 1.0,
        _ if c.is_ascii_uppercase() || "%MWmw@".contains(c) => 0.75,
        _ => 0.56,
    }
}
