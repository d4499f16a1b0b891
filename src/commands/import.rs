//! import scores FILE.csv: paper score sheets, all or nothing.

use super::Ctx;
use crate::cli::{Format, ImportCmd};
use crate::csvio;
use crate::interview::check_answer;
use crate::model::STAGES;
use crate::output::emit;
use crate::store::Tx;
use anyhow::{bail, Result};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub fn run(ctx: &mut Ctx, cmd: ImportCmd) -> Result<()> {
    match cmd {
        ImportCmd::Scores {
            file,
            reason,
            format,
        } => scores(ctx, &file, &reason, format.format),
        ImportCmd::Applications { file, format } => applications(ctx, &file, format.format),
    }
}

/// A CSV problem, located as `FILE: row N, column 'C': message` (row = line in the file; header is row 1).
pub struct CsvProblem {
    pub row: u64,
    pub column: Option<String>,
    pub message: String,
}

pub fn report_problems(file: &Path, problems: &[CsvProblem]) -> anyhow::Error {
    let shown: Vec<String> = problems
        .iter()
        .take(20)
        .map(|p| match &p.column {
            Some(c) => format!(
                "{}: row {}, column '{c}': {}",
                file.display(),
                p.row,
                p.message
            ),
            None => format!("{}: row {}: {}", file.display(), p.row, p.message),
        })
        .collect();
    let more = problems.len().saturating_sub(20);
    anyhow::anyhow!(
        "{}{}\nnothing was imported",
        shown.join("\n"),
        if more > 0 {
            format!("\n… and {more} more problem(s)")
        } else {
            String::new()
        }
    )
}

/// Read a CSV with required columns; returns (row number, column → value) per data row. A file with
/// a problem imports nothing, and the error says so.
pub fn read_csv(
    file: &Path,
    required: &[&str],
    optional: &[&str],
) -> Result<Vec<(u64, HashMap<String, String>)>> {
    let nothing = |e: anyhow::Error| anyhow::anyhow!("{e:#}\nnothing was imported");
    let table = csvio::read(file).map_err(nothing)?;
    table.unique_headers().map_err(nothing)?;
    let found: Vec<String> = table.headers.iter().map(|h| h.to_lowercase()).collect();
    let expected = required
        .iter()
        .chain(optional)
        .copied()
        .collect::<Vec<_>>()
        .join(",");
    let missing: Vec<String> = required
        .iter()
        .filter(|r| !found.iter().any(|f| f == *r))
        .map(|m| format!("'{m}'"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{}: row 1: missing column{} {} (found: {}; expected: {expected})\nnothing was imported",
            table.label,
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            found.join(","),
        );
    }
    if let Some(extra) = found
        .iter()
        .find(|f| !required.contains(&f.as_str()) && !optional.contains(&f.as_str()))
    {
        bail!(
            "{}: row 1: unexpected column '{extra}' (expected: {expected})\nnothing was imported",
            table.label
        );
    }
    let table = table.require_rows().map_err(nothing)?;
    Ok(table
        .rows
        .into_iter()
        .map(|(line, rec)| {
            (
                line,
                found
                    .iter()
                    .cloned()
                    .zip(rec.iter().map(str::to_string))
                    .collect(),
            )
        })
        .collect())
}

#[derive(Serialize)]
struct Imported {
    sheets: usize,
    answers: usize,
}

/// Columns of a score import; `export scores` writes the same ones, then the agreed score and reason.
pub const SCORE_COLUMNS: [&str; 6] = [
    "vacancy",
    "candidate",
    "panellist",
    "question",
    "score",
    "evidence",
];

fn scores(ctx: &mut Ctx, file: &Path, reason: &str, format: Format) -> Result<()> {
    let rows = read_csv(file, &SCORE_COLUMNS, &[])?;
    crate::model::check_text(reason, "the reason")?;
    let mut store = ctx.store()?;
    ctx.authenticate(&mut store, None)?;
    let answers = rows.len();
    // Checked inside the write transaction, so no panellist can start a sheet between the check and
    // the import.
    let sheets = store.write(|tx| {
        let plan = validate_scores(tx, &rows).map_err(|p| report_problems(file, &p))?;
        for ((vacancy, candidate, panellist), answers) in &plan {
            for (q, score, evidence) in answers {
                crate::actions::scoring::answer(
                    tx,
                    crate::actions::scoring::Given {
                        vacancy,
                        reference: candidate,
                        panellist,
                        question: q,
                        score: *score,
                        evidence,
                        correction: None,
                        transcribed: Some(reason),
                    },
                )?;
            }
            crate::actions::scoring::submit(tx, vacancy, candidate, panellist, Some(reason))?;
        }
        Ok(plan.len())
    })?;
    let v = Imported { sheets, answers };
    emit(&mut ctx.out, format, &v, |v| {
        format!(
            "Imported and submitted {} score sheet(s) ({} answers) from {}, recorded as transcribed from paper.",
            v.sheets,
            v.answers,
            file.display()
        )
    })
}

