//! The hash chain: how an event's bytes are hashed, who acted, and which scope an event belongs to.
//!
//! An event's hash is SHA-256 over a domain label and then each field as a 4-byte big-endian length
//! followed by its bytes: previous hash, seq, time, actor, authentication, action, scope, position in
//! its scope, payload. Length prefixes make the encoding unambiguous whatever the fields contain, and
//! the bytes are built here, in Rust, never in SQL, so every storage backend hashes the same bytes.
//!
//! Besides the global chain, every event has a *scope* (a vacancy, a person, a bank, the chain's own
//! checkpoints, or the organisation), a position in it (`scope_seq`, 1, 2, 3, …) and the hash of the
//! scope's previous event (`scope_prev`), so each scope is a chain of its own. A report about one
//! vacancy reads only its scopes' events; checkpoints commit the head of every scope (see
//! [`super::merkle`]) so that such a reader can tell an edited, missing or cut-off event without
//! walking the whole log.

use sha2::{Digest, Sha256};
use std::fmt;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const DOMAIN: &[u8] = b"fairpanel/event/v2";

/// Where an event belongs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Vacancy(String),
    Person(i64),
    Bank(String),
    /// Checkpoints and signatures.
    Chain,
    Org,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "org" => return Some(Scope::Org),
            "chain" => return Some(Scope::Chain),
            _ => {}
        }
        let (kind, rest) = s.split_once(':')?;
        match kind {
            "vacancy" => Some(Scope::Vacancy(rest.to_string())),
            "person" => rest.parse().ok().map(Scope::Person),
            "bank" => Some(Scope::Bank(rest.to_string())),
            _ => None,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Vacancy(v) => write!(f, "vacancy:{v}"),
            Scope::Person(p) => write!(f, "person:{p}"),
            Scope::Bank(b) => write!(f, "bank:{b}"),
            Scope::Chain => f.write_str("chain"),
            Scope::Org => f.write_str("org"),
        }
    }
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ActorId {
    /// A person known to fairpanel (by id), who proved who they are.
    Person(i64),
    /// The operating-system login that ran the command, without a fairpanel identity.
    Login(String),
    /// fairpanel itself (checkpoints).
    System,
}

impl ActorId {
    pub fn parse(s: &str) -> Option<ActorId> {
        if s == "system" {
            return Some(ActorId::System);
        }
        let (kind, rest) = s.split_once(':')?;
        match kind {
            "person" => rest.parse().ok().map(ActorId::Person),
            "login" => Some(ActorId::Login(rest.to_string())),
            _ => None,
        }
    }
    pub fn person(&self) -> Option<i64> {
        match self {
            ActorId::Person(p) => Some(*p),
            _ => None,
        }
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActorId::Person(p) => write!(f, "person:{p}"),
            ActorId::Login(l) => write!(f, "login:{l}"),
            ActorId::System => f.write_str("system"),
        }
    }
}

/// How the actor proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Auth {
    /// Their passphrase, at the command line.
    Credential,
    /// A browser session begun from their personal link.
    Session,
    /// A one-time invitation, being exchanged for a credential or session.
    Invite,
    /// Nothing beyond running the command as this operating-system user.
    Login,
    /// Carried over from a database written by an older fairpanel.
    Legacy,
    System,
}

impl Auth {
    pub fn as_str(self) -> &'static str {
        match self {
            Auth::Credential => "credential",
            Auth::Session => "session",
            Auth::Invite => "invite",
            Auth::Login => "login",
            Auth::Legacy => "legacy",
            Auth::System => "system",
        }
    }
    pub fn parse(s: &str) -> Option<Auth> {
        Some(match s {
            "credential" => Auth::Credential,
            "session" => Auth::Session,
            "invite" => Auth::Invite,
            "login" => Auth::Login,
            "legacy" => Auth::Legacy,
            "system" => Auth::System,
            _ => return None,
        })
    }
    /// The actor proved they are the person named.
    pub fn proves_person(self) -> bool {
        matches!(self, Auth::Credential | Auth::Session)
    }
}

/// The acting person or process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: ActorId,
    pub auth: Auth,
}

impl Actor {
    pub fn login(name: &str) -> Actor {
        Actor {
            id: ActorId::Login(name.to_string()),
            auth: Auth::Login,
        }
    }
    pub fn system() -> Actor {
        Actor {
            id: ActorId::System,
            auth: Auth::System,
        }
    }
    pub fn person(id: i64, auth: Auth) -> Actor {
        Actor {
            id: ActorId::Person(id),
            auth,
        }
    }
    /// The person this actor proved to be, if any.
    pub fn authenticated_person(&self) -> Option<i64> {
        self.auth
            .proves_person()
            .then(|| self.id.person())
            .flatten()
    }
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub auth: String,
    pub action: String,
    pub scope: String,
    pub scope_seq: i64,
    pub scope_prev: String,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

/// An event, borrowed: what the folds read.
#[derive(Debug, Clone, Copy)]
pub struct EventRef<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub auth: &'a str,
    pub action: &'a str,
    pub scope: &'a str,
    pub scope_seq: i64,
    pub scope_prev: &'a str,
    pub payload: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

impl<'a> EventRef<'a> {
    pub fn hashed(&self) -> Hashed<'a> {
        Hashed {
            prev_hash: self.prev_hash,
            seq: self.seq,
            at: self.at,
            actor: self.actor,
            auth: self.auth,
            action: self.action,
            scope: self.scope,
            scope_seq: self.scope_seq,
            scope_prev: self.scope_prev,
            payload: self.payload,
        }
    }
}

