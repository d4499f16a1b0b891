//! After the interviews: moderate, decide, check, consider, panel check.

use super::Ctx;
use crate::actions::decision::{self as decide_action, Decision};
use crate::checks::{composition, moderation, Finding, Severity};
use crate::cli::Format;
use crate::output::emit;
use crate::report::decision;
use crate::report::text::RevealView;
use anyhow::{bail, Result};
use std::io::Write;

/// Print findings; a `gap` makes the command exit 3 once they are shown.
fn findings_out(
    ctx: &mut Ctx,
    title: &str,
    findings: &[Finding],
    receipt: &str,
    format: Format,
) -> Result<()> {
    #[derive(serde::Serialize)]
    struct View<'a> {
        findings: &'a [Finding],
        receipt: &'a str,
    }
    let view = View { findings, receipt };
    match format {
        // Kept as a plain list, as before, for tools that read it; the receipt goes to stderr.
        Format::Json => {
            emit(&mut ctx.out, format, &view.findings, |_| String::new())?;
        }
        Format::Text => {
            emit(&mut ctx.out, format, &view, |v| {
                let fs = v.findings;
                if fs.is_empty() {
                    return format!("{title}: nothing to report.");
                }
                let mut s = format!("{title}\n");
                for f in fs.iter() {
                    s.push_str(&format!(
                        "  {:<7} {:<12} {}\n",
                        f.severity.as_str(),
                        f.check,
                        crate::model::display_safe(&f.message)
                    ));
                }
                let gaps = fs.iter().filter(|f| f.severity == Severity::Gap).count();
                let warnings = fs
                    .iter()
                    .filter(|f| f.severity == Severity::Warning)
                    .count();
                s.push_str(&format!("\n{gaps} gap(s), {warnings} warning(s)."));
                if gaps > 0 {
                    s.push_str(" Gaps stand in the way of a decision unless a named person overrides them.");
                }
                if !v.receipt.is_empty() {
                    s.push_str(&format!("\nReceipt {}", v.receipt));
                }
                s
            })?
        }
    }
    if findings.iter().any(|f| f.severity == Severity::Gap) {
        return Err(crate::GapFound.into());
    }
    Ok(())
}

pub fn panel_check(ctx: &mut Ctx, vacancy: &str, format: Format) -> Result<()> {
    let store = ctx.store()?;
    let l = store.vacancy(vacancy)?;
    let report = decision::from_loaded(&l)?;
    let _ = composition::check;
    findings_out(
        ctx,
        &format!("Panel composition for {vacancy}"),
        &report.composition,
        &report.receipt,
        format,
    )
}

pub fn check(ctx: &mut Ctx, vacancy: &str, format: Format) -> Result<()> {
    let store = ctx.store()?;
    let l = store.vacancy(vacancy)?;
    let report = decision::from_loaded(&l)?;
    let all = report.findings();
    findings_out(
        ctx,
        &format!("Checks for {vacancy}"),
        &all,
        &report.receipt,
        format,
    )
}

pub fn consider(
    ctx: &mut Ctx,
    vacancy: &str,
    key: Option<String>,
    note: Option<String>,
) -> Result<()> {
    let mut store = ctx.store()?;
    ctx.authenticate_chair(&mut store, vacancy)?;
    let mut term = ctx.prompter();
    let key = match (key, term.as_deref_mut()) {
        (Some(k), _) => k,
        (None, Some(p)) => {
            let l = store.vacancy(vacancy)?;
            let report = decision::from_loaded(&l)?;
            // Prompts not yet considered; a considered one can still be named by its key.
            let open: Vec<&Finding> = report
                .language
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .collect();
            if open.is_empty() {
                bail!("{vacancy} has no language prompt left to consider");
            }
            let options: Vec<String> = open.iter().map(|f| f.message.clone()).collect();
            let i = p.select("Which prompt has the panel considered?", &options, None)?;
            open[i].data["key"].as_str().unwrap_or_default().to_string()
        }
        (None, None) => {
            return Err(crate::Usage(
                "the prompt's KEY is required when not running interactively (`fairpanel check VACANCY --format json` lists them)".into(),
            )
            .into())
        }
    };
    let note = crate::interview::required(
        note,
        "--note",
        &mut term,
        "Note",
        Some("what the panel made of it: the criterion and the evidence"),
    )?;
    let key = key.as_str();
    store.write(|tx| decide_action::considered(tx, vacancy, key, &note))?;
    writeln!(ctx.out, "Recorded that the prompt {key} was considered.")?;
    Ok(())
}

