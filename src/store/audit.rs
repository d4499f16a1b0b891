//! Bulk reads for the HR audit, shaped for statistics rather than for screens. Monitoring values
//! leave the store only as counts and as group codes of interviewed candidates.
//!
//! At a trust's scale (half a million applications, a million scores) the audit must answer in well
//! under a second, so this reads with plain table scans joined in memory (several times faster than
//! letting SQLite group and join), keeps everything in dense integer-indexed arrays, and reads the
//! two biggest tables (candidates and monitoring) on two more connections while the scores are read
//! on this one. All three read in their own snapshots; every write appends an event, so equal last
//! event numbers mean equal data, and a write landing between them makes the audit read again.

use super::db::{Behavior, Connection, Transaction};
use super::Store;
use crate::model::STAGES;
use crate::params;
use crate::record::derive::parse_sealed;
use anyhow::{bail, Context, Result};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

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

/// Applicants counted by vacancy, ethnicity code, furthest stage and internal/external.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelineCount {
    pub vacancy: u32,
    /// Index into [`AuditData::codes`].
    pub code: u16,
    /// Index into [`STAGES`].
    pub stage: u8,
    pub internal: Option<bool>,
    pub n: u64,
}

/// A vacancy in the audit, indexed by position.
#[derive(Debug, Clone)]
pub struct AuditVacancy {
    pub id: String,
    pub band: Option<String>,
    pub service: Option<String>,
    pub created: String,
    /// Gaps a named person overrode to record the decision.
    pub overridden_gaps: i64,
    /// Created (or its plan changed) although the plan missed a required category.
    pub coverage_overridden: bool,
    pub decided: bool,
    /// Categories of the questions in the plan, in plan order (from the stored bank).
    pub categories: Vec<String>,
    /// Where the fairness review stands (see [`crate::record::vacancy::ReviewState`]).
    pub review_status: String,
    /// The decision needs a current sign-off to be final.
    pub review_required: bool,
    /// Reviews recorded, and how many returned the decision.
    pub reviews: i64,
    pub returns: i64,
    /// The first decision, and the sign-off in force (RFC 3339).
    pub decided_at: Option<String>,
    pub signed_off_at: Option<String>,
}

/// A candidate with at least one sealed sheet.
#[derive(Debug, Clone)]
pub struct ScoredCandidate {
    pub id: i64,
    pub vacancy: u32,
    /// Index into [`AuditData::codes`], when monitoring data says they reached interview.
    pub ethnicity: Option<u16>,
    /// The candidate's sealed sheets: a range of [`AuditScores::sheets`], ordered by panellist.
    pub sheets: Range<u32>,
}

/// One sealed sheet: who scored, and where its scores start in [`AuditScores::values`].
#[derive(Debug, Clone, Copy)]
pub struct ScoredSheet {
    /// Index into [`AuditScores::panellists`] (panellists are pooled across vacancies by name).
    pub panellist: u32,
    /// Start of this sheet's scores, one per question of the vacancy's plan, in plan order.
    pub offset: u32,
}

/// One candidate × question: the panellists who scored it and their scores, in panellist order.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    pub vacancy: u32,
    /// Index into [`AuditScores::candidates`].
    pub candidate: usize,
    /// Index into [`AuditScores::questions`].
    pub question: u32,
    pub panellists: &'a [u32],
    pub scores: &'a [f64],
}

/// Current sealed scores, grouped by candidate.
#[derive(Debug, Default)]
pub struct AuditScores {
    /// Ordered by candidate id.
    pub candidates: Vec<ScoredCandidate>,
    pub sheets: Vec<ScoredSheet>,
    /// Scores of every sheet by plan position; NaN where a sheet has no score for a question.
    pub values: Vec<f64>,
    pub panellists: Vec<String>,
    pub questions: Vec<String>,
    /// Each question's category in its stored bank (as `questions`).
    pub categories: Vec<String>,
    /// Number of scores (non-NaN values).
    pub count: usize,
    /// Per vacancy: (plan position, question index), ordered by question index, so every reader
    /// visits cells in one fixed order and floating-point sums come out the same every run.
    cell_order: Vec<Vec<(u32, u32)>>,
}

