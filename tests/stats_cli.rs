//! `fairpanel stats ...` run as a real binary on small CSV fixtures.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const DATA: &str = "tests/data/stats";

fn fairpanel() -> Command {
    Command::cargo_bin("fairpanel").unwrap()
}

fn data(name: &str) -> String {
    format!("{DATA}/{name}")
}

fn json_of(args: &[&str]) -> Value {
    let out = fairpanel()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("stdout is JSON")
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

fn close(v: &Value, expected: f64, tol: f64) -> bool {
    (v.as_f64().unwrap() - expected).abs() <= tol
}

#[test]
fn icc_json_has_stable_keys_and_psych_values() {
    let v = json_of(&[
        "stats",
        "icc",
        &data("shrout_fleiss_long.csv"),
        "--format",
        "json",
    ]);
    assert_eq!(
        keys(&v),
        ["dropped_targets", "forms", "n_raters", "n_targets"]
    );
    assert_eq!(v["n_targets"], 6);
    assert_eq!(v["n_raters"], 4);
    assert_eq!(v["dropped_targets"], serde_json::json!([]));
    let forms = v["forms"].as_array().unwrap();
    let types: Vec<&str> = forms.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]);
    for f in forms {
        assert_eq!(keys(f), ["ci95", "df1", "df2", "f", "icc", "p", "type"]);
    }
    // Shrout & Fleiss (1979) Table 4 and R psych 2.2.9 ICC(sf, lmer = FALSE).
    let icc2 = &forms[1];
    assert!(close(&icc2["icc"], 0.2897637795, 1e-9));
    assert!(close(&icc2["f"], 11.027247956, 1e-8));
    assert_eq!(
        (icc2["df1"].as_u64(), icc2["df2"].as_u64()),
        (Some(5), Some(15))
    );
    assert!(close(&icc2["ci95"][0], 0.01878651337, 1e-6));
    assert!(close(&icc2["ci95"][1], 0.7610843696, 1e-6));
    assert!(close(&forms[5]["icc"], 0.9093155424, 1e-9));
}

#[test]
fn icc_text_is_a_table_with_its_convention() {
    fairpanel()
        .args(["stats", "icc", &data("shrout_fleiss_long.csv")])
        .assert()
        .success()
        .stdout(predicate::str::contains("6 targets x 4 raters"))
        .stdout(
            predicate::str::is_match(
                r"ICC2 +two-way random, absolute agreement, single rater +0\.290 +11\.03 +5 +15",
            )
            .unwrap(),
        )
        .stdout(predicate::str::contains("[0.019, 0.761]"))
        .stdout(predicate::str::contains("psych::ICC"));
}

#[test]
fn icc_renamed_columns_and_dropped_target() {
    let v = json_of(&[
        "stats",
        "icc",
        &data("renamed_columns.csv"),
        "--target-col",
        "candidate",
        "--rater-col",
        "panellist",
        "--score-col",
        "mark",
        "--format",
        "json",
    ]);
    assert_eq!(v["dropped_targets"], serde_json::json!(["T7"]));
    assert!(close(&v["forms"][0]["icc"], 0.1657417684, 1e-9));
}

#[test]
fn icc_reads_standard_input() {
    let csv = std::fs::read_to_string(data("shrout_fleiss_long.csv")).unwrap();
    let out = fairpanel()
        .args(["stats", "icc", "-", "--format", "json"])
        .write_stdin(csv)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["n_targets"], 6);
}

#[test]
fn alpha_matches_krippendorff_2011_at_every_level() {
    // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", worked example.
    for (level, expected) in [
        ("nominal", 0.743),
        ("ordinal", 0.815),
        ("interval", 0.849),
        ("ratio", 0.797),
    ] {
        let v = json_of(&[
            "stats",
            "alpha",
            &data("krippendorff_2011.csv"),
            "--level",
            level,
            "--format",
            "json",
        ]);
        assert_eq!(keys(&v), ["alpha", "level", "raters", "units"]);
        assert!(
            close(&v["alpha"], expected, 0.0005),
            "{level}: {}",
            v["alpha"]
        );
        assert_eq!(v["level"], level);
        // Unit 12 has a single value, so 11 units are pairable.
        assert_eq!(v["units"], 11);
        assert_eq!(v["raters"], 4);
    }
    fairpanel()
        .args([
            "stats",
            "alpha",
            &data("krippendorff_2011.csv"),
            "--level",
            "interval",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Krippendorff's alpha (interval): 0.849",
        ));
}

