//! Real browsers against the real server: Debian's Chromium driven through chromedriver (WebDriver)
//! with fantoccini. Two panellists score the same candidate at once in separate browser sessions,
//! neither sees the other's scores, the reveal waits for every sheet, and the chair reveals,
//! moderates and decides. Every page is checked with axe-core (vendored under tests/fixtures) and
//! photographed at 390 and 1280 CSS pixels under target/screenshots/serve/.
//!
//! Needs `chromium` and `chromium-driver` (scripts/install-browser installs them; CI runs it).

mod common;
mod web;

use common::Env;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use web::Server;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const AXE: &str = include_str!("fixtures/axe.min.js");

struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver leads its own process group, and the browsers it started are in it: end them
        // all, so a failed test leaves no browser behind.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_driver() -> Driver {
    // Anything the tests need, the project installs: on a fresh machine `cargo test` fetches Debian's
    // chromium and chromium-driver with the same script CI runs.
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/install-browser");
        let status = Command::new(&script).status();
        assert!(
            status.as_ref().is_ok_and(|s| s.success()),
            "{} could not install chromium and chromium-driver ({status:?}); it needs root and Debian's \
             package archive",
            script.display()
        );
    }
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists(),
        "{CHROMEDRIVER} is missing: the browser tests need Debian's chromium and chromium-driver \
         (run scripts/install-browser, as CI does)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .process_group(0)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    // Wait until it answers (no assertion rests on how long that takes).
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Driver(child, port)
}

async fn browser(d: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    let mut args = vec![
        "--headless=new",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--window-size=1280,900",
        "--hide-scrollbars",
    ];
    // Chromium's sandbox will not start as root (CI runs as root).
    if std::env::var("USER").as_deref() == Ok("root") || unsafe_is_root() {
        args.push("--no-sandbox");
    }
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": "/usr/bin/chromium", "args": args }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", d.1))
        .await
        .expect("a Chromium session")
}

fn unsafe_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .is_some_and(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn shots_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/serve");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// axe-core on the page: no serious or critical violation.
async fn axe(c: &Client, name: &str) {
    let bad = serious_violations(c).await;
    assert!(bad.is_empty(), "axe on {name}: {bad:#?}");
}

/// The serious and critical violations axe-core finds on the page.
async fn serious_violations(c: &Client) -> Vec<serde_json::Value> {
    c.execute(&format!("{AXE}\n;return true;"), vec![])
        .await
        .expect("axe loads");
    let out = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(JSON.stringify(
               r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))
             ))).catch(e => done(JSON.stringify([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }])));",
            vec![],
        )
        .await
        .expect("axe runs");
    let v: serde_json::Value = serde_json::from_str(out.as_str().unwrap()).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter(|x| matches!(x["impact"].as_str(), Some("serious" | "critical")))
        .cloned()
        .collect()
}

/// The whole page at 390 and 1280 CSS pixels; fails if the page scrolls sideways on a phone.
async fn shoot(c: &Client, name: &str) {
    for width in [360u32, 390, 1280] {
        c.set_window_size(width, 900).await.unwrap();
        let inner = c
            .execute("return [window.innerWidth, document.documentElement.scrollWidth, document.documentElement.scrollHeight];", vec![])
            .await
            .unwrap();
        let (vw, sw, sh) = (
            inner[0].as_u64().unwrap(),
            inner[1].as_u64().unwrap(),
            inner[2].as_u64().unwrap(),
        );
        assert!(
            sw <= vw,
            "{name} scrolls sideways at {width} px ({sw} > {vw})"
        );
        // Tall enough for the whole page, so the picture shows all of it.
        c.set_window_size(width, (sh as u32 + 140).clamp(600, 6000))
            .await
            .unwrap();
        let png = c.screenshot().await.unwrap();
        std::fs::write(shots_dir().join(format!("{name}-{width}.png")), png).unwrap();
    }
    c.set_window_size(1280, 900).await.unwrap();
}

async fn check_page(c: &Client, name: &str) {
    axe(c, name).await;
    shoot(c, name).await;
}

