//! Differential item functioning (DIF) per interview question: do candidates of a focal group who
//! are matched on their overall performance score lower (or higher) on one question than matched
//! candidates of the reference group?
//!
//! A flag is a prompt to review the question and its scoring anchors, not proof of bias: it can
//! come from the question, its anchors, the panel, chance, or a real difference in the skill the
//! question alone measures.
//!
//! # Stratified method (primary)
//!
//! Within each stratum k (candidates with similar matching scores), with n_Rk reference and n_Fk
//! focal members, item-score total S_k, sum of squares S2_k and focal total F_k:
//!
//! * **Mantel (1963)** chi-square for ordered scores, 1 df, no continuity correction:
//!   E(F_k) = n_Fk S_k / n_k, Var(F_k) = n_Rk n_Fk (n_k S2_k − S_k²) / (n_k² (n_k − 1)),
//!   χ² = (ΣF_k − ΣE(F_k))² / ΣVar(F_k); `z_mantel` is the signed root. With two score values it
//!   is the Mantel–Haenszel chi-square without continuity correction (R `mantelhaen.test(correct
//!   = FALSE)`).
//! * **SMD** (Dorans & Schmitt 1991; Zwick & Thayer 1996), focal-weighted:
//!   SMD = Σ_k (n_Fk / n_F)(m_Fk − m_Rk), negative when the focal group scores lower than matched
//!   reference candidates. Standard error from Zwick & Thayer's (1996) hypergeometric variance,
//!   Var(SMD) = Σ_k (n_Fk / n_F)² (1/n_Fk + 1/n_Rk)² Var(F_k).
//! * **Effect size** SMD / SD, SD the sample standard deviation (n − 1) of the item score over all
//!   reference and focal members in the strata used.
//! * **ETS classes** for polytomous items (Zwick, Thayer & Mazzeo 1997): `AA` when the Mantel
//!   p-value is at least 0.05 or |SMD/SD| ≤ 0.17; `BB` when p < 0.05 and 0.17 < |SMD/SD| ≤ 0.25;
//!   `CC` when p < 0.05 and |SMD/SD| > 0.25; a value within 10⁻⁹ of a cut counts as on it
//!   ([`super::THRESHOLD_TOLERANCE`]), so it takes the milder class. `BB`/`CC` carry the sign of SMD: `-` means the focal
//!   group scored lower than matched reference candidates, `+` higher.
//! * **Liu–Agresti** cumulative common odds ratio (Liu & Agresti 1996; Penfield & Algina 2003),
//!   point estimate: for each cut between adjacent observed score values and each stratum, with
//!   A = reference above the cut, B = reference at or below, C = focal above, D = focal at or below,
//!   ψ = Σ AD/n_k / Σ BC/n_k: the common odds of a reference member rather than a matched focal
//!   member scoring above a cut. With two score values it is the Mantel–Haenszel common odds
//!   ratio. `la_log_psi` = ln ψ and `la_delta` = −2.35 ln ψ (ETS delta scale: negative when the
//!   focal group is disadvantaged, like SMD). `None` (JSON `null`) when ψ is 0 or infinite.
//!
//! Only strata holding at least one reference and one focal member are used; the counts
//! `n_strata_used`, `n_used`, `n_ref_used`, `n_focal_used` say how much data the result rests on.
//! A question with no such stratum is **insufficient data**, never "no DIF".
//!
//! # Matching, strata and purification (rater-level data)
//!
//! * Item score: the panel's mean score for the candidate on the question.
//! * Matching score: the mean of the candidate's item scores over the matching set, the studied
//!   question included. Candidates lacking an item score on any question of the matching set are
//!   left out of that question's analysis (and counted).
//! * Strata: bands of the matching score. The sorted matching scores are split into the requested
//!   number of bands of as nearly equal counts as ties allow; each cut point lies halfway between
//!   two adjacent *observed* matching scores, so no candidate can sit on a cut (the cuts are
//!   reported). Optionally bands are crossed with vacancy.
//! * Two-stage purification (Holland & Thayer 1988; Zwick, Thayer & Mazzeo 1997): stage 1 matches
//!   on all questions; questions classed beyond `AA` are dropped from the matching set and every
//!   question is analysed again (stage 2) matching on the remaining anchor questions plus itself.
//!
//! # Regression method (secondary)
//!
//! Per question, cumulative-logit models of the item score ([`super::ordinal`]): M0 matching
//! score; M1 + group (focal = 1, reference = 0); M2 + matching × group (Zumbo 1999; Swaminathan &
//! Rogers 1990 for two score values). Likelihood-ratio chi-squares: uniform M1 vs M0 (1 df),
//! non-uniform M2 vs M1 (1 df), total M2 vs M0 (2 df). Nagelkerke and McFadden R² per model and
//! their changes (M1 − M0, M2 − M1, M2 − M0). Classes from the total test and the Nagelkerke change
//! M2 − M0: Zumbo & Thomas (1997) A below 0.13, B 0.13 to 0.26, C above 0.26; Jodoin & Gierl (2001)
//! A below 0.035, B 0.035 to 0.070, C above 0.070; B and C need p < 0.05. `beta_group_m1` is the
//! group coefficient in M1 (negative: the focal group scores lower at the same matching score);
//! `beta_change` is (β_match(M0) − β_match(M1)) / β_match(M0) (Crane et al. 2006).

