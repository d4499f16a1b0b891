//! Rater effects in a within-candidate design.
//!
//! Every panellist scores the same candidates on the same questions, so a panellist's leniency or
//! severity shows as the deviation of each of their scores from the mean of the *other* raters'
//! scores on the same (target, item) cell. Cells where the rater has no co-rater are skipped.
//!
//! * [`rater_effects`]: per rater, the mean deviation with a one-sample t-test against zero
//!   (equivalently a paired test of the rater against the co-rater mean), two-sided, 95% t interval.
//! * [`rater_group_effect`] / [`rater_group_effects`]: the same deviations split by the candidate's
//!   group, compared with Welch's two-sample t-test (unequal variances), two-sided, 95% interval for
//!   the difference `mean_a − mean_b`.
//!
//! Below `min_count` deviations (and never below 2) no interval or test is reported and the result
//! says why: small numbers must not be read as evidence about a panellist.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

use super::{ensure_finite, invalid, mean_sd, not_computable, t_975, t_two_sided, StatsError};

/// One score given by one rater.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    /// The candidate (or other object) scored.
    pub target: String,
    /// The question or criterion.
    pub item: String,
    pub rater: String,
    /// The candidate's group (for example a high-level ethnic group); `None` when not known.
    pub group: Option<String>,
    pub score: f64,
}

/// A rater's leniency (positive) or severity (negative) relative to co-raters.
#[derive(Debug, Clone, Serialize)]
pub struct RaterEffect {
    pub rater: String,
    /// Number of co-rated cells (deviations).
    pub n: usize,
    /// Mean of (own score − mean of co-raters' scores); `None` when `n = 0`.
    pub mean_deviation: Option<f64>,
    pub sd: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub t: Option<f64>,
    pub df: Option<f64>,
    /// Two-sided.
    pub p: Option<f64>,
    /// False when there were too few deviations (or no variation) to test.
    pub computable: bool,
    pub note: Option<String>,
}

/// Welch comparison of a rater's deviations for candidates in group a vs group b.
#[derive(Debug, Clone, Serialize)]
pub struct GroupEffect {
    pub rater: String,
    pub group_a: String,
    pub group_b: String,
    pub n_a: usize,
    pub n_b: usize,
    pub mean_a: f64,
    pub mean_b: f64,
    /// `mean_a − mean_b`.
    pub difference: f64,
    pub ci95: [f64; 2],
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided.
    pub p: f64,
}

/// One row of [`rater_group_effects`]: a rater, one group against all other known groups.
#[derive(Debug, Clone, Serialize)]
pub struct GroupEffectEntry {
    pub rater: String,
    pub group: String,
    /// Deviations for candidates in `group`.
    pub n_group: usize,
    /// Deviations for candidates in any other known group.
    pub n_rest: usize,
    /// `None` when skipped; `note` says why.
    pub effect: Option<GroupEffect>,
    pub note: Option<String>,
}

/// Label used as `group_b` when a group is compared with all the others.
pub const REST_LABEL: &str = "(all other groups)";

/// A deviation of one rater's score from the co-raters' mean on one cell.
struct Deviation<'a> {
    rater: &'a str,
    group: Option<&'a str>,
    value: f64,
}

fn deviations(obs: &[Observation]) -> Result<Vec<Deviation<'_>>, StatsError> {
    let mut target_group: HashMap<&str, Option<&str>> = HashMap::new();
    // BTreeMap keeps the output order independent of hashing.
    let mut cells: BTreeMap<(&str, &str), Vec<(&str, f64)>> = BTreeMap::new();
    for o in obs {
        if !o.score.is_finite() {
            return invalid(format!(
                "score by '{}' for '{}' / '{}' is not finite",
                o.rater, o.target, o.item
            ));
        }
        let g = o.group.as_deref();
        match target_group.get(o.target.as_str()) {
            Some(prev) if *prev != g => {
                return invalid(format!(
                    "target '{}' is given two different groups ({} and {})",
                    o.target,
                    prev.unwrap_or("none"),
                    g.unwrap_or("none")
                ))
            }
            _ => {
                target_group.insert(o.target.as_str(), g);
            }
        }
        let cell = cells
            .entry((o.target.as_str(), o.item.as_str()))
            .or_default();
        if cell.iter().any(|(r, _)| *r == o.rater) {
            return invalid(format!(
                "rater '{}' has more than one score for '{}' / '{}'",
                o.rater, o.target, o.item
            ));
        }
        cell.push((o.rater.as_str(), o.score));
    }
    let mut out = Vec::new();
    let mut values = Vec::new();
    for ((target, _), scores) in &cells {
        let xs: Vec<f64> = scores.iter().map(|(_, s)| *s).collect();
        cell_deviations(&xs, &mut values);
        for ((rater, _), value) in scores.iter().zip(values.drain(..)) {
            out.push(Deviation {
                rater,
                group: target_group[target],
                value,
            });
        }
    }
    Ok(out)
}

