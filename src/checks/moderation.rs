//! Moderation: how the agreed scores relate to the independent scores they replace.
//!
//! A cell is one candidate and question. Its agreed score is its latest moderation entry (earlier
//! entries were superseded); its independent scores come from submitted sheets only. Findings:
//!
//! - **changed**: the agreed score differs from the median of the independent scores (see
//!   [`needs_reason`]). Warning showing from → to and the reason; gap when no reason is recorded.
//! - **overruled dissent** (cells with three or more independent scores): panellist P, who scored `s`,
//!   is overruled by the agreed score `A` when either
//!   (a) P is the *lone furthest*: P's distance from the median of the others' scores is above zero and
//!   greater than every other panellist's distance from the median of theirs, and `A` is nearer that
//!   median of the others than P's score, `|A − median(others)| < |A − s|`; or
//!   (b) `|A − s|` ≥ `outlier` × width (exactly met counts) and `A` sits with the majority: more than
//!   half the panel scored strictly nearer `A` than `s` is.
//!   Warning. When P self-declared a Black, Asian or other ethnic-minority background the message says
//!   so, and it is a gap unless a reason is recorded. An unstated ethnicity is never guessed.
//! - **anchoring** (once per vacancy, when any cell is moderated): over the changed cells, how often the
//!   agreed score moved toward the chair's independent score, and toward the score on the candidate's
//!   first-submitted sheet. "Toward" means `|A − c| < |median − c|`; "away" means `>`; equal distance
//!   is neither. Info; a warning when at least [`ANCHOR_MIN_CELLS`] changed cells carry a chair's score
//!   and at least [`ANCHOR_SHARE`] of them moved toward it.

use super::divergence::median;
use super::{Finding, Severity};
use crate::ethnicity;
use crate::model::{Moderation, Panellist, Role, Sheet};
use crate::policy::Divergence;
use serde_json::json;

const CHECK: &str = "moderation";
/// Fewer changed cells than this say too little about anchoring to warn on.
pub const ANCHOR_MIN_CELLS: usize = 4;
/// Share of changed cells moving toward the chair at which anchoring is flagged (exactly met counts).
pub const ANCHOR_SHARE: f64 = 0.75;
// Same tolerance as divergence: a fraction of the width exactly met must count despite rounding.
const EPS: f64 = 1e-9;

#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub panel: Vec<Member<'a>>,
    pub chair: Option<&'a str>,
    pub cells: Vec<Cell<'a>>,
    /// (candidate, panellist whose sheet for that candidate was submitted first).
    pub first_submitted: Vec<(&'a str, &'a str)>,
}

#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub name: &'a str,
    pub role: Role,
    /// Self-declared Black, Asian or other ethnic-minority background; `None` when not stated.
    pub minority: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Cell<'a> {
    pub candidate: &'a str,
    pub question: &'a str,
    /// Independent scores from submitted sheets: (panellist, score).
    pub scores: Vec<(&'a str, i64)>,
    /// Moderation entries, oldest first; the last is the agreed score.
    pub moderations: Vec<Entry<'a>>,
}

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub score: i64,
    pub reason: Option<&'a str>,
    pub recorded_by: &'a str,
}

/// Whether a panellist self-declared a Black, Asian or other ethnic-minority background (WRES: any
/// stated group other than White). `None` for no code, an unknown code, "not stated" or "not known".
pub fn minority(ethnicity_code: Option<&str>) -> Option<bool> {
    ethnicity_code
        .and_then(ethnicity::by_code)
        .filter(|c| c.group.is_stated())
        .map(|c| c.group.is_bme())
}

