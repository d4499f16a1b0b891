//! The audit finds what was planted in a seeded synthetic organisation (see `fairpanel::synth`):
//! a lenient panellist, a panellist who scores one group lower, and a shortlisting stage with adverse
//! impact; and does not flag the stages and groups left fair.

mod common;
use common::Env;
use fairpanel::synth;

#[test]
fn the_audit_finds_every_planted_pattern() {
    let e = Env::new();
    let out = e.path("org");
    e.ok(&[
        "demo",
        "--scale",
        "300",
        "--seed",
        "7",
        "--out",
        out.to_str().unwrap(),
    ]);
    let db = out.join("fairpanel-synth.db");
    let a: serde_json::Value =
        serde_json::from_str(&common::ok_on(&db, &["audit", "--format", "json"])).unwrap();
    common::assert_no_hidden_count_recoverable(&a);

    // 1. The lenient panellist is named and flagged, with an effect near the planted shift.
    let lenient = a["raters"]["named"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["panellist"] == synth::LENIENT_PANELLIST)
        .unwrap();
    assert_eq!(lenient["flag"], "lenient", "{lenient}");
    let shift = lenient["mean_deviation"].as_f64().unwrap();
    assert!(shift > 0.5 * synth::LENIENT_SHIFT as f64, "{lenient}");

    // 2. The group-biased panellist scores the planted group lower than co-panellists do.
    let biased = a["rater_groups"]["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["panellist"] == synth::GROUP_BIASED_PANELLIST
                && r["group"] == synth::GROUP_BIASED_GROUP.key()
        })
        .unwrap_or_else(|| panic!("not flagged: {}", a["rater_groups"]));
    assert!(biased["difference"].as_f64().unwrap() < 0.0, "{biased}");
    assert!(biased["ci95"][1].as_f64().unwrap() < 0.0, "{biased}");
    // Nobody else is flagged for the planted group.
    let others = a["rater_groups"]["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["panellist"] != synth::GROUP_BIASED_PANELLIST)
        .count();
    assert_eq!(others, 0, "{}", a["rater_groups"]);

    // 3. The planted stage shows adverse impact for the planted group, strongly (Fisher p < 0.001) and
    // pooled across vacancies. The four-fifths rule is a screening rule against the highest-rate group,
    // which here may be a small one, so a fair group can cross 0.80 by chance: none does so strongly.
    for t in a["transitions"].as_array().unwrap() {
        for g in t["groups"].as_array().unwrap() {
            let planted =
                t["to"] == synth::ADVERSE_STAGE && g["group"] == synth::ADVERSE_GROUP.key();
            let p = g["fisher_p"].as_f64().unwrap_or(1.0);
            if planted {
                assert_eq!(g["adverse"], true, "{g}");
                assert!(p < 0.001, "{g}");
            } else if g["adverse"] == true {
                assert!(
                    p > 0.001,
                    "a fair group flagged strongly at {} → {}: {g}",
                    t["from"],
                    t["to"]
                );
            }
        }
        if t["to"] == synth::ADVERSE_STAGE {
            assert!(
                t["pooled"]["p"].as_f64().unwrap() < 0.001,
                "pooled across vacancies: {}",
                t["pooled"]
            );
        } else if let Some(p) = t["pooled"]["p"].as_f64() {
            assert!(p > 0.001, "a fair stage is not strongly significant: {t}");
        }
    }
    // The White and BME funnel carries the planted stage too (Asian applicants are BME), and only it.
    for t in a["white_bme"]["transitions"].as_array().unwrap() {
        let bme = t["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"] == "bme")
            .unwrap();
        if t["to"] == synth::ADVERSE_STAGE {
            assert_eq!(bme["adverse"], true, "{bme}");
            assert!(bme["fisher_p"].as_f64().unwrap() < 0.001, "{bme}");
            assert_eq!(t["reference_group"], "white", "{t}");
        } else {
            assert_ne!(bme["adverse"], true, "{t}");
        }
    }
    // 4. The biased question is classed C, lower, for the planted group (after purification), and
    // for BME candidates as a whole; no other question is classed C for any group, nor reaches p <
    // 0.001. Fair questions can reach class B by chance among some 75 comparisons at p < 0.05.
    let rows = a["questions"]["rows"].as_array().unwrap();
    let planted = rows
        .iter()
        .find(|r| r["question"] == synth::DIF_QUESTION)
        .unwrap_or_else(|| panic!("{} not in the audit", synth::DIF_QUESTION));
    for c in planted["comparisons"].as_array().unwrap() {
        if c["group"] == synth::DIF_GROUP.key() {
            assert_eq!(c["ets_class"], "CC-", "{c}");
            assert_eq!(c["direction"], "lower", "{c}");
            assert!(c["p_value"].as_f64().unwrap() < 0.001, "{c}");
            assert!(c["smd"].as_f64().unwrap() < -0.3, "{c}");
            let sentence = c["sentence"].as_str().unwrap();
            assert!(sentence.contains("lower"), "{sentence}");
            assert!(sentence.contains("not proof of bias"), "{sentence}");
        }
        if c["group"] == "bme" {
            assert_eq!(c["direction"], "lower", "{c}");
        }
    }
    for r in rows {
        for c in r["comparisons"].as_array().unwrap() {
            let is_planted = r["question"] == synth::DIF_QUESTION
                && (c["group"] == synth::DIF_GROUP.key() || c["group"] == "bme");
            if is_planted {
                continue;
            }
            let class = c["ets_class"].as_str().unwrap_or("");
            assert!(
                !class.starts_with("CC"),
                "a fair question flagged strongly: {r}"
            );
            assert!(
                c["p_value"].as_f64().unwrap_or(1.0) > 0.001,
                "a fair question flagged strongly: {r}"
            );
        }
    }
    // Panel design: a pooled G study over the organisation and a D-study answer in words.
    let pooled = &a["panel_design"]["pooled"];
    let g = pooled["g_coef"].as_f64().unwrap();
    assert!(g > 0.0 && g < 1.0, "{pooled}");
    assert!(
        pooled["sentence"].as_str().unwrap().contains("panellists"),
        "{pooled}"
    );
    let fewer = pooled["fewer_g"].as_f64().unwrap();
    assert!(fewer < pooled["typical_g"].as_f64().unwrap(), "{pooled}");

    // The biased question's history, year by year: the planted group scores lower than matched
    // White candidates in every year (each year's comparison stands on its own vacancies).
    let h: serde_json::Value = serde_json::from_str(&common::ok_on(
        &db,
        &[
            "bank",
            "show",
            synth::BANK,
            "--dif",
            "--question",
            synth::DIF_QUESTION,
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(
        h["periods"],
        serde_json::json!(["2024", "2025", "2026"]),
        "{h}"
    );
    let rows = h["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3 * 5, "five comparisons a year: {h}");
    for r in rows {
        assert_eq!(r["question"], synth::DIF_QUESTION);
        if r["group"] == synth::DIF_GROUP.key() {
            assert!(r["smd"].as_f64().unwrap() < 0.0, "{r}");
        }
    }
    let q: serde_json::Value = serde_json::from_str(&common::ok_on(
        &db,
        &[
            "bank",
            "show",
            synth::BANK,
            "--dif",
            "--by",
            "quarter",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(q["periods"][0], "2024 Q1", "{}", q["periods"]);

    // The record of the whole organisation verifies.
    common::ok_on(&db, &["verify"]);
}
