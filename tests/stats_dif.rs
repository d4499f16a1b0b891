//! Differential item functioning checked against published Mantel–Haenszel and Mantel results,
//! R's mantelhaen.test, statsmodels (StratifiedTable, OrderedModel) and an independent script
//! (tests/data/stats/dif_reference.py) that writes the data files and recomputes every figure
//! without sharing code with fairpanel.

#[macro_use]
mod common;

use fairpanel::stats::dif::{
    dif_logistic, dif_stratified, is_insufficient, logistic_dif, mantel_dif, DifOptions,
    RaterScore, StratumScore,
};
use fairpanel::stats::ordinal::fit_cumulative_logit;
use fairpanel::stats::proportions::cmh;

/// Rows of a CSV in tests/data/stats as maps from column name to cell.
fn rows(name: &str) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(format!("tests/data/stats/{name}")).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

fn strata_file(name: &str, focal: &str) -> Vec<StratumScore> {
    rows(name)
        .into_iter()
        .map(|r| StratumScore {
            stratum: r["stratum"].clone(),
            focal: r["group"] == focal,
            score: r["score"].parse().unwrap(),
        })
        .collect()
}

#[test]
fn binary_scores_reduce_to_mantel_haenszel_on_ucb_admissions() {
    // Bickel, Hammel & O'Connell (1975), six departments (R UCBAdmissions). R's
    // mantelhaen.test(UCBAdmissions, correct = FALSE) gives X-squared = 1.5246 (df = 1) and the
    // common odds ratio 0.9046968; statsmodels 0.15 StratifiedTable.test_null_odds(correction=
    // False) on the same table: 1.5246066604434356, p 0.21692369705551817, pooled odds ratio
    // 0.9046968282586231. Male applicants are the reference group, female the focal.
    let m = mantel_dif(&strata_file("ucb_admissions_dif.csv", "Female")).unwrap();
    assert_close!(m.chi2, 1.5246, 0.00005);
    assert_close!(m.chi2, 1.5246066604434356, 1e-10);
    assert_close!(m.p_value, 0.21692369705551817, 1e-10);
    assert_close!(m.la_psi.unwrap(), 0.9046968, 5e-8);
    assert_close!(m.la_psi.unwrap(), 0.9046968282586231, 1e-12);
    assert_eq!(
        (m.n_strata_used, m.n_used, m.n_ref_used, m.n_focal_used),
        (6, 4526, 2691, 1835)
    );
    assert_close!(m.sum_focal_observed, 557.0, 1e-9);
    // Independent script: E = 541.6428334169743, V = 154.6907616094244, SMD = 0.001087790053228805
    // with SE 0.01581351158631573 (Zwick & Thayer 1996, eq. 7), ES 0.002232311654253064.
    assert_close!(m.sum_focal_expected, 541.6428334169743, 1e-9);
    assert_close!(m.sum_variance, 154.6907616094244, 1e-9);
    assert_close!(m.smd, 0.001087790053228805, 1e-12);
    assert_close!(m.smd_se, 0.01581351158631573, 1e-12);
    assert_close!(m.effect_size, 0.002232311654253064, 1e-12);
    assert_close!(
        m.z_mantel,
        (557.0 - 541.6428334169743) / 154.6907616094244f64.sqrt(),
        1e-9
    );
    assert_eq!(m.ets_class, "AA");
    // The project's own CMH (src/stats/proportions.rs) on the 2 × 2 × 6 table agrees.
    let counts: [[u64; 4]; 6] = [
        [512, 313, 89, 19],
        [353, 207, 17, 8],
        [120, 205, 202, 391],
        [138, 279, 131, 244],
        [53, 138, 94, 299],
        [22, 351, 24, 317],
    ];
    let c = cmh(&counts, false).unwrap();
    assert_close!(m.chi2, c.chi2, 1e-9);
    assert_close!(m.la_psi.unwrap(), c.common_odds_ratio, 1e-12);
    assert_close!(m.la_delta.unwrap(), -2.35 * c.common_odds_ratio.ln(), 1e-12);
}

