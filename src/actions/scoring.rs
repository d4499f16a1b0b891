//! Scoring: answers, submission (which seals a sheet), corrections, and the reveal that follows when
//! every active panellist's sheet for a candidate is in.

use super::panel::member;
use crate::record::fact::{self, Fact};
use crate::record::seal::{self, Purpose};
use crate::record::Scope;
use crate::store::Tx;
use anyhow::{anyhow, bail, Result};

/// One answer as given.
#[derive(Debug, Clone, Copy)]
pub struct Given<'a> {
    pub vacancy: &'a str,
    pub reference: &'a str,
    /// The panellist whose sheet it is.
    pub panellist: &'a str,
    pub question: &'a str,
    pub score: i64,
    pub evidence: &'a str,
    /// After submission: why the score is corrected.
    pub correction: Option<&'a str>,
    /// Entered from the panellist's paper sheet by the actor, with this reason.
    pub transcribed: Option<&'a str>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Saved {
    pub question: String,
    pub score: i64,
    pub answered: usize,
    pub questions: usize,
    pub correction: bool,
    pub transcribed: bool,
}

/// The actor may act on `panellist`'s sheet: they are that panellist, proven, or this is a recorded
/// transcription.
fn may_act_for(tx: &mut Tx<'_>, person: i64, name: &str, transcribed: Option<&str>) -> Result<()> {
    if let Some(reason) = transcribed {
        crate::model::check_text(reason, "the reason for transcribing")?;
        return Ok(());
    }
    match tx.actor().authenticated_person() {
        Some(p) if p == person => Ok(()),
        Some(p) => {
            let me = tx.person(p)?.name.clone();
            bail!(
                "you proved you are {me}; only {name} can score as {name}. To enter {name}'s paper sheet, \
                 record it as a transcription with --on-behalf-of {name:?} and --reason"
            )
        }
        None => bail!(
            "scoring as {name} needs {name}'s passphrase (asked for at a terminal, or --credential-file / \
             FAIRPANEL_CREDENTIAL). To enter a paper sheet for them, use --on-behalf-of {name:?} and --reason"
        ),
    }
}

fn transcription(reason: Option<&str>) -> Option<fact::Transcribed> {
    reason.map(|r| fact::Transcribed {
        reason: r.trim().to_string(),
    })
}

pub fn answer(tx: &mut Tx<'_>, g: Given<'_>) -> Result<Saved> {
    let evidence = g.evidence.trim();
    if crate::model::is_blank(evidence) {
        bail!("an evidence note is required with every score: what did the candidate say or do?");
    }
    crate::model::check_text(evidence, "the evidence note")?;
    if let Some(r) = g.correction {
        if crate::model::is_blank(r) {
            bail!("a correction needs a reason");
        }
        crate::model::check_text(r, "the correction's reason")?;
    }
    let person = member(tx, g.vacancy, g.panellist)?;
    may_act_for(tx, person, g.panellist, g.transcribed)?;
    let v = tx.vacancy(g.vacancy)?;
    let c = v
        .candidate(g.reference)
        .filter(|c| c.interview)
        .ok_or_else(|| anyhow!("vacancy {} has no candidate {:?}", g.vacancy, g.reference))?;
    if c.withdrawn.is_some() {
        bail!("{} has withdrawn from {}", g.reference, g.vacancy);
    }
    let key_id = c.key.as_ref().map(|k| k.id).ok_or_else(|| {
        anyhow!(
            "{}'s personal data was erased: nothing more can be recorded about them",
            g.reference
        )
    })?;
    let revealed = c.revealed.is_some();
    let m = v.member(person).expect("member");
    if !m.active() {
        bail!("{} has stood down from this panel", g.panellist);
    }
    crate::interview::check_answer(&v.bank, &v.questions, g.question, g.score, evidence)?;
    let sheet = v.sheet(g.reference, person);
    let submitted = sheet.is_some_and(|s| s.submitted.is_some());
    match (g.correction, submitted) {
        (None, true) => bail!(
            "{}'s sheet for {} is submitted and sealed; a correction needs a reason (--correction-reason) \
             and is shown beside the original everywhere",
            g.panellist,
            g.reference
        ),
        (Some(_), false) => bail!(
            "{}'s sheet for {} is not submitted yet: change the answer directly, no correction needed",
            g.panellist,
            g.reference
        ),
        _ => {}
    }
    if revealed && g.correction.is_none() {
        bail!(
            "{} was revealed before {} joined the panel: scoring for {} is closed",
            g.reference,
            g.panellist,
            g.reference
        );
    }
    if sheet.is_some_and(|s| s.withdrawn.is_some()) {
        bail!("{}'s sheet for {} was withdrawn", g.panellist, g.reference);
    }
    let questions = v.questions.len();
    let key = tx.key(key_id)?;
    let evidence = seal::seal(key_id, &key, Purpose::Evidence, evidence);
    let fact = match g.correction {
        Some(reason) => Fact::Correction(fact::Correction {
            reference: g.reference.to_string(),
            person,
            question: g.question.to_string(),
            score: g.score,
            evidence,
            reason: reason.trim().to_string(),
            transcribed: transcription(g.transcribed),
        }),
        None => Fact::Answer(fact::Answer {
            reference: g.reference.to_string(),
            person,
            question: g.question.to_string(),
            score: g.score,
            evidence,
            transcribed: transcription(g.transcribed),
        }),
    };
    tx.append(Scope::Vacancy(g.vacancy.to_string()), fact)?;
    let v = tx.vacancy(g.vacancy)?;
    let answered = v.sheet(g.reference, person).map_or(0, |s| {
        v.questions
            .iter()
            .filter(|q| s.latest_answer(q).is_some())
            .count()
    });
    Ok(Saved {
        question: g.question.to_string(),
        score: g.score,
        answered,
        questions,
        correction: g.correction.is_some(),
        transcribed: g.transcribed.is_some(),
    })
}

