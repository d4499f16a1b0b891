//! Checks: pure functions over plain domain data, each returning findings. No I/O.
//!
//! A new check is one function and one line in [`run_all`].

pub mod composition;
pub mod coverage;
pub mod decision;
pub mod divergence;
pub mod language;
pub mod moderation;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    /// Something the panel must not skip; `fairpanel check` exits 3.
    Gap,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Gap => "gap",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The data behind the finding.
    pub data: serde_json::Value,
}

impl Finding {
    pub fn new(
        check: &'static str,
        severity: Severity,
        message: impl Into<String>,
        data: serde_json::Value,
    ) -> Self {
        Finding {
            check,
            severity,
            message: message.into(),
            data,
        }
    }
}
