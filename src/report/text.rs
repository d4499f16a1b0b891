//! Plain-text views for the terminal: vacancy overview and the reveal.

use crate::checks::Finding;
use crate::output::table;
use crate::store::Loaded;
use anyhow::{bail, Result};
use serde::Serialize;

#[derive(Serialize)]
pub struct VacancyView {
    pub id: String,
    pub title: String,
    pub band: Option<String>,
    pub service: Option<String>,
    pub bank: String,
    pub bank_version: u32,
    pub policy_source: String,
    pub created_at: String,
    pub questions: Vec<String>,
    pub panel: Vec<PanelMember>,
    pub candidates: Vec<CandidateProgress>,
    /// The chain's length and head hash when read.
    pub receipt: String,
}

#[derive(Serialize)]
pub struct PanelMember {
    pub name: String,
    pub role: String,
    pub trained_on: Option<String>,
    pub stood_down: bool,
}

/// Who has submitted for a candidate: names only, never a score.
#[derive(Serialize)]
pub struct CandidateProgress {
    pub reference: String,
    pub submitted: Vec<String>,
    pub open: Vec<String>,
    pub revealed: bool,
    pub withdrawn: bool,
}

impl VacancyView {
    pub fn build(l: &Loaded) -> VacancyView {
        let v = &l.state;
        let name = |id: i64| {
            l.people
                .get(id)
                .map_or_else(|| format!("person {id}"), |p| p.name.clone())
        };
        VacancyView {
            id: v.id.clone(),
            title: v.title.clone(),
            band: v.band.clone(),
            service: v.service.clone(),
            bank: v.bank.id.clone(),
            bank_version: v.bank.version,
            policy_source: v.policy_source.clone(),
            created_at: v.created.at.clone(),
            questions: v.questions.clone(),
            panel: v
                .panel
                .iter()
                .map(|m| PanelMember {
                    name: name(m.person),
                    role: m.role.to_string(),
                    trained_on: m.trained_on.clone(),
                    stood_down: !m.active(),
                })
                .collect(),
            candidates: v
                .interviewees()
                .map(|c| {
                    let (sub, open): (Vec<_>, Vec<_>) = v
                        .sheets_of(&c.reference)
                        .partition(|s| s.submitted.is_some());
                    CandidateProgress {
                        reference: c.reference.clone(),
                        submitted: sub.iter().map(|s| name(s.person)).collect(),
                        open: open.iter().map(|s| name(s.person)).collect(),
                        revealed: c.revealed.is_some(),
                        withdrawn: c.withdrawn.is_some(),
                    }
                })
                .collect(),
            receipt: l.integrity.tail.receipt.to_string(),
        }
    }
}

