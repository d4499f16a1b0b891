//! Sealed means sealed: each rule of the seal, identity and the append-only record, tried the way a
//! curious panellist, a hurried chair or an HR officer would try to get round it.

mod common;
use common::Env;
use serde_json::Value;

/// `score V1 CANDIDATE --panellist WHO --question Q --score N --evidence NOTE`.
fn score_args(who: &str, candidate: &str, question: &str, value: i64, note: &str) -> Vec<String> {
    [
        "score",
        "V1",
        candidate,
        "--panellist",
        who,
        "--question",
        question,
        "--score",
        &value.to_string(),
        "--evidence",
        note,
    ]
    .map(String::from)
    .to_vec()
}

fn score(e: &Env, who: &str, candidate: &str, question: &str, value: i64) {
    let note = format!("{who} noted answer worth {value}");
    let args = score_args(who, candidate, question, value, &note);
    e.as_ok(who, &args.iter().map(String::as_str).collect::<Vec<_>>());
}

/// Every string in a JSON value, to look for leaked scores or notes wherever they are nested.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings(x, out)
        }),
        other => out.push(other.to_string()),
    }
}

fn text_of(v: &Value) -> String {
    let mut s = Vec::new();
    strings(v, &mut s);
    s.join("\n")
}

#[test]
fn the_json_log_shows_no_score_or_evidence_until_the_candidate_is_revealed() {
    let e = Env::new();
    e.setup();
    score(&e, "Ann", "C-1", "caseload-prioritisation", 4);
    score(&e, "Ann", "C-1", "diversity-discomfort", 2);
    e.as_ok("Ann", &["submit", "V1", "C-1", "--panellist", "Ann"]);
    for who in [None, Some("Ann"), Some("Bola")] {
        let log = match who {
            None => e.ok(&["log", "--format", "json"]),
            Some(w) => e.as_ok(w, &["log", "--format", "json"]),
        };
        assert!(
            !log.contains("noted answer worth"),
            "evidence of a sealed sheet in the JSON log (as {who:?}):\n{log}"
        );
        let v: Value = serde_json::from_str(&log).unwrap();
        for ev in v.as_array().unwrap() {
            let kind = ev["action"].as_str().unwrap_or_default();
            if kind.starts_with("score.") || kind.starts_with("sheet.") {
                let t = text_of(&ev["payload"]);
                assert!(
                    !t.contains("\"score\"") && ev["payload"].get("score").is_none(),
                    "a sealed {kind} payload shows its score: {ev}"
                );
            }
        }
    }
    // Once every sheet is in and the candidate revealed, the record is open to the panel's reviewers.
    score(&e, "Bola", "C-1", "caseload-prioritisation", 4);
    score(&e, "Bola", "C-1", "diversity-discomfort", 4);
    e.as_ok("Bola", &["submit", "V1", "C-1", "--panellist", "Bola"]);
    score(&e, "Cy", "C-1", "caseload-prioritisation", 4);
    score(&e, "Cy", "C-1", "diversity-discomfort", 4);
    e.as_ok("Cy", &["submit", "V1", "C-1", "--panellist", "Cy"]);
    let log = e.json(&["log"]);
    let revealed = log
        .as_array()
        .unwrap()
        .iter()
        .find(|ev| {
            ev["action"] == "score.answer" && ev["payload"]["question"] == "diversity-discomfort"
        })
        .unwrap();
    assert_eq!(revealed["payload"]["score"], 2, "{revealed}");
}

