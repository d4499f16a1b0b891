//! Hostile and broken inputs through the real binary: records an older fairpanel could have written,
//! text that could fake or hide terminal output, and files written where they should not be.

mod common;
use common::Env;
use fairpanel::record::chain::Actor;
use fairpanel::store::{Create, Store, Tx};
use std::path::{Path, PathBuf};

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(rel)
}

/// Write to `e.db` as an older fairpanel could have: straight to the record, past the checks that
/// new input meets today.
fn older(e: &Env, f: impl FnOnce(&mut Tx<'_>) -> anyhow::Result<()>) {
    let mut s = Store::open(&e.db, Actor::login("older"), None, Create::No).unwrap();
    s.write(f).unwrap();
}

/// A vacancy V1 on the corpus's control bank with each question weighing `weight`, created as an
/// older fairpanel that accepted any finite positive weight would have.
fn vacancy_with_weights(e: &Env, weight: &str) {
    let yaml = std::fs::read_to_string(corpus("banks/valid.yaml"))
        .unwrap()
        .replace("    probes:", &format!("    weight: {weight}\n    probes:"));
    let bank = fairpanel::bank::parse_recorded(&yaml, "weights.yaml").unwrap();
    let questions: Vec<String> = bank.questions.iter().map(|q| q.id.clone()).collect();
    let policy = fairpanel::policy::Policy::default();
    older(e, |tx| {
        fairpanel::actions::vacancy::create(
            tx,
            &fairpanel::actions::vacancy::NewVacancy {
                id: "V1",
                title: "Heavy questions",
                band: None,
                service: None,
                bank: &bank,
                bank_yaml: &yaml,
                questions: &questions,
                policy: &policy,
                policy_source: "built-in",
                policy_yaml: fairpanel::policy::DEFAULT_YAML,
                coverage_override: None,
            },
        )
        .map(|_| ())
    });
}

/// Ann (chair, minority, trained), Bola and Cy score C-1 above C-2 on both questions; both revealed.
fn panel_scores_and_reveals(e: &Env) {
    e.add_panellist(&[
        "V1",
        "--name",
        "Ann",
        "--role",
        "chair",
        "--ethnicity",
        "A",
        "--trained",
        "2026-01-10",
    ]);
    e.add_panellist(&["V1", "--name", "Bola", "--ethnicity", "N"]);
    e.add_panellist(&["V1", "--name", "Cy", "--ethnicity", "M"]);
    for (c, score) in [("C-1", "3"), ("C-2", "2")] {
        e.ok(&["candidate", "add", "V1", "--ref", c]);
        for p in ["Ann", "Bola", "Cy"] {
            for q in ["team-pressure", "uncomfortable-groups"] {
                e.as_ok(
                    p,
                    &[
                        "score",
                        "V1",
                        c,
                        "--panellist",
                        p,
                        "--question",
                        q,
                        "--score",
                        score,
                        "--evidence",
                        "Gave a clear example",
                    ],
                );
            }
            e.as_ok(p, &["submit", "V1", c, "--panellist", p]);
        }
        e.as_ok("Ann", &["reveal", "V1", c]);
    }
}

/// Weights of 1.0e308 were once accepted. Their weighted sums overflow to infinity; the ranking must
/// still come out right (each mean is the plain mean when every weight is the same), and every
/// command that reads it must work.
#[test]
fn huge_weights_in_a_recorded_bank_still_rank_and_report() {
    let e = Env::new();
    vacancy_with_weights(&e, "1.0e308");
    panel_scores_and_reveals(&e);
    let r = e.json(&["report", "V1"]);
    let ranking = r["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 2, "{r}");
    assert_eq!(ranking[0]["reference"], "C-1");
    assert_eq!(ranking[0]["weighted_mean"], 3.0);
    assert_eq!(ranking[1]["reference"], "C-2");
    assert_eq!(ranking[1]["weighted_mean"], 2.0);
    for f in ["md", "html"] {
        let out = e.ok(&["report", "V1", "--format", f]);
        assert!(out.contains("C-1"), "{out}");
    }
    e.ok(&["check", "V1"]);
    let csv = e.ok(&["export", "scores", "V1"]);
    assert_eq!(csv.lines().count(), 13, "{csv}");
    let out = e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--rationale",
            "Strongest evidence on every question",
        ],
    );
    assert!(out.contains("C-1"), "{out}");
}