#[test]
fn alpha_requires_a_level() {
    fairpanel()
        .args(["stats", "alpha", &data("krippendorff_2011.csv")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--level"));
}

#[test]
fn kendall_json_matches_irr_anxiety() {
    // irr::kendall(anxiety, TRUE): W = 0.5396569 (DescTools KendallW documentation); chi2 and p
    // from R 4.2.2 (friedman.test on the same data gives 30.760442, p = 0.04288347).
    let v = json_of(&[
        "stats",
        "kendall",
        &data("anxiety_long.csv"),
        "--format",
        "json",
    ]);
    assert_eq!(keys(&v), ["chi2", "df", "p", "w"]);
    assert!(close(&v["w"], 0.5396569, 5e-8));
    assert!(close(&v["chi2"], 30.7604419294, 1e-8));
    assert_eq!(v["df"], 19);
    assert!(close(&v["p"], 0.0428834731269, 1e-10));
}

#[test]
fn impact_json_eeoc_example() {
    // 29 CFR 1607.4D / Uniform Guidelines Q&A 12: 80/120 White vs 12/40 Black, ratio 0.45.
    let v = json_of(&["stats", "impact", &data("impact.csv"), "--format", "json"]);
    assert_eq!(keys(&v), ["groups", "reference_group"]);
    assert_eq!(v["reference_group"], "White");
    let g = v["groups"].as_array().unwrap();
    for x in g {
        assert_eq!(
            keys(x),
            [
                "adverse",
                "applicants",
                "ci95",
                "fisher_p",
                "group",
                "impact_ratio",
                "rate",
                "selected"
            ]
        );
    }
    assert_eq!(g[0]["impact_ratio"], 1.0);
    assert_eq!(g[0]["adverse"], false);
    assert!(close(&g[1]["impact_ratio"], 0.45, 1e-12));
    assert_eq!(g[1]["adverse"], true);
    assert!(close(&g[1]["fisher_p"], 7.89579082682e-05, 1e-12));
}

#[test]
fn impact_exact_four_fifths_and_empty_group() {
    let v = json_of(&[
        "stats",
        "impact",
        &data("impact_boundary.csv"),
        "--format",
        "json",
    ]);
    let g = v["groups"].as_array().unwrap();
    assert_eq!(g[1]["adverse"], false);
    assert!(close(&g[1]["impact_ratio"], 0.8, 1e-12));
    assert!(g[2]["rate"].is_null() && g[2]["adverse"].is_null());
    assert!(g[2]["note"].as_str().unwrap().contains("no applicants"));
    fairpanel()
        .args(["stats", "impact", &data("impact_boundary.csv")])
        .assert()
        .success()
        .stdout(predicate::str::contains("four-fifths"))
        .stdout(predicate::str::contains("Wilson"));
}

#[test]
fn wres_json_and_no_bme_appointment() {
    let v = json_of(&[
        "stats",
        "wres",
        "--white-shortlisted",
        "500",
        "--white-appointed",
        "161",
        "--bme-shortlisted",
        "500",
        "--bme-appointed",
        "100",
        "--format",
        "json",
    ]);
    assert_eq!(
        keys(&v),
        [
            "bme_rate",
            "ci95",
            "relative_likelihood",
            "relative_likelihood_infinite",
            "white_rate"
        ]
    );
    assert!(close(&v["relative_likelihood"], 1.61, 1e-12));
    assert_eq!(v["relative_likelihood_infinite"], false);
    // SciPy relative_risk(161, 500, 100, 500).confidence_interval() (Katz).
    assert!(close(&v["ci95"][0], 1.2964761238126685, 1e-12));
    assert!(close(&v["ci95"][1], 1.999342643023127, 1e-12));
    // No BME applicant appointed: the case HR most needs to see is a result, not an error exit.
    let args = [
        "stats",
        "wres",
        "--white-shortlisted",
        "10",
        "--white-appointed",
        "3",
        "--bme-shortlisted",
        "8",
        "--bme-appointed",
        "0",
    ];
    let mut with_json = args.to_vec();
    with_json.extend(["--format", "json"]);
    let v = json_of(&with_json);
    assert!(v["relative_likelihood"].is_null());
    assert_eq!(v["relative_likelihood_infinite"], true);
    assert!(v["ci95"].is_null());
    assert!(close(&v["white_rate"], 0.3, 1e-15));
    assert_eq!(v["bme_rate"], 0.0);
    assert!(v["note"].as_str().unwrap().contains("infinite"));
    fairpanel()
        .args(args)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "compared with BME shortlisted applicants: infinite (no confidence interval)",
        ))
        .stdout(predicate::str::contains(
            "White: 3 of 10 appointed (30.0%); BME: 0 of 8",
        ))
        .stdout(predicate::str::contains("NaN").not());
    // Nobody shortlisted in a group is still not computable.
    fairpanel()
        .args([
            "stats",
            "wres",
            "--white-shortlisted",
            "10",
            "--white-appointed",
            "3",
            "--bme-shortlisted",
            "0",
            "--bme-appointed",
            "0",
        ])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(
            "no BME applicants were shortlisted",
        ));
}

