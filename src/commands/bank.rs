//! bank list | show | validate

use super::Ctx;
use crate::bank::{self, Bank};
use crate::cli::{BankCmd, Period};
use crate::interview::question_guide;
use crate::output::{emit, table};
use crate::policy::{self, Policy};
use crate::report::audit::Count;
use crate::report::audit_items::{gather, item_bias};
use crate::store::AuditFilter;
use anyhow::{bail, Result};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct Summary {
    id: String,
    title: String,
    version: u32,
    questions: usize,
    by_category: std::collections::BTreeMap<String, usize>,
    scale: String,
}

fn summary(b: &Bank) -> Summary {
    let mut by_category = std::collections::BTreeMap::new();
    for q in &b.questions {
        *by_category.entry(q.category.clone()).or_insert(0) += 1;
    }
    Summary {
        id: b.id.clone(),
        title: b.title.clone(),
        version: b.version,
        questions: b.questions.len(),
        by_category,
        scale: format!("{}..{}", b.scale.min, b.scale.max),
    }
}

pub fn run(ctx: &mut Ctx, cmd: BankCmd) -> Result<()> {
    match cmd {
        BankCmd::List(f) => {
            let banks: Vec<Summary> = bank::bundled().iter().map(|(b, _)| summary(b)).collect();
            emit(&mut ctx.out, f.format, &banks, |banks| {
                let rows: Vec<Vec<String>> = banks
                    .iter()
                    .map(|b| {
                        vec![
                            b.id.clone(),
                            b.version.to_string(),
                            b.questions.to_string(),
                            b.by_category
                                .get(bank::DIVERSITY)
                                .copied()
                                .unwrap_or(0)
                                .to_string(),
                            b.scale.clone(),
                            b.title.clone(),
                        ]
                    })
                    .collect();
                table(
                    &["id", "version", "questions", "diversity", "scale", "title"],
                    &rows,
                )
            })
        }
        BankCmd::Show {
            bank: spec,
            dif: true,
            by,
            question,
            policy,
            format,
        } => {
            let (b, _) = bank::resolve(&spec)?;
            dif_history(
                ctx,
                &b,
                by,
                question.as_deref(),
                policy.as_deref(),
                format.format,
            )
        }
        BankCmd::Show {
            bank: spec, format, ..
        } => {
            let (b, _) = bank::resolve(&spec)?;
            emit(&mut ctx.out, format.format, &b, |b| {
                let mut s = format!(
                    "{} (v{}): {}\nScale {}..{}{}\n",
                    b.id,
                    b.version,
                    b.title,
                    b.scale.min,
                    b.scale.max,
                    b.scale
                        .labels
                        .iter()
                        .map(|(k, v)| format!("  {k} = {v}"))
                        .collect::<Vec<_>>()
                        .join(";")
                );
                if let Some(d) = &b.description {
                    s.push_str(&format!("{}\n", d.trim()));
                }
                for (i, q) in b.questions.iter().enumerate() {
                    s.push_str(&question_guide(b, q, i + 1, b.questions.len()));
                }
                s
            })
        }
        BankCmd::Validate { files } => {
            let mut failed = 0;
            for f in &files {
                match bank::load_file(f) {
                    Ok(b) => writeln!(
                        ctx.out,
                        "{}: ok ({} v{}, {} questions)",
                        f.display(),
                        b.id,
                        b.version,
                        b.questions.len()
                    )?,
                    Err(problems) => {
                        failed += 1;
                        for p in problems.0 {
                            eprintln!("{p}");
                        }
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} of {} bank file(s) have problems", files.len());
            }
            Ok(())
        }
    }
}

/// One question, group and period of a bank's item-bias history.
#[derive(Serialize)]
struct DifHistoryRow {
    period: String,
    question: String,
    group: &'static str,
    label: &'static str,
    vacancies: usize,
    white: Count,
    candidates: Count,
    status: &'static str,
    ets_class: Option<String>,
    smd: Option<f64>,
    p_value: Option<f64>,
    n_focal_used: Option<usize>,
    n_ref_used: Option<usize>,
    sentence: String,
}

#[derive(Serialize)]
struct DifHistory {
    bank: String,
    by: Period,
    suppression_threshold: u64,
    periods: Vec<String>,
    rows: Vec<DifHistoryRow>,
}

/// The first and last day of the period holding `date` (YYYY-MM-DD…), and its name.
fn period_of(date: &str, by: Period) -> Option<(String, String, String)> {
    let year: u32 = date.get(0..4)?.parse().ok()?;
    let month: u32 = date.get(5..7)?.parse().ok()?;
    Some(match by {
        Period::Year => (
            year.to_string(),
            format!("{year:04}-01-01"),
            format!("{year:04}-12-31"),
        ),
        Period::Quarter => {
            let q = (month.clamp(1, 12) - 1) / 3 + 1;
            let end = ["03-31", "06-30", "09-30", "12-31"][q as usize - 1];
            (
                format!("{year:04} Q{q}"),
                format!("{year:04}-{:02}-01", (q - 1) * 3 + 1),
                format!("{year:04}-{end}"),
            )
        }
    })
}

/// Item bias of a bank's questions, period by period of vacancy creation: the audit's Questions
/// section run on the vacancies created in each period (questions are matched by id).
fn dif_history(
    ctx: &mut Ctx,
    b: &Bank,
    by: Period,
    question: Option<&str>,
    policy: Option<&std::path::Path>,
    format: crate::cli::Format,
) -> Result<()> {
    if let Some(q) = question {
        if !b.questions.iter().any(|x| x.id == q) {
            return Err(crate::Usage(format!("bank {} has no question {q:?}", b.id)).into());
        }
    }
    let t = match policy {
        Some(p) => policy::load_file(p)?.0,
        None => Policy::default(),
    }
    .suppression_threshold;
    let store = ctx.store()?;
    let all = store.audit_data(&AuditFilter::default())?;
    let mut periods: Vec<(String, String, String)> = all
        .vacancies
        .iter()
        .filter_map(|v| period_of(&v.created, by))
        .collect();
    periods.sort();
    periods.dedup();
    drop(all);
    let wanted =
        |id: &str| b.questions.iter().any(|q| q.id == id) && question.is_none_or(|q| q == id);
    let mut rows = Vec::new();
    for (name, since, until) in &periods {
        let data = store.audit_data(&AuditFilter {
            since: Some(since.clone()),
            until: Some(until.clone()),
            ..AuditFilter::default()
        })?;
        for r in item_bias(&data, t, &gather(&data)).rows {
            if !wanted(&r.question) {
                continue;
            }
            for c in r.comparisons {
                rows.push(DifHistoryRow {
                    period: name.clone(),
                    question: r.question.clone(),
                    group: c.group,
                    label: c.label,
                    vacancies: r.vacancies,
                    white: r.white,
                    candidates: c.candidates,
                    status: c.status,
                    ets_class: c.ets_class,
                    smd: c.smd,
                    p_value: c.p_value,
                    n_focal_used: c.n_focal_used,
                    n_ref_used: c.n_ref_used,
                    sentence: c.sentence,
                });
            }
        }
    }
    let view = DifHistory {
        bank: b.id.clone(),
        by,
        suppression_threshold: t,
        periods: periods.into_iter().map(|p| p.0).collect(),
        rows,
    };
    emit(&mut ctx.out, format, &view, |v| {
        let cell = |c: &Count| match c {
            Count::Shown(n) => n.to_string(),
            Count::Suppressed => "suppressed".to_string(),
        };
        let rows: Vec<Vec<String>> = v
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.period.clone(),
                    r.question.clone(),
                    r.group.to_string(),
                    cell(&r.candidates),
                    cell(&r.white),
                    r.ets_class
                        .clone()
                        .unwrap_or_else(|| r.status.replace('_', " ")),
                    r.smd.map_or("-".into(), |x| format!("{x:+.2}")),
                    r.p_value.map_or("-".into(), |p| {
                        if p < 0.001 {
                            "<0.001".into()
                        } else {
                            format!("{p:.3}")
                        }
                    }),
                ]
            })
            .collect();
        let mut s = format!(
            "Item bias (DIF) in bank {} by {}: each group against White candidates of the same overall \
             interview standard, from the vacancies created in each period.\n\
             ETS class AA: no notable difference; BB: moderate; CC: large; - lower, + higher. A flag is \
             a prompt to review the question and its anchors, not proof of bias. Counts below {} are \
             suppressed.\n\n",
            v.bank,
            match v.by {
                Period::Year => "year",
                Period::Quarter => "quarter",
            },
            v.suppression_threshold
        );
        if rows.is_empty() {
            s.push_str("No scored vacancy used these questions.\n");
        } else {
            s.push_str(&table(
                &[
                    "period", "question", "group", "n", "White n", "class", "SMD", "p",
                ],
                &rows,
            ));
        }
        s
    })
}