// ------------------------------------------------------------------------------------ text and terminals

/// Text that could fake or hide terminal output: colour and clear-screen escapes, a bell, a carriage
/// return, a line break and a right-to-left override.
const FAKERS: [(&str, &str); 6] = [
    ("Ann\u{1b}[31m", "U+001B"),
    ("Ann\u{1b}[2J", "U+001B"),
    ("Ann\u{7}", "U+0007"),
    ("Ann\rBola", "U+000D"),
    ("An\nn", "U+000A"),
    ("A\u{202E}nn", "U+202E"),
];

#[test]
fn names_refs_and_titles_that_could_fake_output_are_refused() {
    let e = Env::new();
    e.setup();
    let before = e.json(&["log"]).as_array().unwrap().len();
    for (bad, code) in FAKERS {
        let err = e.fails(&["panel", "add", "V1", "--name", bad], 2);
        assert!(
            err.contains("a panellist's name contains the invisible or control character")
                && err.contains(code),
            "{bad:?}: {err}"
        );
        let err = e.fails(&["person", "add", bad], 2);
        assert!(err.contains(code), "{bad:?}: {err}");
        let err = e.fails(&["candidate", "add", "V1", "--ref", bad], 2);
        assert!(
            err.contains("a candidate ref") && err.contains("may hold only letters, digits"),
            "{bad:?}: {err}"
        );
        for flag in ["--title", "--band", "--service"] {
            let mut args = vec![
                "vacancy",
                "create",
                "--id",
                "V2",
                "--title",
                "Ordinary title",
                "--bank",
                "nhs-talking-therapies",
            ];
            if flag == "--title" {
                args[5] = bad;
            } else {
                args.extend([flag, bad]);
            }
            let err = e.fails(&args, 2);
            assert!(
                err.contains("contains the invisible or control character") && err.contains(code),
                "{flag} {bad:?}: {err}"
            );
        }
    }
    assert_eq!(e.json(&["log"]).as_array().unwrap().len(), before);
}

fn score_args(evidence: &str) -> Vec<&str> {
    vec![
        "score",
        "V1",
        "C-1",
        "--panellist",
        "Ann",
        "--question",
        "caseload-prioritisation",
        "--score",
        "3",
        "--evidence",
        evidence,
    ]
}

/// An evidence note must be visible text: control characters are refused naming them, a note of
/// nothing but invisible characters (zero-width spaces, a byte-order mark, a Braille blank) is refused
/// as empty, and so is a note over the length limit. From a flag and from a CSV import alike.
#[test]
fn evidence_notes_must_be_visible_text_of_a_sane_length() {
    let e = Env::new();
    e.setup();
    // A value that breaks the rules for text is a usage error (2), as for names; a missing note is 1.
    for (bad, says, code) in [
        (
            "Good plan\u{1b}[2J",
            "contains the invisible or control character U+001B",
            2,
        ),
        (
            "Good plan\u{202E}",
            "contains the invisible or control character U+202E",
            2,
        ),
        ("\u{200B}\u{200B}", "an evidence note is required", 1),
        ("\u{FEFF}", "an evidence note is required", 1),
        ("\u{2800}\u{2800}", "an evidence note is required", 1),
        (" \n\t ", "an evidence note is required", 1),
    ] {
        let err = e.as_fails("Ann", &score_args(bad), code);
        assert!(err.contains(says), "{bad:?}: {err}");
    }
    let long = "x".repeat(100_000);
    let err = e.as_fails("Ann", &score_args(&long), 2);
    assert!(
        err.contains("the evidence note is longer than 8000 characters"),
        "{err}"
    );

    let header = "vacancy,candidate,panellist,question,score,evidence\n";
    let sheet = |evidence: &str| {
        format!(
            "{header}V1,C-1,Ann,caseload-prioritisation,3,{evidence}\nV1,C-1,Ann,diversity-discomfort,3,Fine\n"
        )
    };
    let ten_mb = "y".repeat(10 * 1024 * 1024);
    for (name, evidence, says) in [
        (
            "huge.csv",
            ten_mb.as_str(),
            "the evidence note is longer than 8000 characters",
        ),
        (
            "invisible.csv",
            "\u{200B}\u{2060}\u{200B}",
            "an evidence note is required",
        ),
        ("escape.csv", "ok\u{1b}[31m", "U+001B"),
    ] {
        let path = e.write(name, &sheet(evidence));
        let err = e.fails(
            &[
                "import",
                "scores",
                path.to_str().unwrap(),
                "--reason",
                "paper sheets",
            ],
            1,
        );
        assert!(
            err.contains(&format!("{name}: row 2, column 'evidence': "))
                && err.contains(says)
                && err.contains("nothing was imported"),
            "{name}: {err}"
        );
    }
    assert!(e
        .json(&["log"])
        .as_array()
        .unwrap()
        .iter()
        .all(|ev| ev["action"] != "score.answer"));
}