type SheetKey = (String, String, String);
type Plan = BTreeMap<SheetKey, Vec<(String, i64, String)>>;

/// Check every row against the record; all problems are collected so one pass fixes the file.
fn validate_scores(
    tx: &mut Tx<'_>,
    rows: &[(u64, HashMap<String, String>)],
) -> Result<Plan, Vec<CsvProblem>> {
    let mut problems = Vec::new();
    let mut plan: Plan = BTreeMap::new();
    let mut first_row: HashMap<SheetKey, u64> = HashMap::new();
    let mut seen: HashMap<(SheetKey, String), u64> = HashMap::new();
    let mut vacancies: HashMap<String, Option<crate::record::vacancy::VacancyState>> =
        HashMap::new();
    let bad = |row: u64, col: &str, message: String| CsvProblem {
        row,
        column: Some(col.into()),
        message,
    };
    for (row, r) in rows {
        let row = *row;
        let g = |c: &str| r.get(c).cloned().unwrap_or_default();
        let (vac, cand, pan, q, score_s, ev) = (
            g("vacancy"),
            g("candidate"),
            g("panellist"),
            g("question"),
            g("score"),
            g("evidence"),
        );
        if !vacancies.contains_key(&vac) {
            let st = match tx.has_vacancy(&vac) {
                Ok(true) => tx.vacancy(&vac).ok().cloned(),
                _ => None,
            };
            vacancies.insert(vac.clone(), st);
        }
        let Some(v) = vacancies[&vac].as_ref() else {
            problems.push(bad(row, "vacancy", format!("no vacancy {vac:?}")));
            continue;
        };
        if v.candidate(&cand).is_none_or(|c| !c.interview) {
            problems.push(bad(
                row,
                "candidate",
                format!("vacancy {vac} has no candidate {cand:?}"),
            ));
            continue;
        }
        let person = match tx.person_named(&pan) {
            Ok(Some(p)) if v.member(p.id).is_some_and(|m| m.active()) => p.id,
            _ => {
                problems.push(bad(
                    row,
                    "panellist",
                    format!("vacancy {vac} has no panellist {pan:?}"),
                ));
                continue;
            }
        };
        if let Some(s) = v.sheet(&cand, person) {
            problems.push(bad(
                row,
                "panellist",
                format!(
                    "{pan} already has a {} sheet for {cand} in the database",
                    if s.submitted.is_some() {
                        "submitted"
                    } else {
                        "started"
                    }
                ),
            ));
            continue;
        }
        if v.is_revealed(&cand) {
            problems.push(bad(
                row,
                "candidate",
                format!("{cand} is already revealed: scoring is closed"),
            ));
            continue;
        }
        let score: i64 = match score_s.parse() {
            Ok(s) => s,
            Err(_) => {
                problems.push(bad(
                    row,
                    "score",
                    format!("{score_s:?} is not a whole number"),
                ));
                continue;
            }
        };
        if let Err(e) = check_answer(&v.bank, &v.questions, &q, score, &ev)
            .and_then(|_| crate::model::check_text(&ev, "the evidence note"))
        {
            let col = if !v.questions.contains(&q) {
                "question"
            } else if !v.bank.scale.contains(score) {
                "score"
            } else {
                "evidence"
            };
            problems.push(bad(row, col, e.to_string()));
            continue;
        }
        let key = (vac.clone(), cand.clone(), pan.clone());
        if let Some(prev) = seen.insert((key.clone(), q.clone()), row) {
            problems.push(bad(
                row,
                "question",
                format!("duplicate: {pan}'s score for {cand} on {q} is already on row {prev}"),
            ));
            continue;
        }
        first_row.entry(key.clone()).or_insert(row);
        plan.entry(key).or_default().push((q, score, ev));
    }
    for (key, answers) in &plan {
        let v = vacancies[&key.0].as_ref().expect("validated vacancy");
        let missing: Vec<&str> = v
            .questions
            .iter()
            .filter(|q| !answers.iter().any(|a| &a.0 == *q))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            problems.push(CsvProblem {
                row: first_row[key],
                column: None,
                message: format!(
                    "{}'s sheet for {} is incomplete: no score for {} (imported sheets are submitted, so they must be complete)",
                    key.2,
                    key.1,
                    missing.join(", ")
                ),
            });
        }
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        problems.sort_by_key(|p| p.row);
        Err(problems)
    }
}

