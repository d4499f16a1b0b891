//! Statistics for panel scoring and selection audits.
//!
//! Everything here is a pure function over plain numbers: no I/O, no printing, no domain types.
//! Results are plain structs that serialise with serde so commands can render them as text or JSON.
//!
//! # Conventions
//!
//! * **Errors, not NaN.** Degenerate inputs (one rater, one target, zero variance, empty groups,
//!   `n = 0`, a division by zero) return [`StatsError::NotComputable`] with a reason a person can
//!   act on. Inputs that are simply wrong (non-finite scores, a ragged matrix, more selected than
//!   applied, duplicate keys) return [`StatsError::InvalidInput`]. No function panics on user data,
//!   and no returned number is NaN.
//! * **Confidence intervals** are 95% throughout, except that G-theory coefficients also get 80%
//!   intervals (below).
//! * **p-values.** Tests of a difference or association (t-tests, Fisher's exact, z, chi-square on a
//!   2×2 table, Cochran–Mantel–Haenszel) are two-sided. Tests whose statistic is one-tailed by
//!   construction use the upper tail: the ICC F tests (H0: ICC = 0), Kendall's W chi-square.
//!   Fisher's exact test also reports both one-sided p-values.
//! * **ICC** ([`reliability::icc`]): the six Shrout & Fleiss (1979) forms with the labels R's
//!   `psych::ICC` uses, computed from the two-way ANOVA mean squares exactly as `psych::ICC` does
//!   (with `lmer = FALSE`), including its F-based confidence bounds and, for ICC2/ICC2k, the
//!   Satterthwaite-style degrees of freedom:
//!
//!   | label | Shrout & Fleiss | McGraw & Wong (1996) |
//!   |-------|-----------------|----------------------|
//!   | ICC1  | ICC(1,1) | one-way random, single rater |
//!   | ICC2  | ICC(2,1) | two-way random, absolute agreement, single rater |
//!   | ICC3  | ICC(3,1) | two-way mixed, consistency, single rater |
//!   | ICC1k | ICC(1,k) | one-way random, average of k raters |
//!   | ICC2k | ICC(2,k) | two-way random, absolute agreement, average of k raters |
//!   | ICC3k | ICC(3,k) | two-way mixed, consistency, average of k raters |
//!
//!   For panels the usual choice is ICC2 (are scores interchangeable between panellists?) and
//!   ICC2k (reliability of the panel's mean score).
//! * **Missing data.** The ICC and Kendall's W need a complete targets × raters matrix; the
//!   long-format entry point [`reliability::icc_long`] drops (and lists) targets that lack any
//!   rater's score (listwise deletion, as `psych::ICC` and `irr::kendall` do). Krippendorff's alpha
//!   uses every pairable value: units with fewer than two values are ignored.
//! * **Rater effects** ([`raters`]): deviations from the mean of the *other* raters on the same
//!   (target, item) cell; one-sample t-test for leniency/severity, Welch's t-test for rater ×
//!   candidate-group effects. Below a caller-supplied minimum count no interval or test is given.
//! * **Proportions** ([`proportions`]): Wilson score intervals without continuity correction;
//!   four-fifths rule decided in exact integer arithmetic (exactly 0.80 is *not* adverse); odds ratio
//!   intervals by Woolf's log method with the Haldane +0.5 correction only when a cell is zero;
//!   relative likelihoods (WRES) with Katz log intervals.
//! * **Impact ratios**: the reference is the highest-rate group, compared as exact fractions; on a
//!   tie the first group in input order. A group with no applicants is reported with a note and
//!   empty statistics rather than failing the whole table. When nobody was selected in any group
//!   the rates (0) and their Wilson intervals stand; there is no reference group (`null`) and no
//!   ratio.
//! * **WRES relative likelihood** with no BME appointment is infinite: JSON
//!   `"relative_likelihood": null, "relative_likelihood_infinite": true`, a note in words and no
//!   interval; with no White appointment it is 0 without an interval. Neither is an error.
//! * **Generalizability theory** ([`gtheory`]): ANOVA (expected mean squares) estimates as Brennan
//!   (2001); a negative estimate is reported raw (`var`) and set to 0 (`var_used`) without
//!   re-solving the others (GENOVA's convention). The pooled design `(p x r x i):v` solves the exact
//!   moment equations with each vacancy's own panel and question counts. Eρ² and Φ; for `p x r`
//!   they equal ICC3k and ICC2k. One-facet designs get Feldt (Eρ²) and Arteaga–Jeyaratnam–Graybill
//!   (Φ) intervals at 80% and 95% (the one place intervals are not only 95%, to match Brennan's
//!   Table 6.5).
//! * **Differential item functioning** ([`dif`]): Mantel's chi-square (1 df, no continuity
//!   correction), SMD focal minus matched reference (negative = focal group lower) with the
//!   Zwick–Thayer standard error, ETS AA/BB/CC classes by |SMD/SD| at 0.17 and 0.25 with p < 0.05,
//!   Liu–Agresti odds ratio (reference over focal, delta = −2.35 ln ψ). Only strata holding both
//!   groups are used and counted; none is "insufficient data", never "no DIF". Matching score =
//!   mean of the panel-mean item scores over the matching set, studied question included; band
//!   cuts lie halfway between adjacent observed matching scores. Regression DIF uses
//!   cumulative-logit models ([`ordinal`], statsmodels' `OrderedModel` parameterisation) with
//!   likelihood-ratio tests, Nagelkerke/McFadden R² and Jodoin–Gierl / Zumbo–Thomas classes.
//! * **Thresholds on a statistic** are decided so that a value exactly on the cut never falls on
//!   the wrong side through rounding. Where the inputs are whole numbers the comparison is exact:
//!   the four-fifths rule compares integer products, and ICC(2,1) against 0.5 compares integers
//!   built from the score totals ([`reliability::icc2_compare`]). Where a statistic is a float
//!   without exact inputs (p-values, |SMD/SD| for the ETS classes, Eρ² and Φ against 0.80) a value
//!   within [`THRESHOLD_TOLERANCE`] (10⁻⁹) of the cut counts as on it ([`below_cut`]): "below" means
//!   below the cut by more than the tolerance, and "above" above it by more than the tolerance.
//! * **Infinite values** (an odds ratio with a zero denominator) serialise as JSON `null`.
//! * **Suppression** ([`suppression`]): small non-zero counts are hidden with complementary
//!   suppression so they cannot be recovered from row or column totals; zeros are shown.

