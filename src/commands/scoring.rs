//! interview, score, submit, reveal

use super::Ctx;
use crate::cli::{Format, ScoreArgs};
use crate::interview::{self, check_answer};
use crate::output::emit;
use crate::report::text;
use crate::store::SheetRef;
use anyhow::{bail, Result};
use serde::Serialize;
use std::io::Write;

pub fn interview(
    ctx: &mut Ctx,
    vacancy: &str,
    candidate: &str,
    print: bool,
    format: Format,
) -> Result<()> {
    let store = ctx.store()?;
    let v = store.vacancy(vacancy)?;
    let bank = store.vacancy_bank(vacancy)?;
    store.candidate(vacancy, candidate)?;
    match ctx.prompter() {
        Some(mut p) if !print && format == Format::Text => {
            interview::guide(p.as_mut(), &bank, &v.questions, candidate)
        }
        _ => {
            let qs: Vec<&crate::bank::Question> = v
                .questions
                .iter()
                .filter_map(|q| bank.question(q))
                .collect();
            emit(&mut ctx.out, format, &qs, |qs| {
                let mut s = format!("Interview plan for {candidate} · {} ({vacancy})\n", v.title);
                for (i, q) in qs.iter().enumerate() {
                    s.push_str(&interview::question_guide(&bank, q, i + 1, qs.len()));
                }
                s
            })
        }
    }
}

pub fn score(ctx: &mut Ctx, a: ScoreArgs) -> Result<()> {
    let mut store = ctx.store()?;
    let mut term = ctx.prompter();
    let panellist = match (a.panellist, term.as_deref_mut()) {
        (Some(p), _) => p,
        (None, Some(pr)) if a.question.is_none() => {
            let names: Vec<String> = store
                .panellists(&a.vacancy)?
                .into_iter()
                .map(|p| p.name)
                .collect();
            if names.is_empty() {
                bail!(
                    "vacancy {} has no panel yet (add one with `fairpanel panel add`)",
                    a.vacancy
                );
            }
            names[pr.select("Who is scoring?", &names, None)?].clone()
        }
        _ => {
            return Err(crate::Usage(
                "--panellist is required when not running interactively".into(),
            )
            .into())
        }
    };
    // Scoring is done by, and recorded as, the panellist.
    store.set_actor(&panellist);
    if let Some(q) = a.question {
        let (score, evidence) = (
            a.score.expect("clap requires --score"),
            a.evidence.expect("clap requires --evidence"),
        );
        let v = store.vacancy(&a.vacancy)?;
        let bank = store.vacancy_bank(&a.vacancy)?;
        check_answer(&bank, &v.questions, &q, score, &evidence)?;
        let correction = a.correction_reason.as_deref().map(str::trim);
        if correction == Some("") {
            bail!("a correction needs a reason");
        }
        store.write(|tx| {
            tx.record_answer(
                &SheetRef {
                    vacancy: &a.vacancy,
                    candidate: &a.candidate,
                    panellist: &panellist,
                },
                &q,
                score,
                evidence.trim(),
                correction,
            )
        })?;
        let sheet = store
            .sheet(&a.vacancy, &a.candidate, &panellist)?
            .expect("sheet just written");
        #[derive(Serialize)]
        struct Saved {
            question: String,
            score: i64,
            answered: usize,
            questions: usize,
            correction: bool,
        }
        let s = Saved {
            question: q,
            score,
            answered: sheet.answers.len(),
            questions: v.questions.len(),
            correction: correction.is_some(),
        };
        writeln!(
            ctx.out,
            "Saved {}{} = {} for {} ({} of {} questions answered).",
            s.question,
            if s.correction { " (correction)" } else { "" },
            s.score,
            a.candidate,
            s.answered,
            s.questions
        )?;
        return Ok(());
    }
    let Some(mut p) = term else {
        return Err(crate::Usage(
            "scoring without a terminal needs --question, --score and --evidence (one answer per call)".into(),
        )
        .into());
    };
    let outcome =
        interview::scoring::run(&mut store, p.as_mut(), &a.vacancy, &a.candidate, &panellist)?;
    if !outcome.submitted {
        writeln!(
            ctx.out,
            "Sheet left open: {} of {} answered. Submit with `fairpanel submit {} {} --panellist {:?}`.",
            outcome.answered, outcome.questions, a.vacancy, a.candidate, panellist
        )?;
    }
    Ok(())
}

pub fn submit(ctx: &mut Ctx, vacancy: &str, candidate: &str, panellist: &str) -> Result<()> {
    let mut store = ctx.store()?;
    store.set_actor(panellist);
    let v = store.vacancy(vacancy)?;
    store.write(|tx| tx.submit_sheet(vacancy, candidate, panellist, &v.questions))?;
    let sheets = store.sheets(vacancy)?;
    let panel = store.panellists(vacancy)?;
    let done = sheets
        .iter()
        .filter(|s| s.candidate == candidate && s.is_submitted())
        .count();
    writeln!(
        ctx.out,
        "Submitted and sealed {panellist}'s sheet for {candidate} ({done} of {} panellists have submitted).",
        panel.len()
    )?;
    Ok(())
}

pub fn reveal(ctx: &mut Ctx, vacancy: &str, candidate: &str, format: Format) -> Result<()> {
    let store = ctx.store()?;
    let view = text::RevealView::load(&store, vacancy, candidate)?;
    emit(&mut ctx.out, format, &view, text::reveal)
}