use serde::Serialize;
use std::collections::HashMap;

use super::ordinal::{fit_cumulative_logit, OrdinalFit};
use super::{chi2_sf, invalid, not_computable, StatsError};

/// One candidate's item score on one question, in a stratum, in the reference or focal group.
#[derive(Debug, Clone)]
pub struct StratumScore {
    pub stratum: String,
    pub focal: bool,
    pub score: f64,
}

/// The stratified (Mantel / SMD / Liu–Agresti) statistics for one question.
#[derive(Debug, Clone, Serialize)]
pub struct Mantel {
    pub n_strata_used: usize,
    pub n_used: usize,
    pub n_ref_used: usize,
    pub n_focal_used: usize,
    pub sum_focal_observed: f64,
    pub sum_focal_expected: f64,
    pub sum_variance: f64,
    pub chi2: f64,
    pub p_value: f64,
    pub z_mantel: f64,
    pub smd: f64,
    pub smd_se: f64,
    pub smd_z: f64,
    pub sd_item: f64,
    pub effect_size: f64,
    pub ets_class: String,
    pub la_psi: Option<f64>,
    pub la_log_psi: Option<f64>,
    pub la_delta: Option<f64>,
}

/// Why a question has no result.
fn insufficient() -> StatsError {
    StatsError::NotComputable(
        "insufficient data: no stratum holds both a reference and a focal candidate".to_string(),
    )
}

/// True when an error from [`mantel_dif`] means there was nothing to compare.
pub fn is_insufficient(e: &StatsError) -> bool {
    matches!(e, StatsError::NotComputable(m) if m.starts_with("insufficient data"))
}

/// One stratum's item scores, by group.
#[derive(Debug, Clone, Default)]
pub struct Stratum {
    pub reference: Vec<f64>,
    pub focal: Vec<f64>,
}

/// Mantel's chi-square, SMD with its Zwick–Thayer standard error, ETS class and the Liu–Agresti
/// odds ratio for one question. `NotComputable` ("insufficient data: …", see [`is_insufficient`])
/// when no stratum holds both groups, and when the scores do not vary within the strata used.
pub fn mantel_dif(scores: &[StratumScore]) -> Result<Mantel, StatsError> {
    if let Some(s) = scores.iter().find(|s| !s.score.is_finite()) {
        return invalid(format!("DIF: score {} is not finite", s.score));
    }
    // Strata in order of first appearance.
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut strata: Vec<Stratum> = Vec::new();
    for s in scores {
        let k = *index.entry(s.stratum.as_str()).or_insert_with(|| {
            strata.push(Stratum::default());
            strata.len() - 1
        });
        if s.focal {
            strata[k].focal.push(s.score);
        } else {
            strata[k].reference.push(s.score);
        }
    }
    mantel_dif_strata(&strata)
}

