//! Generalizability theory: how much of the spread in panel scores is the candidates, how much is
//! panellists and questions, and how many panellists and questions a decision needs.
//!
//! Follows Brennan (2001), *Generalizability Theory* (Springer), with GENOVA's conventions.
//!
//! # Designs
//!
//! Facets: `p` candidates (the object of measurement), `r` raters (panellists), `i` questions,
//! `v` vacancies.
//!
//! | design | meaning |
//! |---|---|
//! | `p x r` | every panellist scores every candidate on one question (or one overall score) |
//! | `p x i` | one score per candidate and question (one panellist, or an agreed score) |
//! | `p x r x i` | every panellist scores every candidate on every question |
//! | `p x (r:i)` | each question has its own panellists (the same number for every question); a rater label that appears under two questions counts as two conditions |
//! | `(p x r x i):v` | `p x r x i` within each vacancy, pooled over vacancies; each vacancy has its own candidates, panel and questions, and panels (and question sets) may differ in size |
//!
//! Crossed designs need complete data: a candidate lacking any of the design's cells is dropped
//! and listed (listwise deletion, as for the ICC). A one-facet design given data with more than
//! one level of the other facet is refused rather than averaged silently.
//!
//! # Estimation
//!
//! Variance components are estimated by ANOVA (method of moments): sums of squares are set equal
//! to their expectations under the random-effects model and solved. For balanced designs this is
//! Brennan's expected-mean-square solution: with index sets α ⊆ β, E[MS(α)] = Σ_β π(β̄) σ²(β), the
//! product of the sample sizes of the indices not in β (Brennan 2001, sect. 3.4).
//!
//! **Pooled design `(p x r x i):v` with unequal panels.** Each vacancy v is a balanced `p x r x i`
//! block with its own sizes (n_p,v, n_r,v, n_i,v). The within-vacancy sums of squares are added
//! over vacancies for each source (`p:v` = Σ SS_p,v, …, `pri:v` = Σ SS_pri,v) and their
//! expectations are, exactly, Σ_v df_α,v Σ_β π_v(β̄) σ²(β:v), with each vacancy's own sizes in
//! π_v. The vacancy source uses the weighted sum of squares of vacancy means,
//! SS_v = Σ_v N_v (ȳ_v − ȳ)² with N_v = n_p,v·n_r,v·n_i,v, whose expectation is
//! (N − Σ N_v²/N) σ²(v) + Σ_β σ²(β:v) Σ_v (N_v − N_v²/N) / m_β,v, m_β,v being the number of
//! levels of β a vacancy mean averages over (Henderson's method 1 for the top level). The eight
//! equations are solved exactly. The within-vacancy components are assumed the same in every
//! vacancy; σ²(v) does not enter the error of within-vacancy decisions and is reported for
//! completeness.
//!
//! **Negative estimates** are reported raw (`var`) and set to zero (`var_used`) for coefficients,
//! error variances and percentages, *without* re-solving the other components (Brennan 2001,
//! sect. 3.4.2; GENOVA). `percent` is each `var_used` as a share of their sum.
//!
//! # Coefficients
//!
//! Universe-score variance τ = σ²(p) (σ²(p:v) pooled). For D-study sample sizes n′_r, n′_i:
//! relative error δ = Σ over sources containing p (other than p) of σ²/Π n′, absolute error Δ = Σ
//! over all sources except p (and v) of σ²/Π n′, Eρ² = τ/(τ + δ), Φ = τ/(τ + Δ). The headline
//! figures use the observed sizes; for the pooled design they use each candidate's own vacancy
//! sizes and average the error variances over candidates.
//!
//! For `p x r`, Eρ² equals ICC3k (ICC(3,k), consistency of the mean of k panellists) and Φ
//! equals ICC2k (ICC(2,k), absolute agreement of the mean), from the same mean squares.
//!
//! For one-facet designs, intervals for Eρ² use Feldt's (1965) F distribution (the same interval as
//! ICC3k's); intervals for Φ use Arteaga, Jeyaratnam & Graybill (1982) as presented by Brennan
//! (2001, ch. 6), with F(df, ∞) = χ²(df)/df. Both are reported at 80% (as Brennan's Table 6.5)
//! and 95%.
//!
//! The D-study grid crosses 1–6 raters with 3, 4, 5, 6, 8 and 10 questions where the design has
//! both facets, and runs the one facet from 1 to 10 otherwise. `min_raters_g_0_80` is the fewest
//! raters (up to 10) with Eρ² ≥ 0.80 at the observed number of questions; `min_raters_phi_0_80`
//! the same for Φ; `min_questions_g_0_80` the fewest questions (up to 20) with Eρ² ≥ 0.80 at the
//! observed number of raters. For the pooled design the facet held fixed is at its harmonic mean
//! over candidates, which reproduces their average error variance exactly. They are `None` when
//! the limit is not enough or the design lacks the facet.

use serde::Serialize;
use std::collections::HashMap;

use super::{invalid, not_computable, StatsError};

/// A G-study design; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Design {
    #[serde(rename = "p x r")]
    PxR,
    #[serde(rename = "p x i")]
    PxI,
    #[serde(rename = "p x r x i")]
    PxRxI,
    #[serde(rename = "p x (r:i)")]
    PxRinI,
    #[serde(rename = "(p x r x i):v")]
    Pooled,
}

