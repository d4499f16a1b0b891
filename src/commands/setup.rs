//! init, verify, log, backup, ethnicity.

use super::Ctx;
use crate::cli::Format;
use crate::output::{emit, table};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::Path;

pub fn init(ctx: &mut Ctx, format: Format) -> Result<()> {
    let store = ctx.store()?;
    #[derive(Serialize)]
    struct View {
        database: String,
        schema_version: i64,
    }
    let v = View {
        database: store.path().display().to_string(),
        schema_version: crate::store::SCHEMA_VERSION,
    };
    emit(&mut ctx.out, format, &v, |v| {
        format!(
            "Database ready: {} (schema {})",
            v.database, v.schema_version
        )
    })
}

pub fn verify(ctx: &mut Ctx, format: Format) -> Result<()> {
    let store = ctx.store()?;
    let r = store.verify()?;
    emit(&mut ctx.out, format, &r, |r| {
        match &r.problem {
        None => format!(
            "Event log verified: {} events in an unbroken hash chain; {} records match their events.",
            r.events, r.records_checked
        ),
        Some(p) => format!("Verification FAILED at {} row {}: {}", p.table, p.row, p.reason),
    }
    })?;
    if let Some(p) = r.problem {
        bail!("verification failed at {} row {}", p.table, p.row);
    }
    Ok(())
}

pub fn log(ctx: &mut Ctx, limit: Option<usize>, format: Format) -> Result<()> {
    let store = ctx.store()?;
    let events = store.events(limit)?;
    emit(&mut ctx.out, format, &events, |ev| {
        let rows: Vec<Vec<String>> = ev
            .iter()
            .map(|e| {
                vec![
                    e.seq.to_string(),
                    e.at.clone(),
                    e.actor.clone(),
                    e.action.clone(),
                    e.entity.clone(),
                ]
            })
            .collect();
        table(&["seq", "at", "who", "action", "what"], &rows)
    })
}

pub fn backup(ctx: &mut Ctx, file: &Path) -> Result<()> {
    let store = ctx.store()?;
    store.backup(file)?;
    writeln!(
        ctx.out,
        "Backed up {} to {}",
        store.path().display(),
        file.display()
    )?;
    Ok(())
}

use std::io::Write;

pub fn ethnicity(ctx: &mut Ctx, format: Format) -> Result<()> {
    #[derive(Serialize)]
    struct Row<'a> {
        standard: &'a str,
        input: &'a str,
        nhs_code: &'a str,
        category: &'a str,
        group: &'a str,
        note: Option<&'a str>,
    }
    let rows: Vec<Row<'_>> = crate::ethnicity::table()
        .map(|(standard, input, c)| Row {
            standard,
            input,
            nhs_code: &c.nhs_code,
            category: &c.category,
            group: c.group.key(),
            note: c.note.as_deref(),
        })
        .collect();
    emit(&mut ctx.out, format, &rows, |rows| {
        let t: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.standard.to_uppercase(),
                    r.input.to_string(),
                    r.nhs_code.to_string(),
                    r.group.to_string(),
                    r.note.unwrap_or("").to_string(),
                ]
            })
            .collect();
        format!(
            "{}\nSources: ONS Census 2021 (England and Wales) ethnic group classification; NHS Data Dictionary, ETHNIC CATEGORY.\n",
            table(&["standard", "input", "NHS code", "group", "note"], &t)
        )
    })
}
