//! vacancy create | list | show | questions

use super::Ctx;
use crate::bank;
use crate::cli::{VacancyCmd, VacancyCreate};
use crate::interview::{optional, required, Prompter};
use crate::output::{emit, table};
use crate::policy;
use anyhow::Result;
use std::io::Write;

/// A vacancy's state in words, with its fairness review where there is a decision.
fn status(v: &crate::store::VacancySummary) -> String {
    if !v.decided {
        return "open".into();
    }
    let review = match v.review.as_str() {
        "signed-off" => "signed off",
        "returned" => "returned by review",
        "stale" => "sign-off out of date",
        _ if v.review_required => "awaiting review (required)",
        _ => "not reviewed",
    };
    format!("decided, {review}")
}

pub fn run(ctx: &mut Ctx, cmd: VacancyCmd) -> Result<()> {
    match cmd {
        VacancyCmd::Create(a) => create(ctx, a),
        VacancyCmd::List(f) => {
            let store = ctx.store()?;
            let vs = store.vacancy_list()?;
            emit(&mut ctx.out, f.format, &vs, |vs| {
                if vs.is_empty() {
                    return "No vacancies yet. Create one with `fairpanel vacancy create`.".into();
                }
                let rows: Vec<Vec<String>> = vs
                    .iter()
                    .map(|v| {
                        vec![
                            v.id.clone(),
                            crate::model::display_safe(&v.title).into_owned(),
                            crate::model::display_safe(v.band.as_deref().unwrap_or_default())
                                .into_owned(),
                            crate::model::display_safe(v.service.as_deref().unwrap_or_default())
                                .into_owned(),
                            v.questions.to_string(),
                            status(v),
                        ]
                    })
                    .collect();
                table(
                    &["id", "title", "band", "service", "questions", "status"],
                    &rows,
                )
            })
        }
        VacancyCmd::Show { id, format } => {
            let store = ctx.store()?;
            let l = store.vacancy(&id)?;
            let view = crate::report::text::VacancyView::build(&l);
            emit(
                &mut ctx.out,
                format.format,
                &view,
                crate::report::text::vacancy,
            )
        }
        VacancyCmd::Questions {
            id,
            questions,
            reason,
            override_coverage,
        } => {
            let mut store = ctx.store()?;
            ctx.authenticate_chair(&mut store, &id)?;
            let l = store.vacancy(&id)?;
            let bank = l.state.bank.clone();
            // Refused before any question is asked, not after every answer is given.
            if l.state.scoring_started() {
                anyhow::bail!("the question plan of {id} is fixed: scoring has started");
            }
            let mut term = ctx.prompter();
            let questions = match (questions, term.as_deref_mut()) {
                (Some(qs), _) => qs.into_iter().map(|q| q.trim().to_string()).collect(),
                (None, Some(p)) => choose_questions(p, &bank, Some(&l.state.questions))?,
                (None, None) => {
                    return Err(crate::Usage(
                        "--questions is required when not running interactively".into(),
                    )
                    .into())
                }
            };
            let reason = required(reason, "--reason", &mut term, "Why change the plan?", None)?;
            let findings = store.write(|tx| {
                crate::actions::vacancy::change_plan(
                    tx,
                    &id,
                    &questions,
                    &reason,
                    override_coverage.as_deref(),
                )
            })?;
            writeln!(
                ctx.out,
                "Changed the question plan of {id} to {} questions, on the record.",
                questions.len()
            )?;
            for f in findings {
                writeln!(ctx.out, "{}: {}", f.severity.as_str(), f.message)?;
            }
            Ok(())
        }
    }
}

fn create(ctx: &mut Ctx, a: VacancyCreate) -> Result<()> {
    let mut term = ctx.prompter();
    let id = required(
        a.id,
        "--id",
        &mut term,
        "Vacancy id",
        Some("short and stable, e.g. TT-PWP-2026-07"),
    )?;
    crate::model::check_ident(&id, "the vacancy id")?;
    let title = required(a.title, "--title", &mut term, "Post title", None)?;
    let band = optional(a.band, &mut term, "Band or grade (blank to skip)", None)?;
    let service = optional(a.service, &mut term, "Service (blank to skip)", None)?;
    let bank_spec = match (a.bank, term.as_deref_mut()) {
        (Some(b), _) => b,
        (None, Some(pr)) => {
            let banks = bank::bundled();
            let options: Vec<String> = banks
                .iter()
                .map(|(b, _)| format!("{} — {}", b.id, b.title))
                .collect();
            let i = pr.select("Question bank", &options, None)?;
            banks[i].0.id.clone()
        }
        (None, None) => {
            return Err(
                crate::Usage("--bank is required when not running interactively".into()).into(),
            )
        }
    };
    let (bank, yaml) = bank::resolve(&bank_spec)?;
    let questions: Vec<String> = match (a.questions, term.as_deref_mut()) {
        (Some(qs), _) if qs.len() == 1 && qs[0] == "all" => {
            bank.questions.iter().map(|q| q.id.clone()).collect()
        }
        (Some(qs), _) => qs.into_iter().map(|q| q.trim().to_string()).collect(),
        (None, Some(pr)) => choose_questions(pr, &bank, None)?,
        (None, None) => bank.questions.iter().map(|q| q.id.clone()).collect(),
    };
    let (pol, policy_yaml, policy_source) = match &a.policy {
        Some(path) => {
            let (pol, src) = policy::load_file(path)?;
            (pol, src, path.display().to_string())
        }
        None => (
            policy::Policy::default(),
            policy::DEFAULT_YAML.to_string(),
            "built-in".to_string(),
        ),
    };
    let mut store = ctx.store()?;
    ctx.authenticate(&mut store, None)?;
    let findings = store.write(|tx| {
        crate::actions::vacancy::create(
            tx,
            &crate::actions::vacancy::NewVacancy {
                id: &id,
                title: &title,
                band: band.as_deref(),
                service: service.as_deref(),
                bank: &bank,
                bank_yaml: &yaml,
                questions: &questions,
                policy: &pol,
                policy_source: &policy_source,
                policy_yaml: &policy_yaml,
                coverage_override: a.override_coverage.as_deref(),
            },
        )
    })?;
    writeln!(
        ctx.out,
        "Created vacancy {id}: {title} ({} questions from {} v{}; policy: {policy_source})",
        questions.len(),
        bank.id,
        bank.version
    )?;
    // Coverage is shown at creation so a missing category is seen while it is cheap to fix.
    for f in findings {
        writeln!(ctx.out, "{}: {}", f.severity.as_str(), f.message)?;
    }
    Ok(())
}

/// Choose a plan's questions from a list, diversity questions marked; `current` is preselected.
fn choose_questions(
    p: &mut dyn Prompter,
    bank: &bank::Bank,
    current: Option<&[String]>,
) -> Result<Vec<String>> {
    let options: Vec<String> = bank
        .questions
        .iter()
        .map(|q| {
            let mark = if q.category == bank::DIVERSITY {
                "◆ diversity · "
            } else {
                ""
            };
            format!("{mark}{} [{}] {}", q.id, q.category, q.text)
        })
        .collect();
    let defaults: Vec<usize> = match current {
        Some(cur) => (0..bank.questions.len())
            .filter(|&i| cur.contains(&bank.questions[i].id))
            .collect(),
        None => (0..bank.questions.len()).collect(),
    };
    let chosen = p.multi_select(
        "Questions for this interview (space to toggle, type to filter; ◆ marks questions on attitudes to diversity)",
        &options,
        &defaults,
    )?;
    Ok(chosen
        .into_iter()
        .map(|i| bank.questions[i].id.clone())
        .collect())
}
