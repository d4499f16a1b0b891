//! Fairness review on the record, through the binary: sign-off, return and answer, a review made on
//! an earlier version, who may review, and a review the policy requires before a decision is final.

mod common;
use common::{invitation, Env};
use serde_json::Value;

/// A reviewer outside the panel, holding the reviewer role, with training on `trained` (if any).
fn add_reviewer(e: &Env, name: &str, role: bool, trained: Option<&str>) {
    let mut a = vec!["person", "add", name];
    if role {
        a.extend(["--role", "reviewer"]);
    }
    if let Some(t) = trained {
        a.extend(["--trained", t]);
    }
    let out = e.ok(&a);
    e.redeem(name, &invitation(&out));
}

/// Ann, Bola and Cy score V1; on diversity-discomfort for C-1 Bola (self-declared N) gives 1 and
/// the others 4 and 5, and Ann's agreed 4 overrules her: the built-in policy then needs a sign-off.
fn decided_over_dissent(e: &Env) {
    e.setup();
    e.score_all("C-1", [[4, 4], [4, 1], [3, 5]]);
    e.score_all("C-2", [[3, 3], [3, 3], [3, 3]]);
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
            "--reason",
            "Most of the panel heard a reflective answer",
        ],
    );
    e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--reserve",
            "C-2",
            "--rationale",
            "Strongest on risk; reflective on diversity",
        ],
    );
}

/// C-1 clearly ahead with no divergence: nothing in the built-in policy calls for review.
fn decided_cleanly(e: &Env, vacancy: &str) {
    e.score_in(vacancy, "C-1", [[4, 4], [4, 4], [5, 4]]);
    e.score_in(vacancy, "C-2", [[3, 3], [3, 3], [3, 3]]);
    e.as_ok(
        "Ann",
        &[
            "decide",
            vacancy,
            "--appoint",
            "C-1",
            "--rationale",
            "Highest on both questions",
        ],
    );
}

fn report(e: &Env, vacancy: &str) -> Value {
    e.json(&["report", vacancy])
}

/// `check` as JSON, with its exit code.
fn check(e: &Env, vacancy: &str) -> (i32, Vec<Value>) {
    let out = e
        .cmd()
        .args(["check", vacancy, "--format", "json"])
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    (out.status.code().unwrap(), j.as_array().unwrap().to_vec())
}

fn review_finding(findings: &[Value]) -> Value {
    findings
        .iter()
        .find(|f| f["check"] == "review")
        .cloned()
        .unwrap_or(Value::Null)
}

fn verified(e: &Env) {
    let v = e.json(&["verify"]);
    assert_eq!(v["ok"], true, "{v}");
}

fn sign_off(e: &Env, reviewer: &str, vacancy: &str) -> String {
    e.as_ok(
        reviewer,
        &["review", vacancy, "--reviewer", reviewer, "--sign-off"],
    )
}

