//! Rater effects checked against SciPy.

#[macro_use]
mod common;

use fairpanel::stats::raters::{
    rater_effects, rater_group_effect, rater_group_effects, Observation, REST_LABEL,
};
use fairpanel::stats::StatsError;

/// Three panellists score six candidates on two questions; c1–c3 are in group X, c4–c6 in Y.
/// Rater A is lenient towards X and severe towards Y; C the reverse.
fn panel() -> Vec<Observation> {
    let a = [[4., 5.], [3., 4.], [5., 5.], [2., 3.], [3., 3.], [4., 2.]];
    let b = [[3., 4.], [3., 3.], [4., 4.], [3., 3.], [4., 3.], [4., 3.]];
    let c = [[3., 3.], [2., 4.], [4., 3.], [3., 4.], [4., 4.], [5., 3.]];
    let mut obs = Vec::new();
    for (rater, scores) in [("A", a), ("B", b), ("C", c)] {
        for (t, row) in scores.iter().enumerate() {
            for (i, s) in row.iter().enumerate() {
                obs.push(Observation {
                    target: format!("c{}", t + 1),
                    item: format!("q{}", i + 1),
                    rater: rater.to_string(),
                    group: Some(if t < 3 { "X" } else { "Y" }.to_string()),
                    score: *s,
                });
            }
        }
    }
    obs
}

#[test]
fn rater_effects_match_scipy_ttest_1samp() {
    // Deviations computed independently in Python (own score − mean of the other two), then
    // SciPy 1.17 scipy.stats.ttest_1samp(devs, 0) and .confidence_interval(0.95).
    // (rater, mean, t, p, lo, hi); n = 12, df = 11 for all.
    let expected = [
        (
            "A",
            0.125,
            0.4418894343490791,
            0.6671307107628139,
            -0.49760629837579684,
            0.7476062983757968,
        ),
        (
            "B",
            -0.125,
            -0.8206518066482898,
            0.4292705141721121,
            -0.4602495452792752,
            0.2102495452792752,
        ),
        ("C", 0.0, 0.0, 1.0, -0.6058012272104341, 0.6058012272104341),
    ];
    let effects = rater_effects(&panel(), 5).unwrap();
    assert_eq!(effects.len(), 3);
    for (e, (rater, mean, t, p, lo, hi)) in effects.iter().zip(expected) {
        assert_eq!(e.rater, rater);
        assert!(e.computable, "{:?}", e.note);
        assert_eq!(e.n, 12);
        assert_eq!(e.df, Some(11.0));
        assert_close!(e.mean_deviation.unwrap(), mean, 1e-12);
        assert_close!(e.t.unwrap(), t, 1e-10);
        assert_close!(e.p.unwrap(), p, 1e-9);
        assert_close!(e.ci95.unwrap()[0], lo, 1e-9);
        assert_close!(e.ci95.unwrap()[1], hi, 1e-9);
    }
}

#[test]
fn rater_effects_refuse_small_counts() {
    let effects = rater_effects(&panel(), 13).unwrap();
    for e in &effects {
        assert!(!e.computable);
        assert!(e.ci95.is_none() && e.p.is_none() && e.t.is_none());
        assert!(
            e.note.as_deref().unwrap().contains("too few"),
            "{:?}",
            e.note
        );
    }
    // A rater with no co-rater on any cell.
    let mut obs = panel();
    obs.push(Observation {
        target: "c9".into(),
        item: "q1".into(),
        rater: "D".into(),
        group: None,
        score: 3.0,
    });
    let d = rater_effects(&obs, 2).unwrap().pop().unwrap();
    assert_eq!((d.rater.as_str(), d.n, d.computable), ("D", 0, false));
    assert!(d.mean_deviation.is_none());
}

#[test]
fn rater_group_effect_matches_scipy_welch() {
    // SciPy 1.17 scipy.stats.ttest_ind(devs_X, devs_Y, equal_var=False) and
    // .confidence_interval(0.95), on the same independently computed deviations.
    // (rater, mean_X, mean_Y, t, df, p, lo, hi)
    let expected = [
        (
            "A",
            1.0,
            -0.75,
            8.174238913695993,
            8.287671232876711,
            3.0428427527077007e-05,
            1.2592809513171352,
            2.2407190486828648,
        ),
        (
            "B",
            -0.25,
            0.0,
            -0.8075728530872482,
            9.981132075471699,
            0.4381585572173092,
            -0.9399408218501358,
            0.43994082185013583,
        ),
        (
            "C",
            -0.75,
            0.75,
            -4.5573271518765,
            6.282527881040891,
            0.003439006505985019,
            -2.296678849724934,
            -0.7033211502750658,
        ),
    ];
    let obs = panel();
    for (rater, ma, mb, t, df, p, lo, hi) in expected {
        let g = rater_group_effect(&obs, rater, "X", "Y", 5).unwrap();
        assert_eq!((g.n_a, g.n_b), (6, 6));
        assert_close!(g.mean_a, ma, 1e-12);
        assert_close!(g.mean_b, mb, 1e-12);
        assert_close!(g.difference, ma - mb, 1e-12);
        assert_close!(g.t, t, 1e-10);
        assert_close!(g.df, df, 1e-10);
        assert!((g.p - p).abs() <= 1e-9 * p.max(1e-3), "p {} vs {}", g.p, p);
        assert_close!(g.ci95[0], lo, 1e-9);
        assert_close!(g.ci95[1], hi, 1e-9);
    }
}

#[test]
fn rater_group_effect_refuses_small_groups() {
    let err = rater_group_effect(&panel(), "A", "X", "Y", 7).unwrap_err();
    assert!(
        matches!(err, StatsError::NotComputable(ref m) if m.contains("at least 7")),
        "{err}"
    );
    assert!(matches!(
        rater_group_effect(&panel(), "A", "X", "Z", 2),
        Err(StatsError::NotComputable(_))
    ));
}

#[test]
fn rater_group_effects_cover_every_rater_and_group() {
    let all = rater_group_effects(&panel(), 5).unwrap();
    assert_eq!(all.len(), 6);
    let a_x = all
        .iter()
        .find(|e| e.rater == "A" && e.group == "X")
        .unwrap();
    let eff = a_x.effect.as_ref().unwrap();
    assert_eq!(eff.group_b, REST_LABEL);
    // With two groups, "X against the rest" is "X against Y".
    assert_close!(eff.t, 8.174238913695993, 1e-10);
    let small = rater_group_effects(&panel(), 10).unwrap();
    assert!(small.iter().all(|e| e.effect.is_none() && e.note.is_some()));
}

#[test]
fn duplicate_scores_and_conflicting_groups_are_invalid() {
    let mut obs = panel();
    obs.push(obs[0].clone());
    assert!(matches!(
        rater_effects(&obs, 2),
        Err(StatsError::InvalidInput(_))
    ));
    let mut obs = panel();
    obs[1].group = Some("Y".into());
    assert!(matches!(
        rater_effects(&obs, 2),
        Err(StatsError::InvalidInput(_))
    ));
}
