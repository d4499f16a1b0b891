//! Proportions and 2×2 tables checked against published values and R / SciPy / statsmodels.

#[macro_use]
mod common;

use fairpanel::stats::proportions::{
    chi2_2x2, cmh, fisher_exact, impact_ratios, odds_ratio_ci, two_proportion_z, wilson,
    wres_relative_likelihood,
};
use fairpanel::stats::StatsError;

/// Relative closeness for p-values that span many orders of magnitude.
macro_rules! assert_rel {
    ($a:expr, $e:expr, $rel:expr) => {{
        let (a, e): (f64, f64) = ($a, $e);
        assert!(
            (a - e).abs() <= $rel * e.abs(),
            "{} = {} but expected {} (rel {})",
            stringify!($a),
            a,
            e,
            $rel
        )
    }};
}

#[test]
fn wilson_matches_newcombe_1998_table_i() {
    // Newcombe (1998), Statistics in Medicine 17:857–872, Table I, method 3 (score, no continuity
    // correction), published to 4 decimals. Full precision: R 4.2.2
    // prop.test(x, n, correct = FALSE)$conf.int.
    let cases = [
        (81, 263, [0.2553, 0.3662], [0.255288519878, 0.366209576983]),
        (
            15,
            148,
            [0.0624, 0.1605],
            [0.0623863995307, 0.1604872417233],
        ),
        (0, 20, [0.0, 0.1611], [0.0, 0.161125158053]),
        (
            1,
            29,
            [0.0061, 0.1718],
            [0.00611321429276, 0.17175521879320],
        ),
    ];
    for (x, n, published, r) in cases {
        let ci = wilson(x, n).unwrap();
        assert_close!(ci[0], published[0], 0.00005);
        assert_close!(ci[1], published[1], 0.00005);
        assert_close!(ci[0], r[0], 1e-11);
        assert_close!(ci[1], r[1], 1e-11);
    }
    assert_eq!(wilson(0, 20).unwrap()[0], 0.0);
    assert_eq!(wilson(20, 20).unwrap()[1], 1.0);
}

#[test]
fn wilson_rejects_bad_counts() {
    assert!(matches!(wilson(0, 0), Err(StatsError::NotComputable(_))));
    assert!(matches!(wilson(3, 2), Err(StatsError::InvalidInput(_))));
}

#[test]
fn fisher_matches_r_and_scipy() {
    // (a, b, c, d, two-sided, less, greater): R 4.2.2 fisher.test(matrix(c(a,b,c,d), 2,
    // byrow = TRUE), alternative = ...); SciPy 1.17 fisher_exact gives the same values.
    // [[3,1],[1,3]] is Fisher's tea-tasting table (p = 0.4857 in R's fisher.test documentation);
    // [[6,2],[1,4]] is the SciPy fisher_exact documentation example.
    let cases = [
        (3, 1, 1, 3, 0.485714285714, 0.985714285714, 0.242857142857),
        (6, 2, 1, 4, 0.102564102564, 0.995337995338, 0.0862470862471),
        (
            80,
            40,
            12,
            28,
            7.89579082682e-05,
            0.999989700194,
            5.21748240409e-05,
        ),
        (
            48,
            52,
            60,
            40,
            0.118388137804,
            0.059194068902,
            0.967573260472,
        ),
        (
            1200,
            800,
            950,
            1050,
            2.64316129181e-15,
            1.0,
            1.32158064591e-15,
        ),
        (10, 0, 0, 10, 1.08250882245e-05, 1.0, 5.41254411223e-06),
        (0, 5, 5, 0, 0.00793650793651, 0.00396825396825, 1.0),
        (2, 7, 8, 2, 0.0230141375652, 0.0185217259521, 0.999014916972),
    ];
    for (a, b, c, d, two, less, greater) in cases {
        let r = fisher_exact(a, b, c, d).unwrap();
        assert_rel!(r.p_two_sided, two, 1e-9);
        assert_rel!(r.p_less, less, 1e-9);
        assert_rel!(r.p_greater, greater, 1e-9);
    }
    // Sample odds ratios as SciPy reports them: 9, 12, 1200·1050/(800·950).
    assert_close!(
        fisher_exact(3, 1, 1, 3).unwrap().odds_ratio.unwrap(),
        9.0,
        1e-12
    );
    assert_close!(
        fisher_exact(6, 2, 1, 4).unwrap().odds_ratio.unwrap(),
        12.0,
        1e-12
    );
    assert_close!(
        fisher_exact(1200, 800, 950, 1050)
            .unwrap()
            .odds_ratio
            .unwrap(),
        1.6578947368421053,
        1e-12
    );
}