/// The number `review` printed for the review it recorded.
fn review_seq(out: &str) -> String {
    let at =
        out.find("Recorded review ").expect("a review was recorded") + "Recorded review ".len();
    out[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect()
}

#[test]
fn a_sign_off_is_bound_to_the_report_read_and_shown_at_the_top() {
    let e = Env::new();
    decided_over_dissent(&e);
    add_reviewer(&e, "Rita", true, Some("2026-01-05"));

    let before = report(&e, "V1");
    assert_eq!(before["review"]["status"], "awaiting");
    assert_eq!(before["review"]["decision_final"], false);
    assert!(before["review"]["required_because"][0]
        .as_str()
        .unwrap()
        .contains(
        "self-declared an ethnic-minority background was overruled (C-1 · diversity-discomfort)"
    ));
    let (code, findings) = check(&e, "V1");
    assert_eq!(
        code, 3,
        "a decision that needs review is not final without one"
    );
    assert_eq!(review_finding(&findings)["severity"], "gap");
    assert!(e.ok(&["report", "V1"]).contains("**Not final**"));
    let listed = |e: &Env| e.json(&["vacancy", "list"])[0].clone();
    assert_eq!(listed(&e)["review"], "awaiting");
    assert_eq!(listed(&e)["review_required"], true);
    assert!(e
        .ok(&["vacancy", "list"])
        .contains("decided, awaiting review (required)"));

    let out = e.as_ok(
        "Rita",
        &[
            "review",
            "V1",
            "--reviewer",
            "Rita",
            "--sign-off",
            "--note",
            "Read the dissent and the reason for overruling it",
        ],
    );
    assert_eq!(listed(&e)["review"], "signed-off");
    assert!(e.ok(&["vacancy", "list"]).contains("decided, signed off"));
    // The reviewer read the summary the brief asks for before anything was recorded.
    for part in [
        "Fairness review of V1",
        "Gaps and their overrides",
        "Divergent scores and their moderation",
        "Overruled dissent",
        "Corrections after submission",
        "Language prompts",
        "Applicants by group",
        &format!("Receipt {}", before["receipt"].as_str().unwrap()),
    ] {
        assert!(out.contains(part), "{part:?} missing from {out}");
    }
    assert!(out.contains("Review: Signed off by Rita"), "{out}");

    let after = report(&e, "V1");
    let r = &after["review"];
    assert_eq!(r["status"], "signed-off");
    assert_eq!(r["decision_final"], true);
    assert_eq!(r["exchange"].as_array().unwrap().len(), 1);
    let x = &r["exchange"][0];
    assert_eq!(x["verdict"], "signed-off");
    assert_eq!(x["reviewer"], "Rita");
    assert_eq!(x["receipt"], before["receipt"], "bound to the report read");
    assert_eq!(x["current"], true);
    assert_eq!(
        x["note"],
        "Read the dissent and the reason for overruling it"
    );
    assert!(x["standing"]
        .as_str()
        .unwrap()
        .starts_with("not on the panel; holds the reviewer role"));
    assert_eq!(
        r["headline"],
        format!(
            "Signed off by Rita on 2026-11-26 for receipt {}.",
            before["receipt"].as_str().unwrap()
        )
    );
    let md = e.ok(&["report", "V1"]);
    assert!(
        md.contains("**Fairness review:** Signed off by Rita on 2026-11-26"),
        "{md}"
    );
    assert!(
        md.contains("**Final**: signed off as the policy requires"),
        "{md}"
    );
    assert!(md.contains(&format!(
        "### Review {}: signed off by Rita",
        review_seq(&out)
    )));
    // The report's own receipt comes first, so a report file still checks as its receipt.
    let receipt_at = md.find("**Receipt:**").unwrap();
    assert!(receipt_at < md.find("**Fairness review:**").unwrap());
    let html = e.ok(&["report", "V1", "--format", "html"]);
    assert!(html.contains("Signed off by Rita on 2026-11-26"));
    assert!(!html.contains("Not final"));
    let (code, findings) = check(&e, "V1");
    assert_eq!(code, 0, "{findings:?}");
    assert_eq!(review_finding(&findings)["severity"], "info");
    let file = e.write("report.md", &md);
    e.ok(&["verify", "--receipt", file.to_str().unwrap()]);
    verified(&e);
}

#[test]
fn a_returned_decision_is_answered_by_the_chair_decided_again_and_reviewed_again() {
    let e = Env::new();
    decided_over_dissent(&e);
    add_reviewer(&e, "Rita", true, Some("2026-01-05"));
    let out = e.as_ok(
        "Rita",
        &[
            "review",
            "V1",
            "--reviewer",
            "Rita",
            "--return",
            "--question",
            "What evidence beyond the majority view supports the agreed 4?",
            "--question",
            "Was Bola asked about her score before it was overruled?",
        ],
    );
    let returned = review_seq(&out);
    assert!(out.contains(&format!("--review {returned}")), "{out}");
    let r = report(&e, "V1");
    assert_eq!(r["review"]["status"], "returned");
    assert_eq!(r["review"]["decision_final"], false);
    assert_eq!(
        r["review"]["exchange"][0]["questions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(check(&e, "V1").0, 3);

    // A returned decision goes back to the chair: nobody reviews it again until she has answered
    // and recorded the decision again.
    let err = e.as_fails(
        "Rita",
        &["review", "V1", "--reviewer", "Rita", "--sign-off"],
        1,
    );
    assert!(err.contains("has not answered them yet"), "{err}");
    let err = e.as_fails(
        "Cy",
        &[
            "review",
            "answer",
            "V1",
            "--review",
            &returned,
            "--answer",
            "It was fine",
        ],
        1,
    );
    assert!(err.contains("the chair's to do"), "{err}");
    let err = e.as_fails(
        "Ann",
        &[
            "review",
            "answer",
            "V1",
            "--review",
            "1",
            "--answer",
            "It was fine",
        ],
        1,
    );
    assert!(err.contains("has no review 1"), "{err}");
    e.as_ok(
        "Ann",
        &[
            "review",
            "answer",
            "V1",
            "--review",
            &returned,
            "--answer",
            "Bola was asked; Cy and I heard an example of acting on an assumption, which the anchors score 4. \
             We also wondered if C-2 was not ready, but the scores did not show it.",
        ],
    );
    let err = e.as_fails(
        "Ann",
        &[
            "review", "answer", "V1", "--review", &returned, "--answer", "More",
        ],
        1,
    );
    assert!(err.contains("already answered"), "{err}");
    let err = e.as_fails(
        "Rita",
        &["review", "V1", "--reviewer", "Rita", "--sign-off"],
        1,
    );
    assert!(err.contains("has not recorded the decision again"), "{err}");
    let err = e.as_fails(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--reserve",
            "C-2",
            "--rationale",
            "Same",
        ],
        1,
    );
    assert!(err.contains("--revision-reason"), "{err}");
    // The missing sign-off is not a gap that stands in the way of deciding again.
    e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--reserve",
            "C-2",
            "--rationale",
            "Strongest on risk; a reflective example on diversity",
            "--revision-reason",
            "Re-affirmed after the fairness review's questions were answered",
        ],
    );
    let r = report(&e, "V1");
    assert_eq!(r["review"]["status"], "awaiting");
    assert!(r["review"]["headline"]
        .as_str()
        .unwrap()
        .contains(&format!("answered the questions of review {returned}")));
    assert_eq!(check(&e, "V1").0, 3, "still not final");
    // The chair's answer is read for language like a rationale.
    assert!(r["language"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["message"]
            .as_str()
            .unwrap()
            .contains(&format!("in the answer to review {returned}"))));

    let out = sign_off(&e, "Rita", "V1");
    let signed = review_seq(&out);
    let r = report(&e, "V1");
    assert_eq!(r["review"]["status"], "signed-off");
    let x = r["review"]["exchange"].as_array().unwrap();
    assert_eq!(x.len(), 2);
    assert_eq!(x[0]["verdict"], "returned");
    assert_eq!(x[0]["answer"]["by"], "Ann");
    assert_eq!(x[0]["then"].as_array().unwrap().len(), 1);
    assert!(x[0]["then"][0]
        .as_str()
        .unwrap()
        .starts_with("Ann re-affirmed the decision"));
    assert_eq!(x[1]["verdict"], "signed-off");
    assert_eq!(x[1]["seq"].to_string(), signed);
    let md = e.ok(&["report", "V1"]);
    for part in [
        "- Question: What evidence beyond the majority view supports the agreed 4?",
        "- Answer by Ann",
        "- Then Ann re-affirmed the decision",
        &format!("### Review {signed}: signed off by Rita"),
    ] {
        assert!(md.contains(part), "{part:?} missing from {md}");
    }
    // Only a returned review is answered.
    let err = e.as_fails(
        "Ann",
        &[
            "review", "answer", "V1", "--review", &signed, "--answer", "Thanks",
        ],
        1,
    );
    assert!(
        err.contains("only a returned decision is answered"),
        "{err}"
    );
    assert_eq!(check(&e, "V1").0, 0);
    verified(&e);
}

