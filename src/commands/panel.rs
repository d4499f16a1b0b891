//! panel add | list | conflict | ethnicity

use super::Ctx;
use crate::cli::{PanelAdd, PanelCmd};
use crate::ethnicity;
use crate::interview::{optional, required};
use crate::model::Role;
use crate::output::{emit, table};
use anyhow::{bail, Result};
use serde::Serialize;
use std::io::Write;

pub fn run(ctx: &mut Ctx, cmd: PanelCmd) -> Result<()> {
    match cmd {
        PanelCmd::Add(a) => add(ctx, a),
        PanelCmd::List { vacancy, format } => {
            let store = ctx.store()?;
            store.vacancy(&vacancy)?;
            #[derive(Serialize)]
            struct Row {
                name: String,
                role: Role,
                trained_on: Option<String>,
                ethnicity_declared: bool,
                conflicts: Vec<String>,
            }
            let rows: Vec<Row> = store
                .panellists(&vacancy)?
                .into_iter()
                .map(|p| Row {
                    ethnicity_declared: p.ethnicity.is_some(),
                    conflicts: p.conflicts.iter().map(|c| c.candidate.clone()).collect(),
                    name: p.name,
                    role: p.role,
                    trained_on: p.trained_on,
                })
                .collect();
            emit(&mut ctx.out, format.format, &rows, |rows| {
                let t: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.name.clone(),
                            r.role.to_string(),
                            r.trained_on.clone().unwrap_or_else(|| "—".into()),
                            if r.ethnicity_declared {
                                "declared"
                            } else {
                                "not stated"
                            }
                            .into(),
                            r.conflicts.join(", "),
                        ]
                    })
                    .collect();
                table(&["name", "role", "trained", "ethnicity", "conflicts"], &t)
            })
        }
        PanelCmd::Check { vacancy, format } => {
            super::review::panel_check(ctx, &vacancy, format.format)
        }
        PanelCmd::Conflict {
            vacancy,
            panellist,
            candidate,
            note,
        } => {
            let mut store = ctx.store()?;
            store.write(|tx| tx.add_conflict(&vacancy, &panellist, &candidate, &note))?;
            writeln!(
                ctx.out,
                "Recorded {panellist}'s conflict of interest with {candidate}."
            )?;
            Ok(())
        }
        PanelCmd::Ethnicity {
            vacancy,
            name,
            ethnicity: e,
            withdraw,
        } => {
            let code = match (e, withdraw) {
                (Some(e), false) => Some(parse_ethnicity(&e)?),
                _ => None,
            };
            let mut store = ctx.store()?;
            store.write(|tx| tx.set_panellist_ethnicity(&vacancy, &name, code.as_deref()))?;
            writeln!(
                ctx.out,
                "{}",
                if code.is_some() {
                    format!("Updated {name}'s self-declared ethnicity.")
                } else {
                    format!("Withdrew {name}'s ethnicity declaration.")
                }
            )?;
            Ok(())
        }
    }
}

/// A panellist's declaration: stored as the NHS code; "not asked" is stored as no declaration.
fn parse_ethnicity(input: &str) -> Result<String> {
    let c = ethnicity::parse(input).map_err(crate::Usage)?;
    Ok(c.nhs_code)
}

fn valid_date(s: &str) -> bool {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, f).is_ok()
}

fn add(ctx: &mut Ctx, a: PanelAdd) -> Result<()> {
    let mut term = ctx.prompter();
    let name = required(a.name, "--name", &mut term, "Panellist name", None)?;
    let role = match (a.role, term.as_deref_mut()) {
        (Some(r), _) => r,
        (None, Some(pr)) => {
            let options = vec!["member".to_string(), "chair".into(), "independent".into()];
            Role::parse(&options[pr.select("Role on the panel", &options, None)?])
                .expect("listed role")
        }
        (None, None) => Role::Member,
    };
    let eth = optional(
        a.ethnicity,
        &mut term,
        "Ethnicity, self-declared and optional (NHS code or ONS 2021 label; blank to skip)",
        Some("used only to check the panel includes an ethnic-minority member; you can withdraw it later"),
    )?;
    let code = eth.map(|e| parse_ethnicity(&e)).transpose()?;
    let trained = optional(
        a.trained,
        &mut term,
        "Date of fair-recruitment training, YYYY-MM-DD (blank if none)",
        None,
    )?;
    if let Some(t) = &trained {
        if !valid_date(t) {
            bail!("training date {t:?} is not a date in the form YYYY-MM-DD");
        }
    }
    let mut store = ctx.store()?;
    store.write(|tx| {
        tx.add_panellist(&a.vacancy, &name, role, code.as_deref(), trained.as_deref())
    })?;
    writeln!(
        ctx.out,
        "Added {name} ({role}) to the panel for {}.",
        a.vacancy
    )?;
    Ok(())
}
