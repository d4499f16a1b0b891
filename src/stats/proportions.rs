//! Selection rates and 2×2 tables: Wilson intervals, impact ratios (four-fifths rule), Fisher's
//! exact test, chi-square, two-proportion z, odds ratios, WRES relative likelihood and the
//! Cochran–Mantel–Haenszel test.
//!
//! Tables are given as `a, b, c, d` for `[[a, b], [c, d]]`: rows are the two groups, the first
//! column the outcome of interest (selected / appointed), the second its complement.
//!
//! Conventions: 95% intervals; p-values two-sided unless the name says otherwise; no continuity
//! correction unless asked for (`chi2_2x2(.., yates)`, `cmh(.., correct)`); infinite odds ratios
//! serialise as JSON `null`.

use serde::Serialize;

use super::{
    chi2_sf, ensure_finite, invalid, not_computable, serialize_finite_or_null,
    serialize_opt_finite_or_null, z_two_sided, StatsError, Z_975,
};

/// 95% Wilson score interval for `x` successes out of `n` (no continuity correction), as
/// `prop.test(x, n, correct = FALSE)$conf.int` in R.
pub fn wilson(x: u64, n: u64) -> Result<[f64; 2], StatsError> {
    if n == 0 {
        return not_computable("Wilson interval: no observations (n = 0)");
    }
    if x > n {
        return invalid(format!("Wilson interval: {x} successes out of only {n}"));
    }
    let nf = n as f64;
    let p = x as f64 / nf;
    let z2 = Z_975 * Z_975;
    let centre = p + z2 / (2.0 * nf);
    let half = Z_975 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    let denom = 1.0 + z2 / nf;
    // The bounds are exactly 0 and 1 at the extremes; clamp away rounding.
    let lo = if x == 0 {
        0.0
    } else {
        ((centre - half) / denom).max(0.0)
    };
    let hi = if x == n {
        1.0
    } else {
        ((centre + half) / denom).min(1.0)
    };
    Ok([lo, hi])
}

/// One group's selection rate compared with the reference (highest-rate) group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupImpact {
    pub group: String,
    pub applicants: u64,
    pub selected: u64,
    /// `selected / applicants`; `None` when there were no applicants.
    pub rate: Option<f64>,
    /// 95% Wilson interval for the rate.
    pub ci95: Option<[f64; 2]>,
    /// `rate / reference rate`; exactly 1 for the reference group.
    pub impact_ratio: Option<f64>,
    /// Four-fifths rule, decided in exact integer arithmetic (ratio < 0.8; exactly 0.8 is not).
    pub adverse: Option<bool>,
    /// Two-sided Fisher exact p against the reference group; 1 for the reference itself.
    pub fisher_p: Option<f64>,
    /// Why the fields above are empty, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Impact ratios of every group against the highest-rate group.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactReport {
    /// The highest-rate group; `None` (JSON `null`) when nobody was selected in any group, since
    /// every ratio would then be 0/0.
    pub reference_group: Option<String>,
    /// In input order.
    pub groups: Vec<GroupImpact>,
}