#[test]
fn a_change_to_the_vacancy_after_a_sign_off_needs_a_new_review_and_nothing_else_does() {
    let e = Env::new();
    decided_over_dissent(&e);
    add_reviewer(&e, "Rita", true, Some("2026-01-05"));
    let read_first = e.write("read-first.md", &e.ok(&["report", "V1"]));
    sign_off(&e, "Rita", "V1");
    assert_eq!(report(&e, "V1")["review"]["status"], "signed-off");

    // Events elsewhere in the log, and records kept about personal data in this vacancy, change
    // nothing the reviewer read.
    e.ok(&[
        "vacancy",
        "create",
        "--id",
        "V2",
        "--title",
        "Other post",
        "--bank",
        "nhs-talking-therapies",
        "--questions",
        "diversity-discomfort",
    ]);
    e.add_panellist(&["V2", "--name", "Dee", "--role", "chair"]);
    e.add_person("Hana", &["hr"]);
    e.as_ok(
        "Hana",
        &[
            "candidate",
            "export",
            "V1",
            "C-2",
            "-o",
            e.path("sar.json").to_str().unwrap(),
        ],
    );
    let r = report(&e, "V1");
    assert_eq!(r["review"]["status"], "signed-off", "{}", r["review"]);
    assert_eq!(check(&e, "V1").0, 0);

    // The chair revises an agreed score: the sign-off was made on an earlier version.
    e.as_ok(
        "Ann",
        &[
            "moderate",
            "V1",
            "C-1",
            "--question",
            "caseload-prioritisation",
            "--score",
            "4",
            "--reason",
            "Agreed on the anchors",
        ],
    );
    let r = report(&e, "V1");
    assert_eq!(r["review"]["status"], "stale");
    assert_eq!(r["review"]["decision_final"], false);
    assert_eq!(r["review"]["exchange"][0]["earlier_version"], true);
    assert!(r["review"]["headline"]
        .as_str()
        .unwrap()
        .starts_with("Review made on an earlier version: Rita signed off on 2026-11-26"));
    assert!(e
        .ok(&["report", "V1"])
        .contains("**made on an earlier version**"));
    let (code, findings) = check(&e, "V1");
    assert_eq!(code, 3);
    assert!(review_finding(&findings)["message"]
        .as_str()
        .unwrap()
        .contains("made on an earlier version of the record"));

    // A review of a report read before the change is refused; a review of the record as it stands
    // is not.
    let err = e.as_fails(
        "Rita",
        &[
            "review",
            "V1",
            "--reviewer",
            "Rita",
            "--sign-off",
            "--receipt",
            read_first.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("is out of date"), "{err}");
    let as_it_stands = report(&e, "V1")["receipt"].clone();
    let now = e.write("now.md", &e.ok(&["report", "V1"]));
    e.as_ok(
        "Rita",
        &[
            "review",
            "V1",
            "--reviewer",
            "Rita",
            "--sign-off",
            "--receipt",
            now.to_str().unwrap(),
        ],
    );
    let r = report(&e, "V1");
    assert_eq!(r["review"]["status"], "signed-off");
    assert_eq!(r["review"]["exchange"][1]["receipt"], as_it_stands);
    assert_eq!(check(&e, "V1").0, 0);
    verified(&e);
}

#[test]
fn the_policy_decides_who_may_review() {
    let e = Env::new();
    decided_over_dissent(&e);
    // Ann chairs the panel; Cy sits on it. Both are given the reviewer role.
    for p in ["Ann", "Cy"] {
        e.ok(&[
            "person",
            "role",
            p,
            "--role",
            "reviewer",
            "--trained",
            "2026-01-05",
        ]);
    }
    let err = e.as_fails(
        "Ann",
        &["review", "V1", "--reviewer", "Ann", "--sign-off"],
        1,
    );
    assert!(
        err.contains("Ann sits on the panel of V1 (chair); its policy requires a reviewer independent of the panel"),
        "{err}"
    );
    let err = e.as_fails(
        "Cy",
        &[
            "review",
            "V1",
            "--reviewer",
            "Cy",
            "--return",
            "--question",
            "Why?",
        ],
        1,
    );
    assert!(err.contains("Cy sits on the panel of V1 (member)"), "{err}");
    add_reviewer(&e, "Rex", false, None);
    let err = e.as_fails(
        "Rex",
        &["review", "V1", "--reviewer", "Rex", "--sign-off"],
        1,
    );
    assert!(err.contains("Rex does not hold the reviewer role"), "{err}");
    add_reviewer(&e, "Tia", true, Some("2022-06-01"));
    let err = e.as_fails(
        "Tia",
        &["review", "V1", "--reviewer", "Tia", "--sign-off"],
        1,
    );
    assert!(
        err.contains("Tia's fairness-review training (2022-06-01) is not in date: the policy of V1 requires training since 2023-11-26"),
        "{err}"
    );
    add_reviewer(&e, "Una", true, None);
    let err = e.as_fails(
        "Una",
        &["review", "V1", "--reviewer", "Una", "--sign-off"],
        1,
    );
    assert!(err.contains("(none recorded) is not in date"), "{err}");
    let r = report(&e, "V1");
    assert!(
        r["review"]["exchange"].as_array().unwrap().is_empty(),
        "nothing was recorded"
    );

    // Under a policy that asks neither, the chair may review her own panel's decision, and the
    // report says where she stood.
    let policy = fairpanel::policy::DEFAULT_YAML
        .replace("independent: true", "independent: false")
        .replace("require_role: true", "require_role: false");
    let f = e.write("open.yaml", &policy);
    e.setup_vacancy("V2", &["--policy", f.to_str().unwrap()]);
    decided_cleanly(&e, "V2");
    sign_off(&e, "Ann", "V2");
    sign_off(&e, "Rex", "V2");
    let r = report(&e, "V2");
    assert_eq!(r["review"]["policy"]["independent"], false);
    let x = r["review"]["exchange"].as_array().unwrap();
    assert_eq!(
        x[0]["standing"],
        "sits on the panel (chair); holds the reviewer role, fairness-review training 2026-01-05"
    );
    assert_eq!(
        x[1]["standing"],
        "not on the panel; does not hold the reviewer role"
    );
    verified(&e);
}

#[test]
fn only_the_reviewer_with_their_own_passphrase_can_review() {
    let e = Env::new();
    decided_over_dissent(&e);
    add_reviewer(&e, "Rita", true, Some("2026-01-05"));
    // No passphrase at all.
    let err = e.fails(&["review", "V1", "--reviewer", "Rita", "--sign-off"], 2);
    assert!(err.contains("needs Rita's passphrase"), "{err}");
    // Someone else's passphrase.
    let err = e
        .cmd()
        .args(["--credential-file", e.cred("Ann").to_str().unwrap()])
        .args(["review", "V1", "--reviewer", "Rita", "--sign-off"])
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(1));
    let said = String::from_utf8_lossy(&err.stderr);
    assert!(said.contains("that is not Rita's passphrase"), "{said}");
    // Acting as one person while naming another as the reviewer.
    let err = e.as_fails(
        "Ann",
        &["review", "V1", "--reviewer", "Rita", "--sign-off"],
        2,
    );
    assert!(
        err.contains("--reviewer Rita and --as Ann name different people"),
        "{err}"
    );
    // Without saying what the review is, nothing can be recorded off a terminal.
    let err = e.as_fails("Rita", &["review", "V1", "--reviewer", "Rita"], 2);
    assert!(err.contains("--sign-off, or --return"), "{err}");
    let err = e.as_fails(
        "Rita",
        &["review", "V1", "--reviewer", "Rita", "--return"],
        2,
    );
    assert!(err.contains("--question"), "{err}");
    let r = report(&e, "V1");
    assert!(r["review"]["exchange"].as_array().unwrap().is_empty());
    assert_eq!(check(&e, "V1").0, 3);
    // The reviewer named with --as alone is the reviewer.
    e.as_ok("Rita", &["review", "V1", "--sign-off"]);
    assert_eq!(
        report(&e, "V1")["review"]["exchange"][0]["reviewer"],
        "Rita"
    );
    verified(&e);
}

