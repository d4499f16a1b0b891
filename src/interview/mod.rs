//! Interactive flows and the rules they share with their flag-only equivalents.
//!
//! Every flow asks through [`Prompter`]; each command also has a flag-only form that applies the same
//! rules (`check_answer`) without prompting.

pub mod prompt;
pub mod scoring;

pub use prompt::{Prompter, Scripted, Terminal};

use crate::bank::{Bank, Question};
use anyhow::{bail, Result};

/// A required value: taken from its flag, else asked for, else a usage error naming the flag.
pub fn required(
    value: Option<String>,
    flag: &str,
    p: &mut Option<Box<dyn Prompter>>,
    message: &str,
    help: Option<&str>,
) -> Result<String> {
    if let Some(v) = value {
        return Ok(v);
    }
    match p {
        Some(p) => p.text(message, help, &|s: &str| {
            s.trim().is_empty().then(|| "this is required".to_string())
        }),
        None => {
            Err(crate::Usage(format!("{flag} is required when not running interactively")).into())
        }
    }
}

/// An optional value: taken from its flag, else asked for (blank = none) when interactive.
pub fn optional(
    value: Option<String>,
    p: &mut Option<Box<dyn Prompter>>,
    message: &str,
    help: Option<&str>,
) -> Result<Option<String>> {
    if value.is_some() {
        return Ok(value);
    }
    match p {
        Some(p) => {
            let s = p.text(message, help, &|_| None)?;
            Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty()))
        }
        None => Ok(None),
    }
}

/// The rules every answer must meet, however it arrives.
pub fn check_answer(
    bank: &Bank,
    questions: &[String],
    question: &str,
    score: i64,
    evidence: &str,
) -> Result<()> {
    if !questions.iter().any(|q| q == question) {
        bail!(
            "question {question:?} is not in this vacancy's interview plan (its questions: {})",
            questions.join(", ")
        );
    }
    if !bank.scale.contains(score) {
        bail!(
            "score {score} is outside the scale {}..{} of bank {}",
            bank.scale.min,
            bank.scale.max,
            bank.id
        );
    }
    if crate::model::is_blank(evidence) {
        bail!("an evidence note is required with every score: what did the candidate say or do?");
    }
    Ok(())
}

/// The guide text for one question: category, text, guidance, probes and anchors.
pub fn question_guide(bank: &Bank, q: &Question, position: usize, total: usize) -> String {
    let mut s = format!(
        "\nQuestion {position} of {total} · {} · {}\n\n  {}\n",
        q.category, q.id, q.text
    );
    if let Some(g) = &q.guidance {
        // Bank authors often start their guidance with the label itself.
        let g = g.trim();
        let g = match g.get(..14) {
            Some(head) if head.eq_ignore_ascii_case("listening for ") => g[14..].trim_start(),
            _ => g,
        };
        s.push_str(&format!("\n  Listening for: {g}\n"));
    }
    if !q.probes.is_empty() {
        s.push_str("\n  Probes:\n");
        for p in &q.probes {
            s.push_str(&format!("    - {p}\n"));
        }
    }
    s.push_str("\n  Anchors:\n");
    for (point, anchor) in &q.anchors {
        let label = bank
            .label(*point)
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        s.push_str(&format!("    {point}{label}: {}\n", anchor.trim()));
    }
    s
}

/// What was chosen at a score prompt: a point on the scale, or one of the extra options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreChoice {
    Score(i64),
    Extra(usize),
}

/// The first entry of every score list: the cursor starts here, on no score, so pressing Enter
/// without choosing gives none (a list that started on 1 would invite a careless low score).
pub const NO_SCORE_YET: &str = "(no score chosen: type a number or move to one)";

