//! Domain types shared by the store, checks, statistics and reports.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Chair,
    Member,
    Independent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Chair => "chair",
            Role::Member => "member",
            Role::Independent => "independent",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "chair" => Some(Role::Chair),
            "member" => Some(Role::Member),
            "independent" => Some(Role::Independent),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Vacancy {
    pub id: String,
    pub title: String,
    pub band: Option<String>,
    pub service: Option<String>,
    pub bank_id: String,
    pub bank_version: u32,
    /// Question ids in interview order.
    pub questions: Vec<String>,
    /// "built-in" or the file the policy came from.
    pub policy_source: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Panellist {
    pub name: String,
    pub role: Role,
    /// Self-declared NHS ETHNIC CATEGORY code; `None` when not stated. Used only by the composition check.
    #[serde(skip)]
    pub ethnicity: Option<String>,
    /// Date (YYYY-MM-DD) of fair-recruitment training, if any.
    pub trained_on: Option<String>,
    /// Candidate refs this panellist declared a conflict of interest with.
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub candidate: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub reference: String,
    pub name: Option<String>,
}

/// One answer on a score sheet. Before submission the latest answer per question counts; after
/// submission an answer can only be added as a correction with a reason.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub question: String,
    pub score: i64,
    pub evidence: String,
    pub recorded_at: String,
    pub correction_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sheet {
    pub candidate: String,
    pub panellist: String,
    pub opened_at: String,
    pub submitted_at: Option<String>,
    /// Current answer per question (latest entry), in the vacancy's question order.
    pub answers: Vec<Answer>,
    /// Every entry, oldest first, including replaced answers and corrections.
    #[serde(skip)]
    pub history: Vec<Answer>,
}

impl Sheet {
    pub fn answer(&self, question: &str) -> Option<&Answer> {
        self.answers.iter().find(|a| a.question == question)
    }
    pub fn is_submitted(&self) -> bool {
        self.submitted_at.is_some()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Moderation {
    pub candidate: String,
    pub question: String,
    pub score: i64,
    pub reason: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub appointed: String,
    pub reserves: Vec<String>,
    pub rationale: String,
    /// Why the decision was recorded while divergence was unresolved, if it was.
    pub unresolved_reason: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// Current time as RFC 3339 (UTC, whole seconds). `FAIRPANEL_NOW` fixes it, for reproducible reports.
/// Pipeline stages in order; an applicant's record holds the furthest one reached.
pub const STAGES: [&str; 5] = [
    "applied",
    "shortlisted",
    "interviewed",
    "offered",
    "appointed",
];

pub fn now() -> String {
    if let Ok(t) = std::env::var("FAIRPANEL_NOW") {
        if !t.is_empty() {
            return t;
        }
    }
    let t = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("0 ns is valid");
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 formatting of UTC time")
}

/// Today's date (YYYY-MM-DD), from `now()`.
pub fn today() -> String {
    now().chars().take(10).collect()
}
