//! Reliability statistics checked against published values.

#[macro_use]
mod common;

use fairpanel::stats::reliability::{icc, icc_long, kendall_w, krippendorff_alpha, Level};
use fairpanel::stats::StatsError;

/// Shrout & Fleiss (1979), Psychological Bulletin 86(2):420–428, Table 2: 6 targets × 4 judges.
fn shrout_fleiss() -> Vec<Vec<f64>> {
    vec![
        vec![9.0, 2.0, 5.0, 8.0],
        vec![6.0, 1.0, 3.0, 2.0],
        vec![8.0, 4.0, 6.0, 8.0],
        vec![7.0, 1.0, 2.0, 6.0],
        vec![10.0, 5.0, 6.0, 9.0],
        vec![6.0, 2.0, 4.0, 7.0],
    ]
}

#[test]
fn icc_matches_shrout_fleiss_table_4() {
    // Shrout & Fleiss (1979) Table 4, published to two decimals.
    let r = icc(&shrout_fleiss()).unwrap();
    assert_eq!((r.n_targets, r.n_raters), (6, 4));
    let published = [
        ("ICC1", 0.17),
        ("ICC2", 0.29),
        ("ICC3", 0.71),
        ("ICC1k", 0.44),
        ("ICC2k", 0.62),
        ("ICC3k", 0.91),
    ];
    for (kind, value) in published {
        assert_close!(r.form(kind).unwrap().icc, value, 0.005);
    }
    let kinds: Vec<&str> = r.forms.iter().map(|f| f.kind.as_str()).collect();
    assert_eq!(kinds, ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]);
}

#[test]
fn icc_matches_psych_icc_output() {
    // R 4.2.2, psych 2.2.9: print(ICC(sf, lmer = FALSE)$results, digits = 10) on the same data
    // (the dataset of the psych::ICC documentation example, whose printed output shows
    // F = 1.8 / 11 / 11, ICC2 CI [0.019, 0.76], ICC3 CI [0.34, 0.95]).
    // (type, ICC, F, df1, df2, p, lower, upper)
    let psych = [
        (
            "ICC1",
            0.1657417684,
            1.794678492,
            5,
            18,
            0.1647688083446,
            -0.13293232487,
            0.7225600623,
        ),
        (
            "ICC2",
            0.2897637795,
            11.027247956,
            5,
            15,
            0.0001345665165,
            0.01878651337,
            0.7610843696,
        ),
        (
            "ICC3",
            0.7148407148,
            11.027247956,
            5,
            15,
            0.0001345665165,
            0.34246476503,
            0.9458582600,
        ),
        (
            "ICC1k",
            0.4427971337,
            1.794678492,
            5,
            18,
            0.1647688083446,
            -0.88444215524,
            0.9124154203,
        ),
        (
            "ICC2k",
            0.6200505476,
            11.027247956,
            5,
            15,
            0.0001345665165,
            0.07113681530,
            0.9272320402,
        ),
        (
            "ICC3k",
            0.9093155424,
            11.027247956,
            5,
            15,
            0.0001345665165,
            0.67567471382,
            0.9858916782,
        ),
    ];
    let r = icc(&shrout_fleiss()).unwrap();
    for (kind, value, f, df1, df2, p, lo, hi) in psych {
        let fm = r.form(kind).unwrap();
        assert_close!(fm.icc, value, 1e-9);
        assert_close!(fm.f, f, 1e-8);
        assert_eq!((fm.df1, fm.df2), (df1, df2), "{kind} df");
        assert_close!(fm.p, p, 1e-9);
        assert_close!(fm.ci95[0], lo, 1e-6);
        assert_close!(fm.ci95[1], hi, 1e-6);
    }
}

#[test]
fn icc_long_equals_wide_and_drops_incomplete_targets() {
    let mut rows = Vec::new();
    for (t, row) in shrout_fleiss().iter().enumerate() {
        for (j, x) in row.iter().enumerate() {
            rows.push((format!("T{}", t + 1), format!("J{}", j + 1), *x));
        }
    }
    // A seventh target scored by only two judges is dropped, not imputed.
    rows.push(("T7".into(), "J1".into(), 5.0));
    rows.push(("T7".into(), "J3".into(), 4.0));
    let long = icc_long(&rows).unwrap();
    let wide = icc(&shrout_fleiss()).unwrap();
    assert_eq!(long.dropped_targets, vec!["T7".to_string()]);
    assert_eq!(long.n_targets, 6);
    for (a, b) in long.forms.iter().zip(&wide.forms) {
        assert_close!(a.icc, b.icc, 1e-12);
        assert_close!(a.ci95[0], b.ci95[0], 1e-12);
    }
}