#[test]
fn impact_with_nobody_selected_reports_rates() {
    let out = fairpanel()
        .args(["stats", "impact", "-", "--format", "json"])
        .write_stdin("group,applicants,selected\nWhite,40,0\nBlack,25,0\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert!(v["reference_group"].is_null());
    let g = v["groups"].as_array().unwrap();
    assert_eq!(g[0]["rate"], 0.0);
    // statsmodels 0.15 proportion_confint(0, 40, method="wilson") upper bound.
    assert!(close(&g[0]["ci95"][1], 0.0876216, 5e-7));
    assert!(g[0]["impact_ratio"].is_null() && g[1]["adverse"].is_null());
    fairpanel()
        .args(["stats", "impact", "-"])
        .write_stdin("group,applicants,selected\nWhite,40,0\nBlack,25,0\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("no reference group"))
        .stdout(predicate::str::contains("[0.0%, 8.8%]"));
}

#[test]
fn fisher_json() {
    // Tea-tasting table: R fisher.test p = 0.4857.
    let v = json_of(&["stats", "fisher", "3", "1", "1", "3", "--format", "json"]);
    assert_eq!(
        keys(&v),
        ["odds_ratio", "p_greater", "p_less", "p_two_sided"]
    );
    assert!(close(&v["p_two_sided"], 0.485714285714, 1e-11));
    assert!(close(&v["odds_ratio"], 9.0, 1e-12));
    let v = json_of(&["stats", "fisher", "10", "0", "0", "10", "--format", "json"]);
    assert!(v["odds_ratio"].is_null());
    fairpanel()
        .args(["stats", "fisher", "6", "2", "1", "4"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0.1026"));
}

#[test]
fn bad_number_names_file_row_and_column() {
    fairpanel()
        .args(["stats", "icc", &data("bad_number.csv")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "bad_number.csv: row 3, column 'score': cannot read \"abc\" as a number",
        ));
}

#[test]
fn formula_cells_are_data_not_formulas() {
    fairpanel()
        .args(["stats", "icc", &data("formula.csv")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "row 2, column 'score': cannot read \"=1+2\" as a number",
        ));
}

#[test]
fn missing_column_lists_the_columns_found() {
    fairpanel()
        .args(["stats", "icc", &data("bad_header.csv")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "bad_header.csv: missing column 'score' (columns found: target, rater, points)",
        ));
}

#[test]
fn ragged_row_is_reported_by_row() {
    fairpanel()
        .args(["stats", "icc", &data("ragged.csv")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "ragged.csv: row 3 has 2 fields but the header has 3 columns",
        ));
}

#[test]
fn duplicate_pair_names_both_rows() {
    fairpanel()
        .args(["stats", "kendall", &data("duplicate.csv")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "rows 2 and 6 both give a score for target 'T1' by rater 'J1'",
        ));
}

#[test]
fn one_rater_is_not_computable_not_nan() {
    fairpanel()
        .args(["stats", "icc", &data("one_rater.csv"), "--format", "json"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(
            "not computable: ICC needs at least 2 raters",
        ));
}

#[test]
fn missing_file_is_a_clear_error() {
    fairpanel()
        .args(["stats", "impact", "no/such/file.csv"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no/such/file.csv: cannot open"));
}

#[test]
fn impact_rejects_more_selected_than_applied() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "\u{feff}Group,Applicants,Selected\nA,10,4\nB,5,6\n").unwrap();
    fairpanel()
        .args(["stats", "impact", path.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "row 3: 6 selected but only 5 applicants",
        ));
}

#[test]
fn header_only_file_is_a_clear_error() {
    fairpanel()
        .args(["stats", "kendall", "-"])
        .write_stdin("target,rater,score\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "<stdin>: no data rows after the header",
        ));
}

#[test]
fn kendall_lists_dropped_targets_only_when_there_are_some() {
    let v = json_of(&[
        "stats",
        "kendall",
        &data("renamed_columns.csv"),
        "--target-col",
        "Candidate",
        "--rater-col",
        "Panellist",
        "--score-col",
        "Mark",
        "--format",
        "json",
    ]);
    assert_eq!(v["dropped_targets"], serde_json::json!(["T7"]));
    assert_eq!(keys(&v), ["chi2", "df", "dropped_targets", "p", "w"]);
}

#[test]
fn impact_uniform_guidelines_qa_rates() {
    // Uniform Guidelines Q&A (1979): 60%, 45%, 48%, 51% -> adverse for 45/60 only; 48/60 is
    // exactly 80% and not adverse.
    let v = json_of(&[
        "stats",
        "impact",
        &data("impact_uniform_guidelines.csv"),
        "--format",
        "json",
    ]);
    let adverse: Vec<bool> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["adverse"].as_bool().unwrap())
        .collect();
    assert_eq!(adverse, [false, true, false, false]);
}

#[test]
fn gtheory_json_has_stable_keys_and_brennan_values() {
    // Brennan (2001) Synthetic Data Set No. 3 (p x i x o, occasions as raters): published
    // σ²(p) = .5528, σ²(pri) = .9352, Eρ² = .64, Φ = .55.
    let v = json_of(&[
        "stats",
        "gtheory",
        &data("brennan_synthetic3_long.csv"),
        "--design",
        "p x r x i",
        "--format",
        "json",
    ]);
    assert_eq!(
        keys(&v),
        [
            "components",
            "d_study",
            "design",
            "dropped_candidates",
            "g_coef",
            "min_questions_g_0_80",
            "min_raters_g_0_80",
            "min_raters_phi_0_80",
            "phi",
            "sem_abs",
            "sem_rel",
            "sizes",
            "var_abs_error",
            "var_rel_error",
            "var_universe"
        ]
    );
    assert_eq!(v["design"], "p x r x i");
    for c in v["components"].as_array().unwrap() {
        assert_eq!(
            keys(c),
            ["df", "ms", "percent", "source", "ss", "var", "var_used"]
        );
    }
    assert_eq!(v["components"][0]["source"], "p");
    assert!(close(&v["components"][0]["var"], 0.5528, 0.00005));
    assert!(close(&v["components"][6]["var"], 0.9352, 0.00005));
    assert!(close(&v["g_coef"], 0.64, 0.005));
    assert!(close(&v["phi"], 0.55, 0.005));
    assert_eq!(
        keys(&v["d_study"][0]),
        ["g_coef", "phi", "questions", "raters"]
    );
    assert_eq!(v["d_study"].as_array().unwrap().len(), 36);
    assert!(v["min_raters_g_0_80"].is_null());
    assert_eq!(keys(&v["sizes"]), ["candidates", "questions", "raters"]);
}

#[test]
fn gtheory_text_answers_how_many_panellists() {
    fairpanel()
        .args([
            "stats",
            "gtheory",
            &data("brennan_synthetic4_long.csv"),
            "--design",
            "p x (r:i)",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("pr:i"))
        .stdout(predicate::str::contains(
            "With 4 panellists and 3 questions, decisions reach G = 0.55 (Φ = 0.46).",
        ))
        .stdout(predicate::str::contains("Questions needed for G ≥ 0.80"));
    // p x r on the Shrout & Fleiss data: one-facet intervals, and Φ is ICC2k (0.620).
    let v = json_of(&[
        "stats",
        "gtheory",
        &data("shrout_fleiss_long.csv"),
        "--design",
        "p x r",
        "--candidate-col",
        "target",
        "--format",
        "json",
    ]);
    assert!(close(&v["phi"], 0.6200505476, 1e-9));
    assert_eq!(keys(&v["ci95"]), ["g_coef", "phi"]);
    assert!(close(&v["ci95"]["g_coef"][0], 0.67567471382, 1e-9));
    assert_eq!(v["min_raters_g_0_80"], 2);
    assert!(v["min_questions_g_0_80"].is_null());
}

#[test]
fn gtheory_input_errors_name_the_row_and_column() {
    fairpanel()
        .args(["stats", "gtheory", "-", "--design", "p x r x i"])
        .write_stdin("candidate,rater,question,score\nC1,R1,Q1,3\nC1,R2,Q1,four\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "<stdin>: row 3, column 'score': cannot read \"four\" as a number",
        ));
    fairpanel()
        .args(["stats", "gtheory", "-", "--design", "p x r x i"])
        .write_stdin("candidate,rater,question,score\nC1,R1,Q1,3\nC1,R1,Q1,4\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "rows 2 and 3 both give a score for candidate 'C1' by rater 'R1' on question 'Q1'",
        ));
    fairpanel()
        .args([
            "stats",
            "gtheory",
            &data("brennan_synthetic3_long.csv"),
            "--design",
            "(p x r x i):v",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing column 'vacancy'"));
    fairpanel()
        .args([
            "stats",
            "gtheory",
            &data("brennan_synthetic3_long.csv"),
            "--design",
            "p by r",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown design 'p by r'"));
}

#[test]
fn dif_explicit_strata_reduce_to_mantel_haenszel() {
    // UCB admissions: R mantelhaen.test(UCBAdmissions, correct = FALSE) X-squared = 1.5246,
    // common odds ratio 0.9046968.
    let v = json_of(&[
        "stats",
        "dif",
        &data("ucb_admissions_dif.csv"),
        "--reference",
        "Male",
        "--focal",
        "Female",
        "--format",
        "json",
    ]);
    assert_eq!(
        keys(&v),
        [
            "focal",
            "input",
            "n_focal",
            "n_other",
            "n_reference",
            "questions",
            "reference"
        ]
    );
    assert_eq!(v["input"], "strata");
    let q = &v["questions"][0];
    assert_eq!(
        keys(q),
        [
            "chi2",
            "effect_size",
            "ets_class",
            "la_delta",
            "la_log_psi",
            "la_psi",
            "n_focal_used",
            "n_ref_used",
            "n_strata_used",
            "n_used",
            "p_value",
            "question",
            "sd_item",
            "smd",
            "smd_se",
            "smd_z",
            "status",
            "sum_focal_expected",
            "sum_focal_observed",
            "sum_variance",
            "z_mantel"
        ]
    );
    assert!(close(&q["chi2"], 1.5246, 0.00005));
    assert!(close(&q["la_psi"], 0.9046968, 5e-8));
    assert_eq!(q["n_strata_used"], 6);
    assert_eq!(q["ets_class"], "AA");
}

#[test]
fn dif_rater_level_with_purification_flags_the_planted_question() {
    let v = json_of(&[
        "stats",
        "dif",
        &data("panel_dif.csv"),
        "--reference",
        "White",
        "--focal",
        "Black",
        "--purify",
        "--format",
        "json",
    ]);
    let q3 = &v["questions"][2];
    assert_eq!(
        keys(q3),
        [
            "anchor_stage2",
            "flagged_stage1",
            "question",
            "stage1",
            "stage2"
        ]
    );
    assert_eq!(q3["stage1"]["ets_class"], "CC-");
    assert_eq!(q3["flagged_stage1"], true);
    assert_eq!(q3["anchor_stage2"], serde_json::json!(["Q4", "Q5"]));
    assert_eq!(q3["stage2"]["ets_class"], "CC-");
    assert_eq!(
        q3["stage2"]["matching"],
        serde_json::json!(["Q3", "Q4", "Q5"])
    );
    // dif_reference.py: stage-1 chi-square 46.20239196907833.
    assert!(close(&q3["stage1"]["chi2"], 46.20239196907833, 1e-9));
    fairpanel()
        .args([
            "stats",
            "dif",
            &data("panel_dif.csv"),
            "--reference",
            "White",
            "--focal",
            "Black",
            "--purify",
        ])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"Q3 +91/59 +5 +46\.20 +<0\.0001 +-0\.606").unwrap())
        .stdout(predicate::str::contains("anchor: Q4, Q5"))
        .stdout(predicate::str::contains("not proof of bias"))
        .stdout(predicate::str::contains("not that there is no bias"));
}

#[test]
fn dif_reports_insufficient_data_rather_than_no_bias() {
    // Every focal candidate is in a stratum of its own.
    let csv = "candidate,question,stratum,group,score\nA,q1,s1,White,3\nB,q1,s1,White,4\n\
               C,q1,s2,Black,2\nD,q1,s2,Black,5\n";
    let out = fairpanel()
        .args([
            "stats",
            "dif",
            "-",
            "--reference",
            "White",
            "--focal",
            "Black",
            "--format",
            "json",
        ])
        .write_stdin(csv)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["questions"][0]["status"], "insufficient_data");
    assert!(v["questions"][0]["chi2"].is_null());
    fairpanel()
        .args([
            "stats",
            "dif",
            "-",
            "--reference",
            "White",
            "--focal",
            "Black",
        ])
        .write_stdin(csv)
        .assert()
        .success()
        .stdout(predicate::str::contains("insufficient data"));
}

#[test]
fn dif_input_errors_name_rows_and_columns() {
    fairpanel()
        .args([
            "stats",
            "dif",
            "-",
            "--reference",
            "White",
            "--focal",
            "Blak",
        ])
        .write_stdin("candidate,question,stratum,group,score\nA,q1,s1,White,3\nC,q1,s1,Black,2\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no candidate is in the --focal group 'Blak' (groups found: White, Black)",
        ));
    fairpanel()
        .args(["stats", "dif", "-", "--reference", "White", "--focal", "Black"])
        .write_stdin(
            "vacancy,candidate,rater,question,score,group\nV1,C1,R1,Q1,3,White\n\
             V1,C1,R2,Q1,4,Black\n",
        )
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "rows 2 and 3, column 'group': candidate 'C1' is in group 'White' on one and 'Black' on the other",
        ));
    fairpanel()
        .args([
            "stats",
            "dif",
            "-",
            "--reference",
            "White",
            "--focal",
            "Black",
        ])
        .write_stdin(
            "vacancy,candidate,rater,question,score,group\nV1,C1,R1,Q1,3,White\n\
             V1,C2,R1,Q1,x,Black\n",
        )
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "row 3, column 'score': cannot read \"x\" as a number",
        ));
    fairpanel()
        .args([
            "stats",
            "dif",
            &data("ucb_admissions_dif.csv"),
            "--reference",
            "Male",
            "--focal",
            "Female",
            "--purify",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "--purify and --by-vacancy need rater-level scores",
        ));
}