fn parse_internal(s: &str) -> Option<Option<bool>> {
    match s.to_lowercase().as_str() {
        "" => Some(None),
        "yes" | "y" | "true" | "1" | "internal" => Some(Some(true)),
        "no" | "n" | "false" | "0" | "external" => Some(Some(false)),
        _ => None,
    }
}

#[derive(Serialize)]
struct ImportedApplications {
    records: usize,
    vacancies: usize,
}

fn applications(ctx: &mut Ctx, file: &Path, format: Format) -> Result<()> {
    let rows = read_csv(
        file,
        &["vacancy", "candidate", "stage", "ethnicity"],
        &["gender", "disability", "internal"],
    )?;
    let mut store = ctx.store()?;
    ctx.authenticate(&mut store, None)?;
    let known = store.vacancy_ids()?;
    let mut problems = Vec::new();
    let mut records = Vec::with_capacity(rows.len());
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let bad = |row: u64, col: &str, message: String| CsvProblem {
        row,
        column: Some(col.into()),
        message,
    };
    for (row, r) in rows {
        let g = |c: &str| r.get(c).cloned().unwrap_or_default();
        let (vacancy, candidate, stage) = (g("vacancy"), g("candidate"), g("stage").to_lowercase());
        if !known.contains(&vacancy) {
            problems.push(bad(
                row,
                "vacancy",
                format!("no vacancy {vacancy:?} (create it first with `fairpanel vacancy create`)"),
            ));
            continue;
        }
        if let Err(e) = crate::model::check_ident(&candidate, "the candidate ref") {
            problems.push(bad(row, "candidate", e.to_string()));
            continue;
        }
        if !STAGES.contains(&stage.as_str()) {
            problems.push(bad(
                row,
                "stage",
                format!(
                    "unknown stage {stage:?} (use the furthest reached: {})",
                    STAGES.join(", ")
                ),
            ));
            continue;
        }
        let ethnicity = match crate::ethnicity::parse(&g("ethnicity")) {
            Ok(c) => c.nhs_code,
            Err(m) => {
                problems.push(bad(row, "ethnicity", m));
                continue;
            }
        };
        let Some(internal) = parse_internal(&g("internal")) else {
            problems.push(bad(
                row,
                "internal",
                format!("{:?} is not yes or no", g("internal")),
            ));
            continue;
        };
        if let Some(prev) = seen.insert((vacancy.clone(), candidate.clone()), row) {
            problems.push(bad(
                row,
                "candidate",
                format!("duplicate: {candidate} for {vacancy} is already on row {prev}"),
            ));
            continue;
        }
        let mut labels_ok = true;
        for col in ["gender", "disability"] {
            let v = g(col);
            if let Err(e) = Some(&v).filter(|v| !v.is_empty()).map_or(Ok(()), |v| {
                crate::model::check_name(v, &format!("the {col}"))
            }) {
                problems.push(bad(row, col, e.to_string()));
                labels_ok = false;
            }
        }
        if !labels_ok {
            continue;
        }
        let opt = |s: String| Some(s).filter(|s| !s.is_empty());
        records.push(crate::actions::candidates::Application {
            vacancy,
            candidate,
            stage,
            ethnicity,
            gender: opt(g("gender")),
            disability: opt(g("disability")),
            internal,
        });
    }
    if !problems.is_empty() {
        return Err(report_problems(file, &problems));
    }
    // Drawn on standard error only when it is a terminal.
    let bar = indicatif::ProgressBar::new(records.len() as u64);
    let n = store.write(|tx| {
        crate::actions::candidates::import_applications(tx, &records, &|k| bar.inc(k))
    })?;
    bar.finish_and_clear();
    let vacancies = records
        .iter()
        .map(|r| r.vacancy.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    let v = ImportedApplications {
        records: n,
        vacancies,
    };
    emit(&mut ctx.out, format, &v, |v| {
        format!(
            "Imported {} application record(s) for {} vacancy(ies) from {}.",
            v.records,
            v.vacancies,
            file.display()
        )
    })
}
