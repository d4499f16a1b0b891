//! Decision report and audit through the binary: snapshots of the demo, HTML safety, suppression.

mod common;
use common::Env;

fn demo(e: &Env) -> std::path::PathBuf {
    let out = e.path("demo");
    e.ok(&["demo", "--out", out.to_str().unwrap()]);
    out.join("fairpanel-demo.db")
}

/// Receipts name the head hash, which covers sealed values under fresh random nonces: they differ
/// from run to run, so snapshots show where they are, not what they are.
fn without_receipts(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let digits = tail.chars().take_while(|c| c.is_ascii_digit()).count();
        let after = &tail[digits..];
        if after.starts_with(':')
            && after.len() > 64
            && after[1..65].bytes().all(|b| b.is_ascii_hexdigit())
        {
            out.push_str("[receipt]");
            rest = &after[65..];
        } else {
            out.push_str(&tail[..digits]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn demo_decision_report_snapshots() {
    let e = Env::new();
    let db = demo(&e);
    insta::assert_snapshot!(
        "demo_decision_report_md",
        without_receipts(&common::ok_on(&db, &["report", "TT-PWP-2026-11"]))
    );
    let json: serde_json::Value = serde_json::from_str(&without_receipts(&common::ok_on(
        &db,
        &["report", "TT-PWP-2026-11", "--format", "json"],
    )))
    .unwrap();
    insta::assert_json_snapshot!("demo_decision_report_json", json);
}

#[test]
fn demo_audit_snapshot() {
    let e = Env::new();
    let db = demo(&e);
    insta::assert_snapshot!(
        "demo_audit_md",
        without_receipts(&common::ok_on(&db, &["audit"]))
    );
}

/// Everything a browser would fetch: the SVG namespace is an identifier, not a request.
fn external_references(html: &str) -> Vec<String> {
    let cleaned = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    [
        "http://", "https://", "src=", "<link", "@import", "url(", "<script",
    ]
    .iter()
    .filter(|p| cleaned.contains(*p))
    .map(|p| p.to_string())
    .collect()
}

#[test]
fn html_reports_are_self_contained_and_escape_user_text() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 3], [4, 4], [3, 4]]);
    e.score_all("C-2", [[3, 3], [3, 3], [3, 3]]);
    let nasty = "<script>alert('x')</script> & <img src=x onerror=alert(1)>";
    e.as_ok(
        "Ann",
        &["decide", "V1", "--appoint", "C-1", "--rationale", nasty],
    );
    let html = e.ok(&["report", "V1", "--format", "html"]);
    assert!(
        external_references(&html).is_empty(),
        "{:?}",
        external_references(&html)
    );
    assert!(
        html.contains("&lt;script&gt;alert("),
        "the rationale is shown, escaped"
    );
    assert!(html.contains("<svg"), "charts are inline SVG");
    let md = e.ok(&["report", "V1"]);
    assert!(!md.contains("<script>"), "{md}");
    assert!(md.contains("\\<script\\>"), "Markdown escapes it too");
    let f = e.write(
        "p.csv",
        "vacancy,candidate,stage,ethnicity\nV1,C-1,appointed,A\nV1,C-2,interviewed,N\n",
    );
    e.ok(&["import", "applications", f.to_str().unwrap()]);
    let audit = e.ok(&["audit", "--format", "html"]);
    assert!(
        external_references(&audit).is_empty(),
        "{:?}",
        external_references(&audit)
    );
    assert!(audit.contains("<svg"));
}

#[test]
fn a_small_count_is_suppressed_and_so_is_the_cell_that_would_reveal_it() {
    let e = Env::new();
    e.setup();
    let mut csv = String::from("vacancy,candidate,stage,ethnicity\n");
    // White: 30 applied, 10 shortlisted. Asian: 3 applied (suppressed), 2 shortlisted. Black: 12 applied, 6 shortlisted.
    for i in 0..30 {
        csv += &format!(
            "V1,W-{i},{},A\n",
            if i < 10 { "shortlisted" } else { "applied" }
        );
    }
    for i in 0..3 {
        csv += &format!(
            "V1,S-{i},{},H\n",
            if i < 2 { "shortlisted" } else { "applied" }
        );
    }
    for i in 0..12 {
        csv += &format!(
            "V1,B-{i},{},N\n",
            if i < 6 { "shortlisted" } else { "applied" }
        );
    }
    let f = e.write("p.csv", &csv);
    e.ok(&["import", "applications", f.to_str().unwrap()]);
    let a = e.json(&["audit"]);
    let row = |g: &str| {
        a["funnel"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == g)
            .unwrap()["reached"]
            .clone()
    };
    assert_eq!(row("asian")[0], "suppressed", "3 applicants");
    assert_eq!(row("asian")[1], "suppressed");
    assert_eq!(row("white")[0], 30);
    // The applied column would otherwise give asian = total − shown others: another cell in it is hidden.
    let applied_hidden = a["funnel"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["reached"][0] == "suppressed")
        .count();
    assert!(applied_hidden >= 2, "{}", a["funnel"]);
    // No rate is computed from a suppressed count.
    let t = &a["transitions"][0]["groups"];
    let asian = t
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "asian")
        .unwrap();
    assert!(
        asian["rate"].is_null() && asian["impact_ratio"].is_null(),
        "{asian}"
    );
    let white = t
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "white")
        .unwrap();
    assert!((white["rate"].as_f64().unwrap() - 10.0 / 30.0).abs() < 1e-12);
    common::assert_no_hidden_count_recoverable(&a);
}

