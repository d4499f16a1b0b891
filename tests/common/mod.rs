#![allow(dead_code)]
//! Shared helpers: run the real binary against a temporary database.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    /// The throw-away PostgreSQL database this test runs on, dropped with it.
    pub server: Option<pg::Scratch>,
}

pub mod pg;

/// The real binary as every test runs it (fixed clock, no prompts, no ambient database or actor), on
/// the database file `db`.
pub fn command_on(db: &Path) -> Command {
    let mut c = Command::cargo_bin("fairpanel").unwrap();
    c.env_remove("FAIRPANEL_DB")
        .env_remove("FAIRPANEL_AS")
        .env_remove("FAIRPANEL_CREDENTIAL")
        .env_remove("FAIRPANEL_CREDENTIAL_FILE")
        .env("FAIRPANEL_NOW", "2026-11-26T10:00:00Z")
        .arg("--db")
        .arg(db)
        .arg("--no-input");
    c
}

/// The binary on `db` with its address space capped at 2 GiB (and no prompts, a fixed clock): input
/// that makes it read or expand without bound ends in a failed allocation (a signal, no exit code)
/// instead of exhausting the machine running the tests.
pub fn capped(db: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin("fairpanel"))
        .arg("--db")
        .arg(db)
        .arg("--no-input")
        .args(args)
        .env_remove("FAIRPANEL_DB")
        .env_remove("FAIRPANEL_AS")
        .env_remove("FAIRPANEL_CREDENTIAL")
        .env_remove("FAIRPANEL_CREDENTIAL_FILE")
        .env("FAIRPANEL_NOW", "2026-11-26T10:00:00Z")
        .output()
        .unwrap()
}

