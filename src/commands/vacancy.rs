//! vacancy create | list | show

use super::Ctx;
use crate::bank;
use crate::cli::{VacancyCmd, VacancyCreate};
use crate::interview::{optional, required, Prompter};
use crate::output::{emit, table};
use crate::policy;
use anyhow::{bail, Result};
use std::io::Write;

pub fn run(ctx: &mut Ctx, cmd: VacancyCmd) -> Result<()> {
    match cmd {
        VacancyCmd::Create(a) => create(ctx, a),
        VacancyCmd::List(f) => {
            let store = ctx.store()?;
            let vs = store.vacancies()?;
            emit(&mut ctx.out, f.format, &vs, |vs| {
                if vs.is_empty() {
                    return "No vacancies yet. Create one with `fairpanel vacancy create`.".into();
                }
                let rows: Vec<Vec<String>> = vs
                    .iter()
                    .map(|v| {
                        vec![
                            v.id.clone(),
                            v.title.clone(),
                            v.band.clone().unwrap_or_default(),
                            v.service.clone().unwrap_or_default(),
                            format!("{} v{}", v.bank_id, v.bank_version),
                            v.questions.len().to_string(),
                        ]
                    })
                    .collect();
                table(
                    &["id", "title", "band", "service", "bank", "questions"],
                    &rows,
                )
            })
        }
        VacancyCmd::Show { id, format } => {
            let store = ctx.store()?;
            let view = crate::report::text::VacancyView::load(&store, &id)?;
            emit(
                &mut ctx.out,
                format.format,
                &view,
                crate::report::text::vacancy,
            )
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
    if id.trim().is_empty() || id.contains(char::is_whitespace) {
        bail!("vacancy id {id:?} must be non-empty with no spaces");
    }
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
        (None, Some(pr)) => {
            let options: Vec<String> = bank
                .questions
                .iter()
                .map(|q| format!("{} [{}] {}", q.id, q.category, q.text))
                .collect();
            let chosen = inquire_multiselect(pr, &options)?;
            chosen
                .into_iter()
                .map(|i| bank.questions[i].id.clone())
                .collect()
        }
        (None, None) => bank.questions.iter().map(|q| q.id.clone()).collect(),
    };
    for q in &questions {
        if bank.question(q).is_none() {
            bail!(
                "bank {} has no question {q:?} (see `fairpanel bank show {}`)",
                bank.id,
                bank.id
            );
        }
    }
    if questions.is_empty() {
        bail!("choose at least one question");
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(d) = questions.iter().find(|q| !seen.insert(*q)) {
        bail!("question {d:?} is listed twice");
    }
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
    store.write(|tx| {
        tx.create_vacancy(&crate::store::NewVacancy {
            id: &id,
            title: &title,
            band: band.as_deref(),
            service: service.as_deref(),
            bank: &bank,
            bank_yaml: &yaml,
            questions: &questions,
            policy_source: &policy_source,
            policy_yaml: &policy_yaml,
        })
    })?;
    writeln!(
        ctx.out,
        "Created vacancy {id}: {title} ({} questions from {} v{}; policy: {policy_source})",
        questions.len(),
        bank.id,
        bank.version
    )?;
    // Coverage is checked at creation so a missing category is seen while it is cheap to fix.
    let v = store.vacancy(&id)?;
    for f in crate::checks::coverage::check(&bank, &v.questions, &pol) {
        writeln!(ctx.out, "{}: {}", f.severity.as_str(), f.message)?;
    }
    Ok(())
}

/// Pick several questions: each is offered in turn (keeps the seam to select/confirm only).
fn inquire_multiselect(p: &mut dyn Prompter, options: &[String]) -> Result<Vec<usize>> {
    let all = p.confirm("Use every question in the bank, in bank order?", true)?;
    if all {
        return Ok((0..options.len()).collect());
    }
    let mut chosen = Vec::new();
    for (i, o) in options.iter().enumerate() {
        if p.confirm(&format!("Include {o}?"), true)? {
            chosen.push(i);
        }
    }
    Ok(chosen)
}
