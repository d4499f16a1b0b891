//! After the reveal: agreed scores (moderation), gap overrides, the decision, and language prompts
//! marked as considered. All are the chair's acts and are append-only: a revision needs a reason and
//! the whole history stays in the report.

use crate::checks::{decision as decision_check, language, moderation, Finding, Severity};
use crate::record::fact::{self, Fact};
use crate::record::Scope;
use crate::report::decision::{self as report, DecisionReport};
use crate::store::Tx;
use anyhow::{anyhow, bail, Result};

/// The decision report as the record stands inside this transaction.
pub fn current_report(tx: &mut Tx<'_>, vacancy: &str) -> Result<DecisionReport> {
    let v = tx.vacancy(vacancy)?.clone();
    let mut ids: Vec<i64> = v.panel.iter().map(|m| m.person).collect();
    ids.extend(v.moderations.iter().filter_map(|m| m.by.person()));
    ids.extend(v.decisions.iter().filter_map(|d| d.by.person()));
    ids.extend(v.overrides.iter().filter_map(|o| o.by.person()));
    ids.extend(v.reviews.iter().filter_map(|r| r.by.person()));
    ids.extend(v.review_answers.iter().filter_map(|a| a.by.person()));
    for id in ids {
        tx.person(id)?;
    }
    report::build(&v, tx.people(), tx.keyring(), "")
}

pub fn moderate(
    tx: &mut Tx<'_>,
    vacancy: &str,
    reference: &str,
    question: &str,
    score: i64,
    reason: Option<&str>,
    revision_reason: Option<&str>,
) -> Result<()> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let revision_reason = revision_reason.map(str::trim).filter(|r| !r.is_empty());
    for (what, t) in [
        ("the reason", reason),
        ("the reason for the revision", revision_reason),
    ] {
        if let Some(t) = t {
            crate::model::check_text(t, what)?;
        }
    }
    super::require_chair(tx, vacancy, "recording an agreed score")?;
    let v = tx.vacancy(vacancy)?;
    let c = v
        .candidate(reference)
        .filter(|c| c.interview)
        .ok_or_else(|| anyhow!("vacancy {vacancy} has no candidate {reference:?}"))?;
    let Some((_, panel)) = &c.revealed else {
        bail!("{reference}'s scores are still sealed: moderation comes after every panellist has submitted");
    };
    if !v.questions.iter().any(|q| q == question) {
        bail!("question {question:?} is not in this vacancy's interview plan");
    }
    if !v.bank.scale.contains(score) {
        bail!(
            "score {score} is outside the scale {}..{}",
            v.bank.scale.min,
            v.bank.scale.max
        );
    }
    let independent: Vec<i64> = panel
        .iter()
        .filter_map(|p| v.sheet(reference, *p))
        .filter_map(|s| s.independent(question).map(|e| e.score))
        .collect();
    if reason.is_none() && moderation::needs_reason(&independent, score) {
        let mut xs: Vec<f64> = independent.iter().map(|&s| s as f64).collect();
        bail!(
            "agreed score {score} for {question} differs from the independent median ({}): give the evidence with --reason",
            crate::checks::divergence::median(&mut xs)
        );
    }
    if let Some(prev) = v.moderation(reference, question) {
        if revision_reason.is_none() {
            bail!(
                "{reference} · {question} already has an agreed score ({}, recorded {}): agreed scores are never \
                 replaced silently; give --revision-reason to record a revision beside it",
                prev.score,
                prev.by.at
            );
        }
    }
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::Moderate(fact::Moderate {
            reference: reference.to_string(),
            question: question.to_string(),
            score,
            reason: reason.map(str::to_string),
            revision_reason: revision_reason.map(str::to_string),
        }),
    )?;
    Ok(())
}

/// A decision as asked for.
#[derive(Debug, Clone, Default)]
pub struct Decision<'a> {
    pub appoint: &'a str,
    pub reserves: &'a [String],
    pub rationale: &'a str,
    pub unresolved_reason: Option<&'a str>,
    /// Record an override of every gap the checks find, with this reason.
    pub override_gaps: Option<&'a str>,
    /// Why an earlier decision is revised or re-affirmed.
    pub revision_reason: Option<&'a str>,
}

/// What recording the decision found worth saying.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Decided {
    pub overridden: Vec<String>,
    pub findings: Vec<Finding>,
    pub prompts: Vec<Finding>,
}

