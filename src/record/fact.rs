//! Facts: what each event in the log says. The event's `action` names the variant and its `payload`
//! is the variant's fields as JSON. Every table fairpanel keeps is derived from these facts, so a fact
//! carries everything a report needs: nothing is looked up from a table that the log does not hold.
//!
//! Personal data that must be erasable (a candidate's name, evidence notes about them, monitoring data,
//! a panellist's self-declared ethnicity) is carried [`Sealed`]: encrypted under a key kept outside the
//! log, so erasing the key erases the value while the log, and its hash chain, stay whole.

use super::seal::{KeyIntro, Sealed};
use crate::model::Role;
use serde::{Deserialize, Serialize};

/// Organisation-wide roles a person may hold besides sitting on panels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgRole {
    /// Human resources: audit, subject access, erasure.
    Hr,
    /// Fairness reviewer: reads and signs off decision reports.
    Reviewer,
}

impl OrgRole {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Hr => "hr",
            OrgRole::Reviewer => "reviewer",
        }
    }
    pub fn parse(s: &str) -> Option<OrgRole> {
        match s {
            "hr" => Some(OrgRole::Hr),
            "reviewer" => Some(OrgRole::Reviewer),
            _ => None,
        }
    }
}

/// What a one-time invitation may be exchanged for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitePurpose {
    /// A passphrase for the command line.
    Credential,
    /// A browser session for `fairpanel serve`.
    Web,
}