#[test]
fn icc_long_rejects_duplicate_pairs() {
    let rows = vec![
        ("A".to_string(), "X".to_string(), 1.0),
        ("A".to_string(), "X".to_string(), 2.0),
    ];
    let err = icc_long(&rows).unwrap_err();
    assert!(matches!(err, StatsError::InvalidInput(ref m) if m.contains("more than one score")));
}

#[test]
fn icc_degenerate_inputs_are_not_computable() {
    let one_target = vec![vec![1.0, 2.0, 3.0]];
    assert!(matches!(
        icc(&one_target),
        Err(StatsError::NotComputable(_))
    ));
    // Raters identical: no residual variation, F is infinite.
    let perfect = vec![vec![1.0, 1.0], vec![2.0, 2.0], vec![4.0, 4.0]];
    let err = icc(&perfect).unwrap_err();
    assert!(err.to_string().contains("no residual variation"), "{err}");
    // Every target has the same mean.
    let flat = vec![vec![1.0, 2.0], vec![2.0, 1.0]];
    assert!(matches!(icc(&flat), Err(StatsError::NotComputable(_))));
    assert!(matches!(icc(&[]), Err(StatsError::NotComputable(_))));
}

/// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability" (Annenberg School for
/// Communication, University of Pennsylvania), section C: 4 observers × 12 units with missing
/// values. One inner Vec per unit, observers A–D.
fn krippendorff_2011() -> Vec<Vec<Option<f64>>> {
    let a = [
        Some(1.),
        Some(2.),
        Some(3.),
        Some(3.),
        Some(2.),
        Some(1.),
        Some(4.),
        Some(1.),
        Some(2.),
        None,
        None,
        None,
    ];
    let b = [
        Some(1.),
        Some(2.),
        Some(3.),
        Some(3.),
        Some(2.),
        Some(2.),
        Some(4.),
        Some(1.),
        Some(2.),
        Some(5.),
        None,
        Some(3.),
    ];
    let c = [
        None,
        Some(3.),
        Some(3.),
        Some(3.),
        Some(2.),
        Some(3.),
        Some(4.),
        Some(2.),
        Some(2.),
        Some(5.),
        Some(1.),
        None,
    ];
    let d = [
        Some(1.),
        Some(2.),
        Some(3.),
        Some(3.),
        Some(2.),
        Some(4.),
        Some(4.),
        Some(1.),
        Some(2.),
        Some(5.),
        Some(1.),
        None,
    ];
    (0..12).map(|u| vec![a[u], b[u], c[u], d[u]]).collect()
}

#[test]
fn alpha_matches_krippendorff_2011_worked_example() {
    // Published: nominal .743, ordinal .815, interval .849, ratio .797 (three decimals).
    // Full-precision values from the Python `krippendorff` package (0.9.0) on the same data:
    // 0.743421052631579, 0.8153875037548814, 0.8491071428571428, 0.7974027747116121.
    let units = krippendorff_2011();
    let cases = [
        (Level::Nominal, 0.743, 0.743421052631579),
        (Level::Ordinal, 0.815, 0.8153875037548814),
        (Level::Interval, 0.849, 0.8491071428571428),
        (Level::Ratio, 0.797, 0.7974027747116121),
    ];
    for (level, published, precise) in cases {
        let a = krippendorff_alpha(&units, level).unwrap();
        assert_close!(a, published, 0.0005);
        assert_close!(a, precise, 1e-12);
    }
}

#[test]
fn alpha_edge_cases() {
    let no_variation = vec![vec![Some(3.0), Some(3.0)], vec![Some(3.0), None, Some(3.0)]];
    assert!(matches!(
        krippendorff_alpha(&no_variation, Level::Interval),
        Err(StatsError::NotComputable(_))
    ));
    let unpairable = vec![vec![Some(1.0), None], vec![None, Some(2.0)]];
    assert!(matches!(
        krippendorff_alpha(&unpairable, Level::Nominal),
        Err(StatsError::NotComputable(_))
    ));
    let negative = vec![vec![Some(-1.0), Some(2.0)]];
    assert!(matches!(
        krippendorff_alpha(&negative, Level::Ratio),
        Err(StatsError::InvalidInput(_))
    ));
    let perfect = vec![vec![Some(1.0), Some(1.0)], vec![Some(4.0), Some(4.0), None]];
    assert_eq!(krippendorff_alpha(&perfect, Level::Ordinal).unwrap(), 1.0);
}