/// The fields of an event that its hash covers, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Hashed<'a> {
    pub prev_hash: &'a str,
    pub seq: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub auth: &'a str,
    pub action: &'a str,
    pub scope: &'a str,
    pub scope_seq: i64,
    pub scope_prev: &'a str,
    pub payload: &'a str,
}

impl Hashed<'_> {
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        let mut field = |b: &[u8]| {
            h.update((b.len() as u32).to_be_bytes());
            h.update(b);
        };
        field(self.prev_hash.as_bytes());
        field(&self.seq.to_be_bytes());
        field(self.at.as_bytes());
        field(self.actor.as_bytes());
        field(self.auth.as_bytes());
        field(self.action.as_bytes());
        field(self.scope.as_bytes());
        field(&self.scope_seq.to_be_bytes());
        field(self.scope_prev.as_bytes());
        field(self.payload.as_bytes());
        h.finalize().into()
    }

    pub fn hex(&self) -> String {
        hex::encode(self.digest())
    }

    /// Whether `stored` (hex) is this event's hash, without allocating.
    pub fn matches(&self, stored: &str) -> bool {
        let mut buf = [0u8; 32];
        hex::decode_to_slice(stored, &mut buf).is_ok() && buf == self.digest()
    }
}

impl EventRow {
    pub fn view(&self) -> EventRef<'_> {
        EventRef {
            seq: self.seq,
            at: &self.at,
            actor: &self.actor,
            auth: &self.auth,
            action: &self.action,
            scope: &self.scope,
            scope_seq: self.scope_seq,
            scope_prev: &self.scope_prev,
            payload: &self.payload,
            prev_hash: &self.prev_hash,
            hash: &self.hash,
        }
    }

    pub fn hashed(&self) -> Hashed<'_> {
        Hashed {
            prev_hash: &self.prev_hash,
            seq: self.seq,
            at: &self.at,
            actor: &self.actor,
            auth: &self.auth,
            action: &self.action,
            scope: &self.scope,
            scope_seq: self.scope_seq,
            scope_prev: &self.scope_prev,
            payload: &self.payload,
        }
    }
}

/// A receipt: the chain's length and head hash when a report was made. Written `N:HEX`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Receipt {
    pub events: i64,
    pub head: String,
}

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.events, self.head)
    }
}

impl Receipt {
    /// Read `N:HEX`, or find one in a text (a report, or a file holding a receipt).
    pub fn find(text: &str) -> Option<Receipt> {
        let t = text.trim();
        let parse = |s: &str| -> Option<Receipt> {
            let (n, h) = s.split_once(':')?;
            let n: i64 = n.trim().parse().ok()?;
            let h = h.trim();
            (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) && n >= 0).then(|| Receipt {
                events: n,
                head: h.to_ascii_lowercase(),
            })
        };
        if let Some(r) = parse(t) {
            return Some(r);
        }
        // A report names its receipt as "Receipt N:HEX" or, in JSON, "receipt": "N:HEX".
        let i = t.to_ascii_lowercase().find("receipt")?;
        let rest = &t[i + "receipt".len()..];
        let start = rest.find(|c: char| c.is_ascii_digit())?;
        let tok: String = rest[start..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == ':')
            .collect();
        parse(&tok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(payload: &'a str, actor: &'a str) -> Hashed<'a> {
        Hashed {
            prev_hash: GENESIS,
            seq: 1,
            at: "2026-01-01T00:00:00Z",
            actor,
            auth: "login",
            action: "moderate",
            scope: "vacancy:V",
            scope_seq: 1,
            scope_prev: GENESIS,
            payload,
        }
    }

    #[test]
    fn length_prefixes_keep_fields_apart() {
        // Moving bytes between adjacent fields changes the hash.
        assert_ne!(ev("b{}", "login:a").digest(), ev("{}", "login:ab").digest());
        let h = ev("{}", "login:a");
        assert!(h.matches(&h.hex()));
        assert!(!h.matches(GENESIS));
        assert!(!h.matches("zz"));
    }

    #[test]
    fn scopes_actors_and_receipts_parse_back() {
        for s in ["vacancy:TT-1", "person:12", "bank:abc", "chain", "org"] {
            assert_eq!(Scope::parse(s).unwrap().to_string(), s);
        }
        for a in ["person:3", "login:alice", "system"] {
            assert_eq!(ActorId::parse(a).unwrap().to_string(), a);
        }
        let r = Receipt {
            events: 42,
            head: "ab".repeat(32),
        };
        assert_eq!(Receipt::find(&r.to_string()), Some(r.clone()));
        assert_eq!(
            Receipt::find(&format!("# Report\n\nreceipt {r} (chain length and head)")),
            Some(r.clone())
        );
        assert_eq!(Receipt::find(&format!("{{\"receipt\": \"{r}\"}}")), Some(r));
        assert_eq!(Receipt::find("12:xyz"), None);
    }
}
