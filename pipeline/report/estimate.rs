//! `Estimate`: a rate with its interval, as every view model shows one (a
//! unit's year, a period, a method, a chart's point). View models embed it
//! with `#[serde(flatten)]`, so the templates keep reading `rate`, `ci_low`
//! and `ci_high` on the row itself; hiding a figure for disclosure control
//! hides all three at once (`shown`).

use serde::Serialize;

/// A rate (0..1) and its interval; `None` where there is no rate or it is
/// not shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Estimate {
    pub rate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl Estimate {
    /// The estimate, or none of it where `show` is false: a suppressed
    /// cell's interval would tell its rate.
    pub fn shown(self, show: bool) -> Estimate {
        if show {
            self
        } else {
            Estimate::default()
        }
    }
}
