//! The private scoring flow for one panellist and one candidate.
//!
//! What a panellist sees here is deliberately narrow: the questions, anchors and their own answers.
//! Never another panellist's scores, never the candidate's monitoring data. Each answer is committed
//! as soon as it is given, so a crash loses at most the answer being typed.

use super::{choose_score, question_guide, Prompter, ScoreChoice};
use crate::actions::scoring::{self, Given};
use crate::record::seal::Purpose;
use crate::store::Store;
use anyhow::{bail, Result};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub vacancy: String,
    pub candidate: String,
    pub panellist: String,
    pub answered: usize,
    pub questions: usize,
    pub submitted: bool,
}

/// Score `reference` as `panellist` (or, with `transcribed`, enter their paper sheet), answer by answer.
pub fn run(
    store: &mut Store,
    p: &mut dyn Prompter,
    vacancy: &str,
    reference: &str,
    panellist: &str,
    transcribed: Option<&str>,
) -> Result<Outcome> {
    let l = store.vacancy(vacancy)?;
    let v = l.state.clone();
    let bank = v.bank.clone();
    let me = l
        .people
        .by_name(panellist)
        .filter(|pp| v.member(pp.id).is_some())
        .map(|pp| pp.id)
        .ok_or_else(|| anyhow::anyhow!("vacancy {vacancy} has no panellist {panellist:?}"))?;
    if v.candidate(reference).is_none_or(|c| !c.interview) {
        bail!("vacancy {vacancy} has no candidate {reference:?}");
    }
    if let Some((_, c, _)) = v.member(me).and_then(|m| {
        m.conflicts
            .iter()
            .find(|(c, _, _)| c == reference)
            .map(|x| (x.0.clone(), x.1.clone(), ()))
    }) {
        p.say(&format!(
            "Note: you declared a conflict of interest with {reference} ({c}). It will be shown in the decision report."
        ))?;
        if !p.confirm("Score this candidate anyway?", false)? {
            bail!("not scored: conflict of interest declared");
        }
    }
    if let Some(s) = v.sheet(reference, me) {
        if let Some(b) = &s.submitted {
            bail!(
                "your sheet for {reference} was submitted and sealed at {}. To correct a score, give the \
                 correction with a reason: fairpanel score {vacancy} {reference} --panellist {panellist:?} \
                 --question ID --score N --evidence TEXT --correction-reason TEXT",
                b.at
            );
        }
    }
    p.say(&format!(
        "Scoring {reference} for {} ({vacancy}) as {panellist}.\n\
         Your scores are private: nobody sees them, and you see nobody else's, until every panellist has \
         submitted. Each answer is saved as soon as you give it.",
        v.title
    ))?;
    let total = v.questions.len();
    /// What became of one question.
    enum Step {
        Saved,
        Kept,
        Back,
    }
    const KEEP: &str = "Keep my answer and go on";
    const BACK: &str = "← Back to the previous question";
    let keys = l.keyring();
    let ask = |store: &mut Store, p: &mut dyn Prompter, i: usize| -> Result<Step> {
        let qid = v.questions[i].as_str();
        let q = bank
            .question(qid)
            .expect("vacancy questions exist in its bank");
        p.say(&question_guide(&bank, q, i + 1, total))?;
        let l = store.vacancy(vacancy)?;
        let given = l
            .state
            .sheet(reference, me)
            .and_then(|s| s.latest_answer(qid).cloned());
        let mut extras = Vec::new();
        if let Some(a) = &given {
            let ev = keys
                .read(Purpose::Evidence, &a.evidence)?
                .unwrap_or_default();
            p.say(&format!(
                "Your answer so far: {} — {}",
                a.score,
                crate::model::display_safe(&ev)
            ))?;
            extras.push(KEEP.to_string());
        }
        if i > 0 {
            extras.push(BACK.to_string());
        }
        let score = match choose_score(
            p,
            &bank,
            "Your score",
            Some("score the evidence you heard against the anchors, not the delivery"),
            &extras,
        )? {
            ScoreChoice::Score(s) => s,
            ScoreChoice::Extra(x) if extras[x] == KEEP => return Ok(Step::Kept),
            ScoreChoice::Extra(_) => return Ok(Step::Back),
        };
        let evidence = p.text(
            "Evidence note",
            Some("what the candidate said or did that supports this score"),
            &|s: &str| {
                if crate::model::is_blank(s) {
                    return Some("an evidence note is required with every score".to_string());
                }
                crate::model::check_text(s.trim(), "the evidence note")
                    .err()
                    .map(|e| e.to_string())
            },
        )?;
        store.write(|tx| {
            scoring::answer(
                tx,
                Given {
                    vacancy,
                    reference,
                    panellist,
                    question: qid,
                    score,
                    evidence: &evidence,
                    correction: None,
                    transcribed,
                },
            )
        })?;
        p.say(&format!("Saved: {qid} = {score}."))?;
        Ok(Step::Saved)
    };
    // Where the panellist is: a question, or (past the last) the review of the whole sheet.
    let first_open = |store: &Store| -> Result<usize> {
        let l = store.vacancy(vacancy)?;
        let sheet = l.state.sheet(reference, me);
        Ok(v.questions
            .iter()
            .position(|q| sheet.is_none_or(|s| s.latest_answer(q).is_none()))
            .unwrap_or(total))
    };
    let mut at = first_open(store)?;
    // A question changed from the review returns to the review.
    let mut from_review = false;
    loop {
        if at < total {
            let step = ask(store, p, at)?;
            let open = first_open(store)?;
            at = match step {
                Step::Back => at - 1,
                _ if from_review => total,
                // Onward through questions gone back to, then to the first still unanswered.
                _ if at + 1 < open => at + 1,
                _ => open,
            };
            from_review &= at < total;
            continue;
        }
        let l = store.vacancy(vacancy)?;
        let sheet = l.state.sheet(reference, me).cloned();
        let sheet = sheet.expect("every question answered, so the sheet exists");
        let keys = l.keyring();
        let mut summary = format!("\nReview your sheet for {reference} before you submit:\n");
        for q in &v.questions {
            let a = sheet.latest_answer(q).expect("answered");
            let ev = keys
                .read(Purpose::Evidence, &a.evidence)?
                .unwrap_or_default();
            summary.push_str(&format!(
                "  {:<36} {:>3}  {}\n",
                q,
                a.score,
                crate::model::display_safe(&ev)
            ));
        }
        p.say(&summary)?;
        let options = vec![
            "Submit and seal the sheet".to_string(),
            "Change an answer".to_string(),
            "Leave the sheet open for now".to_string(),
        ];
        match p.select(
            "All questions answered",
            &options,
            Some("a submitted sheet cannot be changed"),
        )? {
            0 => {
                let s = store
                    .write(|tx| scoring::submit(tx, vacancy, reference, panellist, transcribed))?;
                p.say(if s.revealed {
                    "Submitted and sealed. Every sheet is in: the scores can now be revealed."
                } else {
                    "Submitted and sealed."
                })?;
                return Ok(Outcome {
                    vacancy: vacancy.into(),
                    candidate: reference.into(),
                    panellist: panellist.into(),
                    answered: total,
                    questions: total,
                    submitted: true,
                });
            }
            1 => {
                at = p.select("Which question?", &v.questions, None)?;
                from_review = true;
            }
            _ => {
                return Ok(Outcome {
                    vacancy: vacancy.into(),
                    candidate: reference.into(),
                    panellist: panellist.into(),
                    answered: total,
                    questions: total,
                    submitted: false,
                })
            }
        }
    }
}