#[test]
fn binary_scores_match_the_sas_migraine_example() {
    // SAS/STAT User's Guide, PROC FREQ, "Cochran-Mantel-Haenszel Statistics" (Migraine data):
    // all three CMH statistics 8.3052, p 0.0040.
    let m = mantel_dif(&strata_file("migraine_dif.csv", "Active")).unwrap();
    assert_close!(m.chi2, 8.3052, 0.00005);
    assert_close!(m.p_value, 0.0040, 0.00005);
    assert_close!(m.chi2, 8.305169335459192, 1e-10);
    assert_close!(m.smd, 0.2738461538461538, 1e-12);
    assert_close!(m.smd_se, 0.09499581386657822, 1e-12);
    assert_close!(m.la_psi.unwrap(), 0.30182591982427237, 1e-12);
}

#[test]
fn ordered_scores_match_published_and_independent_mantel_statistics() {
    // Koch & Edwards (1988) arthritis trial (R vcd::Arthritis), improvement 1/2/3, Placebo the
    // reference and Treated the focal group. Ignoring sex (one stratum) SAS PROC FREQ reports the
    // Mantel-Haenszel chi-square 12.859 (Friendly, York University SCS short course "Categorical
    // data analysis", Arthritis example); stratified by sex, the independent script gives
    // Mantel's statistic 14.631940141806878.
    let scores = strata_file("arthritis_dif.csv", "Treated");
    let pooled: Vec<StratumScore> = scores
        .iter()
        .map(|s| StratumScore {
            stratum: "all".into(),
            ..s.clone()
        })
        .collect();
    let one = mantel_dif(&pooled).unwrap();
    assert_close!(one.chi2, 12.859, 0.0005);
    assert_close!(one.chi2, 12.859017740137297, 1e-10);
    let m = mantel_dif(&scores).unwrap();
    assert_close!(m.chi2, 14.631940141806878, 1e-10);
    assert_close!(m.p_value, 0.00013068086464755743, 1e-14);
    assert_close!(m.sum_focal_observed, 90.0, 1e-12);
    assert_close!(m.sum_focal_expected, 74.4671186440678, 1e-10);
    assert_close!(m.sum_variance, 16.489296763051968, 1e-10);
    assert_close!(m.smd, 0.7420315964523281, 1e-12);
    assert_close!(m.smd_se, 0.1955556297900703, 1e-12);
    assert_close!(m.smd_z, 0.7420315964523281 / 0.1955556297900703, 1e-10);
    assert_close!(m.sd_item, 0.9029180716857467, 1e-12);
    assert_close!(m.effect_size, 0.8218149793667948, 1e-12);
    assert_close!(m.la_psi.unwrap(), 0.1655071935895101, 1e-12);
    assert_close!(m.la_delta.unwrap(), 4.227040455383166, 1e-10);
    // The focal (treated) group scores higher than matched reference members: CC+.
    assert_eq!(m.ets_class, "CC+");
    assert!(m.z_mantel > 0.0);
}

#[test]
fn a_stratum_without_both_groups_is_left_out_and_none_at_all_is_insufficient() {
    let mut scores = strata_file("arthritis_dif.csv", "Treated");
    let base = mantel_dif(&scores).unwrap();
    // A stratum of focal members only changes nothing but is not counted as used.
    for x in [1.0, 3.0, 3.0] {
        scores.push(StratumScore {
            stratum: "only-focal".into(),
            focal: true,
            score: x,
        });
    }
    let m = mantel_dif(&scores).unwrap();
    assert_eq!(m.n_strata_used, 2);
    assert_eq!(m.n_used, 84);
    assert_close!(m.chi2, base.chi2, 1e-12);
    let only_focal: Vec<StratumScore> = scores.into_iter().filter(|s| s.focal).collect();
    let e = mantel_dif(&only_focal).unwrap_err();
    assert!(is_insufficient(&e), "{e}");
}

