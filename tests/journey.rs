//! The core journey through the real binary, by flags, on temporary databases.

mod common;
use common::Env;

#[test]
fn whole_journey_by_flags() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 3], [4, 5], [3, 4]]);
    let reveal = e.ok(&["reveal", "V1", "C-1"]);
    assert!(reveal.contains("all 3 sheets sealed"), "{reveal}");
    assert!(reveal.contains("Bola"));
    let j = e.json(&["reveal", "V1", "C-1"]);
    assert_eq!(j["panellists"], serde_json::json!(["Ann", "Bola", "Cy"]));
    assert_eq!(j["questions"][1]["scores"], serde_json::json!([3, 5, 4]));
    assert_eq!(j["totals"], serde_json::json!([7, 9, 7]));

    let md = e.ok(&["report", "V1"]);
    assert!(
        md.contains("# Decision report: Psychological Wellbeing Practitioner (V1)"),
        "{md}"
    );
    assert!(
        md.contains("Scores sealed: 0 of 3"),
        "C-2 is not scored, so nothing of it shows: {md}"
    );
    let html_path = e.path("r.html");
    e.ok(&[
        "report",
        "V1",
        "--format",
        "html",
        "-o",
        html_path.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    let j = e.json(&["vacancy", "show", "V1"]);
    assert_eq!(
        j["candidates"][0]["submitted"],
        serde_json::json!(["Ann", "Bola", "Cy"])
    );
    assert!(e.ok(&["verify"]).contains("unbroken chain"));
}

#[test]
fn reveal_is_refused_until_every_sheet_is_in() {
    let e = Env::new();
    e.setup();
    e.as_ok(
        "Ann",
        &[
            "score",
            "V1",
            "C-1",
            "--panellist",
            "Ann",
            "--question",
            "caseload-prioritisation",
            "--score",
            "4",
            "--evidence",
            "x",
        ],
    );
    let err = e.fails(&["reveal", "V1", "C-1"], 1);
    assert!(
        err.contains("waiting for Ann (still scoring), Bola (not started), Cy (not started)"),
        "{err}"
    );
    // Scores are not shown anywhere before reveal: not even in the report.
    let md = e.ok(&["report", "V1"]);
    assert!(!md.contains("| 4 |"), "{md}");
}

#[test]
fn a_submitted_sheet_is_sealed_and_corrections_are_kept_beside_it() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 3], [4, 5], [3, 4]]);
    let err = e.as_fails(
        "Cy",
        &[
            "score",
            "V1",
            "C-1",
            "--panellist",
            "Cy",
            "--question",
            "diversity-discomfort",
            "--score",
            "2",
            "--evidence",
            "y",
        ],
        1,
    );
    assert!(err.contains("submitted and sealed"), "{err}");
    let err = e.as_fails("Cy", &["submit", "V1", "C-1", "--panellist", "Cy"], 1);
    assert!(err.contains("already submitted"), "{err}");
    e.as_ok(
        "Cy",
        &[
            "score",
            "V1",
            "C-1",
            "--panellist",
            "Cy",
            "--question",
            "diversity-discomfort",
            "--score",
            "3",
            "--evidence",
            "re-read notes",
            "--correction-reason",
            "mis-keyed 4 for 3",
        ],
    );
    let j = e.json(&["reveal", "V1", "C-1"]);
    assert_eq!(j["corrections"][0]["original"], 4);
    assert_eq!(j["corrections"][0]["corrected"], 3);
    assert_eq!(j["corrections"][0]["reason"], "mis-keyed 4 for 3");
    assert!(e.ok(&["verify"]).contains("unbroken"));
}