impl Design {
    pub fn label(self) -> &'static str {
        match self {
            Design::PxR => "p x r",
            Design::PxI => "p x i",
            Design::PxRxI => "p x r x i",
            Design::PxRinI => "p x (r:i)",
            Design::Pooled => "(p x r x i):v",
        }
    }

    /// Parses a design written as in Brennan, ignoring spaces and case; `×` may stand for `x`.
    pub fn parse(s: &str) -> Result<Design, StatsError> {
        let t: String = s
            .to_lowercase()
            .replace('×', "x")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        Ok(match t.as_str() {
            "pxr" => Design::PxR,
            "pxi" => Design::PxI,
            "pxrxi" | "pxixr" => Design::PxRxI,
            "px(r:i)" => Design::PxRinI,
            "(pxrxi):v" | "(pxixr):v" => Design::Pooled,
            _ => {
                return invalid(format!(
                    "unknown design '{s}': use \"p x r\", \"p x i\", \"p x r x i\", \
                     \"p x (r:i)\" or \"(p x r x i):v\""
                ))
            }
        })
    }

    fn has_raters(self) -> bool {
        self != Design::PxI
    }

    fn has_questions(self) -> bool {
        self != Design::PxR
    }
}

/// One score: candidate `candidate` of vacancy `vacancy` scored by `rater` on `question`.
/// Designs without vacancies ignore `vacancy`; one-facet designs need a single level of the facet
/// they leave out.
#[derive(Debug, Clone)]
pub struct GObs {
    pub vacancy: String,
    pub candidate: String,
    pub rater: String,
    pub question: String,
    pub score: f64,
}

/// One source of variance.
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    /// Brennan's notation: "p", "r", "i", "pr", "pi", "ri", "pri", "r:i", "pr:i", "v", "p:v", ….
    pub source: String,
    pub df: f64,
    pub ss: f64,
    pub ms: f64,
    /// ANOVA estimate, possibly negative.
    pub var: f64,
    /// `max(var, 0)`, used for everything downstream.
    pub var_used: f64,
    /// `var_used` as a percentage of the sum of `var_used`.
    pub percent: f64,
}

/// Eρ² and Φ for one pair of D-study sample sizes.
#[derive(Debug, Clone, Serialize)]
pub struct DStudyRow {
    /// Raters (per question for `p x (r:i)`); `None` for `p x i`.
    pub raters: Option<usize>,
    /// Questions; `None` for `p x r`.
    pub questions: Option<usize>,
    pub g_coef: f64,
    pub phi: f64,
}

/// Confidence intervals for a one-facet design's coefficients.
#[derive(Debug, Clone, Serialize)]
pub struct CoefIntervals {
    /// Feldt (1965).
    pub g_coef: [f64; 2],
    /// Arteaga, Jeyaratnam & Graybill (1982) as presented by Brennan (2001, ch. 6).
    pub phi: [f64; 2],
}

/// One vacancy's part of a pooled design.
#[derive(Debug, Clone, Serialize)]
pub struct VacancySizes {
    pub vacancy: String,
    pub candidates: usize,
    pub raters: usize,
    pub questions: usize,
}

/// Sample sizes the G study used.
#[derive(Debug, Clone, Serialize)]
pub struct Sizes {
    pub candidates: usize,
    /// Raters (per question for `p x (r:i)`); for the pooled design the harmonic mean of the
    /// panel sizes over candidates. `None` when the design has no rater facet.
    pub raters: Option<f64>,
    /// Questions; for the pooled design the harmonic mean over candidates. `None` when the design
    /// has no question facet.
    pub questions: Option<f64>,
    /// Pooled design only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vacancies: Option<Vec<VacancySizes>>,
}

/// A G study and its D study.
#[derive(Debug, Clone, Serialize)]
pub struct GStudy {
    pub design: Design,
    pub sizes: Sizes,
    /// Candidates left out because a cell of the design was missing (`vacancy/candidate` for the
    /// pooled design), in input order.
    pub dropped_candidates: Vec<String>,
    pub components: Vec<Component>,
    pub var_universe: f64,
    pub var_rel_error: f64,
    pub var_abs_error: f64,
    pub sem_rel: f64,
    pub sem_abs: f64,
    /// Eρ², the generalizability coefficient (relative decisions: ranking candidates).
    pub g_coef: f64,
    /// Φ, the index of dependability (absolute decisions: meeting a standard).
    pub phi: f64,
    /// One-facet designs only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci80: Option<CoefIntervals>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95: Option<CoefIntervals>,
    pub d_study: Vec<DStudyRow>,
    pub min_raters_g_0_80: Option<usize>,
    pub min_raters_phi_0_80: Option<usize>,
    pub min_questions_g_0_80: Option<usize>,
    /// Each source's mask and `var_used`, for coefficients at other sizes ([`GStudy::at`]).
    #[serde(skip)]
    used: Vec<(u8, f64)>,
}

impl GStudy {
    /// Eρ² and Φ for a decision on the mean of `raters` panellists and `questions` questions
    /// (a D study at any sizes; a one-facet design ignores the facet it lacks).
    pub fn at(&self, raters: f64, questions: f64) -> Result<(f64, f64), StatsError> {
        coefficients_at(&self.used, self.var_universe, raters, questions)
    }
}

