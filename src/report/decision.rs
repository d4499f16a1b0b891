//! The decision report's view model: everything a recruiting manager and a fairness reviewer need to
//! read and sign off one vacancy. Sealed scores stay sealed: a candidate's scores appear only once every
//! panellist's sheet for them is submitted.

use crate::checks::{
    composition, coverage, decision as decision_check, divergence, language, moderation, Finding,
    Severity,
};
use crate::model::{Decision, Moderation};
use crate::store::Store;
use anyhow::Result;
use serde::Serialize;

/// Stated on every report: one vacancy is far too small for statistical conclusions.
pub const PIPELINE_NOTE: &str = "These are one vacancy's applicants. Counts this small cannot show whether \
any group was treated unfairly, and small counts are suppressed to protect the people behind them; read them \
only alongside the audit across vacancies.";

pub const SMALL_NUMBERS: &str = "One vacancy's figures are far too small to support statistical conclusions \
about bias. This report shows how the panel scored and decided; patterns across vacancies belong to the HR \
audit across vacancies.";

#[derive(Debug, Serialize)]
pub struct DecisionReport {
    pub generated_at: String,
    pub fairpanel_version: &'static str,
    pub vacancy: VacancyInfo,
    pub policy: PolicyInfo,
    pub panel: Vec<PanelRow>,
    pub composition: Vec<Finding>,
    pub coverage: Vec<Finding>,
    pub questions: Vec<QuestionInfo>,
    pub panellists: Vec<String>,
    pub candidates: Vec<CandidateSection>,
    pub ranking: Vec<RankRow>,
    pub divergence: Vec<Finding>,
    pub moderations: Vec<Moderation>,
    /// Agreed scores that differ from the independent ones, overruled dissent, anchoring.
    pub moderation: Vec<Finding>,
    pub decision: Option<Decision>,
    pub decision_findings: Vec<Finding>,
    /// Phrases in rationales, reasons and evidence notes that warrant reflection.
    pub language: Vec<Finding>,
    /// This vacancy's applicants by group and stage, small counts suppressed.
    pub pipeline: Vec<crate::report::audit::FunnelRow>,
    pub pipeline_applications: usize,
    pub summary: Summary,
    /// Whether the event log verified; filled for the written report only (`with_integrity`), because
    /// verifying reads the whole log and the checks run on every moderate and decide.
    pub integrity: Option<Integrity>,
    pub small_numbers_note: &'static str,
    pub pipeline_note: &'static str,
}

#[derive(Debug, Serialize)]
pub struct VacancyInfo {
    pub id: String,
    pub title: String,
    pub band: Option<String>,
    pub service: Option<String>,
    pub bank: String,
    pub bank_version: u32,
    pub scale_min: i64,
    pub scale_max: i64,
    pub created_at: String,
}

#[derive(Debug, Serialize)]
pub struct PolicyInfo {
    pub source: String,
    pub min_panel_size: usize,
    pub require_minority_member: bool,
    pub trained_members: usize,
    pub training_valid_years: u32,
    pub required_categories: Vec<String>,
    /// Divergence thresholds in scale points for this bank's scale.
    pub divergence_range_points: f64,
    pub divergence_outlier_points: f64,
    pub suppression_threshold: u64,
}