#[test]
fn the_policy_says_when_a_decision_needs_a_sign_off_to_be_final() {
    let e = Env::new();
    add_reviewer(&e, "Rita", true, Some("2026-01-05"));
    // Built in: a clean decision needs none.
    e.setup();
    decided_cleanly(&e, "V1");
    let r = report(&e, "V1");
    assert_eq!(r["review"]["required"], false);
    assert_eq!(r["review"]["decision_final"], true);
    let (code, findings) = check(&e, "V1");
    assert_eq!(code, 0);
    assert_eq!(review_finding(&findings)["severity"], "info");
    assert!(e
        .ok(&["report", "V1"])
        .contains("**Final**: the policy requires a review only when"));

    // Always: the same decision is not final until it is signed off.
    let always = e.write(
        "always.yaml",
        &fairpanel::policy::DEFAULT_YAML.replace("required: when-needed", "required: always"),
    );
    e.setup_vacancy("V2", &["--policy", always.to_str().unwrap()]);
    decided_cleanly(&e, "V2");
    let (code, findings) = check(&e, "V2");
    assert_eq!(code, 3);
    let f = review_finding(&findings);
    assert_eq!(f["severity"], "gap");
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("the policy requires a review of every decision"));
    let md = e.ok(&["report", "V2"]);
    assert!(
        md.contains("**Not final**: the policy requires a current sign-off"),
        "{md}"
    );
    sign_off(&e, "Rita", "V2");
    assert_eq!(check(&e, "V2").0, 0);

    // Never: review is optional, so a returned decision is a warning, not a gap.
    let never = e.write(
        "never.yaml",
        &fairpanel::policy::DEFAULT_YAML.replace("required: when-needed", "required: never"),
    );
    e.setup_vacancy("V3", &["--policy", never.to_str().unwrap()]);
    decided_cleanly(&e, "V3");
    e.as_ok(
        "Rita",
        &[
            "review",
            "V3",
            "--reviewer",
            "Rita",
            "--return",
            "--question",
            "Why C-1?",
        ],
    );
    let (code, findings) = check(&e, "V3");
    assert_eq!(code, 0);
    assert_eq!(review_finding(&findings)["severity"], "warning");
    assert_eq!(report(&e, "V3")["review"]["decision_final"], true);

    // A policy's review section is checked like the rest, by file, line and column.
    let bad = e.write(
        "bad.yaml",
        &fairpanel::policy::DEFAULT_YAML.replace("required: when-needed", "required: sometimes"),
    );
    let line = fairpanel::policy::DEFAULT_YAML
        .lines()
        .position(|l| l.trim_start().starts_with("required:"))
        .unwrap()
        + 1;
    let err = e.fails(
        &[
            "vacancy",
            "create",
            "--id",
            "V4",
            "--title",
            "T",
            "--bank",
            "nhs-talking-therapies",
            "--questions",
            "diversity-discomfort",
            "--policy",
            bad.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains(&format!("bad.yaml:{line}:")), "{err}");
    assert!(err.contains("sometimes"), "{err}");
    verified(&e);
}