// Facet bits of an effect: p, r (rater, or rater slot within question for the nested design), i.
const P: u8 = 1;
const R: u8 = 2;
const I: u8 = 4;

/// One balanced p × r × i block (one vacancy's complete candidates, panellists and questions):
/// `n` = [candidates, raters, questions] and the scores in p-major, then r, then i order.
#[derive(Debug, Clone)]
pub struct Block {
    pub n: [usize; 3],
    pub x: Vec<f64>,
}

impl Block {
    /// Sums of squares of the seven crossed effects, indexed by facet mask (0 unused).
    ///
    /// With scores centred on the block's mean, T(β) = Σ over the levels of β of (marginal sum)² /
    /// (cells per level) is the uncorrected sum of squares of the β marginal means, and by
    /// inclusion–exclusion SS(α) = Σ_{β ⊆ α} (−1)^{|α∖β|} T(β) (Brennan 2001, sect. 3.2). Centring
    /// first keeps the cancellation small; one pass over the scores fills all eight margins.
    fn crossed_ss(&self) -> [f64; 8] {
        let [np, nr, ni] = self.n;
        let total = (np * nr * ni) as f64;
        let mean = self.x.iter().sum::<f64>() / total;
        let dims = |mask: u8| -> [usize; 3] {
            [
                if mask & P != 0 { np } else { 1 },
                if mask & R != 0 { nr } else { 1 },
                if mask & I != 0 { ni } else { 1 },
            ]
        };
        // Margins of masks 1 to 6 in one buffer (mask 7's are the centred scores themselves).
        let mut at = [0usize; 8];
        for mask in 1..8 {
            let d = dims(mask as u8 - 1);
            at[mask] = at[mask - 1] + if mask == 1 { 0 } else { d[0] * d[1] * d[2] };
        }
        let mut sums = vec![0.0; at[7]];
        let mut t = [0.0; 8];
        for p in 0..np {
            for r in 0..nr {
                let row = (p * nr + r) * ni;
                for i in 0..ni {
                    let x = self.x[row + i] - mean;
                    sums[at[1] + p] += x;
                    sums[at[2] + r] += x;
                    sums[at[3] + p * nr + r] += x;
                    sums[at[4] + i] += x;
                    sums[at[5] + p * ni + i] += x;
                    sums[at[6] + r * ni + i] += x;
                    t[7] += x * x;
                }
            }
        }
        for mask in 1..7 {
            let d = dims(mask as u8);
            let levels = d[0] * d[1] * d[2];
            let per_level = total / levels as f64;
            t[mask] = sums[at[mask]..at[mask] + levels]
                .iter()
                .map(|v| v * v)
                .sum::<f64>()
                / per_level;
        }
        let mut ss = [0.0; 8];
        for alpha in 1u8..8 {
            ss[alpha as usize] = (0u8..8)
                .filter(|beta| beta & !alpha == 0)
                .map(|beta| {
                    let sign = if (alpha & !beta).count_ones() % 2 == 0 {
                        1.0
                    } else {
                        -1.0
                    };
                    sign * t[beta as usize]
                })
                .sum();
        }
        ss
    }

    fn df(&self, mask: u8) -> f64 {
        (0..3)
            .filter(|f| mask & (1 << f) != 0)
            .map(|f| self.n[f] as f64 - 1.0)
            .product()
    }

    /// π(β̄): product of the sizes of the facets not in β.
    fn pi_not(&self, beta: u8) -> f64 {
        (0..3)
            .filter(|f| beta & (1 << f) == 0)
            .map(|f| self.n[f] as f64)
            .product()
    }
}

/// An effect of the design: its label, the facet set it stands for (for the EMS rule) and the
/// crossed effects whose sums of squares make it up.
struct Effect {
    label: &'static str,
    mask: u8,
    parts: &'static [u8],
}

fn effects(design: Design) -> Vec<Effect> {
    let e = |label, mask, parts| Effect { label, mask, parts };
    match design {
        Design::PxR => vec![e("p", P, &[P]), e("r", R, &[R]), e("pr", P | R, &[P | R])],
        Design::PxI => vec![e("p", P, &[P]), e("i", I, &[I]), e("pi", P | I, &[P | I])],
        Design::PxRxI => vec![
            e("p", P, &[P]),
            e("r", R, &[R]),
            e("i", I, &[I]),
            e("pr", P | R, &[P | R]),
            e("pi", P | I, &[P | I]),
            e("ri", R | I, &[R | I]),
            e("pri", P | R | I, &[P | R | I]),
        ],
        // r:i pools r and ri; pr:i pools pr and pri (Brennan 2001, sect. 3.3).
        Design::PxRinI => vec![
            e("p", P, &[P]),
            e("i", I, &[I]),
            e("r:i", R | I, &[R, R | I]),
            e("pi", P | I, &[P | I]),
            e("pr:i", P | R | I, &[P | R, P | R | I]),
        ],
        Design::Pooled => vec![
            e("p:v", P, &[P]),
            e("r:v", R, &[R]),
            e("i:v", I, &[I]),
            e("pr:v", P | R, &[P | R]),
            e("pi:v", P | I, &[P | I]),
            e("ri:v", R | I, &[R | I]),
            e("pri:v", P | R | I, &[P | R | I]),
        ],
    }
}