pub fn moderate(
    ctx: &mut Ctx,
    vacancy: &str,
    candidate: &str,
    question: Option<String>,
    score: Option<i64>,
    reason: Option<String>,
    revision_reason: Option<String>,
) -> Result<()> {
    let mut store = ctx.store()?;
    ctx.authenticate_chair(&mut store, vacancy)?;
    // The same rule as reveal: nothing of a sealed candidate is shown.
    let l = store.vacancy(vacancy)?;
    let view = RevealView::build(&l, candidate)?;
    let bank = l.state.bank.clone();
    let say_findings = |ctx: &mut Ctx, store: &crate::store::Store| -> Result<()> {
        let l = store.vacancy(vacancy)?;
        let report = decision::from_loaded(&l)?;
        for f in report
            .moderation
            .iter()
            .filter(|f| f.data["candidate"] == candidate)
        {
            writeln!(ctx.out, "{}: {}", f.severity.as_str(), f.message)?;
        }
        Ok(())
    };
    if let (Some(q), Some(s)) = (question, score) {
        store.write(|tx| {
            decide_action::moderate(
                tx,
                vacancy,
                candidate,
                &q,
                s,
                reason.as_deref(),
                revision_reason.as_deref(),
            )
        })?;
        writeln!(ctx.out, "Recorded agreed score {s} for {candidate} · {q}.")?;
        return say_findings(ctx, &store);
    }
    let Some(mut p) = ctx.prompter() else {
        return Err(crate::Usage(
            "moderating without a terminal needs --question, --score and --reason".into(),
        )
        .into());
    };
    p.say(&crate::report::text::reveal(&view))?;
    // Cells already agreed are shown, never asked again: revising one is a deliberate act with a reason.
    let mut todo: Vec<usize> = (0..view.questions.len())
        .filter(|&i| view.questions[i].divergent && view.questions[i].agreed.is_none())
        .collect();
    for r in view.questions.iter().filter(|r| r.agreed.is_some()) {
        p.say(&format!(
            "{}: agreed score {} already recorded (revise it with --revision-reason).",
            r.question,
            r.agreed.unwrap_or_default()
        ))?;
    }
    if todo.is_empty() {
        p.say("No divergent scores left to moderate; you may still record an agreed score for another question.")?;
        let open: Vec<usize> = (0..view.questions.len())
            .filter(|&i| view.questions[i].agreed.is_none())
            .collect();
        if open.is_empty() {
            return Ok(());
        }
        let opts: Vec<String> = open
            .iter()
            .map(|&i| view.questions[i].question.clone())
            .collect();
        todo.push(open[p.select("Which question?", &opts, None)?]);
    }
    for i in todo {
        let row = &view.questions[i];
        p.say(&format!("\n{}:", row.question))?;
        for ((n, s), e) in view.panellists.iter().zip(&row.scores).zip(&row.evidence) {
            p.say(&format!("  {n} {s}: {}", crate::model::display_safe(e)))?;
        }
        let crate::interview::ScoreChoice::Score(s) = crate::interview::choose_score(
            p.as_mut(),
            &bank,
            "Agreed score",
            Some("the score the evidence supports"),
            &[],
        )?
        else {
            unreachable!("no extra options offered")
        };
        let needs = moderation::needs_reason(&row.scores, s);
        let r = p.text(
            "Reason",
            Some("the evidence the panel agreed on; required when the agreed score differs from the median"),
            &|t: &str| (needs && t.trim().is_empty()).then(|| "a reason is required for this agreed score".into()),
        )?;
        // Saved as given, so stopping part-way keeps every agreed score already entered.
        store.write(|tx| {
            decide_action::moderate(
                tx,
                vacancy,
                candidate,
                &row.question,
                s,
                Some(r.trim()).filter(|r| !r.is_empty()),
                None,
            )
        })?;
        p.say(&format!("Saved: agreed score {s} for {}.", row.question))?;
    }
    say_findings(ctx, &store)
}

/// `decide`'s flags, any of which may be asked for at a terminal.
pub struct DecideArgs {
    pub appoint: Option<String>,
    pub reserves: Vec<String>,
    pub rationale: Option<String>,
    pub unresolved_reason: Option<String>,
    pub override_gaps: Option<String>,
    pub revision_reason: Option<String>,
}

