//! `fairpanel serve` end to end: the real binary on a loopback port and a temporary database, spoken
//! to over HTTP as browsers and tools would.

mod common;
mod web;

use common::Env;
use serde_json::json;
use web::{Client, Server};

const Q1: &str = "caseload-prioritisation";
const Q2: &str = "diversity-discomfort";

fn started() -> (Env, Server) {
    let e = Env::new();
    e.setup();
    let s = Server::start(&e, "Ann");
    (e, s)
}

#[test]
fn the_chair_gets_a_link_and_panellists_links_work_once() {
    let (e, s) = started();
    let chair_link = s.link.clone().expect("the chair's link is printed");
    let (status, chair) = s.join(&chair_link);
    assert_eq!(status, 303);
    let mut chair = chair.unwrap();
    let (st, me) = chair.json("/api/v1/me");
    assert_eq!(st, 200);
    assert_eq!(me["name"], "Ann");
    assert_eq!(
        me["panels"][0],
        json!({"vacancy": "V1", "title": "Psychological Wellbeing Practitioner", "chair": true})
    );

    let link = s.invite(&e, "Ann", "V1", "Bola");
    let (status, bola) = s.join(&link);
    assert_eq!(status, 303);
    let (_, me) = bola.unwrap().json("/api/v1/me");
    assert_eq!(me["name"], "Bola");

    // The same link again, on another device: refused, and logged without the token in it.
    let (status, again) = s.join(&link);
    assert_eq!(status, 403);
    assert!(again.is_none());
    let log = s.log();
    assert!(
        log.contains("refused POST /join from 127.0.0.1: 403"),
        "{log}"
    );
    let token = link.rsplit('/').next().unwrap();
    assert!(!log.contains(token), "a token never reaches the log: {log}");

    // Only the chair, HR or the panellist may have a panellist's link issued.
    let err = e.as_fails(
        "Cy",
        &[
            "panel",
            "invite",
            "V1",
            "--panellist",
            "Bola",
            "--url",
            &s.base,
        ],
        1,
    );
    assert!(err.contains("only the chair of V1"), "{err}");

    // A revoked link is refused.
    let cy_link = s.invite(&e, "Ann", "V1", "Cy");
    e.as_ok(
        "Cy",
        &[
            "credential",
            "revoke",
            "Cy",
            "--reason",
            "link sent to the wrong address",
        ],
    );
    let (status, _) = s.join(&cy_link);
    assert_eq!(status, 403);

    // The log records who did what, with the real actor and how they proved it.
    let log = e.json(&["log"]);
    let redeems: Vec<&serde_json::Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|ev| ev["action"] == "identity.redeem" && !ev["payload"]["session"].is_null())
        .collect();
    assert_eq!(redeems.len(), 2, "{log:#}");
    assert!(e.ok(&["verify"]).contains("unbroken chain"));
}

#[test]
fn a_session_ended_by_the_chair_is_refused() {
    let (e, s) = started();
    let mut bola = s.session(&e, "Ann", "V1", "Bola");
    e.as_ok(
        "Ann",
        &["panel", "sign-out", "V1", "Bola", "--reason", "phone lost"],
    );
    let (st, body) = bola.json("/api/v1/me");
    assert_eq!(st, 401, "{body}");
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("session has ended"));
    let (st, _) = bola.answer("V1", "C-1", Q1, 3, "x");
    assert_eq!(st, 401);
}

