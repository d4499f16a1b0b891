//! The audit's "Questions" and "Panel design" sections: item bias (DIF) per bank question, and
//! generalizability theory for the organisation's panels. Both read the same sealed (independent)
//! scores as the rest of the audit; item scores and each vacancy's block are gathered during the
//! reliability section's pass over each vacancy's cells ([`Items::add_vacancy`]).
//!
//! Conventions (also stated in the report itself):
//! - **Item score**: the panel's mean for a candidate on a question. **Matching score**: the mean of
//!   the candidate's item scores over every question of their vacancy's plan, the studied question
//!   included (plans differ between vacancies, so each candidate is matched on their own interview).
//! - **Strata**: [`BANDS`] bands of the matching score across the organisation, cut halfway
//!   between adjacent observed values ([`dif::band_cuts`]), not crossed with vacancy: a vacancy
//!   interviews a handful of candidates, and a panel's severity moves the item and the matching
//!   score alike.
//! - **Comparisons**: each stated minority group (Asian, Black, Mixed, Other), and BME (all four),
//!   against White. Mantel's chi-square, SMD, ETS classes (Zwick, Thayer & Mazzeo 1997) and the
//!   Liu–Agresti delta, as `fairpanel stats dif`. Two-stage purification: questions classed beyond
//!   `AA` for a comparison leave that comparison's matching score, and every question is analysed
//!   again; the published class is the second stage's.
//! - **Small numbers**: per question, the candidates of each group with a score on it are counted
//!   and suppressed like every other group count (the four minority groups are linked with their
//!   BME subtotal). A comparison is made only when both groups' counts are shown, and reported only
//!   when both groups have at least the threshold's number of candidates in strata holding both;
//!   otherwise it is "suppressed" or "insufficient data", never "no difference".
//! - **Panel design**: G theory `(p x r x i):v` pooled over vacancies (Brennan 2001), and `p x r x i`
//!   per vacancy, on each vacancy's complete candidates (every question scored by the panel most
//!   of its candidates had). The D-study sentence uses the commonest panel size and plan length.

use super::audit::Count;
use crate::ethnicity::{self, Group};
use crate::stats::dif::{self, Mantel, Stratum};
use crate::stats::gtheory::{self, Block, Design};
use crate::stats::{self, suppression};
use crate::store::AuditData;
use serde::Serialize;
use std::ops::Range;

/// Bands of the matching score used as strata.
pub const BANDS: usize = 10;
/// The G coefficient a decision should reach (Brennan 2001 uses 0.80 as a common target).
pub const G_TARGET: f64 = 0.80;

#[derive(Debug, Serialize)]
pub struct Questions {
    pub reference: &'static str,
    /// The groups compared with White, in column order.
    pub groups: Vec<&'static str>,
    pub bands: usize,
    /// Comparisons with statistics, and those classed `BB` or `CC` (either direction).
    pub tested: usize,
    pub flagged: usize,
    pub rows: Vec<QuestionRow>,
}

#[derive(Debug, Serialize)]
pub struct QuestionRow {
    pub question: String,
    pub category: String,
    /// Vacancies whose plan asked it.
    pub vacancies: usize,
    /// White candidates with a score on it.
    pub white: Count,
    pub comparisons: Vec<QuestionComparison>,
    /// Any comparison classed `BB` or `CC`.
    pub flagged: bool,
}

