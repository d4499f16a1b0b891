//! Command-line conventions: shell completions, the manual page, quiet ends on a closed pipe, one
//! heading for global options, and no doubled words in what people read.

mod common;
use common::Env;
use std::process::Stdio;

#[test]
fn completions_for_every_shell_and_a_manual_page() {
    let e = Env::empty();
    for (shell, marker) in [
        ("bash", "_fairpanel()"),
        ("zsh", "#compdef fairpanel"),
        ("fish", "complete -c fairpanel"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = e.ok(&["completions", shell]);
        assert!(
            out.contains(marker),
            "{shell}: {}",
            &out[..200.min(out.len())]
        );
        // Subcommands are completed too.
        assert!(out.contains("moderate"), "{shell}");
    }
    let man = e.ok(&["man"]);
    assert!(man.contains(".TH fairpanel 1"), "{man}");
    assert!(man.contains("completions"), "{man}");
    // Neither needs, nor creates, a database.
    assert!(!e.db.exists());
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let e = Env::empty();
    let err = e.fails(&["completions", "tcsh"], 2);
    assert!(err.contains("possible values"), "{err}");
}

/// Runs `args` with its standard output already closed by the reader, as `… | head -c 100` does once
/// it has read enough: the command must end quietly and succeed.
fn closed_pipe(e: &Env, args: &[&str]) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("fairpanel"))
        .env_remove("FAIRPANEL_DB")
        .env_remove("FAIRPANEL_AS")
        .arg("--db")
        .arg(&e.db)
        .arg("--no-input")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before anything is written, so the first write meets a closed pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "fairpanel {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "fairpanel {args:?} complained: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_and_text_end_quietly_when_the_reader_closes_the_pipe() {
    let e = Env::new();
    e.setup();
    e.score_all("C-1", [[4, 4], [4, 3], [5, 4]]);
    for args in [
        &["log", "--format", "json"][..],
        &["log"],
        &["vacancy", "show", "V1", "--format", "json"],
        &["vacancy", "list", "--format", "json"],
        &["reveal", "V1", "C-1", "--format", "json"],
        &["report", "V1", "--format", "json"],
        &["report", "V1", "--format", "html"],
        &["report", "V1"],
        &["check", "V1", "--format", "json"],
        &["audit", "--format", "json"],
        &["bank", "show", "nhs-talking-therapies", "--format", "json"],
        &["interview", "V1", "C-1", "--print"],
        &["completions", "bash"],
        &["man"],
        &["verify", "--format", "json"],
    ] {
        closed_pipe(&e, args);
    }
}

#[test]
fn global_options_are_shown_once_under_their_own_heading() {
    let e = Env::empty();
    for args in [
        &["--help"][..],
        &["panel", "add", "--help"],
        &["score", "--help"],
        &["report", "--help"],
    ] {
        let help = e.ok(args);
        assert_eq!(
            help.matches("Global options:").count(),
            1,
            "{args:?}\n{help}"
        );
        assert_eq!(help.matches("--db <PATH>").count(), 1, "{args:?}\n{help}");
        let (own, global) = help.split_once("Global options:").unwrap();
        assert!(!own.contains("--no-input"), "{args:?}\n{help}");
        assert!(global.contains("--no-input"), "{args:?}\n{help}");
    }
}

/// Places where a label is followed by a value that repeats it ("Listening for: Listening for …"), or
/// an operator by another ("p = < 0.001").
fn doubles(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        for op in ["= <", "= >", "= ≤", "= ≥", "< <", "= ="] {
            if line.contains(op) {
                found.push(line.to_string());
            }
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        for n in 1..=3 {
            for i in 0..words.len().saturating_sub(2 * n - 1) {
                let a: Vec<String> = words[i..i + n]
                    .iter()
                    .map(|w| w.trim_end_matches([':', ',']).to_lowercase())
                    .collect();
                let b: Vec<String> = words[i + n..i + 2 * n]
                    .iter()
                    .map(|w| w.trim_end_matches([':', ',', '.']).to_lowercase())
                    .collect();
                // Words only: tables legitimately repeat numbers and dashes side by side.
                let wordy = a
                    .iter()
                    .all(|w| w.len() > 2 && w.chars().all(char::is_alphabetic));
                // "Band: Band 5" names a field whose values are themselves called bands, and
                // "Black, Black British, …" is the ONS label as written.
                if wordy && a == b && a != ["band"] && a != ["black"] {
                    found.push(line.to_string());
                }
            }
        }
    }
    found
}

#[test]
fn the_scan_finds_doubled_labels_and_operators() {
    assert_eq!(doubles("  Listening for: Listening for risk").len(), 1);
    assert_eq!(doubles("χ² = 4.1, p = < 0.001").len(), 1);
    assert!(doubles("χ² = 4.1, p < 0.001; scores 4 4 5").is_empty());
}

#[test]
fn rendered_output_has_no_doubled_labels() {
    let e = Env::empty();
    let out = e.dir.path().join("demo");
    e.ok(&["demo", "--out", out.to_str().unwrap()]);
    let db = out.join("fairpanel-demo.db");
    let v = "TT-PWP-2026-11";
    let mut seen = String::new();
    for args in [
        &["report", v][..],
        &["report", v, "--format", "html"],
        &["check", v],
        &["reveal", v, "C-102"],
        &["reveal", v, "C-104"],
        &["interview", v, "C-102", "--print"],
        &["bank", "show", "nhs-talking-therapies"],
        &["panel", "check", v],
        &["audit"],
        &["audit", "--format", "html"],
        &["vacancy", "show", v],
    ] {
        let out = common::command_on(&db).args(args).output().unwrap();
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    let synth = e.dir.path().join("org");
    e.ok(&[
        "demo",
        "--scale",
        "12",
        "--seed",
        "3",
        "--out",
        synth.to_str().unwrap(),
    ]);
    let db = synth.join("fairpanel-synth.db");
    for args in [&["audit"][..], &["audit", "--format", "html"]] {
        seen.push_str(&common::ok_on(&db, args));
    }
    let found = doubles(&seen);
    assert!(found.is_empty(), "doubled text:\n{}", found.join("\n"));
}

#[test]
fn statistics_print_p_once() {
    let e = Env::empty();
    let f = e.write(
        "w.csv",
        "target,rater,score\na,r1,1\na,r2,2\nb,r1,3\nb,r2,3\nc,r1,5\nc,r2,4\nd,r1,2\nd,r2,1\n",
    );
    let out = e.ok(&["stats", "kendall", f.to_str().unwrap()]);
    assert!(doubles(&out).is_empty(), "{out}");
    assert!(out.contains("p = ") || out.contains("p < "), "{out}");
}

#[test]
fn a_mistyped_database_path_is_refused_with_a_suggestion_and_not_created() {
    let e = Env::new();
    let typo = e.dir.path().join("tset.db");
    let out = common::command_on(&typo)
        .args(["vacancy", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("there is no fairpanel database"), "{err}");
    assert!(err.contains("init"), "{err}");
    assert!(
        err.contains("test.db"),
        "the nearest existing file is suggested: {err}"
    );
    assert!(!typo.exists());
    // `init` creates it.
    common::ok_on(&typo, &["init"]);
    assert!(typo.exists());
}
