"""Data files and independent reference values for tests/stats_dif.rs and tests/stats_cli.rs.

    pip install numpy scipy statsmodels pandas
    python3 tests/data/stats/dif_reference.py

(numpy 2.4.6, scipy 1.17.1, statsmodels 0.15.0 and pandas 3.1.1 produced the figures in the tests.)
Nothing here shares code with src/stats/dif.rs or src/stats/ordinal.rs.

Writes:
* ucb_admissions_dif.csv - Bickel, Hammel & O'Connell (1975) Berkeley graduate admissions, fall
  1973, six largest departments (R's UCBAdmissions): one row per applicant, department as
  stratum, Male as reference, Female as focal, admitted = 1.
* arthritis_dif.csv - Koch & Edwards (1988) rheumatoid arthritis trial (R vcd::Arthritis):
  Placebo as reference, Treated as focal, improvement None/Some/Marked scored 1/2/3, sex as
  stratum.
* migraine_dif.csv - the SAS/STAT User's Guide PROC FREQ example "Cochran-Mantel-Haenszel
  Statistics" (Migraine data): Placebo reference, Active focal, Better = 1, gender as stratum.
* ordinal_dif.csv - a seeded generated data set (cumulative-logit model with uniform DIF) for the
  regression method, fitted here with statsmodels OrderedModel.
* panel_dif.csv - seeded generated rater-level interview scores (3 vacancies, panels of 3, 4 and
  2, five questions, one with planted DIF against the focal group), analysed here by a separate
  implementation of the whole matching-and-banding pipeline.
"""
import csv
import os

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, header, rows):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def mantel(strata):
    """strata: list of lists of (focal: bool, score). Mantel (1963), SMD and its Zwick-Thayer
    (1996, eq. 7) variance, Liu-Agresti psi, written out directly."""
    used = [s for s in strata if any(f for f, _ in s) and any(not f for f, _ in s)]
    nF = sum(sum(1 for f, _ in s if f) for s in used)
    O = E = V = smd = vsmd = 0.0
    allv = []
    for s in used:
        y = np.array([v for _, v in s], float)
        foc = np.array([f for f, _ in s])
        n, nf = len(y), foc.sum()
        nr = n - nf
        vk = nr * nf * (n * (y ** 2).sum() - y.sum() ** 2) / (n * n * (n - 1))
        O += y[foc].sum()
        E += nf * y.sum() / n
        V += vk
        w = nf / nF
        smd += w * (y[foc].mean() - y[~foc].mean())
        vsmd += w * w * (1 / nf + 1 / nr) ** 2 * vk
        allv.extend(y)
    allv = np.array(allv)
    cuts = sorted(set(allv))[:-1]
    num = den = 0.0
    for c in cuts:
        for s in used:
            n = len(s)
            A = sum(1 for f, v in s if not f and v > c)
            B = sum(1 for f, v in s if not f and v <= c)
            C = sum(1 for f, v in s if f and v > c)
            D = sum(1 for f, v in s if f and v <= c)
            num += A * D / n
            den += B * C / n
    chi2 = (O - E) ** 2 / V
    sd = allv.std(ddof=1)
    return dict(
        strata=len(used), n=len(allv), O=O, E=E, V=V, chi2=chi2, p=stats.chi2.sf(chi2, 1),
        smd=smd, smd_se=np.sqrt(vsmd), sd=sd, es=smd / sd, psi=num / den,
        delta=-2.35 * np.log(num / den),
    )


def from_counts(table):
    """table: stratum -> (group -> {score: count}); returns rows and strata for mantel()."""
    rows, strata, n = [], [], 0
    for k, groups in table.items():
        st = []
        for g, counts in groups.items():
            for score, c in counts.items():
                for _ in range(c):
                    n += 1
                    rows.append((f"A{n}", "admit" if "admit" in k else "q", k, g, score))
                    st.append((g in ("Female", "Treated", "Active"), score))
        strata.append(st)
    return rows, strata


def ucb():
    # Department: (male admitted, male rejected, female admitted, female rejected).
    d = {
        "A": (512, 313, 89, 19), "B": (353, 207, 17, 8), "C": (120, 205, 202, 391),
        "D": (138, 279, 131, 244), "E": (53, 138, 94, 299), "F": (22, 351, 24, 317),
    }
    table = {k: {"Male": {1: v[0], 0: v[1]}, "Female": {1: v[2], 0: v[3]}} for k, v in d.items()}
    rows, strata = from_counts(table)
    rows = [(f"A{i + 1}", "admission", k, g, s) for i, (_, _, k, g, s) in enumerate(rows)]
    write("ucb_admissions_dif.csv", ["candidate", "question", "stratum", "group", "score"], rows)
    print("UCB", mantel(strata))
    from statsmodels.stats.contingency_tables import StratifiedTable

    st = StratifiedTable([np.array([[v[0], v[1]], [v[2], v[3]]]) for v in d.values()])
    t = st.test_null_odds(correction=False)
    print("  statsmodels StratifiedTable: chi2", t.statistic, "p", t.pvalue, "OR", st.oddsratio_pooled)


