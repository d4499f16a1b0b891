//! Composition: panel size, at least one member from a Black, Asian or other ethnic-minority group
//! (self-declared; WRES definition: any stated group other than White), fair-recruitment training within
//! the policy's window, and declared conflicts of interest. A member who did not state their ethnicity
//! counts as unknown, and the finding says so rather than guessing.

use super::{Finding, Severity};
use crate::ethnicity;
use crate::model::Panellist;
use crate::policy::Policy;
use serde_json::json;

/// `today` is YYYY-MM-DD: training dates are compared as dates within `training_valid_years`.
pub fn check(panel: &[Panellist], policy: &Policy, today: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let n = panel.len();
    if n < policy.min_panel_size {
        out.push(Finding::new(
            "composition",
            Severity::Gap,
            format!(
                "the panel has {n} member{}; the policy requires at least {}",
                plural(n),
                policy.min_panel_size
            ),
            json!({"size": n, "required": policy.min_panel_size}),
        ));
    }
    let groups: Vec<Option<ethnicity::Group>> = panel
        .iter()
        .map(|p| {
            p.ethnicity
                .as_deref()
                .and_then(ethnicity::by_code)
                .map(|c| c.group)
                .filter(|g| g.is_stated())
        })
        .collect();
    let minority = groups
        .iter()
        .filter(|g| g.is_some_and(|g| g.is_bme()))
        .count();
    let unknown: Vec<&str> = panel
        .iter()
        .zip(&groups)
        .filter(|(_, g)| g.is_none())
        .map(|(p, _)| p.name.as_str())
        .collect();
    if policy.require_minority_member {
        let data = json!({"minority_members": minority, "not_stated": unknown, "size": n});
        if minority > 0 {
            out.push(Finding::new(
                "composition",
                Severity::Info,
                format!(
                    "the panel includes {minority} member{} from a Black, Asian or other ethnic-minority group (self-declared)",
                    plural(minority)
                ),
                data,
            ));
        } else if !unknown.is_empty() {
            out.push(Finding::new(
                "composition",
                Severity::Gap,
                format!(
                    "no panellist has declared a Black, Asian or other ethnic-minority background; {} did not state \
                     their ethnicity, so the requirement cannot be confirmed",
                    unknown.join(", ")
                ),
                data,
            ));
        } else if n > 0 {
            out.push(Finding::new(
                "composition",
                Severity::Gap,
                "every panellist declared a White background: the policy requires at least one member from a Black, \
                 Asian or other ethnic-minority group",
                data,
            ));
        }
    }
    let cutoff = shift_years(today, -(policy.training_valid_years as i32));
    let trained: Vec<&str> = panel
        .iter()
        .filter(|p| {
            p.trained_on
                .as_deref()
                .is_some_and(|d| d >= cutoff.as_str() && d <= today)
        })
        .map(|p| p.name.as_str())
        .collect();
    if trained.len() < policy.trained_members {
        out.push(Finding::new(
            "composition",
            Severity::Gap,
            format!(
                "{} panellist{} with fair-recruitment training since {cutoff}; the policy requires {}",
                trained.len(),
                plural(trained.len()),
                policy.trained_members
            ),
            json!({"trained": trained, "required": policy.trained_members, "since": cutoff}),
        ));
    } else {
        out.push(Finding::new(
            "composition",
            Severity::Info,
            format!("fair-recruitment training in date: {}", trained.join(", ")),
            json!({"trained": trained, "required": policy.trained_members, "since": cutoff}),
        ));
    }
    for p in panel {
        for c in &p.conflicts {
            out.push(Finding::new(
                "composition",
                Severity::Warning,
                format!(
                    "{} declared a conflict of interest with {}: {}",
                    p.name, c.candidate, c.note
                ),
                json!({"panellist": p.name, "candidate": c.candidate, "note": c.note}),
            ));
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// YYYY-MM-DD shifted by whole years (29 February becomes 28 February).
pub fn shift_years(date: &str, years: i32) -> String {
    let y: i32 = date.get(0..4).and_then(|s| s.parse().ok()).unwrap_or(1970);
    let rest = date.get(4..10).unwrap_or("-01-01");
    let rest = if rest == "-02-29" { "-02-28" } else { rest };
    format!("{:04}{rest}", y + years)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Conflict, Role};

    fn member(name: &str, eth: Option<&str>, trained: Option<&str>) -> Panellist {
        Panellist {
            name: name.into(),
            role: Role::Member,
            ethnicity: eth.map(Into::into),
            trained_on: trained.map(Into::into),
            conflicts: vec![],
        }
    }

    fn gaps(f: &[Finding]) -> Vec<&str> {
        f.iter()
            .filter(|f| f.severity == Severity::Gap)
            .map(|f| f.message.as_str())
            .collect()
    }

    #[test]
    fn all_white_panel_is_a_gap() {
        let panel = vec![
            member("A", Some("A"), Some("2026-01-01")),
            member("B", Some("C"), None),
            member("C", Some("B"), None),
        ];
        let f = check(&panel, &Policy::default(), "2026-11-26");
        let g = gaps(&f);
        assert_eq!(g.len(), 1, "{g:?}");
        assert!(g[0].contains("every panellist declared a White background"));
    }

    #[test]
    fn unstated_ethnicity_is_reported_as_unknown_not_guessed() {
        let panel = vec![
            member("A", Some("A"), Some("2026-01-01")),
            member("B", None, None),
            member("C", Some("Z"), None),
        ];
        let f = check(&panel, &Policy::default(), "2026-11-26");
        let g = gaps(&f);
        assert_eq!(g.len(), 1);
        assert!(g[0].contains("B, C did not state"), "{}", g[0]);
    }

    #[test]
    fn one_minority_member_meets_the_requirement() {
        let panel = vec![
            member("A", Some("A"), Some("2026-01-01")),
            member("B", Some("N"), None),
            member("C", None, None),
        ];
        assert!(gaps(&check(&panel, &Policy::default(), "2026-11-26")).is_empty());
    }

    #[test]
    fn size_and_training_boundaries() {
        let p = Policy::default(); // 3 members, 1 trained within 3 years
                                   // Trained exactly three years ago counts; a day earlier does not.
        let panel = vec![
            member("A", Some("H"), Some("2023-11-26")),
            member("B", None, None),
            member("C", None, None),
        ];
        assert!(gaps(&check(&panel, &p, "2026-11-26")).is_empty());
        let panel2 = vec![
            member("A", Some("H"), Some("2023-11-25")),
            member("B", None, None),
        ];
        let f = check(&panel2, &p, "2026-11-26");
        let g = gaps(&f);
        assert_eq!(g.len(), 2, "{g:?}");
        assert!(g.iter().any(|m| m.contains("has 2 members")));
    }

    #[test]
    fn conflicts_are_warnings() {
        let mut a = member("A", Some("H"), Some("2026-01-01"));
        a.conflicts.push(Conflict {
            candidate: "C-2".into(),
            note: "line manager".into(),
        });
        let f = check(
            &[a, member("B", None, None), member("C", None, None)],
            &Policy::default(),
            "2026-11-26",
        );
        assert!(f
            .iter()
            .any(|f| f.severity == Severity::Warning && f.message.contains("C-2")));
    }
}