impl<'a> Input<'a> {
    /// Builds the input from stored records. Cells are the moderated ones, in order of their first
    /// entry. The first-submitted sheet is the one with the earliest `submitted_at` (RFC 3339 UTC, so
    /// text order is time order); when two share the earliest time, the order is unknown and none is
    /// named.
    pub fn from_records(
        panel: &'a [Panellist],
        sheets: &'a [Sheet],
        moderations: &'a [Moderation],
    ) -> Input<'a> {
        let members: Vec<Member<'a>> = panel
            .iter()
            .map(|p| Member {
                name: &p.name,
                role: p.role,
                minority: minority(p.ethnicity.as_deref()),
            })
            .collect();
        let chair = panel
            .iter()
            .find(|p| p.role == Role::Chair)
            .map(|p| p.name.as_str());
        let mut cells: Vec<Cell<'a>> = Vec::new();
        for m in moderations {
            let entry = Entry {
                score: m.score,
                reason: m.reason.as_deref(),
                recorded_by: &m.recorded_by,
            };
            if let Some(c) = cells
                .iter_mut()
                .find(|c| c.candidate == m.candidate && c.question == m.question)
            {
                c.moderations.push(entry);
                continue;
            }
            let scores = sheets
                .iter()
                .filter(|s| s.candidate == m.candidate && s.is_submitted())
                .filter_map(|s| {
                    s.answer(&m.question)
                        .map(|a| (s.panellist.as_str(), a.score))
                })
                .collect();
            cells.push(Cell {
                candidate: &m.candidate,
                question: &m.question,
                scores,
                moderations: vec![entry],
            });
        }
        let mut first_submitted = Vec::new();
        let mut candidates: Vec<&str> = Vec::new();
        for s in sheets {
            if !candidates.contains(&s.candidate.as_str()) {
                candidates.push(&s.candidate);
            }
        }
        for c in candidates {
            let mut times: Vec<(&str, &str)> = sheets
                .iter()
                .filter(|s| s.candidate == c)
                .filter_map(|s| Some((s.submitted_at.as_deref()?, s.panellist.as_str())))
                .collect();
            times.sort();
            match times.as_slice() {
                [only] => first_submitted.push((c, only.1)),
                [a, b, ..] if a.0 < b.0 => first_submitted.push((c, a.1)),
                _ => {}
            }
        }
        Input {
            panel: members,
            chair,
            cells,
            first_submitted,
        }
    }
}

/// Whether an agreed score needs a written reason: whenever it differs from the median of the
/// independent scores, compared exactly. With an even number of scores the median may fall between two
/// points (3.5 for 3 and 4); then every agreed score differs from it, because choosing either side is
/// itself a decision to explain. With no independent scores there is nothing to agree from, so a
/// reason is always needed.
pub fn needs_reason(independent: &[i64], agreed: i64) -> bool {
    if independent.is_empty() {
        return true;
    }
    let mut xs: Vec<f64> = independent.iter().map(|&s| s as f64).collect();
    agreed as f64 != median(&mut xs)
}

/// A panellist overruled by the agreed score in one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Overruled<'a> {
    pub panellist: &'a str,
    pub score: i64,
    /// Rule (a): the lone furthest from the others.
    pub lone_furthest: bool,
    /// Rule (b): at least the outlier threshold from the agreed score, which sits with the majority.
    pub beyond_threshold: bool,
}

/// The panellists overruled by `agreed` in a cell (rules in the module docs), in input order.
pub fn overruled<'a>(
    scores: &[(&'a str, i64)],
    agreed: i64,
    width: f64,
    t: &Divergence,
) -> Vec<Overruled<'a>> {
    if scores.len() < 3 {
        return Vec::new();
    }
    let others_median = |i: usize| {
        let mut others: Vec<f64> = scores
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, s)| s.1 as f64)
            .collect();
        median(&mut others)
    };
    let medians: Vec<f64> = (0..scores.len()).map(others_median).collect();
    let dist: Vec<f64> = scores
        .iter()
        .zip(&medians)
        .map(|(s, m)| (s.1 as f64 - m).abs())
        .collect();
    let a = agreed as f64;
    let mut out = Vec::new();
    for (i, &(name, s)) in scores.iter().enumerate() {
        let gap = (a - s as f64).abs();
        let lone_furthest = dist[i] > 0.0
            && dist.iter().enumerate().all(|(j, d)| j == i || *d < dist[i])
            && (a - medians[i]).abs() < gap;
        let nearer = scores
            .iter()
            .filter(|o| ((o.1 - agreed).abs() as f64) < gap)
            .count();
        let beyond_threshold =
            gap >= t.outlier * width - EPS && gap > 0.0 && 2 * nearer > scores.len();
        if lone_furthest || beyond_threshold {
            out.push(Overruled {
                panellist: name,
                score: s,
                lone_furthest,
                beyond_threshold,
            });
        }
    }
    out
}