fn panel() -> Vec<RaterScore> {
    rows("panel_dif.csv")
        .into_iter()
        .map(|r| RaterScore {
            vacancy: r["vacancy"].clone(),
            candidate: r["candidate"].clone(),
            rater: r["rater"].clone(),
            question: r["question"].clone(),
            score: r["score"].parse().unwrap(),
            group: r["group"].clone(),
        })
        .collect()
}

fn opts(purify: bool) -> DifOptions {
    DifOptions {
        reference: "White".into(),
        focal: "Black".into(),
        bands: 5,
        by_vacancy: false,
        purify,
    }
}

#[test]
fn rater_level_pipeline_matches_an_independent_implementation() {
    // panel_dif.csv: 150 candidates in 3 vacancies (panels of 3, 4 and 2), 5 questions, Q3 scored
    // 0.9 lower for the focal group. The independent script computes panel means, the matching
    // score over all five questions, five equal-count bands with cuts halfway between adjacent
    // observed scores, and Mantel/SMD/Liu–Agresti per question.
    let r = dif_stratified(&panel(), &opts(true)).unwrap();
    assert_eq!((r.n_reference + r.n_focal, r.n_other), (150, 0));
    let expected = [
        (
            "Q1",
            16.495449078507843,
            0.342029588015315,
            0.08204057810848596,
            0.35270704725588503,
        ),
        (
            "Q2",
            7.883980613967972,
            0.22674243501072217,
            0.0804491932558767,
            0.2491034029710521,
        ),
        (
            "Q3",
            46.20239196907833,
            -0.6058883782735255,
            0.0886128746260018,
            -0.5799169874871675,
        ),
        (
            "Q4",
            1.7955706531972004,
            0.08181724052040755,
            0.0757532854350935,
            0.08082600259231616,
        ),
        (
            "Q5",
            2.705630880962267,
            0.14337364055807408,
            0.07608504133567486,
            0.15004456473001596,
        ),
    ];
    for (q, (name, chi2, smd, se, es)) in r.questions.iter().zip(expected) {
        assert_eq!(q.question, name);
        let s1 = &q.stage1;
        assert_eq!(s1.status, "ok");
        assert_eq!(s1.matching, ["Q1", "Q2", "Q3", "Q4", "Q5"]);
        let cuts = s1.cuts.as_ref().unwrap();
        let py = [
            2.2333333333333334,
            2.716666666666667,
            3.0833333333333335,
            3.6500000000000004,
        ];
        for (a, b) in cuts.iter().zip(py) {
            assert_close!(*a, b, 1e-12);
        }
        let m = s1.result.as_ref().unwrap();
        assert_eq!((m.n_strata_used, m.n_used), (5, 150));
        assert_close!(m.chi2, chi2, 1e-9);
        assert_close!(m.smd, smd, 1e-12);
        assert_close!(m.smd_se, se, 1e-12);
        assert_close!(m.effect_size, es, 1e-12);
    }
    // The planted question is CC- (against the focal group); contamination of the matching score
    // pushes Q1 and Q2 the other way, which is why purification exists.
    let class = |i: usize| {
        r.questions[i]
            .stage1
            .result
            .as_ref()
            .unwrap()
            .ets_class
            .clone()
    };
    assert_eq!(class(2), "CC-");
    assert_eq!(class(0), "CC+");
    assert_eq!(class(1), "BB+");
    let flagged: Vec<bool> = r.questions.iter().map(|q| q.flagged_stage1).collect();
    assert_eq!(flagged, [true, true, true, false, false]);
    // Stage 2 matches on the unflagged questions plus the studied one.
    let q3 = &r.questions[2];
    assert_eq!(q3.anchor_stage2.as_deref().unwrap(), ["Q4", "Q5"]);
    let s2 = q3.stage2.as_ref().unwrap();
    assert_eq!(s2.matching, ["Q3", "Q4", "Q5"]);
    assert_eq!(s2.result.as_ref().unwrap().ets_class, "CC-");
    // Once Q3 is out of the matching score, Q1's apparent DIF shrinks.
    let q1_s2 = r.questions[0]
        .stage2
        .as_ref()
        .unwrap()
        .result
        .as_ref()
        .unwrap();
    let q1_s1 = r.questions[0].stage1.result.as_ref().unwrap();
    assert!(q1_s2.effect_size.abs() < q1_s1.effect_size.abs());
    // Without purification there is no second stage.
    let plain = dif_stratified(&panel(), &opts(false)).unwrap();
    assert!(plain
        .questions
        .iter()
        .all(|q| q.stage2.is_none() && q.anchor_stage2.is_none()));
}

