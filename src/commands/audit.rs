//! audit [--since D] [--until D] [--band B] [--service S] --format md|html|json [-o FILE]

use super::Ctx;
use crate::cli::{AuditArgs, ReportFormat};
use crate::policy::{self, Policy};
use crate::report::{self, audit, Kind};
use crate::store::AuditFilter;
use anyhow::{bail, Result};
use std::io::Write;

fn date(flag: &str, d: &Option<String>) -> Result<()> {
    if let Some(d) = d {
        let f = time::macros::format_description!("[year]-[month]-[day]");
        if time::Date::parse(d, f).is_err() {
            return Err(
                crate::Usage(format!("{flag} {d:?} is not a date in the form YYYY-MM-DD")).into(),
            );
        }
    }
    Ok(())
}

pub fn run(ctx: &mut Ctx, a: AuditArgs) -> Result<()> {
    if let Some(p) = &a.output {
        ctx.check_output(p)?;
    }
    date("--since", &a.since)?;
    date("--until", &a.until)?;
    let (policy, source) = match &a.policy {
        Some(p) => (policy::load_file(p)?.0, p.display().to_string()),
        None => (Policy::default(), "built-in".to_string()),
    };
    let filter = AuditFilter {
        since: a.since,
        until: a.until,
        band: a.band,
        service: a.service,
    };
    let store = ctx.store()?;
    let view = audit::build(&store, &filter, &policy, &source)?;
    if view.vacancies == 0 {
        bail!("no vacancies match the filter; nothing to audit");
    }
    let text = match a.format {
        ReportFormat::Json => serde_json::to_string(&view)? + "\n",
        ReportFormat::Md => report::render("audit.md", Kind::Markdown, &view)?,
        ReportFormat::Html => report::render("audit.html", Kind::Html, &view)?,
    };
    match a.output {
        Some(p) => {
            ctx.write_private(&p, text.as_bytes())?;
            writeln!(ctx.out, "Wrote {}", p.display())?;
        }
        None => ctx.out.write_all(text.as_bytes())?,
    }
    Ok(())
}