impl AuditScores {
    /// The question indexes of vacancy `v`'s plan, in index order (the order cells are visited).
    pub fn plan_questions(&self, v: u32) -> impl Iterator<Item = u32> + '_ {
        self.cell_order[v as usize].iter().map(|(_, q)| *q)
    }

    /// The number of questions in vacancy `v`'s plan.
    pub fn plan_len(&self, v: u32) -> usize {
        self.cell_order[v as usize].len()
    }

    /// Visit every cell of one candidate (an index into `candidates`), using `buf` as scratch.
    pub fn cells_of(&self, c: usize, buf: &mut CellBuf, mut f: impl FnMut(Cell<'_>)) {
        let cand = &self.candidates[c];
        let sheets = &self.sheets[cand.sheets.start as usize..cand.sheets.end as usize];
        for &(pos, question) in &self.cell_order[cand.vacancy as usize] {
            buf.panellists.clear();
            buf.scores.clear();
            for s in sheets {
                let x = self.values[(s.offset + pos) as usize];
                if !x.is_nan() {
                    buf.panellists.push(s.panellist);
                    buf.scores.push(x);
                }
            }
            if !buf.scores.is_empty() {
                f(Cell {
                    vacancy: cand.vacancy,
                    candidate: c,
                    question,
                    panellists: &buf.panellists,
                    scores: &buf.scores,
                });
            }
        }
    }

    /// Visit every cell, candidate by candidate in id order.
    pub fn for_each_cell(&self, mut f: impl FnMut(Cell<'_>)) {
        let mut buf = CellBuf::default();
        for c in 0..self.candidates.len() {
            self.cells_of(c, &mut buf, &mut f);
        }
    }
}

/// Reusable scratch space for [`AuditScores::cells_of`].
#[derive(Debug, Default)]
pub struct CellBuf {
    panellists: Vec<u32>,
    scores: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct PanelMember {
    pub vacancy: u32,
    pub ethnicity: Option<String>,
    pub trained_on: Option<String>,
}

pub struct AuditData {
    pub vacancies: Vec<AuditVacancy>,
    /// Ethnicity codes as stored, indexed by [`PipelineCount::code`] and [`ScoredCandidate::ethnicity`].
    pub codes: Vec<String>,
    /// Ordered by (vacancy, code, stage, internal).
    pub pipeline: Vec<PipelineCount>,
    pub scores: AuditScores,
    pub panels: Vec<PanelMember>,
    /// Ids of `diversity-attitude` questions in the banks these vacancies use.
    pub diversity_questions: HashSet<String>,
    /// The chain from the latest checkpoint to the head, walked in the same snapshot.
    pub tail: super::TailStatus,
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

/// Maps vacancy id strings to audit indexes, remembering the last one: rows written vacancy by
/// vacancy mostly repeat it, and a string compare is cheaper than a hash.
struct VacancyLookup<'a> {
    index: &'a HashMap<String, u32>,
    last: String,
    last_index: Option<u32>,
}

impl<'a> VacancyLookup<'a> {
    fn new(index: &'a HashMap<String, u32>) -> Self {
        VacancyLookup {
            index,
            last: String::new(),
            last_index: None,
        }
    }

    fn get(&mut self, id: &str) -> Option<u32> {
        if id != self.last || self.last.is_empty() {
            self.last.clear();
            self.last.push_str(id);
            self.last_index = self.index.get(id).copied();
        }
        self.last_index
    }
}

const NONE: u32 = u32::MAX;

/// What the pipeline scans yield, combined.
struct Pipeline {
    codes: Vec<String>,
    counts: Vec<PipelineCount>,
    /// Every candidate, by id (ascending), with its vacancy index (NONE outside the filter).
    cands: Candidates,
    /// Per candidate (as in `cands`), the ethnicity code index of applicants who reached interview
    /// (else u16::MAX).
    cand_code: Vec<u16>,
}

/// Candidate ids in ascending order with their vacancy indexes. Ids come from the record (the seq of
/// the event that named them, shifted), so they are sparse: looked up by binary search.
struct Candidates {
    ids: Vec<i64>,
    vacancy: Vec<u32>,
}

impl Candidates {
    fn position(&self, id: i64) -> Option<usize> {
        self.ids.binary_search(&id).ok()
    }
}

fn read_candidate_vacancies(
    conn: &Connection,
    vindex: &HashMap<String, u32>,
) -> Result<Candidates> {
    let mut c = Candidates {
        ids: Vec::new(),
        vacancy: Vec::new(),
    };
    let mut lookup = VacancyLookup::new(vindex);
    // Rowid order is id order.
    let mut stmt = conn.prepare("SELECT id, vacancy FROM candidates ORDER BY id")?;
    let mut rows = stmt.query(())?;
    while let Some(r) = rows.next()? {
        c.ids.push(r.get(0)?);
        c.vacancy
            .push(lookup.get(r.get_ref(1)?.as_str()?).unwrap_or(NONE));
    }
    Ok(c)
}

/// Monitoring rows in candidate order, each (candidate id, code << 8 | stage << 2 | internal), where
/// internal is 0 not recorded, 1 external, 2 internal; with the ethnicity codes seen.
struct Monitoring {
    codes: Vec<String>,
    rows: Vec<(i64, u32)>,
}

fn read_monitoring(conn: &Connection) -> Result<Monitoring> {
    let mut codes: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT candidate, ethnicity, stage, internal FROM monitoring ORDER BY candidate",
    )?;
    let mut rows = stmt.query(())?;
    while let Some(r) = rows.next()? {
        let c: i64 = r.get(0)?;
        let code = r.get_ref(1)?.as_str()?.as_bytes();
        let e = match codes.iter().position(|x| x.as_bytes() == code) {
            Some(i) => i,
            None => {
                codes.push(String::from_utf8_lossy(code).into_owned());
                codes.len() - 1
            }
        };
        if e >= u16::MAX as usize {
            bail!("more than {} distinct ethnicity codes", u16::MAX);
        }
        let stage = r.get_ref(2)?.as_str()?.as_bytes();
        let st = STAGES
            .iter()
            .position(|x| x.as_bytes() == stage)
            .unwrap_or(0) as u32;
        let internal: u32 = match r.get::<_, Option<i64>>(3)? {
            None => 0,
            Some(0) => 1,
            Some(_) => 2,
        };
        out.push((c, (e as u32) << 8 | st << 2 | internal));
    }
    Ok(Monitoring { codes, rows: out })
}

/// Counts applicants by (vacancy, code, stage, internal), keeping only vacancies in the filter. Both
/// inputs are in candidate order, so they are merged in one pass.
fn combine(cands: Candidates, m: Monitoring) -> Pipeline {
    let mut cand_code: Vec<u16> = vec![u16::MAX; cands.ids.len()];
    let mut keys: Vec<u64> = Vec::with_capacity(m.rows.len());
    let mut j = 0;
    for &(c, packed) in &m.rows {
        while j < cands.ids.len() && cands.ids[j] < c {
            j += 1;
        }
        if j >= cands.ids.len() || cands.ids[j] != c {
            continue;
        }
        let v = cands.vacancy[j];
        if v == NONE {
            continue;
        }
        let packed = packed as u64;
        keys.push((v as u64) << 32 | packed);
        if (packed >> 2 & 0x3F) >= 2 {
            cand_code[j] = (packed >> 8) as u16;
        }
    }
    keys.sort_unstable();
    let counts = keys
        .chunk_by(|a, b| a == b)
        .map(|run| {
            let k = run[0];
            PipelineCount {
                vacancy: (k >> 32) as u32,
                code: (k >> 8 & 0xFFFF) as u16,
                stage: (k >> 2 & 0x3F) as u8,
                internal: [None, Some(false), Some(true)][(k & 3) as usize],
                n: run.len() as u64,
            }
        })
        .collect();
    Pipeline {
        codes: m.codes,
        counts,
        cands,
        cand_code,
    }
}

/// The vacancies in the filter, in creation order.
struct Vacancies {
    list: Vec<AuditVacancy>,
    index: HashMap<String, u32>,
    bank: Vec<String>,
}

fn read_vacancies(conn: &Connection, f: &AuditFilter) -> Result<Vacancies> {
    let mut v = Vacancies {
        list: Vec::new(),
        index: HashMap::new(),
        bank: Vec::new(),
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT v.id, v.band, v.created_at, v.bank_sha, v.overridden_gaps, v.coverage_overridden, v.decided,
                v.service, v.review_status, v.review_required, v.reviews, v.returns, v.decided_at, v.signed_off_at
         FROM vacancies v WHERE {FILTER} ORDER BY v.created_at, v.id"
    ))?;
    let mut rows = stmt.query(params![f.since, f.until, f.band, f.service])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        v.index.insert(id.clone(), v.list.len() as u32);
        v.list.push(AuditVacancy {
            id,
            band: r.get(1)?,
            created: r.get(2)?,
            overridden_gaps: r.get(4)?,
            coverage_overridden: r.get::<_, i64>(5)? != 0,
            decided: r.get::<_, i64>(6)? != 0,
            categories: vec![],
            service: r.get(7)?,
            review_status: r.get(8)?,
            review_required: r.get::<_, i64>(9)? != 0,
            reviews: r.get(10)?,
            returns: r.get(11)?,
            decided_at: r.get(12)?,
            signed_off_at: r.get(13)?,
        });
        v.bank.push(r.get(3)?);
    }
    Ok(v)
}

