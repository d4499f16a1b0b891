//! Plain-text views for the terminal: vacancy overview and the reveal.

use crate::checks::{divergence, Finding};
use crate::model::{Candidate, Panellist, Vacancy};
use crate::output::table;
use crate::store::Store;
use anyhow::{bail, Result};
use serde::Serialize;

#[derive(Serialize)]
pub struct VacancyView {
    pub vacancy: Vacancy,
    pub panel: Vec<Panellist>,
    pub candidates: Vec<CandidateProgress>,
}

#[derive(Serialize)]
pub struct CandidateProgress {
    #[serde(flatten)]
    pub candidate: Candidate,
    pub submitted: Vec<String>,
    pub open: Vec<String>,
}

impl VacancyView {
    pub fn load(store: &Store, id: &str) -> Result<VacancyView> {
        let vacancy = store.vacancy(id)?;
        let panel = store.panellists(id)?;
        let sheets = store.sheets(id)?;
        let candidates = store
            .candidates(id)?
            .into_iter()
            .map(|c| {
                let mine = sheets.iter().filter(|s| s.candidate == c.reference);
                let (sub, open): (Vec<_>, Vec<_>) = mine.partition(|s| s.is_submitted());
                CandidateProgress {
                    submitted: sub.iter().map(|s| s.panellist.clone()).collect(),
                    open: open.iter().map(|s| s.panellist.clone()).collect(),
                    candidate: c,
                }
            })
            .collect();
        Ok(VacancyView {
            vacancy,
            panel,
            candidates,
        })
    }
}

