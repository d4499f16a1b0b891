//! PostgreSQL as the store: writers queue on the advisory lock and lose nothing, a record moved
//! between the backends verifies to the same head hash and reads back the same, the triggers refuse
//! what a SQL client with the database's password would try, `verify` catches what gets past them,
//! and connection problems are explained.
//!
//! These need a server (`FAIRPANEL_TEST_PG`, or `pg_virtualenv`); without one each says loudly that it
//! was skipped, and with `FAIRPANEL_REQUIRE_PG=1` (CI) that is a failure instead. The integration
//! suites themselves run on PostgreSQL with `FAIRPANEL_TEST_BACKEND=postgres` (see `.ci/run`).

mod common;
use common::pg::{self, Scratch};
use common::{command_on, ok_on, Env};
use std::path::PathBuf;

/// An initialised database on the test server, or `None` when skipped.
fn server_env(test: &str) -> Option<Env> {
    pg::server_or_skip(test)?;
    let scratch = Scratch::new();
    let e = Env {
        dir: tempfile::tempdir().unwrap(),
        db: PathBuf::from(&scratch.url),
        server: Some(scratch),
    };
    e.ok(&["init"]);
    Some(e)
}

/// `verify --format json`, which exits non-zero when the record does not verify.
fn verify(e: &Env) -> serde_json::Value {
    let out = e
        .cmd()
        .args(["verify", "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "verify printed no JSON: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn json(db: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    serde_json::from_str(&ok_on(db, &a)).unwrap()
}

/// Twenty panellists on four panels, all writing at once, each answer its own transaction.
#[test]
fn twenty_writers_at_once_lose_nothing_and_the_chain_verifies() {
    const PANELS: usize = 4;
    const PER_PANEL: usize = 5;
    const ANSWERS: usize = 200;
    let Some(e) = server_env("twenty_writers_at_once") else {
        return;
    };
    let mut writers: Vec<(String, String)> = Vec::new();
    for v in 0..PANELS {
        let vacancy = format!("V{v}");
        e.ok(&[
            "vacancy",
            "create",
            "--id",
            &vacancy,
            "--title",
            "PWP",
            "--bank",
            "nhs-talking-therapies",
            "--questions",
            "all",
        ]);
        for p in 0..PER_PANEL {
            let name = format!("P{v}{p}");
            e.ok(&["panel", "add", &vacancy, "--name", &name]);
            writers.push((vacancy.clone(), name));
        }
        e.ok(&["candidate", "add", &vacancy, "--ref", "C-1"]);
    }
    let bank = e.json(&["bank", "show", "nhs-talking-therapies"]);
    let questions: Vec<String> = bank["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_string())
        .collect();
    // Each writer on its own connection, as separate processes would be.
    std::thread::scope(|s| {
        for (vacancy, p) in &writers {
            let (db, questions) = (&e.db, &questions);
            s.spawn(move || {
                let mut store = fairpanel::store::Store::open(
                    db,
                    fairpanel::record::chain::Actor::login("loader"),
                    None,
                    fairpanel::store::Create::No,
                )
                .unwrap();
                for k in 0..ANSWERS {
                    let q = &questions[k % questions.len()];
                    let evidence = format!("{p} answer {k}");
                    store
                        .write(|tx| {
                            fairpanel::actions::scoring::answer(
                                tx,
                                fairpanel::actions::scoring::Given {
                                    vacancy,
                                    reference: "C-1",
                                    panellist: p,
                                    question: q,
                                    score: (k % 5 + 1) as i64,
                                    evidence: &evidence,
                                    correction: None,
                                    transcribed: Some("entered from paper for the load test"),
                                },
                            )
                        })
                        .unwrap_or_else(|err| panic!("{p} answer {k}: {err:#}"));
                }
            });
        }
    });
    let log = e.json(&["log"]);
    let answers = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|ev| ev["action"] == "score.answer")
        .count();
    assert_eq!(answers, PANELS * PER_PANEL * ANSWERS);
    let v = verify(&e);
    assert_eq!(v["ok"], true, "{v}");
}

#[test]
fn a_record_moved_between_backends_verifies_to_the_same_head_and_reads_the_same() {
    if pg::server_or_skip("a_record_moved_between_backends").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    command_on(&dir.path().join("unused.db"))
        .args(["demo", "--out", out.to_str().unwrap()])
        .assert()
        .success();
    let lite = out.join("fairpanel-demo.db");
    let server = Scratch::new();
    let url = PathBuf::from(&server.url);
    // An empty server database is made ready by the copy itself.
    let moved = json(&lite, &["migrate", "--to", &server.url]);
    assert_eq!(moved["from_verified"], true, "{moved}");
    assert_eq!(moved["to_verified"], true, "{moved}");
    let head_lite = json(&lite, &["verify"]);
    let head_pg = json(&url, &["verify"]);
    assert_eq!(head_lite["ok"], true);
    assert_eq!(head_pg["ok"], true, "{head_pg}");
    assert_eq!(head_lite["receipt"], head_pg["receipt"]);
    assert_eq!(moved["head"], head_pg["receipt"]["head"]);
    // The same reads from both.
    for args in [
        vec!["vacancy", "list"],
        vec!["report", "TT-PWP-2026-11"],
        vec!["audit"],
        vec!["log"],
    ] {
        let a = json(&lite, &args);
        let b = json(&url, &args);
        assert_eq!(a, b, "{args:?} differs between the backends");
    }
    // And back: a new file from the server, the same head again.
    let back = dir.path().join("back.db");
    let again = json(&url, &["migrate", "--to", back.to_str().unwrap()]);
    assert_eq!(again["head"], moved["head"]);
    assert_eq!(json(&back, &["verify"])["ok"], true);
    // A copy refuses a database that already holds a record.
    let e = command_on(&lite)
        .args(["migrate", "--to", &server.url])
        .output()
        .unwrap();
    assert!(!e.status.success());
    assert!(
        String::from_utf8_lossy(&e.stderr).contains("already holds a record"),
        "{}",
        String::from_utf8_lossy(&e.stderr)
    );
    // A backup of the server is an SQLite file that verifies against the server's receipt.
    let bak = dir.path().join("server-backup.db");
    let said = ok_on(&url, &["backup", bak.to_str().unwrap()]);
    let receipt = head_pg["receipt"]["events"].to_string()
        + ":"
        + head_pg["receipt"]["head"].as_str().unwrap();
    assert!(said.contains(&receipt), "{said}");
    let v = json(&bak, &["verify", "--receipt", &receipt]);
    assert_eq!(v["ok"], true, "{v}");
}

/// Someone with the database's password and a SQL client, trying to change the record.
#[test]
fn the_server_refuses_edits_and_verify_catches_what_gets_past() {
    let Some(e) = server_env("the_server_refuses_edits") else {
        return;
    };
    e.setup();
    let mut sql = e.server.as_ref().unwrap().client();
    for stmt in [
        "UPDATE events SET actor = 'someone else' WHERE seq = 2",
        "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)",
        "TRUNCATE events",
        "UPDATE vacancies SET title = 'Another post'",
        "DELETE FROM panellists",
        "TRUNCATE candidates",
        "INSERT INTO keys (key) VALUES ('\\x0000000000000000000000000000000000000000000000000000000000000000')",
        "DELETE FROM keys",
        "UPDATE fairpanel_meta SET value = 99",
    ] {
        let err = sql
            .batch_execute(stmt)
            .expect_err(&format!("{stmt} was allowed"));
        let msg = err.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
        assert!(
            msg.contains("append-only") || msg.contains("by fairpanel") || msg.contains("only fairpanel") || msg.contains("never changed"),
            "{stmt}: {msg}"
        );
    }
    assert_eq!(verify(&e)["ok"], true);

    // Past the triggers: pretending to be fairpanel's session.
    sql.batch_execute("SET fairpanel.writer = 'on'; UPDATE vacancies SET title = 'Another post'")
        .unwrap();
    let v = verify(&e);
    assert_eq!(v["ok"], false, "{v}");
    assert!(v["problem"].to_string().contains("vacancies"), "{v}");
    // Reports read the vacancy from its checked events, not from the edited table.
    let report = e.ok(&["report", "V1"]);
    assert!(!report.contains("Another post"), "{report}");
    sql.batch_execute("RESET fairpanel.writer").unwrap();

    // Turning a trigger off, or removing it, is itself found.
    let e2 = server_env("the_server_refuses_edits (triggers)").unwrap();
    let mut sql2 = e2.server.as_ref().unwrap().client();
    sql2.batch_execute("ALTER TABLE vacancies DISABLE TRIGGER vacancies_derived")
        .unwrap();
    let v = verify(&e2);
    assert_eq!(v["ok"], false, "{v}");
    assert!(v["problem"].to_string().contains("disabled"), "{v}");
    sql2.batch_execute(
        "ALTER TABLE vacancies ENABLE TRIGGER vacancies_derived; DROP TRIGGER events_no_truncate ON events",
    )
    .unwrap();
    let v = verify(&e2);
    assert_eq!(v["ok"], false, "{v}");
    assert!(
        v["problem"].to_string().contains("events_no_truncate"),
        "{v}"
    );
}

#[test]
fn connection_problems_are_explained() {
    let Some(admin) = pg::server_or_skip("connection_problems_are_explained") else {
        return;
    };
    let (base, _) = admin.rsplit_once('/').unwrap();
    let missing = format!("{base}/fairpanel_no_such_database");
    let out = command_on(std::path::Path::new(&missing))
        .arg("init")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("no database") && err.contains("createdb"),
        "{err}"
    );

    let server = Scratch::new();
    let (scheme, rest) = server.url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let wrong = format!("{scheme}://fairpanel_nobody:wrong@{host}");
    let out = command_on(std::path::Path::new(&wrong))
        .arg("init")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("refused"), "{err}");
    assert!(!err.contains("wrong"), "the password was printed: {err}");

    let out = command_on(std::path::Path::new("postgres://localhost:1/none"))
        .arg("init")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("Is the server running"), "{err}");

    // Not yet initialised: every command but init says so.
    let out = command_on(std::path::Path::new(&server.url))
        .arg("vacancy")
        .arg("list")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("init"), "{err}");
}