async fn text(c: &Client) -> String {
    c.find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Mark the current document, so that [`arrived`] can tell when the next one has loaded.
async fn leaving(c: &Client) {
    c.execute("window.__fpOld = 1; return 1;", vec![])
        .await
        .unwrap();
}

/// Wait (as a person would) until a new document has loaded after a click or a form post.
async fn arrived(c: &Client) {
    for _ in 0..400 {
        let done = c
            .execute(
                "return window.__fpOld === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await;
        if matches!(done, Ok(serde_json::Value::Bool(true))) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the next page never loaded");
}

/// Click something that leads to another page, and wait for it.
async fn click_to(c: &Client, css: &str) {
    leaving(c).await;
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrived(c).await;
}

async fn join(c: &Client, link: &str) {
    c.goto(link).await.unwrap();
    click_to(c, "form[action='/join'] button").await;
    assert!(c.current_url().await.unwrap().path() == "/");
}

/// Wait (as a person would) until the save status says something final.
async fn saved(c: &Client) -> String {
    for _ in 0..200 {
        let t = c
            .find(Locator::Css("[data-save-status]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // "Not saved yet" is said while a score or note is still missing: not final.
        if t.starts_with("Saved") || t.starts_with("Not saved:") {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the save status never settled");
}

/// Answer the open question: choose a score, type evidence (autosaved), then go on with the form.
async fn answer(c: &Client, score: i64, evidence: &str) {
    c.find(Locator::Css(&format!("label[for='score-{score}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let t = c.find(Locator::Id("evidence")).await.unwrap();
    t.clear().await.unwrap();
    t.send_keys(evidence).await.unwrap();
}

async fn next(c: &Client) {
    click_to(
        c,
        "button[name=go][value=next], button[name=go][value=review]",
    )
    .await;
}

#[test]
fn a_panel_scores_in_browsers_and_the_chair_decides() {
    let e = Env::new();
    e.setup();
    let s = Server::start(&e, "Ann");
    let d = start_driver();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ann = browser(&d).await;
        let bola = browser(&d).await;
        let cy = browser(&d).await;

        // The join page, then each signs in with their own link.
        let link = s.invite(&e, "Ann", "V1", "Bola");
        bola.goto(&link).await.unwrap();
        check_page(&bola, "join").await;
        click_to(&bola, "form[action='/join'] button").await;
        assert_eq!(
            bola.current_url().await.unwrap().path(),
            "/",
            "the token leaves the address bar"
        );
        check_page(&bola, "home").await;
        // The checker itself works: an image planted without alternative text is found.
        bola.execute(
            "document.querySelector('main').appendChild(document.createElement('img')).src = '/static/none.png'; return 1;",
            vec![],
        )
        .await
        .unwrap();
        let planted = serious_violations(&bola).await;
        assert!(planted.iter().any(|v| v["id"] == "image-alt"), "{planted:#?}");
        join(&cy, &s.invite(&e, "Ann", "V1", "Cy")).await;
        join(&ann, s.link.as_deref().unwrap()).await;

        // Both open C-1's first question at the same time.
        let url = s.url("/score/V1/C-1");
        bola.goto(&s.url("/score/V1")).await.unwrap();
        check_page(&bola, "candidates").await;
        bola.goto(&url).await.unwrap();
        cy.goto(&url).await.unwrap();
        check_page(&bola, "question").await;
        answer(&bola, 2, "Bola: vague on triage, no escalation").await;
        answer(&cy, 5, "Cy: named risk first, told supervisor").await;
        // The evidence box is left for the status: autosave has saved both.
        bola.find(Locator::Css("label[for='score-2']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        cy.find(Locator::Css("label[for='score-5']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert!(saved(&bola).await.starts_with("Saved"));
        assert!(saved(&cy).await.starts_with("Saved"));
        // A phone's view of an answer just autosaved (the README's picture).
        bola.set_window_size(390, 1330).await.unwrap();
        bola.execute(
            "window.scrollTo(0, document.querySelector('label[for=score-2]').getBoundingClientRect().top + window.scrollY - 24); return 1;",
            vec![],
        )
        .await
        .unwrap();
        let png = bola.screenshot().await.unwrap();
        std::fs::write(shots_dir().join("phone-autosaved.png"), png).unwrap();
        bola.set_window_size(1280, 900).await.unwrap();
        let (b_src, c_src) = (bola.source().await.unwrap(), cy.source().await.unwrap());
        assert!(
            !b_src.contains("Cy: named risk"),
            "Bola never sees Cy's notes"
        );
        assert!(!c_src.contains("Bola: vague"), "Cy never sees Bola's notes");
        next(&bola).await;
        next(&cy).await;
        answer(&bola, 3, "Bola: honest about discomfort").await;
        next(&bola).await;
        // Cy answers with the keyboard alone: arrow keys through the scale, Tab to the note, Tab to
        // the button, Enter.
        cy.execute("document.getElementById('score-1').focus(); return 1;", vec![])
            .await
            .unwrap();
        let keys = |k: Key, n: usize| std::iter::repeat_n(char::from(k), n).collect::<String>();
        cy.active_element()
            .await
            .unwrap()
            .send_keys(&keys(Key::Down, 3))
            .await
            .unwrap();
        cy.active_element().await.unwrap().send_keys(&keys(Key::Tab, 1)).await.unwrap();
        cy.active_element()
            .await
            .unwrap()
            .send_keys("Cy: concrete example and supervision")
            .await
            .unwrap();
        cy.active_element().await.unwrap().send_keys(&keys(Key::Tab, 1)).await.unwrap();
        leaving(&cy).await;
        cy.active_element().await.unwrap().send_keys(&keys(Key::Enter, 1)).await.unwrap();
        arrived(&cy).await;
        let t = text(&cy).await;
        assert!(t.contains("Check your scores"), "{t}");
        assert!(t.contains("Cy: concrete example and supervision"), "{t}");
        let checked = cy
            .execute("return document.querySelectorAll('td')[3].textContent;", vec![])
            .await
            .unwrap();
        assert!(checked.as_str().unwrap().contains('4'), "{checked}");
        // The review, then submit.
        check_page(&bola, "review").await;
        for c in [&bola, &cy] {
            c.find(Locator::Id("confirm"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            click_to(c, "form.submit button").await;
        }
        bola.goto(&url).await.unwrap();
        check_page(&bola, "submitted").await;
        assert!(text(&bola).await.contains("It is sealed"));

        // Two of three in: the reveal is refused, to the chair too.
        ann.goto(&s.url("/reveal/V1/C-1")).await.unwrap();
        let t = text(&ann).await;
        assert!(
            t.contains("sealed until every panellist has submitted"),
            "{t}"
        );
        assert!(!t.contains("Bola: vague"), "{t}");
        check_page(&ann, "reveal-refused").await;
        ann.goto(&s.url("/chair/V1")).await.unwrap();
        check_page(&ann, "board").await;

        // The chair scores too; then the reveal opens.
        ann.goto(&url).await.unwrap();
        answer(&ann, 3, "Ann: prioritised by risk").await;
        next(&ann).await;
        answer(&ann, 3, "Ann: some reflection").await;
        next(&ann).await;
        ann.find(Locator::Id("confirm"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        click_to(&ann, "form.submit button").await;
        ann.goto(&s.url("/reveal/V1/C-1")).await.unwrap();
        let t = text(&ann).await;
        assert!(
            t.contains("Bola: vague on triage") && t.contains("Cy: named risk first"),
            "{t}"
        );
        assert!(t.contains("divergent"), "{t}");
        check_page(&ann, "reveal").await;

        // Moderate the divergent question, with a reason.
        ann.execute(
            "document.querySelectorAll('details').forEach(d => d.open = true); return 1;",
            vec![],
        )
        .await
        .unwrap();
        let form = ann
            .form(Locator::Css("form[action$='/moderate']"))
            .await
            .unwrap();
        form.set(Locator::Css("select[name=score]"), "3")
            .await
            .unwrap();
        form.set(
            Locator::Css("textarea[name=reason]"),
            "Examples were specific but escalation was late",
        )
        .await
        .unwrap();
        leaving(&ann).await;
        form.submit().await.unwrap();
        arrived(&ann).await;
        assert!(text(&ann).await.contains("agreed 3"));

        // Decide: C-2 withdrew (the chair's act at the command line); then the form.
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
        ann.goto(&s.url("/chair/V1")).await.unwrap();
        ann.execute(
            "document.querySelectorAll('details').forEach(d => d.open = true); return 1;",
            vec![],
        )
        .await
        .unwrap();
        let form = ann.form(Locator::Css("form.decide")).await.unwrap();
        form.set(
            Locator::Id("rationale"),
            "Strongest evidence on risk and on reflection",
        )
        .await
        .unwrap();
        form.set(Locator::Id("unresolved_reason"), "Discussed in the room")
            .await
            .unwrap();
        form.set(
            Locator::Id("override_gaps"),
            "Panel composition agreed with HR beforehand",
        )
        .await
        .unwrap();
        leaving(&ann).await;
        form.submit().await.unwrap();
        arrived(&ann).await;
        let t = text(&ann).await;
        assert!(t.contains("Recorded decision: appoint C-1"), "{t}");
        check_page(&ann, "board-decided").await;
        ann.goto(&s.url("/chair/V1/report")).await.unwrap();
        let src = ann.source().await.unwrap();
        assert!(src.contains("Decision report"), "the report is shown");
        check_page(&ann, "report").await;

        for c in [ann, bola, cy] {
            c.close().await.unwrap();
        }
    });
    let j: serde_json::Value =
        serde_json::from_str(&e.ok(&["report", "V1", "--format", "json"])).unwrap();
    assert_eq!(j["decision"]["appointed"], "C-1");
    assert!(e.ok(&["verify"]).contains("unbroken chain"));
}

/// One panellist's whole sheet for a candidate, in their own browser: each question answered with
/// its note, the review, then submit.
async fn score_sheet(c: &Client, url: &str, answers: [(i64, &str); 2]) {
    c.goto(url).await.unwrap();
    for (score, note) in answers {
        answer(c, score, note).await;
        next(c).await;
    }
    assert!(text(c).await.contains("Check your scores"));
    c.find(Locator::Id("confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click_to(c, "form.submit button").await;
}

#[test]
fn four_panellists_score_two_candidates_from_four_browsers_at_once() {
    let e = Env::new();
    e.setup();
    e.add_panellist(&["V1", "--name", "Dee", "--ethnicity", "H"]);
    let s = Server::start(&e, "Ann");
    let d = start_driver();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let names = ["Ann", "Bola", "Cy", "Dee"];
        let mut clients = Vec::new();
        for n in names {
            let c = browser(&d).await;
            let link = if n == "Ann" {
                s.link.clone().unwrap()
            } else {
                s.invite(&e, "Ann", "V1", n)
            };
            join(&c, &link).await;
            clients.push(c);
        }
        let [ann, bola, cy, dee] = [&clients[0], &clients[1], &clients[2], &clients[3]];
        for (candidate, base) in [("C-1", 4), ("C-2", 3)] {
            let url = s.url(&format!("/score/V1/{candidate}"));
            // All four sheets are filled in at the same time, each in its own browser session.
            let note = |who: &str| format!("{who} on {candidate}: specific example");
            let (na, nb, nc, nd) = (note("Ann"), note("Bola"), note("Cy"), note("Dee"));
            tokio::join!(
                score_sheet(ann, &url, [(base, &na), (base, &na)]),
                score_sheet(bola, &url, [(base, &nb), (base + 1, &nb)]),
                score_sheet(cy, &url, [(base, &nc), (base, &nc)]),
                score_sheet(dee, &url, [(base + 1, &nd), (base, &nd)]),
            );
            // Nobody's page ever held another panellist's note.
            for (i, c) in clients.iter().enumerate() {
                let src = c.source().await.unwrap();
                for (j, who) in names.iter().enumerate() {
                    if i != j {
                        assert!(
                            !src.contains(&note(who)),
                            "{}'s page shows {who}'s note",
                            names[i]
                        );
                    }
                }
            }
            ann.goto(&s.url(&format!("/reveal/V1/{candidate}")))
                .await
                .unwrap();
            let t = text(ann).await;
            for who in names {
                assert!(
                    t.contains(&note(who)),
                    "{candidate}'s reveal lacks {who}: {t}"
                );
            }
        }
        ann.goto(&s.url("/chair/V1")).await.unwrap();
        ann.execute(
            "document.querySelectorAll('details').forEach(d => d.open = true); return 1;",
            vec![],
        )
        .await
        .unwrap();
        let form = ann.form(Locator::Css("form.decide")).await.unwrap();
        form.set(Locator::Id("rationale"), "Higher on both questions")
            .await
            .unwrap();
        leaving(ann).await;
        form.submit().await.unwrap();
        arrived(ann).await;
        let t = text(ann).await;
        assert!(t.contains("Recorded decision: appoint C-1"), "{t}");
        for c in clients {
            c.close().await.unwrap();
        }
    });
    let log: serde_json::Value = serde_json::from_str(&e.ok(&["log", "--format", "json"])).unwrap();
    let submits: Vec<&serde_json::Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|ev| ev["action"] == "sheet.submit")
        .collect();
    assert_eq!(submits.len(), 8, "four sheets for each of two candidates");
    assert!(submits.iter().all(|ev| ev["auth"] == "session"));
    assert!(e.ok(&["verify"]).contains("unbroken chain"));
}
