//! The interactive scoring flow, driven through a real pseudo-terminal.
#![cfg(unix)]

mod common;
use common::Env;
use expectrl::{Eof, Expect, Session};
use std::time::Duration;

fn spawn(e: &Env, args: &[&str]) -> expectrl::session::OsSession {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("fairpanel"));
    cmd.env_remove("FAIRPANEL_DB")
        .env("TERM", "xterm")
        .arg("--db")
        .arg(&e.db)
        .args(args);
    let mut s = Session::spawn(cmd).expect("spawn in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    s
}

/// Score as `name` at a terminal: fairpanel asks for their passphrase first, without echoing it.
fn score_as(e: &Env, name: &str, candidate: &str) -> expectrl::session::OsSession {
    let mut s = spawn(e, &["score", "V1", candidate, "--panellist", name]);
    s.expect(format!("Passphrase for {name}").as_str()).unwrap();
    let pass = std::fs::read_to_string(e.cred(name)).unwrap();
    s.send(pass.trim()).unwrap();
    s.send("\r").unwrap();
    s
}

#[test]
fn a_panellist_scores_and_submits_through_the_terminal() {
    let e = Env::new();
    e.setup();
    let mut s = score_as(&e, "Bola", "C-1");
    s.expect("Your scores are private").unwrap();
    s.expect("Question 1 of 2").unwrap();
    s.expect("Your score").unwrap();
    // Typing filters the options; Enter picks the match.
    s.send("4").unwrap();
    s.send("\r").unwrap();
    s.expect("Evidence note").unwrap();
    // A typo corrected with backspace.
    s.send("Prioritised risk firstt\x7f, then booked reviews")
        .unwrap();
    s.send("\r").unwrap();
    s.expect("Saved: caseload-prioritisation = 4.").unwrap();
    s.expect("Question 2 of 2").unwrap();
    s.expect("Your score").unwrap();
    s.send("5").unwrap();
    s.send("\r").unwrap();
    s.expect("Evidence note").unwrap();
    // An empty note is refused and asked again.
    s.send("\r").unwrap();
    s.expect("evidence note is required").unwrap();
    s.send("Named own assumptions about older men and how supervision helped")
        .unwrap();
    s.send("\r").unwrap();
    s.expect("All questions answered").unwrap();
    s.send("\r").unwrap();
    s.expect("Submitted and sealed.").unwrap();
    s.expect(Eof).unwrap();

    let sheets = e.json(&["vacancy", "show", "V1"]);
    assert_eq!(
        sheets["candidates"][0]["submitted"],
        serde_json::json!(["Bola"])
    );
    // What was typed is what was stored, backspace applied.
    let log = e.json(&["log"]);
    let n = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "score.answer")
        .count();
    assert_eq!(n, 2);
    let db = rusqlite_free_read(&e, "caseload-prioritisation");
    assert_eq!(db, "Prioritised risk first, then booked reviews");
}

