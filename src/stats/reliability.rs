//! Inter-rater reliability: intraclass correlations, Krippendorff's alpha and Kendall's W.
//!
//! * [`icc`] / [`icc_long`]: the six Shrout & Fleiss (1979) ICC forms, with F tests (upper tail,
//!   H0: ICC = 0) and 95% confidence intervals computed with the same formulas as R's
//!   `psych::ICC` (ANOVA mean squares, `lmer = FALSE`). Labels and McGraw & Wong (1996) names are
//!   tabled in the [module docs](super). Complete data only: `icc_long` drops targets that lack a
//!   score from any rater and lists them.
//!
//!   `NotComputable` when there are fewer than 2 targets or raters, every score is the same, every
//!   target has the same mean, the residual mean square is zero (perfect consistency, so F is
//!   infinite), or the absolute-agreement denominators cancel. With few targets and a negative
//!   ICC2 lower bound below −1/(k − 1), psych's ICC2k bound (the Spearman–Brown transform of the
//!   ICC2 bound) passes through a pole and can come out above the upper bound; this module
//!   reproduces psych rather than silently altering it, so read such a design as showing no
//!   reliability.
//! * [`icc2_compare`]: ICC(2,1) against a cut point such as 1/2, decided in exact integer
//!   arithmetic when every score is a whole number (as panel scores are), so a matrix whose ICC is
//!   exactly the cut is never counted below it through rounding. Otherwise the float estimate is
//!   compared with a stated tolerance ([`super::THRESHOLD_TOLERANCE`]).
//! * [`krippendorff_alpha`]: coincidence-matrix method of Krippendorff (2011), "Computing
//!   Krippendorff's Alpha-Reliability", for nominal, ordinal, interval and ratio data; missing
//!   values are allowed and units with fewer than two values are not pairable and are ignored.
//! * [`kendall_w`]: Kendall's coefficient of concordance with the correction for ties (as
//!   `irr::kendall(x, correct = TRUE)`), and its chi-square test (upper tail, df = n − 1).

use serde::Serialize;
use std::collections::HashMap;

use super::{chi2_sf, ensure_finite, f_quantile, f_sf, invalid, not_computable, StatsError};

/// All six ICC forms for one targets × raters design.
#[derive(Debug, Clone, Serialize)]
pub struct IccReport {
    /// Targets (candidates) used, i.e. with a score from every rater.
    pub n_targets: usize,
    pub n_raters: usize,
    /// Targets left out because at least one rater's score was missing, in input order.
    pub dropped_targets: Vec<String>,
    /// In the order ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.
    pub forms: Vec<IccForm>,
}

/// One ICC form with its F test and 95% interval.
#[derive(Debug, Clone, Serialize)]
pub struct IccForm {
    /// "ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k" or "ICC3k".
    #[serde(rename = "type")]
    pub kind: String,
    pub icc: f64,
    pub f: f64,
    pub df1: u64,
    pub df2: u64,
    /// Upper tail of F(df1, df2): H0 ICC = 0.
    pub p: f64,
    pub ci95: [f64; 2],
}

impl IccReport {
    /// The form with the given label, e.g. `"ICC2"`.
    pub fn form(&self, kind: &str) -> Option<&IccForm> {
        self.forms.iter().find(|f| f.kind == kind)
    }
}

fn check_matrix(matrix: &[Vec<f64>], what: &str) -> Result<(usize, usize), StatsError> {
    let n = matrix.len();
    if n == 0 {
        return not_computable(format!("{what}: no targets"));
    }
    let k = matrix[0].len();
    for (i, row) in matrix.iter().enumerate() {
        if row.len() != k {
            return invalid(format!(
                "{what}: row {} has {} scores but row 1 has {k}",
                i + 1,
                row.len()
            ));
        }
        if let Some(x) = row.iter().find(|x| !x.is_finite()) {
            return invalid(format!(
                "{what}: row {} contains a non-finite score ({x})",
                i + 1
            ));
        }
    }
    Ok((n, k))
}

