//! Candidates and applicants: adding, withdrawing, pipeline imports, subject access and erasure.

use crate::record::fact::{self, Erasure, Fact, OrgRole};
use crate::record::seal::{self, Purpose};
use crate::record::Scope;
use crate::store::Tx;
use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use std::collections::BTreeMap;

pub fn add(tx: &mut Tx<'_>, vacancy: &str, reference: &str, name: Option<&str>) -> Result<()> {
    crate::model::check_ident(reference, "a candidate ref")?;
    if let Some(n) = name {
        crate::model::check_name(n, "the candidate's name")?;
    }
    let v = tx.vacancy(vacancy)?;
    if v.candidate(reference).is_some_and(|c| c.interview) {
        bail!("vacancy {vacancy} already has a candidate {reference:?}");
    }
    let (kid, key) = tx.new_key()?;
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::CandidateAdd(fact::CandidateAdd {
            reference: reference.to_string(),
            key: seal::intro(kid, &key),
            name: name.map(|n| seal::seal(kid, &key, Purpose::CandidateName, n)),
        }),
    )?;
    Ok(())
}

/// A candidate withdrew (or was withdrawn): the chair records it with a reason, so a decision need
/// not wait for their scores.
pub fn withdraw(tx: &mut Tx<'_>, vacancy: &str, reference: &str, reason: &str) -> Result<()> {
    crate::model::check_text(reason, "the reason")?;
    super::require_chair(tx, vacancy, "withdrawing a candidate")?;
    let v = tx.vacancy(vacancy)?;
    match v.candidate(reference) {
        Some(c) if c.interview && c.withdrawn.is_none() => {}
        Some(c) if c.withdrawn.is_some() => bail!("{reference} has already withdrawn"),
        _ => bail!("vacancy {vacancy} has no candidate {reference:?}"),
    }
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::CandidateWithdraw(fact::CandidateWithdraw {
            reference: reference.to_string(),
            reason: reason.to_string(),
        }),
    )?;
    Ok(())
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

/// Import pipeline records (all or nothing: the caller's transaction), one event per vacancy. Each
/// applicant's monitoring record is sealed under a key of their own, so it can be erased; the log
/// holds no digest of the file (a digest of a small file can be reversed by guessing).
pub fn import_applications(
    tx: &mut Tx<'_>,
    records: &[Application],
    progress: &dyn Fn(u64),
) -> Result<usize> {
    let mut by_vacancy: BTreeMap<&str, Vec<&Application>> = BTreeMap::new();
    for r in records {
        by_vacancy.entry(r.vacancy.as_str()).or_default().push(r);
    }
    for (vacancy, recs) in by_vacancy {
        if !tx.has_vacancy(vacancy)? {
            bail!("vacancy {vacancy:?} does not exist");
        }
        // The last record for an applicant wins, as a re-import does.
        let mut latest: BTreeMap<&str, &Application> = BTreeMap::new();
        let mut order: Vec<&str> = Vec::new();
        for r in &recs {
            if latest.insert(r.candidate.as_str(), r).is_none() {
                order.push(r.candidate.as_str());
            }
        }
        let mut rows = Vec::with_capacity(order.len());
        for reference in order {
            crate::model::check_ident(reference, "a candidate ref")?;
            let r = latest[reference];
            let m = fact::Monitoring {
                stage: r.stage.clone(),
                ethnicity: r.ethnicity.clone(),
                gender: r.gender.clone(),
                disability: r.disability.clone(),
                internal: r.internal,
            };
            let existing = tx
                .vacancy(vacancy)?
                .candidate(reference)
                .and_then(|c| c.monitoring_key.clone());
            let (kid, key, intro) = match existing {
                Some(k) => (k.id, tx.key(k.id)?, None),
                None => {
                    let (kid, key) = tx.new_key()?;
                    (kid, key, Some(seal::intro(kid, &key)))
                }
            };
            rows.push(fact::ApplicationRow {
                reference: reference.to_string(),
                key: intro,
                m: seal::seal(kid, &key, Purpose::Monitoring, &serde_json::to_string(&m)?),
            });
            progress(1);
        }
        for chunk in rows.chunks(0xFFF0) {
            tx.append(
                Scope::Vacancy(vacancy.to_string()),
                Fact::Applications(fact::Applications {
                    rows: chunk.to_vec(),
                }),
            )?;
        }
        // Written now and forgotten: a trust's whole pipeline touches every vacancy, and holding
        // every vacancy's state until the commit took gigabytes.
        tx.flush_vacancy(vacancy)?;
    }
    Ok(records.len())
}

