//! Creating a vacancy and changing its question plan.

use crate::bank::Bank;
use crate::checks::{coverage, Finding, Severity};
use crate::policy::Policy;
use crate::record::fact::{self, Fact};
use crate::record::Scope;
use crate::store::Tx;
use anyhow::{bail, Result};

/// A new vacancy, as given by its creator.
pub struct NewVacancy<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub band: Option<&'a str>,
    pub service: Option<&'a str>,
    pub bank: &'a Bank,
    pub bank_yaml: &'a str,
    pub questions: &'a [String],
    pub policy: &'a Policy,
    pub policy_source: &'a str,
    pub policy_yaml: &'a str,
    /// Why the plan may miss a category the policy requires (recorded, by a named person).
    pub coverage_override: Option<&'a str>,
}

fn check_plan(bank: &Bank, questions: &[String]) -> Result<()> {
    if questions.is_empty() {
        bail!("choose at least one question");
    }
    let mut seen = std::collections::HashSet::new();
    for q in questions {
        if bank.question(q).is_none() {
            bail!(
                "bank {} has no question {q:?} (see `fairpanel bank show {}`)",
                bank.id,
                bank.id
            );
        }
        if !seen.insert(q) {
            bail!("question {q:?} is listed twice");
        }
    }
    Ok(())
}

/// Refuse a plan missing a required category unless a named person overrides it with a reason.
fn coverage_gate(
    tx: &Tx<'_>,
    bank: &Bank,
    questions: &[String],
    policy: &Policy,
    over: Option<&str>,
) -> Result<Vec<Finding>> {
    let findings = coverage::check(bank, questions, policy);
    let gaps: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Gap)
        .collect();
    if !gaps.is_empty() {
        match over {
            None => bail!(
                "{}. Add a question of that category (`fairpanel bank show {}` lists them), or record why not \
                 with --override-coverage REASON (a named person's decision, shown in the decision report)",
                gaps.iter().map(|g| g.message.as_str()).collect::<Vec<_>>().join("; "),
                bank.id
            ),
            Some(r) => {
                crate::model::check_text(r, "the override's reason")?;
                super::acting_person(tx, "overriding the policy's question coverage")?;
            }
        }
    }
    Ok(findings)
}

/// Create a vacancy; returns the coverage findings.
pub fn create(tx: &mut Tx<'_>, v: &NewVacancy<'_>) -> Result<Vec<Finding>> {
    crate::model::check_ident(v.id, "a vacancy id")?;
    crate::model::check_name(v.title, "the post title")?;
    for (what, x) in [("the band", v.band), ("the service", v.service)] {
        if let Some(x) = x {
            crate::model::check_name(x, what)?;
        }
    }
    check_plan(v.bank, v.questions)?;
    if tx.has_vacancy(v.id)? {
        bail!("vacancy {:?} already exists", v.id);
    }
    let findings = coverage_gate(tx, v.bank, v.questions, v.policy, v.coverage_override)?;
    let sha = super::store_bank(tx, v.bank, v.bank_yaml)?;
    tx.append(
        Scope::Vacancy(v.id.to_string()),
        Fact::VacancyCreate(fact::VacancyCreate {
            title: v.title.to_string(),
            band: v.band.map(str::to_string),
            service: v.service.map(str::to_string),
            bank: sha,
            questions: v.questions.to_vec(),
            policy_source: v.policy_source.to_string(),
            policy_yaml: v.policy_yaml.to_string(),
            coverage_override: v
                .coverage_override
                .filter(|_| findings.iter().any(|f| f.severity == Severity::Gap))
                .map(str::to_string),
        }),
    )?;
    Ok(findings)
}

/// Change the question plan before any score is given (the chair's decision, with a reason).
pub fn change_plan(
    tx: &mut Tx<'_>,
    vacancy: &str,
    questions: &[String],
    reason: &str,
    coverage_override: Option<&str>,
) -> Result<Vec<Finding>> {
    crate::model::check_text(reason, "the reason for the change")?;
    super::require_chair(tx, vacancy, "changing the question plan")?;
    let v = tx.vacancy(vacancy)?;
    if v.scoring_started() {
        bail!("the question plan of {vacancy} is fixed: scoring has started");
    }
    let bank = v.bank.clone();
    let policy = crate::policy::parse_recorded(&v.policy_yaml, "stored policy")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    check_plan(&bank, questions)?;
    let findings = coverage_gate(tx, &bank, questions, &policy, coverage_override)?;
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::PlanChange(fact::PlanChange {
            questions: questions.to_vec(),
            reason: reason.to_string(),
            coverage_override: coverage_override
                .filter(|_| findings.iter().any(|f| f.severity == Severity::Gap))
                .map(str::to_string),
        }),
    )?;
    Ok(findings)
}