/// Selection rates, impact ratios and the four-fifths rule (29 CFR 1607.4D).
///
/// `groups` holds `(group, applicants, selected)`. The reference group is the one with the
/// highest selection rate, compared exactly as fractions; on a tie the first in input order is
/// the reference. A group is adverse iff `sel_g · appl_ref · 5 < 4 · sel_ref · appl_g`, computed in
/// `u128`, so a ratio of exactly 0.80 is not adverse. Groups with no applicants are reported with a
/// note and empty statistics. When nobody was selected in any group the rates (all 0) and their
/// Wilson intervals are still reported, but there is no reference group and every impact ratio,
/// four-fifths decision and Fisher p is `None`, with a note. `NotComputable` when no group has
/// applicants.
pub fn impact_ratios(groups: &[(String, u64, u64)]) -> Result<ImpactReport, StatsError> {
    if groups.is_empty() {
        return not_computable("impact ratios: no groups");
    }
    for (i, (g, appl, sel)) in groups.iter().enumerate() {
        if sel > appl {
            return invalid(format!(
                "impact ratios: group '{g}' has {sel} selected but only {appl} applicants"
            ));
        }
        if groups[..i].iter().any(|(h, _, _)| h == g) {
            return invalid(format!("impact ratios: group '{g}' appears more than once"));
        }
    }
    // Highest rate, compared as exact fractions: s1/a1 > s2/a2 iff s1·a2 > s2·a1.
    let mut reference: Option<usize> = None;
    for (i, (_, appl, sel)) in groups.iter().enumerate() {
        if *appl == 0 {
            continue;
        }
        match reference {
            None => reference = Some(i),
            Some(r) => {
                let (_, ra, rs) = &groups[r];
                if (*sel as u128) * (*ra as u128) > (*rs as u128) * (*appl as u128) {
                    reference = Some(i);
                }
            }
        }
    }
    let Some(r) = reference else {
        return not_computable("impact ratios: no group has any applicants");
    };
    let (ref_name, ref_appl, ref_sel) = (&groups[r].0, groups[r].1, groups[r].2);
    if ref_sel == 0 {
        return nobody_selected(groups);
    }
    let ref_rate = ref_sel as f64 / ref_appl as f64;

    let mut out = Vec::with_capacity(groups.len());
    for (i, (g, appl, sel)) in groups.iter().enumerate() {
        let (appl, sel) = (*appl, *sel);
        if appl == 0 {
            out.push(GroupImpact {
                group: g.clone(),
                applicants: 0,
                selected: 0,
                rate: None,
                ci95: None,
                impact_ratio: None,
                adverse: None,
                fisher_p: None,
                note: Some("no applicants: rate not computable".to_string()),
            });
            continue;
        }
        let rate = sel as f64 / appl as f64;
        let (impact_ratio, adverse, fisher_p) = if i == r {
            (1.0, false, Some(1.0))
        } else {
            let lhs = sel as u128 * ref_appl as u128 * 5;
            let rhs = 4 * ref_sel as u128 * appl as u128;
            let f = fisher_exact(sel, appl - sel, ref_sel, ref_appl - ref_sel);
            (rate / ref_rate, lhs < rhs, f.ok().map(|f| f.p_two_sided))
        };
        out.push(GroupImpact {
            group: g.clone(),
            applicants: appl,
            selected: sel,
            rate: Some(rate),
            ci95: Some(wilson(sel, appl)?),
            impact_ratio: Some(impact_ratio),
            adverse: Some(adverse),
            fisher_p,
            note: fisher_p
                .is_none()
                .then(|| "counts too large for Fisher's exact test".to_string()),
        });
    }
    Ok(ImpactReport {
        reference_group: Some(ref_name.clone()),
        groups: out,
    })
}

/// Nobody selected anywhere: a rate of 0 with its Wilson interval is still a finding; only the
/// ratios are 0/0.
fn nobody_selected(groups: &[(String, u64, u64)]) -> Result<ImpactReport, StatsError> {
    let mut out = Vec::with_capacity(groups.len());
    for (g, appl, _) in groups {
        let has = *appl > 0;
        out.push(GroupImpact {
            group: g.clone(),
            applicants: *appl,
            selected: 0,
            rate: has.then_some(0.0),
            ci95: if has { Some(wilson(0, *appl)?) } else { None },
            impact_ratio: None,
            adverse: None,
            fisher_p: None,
            note: Some(if has {
                "nobody was selected in any group: no reference group, so no impact ratio"
                    .to_string()
            } else {
                "no applicants: rate not computable".to_string()
            }),
        });
    }
    Ok(ImpactReport {
        reference_group: None,
        groups: out,
    })
}

/// Fisher's exact test for a 2×2 table.
#[derive(Debug, Clone, Serialize)]
pub struct FisherResult {
    /// Sum of the probabilities of all tables no more likely than the observed one (relative
    /// tolerance 1e-7), as R's `fisher.test` and SciPy's `fisher_exact`.
    pub p_two_sided: f64,
    /// P(X ≤ a): evidence that the odds ratio is below 1.
    pub p_less: f64,
    /// P(X ≥ a): evidence that the odds ratio is above 1.
    pub p_greater: f64,
    /// Sample odds ratio `(a·d)/(b·c)` (not R's conditional MLE). Infinite when `b·c = 0 < a·d`,
    /// `None` when both products are 0; JSON `null` in both cases.
    #[serde(serialize_with = "serialize_opt_finite_or_null")]
    pub odds_ratio: Option<f64>,
}