/// Ask for a score on the bank's scale, starting on no score; `extras` follow the scale points.
pub fn choose_score(
    p: &mut dyn Prompter,
    bank: &Bank,
    message: &str,
    help: Option<&str>,
    extras: &[String],
) -> Result<ScoreChoice> {
    let points: Vec<i64> = bank.scale.points().collect();
    let mut options = vec![NO_SCORE_YET.to_string()];
    options.extend(points.iter().map(|&s| match bank.label(s) {
        Some(l) => format!("{s} — {l}"),
        None => s.to_string(),
    }));
    options.extend(extras.iter().cloned());
    loop {
        let i = p.select(message, &options, help)?;
        if i == 0 {
            p.say("No score chosen yet: type the score's number, or move the cursor to it.")?;
        } else if i <= points.len() {
            return Ok(ScoreChoice::Score(points[i - 1]));
        } else {
            return Ok(ScoreChoice::Extra(i - 1 - points.len()));
        }
    }
}

/// Guide the chair through the interview plan, question by question.
pub fn guide(
    p: &mut dyn Prompter,
    bank: &Bank,
    questions: &[String],
    candidate: &str,
) -> Result<()> {
    p.say(&format!(
        "Interview with {candidate}: {} questions from {} v{}. Ask each as written; use the probes; \
         panellists score privately afterwards with `fairpanel score`.",
        questions.len(),
        bank.id,
        bank.version
    ))?;
    let mut i = 0;
    while i < questions.len() {
        let q = bank
            .question(&questions[i])
            .expect("vacancy questions exist in its bank");
        p.say(&question_guide(bank, q, i + 1, questions.len()))?;
        let mut options = vec!["Next question".to_string()];
        if i > 0 {
            options.push("Previous question".into());
        }
        options.push("End the interview guide".into());
        let choice = p.select("Continue", &options, None)?;
        match options[choice].as_str() {
            "Next question" => i += 1,
            "Previous question" => i -= 1,
            _ => break,
        }
    }
    p.say("End of the interview plan. Ask whether the candidate has questions for the panel.")?;
    Ok(())
}

/// Ask for a self-declared ethnicity from a list searched by the words people use ("White English",
/// "British Pakistani"), holding the ONS 2021 labels and the NHS codes; `None` when skipped.
pub fn ask_ethnicity(p: &mut dyn Prompter) -> Result<Option<String>> {
    let mut options = vec!["Skip: not stated (it can be declared later)".to_string()];
    let mut codes = vec![None];
    for (standard, input, c) in crate::ethnicity::table() {
        if standard == "ons" {
            options.push(format!("{} ({})", c.category, c.nhs_code));
            codes.push(Some(c.nhs_code.clone()));
        } else if !matches!(input, "99") {
            options.push(format!("{} — NHS code {}", c.category, c.nhs_code));
            codes.push(Some(c.nhs_code.clone()));
        }
    }
    let i = p.search(
        "Ethnicity, self-declared and optional (type to search)",
        &options,
        Some("used only to check the panel includes an ethnic-minority member; you can withdraw it later"),
    )?;
    Ok(codes[i].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank() -> Bank {
        crate::bank::bundled().remove(0).0
    }

    #[test]
    fn answers_outside_the_scale_or_plan_are_refused() {
        let b = bank();
        let qs = vec![b.questions[0].id.clone()];
        assert!(check_answer(&b, &qs, &qs[0], 3, "said x").is_ok());
        let e = check_answer(&b, &qs, &qs[0], 6, "said x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("outside the scale 1..5"), "{e}");
        assert!(check_answer(&b, &qs, &qs[0], 0, "x").is_err());
        assert!(check_answer(&b, &qs, "nope", 3, "x").is_err());
        assert!(check_answer(&b, &qs, &qs[0], 3, "   ").is_err());
    }

    #[test]
    fn guide_walks_forward_and_back() {
        let b = bank();
        let qs: Vec<String> = b.questions.iter().take(3).map(|q| q.id.clone()).collect();
        let mut p = Scripted::new(["Next", "Previous", "Next", "Next", "Next"]);
        guide(&mut p, &b, &qs, "C-001").unwrap();
        let shown = p.shown();
        assert_eq!(shown.matches("Question 2 of 3").count(), 2, "{shown}");
        assert!(shown.contains("Question 3 of 3"));
        assert!(shown.contains("Anchors:"));
    }
}