/// [`mantel_dif`] on scores already grouped by stratum (strata lacking either group are skipped).
pub fn mantel_dif_strata(strata: &[Stratum]) -> Result<Mantel, StatsError> {
    if let Some(x) = strata
        .iter()
        .flat_map(|s| s.reference.iter().chain(&s.focal))
        .find(|x| !x.is_finite())
    {
        return invalid(format!("DIF: score {x} is not finite"));
    }
    let used: Vec<&Stratum> = strata
        .iter()
        .filter(|st| !st.focal.is_empty() && !st.reference.is_empty())
        .collect();
    if used.is_empty() {
        return Err(insufficient());
    }
    let n_focal: usize = used.iter().map(|st| st.focal.len()).sum();
    let n_ref: usize = used.iter().map(|st| st.reference.len()).sum();
    let n_used = n_focal + n_ref;
    let (mut obs, mut exp, mut var) = (0.0, 0.0, 0.0);
    let (mut smd, mut smd_var) = (0.0, 0.0);
    let (mut sum, mut sum_sq) = (0.0, 0.0);
    for st in &used {
        let nf = st.focal.len() as f64;
        let nr = st.reference.len() as f64;
        let n = nf + nr;
        let f: f64 = st.focal.iter().sum();
        let r: f64 = st.reference.iter().sum();
        let s1 = f + r;
        let s2: f64 = st.focal.iter().chain(&st.reference).map(|x| x * x).sum();
        let vk = nr * nf * (n * s2 - s1 * s1) / (n * n * (n - 1.0));
        obs += f;
        exp += nf * s1 / n;
        var += vk.max(0.0);
        let w = nf / n_focal as f64;
        smd += w * (f / nf - r / nr);
        smd_var += w * w * (1.0 / nf + 1.0 / nr).powi(2) * vk.max(0.0);
        sum += s1;
        sum_sq += s2;
    }
    let scale = sum_sq / n_used as f64;
    if var <= 1e-12 * scale.max(f64::MIN_POSITIVE) {
        return not_computable(
            "the question's scores do not vary within the strata holding both groups, so \
             Mantel's test is undefined",
        );
    }
    let chi2 = (obs - exp).powi(2) / var;
    let p_value = chi2_sf(chi2, 1.0)?;
    let z_mantel = (obs - exp) / var.sqrt();
    let smd_se = smd_var.sqrt();
    let mean = sum / n_used as f64;
    let sd_item = (used
        .iter()
        .flat_map(|st| st.focal.iter().chain(&st.reference))
        .map(|v| (v - mean).powi(2))
        .sum::<f64>()
        / (n_used as f64 - 1.0))
        .sqrt();
    let effect_size = smd / sd_item;
    let ets_class = ets_class(p_value, smd, effect_size);

    // Liu–Agresti over the cuts between adjacent observed values: with each stratum's scores
    // sorted, the counts at or below a cut are a binary search away.
    let sorted: Vec<(Vec<f64>, Vec<f64>)> = used
        .iter()
        .map(|st| {
            let mut r = st.reference.clone();
            let mut f = st.focal.clone();
            r.sort_unstable_by(f64::total_cmp);
            f.sort_unstable_by(f64::total_cmp);
            (r, f)
        })
        .collect();
    // The observed values: each sorted list's distinct values, merged.
    let mut cuts: Vec<f64> = Vec::new();
    for (r, f) in &sorted {
        for list in [r, f] {
            let mut last = None;
            for &x in list.iter() {
                if last != Some(x) {
                    cuts.push(x);
                    last = Some(x);
                }
            }
        }
    }
    cuts.sort_unstable_by(f64::total_cmp);
    cuts.dedup();
    let (mut num, mut den) = (0.0, 0.0);
    for c in &cuts[..cuts.len() - 1] {
        for (r, f) in &sorted {
            let n = (r.len() + f.len()) as f64;
            let rb = r.partition_point(|x| x <= c) as f64;
            let fb = f.partition_point(|x| x <= c) as f64;
            let (a, b) = (r.len() as f64 - rb, rb);
            let (cc, d) = (f.len() as f64 - fb, fb);
            num += a * d / n;
            den += b * cc / n;
        }
    }
    let la_psi = (num > 0.0 && den > 0.0).then(|| num / den);
    let out = Mantel {
        n_strata_used: used.len(),
        n_used,
        n_ref_used: n_ref,
        n_focal_used: n_focal,
        sum_focal_observed: obs,
        sum_focal_expected: exp,
        sum_variance: var,
        chi2,
        p_value,
        z_mantel,
        smd,
        smd_se,
        smd_z: smd / smd_se,
        sd_item,
        effect_size,
        ets_class,
        la_psi,
        la_log_psi: la_psi.map(f64::ln),
        la_delta: la_psi.map(|p| -2.35 * p.ln()),
    };
    super::ensure_finite(
        "DIF statistics",
        &[
            out.chi2,
            out.p_value,
            out.smd,
            out.smd_se,
            out.smd_z,
            out.effect_size,
        ],
    )?;
    Ok(out)
}

