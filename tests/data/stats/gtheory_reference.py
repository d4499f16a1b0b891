"""Independent reference values for tests/stats_gtheory.rs.

Run with numpy and scipy installed (numpy 2.4.6 and scipy 1.17.1 produced the figures in the tests):

    python3 tests/data/stats/gtheory_reference.py

Nothing here shares code with the Rust implementation. Variance components are found by the
general method of moments written with explicit design matrices: every sum of squares is a
quadratic form y'Ay, its expectation under the random-effects model is sum_t tr(A Z_t Z_t') s2_t
(plus nothing from the grand mean, which each A annihilates), and the resulting linear system is
solved. The coefficients tr(A Z_t Z_t') are computed numerically, so the expected-mean-square
algebra in src/stats/gtheory.rs is checked rather than repeated.

Data: Brennan (2001), Generalizability Theory, Synthetic Data Set No. 3 (Table 3.1, p x i x o)
and No. 4 (Table 3.2, p x (r:t)), as shipped by the R packages Gboot (Brennan.3.1) and gtheory
(Brennan.3.2), in brennan_synthetic3_long.csv and brennan_synthetic4_long.csv.
"""
import csv
import itertools
import os

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    with open(os.path.join(HERE, name)) as f:
        return list(csv.DictReader(f))


def levels(xs):
    out = []
    for x in xs:
        if x not in out:
            out.append(x)
    return out


def indicator(keys):
    lv = levels(keys)
    z = np.zeros((len(keys), len(lv)))
    for n, k in enumerate(keys):
        z[n, lv.index(k)] = 1.0
    return z


def proj(z):
    """Projection onto the column space of z."""
    return z @ np.linalg.pinv(z)


def moments(y, effects, ss_forms):
    """effects: name -> key per observation (random effect); ss_forms: name -> matrix A.
    Returns {name: (ss, estimate)} solving E[y'A y] = sum_t tr(A Z_t Z_t') s2_t."""
    names = list(ss_forms)
    zz = {t: (lambda z: z @ z.T)(indicator(k)) for t, k in effects.items()}
    coef = np.array([[np.trace(ss_forms[s] @ zz[t]) for t in effects] for s in names])
    ss = np.array([y @ ss_forms[s] @ y for s in names])
    est = np.linalg.solve(coef, ss)
    return {s: (ss[j], est[list(effects).index(s)]) for j, s in enumerate(names)}


def crossed(rows, facets, vacancy=None):
    """Sums of squares of a crossed design (optionally within vacancy) as quadratic forms, built
    from projections onto the spaces spanned by marginal indicators."""
    n = len(rows)
    y = np.array([float(r["score"]) for r in rows])
    base = [vacancy] if vacancy else []
    keys = {}
    for k in range(0, len(facets) + 1):
        for combo in itertools.combinations(facets, k):
            keys[combo] = [tuple(r[c] for c in base + list(combo)) for r in rows]
    P = {c: proj(indicator(keys[c])) for c in keys}
    forms = {}
    for k in range(1, len(facets) + 1):
        for combo in itertools.combinations(facets, k):
            # Inclusion-exclusion over sub-combinations gives the effect's projection.
            a = np.zeros((n, n))
            for j in range(0, k + 1):
                for sub in itertools.combinations(combo, j):
                    a += (-1) ** (k - j) * P[sub]
            forms[combo] = a
    return y, forms, keys


def fmt(d):
    return {k: (round(float(ss), 10), round(float(v), 10)) for k, (ss, v) in d.items()}


def synthetic3():
    rows = load("brennan_synthetic3_long.csv")
    y, forms, keys = crossed(rows, ["candidate", "rater", "question"])
    effects = {c: keys[c] for c in forms}
    res = moments(y, effects, forms)
    print("Synthetic No. 3 as p x r x i (r = occasion):")
    for c, (ss, v) in res.items():
        print("  ", "".join(x[0] for x in c).replace("c", "p").replace("q", "i"), ss, v)


def synthetic4_nested():
    rows = load("brennan_synthetic4_long.csv")
    y = np.array([float(r["score"]) for r in rows])
    n = len(rows)
    key = lambda cols: [tuple(r[c] for c in cols) for r in rows]
    P = lambda cols: proj(indicator(key(cols))) if cols else np.full((n, n), 1.0 / n)
    forms = {
        "p": P(["candidate"]) - P([]),
        "i": P(["question"]) - P([]),
        "r:i": P(["rater", "question"]) - P(["question"]),
        "pi": P(["candidate", "question"]) - P(["candidate"]) - P(["question"]) + P([]),
        "pr:i": np.eye(n) - P(["candidate", "question"]) - P(["rater", "question"]) + P(["question"]),
    }
    effects = {
        "p": key(["candidate"]),
        "i": key(["question"]),
        "r:i": key(["rater", "question"]),
        "pi": key(["candidate", "question"]),
        "pr:i": key(["candidate", "rater", "question"]),
    }
    res = moments(y, effects, forms)
    print("Synthetic No. 4 as p x (r:i) (i = task):")
    for k, (ss, v) in res.items():
        print("  ", k, ss, v)
    return res


