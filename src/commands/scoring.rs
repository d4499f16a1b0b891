//! interview, score, submit, reveal

use super::Ctx;
use crate::actions::scoring::{self, Given};
use crate::cli::{Format, ScoreArgs};
use crate::interview;
use crate::output::emit;
use crate::report::text;
use anyhow::{bail, Result};
use std::io::Write;

pub fn interview(
    ctx: &mut Ctx,
    vacancy: &str,
    candidate: &str,
    print: bool,
    format: Format,
) -> Result<()> {
    let store = ctx.store()?;
    let l = store.vacancy(vacancy)?;
    let v = &l.state;
    if v.candidate(candidate).is_none_or(|c| !c.interview) {
        bail!("vacancy {vacancy} has no candidate {candidate:?}");
    }
    let bank = v.bank.clone();
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

/// Whose sheet, and who is acting: a panellist scoring as themself (their passphrase), or someone
/// entering a paper sheet on their behalf (recorded as a transcription, with a reason).
fn whose(
    ctx: &mut Ctx,
    store: &mut crate::store::Store,
    vacancy: &str,
    panellist: Option<String>,
    on_behalf_of: Option<String>,
    interactive_pick: bool,
) -> Result<String> {
    if let Some(p) = on_behalf_of {
        // The transcriber proves who they are if they name themselves; otherwise the login is recorded.
        ctx.authenticate(store, None)?;
        return Ok(p);
    }
    let name = match (panellist.or_else(|| ctx.claim.clone()), ctx.prompter()) {
        (Some(p), _) => p,
        (None, Some(mut pr)) if interactive_pick => {
            let l = store.vacancy(vacancy)?;
            let names: Vec<String> = l
                .state
                .active_panel()
                .filter_map(|m| l.people.get(m.person).map(|p| p.name.clone()))
                .collect();
            if names.is_empty() {
                bail!("vacancy {vacancy} has no panel yet (add one with `fairpanel panel add`)");
            }
            names[pr.select("Who is scoring?", &names, None)?].clone()
        }
        _ => {
            return Err(crate::Usage(
                "--panellist (or --as) is required when not running interactively".into(),
            )
            .into())
        }
    };
    ctx.authenticate(store, Some(&name))?;
    Ok(name)
}

pub fn score(ctx: &mut Ctx, a: ScoreArgs) -> Result<()> {
    let mut store = ctx.store()?;
    let transcribed = a.on_behalf_of.is_some().then(|| a.reason.clone()).flatten();
    let panellist = whose(
        ctx,
        &mut store,
        &a.vacancy,
        a.panellist.clone(),
        a.on_behalf_of.clone(),
        a.question.is_none(),
    )?;
    if let Some(q) = a.question {
        let (score, evidence) = (
            a.score.expect("clap requires --score"),
            a.evidence.expect("clap requires --evidence"),
        );
        let saved = store.write(|tx| {
            scoring::answer(
                tx,
                Given {
                    vacancy: &a.vacancy,
                    reference: &a.candidate,
                    panellist: &panellist,
                    question: &q,
                    score,
                    evidence: &evidence,
                    correction: a.correction_reason.as_deref(),
                    transcribed: transcribed.as_deref(),
                },
            )
        })?;
        writeln!(
            ctx.out,
            "Saved {}{} = {} for {} ({} of {} questions answered{}).",
            saved.question,
            if saved.correction {
                " (correction)"
            } else {
                ""
            },
            saved.score,
            a.candidate,
            saved.answered,
            saved.questions,
            if saved.transcribed {
                format!("; transcribed for {panellist}")
            } else {
                String::new()
            }
        )?;
        return Ok(());
    }
    let Some(mut p) = ctx.prompter() else {
        return Err(crate::Usage(
            "scoring without a terminal needs --question, --score and --evidence (one answer per call)".into(),
        )
        .into());
    };
    let outcome = interview::scoring::run(
        &mut store,
        p.as_mut(),
        &a.vacancy,
        &a.candidate,
        &panellist,
        transcribed.as_deref(),
    )?;
    if !outcome.submitted {
        writeln!(
            ctx.out,
            "Sheet left open: {} of {} answered. Submit with `fairpanel submit {} {} --panellist {:?}`.",
            outcome.answered, outcome.questions, a.vacancy, a.candidate, panellist
        )?;
    }
    Ok(())
}

pub fn submit(
    ctx: &mut Ctx,
    vacancy: &str,
    candidate: &str,
    panellist: Option<String>,
    on_behalf_of: Option<String>,
    reason: Option<String>,
) -> Result<()> {
    let mut store = ctx.store()?;
    let transcribed = on_behalf_of.is_some().then_some(reason).flatten();
    let name = whose(ctx, &mut store, vacancy, panellist, on_behalf_of, true)?;
    if let Some(mut p) = ctx.prompter() {
        let l = store.vacancy(vacancy)?;
        let me = l.people.by_name(&name).map(|p| p.id);
        if let Some(s) = me.and_then(|id| l.state.sheet(candidate, id)) {
            let keys = l.keyring();
            let mut review = format!("{name}'s sheet for {candidate}:\n");
            for q in &l.state.questions {
                match s.latest_answer(q) {
                    Some(e) => review.push_str(&format!(
                        "  {q:<36} {:>3}  {}\n",
                        e.score,
                        crate::model::display_safe(
                            &keys
                                .read(crate::record::seal::Purpose::Evidence, &e.evidence)?
                                .unwrap_or_default()
                        )
                    )),
                    None => review.push_str(&format!("  {q:<36}   –  (no score yet)\n")),
                }
            }
            p.say(&review)?;
            if !p.confirm(
                "Submit and seal this sheet? It cannot be changed afterwards",
                false,
            )? {
                bail!("not submitted; the sheet stays open");
            }
        }
    }
    let s =
        store.write(|tx| scoring::submit(tx, vacancy, candidate, &name, transcribed.as_deref()))?;
    writeln!(
        ctx.out,
        "Submitted and sealed {name}'s sheet for {candidate} ({} of {} panellists have submitted).{}",
        s.submitted,
        s.panel,
        if s.revealed {
            format!(" Every sheet is in: {candidate}'s scores can now be revealed (`fairpanel reveal {vacancy} {candidate}`).")
        } else {
            String::new()
        }
    )?;
    Ok(())
}

pub fn reveal(ctx: &mut Ctx, vacancy: &str, candidate: &str, format: Format) -> Result<()> {
    let store = ctx.store()?;
    let l = store.vacancy(vacancy)?;
    let view = text::RevealView::build(&l, candidate)?;
    emit(&mut ctx.out, format, &view, text::reveal)
}
