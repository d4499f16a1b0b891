//! Bulk writes: whole vacancies (panel, candidates, sealed sheets, moderations, decision) and their
//! application pipelines in one transaction, for loading a large organisation's history at once.
//!
//! The rows and events are the ones the one-at-a-time API writes, with the timestamps and actors the
//! caller gives instead of the clock and the session's actor. Speed comes from cached statements and
//! from keeping the event log's hash chain in memory: the last seq and hash are read once, and each
//! answer, moderation and decision event embeds its `record` built in Rust with the same keys and JSON
//! types as the SQL in [`super::events`] (`ANSWER_RECORD`, `MODERATION_RECORD`, `DECISION_RECORD`), so
//! `fairpanel verify` checks them exactly as it checks records written one at a time.
//!
//! The domain rules the commands apply (scale, question plan, composition, divergence before a decision)
//! are the caller's; the database's own rules (foreign keys, sealed sheets, append-only answers and
//! events) still hold. Use it inside [`super::Store::write`], and write nothing else to the event log in
//! that transaction while a [`Bulk`] is open.

use super::events::{chain_hash, GENESIS};
use super::Tx;
use crate::bank::Bank;
use crate::model::Role;
use anyhow::{ensure, Context, Result};
use rusqlite::{params, CachedStatement, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// One vacancy's whole journey. Indexes (`candidate`, `panellist`, `question`) point into this
/// vacancy's `applicants`, `panel` and `questions`.
#[derive(Debug, Clone)]
pub struct BulkVacancy {
    pub id: String,
    pub title: String,
    pub band: Option<String>,
    pub service: Option<String>,
    /// Question ids in interview order.
    pub questions: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// Who created the vacancy, added the panel and the candidates for interview.
    pub created_by: String,
    pub panel: Vec<BulkPanellist>,
    /// Every applicant with monitoring data; those at `interviewed` or later are candidates for
    /// interview, the rest are added with the pipeline by [`Bulk::applications`].
    pub applicants: Vec<BulkApplicant>,
    pub sheets: Vec<BulkSheet>,
    pub moderations: Vec<BulkModeration>,
    pub decision: Option<BulkDecision>,
}

#[derive(Debug, Clone)]
pub struct BulkPanellist {
    pub name: String,
    pub role: Role,
    /// Self-declared NHS ETHNIC CATEGORY code.
    pub ethnicity: Option<String>,
    /// YYYY-MM-DD.
    pub trained_on: Option<String>,
    pub added_at: String,
}

#[derive(Debug, Clone)]
pub struct BulkApplicant {
    pub reference: String,
    /// When a candidate for interview was added (applicants not interviewed are added at the import).
    pub added_at: String,
    /// Furthest stage reached: applied, shortlisted, interviewed, offered or appointed.
    pub stage: String,
    /// NHS ETHNIC CATEGORY code (Z declined, 99 not asked).
    pub ethnicity: String,
    pub gender: Option<String>,
    pub disability: Option<String>,
    pub internal: Option<bool>,
}

impl BulkApplicant {
    /// Interviewed applicants are candidates on the scoring screens.
    pub fn interviewed(&self) -> bool {
        matches!(self.stage.as_str(), "interviewed" | "offered" | "appointed")
    }
}

/// One panellist's sheet for one candidate, submitted (sealed) after its answers.
#[derive(Debug, Clone)]
pub struct BulkSheet {
    pub candidate: usize,
    pub panellist: usize,
    pub opened_at: String,
    pub submitted_at: String,
    pub answers: Vec<BulkAnswer>,
}

#[derive(Debug, Clone)]
pub struct BulkAnswer {
    pub question: usize,
    pub score: i64,
    pub evidence: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone)]
pub struct BulkModeration {
    pub candidate: usize,
    pub question: usize,
    pub score: i64,
    pub reason: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone)]
pub struct BulkDecision {
    pub appointed: usize,
    pub reserves: Vec<usize>,
    pub rationale: String,
    pub unresolved_reason: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// What a bulk load wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BulkCounts {
    pub vacancies: u64,
    pub panellists: u64,
    /// Candidates for interview.
    pub candidates: u64,
    /// Pipeline records (every applicant, interviewed or not).
    pub applications: u64,
    pub sheets: u64,
    pub answers: u64,
    pub moderations: u64,
    pub decisions: u64,
    pub events: u64,
}

