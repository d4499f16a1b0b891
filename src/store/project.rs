//! Writing and reading the derived tables. What goes in them is decided by [`crate::record::derive`];
//! this module only moves rows in and out, so the writer and `verify` can never disagree about the
//! shape of a row.

use super::db::Connection;
use crate::params;
use crate::record::derive::*;
use crate::record::fact::Fact;
use crate::record::people::People;
use crate::record::seal::Keyring;
use crate::record::vacancy::VacancyState;
use crate::record::Banks;
use anyhow::Result;

/// Whether a vacancy fact can change that vacancy's derived rows before a decision. Answers,
/// submissions, corrections and the like cannot (scores reach `sealed_sheets` only with the reveal),
/// so scoring stays cheap. Once there is a decision any event may change where its review stands:
/// the caller checks that after folding.
pub fn changes_rows(f: &Fact) -> bool {
    !matches!(
        f,
        Fact::Answer(_)
            | Fact::Submit(_)
            | Fact::Correction(_)
            | Fact::Considered(_)
            | Fact::SubjectAccess(_)
            | Fact::Review(_)
            | Fact::ReviewAnswer(_)
    )
}

/// The keys a vacancy's derived rows and reports need, as the record introduced them.
pub fn key_intros(v: &VacancyState) -> Vec<&crate::record::seal::KeyIntro> {
    let mut out = Vec::new();
    for c in &v.candidates {
        out.extend(c.key.iter());
        out.extend(c.monitoring_key.iter());
    }
    for m in &v.panel {
        out.extend(m.ethnicity.iter().map(|d| &d.key));
    }
    out
}

/// Their ids.
pub fn key_ids(v: &VacancyState) -> Vec<i64> {
    key_intros(v).into_iter().map(|k| k.id).collect()
}

const DELETE_VACANCY: &[&str] = &[
    "DELETE FROM monitoring WHERE candidate IN (SELECT id FROM candidates WHERE vacancy = ?1)",
    "DELETE FROM sealed_sheets WHERE candidate IN (SELECT id FROM candidates WHERE vacancy = ?1)",
    "DELETE FROM panellist_ethnicity WHERE panellist IN (SELECT id FROM panellists WHERE vacancy = ?1)",
    "DELETE FROM candidates WHERE vacancy = ?1",
    "DELETE FROM panellists WHERE vacancy = ?1",
    "DELETE FROM vacancy_questions WHERE vacancy = ?1",
    "DELETE FROM decisions WHERE vacancy = ?1",
    "DELETE FROM vacancies WHERE id = ?1",
];

/// Replace a vacancy's derived rows with those derived from its state.
pub fn write_vacancy(conn: &Connection, v: &VacancyState, keys: &Keyring) -> Result<()> {
    let rows = vacancy_rows(v, keys)?;
    for sql in DELETE_VACANCY {
        conn.prepare_cached(sql)?.execute([&v.id])?;
    }
    insert_vacancy_rows(conn, &rows)
}

