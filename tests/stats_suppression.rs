//! Small-number suppression.

use fairpanel::stats::suppression::{is_suppressed, suppress, suppress_linked, Cell};
use proptest::prelude::*;

fn suppressed_in_row(t: &[Vec<Cell>], i: usize) -> usize {
    t[i].iter().filter(|c| c.is_suppressed()).count()
}

fn suppressed_in_col(t: &[Vec<Cell>], j: usize) -> usize {
    t.iter().filter(|r| r[j].is_suppressed()).count()
}

#[test]
fn small_cell_is_hidden_with_complements_in_its_row_and_column() {
    // Rows: groups; columns: stages. The 3 is below the threshold of 5.
    let table = vec![vec![20, 3, 12], vec![30, 25, 9], vec![40, 18, 22]];
    let out = suppress(&table, 5);
    assert_eq!(out[0][1], Cell::Suppressed);
    // Its row loses the smaller other cell (12) and its column the smaller other cell (18), so
    // neither total reveals the 3.
    assert_eq!(out[0][2], Cell::Suppressed);
    assert_eq!(out[2][1], Cell::Suppressed);
    for i in 0..3 {
        assert_ne!(suppressed_in_row(&out, i), 1, "row {i}: {out:?}");
        assert_ne!(suppressed_in_col(&out, i), 1, "col {i}: {out:?}");
    }
    assert_eq!(out[1][0], Cell::Shown(30));
}

#[test]
fn zeros_are_shown_but_used_as_complement_of_last_resort() {
    let out = suppress(&[vec![0, 2], vec![7, 9]], 5);
    // Row 0 has only a zero besides the 2: the zero is hidden too, else the row total gives it away.
    assert_eq!(out[0], vec![Cell::Suppressed, Cell::Suppressed]);
    assert_eq!(out[1], vec![Cell::Suppressed, Cell::Suppressed]);
    let out = suppress(&[vec![0, 10], vec![7, 9]], 5);
    assert_eq!(
        out,
        vec![
            vec![Cell::Shown(0), Cell::Shown(10)],
            vec![Cell::Shown(7), Cell::Shown(9)]
        ]
    );
    assert!(!is_suppressed(0, 5));
}

#[test]
fn zeros_beside_a_lone_hidden_count_are_hidden_with_it() {
    // Stages as columns, groups as rows; one person appointed (last column), from the third group.
    let table = vec![vec![12, 6, 0], vec![9, 0, 0], vec![20, 8, 1], vec![0, 0, 0]];
    let out = suppress(&table, 5);
    for (i, row) in out.iter().enumerate() {
        assert_eq!(
            row[2],
            Cell::Suppressed,
            "group {i}'s zero would say who was appointed"
        );
    }
}

proptest! {
    /// No line shows a zero beside hidden cells unless it also shows a non-zero count: a zero there
    /// would say a group the hidden people are not in.
    #[test]
    fn no_zero_points_at_hidden_people(
        values in prop::collection::vec(0u64..12, 2..14),
        raw_lines in prop::collection::vec(prop::collection::vec(0usize..100, 2..6), 1..8),
        raw_pinned in prop::collection::vec(0usize..100, 0..3),
        threshold in 1u64..10,
    ) {
        let n = values.len();
        let lines: Vec<Vec<usize>> = raw_lines
            .iter()
            .map(|l| {
                let mut l: Vec<usize> = l.iter().map(|i| i % n).collect();
                l.sort_unstable();
                l.dedup();
                l
            })
            .collect();
        let pinned: Vec<usize> = raw_pinned.iter().map(|i| i % n).collect();
        let out = suppress_linked(&values, &lines, &pinned, threshold);
        for l in lines.iter().filter(|l| l.len() >= 2) {
            let hidden = l.iter().any(|&i| out[i].is_suppressed());
            let shown = |p: &dyn Fn(u64) -> bool| {
                l.iter().any(|&i| !pinned.contains(&i) && matches!(out[i], Cell::Shown(v) if p(v)))
            };
            prop_assert!(
                !hidden || shown(&|v| v > 0) || !shown(&|v| v == 0),
                "{:?} {:?}", l, out
            );
        }
    }

    /// After suppression no row or column of two or more cells has exactly one hidden cell, so
    /// no hidden value equals a line total minus shown cells; every primary cell is hidden; and
    /// shown cells keep their values.
    #[test]
    fn no_line_has_a_single_suppressed_cell(
        table in (1usize..6, 1usize..6).prop_flat_map(|(r, c)| {
            prop::collection::vec(prop::collection::vec(0u64..30, c), r)
        }),
        threshold in 1u64..10,
    ) {
        let out = suppress(&table, threshold);
        let (rows, cols) = (table.len(), table[0].len());
        for i in 0..rows {
            if cols >= 2 {
                prop_assert_ne!(suppressed_in_row(&out, i), 1);
            }
            for j in 0..cols {
                match out[i][j] {
                    Cell::Shown(v) => {
                        prop_assert_eq!(v, table[i][j]);
                        prop_assert!(!is_suppressed(v, threshold));
                    }
                    Cell::Suppressed => {}
                }
            }
        }
        for j in 0..cols {
            if rows >= 2 {
                prop_assert_ne!(suppressed_in_col(&out, j), 1);
            }
        }
    }

    /// Linked lines (any sets of cells, totals included): afterwards no line of two or more cells
    /// has exactly one hidden cell unless every other cell in it is pinned; pinned cells are never
    /// hidden; every other small cell is; shown cells keep their values.
    #[test]
    fn no_linked_line_has_a_single_hidden_cell(
        values in prop::collection::vec(0u64..30, 2..14),
        raw_lines in prop::collection::vec(prop::collection::vec(0usize..100, 2..6), 1..8),
        raw_pinned in prop::collection::vec(0usize..100, 0..3),
        threshold in 1u64..10,
    ) {
        let n = values.len();
        let lines: Vec<Vec<usize>> = raw_lines
            .iter()
            .map(|l| {
                let mut l: Vec<usize> = l.iter().map(|i| i % n).collect();
                l.sort_unstable();
                l.dedup();
                l
            })
            .collect();
        let pinned: Vec<usize> = raw_pinned.iter().map(|i| i % n).collect();
        let out = suppress_linked(&values, &lines, &pinned, threshold);
        for (i, c) in out.iter().enumerate() {
            match c {
                Cell::Shown(v) => {
                    prop_assert_eq!(*v, values[i]);
                    prop_assert!(!is_suppressed(*v, threshold) || pinned.contains(&i));
                }
                Cell::Suppressed => prop_assert!(!pinned.contains(&i)),
            }
        }
        for l in lines.iter().filter(|l| l.len() >= 2) {
            let hidden = l.iter().filter(|&&i| out[i].is_suppressed()).count();
            let all_others_pinned = l
                .iter()
                .filter(|&&i| !out[i].is_suppressed())
                .all(|i| pinned.contains(i));
            prop_assert!(hidden != 1 || all_others_pinned, "{:?} {:?}", l, out);
        }
    }
}
