//! Queries for vacancies, panels, candidates, score sheets, moderation and decisions.

use super::events::{ANSWER_RECORD, DECISION_RECORD, MODERATION_RECORD};
use super::{Store, Tx};
use crate::bank::Bank;
use crate::model::*;
use crate::policy::Policy;
use anyhow::{anyhow, bail, Context, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;
use sha2::{Digest, Sha256};

/// A new vacancy, as given by its creator.
pub struct NewVacancy<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub band: Option<&'a str>,
    pub service: Option<&'a str>,
    pub bank: &'a Bank,
    pub bank_yaml: &'a str,
    pub questions: &'a [String],
    pub policy_source: &'a str,
    pub policy_yaml: &'a str,
}

/// One panellist's sheet for one candidate.
#[derive(Debug, Clone, Copy)]
pub struct SheetRef<'a> {
    pub vacancy: &'a str,
    pub candidate: &'a str,
    pub panellist: &'a str,
}

/// Monitoring record for one candidate (special-category data: aggregates only).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Monitoring {
    pub candidate: String,
    pub stage: String,
    /// NHS ETHNIC CATEGORY code (99 = not asked, Z = declined).
    pub ethnicity: String,
    pub gender: Option<String>,
    pub disability: Option<String>,
    pub internal: Option<bool>,
}

fn vacancy_row(conn: &Connection, id: &str) -> Result<Option<Vacancy>> {
    let v = conn
        .query_row(
            "SELECT v.id, v.title, v.band, v.service, b.bank_id, b.version, v.policy_source, v.created_at
             FROM vacancies v JOIN banks b ON b.id = v.bank WHERE v.id = ?1",
            [id],
            |r| {
                Ok(Vacancy {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    band: r.get(2)?,
                    service: r.get(3)?,
                    bank_id: r.get(4)?,
                    bank_version: r.get(5)?,
                    policy_source: r.get(6)?,
                    created_at: r.get(7)?,
                    questions: vec![],
                })
            },
        )
        .optional()?;
    let Some(mut v) = v else { return Ok(None) };
    let mut stmt = conn.prepare_cached(
        "SELECT question FROM vacancy_questions WHERE vacancy = ?1 ORDER BY position",
    )?;
    v.questions = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(v))
}