#[test]
fn changes_without_the_csrf_token_or_from_another_site_are_refused() {
    let (e, s) = started();
    let mut bola = s.session(&e, "Ann", "V1", "Bola");
    let path = format!("/api/v1/sheets/V1/C-1/answers/{Q1}");
    let body = r#"{"score": 3, "evidence": "Named risk first"}"#;
    let csrf = bola.csrf.clone();
    let origin = s.base.clone();
    for (headers, why) in [
        (vec![("Origin", origin.as_str())], "no token"),
        (
            vec![("Origin", origin.as_str()), ("X-CSRF-Token", "0000")],
            "a wrong token",
        ),
        (
            vec![
                ("Origin", "http://evil.example"),
                ("X-CSRF-Token", csrf.as_str()),
            ],
            "another site's Origin",
        ),
        (
            vec![
                ("Sec-Fetch-Site", "cross-site"),
                ("X-CSRF-Token", csrf.as_str()),
            ],
            "a cross-site fetch",
        ),
    ] {
        let (st, b) = bola.send_raw("PUT", &path, &headers, body);
        assert_eq!(st, 403, "{why}: {b}");
        let j: serde_json::Value = serde_json::from_str(&b).unwrap();
        assert!(j["error"].is_string(), "{why}: {b}");
    }
    // A form without its token is refused too.
    let (st, _) = bola.form(
        "/score/V1/C-1",
        &[("question", Q1), ("score", "3"), ("evidence", "x")],
    );
    assert_eq!(st, 403);
    assert!(s.log().contains("security token is missing or wrong"));
    // Nothing was recorded.
    let (_, sheet) = bola.json("/api/v1/sheets/V1/C-1");
    assert_eq!(sheet["answered"], 0);
    // With the token (and as a same-origin fetch) it is saved.
    let (st, b) = bola.send_raw(
        "PUT",
        &path,
        &[
            ("Sec-Fetch-Site", "same-origin"),
            ("X-CSRF-Token", csrf.as_str()),
        ],
        body,
    );
    assert_eq!(st, 200, "{b}");
}

#[test]
fn a_panellist_sees_only_their_own_sheet() {
    let (e, s) = started();
    e.setup_vacancy("V2", &[]);
    let mut bola = s.session(&e, "Ann", "V1", "Bola");
    let mut cy = s.session(&e, "Ann", "V1", "Cy");
    let (st, _) = bola.answer("V1", "C-1", Q1, 4, "Bola's secret note about triage");
    assert_eq!(st, 200);

    let (st, sheet) = cy.json("/api/v1/sheets/V1/C-1");
    assert_eq!(st, 200);
    assert_eq!(sheet["panellist"], "Cy");
    assert_eq!(sheet["answered"], 0);
    // Asking for someone else's sheet by URL gets your own, or nothing.
    for path in [
        "/api/v1/sheets/V1/C-1?panellist=Bola",
        "/api/v1/sheets/V1/C-1/Bola",
        "/score/V1/C-1?panellist=Bola",
        "/api/v1/board/V1",
        "/score/V1",
        "/api/v1/reveal/V1/C-1",
    ] {
        let (_, body) = cy.get(path);
        assert!(!body.contains("secret note"), "{path}: {body}");
    }
    // Another vacancy's sheet (Cy is on V2's panel, Bola's session is not for it... but Bola is on V2
    // too, as the same person); someone on no panel of it is refused.
    e.ok(&[
        "vacancy",
        "create",
        "--id",
        "V3",
        "--title",
        "Other post",
        "--bank",
        "nhs-talking-therapies",
        "--questions",
        &format!("{Q1},{Q2}"),
    ]);
    e.add_panellist(&["V3", "--name", "Dee", "--role", "chair"]);
    e.ok(&["candidate", "add", "V3", "--ref", "D-1"]);
    let (st, b) = bola.json("/api/v1/sheets/V3/D-1");
    assert_eq!(st, 403, "{b}");
    let (st, _) = bola.answer("V3", "D-1", Q1, 4, "x");
    assert_eq!(st, 403);
    // The chair's pages are the chair's.
    let (st, _) = bola.get("/chair/V1");
    assert_eq!(st, 403);
    let (st, _) = bola.get("/chair/V1/report");
    assert_eq!(st, 403);
    assert!(s
        .log()
        .contains("refused GET /api/v1/sheets/V3/D-1 from 127.0.0.1: 403"));
}