/// Read an evidence note back as stored: the candidate is not revealed, so through HR's subject
/// access export, the one path that hands over sealed material (and records that it did).
fn rusqlite_free_read(e: &Env, question: &str) -> String {
    e.add_person("Hana", &["hr"]);
    let sar: serde_json::Value =
        serde_json::from_str(&e.as_ok("Hana", &["candidate", "export", "V1", "C-1"])).unwrap();
    sar["sheets"][0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        // The latest entry for the question: an answer changed before submitting is a new entry.
        .rfind(|x| x["question"] == question)
        .map(|x| x["evidence"].as_str().unwrap().to_string())
        .unwrap()
}

#[test]
fn cancelling_keeps_answers_already_given_and_scoring_resumes() {
    let e = Env::new();
    e.setup();
    let mut s = score_as(&e, "Ann", "C-1");
    s.expect("Your score").unwrap();
    s.send("3\r").unwrap();
    s.expect("Evidence note").unwrap();
    s.send("Some evidence\r").unwrap();
    s.expect("Saved: caseload-prioritisation = 3.").unwrap();
    s.expect("Your score").unwrap();
    // Escape cancels the prompt.
    s.send("\x1b").unwrap();
    s.expect("everything already answered is saved").unwrap();
    s.expect(Eof).unwrap();

    let mut s = score_as(&e, "Ann", "C-1");
    // Resumes at the first unanswered question.
    s.expect("Question 2 of 2").unwrap();
    s.send("2\r").unwrap();
    s.expect("Evidence note").unwrap();
    s.send("Resumed\r").unwrap();
    s.expect("All questions answered").unwrap();
    // Leave the sheet open.
    s.send("\x1b[B\x1b[B\r").unwrap();
    s.expect("Sheet left open").unwrap();
    s.expect(Eof).unwrap();
}

#[test]
fn the_terminal_scoring_screen_never_shows_monitoring_data() {
    let e = Env::new();
    e.setup();
    let f = e.write(
        "pipeline.csv",
        "vacancy,candidate,stage,ethnicity,gender,internal\nV1,C-1,interviewed,Bangladeshi,Female,yes\n",
    );
    e.ok(&["import", "applications", f.to_str().unwrap()]);
    let mut s = score_as(&e, "Cy", "C-1");
    let mut seen = Vec::new();
    let mut step = |s: &mut expectrl::session::OsSession, pat: &str| {
        let c = s.expect(pat).unwrap();
        seen.extend_from_slice(c.before());
        seen.extend_from_slice(pat.as_bytes());
    };
    step(&mut s, "Your score");
    s.send("3\r").unwrap();
    step(&mut s, "Evidence note");
    s.send("x\r").unwrap();
    step(&mut s, "Your score");
    s.send("4\r").unwrap();
    step(&mut s, "Evidence note");
    s.send("y\r").unwrap();
    step(&mut s, "All questions answered");
    s.send("\r").unwrap();
    step(&mut s, "Submitted and sealed.");
    let screen = String::from_utf8_lossy(&seen);
    for word in ["Bangladeshi", "Asian", "Female", "internal", "ethnicity"] {
        assert!(
            !screen.contains(word),
            "{word:?} on the scoring screen:\n{screen}"
        );
    }
}

#[test]
fn a_reviewer_returns_a_decision_through_the_terminal() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 4], [4, 4], [5, 4]]);
    e.score_all("C-2", [[3, 3], [3, 3], [3, 3]]);
    e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--rationale",
            "Highest on both",
        ],
    );
    let out = e.ok(&[
        "person",
        "add",
        "Rita",
        "--role",
        "reviewer",
        "--trained",
        "2026-01-05",
    ]);
    e.redeem("Rita", &common::invitation(&out));
    let mut s = spawn(&e, &["review", "V1", "--reviewer", "Rita"]);
    s.expect("Passphrase for Rita").unwrap();
    let pass = std::fs::read_to_string(e.cred("Rita")).unwrap();
    s.send(pass.trim()).unwrap();
    s.send("\r").unwrap();
    s.expect("Fairness review of V1").unwrap();
    s.expect("Applicants by group").unwrap();
    s.expect("Your review").unwrap();
    s.send("Return").unwrap();
    s.send("\r").unwrap();
    s.expect("Question for the chair").unwrap();
    // The first question is required.
    s.send("\r").unwrap();
    s.expect("at least one question").unwrap();
    s.send("Which evidence separated C-1 from C-2?").unwrap();
    s.send("\r").unwrap();
    s.expect("Question for the chair").unwrap();
    s.send("\r").unwrap();
    s.expect("Note (optional)").unwrap();
    s.send("\r").unwrap();
    s.expect("Recorded review").unwrap();
    s.expect(Eof).unwrap();
    let r = e.json(&["report", "V1"]);
    assert_eq!(r["review"]["status"], "returned");
    assert_eq!(
        r["review"]["exchange"][0]["questions"],
        serde_json::json!(["Which evidence separated C-1 from C-2?"])
    );
    assert_eq!(r["review"]["exchange"][0]["note"], serde_json::Value::Null);
    assert_eq!(e.json(&["verify"])["ok"], true);
}

/// Type a passphrase when asked for `name`'s.
fn passphrase(s: &mut expectrl::session::OsSession, e: &Env, name: &str) {
    s.expect(format!("Passphrase for {name}").as_str()).unwrap();
    let pass = std::fs::read_to_string(e.cred(name)).unwrap();
    s.send(pass.trim()).unwrap();
    s.send("\r").unwrap();
}