def arthritis():
    table = {
        "Female": {"Placebo": {1: 19, 2: 7, 3: 6}, "Treated": {1: 6, 2: 5, 3: 16}},
        "Male": {"Placebo": {1: 10, 2: 0, 3: 1}, "Treated": {1: 7, 2: 2, 3: 5}},
    }
    rows, strata = from_counts(table)
    rows = [(f"P{i + 1}", "improvement", k, g, s) for i, (_, _, k, g, s) in enumerate(rows)]
    write("arthritis_dif.csv", ["candidate", "question", "stratum", "group", "score"], rows)
    print("Arthritis by sex", mantel(strata))
    print("Arthritis ignoring sex", mantel([sum(strata, [])]))


def migraine():
    table = {
        "female": {"Active": {1: 16, 0: 11}, "Placebo": {1: 5, 0: 20}},
        "male": {"Active": {1: 12, 0: 16}, "Placebo": {1: 7, 0: 19}},
    }
    rows, strata = from_counts(table)
    rows = [(f"M{i + 1}", "response", k, g, s) for i, (_, _, k, g, s) in enumerate(rows)]
    write("migraine_dif.csv", ["candidate", "question", "stratum", "group", "score"], rows)
    print("Migraine", mantel(strata))


def ordinal():
    import pandas as pd
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    rng = np.random.default_rng(20240611)
    n = 400
    group = (rng.random(n) < 0.35).astype(int)
    matching = np.round(rng.normal(3.0, 0.8, n) * 3) / 3  # means of three panellists
    eta = 1.6 * matching - 0.55 * group
    cuts = np.array([3.0, 4.4, 5.6, 6.8])
    latent = eta + rng.logistic(size=n)
    score = 1 + (latent[:, None] > cuts[None, :]).sum(1)
    rows = [
        (f"C{i + 1}", "q1", f"{matching[i]:.6f}", "Black" if group[i] else "White", int(score[i]))
        for i in range(n)
    ]
    write("ordinal_dif.csv", ["candidate", "question", "matching", "group", "score"], rows)
    df = pd.DataFrame({"y": score, "m": [float(r[2]) for r in rows], "g": group})
    df["mg"] = df.m * df.g
    y = pd.Series(pd.Categorical(df.y, ordered=True))
    for name, cols in (("M0", ["m"]), ("M1", ["m", "g"]), ("M2", ["m", "g", "mg"])):
        mod = OrderedModel(y, df[cols], distr="logit")
        res = mod.fit(method="newton", disp=False, maxiter=200, tol=1e-14)
        th = mod.transform_threshold_params(res.params)[1:-1]
        print(name, "llf", repr(res.llf))
        print("  beta", [repr(v) for v in res.params[cols]])
        print("  se  ", [repr(v) for v in res.bse[cols]])
        print("  thresholds", [repr(v) for v in th])
        print("  first threshold se", repr(res.bse.iloc[len(cols)]))


def panel():
    rng = np.random.default_rng(7)
    rows = []
    questions = ["Q1", "Q2", "Q3", "Q4", "Q5"]
    for v, (nc, panel) in enumerate([(60, 3), (50, 4), (40, 2)]):
        raters = [f"V{v + 1}R{r + 1}" for r in range(panel)]
        for c in range(nc):
            focal = rng.random() < 0.4
            ability = rng.normal(0, 1)
            for qi, q in enumerate(questions):
                for r in raters:
                    shift = -0.9 if (q == "Q3" and focal) else 0.0
                    x = 3 + ability + shift + rng.normal(0, 0.7)
                    s = int(min(5, max(1, round(x))))
                    rows.append(
                        (f"V{v + 1}", f"V{v + 1}C{c + 1}", r, q, s, "Black" if focal else "White")
                    )
    write("panel_dif.csv", ["vacancy", "candidate", "rater", "question", "score", "group"], rows)

    # Independent pipeline: panel means, matching on all questions, 5 equal-count bands with cuts
    # halfway between adjacent observed matching scores.
    import collections

    item = collections.defaultdict(list)
    group = {}
    for v, c, r, q, s, g in rows:
        item[(v, c, q)].append(s)
        group[(v, c)] = g == "Black"
    cands = sorted(group)
    means = {(v, c): {q: np.mean(item[(v, c, q)]) for q in questions} for v, c in cands}
    match = {k: np.mean(list(means[k].values())) for k in cands}
    vals = np.sort(np.array([match[k] for k in cands]))
    cuts = []
    n = len(vals)
    for k in range(1, 5):
        pos = -(-k * n // 5) - 1
        above = vals[vals > vals[pos]]
        if len(above):
            cut = (vals[pos] + above[0]) / 2
            if not cuts or cuts[-1] < cut:
                cuts.append(cut)
    print("panel cuts", [repr(c) for c in cuts])
    for q in questions:
        strata = collections.defaultdict(list)
        for k in cands:
            band = sum(match[k] > c for c in cuts)
            strata[band].append((group[k], means[k][q]))
        print("panel", q, mantel(list(strata.values())))


if __name__ == "__main__":
    ucb()
    arthritis()
    migraine()
    ordinal()
    panel()