#[derive(Debug, Serialize)]
pub struct QuestionComparison {
    pub group: &'static str,
    pub label: &'static str,
    /// Candidates of this group with a score on the question.
    pub candidates: Count,
    /// "ok", "suppressed", "insufficient_data" or "not_computable".
    pub status: &'static str,
    pub n_strata_used: Option<usize>,
    pub n_ref_used: Option<usize>,
    pub n_focal_used: Option<usize>,
    /// Focal minus matched reference, in score points (negative: the group scored lower).
    pub smd: Option<f64>,
    pub effect_size: Option<f64>,
    pub chi2: Option<f64>,
    pub p_value: Option<f64>,
    pub la_delta: Option<f64>,
    /// ETS class after purification: `AA`, `BB-`, `BB+`, `CC-`, `CC+`.
    pub ets_class: Option<String>,
    pub stage1_class: Option<String>,
    /// "lower" or "higher" when classed beyond `AA`.
    pub direction: Option<&'static str>,
    pub flag: bool,
    /// The table cell: the class and count, or why there is none.
    pub cell: String,
    pub sentence: String,
}

#[derive(Debug, Serialize)]
pub struct PanelDesign {
    pub pooled: Option<PooledDesign>,
    pub note: Option<String>,
    pub per_vacancy: Vec<VacancyG>,
    pub vacancies_computed: usize,
    pub median_g: Option<f64>,
    pub median_phi: Option<f64>,
    /// Lower and upper quartiles of the per-vacancy G.
    pub g_quartiles: Option<[f64; 2]>,
    /// Vacancies whose own G is below 0.80 (by more than the stated tolerance).
    pub below_target_g: usize,
}

#[derive(Debug, Serialize)]
pub struct PooledDesign {
    pub vacancies: usize,
    pub candidates: usize,
    /// Harmonic means over candidates.
    pub panellists: f64,
    pub questions: f64,
    pub components: Vec<gtheory::Component>,
    pub g_coef: f64,
    pub phi: f64,
    pub sem_rel: f64,
    pub sem_abs: f64,
    pub d_study: Vec<gtheory::DStudyRow>,
    /// The commonest panel size and plan length, and what decisions reach with them.
    pub typical_panellists: usize,
    pub typical_questions: usize,
    pub typical_g: f64,
    pub typical_phi: f64,
    /// One panellist fewer (none with a panel of one).
    pub fewer_g: Option<f64>,
    pub more_g: f64,
    /// Fewest panellists (up to 10) reaching G = 0.80 with the typical number of questions.
    pub min_panellists_g_0_80: Option<usize>,
    pub sentence: String,
}

#[derive(Debug, Serialize)]
pub struct VacancyG {
    pub vacancy: String,
    pub candidates: usize,
    pub panellists: usize,
    pub questions: usize,
    pub g_coef: f64,
    pub phi: f64,
}

/// Every candidate's item scores, and each vacancy's complete block, gathered vacancy by vacancy
/// from the audit's one pass over the cells (see [`Items::add_vacancy`]).
pub struct Items {
    /// Index into `Group::STATED` of each ethnicity code.
    code_stated: Vec<Option<u8>>,
    /// Per scored candidate: index into `Group::STATED`, if stated.
    group: Vec<Option<u8>>,
    /// Per scored candidate: range into `items` (gathered in vacancy order).
    ranges: Vec<(u32, u32)>,
    items: Vec<(u32, f64)>,
    /// Vacancy index and its block.
    pub blocks: Vec<(u32, Block)>,
}

/// One cell as ranges into a vacancy's panellist and score buffers, with its question index.
pub type CellRanges = (Range<usize>, Range<usize>, u32);

impl Items {
    pub fn new(data: &AuditData) -> Items {
        let n = data.scores.candidates.len();
        Items {
            code_stated: data
                .codes
                .iter()
                .map(|c| {
                    let g = ethnicity::by_code(c).map_or(Group::NotAsked, |c| c.group);
                    Group::STATED.iter().position(|x| *x == g).map(|i| i as u8)
                })
                .collect(),
            group: vec![None; n],
            ranges: vec![(0, 0); n],
            items: Vec::with_capacity(data.scores.count / 3),
            blocks: Vec::new(),
        }
    }