/// Pipeline imports carry gender and disability as free text: the same rules as any name.
#[test]
fn pipeline_imports_refuse_text_that_could_fake_output() {
    let e = Env::new();
    e.setup();
    for (col, value) in [("gender", "F\u{1b}[31m"), ("disability", "No\u{202E}")] {
        let path = e.write(
            "apps.csv",
            &format!(
                "vacancy,candidate,stage,ethnicity,gender,disability\nV1,A-1,applied,A,{},{}\n",
                if col == "gender" { value } else { "F" },
                if col == "disability" { value } else { "No" }
            ),
        );
        let err = e.fails(&["import", "applications", path.to_str().unwrap()], 1);
        assert!(
            err.contains(&format!("apps.csv: row 2, column '{col}': "))
                && err.contains("contains the invisible or control character"),
            "{col}: {err}"
        );
    }
}

/// A record written by an older fairpanel, which took names, titles, refs and notes as given: every
/// text view shows them with the control and invisible characters replaced, never raw.
#[test]
fn terminal_output_never_carries_control_characters_from_an_older_record() {
    use fairpanel::record::fact::{self, Fact};
    use fairpanel::record::seal;
    use fairpanel::record::Scope;
    let e = Env::new();
    e.setup();
    older(&e, |tx| {
        let ann = tx.person_named("Ann")?.unwrap().id;
        tx.append(
            Scope::Person(ann),
            Fact::PersonRename(fact::PersonRename {
                name: "Ann\u{1b}[31m\u{202E}".into(),
                reason: "typo\u{1b}[2J".into(),
            }),
        )?;
        let (kid, key) = tx.new_key()?;
        tx.append(
            Scope::Vacancy("V1".into()),
            Fact::CandidateAdd(fact::CandidateAdd {
                reference: "C\u{1b}[2J9".into(),
                key: seal::intro(kid, &key),
                name: None,
            }),
        )?;
        let questions = tx.vacancy("V1")?.questions.clone();
        let bank_yaml = fairpanel::bank::BUNDLED[0].1;
        let bank_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bank_yaml.as_bytes()));
        tx.append(
            Scope::Vacancy("V2".into()),
            Fact::VacancyCreate(fact::VacancyCreate {
                title: "Evil\u{1b}[2J\u{7}title\nfake row".into(),
                band: Some("Band\u{1b}[31m 5".into()),
                service: Some("Service\r\u{202E}".into()),
                bank: bank_sha,
                questions,
                policy_source: "built-in\u{1b}[0m".into(),
                policy_yaml: fairpanel::policy::DEFAULT_YAML.into(),
                coverage_override: None,
            }),
        )?;
        Ok(())
    });
    let views: &[&[&str]] = &[
        &["vacancy", "show", "V1"],
        &["vacancy", "show", "V2"],
        &["vacancy", "list"],
        &["panel", "list", "V1"],
        &["candidate", "list", "V1"],
        &["person", "list"],
        &["log"],
        &["report", "V1"],
        &["report", "V2"],
        &["report", "V2", "--format", "html"],
        &["check", "V1"],
        &["audit"],
    ];
    for args in views {
        let out = e.cmd().args(*args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !out.stdout.is_empty(),
            "{args:?} printed nothing: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for bad in ['\u{1b}', '\u{7}', '\r', '\u{202E}'] {
            assert!(!text.contains(bad), "{args:?} printed {bad:?}:\n{text}");
        }
    }
    let list = e.ok(&["vacancy", "list"]);
    assert_eq!(
        list.lines().count(),
        3,
        "a line break in a title made a row:\n{list}"
    );
}

// ------------------------------------------------------------------------------------------------ files