#[test]
fn fisher_odds_ratio_infinite_serialises_as_null() {
    let r = fisher_exact(10, 0, 0, 10).unwrap();
    assert_eq!(r.odds_ratio, Some(f64::INFINITY));
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["odds_ratio"].is_null());
    assert_eq!(fisher_exact(0, 0, 3, 4).unwrap().odds_ratio, None);
    assert!(matches!(
        fisher_exact(0, 0, 0, 0),
        Err(StatsError::NotComputable(_))
    ));
}

#[test]
fn fisher_handles_large_counts() {
    // R 4.2.2 fisher.test and SciPy 1.17 fisher_exact agree on these to ~1e-11 (relative).
    let cases = [
        (
            (150_000, 150_000, 149_000, 151_000),
            (0.00989654433451959, 0.995125218821133, 0.00494827216725978),
        ),
        (
            (5000, 4000, 4800, 4300),
            (
                0.000151280906320453,
                0.999929486362626,
                7.95179350326367e-05,
            ),
        ),
    ];
    for ((a, b, c, d), (two, less, greater)) in cases {
        let r = fisher_exact(a, b, c, d).unwrap();
        assert_rel!(r.p_two_sided, two, 1e-8);
        assert_rel!(r.p_less, less, 1e-8);
        assert_rel!(r.p_greater, greater, 1e-8);
    }
    // Symmetric table: the two-sided p is 1.
    let s = fisher_exact(100_000, 100_000, 100_000, 100_000).unwrap();
    assert_close!(s.p_two_sided, 1.0, 1e-9);
    // Far too large to enumerate: refused, not hung or aborted.
    let huge = u64::MAX / 8;
    assert!(matches!(
        fisher_exact(huge, huge, huge, huge),
        Err(StatsError::NotComputable(_))
    ));
}

#[test]
fn chi2_matches_r_and_scipy() {
    // R 4.2.2 chisq.test(m, correct = TRUE/FALSE); SciPy 1.17 chi2_contingency(correction=...)
    // agrees to all printed digits.
    let cases = [
        (
            (80, 40, 12, 28),
            (15.0383631714, 0.000105347784707),
            (16.5046888321, 4.85299132019e-05),
        ),
        (
            (12, 5, 9, 7),
            (0.243730304622, 0.621524779159),
            (0.732274159664, 0.3921470366),
        ),
        (
            (48, 52, 60, 40),
            (2.43558776167, 0.118609429935),
            (2.89855072464, 0.0886592320827),
        ),
    ];
    for ((a, b, c, d), yates, plain) in cases {
        let y = chi2_2x2(a, b, c, d, true).unwrap();
        assert_rel!(y.chi2, yates.0, 1e-9);
        assert_rel!(y.p, yates.1, 1e-8);
        let p = chi2_2x2(a, b, c, d, false).unwrap();
        assert_rel!(p.chi2, plain.0, 1e-9);
        assert_rel!(p.p, plain.1, 1e-8);
        assert_eq!(p.df, 1);
    }
    assert!(matches!(
        chi2_2x2(0, 0, 3, 4, false),
        Err(StatsError::NotComputable(_))
    ));
}

#[test]
fn two_proportion_z_matches_statsmodels() {
    // statsmodels 0.15 proportions_ztest([x1, x2], [n1, n2]) (pooled SE).
    let z = two_proportion_z(80, 120, 12, 40).unwrap();
    assert_close!(z.z, 4.062596316649558, 1e-12);
    assert_rel!(z.p_two_sided, 4.852991320191806e-05, 1e-8);
    let z = two_proportion_z(48, 100, 60, 100).unwrap();
    assert_close!(z.z, -1.7025130615174968, 1e-12);
    assert_rel!(z.p_two_sided, 0.08865923208274731, 1e-8);
    assert!(matches!(
        two_proportion_z(0, 10, 0, 5),
        Err(StatsError::NotComputable(_))
    ));
}