/// As [`answer`], but an answer the same as the sheet's latest for that question is not recorded
/// again (a repeated autosave or a retried request); returns the outcome and whether it was recorded.
pub fn answer_if_changed(tx: &mut Tx<'_>, g: Given<'_>) -> Result<(Saved, bool)> {
    if g.correction.is_none() && g.transcribed.is_none() {
        if let Some(person) = tx.person_named(g.panellist)?.map(|p| p.id) {
            let v = tx.vacancy(g.vacancy)?;
            let same = v
                .sheet(g.reference, person)
                .filter(|s| s.submitted.is_none() && s.withdrawn.is_none())
                .and_then(|s| s.latest_answer(g.question))
                .filter(|e| e.score == g.score)
                .map(|e| e.evidence.clone());
            if let Some(sealed) = same {
                let questions = v.questions.len();
                let answered = v.sheet(g.reference, person).map_or(0, |s| {
                    v.questions
                        .iter()
                        .filter(|q| s.latest_answer(q).is_some())
                        .count()
                });
                let held = tx
                    .keyring()
                    .read(crate::record::seal::Purpose::Evidence, &sealed)?;
                if held.as_deref() == Some(g.evidence.trim()) {
                    // The rules still apply: only the panellist, on an open sheet, gets this far.
                    may_act_for(tx, person, g.panellist, None)?;
                    return Ok((
                        Saved {
                            question: g.question.to_string(),
                            score: g.score,
                            answered,
                            questions,
                            correction: false,
                            transcribed: false,
                        },
                        false,
                    ));
                }
            }
        }
    }
    Ok((answer(tx, g)?, true))
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    pub submitted: usize,
    pub panel: usize,
    /// Every active panellist's sheet is now in: the candidate was revealed.
    pub revealed: bool,
}

pub fn submit(
    tx: &mut Tx<'_>,
    vacancy: &str,
    reference: &str,
    panellist: &str,
    transcribed: Option<&str>,
) -> Result<Submitted> {
    let person = member(tx, vacancy, panellist)?;
    may_act_for(tx, person, panellist, transcribed)?;
    let v = tx.vacancy(vacancy)?;
    if v.candidate(reference).is_none_or(|c| !c.interview) {
        bail!("vacancy {vacancy} has no candidate {reference:?}");
    }
    let Some(sheet) = v.sheet(reference, person) else {
        bail!("{panellist} has not scored {reference} yet: nothing to submit");
    };
    if let Some(b) = &sheet.submitted {
        bail!(
            "{panellist}'s sheet for {reference} was already submitted at {}",
            b.at
        );
    }
    if sheet.withdrawn.is_some() {
        bail!("{panellist}'s sheet for {reference} was withdrawn");
    }
    let missing: Vec<&str> = v
        .questions
        .iter()
        .filter(|q| sheet.latest_answer(q).is_none())
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        bail!(
            "{panellist}'s sheet for {reference} is not complete: no score yet for {}",
            missing.join(", ")
        );
    }
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::Submit(fact::Submit {
            reference: reference.to_string(),
            person,
            transcribed: transcription(transcribed),
        }),
    )?;
    let revealed = reveal_ready(tx, vacancy)?.iter().any(|r| r == reference);
    let v = tx.vacancy(vacancy)?;
    Ok(Submitted {
        submitted: v
            .sheets_of(reference)
            .filter(|s| s.submitted.is_some())
            .count(),
        panel: v.active_panel().count(),
        revealed,
    })
}

/// Reveal every candidate whose sheets are all in; returns them.
pub fn reveal_ready(tx: &mut Tx<'_>, vacancy: &str) -> Result<Vec<String>> {
    let v = tx.vacancy(vacancy)?;
    let ready = v.ready_to_reveal();
    let panel: Vec<i64> = v.active_panel().map(|m| m.person).collect();
    for r in &ready {
        tx.append(
            Scope::Vacancy(vacancy.to_string()),
            Fact::Reveal(fact::Reveal {
                reference: r.clone(),
                panel: panel.clone(),
            }),
        )?;
    }
    Ok(ready)
}
