//! Bulk reads for the HR audit: a few aggregate queries over every vacancy in the filter, shaped for
//! statistics rather than for screens. Monitoring values leave the store only as counts here.

use super::Store;
use anyhow::Result;
use rusqlite::params;
use std::collections::HashMap;

/// Which vacancies the audit covers. Dates are YYYY-MM-DD and compare with the vacancy's creation date.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AuditFilter {
    pub since: Option<String>,
    pub until: Option<String>,
    pub band: Option<String>,
    pub service: Option<String>,
}

const FILTER: &str = "(?1 IS NULL OR substr(v.created_at, 1, 10) >= ?1)
    AND (?2 IS NULL OR substr(v.created_at, 1, 10) <= ?2)
    AND (?3 IS NULL OR v.band = ?3)
    AND (?4 IS NULL OR v.service = ?4)";

/// Count of applicants by vacancy, ethnicity code, furthest stage and internal/external.
#[derive(Debug, Clone)]
pub struct PipelineCount {
    pub vacancy: u32,
    pub ethnicity: String,
    pub stage: String,
    pub internal: Option<bool>,
    pub n: u64,
}

/// A vacancy in the audit, indexed by position.
#[derive(Debug, Clone)]
pub struct AuditVacancy {
    pub id: String,
    pub band: Option<String>,
    pub created: String,
    /// Question ids in the plan and their categories (from the stored bank).
    pub categories: Vec<String>,
}

/// One current, sealed score: ids are indexes into the string tables of [`AuditScores`].
#[derive(Debug, Clone, Copy)]
pub struct ScorePoint {
    pub vacancy: u32,
    pub candidate: i64,
    pub question: u32,
    pub panellist: u32,
    pub score: i64,
}

#[derive(Debug, Default)]
pub struct AuditScores {
    /// Sorted by (candidate, question) so each cell is a contiguous run.
    pub points: Vec<ScorePoint>,
    pub panellists: Vec<String>,
    pub questions: Vec<String>,
    /// Candidate id → NHS ethnicity code, for candidates with monitoring data.
    pub ethnicity: HashMap<i64, String>,
}

#[derive(Debug, Clone)]
pub struct PanelMember {
    pub vacancy: u32,
    pub ethnicity: Option<String>,
    pub trained_on: Option<String>,
}

pub struct AuditData {
    pub vacancies: Vec<AuditVacancy>,
    pub pipeline: Vec<PipelineCount>,
    pub scores: AuditScores,
    pub panels: Vec<PanelMember>,
    /// Ids of `diversity-attitude` questions in the banks these vacancies use.
    pub diversity_questions: std::collections::HashSet<String>,
}

fn intern(table: &mut Vec<String>, index: &mut HashMap<String, u32>, s: &str) -> u32 {
    if let Some(&i) = index.get(s) {
        return i;
    }
    let i = table.len() as u32;
    table.push(s.to_string());
    index.insert(s.to_string(), i);
    i
}