pub mod dif;
pub mod gtheory;

/// Values within this distance of a cut point count as on it (see the module docs).
pub const THRESHOLD_TOLERANCE: f64 = 1e-9;

/// `x` is below `cut` by more than [`THRESHOLD_TOLERANCE`].
pub fn below_cut(x: f64, cut: f64) -> bool {
    x < cut - THRESHOLD_TOLERANCE
}

/// `x` is above `cut` by more than [`THRESHOLD_TOLERANCE`].
pub fn above_cut(x: f64, cut: f64) -> bool {
    x > cut + THRESHOLD_TOLERANCE
}
pub mod ordinal;
pub mod proportions;
pub mod raters;
pub mod reliability;
pub mod suppression;

use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor, Normal, StudentsT};

/// Why a statistic could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatsError {
    /// The input is valid but degenerate, so the statistic is undefined (for example one rater,
    /// no variation, an empty group).
    #[error("not computable: {0}")]
    NotComputable(String),
    /// The input breaks the function's contract (non-finite score, ragged matrix, duplicate key,
    /// more selected than applied).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

pub(crate) fn not_computable<T>(reason: impl Into<String>) -> Result<T, StatsError> {
    Err(StatsError::NotComputable(reason.into()))
}

pub(crate) fn invalid<T>(reason: impl Into<String>) -> Result<T, StatsError> {
    Err(StatsError::InvalidInput(reason.into()))
}

/// Two-sided 95% normal quantile, qnorm(0.975).
pub(crate) const Z_975: f64 = 1.959_963_984_540_054;

/// Fails with `NotComputable` when any of `values` is NaN or infinite; the guard that keeps
/// NaN out of results after the specific degenerate cases have been checked.
pub(crate) fn ensure_finite(what: &str, values: &[f64]) -> Result<(), StatsError> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        not_computable(format!("{what} is undefined for these data"))
    }
}

fn dist_err<E: std::fmt::Display>(e: E) -> StatsError {
    StatsError::NotComputable(format!("distribution parameters out of range: {e}"))
}

/// Upper tail P(F > f).
pub(crate) fn f_sf(f: f64, df1: f64, df2: f64) -> Result<f64, StatsError> {
    let d = FisherSnedecor::new(df1, df2).map_err(dist_err)?;
    Ok(d.sf(f).clamp(0.0, 1.0))
}

/// Quantile of the F distribution.
pub(crate) fn f_quantile(p: f64, df1: f64, df2: f64) -> Result<f64, StatsError> {
    // The inverse CDF is found numerically and is slow; audits ask for the same few (p, df1, df2)
    // thousands of times (one ICC per vacancy), so results are remembered per thread.
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<(u64, u64, u64), f64>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let key = (p.to_bits(), df1.to_bits(), df2.to_bits());
    if let Some(q) = CACHE.with(|c| c.borrow().get(&key).copied()) {
        return Ok(q);
    }
    let d = FisherSnedecor::new(df1, df2).map_err(dist_err)?;
    let q = d.inverse_cdf(p);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 100_000 {
            c.clear();
        }
        c.insert(key, q);
    });
    Ok(q)
}