/// Files named on the command line are read up to a limit, not whole: `/dev/zero` never ends, and
/// its size on disk is 0, so checking the size first is not enough.
#[test]
fn endless_files_are_refused_without_reading_them_whole() {
    let e = Env::new();
    e.setup();
    for (args, says) in [
        (
            vec!["bank", "validate", "/dev/zero"],
            "/dev/zero:1:1: file is larger than 1048576 bytes",
        ),
        (
            vec![
                "vacancy",
                "create",
                "--id",
                "V2",
                "--title",
                "T",
                "--bank",
                "nhs-talking-therapies",
                "--policy",
                "/dev/zero",
            ],
            "/dev/zero:1:1: file is larger than 1048576 bytes",
        ),
        (
            vec!["import", "scores", "/dev/zero", "--reason", "paper sheets"],
            "/dev/zero: file is larger than 67108864 bytes",
        ),
        (
            vec!["import", "applications", "/dev/zero"],
            "/dev/zero: file is larger than 67108864 bytes",
        ),
        (
            vec!["stats", "icc", "/dev/zero"],
            "/dev/zero: file is larger than 67108864 bytes",
        ),
        (
            vec![
                "--as",
                "Ann",
                "--credential-file",
                "/dev/zero",
                "submit",
                "V1",
                "C-1",
            ],
            "the credential file /dev/zero is larger than 65536 bytes",
        ),
        (
            vec!["verify", "--receipt", "/dev/zero"],
            "/dev/zero is larger than 67108864 bytes",
        ),
    ] {
        let start = std::time::Instant::now();
        let out = common::capped(&e.db, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(1 | 2)),
            "{args:?}: {:?} {err}",
            out.status
        );
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{args:?}"
        );
    }
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", p.display());
}

/// Every command that writes a file with `-o`: the file it leaves is new, private and whole; a link
/// at that name is replaced, never followed; a pipe or the database itself is refused and left as
/// it was.
#[cfg(unix)]
#[test]
fn files_written_with_o_are_private_never_followed_and_never_the_database() {
    use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};
    let e = Env::new();
    e.setup();
    e.add_person("Hana", &["hr"]);
    type Writer = (&'static str, Option<&'static str>, Vec<&'static str>);
    let writers: Vec<Writer> = vec![
        ("report", None, vec!["report", "V1", "-o"]),
        ("audit", None, vec!["audit", "-o"]),
        ("export", None, vec!["export", "scores", "V1", "-o"]),
        (
            "subject access",
            Some("Hana"),
            vec!["candidate", "export", "V1", "C-1", "-o"],
        ),
    ];
    let run = |who: Option<&str>, args: &[&str]| match who {
        Some(w) => e.cmd_as(w).args(args).output().unwrap(),
        None => e.cmd().args(args).output().unwrap(),
    };
    for (what, who, args) in &writers {
        let loose = e.write(&format!("{what}-loose.txt"), "old contents");
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut a = args.clone();
        a.push(loose.to_str().unwrap());
        let out = run(*who, &a);
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(mode(&loose), 0o600, "{what} left a loose file");
        assert_ne!(std::fs::read_to_string(&loose).unwrap(), "old contents");

        let target = e.write(&format!("{what}-target.txt"), "keep me");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = e.path(&format!("{what}-link.txt"));
        symlink(&target, &link).unwrap();
        let mut a = args.clone();
        a.push(link.to_str().unwrap());
        let out = run(*who, &a);
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!link.is_symlink(), "{what} wrote through the link");
        assert_eq!(mode(&link), 0o600);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        assert_eq!(mode(&target), 0o644);

        let fifo = e.path(&format!("{what}.fifo"));
        mkfifo(&fifo);
        let mut a = args.clone();
        a.push(fifo.to_str().unwrap());
        let out = run(*who, &a);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{what} wrote over a pipe: {err}"
        );
        assert!(err.contains("is not a regular file"), "{what}: {err}");
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());

        // Refused before anything is done: not even a subject access is recorded.
        let events = e.json(&["log"]).as_array().unwrap().len();
        let wal = e.path("test.db-wal");
        for target in [e.db.clone(), wal.clone()] {
            let mut a = args.clone();
            a.push(target.to_str().unwrap());
            let out = run(*who, &a);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{what} wrote over the database: {err}"
            );
            assert!(err.contains("is the database"), "{what}: {err}");
        }
        assert!(!wal.exists(), "{what} made a WAL file");
        assert_eq!(e.json(&["log"]).as_array().unwrap().len(), events, "{what}");
        let leftovers: Vec<String> = std::fs::read_dir(e.dir.path())
            .unwrap()
            .map(|d| d.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{what} left {leftovers:?}");
    }
    e.ok(&["verify"]);
}