fn index_of(list: &mut Vec<String>, map: &mut HashMap<String, usize>, key: &str) -> usize {
    if let Some(&i) = map.get(key) {
        return i;
    }
    list.push(key.to_string());
    map.insert(key.to_string(), list.len() - 1);
    list.len() - 1
}

/// Blocks built from the observations, with the dropped candidates.
struct Prepared {
    vacancies: Vec<String>,
    blocks: Vec<Block>,
    /// Candidates kept per vacancy (for the sizes table).
    dropped: Vec<String>,
}

fn prepare(design: Design, obs: &[GObs]) -> Result<Prepared, StatsError> {
    if obs.is_empty() {
        return not_computable("G study: no scores");
    }
    let mut seen: HashMap<(&str, &str, &str, &str), usize> = HashMap::new();
    for (n, o) in obs.iter().enumerate() {
        if !o.score.is_finite() {
            return invalid(format!(
                "G study: score for candidate '{}' by rater '{}' on question '{}' is not finite",
                o.candidate, o.rater, o.question
            ));
        }
        let v = if design == Design::Pooled {
            o.vacancy.as_str()
        } else {
            ""
        };
        if seen
            .insert((v, &o.candidate, &o.rater, &o.question), n)
            .is_some()
        {
            return invalid(format!(
                "G study: candidate '{}' has more than one score from rater '{}' on question '{}'",
                o.candidate, o.rater, o.question
            ));
        }
    }
    // Group by vacancy (a single group unless pooled).
    let mut vacancies: Vec<String> = Vec::new();
    let mut v_map = HashMap::new();
    let mut by_v: Vec<Vec<&GObs>> = Vec::new();
    for o in obs {
        let key = if design == Design::Pooled {
            o.vacancy.as_str()
        } else {
            ""
        };
        let vi = index_of(&mut vacancies, &mut v_map, key);
        if vi == by_v.len() {
            by_v.push(Vec::new());
        }
        by_v[vi].push(o);
    }
    let mut blocks = Vec::new();
    let mut dropped = Vec::new();
    let mut kept_vacancies = Vec::new();
    for (vi, rows) in by_v.iter().enumerate() {
        let (mut cands, mut raters, mut questions) = (Vec::new(), Vec::new(), Vec::new());
        let (mut cm, mut rm, mut qm) = (HashMap::new(), HashMap::new(), HashMap::new());
        let mut cells: HashMap<(usize, usize, usize), f64> = HashMap::new();
        for o in rows {
            let c = index_of(&mut cands, &mut cm, &o.candidate);
            let r = index_of(&mut raters, &mut rm, &o.rater);
            let q = index_of(&mut questions, &mut qm, &o.question);
            cells.insert((c, r, q), o.score);
        }
        match design {
            Design::PxR if questions.len() > 1 => {
                return invalid(format!(
                    "G study p x r: the scores cover {} questions; use \"p x r x i\" (or one \
                     question at a time)",
                    questions.len()
                ))
            }
            Design::PxI if raters.len() > 1 => {
                return invalid(format!(
                    "G study p x i: the scores come from {} raters; use \"p x r x i\" (or one \
                     score per candidate and question)",
                    raters.len()
                ))
            }
            _ => {}
        }
        // Rater slots: crossed designs use every rater of the block; the nested design gives each
        // question its own raters, numbered in order of appearance.
        let slots: Vec<Vec<usize>> = if design == Design::PxRinI {
            let mut per_q: Vec<Vec<usize>> = vec![Vec::new(); questions.len()];
            for o in rows {
                let r = rm[&o.rater];
                let q = qm[&o.question];
                if !per_q[q].contains(&r) {
                    per_q[q].push(r);
                }
            }
            let nr = per_q[0].len();
            if let Some((q, s)) = per_q.iter().enumerate().find(|(_, s)| s.len() != nr) {
                return invalid(format!(
                    "G study p x (r:i): question '{}' has {} raters but question '{}' has {nr}; \
                     the nested design needs the same number of raters for every question",
                    questions[q],
                    s.len(),
                    questions[0]
                ));
            }
            per_q
        } else {
            vec![(0..raters.len()).collect(); questions.len()]
        };
        let nr = slots[0].len();
        let ni = questions.len();
        let mut x = Vec::new();
        let mut kept = 0;
        for (c, name) in cands.iter().enumerate() {
            let mut row = Vec::with_capacity(nr * ni);
            let mut complete = true;
            'cells: for s in 0..nr {
                for (q, sl) in slots.iter().enumerate() {
                    match cells.get(&(c, sl[s], q)) {
                        Some(v) => row.push(*v),
                        None => {
                            complete = false;
                            break 'cells;
                        }
                    }
                }
            }
            if complete {
                x.extend(row);
                kept += 1;
            } else if design == Design::Pooled {
                dropped.push(format!("{}/{name}", vacancies[vi]));
            } else {
                dropped.push(name.clone());
            }
        }
        if kept == 0 {
            continue;
        }
        kept_vacancies.push(vacancies[vi].clone());
        blocks.push(Block {
            n: [kept, nr, ni],
            x,
        });
    }
    Ok(Prepared {
        vacancies: kept_vacancies,
        blocks,
        dropped,
    })
}