pub fn decide(tx: &mut Tx<'_>, vacancy: &str, d: &Decision<'_>) -> Result<Decided> {
    let rationale = d.rationale.trim();
    let unresolved = d.unresolved_reason.map(str::trim).filter(|r| !r.is_empty());
    let over = d.override_gaps.map(str::trim).filter(|r| !r.is_empty());
    let revision = d.revision_reason.map(str::trim).filter(|r| !r.is_empty());
    for (what, t) in [
        ("the rationale", Some(rationale).filter(|r| !r.is_empty())),
        ("the reason for unresolved divergence", unresolved),
        ("the reason for overriding", over),
        ("the reason for the revision", revision),
    ] {
        if let Some(t) = t {
            crate::model::check_text(t, what)?;
        }
    }
    super::require_chair(tx, vacancy, "recording the decision")?;
    let v = tx.vacancy(vacancy)?;
    let pending: Vec<String> = v
        .interviewees()
        .filter(|c| c.revealed.is_none() && c.withdrawn.is_none())
        .map(|c| {
            let done = v
                .sheets_of(&c.reference)
                .filter(|s| s.submitted.is_some())
                .count();
            format!(
                "{} ({done} of {} sheets in)",
                c.reference,
                v.active_panel().count()
            )
        })
        .collect();
    if !pending.is_empty() {
        bail!(
            "a decision needs the whole field: {} not revealed yet. Wait for every sheet, or record a withdrawal \
             with `fairpanel candidate withdraw {vacancy} REF --reason`",
            pending.join(", ")
        );
    }
    for r in std::iter::once(d.appoint).chain(d.reserves.iter().map(String::as_str)) {
        match v.candidate(r) {
            Some(c) if c.interview && c.withdrawn.is_none() => {}
            Some(c) if c.withdrawn.is_some() => {
                bail!("{r} has withdrawn and cannot be appointed or held in reserve")
            }
            _ => bail!("vacancy {vacancy} has no candidate {r:?}"),
        }
    }
    if !v.decisions.is_empty() && revision.is_none() {
        let prev = v.decision().expect("not empty");
        bail!(
            "{vacancy} already has a decision (appoint {}, recorded {}): decisions are never replaced silently; \
             give --revision-reason to record a revised or re-affirmed decision beside it",
            prev.appointed,
            prev.by.at
        );
    }
    let report = current_report(tx, vacancy)?;
    // Gaps: refused unless a named person overrides them, on the record.
    let gaps = report.gaps();
    let mut overridden = Vec::new();
    if !gaps.is_empty() {
        match over {
            None => bail!(
                "the checks find {} gap(s), which stand in the way of a decision:\n{}\nAddress them, or record who \
                 overrides them and why with --override-gaps REASON (shown at the top of the decision report and \
                 counted in the audit)",
                gaps.len(),
                gaps.iter().map(|g| format!("  - {}: {}", g.check, g.message)).collect::<Vec<_>>().join("\n")
            ),
            Some(reason) => {
                tx.append(
                    Scope::Vacancy(vacancy.to_string()),
                    Fact::GapOverride(fact::GapOverride {
                        gaps: gaps
                            .iter()
                            .map(|g| fact::OverriddenGap {
                                check: g.check.to_string(),
                                message: g.message.clone(),
                            })
                            .collect(),
                        reason: reason.to_string(),
                    }),
                )?;
                overridden = gaps.iter().map(|g| g.message.clone()).collect();
            }
        }
    }
    let unresolved_cells: Vec<String> = report
        .divergence
        .iter()
        .filter(|f| f.data["resolved"] == false)
        .map(|f| {
            format!(
                "{} · {}",
                f.data["candidate"].as_str().unwrap_or(""),
                f.data["question"].as_str().unwrap_or("")
            )
        })
        .collect();
    if !unresolved_cells.is_empty() && unresolved.is_none() {
        bail!(
            "divergent scores have not been discussed and moderated: {}. Record the outcome with `fairpanel moderate`, \
             or record the decision with --unresolved-reason saying why",
            unresolved_cells.join(", ")
        );
    }
    let scale = (report.vacancy.scale_max - report.vacancy.scale_min) as f64;
    let ranking: Vec<(String, f64)> = report
        .ranking
        .iter()
        .map(|r| (r.reference.clone(), r.weighted_mean))
        .collect();
    let policy = crate::policy::parse_recorded(&tx.vacancy(vacancy)?.policy_yaml, "stored policy")
        .map_err(|e| anyhow!("{e}"))?;
    if rationale.is_empty() {
        match decision_check::rationale_required(&ranking, d.appoint, scale, policy.close_margin) {
            Some(why) => bail!("a rationale is required: {why}"),
            None => bail!("a rationale is required: say which criteria and evidence decided it"),
        }
    }
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::Decide(fact::Decide {
            appointed: d.appoint.to_string(),
            reserves: d.reserves.to_vec(),
            rationale: rationale.to_string(),
            unresolved_reason: unresolved.map(str::to_string),
            revision_reason: revision.map(str::to_string),
        }),
    )?;
    let findings = decision_check::check(
        &ranking,
        d.appoint,
        Some(rationale),
        scale,
        policy.close_margin,
    )
    .into_iter()
    .filter(|f| f.severity != Severity::Info)
    .collect();
    let mut sources = vec![("rationale".to_string(), rationale.to_string())];
    if let Some(u) = unresolved {
        sources.push(("reason for unresolved divergence".into(), u.to_string()));
    }
    Ok(Decided {
        overridden,
        findings,
        prompts: language::check(&sources),
    })
}

/// Mark a language prompt as considered, with a note (the chair's).
pub fn considered(tx: &mut Tx<'_>, vacancy: &str, key: &str, note: &str) -> Result<()> {
    crate::model::check_text(note, "the note")?;
    super::require_chair(tx, vacancy, "marking a prompt as considered")?;
    let report = current_report(tx, vacancy)?;
    if !report
        .language
        .iter()
        .any(|f| f.data["key"].as_str() == Some(key))
    {
        bail!("there is no language prompt {key:?} in {vacancy}'s report (`fairpanel check {vacancy}` lists them)");
    }
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::Considered(fact::Considered {
            key: key.to_string(),
            note: note.to_string(),
        }),
    )?;
    Ok(())
}
