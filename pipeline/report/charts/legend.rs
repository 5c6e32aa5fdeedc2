//! Chart legends: items laid out in centred rows under the title, at most
//! a few rows, the rest summed up as "… +k".

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::svg::{legend_label, style, text_width};
use super::{Area, DrawResult, INK, LABEL_PX, MAX_LEGEND_ROWS, WIDTH};

#[derive(Clone, Copy)]
pub(super) enum Mark {
    Line(RGBColor),
    /// A line without the point marker (a reference line).
    Plain(RGBColor),
    Block(RGBColor),
    Tick(RGBColor),
    /// Text only (the "… +k" entry for series left out).
    None,
}

#[derive(Clone)]
pub(super) struct LegendItem {
    pub(super) name: String,
    pub(super) mark: Mark,
}

/// Legend items placed in centred rows under the title: (x, row) each.
pub(super) struct Legend {
    items: Vec<(LegendItem, i32, u32)>,
    pub(super) rows: u32,
}

const SWATCH: f64 = 18.0;

pub(super) fn legend_layout(items: &[LegendItem]) -> Legend {
    legend_layout_in(items, WIDTH)
}

/// The legend of a chart that names a pair (open and overdue, realized and
/// quota): `names` with `marks`, laid out `width` pixels wide.
pub(super) fn pair_legend(names: (&str, &str), marks: (Mark, Mark), width: u32) -> Legend {
    let item = |name: &str, mark: Mark| LegendItem {
        name: legend_label(name),
        mark,
    };
    legend_layout_in(&[item(names.0, marks.0), item(names.1, marks.1)], width)
}

/// `legend_layout` for a chart `width` pixels wide (a small-multiples panel).
pub(super) fn legend_layout_in(items: &[LegendItem], width: u32) -> Legend {
    let room = f64::from(width) - 40.0;
    let mut rows: Vec<Vec<LegendItem>> = Vec::new();
    for item in items {
        match rows.last_mut() {
            Some(row) if row_width(row) + item_width(item) <= room => row.push(item.clone()),
            _ => rows.push(vec![item.clone()]),
        }
    }
    if rows.len() > MAX_LEGEND_ROWS {
        // Say how many series the legend leaves out rather than hide them.
        let mut dropped: usize = rows.drain(MAX_LEGEND_ROWS..).map(|row| row.len()).sum();
        let more = |n: usize| LegendItem {
            name: format!("… +{n}"),
            mark: Mark::None,
        };
        let last = &mut rows[MAX_LEGEND_ROWS - 1];
        while last.len() > 1 && row_width(last) + item_width(&more(dropped)) > room {
            last.pop();
            dropped += 1;
        }
        last.push(more(dropped));
    }
    let mut placed = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let mut x = (f64::from(width) - row_width(row)) / 2.0;
        for item in row {
            placed.push((item.clone(), x as i32, r as u32));
            x += item_width(item);
        }
    }
    Legend {
        items: placed,
        rows: rows.len() as u32,
    }
}

fn item_width(item: &LegendItem) -> f64 {
    SWATCH + 4.0 + text_width(&item.name, LABEL_PX) + 16.0
}

fn row_width(row: &[LegendItem]) -> f64 {
    row.iter().map(item_width).sum()
}

pub(super) fn draw_legend(root: &Area, legend: &Legend, top: i32) -> DrawResult {
    let label_style = style(LABEL_PX, INK, HPos::Left, VPos::Center);
    for (item, x, row) in &legend.items {
        let y = top + 18 * *row as i32;
        let (x0, x1) = (*x, *x + SWATCH as i32);
        match item.mark {
            Mark::None => {}
            Mark::Line(c) => {
                root.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(2)))?;
                root.draw(&Circle::new(((x0 + x1) / 2, y), 3, c.filled()))?;
            }
            Mark::Plain(c) => {
                root.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(2)))?
            }
            Mark::Block(c) => root.draw(&Rectangle::new(
                [(x0 + 2, y - 5), (x1 - 2, y + 5)],
                c.filled(),
            ))?,
            Mark::Tick(c) => {
                root.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(3)))?
            }
        }
        root.draw_text(&item.name, &label_style, (x1 + 4, y))?;
    }
    Ok(())
}