pub fn vacancy(v: &VacancyView) -> String {
    let x = &v.vacancy;
    let mut s = format!(
        "{} · {}\n  band: {}   service: {}\n  bank: {} v{}   policy: {}   created: {}\n  questions: {}\n\nPanel\n",
        x.id,
        x.title,
        x.band.as_deref().unwrap_or("—"),
        x.service.as_deref().unwrap_or("—"),
        x.bank_id,
        x.bank_version,
        x.policy_source,
        x.created_at,
        x.questions.join(", ")
    );
    let rows: Vec<Vec<String>> = v
        .panel
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.role.to_string(),
                p.trained_on.clone().unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    s.push_str(&indent(&table(&["name", "role", "trained"], &rows)));
    s.push_str("\nCandidates\n");
    let rows: Vec<Vec<String>> = v
        .candidates
        .iter()
        .map(|c| {
            vec![
                c.candidate.reference.clone(),
                format!("{}/{}", c.submitted.len(), v.panel.len()),
                c.open.join(", "),
            ]
        })
        .collect();
    s.push_str(&indent(&table(
        &["ref", "submitted", "still scoring"],
        &rows,
    )));
    s
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

/// Every panellist's scores for one candidate, side by side; only once all sheets are sealed.
#[derive(Serialize)]
pub struct RevealView {
    pub vacancy: String,
    pub candidate: String,
    pub scale: [i64; 2],
    pub panellists: Vec<String>,
    pub questions: Vec<RevealRow>,
    pub totals: Vec<i64>,
    /// Corrections made after submission, shown beside the originals.
    pub corrections: Vec<RevealCorrection>,
    pub findings: Vec<Finding>,
}

#[derive(Serialize)]
pub struct RevealRow {
    pub question: String,
    pub category: String,
    pub scores: Vec<i64>,
    pub evidence: Vec<String>,
    pub range: i64,
    pub median: f64,
    pub divergent: bool,
    pub outlier: Option<String>,
}

#[derive(Serialize)]
pub struct RevealCorrection {
    pub panellist: String,
    pub question: String,
    pub original: i64,
    pub corrected: i64,
    pub reason: String,
}

impl RevealView {
    pub fn load(store: &Store, vacancy: &str, candidate: &str) -> Result<RevealView> {
        let v = store.vacancy(vacancy)?;
        let bank = store.vacancy_bank(vacancy)?;
        let policy = store.vacancy_policy(vacancy)?;
        store.candidate(vacancy, candidate)?;
        let panel = store.panellists(vacancy)?;
        if panel.is_empty() {
            bail!("vacancy {vacancy} has no panel yet");
        }
        let sheets: Vec<_> = store
            .sheets(vacancy)?
            .into_iter()
            .filter(|s| s.candidate == candidate)
            .collect();
        let missing: Vec<String> = panel
            .iter()
            .filter_map(|p| match sheets.iter().find(|s| s.panellist == p.name) {
                Some(s) if s.is_submitted() => None,
                Some(_) => Some(format!("{} (still scoring)", p.name)),
                None => Some(format!("{} (not started)", p.name)),
            })
            .collect();
        if !missing.is_empty() {
            bail!(
                "cannot reveal {candidate} yet: waiting for {}. Scores stay sealed until every panellist has submitted.",
                missing.join(", ")
            );
        }
        let names: Vec<String> = panel.iter().map(|p| p.name.clone()).collect();
        let sheet_of = |name: &str| {
            sheets
                .iter()
                .find(|s| s.panellist == name)
                .expect("all submitted")
        };
        let mut rows = Vec::new();
        let mut cells = Vec::new();
        for q in &v.questions {
            let answers: Vec<_> = names
                .iter()
                .map(|n| sheet_of(n).answer(q).expect("sealed sheets are complete"))
                .collect();
            let scores: Vec<i64> = answers.iter().map(|a| a.score).collect();
            let pairs: Vec<(&str, i64)> = names
                .iter()
                .map(String::as_str)
                .zip(scores.iter().copied())
                .collect();
            let sp = divergence::spread(&pairs, bank.scale.width(), &policy.divergence);
            rows.push(RevealRow {
                question: q.clone(),
                category: bank
                    .question(q)
                    .map(|q| q.category.clone())
                    .unwrap_or_default(),
                evidence: answers.iter().map(|a| a.evidence.clone()).collect(),
                range: sp.as_ref().map_or(0, |s| s.range),
                median: sp.as_ref().map_or(scores[0] as f64, |s| s.median),
                divergent: sp
                    .as_ref()
                    .is_some_and(|s| s.range_flag || s.outlier.is_some()),
                outlier: sp.and_then(|s| s.outlier),
                scores,
            });
            cells.push(divergence::Cell {
                candidate,
                question: q,
                scores: pairs.iter().map(|(n, s)| (*n, *s)).collect(),
            });
        }
        let findings = divergence::check(&cells, bank.scale.width(), &policy.divergence);
        let totals = (0..names.len())
            .map(|i| rows.iter().map(|r| r.scores[i]).sum())
            .collect();
        let mut corrections = Vec::new();
        for s in &sheets {
            for a in s.history.iter().filter(|a| a.correction_reason.is_some()) {
                let original = s
                    .history
                    .iter()
                    .rev()
                    .find(|o| o.question == a.question && o.correction_reason.is_none())
                    .map_or(a.score, |o| o.score);
                corrections.push(RevealCorrection {
                    panellist: s.panellist.clone(),
                    question: a.question.clone(),
                    original,
                    corrected: a.score,
                    reason: a.correction_reason.clone().unwrap_or_default(),
                });
            }
        }
        Ok(RevealView {
            vacancy: vacancy.into(),
            candidate: candidate.into(),
            scale: [bank.scale.min, bank.scale.max],
            panellists: names,
            questions: rows,
            totals,
            corrections,
            findings,
        })
    }
}

pub fn reveal(v: &RevealView) -> String {
    let mut header: Vec<&str> = vec!["question"];
    header.extend(v.panellists.iter().map(String::as_str));
    header.extend(["range", "flag"]);
    let mut rows: Vec<Vec<String>> = v
        .questions
        .iter()
        .map(|r| {
            let mut row = vec![r.question.clone()];
            row.extend(r.scores.iter().map(|s| s.to_string()));
            row.push(r.range.to_string());
            row.push(match (&r.outlier, r.divergent) {
                (Some(o), _) => format!("DIVERGENT ({o} apart)"),
                (None, true) => "DIVERGENT".into(),
                _ => String::new(),
            });
            row
        })
        .collect();
    let mut total = vec!["total".to_string()];
    total.extend(v.totals.iter().map(|t| t.to_string()));
    rows.push(total);
    let mut s = format!(
        "Scores for {} · {} (scale {}..{}), all {} sheets sealed\n\n{}",
        v.candidate,
        v.vacancy,
        v.scale[0],
        v.scale[1],
        v.panellists.len(),
        table(&header, &rows)
    );
    for c in &v.corrections {
        s.push_str(&format!(
            "\nCorrection after submission: {} changed {} from {} to {}: {}",
            c.panellist, c.question, c.original, c.corrected, c.reason
        ));
    }
    if v.findings.is_empty() {
        s.push_str("\nNo divergent scores.\n");
    } else {
        s.push_str(&format!(
            "\n{} divergent question{}: discuss the evidence, then record an agreed score and reason with \
             `fairpanel moderate {} {}`.\n",
            v.findings.len(),
            if v.findings.len() == 1 { "" } else { "s" },
            v.vacancy,
            v.candidate
        ));
    }
    s
}