#[test]
fn oversized_bodies_and_unknown_hosts_are_refused() {
    let (e, s) = started();
    let mut bola = s.session(&e, "Ann", "V1", "Bola");
    let big = format!(r#"{{"score": 3, "evidence": "{}"}}"#, "x".repeat(1 << 20));
    let csrf = bola.csrf.clone();
    let origin = s.base.clone();
    // Refused from its stated length: a 413 with a JSON error, or (when the server has answered and
    // closed before the client finished sending) a closed connection; either way logged, not saved.
    match bola.try_send_raw(
        "PUT",
        &format!("/api/v1/sheets/V1/C-1/answers/{Q1}"),
        &[("Origin", &origin), ("X-CSRF-Token", &csrf)],
        &big,
    ) {
        Ok((st, b)) => {
            assert_eq!(st, 413, "{b}");
            assert!(b.contains("\"error\""), "{b}");
        }
        Err(e) => assert!(e.contains("Broken pipe") || e.contains("reset"), "{e}"),
    }
    let log = s.log();
    assert!(
        log.contains(
            "refused PUT /api/v1/sheets/V1/C-1/answers/caseload-prioritisation from 127.0.0.1: 413"
        ),
        "{log}"
    );
    let (_, sheet) = bola.json("/api/v1/sheets/V1/C-1");
    assert_eq!(sheet["answered"], 0);
    // A note just over the longest allowed is refused by the same rule as the command line.
    let (st, b) = bola.answer("V1", "C-1", Q1, 3, &"y".repeat(8001));
    assert_eq!(st, 422, "{b}");
    // A page on another site cannot reach the server under its own name (DNS rebinding).
    let (st, _, _) = bola.get_with("/api/v1/me", &[("Host", "evil.example")]);
    assert_eq!(st, 421);
}

#[test]
fn a_flood_of_token_guesses_is_refused() {
    let (e, s) = started();
    let link = s.invite(&e, "Ann", "V1", "Bola");
    let mut c = Client::new(&s.base);
    let (st, page) = c.get(&format!("/join/{}", "A".repeat(43)));
    assert_eq!(st, 200);
    let check = web::field(&page, "check");
    let mut statuses = vec![];
    for i in 0..30 {
        let guess = format!("{:0>43}", i);
        let (st, _) = c.form("/join", &[("token", &guess), ("check", &check)]);
        statuses.push(st);
    }
    assert!(statuses[..10].iter().all(|&s| s == 403), "{statuses:?}");
    assert!(statuses[10..].iter().all(|&s| s == 429), "{statuses:?}");
    // Even a good link from the guessing address waits until the limit has passed.
    let token = link.rsplit('/').next().unwrap();
    let (st, _) = c.form("/join", &[("token", token), ("check", &check)]);
    assert_eq!(st, 429);
    let log = s.log();
    assert_eq!(
        log.matches("refused POST /join from 127.0.0.1: 429")
            .count(),
        21,
        "{log}"
    );
}

#[test]
fn reveal_waits_for_every_sheet_while_two_panellists_score_at_once() {
    let (e, s) = started();
    let mut ann = s.session(&e, "Ann", "V1", "Ann");
    let bola = s.session(&e, "Ann", "V1", "Bola");
    let cy = s.session(&e, "Ann", "V1", "Cy");

    // Bola and Cy score C-1 at the same moment, autosaving each answer several times.
    let scorers: Vec<_> = [(bola, 2, "B"), (cy, 5, "C")]
        .into_iter()
        .map(|(mut c, score, who)| {
            std::thread::spawn(move || {
                for round in 0..5 {
                    for q in [Q1, Q2] {
                        let (st, b) =
                            c.answer("V1", "C-1", q, score, &format!("{who} note {round}"));
                        assert_eq!(st, 200, "{b}");
                    }
                }
                let (st, b) = c.submit("V1", "C-1");
                assert_eq!(st, 200, "{b}");
                c
            })
        })
        .collect();
    let mut done: Vec<Client> = scorers.into_iter().map(|t| t.join().unwrap()).collect();

    // Two sheets in, the chair's out: refused to everyone, the chair included, with the reason.
    for c in done.iter_mut().chain(std::iter::once(&mut ann)) {
        let (st, b) = c.json("/api/v1/reveal/V1/C-1");
        assert_eq!(st, 403);
        assert_eq!(
            b["error"],
            "the scores for C-1 are sealed until every panellist has submitted: not yet submitted: Ann"
        );
    }
    // A submitted sheet is sealed to its author too.
    let (_, own) = done[0].json("/api/v1/sheets/V1/C-1");
    assert_eq!(own["status"], "submitted");
    assert!(
        own["questions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["score"].is_null() && q["evidence"].is_null()),
        "{own}"
    );
    assert_eq!(own["sheets_in"], 2);
    // The board says who is in, and nothing more.
    let (_, board) = done[0].json("/api/v1/board/V1");
    assert_eq!(
        board["candidates"][0]["sheets"],
        json!([
            {"panellist": "Ann", "submitted": false},
            {"panellist": "Bola", "submitted": true},
            {"panellist": "Cy", "submitted": true},
        ])
    );

    ann.answer("V1", "C-1", Q1, 3, "Ann on triage");
    ann.answer("V1", "C-1", Q2, 3, "Ann on discomfort");
    let (st, b) = ann.submit("V1", "C-1");
    assert_eq!(st, 200);
    assert_eq!(b["revealed"], true);

    let (st, r) = done[1].json("/api/v1/reveal/V1/C-1");
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["panellists"], json!(["Ann", "Bola", "Cy"]));
    assert_eq!(r["questions"][0]["scores"], json!([3, 2, 5]));
    assert_eq!(
        r["questions"][0]["evidence"],
        json!(["Ann on triage", "B note 4", "C note 4"])
    );
    assert_eq!(r["questions"][0]["divergent"], true);

    // Each autosave that changed the answer is one event by its panellist, proved by a session;
    // the record checks out.
    let log = e.json(&["log"]);
    let answers: Vec<&serde_json::Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|ev| ev["action"] == "score.answer")
        .collect();
    assert_eq!(answers.len(), 22, "{log:#}");
    assert!(
        answers.iter().all(|a| a["auth"] == "session"),
        "{answers:#?}"
    );
    assert!(e.ok(&["verify"]).contains("unbroken chain"));
    // The command line sees the same reveal.
    let cli = e.json(&["reveal", "V1", "C-1"]);
    assert_eq!(cli["questions"][0]["scores"], json!([3, 2, 5]));
}