/// ETS class for a polytomous item (Zwick, Thayer & Mazzeo 1997); see the module docs.
///
/// The cuts are decided with [`super::THRESHOLD_TOLERANCE`]: p must be below 0.05, and |SMD/SD|
/// above 0.17 (or 0.25), by more than the tolerance, so a value on a cut takes the milder class.
pub fn ets_class(p_value: f64, smd: f64, effect_size: f64) -> String {
    let a = effect_size.abs();
    let sign = if smd < 0.0 { "-" } else { "+" };
    if !super::below_cut(p_value, 0.05) || !super::above_cut(a, 0.17) {
        "AA".to_string()
    } else if !super::above_cut(a, 0.25) {
        format!("BB{sign}")
    } else {
        format!("CC{sign}")
    }
}

/// One panellist's score for one candidate on one question.
#[derive(Debug, Clone)]
pub struct RaterScore {
    pub vacancy: String,
    pub candidate: String,
    pub rater: String,
    pub question: String,
    pub score: f64,
    pub group: String,
}

/// How the rater-level pipeline matches and stratifies.
#[derive(Debug, Clone)]
pub struct DifOptions {
    pub reference: String,
    pub focal: String,
    /// Number of bands of the matching score.
    pub bands: usize,
    /// Cross the bands with vacancy.
    pub by_vacancy: bool,
    /// Run the two-stage purification.
    pub purify: bool,
}

/// A question's result at one stage: `status` is "ok", "insufficient_data" or "not_computable".
#[derive(Debug, Clone, Serialize)]
pub struct Stage<T: Serialize> {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Questions whose mean formed the matching score.
    pub matching: Vec<String>,
    /// Candidates of either group left out for lacking a score on a matching question.
    pub n_excluded_incomplete: usize,
    /// Cut points between bands of the matching score (stratified method only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cuts: Option<Vec<f64>>,
    #[serde(flatten)]
    pub result: Option<T>,
}

/// One question through the pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionDif<T: Serialize> {
    pub question: String,
    pub stage1: Stage<T>,
    /// Classed beyond negligible at stage 1 (ETS `BB`/`CC`, or regression class B/C).
    pub flagged_stage1: bool,
    /// The anchor questions of stage 2 (unflagged at stage 1); `None` without purification.
    pub anchor_stage2: Option<Vec<String>>,
    pub stage2: Option<Stage<T>>,
}

/// DIF for every question of rater-level data.
#[derive(Debug, Clone, Serialize)]
pub struct DifReport<T: Serialize> {
    pub reference: String,
    pub focal: String,
    pub n_reference: usize,
    pub n_focal: usize,
    /// Candidates in neither group (not analysed).
    pub n_other: usize,
    pub bands: usize,
    pub by_vacancy: bool,
    pub purify: bool,
    pub questions: Vec<QuestionDif<T>>,
}

/// Item scores per candidate: (vacancy, candidate, focal, item score per question).
struct Candidates {
    questions: Vec<String>,
    rows: Vec<(String, bool, Vec<Option<f64>>)>,
    n_other: usize,
}

