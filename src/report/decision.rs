//! The decision report's view model: everything a recruiting manager and a fairness reviewer need to
//! read and sign off one vacancy, built from the vacancy's verified record.
//!
//! Sealed scores stay sealed: a candidate's scores and evidence appear only once they are revealed
//! (every active panellist's sheet in), never before. Independent scores are the ones submitted; a
//! later correction is shown beside the original, with who made it and why, and divergence is always
//! judged on the independent scores. Decisions, agreed scores and overrides are shown with their whole
//! history.

use crate::checks::{
    composition, coverage, decision as decision_check, divergence, language, moderation, Finding,
    Severity,
};
use crate::model::{Answer, Conflict, Moderation, Panellist, Sheet};
use crate::record::people::People;
use crate::record::seal::{Keyring, Purpose};
use crate::record::vacancy::{EntryKind, VacancyState};
use crate::record::By;
use anyhow::Result;
use serde::Serialize;

/// Stated on every report: one vacancy is far too small for statistical conclusions.
pub const PIPELINE_NOTE: &str = "These are one vacancy's applicants. Counts this small cannot show whether \
any group was treated unfairly, and small counts are suppressed to protect the people behind them; read them \
only alongside the audit across vacancies.";

pub const SMALL_NUMBERS: &str = "One vacancy's figures are far too small to support statistical conclusions \
about bias. This report shows how the panel scored and decided; patterns across vacancies belong to the HR \
audit across vacancies.";

/// Shown where an erased value would be.
pub const ERASED: &str = "[erased]";

/// The check name of the review's findings.
pub const REVIEW_CHECK: &str = "review";

#[derive(Debug, Serialize)]
pub struct DecisionReport {
    pub generated_at: String,
    pub fairpanel_version: &'static str,
    /// The chain's length and head hash when this report was made (`N:HEX`).
    pub receipt: String,
    pub vacancy: VacancyInfo,
    pub policy: PolicyInfo,
    /// Gaps a named person chose to override, with their reasons: shown first.
    pub overrides: Vec<OverrideView>,
    pub panel: Vec<PanelRow>,
    pub composition: Vec<Finding>,
    pub coverage: Vec<Finding>,
    /// The question plan as created and each recorded change.
    pub plan_history: Vec<PlanView>,
    pub questions: Vec<QuestionInfo>,
    pub candidates: Vec<CandidateSection>,
    pub ranking: Vec<RankRow>,
    pub divergence: Vec<Finding>,
    /// Every agreed score, oldest first, with revisions.
    pub moderations: Vec<ModerationView>,
    /// Agreed scores that differ from the independent ones, overruled dissent, anchoring.
    pub moderation: Vec<Finding>,
    /// The decision in force (the latest).
    pub decision: Option<DecisionView>,
    /// Earlier decisions it revised, oldest first.
    pub decision_history: Vec<DecisionView>,
    pub decision_findings: Vec<Finding>,
    /// Phrases in rationales, reasons, evidence notes and the chair's answers to reviews that warrant
    /// reflection.
    pub language: Vec<Finding>,
    /// The fairness review: where it stands, whether the decision needs it to be final, and the
    /// whole exchange.
    pub review: ReviewView,
    /// Whether the decision is final under the policy's review rule.
    pub review_findings: Vec<Finding>,
    /// This vacancy's applicants by group and stage, small counts suppressed.
    pub pipeline: Vec<crate::report::audit::FunnelRow>,
    pub pipeline_applications: usize,
    pub summary: Summary,
    /// What was checked of the record when this report was read.
    pub integrity: Option<IntegrityView>,
    pub small_numbers_note: &'static str,
    pub pipeline_note: &'static str,
}