/// HR acts here, and never as a member of this vacancy's panel.
fn hr_not_panel(tx: &mut Tx<'_>, vacancy: &str, what: &str) -> Result<i64> {
    let me = super::require_role(tx, OrgRole::Hr, what)?;
    if tx.vacancy(vacancy)?.member(me).is_some() {
        bail!("{what} is refused to a member of {vacancy}'s panel, even one who holds the HR role");
    }
    Ok(me)
}

/// Erase a candidate's monitoring data, or everything personal about them, by destroying the keys
/// that seal it. Returns whether anything was there to erase.
pub fn erase(tx: &mut Tx<'_>, vacancy: &str, reference: &str, what: Erasure) -> Result<bool> {
    hr_not_panel(tx, vacancy, "erasing personal data")?;
    let v = tx.vacancy(vacancy)?;
    let c = v
        .candidate(reference)
        .ok_or_else(|| anyhow!("vacancy {vacancy} has no candidate or applicant {reference:?}"))?;
    let mut keys: Vec<i64> = c.monitoring_key.iter().map(|k| k.id).collect();
    if what == Erasure::All {
        keys.extend(c.key.iter().map(|k| k.id));
    }
    let any = !keys.is_empty();
    tx.destroy_keys(&keys)?;
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::Erase(fact::Erase {
            reference: reference.to_string(),
            what,
            keys,
        }),
    )?;
    Ok(any)
}

/// Everything held about one candidate, for a subject access request.
#[derive(Debug, Serialize)]
pub struct SubjectAccess {
    pub vacancy: String,
    pub title: String,
    pub candidate: String,
    pub name: Option<String>,
    pub interviewed: bool,
    pub withdrawn: Option<String>,
    pub monitoring: Option<fact::Monitoring>,
    /// Said plainly when sheets are still sealed from the panel.
    pub sealed_note: Option<String>,
    /// Every score sheet about them, with every entry (replaced answers and corrections included).
    pub sheets: Vec<SheetExport>,
    pub moderations: Vec<ModerationExport>,
    pub decisions: Vec<DecisionExport>,
    pub conflicts_declared: Vec<ConflictExport>,
    pub erasures: Vec<String>,
    /// Who exported this, and when.
    pub exported_by: String,
    pub exported_at: String,
}

#[derive(Debug, Serialize)]
pub struct SheetExport {
    pub panellist: String,
    /// Still sealed from the panel (the candidate is not revealed yet).
    pub sealed: bool,
    pub opened_at: String,
    pub submitted_at: Option<String>,
    pub withdrawn: Option<String>,
    pub entries: Vec<EntryExport>,
}

#[derive(Debug, Serialize)]
pub struct EntryExport {
    pub question: String,
    pub score: i64,
    pub evidence: String,
    pub recorded_at: String,
    pub kind: String,
    pub reason: Option<String>,
    pub transcribed: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ModerationExport {
    pub question: String,
    pub score: i64,
    pub reason: Option<String>,
    pub revision_reason: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Serialize)]
pub struct DecisionExport {
    pub appointed: String,
    pub reserves: Vec<String>,
    pub rationale: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Serialize)]
pub struct ConflictExport {
    pub panellist: String,
    pub note: String,
}

pub const SEALED_NOTE: &str = "Some of these score sheets were still sealed from the panel when this \
export was made: no panellist, chair or administrator had seen them. They are given to the data subject \
under subject access; the export itself is on the record.";