pub fn decide(ctx: &mut Ctx, vacancy: &str, a: DecideArgs) -> Result<()> {
    let mut store = ctx.store()?;
    ctx.authenticate_chair(&mut store, vacancy)?;
    let mut term = ctx.prompter();
    let mut a = a;
    // At a terminal, the reasons a decision would otherwise be refused for are asked for first, each
    // with what it is for; a blank answer gives none, and the refusal then says what is missing.
    if let Some(p) = term.as_deref_mut() {
        let l = store.vacancy(vacancy)?;
        let report = decision::from_loaded(&l)?;
        let ask = |p: &mut dyn crate::interview::Prompter,
                   situation: String,
                   message: &str|
         -> Result<Option<String>> {
            p.say(&situation)?;
            let r = p.text(message, Some("blank to stop here"), &|_| None)?;
            Ok(Some(r.trim().to_string()).filter(|r| !r.is_empty()))
        };
        if a.revision_reason.is_none() {
            if let Some(d) = l.state.decision() {
                a.revision_reason = ask(
                    p,
                    format!(
                        "{vacancy} already has a decision (appoint {}, recorded {}); a new one is recorded beside it.",
                        d.appointed, d.by.at
                    ),
                    "Why revise or re-affirm the decision?",
                )?;
            }
        }
        let gaps = report.gaps();
        if a.override_gaps.is_none() && !gaps.is_empty() {
            let list: Vec<String> = gaps
                .iter()
                .map(|g| {
                    format!(
                        "  - {}: {}",
                        g.check,
                        crate::model::display_safe(&g.message)
                    )
                })
                .collect();
            a.override_gaps = ask(
                p,
                format!(
                    "The checks find {} gap(s):\n{}\nOverriding them is recorded with your name and shown first in the report.",
                    gaps.len(),
                    list.join("\n")
                ),
                "Why override them?",
            )?;
        }
        let unresolved: Vec<String> = report
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
        if a.unresolved_reason.is_none() && !unresolved.is_empty() {
            a.unresolved_reason = ask(
                p,
                format!(
                    "Divergent scores have no agreed score yet: {}. Moderate them first \
                     (`fairpanel moderate`), or say why the decision is recorded without.",
                    unresolved.join(", ")
                ),
                "Why decide with them unresolved?",
            )?;
        }
    }
    let asked = a.appoint.is_none();
    let appoint = match (a.appoint, term.as_deref_mut()) {
        (Some(x), _) => x,
        (None, Some(p)) => {
            let l = store.vacancy(vacancy)?;
            let report = decision::from_loaded(&l)?;
            let opts: Vec<String> = report
                .ranking
                .iter()
                .map(|r| {
                    format!(
                        "{} (rank {}, weighted mean {:.2})",
                        r.reference, r.rank, r.weighted_mean
                    )
                })
                .collect();
            if opts.is_empty() {
                bail!("no candidate of {vacancy} is revealed yet");
            }
            report.ranking[p.select("Appoint", &opts, None)?]
                .reference
                .clone()
        }
        (None, None) => {
            return Err(
                crate::Usage("--appoint is required when not running interactively".into()).into(),
            )
        }
    };
    let mut reserves = a.reserves;
    if let (true, true, Some(p)) = (asked, reserves.is_empty(), term.as_deref_mut()) {
        let l = store.vacancy(vacancy)?;
        let report = decision::from_loaded(&l)?;
        let others: Vec<String> = report
            .ranking
            .iter()
            .map(|r| r.reference.clone())
            .filter(|r| *r != appoint)
            .collect();
        if !others.is_empty() {
            let chosen = p.multi_select(
                "Reserve candidates, in order (space to choose; Enter with none for no reserve)",
                &others,
                &[],
            )?;
            reserves = chosen.into_iter().map(|i| others[i].clone()).collect();
        }
    }
    let a = DecideArgs {
        appoint: None,
        reserves,
        ..a
    };
    let rationale = crate::interview::required(
        a.rationale,
        "--rationale",
        &mut term,
        "Rationale",
        Some("the criteria and the evidence that decided it"),
    )?;
    let d = Decision {
        appoint: &appoint,
        reserves: &a.reserves,
        rationale: &rationale,
        unresolved_reason: a.unresolved_reason.as_deref(),
        override_gaps: a.override_gaps.as_deref(),
        revision_reason: a.revision_reason.as_deref(),
    };
    let out = store.write(|tx| decide_action::decide(tx, vacancy, &d))?;
    writeln!(
        ctx.out,
        "Recorded the decision for {vacancy}: appoint {appoint}{}.",
        if a.reserves.is_empty() {
            String::new()
        } else {
            format!(", reserve {}", a.reserves.join(", "))
        }
    )?;
    if !out.overridden.is_empty() {
        writeln!(
            ctx.out,
            "Overrode {} gap(s) on the record, with your name and reason; the decision report shows them first.",
            out.overridden.len()
        )?;
    }
    for f in out.findings {
        writeln!(ctx.out, "{}: {}", f.severity.as_str(), f.message)?;
    }
    for f in out.prompts {
        writeln!(ctx.out, "prompt: {}", f.message)?;
    }
    Ok(())
}