#[test]
fn adding_a_panellist_accepts_uk_dates_and_everyday_ethnicity_wording() {
    let e = Env::new();
    e.setup();
    let mut s = spawn(&e, &["panel", "add", "V1"]);
    s.expect("Panellist name").unwrap();
    s.send("Dee Rahman\r").unwrap();
    s.expect("Role on the panel").unwrap();
    s.send("\r").unwrap();
    s.expect("Ethnicity, self-declared").unwrap();
    // Words in any order, as people say them, find the category.
    s.send("british pakistani").unwrap();
    s.expect("Asian or Asian British - Pakistani — NHS code J")
        .unwrap();
    s.send("\r").unwrap();
    s.expect("Date of fair-recruitment training").unwrap();
    // A date that does not exist is refused and only that answer is asked again.
    s.send("31/02/2025\r").unwrap();
    s.expect("not a date").unwrap();
    s.expect("Date of fair-recruitment training").unwrap();
    s.send("10/03/2025\r").unwrap();
    s.expect("Added Dee Rahman (member) to the panel for V1.")
        .unwrap();
    s.expect(Eof).unwrap();

    let panel = e.json(&["panel", "list", "V1"]);
    let dee = panel
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Dee Rahman")
        .unwrap();
    assert_eq!(dee["trained_on"], "2025-03-10");
    assert_eq!(dee["ethnicity_declared"], true);
    // Bola (N) and now Dee (J) are the panel's self-declared ethnic-minority members.
    let check = e.ok(&["panel", "check", "V1"]);
    assert!(
        check.contains("includes 2 members from a Black, Asian"),
        "{check}"
    );
}

#[test]
fn everyday_ethnicity_wording_works_as_a_flag_and_ambiguity_is_named() {
    let e = Env::new();
    e.setup();
    e.add_panellist(&["V1", "--name", "Eve", "--ethnicity", "White English"]);
    let err = e.fails(
        &[
            "panel",
            "add",
            "V1",
            "--name",
            "Fay",
            "--ethnicity",
            "Black British",
        ],
        2,
    );
    assert!(err.contains("fits several categories"), "{err}");
    assert!(
        err.contains("(M)") && err.contains("(N)") && err.contains("(P)"),
        "{err}"
    );
}

#[test]
fn scoring_starts_on_no_score_goes_back_and_reviews_before_submitting() {
    let e = Env::new();
    e.setup();
    let mut s = score_as(&e, "Bola", "C-1");
    s.expect("Question 1 of 2").unwrap();
    s.expect("Your score").unwrap();
    // Enter straight away gives no score: the list starts on none.
    s.send("\r").unwrap();
    s.expect("No score chosen yet").unwrap();
    s.expect("Your score").unwrap();
    s.send("3\r").unwrap();
    s.expect("Evidence note").unwrap();
    s.send("Named risk first\r").unwrap();
    s.expect("Saved: caseload-prioritisation = 3.").unwrap();
    s.expect("Question 2 of 2").unwrap();
    s.expect("Your score").unwrap();
    // Back to the first question, which shows the answer given.
    s.send("Back\r").unwrap();
    s.expect("Question 1 of 2").unwrap();
    s.expect("Your answer so far: 3 — Named risk first")
        .unwrap();
    s.send("4\r").unwrap();
    s.expect("Evidence note").unwrap();
    s.send("Named risk first, then booked reviews\r").unwrap();
    s.expect("Saved: caseload-prioritisation = 4.").unwrap();
    s.expect("Question 2 of 2").unwrap();
    s.send("5\r").unwrap();
    s.expect("Evidence note").unwrap();
    s.send("Named own assumptions\r").unwrap();
    // The whole sheet, as it will be sealed.
    s.expect("Review your sheet for C-1 before you submit")
        .unwrap();
    s.expect("caseload-prioritisation").unwrap();
    s.expect("Named risk first, then booked reviews").unwrap();
    s.expect("Named own assumptions").unwrap();
    s.expect("All questions answered").unwrap();
    s.send("\r").unwrap();
    s.expect("Submitted and sealed.").unwrap();
    s.expect(Eof).unwrap();
    assert_eq!(
        rusqlite_free_read(&e, "caseload-prioritisation"),
        "Named risk first, then booked reviews"
    );
    let log = e.json(&["log"]);
    let answers = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "score.answer")
        .count();
    // Every answer given was committed as given, the changed one included.
    assert_eq!(answers, 3);
}

