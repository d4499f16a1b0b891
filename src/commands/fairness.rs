//! review VACANCY --reviewer NAME (sign off, or return with questions) and review answer (the chair's).

use super::Ctx;
use crate::actions::review::{self as review_action, Given};
use crate::cli::{ReviewArgs, ReviewCmd};
use crate::record::chain::Receipt;
use crate::record::fact::Verdict;
use crate::report::decision;
use anyhow::{anyhow, Result};
use std::io::Write;

pub fn run(ctx: &mut Ctx, a: ReviewArgs) -> Result<()> {
    if let Some(ReviewCmd::Answer {
        vacancy,
        review,
        answer,
    }) = a.command
    {
        return answer_review(ctx, &vacancy, review, answer);
    }
    let vacancy = a
        .vacancy
        .ok_or_else(|| crate::Usage("name the vacancy to review".into()))?;
    // A reviewer acts as themself: the review is worth only as much as the name on it.
    let reviewer = match (a.reviewer, ctx.claim.clone()) {
        (Some(r), Some(c)) if r != c => {
            return Err(crate::Usage(format!(
                "--reviewer {r} and --as {c} name different people: a reviewer reviews as themself"
            ))
            .into())
        }
        (Some(r), _) | (None, Some(r)) => r,
        (None, None) => {
            return Err(crate::Usage("say who is reviewing with --reviewer NAME".into()).into())
        }
    };
    let flagged = match (a.sign_off, a.return_decision) {
        (true, _) => Some(Verdict::SignedOff),
        (_, true) => Some(Verdict::Returned),
        _ => None,
    };
    if flagged.is_none() && !ctx.interactive {
        return Err(crate::Usage(
            "reviewing without a terminal needs --sign-off, or --return with one --question or more".into(),
        )
        .into());
    }
    let mut store = ctx.store()?;
    ctx.authenticate(&mut store, Some(&reviewer))?;
    let l = store.vacancy(&vacancy)?;
    let report = decision::from_loaded(&l)?;
    if report.decision.is_none() {
        anyhow::bail!("{vacancy} has no decision to review yet");
    }
    let person = store
        .person_named(&reviewer)?
        .ok_or_else(|| anyhow!("there is no person called {reviewer:?}"))?;
    // Said before the reviewer reads anything, rather than after they have written their questions.
    if let Some(why) = review_action::not_eligible(&l.state, &person, &crate::model::today())? {
        anyhow::bail!("{why}");
    }
    if let Some(why) = l.state.review_blocked() {
        anyhow::bail!("{vacancy} cannot be reviewed again yet: {why}");
    }
    let receipt: Receipt = match &a.receipt {
        Some(given) => super::setup::read_receipt(given)?,
        None => Receipt::find(&report.receipt)
            .ok_or_else(|| anyhow!("the report carries no receipt"))?,
    };
    let summary = crate::report::text::review_summary(&report);
    let (verdict, questions, note) = match flagged {
        Some(v) => {
            ctx.out.write_all(summary.as_bytes())?;
            (v, a.questions, a.note)
        }
        None => {
            let mut p = ctx.prompter().expect("interactive, checked above");
            p.say(&summary)?;
            let choice = p.select(
                "Your review",
                &[
                    "Sign off the decision".to_string(),
                    "Return it to the chair with questions".to_string(),
                    "Stop without recording anything".to_string(),
                ],
                Some("bound to the receipt above: anything recorded later needs a new review"),
            )?;
            let verdict = match choice {
                0 => Verdict::SignedOff,
                1 => Verdict::Returned,
                _ => {
                    p.say("Nothing was recorded.")?;
                    return Ok(());
                }
            };
            let mut questions = a.questions;
            if verdict == Verdict::Returned {
                loop {
                    let first = questions.is_empty();
                    let q = p.text(
                        "Question for the chair",
                        Some(if first {
                            "what the chair must answer before the decision can be signed off"
                        } else {
                            "another question, or leave blank to finish"
                        }),
                        &|t: &str| {
                            (first && t.trim().is_empty())
                                .then(|| "a returned decision needs at least one question".into())
                        },
                    )?;
                    if q.trim().is_empty() {
                        break;
                    }
                    questions.push(q.trim().to_string());
                }
            }
            let note = match a.note {
                Some(n) => Some(n),
                None => {
                    let n = p.text(
                        "Note (optional)",
                        Some("a remark recorded with your review; leave blank for none"),
                        &|_| None,
                    )?;
                    Some(n.trim().to_string()).filter(|n| !n.is_empty())
                }
            };
            (verdict, questions, note)
        }
    };
    let seq = store.write(|tx| {
        review_action::review(
            tx,
            &vacancy,
            &Given {
                verdict,
                receipt: &receipt,
                questions: &questions,
                note: note.as_deref(),
            },
        )
    })?;
    match verdict {
        Verdict::SignedOff => writeln!(
            ctx.out,
            "\nRecorded review {seq}: {reviewer} signed off the decision for {vacancy}, for receipt {receipt}."
        )?,
        Verdict::Returned => writeln!(
            ctx.out,
            "\nRecorded review {seq}: {reviewer} returned the decision for {vacancy} to the chair with {} question(s). \
             The chair answers with `fairpanel review answer {vacancy} --review {seq} --answer TEXT`, then records \
             the decision again with `fairpanel decide {vacancy} … --revision-reason TEXT`.",
            questions.iter().filter(|q| !q.trim().is_empty()).count()
        )?,
    }
    let l = store.vacancy(&vacancy)?;
    let after = decision::from_loaded(&l)?;
    writeln!(ctx.out, "Review: {}", after.review.headline)?;
    Ok(())
}

fn answer_review(ctx: &mut Ctx, vacancy: &str, review: i64, answer: Option<String>) -> Result<()> {
    let mut store = ctx.store()?;
    ctx.authenticate(&mut store, None)?;
    let mut term = ctx.prompter();
    if let Some(p) = term.as_deref_mut() {
        let l = store.vacancy(vacancy)?;
        if let Some(r) = l.state.reviews.iter().find(|r| r.by.seq == review) {
            let mut s = format!("Review {review} asks:\n");
            for q in &r.review.questions {
                s.push_str(&format!("  - {}\n", crate::model::display_safe(q)));
            }
            p.say(&s)?;
        }
    }
    let answer = crate::interview::required(
        answer,
        "--answer",
        &mut term,
        "Answer",
        Some("how the panel considered each question, and what it changed"),
    )?;
    store.write(|tx| review_action::answer(tx, vacancy, review, &answer))?;
    writeln!(
        ctx.out,
        "Recorded the chair's answer to review {review}. Record the decision again (revised or re-affirmed) with \
         `fairpanel decide {vacancy} --appoint REF --rationale TEXT --revision-reason TEXT`; the reviewer then \
         reviews it again."
    )?;
    Ok(())
}