/// The question plans of the vacancies in the filter.
struct Plans {
    questions: Vec<String>,
    /// Per vacancy, the plan's question indexes in plan order.
    plan: Vec<Vec<u32>>,
    /// Per vacancy, the stored plan positions in plan order (a sheet's scores are laid out so).
    positions: Vec<Vec<i64>>,
    /// Per vacancy, its plan's categories in plan order.
    categories: Vec<Vec<String>>,
    diversity_questions: HashSet<String>,
}

fn read_plans(conn: &Connection, vacancies: &Vacancies) -> Result<Plans> {
    // Each bank parsed once, for its questions' categories.
    let mut bank_categories: HashMap<String, HashMap<String, String>> = HashMap::new();
    for b in &vacancies.bank {
        if let std::collections::hash_map::Entry::Vacant(e) = bank_categories.entry(b.clone()) {
            let yaml: String =
                conn.query_row("SELECT yaml FROM banks WHERE sha256 = ?1", [b], |r| {
                    r.get(0)
                })?;
            let bank = crate::bank::parse_recorded(&yaml, "stored bank")
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            e.insert(
                bank.questions
                    .into_iter()
                    .map(|q| (q.id, q.category))
                    .collect(),
            );
        }
    }
    let (mut questions, mut qidx) = (Vec::new(), HashMap::new());
    let mut plans: Vec<Vec<(i64, u32)>> = vec![Vec::new(); vacancies.list.len()];
    {
        let mut lookup = VacancyLookup::new(&vacancies.index);
        let mut stmt = conn.prepare("SELECT vacancy, position, question FROM vacancy_questions")?;
        let mut rows = stmt.query(())?;
        while let Some(r) = rows.next()? {
            let Some(v) = lookup.get(r.get_ref(0)?.as_str()?) else {
                continue;
            };
            let q = intern(&mut questions, &mut qidx, r.get_ref(2)?.as_str()?);
            plans[v as usize].push((r.get(1)?, q));
        }
    }
    let n = plans.len();
    let (mut plan, mut positions, mut categories) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (v, mut p) in plans.into_iter().enumerate() {
        p.sort_by_key(|(pos, _)| *pos);
        let cats = &bank_categories[&vacancies.bank[v]];
        categories.push(
            p.iter()
                .map(|(_, q)| {
                    cats.get(&questions[*q as usize])
                        .cloned()
                        .unwrap_or_default()
                })
                .collect(),
        );
        positions.push(p.iter().map(|(pos, _)| *pos).collect());
        plan.push(p.into_iter().map(|(_, q)| q).collect());
    }
    let diversity_questions = bank_categories
        .values()
        .flatten()
        .filter(|(_, c)| c.as_str() == crate::bank::DIVERSITY)
        .map(|(q, _)| q.clone())
        .collect();
    Ok(Plans {
        questions,
        plan,
        positions,
        categories,
        diversity_questions,
    })
}