#[test]
fn incomplete_sheets_cannot_be_submitted_and_scores_off_the_scale_are_refused() {
    let e = Env::new();
    e.setup();
    let err = e.as_fails("Ann", &["submit", "V1", "C-1", "--panellist", "Ann"], 1);
    assert!(err.contains("has not scored C-1"), "{err}");
    e.as_ok(
        "Ann",
        &[
            "score",
            "V1",
            "C-1",
            "--panellist",
            "Ann",
            "--question",
            "caseload-prioritisation",
            "--score",
            "5",
            "--evidence",
            "x",
        ],
    );
    let err = e.as_fails("Ann", &["submit", "V1", "C-1", "--panellist", "Ann"], 1);
    assert!(
        err.contains("no score yet for diversity-discomfort"),
        "{err}"
    );
    for bad in ["0", "6", "-1"] {
        let err = e.as_fails(
            "Ann",
            &[
                "score",
                "V1",
                "C-1",
                "--panellist",
                "Ann",
                "--question",
                "diversity-discomfort",
                "--score",
                bad,
                "--evidence",
                "x",
            ],
            1,
        );
        assert!(err.contains("outside the scale 1..5"), "{err}");
    }
    let err = e.as_fails(
        "Ann",
        &[
            "score",
            "V1",
            "C-1",
            "--panellist",
            "Ann",
            "--question",
            "diversity-discomfort",
            "--score",
            "3",
            "--evidence",
            " ",
        ],
        1,
    );
    assert!(err.contains("evidence note is required"), "{err}");
    let err = e.as_fails(
        "Nobody",
        &[
            "score",
            "V1",
            "C-1",
            "--panellist",
            "Nobody",
            "--question",
            "diversity-discomfort",
            "--score",
            "3",
            "--evidence",
            "x",
        ],
        1,
    );
    assert!(err.contains("no person called \"Nobody\""), "{err}");
    // Entering a paper sheet for someone not on the panel is refused too.
    let err = e.fails(
        &[
            "score",
            "V1",
            "C-1",
            "--on-behalf-of",
            "Nobody",
            "--reason",
            "paper sheet",
            "--question",
            "diversity-discomfort",
            "--score",
            "3",
            "--evidence",
            "x",
        ],
        1,
    );
    assert!(err.contains("no panellist \"Nobody\""), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let e = Env::new();
    e.setup();
    e.fails(&["score", "V1", "C-1"], 2);
    e.fails(&["vacancy", "create", "--id", "V2"], 2);
    e.fails(&["no-such-command"], 2);
    e.as_fails(
        "Ann",
        &[
            "score",
            "V1",
            "C-1",
            "--panellist",
            "Ann",
            "--question",
            "q",
        ],
        2,
    );
}

#[test]
fn read_commands_speak_json() {
    let e = Env::new();
    e.setup();
    let banks = e.json(&["bank", "list"]);
    assert_eq!(banks[0]["id"], "nhs-talking-therapies");
    let bank = e.json(&["bank", "show", "nhs-talking-therapies"]);
    assert!(bank["questions"].as_array().unwrap().len() >= 10);
    assert_eq!(e.json(&["vacancy", "list"])[0]["id"], "V1");
    let panel = e.json(&["panel", "list", "V1"]);
    assert_eq!(panel[1]["name"], "Bola");
    assert_eq!(panel[1]["ethnicity_declared"], true);
    assert!(
        panel[1].get("ethnicity").is_none(),
        "the declaration itself is not listed"
    );
    assert_eq!(e.json(&["candidate", "list", "V1"])[0]["reference"], "C-1");
    assert_eq!(e.json(&["verify"])["ok"], true);
    let log = e.json(&["log"]);
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .any(|ev| ev["action"] == "vacancy.create"));
    assert_eq!(
        e.json(&["interview", "V1", "C-1"])[1]["category"],
        "diversity-attitude"
    );
    assert!(e.json(&["ethnicity"]).as_array().unwrap().len() > 30);
}

#[test]
fn interview_guide_prints_questions_probes_and_anchors() {
    let e = Env::new();
    e.setup();
    let g = e.ok(&["interview", "V1", "C-1", "--print"]);
    assert!(
        g.contains("Question 2 of 2 · diversity-attitude · diversity-discomfort"),
        "{g}"
    );
    assert!(g.contains("Are there any groups of people you would feel uncomfortable working with?"));
    assert!(g.contains("Probes:"));
    assert!(g.contains("5 (Outstanding evidence):"));
}

