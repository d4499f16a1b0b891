//! Bulk writes: whole vacancies (panel, candidates, scored sheets, moderations, decision) and their
//! application pipelines in one transaction, for loading a large organisation's history at once.
//!
//! Every event goes through [`Tx::append`], exactly as one written at a time: the same facts, the same
//! invariants, the same hash chain and checkpoints, the same derived rows. Only the timestamps and
//! actors are the caller's. Scores are recorded as transcribed by the loader (they did not come from
//! panellists proving who they are), and the loader, not a panellist, reveals and decides.
//!
//! The domain rules the commands apply (scale, question plan, composition, divergence before a
//! decision) are the caller's; the record's own invariants still hold.

use super::db::OptionalExtension;
use super::Tx;
use crate::bank::Bank;
use crate::model::Role;
use crate::record::chain::Actor;
use crate::record::fact::{self, Fact};
use crate::record::seal::{self, Purpose};
use crate::record::Scope;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::HashMap;

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

/// The reason recorded on every score a bulk load writes.
pub const TRANSCRIBED: &str = "loaded in bulk from another system";

/// A bulk load in progress within one transaction.
pub struct Bulk<'t, 'c> {
    tx: &'t mut Tx<'c>,
    bank_sha: String,
    policy_source: String,
    policy_yaml: String,
    persons: HashMap<String, i64>,
    counts: BulkCounts,
    /// Candidate keys of the vacancies written by this load, by (vacancy, applicant index).
    keys: HashMap<String, Vec<Option<(i64, seal::Key)>>>,
}

fn get<'v, T>(items: &'v [T], i: usize, what: &str, vacancy: &str) -> Result<&'v T> {
    items
        .get(i)
        .with_context(|| format!("vacancy {vacancy}: no {what} at index {i}"))
}

impl<'c> Tx<'c> {
    /// Start a bulk load in this transaction: stores the bank if it is new.
    pub fn bulk<'t>(
        &'t mut self,
        bank: &Bank,
        bank_yaml: &str,
        policy_source: &str,
        policy_yaml: &str,
    ) -> Result<Bulk<'t, 'c>> {
        let sha = crate::actions::store_bank(self, bank, bank_yaml)?;
        Ok(Bulk {
            tx: self,
            bank_sha: sha,
            policy_source: policy_source.to_string(),
            policy_yaml: policy_yaml.to_string(),
            persons: HashMap::new(),
            counts: BulkCounts::default(),
            keys: HashMap::new(),
        })
    }
}

impl Bulk<'_, '_> {
    fn append(&mut self, who: &str, at: &str, scope: Scope, fact: Fact) -> Result<i64> {
        self.tx.set_actor(Actor::login(who));
        self.counts.events += 1;
        self.tx.append_at(scope, fact, at)
    }

    fn person(&mut self, name: &str, who: &str, at: &str) -> Result<i64> {
        if let Some(p) = self.persons.get(name) {
            return Ok(*p);
        }
        let known: Option<i64> = self
            .tx
            .conn
            .query_row("SELECT id FROM people WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        let id = match known {
            Some(id) => {
                // Folded into this transaction's people, for the panel facts that name them.
                self.tx.person(id)?;
                id
            }
            None => {
                let id = self.tx.next_seq();
                self.append(
                    who,
                    at,
                    Scope::Person(id),
                    Fact::PersonAdd(fact::PersonAdd {
                        name: name.to_string(),
                        roles: vec![],
                        trained_on: None,
                    }),
                )?;
                id
            }
        };
        self.persons.insert(name.to_string(), id);
        Ok(id)
    }

