//! A corpus of tampered databases, built here from one real journey, each edited the way someone
//! with the file and an SQLite shell would. For every edit: `verify` fails and says what happened in
//! plain words, and no report about the vacancy is shown as if the record were clean.

mod common;
use common::Env;
use fairpanel::record::chain::{Hashed, GENESIS};
use std::path::{Path, PathBuf};

/// The journey every case starts from: a panel of three scores two candidates, the chair moderates
/// (overruling the panel's ethnic-minority member), decides, and HR imports the pipeline. A full
/// verification then records a checkpoint, and a second vacancy is created after it.
struct Base {
    e: Env,
    receipt: String,
}

fn base() -> Base {
    let e = Env::new();
    e.setup();
    // C-1: Bola (self-declared N) scores diversity-discomfort 1, the others 4 and 5.
    e.score_all("C-1", [[4, 4], [4, 1], [3, 5]]);
    e.score_all("C-2", [[3, 3], [3, 3], [3, 3]]);
    e.as_ok(
        "Ann",
        &[
            "moderate",
            "V1",
            "C-1",
            "--question",
            "diversity-discomfort",
            "--score",
            "4",
            "--reason",
            "Most of the panel heard a reflective answer",
        ],
    );
    e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--reserve",
            "C-2",
            "--rationale",
            "Strongest on risk; reflective on diversity",
        ],
    );
    let f = e.write(
        "p.csv",
        "vacancy,candidate,stage,ethnicity,gender\nV1,C-1,appointed,A,Female\nV1,C-2,interviewed,N,Male\nV1,A-1,applied,H,Female\n",
    );
    e.ok(&["import", "applications", f.to_str().unwrap()]);
    let report = e.json(&["report", "V1"]);
    let receipt = report["receipt"].as_str().unwrap().to_string();
    assert_eq!(e.json(&["verify"])["ok"], true);
    // Something recorded after the checkpoint, in another vacancy.
    e.ok(&[
        "vacancy",
        "create",
        "--id",
        "V2",
        "--title",
        "Other post",
        "--bank",
        "nhs-talking-therapies",
        "--questions",
        "diversity-discomfort",
    ]);
    fold_wal(&e.db);
    Base { e, receipt }
}

/// Fold the WAL into the main file, so a copy of that file is the whole database.
fn fold_wal(db: &Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
}

/// A copy of the base database to tamper with.
fn copy(b: &Base, name: &str) -> PathBuf {
    let p = b.e.path(&format!("{name}.db"));
    std::fs::copy(&b.e.db, &p).unwrap();
    p
}

/// Run `sql` with the named triggers dropped, then put them back exactly as they were, as a careful
/// intruder would (so the edit, not the missing trigger, is what must be caught).
fn behind_triggers(db: &Path, triggers: &[&str], sql: &str) {
    let c = shell(db);
    let mut saved = Vec::new();
    for t in triggers {
        let def: String = c
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                [t],
                |r| r.get(0),
            )
            .unwrap();
        saved.push(def);
        c.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
    }
    c.execute_batch(sql).unwrap();
    for def in saved {
        c.execute_batch(&def).unwrap();
    }
}

/// A connection as an intruder's: a plain SQLite shell, without fairpanel's functions.
fn shell(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db).unwrap()
}

/// A connection that can write the derived tables (as if the intruder recreated fairpanel's guard
/// function), so the edit reaches the table with every trigger in place.
fn insider(db: &Path) -> rusqlite::Connection {
    let c = shell(db);
    c.create_scalar_function(
        "fp_writer",
        0,
        rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        |_| Ok(1i64),
    )
    .unwrap();
    c
}