    /// One vacancy's candidates (index, range of `cells`), with its cells in question order per
    /// candidate as ranges into `panels` and `values`. Item score = the cell's mean; a candidate is
    /// complete when every plan question was scored by all of their panellists, and the block holds
    /// the complete candidates with the panel most of them had (ties broken by the panel itself).
    pub fn add_vacancy(
        &mut self,
        data: &AuditData,
        v: u32,
        candidates: &[(usize, Range<usize>)],
        panels: &[u32],
        values: &[f64],
        cells: &[CellRanges],
    ) {
        let s = &data.scores;
        let ni = s.plan_len(v);
        let mut complete_panel: Vec<Option<&[u32]>> = Vec::with_capacity(candidates.len());
        for (c, range) in candidates {
            let cand = &s.candidates[*c];
            self.group[*c] = cand.ethnicity.and_then(|e| self.code_stated[e as usize]);
            let from = self.items.len() as u32;
            let sheets = cand.sheets.len();
            let mut complete = range.len() == ni;
            for (_, x, q) in &cells[range.clone()] {
                let xs = &values[x.clone()];
                self.items
                    .push((*q, xs.iter().sum::<f64>() / xs.len() as f64));
                complete &= xs.len() == sheets;
            }
            self.ranges[*c] = (from, self.items.len() as u32);
            complete_panel.push(
                (complete && !range.is_empty()).then(|| &panels[cells[range.start].0.clone()]),
            );
        }
        let mut counts: Vec<(&[u32], usize)> = Vec::new();
        for panel in complete_panel.iter().flatten() {
            match counts.iter_mut().find(|(q, _)| q == panel) {
                Some(e) => e.1 += 1,
                None => counts.push((panel, 1)),
            }
        }
        let Some(&(panel, _)) = counts
            .iter()
            .max_by(|a, b| (a.1, a.0.len(), a.0).cmp(&(b.1, b.0.len(), b.0)))
        else {
            return;
        };
        let nr = panel.len();
        let mut x = Vec::new();
        let mut np = 0;
        for ((_, range), p) in candidates.iter().zip(&complete_panel) {
            if *p != Some(panel) {
                continue;
            }
            let cs = &cells[range.clone()];
            for r in 0..nr {
                for (_, xs, _) in cs {
                    x.push(values[xs.start + r]);
                }
            }
            np += 1;
        }
        self.blocks.push((v, Block { n: [np, nr, ni], x }));
    }

    fn of(&self, c: usize) -> &[(u32, f64)] {
        let (a, b) = self.ranges[c];
        &self.items[a as usize..b as usize]
    }
}

/// One comparison's Mantel results per question, matching on every question except `excluded`
/// ones (the studied question always included). `run[q]` says whether to analyse question q.
fn dif_pass(
    items: &Items,
    nq: usize,
    focal: &[bool; 5],
    excluded: &[bool],
    run: &[bool],
) -> Vec<Option<Result<Mantel, stats::StatsError>>> {
    let white = Group::STATED
        .iter()
        .position(|g| *g == Group::White)
        .expect("White is stated") as u8;
    // Per question: (matching score, item score, focal).
    let mut rows: Vec<Vec<(f64, f64, bool)>> = vec![Vec::new(); nq];
    for c in 0..items.group.len() {
        let Some(g) = items.group[c] else { continue };
        let is_focal = focal[g as usize];
        if !is_focal && g != white {
            continue;
        }
        let its = items.of(c);
        let (mut sum, mut n) = (0.0, 0usize);
        for (q, x) in its {
            if !excluded[*q as usize] {
                sum += x;
                n += 1;
            }
        }
        for (q, x) in its {
            let q = *q as usize;
            if !run[q] {
                continue;
            }
            let m = if excluded[q] {
                (sum + x) / (n + 1) as f64
            } else {
                sum / n as f64
            };
            rows[q].push((m, *x, is_focal));
        }
    }
    rows.into_iter()
        .zip(run)
        .map(|(r, &go)| {
            if !go {
                return None;
            }
            let matching: Vec<f64> = r.iter().map(|x| x.0).collect();
            let cuts = dif::band_cuts(&matching, BANDS);
            let mut strata = vec![Stratum::default(); cuts.len() + 1];
            for (m, x, f) in r {
                let b = cuts.iter().filter(|c| m > **c).count();
                if f {
                    strata[b].focal.push(x);
                } else {
                    strata[b].reference.push(x);
                }
            }
            Some(dif::mantel_dif_strata(&strata))
        })
        .collect()
}

