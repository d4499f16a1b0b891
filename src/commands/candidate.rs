//! candidate add | list | withdraw | export | erase-monitoring | erase

use super::Ctx;
use crate::actions::candidates as act;
use crate::cli::CandidateCmd;
use crate::interview::{optional, required};
use crate::output::{emit, table};
use crate::record::fact::Erasure;
use anyhow::{bail, Result};
use serde::Serialize;
use std::io::Write;

fn confirm(ctx: &Ctx, yes: bool, question: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    match ctx.prompter() {
        Some(mut p) => {
            if !p.confirm(question, false)? {
                bail!("nothing erased");
            }
            Ok(())
        }
        None => Err(crate::Usage("erasing without a terminal needs --yes".into()).into()),
    }
}

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
            let name = optional(
                name,
                &mut term,
                "Name (optional; reports use the ref)",
                None,
            )?;
            let mut store = ctx.store()?;
            ctx.authenticate(&mut store, None)?;
            store.write(|tx| act::add(tx, &vacancy, &reference, name.as_deref()))?;
            writeln!(ctx.out, "Added candidate {reference} to {vacancy}.")?;
            Ok(())
        }
        CandidateCmd::Withdraw {
            vacancy,
            candidate,
            reason,
        } => {
            let mut store = ctx.store()?;
            ctx.authenticate(&mut store, None)?;
            store.write(|tx| act::withdraw(tx, &vacancy, &candidate, &reason))?;
            writeln!(
                ctx.out,
                "Recorded that {candidate} withdrew from {vacancy}."
            )?;
            Ok(())
        }
        CandidateCmd::Export {
            vacancy,
            candidate,
            output,
        } => {
            // Before the export is recorded: a refused file must not leave a recorded export.
            if let Some(p) = &output {
                ctx.check_output(p)?;
            }
            let mut store = ctx.store()?;
            ctx.authenticate(&mut store, None)?;
            let sar = store.write(|tx| act::subject_access(tx, &vacancy, &candidate))?;
            let receipt = store.tail()?.receipt.to_string();
            #[derive(Serialize)]
            struct Out<'a> {
                #[serde(flatten)]
                sar: &'a act::SubjectAccess,
                receipt: String,
            }
            let text = serde_json::to_string_pretty(&Out { sar: &sar, receipt })? + "\n";
            match output {
                Some(p) => {
                    ctx.write_private(&p, text.as_bytes())?;
                    writeln!(
                        ctx.out,
                        "Wrote everything held about {candidate} to {}{}; the export is on the record.",
                        p.display(),
                        if sar.sealed_note.is_some() {
                            " (it includes score sheets still sealed from the panel)"
                        } else {
                            ""
                        }
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
        } => erase(ctx, &vacancy, &candidate, yes, Erasure::Monitoring),
        CandidateCmd::Erase {
            vacancy,
            candidate,
            yes,
        } => erase(ctx, &vacancy, &candidate, yes, Erasure::All),
        CandidateCmd::List { vacancy, format } => {
            let store = ctx.store()?;
            let l = store.vacancy(&vacancy)?;
            let view = crate::report::text::VacancyView::build(&l);
            let active = l.state.active_panel().count();
            #[derive(Serialize)]
            struct Row {
                reference: String,
                sheets_submitted: usize,
                panellists: usize,
                revealed: bool,
                withdrawn: bool,
            }
            let rows: Vec<Row> = view
                .candidates
                .into_iter()
                .map(|c| Row {
                    sheets_submitted: c.submitted.len(),
                    panellists: active,
                    revealed: c.revealed,
                    withdrawn: c.withdrawn,
                    reference: c.reference,
                })
                .collect();
            emit(&mut ctx.out, format.format, &rows, |rows| {
                let t: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.reference.clone(),
                            format!("{}/{}", r.sheets_submitted, r.panellists),
                            if r.withdrawn {
                                "withdrawn"
                            } else if r.revealed {
                                "revealed"
                            } else {
                                "sealed"
                            }
                            .into(),
                        ]
                    })
                    .collect();
                table(&["ref", "sheets submitted", "status"], &t)
            })
        }
    }
}

fn erase(ctx: &mut Ctx, vacancy: &str, candidate: &str, yes: bool, what: Erasure) -> Result<()> {
    let q = match what {
        Erasure::Monitoring => format!("Erase {candidate}'s monitoring data for {vacancy}? This cannot be undone"),
        Erasure::All => format!(
            "Erase everything personal about {candidate} ({vacancy}): name, monitoring data and evidence notes? \
             This cannot be undone"
        ),
    };
    confirm(ctx, yes, &q)?;
    let mut store = ctx.store()?;
    ctx.authenticate(&mut store, None)?;
    let erased = store.write(|tx| act::erase(tx, vacancy, candidate, what))?;
    // Fold the write-ahead log back and compact, so the destroyed keys do not linger on disk.
    store.compact()?;
    writeln!(
        ctx.out,
        "{}",
        match (erased, what) {
            (true, Erasure::Monitoring) => format!(
                "Erased {candidate}'s monitoring data: its key was destroyed and the file compacted; the record \
                 keeps that it was erased, not what it was. Older backups still hold it (see the README)."
            ),
            (true, Erasure::All) => format!(
                "Erased everything personal about {candidate}: name, monitoring data and evidence notes. Scores, \
                 agreed scores and the decision stay under the ref. Older backups still hold it (see the README)."
            ),
            (false, _) => format!("{candidate} had nothing left to erase; the request is on the record."),
        }
    )?;
    Ok(())
}
