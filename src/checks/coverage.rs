//! Coverage: the interview plan includes every category the policy requires (by default at least one
//! `diversity-attitude` question).

use super::{Finding, Severity};
use crate::bank::Bank;
use crate::policy::Policy;
use serde_json::json;

pub fn check(bank: &Bank, questions: &[String], policy: &Policy) -> Vec<Finding> {
    let category_of = |q: &String| bank.question(q).map(|q| q.category.as_str());
    let mut out = Vec::new();
    for req in &policy.required_categories {
        let ids: Vec<&String> = questions
            .iter()
            .filter(|q| category_of(q) == Some(req.as_str()))
            .collect();
        if ids.is_empty() {
            let available: Vec<&str> = bank
                .questions
                .iter()
                .filter(|q| &q.category == req)
                .map(|q| q.id.as_str())
                .collect();
            out.push(Finding::new(
                "coverage",
                Severity::Gap,
                format!(
                    "the interview plan has no `{req}` question{}",
                    if available.is_empty() {
                        String::from(" and the bank has none to add")
                    } else {
                        format!(" (the bank offers: {})", available.join(", "))
                    }
                ),
                json!({"category": req, "questions": [], "available": available}),
            ));
        } else {
            out.push(Finding::new(
                "coverage",
                Severity::Info,
                format!(
                    "`{req}` covered by {}",
                    ids.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                json!({"category": req, "questions": ids}),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_diversity_question_is_a_gap() {
        let (bank, _) = crate::bank::bundled().remove(0);
        let policy = Policy::default();
        let non_div: Vec<String> = bank
            .questions
            .iter()
            .filter(|q| q.category != "diversity-attitude")
            .map(|q| q.id.clone())
            .collect();
        let f = check(&bank, &non_div, &policy);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Gap);
        assert!(
            f[0].message.contains("diversity-discomfort"),
            "{}",
            f[0].message
        );

        let all: Vec<String> = bank.questions.iter().map(|q| q.id.clone()).collect();
        let f = check(&bank, &all, &policy);
        assert_eq!(f[0].severity, Severity::Info);
    }

    #[test]
    fn policy_may_require_more_categories() {
        let (bank, _) = crate::bank::bundled().remove(0);
        let mut policy = Policy::default();
        policy.required_categories.push("clinical".into());
        let only_div: Vec<String> = vec!["diversity-discomfort".into()];
        let f = check(&bank, &only_div, &policy);
        assert_eq!(f.iter().filter(|f| f.severity == Severity::Gap).count(), 1);
        assert_eq!(f[1].data["category"], "clinical");
    }
}
