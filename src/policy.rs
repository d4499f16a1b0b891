//! Policy: the rules the checks apply. A default is built in; a vacancy may carry its own
//! (`vacancy create --policy FILE`), stored with it so a report always states the rules it applied.

use crate::bank::{self, Problem};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const DEFAULT_YAML: &str = include_str!("../data/default-policy.yaml");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Smallest panel that may interview.
    pub min_panel_size: usize,
    /// At least one panellist from a Black, Asian or other ethnic-minority group (self-declared).
    pub require_minority_member: bool,
    /// How many panellists must have fair-recruitment training…
    pub trained_members: usize,
    /// …within this many years of the interview.
    pub training_valid_years: u32,
    /// Question categories every interview plan must include.
    pub required_categories: Vec<String>,
    pub divergence: Divergence,
    /// Candidates whose mean scores differ by at most this fraction of the scale's width are
    /// "too close to separate" without a written reason (a difference exactly at the margin counts).
    pub close_margin: f64,
    /// Counts below this are suppressed in reports (and the cells that would reveal them).
    pub suppression_threshold: u64,
    /// Raters with fewer scored items than this are not named in rater-effect figures.
    pub min_rater_count: usize,
    /// Fairness review of decisions on the record. A policy written without this section gets the
    /// built-in one: saying nothing about review must not switch it off.
    #[serde(default)]
    pub review: Review,
}

/// Who may review a decision, and when a decision needs a current sign-off to be final.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub required: Required,
    /// The reviewer may not sit, or have sat, on the vacancy's panel.
    pub independent: bool,
    /// The reviewer holds the `reviewer` role with fairness-review training within
    /// `training_valid_years`.
    pub require_role: bool,
}

impl Default for Review {
    fn default() -> Self {
        Review {
            required: Required::WhenNeeded,
            independent: true,
            require_role: true,
        }
    }
}

/// When a decision needs a current sign-off before it counts as final.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Required {
    /// When a gap was overridden, the appointed candidate was not the highest scored, or a panellist
    /// who self-declared an ethnic-minority background was overruled.
    WhenNeeded,
    Always,
    /// Review is optional; a review recorded still follows `independent` and `require_role`.
    Never,
}

impl Required {
    pub fn as_str(self) -> &'static str {
        match self {
            Required::WhenNeeded => "when-needed",
            Required::Always => "always",
            Required::Never => "never",
        }
    }
}

/// Divergence thresholds as fractions of the scale's width (max − min), so one policy suits a 1–5 and a
/// 0–10 scale alike.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// Flag when max − min of the independent scores ≥ this × width.
    pub range: f64,
    /// Flag a lone outlier whose distance from the median of the others ≥ this × width.
    pub outlier: f64,
}

impl Default for Policy {
    fn default() -> Self {
        parse(DEFAULT_YAML, "built-in policy").expect("built-in policy is valid")
    }
}

/// Parse and check a new policy (a file given to `vacancy create` or `audit`).
pub fn parse(src: &str, file: &str) -> Result<Policy, bank::Problems> {
    parse_with(src, file, bank::Rules::Door)
}

/// Parse a policy stored with a vacancy: held to the rules of the day it was stored, as banks are
/// (see [`bank::Rules`]).
pub fn parse_recorded(src: &str, file: &str) -> Result<Policy, bank::Problems> {
    // Replaying a record reads the same stored policy for vacancy after vacancy: keep the last one.
    thread_local! {
        static LAST: std::cell::RefCell<Option<(String, Policy)>> = const { std::cell::RefCell::new(None) };
    }
    if let Some(p) =
        LAST.with_borrow(|l| l.as_ref().filter(|(s, _)| s == src).map(|(_, p)| p.clone()))
    {
        return Ok(p);
    }
    let p = parse_with(src, file, bank::Rules::Recorded)?;
    LAST.set(Some((src.to_string(), p.clone())));
    Ok(p)
}

