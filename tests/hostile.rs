//! Hostile and broken inputs through the real binary: records an older fairpanel could have written,
//! text that could fake or hide terminal output, and files written where they should not be.

mod common;
use common::Env;
use fairpanel::record::chain::Actor;
use fairpanel::store::{Create, Store, Tx};
use std::path::{Path, PathBuf};

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(rel)
}

/// Write to `e.db` as an older fairpanel could have: straight to the record, past the checks that
/// new input meets today.
fn older(e: &Env, f: impl FnOnce(&mut Tx<'_>) -> anyhow::Result<()>) {
    let mut s = Store::open(&e.db, Actor::login("older"), None, Create::No).unwrap();
    s.write(f).unwrap();
}

/// A vacancy V1 on the corpus's control bank with each question weighing `weight`, created as an
/// older fairpanel that accepted any finite positive weight would have.
fn vacancy_with_weights(e: &Env, weight: &str) {
    let yaml = std::fs::read_to_string(corpus("banks/valid.yaml"))
        .unwrap()
        .replace("    probes:", &format!("    weight: {weight}\n    probes:"));
    let bank = fairpanel::bank::parse_recorded(&yaml, "weights.yaml").unwrap();
    let questions: Vec<String> = bank.questions.iter().map(|q| q.id.clone()).collect();
    let policy = fairpanel::policy::Policy::default();
    older(e, |tx| {
        fairpanel::actions::vacancy::create(
            tx,
            &fairpanel::actions::vacancy::NewVacancy {
                id: "V1",
                title: "Heavy questions",
                band: None,
                service: None,
                bank: &bank,
                bank_yaml: &yaml,
                questions: &questions,
                policy: &policy,
                policy_source: "built-in",
                policy_yaml: fairpanel::policy::DEFAULT_YAML,
                coverage_override: None,
            },
        )
        .map(|_| ())
    });
}

/// Ann (chair, minority, trained), Bola and Cy score C-1 above C-2 on both questions; both revealed.
fn panel_scores_and_reveals(e: &Env) {
    e.add_panellist(&[
        "V1",
        "--name",
        "Ann",
        "--role",
        "chair",
        "--ethnicity",
        "A",
        "--trained",
        "2026-01-10",
    ]);
    e.add_panellist(&["V1", "--name", "Bola", "--ethnicity", "N"]);
    e.add_panellist(&["V1", "--name", "Cy", "--ethnicity", "M"]);
    for (c, score) in [("C-1", "3"), ("C-2", "2")] {
        e.ok(&["candidate", "add", "V1", "--ref", c]);
        for p in ["Ann", "Bola", "Cy"] {
            for q in ["team-pressure", "uncomfortable-groups"] {
                e.as_ok(
                    p,
                    &[
                        "score",
                        "V1",
                        c,
                        "--panellist",
                        p,
                        "--question",
                        q,
                        "--score",
                        score,
                        "--evidence",
                        "Gave a clear example",
                    ],
                );
            }
            e.as_ok(p, &["submit", "V1", c, "--panellist", p]);
        }
        e.as_ok("Ann", &["reveal", "V1", c]);
    }
}

/// Weights of 1.0e308 were once accepted. Their weighted sums overflow to infinity; the ranking must
/// still come out right (each mean is the plain mean when every weight is the same), and every
/// command that reads it must work.
#[test]
fn huge_weights_in_a_recorded_bank_still_rank_and_report() {
    let e = Env::new();
    vacancy_with_weights(&e, "1.0e308");
    panel_scores_and_reveals(&e);
    let r = e.json(&["report", "V1"]);
    let ranking = r["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 2, "{r}");
    assert_eq!(ranking[0]["reference"], "C-1");
    assert_eq!(ranking[0]["weighted_mean"], 3.0);
    assert_eq!(ranking[1]["reference"], "C-2");
    assert_eq!(ranking[1]["weighted_mean"], 2.0);
    for f in ["md", "html"] {
        let out = e.ok(&["report", "V1", "--format", f]);
        assert!(out.contains("C-1"), "{out}");
    }
    e.ok(&["check", "V1"]);
    let csv = e.ok(&["export", "scores", "V1"]);
    assert_eq!(csv.lines().count(), 13, "{csv}");
    let out = e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--rationale",
            "Strongest evidence on every question",
        ],
    );
    assert!(out.contains("C-1"), "{out}");
}
