//! Upgrading a database written by an older fairpanel (schema 1 to 4).
//!
//! Those versions kept their tables beside a hash-chained log rather than deriving them from it, and
//! recorded actors as free names without proof. The upgrade checks the old log's chain, then
//! re-records the old history as events in the current form, in the old log's order, with the old
//! times and actors (authentication `legacy`: nobody proved who they were), and keeps the old log in
//! `legacy_events`, where `verify` still checks its chain and that the new record names its length and
//! head hash. Personal data (names, evidence, monitoring, self-declared ethnicity) is sealed under new
//! keys, as in any new record. Panellists become people by name; they need invitations to act again.
//!
//! Values the old log did not record are taken as they stood at the upgrade: a panellist's
//! self-declared ethnicity and each candidate's monitoring record.

use super::db::{Connection, OptionalExtension};
use super::Tx;
use crate::model::Role;
use crate::params;
use crate::record::chain::{Actor, ActorId, Auth, GENESIS};
use crate::record::fact::{self, Fact};
use crate::record::seal::{self, Purpose};
use crate::record::Scope;
use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The old log as kept after an upgrade.
pub const KEPT_SCHEMA: &str = r#"
CREATE TABLE legacy_events (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    payload   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER legacy_events_append_only_u BEFORE UPDATE ON legacy_events
    BEGIN SELECT RAISE(ABORT, 'the old event log is read-only'); END;
CREATE TRIGGER legacy_events_append_only_d BEFORE DELETE ON legacy_events
    BEGIN SELECT RAISE(ABORT, 'the old event log is read-only'); END;
CREATE TRIGGER legacy_events_insert BEFORE INSERT ON legacy_events WHEN fp_writer() IS NOT 1
    BEGIN SELECT RAISE(ABORT, 'the old event log is read-only'); END;
"#;

/// The old chain's hash: SHA-256 of its fields, newline-separated.
fn v1_hash(
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

/// Check an old log's chain; returns its length and head hash.
fn check_chain(conn: &Connection, table: &str) -> Result<(i64, String), String> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT seq, at, actor, action, entity, payload, prev_hash, hash FROM {table} ORDER BY seq"
        ))
        .map_err(|e| e.to_string())?;
    let mut rows = stmt.query(()).map_err(|e| e.to_string())?;
    let mut prev = GENESIS.to_string();
    let mut expect = 1;
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        let get = |i| r.get::<_, String>(i).map_err(|e| e.to_string());
        let seq: i64 = r.get(0).map_err(|e| e.to_string())?;
        if seq != expect {
            return Err(format!(
                "the old log jumps from event {} to {seq}",
                expect - 1
            ));
        }
        let (at, actor, action, entity, payload, p, hash) = (
            get(1)?,
            get(2)?,
            get(3)?,
            get(4)?,
            get(5)?,
            get(6)?,
            get(7)?,
        );
        if p != prev || v1_hash(&p, seq, &at, &actor, &action, &entity, &payload) != hash {
            return Err(format!("old event {seq} was edited after it was written"));
        }
        prev = hash;
        expect += 1;
    }
    Ok((expect - 1, prev))
}

/// `verify` on an upgraded database: the old chain holds, and the new record names its end.
pub fn verify_legacy(conn: &Connection) -> Result<(), String> {
    let (n, head) = check_chain(conn, "legacy_events")?;
    let payload: Option<String> = conn
        .query_row(
            "SELECT payload FROM events WHERE action = 'legacy.import' ORDER BY seq LIMIT 1",
            (),
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| e.to_string())?;
    let Some(Ok(Fact::LegacyImport(li))) = payload.map(|p| Fact::parse("legacy.import", &p)) else {
        return Err("the record does not say where the old log ended".into());
    };
    if li.events != n || li.head != head {
        return Err(format!(
            "the old log now has {n} events ending {}, but the upgrade recorded {} ending {}",
            &head[..12],
            li.events,
            &li.head[..12.min(li.head.len())]
        ));
    }
    Ok(())
}