/// Mean squares are compared with zero relative to the data's magnitude, so that rounding noise
/// in constant data does not pass for variation.
fn is_zero(mean_square: f64, scale: f64) -> bool {
    mean_square <= 1e-20 * scale.max(f64::MIN_POSITIVE)
}

/// Intraclass correlations for a complete matrix: one row per target, one column per rater.
pub fn icc(matrix: &[Vec<f64>]) -> Result<IccReport, StatsError> {
    let (n, k) = check_matrix(matrix, "ICC")?;
    if n < 2 {
        return not_computable("ICC needs at least 2 targets scored by every rater");
    }
    if k < 2 {
        return not_computable("ICC needs at least 2 raters");
    }
    let nf = n as f64;
    let kf = k as f64;
    let total = nf * kf;
    let grand = matrix.iter().flatten().sum::<f64>() / total;
    let scale = matrix.iter().flatten().map(|x| x * x).sum::<f64>() / total;
    let row_means: Vec<f64> = matrix.iter().map(|r| r.iter().sum::<f64>() / kf).collect();
    let col_means: Vec<f64> = (0..k)
        .map(|j| matrix.iter().map(|r| r[j]).sum::<f64>() / nf)
        .collect();

    let ss_rows = kf * row_means.iter().map(|m| (m - grand).powi(2)).sum::<f64>();
    let ss_cols = nf * col_means.iter().map(|m| (m - grand).powi(2)).sum::<f64>();
    let mut ss_err = 0.0;
    let mut ss_tot = 0.0;
    for (i, row) in matrix.iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            ss_err += (x - row_means[i] - col_means[j] + grand).powi(2);
            ss_tot += (x - grand).powi(2);
        }
    }
    if is_zero(ss_tot / total, scale) {
        return not_computable(
            "ICC: every score is the same, so there is no variation to attribute",
        );
    }

    let df_b = nf - 1.0;
    let df_e = (nf - 1.0) * (kf - 1.0);
    let df_w = nf * (kf - 1.0);
    let msb = ss_rows / df_b;
    let msj = ss_cols / (kf - 1.0);
    let mse = ss_err / df_e;
    let msw = (ss_cols + ss_err) / df_w;

    if is_zero(msb, scale) {
        return not_computable(
            "ICC: every target has the same mean score, so the F tests and intervals are undefined",
        );
    }
    if is_zero(mse, scale) || is_zero(msw, scale) {
        return not_computable(
            "ICC: the raters' scores have no residual variation (they agree perfectly or differ \
             only by a constant), so the F tests and intervals are undefined",
        );
    }

    // With few targets the rater mean square can cancel the target mean square in the
    // absolute-agreement denominators; the estimate there is a pole, not a number to report.
    let d2 = msb + (kf - 1.0) * mse + kf * (msj - mse) / nf;
    let d2k = msb + (msj - mse) / nf;
    let tol = 1e-9 * (msb + msj + mse);
    if d2.abs() <= tol || d2k.abs() <= tol {
        return not_computable(
            "ICC2/ICC2k: the rater and error variance estimates cancel the target variance, so \
             absolute agreement is undefined for these data",
        );
    }

    // Point estimates (Shrout & Fleiss 1979, Table 1; psych::ICC).
    let icc1 = (msb - msw) / (msb + (kf - 1.0) * msw);
    let icc2 = (msb - mse) / d2;
    let icc3 = (msb - mse) / (msb + (kf - 1.0) * mse);
    let icc1k = (msb - msw) / msb;
    let icc2k = (msb - mse) / d2k;
    let icc3k = (msb - mse) / msb;

    let f1 = msb / msw;
    let f2 = msb / mse;
    let (df11n, df11d) = (df_b, df_w);
    let (df21n, df21d) = (df_b, df_e);
    let p1 = f_sf(f1, df11n, df11d)?;
    let p2 = f_sf(f2, df21n, df21d)?;

    // F-based bounds for ICC1/ICC3 and their k-rater forms.
    let f1l = f1 / f_quantile(0.975, df11n, df11d)?;
    let f1u = f1 * f_quantile(0.975, df11d, df11n)?;
    let f3l = f2 / f_quantile(0.975, df21n, df21d)?;
    let f3u = f2 * f_quantile(0.975, df21d, df21n)?;
    let ci1 = [
        (f1l - 1.0) / (f1l + kf - 1.0),
        (f1u - 1.0) / (f1u + kf - 1.0),
    ];
    let ci3 = [
        (f3l - 1.0) / (f3l + kf - 1.0),
        (f3u - 1.0) / (f3u + kf - 1.0),
    ];
    let ci1k = [1.0 - 1.0 / f1l, 1.0 - 1.0 / f1u];
    let ci3k = [1.0 - 1.0 / f3l, 1.0 - 1.0 / f3u];

    // ICC2: approximate df for the combined error term, then the psych::ICC bounds.
    let fj = msj / mse;
    let a = kf * icc2 * fj + nf * (1.0 + (kf - 1.0) * icc2) - kf * icc2;
    let vn = (kf - 1.0) * (nf - 1.0) * a * a;
    let b = nf * (1.0 + (kf - 1.0) * icc2) - kf * icc2;
    let vd = (nf - 1.0) * kf * kf * icc2 * icc2 * fj * fj + b * b;
    let v = vn / vd;
    ensure_finite("ICC2 confidence interval", &[v])?;
    if v <= 0.0 {
        return not_computable(
            "ICC2 confidence interval: approximate degrees of freedom are not positive",
        );
    }
    let fu = f_quantile(0.975, nf - 1.0, v)?;
    let fl = f_quantile(0.975, v, nf - 1.0)?;
    let common = kf * msj + (kf * nf - kf - nf) * mse;
    let l2 = nf * (msb - fu * mse) / (fu * common + nf * msb);
    let u2 = nf * (fl * msb - mse) / (common + nf * fl * msb);
    let ci2 = [l2, u2];
    let ci2k = [
        l2 * kf / (1.0 + l2 * (kf - 1.0)),
        u2 * kf / (1.0 + u2 * (kf - 1.0)),
    ];

    let forms = vec![
        form("ICC1", icc1, f1, df11n, df11d, p1, ci1),
        form("ICC2", icc2, f2, df21n, df21d, p2, ci2),
        form("ICC3", icc3, f2, df21n, df21d, p2, ci3),
        form("ICC1k", icc1k, f1, df11n, df11d, p1, ci1k),
        form("ICC2k", icc2k, f2, df21n, df21d, p2, ci2k),
        form("ICC3k", icc3k, f2, df21n, df21d, p2, ci3k),
    ];
    for fm in &forms {
        ensure_finite(
            &format!("{} (estimate, F, p or interval)", fm.kind),
            &[fm.icc, fm.f, fm.p, fm.ci95[0], fm.ci95[1]],
        )?;
    }
    Ok(IccReport {
        n_targets: n,
        n_raters: k,
        dropped_targets: Vec::new(),
        forms,
    })
}

