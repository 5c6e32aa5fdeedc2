//! Disclosure control for the public report (公示版).
//!
//! Primary suppression: a cell (a subject's or group's annual result) resting
//! on fewer raters than `report.min_cell` is not published; nor is a rate of
//! exactly 0% or 100% on fewer than `report.min_cell_extreme` raters, which
//! would tell what every one of them answered (a group disclosure).
//!
//! Secondary (complementary) suppression: a published total minus the
//! published cells under it gives away what the suppressed cells hold
//! together. So within every group whose total is published, the suppressed
//! cells together must rest on at least `min_cell` raters and be at least two;
//! until they do, the published cell with the fewest raters is suppressed too
//! (ties: the first in the group's order, so the result is deterministic). A
//! group whose total is itself suppressed needs no complement: nothing is
//! subtracted from it.

/// One publishable figure and the raters it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub raters: u64,
    pub suppressed: bool,
}

impl Cell {
    pub fn new(raters: u64, min_cell: u64) -> Cell {
        Cell {
            raters,
            suppressed: raters < min_cell,
        }
    }

    /// A cell under both primary rules: too few raters, or a unanimous rate
    /// (0% or 100%) on fewer than `min_extreme` raters.
    pub fn primary(raters: u64, rate: Option<f64>, min_cell: u64, min_extreme: u64) -> Cell {
        let unanimous = rate.is_some_and(|r| r <= 0.0 || r >= 1.0);
        Cell {
            raters,
            suppressed: raters < min_cell || (unanimous && raters < min_extreme),
        }
    }
}

/// Applies secondary suppression to `cells[members]` for a group whose total
/// is published (`total_published`).
pub fn complement(cells: &mut [Cell], members: &[usize], total_published: bool, min_cell: u64) {
    if !total_published {
        return;
    }
    loop {
        let hidden: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| cells[i].suppressed)
            .collect();
        if hidden.is_empty() {
            return;
        }
        let together: u64 = hidden.iter().map(|&i| cells[i].raters).sum();
        if hidden.len() >= 2 && together >= min_cell {
            return;
        }
        let next = members
            .iter()
            .copied()
            .filter(|&i| !cells[i].suppressed)
            .min_by_key(|&i| (cells[i].raters, i));
        match next {
            Some(i) => cells[i].suppressed = true,
            // Everything is hidden: the total is all that shows, and it is
            // the sum of all of them, which rests on enough raters.
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(raters: &[u64]) -> Vec<Cell> {
        raters.iter().map(|&r| Cell::new(r, 5)).collect()
    }

    fn hidden(c: &[Cell]) -> Vec<bool> {
        c.iter().map(|c| c.suppressed).collect()
    }

    #[test]
    fn a_lone_small_cell_takes_the_next_smallest_with_it() {
        let mut c = cells(&[40, 3, 12, 9]);
        complement(&mut c, &[0, 1, 2, 3], true, 5);
        assert_eq!(hidden(&c), [false, true, false, true]);
    }

    #[test]
    fn two_tiny_cells_are_not_enough_together() {
        // 1 + 2 raters: the pair could be subtracted out and still reveal
        // a result on 3 raters, so a third cell goes too.
        let mut c = cells(&[1, 2, 30, 6]);
        complement(&mut c, &[0, 1, 2, 3], true, 5);
        assert_eq!(hidden(&c), [true, true, false, true]);
    }

    #[test]
    fn nothing_to_protect_changes_nothing() {
        let mut c = cells(&[40, 7, 12]);
        complement(&mut c, &[0, 1, 2], true, 5);
        assert_eq!(hidden(&c), [false, false, false]);
    }

    #[test]
    fn an_unpublished_total_needs_no_complement() {
        let mut c = cells(&[3, 40]);
        complement(&mut c, &[0, 1], false, 5);
        assert_eq!(hidden(&c), [true, false]);
    }

    #[test]
    fn a_group_of_one_hides_it_and_stops() {
        let mut c = cells(&[3]);
        complement(&mut c, &[0], true, 5);
        assert_eq!(hidden(&c), [true]);
    }
}