/// Subject access: HR exports everything held about one candidate; the export is recorded.
pub fn subject_access(tx: &mut Tx<'_>, vacancy: &str, reference: &str) -> Result<SubjectAccess> {
    let me = hr_not_panel(tx, vacancy, "subject access")?;
    let exported_by = tx.person(me)?.name.clone();
    let v = tx.vacancy(vacancy)?.clone();
    let c = v
        .candidate(reference)
        .ok_or_else(|| anyhow!("vacancy {vacancy} has no candidate or applicant {reference:?}"))?
        .clone();
    let mut keys = tx.keyring().clone();
    for k in crate::store::key_ids(&v) {
        if keys.get(k).is_none() && !v.erased_keys.contains(&k) {
            let key = tx.key(k)?;
            keys.insert(k, key);
        }
    }
    for k in &v.erased_keys {
        keys.mark_erased(*k);
    }
    let erased = crate::report::decision::ERASED.to_string();
    let mut ids: Vec<i64> = v.panel.iter().map(|m| m.person).collect();
    ids.extend(v.moderations.iter().filter_map(|m| m.by.person()));
    ids.extend(v.decisions.iter().filter_map(|d| d.by.person()));
    for id in ids {
        tx.person(id)?;
    }
    let people = tx.people().clone();
    let name_of = |id: i64| {
        people
            .get(id)
            .map_or_else(|| format!("person {id}"), |p| p.name.clone())
    };
    let mut sealed = 0;
    let mut sheets = Vec::new();
    for s in v.sheets.iter().filter(|s| s.candidate == reference) {
        let is_sealed = c.revealed.is_none();
        if is_sealed {
            sealed += 1;
        }
        let mut entries = Vec::new();
        for e in &s.entries {
            entries.push(EntryExport {
                question: e.question.clone(),
                score: e.score,
                evidence: keys
                    .read(Purpose::Evidence, &e.evidence)?
                    .unwrap_or_else(|| erased.clone()),
                recorded_at: e.by.at.clone(),
                kind: format!("{:?}", e.kind).to_lowercase(),
                reason: e.reason.clone(),
                transcribed: e.transcribed.clone(),
            });
        }
        sheets.push(SheetExport {
            panellist: name_of(s.person),
            sealed: is_sealed,
            opened_at: s.opened.at.clone(),
            submitted_at: s.submitted.as_ref().map(|b| b.at.clone()),
            withdrawn: s.withdrawn.clone(),
            entries,
        });
    }
    let monitoring = crate::record::derive::monitoring_of(&c, &keys)?;
    let name = match &c.name {
        Some(n) => Some(
            keys.read(Purpose::CandidateName, n)?
                .unwrap_or_else(|| erased.clone()),
        ),
        None => None,
    };
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::SubjectAccess(fact::SubjectAccess {
            reference: reference.to_string(),
            sealed_sheets: sealed,
        }),
    )?;
    Ok(SubjectAccess {
        vacancy: v.id.clone(),
        title: v.title.clone(),
        candidate: reference.to_string(),
        name,
        interviewed: c.interview,
        withdrawn: c.withdrawn.as_ref().map(|(_, r)| r.clone()),
        monitoring,
        sealed_note: (sealed > 0).then(|| SEALED_NOTE.to_string()),
        sheets,
        moderations: v
            .moderations
            .iter()
            .filter(|m| m.reference == reference)
            .map(|m| ModerationExport {
                question: m.question.clone(),
                score: m.score,
                reason: m.reason.clone(),
                revision_reason: m.revision_reason.clone(),
                recorded_by: people.actor_name(&m.by.actor),
                recorded_at: m.by.at.clone(),
            })
            .collect(),
        decisions: v
            .decisions
            .iter()
            .filter(|d| d.appointed == reference || d.reserves.iter().any(|r| r == reference))
            .map(|d| DecisionExport {
                appointed: d.appointed.clone(),
                reserves: d.reserves.clone(),
                rationale: d.rationale.clone(),
                recorded_by: people.actor_name(&d.by.actor),
                recorded_at: d.by.at.clone(),
            })
            .collect(),
        conflicts_declared: v
            .panel
            .iter()
            .flat_map(|m| {
                m.conflicts
                    .iter()
                    .filter(|(r, _, _)| r == reference)
                    .map(|(_, note, _)| ConflictExport {
                        panellist: name_of(m.person),
                        note: note.clone(),
                    })
            })
            .collect(),
        erasures: c
            .erasures
            .iter()
            .map(|(b, w)| {
                format!(
                    "{w:?} erased at {} by {}",
                    b.at,
                    people.actor_name(&b.actor)
                )
            })
            .collect(),
        exported_by,
        exported_at: crate::model::now(),
    })
}
