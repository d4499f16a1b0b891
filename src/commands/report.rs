//! report VACANCY --format md|html|json [-o FILE]

use super::Ctx;
use crate::cli::ReportFormat;
use crate::report::{self, decision, Kind};
use anyhow::Result;
use std::io::Write;
use std::path::Path;

pub fn render(store: &crate::store::Store, vacancy: &str, format: ReportFormat) -> Result<String> {
    let l = store.vacancy(vacancy)?;
    let view = decision::from_loaded(&l)?;
    Ok(match format {
        ReportFormat::Md => report::render("decision.md", Kind::Markdown, &view)?,
        ReportFormat::Html => report::render("decision.html", Kind::Html, &view)?,
        ReportFormat::Json => serde_json::to_string_pretty(&view)? + "\n",
    })
}

pub fn run(
    ctx: &mut Ctx,
    vacancy: &str,
    format: ReportFormat,
    output: Option<&Path>,
) -> Result<()> {
    if let Some(path) = output {
        ctx.check_output(path)?;
    }
    let store = ctx.store()?;
    let text = render(&store, vacancy, format)?;
    match output {
        Some(path) => {
            ctx.write_private(path, text.as_bytes())?;
            writeln!(ctx.out, "Wrote {}", path.display())?;
        }
        None => ctx.out.write_all(text.as_bytes())?,
    }
    Ok(())
}