#[test]
fn interrupting_moderation_keeps_each_agreed_score_already_given() {
    let e = Env::new();
    e.setup();
    // Both questions divergent.
    e.score_all("C-1", [[1, 1], [5, 5], [3, 3]]);
    let mut s = spawn(&e, &["--as", "Ann", "moderate", "V1", "C-1"]);
    passphrase(&mut s, &e, "Ann");
    s.expect("caseload-prioritisation:").unwrap();
    // Each panellist's evidence note beside their score.
    s.expect("Bola 5: Bola heard evidence for 5").unwrap();
    s.expect("Agreed score").unwrap();
    s.send("3\r").unwrap();
    s.expect("Reason").unwrap();
    s.send("The evidence sits at the anchor for 3\r").unwrap();
    s.expect("Saved: agreed score 3 for caseload-prioritisation.")
        .unwrap();
    s.expect("Agreed score").unwrap();
    // Ctrl-C at the second question.
    s.send("\x03").unwrap();
    s.expect("everything already answered is saved").unwrap();
    s.expect(Eof).unwrap();

    let r = e.json(&["reveal", "V1", "C-1"]);
    let agreed: Vec<_> = r["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["agreed"].clone())
        .collect();
    assert_eq!(agreed, vec![serde_json::json!(3), serde_json::Value::Null]);
    assert_eq!(e.json(&["verify"])["ok"], true);
}

#[test]
fn decide_asks_for_what_is_missing_at_a_terminal() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 4], [4, 4], [5, 4]]);
    e.score_all("C-2", [[3, 3], [3, 3], [3, 3]]);
    let mut s = spawn(&e, &["--as", "Ann", "decide", "V1"]);
    passphrase(&mut s, &e, "Ann");
    s.expect("Appoint").unwrap();
    s.expect("C-1 (rank 1").unwrap();
    s.send("\r").unwrap();
    s.expect("Reserve candidates").unwrap();
    s.send(" \r").unwrap();
    s.expect("Rationale").unwrap();
    s.send("Highest on both questions\r").unwrap();
    s.expect("Recorded the decision for V1: appoint C-1, reserve C-2.")
        .unwrap();
    s.expect(Eof).unwrap();
    let r = e.json(&["report", "V1"]);
    assert_eq!(r["decision"]["appointed"], "C-1");
    assert_eq!(r["decision"]["reserves"], serde_json::json!(["C-2"]));
}

#[test]
fn submit_shows_the_sheet_and_asks_before_sealing() {
    let e = Env::new();
    e.setup();
    for (q, v) in [
        ("caseload-prioritisation", "4"),
        ("diversity-discomfort", "3"),
    ] {
        e.as_ok(
            "Bola",
            &[
                "score",
                "V1",
                "C-1",
                "--panellist",
                "Bola",
                "--question",
                q,
                "--score",
                v,
                "--evidence",
                &format!("note on {q}"),
            ],
        );
    }
    let mut s = spawn(&e, &["submit", "V1", "C-1", "--panellist", "Bola"]);
    passphrase(&mut s, &e, "Bola");
    s.expect("Bola's sheet for C-1").unwrap();
    s.expect("note on diversity-discomfort").unwrap();
    s.expect("Submit and seal this sheet?").unwrap();
    s.send("y\r").unwrap();
    s.expect("Submitted and sealed Bola's sheet for C-1")
        .unwrap();
    s.expect(Eof).unwrap();
}

#[test]
fn a_vacancys_questions_are_chosen_from_a_list_marking_diversity_questions() {
    let e = Env::new();
    e.setup();
    let mut s = spawn(&e, &["--as", "Ann", "vacancy", "questions", "V1"]);
    passphrase(&mut s, &e, "Ann");
    s.expect("Questions for this interview").unwrap();
    s.expect("◆ diversity · diversity-discomfort").unwrap();
    // Filter to one more question, choose it, and keep the two already chosen.
    s.send("risk-suicidal").unwrap();
    s.expect("risk-suicidal-disclosure").unwrap();
    s.send(" \r").unwrap();
    s.expect("Why change the plan?").unwrap();
    s.send("Every post here carries risk work\r").unwrap();
    s.expect("Changed the question plan of V1 to 3 questions")
        .unwrap();
    s.expect(Eof).unwrap();
    let v = e.json(&["vacancy", "show", "V1"]);
    assert_eq!(
        v["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["id"].as_str().or(q.as_str()).unwrap().to_string())
            .collect::<Vec<_>>(),
        vec![
            "caseload-prioritisation",
            "risk-suicidal-disclosure",
            "diversity-discomfort"
        ]
    );
    let log = e.json(&["log"]);
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["action"] == "vacancy.questions"));

    // Once the first score is given the plan is fixed, and the terminal says so before asking anything.
    e.as_ok(
        "Bola",
        &[
            "score",
            "V1",
            "C-1",
            "--panellist",
            "Bola",
            "--question",
            "caseload-prioritisation",
            "--score",
            "3",
            "--evidence",
            "x",
        ],
    );
    let mut s = spawn(&e, &["--as", "Ann", "vacancy", "questions", "V1"]);
    passphrase(&mut s, &e, "Ann");
    let seen = s.expect("fixed: scoring has started").unwrap();
    assert!(!String::from_utf8_lossy(seen.before()).contains("Questions for this interview"));
    s.expect(Eof).unwrap();
}