/// Each score's deviation from the mean of the *other* scores in the same cell, in order, appended to
/// `out`. A cell with fewer than two scores has no co-raters and adds nothing.
pub fn cell_deviations(scores: &[f64], out: &mut Vec<f64>) {
    if scores.len() < 2 {
        return;
    }
    let total: f64 = scores.iter().sum();
    let others = (scores.len() - 1) as f64;
    out.extend(scores.iter().map(|s| s - (total - s) / others));
}

/// Deviations grouped by rater in order of first appearance (one pass, for large inputs).
fn by_rater<'a, 'd>(devs: &'d [Deviation<'a>]) -> Vec<(&'a str, Vec<&'d Deviation<'a>>)> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<(&'a str, Vec<&'d Deviation<'a>>)> = Vec::new();
    for d in devs {
        let i = *index.entry(d.rater).or_insert_with(|| {
            out.push((d.rater, Vec::new()));
            out.len() - 1
        });
        out[i].1.push(d);
    }
    out
}

fn raters_in_order(obs: &[Observation]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    obs.iter()
        .map(|o| o.rater.as_str())
        .filter(|r| seen.insert(*r))
        .collect()
}

/// Leniency/severity of every rater, in order of first appearance.
///
/// `min_count` is the fewest deviations for which an interval and test are reported (values below
/// 2 are treated as 2). Errors only for invalid input (non-finite score, a rater scoring the same
/// cell twice, a target with two different groups).
pub fn rater_effects(
    obs: &[Observation],
    min_count: usize,
) -> Result<Vec<RaterEffect>, StatsError> {
    let devs = deviations(obs)?;
    let grouped: HashMap<&str, Vec<f64>> = by_rater(&devs)
        .into_iter()
        .map(|(r, ds)| (r, ds.iter().map(|d| d.value).collect()))
        .collect();
    Ok(raters_in_order(obs)
        .into_iter()
        .map(|rater| {
            effect_from_deviations(
                rater,
                grouped.get(rater).map_or(&[][..], Vec::as_slice),
                min_count,
            )
        })
        .collect())
}

/// Leniency/severity from one rater's deviations already paired by the caller (see
/// [`cell_deviations`]); the same test as [`rater_effects`], for callers that pair scores at scale.
pub fn effect_from_deviations(rater: &str, deviations: &[f64], min_count: usize) -> RaterEffect {
    one_sample(rater, deviations, min_count.max(2))
}

/// Rater × group effect from deviations already split by group: the same Welch test as
/// [`rater_group_effect`], listed with a note instead of a test below `min_count`.
pub fn group_entry_from_deviations(
    rater: &str,
    group: &str,
    a: &[f64],
    b: &[f64],
    min_count: usize,
) -> GroupEffectEntry {
    let (effect, note) = match welch(rater, group, REST_LABEL, a, b, min_count.max(2)) {
        Ok(e) => (Some(e), None),
        Err(e) => (None, Some(reason(&e))),
    };
    GroupEffectEntry {
        rater: rater.to_string(),
        group: group.to_string(),
        n_group: a.len(),
        n_rest: b.len(),
        effect,
        note,
    }
}

fn one_sample(rater: &str, xs: &[f64], min: usize) -> RaterEffect {
    let n = xs.len();
    let mut eff = RaterEffect {
        rater: rater.to_string(),
        n,
        mean_deviation: None,
        sd: None,
        ci95: None,
        t: None,
        df: None,
        p: None,
        computable: false,
        note: None,
    };
    if n == 0 {
        eff.note = Some("no scores shared with another rater".to_string());
        return eff;
    }
    let (mean, sd) = mean_sd(xs);
    eff.mean_deviation = Some(mean);
    eff.sd = sd;
    if n < min {
        eff.note = Some(format!(
            "only {n} co-rated scores (fewer than {min}): too few to draw a conclusion"
        ));
        return eff;
    }
    let sd = sd.unwrap_or(0.0);
    if sd <= 1e-12 * mean.abs().max(1.0) {
        eff.note = Some("deviations do not vary, so no test is possible".to_string());
        return eff;
    }
    let df = (n - 1) as f64;
    let se = sd / (n as f64).sqrt();
    let t = mean / se;
    let (Ok(p), Ok(q)) = (t_two_sided(t, df), t_975(df)) else {
        eff.note = Some("t distribution could not be evaluated".to_string());
        return eff;
    };
    let ci = [mean - q * se, mean + q * se];
    if ensure_finite("rater effect", &[t, p, ci[0], ci[1]]).is_err() {
        eff.note = Some("test statistic is undefined for these scores".to_string());
        return eff;
    }
    eff.ci95 = Some(ci);
    eff.t = Some(t);
    eff.df = Some(df);
    eff.p = Some(p);
    eff.computable = true;
    eff
}