pub fn insert_vacancy_rows(conn: &Connection, rows: &VacancyRows) -> Result<()> {
    let mut s = conn.prepare_cached(
        "INSERT INTO vacancies (id, title, band, service, bank_sha, policy_source, policy_yaml, created_at,
                                questions, decided, overridden_gaps, coverage_overridden, review_status,
                                review_required, reviews, returns, decided_at, signed_off_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?;
    for r in &rows.vacancy {
        s.execute(params![
            r.id,
            r.title,
            r.band,
            r.service,
            r.bank_sha,
            r.policy_source,
            r.policy_yaml,
            r.created_at,
            r.questions,
            r.decided,
            r.overridden_gaps,
            r.coverage_overridden,
            r.review_status,
            r.review_required,
            r.reviews,
            r.returns,
            r.decided_at,
            r.signed_off_at
        ])?;
    }
    let mut s = conn.prepare_cached(
        "INSERT INTO vacancy_questions (vacancy, position, question, category) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for r in &rows.questions {
        s.execute(params![r.vacancy, r.position, r.question, r.category])?;
    }
    let mut s = conn.prepare_cached(
        "INSERT INTO panellists (id, vacancy, person, role, trained_on, stood_down) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for r in &rows.panellists {
        s.execute(params![
            r.id,
            r.vacancy,
            r.person,
            r.role,
            r.trained_on,
            r.stood_down
        ])?;
    }
    let mut s = conn
        .prepare_cached("INSERT INTO panellist_ethnicity (panellist, nhs_code) VALUES (?1, ?2)")?;
    for r in &rows.ethnicity {
        s.execute(params![r.panellist, r.nhs_code])?;
    }
    let mut s = conn.prepare_cached(
        "INSERT INTO candidates (id, vacancy, ref, interview, revealed, withdrawn) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for r in &rows.candidates {
        s.execute(params![
            r.id,
            r.vacancy,
            r.reference,
            r.interview,
            r.revealed,
            r.withdrawn
        ])?;
    }
    let mut s = conn.prepare_cached(
        "INSERT INTO monitoring (candidate, stage, ethnicity, gender, disability, internal) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for r in &rows.monitoring {
        s.execute(params![
            r.candidate,
            r.stage,
            r.ethnicity,
            r.gender,
            r.disability,
            r.internal
        ])?;
    }
    let mut s = conn.prepare_cached(
        "INSERT INTO sealed_sheets (sheet, candidate, panellist, scores) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for r in &rows.sealed {
        s.execute(params![r.sheet, r.candidate, r.panellist, r.scores])?;
    }
    let mut s = conn.prepare_cached(
        "INSERT INTO decisions (seq, vacancy, appointed, revision, unresolved) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for r in &rows.decisions {
        s.execute(params![
            r.seq,
            r.vacancy,
            r.appointed,
            r.revision,
            r.unresolved
        ])?;
    }
    Ok(())
}

pub fn write_person(conn: &Connection, people: &People, id: i64) -> Result<()> {
    let rows = person_rows(people, id);
    conn.prepare_cached("DELETE FROM invites WHERE person = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM sessions WHERE person = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM people WHERE id = ?1")?
        .execute([id])?;
    insert_person_rows(conn, &rows)
}

pub fn insert_person_rows(conn: &Connection, rows: &PersonRows) -> Result<()> {
    let mut s = conn.prepare_cached(
        "INSERT INTO people (id, name, roles, trained_on, has_credential) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for r in &rows.person {
        s.execute(params![
            r.id,
            r.name,
            r.roles,
            r.trained_on,
            r.has_credential
        ])?;
    }
    let mut s = conn.prepare_cached(
        "INSERT INTO invites (token_sha256, person, purpose, expires_at, usable) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for r in &rows.invites {
        s.execute(params![
            r.token_sha256,
            r.person,
            r.purpose,
            r.expires_at,
            r.usable
        ])?;
    }
    let mut s = conn.prepare_cached(
        "INSERT INTO sessions (token_sha256, person, expires_at, live) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for r in &rows.sessions {
        s.execute(params![r.token_sha256, r.person, r.expires_at, r.live])?;
    }
    Ok(())
}

pub fn write_bank(conn: &Connection, sha: &str, banks: &Banks) -> Result<()> {
    let b = &banks.by_sha[sha];
    let yaml = bank_yaml(conn, sha)?;
    conn.prepare_cached(
        "INSERT INTO banks (sha256, bank_id, version, yaml) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (sha256) DO UPDATE SET bank_id = excluded.bank_id, version = excluded.version,
             yaml = excluded.yaml",
    )?
    .execute(params![sha, b.id, b.version, yaml])?;
    Ok(())
}

/// The YAML of a stored bank, from its event.
fn bank_yaml(conn: &Connection, sha: &str) -> Result<String> {
    let payload: String = conn.query_row(
        "SELECT payload FROM events WHERE scope = ?1 AND scope_seq = 1",
        [format!("bank:{sha}")],
        |r| r.get(0),
    )?;
    match Fact::parse("bank.store", &payload) {
        Ok(Fact::BankStore(b)) => Ok(b.yaml),
        _ => anyhow::bail!("the bank's event does not read back"),
    }
}

pub fn write_scope_head(
    conn: &Connection,
    scope: &str,
    idx: i64,
    count: i64,
    last_seq: i64,
    last_hash: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO scope_heads (scope, idx, count, last_seq, last_hash) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (scope) DO UPDATE SET idx = excluded.idx, count = excluded.count,
             last_seq = excluded.last_seq, last_hash = excluded.last_hash",
    )?
    .execute(params![scope, idx, count, last_seq, last_hash])?;
    Ok(())
}