/// Runs a G study of `design` on `obs` and its D study.
///
/// `NotComputable` when too few candidates, raters or questions remain (fewer than 2 candidates,
/// or fewer than 2 levels of a facet of the design; fewer than 2 vacancies for the pooled
/// design), or when universe-score and error variance are both zero. `InvalidInput` for a
/// non-finite score, a repeated score, an unknown shape (several questions for `p x r`, several
/// raters for `p x i`) or questions with different numbers of raters in `p x (r:i)`.
pub fn g_study(design: Design, obs: &[GObs]) -> Result<GStudy, StatsError> {
    let prep = prepare(design, obs)?;
    study(design, prep)
}

/// A G study of `p x r x i` (one block) or `(p x r x i):v` (one block per vacancy, named in
/// `vacancies`) from blocks already complete and balanced, for callers that hold their scores in
/// arrays rather than as labelled observations. Same results and errors as [`g_study`].
pub fn g_study_blocks(
    design: Design,
    vacancies: Vec<String>,
    blocks: Vec<Block>,
) -> Result<GStudy, StatsError> {
    if !matches!(design, Design::PxRxI | Design::Pooled) {
        return invalid(
            "G study from blocks: the design must be \"p x r x i\" or \"(p x r x i):v\"",
        );
    }
    if design == Design::PxRxI && blocks.len() != 1 {
        return invalid("G study p x r x i from blocks: exactly one block is needed");
    }
    if vacancies.len() != blocks.len() {
        return invalid("G study from blocks: one vacancy name per block");
    }
    if let Some(b) = blocks
        .iter()
        .find(|b| b.x.len() != b.n[0] * b.n[1] * b.n[2])
    {
        return invalid(format!(
            "G study from blocks: a block of {:?} holds {} scores",
            b.n,
            b.x.len()
        ));
    }
    if blocks.iter().flat_map(|b| &b.x).any(|x| !x.is_finite()) {
        return invalid("G study from blocks: a score is not finite");
    }
    let (vacancies, blocks): (Vec<String>, Vec<Block>) = vacancies
        .into_iter()
        .zip(blocks)
        .filter(|(_, b)| b.n[0] > 0)
        .unzip();
    if blocks.is_empty() {
        return not_computable("G study: no scores");
    }
    study(
        design,
        Prepared {
            vacancies,
            blocks,
            dropped: Vec::new(),
        },
    )
}

/// Sums of squares, degrees of freedom and variance estimates, one of each per effect.
type Solved = (Vec<f64>, Vec<f64>, Vec<f64>);

/// Sums of squares, degrees of freedom and variance estimates of `effs` over `blocks`, checking
/// the design has the data it needs (see [`g_study`]).
fn solve(design: Design, blocks: &[Block], effs: &[Effect]) -> Result<Solved, StatsError> {
    let pooled = design == Design::Pooled;
    if pooled && blocks.len() < 2 {
        return not_computable(
            "G study (p x r x i):v needs at least 2 vacancies with a complete candidate; use \
             \"p x r x i\" for one vacancy",
        );
    }
    if !pooled {
        let b = &blocks[0];
        if b.n[0] < 2 {
            return not_computable(format!(
                "G study: needs at least 2 candidates with every score of the design; {} \
                 complete",
                b.n[0]
            ));
        }
        if design.has_raters() && b.n[1] < 2 {
            return not_computable("G study: needs at least 2 raters");
        }
        if design.has_questions() && b.n[2] < 2 {
            return not_computable("G study: needs at least 2 questions");
        }
    } else {
        let dfs = |m: u8| blocks.iter().map(|b| b.df(m)).sum::<f64>();
        if dfs(P) < 1.0 || dfs(R) < 1.0 || dfs(I) < 1.0 {
            return not_computable(
                "G study (p x r x i):v: needs, within vacancies, at least 2 candidates, 2 raters \
                 and 2 questions somewhere",
            );
        }
    }

    // Sums of squares, degrees of freedom and E[SS] coefficients, pooled over blocks.
    let k = effs.len();
    let mut ss = vec![0.0; k];
    let mut df = vec![0.0; k];
    let mut coef = vec![vec![0.0; k]; k];
    for b in blocks {
        let css = b.crossed_ss();
        for (a, ea) in effs.iter().enumerate() {
            let dfa: f64 = ea.parts.iter().map(|&m| b.df(m)).sum();
            ss[a] += ea.parts.iter().map(|&m| css[m as usize]).sum::<f64>();
            df[a] += dfa;
            for (t, et) in effs.iter().enumerate() {
                if et.mask & ea.mask == ea.mask {
                    coef[a][t] += dfa * b.pi_not(et.mask);
                }
            }
        }
    }
    let mut var = vec![0.0; k];
    // Solve from the largest effects down: the system is triangular in set inclusion.
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by_key(|&a| std::cmp::Reverse(effs[a].mask.count_ones()));
    for &a in &order {
        if coef[a][a] <= 0.0 {
            return not_computable(format!(
                "G study: the source {} has no degrees of freedom in these data",
                effs[a].label
            ));
        }
        let rest: f64 = (0..k)
            .filter(|&t| t != a && coef[a][t] != 0.0)
            .map(|t| coef[a][t] * var[t])
            .sum();
        var[a] = (ss[a] - rest) / coef[a][a];
    }
    Ok((ss, df, var))
}