fn item_scores(data: &[RaterScore], opts: &DifOptions) -> Result<Candidates, StatsError> {
    if opts.reference == opts.focal {
        return invalid("DIF: the reference and focal groups must differ");
    }
    let mut questions: Vec<String> = Vec::new();
    let mut q_index: HashMap<&str, usize> = HashMap::new();
    let mut cands: Vec<(&str, &str, &str)> = Vec::new();
    let mut c_index: HashMap<(&str, &str), usize> = HashMap::new();
    let mut sums: HashMap<(usize, usize), (f64, f64)> = HashMap::new();
    let mut seen: HashMap<(&str, &str, &str, &str), ()> = HashMap::new();
    for d in data {
        if !d.score.is_finite() {
            return invalid(format!(
                "DIF: score for candidate '{}' by rater '{}' is not finite",
                d.candidate, d.rater
            ));
        }
        if seen
            .insert((&d.vacancy, &d.candidate, &d.rater, &d.question), ())
            .is_some()
        {
            return invalid(format!(
                "DIF: candidate '{}' has more than one score from rater '{}' on question '{}'",
                d.candidate, d.rater, d.question
            ));
        }
        let q = *q_index.entry(d.question.as_str()).or_insert_with(|| {
            questions.push(d.question.clone());
            questions.len() - 1
        });
        let key = (d.vacancy.as_str(), d.candidate.as_str());
        let c = match c_index.get(&key) {
            Some(&c) => {
                if cands[c].2 != d.group {
                    return invalid(format!(
                        "DIF: candidate '{}' is in group '{}' on one row and '{}' on another",
                        d.candidate, cands[c].2, d.group
                    ));
                }
                c
            }
            None => {
                cands.push((&d.vacancy, &d.candidate, &d.group));
                c_index.insert(key, cands.len() - 1);
                cands.len() - 1
            }
        };
        let e = sums.entry((c, q)).or_insert((0.0, 0.0));
        e.0 += d.score;
        e.1 += 1.0;
    }
    let mut rows = Vec::new();
    let mut n_other = 0;
    for (c, (v, _, g)) in cands.iter().enumerate() {
        let focal = if *g == opts.focal {
            true
        } else if *g == opts.reference {
            false
        } else {
            n_other += 1;
            continue;
        };
        let items = (0..questions.len())
            .map(|q| sums.get(&(c, q)).map(|(s, n)| s / n))
            .collect();
        rows.push((v.to_string(), focal, items));
    }
    Ok(Candidates {
        questions,
        rows,
        n_other,
    })
}

/// Cut points for `bands` bands of nearly equal counts, each halfway between adjacent observed
/// values so that no value sits on a cut.
pub fn band_cuts(values: &[f64], bands: usize) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let n = sorted.len();
    let mut cuts: Vec<f64> = Vec::new();
    if n == 0 || bands < 2 {
        return cuts;
    }
    for k in 1..bands {
        let pos = (k * n).div_ceil(bands).max(1) - 1;
        let v = sorted[pos];
        if let Some(next) = sorted[pos..].iter().find(|x| **x > v) {
            let cut = (v + next) / 2.0;
            if cuts.last().is_none_or(|l| *l < cut) {
                cuts.push(cut);
            }
        }
    }
    cuts
}

fn band_of(cuts: &[f64], x: f64) -> usize {
    cuts.iter().filter(|c| x > **c).count()
}

/// The rows analysed for one question: (vacancy, focal, matching score, item score), and how many
/// were left out.
fn matched_rows(cands: &Candidates, q: usize, matching: &[usize]) -> (Vec<MatchedRow>, usize) {
    let mut out = Vec::new();
    let mut excluded = 0;
    for (v, focal, items) in &cands.rows {
        let Some(item) = items[q] else { continue };
        let m: Option<Vec<f64>> = matching.iter().map(|&j| items[j]).collect();
        match m {
            Some(m) => out.push((
                v.clone(),
                *focal,
                m.iter().sum::<f64>() / m.len() as f64,
                item,
            )),
            None => excluded += 1,
        }
    }
    (out, excluded)
}

fn stage<T: Serialize>(
    matching: Vec<String>,
    excluded: usize,
    cuts: Option<Vec<f64>>,
    r: Result<T, StatsError>,
) -> Stage<T> {
    let (status, reason, result) = match r {
        Ok(t) => ("ok", None, Some(t)),
        Err(e) if is_insufficient(&e) => ("insufficient_data", Some(e.to_string()), None),
        Err(e) => ("not_computable", Some(e.to_string()), None),
    };
    Stage {
        status,
        reason: reason.map(|r| r.trim_start_matches("not computable: ").to_string()),
        matching,
        n_excluded_incomplete: excluded,
        cuts,
        result,
    }
}