/// Directories fairpanel creates for its own files are its owner's alone.
#[cfg(unix)]
#[test]
fn directories_fairpanel_creates_are_private() {
    let e = Env::new();
    let out = e.path("new/demo");
    e.ok(&["demo", "--out", out.to_str().unwrap()]);
    assert_eq!(mode(&e.path("new")), 0o700);
    assert_eq!(mode(&out), 0o700);
    let db = e.path("fresh/dir/team.db");
    common::ok_on(&db, &["init"]);
    assert_eq!(mode(&e.path("fresh")), 0o700);
    assert_eq!(mode(&e.path("fresh/dir")), 0o700);
    assert_eq!(mode(&db), 0o600);
}

/// `--db` naming a pipe or a device is refused before it is opened: nothing reads from it or writes
/// to it, and its mode is as it was.
#[cfg(unix)]
#[test]
fn a_database_path_that_is_a_pipe_or_a_device_is_refused_untouched() {
    let e = Env::empty();
    let fifo = e.path("team.db");
    mkfifo(&fifo);
    for db in [fifo.as_path(), Path::new("/dev/null")] {
        let before = mode(db);
        for args in [&["init"][..], &["vacancy", "list"], &["verify"], &["log"]] {
            let out = common::command_on(db)
                .args(args)
                .timeout(std::time::Duration::from_secs(20))
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{} {args:?}: {err}",
                db.display()
            );
            assert!(err.contains("is not a regular file"), "{err}");
            assert_eq!(mode(db), before, "{} changed mode", db.display());
        }
    }
    let names: Vec<String> = std::fs::read_dir(e.dir.path())
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, ["team.db"], "journal or WAL files were made");
}

/// A backup says what it copied (its receipt), and `verify --receipt` on the copy proves the copy
/// holds it: an empty database, or a copy cut short, fails that check.
#[test]
fn a_backup_names_the_receipt_its_copy_proves() {
    let e = Env::new();
    e.setup();
    let copy = e.path("copy.db");
    let out = e.ok(&["backup", copy.to_str().unwrap()]);
    let receipt = out
        .split_whitespace()
        .find(|w| w.contains(':') && w.len() > 64)
        .map(|w| w.trim_end_matches(['.', ',', ';', ')', '`']).to_string())
        .unwrap_or_else(|| panic!("no receipt in {out:?}"));
    let source = e.json(&["verify"]);
    let head = &source["receipt"];
    assert_eq!(
        format!("{}:{}", head["events"], head["head"].as_str().unwrap()),
        receipt,
        "{out}"
    );
    let v = serde_json::from_str::<serde_json::Value>(&common::ok_on(
        &copy,
        &["verify", "--receipt", &receipt, "--format", "json"],
    ))
    .unwrap();
    assert_eq!(v["receipt_checked"]["holds"], true, "{v}");
    let empty = e.path("empty.db");
    common::ok_on(&empty, &["init"]);
    let out = common::command_on(&empty)
        .args(["verify", "--receipt", &receipt])
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(0),
        "an empty database passed as the copy"
    );
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("fewer than the receipt's"), "{said}");
    // A second backup to the same name is refused: it never overwrites.
    let err = e.fails(&["backup", copy.to_str().unwrap()], 1);
    assert!(err.contains("exists"), "{err}");
}

// ------------------------------------------------------------------------------ read-only databases

/// Permission bits bind everyone but root. When the tests run as root (as in CI), the files are
/// handed to `nobody` and fairpanel runs as `nobody`, so the bits bind there too and the test proves
/// the same thing either way; `None` when running as an ordinary user, whom they bind already.
#[cfg(unix)]
fn unprivileged_uid(dir: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let probe = dir.join(".whoami");
    std::fs::write(&probe, "").unwrap();
    let me = std::fs::metadata(&probe).unwrap().uid();
    std::fs::remove_file(&probe).unwrap();
    (me == 0).then_some(65534)
}

#[cfg(unix)]
fn chown_tree(p: &Path, uid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(uid)).unwrap();
    if p.is_dir() && !p.is_symlink() {
        for d in std::fs::read_dir(p).unwrap() {
            chown_tree(&d.unwrap().path(), uid);
        }
    }
}