fn checked_total(cells: &[u64]) -> Result<u64, StatsError> {
    cells
        .iter()
        .try_fold(0u64, |acc, &x| acc.checked_add(x))
        .map_or_else(|| invalid("table total is too large"), Ok)
}

fn sample_odds_ratio(a: u64, b: u64, c: u64, d: u64) -> Option<f64> {
    let num = a as f64 * d as f64;
    let den = b as f64 * c as f64;
    match (num == 0.0, den == 0.0) {
        (true, true) => None,
        (false, true) => Some(f64::INFINITY),
        _ => Some(num / den),
    }
}

/// Most hypergeometric terms examined before giving up; beyond this the table is far too large
/// for an exact test to add anything over chi-square.
const FISHER_MAX_TERMS: usize = 2_000_000;

/// Terms below e^-800 of the mode are zero in double precision after normalising.
const FISHER_LOG_FLOOR: f64 = -800.0;

/// Fisher's exact test for `[[a, b], [c, d]]`, conditioning on both margins.
///
/// Works with hypergeometric log-probabilities taken relative to the mode and built from the
/// ratio of successive terms, which stays accurate where differences of log-gamma values of huge
/// counts would not; terms more than e^800 below the mode are skipped as they vanish in double
/// precision. `NotComputable` for an empty table or one too large to enumerate.
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> Result<FisherResult, StatsError> {
    let n = checked_total(&[a, b, c, d])?;
    if n == 0 {
        return not_computable("Fisher's exact test: the table is empty");
    }
    let (r1, r2, c1) = (a + b, c + d, a + c);
    let lo = c1.saturating_sub(r2);
    let hi = r1.min(c1);
    let mode = (((r1 as u128 + 1) * (c1 as u128 + 1) / (n as u128 + 2)) as u64).clamp(lo, hi);
    // ln P(X = x + 1) − ln P(X = x).
    let step = |x: u64| -> f64 {
        let num = (r1 - x) as f64 * (c1 - x) as f64;
        let den = (x + 1) as f64 * (r2 as u128 + x as u128 + 1 - c1 as u128) as f64;
        num.ln() - den.ln()
    };
    let mut left: Vec<(u64, f64)> = Vec::new();
    let mut l = 0.0;
    let mut x = mode;
    while x > lo && l > FISHER_LOG_FLOOR {
        l -= step(x - 1);
        x -= 1;
        left.push((x, l));
        if left.len() > FISHER_MAX_TERMS {
            return not_computable(
                "Fisher's exact test: counts too large; use the chi-square test",
            );
        }
    }
    left.reverse();
    let mut terms = left;
    terms.push((mode, 0.0));
    let (mut x, mut l) = (mode, 0.0);
    while x < hi && l > FISHER_LOG_FLOOR {
        l += step(x);
        x += 1;
        terms.push((x, l));
        if terms.len() > 2 * FISHER_MAX_TERMS {
            return not_computable(
                "Fisher's exact test: counts too large; use the chi-square test",
            );
        }
    }
    let total: f64 = terms.iter().map(|(_, l)| l.exp()).sum();
    // The observed table's log-probability; below the floor everything at least as extreme
    // underflows, so the floor stands in for it.
    let l_obs = terms
        .iter()
        .find(|(x, _)| *x == a)
        .map_or(FISHER_LOG_FLOOR * 2.0, |(_, l)| *l);
    let cutoff = l_obs + (1e-7f64).ln_1p();
    let mut two = 0.0;
    let mut less = 0.0;
    let mut greater = 0.0;
    for &(x, l) in &terms {
        let p = l.exp();
        if l <= cutoff {
            two += p;
        }
        if x <= a {
            less += p;
        }
        if x >= a {
            greater += p;
        }
    }
    let res = FisherResult {
        p_two_sided: (two / total).clamp(0.0, 1.0),
        p_less: (less / total).clamp(0.0, 1.0),
        p_greater: (greater / total).clamp(0.0, 1.0),
        odds_ratio: sample_odds_ratio(a, b, c, d),
    };
    ensure_finite(
        "Fisher's exact test",
        &[res.p_two_sided, res.p_less, res.p_greater],
    )?;
    Ok(res)
}

