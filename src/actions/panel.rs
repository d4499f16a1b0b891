//! The panel: adding members (each a person with their own identity), their self-declared
//! ethnicity, conflicts of interest, standing down and renaming.

use super::identity;
use crate::model::Role;
use crate::record::fact::{self, Fact, InvitePurpose, OrgRole};
use crate::record::seal::{self, Purpose};
use crate::record::Scope;
use crate::store::Tx;
use anyhow::{anyhow, bail, Result};

/// What adding a panellist did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Added {
    pub person: i64,
    pub name: String,
    pub role: Role,
    /// A new person was created for them.
    pub new_person: bool,
    /// Their one-time invitation to set a passphrase, when they have none yet (shown once).
    pub invitation: Option<String>,
    pub invitation_expires: Option<String>,
}

/// Adding to or changing a panel once scoring has begun is the chair's decision.
fn setup_or_chair(tx: &mut Tx<'_>, vacancy: &str, what: &str) -> Result<()> {
    if tx.vacancy(vacancy)?.scoring_started() {
        super::require_chair(tx, vacancy, what)?;
    }
    Ok(())
}

fn declaration(tx: &mut Tx<'_>, code: &str) -> Result<fact::DeclaredEthnicity> {
    let (kid, key) = tx.new_key()?;
    Ok(fact::DeclaredEthnicity {
        key: seal::intro(kid, &key),
        code: seal::seal(kid, &key, Purpose::PanellistEthnicity, code),
    })
}

pub fn add(
    tx: &mut Tx<'_>,
    vacancy: &str,
    name: &str,
    role: Role,
    ethnicity: Option<&str>,
    trained_on: Option<&str>,
) -> Result<Added> {
    crate::model::check_name(name, "a panellist's name")?;
    setup_or_chair(tx, vacancy, "adding a panellist after scoring has begun")?;
    let (person, new_person) = identity::person_or_new(tx, name)?;
    let v = tx.vacancy(vacancy)?;
    if v.member(person).is_some() {
        bail!("{name} is already on the panel for {vacancy}");
    }
    if role == Role::Chair {
        if let Some(c) = v.chair() {
            let chair = c.person;
            let cname = tx.person(chair)?.name.clone();
            bail!("vacancy {vacancy} already has a chair ({cname}); add {name:?} as a member or independent");
        }
    }
    let ethnicity = ethnicity.map(|c| declaration(tx, c)).transpose()?;
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::PanelAdd(fact::PanelAdd {
            person,
            role,
            trained_on: trained_on.map(str::to_string),
            ethnicity,
        }),
    )?;
    let p = tx.person(person)?.clone();
    let (invitation, invitation_expires) = if p.credential.is_none() {
        let (t, e) = identity::invite(tx, person, InvitePurpose::Credential)?;
        (Some(t), Some(e))
    } else {
        (None, None)
    };
    Ok(Added {
        person,
        name: p.name,
        role,
        new_person,
        invitation,
        invitation_expires,
    })
}

/// The member called `name` on this panel.
pub fn member(tx: &mut Tx<'_>, vacancy: &str, name: &str) -> Result<i64> {
    let v = tx.vacancy(vacancy)?;
    let ids: Vec<i64> = v.panel.iter().map(|m| m.person).collect();
    for id in ids {
        if tx.person(id)?.name == name {
            return Ok(id);
        }
    }
    let mut names = Vec::new();
    for m in tx.vacancy(vacancy)?.panel.clone() {
        names.push(tx.person(m.person)?.name.clone());
    }
    Err(anyhow!(
        "vacancy {vacancy} has no panellist {name:?} (panel: {})",
        if names.is_empty() {
            "none yet".into()
        } else {
            names.join(", ")
        }
    ))
}

/// Change or withdraw a self-declared ethnicity: only the panellist themself, once declared.
pub fn set_ethnicity(tx: &mut Tx<'_>, vacancy: &str, name: &str, code: Option<&str>) -> Result<()> {
    let person = member(tx, vacancy, name)?;
    let me = tx.actor().authenticated_person();
    if me != Some(person) {
        bail!(
            "a self-declared ethnicity is {name}'s own to change or withdraw: run this as {name} (--as), with their passphrase"
        );
    }
    let old = tx
        .vacancy(vacancy)?
        .member(person)
        .and_then(|m| m.ethnicity.as_ref().map(|d| d.key.id));
    let ethnicity = code.map(|c| declaration(tx, c)).transpose()?;
    let erased: Vec<i64> = old.into_iter().collect();
    tx.destroy_keys(&erased)?;
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::PanelEthnicity(fact::PanelEthnicity {
            person,
            ethnicity,
            erased_keys: erased,
        }),
    )?;
    Ok(())
}

