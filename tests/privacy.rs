//! Privacy by design: monitoring data stays out of scoring screens; subject access and erasure;
//! upgrades keep every row.

mod common;
use common::Env;

const PIPELINE: &str = "vacancy,candidate,stage,ethnicity,gender,internal\n\
V1,C-1,interviewed,Indian,Female,no\n\
V1,C-2,appointed,N,Male,yes\n\
V1,A-7,shortlisted,prefer not to say,,\n\
V1,A-8,applied,,Female,no\n";

#[test]
fn pipeline_import_is_idempotent_and_keeps_applicants_off_the_panel_screens() {
    let e = Env::new();
    e.setup();
    let f = e.write("pipeline.csv", PIPELINE);
    let out = e.ok(&["import", "applications", f.to_str().unwrap()]);
    assert!(
        out.contains("Imported 4 application record(s) for 1 vacancy"),
        "{out}"
    );
    e.ok(&["import", "applications", f.to_str().unwrap()]);
    // Applicants who were not interviewed are not candidates on the panel's screens.
    let cands = e.json(&["candidate", "list", "V1"]);
    let refs: Vec<&str> = cands
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["C-1", "C-2"]);
    let log = e.json(&["log"]);
    let imports: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|ev| ev["action"] == "applications.import")
        .collect();
    assert_eq!(imports.len(), 2);
    assert!(
        !imports[0].to_string().contains("Indian"),
        "monitoring values are not logged"
    );
    // Re-importing replaced rather than duplicated: A-7 has one record.
    e.add_person("Hana", &["hr"]);
    let a7: serde_json::Value =
        serde_json::from_str(&e.as_ok("Hana", &["candidate", "export", "V1", "A-7"])).unwrap();
    assert_eq!(a7["monitoring"]["stage"], "shortlisted");
}

#[test]
fn bad_pipeline_rows_are_named_and_nothing_is_imported() {
    let e = Env::new();
    e.setup();
    let f = e.write(
        "bad.csv",
        "vacancy,candidate,stage,ethnicity,internal\nV1,C-1,interviewed,Martian,no\nV2,C-3,applied,A,no\n\
         V1,C-4,hired,A,no\nV1,C-5,applied,A,maybe\nV1,C-6,applied,A,no\nV1,C-6,shortlisted,A,no\n",
    );
    let err = e.fails(&["import", "applications", f.to_str().unwrap()], 1);
    for want in [
        "row 2, column 'ethnicity': unknown ethnicity \"Martian\"",
        "row 3, column 'vacancy': no vacancy \"V2\"",
        "row 4, column 'stage': unknown stage \"hired\"",
        "row 5, column 'internal'",
        "row 7, column 'candidate': duplicate",
        "nothing was imported",
    ] {
        assert!(err.contains(want), "missing {want:?} in {err}");
    }
    let log = e.json(&["log"]);
    assert!(!log
        .as_array()
        .unwrap()
        .iter()
        .any(|ev| ev["action"] == "applications.import"));
}

#[test]
fn monitoring_data_never_appears_on_scoring_or_reveal_screens() {
    let e = Env::new();
    e.setup();
    let f = e.write("pipeline.csv", PIPELINE);
    e.ok(&["import", "applications", f.to_str().unwrap()]);
    let mut seen = String::new();
    for p in ["Ann", "Bola", "Cy"] {
        for q in ["caseload-prioritisation", "diversity-discomfort"] {
            seen += &e.as_ok(
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
                    "x",
                ],
            );
        }
        seen += &e.as_ok(p, &["submit", "V1", "C-1", "--panellist", p]);
    }
    seen += &e.ok(&["reveal", "V1", "C-1"]);
    seen += &e.ok(&["reveal", "V1", "C-1", "--format", "json"]);
    seen += &e.ok(&["interview", "V1", "C-1", "--print"]);
    seen += &e.ok(&["vacancy", "show", "V1", "--format", "json"]);
    seen += &e.ok(&["candidate", "list", "V1", "--format", "json"]);
    for word in [
        "Indian",
        "Asian",
        "Female",
        "ethnicity\": \"H",
        "monitoring",
        "internal",
    ] {
        assert!(
            !seen.contains(word),
            "{word:?} shown on a panel screen:\n{seen}"
        );
    }
}

