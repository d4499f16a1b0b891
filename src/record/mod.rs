//! The record: the event log is the single source of truth, and everything fairpanel shows is folded
//! from it by the pure functions here.
//!
//! * [`fact`] — what an event says (its action and payload).
//! * [`chain`] — how events are hashed and chained, who acted, and scopes.
//! * [`seal`] — personal data carried encrypted so that erasure can destroy it.
//! * [`people`] and [`vacancy`] — the state of a person or a vacancy after its events, and the
//!   invariants every event must respect (an answer on a sealed sheet, a reveal before every sheet is
//!   in, a second decision without a reason, a review of a report older than the vacancy's record: each
//!   is refused here, so a log that contains one does not replay).
//! * [`derive`] — the rows of the tables the audit and listings read, derived from those states, so
//!   that `verify` can rebuild them from the log and compare.
//! * [`merkle`] — the tree over every scope's head that checkpoints commit to.
//!
//! Nothing here touches the database or the terminal.

pub mod chain;
pub mod derive;
pub mod fact;
pub mod merkle;
pub mod people;
pub mod seal;
pub mod sign;
pub mod vacancy;

pub use chain::{Actor, ActorId, Auth, EventRef, EventRow, Scope};
pub use fact::Fact;

use std::collections::HashMap;
use std::sync::Arc;

/// The record was found altered: what a reader refuses to show over.
#[derive(Debug)]
pub struct Altered(pub String);

impl std::fmt::Display for Altered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the record has been altered: {}. Nothing was shown or changed; run `fairpanel verify` for the full check",
            self.0
        )
    }
}

impl std::error::Error for Altered {}

/// Who recorded something, and when: the event it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct By {
    pub seq: i64,
    pub at: String,
    /// `person:N`, `login:NAME` or `system`.
    pub actor: String,
    pub auth: String,
}

impl By {
    pub fn of(e: &EventRef<'_>) -> By {
        By {
            seq: e.seq,
            at: e.at.to_string(),
            actor: e.actor.to_string(),
            auth: e.auth.to_string(),
        }
    }
    /// The event's seq and time without anyone's name: for a replay that keeps only what derived
    /// rows hold (decision and sign-off times among them).
    pub fn unnamed(e: &EventRef<'_>) -> By {
        By {
            seq: e.seq,
            at: e.at.to_string(),
            actor: String::new(),
            auth: String::new(),
        }
    }

    pub fn actor_id(&self) -> Option<ActorId> {
        ActorId::parse(&self.actor)
    }
    pub fn person(&self) -> Option<i64> {
        self.actor_id().and_then(|a| a.person())
    }
}

/// Banks by the SHA-256 of their YAML, parsed once.
#[derive(Debug, Default, Clone)]
pub struct Banks {
    pub by_sha: HashMap<String, Arc<crate::bank::Bank>>,
}

impl Banks {
    /// Fold a `bank.store` fact: the YAML must hash to its claimed SHA-256 and parse as a bank.
    pub fn apply(&mut self, e: &EventRef<'_>, b: &fact::BankStore) -> Result<(), String> {
        use sha2::Digest;
        let sha = hex::encode(sha2::Sha256::digest(b.yaml.as_bytes()));
        if sha != b.sha256 || e.scope != format!("bank:{sha}") {
            return Err(format!(
                "the stored bank {} does not hash to the SHA-256 its event names",
                b.id
            ));
        }
        if self.by_sha.contains_key(&sha) {
            return Err(format!("bank {} v{} is stored twice", b.id, b.version));
        }
        let bank =
            crate::bank::parse_recorded(&b.yaml, &format!("bank {} stored in the record", b.id))
                .map_err(|e| format!("the stored bank does not load: {e}"))?;
        if bank.id != b.id || bank.version != b.version {
            return Err("the stored bank's id or version differs from its event".into());
        }
        self.by_sha.insert(sha, Arc::new(bank));
        Ok(())
    }
}

/// The parts of the record outside a vacancy that its events refer to.
pub struct Context<'a> {
    pub people: &'a people::People,
    pub banks: &'a Banks,
    /// Keep only what the invariants and the derived tables need (who and when of each entry,
    /// evidence ciphertext, transcription reasons are dropped): for `verify`'s replay of everything.
    pub light: bool,
}

/// Compare two RFC 3339 times; `None` if either does not parse.
pub fn time_before(a: &str, b: &str) -> Option<bool> {
    let f = &time::format_description::well_known::Rfc3339;
    let a = time::OffsetDateTime::parse(a, f).ok()?;
    let b = time::OffsetDateTime::parse(b, f).ok()?;
    Some(a < b)
}