#[test]
fn the_audit_counts_review_by_service_and_band() {
    let e = Env::new();
    add_reviewer(&e, "Rita", true, Some("2026-01-05"));
    // V1 (Northshire, Band 5): decided over dissent, returned, answered, re-affirmed and signed
    // off four days after the first decision.
    decided_over_dissent(&e);
    let at = |day: &str| format!("2026-11-{day}T10:00:00Z");
    let run = |who: &str, day: &str, args: &[&str]| {
        let out = e
            .cmd_as(who)
            .env("FAIRPANEL_NOW", at(day))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let out = run(
        "Rita",
        "27",
        &[
            "review",
            "V1",
            "--return",
            "--question",
            "Why overrule Bola?",
        ],
    );
    let returned = review_seq(&out);
    run(
        "Ann",
        "28",
        &[
            "review",
            "answer",
            "V1",
            "--review",
            &returned,
            "--answer",
            "On the anchors",
        ],
    );
    run(
        "Ann",
        "29",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--rationale",
            "Strongest on risk",
            "--revision-reason",
            "Re-affirmed after review",
        ],
    );
    run("Rita", "30", &["review", "V1", "--sign-off"]);
    // V2 (Southshire, Band 6): decided over dissent and never reviewed, so not final.
    e.setup_vacancy("V2", &["--band", "Band 6", "--service", "Southshire"]);
    e.score_in("V2", "C-1", [[4, 4], [4, 1], [3, 5]]);
    e.score_in("V2", "C-2", [[3, 3], [3, 3], [3, 3]]);
    e.as_ok(
        "Ann",
        &[
            "moderate",
            "V2",
            "C-1",
            "--question",
            "diversity-discomfort",
            "--score",
            "4",
            "--reason",
            "Majority view",
        ],
    );
    e.as_ok(
        "Ann",
        &[
            "decide",
            "V2",
            "--appoint",
            "C-1",
            "--rationale",
            "Strongest on risk",
        ],
    );
    // V3 (Southshire, Band 6): a clean decision, never reviewed and final.
    e.setup_vacancy("V3", &["--band", "Band 6", "--service", "Southshire"]);
    decided_cleanly(&e, "V3");
    // V4: not decided, so not counted.
    e.setup_vacancy("V4", &["--band", "Band 6", "--service", "Southshire"]);

    let one = e.write(
        "one.yaml",
        &fairpanel::policy::DEFAULT_YAML
            .replace("suppression_threshold: 5", "suppression_threshold: 1"),
    );
    let a = e.json(&["audit", "--policy", one.to_str().unwrap()]);
    let rows = a["reviews"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let north = &rows[0];
    assert_eq!(
        (north["service"].as_str(), north["band"].as_str()),
        (Some("Northshire Talking Therapies"), Some("Band 5"))
    );
    for (k, n) in [
        ("decided", 1),
        ("signed_off", 1),
        ("in_review", 0),
        ("without_review", 0),
        ("returned", 1),
        ("not_final", 0),
    ] {
        assert_eq!(north[k], n, "{k}: {north}");
    }
    assert_eq!(north["median_days_to_sign_off"], 4.0);
    let south = &rows[1];
    assert_eq!(south["service"], "Southshire");
    for (k, n) in [
        ("decided", 2),
        ("signed_off", 0),
        ("in_review", 0),
        ("without_review", 2),
        ("returned", 0),
        ("not_final", 1),
    ] {
        assert_eq!(south[k], n, "{k}: {south}");
    }
    assert_eq!(south["median_days_to_sign_off"], Value::Null);
    let total = &a["reviews"]["total"];
    for (k, n) in [
        ("decided", 3),
        ("signed_off", 1),
        ("without_review", 2),
        ("returned", 1),
        ("not_final", 1),
    ] {
        assert_eq!(total[k], n, "{k}: {total}");
    }
    assert_eq!(total["median_days_to_sign_off"], 4.0);
    let md = e.ok(&["audit", "--policy", one.to_str().unwrap()]);
    assert!(
        md.contains("| Northshire Talking Therapies | Band 5 | 1 | 1 | 0 | 0 | 1 | 0 | 4.00 |"),
        "{md}"
    );

    // At the built-in threshold these counts are too small to show, and so is anything that would
    // reveal them; the number decided is the audit's scope and stays.
    let a = e.json(&["audit"]);
    let north = &a["reviews"]["rows"][0];
    assert_eq!(north["decided"], 1);
    assert_eq!(north["signed_off"], "suppressed");
    assert_eq!(north["returned"], "suppressed");
    assert_eq!(north["median_days_to_sign_off"], Value::Null);
    let south = &a["reviews"]["rows"][1];
    assert_eq!(south["decided"], 2);
    assert_eq!(south["without_review"], "suppressed");
    assert_eq!(south["not_final"], "suppressed");
    for row in a["reviews"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&a["reviews"]["total"]])
    {
        // No row shows exactly one hidden cell among the three that add up to its decided count.
        let hidden = ["signed_off", "in_review", "without_review"]
            .iter()
            .filter(|k| row[**k] == "suppressed")
            .count();
        assert_ne!(hidden, 1, "{row}");
    }
    verified(&e);
}