pub fn check(input: &Input<'_>, width: f64, t: &Divergence) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut anchor = Anchoring::default();
    let mut moderated = 0;
    for cell in &input.cells {
        let Some(last) = cell.moderations.last() else {
            continue;
        };
        moderated += 1;
        let agreed = last.score;
        let reason = last.reason.map(str::trim).filter(|r| !r.is_empty());
        let values: Vec<i64> = cell.scores.iter().map(|s| s.1).collect();
        let med = if values.is_empty() {
            None
        } else {
            let mut xs: Vec<f64> = values.iter().map(|&v| v as f64).collect();
            Some(median(&mut xs))
        };
        let listed = cell
            .scores
            .iter()
            .map(|(p, v)| format!("{p} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let where_ = format!("{} · {}", cell.candidate, cell.question);
        let base = json!({
            "candidate": cell.candidate,
            "question": cell.question,
            "scores": cell.scores.iter().map(|(p, v)| json!({"panellist": p, "score": v})).collect::<Vec<_>>(),
            "median": med,
            "agreed": agreed,
            "reason": reason,
            "recorded_by": last.recorded_by,
            "entries": cell.moderations.len(),
        });

        if needs_reason(&values, agreed) {
            let from = match med {
                Some(m) => format!("from the independent median {} (scores: {listed})", num(m)),
                None => String::from("with no submitted independent scores"),
            };
            let mut data = base.clone();
            data["kind"] = json!("changed");
            let (severity, message) = match reason {
                Some(r) => (
                    Severity::Warning,
                    format!("{where_}: agreed score {agreed}, moved {from}; reason: \"{r}\""),
                ),
                None => (
                    Severity::Gap,
                    format!(
                        "{where_}: agreed score {agreed}, moved {from}, with no reason recorded: \
                         moderate again with a reason"
                    ),
                ),
            };
            out.push(Finding::new(CHECK, severity, message, data));
        }

        for o in overruled(&cell.scores, agreed, width, t) {
            let minority = input
                .panel
                .iter()
                .find(|m| m.name == o.panellist)
                .and_then(|m| m.minority)
                == Some(true);
            let others = cell
                .scores
                .iter()
                .filter(|(p, _)| *p != o.panellist)
                .map(|(p, v)| format!("{p} {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut message = format!(
                "{where_}: the agreed score {agreed} overrules {}'s independent score of {} (others: {others})",
                o.panellist, o.score
            );
            if minority {
                message.push_str(&format!(
                    "; {} is a panel member who self-declared a Black, Asian or other ethnic-minority \
                     background",
                    o.panellist
                ));
            }
            let severity = match (minority, reason) {
                (true, None) => {
                    message.push_str(": record the reason the panel did not follow their score");
                    Severity::Gap
                }
                (_, Some(r)) => {
                    message.push_str(&format!("; reason: \"{r}\""));
                    Severity::Warning
                }
                (false, None) => Severity::Warning,
            };
            let mut data = base.clone();
            data["kind"] = json!("overruled_dissent");
            data["overruled"] = json!({
                "panellist": o.panellist,
                "score": o.score,
                "lone_furthest": o.lone_furthest,
                "beyond_threshold": o.beyond_threshold,
                "minority_member": minority,
            });
            out.push(Finding::new(CHECK, severity, message, data));
        }

        if let Some(m) = med.filter(|m| agreed as f64 != *m) {
            anchor.changed += 1;
            let score_of = |who: &str| cell.scores.iter().find(|s| s.0 == who).map(|s| s.1);
            if let Some(c) = input.chair.and_then(score_of) {
                anchor.chair.add(agreed, m, c);
            }
            let first = input
                .first_submitted
                .iter()
                .find(|(cand, _)| *cand == cell.candidate)
                .and_then(|(_, who)| score_of(who));
            if let Some(f) = first {
                anchor.first.add(agreed, m, f);
            }
        }
    }
    if moderated > 0 {
        out.push(anchor.finding(moderated, input.chair));
    }
    out
}

#[derive(Debug, Default)]
struct Anchoring {
    changed: usize,
    chair: Tally,
    first: Tally,
}

#[derive(Debug, Default)]
struct Tally {
    toward: usize,
    away: usize,
    level: usize,
}

impl Tally {
    fn add(&mut self, agreed: i64, median: f64, reference: i64) {
        let (a, r) = (agreed as f64, reference as f64);
        let (now, before) = ((a - r).abs(), (median - r).abs());
        if now < before {
            self.toward += 1;
        } else if now > before {
            self.away += 1;
        } else {
            self.level += 1;
        }
    }
    fn cells(&self) -> usize {
        self.toward + self.away + self.level
    }
    fn json(&self) -> serde_json::Value {
        json!({"toward": self.toward, "away": self.away, "level": self.level, "cells": self.cells()})
    }
}

impl Anchoring {
    fn finding(&self, moderated: usize, chair: Option<&str>) -> Finding {
        let n = self.chair.cells();
        // Tolerance so that exactly 3 of 4 meets a 0.75 share.
        let anchored =
            n >= ANCHOR_MIN_CELLS && self.chair.toward as f64 >= ANCHOR_SHARE * n as f64 - EPS;
        let data = json!({
            "kind": "anchoring",
            "moderated_cells": moderated,
            "changed_cells": self.changed,
            "chair": chair,
            "toward_chair": self.chair.json(),
            "toward_first_submitted": self.first.json(),
            "warn_share": ANCHOR_SHARE,
            "warn_min_cells": ANCHOR_MIN_CELLS,
        });
        if self.changed == 0 {
            return Finding::new(
                CHECK,
                Severity::Info,
                format!(
                    "{moderated} moderated cell{}: every agreed score equals the independent median",
                    plural(moderated)
                ),
                data,
            );
        }
        let mut parts = Vec::new();
        match chair {
            Some(name) if n > 0 => parts.push(format!(
                "agreed scores moved toward the chair's ({name}) independent score in {} of {n} changed cell{} \
                 ({}%; away in {})",
                self.chair.toward,
                plural(n),
                percent(self.chair.toward, n),
                self.chair.away
            )),
            Some(name) => parts.push(format!(
                "the chair ({name}) has no independent score in the changed cells"
            )),
            None => parts.push(String::from("the panel has no chair to compare with")),
        }
        let f = self.first.cells();
        if f > 0 {
            parts.push(format!(
                "toward the first-submitted sheet's score in {} of {f} ({}%; away in {})",
                self.first.toward,
                percent(self.first.toward, f),
                self.first.away
            ));
        } else {
            parts.push(String::from(
                "the first-submitted sheet is not known for the changed cells",
            ));
        }
        let mut message = format!(
            "{} of {moderated} moderated cell{} changed from the independent median; {}",
            self.changed,
            plural(moderated),
            parts.join("; ")
        );
        let severity = if anchored {
            message.push_str(
                ": check that the discussion weighed every panellist's evidence rather than starting from the \
                 chair's view",
            );
            Severity::Warning
        } else {
            Severity::Info
        };
        Finding::new(CHECK, severity, message, data)
    }
}

fn percent(part: usize, whole: usize) -> usize {
    (100.0 * part as f64 / whole as f64).round() as usize
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// 3 for 3.0, 3.5 for 3.5.
fn num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Answer;

    fn t() -> Divergence {
        Divergence {
            range: 0.5,
            outlier: 0.5,
        }
    }

    fn member(name: &str, role: Role, minority: Option<bool>) -> Member<'_> {
        Member {
            name,
            role,
            minority,
        }
    }

    fn panel() -> Vec<Member<'static>> {
        vec![
            member("Ruth", Role::Chair, Some(false)),
            member("Tom", Role::Member, Some(false)),
            member("Anna", Role::Member, None),
            member("Ada", Role::Member, Some(true)),
        ]
    }

    fn cell<'a>(
        candidate: &'a str,
        question: &'a str,
        scores: [i64; 4],
        agreed: i64,
        reason: Option<&'a str>,
    ) -> Cell<'a> {
        Cell {
            candidate,
            question,
            scores: ["Ruth", "Tom", "Anna", "Ada"]
                .into_iter()
                .zip(scores)
                .collect(),
            moderations: vec![Entry {
                score: agreed,
                reason,
                recorded_by: "Ruth",
            }],
        }
    }

    fn input(cells: Vec<Cell<'static>>) -> Input<'static> {
        Input {
            panel: panel(),
            chair: Some("Ruth"),
            cells,
            first_submitted: vec![],
        }
    }

    fn kind<'f>(f: &'f [Finding], k: &str) -> Vec<&'f Finding> {
        f.iter().filter(|f| f.data["kind"] == k).collect()
    }

    #[test]
    fn needs_reason_compares_with_the_exact_median() {
        assert!(!needs_reason(&[3, 3, 4], 3));
        assert!(needs_reason(&[3, 3, 4], 4));
        // Even count: the median 3.5 lies between points, so either side needs a reason.
        assert!(needs_reason(&[3, 4], 3));
        assert!(needs_reason(&[3, 4], 4));
        assert!(!needs_reason(&[2, 3, 3, 4], 3));
        assert!(needs_reason(&[], 3));
        assert!(!needs_reason(&[5], 5));
    }

    #[test]
    fn changed_without_reason_is_a_gap_with_reason_a_warning() {
        let f = check(
            &input(vec![
                cell("C-1", "q1", [2, 2, 3, 3], 4, None),
                cell("C-1", "q2", [2, 2, 3, 3], 4, Some("  ")),
                cell("C-1", "q3", [2, 2, 3, 3], 3, Some("evidence of X")),
                cell("C-1", "q4", [2, 3, 3, 3], 3, None),
            ]),
            4.0,
            &t(),
        );
        let changed = kind(&f, "changed");
        assert_eq!(changed.len(), 3, "{changed:#?}");
        assert_eq!(changed[0].severity, Severity::Gap);
        assert!(changed[0]
            .message
            .contains("moved from the independent median 2.5"));
        assert!(changed[0].message.contains("no reason recorded"));
        // A blank reason is no reason.
        assert_eq!(changed[1].severity, Severity::Gap);
        assert_eq!(changed[2].severity, Severity::Warning);
        assert!(changed[2]
            .message
            .contains("from the independent median 2.5"));
        assert!(changed[2].message.contains("agreed score 3"));
        assert!(changed[2].message.contains("reason: \"evidence of X\""));
    }

    #[test]
    fn latest_entry_is_the_agreed_score() {
        let mut c = cell("C-1", "q1", [3, 3, 3, 3], 5, None);
        c.moderations.push(Entry {
            score: 3,
            reason: None,
            recorded_by: "Ruth",
        });
        let f = check(&input(vec![c]), 4.0, &t());
        assert!(kind(&f, "changed").is_empty());
        assert_eq!(kind(&f, "anchoring")[0].data["moderated_cells"], 1);
    }

    #[test]
    fn agreed_without_independent_scores_needs_a_reason() {
        let c = Cell {
            candidate: "C-1",
            question: "q1",
            scores: vec![],
            moderations: vec![Entry {
                score: 3,
                reason: None,
                recorded_by: "Ruth",
            }],
        };
        let f = check(&input(vec![c]), 4.0, &t());
        let changed = kind(&f, "changed");
        assert_eq!(changed[0].severity, Severity::Gap);
        assert!(changed[0]
            .message
            .contains("no submitted independent scores"));
    }

    #[test]
    fn unmoderated_cells_give_no_findings() {
        let mut c = cell("C-1", "q1", [1, 5, 3, 3], 3, None);
        c.moderations.clear();
        assert!(check(&input(vec![c]), 4.0, &t()).is_empty());
    }

    #[test]
    fn lone_furthest_panellist_overruled() {
        let s = [("a", 4), ("b", 4), ("c", 4), ("d", 2)];
        let o = overruled(&s, 4, 4.0, &t());
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].panellist, "d");
        assert!(o[0].lone_furthest && o[0].beyond_threshold);
        // Agreed on the dissenter's side: nobody overruled.
        assert!(overruled(&s, 2, 4.0, &t())
            .iter()
            .all(|o| o.panellist != "d"));
        // Halfway: nearer neither side, so not overruled by rule (a).
        assert!(overruled(&s, 3, 4.0, &t()).is_empty());
    }

    #[test]
    fn a_small_lone_dissent_is_still_dissent() {
        let o = overruled(&[("a", 3), ("b", 3), ("c", 4)], 3, 4.0, &t());
        assert_eq!(o.len(), 1);
        assert!(o[0].lone_furthest && !o[0].beyond_threshold);
    }

    #[test]
    fn no_lone_furthest_when_tied_or_too_few() {
        // 1 and 5 are equally far from the others.
        assert!(overruled(&[("a", 1), ("b", 3), ("c", 5)], 3, 4.0, &t()).is_empty());
        // Two panellists: no majority, no lone dissent.
        assert!(overruled(&[("a", 1), ("b", 5)], 5, 4.0, &t()).is_empty());
        // Two against two: the agreed score does not sit with a majority.
        assert!(overruled(&[("a", 2), ("b", 2), ("c", 4), ("d", 4)], 4, 4.0, &t()).is_empty());
    }

    #[test]
    fn threshold_rule_catches_a_outvoted_pair() {
        // Five panellists, two dissenting together: not a lone outlier, but outvoted by 3 points.
        let s = [("a", 1), ("b", 1), ("c", 4), ("d", 4), ("e", 4)];
        let o = overruled(&s, 4, 4.0, &t());
        let names: Vec<&str> = o.iter().map(|o| o.panellist).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(o.iter().all(|o| o.beyond_threshold && !o.lone_furthest));
        // Threshold exactly met (2 points of width 4) counts; 1 point short does not.
        let s = [("a", 2), ("b", 2), ("c", 4), ("d", 4), ("e", 4)];
        assert_eq!(overruled(&s, 4, 4.0, &t()).len(), 2);
        let s = [("a", 3), ("b", 3), ("c", 4), ("d", 4), ("e", 4)];
        assert!(overruled(&s, 4, 4.0, &t()).is_empty());
        // 0.3 of a 0–10 scale is exactly 3 points.
        let t3 = Divergence {
            range: 0.3,
            outlier: 0.3,
        };
        let s = [("a", 4), ("b", 4), ("c", 7), ("d", 7), ("e", 7)];
        assert_eq!(overruled(&s, 7, 10.0, &t3).len(), 2);
    }

    #[test]
    fn overruling_the_minority_member_is_named_and_a_gap_without_reason() {
        let f = check(
            &input(vec![cell("C-4", "diversity", [4, 4, 4, 2], 4, None)]),
            4.0,
            &t(),
        );
        assert!(kind(&f, "changed").is_empty());
        let o = kind(&f, "overruled_dissent");
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].severity, Severity::Gap);
        assert!(o[0]
            .message
            .contains("overrules Ada's independent score of 2"));
        assert!(o[0]
            .message
            .contains("self-declared a Black, Asian or other ethnic-minority"));
        assert_eq!(o[0].data["overruled"]["minority_member"], true);

        let f = check(
            &input(vec![cell(
                "C-4",
                "diversity",
                [4, 4, 4, 2],
                4,
                Some("majority view"),
            )]),
            4.0,
            &t(),
        );
        let o = kind(&f, "overruled_dissent");
        assert_eq!(o[0].severity, Severity::Warning);
        assert!(o[0].message.contains("ethnic-minority"));
        assert!(o[0].message.contains("reason: \"majority view\""));
    }

    #[test]
    fn overruling_others_is_a_warning_and_unstated_ethnicity_is_not_guessed() {
        // Tom (White) and Anna (not stated) overruled: warnings, no mention of ethnicity.
        let f = check(
            &input(vec![
                cell("C-2", "q1", [4, 2, 4, 4], 4, None),
                cell("C-2", "q2", [4, 4, 1, 4], 4, None),
            ]),
            4.0,
            &t(),
        );
        let o = kind(&f, "overruled_dissent");
        assert_eq!(o.len(), 2);
        for x in &o {
            assert_eq!(x.severity, Severity::Warning);
            assert!(!x.message.contains("ethnic"), "{}", x.message);
        }
        assert!(o[1].message.contains("Anna's independent score of 1"));
    }

    #[test]
    fn anchoring_counts_moves_toward_chair_and_first_sheet() {
        // Chair Ruth scores high; each agreed score moves from the median toward her.
        let cells = vec![
            cell("C-1", "q1", [5, 3, 3, 3], 4, Some("r")),
            cell("C-1", "q2", [5, 3, 3, 3], 4, Some("r")),
            cell("C-2", "q1", [5, 3, 3, 3], 4, Some("r")),
            cell("C-2", "q2", [1, 3, 3, 3], 4, Some("r")),
            cell("C-2", "q3", [3, 3, 3, 3], 3, None),
        ];
        let mut i = input(cells);
        i.first_submitted = vec![("C-1", "Tom"), ("C-2", "Ruth")];
        let f = check(&i, 4.0, &t());
        let a = kind(&f, "anchoring");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].data["changed_cells"], 4);
        assert_eq!(a[0].data["moderated_cells"], 5);
        assert_eq!(a[0].data["toward_chair"]["toward"], 3);
        assert_eq!(a[0].data["toward_chair"]["away"], 1);
        // C-1: Tom first (3 = median, so any change is away); C-2: Ruth first.
        assert_eq!(a[0].data["toward_first_submitted"]["toward"], 1);
        assert_eq!(a[0].data["toward_first_submitted"]["away"], 3);
        assert!(a[0]
            .message
            .contains("in 3 of 4 changed cells (75%; away in 1)"));
        // 3 of 4 meets the 75% share exactly.
        assert_eq!(a[0].severity, Severity::Warning);
    }

    #[test]
    fn anchoring_needs_enough_cells_and_share() {
        let three = vec![
            cell("C-1", "q1", [5, 3, 3, 3], 4, Some("r")),
            cell("C-1", "q2", [5, 3, 3, 3], 4, Some("r")),
            cell("C-1", "q3", [5, 3, 3, 3], 4, Some("r")),
        ];
        let f = check(&input(three.clone()), 4.0, &t());
        assert_eq!(kind(&f, "anchoring")[0].severity, Severity::Info);
        let mut five = three;
        five.push(cell("C-2", "q1", [1, 3, 3, 3], 4, Some("r")));
        five.push(cell("C-2", "q2", [1, 3, 3, 3], 4, Some("r")));
        // 3 of 5 is below 75%.
        let f = check(&input(five), 4.0, &t());
        let a = kind(&f, "anchoring");
        assert_eq!(a[0].severity, Severity::Info);
        assert!(a[0].message.contains("3 of 5 changed cells (60%"));
        assert!(a[0]
            .message
            .contains("the first-submitted sheet is not known"));
    }

    #[test]
    fn anchoring_when_nothing_changed_or_no_chair() {
        let f = check(
            &input(vec![cell("C-1", "q1", [3, 3, 3, 4], 3, None)]),
            4.0,
            &t(),
        );
        let a = kind(&f, "anchoring");
        assert_eq!(a[0].severity, Severity::Info);
        assert!(a[0]
            .message
            .contains("every agreed score equals the independent median"));

        let mut i = input(vec![cell("C-1", "q1", [5, 3, 3, 3], 4, Some("r"))]);
        i.chair = None;
        let f = check(&i, 4.0, &t());
        assert!(kind(&f, "anchoring")[0].message.contains("no chair"));
        assert!(check(&input(vec![]), 4.0, &t()).is_empty());
    }

    #[test]
    fn level_moves_are_neither_toward_nor_away() {
        let mut t = Tally::default();
        // Median 3.5, chair 4: agreed 3 moves away, agreed 4 toward.
        t.add(3, 3.5, 4);
        t.add(4, 3.5, 4);
        // The chair's score was the median: any change moves away.
        t.add(2, 3.0, 3);
        // From 2 to 4 across the chair's 3: as far from it as before.
        t.add(4, 2.0, 3);
        assert_eq!((t.toward, t.away, t.level), (1, 2, 1));
    }

    fn sheet(candidate: &str, panellist: &str, at: Option<&str>, q: &str, score: i64) -> Sheet {
        Sheet {
            candidate: candidate.into(),
            panellist: panellist.into(),
            opened_at: "2026-11-01T09:00:00Z".into(),
            submitted_at: at.map(Into::into),
            answers: vec![Answer {
                question: q.into(),
                score,
                evidence: String::new(),
                recorded_at: "2026-11-01T09:00:00Z".into(),
                correction_reason: None,
            }],
            history: vec![],
        }
    }

    fn moderation(candidate: &str, q: &str, score: i64) -> Moderation {
        Moderation {
            candidate: candidate.into(),
            question: q.into(),
            score,
            reason: None,
            recorded_by: "Ruth".into(),
            recorded_at: "2026-11-02T09:00:00Z".into(),
        }
    }

    #[test]
    fn from_records_uses_submitted_sheets_and_latest_entry() {
        let panel = vec![
            Panellist {
                name: "Ruth".into(),
                role: Role::Chair,
                ethnicity: Some("A".into()),
                trained_on: None,
                conflicts: vec![],
            },
            Panellist {
                name: "Ada".into(),
                role: Role::Member,
                ethnicity: Some("N".into()),
                trained_on: None,
                conflicts: vec![],
            },
            Panellist {
                name: "Zed".into(),
                role: Role::Member,
                ethnicity: Some("Z".into()),
                trained_on: None,
                conflicts: vec![],
            },
        ];
        let sheets = vec![
            sheet("C-1", "Ruth", Some("2026-11-01T10:00:05Z"), "q1", 4),
            sheet("C-1", "Ada", Some("2026-11-01T10:00:01Z"), "q1", 2),
            sheet("C-1", "Zed", None, "q1", 1),
            sheet("C-2", "Ruth", Some("2026-11-01T11:00:00Z"), "q1", 3),
            sheet("C-2", "Ada", Some("2026-11-01T11:00:00Z"), "q1", 3),
        ];
        let mods = vec![
            moderation("C-1", "q1", 2),
            moderation("C-2", "q1", 3),
            moderation("C-1", "q1", 4),
        ];
        let i = Input::from_records(&panel, &sheets, &mods);
        assert_eq!(i.chair, Some("Ruth"));
        let m: Vec<Option<bool>> = i.panel.iter().map(|m| m.minority).collect();
        assert_eq!(m, [Some(false), Some(true), None]);
        assert_eq!(i.cells.len(), 2);
        assert_eq!(i.cells[0].scores, [("Ruth", 4), ("Ada", 2)]);
        assert_eq!(i.cells[0].moderations.len(), 2);
        assert_eq!(i.cells[0].moderations.last().unwrap().score, 4);
        // Same submission time for C-2: no first-submitted sheet is named.
        assert_eq!(i.first_submitted, [("C-1", "Ada")]);
    }

    #[test]
    fn minority_is_none_when_not_stated() {
        assert_eq!(minority(Some("N")), Some(true));
        assert_eq!(minority(Some("H")), Some(true));
        assert_eq!(minority(Some("A")), Some(false));
        assert_eq!(minority(Some("Z")), None);
        assert_eq!(minority(Some("99")), None);
        assert_eq!(minority(Some("??")), None);
        assert_eq!(minority(None), None);
    }
}