#[test]
fn panellist_ethnicity_is_validated_and_revocable() {
    let e = Env::new();
    e.setup();
    let err = e.fails(
        &["panel", "add", "V1", "--name", "Dee", "--ethnicity", "Q"],
        2,
    );
    assert!(err.contains("unknown ethnicity"), "{err}");
    // A declaration is the panellist's own: nobody else may withdraw or change it.
    let err = e.as_fails(
        "Ann",
        &["panel", "ethnicity", "V1", "--name", "Bola", "--withdraw"],
        1,
    );
    assert!(err.contains("Bola"), "{err}");
    e.as_ok(
        "Bola",
        &["panel", "ethnicity", "V1", "--name", "Bola", "--withdraw"],
    );
    assert_eq!(
        e.json(&["panel", "list", "V1"])[1]["ethnicity_declared"],
        false
    );
    let err = e.fails(
        &["panel", "add", "V1", "--name", "Ed", "--role", "chair"],
        1,
    );
    assert!(err.contains("already has a chair"), "{err}");
    let err = e.fails(
        &[
            "panel",
            "add",
            "V1",
            "--name",
            "Ed",
            "--trained",
            "last year",
        ],
        2,
    );
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    // The UK way of writing a date is understood.
    e.add_panellist(&["V1", "--name", "Ed", "--trained", "10/03/2025"]);
    assert_eq!(
        e.json(&["panel", "list", "V1"])[3]["trained_on"],
        "2025-03-10"
    );
}

#[test]
fn broken_pipe_exits_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let e = Env::new();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("fairpanel"))
        .args([
            "--db",
            e.db.to_str().unwrap(),
            "bank",
            "show",
            "nhs-talking-therapies",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = [0u8; 16];
    out.read_exact(&mut buf).unwrap();
    drop(out);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status:?} {err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn demo_builds_a_vacancy_and_writes_reports() {
    let e = Env::new();
    let out = e.path("demo");
    let s = e.ok(&["demo", "--out", out.to_str().unwrap()]);
    assert!(s.contains("Decision report:"), "{s}");
    let md = std::fs::read_to_string(out.join("decision-report.md")).unwrap();
    assert!(md.contains("C-103"));
    assert!(md.contains("Divergent scores"));
    assert!(out.join("decision-report.html").exists());
    // Running it again starts afresh.
    e.ok(&["demo", "--out", out.to_str().unwrap()]);
}

#[test]
fn conflicts_of_interest_are_recorded_and_reported() {
    let e = Env::new();
    e.setup();
    e.ok(&[
        "panel",
        "conflict",
        "V1",
        "--panellist",
        "Cy",
        "--candidate",
        "C-2",
        "--note",
        "line manager in current post",
    ]);
    assert_eq!(
        e.json(&["panel", "list", "V1"])[2]["conflicts"],
        serde_json::json!(["C-2"])
    );
    let out = e.ok(&["panel", "check", "V1"]);
    assert!(
        out.contains("Cy declared a conflict of interest with C-2: line manager in current post"),
        "{out}"
    );
    let err = e.fails(
        &[
            "panel",
            "conflict",
            "V1",
            "--panellist",
            "Cy",
            "--candidate",
            "C-9",
            "--note",
            "x",
        ],
        1,
    );
    assert!(err.contains("no candidate \"C-9\""), "{err}");
}

#[test]
fn backup_copies_a_verifiable_database_and_refuses_to_overwrite() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 3], [4, 5], [3, 4]]);
    let copy = e.path("copy.db");
    e.ok(&["backup", copy.to_str().unwrap()]);
    let j: serde_json::Value =
        serde_json::from_str(&common::ok_on(&copy, &["verify", "--format", "json"])).unwrap();
    assert_eq!(j["ok"], true);
    assert!(j["rows_checked"].as_i64().unwrap() > 10, "{j}");
    let err = e.fails(&["backup", copy.to_str().unwrap()], 1);
    assert!(err.contains("exists"), "{err}");
}
