//! `fairpanel demo --scale N --seed S`: a seeded synthetic organisation, written through the bulk store
//! API, that verifies, reads back through the ordinary commands, and is the same for the same seed.

mod common;
use common::Env;
use fairpanel::synth;
use std::path::{Path, PathBuf};

const SCALE: usize = 30;

/// Generate into `dir` under the test's temporary directory; returns the database and the summary.
fn generate(e: &Env, dir: &str, seed: &str) -> (PathBuf, String) {
    let out = e.path(dir);
    let summary = e.ok(&[
        "demo",
        "--scale",
        &SCALE.to_string(),
        "--seed",
        seed,
        "--out",
        out.to_str().unwrap(),
    ]);
    (out.join("fairpanel-synth.db"), summary)
}

/// The summary without its timing, location and head-hash lines.
fn counts(summary: &str) -> Vec<&str> {
    summary
        .lines()
        .filter(|l| {
            !l.trim_start().starts_with("seconds")
                && !l.starts_with("Database:")
                && !l.starts_with("Record head:")
        })
        .collect()
}

fn count(db: &Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn the_same_seed_gives_the_same_organisation_and_it_verifies() {
    let e = Env::new();
    let (a, first) = generate(&e, "a", "7");
    let (b, second) = generate(&e, "b", "7");
    let (c, other) = generate(&e, "c", "8");
    assert!(
        first.contains(&format!("vacancies  {:>13}", SCALE)),
        "{first}"
    );
    // Same counts: the same records and events. (Hashes differ: personal data is sealed under fresh
    // random keys every time.)
    assert_eq!(counts(&first), counts(&second));
    assert_ne!(counts(&first), counts(&other));
    for db in [&a, &b, &c] {
        let v: serde_json::Value =
            serde_json::from_str(&common::ok_on(db, &["verify", "--format", "json"])).unwrap();
        assert_eq!(v["ok"], true, "{v}");
        assert!(v["rows_checked"].as_i64().unwrap() > 1000, "{v}");
    }
    // Running again into the same directory starts afresh.
    let (a2, again) = generate(&e, "a", "7");
    assert_eq!(a2, a);
    assert_eq!(counts(&again), counts(&first));
}

#[test]
fn the_organisation_is_plausible_and_complete() {
    let e = Env::new();
    let (db, summary) = generate(&e, "org", "7");
    let n = SCALE as i64;
    assert_eq!(count(&db, "SELECT count(*) FROM vacancies"), n);
    assert_eq!(
        count(&db, "SELECT count(DISTINCT vacancy) FROM decisions"),
        n
    );

    // About 50 applications per vacancy, each with monitoring data, one appointed per vacancy.
    let applications = count(&db, "SELECT count(*) FROM monitoring");
    assert!(
        (40 * n..60 * n).contains(&applications),
        "{applications}\n{summary}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM candidates"), applications);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM monitoring WHERE stage = 'appointed'"
        ),
        n
    );
    // Interviewed applicants, and only they, are candidates on the scoring screens.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM candidates c JOIN monitoring m ON m.candidate = c.id
             WHERE c.interview != (m.stage IN ('interviewed', 'offered', 'appointed'))"
        ),
        0
    );
    let interviewed = count(&db, "SELECT count(*) FROM candidates WHERE interview = 1");
    assert!((2 * n..8 * n).contains(&interviewed), "{interviewed}");

    // Every interviewed candidate is revealed, with a sheet from every panellist answering every question.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM candidates c WHERE c.interview = 1 AND (c.revealed = 0 OR
               (SELECT count(*) FROM sealed_sheets s WHERE s.candidate = c.id)
               != (SELECT count(*) FROM panellists p WHERE p.vacancy = c.vacancy))"
        ),
        0
    );
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        let mut st = c
            .prepare(
                "SELECT s.scores, (SELECT count(*) FROM vacancy_questions q WHERE q.vacancy = ca.vacancy)
                 FROM sealed_sheets s JOIN candidates ca ON ca.id = s.candidate",
            )
            .unwrap();
        let rows: Vec<(String, i64)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(!rows.is_empty());
        for (scores, questions) in rows {
            let mut n = 0;
            assert!(fairpanel::record::derive::parse_sealed(&scores, |_, s| {
                assert!((1..=5).contains(&s), "{scores}");
                n += 1;
            }));
            assert_eq!(n, questions, "{scores}");
        }
    }
    assert!(
        count(
            &db,
            "SELECT count(*) FROM events WHERE action = 'moderate' AND payload LIKE '%\"reason\"%'"
        ) > 0
    );

    // Panels of 3 or 4; every plan has 6 to 8 questions; vacancies created within the period.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM (SELECT vacancy, count(*) k FROM panellists GROUP BY vacancy)
             WHERE k NOT IN (3, 4)"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM (SELECT vacancy, count(*) k FROM vacancy_questions GROUP BY vacancy)
             WHERE k NOT BETWEEN 6 AND 8"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM vacancies
             WHERE created_at NOT BETWEEN '2024-01-01T00:00:00Z' AND '2026-10-31T23:59:59Z'"
        ),
        0
    );

    // The planted panellists exist, sit on panels and scored there.
    for name in [synth::LENIENT_PANELLIST, synth::GROUP_BIASED_PANELLIST] {
        let panels = count(
            &db,
            &format!(
                "SELECT count(*) FROM panellists p JOIN people pe ON pe.id = p.person WHERE pe.name = '{name}'"
            ),
        );
        assert!(panels >= 2, "{name} sits on {panels} panels");
        let sheets = count(
            &db,
            &format!(
                "SELECT count(*) FROM sealed_sheets s JOIN panellists p ON p.id = s.panellist
                 JOIN people pe ON pe.id = p.person WHERE pe.name = '{name}'"
            ),
        );
        assert!(sheets >= 3, "{name} submitted {sheets} sheets");
    }
}

#[test]
fn the_ordinary_commands_read_a_synthetic_vacancy() {
    let e = Env::new();
    let (db, _) = generate(&e, "org", "7");
    let list: serde_json::Value = serde_json::from_str(&common::ok_on(
        &db,
        &["vacancy", "list", "--format", "json"],
    ))
    .unwrap();
    let list = list
        .as_array()
        .or_else(|| list["vacancies"].as_array())
        .unwrap();
    assert_eq!(list.len(), SCALE);
    let id = list[0]["id"].as_str().unwrap().to_string();
    // Every plan covers attitudes to diversity.
    let (bank, _) = fairpanel::bank::resolve(synth::BANK).unwrap();
    for v in list {
        let id = v["id"].as_str().unwrap();
        let show: serde_json::Value = serde_json::from_str(&common::ok_on(
            &db,
            &["vacancy", "show", id, "--format", "json"],
        ))
        .unwrap();
        let questions = show["questions"].as_array().unwrap();
        assert!(
            questions
                .iter()
                .any(|q| bank.question(q.as_str().unwrap()).unwrap().category
                    == "diversity-attitude"),
            "{show}"
        );
        assert!(show["candidates"].as_array().unwrap().len() >= 2);
    }
    let report: serde_json::Value =
        serde_json::from_str(&common::ok_on(&db, &["report", &id, "--format", "json"])).unwrap();
    assert!(report["decision"]["appointed"].is_string(), "{report}");
    assert!(!report["candidates"].as_array().unwrap().is_empty());
    assert!(report["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["revealed"] == true));
}