#[test]
fn nobody_scores_or_submits_as_someone_else() {
    let e = Env::new();
    e.setup();
    let ann_as_1 = score_args("Ann", "C-1", "diversity-discomfort", 1, "x");
    // Bola's passphrase does not make her Ann.
    let err = e.as_fails(
        "Bola",
        &ann_as_1.iter().map(String::as_str).collect::<Vec<_>>(),
        1,
    );
    assert!(err.contains("Ann"), "{err}");
    // Claiming to be Ann without her passphrase is refused.
    let out = e
        .cmd()
        .args(["--as", "Ann", "--credential-file"])
        .arg(e.cred("Bola"))
        .args(&ann_as_1)
        .output()
        .unwrap();
    assert!(!out.status.success());
    // And with no identity at all.
    let out = e.cmd().args(&ann_as_1).output().unwrap();
    assert!(!out.status.success());
    let out = e
        .cmd()
        .args(["submit", "V1", "C-1", "--panellist", "Ann"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    // Nothing was recorded for Ann, and what Ann does is recorded with Ann as the actor.
    let log = e.json(&["log"]);
    assert!(!text_of(&log).contains("score.answer"), "{log}");
    score(&e, "Ann", "C-1", "diversity-discomfort", 3);
    let log = e.json(&["log"]);
    let answer = log
        .as_array()
        .unwrap()
        .iter()
        .find(|ev| ev["action"] == "score.answer")
        .expect("an answer in the log");
    assert_eq!(answer["actor"], "Ann", "{answer}");
}

#[test]
fn a_paper_sheet_typed_for_someone_else_is_recorded_and_shown_as_transcribed() {
    let e = Env::new();
    e.setup();
    e.add_person("Dee", &["hr"]);
    for (q, v) in [
        ("caseload-prioritisation", "4"),
        ("diversity-discomfort", "3"),
    ] {
        e.as_ok(
            "Dee",
            &[
                "score",
                "V1",
                "C-1",
                "--on-behalf-of",
                "Cy",
                "--reason",
                "Cy scored on paper; the laptop failed",
                "--question",
                q,
                "--score",
                v,
                "--evidence",
                "from Cy's paper sheet",
            ],
        );
    }
    let log = e.json(&["log"]);
    let answer = log
        .as_array()
        .unwrap()
        .iter()
        .find(|ev| ev["action"] == "score.answer")
        .unwrap();
    assert_eq!(answer["actor"], "Dee", "the typist is the actor: {answer}");
    e.as_ok(
        "Dee",
        &[
            "submit",
            "V1",
            "C-1",
            "--on-behalf-of",
            "Cy",
            "--reason",
            "Cy scored on paper; the laptop failed",
        ],
    );
    for p in ["Ann", "Bola"] {
        for q in ["caseload-prioritisation", "diversity-discomfort"] {
            score(&e, p, "C-1", q, 4);
        }
        e.as_ok(p, &["submit", "V1", "C-1", "--panellist", p]);
    }
    let report = e.ok(&["report", "V1", "--format", "md"]);
    assert!(
        report.contains("transcribed by Dee"),
        "the report says who typed Cy's sheet:\n{report}"
    );
    assert!(e.ok(&["verify"]).contains("unbroken"));
}

#[test]
fn a_correction_after_reveal_is_shown_as_such_and_divergence_stays_on_the_independent_scores() {
    let e = Env::new();
    e.setup();
    // Bola, the panel's ethnic-minority member, dissents on the diversity question.
    e.score_all("C-1", [[4, 5], [4, 1], [4, 5]]);
    e.as_ok(
        "Bola",
        &[
            "score",
            "V1",
            "C-1",
            "--panellist",
            "Bola",
            "--question",
            "diversity-discomfort",
            "--score",
            "4",
            "--evidence",
            "on reflection",
            "--correction-reason",
            "persuaded after discussion",
        ],
    );
    let check = e
        .cmd()
        .args(["check", "V1", "--format", "json"])
        .output()
        .unwrap();
    let check: Value = serde_json::from_slice(&check.stdout).unwrap();
    let t = text_of(&check);
    assert!(
        t.contains("diversity-discomfort") && t.to_lowercase().contains("diverg"),
        "divergence is judged on the independent scores (5, 1, 5), not the corrected 4:\n{t}"
    );
    let report = e.ok(&["report", "V1", "--format", "md"]);
    assert!(
        report.contains("persuaded after discussion"),
        "the correction and its reason are in the report:\n{report}"
    );
    let export = e.ok(&["export", "scores", "V1"]);
    assert!(
        export.contains("persuaded after discussion") || export.contains("correct"),
        "the export marks the corrected score:\n{export}"
    );
}

#[test]
fn decisions_need_every_candidate_revealed_or_withdrawn_and_revisions_keep_the_history() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 4], [4, 4], [4, 4]]);
    // C-2 not yet scored: deciding now would judge "highest scored" on half the field.
    let err = e.as_fails(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--rationale",
            "Strong on both",
        ],
        1,
    );
    assert!(err.contains("C-2"), "{err}");
    e.as_ok(
        "Ann",
        &[
            "candidate",
            "withdraw",
            "V1",
            "C-2",
            "--reason",
            "Accepted another post before interview",
        ],
    );
    e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--rationale",
            "not ready, culture fit",
        ],
    );
    // A second decision without a reason is refused, and with one the first stays on the record.
    let err = e.as_fails(
        "Ann",
        &["decide", "V1", "--appoint", "C-1", "--rationale", "Strong"],
        1,
    );
    assert!(err.contains("revision"), "{err}");
    e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--rationale",
            "Strongest on both questions",
            "--revision-reason",
            "The first rationale used words the panel agreed were wrong",
        ],
    );
    let report = e.ok(&["report", "V1", "--format", "md"]);
    assert!(
        report.contains("not ready, culture fit")
            && report.contains("The first rationale used words"),
        "the whole decision history is in the report:\n{report}"
    );
    assert!(report.contains("Accepted another post"), "{report}");
    assert!(e.ok(&["verify"]).contains("unbroken"));
}