/// A candidate analysed for one question: vacancy, focal, matching score, item score.
type MatchedRow = (String, bool, f64, f64);

/// Band cut points (stratified method) and the question's result.
type Analysis<T> = (Option<Vec<f64>>, Result<T, StatsError>);

/// Runs `analyse` for every question, with the two-stage purification when asked; `flag` says
/// whether a stage-1 result is beyond negligible.
fn pipeline<T: Serialize>(
    cands: &Candidates,
    opts: &DifOptions,
    analyse: &dyn Fn(&[MatchedRow]) -> Analysis<T>,
    flag: &dyn Fn(&T) -> bool,
) -> Vec<QuestionDif<T>> {
    let nq = cands.questions.len();
    let names = |idx: &[usize]| idx.iter().map(|&j| cands.questions[j].clone()).collect();
    let run = |q: usize, anchor: &[usize]| {
        let mut matching: Vec<usize> = anchor.to_vec();
        if !matching.contains(&q) {
            matching.push(q);
            matching.sort_unstable();
        }
        let (rows, excluded) = matched_rows(cands, q, &matching);
        let (cuts, r) = analyse(&rows);
        stage(names(&matching), excluded, cuts, r)
    };
    let all: Vec<usize> = (0..nq).collect();
    let stage1: Vec<Stage<T>> = (0..nq).map(|q| run(q, &all)).collect();
    let flagged: Vec<bool> = stage1
        .iter()
        .map(|s| s.result.as_ref().is_some_and(flag))
        .collect();
    let anchor: Vec<usize> = (0..nq).filter(|&q| !flagged[q]).collect();
    stage1
        .into_iter()
        .enumerate()
        .map(|(q, s1)| {
            let (anchor_stage2, stage2) = if opts.purify {
                let s2 = if anchor.is_empty() {
                    stage(
                        Vec::new(),
                        0,
                        None,
                        not_computable(
                            "every question was flagged at stage 1, so no anchor questions remain",
                        ),
                    )
                } else {
                    run(q, &anchor)
                };
                (Some(names(&anchor)), Some(s2))
            } else {
                (None, None)
            };
            QuestionDif {
                question: cands.questions[q].clone(),
                stage1: s1,
                flagged_stage1: flagged[q],
                anchor_stage2,
                stage2,
            }
        })
        .collect()
}

fn report<T: Serialize>(
    cands: &Candidates,
    opts: &DifOptions,
    questions: Vec<QuestionDif<T>>,
) -> DifReport<T> {
    let n_focal = cands.rows.iter().filter(|r| r.1).count();
    DifReport {
        reference: opts.reference.clone(),
        focal: opts.focal.clone(),
        n_reference: cands.rows.len() - n_focal,
        n_focal,
        n_other: cands.n_other,
        bands: opts.bands,
        by_vacancy: opts.by_vacancy,
        purify: opts.purify,
        questions,
    }
}

/// The stratified method on rater-level data: item scores, matching, bands (optionally by
/// vacancy) and, when asked, two-stage purification. See the module docs.
pub fn dif_stratified(
    data: &[RaterScore],
    opts: &DifOptions,
) -> Result<DifReport<Mantel>, StatsError> {
    if opts.bands == 0 {
        return invalid("DIF: at least one band is needed");
    }
    let cands = item_scores(data, opts)?;
    let analyse = |rows: &[MatchedRow]| {
        let matching: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let cuts = band_cuts(&matching, opts.bands);
        let scores: Vec<StratumScore> = rows
            .iter()
            .map(|(v, focal, m, item)| StratumScore {
                stratum: if opts.by_vacancy {
                    format!("{v}\u{1f}{}", band_of(&cuts, *m))
                } else {
                    band_of(&cuts, *m).to_string()
                },
                focal: *focal,
                score: *item,
            })
            .collect();
        (Some(cuts), mantel_dif(&scores))
    };
    let questions = pipeline(&cands, opts, &analyse, &|m: &Mantel| m.ets_class != "AA");
    Ok(report(&cands, opts, questions))
}

