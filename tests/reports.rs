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

/// Everything a browser would fetch: the SVG namespace is an identifier, not a request, and neither is
/// `url(#id)`, which names a pattern in the same page.
fn external_references(html: &str) -> Vec<String> {
    let cleaned = html
        .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
        .replace("url(#", "");
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

/// The opening tags of every `<svg>` element with what follows up to its close.
fn svgs(html: &str) -> Vec<&str> {
    html.split("<svg")
        .skip(1)
        .map(|s| &s[..s.find("</svg>").expect("closed svg")])
        .collect()
}

/// `data-group` → fill colour of every bar in the page.
fn bar_colours(html: &str) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for bar in html.split(r#"<rect class="bar" data-group=""#).skip(1) {
        let group = &bar[..bar.find('"').unwrap()];
        let fill = bar.split(r#"fill=""#).nth(1).unwrap();
        let fill = &fill[..fill.find('"').unwrap()];
        let old = out.insert(group.to_string(), fill.to_string());
        assert!(
            old.is_none_or(|o| o == fill),
            "{group} drawn in two colours in one page"
        );
    }
    out
}

/// Applications for one vacancy: (NHS code, how many, furthest stage).
fn import_applications(e: &Env, rows: &[(&str, usize, &str)]) {
    let mut csv = String::from("vacancy,candidate,stage,ethnicity\n");
    for (code, n, stage) in rows {
        for i in 0..*n {
            csv += &format!("V1,{code}-{stage}-{i},{stage},{code}\n");
        }
    }
    let f = e.write("p.csv", &csv);
    e.ok(&["import", "applications", f.to_str().unwrap()]);
}

#[test]
fn every_chart_in_both_reports_has_a_title_and_a_description() {
    let e = Env::new();
    let db = demo(&e);
    let decision = common::ok_on(&db, &["report", "TT-PWP-2026-11", "--format", "html"]);
    let audit = common::ok_on(&db, &["audit", "--format", "html"]);
    for (name, html) in [("decision", &decision), ("audit", &audit)] {
        let charts = svgs(html);
        assert!(charts.len() >= 5, "{name}: {} charts", charts.len());
        for svg in charts {
            assert!(
                svg.contains("<title>"),
                "{name}: an svg without a title: {svg}"
            );
            if svg.contains(r#"role="img""#) {
                assert!(
                    svg.contains("<desc>"),
                    "{name}: a chart without a description"
                );
            }
            // Scaled by its viewBox, never a fixed width wider than a phone.
            assert!(svg.contains("viewBox="), "{name}: {svg}");
        }
    }
    // The key numbers are in the text alternative: the demo vacancy's applied counts.
    assert!(
        decision.contains("White 22;"),
        "decision report's funnel description"
    );
}

#[test]
fn a_group_has_the_same_colour_in_reports_with_different_groups() {
    // One organisation with White, Black and Asian applicants; another with White and Mixed only.
    let a = Env::new();
    a.setup();
    import_applications(
        &a,
        &[
            ("A", 30, "applied"),
            ("N", 20, "shortlisted"),
            ("H", 12, "applied"),
        ],
    );
    let b = Env::new();
    b.setup();
    import_applications(&b, &[("F", 15, "applied"), ("A", 40, "shortlisted")]);
    let first_html = a.ok(&["audit", "--format", "html"]);
    let second_html = b.ok(&["audit", "--format", "html"]);
    assert!(first_html.contains("Black 20;") && first_html.contains("Mixed 0;"));
    assert!(second_html.contains("Black 0;") && second_html.contains("Mixed 15;"));
    let first = bar_colours(&first_html);
    let second = bar_colours(&second_html);
    let decision = bar_colours(&b.ok(&["report", "V1", "--format", "html"]));
    assert_eq!(first["white"], second["white"]);
    assert_eq!(
        second["white"], decision["white"],
        "and in the decision report"
    );
    assert_eq!(second["mixed"], decision["mixed"]);
    // White and BME in the White/BME chart keep their own colours too.
    assert_ne!(first["bme"], first["white"]);
    assert_eq!(first["bme"], second["bme"]);
}

#[test]
fn the_wres_callout_says_what_its_interval_says() {
    let callout = |html: &str| -> String {
        let at = html
            .find(r#"<p class="finding wres "#)
            .expect("WRES callout");
        html[at..at + html[at..].find("</p>").unwrap()].to_string()
    };
    // White: 60 of 100 shortlisted appointed; BME: 20 of 100. Relative likelihood 3, interval above 1.
    let e = Env::new();
    e.setup();
    import_applications(
        &e,
        &[
            ("A", 60, "appointed"),
            ("A", 40, "shortlisted"),
            ("N", 20, "appointed"),
            ("N", 80, "shortlisted"),
        ],
    );
    let c = callout(&e.ok(&["audit", "--format", "html"]));
    assert!(c.contains("wres-above"), "{c}");
    assert!(
        c.contains("lies above 1: White shortlisted applicants were more likely"),
        "{c}"
    );
    // The other way round: interval wholly below 1.
    let e = Env::new();
    e.setup();
    import_applications(
        &e,
        &[
            ("A", 20, "appointed"),
            ("A", 80, "shortlisted"),
            ("N", 60, "appointed"),
            ("N", 40, "shortlisted"),
        ],
    );
    let c = callout(&e.ok(&["audit", "--format", "html"]));
    assert!(c.contains("wres-below"), "{c}");
    assert!(
        c.contains("BME shortlisted applicants were more likely"),
        "{c}"
    );
    // Equal rates: the interval includes 1.
    let e = Env::new();
    e.setup();
    import_applications(
        &e,
        &[
            ("A", 30, "appointed"),
            ("A", 70, "shortlisted"),
            ("N", 30, "appointed"),
            ("N", 70, "shortlisted"),
        ],
    );
    let c = callout(&e.ok(&["audit", "--format", "html"]));
    assert!(
        c.contains("wres-includes") && c.contains("includes 1"),
        "{c}"
    );
    assert!(!c.contains("favours White applicants. The whole"), "{c}");
    // No interval (the demo has too few appointments): no colour of a conclusion.
    let e = Env::new();
    let db = demo(&e);
    let c = callout(&common::ok_on(&db, &["audit", "--format", "html"]));
    assert!(
        c.contains("wres-none") && c.contains("no conclusion"),
        "{c}"
    );
}

#[test]
fn the_report_style_sets_no_width_wider_than_a_phone() {
    // Any width, min-width or flex-basis in px, rem or em (16 px each) above 390 px would make the page
    // scroll sideways at 390 px; max-width may be anything.
    let css = include_str!("../src/report/templates/style.css");
    let mut checked = 0;
    for decl in css.split([';', '{', '}']) {
        let Some((prop, value)) = decl.split_once(':') else {
            continue;
        };
        let prop = prop.trim();
        if !matches!(prop, "width" | "min-width" | "flex-basis" | "flex") {
            continue;
        }
        for word in value.split(|c: char| c.is_whitespace() || c == '(' || c == ',') {
            let px = if let Some(n) = word.strip_suffix("px") {
                n.parse::<f64>().ok()
            } else if let Some(n) = word.strip_suffix("rem").or_else(|| word.strip_suffix("em")) {
                n.parse::<f64>().ok().map(|n| n * 16.0)
            } else {
                None
            };
            if let Some(px) = px {
                checked += 1;
                assert!(px <= 390.0, "{prop}: {value} is wider than 390 px");
            }
        }
    }
    assert!(checked >= 1, "the check found the style's widths");
}

/// The pipeline rows (group → counts by stage) of a decision report's `pipeline` or an audit's
/// `funnel`.
fn pipeline_rows(rows: &serde_json::Value) -> Vec<(String, Vec<serde_json::Value>)> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["group"].as_str().unwrap().to_string(),
                r["reached"].as_array().unwrap().clone(),
            )
        })
        .collect()
}

