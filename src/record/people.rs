//! People and their identities: name, organisation roles, credential, invitations and browser
//! sessions, folded from each person's events.
//!
//! A person is created by `person.add`; their id is the seq of that event. They prove who they are
//! with a passphrase (stored only as an Argon2id hash) or a browser session, both obtained by
//! exchanging a one-time invitation. Redeeming an invitation is itself an event whose actor is the
//! person, authenticated by the invitation: if someone else used it first, the person finds it used.

use super::chain::{Actor, ActorId, Auth, EventRef};
use super::fact::{Fact, InvitePurpose, OrgRole};
use super::By;
use std::collections::BTreeMap;

#[derive(Debug, Clone, serde::Serialize)]
pub struct InviteState {
    pub token_sha256: String,
    pub purpose: InvitePurpose,
    pub expires_at: String,
    pub issued: By,
    pub redeemed: Option<By>,
    /// Cancelled by a later revocation.
    pub cancelled: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionState {
    pub token_sha256: String,
    pub expires_at: String,
    pub started: By,
    pub ended: Option<(By, String)>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub roles: Vec<OrgRole>,
    pub trained_on: Option<String>,
    pub added: By,
    /// Argon2id PHC string of the current passphrase.
    #[serde(skip)]
    pub credential: Option<String>,
    pub credential_set: Option<By>,
    pub invites: Vec<InviteState>,
    pub sessions: Vec<SessionState>,
    /// Earlier names, oldest first, with when and why they changed.
    pub renamed: Vec<(String, By, String)>,
    pub revocations: Vec<(By, String)>,
    pub events: i64,
}

impl Person {
    pub fn has(&self, role: OrgRole) -> bool {
        self.roles.contains(&role)
    }
    pub fn live_session(&self, token_sha256: &str, now: &str) -> Option<&SessionState> {
        self.sessions.iter().find(|s| {
            s.token_sha256 == token_sha256
                && s.ended.is_none()
                && super::time_before(now, &s.expires_at).unwrap_or(false)
        })
    }
}

/// Everyone fairpanel knows, by id.
#[derive(Debug, Default, Clone)]
pub struct People {
    pub by_id: BTreeMap<i64, Person>,
}

fn person_of(e: &EventRef<'_>) -> Result<i64, String> {
    e.scope
        .strip_prefix("person:")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("{} belongs to a person's record", e.action))
}

impl People {
    pub fn get(&self, id: i64) -> Option<&Person> {
        self.by_id.get(&id)
    }

    pub fn by_name(&self, name: &str) -> Option<&Person> {
        self.by_id.values().find(|p| p.name == name)
    }

    /// A display name for an event's actor string.
    pub fn actor_name(&self, actor: &str) -> String {
        match ActorId::parse(actor) {
            Some(ActorId::Person(id)) => self
                .get(id)
                .map_or_else(|| format!("person {id}"), |p| p.name.clone()),
            Some(ActorId::Login(l)) => format!("{l} (login)"),
            Some(ActorId::System) => "fairpanel".into(),
            None => actor.to_string(),
        }
    }

    fn name_free(&self, name: &str, except: Option<i64>) -> Result<(), String> {
        match self.by_name(name) {
            Some(p) if Some(p.id) != except => Err(format!(
                "there is already a person called {name:?} (person {})",
                p.id
            )),
            _ => Ok(()),
        }
    }

    /// Fold one event of a person's scope.
    pub fn apply(&mut self, e: &EventRef<'_>, fact: &Fact) -> Result<(), String> {
        let id = person_of(e)?;
        let by = By::of(e);
        let actor = Actor {
            id: ActorId::parse(e.actor).ok_or("unreadable actor")?,
            auth: Auth::parse(e.auth).ok_or("unreadable authentication")?,
        };
        if let Fact::PersonAdd(a) = fact {
            if id != e.seq || e.scope_seq != 1 {
                return Err("a person's id is the seq of the event that adds them".into());
            }
            self.name_free(&a.name, None)?;
            self.by_id.insert(
                id,
                Person {
                    id,
                    name: a.name.clone(),
                    roles: a.roles.clone(),
                    trained_on: a.trained_on.clone(),
                    added: by,
                    credential: None,
                    credential_set: None,
                    invites: vec![],
                    sessions: vec![],
                    renamed: vec![],
                    revocations: vec![],
                    events: 1,
                },
            );
            return Ok(());
        }
        if !self.by_id.contains_key(&id) {
            return Err(format!("person {id} does not exist"));
        }
        if let Fact::PersonRename(r) = fact {
            self.name_free(&r.name, Some(id))?;
        }
        let p = self.by_id.get_mut(&id).expect("checked");
        p.events += 1;
        match fact {
            Fact::PersonRename(r) => {
                let old = std::mem::replace(&mut p.name, r.name.clone());
                p.renamed.push((old, by, r.reason.clone()));
            }
            Fact::PersonRoles(r) => {
                p.roles = r.roles.clone();
                p.trained_on = r.trained_on.clone();
            }
            Fact::Invite(i) => {
                if p.invites.iter().any(|x| x.token_sha256 == i.token_sha256) {
                    return Err("an invitation token was issued twice".into());
                }
                p.invites.push(InviteState {
                    token_sha256: i.token_sha256.clone(),
                    purpose: i.purpose,
                    expires_at: i.expires_at.clone(),
                    issued: by,
                    redeemed: None,
                    cancelled: false,
                });
            }
            Fact::Redeem(r) => {
                if actor.id != ActorId::Person(id) || actor.auth != Auth::Invite {
                    return Err(
                        "only the invited person, holding the invitation, can redeem it".into(),
                    );
                }
                let inv = p
                    .invites
                    .iter_mut()
                    .find(|x| x.token_sha256 == r.token_sha256)
                    .ok_or("no such invitation")?;
                if inv.redeemed.is_some() || inv.cancelled {
                    return Err("the invitation was already used or cancelled".into());
                }
                if !super::time_before(e.at, &inv.expires_at).unwrap_or(false) {
                    return Err("the invitation had expired".into());
                }
                match (inv.purpose, &r.credential, &r.session) {
                    (InvitePurpose::Credential, Some(c), None) => {
                        p.credential = Some(c.clone());
                        p.credential_set = Some(by.clone());
                    }
                    (InvitePurpose::Web, None, Some(s)) => {
                        p.sessions.push(SessionState {
                            token_sha256: s.token_sha256.clone(),
                            expires_at: s.expires_at.clone(),
                            started: by.clone(),
                            ended: None,
                        });
                    }
                    _ => return Err("an invitation was exchanged for the wrong thing".into()),
                }
                inv.redeemed = Some(by);
            }
            Fact::SessionEnd(s) => {
                let sess = p
                    .sessions
                    .iter_mut()
                    .find(|x| x.token_sha256 == s.token_sha256 && x.ended.is_none())
                    .ok_or("no such live session")?;
                sess.ended = Some((by, s.reason.clone()));
            }
            Fact::Revoke(r) => {
                p.credential = None;
                for i in p.invites.iter_mut().filter(|i| i.redeemed.is_none()) {
                    i.cancelled = true;
                }
                for s in p.sessions.iter_mut().filter(|s| s.ended.is_none()) {
                    s.ended = Some((by.clone(), format!("revoked: {}", r.reason)));
                }
                p.revocations.push((by, r.reason.clone()));
            }
            other => return Err(format!("{} does not belong to a person", other.action())),
        }
        Ok(())
    }
}
