//! Identity: people, their one-time invitations, passphrases and browser sessions.
//!
//! A panellist (or chair, reviewer, HR officer) is a person. When someone adds them, fairpanel issues
//! a one-time invitation (256 random bits, stored only as its SHA-256). The person exchanges it for a
//! passphrase of their own choosing at the command line (stored only as an Argon2id hash), or for a
//! browser session through their personal link; both prove the same identity. Whoever added them saw
//! the invitation, not the passphrase, and an invitation someone else used is shown as used.

use crate::record::chain::{Actor, Auth};
use crate::record::fact::{self, Fact, InvitePurpose, OrgRole};
use crate::record::people::Person;
use crate::record::Scope;
use crate::store::Tx;
use anyhow::{anyhow, bail, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long an invitation can be used.
pub const INVITE_DAYS: i64 = 7;
/// How long a browser session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Shortest passphrase accepted.
pub const MIN_PASSPHRASE: usize = 12;

/// Prefix of invitation tokens, so one pasted in the wrong place is recognised.
pub const INVITE_PREFIX: &str = "fpi_";

/// A new random token: 256 bits, URL-safe.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// A passphrase fairpanel makes up: five groups of four letters and digits (about 100 bits).
pub fn generated_passphrase() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let mut out = String::new();
    for g in 0..5 {
        if g > 0 {
            out.push('-');
        }
        for _ in 0..4 {
            out.push(ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char);
        }
    }
    out
}

fn argon2() -> argon2::Argon2<'static> {
    // OWASP's recommended minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters"),
    )
}

pub fn hash_passphrase(p: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(argon2()
        .hash_password(p.as_bytes(), &salt)
        .map_err(|e| anyhow!("cannot hash the passphrase: {e}"))?
        .to_string())
}

pub fn passphrase_matches(phc: &str, p: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(p.as_bytes(), &h).is_ok())
}

pub fn check_passphrase(p: &str) -> Result<()> {
    if p.chars().count() < MIN_PASSPHRASE {
        bail!("a passphrase needs at least {MIN_PASSPHRASE} characters (a few words are easy to remember)");
    }
    if p.chars().any(char::is_control) {
        bail!("a passphrase cannot hold control characters");
    }
    Ok(())
}