fn parse_with(src: &str, file: &str, rules: bank::Rules) -> Result<Policy, bank::Problems> {
    let p: Policy = bank::from_yaml(src, file).map_err(|e| bank::Problems(vec![e]))?;
    let mut problems = Vec::new();
    let mut bad = |key: &str, message: &str| {
        let (line, column) = src
            .lines()
            .enumerate()
            .find_map(|(i, l)| {
                let t = l.trim_start();
                t.starts_with(&format!("{key}:"))
                    .then(|| (i + 1, l.len() - t.len() + 1))
            })
            .unwrap_or((1, 1));
        problems.push(Problem {
            file: file.into(),
            line,
            column,
            message: format!("{key}: {message}"),
        });
    };
    if rules == bank::Rules::Door {
        // Categories are named in findings and reports, like a bank's.
        for c in &p.required_categories {
            if !bank::is_slug(c) {
                bad(
                    "required_categories",
                    &format!("{c:?} must be lowercase letters, digits and hyphens"),
                );
            }
        }
    }
    if p.min_panel_size == 0 {
        bad("min_panel_size", "must be at least 1");
    }
    for (k, v) in [
        ("range", p.divergence.range),
        ("outlier", p.divergence.outlier),
    ] {
        if !(v > 0.0 && v <= 1.0) {
            bad(
                k,
                "must be a fraction of the scale width, above 0 and at most 1",
            );
        }
    }
    if !(0.0..=1.0).contains(&p.close_margin) {
        bad("close_margin", "must be a fraction between 0 and 1");
    }
    if p.suppression_threshold == 0 {
        bad(
            "suppression_threshold",
            "must be at least 1 (1 shows every count)",
        );
    }
    if problems.is_empty() {
        Ok(p)
    } else {
        Err(bank::Problems(problems))
    }
}

pub fn load_file(path: &Path) -> Result<(Policy, String), bank::Problems> {
    let file = path.display().to_string();
    let src = bank::read_text(path).map_err(|message| {
        bank::Problems(vec![Problem {
            file: file.clone(),
            line: 1,
            column: 1,
            message,
        }])
    })?;
    Ok((parse(&src, &file)?, src))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        let p = Policy::default();
        assert!(p.require_minority_member);
        assert_eq!(p.required_categories, vec!["diversity-attitude"]);
    }

    #[test]
    fn bad_value_is_located() {
        let src = DEFAULT_YAML.replace("range: 0.5", "range: 3");
        let e = parse(&src, "p.yaml").unwrap_err().to_string();
        assert!(e.starts_with("p.yaml:"), "{e}");
        assert!(e.contains("range: must be a fraction"), "{e}");
    }

    #[test]
    fn review_section_is_read_located_and_defaults_to_the_built_in_one() {
        let p = Policy::default();
        assert_eq!(p.review, Review::default());
        assert_eq!(p.review.required, Required::WhenNeeded);
        let src = DEFAULT_YAML.replace("required: when-needed", "required: always");
        assert_eq!(
            parse(&src, "p.yaml").unwrap().review.required,
            Required::Always
        );
        // A policy written before the section existed keeps the built-in review rules.
        let start = DEFAULT_YAML
            .find("\n# Fairness review")
            .expect("review section");
        let without = &DEFAULT_YAML[..start];
        assert!(!without.contains("review:"));
        assert_eq!(
            parse(without, "old.yaml").unwrap().review,
            Review::default()
        );
        let src = DEFAULT_YAML.replace("required: when-needed", "required: sometimes");
        let e = parse(&src, "p.yaml").unwrap_err().to_string();
        let line = DEFAULT_YAML
            .lines()
            .position(|l| l.trim_start().starts_with("required:"))
            .unwrap()
            + 1;
        assert!(e.starts_with(&format!("p.yaml:{line}:")), "{e}");
        assert!(e.contains("sometimes"), "{e}");
        let src = DEFAULT_YAML.replace("independent: true", "independent: true\n  anyone: true");
        let e = parse(&src, "p.yaml").unwrap_err().to_string();
        assert!(e.contains("p.yaml:") && e.contains("anyone"), "{e}");
        let src = DEFAULT_YAML.replace("require_role: true", "require_role: yes please");
        let e = parse(&src, "p.yaml").unwrap_err().to_string();
        assert!(e.contains("p.yaml:") && e.contains("invalid type"), "{e}");
    }

    #[test]
    fn wrong_type_is_located() {
        let src = DEFAULT_YAML.replace("min_panel_size: 3", "min_panel_size: three");
        let e = parse(&src, "p.yaml").unwrap_err().to_string();
        assert!(e.contains("p.yaml:"), "{e}");
        assert!(e.contains("invalid type"), "{e}");
    }
}