/// Pearson chi-square test of independence for a 2×2 table.
#[derive(Debug, Clone, Serialize)]
pub struct Chi2Result {
    pub chi2: f64,
    pub df: u64,
    pub p: f64,
}

/// Pearson's chi-square for `[[a, b], [c, d]]`, optionally with Yates' continuity correction
/// (each |O − E| reduced by min(0.5, |O − E|), as R's `chisq.test` and SciPy's
/// `chi2_contingency`). `NotComputable` when a row or column total is zero.
pub fn chi2_2x2(a: u64, b: u64, c: u64, d: u64, yates: bool) -> Result<Chi2Result, StatsError> {
    let n = checked_total(&[a, b, c, d])? as f64;
    let rows = [(a + b) as f64, (c + d) as f64];
    let cols = [(a + c) as f64, (b + d) as f64];
    if rows.contains(&0.0) || cols.contains(&0.0) {
        return not_computable("chi-square: a row or column total is zero");
    }
    let obs = [[a as f64, b as f64], [c as f64, d as f64]];
    let mut chi2 = 0.0;
    for i in 0..2 {
        for j in 0..2 {
            let e = rows[i] * cols[j] / n;
            let mut diff = (obs[i][j] - e).abs();
            if yates {
                diff -= diff.min(0.5);
            }
            chi2 += diff * diff / e;
        }
    }
    let p = chi2_sf(chi2, 1.0)?;
    ensure_finite("chi-square", &[chi2, p])?;
    Ok(Chi2Result { chi2, df: 1, p })
}

/// Two-proportion z-test.
#[derive(Debug, Clone, Serialize)]
pub struct ZResult {
    /// `(x1/n1 − x2/n2) / SE`, SE from the pooled proportion.
    pub z: f64,
    pub p_two_sided: f64,
}

/// Compares `x1/n1` with `x2/n2` using the pooled standard error (z² equals the uncorrected
/// chi-square). `NotComputable` when a group is empty or the pooled rate is 0 or 1.
pub fn two_proportion_z(x1: u64, n1: u64, x2: u64, n2: u64) -> Result<ZResult, StatsError> {
    if n1 == 0 || n2 == 0 {
        return not_computable("two-proportion z-test: a group has no observations");
    }
    if x1 > n1 || x2 > n2 {
        return invalid("two-proportion z-test: more successes than observations");
    }
    let (x1f, n1f, x2f, n2f) = (x1 as f64, n1 as f64, x2 as f64, n2 as f64);
    let pooled = (x1f + x2f) / (n1f + n2f);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    if se == 0.0 {
        return not_computable(
            "two-proportion z-test: the pooled rate is 0 or 1, so there is no variation",
        );
    }
    let z = (x1f / n1f - x2f / n2f) / se;
    let p = z_two_sided(z);
    ensure_finite("two-proportion z-test", &[z, p])?;
    Ok(ZResult { z, p_two_sided: p })
}

/// Odds ratio with a 95% Woolf (log) interval.
#[derive(Debug, Clone, Serialize)]
pub struct OddsRatio {
    #[serde(rename = "or")]
    pub or: f64,
    pub ci95: [f64; 2],
    /// True when a cell was zero and 0.5 was added to every cell (Haldane–Anscombe).
    pub haldane_corrected: bool,
}