#[test]
fn the_pages_work_as_plain_forms_from_scoring_to_decision() {
    let (e, s) = started();
    let mut ann = s.session(&e, "Ann", "V1", "Ann");
    let mut bola = s.session(&e, "Ann", "V1", "Bola");
    let mut cy = s.session(&e, "Ann", "V1", "Cy");

    let (st, page) = bola.get("/score/V1/C-1");
    assert_eq!(st, 200);
    assert!(page.contains("question 1 of 2"), "{page}");
    assert!(!page.contains("<script>"), "no inline script");
    let csrf = web::field(&page, "csrf");
    // Evidence is required: the page comes back with the reason and what was typed.
    let (st, page) = bola.form(
        "/score/V1/C-1",
        &[
            ("csrf", &csrf),
            ("question", Q1),
            ("n", "1"),
            ("score", "4"),
            ("evidence", " "),
            ("go", "next"),
        ],
    );
    assert_eq!(st, 422);
    assert!(page.contains("An evidence note is required"), "{page}");
    for (who, c, scores) in [
        ("Ann", &mut ann, [3, 3]),
        ("Bola", &mut bola, [4, 4]),
        ("Cy", &mut cy, [4, 3]),
    ] {
        for (n, (q, sc)) in [(Q1, scores[0]), (Q2, scores[1])].into_iter().enumerate() {
            let (st, _) = c.form(
                "/score/V1/C-1",
                &[
                    ("csrf", &c.csrf.clone()),
                    ("question", q),
                    ("n", &(n + 1).to_string()),
                    ("score", &sc.to_string()),
                    ("evidence", &format!("{who} saw {q}")),
                    ("go", "next"),
                ],
            );
            assert_eq!(st, 303, "{who}");
        }
        let (_, review) = c.get("/score/V1/C-1/review");
        assert!(review.contains("Submit and seal"), "{review}");
        let (st, _) = c.form(
            "/score/V1/C-1/submit",
            &[("csrf", &c.csrf.clone()), ("confirm", "yes")],
        );
        assert_eq!(st, 303, "{who}");
    }
    let (st, reveal) = cy.get("/reveal/V1/C-1");
    assert_eq!(st, 200);
    assert!(reveal.contains("Bola saw caseload-prioritisation"));
    assert!(
        !reveal.contains("Record the agreed score"),
        "moderation is the chair's"
    );

    let (st, board) = ann.get("/chair/V1");
    assert_eq!(st, 200);
    assert!(board.contains("Who has submitted"));
    let csrf = ann.csrf.clone();
    // Moderation needs a reason where the agreed score leaves the median.
    let (st, page) = ann.form(
        "/reveal/V1/C-1/moderate",
        &[("csrf", &csrf), ("question", Q2), ("score", "5")],
    );
    assert_eq!(st, 422, "{page}");
    assert!(page.contains("give the evidence"), "{page}");
    let (st, _) = ann.form(
        "/reveal/V1/C-1/moderate",
        &[
            ("csrf", &csrf),
            ("question", Q2),
            ("score", "3"),
            ("reason", "Examples were general"),
        ],
    );
    assert_eq!(st, 303);
    // The decision has the command line's gates: C-2 is not revealed yet.
    let (st, page) = ann.form(
        "/chair/V1/decide",
        &[
            ("csrf", &csrf),
            ("appoint", "C-1"),
            ("rationale", "Strongest on risk"),
        ],
    );
    assert_eq!(st, 422);
    assert!(page.contains("A decision needs the whole field"), "{page}");
    e.as_ok(
        "Ann",
        &[
            "candidate",
            "withdraw",
            "V1",
            "C-2",
            "--reason",
            "took another post",
        ],
    );
    let (st, page) = ann.form(
        "/chair/V1/decide",
        &[
            ("csrf", &csrf),
            ("appoint", "C-1"),
            ("rationale", "Strongest on risk and reflection"),
        ],
    );
    assert!(st == 303 || page.contains("gap"), "{st}: {page}");
    if st != 303 {
        let (st, page) = ann.form(
            "/chair/V1/decide",
            &[
                ("csrf", &csrf),
                ("appoint", "C-1"),
                ("rationale", "Strongest on risk and reflection"),
                ("override_gaps", "Panel agreed in advance"),
                ("unresolved_reason", "Discussed in the room"),
            ],
        );
        assert_eq!(st, 303, "{page}");
    }
    let (st, headers, report) = ann.get_with("/chair/V1/report/download", &[]);
    assert_eq!(st, 200);
    assert!(report.starts_with("<!DOCTYPE html>"));
    assert!(headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("content-disposition") && v.contains("attachment")));
    let j: serde_json::Value =
        serde_json::from_str(&e.ok(&["report", "V1", "--format", "json"])).unwrap();
    assert_eq!(j["decision"]["appointed"], "C-1", "{j:#}");
    assert!(e.ok(&["verify"]).contains("unbroken chain"));
}