pub fn vacancy(v: &VacancyView) -> String {
    let x = v;
    let safe = |t: &str| crate::model::display_safe(t).into_owned();
    let mut s = format!(
        "{} · {}\n  band: {}   service: {}\n  bank: {} v{}   policy: {}   created: {}\n  questions: {}\n\nPanel\n",
        safe(&x.id),
        safe(&x.title),
        safe(x.band.as_deref().unwrap_or("—")),
        safe(x.service.as_deref().unwrap_or("—")),
        safe(&x.bank),
        x.bank_version,
        safe(&x.policy_source),
        safe(&x.created_at),
        safe(&x.questions.join(", "))
    );
    let rows: Vec<Vec<String>> = v
        .panel
        .iter()
        .map(|p| {
            vec![
                crate::model::display_safe(&p.name).into_owned(),
                if p.stood_down {
                    format!("{} (stood down)", p.role)
                } else {
                    p.role.clone()
                },
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
                c.reference.clone(),
                format!(
                    "{}/{}",
                    c.submitted.len(),
                    v.panel.iter().filter(|p| !p.stood_down).count()
                ),
                if c.withdrawn {
                    "withdrawn".into()
                } else if c.revealed {
                    "revealed".into()
                } else {
                    crate::model::display_safe(&c.open.join(", ")).into_owned()
                },
            ]
        })
        .collect();
    s.push_str(&indent(&table(
        &["ref", "submitted", "still scoring / status"],
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
    /// Transcribed and withdrawn sheets.
    pub notes: Vec<String>,
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
    pub agreed: Option<i64>,
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
    /// A revealed candidate's scores; refused, naming who has not submitted, while any sheet is out.
    pub fn build(l: &Loaded, candidate: &str) -> Result<RevealView> {
        let v = &l.state;
        let c = v
            .candidate(candidate)
            .filter(|c| c.interview)
            .ok_or_else(|| anyhow::anyhow!("vacancy {} has no candidate {candidate:?}", v.id))?;
        if v.active_panel().next().is_none() {
            bail!("vacancy {} has no panel yet", v.id);
        }
        if c.revealed.is_none() {
            let name = |id: i64| {
                l.people
                    .get(id)
                    .map_or_else(|| format!("person {id}"), |p| p.name.clone())
            };
            let missing: Vec<String> = v
                .active_panel()
                .filter_map(|m| match v.sheet(candidate, m.person) {
                    Some(s) if s.submitted.is_some() => None,
                    Some(_) => Some(format!("{} (still scoring)", name(m.person))),
                    None => Some(format!("{} (not started)", name(m.person))),
                })
                .collect();
            bail!(
                "cannot reveal {candidate} yet: waiting for {}. Scores stay sealed until every panellist has submitted.",
                missing.join(", ")
            );
        }
        let report = crate::report::decision::from_loaded(l)?;
        let section = report
            .candidates
            .iter()
            .find(|s| s.reference == candidate)
            .expect("the report has every candidate");
        let rows: Vec<RevealRow> = section
            .rows
            .iter()
            .map(|r| RevealRow {
                question: r.question.clone(),
                category: r.category.clone(),
                scores: r.scores.clone(),
                evidence: r.evidence.clone(),
                range: r.range,
                median: r.median,
                divergent: r.divergent,
                outlier: r.outlier.clone(),
                agreed: r.agreed,
            })
            .collect();
        let totals = (0..section.panellists.len())
            .map(|i| rows.iter().fold(0i64, |t, r| t.saturating_add(r.scores[i])))
            .collect();
        Ok(RevealView {
            vacancy: v.id.clone(),
            candidate: candidate.into(),
            scale: [v.bank.scale.min, v.bank.scale.max],
            panellists: section.panellists.clone(),
            totals,
            corrections: section
                .corrections
                .iter()
                .map(|c| RevealCorrection {
                    panellist: c.panellist.clone(),
                    question: c.question.clone(),
                    original: c.original,
                    corrected: c.corrected,
                    reason: c.reason.clone(),
                })
                .collect(),
            findings: report
                .divergence
                .iter()
                .filter(|f| f.data["candidate"] == candidate)
                .cloned()
                .collect(),
            notes: section.notes.clone(),
            questions: rows,
        })
    }
}

pub fn reveal(v: &RevealView) -> String {
    let names: Vec<String> = v
        .panellists
        .iter()
        .map(|n| crate::model::display_safe(n).into_owned())
        .collect();
    let mut header: Vec<&str> = vec!["question"];
    header.extend(names.iter().map(String::as_str));
    header.extend(["range", "flag"]);
    let mut rows: Vec<Vec<String>> = v
        .questions
        .iter()
        .map(|r| {
            let mut row = vec![r.question.clone()];
            row.extend(r.scores.iter().map(|s| s.to_string()));
            row.push(r.range.to_string());
            let resolved = if r.agreed.is_some() { ", resolved" } else { "" };
            row.push(match (&r.outlier, r.divergent) {
                (Some(o), _) => format!(
                    "DIVERGENT ({} apart{resolved})",
                    crate::model::display_safe(o)
                ),
                (None, true) => format!(
                    "DIVERGENT{}",
                    if r.agreed.is_some() {
                        " (resolved)"
                    } else {
                        ""
                    }
                ),
                _ => String::new(),
            });
            row
        })
        .collect();
    let mut total = vec!["total".to_string()];
    total.extend(v.totals.iter().map(|t| t.to_string()));
    rows.push(total);
    let safe = |t: &str| crate::model::display_safe(t).into_owned();
    let mut s = format!(
        "Scores for {} · {} (scale {}..{}), all {} sheets sealed\n\n{}",
        safe(&v.candidate),
        safe(&v.vacancy),
        v.scale[0],
        v.scale[1],
        v.panellists.len(),
        table(&header, &rows)
    );
    for c in &v.corrections {
        s.push_str(&format!(
            "\nCorrection after submission: {} changed {} from {} to {}: {}",
            safe(&c.panellist),
            c.question,
            c.original,
            c.corrected,
            safe(&c.reason)
        ));
    }
    for n in &v.notes {
        s.push_str(&format!("\nNote: {}", safe(n)));
    }
    // Where the panel must talk, the evidence each panellist wrote stands beside their score.
    for r in v.questions.iter().filter(|r| r.divergent) {
        // One blank line before each block, whether a table (which ends its line) or a note precedes.
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s.push_str(&format!(
            "\n{} — the evidence behind each score:\n",
            r.question
        ));
        for ((name, score), ev) in v.panellists.iter().zip(&r.scores).zip(&r.evidence) {
            s.push_str(&format!("  {} {score}: {}\n", safe(name), safe(ev)));
        }
        if let Some(a) = r.agreed {
            s.push_str(&format!("  Agreed score: {a} (recorded).\n"));
        }
    }
    let open = v
        .questions
        .iter()
        .filter(|r| r.divergent && r.agreed.is_none())
        .count();
    let resolved = v
        .questions
        .iter()
        .filter(|r| r.divergent && r.agreed.is_some())
        .count();
    if open + resolved == 0 {
        s.push_str("\nNo divergent scores.\n");
    } else if open == 0 {
        s.push_str(&format!(
            "\n{resolved} divergent question{} discussed and resolved with an agreed score.\n",
            if resolved == 1 { "" } else { "s" }
        ));
    } else {
        s.push_str(&format!(
            "\n{open} divergent question{} to discuss: look at the evidence, then record an agreed score and reason with \
             `fairpanel moderate {} {}`{}.\n",
            if open == 1 { "" } else { "s" },
            v.vacancy,
            v.candidate,
            if resolved > 0 {
                format!(" ({resolved} already resolved)")
            } else {
                String::new()
            }
        ));
    }
    s
}

/// What a fairness reviewer reads before signing off or returning a decision: the decision report's
/// summary, the parts where fairness is most at stake first.
pub fn review_summary(r: &crate::report::decision::DecisionReport) -> String {
    use crate::model::display_safe as safe;
    use std::fmt::Write;
    let mut s = String::new();
    let v = &r.vacancy;
    let _ = writeln!(
        s,
        "Fairness review of {} · {}{}{}",
        v.id,
        safe(&v.title),
        v.band
            .as_deref()
            .map(|b| format!(" · {}", safe(b)))
            .unwrap_or_default(),
        v.service
            .as_deref()
            .map(|b| format!(" · {}", safe(b)))
            .unwrap_or_default()
    );
    let _ = writeln!(s, "Receipt {} (the report this review reads)", r.receipt);
    let _ = writeln!(s, "\nReview: {}", safe(&r.review.headline));
    let p = &r.review.policy;
    let _ = writeln!(
        s,
        "Policy: review required {}; reviewer {}independent of the panel; reviewer role and training in date {}required.",
        match p.required {
            "when-needed" => "when needed",
            other => other,
        },
        if p.independent { "" } else { "need not be " },
        if p.require_role { "" } else { "not " }
    );
    if r.review.required {
        let _ = writeln!(
            s,
            "This decision needs a current sign-off to be final, because {}.",
            r.review.required_because.join("; ")
        );
    }
    let section = |s: &mut String, title: &str, lines: Vec<String>, none: &str| {
        let _ = writeln!(s, "\n{title}");
        if lines.is_empty() {
            let _ = writeln!(s, "  {none}");
        }
        for l in lines {
            let _ = writeln!(s, "  - {l}");
        }
    };
    let mut decision = Vec::new();
    if let Some(d) = &r.decision {
        decision.push(format!(
            "appoint {}{} ({}, {})",
            d.appointed,
            if d.reserves.is_empty() {
                String::new()
            } else {
                format!(", reserve {}", d.reserves.join(", "))
            },
            safe(&d.recorded_by),
            d.recorded_at
        ));
        decision.push(format!("rationale: {}", safe(&d.rationale)));
        if let Some(u) = &d.unresolved_reason {
            decision.push(format!(
                "recorded with divergence unresolved, because: {}",
                safe(u)
            ));
        }
        if let Some(x) = &d.revision_reason {
            decision.push(format!("revises an earlier decision, because: {}", safe(x)));
        }
        for e in &r.decision_history {
            decision.push(format!(
                "earlier: appoint {} ({}, {}): {}",
                e.appointed,
                safe(&e.recorded_by),
                e.recorded_at,
                safe(&e.rationale)
            ));
        }
    }
    decision.extend(
        r.decision_findings
            .iter()
            .map(|f| format!("{}: {}", f.severity.as_str(), safe(&f.message))),
    );
    section(&mut s, "Decision", decision, "no decision recorded");
    section(
        &mut s,
        "Gaps and their overrides",
        r.findings()
            .iter()
            .filter(|f| f.severity == crate::checks::Severity::Gap && f.check != "review")
            .map(|f| format!("gap ({}): {}", f.check, safe(&f.message)))
            .chain(r.overrides.iter().map(|o| {
                format!(
                    "overridden by {} ({}) because \"{}\": {}",
                    safe(&o.by),
                    o.at,
                    safe(&o.reason),
                    o.gaps
                        .iter()
                        .map(|g| safe(g).into_owned())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }))
            .collect(),
        "none",
    );
    section(
        &mut s,
        "Divergent scores and their moderation",
        r.divergence
            .iter()
            .map(|f| safe(&f.message).into_owned())
            .chain(r.moderations.iter().map(|m| {
                format!(
                    "agreed {} for {} · {} ({}, {}){}{}",
                    m.score,
                    m.candidate,
                    m.question,
                    safe(&m.recorded_by),
                    m.recorded_at,
                    m.reason
                        .as_deref()
                        .map(|x| format!(": {}", safe(x)))
                        .unwrap_or_else(|| ": no reason given".into()),
                    m.revision_reason
                        .as_deref()
                        .map(|x| format!(" (revision: {})", safe(x)))
                        .unwrap_or_default()
                )
            }))
            .collect(),
        "none",
    );
    section(
        &mut s,
        "Overruled dissent and other moderation findings",
        r.moderation
            .iter()
            .map(|f| format!("{}: {}", f.severity.as_str(), safe(&f.message)))
            .collect(),
        "none",
    );
    section(
        &mut s,
        "Corrections after submission",
        r.candidates
            .iter()
            .flat_map(|c| {
                c.corrections.iter().map(move |x| {
                    format!(
                        "{}: {} changed {} from {} to {} ({}, {}{}): {}",
                        c.reference,
                        safe(&x.panellist),
                        x.question,
                        x.original,
                        x.corrected,
                        safe(&x.by),
                        x.at,
                        if x.after_reveal {
                            ", after seeing the others' scores"
                        } else {
                            ""
                        },
                        safe(&x.reason)
                    )
                })
            })
            .collect(),
        "none",
    );
    section(
        &mut s,
        "Language prompts (for reflection, not verdicts)",
        r.language
            .iter()
            .map(|f| safe(&f.message).into_owned())
            .collect(),
        "none",
    );
    let _ = writeln!(s, "\nApplicants by group");
    if r.pipeline_applications == 0 {
        let _ = writeln!(s, "  no pipeline data imported");
    } else {
        let mut header = vec!["group"];
        header.extend(crate::model::STAGES);
        let rows: Vec<Vec<String>> = r
            .pipeline
            .iter()
            .map(|g| {
                let mut row = vec![g.label.to_string()];
                row.extend(g.reached.iter().map(|c| match c {
                    crate::stats::suppression::Cell::Shown(n) => n.to_string(),
                    crate::stats::suppression::Cell::Suppressed => "suppressed".into(),
                }));
                row
            })
            .collect();
        for l in table(&header, &rows).lines() {
            let _ = writeln!(s, "  {l}");
        }
        let _ = writeln!(s, "  {}", r.pipeline_note);
    }
    if !r.review.exchange.is_empty() {
        let _ = writeln!(s, "\nThe review so far");
        for e in &r.review.exchange {
            let _ = writeln!(
                s,
                "  - review {}: {} by {} ({}), receipt {}{}",
                e.seq,
                if e.returned { "returned" } else { "signed off" },
                safe(&e.reviewer),
                e.at,
                e.receipt,
                if e.earlier_version {
                    " (made on an earlier version)"
                } else {
                    ""
                }
            );
            for q in &e.questions {
                let _ = writeln!(s, "      question: {}", safe(q));
            }
            if let Some(n) = &e.note {
                let _ = writeln!(s, "      note: {}", safe(n));
            }
            if let Some(a) = &e.answer {
                let _ = writeln!(
                    s,
                    "      answer ({}, {}): {}",
                    safe(&a.by),
                    a.at,
                    safe(&a.answer)
                );
            }
            for t in &e.then {
                let _ = writeln!(s, "      then: {}", safe(t));
            }
        }
    }
    let _ = writeln!(
        s,
        "\nChecks: {} gap(s), {} warning(s). The whole report: `fairpanel report {}`.",
        r.summary.gaps, r.summary.warnings, v.id
    );
    s
}