fn flagged_class(c: &str) -> bool {
    c != "AA"
}

const WHITE_LABEL: &str = "White";

/// Item scores and blocks for every vacancy, by their own pass over the cells (for callers that do
/// not run the audit's reliability pass, which gathers them on the way).
pub fn gather(data: &AuditData) -> Items {
    let s = &data.scores;
    let mut items = Items::new(data);
    let mut order: Vec<usize> = (0..s.candidates.len()).collect();
    order.sort_by_key(|&c| s.candidates[c].vacancy);
    let mut buf = crate::store::CellBuf::default();
    let (mut panels, mut values, mut cells, mut per_candidate) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for group in order.chunk_by(|a, b| s.candidates[*a].vacancy == s.candidates[*b].vacancy) {
        panels.clear();
        values.clear();
        cells.clear();
        per_candidate.clear();
        for &c in group {
            let from = cells.len();
            s.cells_of(c, &mut buf, |cell| {
                let p = panels.len()..panels.len() + cell.panellists.len();
                panels.extend_from_slice(cell.panellists);
                let x = values.len()..values.len() + cell.scores.len();
                values.extend_from_slice(cell.scores);
                cells.push((p, x, cell.question));
            });
            per_candidate.push((c, from..cells.len()));
        }
        let v = s.candidates[group[0]].vacancy;
        items.add_vacancy(data, v, &per_candidate, &panels, &values, &cells);
    }
    items
}