impl std::ops::AddAssign for BulkCounts {
    fn add_assign(&mut self, o: BulkCounts) {
        self.vacancies += o.vacancies;
        self.panellists += o.panellists;
        self.candidates += o.candidates;
        self.applications += o.applications;
        self.sheets += o.sheets;
        self.answers += o.answers;
        self.moderations += o.moderations;
        self.decisions += o.decisions;
        self.events += o.events;
    }
}

// The embedded records, field for field what `json_object` in events.rs produces.
#[derive(Serialize)]
struct AnswerRecord<'a> {
    sheet: i64,
    question: &'a str,
    score: i64,
    evidence: &'a str,
    correction_reason: Option<&'a str>,
}

#[derive(Serialize)]
struct ModerationRecord<'a> {
    candidate: i64,
    question: &'a str,
    score: i64,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct DecisionRecord<'a> {
    appointed: i64,
    reserves: &'a [&'a str],
    rationale: &'a str,
    unresolved_reason: Option<&'a str>,
}

#[derive(Serialize)]
struct Recorded<T> {
    record: T,
}

#[derive(Serialize)]
struct DecisionPayload<'a> {
    appointed_ref: &'a str,
    record: DecisionRecord<'a>,
}

/// Cached statements and the in-memory head of the hash chain for one transaction.
pub struct Bulk<'c> {
    conn: &'c Connection,
    seq: i64,
    prev: String,
    bank: i64,
    bank_json: serde_json::Value,
    policy_source: String,
    policy_yaml: String,
    counts: BulkCounts,
    /// Candidate ids of the interviewed applicants of each vacancy written so far (by applicant index).
    written: HashMap<String, Vec<Option<i64>>>,
    event: CachedStatement<'c>,
    vacancy: CachedStatement<'c>,
    question: CachedStatement<'c>,
    panellist: CachedStatement<'c>,
    ethnicity: CachedStatement<'c>,
    candidate: CachedStatement<'c>,
    sheet: CachedStatement<'c>,
    answer: CachedStatement<'c>,
    submit: CachedStatement<'c>,
    sealed: CachedStatement<'c>,
    moderation: CachedStatement<'c>,
    decision: CachedStatement<'c>,
}

impl Tx<'_> {
    /// Start a bulk load in this transaction: stores the bank once and reads the head of the event log.
    pub fn bulk(
        &self,
        bank: &Bank,
        bank_yaml: &str,
        policy_source: &str,
        policy_yaml: &str,
    ) -> Result<Bulk<'_>> {
        let conn: &Connection = self;
        let sha = hex::encode(Sha256::digest(bank_yaml.as_bytes()));
        conn.execute(
            "INSERT OR IGNORE INTO banks (bank_id, version, sha256, yaml) VALUES (?1, ?2, ?3, ?4)",
            params![bank.id, bank.version, sha, bank_yaml],
        )?;
        let bank_row: i64 =
            conn.query_row("SELECT id FROM banks WHERE sha256 = ?1", [&sha], |r| {
                r.get(0)
            })?;
        let (seq, prev): (i64, String) = conn
            .query_row(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, GENESIS.to_string()));
        Ok(Bulk {
            conn,
            seq,
            prev,
            bank: bank_row,
            bank_json: json!({"id": bank.id, "version": bank.version, "sha256": sha}),
            policy_source: policy_source.to_string(),
            policy_yaml: policy_yaml.to_string(),
            counts: BulkCounts::default(),
            written: HashMap::new(),
            event: conn.prepare_cached(
                "INSERT INTO events (seq, at, actor, action, entity, payload, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?,
            vacancy: conn.prepare_cached(
                "INSERT INTO vacancies (id, title, band, service, bank, policy_source, policy_yaml, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?,
            question: conn.prepare_cached(
                "INSERT INTO vacancy_questions (vacancy, position, question) VALUES (?1, ?2, ?3)",
            )?,
            panellist: conn.prepare_cached(
                "INSERT INTO panellists (vacancy, name, role, trained_on, added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            ethnicity: conn.prepare_cached(
                "INSERT INTO panellist_ethnicity (panellist, nhs_code) VALUES (?1, ?2)",
            )?,
            candidate: conn.prepare_cached(
                "INSERT INTO candidates (vacancy, ref, added_at, interview) VALUES (?1, ?2, ?3, 1)",
            )?,
            sheet: conn.prepare_cached(
                "INSERT INTO sheets (candidate, panellist, opened_at) VALUES (?1, ?2, ?3)",
            )?,
            answer: conn.prepare_cached(
                "INSERT INTO answers (sheet, question, score, evidence, recorded_at, correction_reason, event)
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
            )?,
            submit: conn.prepare_cached("UPDATE sheets SET submitted_at = ?1 WHERE id = ?2")?,
            sealed: conn.prepare_cached(
                "INSERT INTO sealed_sheets (sheet, candidate, panellist, scores) VALUES (?1, ?2, ?3, ?4)",
            )?,
            moderation: conn.prepare_cached(
                "INSERT INTO moderations (candidate, question, score, reason, recorded_by, recorded_at, event)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            decision: conn.prepare_cached(
                "INSERT INTO decisions (vacancy, appointed, reserves, rationale, unresolved_reason, recorded_by, recorded_at, event)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?,
        })
    }
}

fn get<'v, T>(items: &'v [T], i: usize, what: &str, vacancy: &str) -> Result<&'v T> {
    items
        .get(i)
        .with_context(|| format!("vacancy {vacancy}: no {what} at index {i}"))
}