fn form(kind: &str, icc: f64, f: f64, df1: f64, df2: f64, p: f64, ci95: [f64; 2]) -> IccForm {
    IccForm {
        kind: kind.to_string(),
        icc,
        f,
        // Degrees of freedom here are products of counts, so exact integers.
        df1: df1 as u64,
        df2: df2 as u64,
        p,
        ci95,
    }
}

/// How ICC(2,1) of a complete `matrix` (targets × raters) compares with the cut `num / den`.
///
/// With n targets, k raters, T the grand total, R_i and C_j the row and column totals and Q the sum
/// of squares, A = nΣR_i² − T², B = kΣC_j² − T² and E = nkQ − T² − A − B are nk times the row,
/// column and error sums of squares, all whole numbers when the scores are. ICC(2,1) =
/// (MSR − MSE) / (MSR + (k − 1)MSE + k(MSC − MSE)/n) (Shrout & Fleiss 1979) is then exactly
/// N / D with N = n(k − 1)A − nE and D = n(k − 1)A + n(k − 1)E + k(n − 1)B − kE (both sides
/// multiplied by n²k(n − 1)(k − 1) > 0), so the comparison is of the integers N·den and num·D
/// (signs handled); this decides whenever the float estimate is within 10⁻⁶ of the cut (further
/// away, its rounding error cannot change the side). When a score is not a whole number, or the integers would overflow, the float
/// estimate is compared and values within [`super::THRESHOLD_TOLERANCE`] of the cut count as equal
/// to it. `None` when ICC(2,1) is not defined (as [`icc`] refuses it).
pub fn icc2_compare(matrix: &[Vec<f64>], num: i64, den: i64) -> Option<std::cmp::Ordering> {
    let report = icc(matrix).ok()?;
    icc2_compare_estimate(matrix, report.form("ICC2")?.icc, num, den)
}

