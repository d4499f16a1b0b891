//! candidate add | list

use super::Ctx;
use crate::cli::CandidateCmd;
use crate::interview::{optional, required};
use crate::output::{emit, table};
use anyhow::{bail, Result};
use serde::Serialize;
use std::io::Write;

pub fn run(ctx: &mut Ctx, cmd: CandidateCmd) -> Result<()> {
    match cmd {
        CandidateCmd::Add {
            vacancy,
            reference,
            name,
        } => {
            let mut term = ctx.prompter();
            let reference = required(
                reference,
                "--ref",
                &mut term,
                "Candidate reference",
                Some("opaque, e.g. C-014"),
            )?;
            if reference.trim().is_empty() || reference.contains(char::is_whitespace) {
                bail!("candidate ref {reference:?} must be non-empty with no spaces");
            }
            let name = optional(
                name,
                &mut term,
                "Name (optional; reports use the ref)",
                None,
            )?;
            let mut store = ctx.store()?;
            store.write(|tx| tx.add_candidate(&vacancy, &reference, name.as_deref()))?;
            writeln!(ctx.out, "Added candidate {reference} to {vacancy}.")?;
            Ok(())
        }
        CandidateCmd::Export {
            vacancy,
            candidate,
            output,
        } => {
            let store = ctx.store()?;
            let sar = store.subject_access(&vacancy, &candidate)?;
            let text = serde_json::to_string_pretty(&sar)? + "\n";
            match output {
                Some(p) => {
                    crate::commands::write_private(&p, text.as_bytes())?;
                    writeln!(
                        ctx.out,
                        "Wrote everything held about {candidate} to {}",
                        p.display()
                    )?;
                }
                None => ctx.out.write_all(text.as_bytes())?,
            }
            Ok(())
        }
        CandidateCmd::EraseMonitoring {
            vacancy,
            candidate,
            yes,
        } => {
            if !yes {
                match ctx.prompter() {
                    Some(mut p) => {
                        if !p.confirm(&format!("Erase {candidate}'s monitoring data for {vacancy}? This cannot be undone"), false)? {
                            bail!("nothing erased");
                        }
                    }
                    None => return Err(crate::Usage("erasing without a terminal needs --yes".into()).into()),
                }
            }
            let mut store = ctx.store()?;
            let erased = store.write(|tx| tx.erase_monitoring(&vacancy, &candidate))?;
            writeln!(
                ctx.out,
                "{}",
                if erased {
                    format!("Erased {candidate}'s monitoring data; the event log records the erasure, not the values.")
                } else {
                    format!("{candidate} had no monitoring data; the request is logged.")
                }
            )?;
            Ok(())
        }
        CandidateCmd::List { vacancy, format } => {
            let store = ctx.store()?;
            let panel = store.panellists(&vacancy)?;
            let sheets = store.sheets(&vacancy)?;
            #[derive(Serialize)]
            struct Row {
                reference: String,
                name: Option<String>,
                sheets_submitted: usize,
                panellists: usize,
            }
            let rows: Vec<Row> = store
                .candidates(&vacancy)?
                .into_iter()
                .map(|c| Row {
                    sheets_submitted: sheets
                        .iter()
                        .filter(|s| s.candidate == c.reference && s.is_submitted())
                        .count(),
                    panellists: panel.len(),
                    reference: c.reference,
                    name: c.name,
                })
                .collect();
            emit(&mut ctx.out, format.format, &rows, |rows| {
                let t: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.reference.clone(),
                            r.name.clone().unwrap_or_default(),
                            format!("{}/{}", r.sheets_submitted, r.panellists),
                        ]
                    })
                    .collect();
                table(&["ref", "name", "sheets submitted"], &t)
            })
        }
    }
}