/// Eρ² and Φ of one `p x r x i` block at its own sizes, without the D study (for summaries over
/// many vacancies): the same estimates and errors as [`g_study_blocks`] gives for that block.
pub fn crossed_coefficients(b: &Block) -> Result<(f64, f64), StatsError> {
    if b.x.len() != b.n[0] * b.n[1] * b.n[2] {
        return invalid(format!(
            "G study from blocks: a block of {:?} holds {} scores",
            b.n,
            b.x.len()
        ));
    }
    if b.x.iter().any(|x| !x.is_finite()) {
        return invalid("G study from blocks: a score is not finite");
    }
    if b.n[0] == 0 {
        return not_computable("G study: no scores");
    }
    let effs = effects(Design::PxRxI);
    let (_, _, var) = solve(Design::PxRxI, std::slice::from_ref(b), &effs)?;
    let used: Vec<(u8, f64)> = effs
        .iter()
        .zip(&var)
        .map(|(e, v)| (e.mask, v.max(0.0)))
        .collect();
    let (g, phi) = coefficients_at(&used, used[0].1, b.n[1] as f64, b.n[2] as f64)?;
    super::ensure_finite("G study", &[g, phi])?;
    Ok((g, phi))
}

fn study(design: Design, prep: Prepared) -> Result<GStudy, StatsError> {
    let effs = effects(design);
    let pooled = design == Design::Pooled;
    let total_candidates: usize = prep.blocks.iter().map(|b| b.n[0]).sum();
    let (ss, df, var) = solve(design, &prep.blocks, &effs)?;
    let mut components: Vec<Component> = effs
        .iter()
        .enumerate()
        .map(|(a, e)| Component {
            source: e.label.to_string(),
            df: df[a],
            ss: ss[a],
            ms: if df[a] > 0.0 { ss[a] / df[a] } else { 0.0 },
            var: var[a],
            var_used: var[a].max(0.0),
            percent: 0.0,
        })
        .collect();
    if pooled {
        components.insert(0, vacancy_component(&prep.blocks, &effs, &var)?);
    }
    let sum_used: f64 = components.iter().map(|c| c.var_used).sum();
    for c in &mut components {
        c.percent = if sum_used > 0.0 {
            100.0 * c.var_used / sum_used
        } else {
            0.0
        };
    }

    let used: Vec<(u8, f64)> = effs
        .iter()
        .zip(&var)
        .map(|(e, v)| (e.mask, v.max(0.0)))
        .collect();
    let tau = used[0].1;
    // Error variances at the observed sizes, averaged over candidates (one block unless pooled).
    let (mut rel, mut abs) = (0.0, 0.0);
    let (mut inv_r, mut inv_i) = (0.0, 0.0);
    for b in &prep.blocks {
        let w = b.n[0] as f64 / total_candidates as f64;
        let (d, a) = errors(&used, b.n[1] as f64, b.n[2] as f64);
        rel += w * d;
        abs += w * a;
        inv_r += w / b.n[1] as f64;
        inv_i += w / b.n[2] as f64;
    }
    let (g_coef, phi) = coefficients(tau, rel, abs)?;
    let (obs_r, obs_i) = (1.0 / inv_r, 1.0 / inv_i);

    let mut d_study = Vec::new();
    let at = |nr: f64, ni: f64| coefficients_at(&used, tau, nr, ni);
    match design {
        Design::PxR => {
            for r in 1..=10 {
                let (g, p) = at(r as f64, 1.0)?;
                d_study.push(row(Some(r), None, g, p));
            }
        }
        Design::PxI => {
            for i in 1..=10 {
                let (g, p) = at(1.0, i as f64)?;
                d_study.push(row(None, Some(i), g, p));
            }
        }
        _ => {
            for r in 1..=6 {
                for i in [3, 4, 5, 6, 8, 10] {
                    let (g, p) = at(r as f64, i as f64)?;
                    d_study.push(row(Some(r), Some(i), g, p));
                }
            }
        }
    }
    let fixed_i = if design.has_questions() { obs_i } else { 1.0 };
    let fixed_r = if design.has_raters() { obs_r } else { 1.0 };
    let first = |limit: usize, f: &dyn Fn(usize) -> Result<f64, StatsError>| {
        for n in 1..=limit {
            if f(n)? >= 0.80 {
                return Ok(Some(n));
            }
        }
        Ok::<_, StatsError>(None)
    };
    let (min_raters_g_0_80, min_raters_phi_0_80) = if design.has_raters() {
        (
            first(10, &|r| Ok(at(r as f64, fixed_i)?.0))?,
            first(10, &|r| Ok(at(r as f64, fixed_i)?.1))?,
        )
    } else {
        (None, None)
    };
    let min_questions_g_0_80 = if design.has_questions() {
        first(20, &|i| Ok(at(fixed_r, i as f64)?.0))?
    } else {
        None
    };

    let (ci80, ci95) = match design {
        Design::PxR | Design::PxI => {
            let b = &prep.blocks[0];
            let nf = if design == Design::PxR {
                b.n[1]
            } else {
                b.n[2]
            };
            let ms = |a: usize| components[a].ms;
            (
                Some(intervals(b.n[0], nf, ms(0), ms(1), ms(2), 0.10)?),
                Some(intervals(b.n[0], nf, ms(0), ms(1), ms(2), 0.025)?),
            )
        }
        _ => (None, None),
    };

    let b0 = &prep.blocks[0];
    let sizes = Sizes {
        candidates: total_candidates,
        raters: design
            .has_raters()
            .then_some(if pooled { obs_r } else { b0.n[1] as f64 }),
        questions: design
            .has_questions()
            .then_some(if pooled { obs_i } else { b0.n[2] as f64 }),
        vacancies: pooled.then(|| {
            prep.vacancies
                .iter()
                .zip(&prep.blocks)
                .map(|(v, b)| VacancySizes {
                    vacancy: v.clone(),
                    candidates: b.n[0],
                    raters: b.n[1],
                    questions: b.n[2],
                })
                .collect()
        }),
    };
    let out = GStudy {
        design,
        sizes,
        dropped_candidates: prep.dropped,
        components,
        var_universe: tau,
        var_rel_error: rel,
        var_abs_error: abs,
        sem_rel: rel.sqrt(),
        sem_abs: abs.sqrt(),
        g_coef,
        phi,
        ci80,
        ci95,
        d_study,
        min_raters_g_0_80,
        min_raters_phi_0_80,
        min_questions_g_0_80,
        used,
    };
    let mut check: Vec<f64> = vec![out.g_coef, out.phi, out.sem_rel, out.sem_abs];
    check.extend(
        out.components
            .iter()
            .flat_map(|c| [c.ss, c.ms, c.var, c.percent]),
    );
    super::ensure_finite("G study", &check)?;
    Ok(out)
}