#[test]
fn odds_ratio_woolf_interval_matches_statsmodels() {
    // statsmodels 0.15 Table2x2(...).oddsratio_confint(0.05) (Woolf log interval).
    let o = odds_ratio_ci(80, 40, 12, 28).unwrap();
    assert_close!(o.or, 4.666666666666667, 1e-12);
    assert_close!(o.ci95[0], 2.1489164757968626, 1e-9);
    assert_close!(o.ci95[1], 10.13430629950478, 1e-8);
    assert!(!o.haldane_corrected);
    // A zero cell: 0.5 added to every cell, then Woolf; statsmodels Table2x2 on [[10.5, 0.5],
    // [3.5, 7.5]] gives OR 45 and [2.0114296268110072, 1006.7466308580263].
    let z = odds_ratio_ci(10, 0, 3, 7).unwrap();
    assert!(z.haldane_corrected);
    assert_close!(z.or, 45.0, 1e-12);
    assert_close!(z.ci95[0], 2.0114296268110072, 1e-9);
    assert_close!(z.ci95[1], 1006.7466308580263, 1e-6);
}

#[test]
fn impact_ratio_uniform_guidelines_qa_example() {
    // "Questions and Answers to Clarify and Provide a Common Interpretation of the Uniform
    // Guidelines on Employee Selection Procedures" (EEOC, OPM, DOJ, DOL, Treasury, 1979), the
    // answer on how adverse impact is determined (29 CFR 1607.4D): hiring rates White 60%,
    // American Indian 45%, Hispanic 48%, Black 51% give impact ratios 75%, 80% and 85%, and
    // "adverse impact is indicated for American Indians but not for Hispanics or Blacks".
    // Exactly 80% is therefore not adverse. Rates are given per 100 applicants.
    let r = impact_ratios(&[
        ("White".into(), 100, 60),
        ("American Indian".into(), 100, 45),
        ("Hispanic".into(), 100, 48),
        ("Black".into(), 100, 51),
    ])
    .unwrap();
    assert_eq!(r.reference_group.as_deref(), Some("White"));
    let ratios: Vec<f64> = r.groups.iter().map(|g| g.impact_ratio.unwrap()).collect();
    let adverse: Vec<bool> = r.groups.iter().map(|g| g.adverse.unwrap()).collect();
    for (got, want) in ratios.iter().zip([1.0, 0.75, 0.80, 0.85]) {
        assert_close!(*got, want, 1e-12);
    }
    assert_eq!(adverse, [false, true, false, false]);
}

#[test]
fn impact_ratio_white_black_example() {
    // The four-fifths illustration of 29 CFR 1607.4D as commonly quoted: 80 of 120 White
    // applicants (66.7%) and 12 of 40 Black applicants (30%) selected; 30/66.7 = 45% < 80%.
    let r = impact_ratios(&[("White".into(), 120, 80), ("Black".into(), 40, 12)]).unwrap();
    assert_eq!(r.reference_group.as_deref(), Some("White"));
    let white = &r.groups[0];
    assert_eq!(white.impact_ratio, Some(1.0));
    assert_eq!(white.adverse, Some(false));
    assert_eq!(white.fisher_p, Some(1.0));
    let black = &r.groups[1];
    assert_close!(black.rate.unwrap(), 0.30, 1e-12);
    assert_close!(black.impact_ratio.unwrap(), 0.45, 1e-12);
    assert_eq!(black.adverse, Some(true));
    // Fisher p for [[12, 28], [80, 40]]: R fisher.test gives 7.89579082682e-05.
    assert_rel!(black.fisher_p.unwrap(), 7.89579082682e-05, 1e-9);
    // Wilson intervals: statsmodels proportion_confint(method="wilson").
    assert_close!(black.ci95.unwrap()[0], 0.1807484522974653, 1e-12);
    assert_close!(black.ci95.unwrap()[1], 0.45430018818144946, 1e-12);
}

#[test]
fn impact_ratio_exactly_four_fifths_is_not_adverse() {
    // 48/100 against 60/100 is exactly 0.80: not adverse under the four-fifths rule, whatever the
    // floating-point quotient.
    let r = impact_ratios(&[("A".into(), 100, 60), ("B".into(), 100, 48)]).unwrap();
    assert_eq!(r.groups[1].adverse, Some(false));
    assert_close!(r.groups[1].impact_ratio.unwrap(), 0.8, 1e-12);
    // One fewer selected drops below four-fifths.
    let r = impact_ratios(&[("A".into(), 100, 60), ("B".into(), 100, 47)]).unwrap();
    assert_eq!(r.groups[1].adverse, Some(true));
    // Same ratio with huge counts stays exact.
    let big = u64::MAX / 8;
    let r = impact_ratios(&[
        ("A".into(), big / 5 * 5, big / 5 * 5),
        ("B".into(), big / 5 * 5, big / 5 * 4),
    ])
    .unwrap();
    assert_eq!(r.groups[1].adverse, Some(false));
}