#[test]
fn kendall_w_matches_irr_anxiety_example() {
    // `anxiety` data of R's irr package (20 subjects × 3 raters), as printed in the DescTools
    // KendallW documentation, which gives KendallW(anxiety, TRUE) = 0.5396569 (irr::kendall's
    // code). chi2 and p: R 4.2.2 running irr::kendall's formula, and friedman.test on the same
    // data (Friedman chi-squared = 30.760442, df = 19, p = 0.04288347); SciPy 1.17
    // friedmanchisquare agrees.
    let r1 = [
        3., 3., 3., 4., 5., 5., 2., 3., 5., 2., 2., 6., 1., 5., 2., 2., 1., 2., 4., 3.,
    ];
    let r2 = [
        3., 6., 4., 6., 2., 4., 2., 4., 3., 3., 2., 3., 3., 3., 2., 2., 1., 3., 3., 4.,
    ];
    let r3 = [
        2., 1., 4., 4., 3., 2., 1., 6., 1., 1., 1., 2., 3., 3., 1., 1., 3., 3., 2., 2.,
    ];
    let m: Vec<Vec<f64>> = (0..20).map(|i| vec![r1[i], r2[i], r3[i]]).collect();
    let k = kendall_w(&m).unwrap();
    assert_close!(k.w, 0.5396569, 5e-8);
    assert_close!(k.chi2, 30.7604419294, 1e-8);
    assert_eq!(k.df, 19);
    assert_close!(k.p, 0.0428834731269, 1e-10);
}

#[test]
fn kendall_w_is_one_for_identical_rankings() {
    let m = vec![vec![1.0, 10.0], vec![2.0, 20.0], vec![3.0, 30.0]];
    let k = kendall_w(&m).unwrap();
    assert_close!(k.w, 1.0, 1e-12);
}

#[test]
fn icc2_against_one_half_is_decided_exactly() {
    use fairpanel::stats::reliability::icc2_compare;
    use std::cmp::Ordering;
    // 4 targets × 3 raters. By hand (Shrout & Fleiss 1979, ICC(2,1) = (BMS − EMS) / (BMS + (k − 1)EMS
    // + k(JMS − EMS)/n)): BMS = 26/9, JMS = 13/12, EMS = 23/36, so ICC(2,1) = (9/4) / (9/2) = 1/2
    // exactly; the float estimate rounds to just below 0.5.
    let m = vec![
        vec![4.0, 5.0, 4.0],
        vec![3.0, 3.0, 1.0],
        vec![3.0, 2.0, 3.0],
        vec![4.0, 5.0, 3.0],
    ];
    let float = icc(&m).unwrap().form("ICC2").unwrap().icc;
    assert!((float - 0.5).abs() < 1e-12, "{float}");
    assert_eq!(icc2_compare(&m, 1, 2), Some(Ordering::Equal));
    // Either side of the cut: 9/20 and 11/20 are near 1/2 but not on it.
    assert_eq!(icc2_compare(&m, 9, 20), Some(Ordering::Greater));
    assert_eq!(icc2_compare(&m, 11, 20), Some(Ordering::Less));
    // Shrout & Fleiss (1979) Table 2 data: ICC(2,1) = 0.29, below 1/2 and above 1/4.
    let sf = vec![
        vec![9.0, 2.0, 5.0, 8.0],
        vec![6.0, 1.0, 3.0, 2.0],
        vec![8.0, 4.0, 6.0, 8.0],
        vec![7.0, 1.0, 2.0, 6.0],
        vec![10.0, 5.0, 6.0, 9.0],
        vec![6.0, 2.0, 4.0, 7.0],
    ];
    assert_eq!(icc2_compare(&sf, 1, 2), Some(Ordering::Less));
    assert_eq!(icc2_compare(&sf, 1, 4), Some(Ordering::Greater));
    // Scores that are not whole numbers fall back to the float estimate with the stated tolerance.
    let halves: Vec<Vec<f64>> = m
        .iter()
        .map(|r| r.iter().map(|x| x / 2.0).collect())
        .collect();
    assert_eq!(icc2_compare(&halves, 1, 2), Some(Ordering::Equal));
}