#[derive(Debug, Serialize)]
pub struct IntegrityView {
    pub verified: bool,
    pub detail: String,
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
    pub created_by: String,
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
pub struct OverrideView {
    pub by: String,
    pub at: String,
    pub reason: String,
    pub gaps: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct PlanView {
    pub by: String,
    pub at: String,
    pub questions: Vec<String>,
    pub reason: Option<String>,
    pub coverage_override: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PanelRow {
    pub name: String,
    pub role: String,
    pub trained_on: Option<String>,
    pub conflicts: Vec<String>,
    pub joined_at: String,
    /// "stood down on DATE: reason", when they did.
    pub stood_down: Option<String>,
    /// Candidates already revealed when they joined: they did not score them.
    pub joined_after: Vec<String>,
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
    /// Every active panellist has submitted: scores may be shown.
    pub revealed: bool,
    pub withdrawn: Option<String>,
    pub sheets_submitted: usize,
    pub panel_size: usize,
    /// The panellists whose sheets were revealed, in panel order (the score columns).
    pub panellists: Vec<String>,
    pub rows: Vec<ScoreRow>,
    /// Weighted mean per question: the agreed score where moderated, else the mean of the scores that
    /// count (a panellist's correction, else their independent score).
    pub weighted_mean: Option<f64>,
    pub rank: Option<usize>,
    pub corrections: Vec<CorrectionView>,
    /// Sheets entered from paper, sheets withdrawn with a panellist who stood down.
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ScoreRow {
    pub question: String,
    pub category: String,
    /// Independent scores, one per revealed panellist.
    pub scores: Vec<i64>,
    /// Each panellist's evidence note beside their score.
    pub evidence: Vec<String>,
    pub range: i64,
    pub median: f64,
    pub mean: f64,
    pub divergent: bool,
    pub outlier: Option<String>,
    pub agreed: Option<i64>,
    pub agreed_reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CorrectionView {
    pub panellist: String,
    pub question: String,
    pub original: i64,
    pub corrected: i64,
    pub reason: String,
    pub by: String,
    pub at: String,
    /// Made after the candidate was revealed (the panellist had seen the others' scores).
    pub after_reveal: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModerationView {
    pub candidate: String,
    pub question: String,
    pub score: i64,
    pub reason: Option<String>,
    pub revision_reason: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    pub appointed: String,
    pub reserves: Vec<String>,
    pub rationale: String,
    pub unresolved_reason: Option<String>,
    pub revision_reason: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Serialize)]
pub struct ReviewView {
    /// `not-decided`, `awaiting`, `signed-off`, `returned` or `stale` (made on an earlier version).
    pub status: &'static str,
    /// One sentence for the top of the report.
    pub headline: String,
    pub policy: ReviewPolicyView,
    /// The decision needs a current sign-off to be final.
    pub required: bool,
    /// Why it does (empty when it does not).
    pub required_because: Vec<String>,
    /// Whether the decision counts as final; `None` without a decision.
    pub decision_final: Option<bool>,
    /// Why it is, or is not, final (after "Final:" or "Not final:").
    pub finality: Option<String>,
    /// Every review, oldest first, each with the chair's answer and the decisions recorded after it.
    pub exchange: Vec<ReviewEntry>,
}

#[derive(Debug, Serialize)]
pub struct ReviewPolicyView {
    pub required: &'static str,
    pub independent: bool,
    pub require_role: bool,
}

#[derive(Debug, Serialize)]
pub struct ReviewEntry {
    /// The review's event: what `review answer --review` names.
    pub seq: i64,
    /// `signed-off` or `returned`.
    pub verdict: &'static str,
    pub returned: bool,
    pub reviewer: String,
    pub at: String,
    /// The receipt of the report the reviewer read.
    pub receipt: String,
    /// The review read the record as it stands now.
    pub current: bool,
    /// A sign-off made on a report the record has since moved past.
    pub earlier_version: bool,
    /// The reviewer's standing as the record shows it: on the panel or not, role and training.
    pub standing: String,
    pub questions: Vec<String>,
    pub note: Option<String>,
    pub answer: Option<ReviewAnswerView>,
    /// Decisions recorded after this review and before the next: revised or re-affirmed.
    pub then: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ReviewAnswerView {
    pub seq: i64,
    pub by: String,
    pub at: String,
    pub answer: String,
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
    /// Gaps and warnings already answered (a divergence moderated, a gap overridden).
    pub resolved: usize,
    pub candidates: usize,
    pub candidates_revealed: usize,
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
            &self.review_findings,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }

    /// The gaps that stand in the way of a decision. A missing review is not one of them: review
    /// comes after the decision, and a revised decision is what a returned review asks for.
    pub fn gaps(&self) -> Vec<Finding> {
        self.findings()
            .into_iter()
            .filter(|f| f.severity == Severity::Gap && f.check != REVIEW_CHECK)
            .collect()
    }
}

/// (candidate, question, [(panellist, independent score)]) for the divergence check.
type OwnedCell = (String, String, Vec<(String, i64)>);

/// Names, for display.
struct Names<'a> {
    people: &'a People,
}

impl Names<'_> {
    fn person(&self, id: i64) -> String {
        self.people
            .get(id)
            .map_or_else(|| format!("person {id}"), |p| p.name.clone())
    }
    fn by(&self, b: &By) -> String {
        self.people.actor_name(&b.actor)
    }
}

fn open(keys: &Keyring, purpose: Purpose, s: &crate::record::seal::Sealed) -> Result<String> {
    Ok(keys.read(purpose, s)?.unwrap_or_else(|| ERASED.to_string()))
}

/// The panel members as the checks take them (active members, with their self-declared code).
fn panellists(v: &VacancyState, names: &Names<'_>, keys: &Keyring) -> Result<Vec<Panellist>> {
    v.active_panel()
        .map(|m| {
            let ethnicity = match &m.ethnicity {
                Some(d) => keys.read(Purpose::PanellistEthnicity, &d.code)?,
                None => None,
            };
            Ok(Panellist {
                name: names.person(m.person),
                role: m.role,
                ethnicity,
                trained_on: m.trained_on.clone(),
                conflicts: m
                    .conflicts
                    .iter()
                    .map(|(c, note, _)| Conflict {
                        candidate: c.clone(),
                        note: note.clone(),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// Build the report from a vacancy's state. `today` judges training dates.
pub fn build(
    v: &VacancyState,
    people: &People,
    keys: &Keyring,
    receipt: &str,
) -> Result<DecisionReport> {
    build_with(v, people, keys, receipt, Detail::Full)
}

/// How much of the report to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    Full,
    /// Only what the review requirement reads: scores, moderation, the decision and overrides. Notes
    /// are not decrypted, language is not scanned and the pipeline is not counted, so deriving the
    /// requirement for every vacancy stays cheap.
    Requirement,
}

fn build_with(
    v: &VacancyState,
    people: &People,
    keys: &Keyring,
    receipt: &str,
    detail: Detail,
) -> Result<DecisionReport> {
    let full = detail == Detail::Full;
    let open = |keys: &Keyring, purpose: Purpose, s: &crate::record::seal::Sealed| {
        if full {
            open(keys, purpose, s)
        } else {
            Ok(String::new())
        }
    };
    let names = Names { people };
    let bank = &v.bank;
    let policy = crate::policy::parse_recorded(
        &v.policy_yaml,
        &format!("policy stored with vacancy {}", v.id),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let width = bank.scale.width();
    let panel = panellists(v, &names, keys)?;
    // The review requirement reads neither check, so the lean build skips them.
    let (composition, coverage) = if full {
        (
            composition::check(&panel, &policy, &crate::model::today()),
            coverage::check(bank, &v.questions, &policy),
        )
    } else {
        (vec![], vec![])
    };

    // Sheets as the moderation check reads them: revealed candidates only, independent scores.
    let mut check_sheets: Vec<Sheet> = Vec::new();
    let mut candidates = Vec::new();
    let mut cells_owned: Vec<OwnedCell> = Vec::new();
    let mut evidence_sources: Vec<(String, String)> = Vec::new();
    for c in v.interviewees() {
        let live: Vec<_> = v.sheets_of(&c.reference).collect();
        let submitted = live.iter().filter(|s| s.submitted.is_some()).count();
        let active = v.active_panel().count();
        let mut section = CandidateSection {
            reference: c.reference.clone(),
            revealed: c.revealed.is_some(),
            withdrawn: c.withdrawn.as_ref().map(|(_, r)| r.clone()),
            sheets_submitted: submitted,
            panel_size: active,
            panellists: vec![],
            rows: vec![],
            weighted_mean: None,
            rank: None,
            corrections: vec![],
            notes: vec![],
        };
        for s in v
            .sheets
            .iter()
            .filter(|s| full && s.candidate == c.reference && s.withdrawn.is_some())
        {
            section.notes.push(format!(
                "{}'s sheet was withdrawn when they stood down ({}); it is kept on the record and not counted",
                names.person(s.person),
                s.withdrawn.as_deref().unwrap_or_default()
            ));
        }
        if let Some((reveal_by, revealed_panel)) = &c.revealed {
            let sheets: Vec<_> = revealed_panel
                .iter()
                .filter_map(|p| v.sheet(&c.reference, *p))
                .collect();
            section.panellists = sheets.iter().map(|s| names.person(s.person)).collect();
            for s in &sheets {
                if let Some(why) = s.submit_transcribed.as_ref().filter(|_| full) {
                    let by = s
                        .submitted
                        .as_ref()
                        .map(|b| names.by(b))
                        .unwrap_or_default();
                    section.notes.push(format!(
                        "{}'s sheet was transcribed by {by} from a paper sheet ({why})",
                        names.person(s.person)
                    ));
                }
                let mut answers = Vec::new();
                for q in &v.questions {
                    let e = s
                        .independent(q)
                        .expect("a submitted sheet answers every question");
                    answers.push(Answer {
                        question: q.clone(),
                        score: e.score,
                        evidence: open(keys, Purpose::Evidence, &e.evidence)?,
                        recorded_at: e.by.at.clone(),
                        correction_reason: None,
                    });
                }
                check_sheets.push(Sheet {
                    candidate: c.reference.clone(),
                    panellist: names.person(s.person),
                    opened_at: s.opened.at.clone(),
                    submitted_at: s.submitted.as_ref().map(|b| b.at.clone()),
                    answers,
                    history: vec![],
                });
                for e in s
                    .entries
                    .iter()
                    .filter(|e| full && e.kind == EntryKind::Correction)
                {
                    let original = s.independent(&e.question).map_or(e.score, |x| x.score);
                    section.corrections.push(CorrectionView {
                        panellist: names.person(s.person),
                        question: e.question.clone(),
                        original,
                        corrected: e.score,
                        reason: e.reason.clone().unwrap_or_default(),
                        by: names.by(&e.by),
                        at: e.by.at.clone(),
                        after_reveal: e.by.seq > reveal_by.seq,
                    });
                    evidence_sources.push((
                        format!(
                            "corrected evidence note by {} on {} · {}",
                            names.person(s.person),
                            c.reference,
                            e.question
                        ),
                        open(keys, Purpose::Evidence, &e.evidence)?,
                    ));
                }
            }
            let mut weighted: Vec<(f64, f64)> = Vec::new();
            for q in &v.questions {
                let pairs: Vec<(String, i64, String, i64)> = sheets
                    .iter()
                    .map(|s| {
                        let ind = s.independent(q).expect("complete");
                        let counted = s.counted(q).map_or(ind.score, |e| e.score);
                        Ok((
                            names.person(s.person),
                            ind.score,
                            open(keys, Purpose::Evidence, &ind.evidence)?,
                            counted,
                        ))
                    })
                    .collect::<Result<_>>()?;
                let counted_mean =
                    pairs.iter().map(|p| p.3 as f64).sum::<f64>() / pairs.len().max(1) as f64;
                let agreed = v.moderation(&c.reference, q);
                let question = bank
                    .question(q)
                    .expect("vacancy questions exist in its bank");
                let value = agreed.map_or(counted_mean, |m| m.score as f64);
                weighted.push((question.weight(), value));
                if !full {
                    // The ranking is all the requirement needs from the scores.
                    continue;
                }
                let scores: Vec<i64> = pairs.iter().map(|p| p.1).collect();
                let refs: Vec<(&str, i64)> = pairs.iter().map(|p| (p.0.as_str(), p.1)).collect();
                let sp = divergence::spread(&refs, width, &policy.divergence);
                // Summed as f64: a stored bank's scale ends are not bounded, an i64 sum could overflow.
                let mean =
                    scores.iter().map(|&s| s as f64).sum::<f64>() / scores.len().max(1) as f64;
                cells_owned.push((
                    c.reference.clone(),
                    q.clone(),
                    pairs.iter().map(|p| (p.0.clone(), p.1)).collect(),
                ));
                for p in &pairs {
                    evidence_sources.push((
                        format!("evidence note by {} on {} · {}", p.0, c.reference, q),
                        p.2.clone(),
                    ));
                }
                section.rows.push(ScoreRow {
                    question: q.clone(),
                    category: question.category.clone(),
                    range: sp.as_ref().map_or(0, |s| s.range),
                    median: sp.as_ref().map_or(mean, |s| s.median),
                    divergent: sp
                        .as_ref()
                        .is_some_and(|s| s.range_flag || s.outlier.is_some()),
                    outlier: sp.and_then(|s| s.outlier),
                    mean,
                    evidence: pairs.iter().map(|p| p.2.clone()).collect(),
                    scores,
                    agreed: agreed.map(|m| m.score),
                    agreed_reason: agreed.and_then(|m| m.reason.clone()),
                });
            }
            section.weighted_mean = weighted_mean(&weighted);
        }
        candidates.push(section);
    }
    let cells: Vec<divergence::Cell<'_>> = cells_owned
        .iter()
        .map(|(c, q, s)| divergence::Cell {
            candidate: c,
            question: q,
            scores: s.iter().map(|(n, v)| (n.as_str(), *v)).collect(),
        })
        .collect();
    let mut divergence = divergence::check(&cells, width, &policy.divergence);
    let mut resolved = 0;
    for f in &mut divergence {
        let (c, q) = (
            f.data["candidate"].as_str().unwrap_or_default().to_string(),
            f.data["question"].as_str().unwrap_or_default().to_string(),
        );
        if let Some(m) = v.moderation(&c, &q) {
            resolved += 1;
            f.severity = Severity::Info;
            f.data["resolved"] = serde_json::json!(true);
            let msg = f
                .message
                .split(": discuss the evidence")
                .next()
                .unwrap_or(&f.message)
                .to_string();
            f.message = format!("{msg}: resolved, the panel agreed {}", m.score);
        } else {
            f.data["resolved"] = serde_json::json!(false);
        }
    }

    // Ranking by weighted mean, ties sharing a rank.
    let mut order: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].weighted_mean.is_some() && candidates[i].withdrawn.is_none())
        .collect();
    order.sort_by(|&a, &b| {
        candidates[b]
            .weighted_mean
            .unwrap_or_default()
            .total_cmp(&candidates[a].weighted_mean.unwrap_or_default())
            .then(candidates[a].reference.cmp(&candidates[b].reference))
    });
    let decision = v.decision();
    let mut ranking: Vec<RankRow> = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        let rank =
            if pos > 0 && candidates[order[pos - 1]].weighted_mean == candidates[i].weighted_mean {
                ranking.last().map_or(pos + 1, |r| r.rank)
            } else {
                pos + 1
            };
        candidates[i].rank = Some(rank);
        let reference = candidates[i].reference.clone();
        ranking.push(RankRow {
            rank,
            weighted_mean: candidates[i].weighted_mean.expect("ranked"),
            appointed: decision.is_some_and(|d| d.appointed == reference),
            reserve: decision.is_some_and(|d| d.reserves.contains(&reference)),
            reference,
        });
    }

    let moderations_model: Vec<Moderation> = v
        .moderations
        .iter()
        .map(|m| Moderation {
            candidate: m.reference.clone(),
            question: m.question.clone(),
            score: m.score,
            reason: m.reason.clone(),
            recorded_by: names.by(&m.by),
            recorded_at: m.by.at.clone(),
        })
        .collect();
    let moderation_findings = moderation::check(
        &moderation::Input::from_records(&panel, &check_sheets, &moderations_model),
        width,
        &policy.divergence,
    );
    let ranked: Vec<(String, f64)> = ranking
        .iter()
        .map(|r| (r.reference.clone(), r.weighted_mean))
        .collect();
    let decision_findings = match decision {
        Some(d) => decision_check::check(
            &ranked,
            &d.appointed,
            Some(&d.rationale),
            width,
            policy.close_margin,
        ),
        None => vec![],
    };
    let mut language_findings = if full {
        // Only revealed text is scanned: a sealed sheet's notes stay sealed.
        let mut sources: Vec<(String, String)> = Vec::new();
        for d in &v.decisions {
            sources.push(("decision rationale".into(), d.rationale.clone()));
            if let Some(u) = &d.unresolved_reason {
                sources.push(("reason for unresolved divergence".into(), u.clone()));
            }
        }
        for m in &v.moderations {
            if let Some(r) = &m.reason {
                sources.push((
                    format!("moderation reason for {} · {}", m.reference, m.question),
                    r.clone(),
                ));
            }
        }
        // The chair's answers justify the decision as a rationale does; the reviewer's questions are
        // not scanned, since a question often quotes the very phrase it challenges.
        for a in &v.review_answers {
            sources.push((
                format!("answer to review {}", a.answer.review),
                a.answer.answer.clone(),
            ));
        }
        sources.extend(evidence_sources);
        language::check(&sources)
    } else {
        vec![]
    };
    // A prompt the chair marked as considered stays in view, with their note, but no longer asks for
    // attention: it reads as done, not as a warning still open.
    for f in &mut language_findings {
        let key = f.data["key"].as_str().unwrap_or_default();
        if let Some(c) = v.considered.iter().rev().find(|c| c.key == key) {
            let by = names.by(&c.by);
            let on = c.by.at.get(..10).unwrap_or(&c.by.at);
            f.severity = Severity::Info;
            f.message = format!("{} Considered by {by} on {on}: {}", f.message, c.note);
            f.data["considered"] = serde_json::json!({"by": by, "at": c.by.at, "note": c.note});
        }
    }

    let overrides: Vec<OverrideView> = v
        .overrides
        .iter()
        .map(|o| OverrideView {
            by: names.by(&o.by),
            at: o.by.at.clone(),
            reason: o.reason.clone(),
            gaps: o
                .gaps
                .iter()
                .map(|g| format!("{}: {}", g.check, g.message))
                .collect(),
        })
        .collect();
    let (review, review_findings) = review_of(
        v,
        &policy.review,
        &names,
        &decision_findings,
        &moderation_findings,
    );
    let all: Vec<&Finding> = composition
        .iter()
        .chain(&coverage)
        .chain(&divergence)
        .chain(&moderation_findings)
        .chain(&decision_findings)
        .chain(&language_findings)
        .chain(&review_findings)
        .collect();
    let summary = Summary {
        gaps: all.iter().filter(|f| f.severity == Severity::Gap).count(),
        warnings: all
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
        resolved,
        candidates: candidates.len(),
        candidates_revealed: candidates.iter().filter(|c| c.revealed).count(),
    };
    let mut monitoring = Vec::new();
    for c in v.candidates.iter().filter(|_| full) {
        if let Some(m) = crate::record::derive::monitoring_of(c, keys)? {
            monitoring.push(m);
        }
    }
    let pipeline = crate::report::audit::funnel_of(&monitoring, policy.suppression_threshold);
    let revealed_at: Vec<(String, i64)> = v
        .candidates
        .iter()
        .filter_map(|c| {
            c.revealed
                .as_ref()
                .map(|(b, _)| (c.reference.clone(), b.seq))
        })
        .collect();
    let decision_view = |d: &crate::record::vacancy::DecisionRec| DecisionView {
        appointed: d.appointed.clone(),
        reserves: d.reserves.clone(),
        rationale: d.rationale.clone(),
        unresolved_reason: d.unresolved_reason.clone(),
        revision_reason: d.revision_reason.clone(),
        recorded_by: names.by(&d.by),
        recorded_at: d.by.at.clone(),
    };
    let n_decisions = v.decisions.len();
    Ok(DecisionReport {
        generated_at: crate::model::now(),
        fairpanel_version: env!("CARGO_PKG_VERSION"),
        receipt: receipt.to_string(),
        pipeline,
        pipeline_applications: monitoring.len(),
        vacancy: VacancyInfo {
            id: v.id.clone(),
            title: v.title.clone(),
            band: v.band.clone(),
            service: v.service.clone(),
            bank: bank.id.clone(),
            bank_version: bank.version,
            scale_min: bank.scale.min,
            scale_max: bank.scale.max,
            created_at: v.created.at.clone(),
            created_by: names.by(&v.created),
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
        overrides,
        panel: v
            .panel
            .iter()
            .map(|m| PanelRow {
                name: names.person(m.person),
                role: m.role.to_string(),
                trained_on: m.trained_on.clone(),
                conflicts: m
                    .conflicts
                    .iter()
                    .map(|(c, note, _)| format!("{c} ({note})"))
                    .collect(),
                joined_at: m.joined.at.clone(),
                stood_down: m
                    .stood_down
                    .as_ref()
                    .map(|(b, r)| format!("stood down {} by {}: {r}", b.at, names.by(b))),
                joined_after: revealed_at
                    .iter()
                    .filter(|(_, seq)| *seq < m.joined.seq)
                    .map(|(r, _)| r.clone())
                    .collect(),
            })
            .collect(),
        composition,
        coverage,
        plan_history: v
            .plans
            .iter()
            .map(|p| PlanView {
                by: names.by(&p.by),
                at: p.by.at.clone(),
                questions: p.questions.clone(),
                reason: p.reason.clone(),
                coverage_override: p.coverage_override.clone(),
            })
            .collect(),
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
        candidates,
        ranking,
        divergence,
        moderations: v
            .moderations
            .iter()
            .map(|m| ModerationView {
                candidate: m.reference.clone(),
                question: m.question.clone(),
                score: m.score,
                reason: m.reason.clone(),
                revision_reason: m.revision_reason.clone(),
                recorded_by: names.by(&m.by),
                recorded_at: m.by.at.clone(),
            })
            .collect(),
        moderation: moderation_findings,
        decision: decision.map(decision_view),
        decision_history: v
            .decisions
            .iter()
            .take(n_decisions.saturating_sub(1))
            .map(decision_view)
            .collect(),
        decision_findings,
        language: language_findings,
        review,
        review_findings,
        summary,
        integrity: None,
        small_numbers_note: SMALL_NUMBERS,
        pipeline_note: PIPELINE_NOTE,
    })
}

/// Why the decision in force needs a current sign-off under `rule`, from the report's own findings
/// (empty when it does not).
fn review_reasons(
    v: &VacancyState,
    rule: &crate::policy::Review,
    decision_findings: &[Finding],
    moderation_findings: &[Finding],
) -> Vec<String> {
    use crate::policy::Required;
    if v.decision().is_none() {
        return vec![];
    }
    match rule.required {
        Required::Never => vec![],
        Required::Always => vec!["the policy requires a review of every decision".into()],
        Required::WhenNeeded => {
            let mut why = Vec::new();
            let gaps: usize = v.overrides.iter().map(|o| o.gaps.len()).sum();
            if gaps > 0 {
                why.push(format!(
                    "{gaps} gap(s) were overridden to record the decision"
                ));
            }
            if decision_findings
                .iter()
                .any(|f| f.data["kind"] == "not_highest")
            {
                why.push("the appointed candidate was not the highest scored".into());
            }
            let overruled: Vec<String> = moderation_findings
                .iter()
                .filter(|f| {
                    f.data["kind"] == "overruled_dissent"
                        && f.data["overruled"]["minority_member"] == true
                })
                .map(|f| {
                    format!(
                        "{} · {}",
                        f.data["candidate"].as_str().unwrap_or_default(),
                        f.data["question"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            if !overruled.is_empty() {
                why.push(format!(
                    "a panellist who self-declared an ethnic-minority background was overruled ({})",
                    overruled.join(", ")
                ));
            }
            why
        }
    }
}

fn date_of(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

/// The review section and its findings.
fn review_of(
    v: &VacancyState,
    rule: &crate::policy::Review,
    names: &Names<'_>,
    decision_findings: &[Finding],
    moderation_findings: &[Finding],
) -> (ReviewView, Vec<Finding>) {
    use crate::record::fact::Verdict;
    use crate::record::vacancy::ReviewState;
    let required_because = review_reasons(v, rule, decision_findings, moderation_findings);
    let required = !required_because.is_empty();
    let state = v.review_state();
    let receipt = |r: &crate::record::vacancy::ReviewRec| {
        format!("{}:{}", r.review.receipt_events, r.review.receipt_head)
    };
    let mut exchange = Vec::new();
    for (i, r) in v.reviews.iter().enumerate() {
        let next = v.reviews.get(i + 1).map_or(i64::MAX, |n| n.by.seq);
        let current = r.review.receipt_events >= v.last_material;
        let standing = match r.by.person() {
            Some(id) => {
                let panel = match v.member(id) {
                    Some(m) if m.active() => format!("sits on the panel ({})", m.role),
                    Some(m) => format!("sat on the panel ({})", m.role),
                    None => "not on the panel".into(),
                };
                let role = match names.people.get(id) {
                    Some(p) if p.has(crate::record::fact::OrgRole::Reviewer) => format!(
                        "holds the reviewer role, fairness-review training {}",
                        p.trained_on.as_deref().unwrap_or("not recorded")
                    ),
                    Some(_) => "does not hold the reviewer role".into(),
                    None => String::new(),
                };
                [panel, role]
                    .into_iter()
                    .filter(|x| !x.is_empty())
                    .collect::<Vec<_>>()
                    .join("; ")
            }
            None => String::new(),
        };
        exchange.push(ReviewEntry {
            seq: r.by.seq,
            verdict: match r.review.verdict {
                Verdict::SignedOff => "signed-off",
                Verdict::Returned => "returned",
            },
            returned: r.review.verdict == Verdict::Returned,
            reviewer: names.by(&r.by),
            at: r.by.at.clone(),
            receipt: receipt(r),
            current,
            earlier_version: r.review.verdict == Verdict::SignedOff && !current,
            standing,
            questions: r.review.questions.clone(),
            note: r.review.note.clone(),
            answer: v.answer_to(r.by.seq).map(|a| ReviewAnswerView {
                seq: a.by.seq,
                by: names.by(&a.by),
                at: a.by.at.clone(),
                answer: a.answer.answer.clone(),
            }),
            then: v
                .decisions
                .iter()
                .filter(|d| d.by.seq > r.by.seq && d.by.seq < next)
                .map(|d| {
                    let same = v
                        .decisions
                        .iter()
                        .rev()
                        .find(|p| p.by.seq < d.by.seq)
                        .is_some_and(|p| p.appointed == d.appointed && p.reserves == d.reserves);
                    format!(
                        "{} {} the decision ({}): appoint {}{}, because: \"{}\"",
                        names.by(&d.by),
                        if same { "re-affirmed" } else { "revised" },
                        d.by.at,
                        d.appointed,
                        if d.reserves.is_empty() {
                            String::new()
                        } else {
                            format!(", reserve {}", d.reserves.join(", "))
                        },
                        d.revision_reason.as_deref().unwrap_or_default()
                    )
                })
                .collect(),
        });
    }
    let because = required_because.join("; ");
    let reviewer = |r: &crate::record::vacancy::ReviewRec| names.by(&r.by);
    // (headline, the state in a phrase for findings, the severity when review is not required)
    let (headline, phrase, optional) = match state {
        ReviewState::NotDecided => (
            "No decision has been recorded, so there is nothing to review yet.".to_string(),
            String::new(),
            None,
        ),
        ReviewState::SignedOff(r) => {
            let who = format!(
                "{} on {} for receipt {}",
                reviewer(r),
                date_of(&r.by.at),
                receipt(r)
            );
            (
                format!("Signed off by {who}."),
                format!("signed off by {who}"),
                Some(Severity::Info),
            )
        }
        ReviewState::Awaiting => match v.reviews.last() {
            None => (
                "Awaiting review: no reviewer has signed the decision off yet.".to_string(),
                "no reviewer has signed it off yet".to_string(),
                Some(Severity::Info),
            ),
            Some(r) => (
                format!(
                    "Awaiting review: the chair answered the questions of review {} and recorded the decision \
                     again; it is to be reviewed again.",
                    r.by.seq
                ),
                format!(
                    "it awaits review again after the chair's answer to review {}",
                    r.by.seq
                ),
                Some(Severity::Info),
            ),
        },
        ReviewState::Returned(r) => {
            let answered = match v.answer_to(r.by.seq) {
                Some(a) => format!(
                    "{} answered on {}; the decision is to be recorded again (revised or re-affirmed, with a reason)",
                    names.by(&a.by),
                    date_of(&a.by.at)
                ),
                None => format!(
                    "the chair has not answered yet (`fairpanel review answer {} --review {}`)",
                    v.id, r.by.seq
                ),
            };
            (
                format!(
                    "Returned by {} on {} with {} question(s) (review {}): {answered}.",
                    reviewer(r),
                    date_of(&r.by.at),
                    r.review.questions.len(),
                    r.by.seq
                ),
                format!(
                    "it was returned to the chair by {} (review {}): {answered}",
                    reviewer(r),
                    r.by.seq
                ),
                Some(Severity::Warning),
            )
        }
        ReviewState::Stale(r) => (
            format!(
                "Review made on an earlier version: {} signed off on {} for receipt {}, and the record of this \
                 vacancy has changed since (event {}). A new review is needed.",
                reviewer(r),
                date_of(&r.by.at),
                receipt(r),
                v.last_material
            ),
            format!(
                "the sign-off by {} was made on an earlier version of the record (receipt {}; changed since at \
                 event {}): a new review is needed",
                reviewer(r),
                receipt(r),
                v.last_material
            ),
            Some(Severity::Warning),
        ),
    };
    let signed_off = matches!(state, ReviewState::SignedOff(_));
    let decision_final = v.decision().map(|_| !required || signed_off);
    let finality = v.decision().map(|_| match (required, signed_off) {
        (true, true) => format!("signed off as the policy requires, because {because}."),
        (true, false) => format!("the policy requires a current sign-off because {because}."),
        (false, _) => match rule.required {
            crate::policy::Required::Never => {
                "review is optional under this vacancy's policy.".to_string()
            }
            _ => "the policy requires a review only when a gap was overridden, the appointed candidate was not \
                  the highest scored, or a panellist who self-declared an ethnic-minority background was \
                  overruled; none of these applies."
                .to_string(),
        },
    });
    let finding = match (optional, required, signed_off) {
        (None, _, _) => None,
        (Some(_), true, false) => Some((
            Severity::Gap,
            format!(
                "the decision is not final: the policy requires a current fairness sign-off because {because}, \
                 and {phrase}"
            ),
        )),
        (Some(sev), _, _) => Some((sev, phrase)),
    };
    let findings = finding
        .map(|(severity, message)| {
            vec![Finding::new(
                REVIEW_CHECK,
                severity,
                message,
                serde_json::json!({
                    "status": state.key(),
                    "required": required,
                    "required_because": required_because,
                    "final": decision_final,
                }),
            )]
        })
        .unwrap_or_default();
    (
        ReviewView {
            status: state.key(),
            headline,
            policy: ReviewPolicyView {
                required: rule.required.as_str(),
                independent: rule.independent,
                require_role: rule.require_role,
            },
            required,
            required_because,
            decision_final,
            finality,
            exchange,
        },
        findings,
    )
}

/// Whether the decision in force needs a current sign-off to be final, judged exactly as the decision
/// report judges it (the derived tables and the audit read this, so the two cannot disagree).
pub fn review_required(v: &VacancyState, keys: &Keyring) -> Result<bool> {
    use crate::policy::Required;
    if v.decision().is_none() {
        return Ok(false);
    }
    let policy = crate::policy::parse_recorded(
        &v.policy_yaml,
        &format!("policy stored with vacancy {}", v.id),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    match policy.review.required {
        Required::Never => Ok(false),
        Required::Always => Ok(true),
        // Names do not enter the requirement, so no one's record needs reading.
        Required::WhenNeeded => {
            let lean = build_with(v, &People::default(), keys, "", Detail::Requirement)?
                .review
                .required;
            // Every test run (debug builds) checks the lean build against the full report, where
            // the full one can be built (a synthetic record seals no notes).
            #[cfg(debug_assertions)]
            if let Ok(whole) = build_with(v, &People::default(), keys, "", Detail::Full) {
                debug_assert_eq!(lean, whole.review.required, "lean review requirement");
            }
            Ok(lean)
        }
    }
}

/// The mean of (weight, value) pairs. Weights are relative, so they are first divided by the largest:
/// a bank stored before weights were capped may hold weights near `f64::MAX`, whose plain sums are
/// infinite. `None` when nothing finite can be said (no pairs, or a weight that is not a positive
/// finite number).
pub fn weighted_mean(pairs: &[(f64, f64)]) -> Option<f64> {
    let top = pairs.iter().map(|p| p.0).fold(0.0, f64::max);
    if pairs.is_empty() || pairs.iter().any(|p| !(p.0.is_finite() && p.0 > 0.0)) || top <= 0.0 {
        return None;
    }
    let (num, den) = pairs.iter().fold((0.0, 0.0), |(n, d), (w, x)| {
        let w = w / top;
        (n + w * x, d + w)
    });
    let mean = num / den;
    mean.is_finite().then_some(mean)
}

/// The report from a verified read, with what was checked.
pub fn from_loaded(l: &crate::store::Loaded) -> Result<DecisionReport> {
    let keys = l.keyring();
    let mut r = build(
        &l.state,
        &l.people,
        &keys,
        &l.integrity.tail.receipt.to_string(),
    )?;
    r.integrity = Some(IntegrityView {
        verified: true,
        detail: l.integrity.sentence(),
    });
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::weighted_mean;

    #[test]
    fn weighted_means_stay_finite_whatever_the_weights() {
        assert_eq!(weighted_mean(&[(1e308, 3.0), (1e308, 1.0)]), Some(2.0));
        assert_eq!(
            weighted_mean(&[(f64::MAX, 4.0), (f64::MAX, 2.0)]),
            Some(3.0)
        );
        assert_eq!(weighted_mean(&[(2.0, 4.0), (1.0, 1.0)]), Some(3.0));
        assert_eq!(weighted_mean(&[]), None);
        for bad in [f64::INFINITY, f64::NAN, 0.0, -1.0] {
            assert_eq!(weighted_mean(&[(bad, 4.0), (1.0, 2.0)]), None, "{bad}");
        }
    }
}
