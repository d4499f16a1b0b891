//! Fairness review on the record: a reviewer signs off the decision report they read, or returns it
//! to the chair with questions; the chair answers, records the decision again (revised or
//! re-affirmed, with a reason), and the reviewer reviews again.
//!
//! A review is bound to the receipt of the report the reviewer read. Who may review is the vacancy's
//! policy's: independent of the panel, and holding the reviewer role with training in date. Both are
//! judged here, when the review is recorded, because training depends on today's date; the record's
//! own invariants (a decision to review, questions on a return, the chair's answer and a new decision
//! before the next review, a receipt no older than the record) are the fold's.

use crate::record::chain::Receipt;
use crate::record::fact::{self, Fact, OrgRole, Verdict};
use crate::record::people::Person;
use crate::record::vacancy::VacancyState;
use crate::record::Scope;
use crate::store::Tx;
use anyhow::{anyhow, bail, Result};

/// A review as given.
#[derive(Debug, Clone)]
pub struct Given<'a> {
    pub verdict: Verdict,
    /// The receipt of the report the reviewer read.
    pub receipt: &'a Receipt,
    pub questions: &'a [String],
    pub note: Option<&'a str>,
}

/// Why `p` may not review vacancy `v` under its policy on `today` (YYYY-MM-DD), if they may not.
pub fn not_eligible(v: &VacancyState, p: &Person, today: &str) -> Result<Option<String>> {
    let policy = crate::policy::parse_recorded(&v.policy_yaml, "stored policy")
        .map_err(|e| anyhow!("{e}"))?;
    if policy.review.independent {
        if let Some(m) = v.member(p.id) {
            return Ok(Some(format!(
                "{} {} on the panel of {} ({}); its policy requires a reviewer independent of the panel",
                p.name,
                if m.active() { "sits" } else { "sat" },
                v.id,
                m.role
            )));
        }
    }
    if policy.review.require_role {
        if !p.has(OrgRole::Reviewer) {
            return Ok(Some(format!(
                "{} does not hold the reviewer role, which the policy of {} requires \
                 (`fairpanel person role \"{}\" --role reviewer --trained DATE`)",
                p.name, v.id, p.name
            )));
        }
        let since =
            crate::checks::composition::shift_years(today, -(policy.training_valid_years as i32));
        let in_date = p
            .trained_on
            .as_deref()
            .is_some_and(|d| d >= since.as_str() && d <= today);
        if !in_date {
            return Ok(Some(format!(
                "{}'s fairness-review training ({}) is not in date: the policy of {} requires training \
                 since {since}",
                p.name,
                p.trained_on.as_deref().unwrap_or("none recorded"),
                v.id
            )));
        }
    }
    Ok(None)
}

/// Record the acting person's review; returns its seq.
pub fn review(tx: &mut Tx<'_>, vacancy: &str, g: &Given<'_>) -> Result<i64> {
    let questions: Vec<String> = g
        .questions
        .iter()
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty())
        .collect();
    let note = g.note.map(str::trim).filter(|n| !n.is_empty());
    for q in &questions {
        crate::model::check_text(q, "a question")?;
    }
    if let Some(n) = note {
        crate::model::check_text(n, "the note")?;
    }
    match g.verdict {
        Verdict::Returned if questions.is_empty() => {
            bail!("returning a decision needs the questions the chair is to answer (--question)")
        }
        Verdict::SignedOff if !questions.is_empty() => {
            bail!("a sign-off asks no questions: return the decision instead, or put a remark in --note")
        }
        _ => {}
    }
    let me = super::acting_person(tx, "reviewing a decision")?;
    let v = tx.vacancy(vacancy)?;
    if v.decision().is_none() {
        bail!("{vacancy} has no decision to review yet");
    }
    if let Some(why) = v.review_blocked() {
        bail!("{vacancy} cannot be reviewed again yet: {why}");
    }
    let last_material = v.last_material;
    let answered = v
        .reviews
        .last()
        .and_then(|r| v.answer_to(r.by.seq))
        .map(|a| a.by.seq);
    let person = tx.person(me)?.clone();
    if let Some(why) = not_eligible(tx.vacancy(vacancy)?, &person, &crate::model::today())? {
        bail!("{why}");
    }
    let r = g.receipt;
    match tx.event_hash(r.events)? {
        Some(h) if h == r.head => {}
        Some(_) => bail!(
            "the receipt {r} names another hash for event {}: it is not from this record",
            r.events
        ),
        None => bail!(
            "the receipt {r} names event {}, which this record does not have",
            r.events
        ),
    }
    if r.events < last_material || answered.is_some_and(|a| r.events < a) {
        bail!(
            "the report read (receipt {r}) is out of date: {vacancy}'s record has changed since (event {}). \
             Read the report again (`fairpanel report {vacancy}`, or `fairpanel review {vacancy}` at a terminal)",
            last_material.max(answered.unwrap_or(0))
        );
    }
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::Review(fact::Review {
            verdict: g.verdict,
            receipt_events: r.events,
            receipt_head: r.head.clone(),
            questions,
            note: note.map(str::to_string),
        }),
    )
}

/// The chair answers the questions of a returned review.
pub fn answer(tx: &mut Tx<'_>, vacancy: &str, review: i64, answer: &str) -> Result<()> {
    let answer = answer.trim();
    if answer.is_empty() {
        bail!("the answer is empty: say how the questions were considered");
    }
    crate::model::check_text(answer, "the answer")?;
    super::require_chair(tx, vacancy, "answering a fairness review")?;
    let v = tx.vacancy(vacancy)?;
    let Some(r) = v.reviews.iter().find(|r| r.by.seq == review) else {
        let known: Vec<String> = v
            .reviews
            .iter()
            .filter(|r| r.review.verdict == Verdict::Returned)
            .map(|r| r.by.seq.to_string())
            .collect();
        bail!(
            "{vacancy} has no review {review}{}",
            if known.is_empty() {
                " (and no returned review to answer)".to_string()
            } else {
                format!(" (returned reviews: {})", known.join(", "))
            }
        );
    };
    if r.review.verdict != Verdict::Returned {
        bail!("review {review} signed the decision off: only a returned decision is answered");
    }
    if let Some(a) = v.answer_to(review) {
        bail!(
            "review {review} was already answered ({}); say more when recording the decision again \
             (`fairpanel decide … --revision-reason`)",
            a.by.at
        );
    }
    tx.append(
        Scope::Vacancy(vacancy.to_string()),
        Fact::ReviewAnswer(fact::ReviewAnswer {
            review,
            answer: answer.to_string(),
        }),
    )?;
    Ok(())
}