fn id_of(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Option<i64>> {
    Ok(conn.query_row(sql, p, |r| r.get(0)).optional()?)
}

fn candidate_id(conn: &Connection, vacancy: &str, reference: &str) -> Result<i64> {
    id_of(
        conn,
        "SELECT id FROM candidates WHERE vacancy = ?1 AND ref = ?2 AND interview = 1",
        params![vacancy, reference],
    )?
    .ok_or_else(|| anyhow!("vacancy {vacancy} has no candidate {reference:?}"))
}

/// Any applicant, interviewed or not (pipeline records, subject access, erasure).
fn applicant_id(conn: &Connection, vacancy: &str, reference: &str) -> Result<i64> {
    id_of(
        conn,
        "SELECT id FROM candidates WHERE vacancy = ?1 AND ref = ?2",
        params![vacancy, reference],
    )?
    .ok_or_else(|| anyhow!("vacancy {vacancy} has no candidate or applicant {reference:?}"))
}

fn panellist_id(conn: &Connection, vacancy: &str, name: &str) -> Result<i64> {
    id_of(
        conn,
        "SELECT id FROM panellists WHERE vacancy = ?1 AND name = ?2",
        params![vacancy, name],
    )?
    .ok_or_else(|| anyhow!("vacancy {vacancy} has no panellist {name:?}"))
}

fn read_sheet(conn: &Connection, sheet_id: i64, questions: &[String]) -> Result<Sheet> {
    let (candidate, panellist, opened_at, submitted_at): (String, String, String, Option<String>) =
        conn.query_row(
            "SELECT c.ref, p.name, s.opened_at, s.submitted_at FROM sheets s
             JOIN candidates c ON c.id = s.candidate JOIN panellists p ON p.id = s.panellist
             WHERE s.id = ?1",
            [sheet_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
    let mut stmt = conn.prepare_cached(
        "SELECT question, score, evidence, recorded_at, correction_reason FROM answers
         WHERE sheet = ?1 ORDER BY id",
    )?;
    let history: Vec<Answer> = stmt
        .query_map([sheet_id], |r| {
            Ok(Answer {
                question: r.get(0)?,
                score: r.get(1)?,
                evidence: r.get(2)?,
                recorded_at: r.get(3)?,
                correction_reason: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let answers = questions
        .iter()
        .filter_map(|q| history.iter().rev().find(|a| &a.question == q).cloned())
        .collect();
    Ok(Sheet {
        candidate,
        panellist,
        opened_at,
        submitted_at,
        answers,
        history,
    })
}

impl Store {
    pub fn vacancies(&self) -> Result<Vec<Vacancy>> {
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT id FROM vacancies ORDER BY created_at, id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .map(|id| Ok(vacancy_row(&self.conn, id)?.expect("listed vacancy exists")))
            .collect()
    }

    pub fn vacancy_ids(&self) -> Result<std::collections::HashSet<String>> {
        let ids = self
            .conn
            .prepare("SELECT id FROM vacancies")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    pub fn vacancy(&self, id: &str) -> Result<Vacancy> {
        if let Some(v) = vacancy_row(&self.conn, id)? {
            return Ok(v);
        }
        let known: Vec<String> = self
            .conn
            .prepare("SELECT id FROM vacancies ORDER BY id LIMIT 10")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if known.is_empty() {
            bail!("no vacancy {id:?}: this database has no vacancies yet (create one with `fairpanel vacancy create`)")
        }
        bail!("no vacancy {id:?} (known: {})", known.join(", "))
    }

    /// The exact bank the vacancy was created with.
    pub fn vacancy_bank(&self, id: &str) -> Result<Bank> {
        let yaml: String = self.conn.query_row(
            "SELECT b.yaml FROM vacancies v JOIN banks b ON b.id = v.bank WHERE v.id = ?1",
            [id],
            |r| r.get(0),
        )?;
        crate::bank::parse_recorded(&yaml, &format!("bank stored with vacancy {id}"))
            .map_err(|e| anyhow!("{e}"))
    }

    pub fn vacancy_policy(&self, id: &str) -> Result<Policy> {
        let yaml: String = self.conn.query_row(
            "SELECT policy_yaml FROM vacancies WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?;
        crate::policy::parse_recorded(&yaml, &format!("policy stored with vacancy {id}"))
            .map_err(|e| anyhow!("{e}"))
    }

    pub fn panellists(&self, vacancy: &str) -> Result<Vec<Panellist>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.name, p.role, e.nhs_code, p.trained_on FROM panellists p
             LEFT JOIN panellist_ethnicity e ON e.panellist = p.id
             WHERE p.vacancy = ?1 ORDER BY p.id",
        )?;
        let rows: Vec<(i64, Panellist)> = stmt
            .query_map([vacancy], |r| {
                let role: String = r.get(2)?;
                Ok((
                    r.get(0)?,
                    Panellist {
                        name: r.get(1)?,
                        role: Role::parse(&role).unwrap_or(Role::Member),
                        ethnicity: r.get(3)?,
                        trained_on: r.get(4)?,
                        conflicts: vec![],
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut cstmt = self.conn.prepare_cached(
            "SELECT c.ref, k.note FROM conflicts k JOIN candidates c ON c.id = k.candidate
             WHERE k.panellist = ?1 ORDER BY c.ref",
        )?;
        rows.into_iter()
            .map(|(id, mut p)| {
                p.conflicts = cstmt
                    .query_map([id], |r| {
                        Ok(Conflict {
                            candidate: r.get(0)?,
                            note: r.get(1)?,
                        })
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(p)
            })
            .collect()
    }

    pub fn candidates(&self, vacancy: &str) -> Result<Vec<Candidate>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT ref, name FROM candidates WHERE vacancy = ?1 AND interview = 1 ORDER BY id",
        )?;
        let out = stmt
            .query_map([vacancy], |r| {
                Ok(Candidate {
                    reference: r.get(0)?,
                    name: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(out)
    }

    pub fn candidate(&self, vacancy: &str, reference: &str) -> Result<Candidate> {
        candidate_id(&self.conn, vacancy, reference)?;
        Ok(self
            .candidates(vacancy)?
            .into_iter()
            .find(|c| c.reference == reference)
            .expect("candidate exists"))
    }

    /// One panellist's sheet for one candidate, if opened.
    pub fn sheet(&self, vacancy: &str, reference: &str, panellist: &str) -> Result<Option<Sheet>> {
        let v = self.vacancy(vacancy)?;
        let c = candidate_id(&self.conn, vacancy, reference)?;
        let p = panellist_id(&self.conn, vacancy, panellist)?;
        let id = id_of(
            &self.conn,
            "SELECT id FROM sheets WHERE candidate = ?1 AND panellist = ?2",
            params![c, p],
        )?;
        id.map(|id| read_sheet(&self.conn, id, &v.questions))
            .transpose()
    }

    /// Every sheet for a vacancy (all candidates), in candidate then panellist order.
    pub fn sheets(&self, vacancy: &str) -> Result<Vec<Sheet>> {
        let v = self.vacancy(vacancy)?;
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT s.id FROM sheets s JOIN candidates c ON c.id = s.candidate
                 WHERE c.vacancy = ?1 ORDER BY c.id, s.panellist",
            )?
            .query_map([vacancy], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter()
            .map(|id| read_sheet(&self.conn, id, &v.questions))
            .collect()
    }

    pub fn moderations(&self, vacancy: &str) -> Result<Vec<Moderation>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.ref, m.question, m.score, m.reason, m.recorded_by, m.recorded_at
             FROM moderations m JOIN candidates c ON c.id = m.candidate
             WHERE c.vacancy = ?1 ORDER BY m.id",
        )?;
        let out = stmt
            .query_map([vacancy], |r| {
                Ok(Moderation {
                    candidate: r.get(0)?,
                    question: r.get(1)?,
                    score: r.get(2)?,
                    reason: r.get(3)?,
                    recorded_by: r.get(4)?,
                    recorded_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(out)
    }

    /// Every decision recorded for a vacancy, oldest first (a later one supersedes an earlier).
    pub fn decisions(&self, vacancy: &str) -> Result<Vec<Decision>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.ref, d.reserves, d.rationale, d.unresolved_reason, d.recorded_by, d.recorded_at
             FROM decisions d JOIN candidates c ON c.id = d.appointed WHERE d.vacancy = ?1 ORDER BY d.id",
        )?;
        let out = stmt
            .query_map([vacancy], |r| {
                let reserves: String = r.get(1)?;
                Ok(Decision {
                    appointed: r.get(0)?,
                    reserves: serde_json::from_str(&reserves).unwrap_or_default(),
                    rationale: r.get(2)?,
                    unresolved_reason: r.get(3)?,
                    recorded_by: r.get(4)?,
                    recorded_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(out)
    }

    /// The latest decision for a vacancy.
    pub fn decision(&self, vacancy: &str) -> Result<Option<Decision>> {
        Ok(self.decisions(vacancy)?.pop())
    }

    /// Monitoring records for a vacancy: for aggregate figures only.
    pub fn monitoring(&self, vacancy: &str) -> Result<Vec<Monitoring>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.ref, m.stage, m.ethnicity, m.gender, m.disability, m.internal
             FROM monitoring m JOIN candidates c ON c.id = m.candidate
             WHERE c.vacancy = ?1 ORDER BY c.id",
        )?;
        let out = stmt
            .query_map([vacancy], |r| {
                Ok(Monitoring {
                    candidate: r.get(0)?,
                    stage: r.get(1)?,
                    ethnicity: r.get(2)?,
                    gender: r.get(3)?,
                    disability: r.get(4)?,
                    internal: r.get::<_, Option<i64>>(5)?.map(|i| i != 0),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(out)
    }
}

impl Tx<'_> {
    pub fn create_vacancy(&self, v: &NewVacancy<'_>) -> Result<()> {
        if vacancy_row(self, v.id)?.is_some() {
            bail!("vacancy {:?} already exists", v.id);
        }
        let sha = hex::encode(Sha256::digest(v.bank_yaml.as_bytes()));
        self.execute(
            "INSERT OR IGNORE INTO banks (bank_id, version, sha256, yaml) VALUES (?1, ?2, ?3, ?4)",
            params![v.bank.id, v.bank.version, sha, v.bank_yaml],
        )?;
        let bank: i64 = self.query_row("SELECT id FROM banks WHERE sha256 = ?1", [&sha], |r| {
            r.get(0)
        })?;
        let now = now();
        self.execute(
            "INSERT INTO vacancies (id, title, band, service, bank, policy_source, policy_yaml, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![v.id, v.title, v.band, v.service, bank, v.policy_source, v.policy_yaml, now],
        )?;
        for (i, q) in v.questions.iter().enumerate() {
            self.execute(
                "INSERT INTO vacancy_questions (vacancy, position, question) VALUES (?1, ?2, ?3)",
                params![v.id, i as i64, q],
            )?;
        }
        self.event(
            "vacancy.create",
            &format!("vacancy/{}", v.id),
            json!({"title": v.title, "band": v.band, "service": v.service, "bank": v.bank.id,
                   "bank_version": v.bank.version, "bank_sha256": sha, "questions": v.questions,
                   "policy": v.policy_source}),
        )?;
        Ok(())
    }

    pub fn add_panellist(
        &self,
        vacancy: &str,
        name: &str,
        role: Role,
        ethnicity: Option<&str>,
        trained_on: Option<&str>,
    ) -> Result<()> {
        vacancy_row(self, vacancy)?.ok_or_else(|| anyhow!("no vacancy {vacancy:?}"))?;
        if role == Role::Chair {
            let chair: Option<String> = self
                .query_row(
                    "SELECT name FROM panellists WHERE vacancy = ?1 AND role = 'chair'",
                    [vacancy],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(chair) = chair {
                bail!("vacancy {vacancy} already has a chair ({chair}); add {name:?} as a member or independent");
            }
        }
        self.execute(
            "INSERT INTO panellists (vacancy, name, role, trained_on, added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![vacancy, name, role.as_str(), trained_on, now()],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                anyhow!("vacancy {vacancy} already has a panellist called {name:?}")
            }
            e => e.into(),
        })?;
        let id = self.last_insert_rowid();
        if let Some(code) = ethnicity {
            self.execute(
                "INSERT INTO panellist_ethnicity (panellist, nhs_code) VALUES (?1, ?2)",
                params![id, code],
            )?;
        }
        // The event records that ethnicity was declared, not what it is: declarations are revocable.
        self.event(
            "panel.add",
            &format!("vacancy/{vacancy}/panellist/{name}"),
            json!({"role": role.as_str(), "trained_on": trained_on, "ethnicity_declared": ethnicity.is_some()}),
        )?;
        Ok(())
    }

    /// Replace or withdraw a panellist's self-declared ethnicity.
    pub fn set_panellist_ethnicity(
        &self,
        vacancy: &str,
        name: &str,
        code: Option<&str>,
    ) -> Result<()> {
        let id = panellist_id(self, vacancy, name)?;
        self.execute("DELETE FROM panellist_ethnicity WHERE panellist = ?1", [id])?;
        if let Some(code) = code {
            self.execute(
                "INSERT INTO panellist_ethnicity (panellist, nhs_code) VALUES (?1, ?2)",
                params![id, code],
            )?;
        }
        self.event(
            "panel.ethnicity",
            &format!("vacancy/{vacancy}/panellist/{name}"),
            json!({"ethnicity_declared": code.is_some()}),
        )?;
        Ok(())
    }

    pub fn add_conflict(
        &self,
        vacancy: &str,
        panellist: &str,
        reference: &str,
        note: &str,
    ) -> Result<()> {
        let p = panellist_id(self, vacancy, panellist)?;
        let c = candidate_id(self, vacancy, reference)?;
        self.execute(
            "INSERT OR REPLACE INTO conflicts (panellist, candidate, note) VALUES (?1, ?2, ?3)",
            params![p, c, note],
        )?;
        self.event(
            "panel.conflict",
            &format!("vacancy/{vacancy}/panellist/{panellist}"),
            json!({"candidate": reference, "note": note}),
        )?;
        Ok(())
    }

    pub fn add_candidate(&self, vacancy: &str, reference: &str, name: Option<&str>) -> Result<()> {
        vacancy_row(self, vacancy)?.ok_or_else(|| anyhow!("no vacancy {vacancy:?}"))?;
        // An applicant known from pipeline data becomes a candidate for interview.
        let promoted = self.execute(
            "UPDATE candidates SET interview = 1, name = coalesce(?3, name)
             WHERE vacancy = ?1 AND ref = ?2 AND interview = 0",
            params![vacancy, reference, name],
        )?;
        if promoted == 0 {
            self.execute(
                "INSERT INTO candidates (vacancy, ref, name, added_at) VALUES (?1, ?2, ?3, ?4)",
                params![vacancy, reference, name, now()],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    anyhow!("vacancy {vacancy} already has a candidate {reference:?}")
                }
                e => e.into(),
            })?;
        }
        self.event(
            "candidate.add",
            &format!("vacancy/{vacancy}/candidate/{reference}"),
            json!({"named": name.is_some()}),
        )?;
        Ok(())
    }

    /// Record one answer, opening the sheet if needed. Rule checks (scale, question) are the caller's;
    /// the store refuses a plain answer on a sealed sheet.
    pub fn record_answer(
        &self,
        sheet: &SheetRef<'_>,
        question: &str,
        score: i64,
        evidence: &str,
        correction_reason: Option<&str>,
    ) -> Result<()> {
        let SheetRef {
            vacancy,
            candidate: reference,
            panellist,
        } = *sheet;
        let c = candidate_id(self, vacancy, reference)?;
        let p = panellist_id(self, vacancy, panellist)?;
        let sheet = match id_of(
            self,
            "SELECT id FROM sheets WHERE candidate = ?1 AND panellist = ?2",
            params![c, p],
        )? {
            Some(id) => id,
            None => {
                self.execute(
                    "INSERT INTO sheets (candidate, panellist, opened_at) VALUES (?1, ?2, ?3)",
                    params![c, p, now()],
                )?;
                self.last_insert_rowid()
            }
        };
        let sealed: Option<String> = self.query_row(
            "SELECT submitted_at FROM sheets WHERE id = ?1",
            [sheet],
            |r| r.get(0),
        )?;
        match (sealed.is_some(), correction_reason) {
            (true, None) => bail!(
                "{panellist}'s sheet for {reference} is submitted and sealed; a correction needs a reason \
                 (--correction-reason) and is kept beside the original"
            ),
            (false, Some(_)) => bail!(
                "{panellist}'s sheet for {reference} is not submitted yet: change the answer directly, no correction needed"
            ),
            _ => {}
        }
        let seq = self.next_seq()?;
        self.execute(
            "INSERT INTO answers (sheet, question, score, evidence, recorded_at, correction_reason, event)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![sheet, question, score, evidence, now(), correction_reason, seq],
        )?;
        let id = self.last_insert_rowid();
        if correction_reason.is_some() {
            self.execute(&super::schema::seal_sheet_sql(), [sheet])?;
        }
        self.record_event(
            seq,
            if correction_reason.is_some() {
                "score.correct"
            } else {
                "score.answer"
            },
            &format!("vacancy/{vacancy}/candidate/{reference}/panellist/{panellist}"),
            "answers",
            ANSWER_RECORD,
            id,
            json!({}),
        )
        .context("recording the answer in the event log")
    }

    /// Seal a sheet. `questions` are the vacancy's; every one must be answered.
    pub fn submit_sheet(
        &self,
        vacancy: &str,
        reference: &str,
        panellist: &str,
        questions: &[String],
    ) -> Result<()> {
        let c = candidate_id(self, vacancy, reference)?;
        let p = panellist_id(self, vacancy, panellist)?;
        let Some(sheet) = id_of(
            self,
            "SELECT id FROM sheets WHERE candidate = ?1 AND panellist = ?2",
            params![c, p],
        )?
        else {
            bail!("{panellist} has not scored {reference} yet: nothing to submit");
        };
        let s = read_sheet(self, sheet, questions)?;
        if s.is_submitted() {
            bail!(
                "{panellist}'s sheet for {reference} was already submitted at {}",
                s.submitted_at.unwrap_or_default()
            );
        }
        let missing: Vec<&str> = questions
            .iter()
            .filter(|q| s.answer(q).is_none())
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            bail!(
                "{panellist}'s sheet for {reference} is not complete: no score yet for {}",
                missing.join(", ")
            );
        }
        let at = now();
        self.execute(
            "UPDATE sheets SET submitted_at = ?1 WHERE id = ?2",
            params![at, sheet],
        )?;
        self.execute(&super::schema::seal_sheet_sql(), [sheet])?;
        let scores: serde_json::Map<String, serde_json::Value> = s
            .answers
            .iter()
            .map(|a| (a.question.clone(), json!(a.score)))
            .collect();
        self.event(
            "sheet.submit",
            &format!("vacancy/{vacancy}/candidate/{reference}/panellist/{panellist}"),
            json!({"scores": scores}),
        )?;
        Ok(())
    }

    pub fn moderate(
        &self,
        vacancy: &str,
        reference: &str,
        question: &str,
        score: i64,
        reason: Option<&str>,
    ) -> Result<()> {
        let c = candidate_id(self, vacancy, reference)?;
        let seq = self.next_seq()?;
        self.execute(
            "INSERT INTO moderations (candidate, question, score, reason, recorded_by, recorded_at, event)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![c, question, score, reason, self.actor, now(), seq],
        )?;
        let id = self.last_insert_rowid();
        self.record_event(
            seq,
            "moderate",
            &format!("vacancy/{vacancy}/candidate/{reference}"),
            "moderations",
            MODERATION_RECORD,
            id,
            json!({}),
        )
    }

    pub fn decide(
        &self,
        vacancy: &str,
        appoint: &str,
        reserves: &[String],
        rationale: &str,
        unresolved_reason: Option<&str>,
    ) -> Result<()> {
        let a = candidate_id(self, vacancy, appoint)?;
        for r in reserves {
            candidate_id(self, vacancy, r)?;
        }
        let seq = self.next_seq()?;
        self.execute(
            "INSERT INTO decisions (vacancy, appointed, reserves, rationale, unresolved_reason, recorded_by, recorded_at, event)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![vacancy, a, serde_json::to_string(reserves)?, rationale, unresolved_reason, self.actor, now(), seq],
        )?;
        let id = self.last_insert_rowid();
        self.record_event(
            seq,
            "decide",
            &format!("vacancy/{vacancy}"),
            "decisions",
            DECISION_RECORD,
            id,
            json!({"appointed_ref": appoint}),
        )
    }

    /// Import pipeline records (all or nothing: the caller's transaction). Unknown applicants become
    /// candidates, flagged for interview only when they reached that stage. Re-importing replaces a
    /// candidate's record rather than duplicating it. The event records counts and the file's digest,
    /// never the monitoring values, so erasing them later leaves the chain verifiable.
    pub fn import_applications(
        &self,
        records: &[Application],
        file_sha256: &str,
        progress: &dyn Fn(u64),
    ) -> Result<usize> {
        let mut insert_candidate = self.prepare_cached(
            "INSERT INTO candidates (vacancy, ref, added_at, interview) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (vacancy, ref) DO UPDATE SET interview = max(interview, excluded.interview)",
        )?;
        let mut find =
            self.prepare_cached("SELECT id FROM candidates WHERE vacancy = ?1 AND ref = ?2")?;
        let mut upsert = self.prepare_cached(
            "INSERT OR REPLACE INTO monitoring (candidate, stage, ethnicity, gender, disability, internal)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let now = now();
        let mut vacancies = std::collections::BTreeSet::new();
        for r in records {
            let interviewed = matches!(r.stage.as_str(), "interviewed" | "offered" | "appointed");
            insert_candidate.execute(params![r.vacancy, r.candidate, now, interviewed as i64])?;
            let id: i64 = find.query_row(params![r.vacancy, r.candidate], |row| row.get(0))?;
            upsert.execute(params![
                id,
                r.stage,
                r.ethnicity,
                r.gender,
                r.disability,
                r.internal.map(|b| b as i64)
            ])?;
            vacancies.insert(r.vacancy.as_str());
            progress(1);
        }
        self.event(
            "applications.import",
            "pipeline",
            json!({"records": records.len(), "vacancies": vacancies.len(), "file_sha256": file_sha256}),
        )?;
        Ok(records.len())
    }

    /// Remove one candidate's monitoring data. The event records that it was erased, not what it was.
    pub fn erase_monitoring(&self, vacancy: &str, reference: &str) -> Result<bool> {
        let id = applicant_id(self, vacancy, reference)?;
        let n = self.execute("DELETE FROM monitoring WHERE candidate = ?1", [id])?;
        self.event(
            "candidate.erase-monitoring",
            &format!("vacancy/{vacancy}/candidate/{reference}"),
            json!({"erased": n > 0}),
        )?;
        Ok(n > 0)
    }
}

/// One application record from pipeline data.
#[derive(Debug, Clone)]
pub struct Application {
    pub vacancy: String,
    pub candidate: String,
    pub stage: String,
    /// NHS ETHNIC CATEGORY code (Z declined, 99 not asked).
    pub ethnicity: String,
    pub gender: Option<String>,
    pub disability: Option<String>,
    pub internal: Option<bool>,
}

/// Everything held about one candidate, for a subject access request.
#[derive(Debug, serde::Serialize)]
pub struct SubjectAccess {
    pub vacancy: Vacancy,
    pub candidate: String,
    pub name: Option<String>,
    pub interviewed: bool,
    pub monitoring: Option<Monitoring>,
    /// Every score sheet about them, with every entry (replaced answers and corrections included).
    pub sheets: Vec<SheetExport>,
    pub moderations: Vec<Moderation>,
    pub decisions: Vec<Decision>,
    pub conflicts_declared: Vec<DeclaredConflict>,
    /// Event-log entries about them.
    pub events: Vec<super::Event>,
}

#[derive(Debug, serde::Serialize)]
pub struct DeclaredConflict {
    pub panellist: String,
    pub note: String,
}

#[derive(Debug, serde::Serialize)]
pub struct SheetExport {
    pub panellist: String,
    pub opened_at: String,
    pub submitted_at: Option<String>,
    pub entries: Vec<Answer>,
}

impl Store {
    pub fn subject_access(&self, vacancy: &str, reference: &str) -> Result<SubjectAccess> {
        let v = self.vacancy(vacancy)?;
        let id = applicant_id(&self.conn, vacancy, reference)?;
        let (name, interview): (Option<String>, i64) = self.conn.query_row(
            "SELECT name, interview FROM candidates WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let monitoring = self
            .monitoring(vacancy)?
            .into_iter()
            .find(|m| m.candidate == reference);
        let sheet_ids: Vec<i64> = self
            .conn
            .prepare("SELECT id FROM sheets WHERE candidate = ?1 ORDER BY panellist")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let sheets = sheet_ids
            .into_iter()
            .map(|s| {
                let sh = read_sheet(&self.conn, s, &v.questions)?;
                Ok(SheetExport {
                    panellist: sh.panellist,
                    opened_at: sh.opened_at,
                    submitted_at: sh.submitted_at,
                    entries: sh.history,
                })
            })
            .collect::<Result<_>>()?;
        let moderations = self
            .moderations(vacancy)?
            .into_iter()
            .filter(|m| m.candidate == reference)
            .collect();
        let decisions: Vec<Decision> = self
            .decisions(vacancy)?
            .into_iter()
            .filter(|d| d.appointed == reference || d.reserves.iter().any(|r| r == reference))
            .collect();
        let conflicts_declared = {
            let mut stmt = self.conn.prepare(
                "SELECT p.name, k.note FROM conflicts k JOIN panellists p ON p.id = k.panellist WHERE k.candidate = ?1",
            )?;
            let v: Vec<DeclaredConflict> = stmt
                .query_map([id], |r| {
                    Ok(DeclaredConflict {
                        panellist: r.get(0)?,
                        note: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            v
        };
        let prefix = format!("vacancy/{vacancy}/candidate/{reference}");
        let events = self
            .events(None)?
            .into_iter()
            .filter(|e| e.entity == prefix || e.entity.starts_with(&format!("{prefix}/")))
            .collect();
        Ok(SubjectAccess {
            vacancy: v,
            candidate: reference.to_string(),
            name,
            interviewed: interview != 0,
            monitoring,
            sheets,
            moderations,
            decisions,
            conflicts_declared,
            events,
        })
    }
}
