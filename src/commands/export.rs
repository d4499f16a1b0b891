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
            if let Some(p) = &output {
                ctx.check_output(p)?;
            }
            let store = ctx.store()?;
            let l = store.vacancy(&vacancy)?;
            let report = decision::from_loaded(&l)?;
            let mut rows = Vec::new();
            for c in report.candidates.iter().filter(|c| c.revealed) {
                for row in &c.rows {
                    for (i, panellist) in c.panellists.iter().enumerate() {
                        let correction = c
                            .corrections
                            .iter()
                            .rev()
                            .find(|x| &x.panellist == panellist && x.question == row.question);
                        rows.push(vec![
                            vacancy.clone(),
                            c.reference.clone(),
                            panellist.clone(),
                            row.question.clone(),
                            row.scores[i].to_string(),
                            row.evidence[i].clone(),
                            correction
                                .map(|x| x.corrected.to_string())
                                .unwrap_or_default(),
                            correction.map(|x| x.reason.clone()).unwrap_or_default(),
                            row.agreed.map(|x| x.to_string()).unwrap_or_default(),
                            row.agreed_reason.clone().unwrap_or_default(),
                        ]);
                    }
                }
            }
            let mut header = super::import::SCORE_COLUMNS.to_vec();
            header.extend([
                "corrected_score",
                "correction_reason",
                "agreed_score",
                "agreed_reason",
            ]);
            let mut buf = Vec::new();
            csvio::write(&mut buf, &header, &rows)?;
            match output {
                Some(p) => {
                    ctx.write_private(&p, &buf)?;
                    writeln!(
                        ctx.out,
                        "Wrote {} independent score(s) to {}. Receipt {}",
                        rows.len(),
                        p.display(),
                        report.receipt
                    )?;
                }
                None => {
                    ctx.out.write_all(&buf)?;
                    eprintln!("Receipt {}", report.receipt);
                }
            }
            Ok(())
        }
    }
}
