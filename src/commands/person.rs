//! person add | list | role | rename; credential redeem | invite | revoke

use super::Ctx;
use crate::actions::identity;
use crate::cli::{CredentialCmd, OrgRoleArg, PersonCmd};
use crate::output::{emit, table};
use crate::record::fact::{InvitePurpose, OrgRole};
use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use std::io::Write;

fn roles(r: &[OrgRoleArg]) -> Vec<OrgRole> {
    let mut v: Vec<OrgRole> = r
        .iter()
        .map(|r| match r {
            OrgRoleArg::Hr => OrgRole::Hr,
            OrgRoleArg::Reviewer => OrgRole::Reviewer,
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

fn date(t: Option<String>) -> Result<Option<String>> {
    t.map(|t| {
        super::panel::parse_date(&t).ok_or_else(|| {
            anyhow!(crate::Usage(format!(
                "{t:?} is not a date (YYYY-MM-DD or DD/MM/YYYY)"
            )))
        })
    })
    .transpose()
}

#[derive(Serialize)]
struct Invited {
    person: i64,
    name: String,
    invitation: String,
    expires_at: String,
}

fn say_invited(ctx: &mut Ctx, format: crate::cli::Format, v: &Invited) -> Result<()> {
    emit(&mut ctx.out, format, v, |v| {
        format!(
            "{}'s one-time invitation (give it to them privately; it expires {}):\n  {}\n\
             They set their own passphrase with `fairpanel credential redeem --invite {}`.",
            v.name, v.expires_at, v.invitation, v.invitation
        )
    })
}

pub fn run(ctx: &mut Ctx, cmd: PersonCmd) -> Result<()> {
    match cmd {
        PersonCmd::Add {
            name,
            roles: r,
            trained,
            format,
        } => {
            let trained = date(trained)?;
            let mut store = ctx.store()?;
            ctx.authenticate(&mut store, None)?;
            let v = store.write(|tx| {
                let id = identity::add_person(tx, &name, roles(&r), trained)?;
                let (invitation, expires_at) = identity::invite(tx, id, InvitePurpose::Credential)?;
                Ok(Invited {
                    person: id,
                    name: name.clone(),
                    invitation,
                    expires_at,
                })
            })?;
            writeln!(ctx.out, "Added {name}.")?;
            say_invited(ctx, format.format, &v)
        }
        PersonCmd::List(f) => {
            let store = ctx.store()?;
            let people = store.people()?;
            #[derive(Serialize)]
            struct Row {
                id: i64,
                name: String,
                roles: Vec<OrgRole>,
                trained_on: Option<String>,
                has_passphrase: bool,
            }
            let rows: Vec<Row> = people
                .by_id
                .values()
                .map(|p| Row {
                    id: p.id,
                    name: p.name.clone(),
                    roles: p.roles.clone(),
                    trained_on: p.trained_on.clone(),
                    has_passphrase: p.credential.is_some(),
                })
                .collect();
            emit(&mut ctx.out, f.format, &rows, |rows| {
                let t: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            crate::model::display_safe(&r.name).into_owned(),
                            r.roles
                                .iter()
                                .map(|x| x.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            if r.has_passphrase { "set" } else { "invited" }.into(),
                        ]
                    })
                    .collect();
                table(&["name", "roles", "passphrase"], &t)
            })
        }
        PersonCmd::Role {
            name,
            roles: r,
            trained,
        } => {
            let trained = date(trained)?;
            let mut store = ctx.store()?;
            ctx.authenticate(&mut store, None)?;
            store.write(|tx| {
                let p = tx
                    .person_named(&name)?
                    .ok_or_else(|| anyhow!("there is no person called {name:?}"))?;
                // Granting roles is HR's, once anyone holds HR; before that, setting up is open.
                let any_hr: bool = tx.any_with_role("hr")?;
                if any_hr {
                    crate::actions::require_role(tx, OrgRole::Hr, "changing someone's roles")?;
                }
                identity::set_roles(tx, p.id, roles(&r), trained)
            })?;
            writeln!(ctx.out, "Set {name}'s roles.")?;
            Ok(())
        }
        PersonCmd::Rename { old, new, reason } => {
            let mut store = ctx.store()?;
            ctx.authenticate(&mut store, None)?;
            store.write(|tx| crate::actions::panel::rename(tx, &old, &new, &reason))?;
            writeln!(ctx.out, "Renamed {old} to {new}, on the record.")?;
            Ok(())
        }
    }
}

pub fn credential(ctx: &mut Ctx, cmd: CredentialCmd) -> Result<()> {
    match cmd {
        CredentialCmd::Redeem {
            invite,
            passphrase_file,
            save,
        } => {
            let mut term = ctx.prompter();
            let invite = crate::interview::required(
                invite,
                "--invite",
                &mut term,
                "Your invitation",
                Some("the code you were given, starting fpi_"),
            )?;
            let passphrase = match (&passphrase_file, &save, term.as_deref_mut()) {
                (Some(f), _, _) => crate::fsutil::read_small_text(f, "the passphrase file ")?
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                (None, Some(f), _) => {
                    // Before the invitation is used: a passphrase that cannot be saved is lost.
                    ctx.check_output(f)?;
                    if f.exists() {
                        bail!(
                            "{} exists; choose a new file for your passphrase",
                            f.display()
                        );
                    }
                    identity::generated_passphrase()
                }
                (None, None, Some(p)) => {
                    let a =
                        p.password("Choose a passphrase (at least 12 characters; a few words)")?;
                    identity::check_passphrase(&a)?;
                    let b = p.password("The same again")?;
                    if a != b {
                        bail!("the two passphrases differ; nothing was changed");
                    }
                    a
                }
                (None, None, None) => {
                    return Err(crate::Usage(
                        "redeeming without a terminal needs --passphrase-file FILE or --save FILE"
                            .into(),
                    )
                    .into())
                }
            };
            let mut store = ctx.store()?;
            let p = store.write(|tx| identity::redeem_credential(tx, &invite, &passphrase))?;
            if let Some(f) = &save {
                ctx.write_private(f, format!("{passphrase}\n").as_bytes())?;
                writeln!(
                    ctx.out,
                    "Passphrase set for {}; saved to {} (readable by you only). Use it with --as {:?} \
                     --credential-file {}.",
                    p.name,
                    f.display(),
                    p.name,
                    f.display()
                )?;
            } else {
                writeln!(
                    ctx.out,
                    "Passphrase set for {}. You will be asked for it when you act as yourself (--as {:?}).",
                    p.name, p.name
                )?;
            }
            Ok(())
        }
        CredentialCmd::Invite { name, format } => {
            let mut store = ctx.store()?;
            ctx.authenticate(&mut store, None)?;
            let v = store.write(|tx| {
                let p = tx
                    .person_named(&name)?
                    .ok_or_else(|| anyhow!("there is no person called {name:?}"))?;
                // Someone who holds a passphrase can be re-invited by themself, HR, or a chair of a panel
                // they sit on; the new invitation, and who issued it, are on the record.
                if p.credential.is_some() {
                    let me = crate::actions::acting_person(tx, "re-inviting someone who holds a passphrase")?;
                    let allowed = me == p.id
                        || tx.person(me)?.has(OrgRole::Hr)
                        || tx.chairs_panel_of(me, p.id)?;
                    if !allowed {
                        bail!("only {name}, HR, or the chair of a panel {name} sits on may re-invite them");
                    }
                }
                let (invitation, expires_at) = identity::invite(tx, p.id, InvitePurpose::Credential)?;
                Ok(Invited {
                    person: p.id,
                    name: p.name,
                    invitation,
                    expires_at,
                })
            })?;
            say_invited(ctx, format.format, &v)
        }
        CredentialCmd::Revoke { name, reason } => {
            let mut store = ctx.store()?;
            ctx.authenticate(&mut store, None)?;
            store.write(|tx| {
                let p = tx
                    .person_named(&name)?
                    .ok_or_else(|| anyhow!("there is no person called {name:?}"))?;
                let me = crate::actions::acting_person(tx, "revoking a passphrase")?;
                if me != p.id && !tx.person(me)?.has(OrgRole::Hr) {
                    bail!("only {name} or HR may revoke {name}'s passphrase");
                }
                identity::revoke(tx, p.id, &reason)
            })?;
            writeln!(
                ctx.out,
                "Revoked {name}'s passphrase, sessions and unused invitations; they need a new invitation."
            )?;
            Ok(())
        }
    }
}