fn later(days: i64, hours: i64) -> String {
    let now = time::OffsetDateTime::parse(
        &crate::model::now(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    (now + time::Duration::days(days) + time::Duration::hours(hours))
        .replace_nanosecond(0)
        .expect("0 ns")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339")
}

/// Add a person; returns their id.
pub fn add_person(
    tx: &mut Tx<'_>,
    name: &str,
    roles: Vec<OrgRole>,
    trained_on: Option<String>,
) -> Result<i64> {
    crate::model::check_name(name, "a person's name")?;
    if let Some(p) = tx.person_named(name)? {
        bail!("there is already a person called {name:?} (person {}); use a distinguishing name, e.g. with their team", p.id);
    }
    let id = tx.next_seq();
    tx.append(
        Scope::Person(id),
        Fact::PersonAdd(fact::PersonAdd {
            name: name.to_string(),
            roles,
            trained_on,
        }),
    )?;
    Ok(id)
}

/// The person called `name`, or a new one.
pub fn person_or_new(tx: &mut Tx<'_>, name: &str) -> Result<(i64, bool)> {
    match tx.person_named(name)? {
        Some(p) => Ok((p.id, false)),
        None => Ok((add_person(tx, name, vec![], None)?, true)),
    }
}

/// Issue a one-time invitation; returns the token (to be shown once).
pub fn invite(tx: &mut Tx<'_>, person: i64, purpose: InvitePurpose) -> Result<(String, String)> {
    tx.person(person)?;
    let token = new_token();
    let expires_at = later(INVITE_DAYS, 0);
    tx.append(
        Scope::Person(person),
        Fact::Invite(fact::Invite {
            token_sha256: token_sha256(&token),
            purpose,
            expires_at: expires_at.clone(),
        }),
    )?;
    let shown = match purpose {
        InvitePurpose::Credential => format!("{INVITE_PREFIX}{token}"),
        InvitePurpose::Web => token,
    };
    Ok((shown, expires_at))
}

/// Who an invitation token belongs to, if it is usable now.
fn invited(tx: &mut Tx<'_>, token: &str, purpose: InvitePurpose) -> Result<Person> {
    let token = token.trim();
    let token = token.strip_prefix(INVITE_PREFIX).unwrap_or(token);
    let hash = token_sha256(token);
    let person: Option<i64> = tx.invite_person(&hash)?;
    let refused = || {
        anyhow!("that invitation is not valid: it was mistyped, already used, revoked or expired. Ask the chair for a new one")
    };
    let Some(id) = person else {
        return Err(refused());
    };
    let p = tx.person(id)?.clone();
    let now = crate::model::now();
    let ok = p.invites.iter().any(|i| {
        i.token_sha256 == hash
            && i.purpose == purpose
            && i.redeemed.is_none()
            && !i.cancelled
            && crate::record::time_before(&now, &i.expires_at).unwrap_or(false)
    });
    if !ok {
        return Err(refused());
    }
    Ok(p)
}

/// Exchange a credential invitation for a passphrase; returns the person.
pub fn redeem_credential(tx: &mut Tx<'_>, token: &str, passphrase: &str) -> Result<Person> {
    check_passphrase(passphrase)?;
    let p = invited(tx, token, InvitePurpose::Credential)?;
    let token = token.trim();
    let token = token.strip_prefix(INVITE_PREFIX).unwrap_or(token);
    let previous = tx.actor().clone();
    tx.set_actor(Actor::person(p.id, Auth::Invite));
    let r = tx.append(
        Scope::Person(p.id),
        Fact::Redeem(fact::Redeem {
            token_sha256: token_sha256(token),
            credential: Some(hash_passphrase(passphrase)?),
            session: None,
        }),
    );
    tx.set_actor(previous);
    r?;
    Ok(tx.person(p.id)?.clone())
}

/// Exchange a web invitation for a browser session; returns the person and the session token.
pub fn redeem_web(tx: &mut Tx<'_>, token: &str) -> Result<(Person, String, String)> {
    let p = invited(tx, token, InvitePurpose::Web)?;
    let session = new_token();
    let expires_at = later(0, SESSION_HOURS);
    let previous = tx.actor().clone();
    tx.set_actor(Actor::person(p.id, Auth::Invite));
    let r = tx.append(
        Scope::Person(p.id),
        Fact::Redeem(fact::Redeem {
            token_sha256: token_sha256(token.trim()),
            credential: None,
            session: Some(fact::Session {
                token_sha256: token_sha256(&session),
                expires_at: expires_at.clone(),
            }),
        }),
    );
    tx.set_actor(previous);
    r?;
    Ok((p, session, expires_at))
}

/// Check a person's passphrase; the actor they become.
pub fn authenticate(p: &Person, passphrase: &str) -> Result<Actor> {
    match &p.credential {
        None => bail!(
            "{} has no passphrase yet: they set one with `fairpanel credential redeem` and the invitation \
             they were given (the chair can issue a new one with `fairpanel credential invite`)",
            p.name
        ),
        Some(phc) if passphrase_matches(phc, passphrase.trim_end_matches(['\n', '\r'])) => {
            Ok(Actor::person(p.id, Auth::Credential))
        }
        Some(_) => bail!("that is not {}'s passphrase", p.name),
    }
}

/// Revoke a person's passphrase, sessions and unused invitations.
pub fn revoke(tx: &mut Tx<'_>, person: i64, reason: &str) -> Result<()> {
    crate::model::check_text(reason, "the reason")?;
    tx.person(person)?;
    tx.append(
        Scope::Person(person),
        Fact::Revoke(fact::Revoke {
            reason: reason.to_string(),
        }),
    )?;
    Ok(())
}

/// End a browser session.
pub fn end_session(tx: &mut Tx<'_>, person: i64, session_sha256: &str, reason: &str) -> Result<()> {
    tx.append(
        Scope::Person(person),
        Fact::SessionEnd(fact::SessionEnd {
            token_sha256: session_sha256.to_string(),
            reason: reason.to_string(),
        }),
    )?;
    Ok(())
}

/// Rename a person (a typo, or a change of name), on the record.
pub fn rename(tx: &mut Tx<'_>, person: i64, name: &str, reason: &str) -> Result<()> {
    crate::model::check_name(name, "the new name")?;
    crate::model::check_text(reason, "the reason")?;
    if let Some(other) = tx.person_named(name)? {
        if other.id != person {
            bail!("there is already a person called {name:?}");
        }
    }
    tx.append(
        Scope::Person(person),
        Fact::PersonRename(fact::PersonRename {
            name: name.to_string(),
            reason: reason.to_string(),
        }),
    )?;
    Ok(())
}

pub fn set_roles(
    tx: &mut Tx<'_>,
    person: i64,
    roles: Vec<OrgRole>,
    trained_on: Option<String>,
) -> Result<()> {
    tx.append(
        Scope::Person(person),
        Fact::PersonRoles(fact::PersonRoles { roles, trained_on }),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrases_hash_and_verify_and_tokens_are_256_bits() {
        let h = hash_passphrase("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(passphrase_matches(&h, "correct horse battery"));
        assert!(!passphrase_matches(&h, "correct horse batterY"));
        assert!(!passphrase_matches("not a hash", "x"));
        let t = new_token();
        assert_eq!(t.len(), 43);
        assert_ne!(t, new_token());
        assert!(check_passphrase("short").is_err());
        assert!(check_passphrase(&generated_passphrase()).is_ok());
    }
}