/// Old names become people; a name fairpanel would now refuse is made safe.
fn clean_name(s: &str) -> String {
    let mut n: String = crate::model::display_safe(s.trim())
        .chars()
        .take(crate::model::MAX_NAME)
        .collect();
    if n.trim().is_empty() {
        n = "unnamed".into();
    }
    n.trim().to_string()
}

struct Old {
    vacancy: String,
}

/// Re-record a schema-4 database in the current form, inside the migration's transaction.
pub fn upgrade(conn: &Connection) -> Result<()> {
    let (n, head) = check_chain(conn, "events").map_err(|m| {
        anyhow!("the database's log does not verify ({m}); it was left as it was. Restore it from a backup")
    })?;
    // Read what the old tables hold.
    let banks: HashMap<i64, (String, String)> =
        rows(conn, "SELECT id, sha256, yaml FROM banks", |r| {
            Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?)))
        })?
        .into_iter()
        .collect();
    type VacRow = (
        String,
        String,
        Option<String>,
        Option<String>,
        i64,
        String,
        String,
    );
    let vacancies: HashMap<String, VacRow> = rows(
        conn,
        "SELECT id, title, band, service, bank, policy_source, policy_yaml FROM vacancies",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                (
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ),
            ))
        },
    )?
    .into_iter()
    .collect();
    let questions: HashMap<String, Vec<String>> = {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for (v, q) in rows(
            conn,
            "SELECT vacancy, question FROM vacancy_questions ORDER BY vacancy, position",
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )? {
            m.entry(v).or_default().push(q);
        }
        m
    };
    // panellists: (vacancy, name) -> (role, trained_on, ethnicity)
    type Member = (String, Option<String>, Option<String>);
    let panellists: HashMap<(String, String), Member> = rows(
        conn,
        "SELECT p.vacancy, p.name, p.role, p.trained_on, e.nhs_code FROM panellists p
         LEFT JOIN panellist_ethnicity e ON e.panellist = p.id",
        |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?, r.get(4)?))),
    )?
    .into_iter()
    .collect();
    let candidate_names: HashMap<(String, String), Option<String>> =
        rows(conn, "SELECT vacancy, ref, name FROM candidates", |r| {
            Ok(((r.get(0)?, r.get(1)?), r.get(2)?))
        })?
        .into_iter()
        .collect();
    let conflicts: HashMap<(String, String, String), String> = rows(
        conn,
        "SELECT p.vacancy, p.name, c.ref, k.note FROM conflicts k
         JOIN panellists p ON p.id = k.panellist JOIN candidates c ON c.id = k.candidate",
        |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)),
    )?
    .into_iter()
    .collect();
    type AnswerRow = (i64, String, i64, String, Option<String>);
    let answers: HashMap<i64, AnswerRow> = rows(
        conn,
        "SELECT event, question, score, evidence, correction_reason FROM answers",
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
            ))
        },
    )?
    .into_iter()
    .collect();
    let moderations: HashMap<i64, (String, i64, Option<String>)> = rows(
        conn,
        "SELECT event, question, score, reason FROM moderations",
        |r| Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))),
    )?
    .into_iter()
    .collect();
    let decisions: HashMap<i64, (String, String, String, Option<String>)> = rows(
        conn,
        "SELECT d.event, c.ref, d.reserves, d.rationale, d.unresolved_reason FROM decisions d
         JOIN candidates c ON c.id = d.appointed",
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
            ))
        },
    )?
    .into_iter()
    .collect();
    let monitoring: Vec<(String, String, fact::Monitoring)> = rows(
        conn,
        "SELECT c.vacancy, c.ref, m.stage, m.ethnicity, m.gender, m.disability, m.internal
         FROM monitoring m JOIN candidates c ON c.id = m.candidate ORDER BY c.vacancy, c.id",
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                fact::Monitoring {
                    stage: r.get(2)?,
                    ethnicity: r.get(3)?,
                    gender: r.get(4)?,
                    disability: r.get(5)?,
                    internal: r.get::<_, Option<i64>>(6)?.map(|i| i != 0),
                },
            ))
        },
    )?;
    type OldEvent = (i64, String, String, String, String);
    let old_events: Vec<OldEvent> = rows(
        conn,
        "SELECT seq, at, actor, action, entity FROM events ORDER BY seq",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;

    // Keep the old log, drop the old tables, create the current ones.
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS events_append_only_u; DROP TRIGGER IF EXISTS events_append_only_d;
         DROP TRIGGER IF EXISTS answers_append_only_u; DROP TRIGGER IF EXISTS answers_append_only_d;
         DROP TRIGGER IF EXISTS answers_sealed; DROP TRIGGER IF EXISTS sheets_sealed;",
    )?;
    conn.execute_batch(KEPT_SCHEMA)?;
    conn.execute_batch(
        "INSERT INTO legacy_events SELECT seq, at, actor, action, entity, payload, prev_hash, hash FROM events;
         DROP TABLE events; DROP TABLE IF EXISTS sealed_sheets; DROP TABLE IF EXISTS sealed_scores;
         DROP TABLE answers; DROP TABLE sheets; DROP TABLE moderations; DROP TABLE decisions;
         DROP TABLE monitoring; DROP TABLE conflicts; DROP TABLE panellist_ethnicity;
         DROP TABLE candidates; DROP TABLE panellists; DROP TABLE vacancy_questions;
         DROP TABLE vacancies; DROP TABLE banks;",
    )?;
    conn.execute_batch(&super::schema::current())?;

    let mut t = Tx::begin(conn, Actor::system())?;
    t.append(
        Scope::Org,
        Fact::LegacyImport(fact::LegacyImport {
            events: n,
            head,
            schema: 4,
        }),
    )?;
    let mut people: HashMap<String, i64> = HashMap::new();
    let mut keys: HashMap<(String, String), (i64, seal::Key)> = HashMap::new();
    let legacy = |who: &str| Actor {
        id: ActorId::Login(clean_name(who)),
        auth: Auth::Legacy,
    };
    let mut stored_banks = std::collections::HashSet::new();
    for (seq, at, actor, action, entity) in &old_events {
        let parts: Vec<&str> = entity.split('/').collect();
        let vac = || -> Result<Old> {
            match parts.as_slice() {
                ["vacancy", v, ..] => Ok(Old {
                    vacancy: v.to_string(),
                }),
                _ => bail!("old event {seq} names no vacancy"),
            }
        };
        let who = legacy(actor);
        match action.as_str() {
            "vacancy.create" => {
                let o = vac()?;
                let (id, title, band, service, bank, source, policy) = vacancies
                    .get(&o.vacancy)
                    .cloned()
                    .ok_or_else(|| anyhow!("old vacancy {} is missing", o.vacancy))?;
                let (sha, yaml) = banks
                    .get(&bank)
                    .cloned()
                    .ok_or_else(|| anyhow!("old bank missing"))?;
                if stored_banks.insert(sha.clone()) && !t.bank_stored(&sha)? {
                    let b = crate::bank::parse_recorded(&yaml, "stored bank")
                        .map_err(|e| anyhow!("{e}"))?;
                    t.set_actor(who.clone());
                    t.append_at(
                        Scope::Bank(sha.clone()),
                        Fact::BankStore(fact::BankStore {
                            id: b.id,
                            version: b.version,
                            sha256: sha.clone(),
                            yaml,
                        }),
                        at,
                    )?;
                }
                t.set_actor(who);
                t.append_at(
                    Scope::Vacancy(id.clone()),
                    Fact::VacancyCreate(fact::VacancyCreate {
                        title,
                        band,
                        service,
                        bank: sha,
                        questions: questions.get(&id).cloned().unwrap_or_default(),
                        policy_source: source,
                        policy_yaml: policy,
                        coverage_override: None,
                    }),
                    at,
                )?;
            }
            "panel.add" => {
                let o = vac()?;
                let name = parts.get(3).copied().unwrap_or_default().to_string();
                let (role, trained, eth) = panellists
                    .get(&(o.vacancy.clone(), name.clone()))
                    .cloned()
                    .ok_or_else(|| anyhow!("old panellist {name} is missing"))?;
                let person = match people.get(&name) {
                    Some(p) => *p,
                    None => {
                        t.set_actor(who.clone());
                        let p = t.next_seq();
                        t.append_at(
                            Scope::Person(p),
                            Fact::PersonAdd(fact::PersonAdd {
                                name: clean_name(&name),
                                roles: vec![],
                                trained_on: None,
                            }),
                            at,
                        )?;
                        people.insert(name.clone(), p);
                        p
                    }
                };
                let ethnicity = match eth {
                    Some(code) => {
                        let (kid, key) = t.new_key()?;
                        Some(fact::DeclaredEthnicity {
                            key: seal::intro(kid, &key),
                            code: seal::seal(kid, &key, Purpose::PanellistEthnicity, &code),
                        })
                    }
                    None => None,
                };
                t.set_actor(who);
                t.append_at(
                    Scope::Vacancy(o.vacancy),
                    Fact::PanelAdd(fact::PanelAdd {
                        person,
                        role: Role::parse(&role).unwrap_or(Role::Member),
                        trained_on: trained,
                        ethnicity,
                    }),
                    at,
                )?;
            }
            "candidate.add" => {
                let o = vac()?;
                let r = parts.get(3).copied().unwrap_or_default().to_string();
                let (kid, key) = t.new_key()?;
                let name = candidate_names
                    .get(&(o.vacancy.clone(), r.clone()))
                    .cloned()
                    .flatten()
                    .map(|n| seal::seal(kid, &key, Purpose::CandidateName, &n));
                keys.insert((o.vacancy.clone(), r.clone()), (kid, key));
                t.set_actor(who);
                t.append_at(
                    Scope::Vacancy(o.vacancy),
                    Fact::CandidateAdd(fact::CandidateAdd {
                        reference: r,
                        key: seal::intro(kid, &key),
                        name,
                    }),
                    at,
                )?;
            }
            "panel.conflict" => {
                let o = vac()?;
                let name = parts.get(3).copied().unwrap_or_default().to_string();
                let person = *people
                    .get(&name)
                    .ok_or_else(|| anyhow!("unknown panellist {name}"))?;
                for ((v, p, c), note) in conflicts
                    .iter()
                    .filter(|((v, p, _), _)| v == &o.vacancy && p == &name)
                {
                    let _ = (v, p);
                    t.set_actor(who.clone());
                    t.append_at(
                        Scope::Vacancy(o.vacancy.clone()),
                        Fact::Conflict(fact::Conflict {
                            person,
                            candidate: c.clone(),
                            note: note.clone(),
                        }),
                        at,
                    )?;
                }
            }
            "score.answer" | "score.correct" => {
                let o = vac()?;
                let r = parts.get(3).copied().unwrap_or_default().to_string();
                let name = parts.get(5).copied().unwrap_or_default().to_string();
                let person = *people
                    .get(&name)
                    .ok_or_else(|| anyhow!("unknown panellist {name}"))?;
                let (_, question, score, evidence, correction) = answers
                    .get(seq)
                    .cloned()
                    .ok_or_else(|| anyhow!("old answer {seq} missing"))?;
                let (kid, key) = *keys
                    .get(&(o.vacancy.clone(), r.clone()))
                    .ok_or_else(|| anyhow!("unknown candidate {r}"))?;
                let evidence = seal::seal(kid, &key, Purpose::Evidence, &evidence);
                t.set_actor(who);
                let fact = match correction {
                    Some(reason) => Fact::Correction(fact::Correction {
                        reference: r,
                        person,
                        question,
                        score,
                        evidence,
                        reason,
                        transcribed: None,
                    }),
                    None => Fact::Answer(fact::Answer {
                        reference: r,
                        person,
                        question,
                        score,
                        evidence,
                        transcribed: None,
                    }),
                };
                t.append_at(Scope::Vacancy(o.vacancy), fact, at)?;
            }
            "sheet.submit" => {
                let o = vac()?;
                let r = parts.get(3).copied().unwrap_or_default().to_string();
                let name = parts.get(5).copied().unwrap_or_default().to_string();
                let person = *people
                    .get(&name)
                    .ok_or_else(|| anyhow!("unknown panellist {name}"))?;
                t.set_actor(who.clone());
                t.append_at(
                    Scope::Vacancy(o.vacancy.clone()),
                    Fact::Submit(fact::Submit {
                        reference: r.clone(),
                        person,
                        transcribed: None,
                    }),
                    at,
                )?;
                let v = t.vacancy(&o.vacancy)?;
                if v.ready_to_reveal().contains(&r) {
                    let panel = v.active_panel().map(|m| m.person).collect();
                    t.append_at(
                        Scope::Vacancy(o.vacancy),
                        Fact::Reveal(fact::Reveal {
                            reference: r,
                            panel,
                        }),
                        at,
                    )?;
                }
            }
            "moderate" => {
                let o = vac()?;
                let r = parts.get(3).copied().unwrap_or_default().to_string();
                let (question, score, reason) = moderations
                    .get(seq)
                    .cloned()
                    .ok_or_else(|| anyhow!("old moderation {seq} missing"))?;
                let again = t.vacancy(&o.vacancy)?.moderation(&r, &question).is_some();
                t.set_actor(who);
                t.append_at(
                    Scope::Vacancy(o.vacancy),
                    Fact::Moderate(fact::Moderate {
                        reference: r,
                        question,
                        score,
                        reason,
                        revision_reason: again
                            .then(|| "recorded before revisions needed a reason".to_string()),
                    }),
                    at,
                )?;
            }
            "decide" => {
                let o = vac()?;
                let (appointed, reserves, rationale, unresolved) = decisions
                    .get(seq)
                    .cloned()
                    .ok_or_else(|| anyhow!("old decision {seq} missing"))?;
                let again = t.vacancy(&o.vacancy)?.decision().is_some();
                t.set_actor(who);
                t.append_at(
                    Scope::Vacancy(o.vacancy),
                    Fact::Decide(fact::Decide {
                        appointed,
                        reserves: serde_json::from_str(&reserves).unwrap_or_default(),
                        rationale,
                        unresolved_reason: unresolved,
                        revision_reason: again
                            .then(|| "recorded before revisions needed a reason".to_string()),
                    }),
                    at,
                )?;
            }
            // Values these recorded are carried over below, as they stood at the upgrade.
            "applications.import" | "candidate.erase-monitoring" | "panel.ethnicity" => {}
            other => bail!("old event {seq} has an action this upgrade does not know: {other}"),
        }
    }
    // Monitoring records as they stood, one import per vacancy.
    let mut by_vacancy: HashMap<String, Vec<(String, fact::Monitoring)>> = HashMap::new();
    for (v, r, m) in monitoring {
        by_vacancy.entry(v).or_default().push((r, m));
    }
    let mut vs: Vec<_> = by_vacancy.into_iter().collect();
    vs.sort_by(|a, b| a.0.cmp(&b.0));
    t.set_actor(Actor {
        id: ActorId::Login("upgrade".into()),
        auth: Auth::Legacy,
    });
    for (v, recs) in vs {
        let mut rows_out = Vec::new();
        for (r, m) in recs {
            let (kid, key) = t.new_key()?;
            rows_out.push(fact::ApplicationRow {
                reference: r,
                key: Some(seal::intro(kid, &key)),
                m: seal::seal(kid, &key, Purpose::Monitoring, &serde_json::to_string(&m)?),
            });
        }
        t.append(
            Scope::Vacancy(v),
            Fact::Applications(fact::Applications { rows: rows_out }),
        )?;
    }
    t.finish().context("writing the upgraded tables")?;
    let _ = params![];
    Ok(())
}

fn rows<T>(
    conn: &Connection,
    sql: &str,
    f: impl FnMut(&super::db::Row<'_>) -> super::db::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare(sql)?;
    let out = stmt
        .query_map((), f)?
        .collect::<super::db::Result<Vec<T>>>()?;
    Ok(out)
}
