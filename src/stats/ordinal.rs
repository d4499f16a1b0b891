//! Cumulative-logit (proportional-odds) regression fitted by Newton–Raphson, for the regression
//! method of differential item functioning.
//!
//! Model (the parameterisation of statsmodels' `OrderedModel` and R's `MASS::polr`): for ordered
//! categories 0 < 1 < … < J − 1 of the response,
//! `P(Y ≤ j | x) = logistic(θ_j − x·β)`, j = 0 … J − 2, with θ_0 < θ_1 < … < θ_{J−2}; there is no
//! separate intercept. A positive β moves scores up. The categories are the distinct values of
//! the response in increasing order (a panel's mean score of 2.5 is its own category). With two
//! categories this is ordinary logistic regression with intercept −θ_0.
//!
//! Newton–Raphson on (θ, β) from the marginal cumulative logits and β = 0, halving a step that
//! lowers the log-likelihood or disorders the thresholds; converged when the largest step is below
//! 1e-10 (at most 200 iterations). Standard errors are the square roots of the diagonal of the
//! inverse observed information at the estimate. `NotComputable`, with the reason, when a category
//! or covariate separates the data (the estimate runs off to infinity), when the information
//! matrix is singular, or when Newton's method does not converge.

use serde::Serialize;

use super::{invalid, not_computable, StatsError};

/// A fitted cumulative-logit model.
#[derive(Debug, Clone, Serialize)]
pub struct OrdinalFit {
    /// The response values, in increasing order, that form the categories.
    pub categories: Vec<f64>,
    /// θ_0 … θ_{J−2}.
    pub thresholds: Vec<f64>,
    pub se_thresholds: Vec<f64>,
    /// One coefficient per covariate, in the order given.
    pub beta: Vec<f64>,
    pub se_beta: Vec<f64>,
    pub loglik: f64,
    /// Log-likelihood of the thresholds-only model, Σ n_j ln(n_j / n).
    pub loglik_null: f64,
    pub n: usize,
    pub iterations: usize,
}

impl OrdinalFit {
    /// Nagelkerke's (1991) R²: Cox–Snell's 1 − exp(2(ℓ0 − ℓ)/n) over its maximum 1 − exp(2ℓ0/n).
    pub fn r2_nagelkerke(&self) -> f64 {
        let n = self.n as f64;
        let cs = 1.0 - (2.0 * (self.loglik_null - self.loglik) / n).exp();
        let max = 1.0 - (2.0 * self.loglik_null / n).exp();
        cs / max
    }

    /// McFadden's R², 1 − ℓ/ℓ0.
    pub fn r2_mcfadden(&self) -> f64 {
        1.0 - self.loglik / self.loglik_null
    }
}

fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Log-likelihood, gradient and Hessian at `params` = (θ, β).
fn evaluate(
    y: &[usize],
    x: &[Vec<f64>],
    nt: usize,
    params: &[f64],
    want_derivatives: bool,
) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
    let np = params.len();
    let (theta, beta) = params.split_at(nt);
    let mut ll = 0.0;
    let mut g = vec![0.0; np];
    let mut h = vec![vec![0.0; np]; np];
    for (yi, xi) in y.iter().zip(x) {
        let eta: f64 = xi.iter().zip(beta).map(|(a, b)| a * b).sum();
        let c = *yi;
        // Upper and lower cumulative probabilities, with densities and their derivatives.
        let up = (c < nt).then(|| {
            let f = logistic(theta[c] - eta);
            (f, f * (1.0 - f), f * (1.0 - f) * (1.0 - 2.0 * f))
        });
        let lo = (c > 0).then(|| {
            let f = logistic(theta[c - 1] - eta);
            (f, f * (1.0 - f), f * (1.0 - f) * (1.0 - 2.0 * f))
        });
        let (fa, da, dda) = up.unwrap_or((1.0, 0.0, 0.0));
        let (fb, db, ddb) = lo.unwrap_or((0.0, 0.0, 0.0));
        // For the top category 1 − F(b) is computed directly to keep precision in the tail.
        let p = if up.is_none() {
            logistic(-(theta[c - 1] - eta))
        } else if lo.is_none() {
            fa
        } else {
            fa - fb
        };
        ll += p.max(f64::MIN_POSITIVE).ln();
        if !want_derivatives {
            continue;
        }
        let p = p.max(f64::MIN_POSITIVE);
        let diff = da - db;
        if up.is_some() {
            g[c] += da / p;
        }
        if lo.is_some() {
            g[c - 1] -= db / p;
        }
        for (k, xk) in xi.iter().enumerate() {
            g[nt + k] -= xk * diff / p;
        }
        if up.is_some() {
            h[c][c] += dda / p - da * da / (p * p);
        }
        if lo.is_some() {
            h[c - 1][c - 1] += -ddb / p - db * db / (p * p);
        }
        if up.is_some() && lo.is_some() {
            h[c][c - 1] += da * db / (p * p);
            h[c - 1][c] += da * db / (p * p);
        }
        for (k, xk) in xi.iter().enumerate() {
            if up.is_some() {
                let v = -xk * dda / p + xk * da * diff / (p * p);
                h[c][nt + k] += v;
                h[nt + k][c] += v;
            }
            if lo.is_some() {
                let v = xk * ddb / p - xk * db * diff / (p * p);
                h[c - 1][nt + k] += v;
                h[nt + k][c - 1] += v;
            }
            for (m, xm) in xi.iter().enumerate() {
                h[nt + k][nt + m] += xk * xm * ((dda - ddb) / p - diff * diff / (p * p));
            }
        }
    }
    (ll, g, h)
}

