//! Bias checks through the binary: exit code 3 on a gap, JSON findings, moderation and decision rules.

mod common;
use common::Env;

#[test]
fn check_exits_3_on_a_gap_and_speaks_json() {
    let e = Env::new();
    e.setup();
    // Bola (N) is the only minority member; withdraw the declaration: the requirement can't be confirmed.
    e.as_ok(
        "Bola",
        &["panel", "ethnicity", "V1", "--name", "Bola", "--withdraw"],
    );
    let out = e
        .cmd()
        .args(["check", "V1", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let f: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let gap = f
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["severity"] == "gap")
        .unwrap();
    assert_eq!(gap["check"], "composition");
    assert!(
        gap["message"]
            .as_str()
            .unwrap()
            .contains("Bola, Cy did not state"),
        "{gap}"
    );
    let out = e.cmd().args(["panel", "check", "V1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cannot be confirmed"));
    e.as_ok(
        "Bola",
        &[
            "panel",
            "ethnicity",
            "V1",
            "--name",
            "Bola",
            "--ethnicity",
            "Caribbean",
        ],
    );
    e.ok(&["panel", "check", "V1"]);
    e.ok(&["check", "V1"]);
}

#[test]
fn moderation_needs_a_reason_when_it_moves_from_the_median() {
    let e = Env::new();
    e.setup();
    let err = e.as_fails(
        "Ann",
        &[
            "moderate",
            "V1",
            "C-1",
            "--question",
            "diversity-discomfort",
            "--score",
            "3",
        ],
        1,
    );
    assert!(
        err.contains("cannot reveal C-1 yet"),
        "moderation waits for reveal: {err}"
    );
    e.score_all("C-1", [[4, 4], [4, 1], [4, 4]]);
    let err = e.as_fails(
        "Ann",
        &[
            "moderate",
            "V1",
            "C-1",
            "--question",
            "diversity-discomfort",
            "--score",
            "2",
        ],
        1,
    );
    assert!(
        err.contains("differs from the independent median (4)"),
        "{err}"
    );
    e.as_ok(
        "Ann",
        &[
            "moderate",
            "V1",
            "C-1",
            "--question",
            "diversity-discomfort",
            "--score",
            "4",
        ],
    );
    // An agreed score is never replaced silently: a revision needs its own reason, and both stay.
    let args = [
        "moderate",
        "V1",
        "C-1",
        "--question",
        "diversity-discomfort",
        "--score",
        "3",
        "--reason",
        "Bola heard no example of acting on a bias; others agreed on re-reading the notes",
    ];
    let err = e.as_fails("Ann", &args, 1);
    assert!(err.contains("never replaced silently"), "{err}");
    let mut revised = args.to_vec();
    revised.extend(["--revision-reason", "re-read the notes together"]);
    let out = e.as_ok("Ann", &revised);
    assert!(out.contains("Recorded agreed score 3"), "{out}");
    let report = e.json(&["report", "V1"]);
    assert_eq!(report["moderations"].as_array().unwrap().len(), 2);
    assert_eq!(
        report["moderations"][1]["revision_reason"],
        "re-read the notes together"
    );
    let r = e.json(&["check", "V1"]);
    assert!(r
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["check"] == "moderation"));
}

#[test]
fn a_decision_waits_for_divergence_to_be_discussed() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 4], [4, 1], [4, 4]]);
    e.score_all("C-2", [[3, 3], [3, 3], [3, 3]]);
    let err = e.as_fails(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--rationale",
            "Strongest answers",
        ],
        1,
    );
    assert!(
        err.contains("divergent scores have not been discussed"),
        "{err}"
    );
    assert!(err.contains("C-1 · diversity-discomfort"), "{err}");
    // The chair may record why the divergence stays unresolved; that reason is kept and reported.
    let out = e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--rationale",
            "Strongest answers on risk",
            "--unresolved-reason",
            "Bola was unavailable for the discussion; to be reviewed by the inclusion lead",
        ],
    );
    assert!(
        out.contains("Recorded the decision for V1: appoint C-1"),
        "{out}"
    );
    let md = e.ok(&["report", "V1"]);
    assert!(
        md.contains("Recorded with divergence unresolved, because:"),
        "{md}"
    );
}

