//! Decision: whether the scores alone explain the appointment, and if not, that a rationale says why.
//!
//! Rules, on the candidates' weighted means:
//! - **not the highest**: the appointed candidate's mean is below the highest → a rationale is required.
//! - **too close to separate**: another candidate's mean is within `close_margin` × width of the
//!   appointed candidate's (exactly met counts, as in divergence), above or below → a rationale is
//!   required. A tie for the highest mean is reported this way, not as "not the highest".
//! - **not scored**: the appointed candidate has no weighted mean (scores not all submitted) → a
//!   rationale is required.
//!
//! Each required rationale is a gap when the rationale is missing or blank, and a warning showing it
//! when present. When the scores alone explain the decision there is one info finding.

use super::{Finding, Severity};
use serde_json::json;

const CHECK: &str = "decision";
// Means are averages of weighted scores; compare with a tolerance so equal and exactly-met hold.
const EPS: f64 = 1e-9;

#[derive(Debug, Clone, PartialEq)]
enum Issue {
    NotScored,
    NotHighest {
        mean: f64,
        top: Vec<(String, f64)>,
    },
    Close {
        mean: f64,
        /// Tied for the highest mean with these.
        tied_top: Vec<(String, f64)>,
        /// Within the margin but not tied at the top.
        near: Vec<(String, f64)>,
    },
}

struct Assessment {
    issues: Vec<Issue>,
    ranked: Vec<(String, f64)>,
    margin: f64,
}

fn assess(ranking: &[(String, f64)], appointed: &str, width: f64, close_margin: f64) -> Assessment {
    let mut ranked: Vec<(String, f64)> = ranking
        .iter()
        .filter(|(_, m)| m.is_finite())
        .cloned()
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let margin = close_margin * width;
    let mut issues = Vec::new();
    let Some(mean) = ranked.iter().find(|(c, _)| c == appointed).map(|c| c.1) else {
        return Assessment {
            issues: vec![Issue::NotScored],
            ranked,
            margin,
        };
    };
    let top_mean = ranked[0].1;
    let is_top = mean >= top_mean - EPS;
    if !is_top {
        issues.push(Issue::NotHighest {
            mean,
            top: ranked
                .iter()
                .filter(|(_, m)| *m >= top_mean - EPS)
                .cloned()
                .collect(),
        });
    }
    let others = ranked.iter().filter(|(c, _)| c != appointed);
    let (tied_top, near): (Vec<_>, Vec<_>) = others
        .filter(|(_, m)| (m - mean).abs() <= margin + EPS)
        .cloned()
        .partition(|(_, m)| is_top && (m - mean).abs() <= EPS);
    if !tied_top.is_empty() || !near.is_empty() {
        issues.push(Issue::Close {
            mean,
            tied_top,
            near,
        });
    }
    Assessment {
        issues,
        ranked,
        margin,
    }
}

