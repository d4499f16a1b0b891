//! Divergence: for each candidate and question, the spread of the independent scores.
//!
//! Two flags, with thresholds as fractions of the scale's width (policy `divergence`):
//! - **range**: max − min ≥ `range` × width;
//! - **lone outlier** (three or more panellists): exactly one score lies ≥ `outlier` × width from the
//!   median of the others. A threshold exactly met is flagged.

use super::{Finding, Severity};
use crate::policy::Divergence;
use serde::Serialize;
use serde_json::json;

/// Independent scores for one candidate and question: (panellist, score).
#[derive(Debug, Clone)]
pub struct Cell<'a> {
    pub candidate: &'a str,
    pub question: &'a str,
    pub scores: Vec<(&'a str, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    pub min: i64,
    pub max: i64,
    pub range: i64,
    pub median: f64,
    pub range_flag: bool,
    /// The panellist whose score is a lone outlier, if any.
    pub outlier: Option<String>,
}

pub fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

// Fractions of the width are compared with a small tolerance so that "exactly met" holds despite
// binary floating point (0.3 × 10 is 3.0000000000000004).
const EPS: f64 = 1e-9;

/// The spread of one cell's scores; `None` with fewer than two scores.
pub fn spread(scores: &[(&str, i64)], width: f64, t: &Divergence) -> Option<Spread> {
    if scores.len() < 2 {
        return None;
    }
    let min = scores.iter().map(|s| s.1).min()?;
    let max = scores.iter().map(|s| s.1).max()?;
    let mut all: Vec<f64> = scores.iter().map(|s| s.1 as f64).collect();
    let med = median(&mut all);
    let range = max - min;
    let range_flag = range as f64 >= t.range * width - EPS;
    let mut outlier = None;
    if scores.len() >= 3 {
        let far: Vec<&str> = scores
            .iter()
            .enumerate()
            .filter(|(i, (_, s))| {
                let mut others: Vec<f64> = scores
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| j != i)
                    .map(|(_, o)| o.1 as f64)
                    .collect();
                (*s as f64 - median(&mut others)).abs() >= t.outlier * width - EPS
            })
            .map(|(_, (name, _))| *name)
            .collect();
        if far.len() == 1 {
            outlier = Some(far[0].to_string());
        }
    }
    Some(Spread {
        min,
        max,
        range,
        median: med,
        range_flag,
        outlier,
    })
}

pub fn check(cells: &[Cell<'_>], width: f64, t: &Divergence) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in cells {
        let Some(s) = spread(&c.scores, width, t) else {
            continue;
        };
        if !s.range_flag && s.outlier.is_none() {
            continue;
        }
        let listed: Vec<String> = c.scores.iter().map(|(p, v)| format!("{p} {v}")).collect();
        let mut message = format!(
            "{} · {}: scores {} (range {})",
            c.candidate,
            c.question,
            listed.join(", "),
            s.range
        );
        if let Some(o) = &s.outlier {
            message.push_str(&format!("; {o}'s score stands apart from the others"));
        }
        message.push_str(": discuss the evidence and record the outcome with `fairpanel moderate`");
        out.push(Finding::new(
            "divergence",
            Severity::Warning,
            message,
            json!({
                "candidate": c.candidate,
                "question": c.question,
                "scores": c.scores.iter().map(|(p, v)| json!({"panellist": p, "score": v})).collect::<Vec<_>>(),
                "range": s.range,
                "median": s.median,
                "range_flag": s.range_flag,
                "outlier": s.outlier,
            }),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Divergence {
        Divergence {
            range: 0.5,
            outlier: 0.5,
        }
    }

    #[test]
    fn threshold_exactly_met_is_flagged() {
        // 1–5 scale: width 4, threshold 2 points.
        let s = spread(&[("a", 2), ("b", 4)], 4.0, &t()).unwrap();
        assert!(s.range_flag);
        let s = spread(&[("a", 3), ("b", 4)], 4.0, &t()).unwrap();
        assert!(!s.range_flag);
    }

    #[test]
    fn zero_to_ten_scale_scales_thresholds() {
        // 0–10: width 10, threshold 5 points; 0.3 × 10 must count as exactly 3.
        assert!(
            !spread(&[("a", 3), ("b", 7)], 10.0, &t())
                .unwrap()
                .range_flag
        );
        assert!(
            spread(&[("a", 2), ("b", 7)], 10.0, &t())
                .unwrap()
                .range_flag
        );
        let t3 = Divergence {
            range: 0.3,
            outlier: 0.3,
        };
        assert!(spread(&[("a", 4), ("b", 7)], 10.0, &t3).unwrap().range_flag);
    }

    #[test]
    fn lone_outlier_is_named() {
        let s = spread(&[("a", 4), ("b", 4), ("c", 2)], 4.0, &t()).unwrap();
        assert_eq!(s.outlier.as_deref(), Some("c"));
        // Two far apart pairs: no single outlier.
        let s = spread(&[("a", 1), ("b", 1), ("c", 5), ("d", 5)], 4.0, &t()).unwrap();
        assert_eq!(s.outlier, None);
        assert!(s.range_flag);
    }

    #[test]
    fn findings_only_for_divergent_cells() {
        let cells = vec![
            Cell {
                candidate: "C-1",
                question: "q1",
                scores: vec![("a", 3), ("b", 3), ("c", 4)],
            },
            Cell {
                candidate: "C-1",
                question: "q2",
                scores: vec![("a", 4), ("b", 4), ("c", 2)],
            },
        ];
        let f = check(&cells, 4.0, &t());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].data["question"], "q2");
        assert_eq!(f[0].data["outlier"], "c");
    }

    #[test]
    fn single_score_is_not_a_spread() {
        assert!(spread(&[("a", 1)], 4.0, &t()).is_none());
    }
}