/// One vacancy's applicants, in its decision report and in the audit of the same database: the two
/// tables must hide the same cells, or a count one hides is read off the other (the demo's audit
/// hid Black applied = 7 to protect the BME subtotal while its decision report showed it; here the
/// decision report showed White applied = 20, which the audit hid). And where a stage's few people
/// are all hidden (the one appointed, the one offered), no group shows a zero: zeros beside a hidden
/// count say where those people are not, and a zero hidden as a decoy is recognisable by the rule
/// that picked it (the first zero in reading order).
#[test]
fn one_vacancys_applicants_hide_the_same_cells_in_the_decision_report_and_the_audit() {
    let e = Env::new();
    e.setup();
    import_applications(
        &e,
        &[
            ("H", 3, "applied"),
            ("N", 5, "applied"),
            ("N", 2, "shortlisted"),
            ("A", 10, "applied"),
            ("A", 4, "shortlisted"),
            ("A", 4, "interviewed"),
            ("A", 1, "offered"),
            ("A", 1, "appointed"),
            ("Z", 6, "applied"),
        ],
    );
    let report = pipeline_rows(&e.json(&["report", "V1"])["pipeline"]);
    let a = e.json(&["audit"]);
    let audit = pipeline_rows(&a["funnel"]);
    assert_eq!(report, audit, "the two reports hide different cells");
    common::assert_no_hidden_count_recoverable(&a);
    for (stage, k) in [("offered", 3), ("appointed", 4)] {
        for (group, reached) in &report {
            assert_eq!(
                reached[k], "suppressed",
                "{group} at {stage}: a shown count says where the one person there is or is not"
            );
        }
    }
    // What is shown is right, and the number of applications is published as it is.
    let truth = [
        ("asian", [3, 0, 0, 0, 0]),
        ("black", [7, 2, 0, 0, 0]),
        ("white", [20, 10, 6, 2, 1]),
        ("declined", [6, 0, 0, 0, 0]),
    ];
    for (group, reached) in &report {
        let want = truth
            .iter()
            .find(|(g, _)| g == group)
            .map_or([0; 5], |t| t.1);
        for (k, cell) in reached.iter().enumerate() {
            assert!(
                cell == "suppressed" || cell == want[k],
                "{group} stage {k}: {cell} but {}",
                want[k]
            );
        }
    }
    assert_eq!(a["applications"], 36);
    assert_eq!(e.json(&["report", "V1"])["pipeline_applications"], 36);
}