/// [`icc2_compare`] for a caller that already holds the float ICC(2,1) of `matrix` from [`icc`]
/// (used only when the exact comparison is not possible).
pub fn icc2_compare_estimate(
    matrix: &[Vec<f64>],
    float: f64,
    num: i64,
    den: i64,
) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    let cut = num as f64 / den as f64;
    let fallback = || {
        if (float - cut).abs() <= super::THRESHOLD_TOLERANCE {
            Some(Ordering::Equal)
        } else {
            float.partial_cmp(&cut)
        }
    };
    // Far from the cut, rounding (of the order of 10⁻¹⁵ here) cannot change the side.
    if (float - cut).abs() > 1e-6 {
        return float.partial_cmp(&cut);
    }
    let whole = |x: f64| x.fract() == 0.0 && x.abs() <= (1u64 << 31) as f64;
    if den <= 0 || !matrix.iter().flatten().all(|x| whole(*x)) {
        return fallback();
    }
    let exact = || -> Option<Ordering> {
        let n = matrix.len() as i128;
        let k = matrix.first()?.len() as i128;
        let mut t: i128 = 0;
        let mut q: i128 = 0;
        let mut rows: i128 = 0;
        let mut cols = vec![0i128; k as usize];
        for r in matrix {
            let mut sum: i128 = 0;
            for (j, &x) in r.iter().enumerate() {
                let x = x as i128;
                sum += x;
                cols[j] += x;
                q = q.checked_add(x.checked_mul(x)?)?;
            }
            t += sum;
            rows = rows.checked_add(sum.checked_mul(sum)?)?;
        }
        let cols_sq = cols
            .iter()
            .try_fold(0i128, |acc, c| acc.checked_add(c.checked_mul(*c)?))?;
        let t2 = t.checked_mul(t)?;
        let a = n.checked_mul(rows)?.checked_sub(t2)?;
        let b = k.checked_mul(cols_sq)?.checked_sub(t2)?;
        let e = n.checked_mul(k)?.checked_mul(q)?.checked_sub(t2)? - a - b;
        let nn = n.checked_mul(k - 1)?.checked_mul(a)? - n.checked_mul(e)?;
        let d = n.checked_mul(k - 1)?.checked_mul(a)?
            + n.checked_mul(k - 1)?.checked_mul(e)?
            + k.checked_mul(n - 1)?.checked_mul(b)?
            - k.checked_mul(e)?;
        if d == 0 {
            return None;
        }
        let (lhs, rhs) = (nn.checked_mul(den as i128)?, (num as i128).checked_mul(d)?);
        // N/D against num/den: multiply through by den·D, flipping when D is negative.
        Some(if d > 0 { lhs.cmp(&rhs) } else { rhs.cmp(&lhs) })
    };
    exact().or_else(fallback)
}

/// Intraclass correlations from long-format `(target, rater, score)` rows.
///
/// Targets and raters keep their order of first appearance. Targets lacking a score from any
/// rater are dropped and listed in `dropped_targets`; a repeated (target, rater) pair is an error.
pub fn icc_long(rows: &[(String, String, f64)]) -> Result<IccReport, StatsError> {
    let wide = long_to_wide(rows, "ICC")?;
    let mut report = icc(&wide.matrix)?;
    report.dropped_targets = wide.dropped_targets;
    Ok(report)
}

/// A complete targets × raters matrix built from long rows.
#[derive(Debug, Clone)]
pub struct WideMatrix {
    pub targets: Vec<String>,
    pub raters: Vec<String>,
    pub matrix: Vec<Vec<f64>>,
    pub dropped_targets: Vec<String>,
}