#[test]
fn a_small_count_split_by_band_cannot_be_recovered_from_the_overall_figure() {
    let e = Env::new();
    e.setup();
    e.ok(&[
        "vacancy",
        "create",
        "--id",
        "V2",
        "--title",
        "High Intensity Therapist",
        "--bank",
        "nhs-talking-therapies",
        "--band",
        "Band 6",
    ]);
    // (vacancy, NHS code, applied only, shortlisted only, appointed)
    let plan = [
        ("V1", "A", 20, 10, 10), // White, Band 5
        ("V1", "N", 18, 9, 3),   // Black, Band 5: 3 appointed, to be hidden
        ("V2", "A", 20, 10, 10), // White, Band 6
        ("V2", "N", 15, 7, 8),   // Black, Band 6
        ("V2", "H", 10, 4, 6),   // Asian, Band 6
    ];
    let mut csv = String::from("vacancy,candidate,stage,ethnicity\n");
    for (v, code, applied, shortlisted, appointed) in plan {
        for (stage, n) in [
            ("applied", applied),
            ("shortlisted", shortlisted),
            ("appointed", appointed),
        ] {
            for i in 0..n {
                csv += &format!("{v},{code}-{stage}-{i},{stage},{code}\n");
            }
        }
    }
    let f = e.write("p.csv", &csv);
    e.ok(&["import", "applications", f.to_str().unwrap()]);
    let a = e.json(&["audit"]);
    // Overall BME appointed is 17 and shown; Band 6's is 14. Without linking, Band 5's 3 would be
    // 17 − 14.
    assert_eq!(a["wres"]["bme_appointed"], 17, "{}", a["wres"]);
    let band = |b: &str| {
        a["splits"]["band"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["value"] == b)
            .unwrap()["wres"]
            .clone()
    };
    assert_eq!(band("Band 5")["bme_appointed"], "suppressed");
    assert_eq!(
        band("Band 6")["bme_appointed"],
        "suppressed",
        "{}",
        band("Band 6")
    );
    assert!(band("Band 5")["relative_likelihood"].is_null());
    assert!(band("Band 6")["relative_likelihood"].is_null());
    common::assert_no_hidden_count_recoverable(&a);
}

#[test]
fn a_filtered_audit_counts_only_its_own_panellists_as_not_named() {
    let e = Env::new();
    e.setup();
    let panel = e.json(&["panel", "list", "V1"]).as_array().unwrap().len();
    e.ok(&[
        "vacancy",
        "create",
        "--id",
        "V2",
        "--title",
        "High Intensity Therapist",
        "--bank",
        "nhs-talking-therapies",
        "--band",
        "Band 6",
    ]);
    e.ok(&["panel", "add", "V2", "--name", "Zed"]);
    let a = e.json(&["audit", "--band", "Band 5"]);
    assert_eq!(a["raters"]["not_named"], panel as u64, "{}", a["raters"]);
    let all = e.json(&["audit"]);
    assert_eq!(
        all["raters"]["not_named"],
        panel as u64 + 1,
        "{}",
        all["raters"]
    );
}

#[test]
fn audit_filters_and_dates() {
    let e = Env::new();
    e.setup();
    let f = e.write(
        "p.csv",
        "vacancy,candidate,stage,ethnicity\nV1,C-1,appointed,A\n",
    );
    e.ok(&["import", "applications", f.to_str().unwrap()]);
    assert_eq!(e.json(&["audit", "--band", "Band 5"])["vacancies"], 1);
    let err = e.fails(&["audit", "--band", "Band 9"], 1);
    assert!(err.contains("no vacancies match"), "{err}");
    e.fails(&["audit", "--since", "last week"], 2);
    assert_eq!(
        e.json(&["audit", "--since", "2026-11-01", "--until", "2026-11-30"])["vacancies"],
        1
    );
}