#[test]
fn every_response_carries_strict_headers() {
    let (e, s) = started();
    let mut c = s.session(&e, "Ann", "V1", "Bola");
    for path in ["/", "/score/V1", "/api/v1/me", "/static/app.js", "/nowhere"] {
        let (_, h, _) = c.get_with(path, &[]);
        let get = |k: &str| {
            h.iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert!(
            get("content-security-policy").contains("default-src 'none'"),
            "{path}"
        );
        assert!(
            get("content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(
            !get("content-security-policy").contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(get("cache-control"), "no-store", "{path}");
    }
    // The session cookie is HttpOnly and SameSite=Strict.
    let link = s.invite(&e, "Ann", "V1", "Cy");
    let mut b = Client::new(&s.base);
    let (_, page) = b.get_abs(&link);
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let resp = match agent
        .post(&s.url("/join"))
        .set("Cookie", &format!("fp_join={}", web::field(&page, "check")))
        .send_form(&[
            ("token", &web::field(&page, "token")),
            ("check", &web::field(&page, "check")),
        ]) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.header("location"),
        Some("/"),
        "the address bar is cleaned of the token"
    );
    let cookie = resp
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("fp_session="))
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
}

#[test]
fn tls_makes_a_private_certificate_beside_the_database() {
    use std::os::unix::fs::PermissionsExt;
    // Files beside the database: an SQLite file, whatever the backend under test.
    let e = Env::new_file();
    e.setup();
    let s = Server::start_with(&e, "Ann", &["--tls"]);
    assert!(s.base.starts_with("https://127.0.0.1:"), "{}", s.base);
    assert!(s.link.as_deref().unwrap().starts_with("https://"));
    for f in [
        "test.db.tls-cert.pem",
        "test.db.tls-key.pem",
        "test.db.serve-url",
    ] {
        let mode = std::fs::metadata(e.path(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
    let key = std::fs::read_to_string(e.path("test.db.tls-key.pem")).unwrap();
    assert!(key.contains("PRIVATE KEY"));
    // Links issued at the command line point at the running server.
    let j = e.as_json("Ann", &["panel", "invite", "V1", "--panellist", "Bola"]);
    assert!(
        j["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/join/", s.base)),
        "{j}"
    );
}

#[test]
fn the_chair_stands_a_panellist_down_and_signs_one_out_from_the_page() {
    let (e, s) = started();
    let mut ann = s.session(&e, "Ann", "V1", "Ann");
    let mut bola = s.session(&e, "Ann", "V1", "Bola");
    let mut cy = s.session(&e, "Ann", "V1", "Cy");
    let csrf = ann.csrf.clone();
    // Neither is the panellists' to do.
    let (st, _) = bola.form(
        "/chair/V1/stand-down",
        &[
            ("csrf", &bola.csrf.clone()),
            ("name", "Cy"),
            ("reason", "x"),
        ],
    );
    assert_eq!(st, 403);
    // A reason is required, as at the command line.
    let (st, page) = ann.form(
        "/chair/V1/stand-down",
        &[("csrf", &csrf), ("name", "Cy"), ("reason", "")],
    );
    assert_eq!(st, 422, "{page}");
    let (st, _) = ann.form(
        "/chair/V1/stand-down",
        &[
            ("csrf", &csrf),
            ("name", "Cy"),
            ("reason", "Conflict of interest with C-1"),
        ],
    );
    assert_eq!(st, 303);
    let (st, b) = cy.answer("V1", "C-1", Q1, 3, "x");
    assert_eq!(st, 403, "{b}");
    let (st, _) = ann.form(
        "/chair/V1/sign-out",
        &[
            ("csrf", &csrf),
            ("name", "Bola"),
            ("reason", "Phone left in the interview room"),
        ],
    );
    assert_eq!(st, 303);
    let (st, _) = bola.json("/api/v1/me");
    assert_eq!(st, 401);
    let log = e.json(&["log"]);
    let acts: Vec<(String, String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|ev| ev["action"] == "panel.stand-down" || ev["action"] == "identity.session-end")
        .map(|ev| {
            (
                ev["action"].as_str().unwrap().to_string(),
                ev["actor"].as_str().unwrap().to_string(),
                ev["auth"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        acts,
        [
            ("panel.stand-down".into(), "Ann".into(), "session".into()),
            (
                "identity.session-end".into(),
                "Ann".into(),
                "session".into()
            ),
        ],
        "{log:#}"
    );
}