/// Pivots `(target, rater, score)` rows to a complete matrix, dropping targets that lack any
/// rater's score. Shared by the ICC and Kendall's W entry points.
pub fn long_to_wide(rows: &[(String, String, f64)], what: &str) -> Result<WideMatrix, StatsError> {
    let mut targets: Vec<&str> = Vec::new();
    let mut raters: Vec<&str> = Vec::new();
    let mut t_idx: HashMap<&str, usize> = HashMap::new();
    let mut r_idx: HashMap<&str, usize> = HashMap::new();
    let mut cells: HashMap<(usize, usize), f64> = HashMap::new();
    for (t, r, x) in rows {
        if !x.is_finite() {
            return invalid(format!(
                "{what}: score for target '{t}' by rater '{r}' is not finite"
            ));
        }
        let ti = *t_idx.entry(t.as_str()).or_insert_with(|| {
            targets.push(t.as_str());
            targets.len() - 1
        });
        let ri = *r_idx.entry(r.as_str()).or_insert_with(|| {
            raters.push(r.as_str());
            raters.len() - 1
        });
        if cells.insert((ti, ri), *x).is_some() {
            return invalid(format!(
                "{what}: target '{t}' has more than one score from rater '{r}'"
            ));
        }
    }
    if raters.len() < 2 {
        return not_computable(format!(
            "{what} needs at least 2 raters; found {}",
            raters.len()
        ));
    }
    let mut matrix = Vec::new();
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for (ti, t) in targets.iter().enumerate() {
        let row: Option<Vec<f64>> = (0..raters.len())
            .map(|ri| cells.get(&(ti, ri)).copied())
            .collect();
        match row {
            Some(r) => {
                matrix.push(r);
                kept.push(t.to_string());
            }
            None => dropped.push(t.to_string()),
        }
    }
    if matrix.len() < 2 {
        return not_computable(format!(
            "{what} needs at least 2 targets scored by every rater; {} of {} targets are complete",
            matrix.len(),
            targets.len()
        ));
    }
    Ok(WideMatrix {
        targets: kept,
        raters: raters.iter().map(|s| s.to_string()).collect(),
        matrix,
        dropped_targets: dropped,
    })
}

/// Level of measurement for Krippendorff's alpha; it fixes the difference function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Nominal,
    Ordinal,
    Interval,
    Ratio,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Nominal => "nominal",
            Level::Ordinal => "ordinal",
            Level::Interval => "interval",
            Level::Ratio => "ratio",
        }
    }
}

/// Krippendorff's alpha by the coincidence-matrix method (Krippendorff 2011).
///
/// `units[u]` holds unit u's values across raters, `None` where a rater gave no value. Units with
/// fewer than two values are not pairable and are ignored. Ratio data must be non-negative.
/// Returns `NotComputable` when no unit is pairable or when the pairable values show no variation
/// at all (expected disagreement is zero).
pub fn krippendorff_alpha(units: &[Vec<Option<f64>>], level: Level) -> Result<f64, StatsError> {
    let mut values = Vec::new();
    let mut ends = Vec::new();
    for u in units {
        let start = values.len();
        values.extend(u.iter().flatten().copied());
        if values.len() - start >= 2 {
            ends.push(values.len());
        } else {
            values.truncate(start);
        }
    }
    krippendorff_alpha_flat(&values, &ends, level)
}

/// The distinct values, sorted. Ratings take few distinct values, so they are gathered into a small
/// sorted set (no sort of every value); a stream with many distinct values falls back to sorting.
fn distinct_sorted(xs: impl Iterator<Item = f64> + Clone) -> Vec<f64> {
    const SMALL: usize = 256;
    let mut set: Vec<f64> = Vec::new();
    for x in xs.clone() {
        if let Err(i) = set.binary_search_by(|p| p.total_cmp(&x)) {
            if set.len() == SMALL {
                let mut all: Vec<f64> = xs.collect();
                all.sort_by(f64::total_cmp);
                all.dedup_by(|a, b| a.total_cmp(b).is_eq());
                return all;
            }
            set.insert(i, x);
        }
    }
    set
}