/// Cholesky factor of a symmetric positive-definite matrix, or `None`.
fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    let scale = (0..n).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if s <= 1e-13 * scale.max(f64::MIN_POSITIVE) {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

fn chol_solve(l: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let n = l.len();
    let mut z = vec![0.0; n];
    for i in 0..n {
        z[i] = (b[i] - (0..i).map(|k| l[i][k] * z[k]).sum::<f64>()) / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        x[i] = (z[i] - (i + 1..n).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    x
}

/// Fits the cumulative-logit model of `y` on the covariates `x` (one row per observation, the
/// same number of covariates in each row).
pub fn fit_cumulative_logit(y: &[f64], x: &[Vec<f64>]) -> Result<OrdinalFit, StatsError> {
    if y.len() != x.len() {
        return invalid("ordinal regression: response and covariates differ in length");
    }
    if y.is_empty() {
        return not_computable("ordinal regression: no observations");
    }
    let k = x[0].len();
    if x.iter().any(|r| r.len() != k) {
        return invalid("ordinal regression: rows have different numbers of covariates");
    }
    if y.iter().chain(x.iter().flatten()).any(|v| !v.is_finite()) {
        return invalid("ordinal regression: a value is not finite");
    }
    let mut categories: Vec<f64> = y.to_vec();
    categories.sort_by(f64::total_cmp);
    categories.dedup();
    if categories.len() < 2 {
        return not_computable("ordinal regression: every response is the same");
    }
    let yi: Vec<usize> = y
        .iter()
        .map(|v| categories.binary_search_by(|c| c.total_cmp(v)).unwrap())
        .collect();
    let nt = categories.len() - 1;
    let n = y.len() as f64;
    let mut counts = vec![0.0; categories.len()];
    for &c in &yi {
        counts[c] += 1.0;
    }
    let loglik_null: f64 = counts.iter().map(|&c| c * (c / n).ln()).sum();
    for j in 0..k {
        let first = x[0][j];
        if x.iter().all(|r| r[j] == first) {
            return not_computable(format!(
                "ordinal regression: covariate {} does not vary, so its effect is not identified",
                j + 1
            ));
        }
    }
    let mut params = vec![0.0; nt + k];
    let mut cum = 0.0;
    for j in 0..nt {
        cum += counts[j];
        params[j] = (cum / (n - cum)).ln();
    }
    let ordered = |p: &[f64]| p[..nt].windows(2).all(|w| w[0] < w[1]);
    let (mut ll, _, _) = evaluate(&yi, x, nt, &params, false);
    let mut iterations = 0;
    let mut converged = false;
    while iterations < 200 {
        iterations += 1;
        let (_, g, h) = evaluate(&yi, x, nt, &params, true);
        let neg: Vec<Vec<f64>> = h.iter().map(|r| r.iter().map(|v| -v).collect()).collect();
        let Some(l) = cholesky(&neg) else {
            return not_computable(
                "ordinal regression: the information matrix is singular (a covariate or the \
                 group separates the scores), so the model has no finite estimate",
            );
        };
        let step = chol_solve(&l, &g);
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..60 {
            let cand: Vec<f64> = params.iter().zip(&step).map(|(p, s)| p + t * s).collect();
            if ordered(&cand) {
                let (l2, _, _) = evaluate(&yi, x, nt, &cand, false);
                if l2.is_finite() && l2 >= ll - 1e-12 * ll.abs().max(1.0) {
                    params = cand;
                    ll = l2;
                    accepted = true;
                    break;
                }
            }
            t *= 0.5;
        }
        let biggest = step.iter().map(|s| (t * s).abs()).fold(0.0, f64::max);
        if !accepted {
            return not_computable("ordinal regression: Newton's method could not improve the fit");
        }
        if params.iter().any(|p| p.abs() > 1e4) {
            break;
        }
        if biggest < 1e-10 {
            converged = true;
            break;
        }
    }
    // Separation shows as coefficients running off while the log-likelihood creeps towards a
    // limit; the information matrix then collapses and the standard errors explode.
    let (_, _, h) = evaluate(&yi, x, nt, &params, true);
    let neg: Vec<Vec<f64>> = h.iter().map(|r| r.iter().map(|v| -v).collect()).collect();
    let cov = cholesky(&neg).map(|l| {
        (0..nt + k)
            .map(|j| {
                let mut e = vec![0.0; nt + k];
                e[j] = 1.0;
                chol_solve(&l, &e)[j]
            })
            .collect::<Vec<f64>>()
    });
    let Some(var) = cov else {
        return not_computable(
            "ordinal regression: the information matrix is singular at the estimate (separation)",
        );
    };
    if !converged || params.iter().any(|p| p.abs() > 50.0) || var.iter().any(|v| *v > 1e6) {
        return not_computable(
            "ordinal regression: no finite estimate (a covariate or the group separates the \
             scores, or Newton's method did not converge)",
        );
    }
    let se: Vec<f64> = var.iter().map(|v| v.sqrt()).collect();
    super::ensure_finite("ordinal regression", &params)?;
    super::ensure_finite("ordinal regression standard errors", &se)?;
    Ok(OrdinalFit {
        categories,
        thresholds: params[..nt].to_vec(),
        se_thresholds: se[..nt].to_vec(),
        beta: params[nt..].to_vec(),
        se_beta: se[nt..].to_vec(),
        loglik: ll,
        loglik_null,
        n: y.len(),
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_categories_is_logistic_regression() {
        // y = 1 for x in {2, 3, 4} with one exception each side: logistic regression by hand
        // (Newton on the 2 × 2 system) gives the same log-likelihood as the cumulative form.
        let x: Vec<Vec<f64>> = [0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0]
            .iter()
            .map(|v| vec![*v])
            .collect();
        let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0];
        let fit = fit_cumulative_logit(&y, &x).unwrap();
        // Score equations at the optimum: Σ (y − p) = 0 and Σ x (y − p) = 0.
        let (mut s0, mut s1) = (0.0, 0.0);
        for (yi, xi) in y.iter().zip(&x) {
            let p = logistic(xi[0] * fit.beta[0] - fit.thresholds[0]);
            s0 += yi - p;
            s1 += xi[0] * (yi - p);
        }
        assert!(s0.abs() < 1e-9 && s1.abs() < 1e-9, "{s0} {s1}");
        assert!(fit.beta[0] > 0.0);
    }

    #[test]
    fn complete_separation_is_not_computable() {
        let x: Vec<Vec<f64>> = (0..10).map(|v| vec![v as f64]).collect();
        let y: Vec<f64> = (0..10).map(|v| if v < 5 { 1.0 } else { 2.0 }).collect();
        let err = fit_cumulative_logit(&y, &x).unwrap_err();
        assert!(matches!(err, StatsError::NotComputable(_)), "{err}");
    }

    #[test]
    fn constant_response_or_covariate_is_not_computable() {
        let x: Vec<Vec<f64>> = (0..6).map(|v| vec![v as f64]).collect();
        assert!(fit_cumulative_logit(&[1.0; 6], &x).is_err());
        let y = [1.0, 2.0, 1.0, 3.0, 2.0, 3.0];
        assert!(fit_cumulative_logit(&y, &vec![vec![1.0]; 6]).is_err());
    }
}
