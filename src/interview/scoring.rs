//! The private scoring flow for one panellist and one candidate.
//!
//! What a panellist sees here is deliberately narrow: the questions, anchors and their own answers.
//! Never another panellist's scores, never the candidate's monitoring data. Each answer is committed
//! as soon as it is given, so a crash loses at most the answer being typed.

use super::{check_answer, question_guide, Prompter};
use crate::store::{SheetRef, Store};
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

pub fn run(
    store: &mut Store,
    p: &mut dyn Prompter,
    vacancy: &str,
    reference: &str,
    panellist: &str,
) -> Result<Outcome> {
    let v = store.vacancy(vacancy)?;
    let bank = store.vacancy_bank(vacancy)?;
    let panel = store.panellists(vacancy)?;
    let me = panel
        .iter()
        .find(|m| m.name == panellist)
        .ok_or_else(|| anyhow::anyhow!("vacancy {vacancy} has no panellist {panellist:?}"))?;
    store.candidate(vacancy, reference)?;
    if let Some(c) = me.conflicts.iter().find(|c| c.candidate == reference) {
        p.say(&format!(
            "Note: you declared a conflict of interest with {reference} ({}). It will be shown in the decision report.",
            c.note
        ))?;
        if !p.confirm("Score this candidate anyway?", false)? {
            bail!("not scored: conflict of interest declared");
        }
    }
    if let Some(s) = store.sheet(vacancy, reference, panellist)? {
        if s.is_submitted() {
            bail!(
                "your sheet for {reference} was submitted and sealed at {}. To correct a score, give the \
                 correction with a reason: fairpanel score {vacancy} {reference} --panellist {panellist:?} \
                 --question ID --score N --evidence TEXT --correction-reason TEXT",
                s.submitted_at.unwrap_or_default()
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
    let ask = |store: &mut Store, p: &mut dyn Prompter, qid: &str, i: usize| -> Result<()> {
        let q = bank
            .question(qid)
            .expect("vacancy questions exist in its bank");
        p.say(&question_guide(&bank, q, i + 1, total))?;
        let options: Vec<String> = bank
            .scale
            .points()
            .map(|s| match bank.label(s) {
                Some(l) => format!("{s} — {l}"),
                None => s.to_string(),
            })
            .collect();
        let choice = p.select(
            "Your score",
            &options,
            Some("score the evidence you heard against the anchors, not the delivery"),
        )?;
        let score = bank.scale.min + choice as i64;
        let evidence = p.text(
            "Evidence note",
            Some("what the candidate said or did that supports this score"),
            &|s: &str| {
                s.trim()
                    .is_empty()
                    .then(|| "an evidence note is required with every score".to_string())
            },
        )?;
        check_answer(&bank, &v.questions, qid, score, &evidence)?;
        store.write(|tx| {
            tx.record_answer(
                &SheetRef {
                    vacancy,
                    candidate: reference,
                    panellist,
                },
                qid,
                score,
                evidence.trim(),
                None,
            )
        })?;
        p.say(&format!("Saved: {qid} = {score}."))?;
        Ok(())
    };
    loop {
        let sheet = store.sheet(vacancy, reference, panellist)?;
        let answered = |qid: &str| sheet.as_ref().is_some_and(|s| s.answer(qid).is_some());
        if let Some(i) = v.questions.iter().position(|q| !answered(q)) {
            ask(store, p, &v.questions[i], i)?;
            continue;
        }
        let sheet = sheet.expect("every question answered, so the sheet exists");
        let mut summary = format!("\nYour scores for {reference}:\n");
        for a in &sheet.answers {
            summary.push_str(&format!(
                "  {:<36} {:>3}  {}\n",
                a.question, a.score, a.evidence
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
                store.write(|tx| tx.submit_sheet(vacancy, reference, panellist, &v.questions))?;
                p.say("Submitted and sealed.")?;
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
                let i = p.select("Which question?", &v.questions, None)?;
                ask(store, p, &v.questions[i], i)?;
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