#[test]
fn impact_reference_ties_and_empty_groups() {
    let r = impact_ratios(&[
        ("A".into(), 10, 5),
        ("B".into(), 20, 10),
        ("C".into(), 0, 0),
        ("D".into(), 10, 1),
    ])
    .unwrap();
    // A and B tie at 50%: the first in input order is the reference.
    assert_eq!(r.reference_group.as_deref(), Some("A"));
    assert_eq!(r.groups[1].impact_ratio, Some(1.0));
    assert_eq!(r.groups[1].adverse, Some(false));
    let c = &r.groups[2];
    assert!(c.rate.is_none() && c.impact_ratio.is_none() && c.note.is_some());
    assert_eq!(r.groups[3].adverse, Some(true));

    assert!(matches!(
        impact_ratios(&[]),
        Err(StatsError::NotComputable(_))
    ));
    assert!(matches!(
        impact_ratios(&[("A".into(), 0, 0), ("B".into(), 0, 0)]),
        Err(StatsError::NotComputable(_))
    ));
    assert!(matches!(
        impact_ratios(&[("A".into(), 5, 6)]),
        Err(StatsError::InvalidInput(_))
    ));
    assert!(matches!(
        impact_ratios(&[("A".into(), 5, 1), ("A".into(), 5, 2)]),
        Err(StatsError::InvalidInput(_))
    ));
}

#[test]
fn impact_with_nobody_selected_keeps_rates_and_intervals() {
    // Nobody selected in any group: each rate is 0 with its Wilson interval (statsmodels 0.15
    // proportion_confint(0, 40, method="wilson") = (0, 0.0876216012), (0, 25) = (0, 0.1331922509)),
    // but with no reference group every ratio is 0/0.
    let r = impact_ratios(&[
        ("White".into(), 40, 0),
        ("Black".into(), 25, 0),
        ("Not stated".into(), 0, 0),
    ])
    .unwrap();
    assert_eq!(r.reference_group, None);
    let [white, black, none] = &r.groups[..] else {
        panic!("three groups")
    };
    assert_eq!(
        (white.rate, black.rate, none.rate),
        (Some(0.0), Some(0.0), None)
    );
    assert_close!(white.ci95.unwrap()[1], 0.0876216, 5e-7);
    assert_close!(black.ci95.unwrap()[1], 0.1331923, 5e-7);
    assert_eq!(white.ci95.unwrap()[0], 0.0);
    for g in &r.groups {
        assert!(g.impact_ratio.is_none() && g.adverse.is_none() && g.fisher_p.is_none());
        assert!(g.note.is_some());
    }
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["reference_group"].is_null());
}

#[test]
fn wres_with_no_bme_appointment_is_infinite_not_an_error() {
    // 3 of 10 White and 0 of 8 BME shortlisted applicants appointed: both likelihoods stand, the
    // ratio is infinite and there is no Katz interval (its log needs a non-zero count).
    let w = wres_relative_likelihood(10, 3, 8, 0).unwrap();
    assert_close!(w.white_rate, 0.3, 1e-15);
    assert_eq!(w.bme_rate, 0.0);
    assert_eq!(w.relative_likelihood, None);
    assert!(w.relative_likelihood_infinite);
    assert_eq!(w.ci95, None);
    assert!(w.note.as_deref().unwrap().contains("infinite"));
    let json = serde_json::to_value(&w).unwrap();
    assert!(json["relative_likelihood"].is_null());
    assert_eq!(json["relative_likelihood_infinite"], true);
    assert!(json["ci95"].is_null());
    // No White appointment: a ratio of exactly 0, still without a log interval.
    let w = wres_relative_likelihood(10, 0, 8, 2).unwrap();
    assert_eq!(w.relative_likelihood, Some(0.0));
    assert!(!w.relative_likelihood_infinite && w.ci95.is_none());
    // Nobody appointed at all: undefined, neither 0 nor infinite.
    let w = wres_relative_likelihood(10, 0, 8, 0).unwrap();
    assert_eq!(w.relative_likelihood, None);
    assert!(!w.relative_likelihood_infinite);
    assert!(w.note.as_deref().unwrap().contains("undefined"));
}