/// The Questions section: item bias per bank question (see the module docs).
pub fn item_bias(data: &AuditData, t: u64, items: &Items) -> Questions {
    let s = &data.scores;
    let nq = s.questions.len();
    // Vacancies per question, and candidates per question and stated group.
    let mut vacancies = vec![0usize; nq];
    for v in 0..data.vacancies.len() as u32 {
        for q in s.plan_questions(v) {
            vacancies[q as usize] += 1;
        }
    }
    let mut counts = vec![[0u64; 5]; nq];
    for c in 0..items.group.len() {
        if let Some(g) = items.group[c] {
            for (q, _) in items.of(c) {
                counts[*q as usize][g as usize] += 1;
            }
        }
    }
    // Suppressed per question: the four minority groups with their BME subtotal, and White.
    let minority: Vec<usize> = (0..5).filter(|&g| Group::STATED[g].is_bme()).collect();
    let white = (0..5)
        .find(|&g| Group::STATED[g] == Group::White)
        .expect("White is stated");
    let shown: Vec<([Count; 5], Count)> = counts
        .iter()
        .map(|c| {
            let mut values: Vec<u64> = minority.iter().map(|&g| c[g]).collect();
            values.push(values.iter().sum());
            let line: Vec<usize> = (0..values.len()).collect();
            let cells = suppression::suppress_linked(&values, &[line], &[], t);
            let mut out = [Count::Shown(0); 5];
            for (k, &g) in minority.iter().enumerate() {
                out[g] = cells[k];
            }
            out[white] = if suppression::is_suppressed(c[white], t) {
                Count::Suppressed
            } else {
                Count::Shown(c[white])
            };
            (out, cells[minority.len()])
        })
        .collect();
    let big_enough = |c: &Count| matches!(c, Count::Shown(n) if *n >= t.max(1));
    // Comparisons: each minority group, then BME.
    // Each comparison's key, label and which stated groups are its focal group.
    let mut comparisons: Vec<(&'static str, &'static str, [bool; 5])> = minority
        .iter()
        .map(|&g| {
            let grp = Group::STATED[g];
            (grp.key(), grp.label(), std::array::from_fn(|x| x == g))
        })
        .collect();
    comparisons.push((
        "bme",
        "Black, Asian and minority ethnic (BME)",
        std::array::from_fn(|x| Group::STATED[x].is_bme()),
    ));
    let focal_count = |k: usize, q: usize| -> Count {
        if k < minority.len() {
            shown[q].0[minority[k]]
        } else {
            shown[q].1
        }
    };
    // Per comparison and question: (stage 1, stage 2) results.
    let results: Vec<Vec<Option<(Mantel, Mantel)>>> = comparisons
        .iter()
        .enumerate()
        .map(|(k, (_, _, focal))| {
            let run: Vec<bool> = (0..nq)
                .map(|q| big_enough(&shown[q].0[white]) && big_enough(&focal_count(k, q)))
                .collect();
            let none = vec![false; nq];
            let stage1 = dif_pass(items, nq, focal, &none, &run);
            let flagged: Vec<bool> = stage1
                .iter()
                .map(|r| matches!(r, Some(Ok(m)) if flagged_class(&m.ets_class)))
                .collect();
            let stage2 = if flagged.iter().any(|f| *f) {
                dif_pass(items, nq, focal, &flagged, &run)
            } else {
                stage1.clone()
            };
            stage1
                .into_iter()
                .zip(stage2)
                .map(|(a, b)| match (a, b) {
                    (Some(Ok(a)), Some(Ok(b))) => Some((a, b)),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let mut order: Vec<usize> = (0..nq).collect();
    order.sort_by(|a, b| s.questions[*a].cmp(&s.questions[*b]));
    let (mut tested, mut flagged_total) = (0, 0);
    let rows = order
        .into_iter()
        .filter(|&q| vacancies[q] > 0)
        .map(|q| {
            let comparisons: Vec<QuestionComparison> = comparisons
                .iter()
                .enumerate()
                .map(|(k, (key, label, _))| {
                    let candidates = focal_count(k, q);
                    let mut row = QuestionComparison {
                        group: key,
                        label,
                        candidates,
                        status: "suppressed",
                        n_strata_used: None,
                        n_ref_used: None,
                        n_focal_used: None,
                        smd: None,
                        effect_size: None,
                        chi2: None,
                        p_value: None,
                        la_delta: None,
                        ets_class: None,
                        stage1_class: None,
                        direction: None,
                        flag: false,
                        cell: String::new(),
                        sentence: String::new(),
                    };
                    let counted = big_enough(&shown[q].0[white]) && big_enough(&candidates);
                    match &results[k][q] {
                        _ if !counted => {
                            row.sentence = format!(
                                "Fewer than {t} {label} or White candidates answered this \
                                 question, so there is no comparison."
                            );
                        }
                        Some((s1, m)) if m.n_focal_used as u64 >= t && m.n_ref_used as u64 >= t => {
                            tested += 1;
                            let flag = flagged_class(&m.ets_class);
                            let direction =
                                flag.then_some(if m.smd < 0.0 { "lower" } else { "higher" });
                            if flag {
                                flagged_total += 1;
                            }
                            row.status = "ok";
                            row.n_strata_used = Some(m.n_strata_used);
                            row.n_ref_used = Some(m.n_ref_used);
                            row.n_focal_used = Some(m.n_focal_used);
                            row.smd = Some(m.smd);
                            row.effect_size = Some(m.effect_size);
                            row.chi2 = Some(m.chi2);
                            row.p_value = Some(m.p_value);
                            row.la_delta = m.la_delta;
                            row.ets_class = Some(m.ets_class.clone());
                            row.stage1_class = Some(s1.ets_class.clone());
                            row.direction = direction;
                            row.flag = flag;
                            row.sentence = sentence(label, m, direction);
                        }
                        Some(_) => {
                            row.sentence = format!(
                                "Fewer than {t} {label} or White candidates at comparable overall \
                                 standards answered this question, so there is no comparison."
                            );
                        }
                        None => {
                            row.status = "insufficient_data";
                            row.sentence = format!(
                                "{label} and White candidates could not be compared at the same \
                                 overall standard: insufficient data, which is not evidence that \
                                 the question is fair."
                            );
                        }
                    }
                    row.cell = match (&row.ets_class, row.candidates) {
                        (_, Count::Suppressed) => "suppressed".to_string(),
                        (Some(c), Count::Shown(n)) => format!("{c} ({n})"),
                        (None, Count::Shown(n)) if row.status == "insufficient_data" => {
                            format!("insufficient data ({n})")
                        }
                        (None, Count::Shown(n)) => format!("not compared ({n})"),
                    };
                    row
                })
                .collect();
            QuestionRow {
                question: s.questions[q].clone(),
                category: s.categories[q].clone(),
                vacancies: vacancies[q],
                white: shown[q].0[white],
                flagged: comparisons.iter().any(|c| c.flag),
                comparisons,
            }
        })
        .collect();
    Questions {
        reference: WHITE_LABEL,
        groups: comparisons.iter().map(|c| c.1).collect(),
        bands: BANDS,
        tested,
        flagged: flagged_total,
        rows,
    }
}

fn sentence(label: &str, m: &Mantel, direction: Option<&str>) -> String {
    match direction {
        Some(d) => format!(
            "{label} candidates scored {d} on this question than White candidates of the same \
             overall interview standard, by {:.2} points ({} difference, ETS class {}). Review the \
             question and its scoring anchors: a flag is a prompt to look, not proof of bias.",
            m.smd.abs(),
            if m.ets_class.starts_with("CC") {
                "large"
            } else {
                "moderate"
            },
            &m.ets_class[..2],
        ),
        None => format!(
            "No notable difference between {label} and White candidates of the same overall \
             interview standard (ETS class A)."
        ),
    }
}

/// The commonest value (the larger on a tie).
fn mode(xs: impl Iterator<Item = usize>) -> Option<usize> {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for x in xs {
        match counts.iter_mut().find(|(v, _)| *v == x) {
            Some(e) => e.1 += 1,
            None => counts.push((x, 1)),
        }
    }
    counts.into_iter().max_by_key(|&(v, n)| (n, v)).map(|e| e.0)
}

/// The Panel design section from each vacancy's complete block.
pub fn panel_design(data: &AuditData, blocks: Vec<(u32, Block)>) -> PanelDesign {
    let mut per_vacancy: Vec<VacancyG> = blocks
        .iter()
        .filter_map(|(v, b)| {
            let id = data.vacancies[*v as usize].id.clone();
            let g =
                gtheory::g_study_blocks(Design::PxRxI, vec![id.clone()], vec![b.clone()]).ok()?;
            Some(VacancyG {
                vacancy: id,
                candidates: b.n[0],
                panellists: b.n[1],
                questions: b.n[2],
                g_coef: g.g_coef,
                phi: g.phi,
            })
        })
        .collect();
    per_vacancy.sort_by(|a, b| a.vacancy.cmp(&b.vacancy));
    let mut gs: Vec<f64> = per_vacancy.iter().map(|v| v.g_coef).collect();
    let mut phis: Vec<f64> = per_vacancy.iter().map(|v| v.phi).collect();
    gs.sort_by(f64::total_cmp);
    phis.sort_by(f64::total_cmp);
    let quantile = |xs: &[f64], p: f64| -> f64 {
        // Type 7 (linear interpolation between order statistics), as R's default.
        let h = (xs.len() - 1) as f64 * p;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(xs.len() - 1);
        xs[lo] + (h - lo as f64) * (xs[hi] - xs[lo])
    };
    let typical_r = mode(blocks.iter().filter(|b| b.1.n[0] > 0).map(|b| b.1.n[1]));
    let typical_i = mode(blocks.iter().filter(|b| b.1.n[0] > 0).map(|b| b.1.n[2]));
    let (ids, bl): (Vec<String>, Vec<Block>) = blocks
        .into_iter()
        .map(|(v, b)| (data.vacancies[v as usize].id.clone(), b))
        .unzip();
    // One vacancy is its own crossed design.
    let design = if bl.len() == 1 {
        Design::PxRxI
    } else {
        Design::Pooled
    };
    let (pooled, note) = match gtheory::g_study_blocks(design, ids, bl) {
        Ok(g) => (pooled_view(&g, typical_r, typical_i), None),
        Err(e) => (
            None,
            Some(
                e.to_string()
                    .trim_start_matches("not computable: ")
                    .to_string(),
            ),
        ),
    };
    PanelDesign {
        pooled,
        note,
        vacancies_computed: per_vacancy.len(),
        median_g: (!gs.is_empty()).then(|| quantile(&gs, 0.5)),
        median_phi: (!phis.is_empty()).then(|| quantile(&phis, 0.5)),
        g_quartiles: (!gs.is_empty()).then(|| [quantile(&gs, 0.25), quantile(&gs, 0.75)]),
        below_target_g: gs
            .iter()
            .filter(|g| stats::below_cut(**g, G_TARGET))
            .count(),
        per_vacancy,
    }
}

fn pooled_view(
    g: &gtheory::GStudy,
    typical_r: Option<usize>,
    typical_i: Option<usize>,
) -> Option<PooledDesign> {
    let (r, i) = (typical_r?, typical_i?);
    let at = |r: usize| g.at(r as f64, i as f64).ok();
    let (typical_g, typical_phi) = at(r)?;
    let fewer_g = (r > 1).then(|| at(r - 1)).flatten().map(|x| x.0);
    let more_g = at(r + 1)?.0;
    let min_panellists_g_0_80 =
        (1..=10).find(|&n| at(n).is_some_and(|x| !stats::below_cut(x.0, G_TARGET)));
    let mut sentence = format!(
        "With {r} panellists and {i} questions, decisions reach G = {typical_g:.2} (Φ = {typical_phi:.2})"
    );
    match fewer_g {
        Some(f) => {
            sentence += &format!(
                "; {} would give {f:.2}, {} would give {more_g:.2}.",
                plural(r - 1),
                r + 1
            )
        }
        None => sentence += &format!("; {} would give {more_g:.2}.", plural(r + 1)),
    }
    match min_panellists_g_0_80 {
        Some(n) if n <= r => {
            sentence += &format!(
            " G = 0.80 needs {} with {i} questions, so the usual panel is enough for consistent \
             ranking.",
            plural(n)
        )
        }
        Some(n) => {
            sentence += &format!(
                " G = 0.80 needs {} with {i} questions: consider larger panels or more questions.",
                plural(n)
            )
        }
        None => {
            sentence += &format!(
                " Even 10 panellists with {i} questions would not reach G = 0.80: look at the \
             questions and anchors rather than adding panellists."
            )
        }
    }
    Some(PooledDesign {
        vacancies: g.sizes.vacancies.as_ref().map_or(1, |v| v.len()),
        candidates: g.sizes.candidates,
        panellists: g.sizes.raters.unwrap_or(0.0),
        questions: g.sizes.questions.unwrap_or(0.0),
        components: g.components.clone(),
        g_coef: g.g_coef,
        phi: g.phi,
        sem_rel: g.sem_rel,
        sem_abs: g.sem_abs,
        d_study: g.d_study.clone(),
        typical_panellists: r,
        typical_questions: i,
        typical_g,
        typical_phi,
        fewer_g,
        more_g,
        min_panellists_g_0_80,
        sentence,
    })
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 panellist".to_string()
    } else {
        format!("{n} panellists")
    }
}
