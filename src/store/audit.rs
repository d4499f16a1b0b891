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
        // Question ids interned once; each vacancy's plan as (position, question index).
        let (mut questions, mut qidx) = (Vec::new(), HashMap::new());
        let mut plan_questions: Vec<Vec<(i64, u32)>>;
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
            plan_questions = vec![Vec::new(); vacancies.len()];
            // The primary key orders rows by (vacancy, question); positions put them in plan order.
            let mut q = self
                .conn
                .prepare("SELECT vacancy, position, question FROM vacancy_questions")?;
            let mut rows = q.query([])?;
            let mut plans: Vec<Vec<(i64, String, u32)>> = vec![Vec::new(); vacancies.len()];
            while let Some(r) = rows.next()? {
                let Some(&v) = vindex.get(r.get_ref(0)?.as_str()?) else {
                    continue;
                };
                let cat = bank_categories[&banks_needed[v as usize]]
                    .get(r.get_ref(2)?.as_str()?)
                    .cloned()
                    .unwrap_or_default();
                let q = intern(&mut questions, &mut qidx, r.get_ref(2)?.as_str()?);
                plans[v as usize].push((r.get(1)?, cat, q));
            }
            for (v, mut plan) in plans.into_iter().enumerate() {
                plan.sort_by_key(|(pos, _, _)| *pos);
                plan_questions[v] = plan.iter().map(|(pos, _, q)| (*pos, *q)).collect();
                vacancies[v].categories = plan.into_iter().map(|(_, c, _)| c).collect();
            }
        }
        // Plain scans joined in memory: at a trust's scale (half a million applications, a million
        // scores) this is several times faster than letting SQLite group and join.
        let mut cand_vacancy: Vec<u32> = Vec::new();
        {
            let mut stmt = self.conn.prepare("SELECT id, vacancy FROM candidates")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let id = r.get::<_, i64>(0)? as usize;
                if cand_vacancy.len() <= id {
                    cand_vacancy.resize(id + 1, u32::MAX);
                }
                cand_vacancy[id] = vindex
                    .get(r.get_ref(1)?.as_str()?)
                    .copied()
                    .unwrap_or(u32::MAX);
            }
        }
        let vacancy_of = |c: i64| {
            cand_vacancy
                .get(c as usize)
                .copied()
                .filter(|v| *v != u32::MAX)
        };
        const STAGES: [&str; 5] = [
            "applied",
            "shortlisted",
            "interviewed",
            "offered",
            "appointed",
        ];
        let mut codes: Vec<String> = Vec::new();
        let mut grouped: HashMap<(u32, u8, u8, u8), u64> = HashMap::new();
        let mut ethnicity_of: HashMap<i64, u8> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare("SELECT candidate, ethnicity, stage, internal FROM monitoring")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let c: i64 = r.get(0)?;
                let Some(v) = vacancy_of(c) else { continue };
                let code = r.get_ref(1)?.as_str()?;
                let e = match codes.iter().position(|x| x == code) {
                    Some(i) => i,
                    None => {
                        codes.push(code.to_string());
                        codes.len() - 1
                    }
                } as u8;
                let stage = r.get_ref(2)?.as_str()?;
                let st = STAGES.iter().position(|x| *x == stage).unwrap_or(0) as u8;
                let internal = match r.get::<_, Option<i64>>(3)? {
                    None => 0,
                    Some(0) => 1,
                    Some(_) => 2,
                };
                *grouped.entry((v, e, st, internal)).or_default() += 1;
                if st >= 2 {
                    ethnicity_of.insert(c, e);
                }
            }
        }
        let mut pipeline: Vec<PipelineCount> = grouped
            .into_iter()
            .map(|((vacancy, e, st, internal), n)| PipelineCount {
                vacancy,
                ethnicity: codes[e as usize].clone(),
                stage: STAGES[st as usize].to_string(),
                internal: [None, Some(false), Some(true)][internal as usize],
                n,
            })
            .collect();
        // A fixed order keeps floating-point sums, and so the report, identical run to run.
        pipeline.sort_by(|a, b| {
            (a.vacancy, &a.ethnicity, &a.stage, a.internal).cmp(&(
                b.vacancy,
                &b.ethnicity,
                &b.stage,
                b.internal,
            ))
        });
        let mut scores = AuditScores::default();
        {
            let mut pidx = HashMap::new();
            let mut panellist_name: Vec<u32> = Vec::new();
            {
                let mut stmt = self.conn.prepare("SELECT id, name FROM panellists")?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let id = r.get::<_, i64>(0)? as usize;
                    if panellist_name.len() <= id {
                        panellist_name.resize(id + 1, u32::MAX);
                    }
                    panellist_name[id] =
                        intern(&mut scores.panellists, &mut pidx, r.get_ref(1)?.as_str()?);
                }
            }
            // Sealed sheets only: (candidate, panellist name, vacancy).
            let mut sheet_of: Vec<Option<(i64, u32, u32)>> = Vec::new();
            {
                let mut stmt = self.conn.prepare(
                    "SELECT id, candidate, panellist FROM sheets WHERE submitted_at IS NOT NULL",
                )?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let id = r.get::<_, i64>(0)? as usize;
                    let c: i64 = r.get(1)?;
                    let Some(v) = vacancy_of(c) else { continue };
                    let p = panellist_name[r.get::<_, i64>(2)? as usize];
                    if sheet_of.len() <= id {
                        sheet_of.resize(id + 1, None);
                    }
                    sheet_of[id] = Some((c, p, v));
                }
            }
            // Sealed scores by plan position, kept in step with the answers (verify checks it).
            let mut stmt = self
                .conn
                .prepare("SELECT sheet, position, score FROM sealed_scores")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let sheet = r.get::<_, i64>(0)? as usize;
                let Some((candidate, panellist, vacancy)) = sheet_of.get(sheet).copied().flatten()
                else {
                    continue;
                };
                let position: i64 = r.get(1)?;
                let plan = &plan_questions[vacancy as usize];
                let Some(&(_, question)) = plan.iter().find(|(p, _)| *p == position) else {
                    continue;
                };
                scores.points.push(ScorePoint {
                    vacancy,
                    candidate,
                    question,
                    panellist,
                    score: r.get(2)?,
                });
            }
            scores.questions = questions;
            scores
                .points
                .sort_unstable_by_key(|s| (s.candidate, s.question, s.panellist));
            let interviewed: std::collections::HashSet<i64> =
                scores.points.iter().map(|p| p.candidate).collect();
            scores.ethnicity = ethnicity_of
                .into_iter()
                .filter(|(c, _)| interviewed.contains(c))
                .map(|(c, e)| (c, codes[e as usize].clone()))
                .collect();
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