#[test]
fn gaps_stop_a_decision_unless_a_named_person_overrides_them_on_the_record() {
    let e = Env::new();
    e.add_person("Hana", &["hr"]);
    // An untrained, all-White panel and no diversity question.
    e.as_ok(
        "Hana",
        &[
            "vacancy",
            "create",
            "--id",
            "V1",
            "--title",
            "PWP",
            "--bank",
            "nhs-talking-therapies",
            "--questions",
            "caseload-prioritisation",
            "--override-coverage",
            "A re-advert of a post interviewed last month",
        ],
    );
    e.add_panellist(&["V1", "--name", "Ann", "--role", "chair", "--ethnicity", "A"]);
    for n in ["Bola", "Cy"] {
        e.add_panellist(&["V1", "--name", n, "--ethnicity", "A"]);
    }
    e.ok(&["candidate", "add", "V1", "--ref", "C-1"]);
    for p in ["Ann", "Bola", "Cy"] {
        e.as_ok(
            p,
            &[
                "score",
                "V1",
                "C-1",
                "--panellist",
                p,
                "--question",
                "caseload-prioritisation",
                "--score",
                "4",
                "--evidence",
                "clear plan",
            ],
        );
        e.as_ok(p, &["submit", "V1", "C-1", "--panellist", p]);
    }
    let err = e.as_fails(
        "Ann",
        &["decide", "V1", "--appoint", "C-1", "--rationale", "Strong"],
        1,
    );
    assert!(
        err.to_lowercase().contains("gap") || err.contains("minority"),
        "{err}"
    );
    assert!(e.json(&["vacancy", "show", "V1"]).to_string().len() > 2);
    e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--rationale",
            "Strong",
            "--override-gaps",
            "Ann: the minority panellist fell ill on the day; the post cannot wait",
        ],
    );
    let report = e.ok(&["report", "V1", "--format", "md"]);
    let at = report
        .find("the minority panellist fell ill")
        .expect("the override is in the report");
    assert!(
        at < report.len() / 3,
        "the override stands near the top of the report:\n{report}"
    );
    let audit = e.json(&["audit"]);
    assert!(
        text_of(&audit).contains("overrid"),
        "the audit counts overridden gaps: {audit}"
    );
}