#[test]
fn subject_access_is_hrs_act_on_the_record_and_never_a_panellists() {
    use std::os::unix::fs::PermissionsExt;
    let e = Env::new();
    e.setup();
    e.add_person("Hana", &["hr"]);
    // C-1 is half scored: Ann has submitted, Bola has an open sheet.
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
            "Ann's sealed note",
        ],
    );
    e.as_ok(
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
            "Ann's sealed note 2",
        ],
    );
    e.as_ok("Ann", &["submit", "V1", "C-1", "--panellist", "Ann"]);
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
            "2",
            "--evidence",
            "Bola's open note",
        ],
    );
    let f = e.write("pipeline.csv", PIPELINE);
    e.ok(&["import", "applications", f.to_str().unwrap()]);
    // Nobody unproven, no panellist (not even one who also holds HR), and nobody without HR.
    let err = e.fails(&["candidate", "export", "V1", "C-1"], 1);
    assert!(err.contains("prove who you are"), "{err}");
    let err = e.as_fails("Ann", &["candidate", "export", "V1", "C-1"], 1);
    assert!(err.contains("hr role"), "{err}");
    e.as_ok("Hana", &["person", "role", "Ann", "--role", "hr"]);
    let err = e.as_fails("Ann", &["candidate", "export", "V1", "C-1"], 1);
    assert!(err.contains("member of V1's panel"), "{err}");
    let out = e.path("sar.json");
    let said = e.as_ok(
        "Hana",
        &[
            "candidate",
            "export",
            "V1",
            "C-1",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert!(said.contains("still sealed from the panel"), "{said}");
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let sar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(sar["candidate"], "C-1");
    assert_eq!(sar["monitoring"]["ethnicity"], "H");
    assert_eq!(sar["exported_by"], "Hana");
    assert!(sar["sealed_note"]
        .as_str()
        .unwrap()
        .contains("given to the data subject"));
    assert_eq!(sar["sheets"].as_array().unwrap().len(), 2);
    assert!(sar["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["sealed"] == true));
    assert!(
        Receipt::find(sar["receipt"].as_str().unwrap()).is_some(),
        "{sar}"
    );
    // The export is on the record, with who ran it; the sheets stay sealed from the panel.
    let log = e.json(&["log"]);
    let access = log
        .as_array()
        .unwrap()
        .iter()
        .find(|ev| ev["action"] == "candidate.subject-access")
        .expect("the export is logged");
    assert_eq!(access["actor"], "Hana");
    assert_eq!(access["payload"]["sealed_sheets"], 2);
    assert!(
        !log.to_string().contains("sealed note"),
        "the log shows no sealed evidence"
    );
    e.fails(&["reveal", "V1", "C-1"], 1);
    // An applicant never interviewed can be exported too.
    let a7: serde_json::Value =
        serde_json::from_str(&e.as_ok("Hana", &["candidate", "export", "V1", "A-7"])).unwrap();
    assert_eq!(a7["interviewed"], false);
    assert_eq!(a7["monitoring"]["ethnicity"], "Z");
}

use fairpanel::record::chain::Receipt;

/// Every file the database consists of, as bytes.
fn all_bytes(db: &std::path::Path) -> Vec<u8> {
    let mut out = common::file_bytes(db);
    for suffix in ["-wal", "-shm"] {
        out.extend(common::file_bytes(&std::path::PathBuf::from(format!(
            "{}{suffix}",
            db.display()
        ))));
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn erasure_destroys_the_values_keeps_the_chain_verifiable_and_leaves_nothing_on_disk() {
    // The bytes on disk: an SQLite file, whatever the backend under test.
    let e = Env::new_file();
    e.setup();
    e.add_person("Hana", &["hr"]);
    e.ok(&[
        "candidate",
        "add",
        "V1",
        "--ref",
        "C-3",
        "--name",
        "Zenobia Quartermaine",
    ]);
    let f = e.write("pipeline.csv", PIPELINE);
    e.ok(&["import", "applications", f.to_str().unwrap()]);
    // Only HR erases, and only with confirmation.
    e.fails(&["candidate", "erase-monitoring", "V1", "C-1", "--yes"], 1);
    e.as_fails("Hana", &["candidate", "erase-monitoring", "V1", "C-1"], 2);
    let msg = e.as_ok(
        "Hana",
        &["candidate", "erase-monitoring", "V1", "C-1", "--yes"],
    );
    assert!(msg.contains("key was destroyed"), "{msg}");
    let after: serde_json::Value =
        serde_json::from_str(&e.as_ok("Hana", &["candidate", "export", "V1", "C-1"])).unwrap();
    assert!(after["monitoring"].is_null());
    assert_eq!(e.json(&["verify"])["ok"], true);
    // Whole-candidate erasure: the name goes, and nothing of it is left in the file.
    let before = all_bytes(&e.db);
    assert!(
        !contains(&before, "Zenobia"),
        "names are sealed, never stored in the clear"
    );
    // C-3's key, as it sits in the file now.
    let key: Vec<u8> = {
        let c = rusqlite::Connection::open(&e.db).unwrap();
        let payload: String = c
            .query_row(
                "SELECT payload FROM events WHERE action = 'candidate.add' AND payload LIKE '%\"C-3\"%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let id = serde_json::from_str::<serde_json::Value>(&payload).unwrap()["key"]["id"]
            .as_i64()
            .unwrap();
        c.query_row("SELECT key FROM keys WHERE id = ?1", [id], |r| r.get(0))
            .unwrap()
    };
    assert!(before.windows(32).any(|w| w == key.as_slice()));
    e.as_ok("Hana", &["candidate", "erase", "V1", "C-3", "--yes"]);
    // The key is gone from the database file, its WAL and free pages: the sealed name cannot be read.
    let after = all_bytes(&e.db);
    assert!(
        !after.windows(32).any(|w| w == key.as_slice()),
        "the erased key is still on disk"
    );
    let sar: serde_json::Value =
        serde_json::from_str(&e.as_ok("Hana", &["candidate", "export", "V1", "C-3"])).unwrap();
    assert!(sar["name"].is_null(), "{sar}");
    assert!(
        sar["erasures"][0]
            .as_str()
            .unwrap()
            .starts_with("All erased"),
        "{sar}"
    );
    assert_eq!(e.json(&["verify"])["ok"], true);
    // The monitoring values were never written in the clear outside the derived table, and that
    // row is gone: the database file and its WAL hold no trace of C-1's "Indian"/"Female".
    let c = rusqlite::Connection::open(&e.db).unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM monitoring m JOIN candidates c ON c.id = m.candidate WHERE c.ref = 'C-1'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    drop(c);
    let log = e.json(&["log"]);
    for ev in log.as_array().unwrap() {
        assert!(
            !ev.to_string().contains("file_sha256"),
            "no digest of personal data is logged"
        );
    }
    let erasure = log
        .as_array()
        .unwrap()
        .iter()
        .find(|ev| ev["action"] == "candidate.erase")
        .unwrap();
    assert!(!erasure.to_string().contains("\"H\""), "{erasure}");
}

#[test]
fn a_database_from_schema_1_upgrades_keeping_its_history_and_old_log() {
    let e = Env::empty_file();
    std::fs::copy("tests/data/schema-v1.db", &e.db).unwrap();
    assert_eq!(
        rusqlite::Connection::open(&e.db)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        1
    );
    let v = e.json(&["verify"]);
    assert_eq!(v["ok"], true, "{v}");
    let c = rusqlite::Connection::open(&e.db).unwrap();
    let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    // The old log is kept whole, and the new record says where it ended.
    assert_eq!(count("SELECT count(*) FROM legacy_events"), 27);
    assert_eq!(
        count("SELECT count(*) FROM events WHERE action = 'legacy.import'"),
        1
    );
    // Its history is re-recorded: 12 answers, 6 submissions, 2 reveals, a moderation, a decision.
    assert_eq!(
        count("SELECT count(*) FROM events WHERE action = 'score.answer'"),
        12
    );
    assert_eq!(
        count("SELECT count(*) FROM events WHERE action = 'sheet.submit'"),
        6
    );
    assert_eq!(
        count("SELECT count(*) FROM events WHERE action = 'candidate.reveal'"),
        2
    );
    assert_eq!(
        count("SELECT count(*) FROM events WHERE action = 'moderate'"),
        1
    );
    assert_eq!(
        count("SELECT count(*) FROM events WHERE action = 'decide'"),
        1
    );
    assert_eq!(count("SELECT count(*) FROM sealed_sheets"), 6);
    assert_eq!(count("SELECT count(*) FROM people"), 3);
    // Nobody proved who they were before the upgrade, and the record says so.
    assert_eq!(
        count("SELECT count(*) FROM events WHERE action = 'score.answer' AND auth <> 'legacy'"),
        0
    );
    drop(c);
    let version: i64 = rusqlite::Connection::open(&e.db)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, fairpanel::store::SCHEMA_VERSION);
    // Old records read and work as before.
    let j = e.json(&["reveal", "OLD-1", "C-1"]);
    assert_eq!(j["panellists"], serde_json::json!(["Ann", "Bola", "Cy"]));
    assert!(e.ok(&["report", "OLD-1"]).contains("Appointed:** C-1"));
    // An edit of the old log after the upgrade is still caught.
    let c = rusqlite::Connection::open(&e.db).unwrap();
    c.execute_batch("DROP TRIGGER legacy_events_append_only_u; UPDATE legacy_events SET actor = 'Eve' WHERE seq = 6;")
        .unwrap();
    drop(c);
    let out = e.cmd().args(["verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("legacy"), "{said}");
}
