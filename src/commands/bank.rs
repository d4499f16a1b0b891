//! bank list | show | validate

use super::Ctx;
use crate::bank::{self, Bank};
use crate::cli::BankCmd;
use crate::interview::question_guide;
use crate::output::{emit, table};
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
        BankCmd::Show { bank: spec, format } => {
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