fn verify_fails(db: &Path, fragments: &[&str]) -> serde_json::Value {
    let out = common::command_on(db)
        .args(["verify", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "verify passed a tampered file: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let said = j["problem"].to_string();
    for f in fragments {
        assert!(said.contains(f), "missing {f:?} in {said}");
    }
    j
}

/// Every read about V1 refuses, naming the alteration.
fn reads_refuse(db: &Path) {
    for args in [
        &["report", "V1"][..],
        &["report", "V1", "--format", "json"],
        &["reveal", "V1", "C-1"],
        &["check", "V1"],
        &["export", "scores", "V1"],
        &["candidate", "list", "V1"],
        &["vacancy", "show", "V1"],
    ] {
        let out = common::command_on(db).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?} was shown: {err}");
        assert!(
            err.contains("the record has been altered"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?} printed something");
    }
}

/// Change one event's payload and re-hash it (and, with `follow`, every later event, so the chain
/// is whole again), as someone who knows how fairpanel hashes would.
fn rehash(db: &Path, seq: i64, edit: impl Fn(&str) -> String, follow: bool) {
    let c = shell(db);
    let trigger: String = c
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'events_append_only_u'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    c.execute_batch("DROP TRIGGER events_append_only_u")
        .unwrap();
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        String,
        i64,
        String,
        String,
        String,
    );
    let rows: Vec<Row> = c
        .prepare("SELECT seq, at, actor, auth, action, scope, scope_seq, scope_prev, payload, prev_hash FROM events WHERE seq >= ?1 ORDER BY seq")
        .unwrap()
        .query_map([seq], |r| {
            Ok((
                r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?,
                r.get(7)?, r.get(8)?, r.get(9)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut prev: Option<String> = None;
    let mut scope_tips: std::collections::HashMap<String, (String, String)> = Default::default();
    for (i, r) in rows.iter().enumerate() {
        if i > 0 && !follow {
            break;
        }
        let payload = if i == 0 { edit(&r.8) } else { r.8.clone() };
        let prev_hash = prev.clone().unwrap_or_else(|| r.9.clone());
        // A later event of a scope whose earlier event was re-hashed names the new hash.
        let scope_prev = match scope_tips.get(&r.5) {
            Some((old, new)) if *old == r.7 => new.clone(),
            _ => r.7.clone(),
        };
        let h = Hashed {
            prev_hash: &prev_hash,
            seq: r.0,
            at: &r.1,
            actor: &r.2,
            auth: &r.3,
            action: &r.4,
            scope: &r.5,
            scope_seq: r.6,
            scope_prev: &scope_prev,
            payload: &payload,
        }
        .hex();
        let old: String = c
            .query_row("SELECT hash FROM events WHERE seq = ?1", [r.0], |x| {
                x.get(0)
            })
            .unwrap();
        c.execute(
            "UPDATE events SET payload = ?1, prev_hash = ?2, scope_prev = ?3, hash = ?4 WHERE seq = ?5",
            rusqlite::params![payload, prev_hash, scope_prev, h, r.0],
        )
        .unwrap();
        scope_tips.insert(r.5.clone(), (old, h.clone()));
        prev = Some(h);
    }
    c.execute_batch(&trigger).unwrap();
}

fn seq_of(db: &Path, action: &str) -> i64 {
    shell(db)
        .query_row(
            "SELECT min(seq) FROM events WHERE action = ?1",
            [action],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn every_tampered_copy_is_caught() {
    let b = base();
    // 1. A score edited in its event, the hash left alone.
    let db = copy(&b, "edited-score");
    let s = seq_of(&db, "score.answer");
    behind_triggers(
        &db,
        &["events_append_only_u"],
        &format!(
            "UPDATE events SET payload = replace(payload, '\"score\":4', '\"score\":1') WHERE seq = {s};"
        ),
    );
    verify_fails(&db, &[&format!("event {s}"), "edited after it was written"]);
    reads_refuse(&db);

    // 2. The same edit with the event re-hashed: the next event of its record no longer follows it.
    let db = copy(&b, "rehashed-score");
    let s = seq_of(&db, "score.answer");
    rehash(&db, s, |p| p.replace("\"score\":4", "\"score\":1"), false);
    verify_fails(&db, &["does not name the hash of the event before it"]);
    reads_refuse(&db);

    // 3. A moderation deleted (with it, the overruling of the minority member).
    let db = copy(&b, "deleted-moderation");
    let s = seq_of(&db, "moderate");
    behind_triggers(
        &db,
        &["events_append_only_d"],
        &format!("DELETE FROM events WHERE seq = {s};"),
    );
    verify_fails(&db, &["the log jumps from event", "one was deleted"]);
    reads_refuse(&db);

    // 4. An answer deleted so that a sheet looks unsubmitted, then "re-scored".
    let db = copy(&b, "unsealed");
    let s = seq_of(&db, "sheet.submit");
    behind_triggers(
        &db,
        &["events_append_only_d"],
        &format!("DELETE FROM events WHERE seq = {s};"),
    );
    verify_fails(&db, &["deleted"]);
    reads_refuse(&db);

    // 5. The vacancy's last event before the checkpoint deleted (the pipeline import), leaving the
    // rest of the log after it: only the checkpoint's record of V1's history shows it.
    let db = copy(&b, "cut-vacancy");
    let s = seq_of(&db, "applications.import");
    behind_triggers(
        &db,
        &["events_append_only_d"],
        &format!("DELETE FROM events WHERE seq = {s};"),
    );
    verify_fails(&db, &["deleted"]);
    reads_refuse(&db);

    // 6. Who recorded the decision, and when, edited in place.
    let db = copy(&b, "recorded-by");
    let s = seq_of(&db, "decide");
    behind_triggers(
        &db,
        &["events_append_only_u"],
        &format!(
            "UPDATE events SET actor = 'login:someone', at = '2020-01-01T00:00:00Z' WHERE seq = {s};"
        ),
    );
    verify_fails(&db, &["edited after it was written"]);
    reads_refuse(&db);

    // 7. A candidate's key replaced: the sealed evidence no longer opens.
    let db = copy(&b, "key-replaced");
    {
        let c = insider(&db);
        let id: i64 = c
            .query_row("SELECT min(id) FROM keys", [], |r| r.get(0))
            .unwrap();
        c.execute_batch(&format!(
            "DELETE FROM keys WHERE id = {id}; INSERT INTO keys (id, key) VALUES ({id}, randomblob(32));"
        ))
        .unwrap();
    }
    verify_fails(&db, &["keys", "replaced"]);
    reads_refuse(&db);

    // 8. A key deleted without an erasure on the record.
    let db = copy(&b, "key-deleted");
    {
        let c = insider(&db);
        c.execute_batch("DELETE FROM keys WHERE id = (SELECT max(id) FROM keys)")
            .unwrap();
    }
    verify_fails(&db, &["missing although no erasure removed it"]);
}

/// Edits of the tables derived from the record: `verify` names the row and column; a report about
/// the vacancy still shows what the record says, because it is built from the record, never from
/// those tables.
#[test]
fn every_edited_derived_table_is_caught_and_no_report_repeats_it() {
    let b = base();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "policy",
            "UPDATE vacancies SET policy_yaml = replace(policy_yaml, 'min_panel_size: 3', 'min_panel_size: 1') WHERE id = 'V1'",
            &["vacancies", "vacancy V1", "policy_yaml"],
        ),
        (
            "bank",
            "UPDATE banks SET yaml = replace(yaml, 'weight: 2', 'weight: 9')",
            &["banks", "yaml"],
        ),
        (
            "refs-swapped",
            "UPDATE candidates SET ref = 'tmp' WHERE vacancy = 'V1' AND ref = 'C-1';
             UPDATE candidates SET ref = 'C-1' WHERE vacancy = 'V1' AND ref = 'C-2';
             UPDATE candidates SET ref = 'C-2' WHERE vacancy = 'V1' AND ref = 'tmp';",
            &["candidates", "ref"],
        ),
        (
            "renamed",
            "UPDATE people SET name = 'Someone Else' WHERE name = 'Bola'",
            &["people", "name"],
        ),
        (
            "ethnicity",
            "UPDATE panellist_ethnicity SET nhs_code = 'N' WHERE nhs_code = 'A'",
            &["panellist_ethnicity", "nhs_code"],
        ),
        (
            "scores-copy",
            "UPDATE sealed_sheets SET scores = '0:5 1:5' WHERE rowid = (SELECT min(rowid) FROM sealed_sheets)",
            &["sealed_sheets", "scores"],
        ),
        (
            "extra-row",
            "INSERT INTO monitoring (candidate, stage, ethnicity) VALUES (999999, 'appointed', 'A')",
            &["monitoring", "the row was added"],
        ),
        (
            "deleted-row",
            "DELETE FROM decisions",
            &["decisions", "the row was deleted"],
        ),
    ];
    for (name, sql, fragments) in cases {
        let db = copy(&b, name);
        insider(&db).execute_batch(sql).unwrap();
        verify_fails(&db, fragments);
        let md = common::ok_on(&db, &["report", "V1"]);
        assert!(md.contains("Panel of at least 3"), "{name}: {md}");
        assert!(md.contains("| 1 | C-1 |"), "{name}: {md}");
        assert!(md.contains("Bola"), "{name}: {md}");
    }
    // Removing a protective trigger is itself caught, even before any edit.
    let db = copy(&b, "trigger");
    shell(&db)
        .execute_batch("DROP TRIGGER candidates_derived_u")
        .unwrap();
    verify_fails(&db, &["schema", "candidates_derived_u", "protection"]);
    // And a plain SQLite shell cannot write a derived table at all.
    let err = shell(&copy(&b, "shell"))
        .execute_batch("DELETE FROM decisions")
        .unwrap_err()
        .to_string();
    assert!(err.contains("fp_writer"), "{err}");
}

/// What a hash chain alone cannot see, receipts and signatures can: a log cut back and written again,
/// or rewritten whole.
#[test]
fn receipts_and_signatures_catch_a_rewritten_record() {
    let b = base();
    let e = &b.e;
    // 1. A decision deleted from the end of the log and another recorded in its place through
    // fairpanel itself: the chain, the tables and every check agree again. Only the receipt of the
    // report made before shows the record was cut back and rewritten.
    {
        let e = Env::new();
        e.setup();
        e.score_all("C-1", [[4, 4], [4, 4], [4, 4]]);
        e.score_all("C-2", [[3, 3], [3, 3], [3, 3]]);
        e.as_ok(
            "Ann",
            &[
                "decide",
                "V1",
                "--appoint",
                "C-1",
                "--rationale",
                "Strongest throughout",
            ],
        );
        let receipt = e.json(&["report", "V1"])["receipt"]
            .as_str()
            .unwrap()
            .to_string();
        fold_wal(&e.db);
        let s = seq_of(&e.db, "decide");
        behind_triggers(
            &e.db,
            &["events_append_only_d"],
            &format!("DELETE FROM events WHERE seq >= {s};"),
        );
        e.as_ok(
            "Ann",
            &[
                "decide",
                "V1",
                "--appoint",
                "C-2",
                "--rationale",
                "Better fit for the team",
            ],
        );
        assert_eq!(
            e.json(&["verify"])["ok"],
            true,
            "a clean cut is invisible to the chain"
        );
        let out = e
            .cmd()
            .args(["verify", "--receipt", &receipt, "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["receipt_checked"]["holds"], false, "{j}");
        assert!(
            j["receipt_checked"]["detail"]
                .as_str()
                .unwrap()
                .contains("rewritten after the receipt was made"),
            "{j}"
        );
    }

    // 2. The rationale rewritten and every later event re-hashed: the chain verifies, the receipt
    // and the signature do not.
    let key = e.path("hr.key");
    e.ok(&["key", "generate", "--out", key.to_str().unwrap()]);
    let public = e.path("hr.key.pub");
    e.ok(&["sign", "--key", key.to_str().unwrap()]);
    e.ok(&["verify", "--public-key", public.to_str().unwrap()]);
    let receipt = e.json(&["report", "V1"])["receipt"]
        .as_str()
        .unwrap()
        .to_string();
    e.ok(&["verify", "--receipt", &receipt]);
    fold_wal(&e.db);
    let db = copy(&b, "rewritten");
    let s = seq_of(&db, "decide");
    rehash(
        &db,
        s,
        |p| p.replace("Strongest on risk", "Not ready for the role"),
        true,
    );
    let out = common::command_on(&db)
        .args(["verify", "--receipt", &receipt, "--format", "json"])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{j}");
    // The checkpoint after the decision commits to its old hash, or the receipt names it: either way
    // the rewrite is named.
    let said = j.to_string();
    assert!(
        said.contains("rewritten") || said.contains("checkpoint") || said.contains("commits"),
        "{said}"
    );
    let out = common::command_on(&db)
        .args(["verify", "--public-key", public.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let _ = GENESIS;
}

/// A report's receipt is a point of the record anyone can check later; a file holding a report works
/// as a receipt.
#[test]
fn a_report_file_is_its_own_receipt() {
    let b = base();
    let e = &b.e;
    let report = e.path("report.md");
    e.ok(&["report", "V1", "-o", report.to_str().unwrap()]);
    let out = e.ok(&["verify", "--receipt", report.to_str().unwrap()]);
    assert!(out.contains("holds"), "{out}");
    // The receipt of the report made before the checkpoint and the second vacancy holds too.
    e.ok(&["verify", "--receipt", &b.receipt]);
    // More recorded since: the receipt still holds (the record only grew).
    e.ok(&["candidate", "add", "V2", "--ref", "C-9"]);
    e.ok(&["verify", "--receipt", report.to_str().unwrap()]);
}

/// A fairness review edited after the fact: its verdict in the event, where it stands in the derived
/// columns, the point of the record it read, or the exchange it belongs to.
#[test]
fn an_edited_review_is_caught() {
    let b = base();
    let e = &b.e;
    let out = e.ok(&[
        "person",
        "add",
        "Rita",
        "--role",
        "reviewer",
        "--trained",
        "2026-01-05",
    ]);
    e.redeem("Rita", &common::invitation(&out));
    e.as_ok(
        "Rita",
        &[
            "review",
            "V1",
            "--return",
            "--question",
            "Why was Bola overruled?",
        ],
    );
    let returned = seq_of(&e.db, "review");
    e.as_ok(
        "Ann",
        &[
            "review",
            "answer",
            "V1",
            "--review",
            &returned.to_string(),
            "--answer",
            "The anchors for 4 describe what most of the panel heard",
        ],
    );
    e.as_ok(
        "Ann",
        &[
            "decide",
            "V1",
            "--appoint",
            "C-1",
            "--reserve",
            "C-2",
            "--rationale",
            "Strongest on risk; reflective on diversity",
            "--revision-reason",
            "Re-affirmed after the review's question was answered",
        ],
    );
    // A full verification records a checkpoint, so the sign-off reads a point outside V1's record.
    assert_eq!(e.json(&["verify"])["ok"], true);
    e.as_ok("Rita", &["review", "V1", "--sign-off"]);
    fold_wal(&e.db);
    let signed: i64 = shell(&e.db)
        .query_row(
            "SELECT max(seq) FROM events WHERE action = 'review'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let status = |db: &Path| {
        let j: serde_json::Value =
            serde_json::from_str(&common::ok_on(db, &["report", "V1", "--format", "json"]))
                .unwrap();
        j["review"]["status"].as_str().unwrap().to_string()
    };

    // 1. The return turned into a sign-off in its event.
    let db = copy(&b, "review-verdict");
    behind_triggers(
        &db,
        &["events_append_only_u"],
        &format!(
            "UPDATE events SET payload = replace(payload, '\"verdict\":\"returned\"', '\"verdict\":\"signed-off\"') WHERE seq = {returned};"
        ),
    );
    verify_fails(
        &db,
        &[&format!("event {returned}"), "edited after it was written"],
    );
    reads_refuse(&db);

    // 2. Where the review stands, edited in the derived columns the audit reads: verify names the
    // column, and the report still shows what the record says.
    for (name, sql, column) in [
        (
            "review-status",
            "UPDATE vacancies SET review_status = 'awaiting' WHERE id = 'V1'",
            "review_status",
        ),
        (
            "review-required",
            "UPDATE vacancies SET review_required = 0 WHERE id = 'V1'",
            "review_required",
        ),
        (
            "review-returns",
            "UPDATE vacancies SET returns = 0 WHERE id = 'V1'",
            "returns",
        ),
    ] {
        let db = copy(&b, name);
        insider(&db).execute_batch(sql).unwrap();
        verify_fails(&db, &["vacancies", "vacancy V1", column]);
        assert_eq!(status(&db), "signed-off", "{name}");
    }

    // 3. The report the sign-off read, re-hashed to name another hash: the chain is whole again
    // (so a read of the vacancy cannot tell), but the point the sign-off names is not in it.
    let db = copy(&b, "review-receipt");
    rehash(
        &db,
        signed,
        |p| {
            let at = p.find("\"receipt_head\":\"").unwrap() + "\"receipt_head\":\"".len();
            format!("{}{}{}", &p[..at], "ab".repeat(32), &p[at + 64..])
        },
        true,
    );
    verify_fails(&db, &[&format!("event {signed} (review)"), "another hash"]);

    // 4. The sign-off re-hashed to name the report the return read: the fold refuses a review of a
    // record older than the vacancy's.
    let db = copy(&b, "review-stale");
    let first_receipt: String = shell(&db)
        .query_row(
            "SELECT payload FROM events WHERE seq = ?1",
            [returned],
            |r| r.get(0),
        )
        .unwrap();
    let receipt_of = |p: &str| -> (String, String) {
        let j: serde_json::Value = serde_json::from_str(p).unwrap();
        (
            j["receipt_events"].to_string(),
            j["receipt_head"].as_str().unwrap().to_string(),
        )
    };
    let (old_n, old_h) = receipt_of(&first_receipt);
    rehash(
        &db,
        signed,
        |p| {
            let (n, h) = receipt_of(p);
            p.replace(
                &format!("\"receipt_events\":{n}"),
                &format!("\"receipt_events\":{old_n}"),
            )
            .replace(&h, &old_h)
        },
        true,
    );
    verify_fails(
        &db,
        &[
            &format!("event {signed}"),
            "not a valid step",
            "older than the vacancy's record",
        ],
    );
    reads_refuse(&db);

    // 5. The chair's answer re-pointed at a review that did not exist when it was given.
    let db = copy(&b, "answer-pointer");
    let answer = seq_of(&db, "review.answer");
    rehash(
        &db,
        answer,
        |p| {
            p.replace(
                &format!("\"review\":{returned}"),
                &format!("\"review\":{signed}"),
            )
        },
        true,
    );
    verify_fails(
        &db,
        &[
            &format!("event {answer}"),
            "not a valid step",
            &format!("has no review {signed}"),
        ],
    );
    reads_refuse(&db);
}