#[test]
fn dif_lr_matches_statsmodels_and_keeps_its_keys() {
    // statsmodels 0.15.0 OrderedModel on ordinal_dif.csv (see dif_reference.py): M1 group
    // coefficient -0.6612922535042179 (SE 0.19399), log-likelihoods M0 -554.8283597019691,
    // M1 -548.938211640113, M2 -548.522831601837.
    let v = json_of(&[
        "stats",
        "dif-lr",
        &data("ordinal_dif.csv"),
        "--reference",
        "White",
        "--focal",
        "Black",
        "--format",
        "json",
    ]);
    assert_eq!(v["input"], "matching");
    let q = &v["questions"][0];
    for key in [
        "chi2_uniform",
        "p_uniform",
        "chi2_nonuniform",
        "p_nonuniform",
        "chi2_total",
        "p_total",
        "delta_r2_nagelkerke",
        "delta_r2_mcfadden",
        "beta_group_m1",
        "se_beta_group_m1",
        "beta_change",
        "class_jodoin_gierl",
        "class_zumbo_thomas",
    ] {
        assert!(!q[key].is_null(), "{key} missing");
    }
    for m in ["m0", "m1", "m2"] {
        assert_eq!(keys(&q[m]), ["loglik", "r2_mcfadden", "r2_nagelkerke"]);
    }
    assert_eq!(
        keys(&q["delta_r2_nagelkerke"]),
        ["nonuniform", "total", "uniform"]
    );
    assert!(close(&q["beta_group_m1"], -0.6612922535042179, 1e-7));
    assert!(close(&q["m2"]["loglik"], -548.522831601837, 1e-7));
    assert!(close(
        &q["chi2_uniform"],
        2.0 * (-548.938211640113 + 554.8283597019691),
        2e-7
    ));
    fairpanel()
        .args([
            "stats",
            "dif-lr",
            &data("panel_dif.csv"),
            "--reference",
            "White",
            "--focal",
            "Black",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Stage 1"))
        .stdout(predicate::str::contains("not proof of bias"));
}