impl Store {
    pub fn audit_data(&self, f: &AuditFilter) -> Result<AuditData> {
        let p = params![f.since, f.until, f.band, f.service];
        // Vacancies and their plans' categories (banks parsed once each).
        let mut bank_categories: HashMap<i64, HashMap<String, String>> = HashMap::new();
        let mut vacancies = Vec::new();
        let mut vindex: HashMap<String, u32> = HashMap::new();
        {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT v.id, v.band, v.created_at, v.bank FROM vacancies v WHERE {FILTER} ORDER BY v.created_at, v.id"
            ))?;
            let mut rows = stmt.query(p)?;
            let mut banks_needed = Vec::new();
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                vindex.insert(id.clone(), vacancies.len() as u32);
                vacancies.push(AuditVacancy {
                    id,
                    band: r.get(1)?,
                    created: r.get(2)?,
                    categories: vec![],
                });
                banks_needed.push(r.get::<_, i64>(3)?);
            }
            for b in banks_needed.iter().copied() {
                if let std::collections::hash_map::Entry::Vacant(e) = bank_categories.entry(b) {
                    let yaml: String =
                        self.conn
                            .query_row("SELECT yaml FROM banks WHERE id = ?1", [b], |r| r.get(0))?;
                    let bank = crate::bank::parse(&yaml, "stored bank")
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    e.insert(
                        bank.questions
                            .into_iter()
                            .map(|q| (q.id, q.category))
                            .collect(),
                    );
                }
            }
            let mut q = self.conn.prepare(&format!(
                "SELECT vq.vacancy, v.bank, vq.question FROM vacancy_questions vq JOIN vacancies v ON v.id = vq.vacancy
                 WHERE {FILTER} ORDER BY vq.vacancy, vq.position"
            ))?;
            let mut rows = q.query(p)?;
            while let Some(r) = rows.next()? {
                let v = vindex[r.get_ref(0)?.as_str()?];
                let bank: i64 = r.get(1)?;
                let cat = bank_categories[&bank]
                    .get(r.get_ref(2)?.as_str()?)
                    .cloned()
                    .unwrap_or_default();
                vacancies[v as usize].categories.push(cat);
            }
        }
        let mut pipeline = Vec::new();
        {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT c.vacancy, m.ethnicity, m.stage, m.internal, count(*)
                 FROM monitoring m JOIN candidates c ON c.id = m.candidate JOIN vacancies v ON v.id = c.vacancy
                 WHERE {FILTER} GROUP BY c.vacancy, m.ethnicity, m.stage, m.internal"
            ))?;
            let mut rows = stmt.query(p)?;
            while let Some(r) = rows.next()? {
                pipeline.push(PipelineCount {
                    vacancy: vindex[r.get_ref(0)?.as_str()?],
                    ethnicity: r.get(1)?,
                    stage: r.get(2)?,
                    internal: r.get::<_, Option<i64>>(3)?.map(|i| i != 0),
                    n: r.get::<_, i64>(4)? as u64,
                });
            }
        }
        let mut scores = AuditScores::default();
        {
            let (mut pidx, mut qidx) = (HashMap::new(), HashMap::new());
            // The current answer per sheet and question is the latest entry; only sealed sheets count.
            let mut stmt = self.conn.prepare(&format!(
                "SELECT c.vacancy, s.candidate, a.question, p.name, a.score
                 FROM (SELECT sheet, question, max(id) AS id FROM answers GROUP BY sheet, question) l
                 JOIN answers a ON a.id = l.id
                 JOIN sheets s ON s.id = l.sheet
                 JOIN panellists p ON p.id = s.panellist
                 JOIN candidates c ON c.id = s.candidate
                 JOIN vacancies v ON v.id = c.vacancy
                 WHERE s.submitted_at IS NOT NULL AND {FILTER}"
            ))?;
            let mut rows = stmt.query(p)?;
            while let Some(r) = rows.next()? {
                let vacancy = vindex[r.get_ref(0)?.as_str()?];
                let question = intern(&mut scores.questions, &mut qidx, r.get_ref(2)?.as_str()?);
                let panellist = intern(&mut scores.panellists, &mut pidx, r.get_ref(3)?.as_str()?);
                scores.points.push(ScorePoint {
                    vacancy,
                    candidate: r.get(1)?,
                    question,
                    panellist,
                    score: r.get(4)?,
                });
            }
            scores
                .points
                .sort_unstable_by_key(|s| (s.candidate, s.question, s.panellist));
            let mut stmt = self.conn.prepare(&format!(
                "SELECT m.candidate, m.ethnicity FROM monitoring m JOIN candidates c ON c.id = m.candidate
                 JOIN vacancies v ON v.id = c.vacancy WHERE c.interview = 1 AND {FILTER}"
            ))?;
            let mut rows = stmt.query(p)?;
            while let Some(r) = rows.next()? {
                scores.ethnicity.insert(r.get(0)?, r.get(1)?);
            }
        }
        let mut panels = Vec::new();
        {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT p.vacancy, e.nhs_code, p.trained_on FROM panellists p
                 LEFT JOIN panellist_ethnicity e ON e.panellist = p.id JOIN vacancies v ON v.id = p.vacancy
                 WHERE {FILTER}"
            ))?;
            let mut rows = stmt.query(p)?;
            while let Some(r) = rows.next()? {
                panels.push(PanelMember {
                    vacancy: vindex[r.get_ref(0)?.as_str()?],
                    ethnicity: r.get(1)?,
                    trained_on: r.get(2)?,
                });
            }
        }
        let diversity_questions = bank_categories
            .values()
            .flatten()
            .filter(|(_, c)| c.as_str() == crate::bank::DIVERSITY)
            .map(|(q, _)| q.clone())
            .collect();
        Ok(AuditData {
            vacancies,
            pipeline,
            scores,
            panels,
            diversity_questions,
        })
    }
}