/// One model's fit summary.
#[derive(Debug, Clone, Serialize)]
pub struct ModelFit {
    pub loglik: f64,
    pub r2_nagelkerke: f64,
    pub r2_mcfadden: f64,
}

/// Changes in R² between the models.
#[derive(Debug, Clone, Serialize)]
pub struct R2Change {
    /// M1 − M0.
    pub uniform: f64,
    /// M2 − M1.
    pub nonuniform: f64,
    /// M2 − M0.
    pub total: f64,
}

/// The regression (ordinal logistic) DIF statistics for one question.
#[derive(Debug, Clone, Serialize)]
pub struct LogisticDif {
    pub n_used: usize,
    pub n_ref_used: usize,
    pub n_focal_used: usize,
    /// Distinct item-score values (the ordered categories).
    pub categories: usize,
    pub m0: ModelFit,
    pub m1: ModelFit,
    pub m2: ModelFit,
    pub chi2_uniform: f64,
    pub p_uniform: f64,
    pub chi2_nonuniform: f64,
    pub p_nonuniform: f64,
    pub chi2_total: f64,
    pub p_total: f64,
    pub delta_r2_nagelkerke: R2Change,
    pub delta_r2_mcfadden: R2Change,
    pub beta_group_m1: f64,
    pub se_beta_group_m1: f64,
    pub beta_change: f64,
    pub class_jodoin_gierl: String,
    pub class_zumbo_thomas: String,
}

fn model_fit(f: &OrdinalFit) -> ModelFit {
    ModelFit {
        loglik: f.loglik,
        r2_nagelkerke: f.r2_nagelkerke(),
        r2_mcfadden: f.r2_mcfadden(),
    }
}

fn r2_class(p: f64, delta: f64, b: f64, c: f64) -> String {
    if p >= 0.05 || delta < b {
        "A"
    } else if delta <= c {
        "B"
    } else {
        "C"
    }
    .to_string()
}

/// Regression DIF for one question from (focal, matching score, item score) triples.
pub fn logistic_dif(rows: &[(bool, f64, f64)]) -> Result<LogisticDif, StatsError> {
    let n_focal = rows.iter().filter(|r| r.0).count();
    if n_focal == 0 || n_focal == rows.len() {
        return Err(insufficient());
    }
    let y: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let g = |r: &(bool, f64, f64)| if r.0 { 1.0 } else { 0.0 };
    let x0: Vec<Vec<f64>> = rows.iter().map(|r| vec![r.1]).collect();
    let x1: Vec<Vec<f64>> = rows.iter().map(|r| vec![r.1, g(r)]).collect();
    let x2: Vec<Vec<f64>> = rows.iter().map(|r| vec![r.1, g(r), r.1 * g(r)]).collect();
    let fit = |x: &[Vec<f64>], which: &str| {
        fit_cumulative_logit(&y, x).map_err(|e| match e {
            StatsError::NotComputable(m) => StatsError::NotComputable(format!("{which}: {m}")),
            other => other,
        })
    };
    let m0 = fit(&x0, "M0 (matching)")?;
    let m1 = fit(&x1, "M1 (matching + group)")?;
    let m2 = fit(&x2, "M2 (matching + group + interaction)")?;
    let chi2_uniform = (2.0 * (m1.loglik - m0.loglik)).max(0.0);
    let chi2_nonuniform = (2.0 * (m2.loglik - m1.loglik)).max(0.0);
    let chi2_total = (2.0 * (m2.loglik - m0.loglik)).max(0.0);
    let p_total = chi2_sf(chi2_total, 2.0)?;
    let (f0, f1, f2) = (model_fit(&m0), model_fit(&m1), model_fit(&m2));
    let change = |a: f64, b: f64, c: f64| R2Change {
        uniform: b - a,
        nonuniform: c - b,
        total: c - a,
    };
    let dn = change(f0.r2_nagelkerke, f1.r2_nagelkerke, f2.r2_nagelkerke);
    let dm = change(f0.r2_mcfadden, f1.r2_mcfadden, f2.r2_mcfadden);
    let out = LogisticDif {
        n_used: rows.len(),
        n_ref_used: rows.len() - n_focal,
        n_focal_used: n_focal,
        categories: m0.categories.len(),
        chi2_uniform,
        p_uniform: chi2_sf(chi2_uniform, 1.0)?,
        chi2_nonuniform,
        p_nonuniform: chi2_sf(chi2_nonuniform, 1.0)?,
        chi2_total,
        p_total,
        class_jodoin_gierl: r2_class(p_total, dn.total, 0.035, 0.070),
        class_zumbo_thomas: r2_class(p_total, dn.total, 0.13, 0.26),
        delta_r2_nagelkerke: dn,
        delta_r2_mcfadden: dm,
        beta_group_m1: m1.beta[1],
        se_beta_group_m1: m1.se_beta[1],
        beta_change: (m0.beta[0] - m1.beta[0]) / m0.beta[0],
        m0: f0,
        m1: f1,
        m2: f2,
    };
    super::ensure_finite(
        "regression DIF",
        &[
            out.chi2_total,
            out.beta_change,
            out.delta_r2_nagelkerke.total,
        ],
    )?;
    Ok(out)
}