    /// Write one vacancy's journey: the vacancy and its plan, the panel (with self-declared
    /// ethnicity), the candidates for interview, each sheet's answers then its submission (and each
    /// candidate's reveal once every sheet is in), the moderations and the decision.
    pub fn vacancy(&mut self, v: &BulkVacancy) -> Result<()> {
        let vid = v.id.as_str();
        let scope = || Scope::Vacancy(vid.to_string());
        let mut persons = Vec::with_capacity(v.panel.len());
        for p in &v.panel {
            persons.push(self.person(&p.name, &v.created_by, &p.added_at)?);
        }
        self.append(
            &v.created_by,
            &v.created_at,
            scope(),
            Fact::VacancyCreate(fact::VacancyCreate {
                title: v.title.clone(),
                band: v.band.clone(),
                service: v.service.clone(),
                bank: self.bank_sha.clone(),
                questions: v.questions.clone(),
                policy_source: self.policy_source.clone(),
                policy_yaml: self.policy_yaml.clone(),
                coverage_override: None,
            }),
        )?;
        self.counts.vacancies += 1;
        for (p, &person) in v.panel.iter().zip(&persons) {
            let ethnicity = match &p.ethnicity {
                Some(code) => {
                    let (kid, key) = self.tx.new_key()?;
                    Some(fact::DeclaredEthnicity {
                        key: seal::intro(kid, &key),
                        code: seal::seal(kid, &key, Purpose::PanellistEthnicity, code),
                    })
                }
                None => None,
            };
            self.append(
                &v.created_by,
                &p.added_at,
                scope(),
                Fact::PanelAdd(fact::PanelAdd {
                    person,
                    role: p.role,
                    trained_on: p.trained_on.clone(),
                    ethnicity,
                }),
            )?;
            self.counts.panellists += 1;
        }
        let mut keys: Vec<Option<(i64, seal::Key)>> = vec![None; v.applicants.len()];
        for (i, a) in v.applicants.iter().enumerate() {
            if !a.interviewed() {
                continue;
            }
            let (kid, key) = self.tx.new_key()?;
            keys[i] = Some((kid, key));
            self.append(
                &v.created_by,
                &a.added_at,
                scope(),
                Fact::CandidateAdd(fact::CandidateAdd {
                    reference: a.reference.clone(),
                    key: seal::intro(kid, &key),
                    name: None,
                }),
            )?;
            self.counts.candidates += 1;
        }
        let candidate = |i: usize| -> Result<(&str, (i64, seal::Key))> {
            let a = get(&v.applicants, i, "applicant", vid)?;
            let k = keys[i].with_context(|| {
                format!(
                    "vacancy {vid}: {} reached only the {} stage, so cannot be scored",
                    a.reference, a.stage
                )
            })?;
            Ok((a.reference.as_str(), k))
        };
        let transcribed = || {
            Some(fact::Transcribed {
                reason: TRANSCRIBED.to_string(),
            })
        };
        for s in &v.sheets {
            let (reference, (kid, key)) = candidate(s.candidate)?;
            let person = *get(&persons, s.panellist, "panellist", vid)?;
            for a in &s.answers {
                let question = get(&v.questions, a.question, "question", vid)?.clone();
                self.append(
                    &v.created_by,
                    &a.recorded_at,
                    scope(),
                    Fact::Answer(fact::Answer {
                        reference: reference.to_string(),
                        person,
                        question,
                        score: a.score,
                        evidence: seal::seal(kid, &key, Purpose::Evidence, &a.evidence),
                        transcribed: transcribed(),
                    }),
                )?;
                self.counts.answers += 1;
            }
            self.append(
                &v.created_by,
                &s.submitted_at,
                scope(),
                Fact::Submit(fact::Submit {
                    reference: reference.to_string(),
                    person,
                    transcribed: transcribed(),
                }),
            )?;
            self.counts.sheets += 1;
            let st = self.tx.vacancy(vid)?;
            if st.ready_to_reveal().iter().any(|r| r == reference) {
                let panel = st.active_panel().map(|m| m.person).collect();
                self.append(
                    &v.created_by,
                    &s.submitted_at,
                    scope(),
                    Fact::Reveal(fact::Reveal {
                        reference: reference.to_string(),
                        panel,
                    }),
                )?;
            }
        }
        for m in &v.moderations {
            let (reference, _) = candidate(m.candidate)?;
            let question = get(&v.questions, m.question, "question", vid)?.clone();
            let again = self
                .tx
                .vacancy(vid)?
                .moderation(reference, &question)
                .is_some();
            self.append(
                &m.recorded_by,
                &m.recorded_at,
                scope(),
                Fact::Moderate(fact::Moderate {
                    reference: reference.to_string(),
                    question,
                    score: m.score,
                    reason: m.reason.clone(),
                    revision_reason: again
                        .then(|| "revised in the system it was loaded from".into()),
                }),
            )?;
            self.counts.moderations += 1;
        }
        if let Some(d) = &v.decision {
            let (appointed, _) = candidate(d.appointed)?;
            let reserves: Vec<String> = d
                .reserves
                .iter()
                .map(|&r| candidate(r).map(|c| c.0.to_string()))
                .collect::<Result<_>>()?;
            self.append(
                &d.recorded_by,
                &d.recorded_at,
                scope(),
                Fact::Decide(fact::Decide {
                    appointed: appointed.to_string(),
                    reserves,
                    rationale: d.rationale.clone(),
                    unresolved_reason: d.unresolved_reason.clone(),
                    revision_reason: None,
                }),
            )?;
            self.counts.decisions += 1;
        }
        self.keys.insert(v.id.clone(), keys);
        Ok(())
    }