#[test]
fn the_chairs_acts_at_a_terminal_ask_for_the_chairs_passphrase_first() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[1, 4], [5, 4], [3, 4]]);
    // No --as: the chair's passphrase is asked for before any question, not refused after the last.
    let mut s = spawn(&e, &["moderate", "V1", "C-1"]);
    let seen = s.expect("Passphrase for Ann").unwrap();
    assert!(!String::from_utf8_lossy(seen.before()).contains("Agreed score"));
    let pass = std::fs::read_to_string(e.cred("Ann")).unwrap();
    s.send(pass.trim()).unwrap();
    s.send("\r").unwrap();
    s.expect("Agreed score").unwrap();
    s.send("3\r").unwrap();
    s.expect("Reason").unwrap();
    s.send("The evidence sits at the anchor for 3\r").unwrap();
    s.expect("Saved: agreed score 3 for caseload-prioritisation.")
        .unwrap();
    s.expect(Eof).unwrap();
    let r = e.json(&["reveal", "V1", "C-1"]);
    assert_eq!(r["questions"][0]["agreed"], 3);
}

#[test]
fn decide_at_a_terminal_asks_why_divergent_scores_are_unresolved() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[1, 4], [5, 4], [3, 4]]);
    e.score_all("C-2", [[3, 3], [3, 3], [3, 3]]);
    let mut s = spawn(&e, &["--as", "Ann", "decide", "V1"]);
    passphrase(&mut s, &e, "Ann");
    s.expect("Divergent scores have no agreed score yet: C-1 · caseload-prioritisation")
        .unwrap();
    s.expect("Why decide with them unresolved?").unwrap();
    s.send("The panel discussed it and could not agree; the chair's note explains\r")
        .unwrap();
    s.expect("Appoint").unwrap();
    s.send("C-1\r").unwrap();
    s.expect("Reserve candidates").unwrap();
    s.send("\r").unwrap();
    s.expect("Rationale").unwrap();
    s.send("Strongest on diversity-discomfort, the criterion that separated them\r")
        .unwrap();
    s.expect("Recorded the decision for V1: appoint C-1.")
        .unwrap();
    s.expect(Eof).unwrap();
    let r = e.json(&["report", "V1"]);
    assert_eq!(r["decision"]["appointed"], "C-1");
    assert_eq!(
        r["decision"]["unresolved_reason"],
        "The panel discussed it and could not agree; the chair's note explains"
    );
}

#[test]
fn the_chair_marks_a_language_prompt_as_considered_from_a_list() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 4], [4, 4], [4, 4]]);
    e.score_all("C-2", [[3, 3], [3, 3], [3, 3]]);
    e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--rationale",
            "C-2 is not ready for the role",
        ],
    );
    let mut s = spawn(&e, &["--as", "Ann", "consider", "V1"]);
    passphrase(&mut s, &e, "Ann");
    s.expect("Which prompt has the panel considered?").unwrap();
    s.expect("\"not ready\" in the decision rationale").unwrap();
    s.send("\r").unwrap();
    s.expect("Note").unwrap();
    // A note is required.
    s.send("\r").unwrap();
    s.expect("this is required").unwrap();
    s.send("The criterion was the risk answer\r").unwrap();
    s.expect("was considered").unwrap();
    s.expect(Eof).unwrap();
    let md = e.ok(&["report", "V1"]);
    assert!(md.contains("Considered by Ann on "), "{md}");
    assert!(md.contains(": The criterion was the risk answer"), "{md}");
    assert_eq!(e.json(&["verify"])["ok"], true);
}