pub fn conflict(
    tx: &mut Tx<'_>,
    vacancy: &str,
    name: &str,
    candidate: &str,
    note: &str,
) -> Result<()> {
    crate::model::check_text(note, "the conflict's description")?;
    let person = member(tx, vacancy, name)?;
    if tx
        .vacancy(vacancy)?
        .candidate(candidate)
        .is_none_or(|c| !c.interview)
    {
        bail!("vacancy {vacancy} has no candidate {candidate:?}");
    }
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::Conflict(fact::Conflict {
            person,
            candidate: candidate.to_string(),
            note: note.to_string(),
        }),
    )?;
    Ok(())
}

/// What standing a panellist down did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoodDown {
    /// Sheets withdrawn (open, or submitted for candidates not yet revealed).
    pub withdrawn: Vec<String>,
    /// Candidates revealed because every remaining panellist's sheet was already in.
    pub revealed: Vec<String>,
}

/// Stand a panellist down (a typo, a conflict of interest, absence): the chair's decision, with a
/// reason. Their sheets for candidates not yet revealed are withdrawn, kept and not counted.
pub fn stand_down(tx: &mut Tx<'_>, vacancy: &str, name: &str, reason: &str) -> Result<StoodDown> {
    crate::model::check_text(reason, "the reason")?;
    super::require_chair(tx, vacancy, "standing a panellist down")?;
    let person = member(tx, vacancy, name)?;
    let v = tx.vacancy(vacancy)?;
    if v.member(person).is_some_and(|m| !m.active()) {
        bail!("{name} has already stood down from {vacancy}");
    }
    let withdrawn: Vec<String> = v
        .sheets
        .iter()
        .filter(|s| s.person == person && s.withdrawn.is_none() && !v.is_revealed(&s.candidate))
        .map(|s| s.candidate.clone())
        .collect();
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::StandDown(fact::StandDown {
            person,
            reason: reason.to_string(),
        }),
    )?;
    let revealed = super::scoring::reveal_ready(tx, vacancy)?;
    Ok(StoodDown {
        withdrawn,
        revealed,
    })
}

/// A panellist's personal link for the browser: a one-time web invitation. Whoever opens it scores as
/// that panellist, so only the vacancy's chair, HR or the panellist themself may have one issued.
pub fn web_invite(tx: &mut Tx<'_>, vacancy: &str, name: &str) -> Result<(String, String)> {
    let person = member(tx, vacancy, name)?;
    let me = super::acting_person(tx, "issuing a personal scoring link")?;
    let chair = tx.vacancy(vacancy)?.chair().map(|c| c.person);
    if me != person && chair != Some(me) && !tx.person(me)?.has(OrgRole::Hr) {
        bail!("only the chair of {vacancy}, HR or {name} may have {name}'s personal link issued");
    }
    if tx
        .vacancy(vacancy)?
        .member(person)
        .is_some_and(|m| !m.active())
    {
        bail!("{name} has stood down from the panel for {vacancy}");
    }
    identity::invite(tx, person, InvitePurpose::Web)
}

/// End every live browser session of a panellist: the chair's act (or their own), recorded.
/// Returns how many were ended.
pub fn sign_out(tx: &mut Tx<'_>, vacancy: &str, name: &str, reason: &str) -> Result<usize> {
    crate::model::check_text(reason, "the reason")?;
    if crate::model::is_blank(reason) {
        bail!("signing someone out needs a reason");
    }
    let person = member(tx, vacancy, name)?;
    if super::acting_person(tx, "signing a panellist out")? != person {
        super::require_chair(tx, vacancy, "signing a panellist out")?;
    }
    let now = crate::model::now();
    let live: Vec<String> = tx
        .person(person)?
        .sessions
        .iter()
        .filter(|s| {
            s.ended.is_none() && crate::record::time_before(&now, &s.expires_at).unwrap_or(false)
        })
        .map(|s| s.token_sha256.clone())
        .collect();
    for s in &live {
        identity::end_session(tx, person, s, reason.trim())?;
    }
    Ok(live.len())
}

/// Correct a person's name (a typo at setup, or a change of name) on the record. Once they hold a
/// passphrase only they, or HR, may.
pub fn rename(tx: &mut Tx<'_>, old: &str, new: &str, reason: &str) -> Result<()> {
    let p = tx
        .person_named(old)?
        .ok_or_else(|| anyhow!("there is no person called {old:?}"))?;
    if p.credential.is_some() {
        let me = super::acting_person(tx, "renaming someone who holds a passphrase")?;
        if me != p.id && !tx.person(me)?.has(OrgRole::Hr) {
            bail!("{old} holds a passphrase: only they, or HR, can change their name");
        }
    }
    identity::rename(tx, p.id, new, reason)
}