impl Bulk<'_> {
    /// Append one event to the chain; returns its seq.
    fn event(
        &mut self,
        at: &str,
        actor: &str,
        action: &str,
        entity: &str,
        payload: &str,
    ) -> Result<i64> {
        let seq = self.seq + 1;
        let hash = chain_hash(&self.prev, seq, at, actor, action, entity, payload);
        self.event.execute(params![
            seq, at, actor, action, entity, payload, self.prev, hash
        ])?;
        self.seq = seq;
        self.prev = hash;
        self.counts.events += 1;
        Ok(seq)
    }

    /// Write one vacancy: the vacancy and its plan, the panel (with self-declared ethnicity), the
    /// candidates for interview, each sheet's answers then its submission, the moderations and the
    /// decision, each with the event the one-at-a-time API would append.
    pub fn vacancy(&mut self, v: &BulkVacancy) -> Result<()> {
        let vid = v.id.as_str();
        self.vacancy.execute(params![
            vid,
            v.title,
            v.band,
            v.service,
            self.bank,
            self.policy_source,
            self.policy_yaml,
            v.created_at
        ])?;
        for (i, q) in v.questions.iter().enumerate() {
            self.question.execute(params![vid, i as i64, q])?;
        }
        let payload = json!({"title": v.title, "band": v.band, "service": v.service,
            "bank": self.bank_json["id"], "bank_version": self.bank_json["version"],
            "bank_sha256": self.bank_json["sha256"], "questions": v.questions,
            "policy": self.policy_source})
        .to_string();
        self.event(
            &v.created_at,
            &v.created_by,
            "vacancy.create",
            &format!("vacancy/{vid}"),
            &payload,
        )?;
        self.counts.vacancies += 1;

        let mut panel_ids = Vec::with_capacity(v.panel.len());
        for p in &v.panel {
            self.panellist.execute(params![
                vid,
                p.name,
                p.role.as_str(),
                p.trained_on,
                p.added_at
            ])?;
            let id = self.conn.last_insert_rowid();
            if let Some(code) = &p.ethnicity {
                self.ethnicity.execute(params![id, code])?;
            }
            panel_ids.push(id);
            let payload = json!({"role": p.role.as_str(), "trained_on": p.trained_on,
                "ethnicity_declared": p.ethnicity.is_some()})
            .to_string();
            self.event(
                &p.added_at,
                &v.created_by,
                "panel.add",
                &format!("vacancy/{vid}/panellist/{}", p.name),
                &payload,
            )?;
            self.counts.panellists += 1;
        }

        let mut candidate_ids: Vec<Option<i64>> = vec![None; v.applicants.len()];
        for (i, a) in v.applicants.iter().enumerate() {
            if !a.interviewed() {
                continue;
            }
            self.candidate
                .execute(params![vid, a.reference, a.added_at])?;
            candidate_ids[i] = Some(self.conn.last_insert_rowid());
            self.event(
                &a.added_at,
                &v.created_by,
                "candidate.add",
                &format!("vacancy/{vid}/candidate/{}", a.reference),
                r#"{"named":false}"#,
            )?;
            self.counts.candidates += 1;
        }
        let candidate = |i: usize| -> Result<(i64, &str)> {
            let a = get(&v.applicants, i, "applicant", vid)?;
            let id = candidate_ids[i].with_context(|| {
                format!(
                    "vacancy {vid}: {} reached only the {} stage, so cannot be scored",
                    a.reference, a.stage
                )
            })?;
            Ok((id, a.reference.as_str()))
        };

        for s in &v.sheets {
            let (cid, reference) = candidate(s.candidate)?;
            let pid = *get(&panel_ids, s.panellist, "panellist", vid)?;
            let name = v.panel[s.panellist].name.as_str();
            self.sheet.execute(params![cid, pid, s.opened_at])?;
            let sheet = self.conn.last_insert_rowid();
            let entity = format!("vacancy/{vid}/candidate/{reference}/panellist/{name}");
            let mut scores = BTreeMap::new();
            let mut by_position = BTreeMap::new();
            for a in &s.answers {
                let question = get(&v.questions, a.question, "question", vid)?.as_str();
                let seq = self.seq + 1;
                self.answer.execute(params![
                    sheet,
                    question,
                    a.score,
                    a.evidence,
                    a.recorded_at,
                    seq
                ])?;
                let payload = serde_json::to_string(&Recorded {
                    record: AnswerRecord {
                        sheet,
                        question,
                        score: a.score,
                        evidence: &a.evidence,
                        correction_reason: None,
                    },
                })?;
                self.event(&a.recorded_at, name, "score.answer", &entity, &payload)?;
                scores.insert(question, a.score);
                // Positions are plan indexes here; a later answer replaces an earlier one.
                by_position.insert(a.question as i64, a.score);
                self.counts.answers += 1;
            }
            self.submit.execute(params![s.submitted_at, sheet])?;
            self.sealed.execute(params![
                sheet,
                cid,
                pid,
                super::schema::sealed_text(by_position.iter().map(|(p, s)| (*p, *s)))
            ])?;
            let payload = json!({ "scores": scores }).to_string();
            self.event(&s.submitted_at, name, "sheet.submit", &entity, &payload)?;
            self.counts.sheets += 1;
        }

        for m in &v.moderations {
            let (cid, reference) = candidate(m.candidate)?;
            let question = get(&v.questions, m.question, "question", vid)?.as_str();
            let seq = self.seq + 1;
            self.moderation.execute(params![
                cid,
                question,
                m.score,
                m.reason,
                m.recorded_by,
                m.recorded_at,
                seq
            ])?;
            let payload = serde_json::to_string(&Recorded {
                record: ModerationRecord {
                    candidate: cid,
                    question,
                    score: m.score,
                    reason: m.reason.as_deref(),
                },
            })?;
            self.event(
                &m.recorded_at,
                &m.recorded_by,
                "moderate",
                &format!("vacancy/{vid}/candidate/{reference}"),
                &payload,
            )?;
            self.counts.moderations += 1;
        }

        if let Some(d) = &v.decision {
            let (appointed, appointed_ref) = candidate(d.appointed)?;
            let reserves: Vec<&str> = d
                .reserves
                .iter()
                .map(|&r| candidate(r).map(|c| c.1))
                .collect::<Result<_>>()?;
            let seq = self.seq + 1;
            self.decision.execute(params![
                vid,
                appointed,
                serde_json::to_string(&reserves)?,
                d.rationale,
                d.unresolved_reason,
                d.recorded_by,
                d.recorded_at,
                seq
            ])?;
            let payload = serde_json::to_string(&DecisionPayload {
                appointed_ref,
                record: DecisionRecord {
                    appointed,
                    reserves: &reserves,
                    rationale: &d.rationale,
                    unresolved_reason: d.unresolved_reason.as_deref(),
                },
            })?;
            self.event(
                &d.recorded_at,
                &d.recorded_by,
                "decide",
                &format!("vacancy/{vid}"),
                &payload,
            )?;
            self.counts.decisions += 1;
        }
        self.written.insert(v.id.clone(), candidate_ids);
        Ok(())
    }

    /// Import the pipeline records of already written vacancies, as `import applications` would from a
    /// CSV file holding them: applicants not yet known become candidates flagged as not interviewed,
    /// every applicant's monitoring record is stored, and one `applications.import` event records the
    /// counts and the digest of that CSV text, never the monitoring values.
    pub fn applications(
        &mut self,
        vacancies: &[BulkVacancy],
        at: &str,
        actor: &str,
    ) -> Result<u64> {
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO candidates (vacancy, ref, added_at, interview) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut upsert = self.conn.prepare_cached(
            "INSERT INTO candidates (vacancy, ref, added_at, interview) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (vacancy, ref) DO UPDATE SET interview = max(interview, excluded.interview)
             RETURNING id",
        )?;
        let mut monitoring = self.conn.prepare_cached(
            "INSERT OR REPLACE INTO monitoring (candidate, stage, ethnicity, gender, disability, internal)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut digest = Sha256::new();
        digest.update(b"vacancy,candidate,stage,ethnicity,gender,disability,internal\n");
        let mut records = 0u64;
        let mut line = String::new();
        for v in vacancies {
            let written = self.written.get(&v.id);
            for (i, a) in v.applicants.iter().enumerate() {
                let p = params![v.id, a.reference, at, a.interviewed() as i64];
                let id: i64 = match written {
                    // Written by this load: interviewed applicants are candidates already, the rest new.
                    Some(ids) => match ids.get(i).copied().flatten() {
                        Some(id) => id,
                        None => {
                            insert.execute(p)?;
                            self.conn.last_insert_rowid()
                        }
                    },
                    None => upsert.query_row(p, |r| r.get(0))?,
                };
                monitoring.execute(params![
                    id,
                    a.stage,
                    a.ethnicity,
                    a.gender,
                    a.disability,
                    a.internal.map(|b| b as i64)
                ])?;
                line.clear();
                for (i, field) in [
                    v.id.as_str(),
                    &a.reference,
                    &a.stage,
                    &a.ethnicity,
                    a.gender.as_deref().unwrap_or(""),
                    a.disability.as_deref().unwrap_or(""),
                    match a.internal {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "",
                    },
                ]
                .into_iter()
                .enumerate()
                {
                    if i > 0 {
                        line.push(',');
                    }
                    csv_field(&mut line, field);
                }
                line.push('\n');
                digest.update(line.as_bytes());
                records += 1;
            }
        }
        let payload = json!({"records": records, "vacancies": vacancies.len(),
            "file_sha256": hex::encode(digest.finalize())})
        .to_string();
        self.event(at, actor, "applications.import", "pipeline", &payload)?;
        self.counts.applications += records;
        Ok(records)
    }

    /// What has been written so far.
    pub fn counts(&self) -> BulkCounts {
        self.counts
    }

    /// End the load: checks that nothing else appended to the event log meanwhile.
    pub fn finish(self) -> Result<BulkCounts> {
        let head: i64 =
            self.conn
                .query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?;
        ensure!(
            head == self.seq,
            "the event log moved during a bulk load (expected head {}, found {head})",
            self.seq
        );
        Ok(self.counts)
    }
}

