//! The event log: every change appended with a hash chain. Each row's hash is
//! SHA-256(prev_hash ‖ seq ‖ at ‖ actor ‖ action ‖ entity ‖ payload), fields separated by newlines, so
//! editing, deleting or reordering any row breaks every later link. Records that matter for fairness
//! (answers, moderations, decisions) also keep the seq of their event, and `verify` checks that each
//! still matches what its event recorded.

use super::{Store, Tx};
use anyhow::Result;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// How each checked record is serialised into its event's `record` key (SQL over alias `a`).
pub const ANSWER_RECORD: &str =
    "json_object('sheet', a.sheet, 'question', a.question, 'score', a.score, \
     'evidence', a.evidence, 'correction_reason', a.correction_reason)";
pub const MODERATION_RECORD: &str =
    "json_object('candidate', a.candidate, 'question', a.question, \
     'score', a.score, 'reason', a.reason)";
pub const DECISION_RECORD: &str =
    "json_object('appointed', a.appointed, 'reserves', json(a.reserves), \
     'rationale', a.rationale, 'unresolved_reason', a.unresolved_reason)";

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub payload: serde_json::Value,
}

pub fn chain_hash(
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    entity: &str,
    payload: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [prev, &seq.to_string(), at, actor, action, entity, payload] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

impl Tx<'_> {
    /// Append an event; returns its seq. Must run inside the write transaction that makes the change.
    pub fn event(&self, action: &str, entity: &str, payload: serde_json::Value) -> Result<i64> {
        let (prev_seq, prev): (i64, String) = self
            .query_row(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, GENESIS.to_string()));
        let seq = prev_seq + 1;
        let at = crate::model::now();
        let payload = payload.to_string();
        let hash = chain_hash(&prev, seq, &at, self.actor, action, entity, &payload);
        self.execute(
            "INSERT INTO events (seq, at, actor, action, entity, payload, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![seq, at, self.actor, action, entity, payload, prev, hash],
        )?;
        Ok(seq)
    }

    /// The seq the next event will get (stable inside an IMMEDIATE transaction).
    pub fn next_seq(&self) -> Result<i64> {
        Ok(
            self.query_row("SELECT coalesce(max(seq), 0) + 1 FROM events", [], |r| {
                r.get(0)
            })?,
        )
    }

    /// Append the event for a just-inserted checked record, embedding the record as stored.
    #[allow(clippy::too_many_arguments)] // each argument is a distinct part of the record's identity
    pub fn record_event(
        &self,
        expected_seq: i64,
        action: &str,
        entity: &str,
        table: &str,
        record_sql: &str,
        id: i64,
        mut extra: serde_json::Value,
    ) -> Result<()> {
        let rec: String = self.query_row(
            &format!("SELECT {record_sql} FROM {table} a WHERE a.id = ?1"),
            [id],
            |r| r.get(0),
        )?;
        extra["record"] = serde_json::from_str(&rec)?;
        let seq = self.event(action, entity, extra)?;
        anyhow::ensure!(seq == expected_seq, "event sequence moved during a write");
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub events: i64,
    pub records_checked: i64,
    /// The first broken row and why, if any.
    pub problem: Option<Broken>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Broken {
    pub table: String,
    pub row: i64,
    pub reason: String,
}

impl Store {
    /// Check the hash chain and that recorded answers, moderations and decisions match their events.
    pub fn verify(&self) -> Result<VerifyReport> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, at, actor, action, entity, payload, prev_hash, hash FROM events ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut expected_prev = GENESIS.to_string();
        let mut expected_seq = 1;
        let mut n = 0;
        let broken = |row: i64, reason: String| Broken {
            table: "events".into(),
            row,
            reason,
        };
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let (at, actor, action, entity, payload, prev, hash): (
                String,
                String,
                String,
                String,
                String,
                String,
                String,
            ) = (
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            );
            n += 1;
            let problem = if seq != expected_seq {
                Some(format!(
                    "expected event {expected_seq} but found {seq}: a row is missing"
                ))
            } else if prev != expected_prev {
                Some("its previous-hash does not match the row before it".into())
            } else if chain_hash(&prev, seq, &at, &actor, &action, &entity, &payload) != hash {
                Some(
                    "its content does not match its hash: it was edited after it was written"
                        .into(),
                )
            } else {
                None
            };
            if let Some(reason) = problem {
                return Ok(VerifyReport {
                    ok: false,
                    events: n,
                    records_checked: 0,
                    problem: Some(broken(seq, reason)),
                });
            }
            expected_prev = hash;
            expected_seq += 1;
        }
        drop(rows);
        let (checked, problem) = self.verify_records()?;
        Ok(VerifyReport {
            ok: problem.is_none(),
            events: n,
            records_checked: checked,
            problem,
        })
    }

    fn verify_records(&self) -> Result<(i64, Option<Broken>)> {
        let checks = [
            ("answers", ANSWER_RECORD, "answers a"),
            ("moderations", MODERATION_RECORD, "moderations a"),
            ("decisions", DECISION_RECORD, "decisions a"),
        ];
        let mut checked = 0;
        for (table, record, from) in checks {
            let sql = format!(
                "SELECT a.id, a.event, {record}, e.payload FROM {from} LEFT JOIN events e ON e.seq = a.event ORDER BY a.id"
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                checked += 1;
                let id: i64 = r.get(0)?;
                let event: i64 = r.get(1)?;
                let now: String = r.get(2)?;
                let payload: Option<String> = r.get(3)?;
                let ok = payload.as_deref().is_some_and(|p| {
                    let rec: serde_json::Value =
                        serde_json::from_str(p).unwrap_or(serde_json::Value::Null);
                    let cur: serde_json::Value =
                        serde_json::from_str(&now).unwrap_or(serde_json::Value::Null);
                    rec.get("record") == Some(&cur)
                });
                if !ok {
                    return Ok((
                        checked,
                        Some(Broken {
                            table: table.into(),
                            row: id,
                            reason: format!(
                                "it no longer matches what event {event} recorded: it was edited after it was written"
                            ),
                        }),
                    ));
                }
            }
        }
        // The compact copy of sealed scores must agree with the answers it is derived from.
        let mismatch: Option<i64> = self
            .conn
            .query_row(
                &format!(
                    "WITH cur AS ({})
                     SELECT sheet FROM (SELECT * FROM cur EXCEPT SELECT * FROM sealed_sheets)
                     UNION ALL
                     SELECT sheet FROM (SELECT * FROM sealed_sheets EXCEPT SELECT * FROM cur)
                     LIMIT 1",
                    super::schema::expected_sealed_sql()
                ),
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(sheet) = mismatch {
            return Ok((
                checked,
                Some(Broken {
                    table: "sealed_sheets".into(),
                    row: sheet,
                    reason: format!("the sealed scores of sheet {sheet} do not match its answers: they were edited"),
                }),
            ));
        }
        Ok((checked, None))
    }

    pub fn events(&self, limit: Option<usize>) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, at, actor, action, entity, payload FROM events ORDER BY seq DESC LIMIT ?1",
        )?;
        let limit = limit.map(|l| l as i64).unwrap_or(-1);
        let mut out: Vec<Event> = stmt
            .query_map([limit], |r| {
                let payload: String = r.get(5)?;
                Ok(Event {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    entity: r.get(4)?,
                    payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        out.reverse();
        Ok(out)
    }
}
