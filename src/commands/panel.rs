//! panel add | list | check | conflict | stand-down | rename | ethnicity

use super::Ctx;
use crate::actions::panel as act;
use crate::cli::{Format, PanelAdd, PanelCmd};
use crate::ethnicity;
use crate::interview::{optional, required};
use crate::model::Role;
use crate::output::{emit, table};
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

pub fn run(ctx: &mut Ctx, cmd: PanelCmd) -> Result<()> {
    match cmd {
        PanelCmd::Add(a) => add(ctx, a),
        PanelCmd::List { vacancy, format } => {
            let store = ctx.store()?;
            let l = store.vacancy(&vacancy)?;
            #[derive(Serialize)]
            struct Row {
                name: String,
                role: Role,
                trained_on: Option<String>,
                ethnicity_declared: bool,
                has_passphrase: bool,
                stood_down: Option<String>,
                conflicts: Vec<String>,
            }
            let rows: Vec<Row> = l
                .state
                .panel
                .iter()
                .map(|m| {
                    let p = l.people.get(m.person);
                    Row {
                        name: p.map_or_else(String::new, |p| p.name.clone()),
                        role: m.role,
                        trained_on: m.trained_on.clone(),
                        ethnicity_declared: m.ethnicity.is_some(),
                        has_passphrase: p.is_some_and(|p| p.credential.is_some()),
                        stood_down: m.stood_down.as_ref().map(|(_, r)| r.clone()),
                        conflicts: m.conflicts.iter().map(|c| c.0.clone()).collect(),
                    }
                })
                .collect();
            emit(&mut ctx.out, format.format, &rows, |rows| {
                let t: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            crate::model::display_safe(&r.name).into_owned(),
                            match &r.stood_down {
                                Some(_) => format!("{} (stood down)", r.role),
                                None => r.role.to_string(),
                            },
                            r.trained_on.clone().unwrap_or_else(|| "—".into()),
                            if r.ethnicity_declared {
                                "declared"
                            } else {
                                "not stated"
                            }
                            .into(),
                            if r.has_passphrase { "set" } else { "invited" }.into(),
                            r.conflicts.join(", "),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "name",
                        "role",
                        "trained",
                        "ethnicity",
                        "passphrase",
                        "conflicts",
                    ],
                    &t,
                )
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
            ctx.authenticate(&mut store, None)?;
            store.write(|tx| act::conflict(tx, &vacancy, &panellist, &candidate, &note))?;
            writeln!(
                ctx.out,
                "Recorded {panellist}'s conflict of interest with {candidate}."
            )?;
            Ok(())
        }
        PanelCmd::StandDown {
            vacancy,
            name,
            reason,
        } => {
            let mut store = ctx.store()?;
            ctx.authenticate(&mut store, None)?;
            let out = store.write(|tx| act::stand_down(tx, &vacancy, &name, &reason))?;
            writeln!(ctx.out, "{name} stood down from the panel for {vacancy}.")?;
            if !out.withdrawn.is_empty() {
                writeln!(
                    ctx.out,
                    "Their sheets for {} were withdrawn (kept on the record, not counted).",
                    out.withdrawn.join(", ")
                )?;
            }
            if !out.revealed.is_empty() {
                writeln!(
                    ctx.out,
                    "Every remaining sheet was in for {}: now revealed.",
                    out.revealed.join(", ")
                )?;
            }
            // The composition is checked again at once.
            let l = store.vacancy(&vacancy)?;
            let report = crate::report::decision::from_loaded(&l)?;
            for f in &report.composition {
                writeln!(ctx.out, "{}: {}", f.severity.as_str(), f.message)?;
            }
            Ok(())
        }
        PanelCmd::Rename {
            vacancy,
            old,
            new,
            reason,
        } => {
            let mut store = ctx.store()?;
            ctx.authenticate(&mut store, None)?;
            store.write(|tx| {
                act::member(tx, &vacancy, &old)?;
                act::rename(tx, &old, &new, &reason)
            })?;
            writeln!(ctx.out, "Renamed {old} to {new}, on the record.")?;
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
            ctx.authenticate(&mut store, Some(&name))?;
            store.write(|tx| act::set_ethnicity(tx, &vacancy, &name, code.as_deref()))?;
            writeln!(
                ctx.out,
                "{}",
                if code.is_some() {
                    format!("Updated {name}'s self-declared ethnicity; the earlier declaration was erased.")
                } else {
                    format!("Withdrew {name}'s ethnicity declaration; it was erased.")
                }
            )?;
            Ok(())
        }
    }
}

/// A panellist's declaration: stored as the NHS code; "not asked" is stored as no declaration.
pub fn parse_ethnicity(input: &str) -> Result<String> {
    let c = ethnicity::parse_everyday(input).map_err(crate::Usage)?;
    Ok(c.nhs_code)
}

/// A date as YYYY-MM-DD or the UK's DD/MM/YYYY, returned as YYYY-MM-DD.
pub fn parse_date(s: &str) -> Option<String> {
    let s = s.trim();
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(s, iso) {
        return Some(d.format(iso).expect("date formats"));
    }
    let parts: Vec<&str> = s.split(['/', '.']).collect();
    if let [d, m, y] = parts.as_slice() {
        let (d, m, y): (u8, u8, i32) = (d.parse().ok()?, m.parse().ok()?, y.parse().ok()?);
        let month = time::Month::try_from(m).ok()?;
        let date = time::Date::from_calendar_date(y, month, d).ok()?;
        return Some(date.format(iso).expect("date formats"));
    }
    None
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
    let code = match a.ethnicity {
        Some(e) => Some(parse_ethnicity(&e)?),
        None => match term.as_deref_mut() {
            Some(p) => crate::interview::ask_ethnicity(p)?,
            None => None,
        },
    };
    let trained = match a.trained {
        Some(t) => Some(parse_date(&t).ok_or_else(|| {
            crate::Usage(format!(
                "training date {t:?} is not a date (YYYY-MM-DD or DD/MM/YYYY)"
            ))
        })?),
        None => match term.as_deref_mut() {
            Some(p) => {
                let t = p.text(
                    "Date of fair-recruitment training (DD/MM/YYYY or YYYY-MM-DD; blank if none)",
                    None,
                    &|s: &str| {
                        (!s.trim().is_empty() && parse_date(s).is_none())
                            .then(|| "not a date: use DD/MM/YYYY or YYYY-MM-DD".to_string())
                    },
                )?;
                parse_date(&t)
            }
            None => None,
        },
    };
    let _ = optional;
    let mut store = ctx.store()?;
    ctx.authenticate(&mut store, None)?;
    let added = store.write(|tx| {
        act::add(
            tx,
            &a.vacancy,
            &name,
            role,
            code.as_deref(),
            trained.as_deref(),
        )
    })?;
    writeln!(
        ctx.out,
        "Added {name} ({role}) to the panel for {}.",
        a.vacancy
    )?;
    if let Some(inv) = &added.invitation {
        writeln!(
            ctx.out,
            "{name}'s one-time invitation (give it to them privately; it expires {}):\n  {inv}\n\
             They set their own passphrase with `fairpanel credential redeem --invite {inv}`.",
            added.invitation_expires.as_deref().unwrap_or_default()
        )?;
    }
    let _: Option<Format> = None;
    Ok(())
}