fn row(raters: Option<usize>, questions: Option<usize>, g_coef: f64, phi: f64) -> DStudyRow {
    DStudyRow {
        raters,
        questions,
        g_coef,
        phi,
    }
}

/// Relative and absolute error variance for `nr` raters and `ni` questions (p excluded; its mask
/// is the first entry).
fn errors(used: &[(u8, f64)], nr: f64, ni: f64) -> (f64, f64) {
    let (mut rel, mut abs) = (0.0, 0.0);
    for &(mask, v) in &used[1..] {
        let mut div = 1.0;
        if mask & R != 0 {
            div *= nr;
        }
        if mask & I != 0 {
            div *= ni;
        }
        abs += v / div;
        if mask & P != 0 {
            rel += v / div;
        }
    }
    (rel, abs)
}

fn coefficients(tau: f64, rel: f64, abs: f64) -> Result<(f64, f64), StatsError> {
    if tau + rel <= 0.0 || tau + abs <= 0.0 {
        return not_computable(
            "G study: candidates' universe-score variance and the error variance are both zero, \
             so the coefficients are 0/0",
        );
    }
    Ok((tau / (tau + rel), tau / (tau + abs)))
}

fn coefficients_at(
    used: &[(u8, f64)],
    tau: f64,
    nr: f64,
    ni: f64,
) -> Result<(f64, f64), StatsError> {
    let (rel, abs) = errors(used, nr, ni);
    coefficients(tau, rel, abs)
}

/// The vacancy source of the pooled design (see the module docs for its expectation).
fn vacancy_component(
    blocks: &[Block],
    effs: &[Effect],
    var: &[f64],
) -> Result<Component, StatsError> {
    let sizes: Vec<f64> = blocks
        .iter()
        .map(|b| (b.n[0] * b.n[1] * b.n[2]) as f64)
        .collect();
    let n: f64 = sizes.iter().sum();
    let means: Vec<f64> = blocks
        .iter()
        .map(|b| b.x.iter().sum::<f64>() / b.x.len() as f64)
        .collect();
    let grand = blocks.iter().flat_map(|b| b.x.iter()).sum::<f64>() / n;
    let ss: f64 = sizes
        .iter()
        .zip(&means)
        .map(|(nv, m)| nv * (m - grand).powi(2))
        .sum();
    let df = (blocks.len() - 1) as f64;
    let kv = n - sizes.iter().map(|s| s * s).sum::<f64>() / n;
    let mut rest = 0.0;
    for (e, v) in effs.iter().zip(var) {
        let c: f64 = blocks
            .iter()
            .zip(&sizes)
            .map(|(b, nv)| {
                let levels: f64 = (0..3)
                    .filter(|f| e.mask & (1 << f) != 0)
                    .map(|f| b.n[f] as f64)
                    .product();
                (nv - nv * nv / n) / levels
            })
            .sum();
        rest += c * v;
    }
    if kv <= 0.0 {
        return not_computable("G study: the vacancy source has no information");
    }
    let var_v = (ss - rest) / kv;
    Ok(Component {
        source: "v".to_string(),
        df,
        ss,
        ms: ss / df,
        var: var_v,
        var_used: var_v.max(0.0),
        percent: 0.0,
    })
}

/// F quantile with an infinite denominator: χ²(df)/df.
fn f_inf_quantile(p: f64, df: f64) -> Result<f64, StatsError> {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let d = ChiSquared::new(df)
        .map_err(|e| StatsError::NotComputable(format!("distribution parameters: {e}")))?;
    Ok(d.inverse_cdf(p) / df)
}