fn describe(issue: &Issue, appointed: &str, margin: f64) -> String {
    let list = |xs: &[(String, f64)]| {
        xs.iter()
            .map(|(c, m)| format!("{c} ({m:.2})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match issue {
        Issue::NotScored => format!(
            "{appointed} has no weighted mean (not every panellist's sheet is submitted), so the scores cannot \
             support the appointment"
        ),
        Issue::NotHighest { mean, top } => format!(
            "{appointed} was appointed with a weighted mean of {mean:.2}, below the highest: {}",
            list(top)
        ),
        Issue::Close {
            mean,
            tied_top,
            near,
        } => {
            let mut parts = Vec::new();
            if !tied_top.is_empty() {
                parts.push(format!(
                    "{appointed} shares the highest weighted mean ({mean:.2}) with {}",
                    list(tied_top)
                ));
            }
            if !near.is_empty() {
                parts.push(format!(
                    "{appointed} ({mean:.2}) is within {margin:.2} of {}",
                    list(near)
                ));
            }
            format!("{}: too close to separate on scores", parts.join("; "))
        }
    }
}

/// Why the decision needs a written rationale, or `None` when the scores alone explain it. Use before
/// storing a decision.
pub fn rationale_required(
    ranking: &[(String, f64)],
    appointed: &str,
    width: f64,
    close_margin: f64,
) -> Option<String> {
    let a = assess(ranking, appointed, width, close_margin);
    if a.issues.is_empty() {
        return None;
    }
    Some(
        a.issues
            .iter()
            .map(|i| describe(i, appointed, a.margin))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// `ranking` is (candidate, weighted mean) in any order; `close_margin` is the policy's fraction of
/// the scale's `width`.
pub fn check(
    ranking: &[(String, f64)],
    appointed: &str,
    rationale: Option<&str>,
    width: f64,
    close_margin: f64,
) -> Vec<Finding> {
    let a = assess(ranking, appointed, width, close_margin);
    let rationale = rationale.map(str::trim).filter(|r| !r.is_empty());
    let ranked_json: Vec<_> = a
        .ranked
        .iter()
        .map(|(c, m)| json!({"candidate": c, "weighted_mean": m}))
        .collect();
    let pairs = |xs: &[(String, f64)]| {
        xs.iter()
            .map(|(c, m)| json!({"candidate": c, "weighted_mean": m}))
            .collect::<Vec<_>>()
    };
    if a.issues.is_empty() {
        // Only reached when the appointed candidate is alone at the top with a clear margin.
        let mean = a.ranked[0].1;
        let message = match a.ranked.get(1) {
            Some((next, m)) => format!(
                "{appointed} had the highest weighted mean ({mean:.2}), {:.2} above the next, {next} ({m:.2})",
                mean - m
            ),
            None => format!("{appointed} was the only scored candidate ({mean:.2})"),
        };
        return vec![Finding::new(
            CHECK,
            Severity::Info,
            message,
            json!({
                "kind": "highest",
                "appointed": appointed,
                "ranking": ranked_json,
                "margin": a.margin,
                "rationale": rationale,
            }),
        )];
    }
    a.issues
        .iter()
        .map(|issue| {
            let mut message = describe(issue, appointed, a.margin);
            let severity = match rationale {
                Some(r) => {
                    message.push_str(&format!("; rationale: \"{r}\""));
                    Severity::Warning
                }
                None => {
                    message.push_str(": a written rationale is required");
                    Severity::Gap
                }
            };
            let mut data = json!({
                "appointed": appointed,
                "ranking": ranked_json,
                "margin": a.margin,
                "rationale": rationale,
            });
            match issue {
                Issue::NotScored => data["kind"] = json!("not_scored"),
                Issue::NotHighest { mean, top } => {
                    data["kind"] = json!("not_highest");
                    data["appointed_mean"] = json!(mean);
                    data["highest"] = json!(pairs(top));
                }
                Issue::Close {
                    mean,
                    tied_top,
                    near,
                } => {
                    data["kind"] = json!("close");
                    data["appointed_mean"] = json!(mean);
                    data["tied_top"] = json!(pairs(tied_top));
                    data["near"] = json!(pairs(near));
                }
            }
            Finding::new(CHECK, severity, message, data)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(xs: &[(&str, f64)]) -> Vec<(String, f64)> {
        xs.iter().map(|(c, m)| (c.to_string(), *m)).collect()
    }

    fn kinds(f: &[Finding]) -> Vec<(&str, Severity)> {
        f.iter()
            .map(|f| (f.data["kind"].as_str().unwrap(), f.severity))
            .collect()
    }

    // 1–5 scale, default policy: margin 0.05 × 4 = 0.2 points.
    const W: f64 = 4.0;
    const M: f64 = 0.05;

    #[test]
    fn top_with_clear_margin_is_only_info() {
        let ranking = r(&[("C-101", 3.7), ("C-103", 4.29), ("C-105", 2.3)]);
        let f = check(&ranking, "C-103", None, W, M);
        assert_eq!(kinds(&f), [("highest", Severity::Info)]);
        assert!(f[0].message.contains(
            "C-103 had the highest weighted mean (4.29), 0.59 above the next, C-101 (3.70)"
        ));
        assert_eq!(rationale_required(&ranking, "C-103", W, M), None);
        // A rationale given anyway changes nothing.
        assert_eq!(
            kinds(&check(&ranking, "C-103", Some("best"), W, M)).len(),
            1
        );
    }

    #[test]
    fn not_the_highest_needs_a_rationale() {
        let ranking = r(&[("C-103", 4.29), ("C-104", 3.15), ("C-101", 3.7)]);
        let f = check(&ranking, "C-101", None, W, M);
        assert_eq!(kinds(&f), [("not_highest", Severity::Gap)]);
        assert!(f[0].message.contains(
            "C-101 was appointed with a weighted mean of 3.70, below the highest: C-103 (4.29)"
        ));
        assert!(f[0].message.contains("rationale is required"));
        let f = check(&ranking, "C-101", Some("  "), W, M);
        assert_eq!(f[0].severity, Severity::Gap);
        let f = check(
            &ranking,
            "C-101",
            Some("Stronger on the risk question."),
            W,
            M,
        );
        assert_eq!(kinds(&f), [("not_highest", Severity::Warning)]);
        assert!(f[0]
            .message
            .ends_with("rationale: \"Stronger on the risk question.\""));
        assert!(rationale_required(&ranking, "C-101", W, M)
            .unwrap()
            .contains("below the highest"));
    }

    #[test]
    fn margin_exactly_met_counts_as_close() {
        // 0.05 × 4 = 0.2 is not exact in binary; 3.9 − 3.7 is not either.
        let ranking = r(&[("A", 3.9), ("B", 3.7)]);
        let f = check(&ranking, "A", None, W, M);
        assert_eq!(kinds(&f), [("close", Severity::Gap)]);
        assert!(f[0]
            .message
            .contains("A (3.90) is within 0.20 of B (3.70): too close to separate"));
        // Just beyond the margin: clear.
        let ranking = r(&[("A", 3.9), ("B", 3.69)]);
        assert_eq!(
            kinds(&check(&ranking, "A", None, W, M)),
            [("highest", Severity::Info)]
        );
        // 0–10 scale, margin 0.03 × 10 = 0.3.
        let ranking = r(&[("A", 7.3), ("B", 7.0)]);
        assert!(rationale_required(&ranking, "A", 10.0, 0.03).is_some());
        assert!(rationale_required(&ranking, "A", 10.0, 0.02).is_none());
    }

    #[test]
    fn close_below_the_appointed_as_well_as_above() {
        let ranking = r(&[("A", 4.0), ("B", 3.95), ("C", 3.9), ("D", 3.0)]);
        let f = check(&ranking, "B", Some("reason"), W, M);
        assert_eq!(
            kinds(&f),
            [
                ("not_highest", Severity::Warning),
                ("close", Severity::Warning)
            ]
        );
        let near = f[1].data["near"].as_array().unwrap();
        let names: Vec<&str> = near
            .iter()
            .map(|n| n["candidate"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["A", "C"]);
    }

    #[test]
    fn tie_for_the_top_is_close_not_not_highest() {
        let ranking = r(&[("A", 4.0), ("B", 4.0), ("C", 3.0)]);
        let f = check(&ranking, "B", None, W, M);
        assert_eq!(kinds(&f), [("close", Severity::Gap)]);
        assert!(f[0]
            .message
            .contains("B shares the highest weighted mean (4.00) with A (4.00)"));
        // Equal after floating-point arithmetic still counts as a tie, even with a zero margin.
        let ranking = r(&[("A", 3.0 + 0.1 + 0.2), ("B", 3.3)]);
        let f = check(&ranking, "B", None, W, 0.0);
        assert_eq!(kinds(&f), [("close", Severity::Gap)]);
        // A tie below the top: not the highest, and close to the one it ties with.
        let ranking = r(&[("A", 4.0), ("B", 3.0), ("C", 3.0)]);
        let f = check(&ranking, "C", None, W, M);
        assert_eq!(
            kinds(&f),
            [("not_highest", Severity::Gap), ("close", Severity::Gap)]
        );
        assert!(f[1].message.contains("C (3.00) is within 0.20 of B (3.00)"));
    }

    #[test]
    fn tie_and_near_are_both_listed() {
        let ranking = r(&[("A", 4.0), ("B", 4.0), ("C", 3.85)]);
        let why = rationale_required(&ranking, "A", W, M).unwrap();
        assert!(
            why.contains("shares the highest weighted mean (4.00) with B (4.00)"),
            "{why}"
        );
        assert!(why.contains("within 0.20 of C (3.85)"), "{why}");
    }

    #[test]
    fn appointed_without_scores_needs_a_rationale() {
        let ranking = r(&[("A", 4.0)]);
        let f = check(&ranking, "Z", None, W, M);
        assert_eq!(kinds(&f), [("not_scored", Severity::Gap)]);
        assert_eq!(
            kinds(&check(&[], "Z", Some("why"), W, M)),
            [("not_scored", Severity::Warning)]
        );
        // Non-finite means are treated as missing.
        let ranking = r(&[("A", 4.0), ("Z", f64::NAN)]);
        assert_eq!(kinds(&check(&ranking, "Z", None, W, M))[0].0, "not_scored");
    }

    #[test]
    fn only_candidate_is_info() {
        let f = check(&r(&[("A", 2.5)]), "A", None, W, M);
        assert_eq!(kinds(&f), [("highest", Severity::Info)]);
        assert!(f[0].message.contains("only scored candidate"));
    }
}
