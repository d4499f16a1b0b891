//! Files, foreign and newer databases, bad banks and bad CSV: clear errors, nothing written.
//! (Tampering with the record is in `tamper.rs`.)

mod common;
use common::{file_bytes, Env};

fn sql(e: &Env, sql: &str) {
    let c = rusqlite_conn(e);
    c.execute_batch(sql).unwrap();
}

fn rusqlite_conn(e: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(&e.db).unwrap()
}

#[test]
fn the_database_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let e = Env::new();
    e.ok(&["init"]);
    assert_eq!(
        std::fs::metadata(&e.db).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn foreign_newer_and_truncated_files_are_refused_untouched() {
    let e = Env::empty();
    {
        let c = rusqlite_conn(&e);
        c.execute_batch("CREATE TABLE patients(id); INSERT INTO patients VALUES (1);")
            .unwrap();
    }
    let before = file_bytes(&e.db);
    let err = e.fails(&["vacancy", "list"], 1);
    assert!(err.contains("not a fairpanel database"), "{err}");
    assert_eq!(file_bytes(&e.db), before);

    let e = Env::new();
    sql(&e, "PRAGMA user_version = 99;");
    let before = file_bytes(&e.db);
    let err = e.fails(&["vacancy", "list"], 1);
    assert!(err.contains("newer fairpanel (schema version 99"), "{err}");
    assert_eq!(file_bytes(&e.db), before);

    let e = Env::new();
    e.setup();
    // Make sure everything is in the main file, then cut it short.
    sql(&e, "PRAGMA wal_checkpoint(TRUNCATE);");
    let full = file_bytes(&e.db);
    std::fs::write(&e.db, &full[..full.len() / 2]).unwrap();
    let cut = file_bytes(&e.db);
    let err = e.fails(&["vacancy", "list"], 1);
    assert!(
        err.contains("damaged") || err.contains("malformed"),
        "{err}"
    );
    assert_eq!(file_bytes(&e.db), cut);
}

#[test]
fn bad_banks_name_file_line_and_column_and_write_nothing() {
    let e = Env::empty();
    let bad = e.write(
        "bad.yaml",
        "id: b\ntitle: B\nversion: 1\nscale: { min: 1, max: 3 }\nquestions:\n  - id: q1\n    category: values\n    text: Why?\n    anchors: { 1: a, 3: c }\n",
    );
    let err = e.fails(&["bank", "validate", bad.to_str().unwrap()], 1);
    assert!(
        err.contains("bad.yaml:9:5: question \"q1\": no anchor for scale point 2"),
        "{err}"
    );
    assert!(
        err.contains("needs at least one `diversity-attitude` question"),
        "{err}"
    );
    let syntax = e.write("syntax.yaml", "id: b\ntitle: [oops\n");
    let err = e.fails(&["bank", "validate", syntax.to_str().unwrap()], 1);
    assert!(err.contains("syntax.yaml:"), "{err}");
    let err = e.fails(
        &[
            "vacancy",
            "create",
            "--id",
            "V",
            "--title",
            "T",
            "--bank",
            bad.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("bad.yaml:9:5"), "{err}");
    assert!(
        !e.db.exists(),
        "a refused vacancy must not create a database (only init does)"
    );
    let good = e.ok(&[
        "bank",
        "validate",
        "question-banks/nhs-talking-therapies.yaml",
    ]);
    assert!(good.contains("ok (nhs-talking-therapies v1"), "{good}");
}

#[test]
fn bad_score_csv_rows_are_named_and_nothing_is_imported() {
    let e = Env::new();
    e.setup();
    let csv = e.write(
        "scores.csv",
        "vacancy,candidate,panellist,question,score,evidence\n\
         V1,C-1,Ann,caseload-prioritisation,4,clear plan\n\
         V1,C-1,Ann,diversity-discomfort,7,named a bias\n\
         V1,C-9,Ann,diversity-discomfort,3,x\n\
         V1,C-1,Ann,caseload-prioritisation,4,again\n\
         V1,C-1,Zed,caseload-prioritisation,4,x\n\
         V1,C-1,Bola,caseload-prioritisation,four,x\n",
    );
    let err = e.fails(
        &[
            "import",
            "scores",
            csv.to_str().unwrap(),
            "--reason",
            "paper",
        ],
        1,
    );
    for want in [
        "row 3, column 'score': score 7 is outside the scale 1..5",
        "row 4, column 'candidate': vacancy V1 has no candidate \"C-9\"",
        "row 5, column 'question': duplicate",
        "already on row 2",
        "row 6, column 'panellist'",
        "row 7, column 'score': \"four\" is not a whole number",
        "nothing was imported",
    ] {
        assert!(err.contains(want), "missing {want:?} in {err}");
    }
    assert_eq!(
        e.json(&["log"])
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "score.answer")
            .count(),
        0
    );

    let ragged = e.write(
        "ragged.csv",
        "vacancy,candidate,panellist,question,score,evidence\nV1,C-1,Ann\n",
    );
    let err = e.fails(
        &[
            "import",
            "scores",
            ragged.to_str().unwrap(),
            "--reason",
            "paper",
        ],
        1,
    );
    assert!(
        err.contains("row 2 has 3 fields but the header has 6 columns"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    let header = e.write(
        "header.csv",
        "vacancy,candidate,who,question,score,evidence\n",
    );
    let err = e.fails(
        &[
            "import",
            "scores",
            header.to_str().unwrap(),
            "--reason",
            "paper",
        ],
        1,
    );
    assert!(err.contains("missing column 'panellist'"), "{err}");
    let latin1 = e.path("latin1.csv");
    std::fs::write(&latin1, b"vacancy,candidate,panellist,question,score,evidence\nV1,C-1,Ann,caseload-prioritisation,4,caf\xe9\n").unwrap();
    let err = e.fails(
        &[
            "import",
            "scores",
            latin1.to_str().unwrap(),
            "--reason",
            "paper",
        ],
        1,
    );
    assert!(err.contains("row 2, field 6: not valid UTF-8"), "{err}");
}

#[test]
fn paper_sheets_import_whole_and_submitted() {
    let e = Env::new();
    e.setup();
    let mut body = String::from("vacancy,candidate,panellist,question,score,evidence\n");
    for p in ["Ann", "Bola", "Cy"] {
        for (q, s) in [("caseload-prioritisation", 4), ("diversity-discomfort", 3)] {
            body.push_str(&format!(
                "V1,C-2,{p},{q},{s},\"=HYPERLINK(\"\"http://x\"\")\"\n"
            ));
        }
    }
    let csv = e.write("paper.csv", &body);
    // Entering someone else's sheet is a transcription: it needs a reason.
    e.fails(&["import", "scores", csv.to_str().unwrap()], 2);
    let out = e.as_ok(
        "Ann",
        &[
            "import",
            "scores",
            csv.to_str().unwrap(),
            "--reason",
            "paper sheets from the 12 March panel",
        ],
    );
    assert!(
        out.contains("Imported and submitted 3 score sheet(s) (6 answers)"),
        "{out}"
    );
    let j = e.json(&["reveal", "V1", "C-2"]);
    assert_eq!(j["totals"], serde_json::json!([7, 7, 7]));
    // The report says who typed them, from paper, and why.
    let md = e.ok(&["report", "V1"]);
    assert!(
        md.contains("Bola's sheet was transcribed by Ann from a paper sheet (paper sheets from the 12 March panel)"),
        "{md}"
    );
    // The record names the typist as the actor, never the panellist.
    let log = e.json(&["log"]);
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .filter(|ev| ev["action"] == "score.answer")
        .all(|ev| ev["actor"] == "Ann"));
    // Importing again is refused: the sheets exist.
    let err = e.fails(
        &[
            "import",
            "scores",
            csv.to_str().unwrap(),
            "--reason",
            "again",
        ],
        1,
    );
    assert!(err.contains("already has a submitted sheet"), "{err}");
}

#[test]
fn csv_exports_neutralise_formula_injection() {
    let e = Env::new();
    e.setup();
    for p in ["Ann", "Bola", "Cy"] {
        for q in ["caseload-prioritisation", "diversity-discomfort"] {
            e.as_ok(
                p,
                &[
                    "score",
                    "V1",
                    "C-1",
                    "--panellist",
                    p,
                    "--question",
                    q,
                    "--score",
                    "3",
                    "--evidence",
                    "=HYPERLINK(\"http://evil.example\",\"click\")",
                ],
            );
        }
        e.as_ok(p, &["submit", "V1", "C-1", "--panellist", p]);
    }
    let csv = e.ok(&["export", "scores", "V1"]);
    assert!(csv.starts_with(
        "vacancy,candidate,panellist,question,score,evidence,corrected_score,correction_reason,agreed_score,agreed_reason\n"
    ));
    assert_eq!(
        csv.lines().count(),
        1 + 6,
        "C-2 is still sealed and left out: {csv}"
    );
    for line in csv.lines().skip(1) {
        assert!(line.contains(",\"'=HYPERLINK("), "{line}");
        assert!(line.contains(",3,"), "scores stay numeric: {line}");
    }
}