/// Two-sided intervals with `tail` in each tail for a one-facet design with `np` candidates and
/// `nf` conditions, from the mean squares of p, the facet and their interaction.
fn intervals(
    np: usize,
    nf: usize,
    ms_p: f64,
    ms_f: f64,
    ms_pf: f64,
    tail: f64,
) -> Result<CoefIntervals, StatsError> {
    use super::f_quantile;
    let (npf, nff) = (np as f64, nf as f64);
    let (df_p, df_f) = (npf - 1.0, nff - 1.0);
    let df_e = df_p * df_f;
    if ms_p <= 0.0 || ms_pf <= 0.0 {
        return not_computable(
            "G study intervals: a mean square is zero, so the F-based intervals are undefined",
        );
    }
    // Feldt: 1 − (1 − Eρ²)·F.
    let feldt =
        |q: f64| -> Result<f64, StatsError> { Ok(1.0 - ms_pf / ms_p * f_quantile(q, df_p, df_e)?) };
    // Arteaga, Jeyaratnam & Graybill (1982), as Brennan (2001, ch. 6) presents it: a bound on
    // σ²(p)/(σ²(i) + σ²(pi)) per condition, then stepped up to nf conditions.
    let arteaga = |q: f64| -> Result<f64, StatsError> {
        let f1 = f_inf_quantile(q, df_p)?;
        let f2 = f_quantile(q, df_p, df_e)?;
        let f3 = f_quantile(q, df_p, df_f)?;
        let num = ms_p * ms_p - f1 * ms_p * ms_pf + (f1 - f2) * f2 * ms_pf * ms_pf;
        let den = df_p * f1 * ms_p * ms_pf + f3 * ms_p * ms_f;
        let ratio = num / den;
        let phi1 = npf * ratio / (npf * ratio + nff);
        Ok(nff * phi1 / (1.0 + (nff - 1.0) * phi1))
    };
    let g = [feldt(1.0 - tail)?, feldt(tail)?];
    let phi = [arteaga(1.0 - tail)?, arteaga(tail)?];
    super::ensure_finite("G study intervals", &[g[0], g[1], phi[0], phi[1]])?;
    Ok(CoefIntervals { g_coef: g, phi })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(c: usize, r: usize, i: usize, x: f64) -> GObs {
        GObs {
            vacancy: String::new(),
            candidate: format!("c{c}"),
            rater: format!("r{r}"),
            question: format!("q{i}"),
            score: x,
        }
    }

    #[test]
    fn designs_parse_loosely() {
        assert_eq!(Design::parse("p x r x i").unwrap(), Design::PxRxI);
        assert_eq!(Design::parse("P×(R:I)").unwrap(), Design::PxRinI);
        assert_eq!(Design::parse("(p x r x i) : v").unwrap(), Design::Pooled);
        assert!(matches!(
            Design::parse("p:r"),
            Err(StatsError::InvalidInput(_))
        ));
    }

    #[test]
    fn crossed_sums_of_squares_add_up_to_the_total() {
        // Any data: the seven effects partition the total sum of squares.
        let mut x = Vec::new();
        for n in 0..(4 * 3 * 2) {
            x.push(((n * 7919) % 11) as f64 * 0.5);
        }
        let b = Block { n: [4, 3, 2], x };
        let ss = b.crossed_ss();
        let mean = b.x.iter().sum::<f64>() / 24.0;
        let total: f64 = b.x.iter().map(|v| (v - mean).powi(2)).sum();
        assert!((ss[1..].iter().sum::<f64>() - total).abs() < 1e-9);
    }

    #[test]
    fn a_negative_component_is_reported_raw_and_truncated_without_resolving() {
        // Raters agree on the ranking but candidate 2 is hard for r1 only: σ²(r) comes out
        // negative; σ²(p) is left as solved from the raw value.
        let data = [[1.0, 2.0], [3.0, 2.0], [5.0, 6.0]];
        let mut o = Vec::new();
        for (c, row) in data.iter().enumerate() {
            for (r, x) in row.iter().enumerate() {
                o.push(obs(c, r, 0, *x));
            }
        }
        let g = g_study(Design::PxR, &o).unwrap();
        let r = &g.components[1];
        assert_eq!(r.source, "r");
        assert!(r.var < 0.0 && r.var_used == 0.0 && r.percent == 0.0);
        // σ²(p) = (MS_p − MS_pr)/n_r from the raw mean squares.
        let p = &g.components[0];
        let pr = &g.components[2];
        assert!((p.var - (p.ms - pr.ms) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn missing_cells_drop_the_candidate() {
        let mut o = Vec::new();
        for c in 0..4 {
            for r in 0..2 {
                if !(c == 2 && r == 1) {
                    o.push(obs(c, r, 0, (c * 2 + r * (c % 2)) as f64));
                }
            }
        }
        let g = g_study(Design::PxR, &o).unwrap();
        assert_eq!(g.dropped_candidates, ["c2"]);
        assert_eq!(g.sizes.candidates, 3);
    }

    #[test]
    fn wrong_shapes_are_refused() {
        let o = vec![obs(0, 0, 0, 1.0), obs(0, 0, 1, 2.0)];
        assert!(matches!(
            g_study(Design::PxR, &o),
            Err(StatsError::InvalidInput(_))
        ));
        let o = vec![obs(0, 0, 0, 1.0), obs(0, 0, 0, 2.0)];
        assert!(matches!(
            g_study(Design::PxRxI, &o),
            Err(StatsError::InvalidInput(_))
        ));
        let o = vec![obs(0, 0, 0, 1.0), obs(0, 1, 0, 2.0)];
        assert!(matches!(
            g_study(Design::PxR, &o),
            Err(StatsError::NotComputable(_))
        ));
    }
}