#[test]
fn appointing_below_the_top_needs_a_rationale_and_language_is_prompted() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[5, 5], [5, 5], [5, 4]]);
    e.score_all("C-2", [[3, 3], [3, 3], [3, 3]]);
    let err = e.as_fails(
        "Ann",
        &["decide", "V1", "--appoint", "C-2", "--rationale", " "],
        1,
    );
    assert!(err.contains("rationale is required"), "{err}");
    let out = e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-2",
            "--rationale",
            "C-1 is not ready and would not fit in with the team",
        ],
    );
    assert!(out.contains("\"not ready\""), "{out}");
    // Appointing below the top needs a fairness sign-off under the built-in policy: until then the
    // decision is not final, and check says so with its gap exit code.
    let out = e
        .cmd()
        .args(["check", "V1", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks: Vec<&str> = j
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert!(checks.contains(&"decision"), "{checks:?}");
    assert!(checks.contains(&"language"), "{checks:?}");
    let review = j
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "review")
        .unwrap();
    assert_eq!(review["severity"], "gap");
    assert!(review["message"]
        .as_str()
        .unwrap()
        .contains("the appointed candidate was not the highest scored"));
}

#[test]
fn a_vacancy_keeps_its_own_policy_and_bad_policies_are_located() {
    let e = Env::new();
    let bad = e.write(
        "bad-policy.yaml",
        &fairpanel::policy::DEFAULT_YAML.replace("min_panel_size: 3", "min_panel_size: three"),
    );
    let err = e.fails(
        &[
            "vacancy",
            "create",
            "--id",
            "V9",
            "--title",
            "T",
            "--bank",
            "nhs-talking-therapies",
            "--policy",
            bad.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("bad-policy.yaml:5:17"), "{err}");
    let strict = e.write(
        "strict.yaml",
        &fairpanel::policy::DEFAULT_YAML.replace("min_panel_size: 3", "min_panel_size: 4"),
    );
    e.ok(&[
        "vacancy",
        "create",
        "--id",
        "V9",
        "--title",
        "T",
        "--bank",
        "nhs-talking-therapies",
        "--policy",
        strict.to_str().unwrap(),
    ]);
    e.ok(&[
        "panel",
        "add",
        "V9",
        "--name",
        "A",
        "--ethnicity",
        "H",
        "--trained",
        "2026-01-01",
    ]);
    e.ok(&["panel", "add", "V9", "--name", "B"]);
    e.ok(&["panel", "add", "V9", "--name", "C"]);
    let out = e.cmd().args(["panel", "check", "V9"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("requires at least 4"));
    // The report states the rules it applied.
    let j = e.json(&["report", "V9"]);
    assert!(j["policy"]["source"]
        .as_str()
        .unwrap()
        .ends_with("strict.yaml"));
    assert_eq!(j["policy"]["min_panel_size"], 4);
}

#[test]
fn a_prompt_the_chair_considered_shows_their_note_and_no_longer_warns() {
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
    let findings = e.json(&["check", "V1"]);
    let prompt = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "language")
        .expect("a language prompt")
        .clone();
    assert_eq!(prompt["severity"], "warning");
    let key = prompt["data"]["key"].as_str().unwrap();
    // Only the chair may mark it, and only a prompt that exists.
    e.as_fails("Bola", &["consider", "V1", key, "--note", "fine"], 1);
    let err = e.as_fails("Ann", &["consider", "V1", "nope|x|1", "--note", "x"], 1);
    assert!(err.contains("no language prompt"), "{err}");
    e.as_ok(
        "Ann",
        &[
            "consider",
            "V1",
            key,
            "--note",
            "The criterion was the risk answer; the rationale now says so",
        ],
    );
    let findings = e.json(&["check", "V1"]);
    let prompt = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["data"]["key"] == key)
        .unwrap();
    assert_eq!(prompt["severity"], "info");
    assert_eq!(prompt["data"]["considered"]["by"], "Ann");
    let md = e.ok(&["report", "V1"]);
    assert!(
        md.contains("Considered by Ann on 2026-11-26: The criterion was the risk answer"),
        "{md}"
    );
    let html = e.ok(&["report", "V1", "--format", "html"]);
    assert!(
        html.contains("<span class=\"sev\">considered</span>"),
        "{html}"
    );
    // The record holds the act, and replaying it rebuilds the same state.
    let log = e.json(&["log"]);
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["action"] == "language.considered"));
    assert_eq!(e.json(&["verify"])["ok"], true);
}