#[test]
fn a_vacancy_without_a_diversity_question_is_refused_unless_overridden() {
    let e = Env::new();
    let err = e.fails(
        &[
            "vacancy",
            "create",
            "--id",
            "V1",
            "--title",
            "PWP",
            "--bank",
            "nhs-talking-therapies",
            "--questions",
            "caseload-prioritisation",
        ],
        1,
    );
    assert!(err.to_lowercase().contains("diversity"), "{err}");
    assert!(
        e.json(&["vacancy", "list"]).as_array().unwrap().is_empty(),
        "nothing was created"
    );
}

#[test]
fn a_panellist_who_joins_after_reveal_cannot_reseal_or_score_a_revealed_candidate() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 5], [4, 2], [4, 5]]);
    let out = e.as_ok(
        "Ann",
        &["panel", "add", "V1", "--name", "Dev", "--ethnicity", "H"],
    );
    e.redeem("Dev", &common::invitation(&out));
    // C-1 stays revealed.
    let j = e.json(&["reveal", "V1", "C-1"]);
    assert!(text_of(&j).contains("Ann"), "{j}");
    let out = e
        .cmd_as("Dev")
        .args([
            "score",
            "V1",
            "C-1",
            "--panellist",
            "Dev",
            "--question",
            "diversity-discomfort",
            "--score",
            "3",
            "--evidence",
            "late",
        ])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a late panellist may not score a revealed candidate"
    );
    // Dev scores C-2 with everyone else; C-2 waits for Dev.
    e.score_all("C-2", [[3, 3], [3, 3], [3, 3]]);
    let out = e.cmd().args(["reveal", "V1", "C-2"]).output().unwrap();
    assert!(!out.status.success(), "C-2 waits for Dev's sheet");
    let report = e.ok(&["report", "V1", "--format", "md"]);
    assert!(
        report.contains("joined after"),
        "the report says Dev joined after C-1 was revealed:\n{report}"
    );
}

#[test]
fn standing_down_a_panellist_withdraws_their_open_sheets_and_rechecks_the_panel() {
    let e = Env::new();
    e.setup();
    score(&e, "Bola", "C-1", "caseload-prioritisation", 2);
    e.as_ok(
        "Ann",
        &[
            "panel",
            "stand-down",
            "V1",
            "Bola",
            "--reason",
            "Declared a conflict of interest with C-1",
        ],
    );
    // Without Bola, the panel has no ethnic-minority member: a gap.
    let out = e.cmd().args(["check", "V1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    // Her started sheet is withdrawn, not deleted: the record keeps it, the reveal does not wait for it.
    for p in ["Ann", "Cy"] {
        for q in ["caseload-prioritisation", "diversity-discomfort"] {
            score(&e, p, "C-1", q, 4);
        }
        e.as_ok(p, &["submit", "V1", "C-1", "--panellist", p]);
    }
    let j = e.json(&["reveal", "V1", "C-1"]);
    let t = text_of(&j);
    assert!(!t.contains("Bola noted"), "{t}");
    let log = e.json(&["log"]);
    let stood_down = log
        .as_array()
        .unwrap()
        .iter()
        .find(|ev| ev["action"].as_str().unwrap_or_default().contains("stand"))
        .expect("the stand-down is an event");
    assert_eq!(stood_down["actor"], "Ann", "{stood_down}");
    assert_eq!(
        stood_down["payload"]["reason"],
        "Declared a conflict of interest with C-1"
    );
    // Bola can no longer score this vacancy.
    let out = e
        .cmd_as("Bola")
        .args([
            "score",
            "V1",
            "C-2",
            "--panellist",
            "Bola",
            "--question",
            "diversity-discomfort",
            "--score",
            "3",
            "--evidence",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(e.ok(&["verify"]).contains("unbroken"));
}

#[test]
fn moderation_is_added_to_never_replaced() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 5], [4, 1], [4, 5]]);
    let moderate = |score: &str, reason: &str, revision: Option<&str>| {
        let mut a = vec![
            "moderate",
            "V1",
            "C-1",
            "--question",
            "diversity-discomfort",
            "--score",
            score,
            "--reason",
            reason,
        ];
        if let Some(r) = revision {
            a.extend(["--revision-reason", r]);
        }
        e.cmd_as("Ann").args(&a).output().unwrap()
    };
    assert!(moderate("4", "Most heard reflection", None)
        .status
        .success());
    let again = moderate("2", "Bola's concern stands", None);
    assert!(
        !again.status.success(),
        "a second moderation needs a revision reason"
    );
    assert!(
        moderate("3", "Bola's concern stands", Some("We listened again"))
            .status
            .success()
    );
    let report = e.ok(&["report", "V1", "--format", "md"]);
    assert!(
        report.contains("Most heard reflection") && report.contains("We listened again"),
        "{report}"
    );
}