/// A CSV field, quoted when it needs to be (RFC 4180).
fn csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

impl super::Store {
    /// Prepare this connection for loading a new database in bulk: no fsync at each commit, a larger
    /// page cache, and no foreign-key checks (a [`Bulk`] takes every reference from a row it has just
    /// written or an index it has checked; the triggers that seal sheets and keep the log append-only
    /// still run). A crash of the program still leaves every committed transaction whole (the WAL keeps
    /// them atomic), but a power cut or an operating-system crash during the load may lose or damage the
    /// file: use it only for a file that can be regenerated, and call [`Self::end_bulk_load`] after.
    pub fn begin_bulk_load(&self) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", "OFF")?;
        self.conn.pragma_update(None, "cache_size", -65_536)?;
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        Ok(())
    }

    /// Restore the usual settings and full durability: checkpoint the WAL into the database file and
    /// flush it to disk.
    pub fn end_bulk_load(&self) -> Result<()> {
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn.pragma_update(None, "cache_size", -2_000)?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        std::fs::File::open(&self.path)?.sync_all()?;
        Ok(())
    }

    /// The hash at the head of the event log (the genesis hash when it is empty).
    pub fn head_hash(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row(
                "SELECT hash FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_else(|| GENESIS.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn s(x: &str) -> String {
        x.to_string()
    }

    fn vacancy(id: &str) -> BulkVacancy {
        let applicant = |r: &str, stage: &str, eth: &str| BulkApplicant {
            reference: s(r),
            added_at: s("2025-01-10T09:00:00Z"),
            stage: s(stage),
            ethnicity: s(eth),
            gender: Some(s("Female")),
            disability: None,
            internal: Some(false),
        };
        let panellist = |n: &str, role: Role| BulkPanellist {
            name: s(n),
            role,
            ethnicity: (n != "Cy").then(|| s("N")),
            trained_on: Some(s("2024-05-01")),
            added_at: s("2025-01-02T09:00:00Z"),
        };
        let sheet = |candidate: usize, panellist: usize, scores: [i64; 2]| BulkSheet {
            candidate,
            panellist,
            opened_at: s("2025-01-20T09:00:00Z"),
            submitted_at: s("2025-01-20T09:30:00Z"),
            answers: scores
                .iter()
                .enumerate()
                .map(|(q, &score)| BulkAnswer {
                    question: q,
                    score,
                    evidence: format!("Said \"{score}\" things, with a comma, and ünïcode"),
                    recorded_at: s("2025-01-20T09:10:00Z"),
                })
                .collect(),
        };
        BulkVacancy {
            id: s(id),
            title: s("Psychological Wellbeing Practitioner"),
            band: Some(s("Band 5")),
            service: None,
            questions: vec![s("caseload-prioritisation"), s("diversity-discomfort")],
            created_at: s("2025-01-01T09:00:00Z"),
            created_by: s("Ann"),
            panel: vec![
                panellist("Ann", Role::Chair),
                panellist("Bola", Role::Member),
                panellist("Cy", Role::Independent),
            ],
            applicants: vec![
                applicant("C-1", "appointed", "A"),
                applicant("C-2", "applied", "H"),
                applicant("C-3", "interviewed", "N"),
                applicant("C-4", "shortlisted", "Z"),
            ],
            sheets: vec![
                sheet(0, 0, [4, 5]),
                sheet(0, 1, [4, 4]),
                sheet(0, 2, [2, 4]),
                sheet(2, 0, [3, 3]),
                sheet(2, 1, [3, 2]),
                sheet(2, 2, [3, 3]),
            ],
            moderations: vec![BulkModeration {
                candidate: 0,
                question: 0,
                score: 4,
                reason: Some(s("Agreed on the evidence")),
                recorded_by: s("Ann"),
                recorded_at: s("2025-01-20T12:00:00Z"),
            }],
            decision: Some(BulkDecision {
                appointed: 0,
                reserves: vec![2],
                rationale: s("Highest weighted mean"),
                unresolved_reason: None,
                recorded_by: s("Ann"),
                recorded_at: s("2025-01-20T13:00:00Z"),
            }),
        }
    }

    #[test]
    fn bulk_records_verify_and_read_back_like_single_writes() {
        let d = tempfile::tempdir().unwrap();
        let mut store = Store::open(&d.path().join("b.db"), "HR").unwrap();
        store.begin_bulk_load().unwrap();
        let (bank, yaml) = crate::bank::resolve("nhs-talking-therapies").unwrap();
        let v1 = vacancy("V1");
        let v2 = vacancy("V2");
        // A normal write first, so the bulk load continues an existing chain.
        store
            .write(|tx| {
                tx.import_applications(&[], "0", &|_| {})?;
                Ok(())
            })
            .unwrap();
        let counts = store
            .write(|tx| {
                let mut b = tx.bulk(&bank, &yaml, "built-in", crate::policy::DEFAULT_YAML)?;
                b.vacancy(&v1)?;
                b.vacancy(&v2)?;
                b.applications(std::slice::from_ref(&v1), "2025-02-01T00:00:00Z", "HR")?;
                b.finish()
            })
            .unwrap();
        assert_eq!(counts.vacancies, 2);
        assert_eq!(counts.candidates, 4);
        assert_eq!(counts.sheets, 12);
        assert_eq!(counts.answers, 24);
        assert_eq!(counts.applications, 4);
        // 2 × (vacancy + 3 panellists + 2 candidates + 6 × (2 answers + submit) + moderation + decision)
        // + one import.
        assert_eq!(counts.events, 2 * (1 + 3 + 2 + 18 + 1 + 1) + 1);
        // V2's pipeline in a later transaction takes the upsert path.
        store
            .write(|tx| {
                let mut b = tx.bulk(&bank, &yaml, "built-in", crate::policy::DEFAULT_YAML)?;
                b.applications(std::slice::from_ref(&v2), "2025-02-02T00:00:00Z", "HR")?;
                b.finish()
            })
            .unwrap();
        store.end_bulk_load().unwrap();
        let fk: bool = store
            .conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert!(fk, "foreign keys are checked again");
        let orphans: i64 = store
            .conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(orphans, 0);
        // And a single write continues the chain.
        store
            .write(|tx| tx.moderate("V2", "C-3", "diversity-discomfort", 3, Some("Agreed")))
            .unwrap();
        let report = store.verify().unwrap();
        assert!(report.ok, "{:?}", report.problem);
        assert_eq!(report.records_checked, 2 * (12 + 1 + 1) + 1);

        for vid in ["V1", "V2"] {
            let names: Vec<String> = store
                .candidates(vid)
                .unwrap()
                .into_iter()
                .map(|c| c.reference)
                .collect();
            assert_eq!(names, ["C-1", "C-3"]);
            let sheets = store.sheets(vid).unwrap();
            assert_eq!(sheets.len(), 6);
            assert!(sheets
                .iter()
                .all(|s| s.is_submitted() && s.answers.len() == 2));
            let d = store.decision(vid).unwrap().unwrap();
            assert_eq!(
                (d.appointed.as_str(), d.reserves.clone()),
                ("C-1", vec![s("C-3")])
            );
            let stages: Vec<(String, String)> = store
                .monitoring(vid)
                .unwrap()
                .into_iter()
                .map(|m| (m.candidate, m.stage))
                .collect();
            assert_eq!(stages.len(), 4);
            assert!(stages.contains(&(s("C-2"), s("applied"))));
            assert!(stages.contains(&(s("C-1"), s("appointed"))));
        }
        let panel = store.panellists("V1").unwrap();
        assert_eq!(panel.len(), 3);
        assert_eq!(panel[2].ethnicity, None);
        assert_eq!(panel[1].ethnicity.as_deref(), Some("N"));
        assert_eq!(
            store.vacancy("V1").unwrap().created_at,
            "2025-01-01T09:00:00Z"
        );
        let head = store.head_hash().unwrap();
        assert_eq!(store.events(Some(1)).unwrap().len(), 1);
        assert_ne!(head, GENESIS);

        // A bulk-written moderation edited afterwards is caught.
        store
            .conn
            .execute("UPDATE moderations SET score = 5 WHERE id = 1", [])
            .unwrap();
        let report = store.verify().unwrap();
        assert!(!report.ok);
        assert_eq!(report.problem.unwrap().table, "moderations");
    }

    #[test]
    fn bad_indexes_are_refused_and_leave_nothing() {
        let d = tempfile::tempdir().unwrap();
        let mut store = Store::open(&d.path().join("b.db"), "HR").unwrap();
        let (bank, yaml) = crate::bank::resolve("nhs-talking-therapies").unwrap();
        let mut v = vacancy("V1");
        v.sheets[0].candidate = 1; // C-2 was never interviewed
        let e = store
            .write(|tx| {
                let mut b = tx.bulk(&bank, &yaml, "built-in", crate::policy::DEFAULT_YAML)?;
                b.vacancy(&v)?;
                b.finish()
            })
            .unwrap_err();
        assert!(e.to_string().contains("cannot be scored"), "{e}");
        let mut v = vacancy("V1");
        v.decision.as_mut().unwrap().reserves = vec![9];
        let e = store
            .write(|tx| {
                let mut b = tx.bulk(&bank, &yaml, "built-in", crate::policy::DEFAULT_YAML)?;
                b.vacancy(&v)?;
                b.finish()
            })
            .unwrap_err();
        assert!(e.to_string().contains("no applicant at index 9"), "{e}");
        // Nothing was left behind by the failed transactions.
        assert!(store.vacancies().unwrap().is_empty());
        assert!(store.verify().unwrap().ok);
    }
}