#[derive(Debug, Serialize)]
pub struct PanelRow {
    pub name: String,
    pub role: String,
    pub trained_on: Option<String>,
    pub conflicts: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct QuestionInfo {
    pub id: String,
    pub category: String,
    pub text: String,
    pub weight: f64,
}

#[derive(Debug, Serialize)]
pub struct CandidateSection {
    pub reference: String,
    /// Every panellist has submitted: scores may be shown.
    pub revealed: bool,
    pub sheets_submitted: usize,
    pub panel_size: usize,
    pub rows: Vec<ScoreRow>,
    /// Weighted mean per question: the agreed score where moderated, else the mean of independent scores.
    pub weighted_mean: Option<f64>,
    pub rank: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct ScoreRow {
    pub question: String,
    pub category: String,
    pub scores: Vec<i64>,
    pub range: i64,
    pub median: f64,
    pub mean: f64,
    pub divergent: bool,
    pub outlier: Option<String>,
    pub agreed: Option<i64>,
    pub agreed_reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RankRow {
    pub rank: usize,
    pub reference: String,
    pub weighted_mean: f64,
    pub appointed: bool,
    pub reserve: bool,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub gaps: usize,
    pub warnings: usize,
    pub candidates: usize,
    pub candidates_revealed: usize,
}

#[derive(Debug, Serialize)]
pub struct Integrity {
    pub verified: bool,
    pub events: i64,
    pub detail: String,
}

impl Integrity {
    pub fn check(store: &Store) -> Result<Integrity> {
        let vr = store.verify()?;
        Ok(Integrity {
            verified: vr.ok,
            events: vr.events,
            detail: match &vr.problem {
                None => format!(
                    "The event log's hash chain verified ({} events); {} scores, moderations and decisions match their events.",
                    vr.events, vr.records_checked
                ),
                Some(p) => format!("VERIFICATION FAILED at {} row {}: {}", p.table, p.row, p.reason),
            },
        })
    }
}

/// The report as written for people: the checks plus whether the record verified.
pub fn with_integrity(store: &Store, vacancy: &str) -> Result<DecisionReport> {
    let mut r = build(store, vacancy)?;
    r.integrity = Some(Integrity::check(store)?);
    Ok(r)
}

impl DecisionReport {
    /// Every finding, in check order.
    pub fn findings(&self) -> Vec<Finding> {
        [
            &self.composition,
            &self.coverage,
            &self.divergence,
            &self.moderation,
            &self.decision_findings,
            &self.language,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }
}

/// (candidate, question, [(panellist, score)]) for the divergence check.
type OwnedCell = (String, String, Vec<(String, i64)>);

pub fn build(store: &Store, vacancy: &str) -> Result<DecisionReport> {
    let v = store.vacancy(vacancy)?;
    let bank = store.vacancy_bank(vacancy)?;
    let policy = store.vacancy_policy(vacancy)?;
    let panel = store.panellists(vacancy)?;
    let sheets = store.sheets(vacancy)?;
    let moderations = store.moderations(vacancy)?;
    let decision = store.decision(vacancy)?;
    let width = bank.scale.width();
    let names: Vec<String> = panel.iter().map(|p| p.name.clone()).collect();

    let composition = composition::check(&panel, &policy, &crate::model::today());
    let coverage = coverage::check(&bank, &v.questions, &policy);
    let mut candidates = Vec::new();
    let mut cells_owned: Vec<OwnedCell> = Vec::new();
    for c in store.candidates(vacancy)? {
        let mine: Vec<_> = sheets
            .iter()
            .filter(|s| s.candidate == c.reference)
            .collect();
        let submitted = mine.iter().filter(|s| s.is_submitted()).count();
        let revealed = !panel.is_empty()
            && names
                .iter()
                .all(|n| mine.iter().any(|s| &s.panellist == n && s.is_submitted()));
        let mut rows = Vec::new();
        let mut weighted = None;
        if revealed {
            let (mut num, mut den) = (0.0, 0.0);
            for q in &v.questions {
                let scores: Vec<i64> = names
                    .iter()
                    .map(|n| {
                        mine.iter()
                            .find(|s| &s.panellist == n)
                            .and_then(|s| s.answer(q))
                            .map_or(0, |a| a.score)
                    })
                    .collect();
                let pairs: Vec<(&str, i64)> = names
                    .iter()
                    .map(String::as_str)
                    .zip(scores.iter().copied())
                    .collect();
                let sp = divergence::spread(&pairs, width, &policy.divergence);
                let mean = scores.iter().sum::<i64>() as f64 / scores.len() as f64;
                let agreed = moderations
                    .iter()
                    .rev()
                    .find(|m| m.candidate == c.reference && &m.question == q);
                let question = bank
                    .question(q)
                    .expect("vacancy questions exist in its bank");
                let value = agreed.map_or(mean, |m| m.score as f64);
                num += question.weight() * value;
                den += question.weight();
                cells_owned.push((
                    c.reference.clone(),
                    q.clone(),
                    names.iter().cloned().zip(scores.iter().copied()).collect(),
                ));
                rows.push(ScoreRow {
                    question: q.clone(),
                    category: question.category.clone(),
                    range: sp.as_ref().map_or(0, |s| s.range),
                    median: sp.as_ref().map_or(mean, |s| s.median),
                    divergent: sp
                        .as_ref()
                        .is_some_and(|s| s.range_flag || s.outlier.is_some()),
                    outlier: sp.and_then(|s| s.outlier),
                    mean,
                    scores,
                    agreed: agreed.map(|m| m.score),
                    agreed_reason: agreed.and_then(|m| m.reason.clone()),
                });
            }
            weighted = (den > 0.0).then(|| num / den);
        }
        candidates.push(CandidateSection {
            reference: c.reference,
            revealed,
            sheets_submitted: submitted,
            panel_size: names.len(),
            rows,
            weighted_mean: weighted,
            rank: None,
        });
    }
    let cells: Vec<divergence::Cell<'_>> = cells_owned
        .iter()
        .map(|(c, q, s)| divergence::Cell {
            candidate: c,
            question: q,
            scores: s.iter().map(|(n, v)| (n.as_str(), *v)).collect(),
        })
        .collect();
    let divergence = divergence::check(&cells, width, &policy.divergence);

    let mut order: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].weighted_mean.is_some())
        .collect();
    order.sort_by(|&a, &b| {
        candidates[b]
            .weighted_mean
            .partial_cmp(&candidates[a].weighted_mean)
            .expect("means are finite")
            .then(candidates[a].reference.cmp(&candidates[b].reference))
    });
    let mut ranking = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        // Equal means share a rank.
        let rank =
            if pos > 0 && candidates[order[pos - 1]].weighted_mean == candidates[i].weighted_mean {
                ranking.last().map_or(pos + 1, |r: &RankRow| r.rank)
            } else {
                pos + 1
            };
        candidates[i].rank = Some(rank);
        let reference = candidates[i].reference.clone();
        ranking.push(RankRow {
            rank,
            weighted_mean: candidates[i]
                .weighted_mean
                .expect("ranked candidates have means"),
            appointed: decision.as_ref().is_some_and(|d| d.appointed == reference),
            reserve: decision
                .as_ref()
                .is_some_and(|d| d.reserves.contains(&reference)),
            reference,
        });
    }

