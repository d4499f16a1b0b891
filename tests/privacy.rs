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
    let a7: serde_json::Value =
        serde_json::from_str(&e.ok(&["candidate", "export", "V1", "A-7"])).unwrap();
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
            seen += &e.ok(&[
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
            ]);
        }
        seen += &e.ok(&["submit", "V1", "C-1", "--panellist", p]);
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
fn subject_access_export_and_erasure_keep_the_chain_verifiable() {
    use std::os::unix::fs::PermissionsExt;
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 3], [4, 5], [3, 4]]);
    let f = e.write("pipeline.csv", PIPELINE);
    e.ok(&["import", "applications", f.to_str().unwrap()]);
    let out = e.path("sar.json");
    e.ok(&[
        "candidate",
        "export",
        "V1",
        "C-1",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let sar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(sar["candidate"], "C-1");
    assert_eq!(sar["monitoring"]["ethnicity"], "H");
    assert_eq!(sar["sheets"].as_array().unwrap().len(), 3);
    assert_eq!(sar["sheets"][0]["entries"].as_array().unwrap().len(), 2);
    assert!(sar["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|ev| ev["action"] == "sheet.submit"));
    // An applicant never interviewed can be exported too.
    let a7: serde_json::Value =
        serde_json::from_str(&e.ok(&["candidate", "export", "V1", "A-7"])).unwrap();
    assert_eq!(a7["interviewed"], false);
    assert_eq!(a7["monitoring"]["ethnicity"], "Z");

    e.fails(&["candidate", "erase-monitoring", "V1", "C-1"], 2);
    let msg = e.ok(&["candidate", "erase-monitoring", "V1", "C-1", "--yes"]);
    assert!(msg.contains("records the erasure, not the values"), "{msg}");
    let after: serde_json::Value =
        serde_json::from_str(&e.ok(&["candidate", "export", "V1", "C-1"])).unwrap();
    assert!(after["monitoring"].is_null());
    assert_eq!(e.json(&["verify"])["ok"], true);
    let log = e.json(&["log"]);
    let erasure = log
        .as_array()
        .unwrap()
        .iter()
        .find(|ev| ev["action"] == "candidate.erase-monitoring")
        .unwrap();
    assert!(
        !erasure.to_string().contains("\"H\""),
        "the erased value is not logged: {erasure}"
    );
}

#[test]
fn a_database_from_schema_1_upgrades_keeping_every_row() {
    let e = Env::new();
    std::fs::copy("tests/data/schema-v1.db", &e.db).unwrap();
    let counts = |db: &std::path::Path| -> Vec<(String, i64)> {
        let c = rusqlite::Connection::open(db).unwrap();
        let tables: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        tables
            .into_iter()
            .map(|t| {
                let n = c
                    .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                    .unwrap();
                (t, n)
            })
            .collect()
    };
    let before = counts(&e.db);
    assert_eq!(
        rusqlite::Connection::open(&e.db)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        1
    );
    let v = e.json(&["verify"]);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["events"], 27);
    let after = counts(&e.db);
    for (table, n) in &before {
        let now = after.iter().find(|(t, _)| t == table).map(|(_, n)| *n);
        assert_eq!(now, Some(*n), "every row of {table} kept");
    }
    // Later schemas add tables; the compact copy of sealed scores is filled from the old answers
    // (schema 3, one row per score) and then regrouped by sheet (schema 4).
    let sealed = after
        .iter()
        .find(|(t, _)| t == "sealed_sheets")
        .map(|(_, n)| *n);
    assert_eq!(sealed, Some(6), "6 sealed sheets");
    let texts: Vec<String> = {
        let c = rusqlite::Connection::open(&e.db).unwrap();
        let mut st = c
            .prepare("SELECT scores FROM sealed_sheets ORDER BY sheet")
            .unwrap();
        let rows = st.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    assert!(
        texts
            .iter()
            .all(|t| t.split(' ').count() == 2 && t.starts_with("0:")),
        "two questions per sheet, by position: {texts:?}"
    );
    assert!(
        after.iter().all(|(t, _)| t != "sealed_scores"),
        "the per-score copy is gone"
    );
    let version: i64 = rusqlite::Connection::open(&e.db)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, fairpanel::store::SCHEMA_VERSION);
    // Old records read and work as before.
    let j = e.json(&["reveal", "OLD-1", "C-1"]);
    assert_eq!(j["panellists"], serde_json::json!(["Ann", "Bola", "Cy"]));
    assert!(e.ok(&["report", "OLD-1"]).contains("Appointed:** C-1"));
}