fn welch(
    rater: &str,
    group_a: &str,
    group_b: &str,
    a: &[f64],
    b: &[f64],
    min: usize,
) -> Result<GroupEffect, StatsError> {
    let (na, nb) = (a.len(), b.len());
    if na < min || nb < min {
        return not_computable(format!(
            "rater '{rater}': {na} deviations for '{group_a}' and {nb} for '{group_b}'; \
             at least {min} in each are needed to draw a conclusion"
        ));
    }
    let (ma, sa) = mean_sd(a);
    let (mb, sb) = mean_sd(b);
    let va = sa.unwrap_or(0.0).powi(2) / na as f64;
    let vb = sb.unwrap_or(0.0).powi(2) / nb as f64;
    let se2 = va + vb;
    let scale = ma.abs().max(mb.abs()).max(1.0);
    if se2.sqrt() <= 1e-12 * scale {
        return not_computable(format!(
            "rater '{rater}': deviations do not vary within either group, so no test is possible"
        ));
    }
    let se = se2.sqrt();
    let diff = ma - mb;
    let t = diff / se;
    let df = se2 * se2 / (va * va / (na as f64 - 1.0) + vb * vb / (nb as f64 - 1.0));
    let p = t_two_sided(t, df)?;
    let q = t_975(df)?;
    let ci95 = [diff - q * se, diff + q * se];
    ensure_finite("Welch t-test", &[t, df, p, ci95[0], ci95[1]])?;
    Ok(GroupEffect {
        rater: rater.to_string(),
        group_a: group_a.to_string(),
        group_b: group_b.to_string(),
        n_a: na,
        n_b: nb,
        mean_a: ma,
        mean_b: mb,
        difference: diff,
        ci95,
        t,
        df,
        p,
    })
}

/// Does `rater` deviate differently for candidates in `group_a` than for those in `group_b`?
///
/// `NotComputable` when either group has fewer than `min_count` (at least 2) deviations or the
/// deviations do not vary.
pub fn rater_group_effect(
    obs: &[Observation],
    rater: &str,
    group_a: &str,
    group_b: &str,
    min_count: usize,
) -> Result<GroupEffect, StatsError> {
    let devs = deviations(obs)?;
    let pick = |g: &str| -> Vec<f64> {
        devs.iter()
            .filter(|d| d.rater == rater && d.group == Some(g))
            .map(|d| d.value)
            .collect()
    };
    welch(
        rater,
        group_a,
        group_b,
        &pick(group_a),
        &pick(group_b),
        min_count.max(2),
    )
}

/// Every rater against every candidate group, each group compared with all other known groups
/// (labelled [`REST_LABEL`]). Candidates without a group are left out. Pairs below `min_count`
/// are listed with a note instead of a test.
pub fn rater_group_effects(
    obs: &[Observation],
    min_count: usize,
) -> Result<Vec<GroupEffectEntry>, StatsError> {
    let devs = deviations(obs)?;
    let min = min_count.max(2);
    let mut groups: Vec<&str> = Vec::new();
    for o in obs {
        if let Some(g) = o.group.as_deref() {
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
    }
    let grouped: HashMap<&str, Vec<&Deviation<'_>>> = by_rater(&devs).into_iter().collect();
    let mut out = Vec::new();
    for rater in raters_in_order(obs) {
        let mine = grouped.get(rater).map_or(&[][..], Vec::as_slice);
        for &g in &groups {
            let mut a = Vec::new();
            let mut b = Vec::new();
            for d in mine {
                match d.group {
                    Some(x) if x == g => a.push(d.value),
                    Some(_) => b.push(d.value),
                    None => {}
                }
            }
            out.push(group_entry_from_deviations(rater, g, &a, &b, min));
        }
    }
    Ok(out)
}

fn reason(e: &StatsError) -> String {
    match e {
        StatsError::NotComputable(s) | StatsError::InvalidInput(s) => s.clone(),
    }
}