/// Sealed sheets and their current scores, with the panels of the vacancies in the filter.
fn read_scores(
    conn: &Connection,
    vacancies: &Vacancies,
) -> Result<(AuditScores, Vec<PanelMember>, Plans)> {
    let mut lookup = VacancyLookup::new(&vacancies.index);
    let (mut panellists, mut pidx) = (Vec::new(), HashMap::new());
    // Panellist id → (person index, vacancy index). People are pooled across vacancies by identity.
    let mut panellist_of: HashMap<i64, (u32, u32)> = HashMap::new();
    let mut panels = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT p.id, pe.name, p.vacancy, p.trained_on, e.nhs_code, p.stood_down FROM panellists p
             JOIN people pe ON pe.id = p.person
             LEFT JOIN panellist_ethnicity e ON e.panellist = p.id",
        )?;
        let mut rows = stmt.query(())?;
        while let Some(r) = rows.next()? {
            let Some(v) = lookup.get(r.get_ref(2)?.as_str()?) else {
                continue;
            };
            let name = intern(&mut panellists, &mut pidx, r.get_ref(1)?.as_str()?);
            panellist_of.insert(r.get::<_, i64>(0)?, (name, v));
            // Composition is judged on the panel as it stands (members who stood down are not on it).
            if r.get::<_, i64>(5)? == 0 {
                panels.push(PanelMember {
                    vacancy: v,
                    ethnicity: r.get(4)?,
                    trained_on: r.get(3)?,
                });
            }
        }
    }
    let plans = read_plans(conn, vacancies)?;
    // Sealed sheets and their current scores, kept in step with the answers (verify checks it).
    struct Loose {
        candidate: i64,
        panellist: u32,
        vacancy: u32,
        offset: u32,
    }
    let mut loose: Vec<Loose> = Vec::new();
    let mut values: Vec<f64> = Vec::new();
    let mut count = 0;
    {
        let mut stmt =
            conn.prepare("SELECT sheet, candidate, panellist, scores FROM sealed_sheets")?;
        let mut rows = stmt.query(())?;
        while let Some(r) = rows.next()? {
            // A sheet's panellist and candidate are found through the same vacancy when it is
            // opened, so the panellist's vacancy is the sheet's.
            let p = r.get::<_, i64>(2)?;
            let Some(&(panellist, vacancy)) = panellist_of.get(&p) else {
                continue;
            };
            let positions = &plans.positions[vacancy as usize];
            let offset = values.len();
            values.resize(offset + positions.len(), f64::NAN);
            let text = r.get_ref(3)?.as_str()?;
            let ok = parse_sealed(text, |position, score| {
                if let Some(i) = positions.iter().position(|p| *p == position) {
                    values[offset + i] = score as f64;
                    count += 1;
                }
            });
            if !ok {
                bail!(
                    "the sealed scores of sheet {} are not readable; run `fairpanel verify`",
                    r.get::<_, i64>(0)?
                );
            }
            loose.push(Loose {
                candidate: r.get(1)?,
                panellist,
                vacancy,
                offset: offset as u32,
            });
        }
    }
    if values.len() > u32::MAX as usize {
        bail!(
            "too many scores for one audit; narrow it with --since, --until, --band or --service"
        );
    }
    // Group by candidate, panellists in name-index order within each.
    loose.sort_unstable_by_key(|s| (s.candidate, s.panellist));
    let mut candidates: Vec<ScoredCandidate> = Vec::new();
    let mut sheets = Vec::with_capacity(loose.len());
    for run in loose.chunk_by(|a, b| a.candidate == b.candidate) {
        let start = sheets.len() as u32;
        sheets.extend(run.iter().map(|s| ScoredSheet {
            panellist: s.panellist,
            offset: s.offset,
        }));
        candidates.push(ScoredCandidate {
            id: run[0].candidate,
            vacancy: run[0].vacancy,
            ethnicity: None,
            sheets: start..sheets.len() as u32,
        });
    }
    let cell_order = plans
        .plan
        .iter()
        .map(|p| {
            let mut o: Vec<(u32, u32)> =
                p.iter().enumerate().map(|(i, q)| (i as u32, *q)).collect();
            o.sort_by_key(|(_, q)| *q);
            o
        })
        .collect();
    Ok((
        AuditScores {
            candidates,
            sheets,
            values,
            panellists,
            questions: plans.questions.clone(),
            categories: {
                let mut c = vec![String::new(); plans.questions.len()];
                for (plan, cats) in plans.plan.iter().zip(&plans.categories) {
                    for (q, cat) in plan.iter().zip(cats) {
                        if c[*q as usize].is_empty() {
                            c[*q as usize] = cat.clone();
                        }
                    }
                }
                c
            },
            count,
            cell_order,
        },
        panels,
        plans,
    ))
}

