#![allow(dead_code)]
//! Shared helpers: run the real binary against a temporary database.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("test.db");
        Env { dir, db }
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("fairpanel").unwrap();
        c.env_remove("FAIRPANEL_DB")
            .env_remove("FAIRPANEL_ACTOR")
            .env("FAIRPANEL_NOW", "2026-11-26T10:00:00Z")
            .arg("--db")
            .arg(&self.db)
            .arg("--no-input");
        c
    }

    /// Run and assert success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "fairpanel {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).unwrap()
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
        self.ok(&[
            "vacancy",
            "create",
            "--id",
            "V1",
            "--title",
            "Psychological Wellbeing Practitioner",
            "--bank",
            "nhs-talking-therapies",
            "--questions",
            "caseload-prioritisation,diversity-discomfort",
            "--band",
            "Band 5",
            "--service",
            "Northshire Talking Therapies",
        ]);
        self.ok(&[
            "panel",
            "add",
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
        self.ok(&["panel", "add", "V1", "--name", "Bola", "--ethnicity", "N"]);
        self.ok(&["panel", "add", "V1", "--name", "Cy"]);
        self.ok(&["candidate", "add", "V1", "--ref", "C-1"]);
        self.ok(&["candidate", "add", "V1", "--ref", "C-2"]);
    }

    pub fn score_all(&self, candidate: &str, scores: [[i64; 2]; 3]) {
        for (p, s) in ["Ann", "Bola", "Cy"].iter().zip(scores) {
            for (q, v) in ["caseload-prioritisation", "diversity-discomfort"]
                .iter()
                .zip(s)
            {
                self.ok(&[
                    "score",
                    "V1",
                    candidate,
                    "--panellist",
                    p,
                    "--question",
                    q,
                    "--score",
                    &v.to_string(),
                    "--evidence",
                    &format!("{p} heard evidence for {v}"),
                ]);
            }
            self.ok(&["submit", "V1", candidate, "--panellist", p]);
        }
    }
}

pub fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}