/// Odds ratio `(a·d)/(b·c)` with Woolf's interval `exp(ln OR ± 1.96·√(1/a + 1/b + 1/c + 1/d))`.
/// Only when a cell is zero is 0.5 added to every cell. `NotComputable` when a row or column total
/// is zero (the table says nothing about association).
pub fn odds_ratio_ci(a: u64, b: u64, c: u64, d: u64) -> Result<OddsRatio, StatsError> {
    checked_total(&[a, b, c, d])?;
    if a + b == 0 || c + d == 0 || a + c == 0 || b + d == 0 {
        return not_computable("odds ratio: a row or column total is zero");
    }
    let corrected = [a, b, c, d].contains(&0);
    let adj = if corrected { 0.5 } else { 0.0 };
    let (a, b, c, d) = (
        a as f64 + adj,
        b as f64 + adj,
        c as f64 + adj,
        d as f64 + adj,
    );
    let or = a * d / (b * c);
    let se = (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
    let ci95 = [(or.ln() - Z_975 * se).exp(), (or.ln() + Z_975 * se).exp()];
    ensure_finite("odds ratio", &[or, ci95[0], ci95[1]])?;
    Ok(OddsRatio {
        or,
        ci95,
        haldane_corrected: corrected,
    })
}

/// WRES indicator: relative likelihood of White applicants being appointed from shortlisting
/// compared with BME applicants.
#[derive(Debug, Clone, Serialize)]
pub struct Wres {
    /// `white_rate / bme_rate`; above 1 means White shortlisted applicants were more likely to be
    /// appointed. `None` (JSON `null`) when it is infinite (no BME applicant appointed, some White
    /// applicants appointed) or undefined (nobody appointed in either group); the two are told apart
    /// by `relative_likelihood_infinite` and `note`.
    #[serde(serialize_with = "serialize_opt_finite_or_null")]
    pub relative_likelihood: Option<f64>,
    /// True exactly when White shortlisted applicants were appointed and no BME shortlisted applicant
    /// was: the ratio is infinite, which JSON cannot hold as a number.
    pub relative_likelihood_infinite: bool,
    /// 95% Katz log interval; `None` when either group had no appointments (the log interval needs
    /// a non-zero count in both).
    pub ci95: Option<[f64; 2]>,
    pub white_rate: f64,
    pub bme_rate: f64,
    /// Why the ratio or its interval is missing, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Relative likelihood of White shortlisted applicants being appointed compared with BME
/// shortlisted applicants, as defined for WRES indicator 2 (NHS England, *Workforce Race Equality
/// Standard: technical guidance*): `(white_appointed / white_shortlisted) /
/// (bme_appointed / bme_shortlisted)`.
///
/// The 95% interval is Katz's log method for a ratio of two proportions:
/// `SE(ln RL) = √(1/a − 1/n1 + 1/c − 1/n2)`. When no BME applicant was appointed the two
/// likelihoods are still reported and the ratio is infinite (`relative_likelihood_infinite`); when
/// no White applicant was appointed it is 0; either way there is no log interval. These are the
/// cases HR most needs to see, so they are results, not errors. `NotComputable` only when a group
/// had nobody shortlisted (its likelihood is undefined).
pub fn wres_relative_likelihood(
    white_shortlisted: u64,
    white_appointed: u64,
    bme_shortlisted: u64,
    bme_appointed: u64,
) -> Result<Wres, StatsError> {
    if white_appointed > white_shortlisted || bme_appointed > bme_shortlisted {
        return invalid("relative likelihood: more appointed than shortlisted");
    }
    if white_shortlisted == 0 {
        return not_computable("relative likelihood: no White applicants were shortlisted");
    }
    if bme_shortlisted == 0 {
        return not_computable("relative likelihood: no BME applicants were shortlisted");
    }
    let (a, n1) = (white_appointed as f64, white_shortlisted as f64);
    let (c, n2) = (bme_appointed as f64, bme_shortlisted as f64);
    let white_rate = a / n1;
    let bme_rate = c / n2;
    let mut w = Wres {
        relative_likelihood: None,
        relative_likelihood_infinite: false,
        ci95: None,
        white_rate,
        bme_rate,
        note: None,
    };
    match (white_appointed, bme_appointed) {
        (0, 0) => {
            w.note = Some(
                "nobody was appointed from either group, so the relative likelihood is undefined"
                    .to_string(),
            );
        }
        (_, 0) => {
            w.relative_likelihood_infinite = true;
            w.note = Some(
                "no BME applicants were appointed, so the relative likelihood is infinite: White \
                 shortlisted applicants were appointed and BME shortlisted applicants were not \
                 (no confidence interval)"
                    .to_string(),
            );
        }
        (0, _) => {
            w.relative_likelihood = Some(0.0);
            w.note = Some(
                "no White applicants were appointed, so the relative likelihood is 0 and has no log \
                 interval"
                    .to_string(),
            );
        }
        _ => {
            let rl = white_rate / bme_rate;
            let se = (1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2).sqrt();
            let ci95 = [(rl.ln() - Z_975 * se).exp(), (rl.ln() + Z_975 * se).exp()];
            ensure_finite("relative likelihood", &[rl, ci95[0], ci95[1]])?;
            w.relative_likelihood = Some(rl);
            w.ci95 = Some(ci95);
        }
    }
    Ok(w)
}

/// Cochran–Mantel–Haenszel test across strata of 2×2 tables.
#[derive(Debug, Clone, Serialize)]
pub struct CmhResult {
    pub chi2: f64,
    /// Two-sided (chi-square with 1 df).
    pub p: f64,
    /// Mantel–Haenszel common odds ratio; may be 0 or infinite (JSON `null`).
    #[serde(serialize_with = "serialize_finite_or_null")]
    pub common_odds_ratio: f64,
    /// Robins–Breslow–Greenland 95% interval; `None` when the common odds ratio is 0 or infinite.
    pub ci95: Option<[f64; 2]>,
    pub strata_used: usize,
    /// Strata with fewer than 2 observations, which carry no information.
    pub strata_skipped: usize,
}

/// Cochran–Mantel–Haenszel chi-square (as R's `mantelhaen.test` for 2×2×K tables), with the
/// Mantel–Haenszel common odds ratio and its Robins–Breslow–Greenland interval.
///
/// Each stratum is `[a, b, c, d]` for `[[a, b], [c, d]]`. `correct` applies the continuity
/// correction (R's default, `correct = TRUE`): 0.5 is subtracted from |Σa − ΣE(a)| when that is at
/// least 0.5. Strata with n < 2 are skipped and counted (R refuses them). `NotComputable` when no
/// stratum remains or the variance is zero.
pub fn cmh(strata: &[[u64; 4]], correct: bool) -> Result<CmhResult, StatsError> {
    let mut used = 0usize;
    let mut skipped = 0usize;
    let (mut sum_a, mut sum_e, mut sum_v) = (0.0, 0.0, 0.0);
    let (mut r_sum, mut s_sum) = (0.0, 0.0);
    let (mut pr, mut ps_qr, mut qs) = (0.0, 0.0, 0.0);
    for s in strata {
        let n = checked_total(s)?;
        if n < 2 {
            skipped += 1;
            continue;
        }
        used += 1;
        let [a, b, c, d] = s.map(|x| x as f64);
        let n = n as f64;
        let (r1, r2, c1, c2) = (a + b, c + d, a + c, b + d);
        sum_a += a;
        sum_e += r1 * c1 / n;
        sum_v += r1 * r2 * c1 * c2 / (n * n * (n - 1.0));
        let (rk, sk) = (a * d / n, b * c / n);
        let (pk, qk) = ((a + d) / n, (b + c) / n);
        r_sum += rk;
        s_sum += sk;
        pr += pk * rk;
        ps_qr += pk * sk + qk * rk;
        qs += qk * sk;
    }
    if used == 0 {
        return not_computable("Mantel–Haenszel: no stratum has 2 or more observations");
    }
    if sum_v <= 0.0 {
        return not_computable(
            "Mantel–Haenszel: every stratum has a zero row or column total, so the variance is zero",
        );
    }
    let delta = (sum_a - sum_e).abs();
    let yates = if correct && delta >= 0.5 { 0.5 } else { 0.0 };
    let chi2 = (delta - yates).powi(2) / sum_v;
    let p = chi2_sf(chi2, 1.0)?;
    ensure_finite("Mantel–Haenszel chi-square", &[chi2, p])?;
    let common = if s_sum == 0.0 {
        f64::INFINITY
    } else {
        r_sum / s_sum
    };
    let ci95 = if r_sum > 0.0 && s_sum > 0.0 {
        let se = (pr / (2.0 * r_sum * r_sum)
            + ps_qr / (2.0 * r_sum * s_sum)
            + qs / (2.0 * s_sum * s_sum))
            .sqrt();
        let ci = [common * (-Z_975 * se).exp(), common * (Z_975 * se).exp()];
        ci.iter().all(|x| x.is_finite()).then_some(ci)
    } else {
        None
    };
    Ok(CmhResult {
        chi2,
        p,
        common_odds_ratio: common,
        ci95,
        strata_used: used,
        strata_skipped: skipped,
    })
}