/// The regression method on rater-level data, matched (and purified) as the stratified method;
/// a question is flagged at stage 1 when its Jodoin–Gierl class is B or C.
pub fn dif_logistic(
    data: &[RaterScore],
    opts: &DifOptions,
) -> Result<DifReport<LogisticDif>, StatsError> {
    let cands = item_scores(data, opts)?;
    let analyse = |rows: &[MatchedRow]| {
        let triples: Vec<(bool, f64, f64)> = rows.iter().map(|r| (r.1, r.2, r.3)).collect();
        (None, logistic_dif(&triples))
    };
    let questions = pipeline(&cands, opts, &analyse, &|l: &LogisticDif| {
        l.class_jodoin_gierl != "A"
    });
    Ok(report(&cands, opts, questions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(stratum: &str, focal: bool, score: f64) -> StratumScore {
        StratumScore {
            stratum: stratum.into(),
            focal,
            score,
        }
    }

    #[test]
    fn cuts_fall_between_observed_values() {
        let v = [1.0, 1.0, 1.5, 2.0, 2.0, 2.0, 2.5, 3.0, 3.5, 4.0];
        let cuts = band_cuts(&v, 3);
        for c in &cuts {
            assert!(!v.contains(c), "{c} is an observed value");
        }
        // Band ends at the 4th and 7th sorted values (2.0 and 2.5), each moved halfway up.
        assert_eq!(cuts, vec![2.25, 2.75]);
        // Ties can merge bands but never put a value on a cut.
        assert_eq!(band_cuts(&[2.0; 8], 4), Vec::<f64>::new());
        assert_eq!(band_cuts(&[1.0, 2.0], 1), Vec::<f64>::new());
    }

    #[test]
    fn no_stratum_with_both_groups_is_insufficient_data() {
        let d = [s("a", true, 1.0), s("a", true, 2.0), s("b", false, 3.0)];
        let e = mantel_dif(&d).unwrap_err();
        assert!(is_insufficient(&e), "{e}");
    }

    #[test]
    fn constant_scores_are_not_computable_but_not_insufficient() {
        let d = [s("a", true, 2.0), s("a", false, 2.0), s("a", false, 2.0)];
        let e = mantel_dif(&d).unwrap_err();
        assert!(!is_insufficient(&e));
    }

    #[test]
    fn ets_classes_follow_the_thresholds_and_sign() {
        assert_eq!(ets_class(0.2, -1.0, -0.9), "AA");
        assert_eq!(ets_class(0.01, -0.1, -0.17), "AA");
        assert_eq!(ets_class(0.01, -0.1, -0.2), "BB-");
        assert_eq!(ets_class(0.01, 0.1, 0.25), "BB+");
        assert_eq!(ets_class(0.01, -0.3, -0.26), "CC-");
        assert_eq!(ets_class(0.05, -0.3, -0.5), "AA");
    }
}