#[test]
fn crossing_bands_with_vacancy_uses_more_strata() {
    let mut o = opts(false);
    o.by_vacancy = true;
    let r = dif_stratified(&panel(), &o).unwrap();
    let m = r.questions[2].stage1.result.as_ref().unwrap();
    assert!(m.n_strata_used > 5 && m.n_strata_used <= 15);
    assert_eq!(m.ets_class, "CC-");
}

#[test]
fn a_candidate_in_two_groups_is_invalid() {
    let mut data = panel();
    data[0].group = "Asian".into();
    assert!(dif_stratified(&data, &opts(false)).is_err());
}

#[test]
fn a_question_only_one_group_answered_is_insufficient_data() {
    let mut data = panel();
    data.retain(|d| !(d.question == "Q5" && d.group == "Black"));
    let r = dif_stratified(&data, &opts(false)).unwrap();
    let q5 = &r.questions[4];
    assert_eq!(q5.stage1.status, "insufficient_data");
    assert!(q5.stage1.result.is_none());
    assert!(!q5.flagged_stage1);
    // The focal candidates lack Q5, which is in everyone's matching set, so every other question
    // loses them too and is insufficient as well: never "no DIF".
    assert!(r
        .questions
        .iter()
        .all(|q| q.stage1.status == "insufficient_data"));
    assert!(r.questions[0].stage1.n_excluded_incomplete > 0);
}