    /// Import the pipeline records of vacancies, as `import applications` would: one import event
    /// per vacancy holding every applicant's monitoring record, sealed under a key of its own.
    pub fn applications(
        &mut self,
        vacancies: &[BulkVacancy],
        at: &str,
        actor: &str,
    ) -> Result<u64> {
        let mut records = 0u64;
        for v in vacancies {
            let state = self.tx.vacancy(&v.id)?;
            let has_key: Vec<bool> = v
                .applicants
                .iter()
                .map(|a| {
                    state
                        .candidate(&a.reference)
                        .is_some_and(|c| c.monitoring_key.is_some())
                })
                .collect();
            let mut rows = Vec::with_capacity(v.applicants.len());
            for (a, known) in v.applicants.iter().zip(has_key) {
                let m = fact::Monitoring {
                    stage: a.stage.clone(),
                    ethnicity: a.ethnicity.clone(),
                    gender: a.gender.clone(),
                    disability: a.disability.clone(),
                    internal: a.internal,
                };
                let text = serde_json::to_string(&m)?;
                let (kid, key, intro) = if known {
                    let k = self
                        .tx
                        .vacancy(&v.id)?
                        .candidate(&a.reference)
                        .and_then(|c| c.monitoring_key.clone())
                        .expect("checked");
                    (k.id, self.tx.key(k.id)?, None)
                } else {
                    let (kid, key) = self.tx.new_key()?;
                    (kid, key, Some(seal::intro(kid, &key)))
                };
                rows.push(fact::ApplicationRow {
                    reference: a.reference.clone(),
                    key: intro,
                    m: seal::seal(kid, &key, Purpose::Monitoring, &text),
                });
                records += 1;
            }
            for chunk in rows.chunks(0xFFF0) {
                self.append(
                    actor,
                    at,
                    Scope::Vacancy(v.id.clone()),
                    Fact::Applications(fact::Applications {
                        rows: chunk.to_vec(),
                    }),
                )?;
            }
            self.tx.flush_vacancy(&v.id)?;
        }
        self.counts.applications += records;
        Ok(records)
    }

    /// What has been written so far.
    pub fn counts(&self) -> BulkCounts {
        self.counts
    }

    /// End the load, writing the derived rows of every vacancy still held.
    pub fn finish(self) -> Result<BulkCounts> {
        for v in self.keys.keys() {
            self.tx.flush_vacancy(v)?;
        }
        Ok(self.counts)
    }
}

impl super::Store {
    /// Prepare this connection for loading a new database in bulk: no fsync at each commit and a
    /// larger page cache. A crash of the program still leaves every committed transaction whole (the
    /// WAL keeps them atomic), but a power cut or an operating-system crash during the load may lose
    /// or damage the file: use it only for a file that can be regenerated, and call
    /// [`Self::end_bulk_load`] after.
    pub fn begin_bulk_load(&self) -> Result<()> {
        match self.conn.lite() {
            Some(c) => {
                c.pragma_update(None, "synchronous", "OFF")?;
                c.pragma_update(None, "cache_size", -65_536)?;
            }
            // The server's counterpart: commits do not wait for the disk (a server crash may lose
            // the last ones, never damage what is kept).
            None => self.conn.execute_batch("SET synchronous_commit = off")?,
        }
        Ok(())
    }

    /// Restore the usual settings and full durability: checkpoint the WAL into the database file and
    /// flush it to disk.
    pub fn end_bulk_load(&self) -> Result<()> {
        let Some(c) = self.conn.lite() else {
            self.conn
                .execute_batch("SET synchronous_commit = on; CHECKPOINT")?;
            return Ok(());
        };
        c.pragma_update(None, "synchronous", "FULL")?;
        c.pragma_update(None, "cache_size", -2_000)?;
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        std::fs::File::open(&self.path)?.sync_all()?;
        Ok(())
    }

    /// The hash at the head of the event log (the genesis hash when it is empty).
    pub fn head_hash(&self) -> Result<String> {
        Ok(super::log::Head::read(&self.conn)?.hash)
    }
}