/// Run on `db` and assert success; returns stdout.
pub fn ok_on(db: &Path, args: &[&str]) -> String {
    let out = command_on(db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "fairpanel {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts `a` is within `tol` of the expected value `e`, naming the expression.
#[macro_export]
macro_rules! assert_close {
    ($a:expr, $e:expr, $tol:expr) => {{
        let (a, e): (f64, f64) = ($a, $e);
        assert!(
            (a - e).abs() <= $tol,
            "{} = {} but expected {} ± {}",
            stringify!($a),
            a,
            e,
            $tol
        )
    }};
}

/// The one-time invitation printed by `panel add` or `person add`.
pub fn invitation(out: &str) -> String {
    out.split_whitespace()
        .find(|w| w.starts_with("fpi_"))
        .unwrap_or_else(|| panic!("no invitation in {out}"))
        .trim_end_matches(['.', '`'])
        .to_string()
}

impl Env {
    /// A new, initialised database.
    pub fn new() -> Env {
        let e = Env::empty();
        e.ok(&["init"]);
        e
    }

    /// No database yet.
    /// A new, initialised SQLite file, whatever the backend under test (for tests of the file itself).
    pub fn new_file() -> Env {
        let e = Env::empty_file();
        e.ok(&["init"]);
        e
    }

    /// No database yet: a file in a temporary directory, or with `FAIRPANEL_TEST_BACKEND=postgres` a
    /// new, empty database on the test server (see [`pg`]).
    pub fn empty() -> Env {
        let dir = tempfile::tempdir().unwrap();
        if pg::backend_is_postgres() {
            let scratch = pg::Scratch::new();
            return Env {
                dir,
                db: PathBuf::from(&scratch.url),
                server: Some(scratch),
            };
        }
        let db = dir.path().join("test.db");
        Env {
            dir,
            db,
            server: None,
        }
    }

    /// A new SQLite file, whatever the backend under test (for tests of the file itself).
    pub fn empty_file() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("test.db");
        Env {
            dir,
            db,
            server: None,
        }
    }

    /// The file holding `name`'s passphrase, once redeemed.
    pub fn cred(&self, name: &str) -> PathBuf {
        self.path(&format!("cred-{}.txt", name.replace(' ', "_")))
    }

    /// `name` redeems an invitation, saving a made-up passphrase to [`Env::cred`].
    pub fn redeem(&self, name: &str, invitation: &str) {
        let f = self.cred(name);
        let _ = std::fs::remove_file(&f);
        self.ok(&[
            "credential",
            "redeem",
            "--invite",
            invitation,
            "--save",
            f.to_str().unwrap(),
        ]);
    }

    /// `panel add` with these arguments, then the new panellist redeems their invitation.
    pub fn add_panellist(&self, args: &[&str]) -> String {
        let mut a = vec!["panel", "add"];
        a.extend(args);
        let out = self.ok(&a);
        let name = args
            .iter()
            .position(|x| *x == "--name")
            .map(|i| args[i + 1])
            .expect("--name given");
        if out.contains("fpi_") {
            self.redeem(name, &invitation(&out));
        }
        out
    }

    /// Add a person with organisation roles and redeem their invitation.
    pub fn add_person(&self, name: &str, roles: &[&str]) {
        let mut a = vec!["person", "add", name];
        for r in roles {
            a.extend(["--role", r]);
        }
        let out = self.ok(&a);
        self.redeem(name, &invitation(&out));
    }

    /// The binary, acting as `name` with their passphrase.
    pub fn cmd_as(&self, name: &str) -> Command {
        let mut c = self.cmd();
        c.arg("--as")
            .arg(name)
            .arg("--credential-file")
            .arg(self.cred(name));
        c
    }

    /// Run as `name` and assert success; returns stdout.
    pub fn as_ok(&self, name: &str, args: &[&str]) -> String {
        let out = self.cmd_as(name).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "fairpanel --as {name} {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Run as `name` and assert the exit code; returns stderr.
    pub fn as_fails(&self, name: &str, args: &[&str], code: i32) -> String {
        let out = self.cmd_as(name).args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "fairpanel --as {name} {args:?}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    pub fn as_json(&self, name: &str, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        serde_json::from_str(&self.as_ok(name, &a)).unwrap()
    }

    pub fn cmd(&self) -> Command {
        command_on(&self.db)
    }

    /// Run and assert success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        ok_on(&self.db, args)
    }

    /// Run and assert the exit code; returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "fairpanel {args:?}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&a)).unwrap()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    /// A vacancy V1 with two questions, a panel of three (one self-declared minority member) and
    /// candidates C-1 and C-2.
    pub fn setup(&self) {
        self.setup_vacancy(
            "V1",
            &[
                "--band",
                "Band 5",
                "--service",
                "Northshire Talking Therapies",
            ],
        );
    }

    /// As [`Env::setup`], for vacancy `id` created with these further arguments (band, service, a
    /// policy file). The panellists are the same people in every vacancy.
    pub fn setup_vacancy(&self, id: &str, create: &[&str]) {
        let mut args = vec![
            "vacancy",
            "create",
            "--id",
            id,
            "--title",
            "Psychological Wellbeing Practitioner",
            "--bank",
            "nhs-talking-therapies",
            "--questions",
            "caseload-prioritisation,diversity-discomfort",
        ];
        args.extend(create);
        self.ok(&args);
        self.add_panellist(&[
            id,
            "--name",
            "Ann",
            "--role",
            "chair",
            "--ethnicity",
            "A",
            "--trained",
            "2026-01-10",
        ]);
        self.add_panellist(&[id, "--name", "Bola", "--ethnicity", "N"]);
        self.add_panellist(&[id, "--name", "Cy"]);
        self.ok(&["candidate", "add", id, "--ref", "C-1"]);
        self.ok(&["candidate", "add", id, "--ref", "C-2"]);
    }

    pub fn score_all(&self, candidate: &str, scores: [[i64; 2]; 3]) {
        self.score_in("V1", candidate, scores);
    }

    /// Ann, Bola and Cy score `candidate` of `vacancy` (two questions each) and submit.
    pub fn score_in(&self, vacancy: &str, candidate: &str, scores: [[i64; 2]; 3]) {
        for (p, s) in ["Ann", "Bola", "Cy"].iter().zip(scores) {
            for (q, v) in ["caseload-prioritisation", "diversity-discomfort"]
                .iter()
                .zip(s)
            {
                self.as_ok(
                    p,
                    &[
                        "score",
                        vacancy,
                        candidate,
                        "--panellist",
                        p,
                        "--question",
                        q,
                        "--score",
                        &v.to_string(),
                        "--evidence",
                        &format!("{p} heard evidence for {v}"),
                    ],
                );
            }
            self.as_ok(p, &["submit", vacancy, candidate, "--panellist", p]);
        }
    }
}

pub fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}