#[test]
fn the_audit_uses_only_revealed_candidates() {
    // The same vacancy twice: in one, C-2 has two of three sheets in (sealed); in the other, C-2 is
    // not scored at all. The audit must not tell them apart.
    let sealed = Env::new();
    let unscored = Env::new();
    for e in [&sealed, &unscored] {
        e.setup();
        e.score_all("C-1", [[4, 4], [4, 4], [3, 4]]);
    }
    for p in ["Ann", "Bola"] {
        for q in ["caseload-prioritisation", "diversity-discomfort"] {
            score(&sealed, p, "C-2", q, if p == "Ann" { 1 } else { 5 });
        }
        sealed.as_ok(p, &["submit", "V1", "C-2", "--panellist", p]);
    }
    let strip = |mut a: Value| {
        // The receipt names the record's head, which differs by construction.
        // (and the integrity line counts the events since the last checkpoint).
        for k in ["receipt", "integrity"] {
            a.as_object_mut().unwrap().remove(k);
        }
        a
    };
    assert_eq!(
        strip(sealed.json(&["audit"])),
        strip(unscored.json(&["audit"])),
        "sealed sheets changed the audit"
    );
    for q in ["caseload-prioritisation", "diversity-discomfort"] {
        score(&sealed, "Cy", "C-2", q, 3);
    }
    sealed.as_ok("Cy", &["submit", "V1", "C-2", "--panellist", "Cy"]);
    assert_ne!(
        strip(sealed.json(&["audit"])),
        strip(unscored.json(&["audit"])),
        "once revealed, C-2 counts"
    );
}

#[test]
fn a_mistyped_name_is_corrected_on_the_record_and_the_person_keeps_their_passphrase() {
    let e = Env::new();
    e.setup();
    // A name is the person's own: once they hold a passphrase, only they (or HR) may correct it.
    for who in ["Bola", "Ann"] {
        let err = e.as_fails(
            who,
            &["panel", "rename", "V1", "Cy", "Cyrus", "--reason", "typo"],
            1,
        );
        assert!(err.contains("only they, or HR"), "{err}");
    }
    e.as_ok(
        "Cy",
        &[
            "panel",
            "rename",
            "V1",
            "Cy",
            "Cyrus",
            "--reason",
            "Typed short at set-up",
        ],
    );
    // Cyrus scores as Cyrus, with the passphrase Cy set.
    for q in ["caseload-prioritisation", "diversity-discomfort"] {
        let out = e
            .cmd()
            .args(["--as", "Cyrus", "--credential-file"])
            .arg(e.cred("Cy"))
            .args([
                "score",
                "V1",
                "C-1",
                "--panellist",
                "Cyrus",
                "--question",
                q,
                "--score",
                "3",
                "--evidence",
                "clear answer",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let log = e.json(&["log"]);
    let renamed = log
        .as_array()
        .unwrap()
        .iter()
        .find(|ev| ev["action"].as_str().unwrap_or_default().contains("rename"))
        .expect("the rename is an event");
    assert_eq!(renamed["actor"], "Cyrus");
    assert!(
        text_of(renamed).contains("Typed short at set-up"),
        "{renamed}"
    );
    assert!(e.ok(&["verify"]).contains("unbroken"));
}