/// What an erasure removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Erasure {
    /// Monitoring data only (ethnicity, gender, disability, internal/external, stage).
    Monitoring,
    /// Everything personal: name, monitoring data and evidence notes. Scores, moderations and the
    /// decision stay, under the pseudonymous ref.
    All,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankStore {
    pub id: String,
    pub version: u32,
    pub sha256: String,
    pub yaml: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonAdd {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<OrgRole>,
    /// Date (YYYY-MM-DD) of fairness-review training, for reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRename {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRoles {
    pub roles: Vec<OrgRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    /// SHA-256 of the token (the token itself is shown once and never stored).
    pub token_sha256: String,
    pub purpose: InvitePurpose,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redeem {
    pub token_sha256: String,
    /// The new passphrase's Argon2id hash (PHC string), for a credential invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// The new browser session, for a web invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// SHA-256 of the session token held in the browser's cookie.
    pub token_sha256: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionEnd {
    pub token_sha256: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revoke {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VacancyCreate {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// SHA-256 of the bank's YAML, stored by a `bank.store` fact.
    pub bank: String,
    pub questions: Vec<String>,
    /// "built-in" or the file the policy came from.
    pub policy_source: String,
    pub policy_yaml: String,
    /// Why the vacancy was created although the question plan misses a required category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage_override: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanChange {
    pub questions: Vec<String>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage_override: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelAdd {
    pub person: i64,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_on: Option<String>,
    /// Self-declared NHS ETHNIC CATEGORY code, sealed so a withdrawal erases it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<DeclaredEthnicity>,
}

/// A panellist's self-declared ethnicity under its own key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredEthnicity {
    pub key: KeyIntro,
    pub code: Sealed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelEthnicity {
    pub person: i64,
    /// `None` withdraws the declaration (and erases its key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<DeclaredEthnicity>,
    /// Keys of earlier declarations, erased by this change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erased_keys: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandDown {
    pub person: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    pub person: i64,
    pub candidate: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateAdd {
    #[serde(rename = "ref")]
    pub reference: String,
    /// The key that seals the candidate's name and the evidence notes about them.
    pub key: KeyIntro,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Sealed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateWithdraw {
    #[serde(rename = "ref")]
    pub reference: String,
    pub reason: String,
}

/// One vacancy's application records from one import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applications {
    pub rows: Vec<ApplicationRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRow {
    #[serde(rename = "ref")]
    pub reference: String,
    /// A new monitoring key, when the applicant has none yet (first import, or after an erasure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyIntro>,
    /// The monitoring record ([`Monitoring`] as JSON), sealed under the applicant's monitoring key.
    pub m: Sealed,
}

/// A monitoring record as sealed inside an [`ApplicationRow`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    pub stage: String,
    /// NHS ETHNIC CATEGORY code (Z declined, 99 not asked).
    pub ethnicity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disability: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<bool>,
}

/// Entered from a paper sheet by someone other than the panellist (the event's actor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transcribed {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    #[serde(rename = "ref")]
    pub reference: String,
    pub person: i64,
    pub question: String,
    pub score: i64,
    pub evidence: Sealed,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcribed: Option<Transcribed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    #[serde(rename = "ref")]
    pub reference: String,
    pub person: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcribed: Option<Transcribed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reveal {
    #[serde(rename = "ref")]
    pub reference: String,
    /// The panellists whose sheets were in (person ids).
    pub panel: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    #[serde(rename = "ref")]
    pub reference: String,
    pub person: i64,
    pub question: String,
    pub score: i64,
    pub evidence: Sealed,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcribed: Option<Transcribed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moderate {
    #[serde(rename = "ref")]
    pub reference: String,
    pub question: String,
    pub score: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why an earlier agreed score for the same question is revised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decide {
    pub appointed: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reserves: Vec<String>,
    pub rationale: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved_reason: Option<String>,
    /// Why an earlier decision is revised (or re-affirmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapOverride {
    pub gaps: Vec<OverriddenGap>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverriddenGap {
    pub check: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Considered {
    /// The language finding's stable key.
    pub key: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erase {
    #[serde(rename = "ref")]
    pub reference: String,
    pub what: Erasure,
    /// The keys destroyed.
    pub keys: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectAccess {
    #[serde(rename = "ref")]
    pub reference: String,
    /// Sheets still sealed from the panel that were handed to the data subject.
    pub sealed_sheets: usize,
}

/// The reviewer's verdict on a decision report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    SignedOff,
    Returned,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub verdict: Verdict,
    /// The receipt of the report the reviewer read: chain length and head hash.
    pub receipt_events: i64,
    pub receipt_head: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewAnswer {
    /// The seq of the review being answered.
    pub review: i64,
    pub answer: String,
}

/// A verified point of the chain: everything up to `through` hashed correctly, and the heads of all
/// scopes at that point have the Merkle root `scopes_root`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub through: i64,
    pub head: String,
    pub scopes: i64,
    pub scopes_root: String,
    /// True when a full `verify` (every table replayed) passed at this point.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub full: bool,
    /// The seq of the latest checkpoint made by a full `verify`, this one included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_full: Option<i64>,
}

/// An Ed25519 signature over a chain point, made with a key held outside the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub through: i64,
    pub head: String,
    pub public_key: String,
    pub signature: String,
}

/// Marks the start of the record of a database upgraded from an older fairpanel: the older log,
/// kept in `legacy_events`, had this length and head hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyImport {
    pub events: i64,
    pub head: String,
    pub schema: i64,
}

macro_rules! facts {
    ($( $variant:ident($ty:ty) = $action:literal ),* $(,)?) => {
        /// One event's content.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Fact {
            $( $variant($ty), )*
        }

        /// Every action name, in declaration order.
        pub const ACTIONS: &[&str] = &[$( $action ),*];

        impl Fact {
            pub fn action(&self) -> &'static str {
                match self {
                    $( Fact::$variant(_) => $action, )*
                }
            }

            pub fn payload(&self) -> String {
                let v = match self {
                    $( Fact::$variant(x) => serde_json::to_string(x), )*
                };
                v.expect("facts serialise")
            }

            /// Read a fact back from its action and payload.
            pub fn parse(action: &str, payload: &str) -> Result<Fact, String> {
                // Answers are most of any log: read the exact form fairpanel writes without the
                // general parser; anything else takes the general path, with the same result.
                if action == "score.answer" {
                    if let Some(a) = fast::answer(payload) {
                        return Ok(Fact::Answer(a));
                    }
                }
                match action {
                    $( $action => serde_json::from_str(payload)
                        .map(Fact::$variant)
                        .map_err(|e| format!("{action}: {e}")), )*
                    _ => Err(format!("unknown action {action:?}")),
                }
            }
        }
    };
}

facts! {
    BankStore(BankStore) = "bank.store",
    PersonAdd(PersonAdd) = "person.add",
    PersonRename(PersonRename) = "person.rename",
    PersonRoles(PersonRoles) = "person.roles",
    Invite(Invite) = "identity.invite",
    Redeem(Redeem) = "identity.redeem",
    SessionEnd(SessionEnd) = "identity.session-end",
    Revoke(Revoke) = "identity.revoke",
    VacancyCreate(VacancyCreate) = "vacancy.create",
    PlanChange(PlanChange) = "vacancy.questions",
    PanelAdd(PanelAdd) = "panel.add",
    PanelEthnicity(PanelEthnicity) = "panel.ethnicity",
    StandDown(StandDown) = "panel.stand-down",
    Conflict(Conflict) = "panel.conflict",
    CandidateAdd(CandidateAdd) = "candidate.add",
    CandidateWithdraw(CandidateWithdraw) = "candidate.withdraw",
    Applications(Applications) = "applications.import",
    Answer(Answer) = "score.answer",
    Submit(Submit) = "sheet.submit",
    Reveal(Reveal) = "candidate.reveal",
    Correction(Correction) = "score.correct",
    Moderate(Moderate) = "moderate",
    Decide(Decide) = "decide",
    GapOverride(GapOverride) = "gap.override",
    Considered(Considered) = "language.considered",
    Erase(Erase) = "candidate.erase",
    SubjectAccess(SubjectAccess) = "candidate.subject-access",
    Review(Review) = "review",
    ReviewAnswer(ReviewAnswer) = "review.answer",
    Checkpoint(Checkpoint) = "chain.checkpoint",
    Signature(Signature) = "chain.signature",
    LegacyImport(LegacyImport) = "legacy.import",
}

/// A reader for the one payload form fairpanel writes for an answer (serde's field order, no escapes
/// in strings). It accepts nothing the general parser would read differently: any other form,
/// including valid JSON in another order, returns `None` and is parsed in full.
mod fast {
    use super::{Answer, Sealed, Transcribed};

    struct Cursor<'a> {
        s: &'a str,
    }

    impl<'a> Cursor<'a> {
        fn lit(&mut self, l: &str) -> Option<()> {
            self.s = self.s.strip_prefix(l)?;
            Some(())
        }
        fn string(&mut self) -> Option<&'a str> {
            self.lit("\"")?;
            let end = self.s.find(['"', '\\'])?;
            if self.s.as_bytes()[end] != b'"' {
                return None;
            }
            let (v, rest) = self.s.split_at(end);
            if v.chars().any(|c| c.is_control()) {
                return None;
            }
            self.s = &rest[1..];
            Some(v)
        }
        fn int(&mut self) -> Option<i64> {
            let end = self
                .s
                .find(|c: char| !(c.is_ascii_digit() || c == '-'))
                .unwrap_or(self.s.len());
            let (v, rest) = self.s.split_at(end);
            // serde reads i64 without leading zeros or a plus sign; so does this.
            if v.is_empty() || (v.len() > 1 && v.starts_with('0')) || v.starts_with("-0") {
                return None;
            }
            let n = v.parse().ok()?;
            self.s = rest;
            Some(n)
        }
    }

    pub fn answer(payload: &str) -> Option<Answer> {
        let mut c = Cursor { s: payload };
        c.lit("{\"ref\":")?;
        let reference = c.string()?;
        c.lit(",\"person\":")?;
        let person = c.int()?;
        c.lit(",\"question\":")?;
        let question = c.string()?;
        c.lit(",\"score\":")?;
        let score = c.int()?;
        c.lit(",\"evidence\":{\"k\":")?;
        let k = c.int()?;
        c.lit(",\"c\":")?;
        let ct = c.string()?;
        c.lit("}")?;
        let transcribed = if c.lit(",\"transcribed\":{\"reason\":").is_some() {
            let r = c.string()?;
            c.lit("}")?;
            Some(Transcribed {
                reason: r.to_string(),
            })
        } else {
            None
        };
        c.lit("}")?;
        if !c.s.is_empty() {
            return None;
        }
        Some(Answer {
            reference: reference.to_string(),
            person,
            question: question.to_string(),
            score,
            evidence: Sealed {
                k,
                c: ct.to_string(),
            },
            transcribed,
        })
    }
}

impl Fact {
    /// Facts that reveal how a panellist scored: hidden from every listing until the candidate is
    /// revealed.
    pub fn carries_scores(action: &str) -> bool {
        matches!(action, "score.answer" | "sheet.submit" | "score.correct")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_and_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for a in ACTIONS {
            assert!(seen.insert(*a), "{a} twice");
        }
        let f = Fact::Moderate(Moderate {
            reference: "C-1".into(),
            question: "q".into(),
            score: 3,
            reason: Some("why".into()),
            revision_reason: None,
        });
        let back = Fact::parse(f.action(), &f.payload()).unwrap();
        assert_eq!(back, f);
        assert!(f.payload().contains("\"ref\":\"C-1\""));
    }

    #[test]
    fn the_fast_answer_reader_agrees_with_the_general_one() {
        let a = Fact::Answer(Answer {
            reference: "C-1".into(),
            person: 42,
            question: "risk".into(),
            score: -3,
            evidence: Sealed {
                k: 7,
                c: "AbC+/9".into(),
            },
            transcribed: Some(Transcribed {
                reason: "paper".into(),
            }),
        });
        let p = a.payload();
        assert!(fast::answer(&p).is_some());
        assert_eq!(Fact::parse("score.answer", &p).unwrap(), a);
        let general = |p: &str| -> Result<Fact, String> {
            serde_json::from_str(p)
                .map(Fact::Answer)
                .map_err(|e| e.to_string())
        };
        // Other forms go the general way and mean the same (or are refused the same way).
        for other in [
            p.replace(
                "\"ref\":\"C-1\",\"person\":42",
                "\"person\":42,\"ref\":\"C-1\"",
            ),
            p.replace("C-1", "C-\\u0031"),
            p.replace(":42", ":042"),
            p.replace("}}", "} }"),
            p.replace("\"score\":-3", "\"score\":-3.0"),
            format!("{p} "),
        ] {
            assert!(fast::answer(&other).is_none(), "{other}");
            assert_eq!(
                Fact::parse("score.answer", &other).ok(),
                general(&other).ok(),
                "{other}"
            );
        }
    }

    #[test]
    fn unknown_fields_and_actions_are_refused() {
        assert!(Fact::parse("moderate", r#"{"ref":"C","question":"q","score":1,"x":1}"#).is_err());
        assert!(Fact::parse("nonsense", "{}").is_err());
    }
}
