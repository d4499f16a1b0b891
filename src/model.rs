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

/// Longest accepted identifier (vacancy id, candidate ref, question id).
pub const MAX_IDENT: usize = 64;
/// Longest accepted name or title.
pub const MAX_NAME: usize = 200;
/// Longest accepted free text (evidence note, reason, rationale).
pub const MAX_TEXT: usize = 8000;

/// Characters that draw nothing but can reorder or hide text: bidirectional controls, zero-width
/// characters, the byte-order mark, soft hyphens, fillers and tag characters.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}'
        // Blank glyphs that are not whitespace: the Braille blank and musical-notation format marks.
        | '\u{2800}' | '\u{1D173}'..='\u{1D17A}')
}

/// Nothing visible: only whitespace and invisible characters (a note of zero-width spaces is empty).
pub fn is_blank(s: &str) -> bool {
    !s.chars().any(|c| !c.is_whitespace() && !is_invisible(c))
}

/// A control or invisible character: never shown raw.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

fn bad(what: &str, why: String) -> anyhow::Error {
    crate::Usage(format!("{what} {why}")).into()
}

/// An identifier: letters, digits, `-`, `_` and `.`, starting with a letter or digit, at most
/// [`MAX_IDENT`] characters. Refs and ids appear in commands, file names and tables, so nothing else.
pub fn check_ident(s: &str, what: &str) -> anyhow::Result<()> {
    if s.is_empty() || s.chars().count() > MAX_IDENT {
        return Err(bad(what, format!("must be 1 to {MAX_IDENT} characters")));
    }
    let ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err(bad(
            what,
            format!("{s:?} may hold only letters, digits, '-', '_' and '.', and must start with a letter or digit"),
        ));
    }
    Ok(())
}

/// A person's name or a title: visible text on one line, at most [`MAX_NAME`] characters, with no
/// control, bidirectional or zero-width characters (they could fake or hide table rows).
pub fn check_name(s: &str, what: &str) -> anyhow::Result<()> {
    if s.trim().is_empty() {
        return Err(bad(what, "is empty".into()));
    }
    if s != s.trim() {
        return Err(bad(what, "starts or ends with spaces".into()));
    }
    if s.chars().count() > MAX_NAME {
        return Err(bad(what, format!("is longer than {MAX_NAME} characters")));
    }
    if let Some(c) = s.chars().find(|&c| is_unsafe_char(c)) {
        return Err(bad(
            what,
            format!(
                "contains the invisible or control character U+{:04X}",
                c as u32
            ),
        ));
    }
    Ok(())
}

/// Free text (evidence notes, reasons, rationales): at most [`MAX_TEXT`] characters, line breaks and
/// tabs allowed, no other control, bidirectional or zero-width characters, and at least one visible
/// character.
pub fn check_text(s: &str, what: &str) -> anyhow::Result<()> {
    check_text_max(s, what, MAX_TEXT)
}

/// As [`check_text`], with a limit of `max` characters.
pub fn check_text_max(s: &str, what: &str, max: usize) -> anyhow::Result<()> {
    if s.chars().count() > max {
        return Err(bad(what, format!("is longer than {max} characters")));
    }
    if let Some(c) = s
        .chars()
        .find(|&c| is_unsafe_char(c) && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Err(bad(
            what,
            format!(
                "contains the invisible or control character U+{:04X}",
                c as u32
            ),
        ));
    }
    if is_blank(s) {
        return Err(bad(what, "is empty".into()));
    }
    Ok(())
}

/// Text made safe for a terminal: control, bidirectional and zero-width characters shown as `�`,
/// line breaks as spaces.
pub fn display_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\n' | '\r' | '\t' => ' ',
                c if is_unsafe_char(c) => '\u{FFFD}',
                c => c,
            })
            .collect(),
    )
}

/// Text made safe for a terminal, keeping its lines: as [`display_safe`], but line breaks and tabs
/// stay. For whole blocks of output; a table cell or a one-line field takes [`display_safe`].
pub fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_here = |c: char| is_unsafe_char(c) && !matches!(c, '\n' | '\t');
    if !s.chars().any(unsafe_here) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| if unsafe_here(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

#[cfg(test)]
mod input_tests {
    use super::*;

    #[test]
    fn identifiers_names_and_text_refuse_what_could_fake_output() {
        assert!(check_ident("TT-PWP-2026.11_a", "id").is_ok());
        for bad in ["", "a b", "-x", "C\u{202E}1", "x\n", &"a".repeat(65)] {
            assert!(check_ident(bad, "id").is_err(), "{bad:?}");
        }
        assert!(check_name("Adaeze Okafor", "name").is_ok());
        assert!(check_name("Zoë O'Brien-Ng", "name").is_ok());
        for bad in [
            " Ann",
            "Ann\u{1b}[31m",
            "A\u{202E}nn",
            "An\nn",
            "\u{200B}",
            "",
        ] {
            assert!(check_name(bad, "name").is_err(), "{bad:?}");
        }
        assert!(check_text("Booked an interpreter.\nChecked understanding.", "evidence").is_ok());
        for bad in ["\u{200B}\u{200B}", "  \n ", "\u{FEFF}", "x\u{1b}[2J"] {
            assert!(check_text(bad, "evidence").is_err(), "{bad:?}");
        }
        assert!(check_text(&"x".repeat(MAX_TEXT + 1), "evidence").is_err());
        assert_eq!(display_safe("a\u{202E}b\nc"), "a\u{FFFD}b c");
        assert_eq!(
            terminal_safe("a\u{1b}[2J\tb\r\nc\u{7}"),
            "a\u{FFFD}[2J\tb\u{FFFD}\nc\u{FFFD}"
        );
        assert!(is_blank("\u{2800} \u{200B}\n") && !is_blank("\u{2800}x"));
    }
}