#[test]
fn wres_relative_likelihood_katz_interval() {
    // Illustrative counts giving the relative likelihood 1.61 (the form in which NHS England's
    // WRES technical guidance reports indicator 2): 161 of 500 White and 100 of 500 BME
    // shortlisted applicants appointed. Interval: SciPy 1.17
    // scipy.stats.contingency.relative_risk(161, 500, 100, 500).confidence_interval(0.95)
    // (Katz log method).
    let w = wres_relative_likelihood(500, 161, 500, 100).unwrap();
    assert_close!(w.relative_likelihood.unwrap(), 1.61, 1e-12);
    assert!(!w.relative_likelihood_infinite && w.note.is_none());
    assert_close!(w.white_rate, 0.322, 1e-12);
    assert_close!(w.bme_rate, 0.2, 1e-12);
    assert_close!(w.ci95.unwrap()[0], 1.2964761238126685, 1e-12);
    assert_close!(w.ci95.unwrap()[1], 1.999342643023127, 1e-12);
    let w = wres_relative_likelihood(100, 30, 100, 20).unwrap();
    assert_close!(w.ci95.unwrap()[0], 0.9159608293223659, 1e-12);
    assert_close!(w.ci95.unwrap()[1], 2.456436921723568, 1e-12);

    assert!(matches!(
        wres_relative_likelihood(0, 0, 8, 2),
        Err(StatsError::NotComputable(_))
    ));
    assert!(matches!(
        wres_relative_likelihood(10, 3, 0, 0),
        Err(StatsError::NotComputable(_))
    ));
    assert!(matches!(
        wres_relative_likelihood(5, 6, 8, 2),
        Err(StatsError::InvalidInput(_))
    ));
}

/// R's `mantelhaen.test` documentation example: `Rabbits`, penicillin given immediately or
/// delayed, cured or died, 5 strata (R fills arrays column-major, hence [a, b, c, d] below).
fn rabbits() -> Vec<[u64; 4]> {
    vec![
        [0, 6, 0, 5],
        [3, 3, 0, 6],
        [6, 0, 2, 4],
        [5, 1, 6, 0],
        [2, 0, 5, 0],
    ]
}

#[test]
fn cmh_matches_r_mantelhaen_test_rabbits() {
    // R 4.2.2 mantelhaen.test(Rabbits): X-squared = 3.9285714, df = 1, p-value = 0.04747226,
    // common odds ratio 7, 95% CI 1.026712688 47.725133380; with correct = FALSE: 5.65714285714,
    // p = 0.0173844203521. statsmodels 0.15 StratifiedTable gives the same statistic, p, pooled
    // odds ratio and interval.
    let r = cmh(&rabbits(), true).unwrap();
    assert_close!(r.chi2, 3.92857142857, 1e-10);
    assert_rel!(r.p, 0.0474722551429, 1e-9);
    assert_close!(r.common_odds_ratio, 7.0, 1e-12);
    let ci = r.ci95.unwrap();
    assert_close!(ci[0], 1.026712688461667, 1e-9);
    assert_close!(ci[1], 47.72513338022261, 1e-8);
    assert_eq!((r.strata_used, r.strata_skipped), (5, 0));
    let u = cmh(&rabbits(), false).unwrap();
    assert_close!(u.chi2, 5.65714285714, 1e-10);
    assert_rel!(u.p, 0.0173844203521, 1e-9);
}

#[test]
fn cmh_skips_tiny_strata() {
    let mut strata = rabbits();
    strata.push([1, 0, 0, 0]);
    strata.push([0, 0, 0, 0]);
    let r = cmh(&strata, true).unwrap();
    assert_eq!((r.strata_used, r.strata_skipped), (5, 2));
    assert_close!(r.chi2, 3.92857142857, 1e-10);
    assert!(matches!(
        cmh(&[[1, 0, 0, 0]], true),
        Err(StatsError::NotComputable(_))
    ));
    assert!(matches!(
        cmh(&[[3, 0, 4, 0]], true),
        Err(StatsError::NotComputable(_))
    ));
}
