//! After the interviews: moderate, decide, check, panel check.

use super::Ctx;
use crate::checks::{
    composition, decision as decision_check, language, moderation, Finding, Severity,
};
use crate::cli::Format;
use crate::output::emit;
use crate::report::decision;
use crate::report::text::RevealView;
use anyhow::{bail, Result};
use std::io::Write;

/// Print findings; a `gap` makes the command exit 3 once they are shown.
fn findings_out(ctx: &mut Ctx, title: &str, findings: &[Finding], format: Format) -> Result<()> {
    emit(&mut ctx.out, format, &findings, |fs| {
        if fs.is_empty() {
            return format!("{title}: nothing to report.");
        }
        let mut s = format!("{title}\n");
        for f in fs.iter() {
            s.push_str(&format!(
                "  {:<7} {:<12} {}\n",
                f.severity.as_str(),
                f.check,
                f.message
            ));
        }
        let gaps = fs.iter().filter(|f| f.severity == Severity::Gap).count();
        let warnings = fs
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count();
        s.push_str(&format!("\n{gaps} gap(s), {warnings} warning(s)."));
        if gaps > 0 {
            s.push_str(" Gaps must be addressed before the decision is signed off.");
        }
        s
    })?;
    if findings.iter().any(|f| f.severity == Severity::Gap) {
        return Err(crate::GapFound.into());
    }
    Ok(())
}

pub fn panel_check(ctx: &mut Ctx, vacancy: &str, format: Format) -> Result<()> {
    let store = ctx.store()?;
    let policy = store.vacancy_policy(vacancy)?;
    let panel = store.panellists(vacancy)?;
    let f = composition::check(&panel, &policy, &crate::model::today());
    findings_out(ctx, &format!("Panel composition for {vacancy}"), &f, format)
}

pub fn check(ctx: &mut Ctx, vacancy: &str, format: Format) -> Result<()> {
    let store = ctx.store()?;
    let report = decision::build(&store, vacancy)?;
    let all = report.findings();
    findings_out(ctx, &format!("Checks for {vacancy}"), &all, format)
}

pub fn moderate(
    ctx: &mut Ctx,
    vacancy: &str,
    candidate: &str,
    question: Option<String>,
    score: Option<i64>,
    reason: Option<String>,
) -> Result<()> {
    let mut store = ctx.store()?;
    // Moderation happens after reveal: the same rule refuses it while any sheet is sealed.
    let view = RevealView::load(&store, vacancy, candidate)?;
    let bank = store.vacancy_bank(vacancy)?;
    let mut entries: Vec<(String, i64, Option<String>)> = Vec::new();
    match (question, score) {
        (Some(q), Some(s)) => entries.push((
            q,
            s,
            reason
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty()),
        )),
        _ => {
            let Some(mut p) = ctx.prompter() else {
                return Err(crate::Usage(
                    "moderating without a terminal needs --question, --score and --reason".into(),
                )
                .into());
            };
            p.say(&crate::report::text::reveal(&view))?;
            let mut todo: Vec<usize> = (0..view.questions.len())
                .filter(|&i| view.questions[i].divergent)
                .collect();
            if todo.is_empty() {
                p.say(
                    "No divergent scores; you may still record an agreed score for any question.",
                )?;
                let opts: Vec<String> = view.questions.iter().map(|r| r.question.clone()).collect();
                todo.push(p.select("Which question?", &opts, None)?);
            }
            for i in todo {
                let row = &view.questions[i];
                let listed: Vec<String> = view
                    .panellists
                    .iter()
                    .zip(&row.scores)
                    .map(|(n, s)| format!("{n} {s}"))
                    .collect();
                p.say(&format!("\n{}: {}", row.question, listed.join(", ")))?;
                let opts: Vec<String> = bank.scale.points().map(|s| s.to_string()).collect();
                let s = bank.scale.min
                    + p.select(
                        "Agreed score",
                        &opts,
                        Some("the score the evidence supports"),
                    )? as i64;
                let needs = moderation::needs_reason(&row.scores, s);
                let r = p.text(
                    "Reason",
                    Some("the evidence the panel agreed on; required when the agreed score differs from the median"),
                    &|t: &str| (needs && t.trim().is_empty()).then(|| "a reason is required for this agreed score".into()),
                )?;
                entries.push((
                    row.question.clone(),
                    s,
                    Some(r.trim().to_string()).filter(|r| !r.is_empty()),
                ));
            }
        }
    }
    for (q, s, r) in &entries {
        let Some(row) = view.questions.iter().find(|row| &row.question == q) else {
            bail!("question {q:?} is not in this vacancy's interview plan");
        };
        if !bank.scale.contains(*s) {
            bail!(
                "score {s} is outside the scale {}..{}",
                bank.scale.min,
                bank.scale.max
            );
        }
        if r.is_none() && moderation::needs_reason(&row.scores, *s) {
            bail!(
                "agreed score {s} for {q} differs from the independent median ({}): give the evidence with --reason",
                row.median
            );
        }
        store.write(|tx| tx.moderate(vacancy, candidate, q, *s, r.as_deref()))?;
        writeln!(ctx.out, "Recorded agreed score {s} for {candidate} · {q}.")?;
    }
    // Show what the moderation check now says about this candidate, so overruled dissent is seen.
    let report = decision::build(&store, vacancy)?;
    for f in report
        .moderation
        .iter()
        .filter(|f| f.data["candidate"] == candidate)
    {
        writeln!(ctx.out, "{}: {}", f.severity.as_str(), f.message)?;
    }
    Ok(())
}