/// [`krippendorff_alpha`] over units laid end to end: unit i is `values[ends[i-1]..ends[i]]` (from 0
/// for the first). Units with fewer than two values are ignored. This form serves the audit, which
/// has a quarter of a million units and no wish to allocate each one.
pub fn krippendorff_alpha_flat(
    values: &[f64],
    ends: &[usize],
    level: Level,
) -> Result<f64, StatsError> {
    let units = || {
        ends.iter()
            .scan(0, |start, &end| {
                let u = &values[*start..end];
                *start = end;
                Some(u)
            })
            .filter(|u| u.len() >= 2)
    };
    for u in units() {
        if let Some(x) = u.iter().find(|x| !x.is_finite()) {
            return invalid(format!("Krippendorff's alpha: value {x} is not finite"));
        }
        if level == Level::Ratio {
            if let Some(x) = u.iter().find(|x| **x < 0.0) {
                return invalid(format!(
                    "Krippendorff's alpha: ratio data cannot be negative (found {x})"
                ));
            }
        }
    }
    if units().next().is_none() {
        return not_computable("Krippendorff's alpha: no unit has values from two or more raters");
    }

    let values = distinct_sorted(units().flatten().copied());
    if values.len() < 2 {
        return not_computable(
            "Krippendorff's alpha: every value is the same, so expected disagreement is zero",
        );
    }
    let v = values.len();
    let index = |x: f64| {
        values
            .binary_search_by(|p| p.total_cmp(&x))
            .expect("value present")
    };

    // Coincidence matrix: each ordered pair of values within a unit weighted by 1/(m_u − 1).
    let mut o = vec![vec![0.0_f64; v]; v];
    let mut counts = vec![0.0_f64; v];
    for u in units() {
        let m = u.len() as f64;
        counts.iter_mut().for_each(|c| *c = 0.0);
        for &x in u {
            counts[index(x)] += 1.0;
        }
        for c in 0..v {
            if counts[c] == 0.0 {
                continue;
            }
            for k in 0..v {
                let pairs = if c == k {
                    counts[c] * (counts[c] - 1.0)
                } else {
                    counts[c] * counts[k]
                };
                o[c][k] += pairs / (m - 1.0);
            }
        }
    }
    let n_c: Vec<f64> = o.iter().map(|row| row.iter().sum()).collect();
    let n: f64 = n_c.iter().sum();

    let delta2 = |c: usize, k: usize| -> f64 {
        match level {
            Level::Nominal => {
                if c == k {
                    0.0
                } else {
                    1.0
                }
            }
            Level::Ordinal => {
                let (lo, hi) = if c <= k { (c, k) } else { (k, c) };
                let s: f64 = n_c[lo..=hi].iter().sum::<f64>() - (n_c[lo] + n_c[hi]) / 2.0;
                s * s
            }
            Level::Interval => (values[c] - values[k]).powi(2),
            Level::Ratio => {
                let sum = values[c] + values[k];
                if sum == 0.0 {
                    0.0
                } else {
                    ((values[c] - values[k]) / sum).powi(2)
                }
            }
        }
    };

    let mut observed = 0.0;
    let mut expected = 0.0;
    for c in 0..v {
        for k in 0..v {
            let d = delta2(c, k);
            observed += o[c][k] * d;
            expected += n_c[c] * n_c[k] * d;
        }
    }
    if expected <= 0.0 {
        return not_computable("Krippendorff's alpha: expected disagreement is zero");
    }
    let alpha = 1.0 - (n - 1.0) * observed / expected;
    ensure_finite("Krippendorff's alpha", &[alpha])?;
    Ok(alpha)
}

/// Kendall's coefficient of concordance.
#[derive(Debug, Clone, Serialize)]
pub struct KendallResult {
    /// W corrected for ties.
    pub w: f64,
    /// m(n − 1)W.
    pub chi2: f64,
    /// n − 1.
    pub df: u64,
    /// Upper tail of chi-square(df).
    pub p: f64,
}

/// Midranks (1-based) of `xs`: tied values share the mean of the ranks they span.
pub(crate) fn midranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut ranks = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && xs[order[j + 1]] == xs[order[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &idx in &order[i..=j] {
            ranks[idx] = r;
        }
        i = j + 1;
    }
    ranks
}

