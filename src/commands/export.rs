//! export scores VACANCY: revealed scores as CSV, safe to open in a spreadsheet.

use super::Ctx;
use crate::cli::ExportCmd;
use crate::csvio;
use crate::report::decision;
use anyhow::Result;
use std::io::Write;

pub fn run(ctx: &mut Ctx, cmd: ExportCmd) -> Result<()> {
    match cmd {
        ExportCmd::Scores { vacancy, output } => {
            let store = ctx.store()?;
            let report = decision::build(&store, &vacancy)?;
            let sheets = store.sheets(&vacancy)?;
            let mut rows = Vec::new();
            for c in report.candidates.iter().filter(|c| c.revealed) {
                for row in &c.rows {
                    for s in sheets.iter().filter(|s| s.candidate == c.reference) {
                        let a = s
                            .answer(&row.question)
                            .expect("revealed sheets are complete");
                        rows.push(vec![
                            vacancy.clone(),
                            c.reference.clone(),
                            s.panellist.clone(),
                            row.question.clone(),
                            a.score.to_string(),
                            a.evidence.clone(),
                            row.agreed.map(|x| x.to_string()).unwrap_or_default(),
                            row.agreed_reason.clone().unwrap_or_default(),
                        ]);
                    }
                }
            }
            let mut header = super::import::SCORE_COLUMNS.to_vec();
            header.extend(["agreed_score", "agreed_reason"]);
            let mut buf = Vec::new();
            csvio::write(&mut buf, &header, &rows)?;
            match output {
                Some(p) => {
                    super::write_private(&p, &buf)?;
                    writeln!(ctx.out, "Wrote {} score(s) to {}", rows.len(), p.display())?;
                }
                None => ctx.out.write_all(&buf)?,
            }
            Ok(())
        }
    }
}