pub fn decide(
    ctx: &mut Ctx,
    vacancy: &str,
    appoint: &str,
    reserves: &[String],
    rationale: &str,
    unresolved_reason: Option<&str>,
) -> Result<()> {
    let mut store = ctx.store()?;
    store.candidate(vacancy, appoint)?;
    let report = decision::build(&store, vacancy)?;
    let policy = store.vacancy_policy(vacancy)?;
    let width = (report.vacancy.scale_max - report.vacancy.scale_min) as f64;
    if let Some(c) = report
        .candidates
        .iter()
        .find(|c| c.reference == appoint && !c.revealed)
    {
        bail!(
            "{appoint}'s scores are still sealed ({} of {} sheets submitted): a decision needs every sheet in",
            c.sheets_submitted,
            c.panel_size
        );
    }
    let unresolved: Vec<String> = report
        .divergence
        .iter()
        .filter(|f| {
            !report.moderations.iter().any(|m| {
                f.data["candidate"] == m.candidate.as_str()
                    && f.data["question"] == m.question.as_str()
            })
        })
        .map(|f| {
            format!(
                "{} · {}",
                f.data["candidate"].as_str().unwrap_or(""),
                f.data["question"].as_str().unwrap_or("")
            )
        })
        .collect();
    let unresolved_reason = unresolved_reason.map(str::trim).filter(|r| !r.is_empty());
    if !unresolved.is_empty() && unresolved_reason.is_none() {
        bail!(
            "divergent scores have not been discussed and moderated: {}. Record the outcome with `fairpanel moderate`, \
             or record the decision with --unresolved-reason saying why",
            unresolved.join(", ")
        );
    }
    let ranking: Vec<(String, f64)> = report
        .ranking
        .iter()
        .map(|r| (r.reference.clone(), r.weighted_mean))
        .collect();
    let rationale = rationale.trim();
    if let Some(why) =
        decision_check::rationale_required(&ranking, appoint, width, policy.close_margin)
    {
        if rationale.is_empty() {
            bail!("a rationale is required: {why}");
        }
    }
    if rationale.is_empty() {
        bail!("a rationale is required: say which criteria and evidence decided it");
    }
    store.write(|tx| tx.decide(vacancy, appoint, reserves, rationale, unresolved_reason))?;
    writeln!(
        ctx.out,
        "Recorded the decision for {vacancy}: appoint {appoint}{}.",
        if reserves.is_empty() {
            String::new()
        } else {
            format!(", reserve {}", reserves.join(", "))
        }
    )?;
    for f in decision_check::check(
        &ranking,
        appoint,
        Some(rationale),
        width,
        policy.close_margin,
    ) {
        if f.severity != Severity::Info {
            writeln!(ctx.out, "{}: {}", f.severity.as_str(), f.message)?;
        }
    }
    let mut sources = vec![("rationale".to_string(), rationale.to_string())];
    if let Some(u) = unresolved_reason {
        sources.push(("reason for unresolved divergence".into(), u.to_string()));
    }
    for f in language::check(&sources) {
        writeln!(ctx.out, "prompt: {}", f.message)?;
    }
    Ok(())
}