/// A read transaction: one snapshot of the database until it is dropped.
fn begin_read(conn: &Connection) -> Result<Transaction<'_>> {
    Ok(conn.transaction(Behavior::Read)?)
}

fn snapshot(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(seq), 0) FROM events", (), |r| r.get(0))?)
}

/// Runs `read` in a read transaction on a new connection (opened on the thread that uses it, so an
/// encrypted database's key derivation overlaps the other thread's reading); returns its snapshot's
/// last event number with the result, so readers on several connections can check they saw the
/// same data.
fn on_reader<T>(
    reader: &(dyn Fn() -> Result<Connection> + Sync),
    read: impl FnOnce(&Connection) -> Result<T>,
) -> Result<(i64, T)> {
    let conn = reader().context("opening a second connection")?;
    let tx = begin_read(&conn)?;
    let seq = snapshot(&tx)?;
    Ok((seq, read(&tx)?))
}

impl Store {
    pub fn audit_data(&self, f: &AuditFilter) -> Result<AuditData> {
        // A write landing between the snapshots is retried; writes are short, so this settles.
        for _ in 0..5 {
            let main = begin_read(&self.conn)?;
            let tail = super::log::tail(&main)?;
            let vacancies = read_vacancies(&main, f)?;
            let main_seq = snapshot(&main)?;
            let (index, reader) = (&vacancies.index, &self.reader());
            // Two more connections, each reading one big table in parallel with this one.
            let (candidates, monitoring, scores) = std::thread::scope(|s| {
                let candidates =
                    s.spawn(|| on_reader(reader, |c| read_candidate_vacancies(c, index)));
                let monitoring = s.spawn(|| on_reader(reader, read_monitoring));
                let scores = read_scores(&main, &vacancies);
                (
                    candidates.join().expect("candidates reader"),
                    monitoring.join().expect("monitoring reader"),
                    scores,
                )
            });
            let (seq_c, cands) = candidates?;
            let (seq_m, monitoring) = monitoring?;
            let (mut scores, panels, plans) = scores?;
            drop(main);
            if seq_c != main_seq || seq_m != main_seq {
                continue;
            }
            let pipeline = combine(cands, monitoring);
            for c in &mut scores.candidates {
                let at = pipeline.cands.position(c.id);
                if at.map(|i| pipeline.cands.vacancy[i]) != Some(c.vacancy) {
                    bail!(
                        "candidate {} has revealed scores from another vacancy's panel; run `fairpanel verify`",
                        c.id
                    );
                }
                c.ethnicity = at.map(|i| pipeline.cand_code[i]).filter(|e| *e != u16::MAX);
            }
            let mut list = vacancies.list;
            for (v, cats) in list.iter_mut().zip(plans.categories) {
                v.categories = cats;
            }
            return Ok(AuditData {
                vacancies: list,
                codes: pipeline.codes,
                pipeline: pipeline.counts,
                scores,
                panels,
                diversity_questions: plans.diversity_questions,
                tail,
            });
        }
        bail!("the database kept changing while the audit read it; try again")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit's consistency check rests on this: a read transaction keeps the snapshot of its
    /// first read, and a reader that begins after a write sees a different last event.
    #[test]
    fn readers_either_side_of_a_write_see_different_last_events() {
        use crate::record::{chain::Actor, Fact, Scope};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut store = Store::open(
            &path,
            Actor::login("tester"),
            None,
            super::super::Create::Yes,
        )
        .unwrap();
        let add = |name: &str| {
            let name = name.to_string();
            move |t: &mut super::super::Tx<'_>| {
                let id = t.next_seq();
                t.append(
                    Scope::Person(id),
                    Fact::PersonAdd(crate::record::fact::PersonAdd {
                        name: name.clone(),
                        roles: vec![],
                        trained_on: None,
                    }),
                )
            }
        };
        store.write(add("First")).unwrap();
        let reader = store.reader();
        let early = reader().unwrap();
        let early = begin_read(&early).unwrap();
        let before = snapshot(&early).unwrap();
        store.write(add("Second")).unwrap();
        let (after, _) = on_reader(&reader, |_| Ok(())).unwrap();
        assert_ne!(before, after);
        assert_eq!(
            snapshot(&early).unwrap(),
            before,
            "the early reader kept its snapshot"
        );
        let (again, _) = on_reader(&reader, |_| Ok(())).unwrap();
        assert_eq!(again, after, "no write, same snapshot");
    }
}