/// Kendall's W with the tie correction, for a complete matrix: rows are targets (the objects
/// ranked), columns are raters. Each rater's scores are ranked across targets (midranks for ties).
pub fn kendall_w(matrix: &[Vec<f64>]) -> Result<KendallResult, StatsError> {
    let (n, m) = check_matrix(matrix, "Kendall's W")?;
    if n < 2 {
        return not_computable("Kendall's W needs at least 2 targets");
    }
    if m < 2 {
        return not_computable("Kendall's W needs at least 2 raters");
    }
    let nf = n as f64;
    let mf = m as f64;
    let mut rank_sums = vec![0.0; n];
    let mut ties = 0.0;
    for j in 0..m {
        let col: Vec<f64> = matrix.iter().map(|r| r[j]).collect();
        let ranks = midranks(&col);
        for (s, r) in rank_sums.iter_mut().zip(&ranks) {
            *s += r;
        }
        let mut sorted = col.clone();
        sorted.sort_by(f64::total_cmp);
        let mut i = 0;
        while i < sorted.len() {
            let mut j2 = i;
            while j2 + 1 < sorted.len() && sorted[j2 + 1] == sorted[i] {
                j2 += 1;
            }
            let t = (j2 - i + 1) as f64;
            ties += t * t * t - t;
            i = j2 + 1;
        }
    }
    let mean = mf * (nf + 1.0) / 2.0;
    let s: f64 = rank_sums.iter().map(|r| (r - mean).powi(2)).sum();
    let denom = mf * mf * (nf * nf * nf - nf) - mf * ties;
    if denom <= 0.0 {
        return not_computable(
            "Kendall's W: every rater gave all targets the same score, so there is no ranking",
        );
    }
    let w = 12.0 * s / denom;
    let chi2 = mf * (nf - 1.0) * w;
    let p = chi2_sf(chi2, nf - 1.0)?;
    ensure_finite("Kendall's W", &[w, chi2, p])?;
    Ok(KendallResult {
        w,
        chi2,
        df: (n - 1) as u64,
        p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_values_match_a_full_sort_either_side_of_the_small_set() {
        for n in [0usize, 1, 5, 255, 256, 257, 2000] {
            // A deterministic scramble with repeats: n distinct values, each three times.
            let xs: Vec<f64> = (0..3 * n)
                .map(|i| ((i * 7919) % n.max(1)) as f64 * 0.5 - 3.0)
                .collect();
            let mut expected = xs.clone();
            expected.sort_by(f64::total_cmp);
            expected.dedup();
            assert_eq!(distinct_sorted(xs.iter().copied()), expected, "n = {n}");
        }
    }

    #[test]
    fn alpha_treats_negative_zero_as_a_value_without_panicking() {
        let a = krippendorff_alpha(
            &[vec![Some(-0.0), Some(0.0)], vec![Some(1.0), Some(2.0)]],
            Level::Interval,
        );
        let b = krippendorff_alpha(
            &[vec![Some(0.0), Some(0.0)], vec![Some(1.0), Some(2.0)]],
            Level::Interval,
        );
        assert_eq!(a.unwrap(), b.unwrap());
    }

    #[test]
    fn midranks_average_ties() {
        assert_eq!(midranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn one_rater_is_not_computable() {
        let m = vec![vec![1.0], vec![2.0], vec![3.0]];
        assert!(matches!(icc(&m), Err(StatsError::NotComputable(_))));
        assert!(matches!(kendall_w(&m), Err(StatsError::NotComputable(_))));
    }

    #[test]
    fn constant_scores_are_not_computable() {
        let m = vec![vec![3.3; 3]; 4];
        assert!(matches!(icc(&m), Err(StatsError::NotComputable(_))));
        assert!(matches!(kendall_w(&m), Err(StatsError::NotComputable(_))));
    }

    #[test]
    fn ragged_matrix_is_invalid() {
        let m = vec![vec![1.0, 2.0], vec![3.0]];
        assert!(matches!(icc(&m), Err(StatsError::InvalidInput(_))));
    }
}