/// ordinal_dif.csv as (focal, matching, score).
fn ordinal_rows() -> Vec<(bool, f64, f64)> {
    rows("ordinal_dif.csv")
        .into_iter()
        .map(|r| {
            (
                r["group"] == "Black",
                r["matching"].parse().unwrap(),
                r["score"].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn cumulative_logit_matches_statsmodels_ordered_model() {
    // statsmodels 0.15.0 OrderedModel(y, X, distr="logit").fit(method="newton") on
    // ordinal_dif.csv (400 generated candidates, scores 1-5); thresholds from
    // transform_threshold_params. Coefficients and log-likelihoods to 1e-7; standard errors to a
    // relative 1e-4, because statsmodels differentiates the likelihood numerically for them.
    let data = ordinal_rows();
    let y: Vec<f64> = data.iter().map(|r| r.2).collect();
    let g = |r: &(bool, f64, f64)| if r.0 { 1.0 } else { 0.0 };
    type Case = (Vec<Vec<f64>>, f64, Vec<f64>, Vec<f64>, Vec<f64>, f64);
    let cases: Vec<Case> = vec![
        (
            data.iter().map(|r| vec![r.1]).collect(),
            -554.8283597019691,
            vec![1.6299416945736065],
            vec![0.14084835833259243],
            vec![
                3.3561724427769937,
                4.54163898507782,
                5.851926538127561,
                7.240904864778898,
            ],
            0.40473815914933153,
        ),
        (
            data.iter().map(|r| vec![r.1, g(r)]).collect(),
            -548.938211640113,
            vec![1.6718994092392236, -0.6612922535042179],
            vec![0.14245198491639768, 0.1939920298948001],
            vec![
                3.212087741984171,
                4.4200910681402785,
                5.753227794882884,
                7.1757463471520175,
            ],
            0.4076104186922022,
        ),
        (
            data.iter().map(|r| vec![r.1, g(r), r.1 * g(r)]).collect(),
            -548.522831601837,
            vec![1.7664277758783984, 0.0452265091719848, -0.2324403319971869],
            vec![0.17784554464344915, 0.7956298361078649, 0.2542095680484401],
            vec![
                3.4933886739655264,
                4.6988745610370355,
                6.034083323196404,
                7.4670643350790264,
            ],
            0.5158518943928072,
        ),
    ];
    for (x, llf, beta, se, thresholds, se_theta0) in cases {
        let fit = fit_cumulative_logit(&y, &x).unwrap();
        assert_close!(fit.loglik, llf, 1e-7);
        for (a, b) in fit.beta.iter().zip(&beta) {
            assert_close!(*a, *b, 1e-7);
        }
        for (a, b) in fit.se_beta.iter().zip(&se) {
            assert_close!(*a, *b, 1e-4 * b.abs());
        }
        for (a, b) in fit.thresholds.iter().zip(&thresholds) {
            assert_close!(*a, *b, 1e-7);
        }
        // statsmodels reports the first threshold on the same scale, so its SE is comparable.
        assert_close!(fit.se_thresholds[0], se_theta0, 1e-4 * se_theta0);
        assert_eq!(fit.categories, [1.0, 2.0, 3.0, 4.0, 5.0]);
    }
}

#[test]
fn regression_dif_statistics_follow_from_the_three_fits() {
    let l = logistic_dif(&ordinal_rows()).unwrap();
    // Likelihood-ratio chi-squares from the statsmodels log-likelihoods above.
    let (ll0, ll1, ll2) = (-554.8283597019691, -548.938211640113, -548.522831601837);
    assert_close!(l.chi2_uniform, 2.0 * (ll1 - ll0), 2e-7);
    assert_close!(l.chi2_nonuniform, 2.0 * (ll2 - ll1), 2e-7);
    assert_close!(l.chi2_total, 2.0 * (ll2 - ll0), 2e-7);
    assert_close!(l.beta_group_m1, -0.6612922535042179, 1e-7);
    assert_close!(l.se_beta_group_m1, 0.1939920298948001, 2e-5);
    assert_close!(
        l.beta_change,
        (1.6299416945736065 - 1.6718994092392236) / 1.6299416945736065,
        1e-7
    );
    // Null model: thresholds only, ln-likelihood Σ n_j ln(n_j/n). R² from their definitions.
    let counts = {
        let mut c = [0.0f64; 5];
        for r in ordinal_rows() {
            c[r.2 as usize - 1] += 1.0;
        }
        c
    };
    let ll_null: f64 = counts.iter().map(|c| c * (c / 400.0).ln()).sum();
    let nagel = |ll: f64| {
        (1.0 - (2.0 * (ll_null - ll) / 400.0).exp()) / (1.0 - (2.0 * ll_null / 400.0).exp())
    };
    assert_close!(l.m1.r2_nagelkerke, nagel(ll1), 1e-9);
    assert_close!(l.m0.r2_mcfadden, 1.0 - ll0 / ll_null, 1e-9);
    assert_close!(l.delta_r2_nagelkerke.total, nagel(ll2) - nagel(ll0), 1e-9);
    assert!(l.p_uniform < 0.001 && l.p_nonuniform > 0.05);
    // A significant but small R² change: negligible (A) on both scales.
    assert!(l.delta_r2_nagelkerke.total < 0.035);
    assert_eq!(
        (l.class_jodoin_gierl.as_str(), l.class_zumbo_thomas.as_str()),
        ("A", "A")
    );
    assert_eq!((l.n_ref_used + l.n_focal_used, l.categories), (400, 5));
}

#[test]
fn regression_dif_on_rater_level_data_and_separation() {
    let r = dif_logistic(&panel(), &opts(true)).unwrap();
    let q3 = r.questions[2].stage1.result.as_ref().unwrap();
    assert!(q3.beta_group_m1 < 0.0 && q3.p_uniform < 0.001);
    // Complete separation by group: reported as not computable with a reason.
    let sep: Vec<(bool, f64, f64)> = (0..20)
        .map(|i| {
            (
                i % 2 == 0,
                (i / 2) as f64,
                if i % 2 == 0 { 1.0 } else { 2.0 },
            )
        })
        .collect();
    let e = logistic_dif(&sep).unwrap_err();
    assert!(
        e.to_string().contains("separat") || e.to_string().contains("finite"),
        "{e}"
    );
}
