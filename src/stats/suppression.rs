//! Small-number suppression for published tables.
//!
//! Rules, applied by [`suppress`]:
//!
//! 1. **Primary suppression**: a cell with `0 < count < threshold` is suppressed. Zeros are shown
//!    where something else in their line is: beside shown counts a zero discloses nothing about
//!    anyone, and hiding it would make small counts easier to spot by elimination.
//! 2. **Zeros that point at someone**, repeated with rule 3: in a row or column whose non-zero cells
//!    are all hidden, every zero is hidden too. The line's total (or its total less what is shown)
//!    gives the hidden people's number, and each zero beside them says a group they are not in: at
//!    a vacancy's one appointment, the zeros of every other group name the appointed person's.
//!    Hiding one zero as a decoy would not do: the rule that picks it gives it away.
//! 3. **Complementary suppression**, repeated until nothing changes: in any row or column of two
//!    or more cells that has exactly one suppressed cell, the hidden value could be recovered as
//!    the line total minus the shown cells, so one more cell in that line is suppressed — the
//!    smallest shown non-zero cell (first in reading order on ties). Every pass suppresses at least
//!    one new cell, so this ends.
//!
//! Invariants afterwards: no row or column with at least two cells contains exactly one suppressed
//! cell, and none shows a zero beside hidden cells unless it also shows a non-zero count. A table with a single row or column cannot be protected this way (each cell is its own
//! line total), so callers must not publish those totals.
//!
//! Figures published in several places are linked: a group's subtotal, or one figure split by band
//! whose overall value appears elsewhere, lets a hidden cell be worked out by subtraction just as a
//! line total does. [`suppress_linked`] takes every such relation as a line of its own.
//!
//! In JSON a shown cell is its number and a suppressed cell is the string `"suppressed"`.

use serde::{Serialize, Serializer};

/// One cell of a table after suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Shown(u64),
    Suppressed,
}

impl Cell {
    pub fn is_suppressed(&self) -> bool {
        matches!(self, Cell::Suppressed)
    }
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Shown(n) => s.serialize_u64(*n),
            Cell::Suppressed => s.serialize_str("suppressed"),
        }
    }
}

/// Primary rule: is this count too small to show? Zero is shown.
pub fn is_suppressed(count: u64, threshold: u64) -> bool {
    count > 0 && count < threshold
}

/// Applies primary and complementary suppression to a table (rows may differ in length; a
/// column then consists of the rows that reach it).
pub fn suppress(table: &[Vec<u64>], threshold: u64) -> Vec<Vec<Cell>> {
    // Cells in reading order; each row and each column is a line.
    let mut start = Vec::with_capacity(table.len());
    let mut values = Vec::new();
    for row in table {
        start.push(values.len());
        values.extend_from_slice(row);
    }
    let n_cols = table.iter().map(Vec::len).max().unwrap_or(0);
    let mut lines: Vec<Vec<usize>> = (0..table.len())
        .map(|i| (0..table[i].len()).map(|j| start[i] + j).collect())
        .collect();
    lines.extend((0..n_cols).map(|j| {
        (0..table.len())
            .filter(|&i| j < table[i].len())
            .map(|i| start[i] + j)
            .collect()
    }));
    let flat = suppress_linked(&values, &lines, &[], threshold);
    table
        .iter()
        .enumerate()
        .map(|(i, row)| flat[start[i]..start[i] + row.len()].to_vec())
        .collect()
}

/// Primary and complementary suppression over cells linked by `lines`: each line is a set of cell
/// indexes whose sum is published or can be worked out (a table's row or column, a group with its
/// subtotal, one figure split by band and its overall value). The rules are those of [`suppress`],
/// line by line in the order given, repeated until nothing changes; afterwards no line of two or
/// more cells has exactly one hidden cell.
///
/// `pinned` cells are published elsewhere as they are (such as the number of applications an audit
/// covers): they are never suppressed nor chosen as a complement. A line whose only possible
/// complement is pinned is left as it is, so callers pin only totals that are not about a group.
pub fn suppress_linked(
    values: &[u64],
    lines: &[Vec<usize>],
    pinned: &[usize],
    threshold: u64,
) -> Vec<Cell> {
    let mut out: Vec<Cell> = values
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if is_suppressed(c, threshold) && !pinned.contains(&i) {
                Cell::Suppressed
            } else {
                Cell::Shown(c)
            }
        })
        .collect();
    loop {
        let mut changed = false;
        for line in lines {
            changed |= protect_line(&mut out, line, pinned);
        }
        if !changed {
            return out;
        }
    }
}

/// Applies rules 2 and 3 to one line; returns whether it hid anything.
fn protect_line(out: &mut [Cell], line: &[usize], pinned: &[usize]) -> bool {
    if line.len() < 2 {
        return false;
    }
    let hidden = line.iter().filter(|&&i| out[i].is_suppressed()).count();
    if hidden == 0 {
        return false;
    }
    let shown: Vec<(u64, usize)> = line
        .iter()
        .filter_map(|&i| match out[i] {
            Cell::Shown(v) if !pinned.contains(&i) => Some((v, i)),
            _ => None,
        })
        .collect();
    // Smallest non-zero; min_by_key keeps the first on ties.
    match shown.iter().filter(|(v, _)| *v > 0).min_by_key(|(v, _)| *v) {
        Some(&(_, i)) if hidden == 1 => {
            out[i] = Cell::Suppressed;
            true
        }
        Some(_) => false,
        None => {
            for &(_, i) in &shown {
                out[i] = Cell::Suppressed;
            }
            !shown.is_empty()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_shown_and_small_is_hidden() {
        assert!(!is_suppressed(0, 5));
        assert!(is_suppressed(1, 5));
        assert!(is_suppressed(4, 5));
        assert!(!is_suppressed(5, 5));
    }

    #[test]
    fn serialises_suppressed_as_string() {
        let j = serde_json::to_string(&vec![Cell::Shown(7), Cell::Suppressed]).unwrap();
        assert_eq!(j, r#"[7,"suppressed"]"#);
    }
}