#[test]
fn a_vacancy_whose_icc_is_exactly_one_half_is_not_counted_below_it() {
    // Cells (candidate × question) by panellist Ann, Bola, Cy:
    //   C-1: [4, 5, 4] and [3, 3, 1]; C-2: [3, 2, 3] and [4, 5, 3].
    // ICC(2,1) (Shrout & Fleiss 1979): BMS = 26/9, JMS = 13/12, EMS = 23/36, so
    // (BMS − EMS) / (BMS + 2·EMS + 3(JMS − EMS)/4) = (9/4) / (9/2) = 1/2 exactly, which floating
    // point puts a hair below 0.5.
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 3], [5, 3], [4, 1]]);
    e.score_all("C-2", [[3, 4], [2, 5], [3, 3]]);
    let a = e.json(&["audit"]);
    let r = &a["reliability"];
    let v = &r["per_vacancy"][0];
    assert_eq!(v["cells"], 4, "{r}");
    let icc = v["icc2"].as_f64().unwrap();
    assert!((icc - 0.5).abs() < 1e-12, "{r}");
    assert_eq!(v["below_half"], false, "{r}");
    assert_eq!(r["below_half"], 0, "{r}");
    // One point less from Cy on C-2's second question puts it below.
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 3], [5, 3], [4, 1]]);
    e.score_all("C-2", [[3, 4], [2, 5], [3, 2]]);
    let r = &e.json(&["audit"])["reliability"];
    assert!(r["per_vacancy"][0]["icc2"].as_f64().unwrap() < 0.5, "{r}");
    assert_eq!(r["below_half"], 1, "{r}");
}

#[test]
fn each_score_table_has_its_evidence_notes_expandable_on_screen_and_printed_in_full() {
    let e = Env::new();
    let db = demo(&e);
    let html = common::ok_on(&db, &["report", "TT-PWP-2026-11", "--format", "html"]);
    // One expandable block per revealed candidate, right after their score table.
    let blocks: Vec<&str> = html
        .split("<details class=\"evidence\">")
        .skip(1)
        .map(|b| &b[..b.find("</details>").unwrap()])
        .collect();
    assert_eq!(blocks.len(), 5, "one per candidate");
    let c102 = &html[html.find("C-102 · rank").unwrap()..];
    let block = &c102[c102.find("<details class=\"evidence\">").unwrap()..];
    let block = &block[..block.find("</details>").unwrap()];
    assert!(c102.find("<table").unwrap() < c102.find("<details").unwrap());
    // Each panellist's note beside their score, on the divergent question too.
    assert!(
        block.contains("<b>Tom Fletcher</b> (2): Described booking an interpreter"),
        "{block}"
    );
    assert!(block.contains("<b>Adaeze Okafor</b> (5): Booked a professional interpreter"));
    // Paper cannot be clicked open: the print style opens every block.
    let print = &html[html.find("@media print").unwrap()..];
    assert!(
        print.contains("details.evidence::details-content { content-visibility: visible"),
        "{print}"
    );
}