/// Checks an audit's JSON for counts that could be worked out by subtraction: in every published
/// relation (a group with its subtotal, a stage with its total, a WRES figure split by band or by
/// internal/external with its overall value) either no cell is hidden or at least two are.
pub fn assert_no_hidden_count_recoverable(a: &serde_json::Value) {
    let hidden = |v: &serde_json::Value| v == "suppressed";
    let row = |rows: &serde_json::Value, g: &str| -> Vec<serde_json::Value> {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == g)
            .unwrap_or_else(|| panic!("no {g} row"))["reached"]
            .as_array()
            .unwrap()
            .clone()
    };
    let check = |what: &str, cells: &[&serde_json::Value]| {
        let n = cells.iter().filter(|c| hidden(c)).count();
        assert_ne!(
            n, 1,
            "{what}: one hidden cell can be recovered from {cells:?}"
        );
    };
    let f = &a["funnel"];
    let groups = [
        "asian",
        "black",
        "mixed",
        "white",
        "other",
        "declined",
        "not_asked",
    ];
    let bme_groups = ["asian", "black", "mixed", "other"];
    let bme = row(&a["white_bme"]["funnel"], "bme");
    let white = row(&a["white_bme"]["funnel"], "white");
    assert_eq!(white, row(f, "white"), "the White row is the same cells");
    for (k, subtotal) in bme.iter().enumerate() {
        let mut cells: Vec<serde_json::Value> =
            bme_groups.iter().map(|g| row(f, g)[k].clone()).collect();
        cells.push(subtotal.clone());
        check(
            &format!("BME subtotal at stage {k}"),
            &cells.iter().collect::<Vec<_>>(),
        );
    }
    // Stage 0: the number of applications is published.
    let applications = &a["applications"];
    let all: Vec<serde_json::Value> = groups.iter().map(|g| row(f, g)[0].clone()).collect();
    let mut with_total: Vec<&serde_json::Value> = all.iter().collect();
    with_total.push(applications);
    check("applications by group", &with_total);
    let d = &a["disclosure"];
    check(
        "stated, declined, not asked",
        &[&d["stated"], &d["declined"], &d["not_asked"], applications],
    );
    check(
        "White and BME as stated",
        &[&white[0], &bme[0], &d["stated"]],
    );
    assert_eq!(d["declined"], row(f, "declined")[0]);
    assert_eq!(d["not_asked"], row(f, "not_asked")[0]);
    // WRES: the same cells as the funnel, and its splits tied to them.
    let w = &a["wres"];
    assert_eq!(w["white_shortlisted"], white[1]);
    assert_eq!(w["white_appointed"], white[4]);
    assert_eq!(w["bme_shortlisted"], bme[1]);
    assert_eq!(w["bme_appointed"], bme[4]);
    for split in ["band", "internal"] {
        for figure in [
            "white_shortlisted",
            "white_appointed",
            "bme_shortlisted",
            "bme_appointed",
            "not_stated_shortlisted",
        ] {
            let mut cells: Vec<&serde_json::Value> = a["splits"][split]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| &r["wres"][figure])
                .collect();
            cells.push(&w[figure]);
            check(&format!("{figure} by {split}"), &cells);
        }
    }
    // Questions: per question, the four minority groups' counts and their BME subtotal.
    if let Some(rows) = a["questions"]["rows"].as_array() {
        for r in rows {
            let cells: Vec<&serde_json::Value> = r["comparisons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| &c["candidates"])
                .collect();
            check(&format!("question {} by group", r["question"]), &cells);
            // Nothing is computed from a hidden count.
            for c in r["comparisons"].as_array().unwrap() {
                if hidden(&c["candidates"]) || hidden(&r["white"]) {
                    assert!(c["smd"].is_null() && c["ets_class"].is_null(), "{c}");
                }
            }
        }
    }
}
