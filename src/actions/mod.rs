//! What people do to a vacancy, with the rules that decide whether they may: the one place those
//! rules live. The command line and the web server both call these inside a store write; neither
//! checks a rule of its own.
//!
//! Every action records the real actor. Acting *as* a panellist (scoring, submitting, correcting)
//! needs that panellist's own proof of identity, unless the act is recorded as a transcription of a
//! paper sheet, with the transcriber and a reason. Acting as the chair (moderating, deciding,
//! overriding a gap, standing a panellist down, withdrawing a candidate, changing the plan) needs the
//! chair's proof of identity. Subject access and erasure need an HR officer's, and never a panellist's.
//! A fairness review needs the reviewer's own, and the vacancy's policy decides who may review;
//! answering a returned review is the chair's.

pub mod candidates;
pub mod decision;
pub mod identity;
pub mod panel;
pub mod review;
pub mod scoring;
pub mod vacancy;

use crate::bank::Bank;
use crate::record::fact::{self, Fact, OrgRole};
use crate::record::Scope;
use crate::store::Tx;
use anyhow::{bail, Result};
use sha2::{Digest, Sha256};

/// Store a bank (once); returns its SHA-256.
pub fn store_bank(tx: &mut Tx<'_>, bank: &Bank, yaml: &str) -> Result<String> {
    let sha = hex::encode(Sha256::digest(yaml.as_bytes()));
    if !tx.bank_stored(&sha)? {
        tx.append(
            Scope::Bank(sha.clone()),
            Fact::BankStore(fact::BankStore {
                id: bank.id.clone(),
                version: bank.version,
                sha256: sha.clone(),
                yaml: yaml.to_string(),
            }),
        )?;
    }
    Ok(sha)
}

/// The authenticated person acting, or an error saying who must prove who they are.
pub fn acting_person(tx: &Tx<'_>, what: &str) -> Result<i64> {
    match tx.actor().authenticated_person() {
        Some(p) => Ok(p),
        None => bail!(
            "{what} needs you to prove who you are: give your name with --as and your passphrase \
             (asked for at a terminal, or --credential-file / FAIRPANEL_CREDENTIAL)"
        ),
    }
}

/// The acting person must be the vacancy's chair, authenticated.
pub fn require_chair(tx: &mut Tx<'_>, vacancy: &str, what: &str) -> Result<i64> {
    let me = acting_person(tx, what)?;
    let v = tx.vacancy(vacancy)?;
    match v.chair() {
        Some(c) if c.person == me => Ok(me),
        Some(c) => {
            let chair = c.person;
            let name = tx.person(chair)?.name.clone();
            bail!("{what} is the chair's to do; the chair of {vacancy} is {name}")
        }
        None => bail!(
            "{vacancy} has no chair: add one with `fairpanel panel add {vacancy} --name NAME --role chair`"
        ),
    }
}

/// The acting person must hold an organisation role (HR, reviewer), authenticated.
pub fn require_role(tx: &mut Tx<'_>, role: OrgRole, what: &str) -> Result<i64> {
    let me = acting_person(tx, what)?;
    let p = tx.person(me)?;
    if !p.has(role) {
        bail!(
            "{what} needs the {} role, which {} does not hold (`fairpanel person role`)",
            role.as_str(),
            p.name
        );
    }
    Ok(me)
}