/// The binary on `db`, as `uid` when given.
#[cfg(unix)]
fn run_as(uid: Option<u32>, db: &Path, args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("fairpanel"));
    c.arg("--db")
        .arg(db)
        .arg("--no-input")
        .args(args)
        .env_remove("FAIRPANEL_DB")
        .env_remove("FAIRPANEL_AS")
        .env_remove("FAIRPANEL_CREDENTIAL")
        .env_remove("FAIRPANEL_CREDENTIAL_FILE")
        .env("FAIRPANEL_NOW", "2026-11-26T10:00:00Z");
    if let Some(u) = uid {
        c.uid(u).gid(u);
    }
    c.output().unwrap()
}

/// A database in a directory no one may write to (where SQLite cannot make the files WAL mode reads
/// through), and a database file no one may write: every read works, and a write is refused with a
/// clear message, leaving the file as it was.
#[cfg(unix)]
#[test]
fn a_read_only_database_still_reads_and_refuses_writes_clearly() {
    use std::os::unix::fs::PermissionsExt;
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 4], [4, 3], [3, 4]]);
    e.as_ok("Ann", &["reveal", "V1", "C-1"]);
    let out_dir = e.path("backups");
    std::fs::create_dir(&out_dir).unwrap();
    let uid = unprivileged_uid(e.dir.path());
    if uid.is_some() {
        eprintln!("running as root: fairpanel runs as nobody (uid 65534) so permission bits apply");
        chown_tree(e.dir.path(), 65534);
    }
    let set =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    let reads: &[&[&str]] = &[
        &["report", "V1"],
        &["report", "V1", "--format", "json"],
        &["reveal", "V1", "C-1"],
        &["check", "V1"],
        &["vacancy", "list"],
        &["vacancy", "show", "V1"],
        &["log"],
        &["audit"],
        &["verify"],
    ];
    for case in ["directory 0555", "file 0444"] {
        match case {
            "directory 0555" => set(e.dir.path(), 0o555),
            _ => set(&e.db, 0o444),
        }
        let before = std::fs::read(&e.db).unwrap();
        for args in reads {
            let out = run_as(uid, &e.db, args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                matches!(out.status.code(), Some(0 | 3)) && !out.stdout.is_empty(),
                "{case}: {args:?} failed: {err}"
            );
        }
        let out = run_as(uid, &e.db, &["candidate", "add", "V1", "--ref", "C-9"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{case}: a write got through: {err}"
        );
        assert!(
            err.contains("is read-only here: reads work, changes cannot be recorded"),
            "{case}: {err}"
        );
        // A backup reads: it works, into a directory that can be written.
        let copy = out_dir.join(format!("{}.db", case.replace(' ', "-")));
        let out = run_as(uid, &e.db, &["backup", copy.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let receipt = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .find(|w| w.len() > 64 && w.contains(':'))
            .unwrap()
            .trim_end_matches(['.', '`'])
            .to_string();
        common::ok_on(&copy, &["verify", "--receipt", &receipt]);
        if case == "directory 0555" {
            // Into the directory that cannot be written: refused, and nothing left there.
            let names = || -> Vec<_> {
                std::fs::read_dir(e.dir.path())
                    .unwrap()
                    .flatten()
                    .map(|d| d.file_name())
                    .collect()
            };
            let listed = names();
            let out = run_as(uid, &e.db, &["backup", e.path("copy.db").to_str().unwrap()]);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{case}: backup into a read-only directory"
            );
            assert_eq!(names(), listed, "{case}: a backup left a file");
        }
        assert_eq!(
            std::fs::read(&e.db).unwrap(),
            before,
            "{case}: the file changed"
        );
        set(e.dir.path(), 0o700);
        set(&e.db, 0o600);
    }
    let out = run_as(uid, &e.db, &["candidate", "add", "V1", "--ref", "C-9"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The analysts' statistics read CSV from any system: names in it are shown, but never raw.
#[test]
fn statistics_tables_show_names_from_csv_safely() {
    let e = Env::empty();
    let f = e.write(
        "impact.csv",
        "group,applicants,selected\nWhite,100,40\n\"Asian\u{1b}[2J\nfake row\",80,20\nBlack\u{202E},60,30\n",
    );
    let out = e
        .cmd()
        .args(["stats", "impact", f.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains(['\u{1b}', '\u{202E}']), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("fake row")), "{text}");
}