    let moderation_findings = moderation::check(
        &moderation::Input::from_records(&panel, &sheets, &moderations),
        width,
        &policy.divergence,
    );
    let ranked: Vec<(String, f64)> = ranking
        .iter()
        .map(|r| (r.reference.clone(), r.weighted_mean))
        .collect();
    let decision_findings = match &decision {
        Some(d) => decision_check::check(
            &ranked,
            &d.appointed,
            Some(&d.rationale),
            width,
            policy.close_margin,
        ),
        None => vec![],
    };
    // Only text from revealed sheets is scanned: a sealed sheet's notes stay sealed.
    let mut sources: Vec<(String, String)> = Vec::new();
    if let Some(d) = &decision {
        sources.push(("decision rationale".into(), d.rationale.clone()));
        if let Some(u) = &d.unresolved_reason {
            sources.push(("reason for unresolved divergence".into(), u.clone()));
        }
    }
    for m in &moderations {
        if let Some(r) = &m.reason {
            sources.push((
                format!("moderation reason for {} · {}", m.candidate, m.question),
                r.clone(),
            ));
        }
    }
    for c in candidates.iter().filter(|c| c.revealed) {
        for s in sheets.iter().filter(|s| s.candidate == c.reference) {
            for a in &s.answers {
                sources.push((
                    format!(
                        "evidence note by {} on {} · {}",
                        s.panellist, s.candidate, a.question
                    ),
                    a.evidence.clone(),
                ));
            }
        }
    }
    let language_findings = language::check(&sources);
    let all: Vec<&Finding> = composition
        .iter()
        .chain(&coverage)
        .chain(&divergence)
        .chain(&moderation_findings)
        .chain(&decision_findings)
        .chain(&language_findings)
        .collect();
    let summary = Summary {
        gaps: all.iter().filter(|f| f.severity == Severity::Gap).count(),
        warnings: all
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
        candidates: candidates.len(),
        candidates_revealed: candidates.iter().filter(|c| c.revealed).count(),
    };
    let monitoring = store.monitoring(vacancy)?;
    let pipeline = crate::report::audit::funnel_of(&monitoring, policy.suppression_threshold);
    Ok(DecisionReport {
        pipeline,
        pipeline_applications: monitoring.len(),
        generated_at: crate::model::now(),
        fairpanel_version: env!("CARGO_PKG_VERSION"),
        vacancy: VacancyInfo {
            id: v.id.clone(),
            title: v.title.clone(),
            band: v.band.clone(),
            service: v.service.clone(),
            bank: bank.id.clone(),
            bank_version: bank.version,
            scale_min: bank.scale.min,
            scale_max: bank.scale.max,
            created_at: v.created_at.clone(),
        },
        policy: PolicyInfo {
            source: v.policy_source.clone(),
            min_panel_size: policy.min_panel_size,
            require_minority_member: policy.require_minority_member,
            trained_members: policy.trained_members,
            training_valid_years: policy.training_valid_years,
            required_categories: policy.required_categories.clone(),
            divergence_range_points: policy.divergence.range * width,
            divergence_outlier_points: policy.divergence.outlier * width,
            suppression_threshold: policy.suppression_threshold,
        },
        panel: panel
            .iter()
            .map(|p| PanelRow {
                name: p.name.clone(),
                role: p.role.to_string(),
                trained_on: p.trained_on.clone(),
                conflicts: p
                    .conflicts
                    .iter()
                    .map(|c| format!("{} ({})", c.candidate, c.note))
                    .collect(),
            })
            .collect(),
        composition,
        coverage,
        questions: v
            .questions
            .iter()
            .filter_map(|q| bank.question(q))
            .map(|q| QuestionInfo {
                id: q.id.clone(),
                category: q.category.clone(),
                text: q.text.clone(),
                weight: q.weight(),
            })
            .collect(),
        panellists: names,
        candidates,
        ranking,
        divergence,
        moderations,
        moderation: moderation_findings,
        decision,
        decision_findings,
        language: language_findings,
        summary,
        integrity: None,
        small_numbers_note: SMALL_NUMBERS,
        pipeline_note: PIPELINE_NOTE,
    })
}