def one_facet_intervals(y, tail):
    """Feldt (1965) for E rho^2 and Arteaga, Jeyaratnam & Graybill (1982) for Phi, written from
    Brennan (2001, ch. 6) for a persons x conditions matrix y."""
    n_p, n_i = y.shape
    g = y.mean()
    ss_p = n_i * ((y.mean(1) - g) ** 2).sum()
    ss_i = n_p * ((y.mean(0) - g) ** 2).sum()
    ss_e = ((y - g) ** 2).sum() - ss_p - ss_i
    df_p, df_i = n_p - 1, n_i - 1
    df_e = df_p * df_i
    ms_p, ms_i, ms_e = ss_p / df_p, ss_i / df_i, ss_e / df_e
    out = {}
    for side, q in (("lower", 1 - tail), ("upper", tail)):
        out["g_" + side] = 1 - ms_e / ms_p * stats.f.ppf(q, df_p, df_e)
        f1 = stats.chi2.ppf(q, df_p) / df_p
        f2 = stats.f.ppf(q, df_p, df_e)
        f3 = stats.f.ppf(q, df_p, df_i)
        lam = (ms_p ** 2 - f1 * ms_p * ms_e + (f1 - f2) * f2 * ms_e ** 2) / (
            df_p * f1 * ms_p * ms_e + f3 * ms_p * ms_i
        )
        phi1 = n_p * lam / (n_p * lam + n_i)
        out["phi_" + side] = n_i * phi1 / (1 + (n_i - 1) * phi1)
    var_p = (ms_p - ms_e) / n_i
    var_i = (ms_i - ms_e) / n_p
    out["g"] = var_p / (var_p + ms_e / n_i)
    out["phi"] = var_p / (var_p + (var_i + ms_e) / n_i)
    out["ms"] = (ms_p, ms_i, ms_e)
    return out


def synthetic4_pxi():
    rows = load("brennan_synthetic4_long.csv")
    persons = levels([r["candidate"] for r in rows])
    conds = levels([(r["question"], r["rater"]) for r in rows])
    y = np.zeros((len(persons), len(conds)))
    for r in rows:
        y[persons.index(r["candidate"]), conds.index((r["question"], r["rater"]))] = float(r["score"])
    for tail in (0.10, 0.025):
        print("Synthetic No. 4 as p x i, tail", tail, one_facet_intervals(y, tail))


def shrout_fleiss():
    rows = load("shrout_fleiss_long.csv")
    persons = levels([r["target"] for r in rows])
    raters = levels([r["rater"] for r in rows])
    y = np.zeros((len(persons), len(raters)))
    for r in rows:
        y[persons.index(r["target"]), raters.index(r["rater"])] = float(r["score"])
    for tail in (0.10, 0.025):
        print("Shrout & Fleiss as p x r, tail", tail, one_facet_intervals(y, tail))


def pooled():
    """Two vacancies with different panel and question-set sizes: vacancy A is Synthetic No. 3
    (2 raters, 4 questions), vacancy B is Synthetic No. 4 read as crossed (4 rater slots,
    3 tasks as questions). Candidates are nested in vacancies."""
    rows = []
    for r in load("brennan_synthetic3_long.csv"):
        rows.append(dict(r, vacancy="A"))
    for r in load("brennan_synthetic4_long.csv"):
        slot = str((int(r["rater"][1:]) - 1) % 4 + 1)
        rows.append(dict(r, vacancy="B", rater="S" + slot))
    n = len(rows)
    y = np.array([float(r["score"]) for r in rows])
    key = lambda cols: [tuple(r[c] for c in ["vacancy"] + cols) for r in rows]
    P = lambda cols: proj(indicator(key(cols)))
    facets = ["candidate", "rater", "question"]
    forms = {}
    for k in range(1, 4):
        for combo in itertools.combinations(facets, k):
            a = np.zeros((n, n))
            for j in range(0, k + 1):
                for sub in itertools.combinations(combo, j):
                    a += (-1) ** (k - j) * P(list(sub))
            forms[combo] = a
    # Vacancy source: weighted squares of vacancy means about the grand mean.
    forms[("v",)] = P([]) - np.full((n, n), 1.0 / n)
    effects = {c: key(list(c)) for c in forms if c != ("v",)}
    effects[("v",)] = key([])
    res = moments(y, effects, forms)
    print("Pooled (p x r x i):v over vacancies A (No. 3) and B (No. 4 crossed):")
    for c, (ss, v) in res.items():
        print("  ", c, ss, v)


if __name__ == "__main__":
    synthetic3()
    synthetic4_nested()
    synthetic4_pxi()
    shrout_fleiss()
    pooled()