/// Upper tail P(X² > x).
pub(crate) fn chi2_sf(x: f64, df: f64) -> Result<f64, StatsError> {
    let d = ChiSquared::new(df).map_err(dist_err)?;
    Ok(d.sf(x).clamp(0.0, 1.0))
}

/// Two-sided p-value of a t statistic.
pub(crate) fn t_two_sided(t: f64, df: f64) -> Result<f64, StatsError> {
    let d = StudentsT::new(0.0, 1.0, df).map_err(dist_err)?;
    Ok((2.0 * d.sf(t.abs())).clamp(0.0, 1.0))
}

/// qt(0.975, df).
pub(crate) fn t_975(df: f64) -> Result<f64, StatsError> {
    let d = StudentsT::new(0.0, 1.0, df).map_err(dist_err)?;
    Ok(d.inverse_cdf(0.975))
}

/// Two-sided p-value of a standard normal statistic.
pub(crate) fn z_two_sided(z: f64) -> f64 {
    let d = Normal::standard();
    (2.0 * d.sf(z.abs())).clamp(0.0, 1.0)
}

/// Serialises a float, writing non-finite values as JSON `null` (explicitly, rather than relying
/// on the serializer's behaviour).
pub(crate) fn serialize_finite_or_null<S: serde::Serializer>(
    v: &f64,
    s: S,
) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        s.serialize_none()
    }
}

pub(crate) fn serialize_opt_finite_or_null<S: serde::Serializer>(
    v: &Option<f64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) if x.is_finite() => s.serialize_f64(*x),
        _ => s.serialize_none(),
    }
}

/// Arithmetic mean and sample standard deviation (n − 1). `None` for the sd when n < 2.
pub(crate) fn mean_sd(xs: &[f64]) -> (f64, Option<f64>) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, None);
    }
    let ss: f64 = xs.iter().map(|x| (x - mean).powi(2)).sum();
    (mean, Some((ss / (n - 1.0)).sqrt()))
}

/// A mean with its 95% t interval (n − 1 degrees of freedom).
#[derive(Debug, Clone, serde::Serialize)]
pub struct MeanCi {
    pub n: usize,
    pub mean: f64,
    pub ci95: [f64; 2],
}

/// Mean and 95% t interval of `xs`. `NotComputable` below two values or when they do not vary.
pub fn mean_ci95(xs: &[f64]) -> Result<MeanCi, StatsError> {
    ensure_finite("mean", xs)?;
    if xs.len() < 2 {
        return not_computable("a mean's interval needs at least two values");
    }
    let (mean, sd) = mean_sd(xs);
    let se = sd.unwrap_or(0.0) / (xs.len() as f64).sqrt();
    let q = t_975((xs.len() - 1) as f64)?;
    Ok(MeanCi {
        n: xs.len(),
        mean,
        ci95: [mean - q * se, mean + q * se],
    })
}

/// Holm's step-down adjustment of p-values for multiple comparisons (as R's `p.adjust(method =
/// "holm")`), in input order. Controls the chance of any false flag across the whole family, which
/// matters when hundreds of panellists are tested at once.
pub fn holm(ps: &[f64]) -> Vec<f64> {
    let m = ps.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| ps[a].total_cmp(&ps[b]));
    let mut out = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * ps[i]).min(1.0));
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_matches_r_and_statsmodels() {
        // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") and statsmodels multipletests(method="holm")
        // both give 0.03 0.06 0.06 0.02.
        let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
        for (a, b) in adj.iter().zip([0.03, 0.06, 0.06, 0.02]) {
            assert!((a - b).abs() < 1e-12, "{adj:?}");
        }
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn mean_interval_matches_scipy() {
        // scipy.stats.t.interval(0.95, 4, loc=3, scale=sem([1,2,3,4,5])) = (1.0367568385, 4.9632431615)
        let m = mean_ci95(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert!((m.ci95[0] - 1.036_756_838_522_442_8).abs() < 1e-9);
        assert!((m.ci95[1] - 4.963_243_161_477_557).abs() < 1e-9);
        // scipy on [2.5, 3, 3.5, 4, 4, 4.5, 2]: mean 3.3571428571, (2.5250263878, 4.1892593265)
        let m = mean_ci95(&[2.5, 3.0, 3.5, 4.0, 4.0, 4.5, 2.0]).unwrap();
        assert!((m.ci95[0] - 2.525_026_387_814_04).abs() < 1e-9);
        assert!(mean_ci95(&[3.0]).is_err());
    }
}
