//! `fairpanel stats ...`: reads CSV input or counts, calls `crate::stats`, renders text or JSON.
//!
//! CSV files need a header row; column names match case-insensitively and surrounding spaces and
//! a UTF-8 byte-order mark are ignored. Row numbers in messages are the file's 1-based line
//! numbers (the header is row 1). Cells are data only: nothing that looks like a spreadsheet
//! formula is evaluated.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::cli::stats::{
    AlphaArgs, AlphaLevel, DifArgs, FisherArgs, GtheoryArgs, IccArgs, ImpactArgs, KendallArgs,
    ScoreColumns, StatsCommand, StatsFormat, WresArgs,
};
use crate::csvio::{self, CsvTable};
use crate::stats::dif::{
    dif_logistic, dif_stratified, is_insufficient, logistic_dif, mantel_dif, DifOptions, DifReport,
    LogisticDif, Mantel, QuestionDif, RaterScore, Stage, StratumScore,
};
use crate::stats::gtheory::{g_study, Design, GObs, GStudy};
use crate::stats::proportions::{fisher_exact, impact_ratios, wres_relative_likelihood};
use crate::stats::reliability::{icc_long, kendall_w, krippendorff_alpha, long_to_wide, Level};
use crate::stats::StatsError;

/// Runs one `stats` subcommand, writing its result to `out`.
pub fn run(cmd: &StatsCommand, out: &mut dyn Write) -> Result<()> {
    let (rendered, format) = match cmd {
        StatsCommand::Icc(args) => (icc(args)?, args.format),
        StatsCommand::Alpha(args) => (alpha(args)?, args.format),
        StatsCommand::Kendall(args) => (kendall(args)?, args.format),
        StatsCommand::Impact(args) => (impact(args)?, args.format),
        StatsCommand::Wres(args) => (wres(args)?, args.format),
        StatsCommand::Fisher(args) => (fisher(args)?, args.format),
        StatsCommand::Gtheory(args) => (gtheory(args)?, args.format),
        StatsCommand::Dif(args) => (dif(args, false)?, args.format),
        StatsCommand::DifLr(args) => (dif(args, true)?, args.format),
    };
    // Text goes to a terminal with names from the analyst's CSV in it; JSON is data, escaped as JSON.
    let shown = match format {
        StatsFormat::Text => crate::model::terminal_safe(&rendered),
        StatsFormat::Json => std::borrow::Cow::Borrowed(rendered.as_str()),
    };
    out.write_all(shown.as_bytes())?;
    Ok(())
}

fn json<T: Serialize>(value: &T) -> Result<String> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}

/// Long-format scores: `(target, rater, score)` rows with empty scores left out, and the targets
/// that had only empty scores.
struct LongScores {
    rows: Vec<(String, String, f64)>,
    unscored_targets: Vec<String>,
}

fn read_scores(cols: &ScoreColumns) -> Result<(CsvTable, LongScores)> {
    let table = csvio::read(&cols.file)?.require_rows()?;
    let t = table.column(&cols.target_col)?;
    let r = table.column(&cols.rater_col)?;
    let s = table.column(&cols.score_col)?;
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let mut rows = Vec::new();
    let mut all_targets: Vec<String> = Vec::new();
    for (line, rec) in &table.rows {
        let target = table.text(*line, rec, t)?;
        let rater = table.text(*line, rec, r)?;
        let score = table.number(*line, rec, s)?;
        if let Some(first) = seen.insert((target.clone(), rater.clone()), *line) {
            bail!(
                "{}: rows {first} and {line} both give a score for target '{target}' by rater '{rater}'",
                table.label
            );
        }
        if !all_targets.contains(&target) {
            all_targets.push(target.clone());
        }
        if let Some(x) = score {
            rows.push((target, rater, x));
        }
    }
    let unscored_targets = all_targets
        .into_iter()
        .filter(|t| !rows.iter().any(|(rt, _, _)| rt == t))
        .collect();
    Ok((
        table,
        LongScores {
            rows,
            unscored_targets,
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Commands

fn icc(args: &IccArgs) -> Result<String> {
    let (table, scores) = read_scores(&args.columns)?;
    let mut report = icc_long(&scores.rows).with_context(|| table.label.clone())?;
    report.dropped_targets.extend(scores.unscored_targets);
    if args.format == StatsFormat::Json {
        return json(&report);
    }
    let mut s = format!(
        "Intraclass correlations: {} targets x {} raters\n",
        report.n_targets, report.n_raters
    );
    if !report.dropped_targets.is_empty() {
        writeln!(
            s,
            "Dropped (missing a rater's score): {}",
            report.dropped_targets.join(", ")
        )?;
    }
    s.push('\n');
    let rows = report
        .forms
        .iter()
        .map(|f| {
            vec![
                f.kind.clone(),
                icc_meaning(&f.kind).to_string(),
                format!("{:.3}", f.icc),
                format!("{:.2}", f.f),
                f.df1.to_string(),
                f.df2.to_string(),
                fmt_p(f.p),
                format!("[{:.3}, {:.3}]", f.ci95[0], f.ci95[1]),
            ]
        })
        .collect();
    s.push_str(&render_table(
        &["type", "model", "ICC", "F", "df1", "df2", "p", "95% CI"],
        rows,
        &[false, false, true, true, true, true, true, false],
    ));
    s.push_str(
        "\nShrout & Fleiss forms computed as R psych::ICC: F test upper tail (H0: ICC = 0), \
         95% F-based intervals.\nICC2 asks whether panellists' scores are interchangeable; ICC2k \
         is the reliability of the panel's mean score.\n",
    );
    Ok(s)
}

fn icc_meaning(kind: &str) -> &'static str {
    match kind {
        "ICC1" => "one-way random, single rater",
        "ICC2" => "two-way random, absolute agreement, single rater",
        "ICC3" => "two-way mixed, consistency, single rater",
        "ICC1k" => "one-way random, mean of k raters",
        "ICC2k" => "two-way random, absolute agreement, mean of k raters",
        "ICC3k" => "two-way mixed, consistency, mean of k raters",
        _ => "",
    }
}

#[derive(Serialize)]
struct AlphaOut {
    alpha: f64,
    level: Level,
    /// Pairable units (with values from two or more raters), the ones alpha is based on.
    units: usize,
    raters: usize,
}

fn alpha(args: &AlphaArgs) -> Result<String> {
    let table = csvio::read(&args.file)?.require_rows()?;
    let u = table.column(&args.unit_col)?;
    let r = table.column(&args.rater_col)?;
    let v = table.column(&args.value_col)?;
    let mut units: Vec<String> = Vec::new();
    let mut raters: Vec<String> = Vec::new();
    let mut seen: HashMap<(usize, usize), u64> = HashMap::new();
    let mut values: Vec<(usize, usize, Option<f64>)> = Vec::new();
    for (line, rec) in &table.rows {
        let unit = table.text(*line, rec, u)?;
        let rater = table.text(*line, rec, r)?;
        let value = table.number(*line, rec, v)?;
        let ui = index_of(&mut units, unit);
        let ri = index_of(&mut raters, rater);
        if let Some(first) = seen.insert((ui, ri), *line) {
            bail!(
                "{}: rows {first} and {line} both give a value for unit '{}' by rater '{}'",
                table.label,
                units[ui],
                raters[ri]
            );
        }
        values.push((ui, ri, value));
    }
    let mut data = vec![vec![None; raters.len()]; units.len()];
    for (ui, ri, value) in values {
        data[ui][ri] = value;
    }
    let level = match args.level {
        AlphaLevel::Nominal => Level::Nominal,
        AlphaLevel::Ordinal => Level::Ordinal,
        AlphaLevel::Interval => Level::Interval,
        AlphaLevel::Ratio => Level::Ratio,
    };
    let a = krippendorff_alpha(&data, level).with_context(|| table.label.clone())?;
    let pairable = data
        .iter()
        .filter(|u| u.iter().flatten().count() >= 2)
        .count();
    let result = AlphaOut {
        alpha: a,
        level,
        units: pairable,
        raters: raters.len(),
    };
    if args.format == StatsFormat::Json {
        return json(&result);
    }
    Ok(format!(
        "Krippendorff's alpha ({}): {:.3}\nunits: {} pairable of {} in the file; raters: {}\n\n\
         Coincidence-matrix method (Krippendorff 2011). Empty values are missing; units with \
         fewer than two values are ignored.\n",
        level.as_str(),
        a,
        pairable,
        units.len(),
        raters.len()
    ))
}

fn index_of(list: &mut Vec<String>, item: String) -> usize {
    match list.iter().position(|x| *x == item) {
        Some(i) => i,
        None => {
            list.push(item);
            list.len() - 1
        }
    }
}

#[derive(Serialize)]
struct KendallOut {
    w: f64,
    chi2: f64,
    df: u64,
    p: f64,
    /// Present only when some targets lacked a rater's score.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dropped_targets: Vec<String>,
}

fn kendall(args: &KendallArgs) -> Result<String> {
    let (table, scores) = read_scores(&args.columns)?;
    let wide = long_to_wide(&scores.rows, "Kendall's W").with_context(|| table.label.clone())?;
    let k = kendall_w(&wide.matrix).with_context(|| table.label.clone())?;
    let mut dropped = wide.dropped_targets;
    dropped.extend(scores.unscored_targets);
    let result = KendallOut {
        w: k.w,
        chi2: k.chi2,
        df: k.df,
        p: k.p,
        dropped_targets: dropped,
    };
    if args.format == StatsFormat::Json {
        return json(&result);
    }
    let mut s = format!(
        "Kendall's W (corrected for ties): {:.3}\n{} targets x {} raters; chi-square = {:.2}, \
         df = {}, p {}\n",
        result.w,
        wide.targets.len(),
        wide.raters.len(),
        result.chi2,
        result.df,
        p_is(result.p)
    );
    if !result.dropped_targets.is_empty() {
        writeln!(
            s,
            "Dropped (missing a rater's score): {}",
            result.dropped_targets.join(", ")
        )?;
    }
    s.push_str(
        "\nEach rater's scores ranked across targets, midranks for ties; chi-square test, upper \
         tail.\n",
    );
    Ok(s)
}

fn impact(args: &ImpactArgs) -> Result<String> {
    let table = csvio::read(&args.file)?.require_rows()?;
    let g = table.column(&args.group_col)?;
    let a = table.column(&args.applicants_col)?;
    let sel = table.column(&args.selected_col)?;
    let mut groups: Vec<(String, u64, u64)> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, rec) in &table.rows {
        let group = table.text(*line, rec, g)?;
        let applicants = table.count(*line, rec, a)?;
        let selected = table.count(*line, rec, sel)?;
        if selected > applicants {
            bail!(
                "{}: row {line}: {selected} selected but only {applicants} applicants",
                table.label
            );
        }
        if let Some(first) = seen.insert(group.clone(), *line) {
            bail!(
                "{}: rows {first} and {line} both give group '{group}'",
                table.label
            );
        }
        groups.push((group, applicants, selected));
    }
    let report = impact_ratios(&groups).with_context(|| table.label.clone())?;
    if args.format == StatsFormat::Json {
        return json(&report);
    }
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let rows = report
        .groups
        .iter()
        .map(|gi| {
            let is_ref = report.reference_group.as_deref() == Some(gi.group.as_str());
            vec![
                gi.group.clone(),
                gi.applicants.to_string(),
                gi.selected.to_string(),
                gi.rate.map_or("-".into(), pct),
                gi.ci95
                    .map_or("-".into(), |c| format!("[{}, {}]", pct(c[0]), pct(c[1]))),
                match gi.impact_ratio {
                    Some(r) if is_ref => format!("{r:.2} (ref)"),
                    Some(r) => format!("{r:.2}"),
                    None => "-".into(),
                },
                match gi.adverse {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => "-".into(),
                },
                gi.fisher_p.map_or("-".into(), fmt_p),
                gi.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let mut s = render_table(
        &[
            "group",
            "applicants",
            "selected",
            "rate",
            "95% CI",
            "impact ratio",
            "adverse",
            "Fisher p",
            "note",
        ],
        rows,
        &[false, true, true, true, false, true, false, true, false],
    );
    match &report.reference_group {
        Some(r) => writeln!(
            s,
            "\nReference: {r} (highest selection rate). Adverse: impact ratio below 0.80 \
             (four-fifths rule; exactly 0.80 is not adverse).\nTwo-sided Fisher exact p against \
             the reference group; 95% Wilson intervals."
        )?,
        None => writeln!(
            s,
            "\nNobody was selected in any group, so there is no reference group and no impact \
             ratio; the selection rates of 0 and their 95% Wilson intervals still stand."
        )?,
    }
    Ok(s)
}

fn wres(args: &WresArgs) -> Result<String> {
    let w = wres_relative_likelihood(
        args.white_shortlisted,
        args.white_appointed,
        args.bme_shortlisted,
        args.bme_appointed,
    )?;
    if args.format == StatsFormat::Json {
        return json(&w);
    }
    let headline = match (w.relative_likelihood, w.ci95) {
        (Some(rl), Some(ci)) => format!("{rl:.2} (95% CI {:.2} to {:.2})", ci[0], ci[1]),
        (Some(rl), None) => format!("{rl:.2} (no confidence interval)"),
        (None, _) if w.relative_likelihood_infinite => {
            "infinite (no confidence interval)".to_string()
        }
        (None, _) => "undefined".to_string(),
    };
    let mut s = format!(
        "Relative likelihood of White shortlisted applicants being appointed compared with BME \
         shortlisted applicants: {headline}\nWhite: {} of {} appointed ({:.1}%); BME: {} of {} \
         appointed ({:.1}%)\n",
        args.white_appointed,
        args.white_shortlisted,
        100.0 * w.white_rate,
        args.bme_appointed,
        args.bme_shortlisted,
        100.0 * w.bme_rate
    );
    if let Some(note) = &w.note {
        writeln!(s, "Note: {note}.")?;
    }
    s.push_str(
        "\nWRES indicator 2: above 1 means White applicants were more likely to be appointed; 95% \
         Katz log interval.\n",
    );
    Ok(s)
}

fn fisher(args: &FisherArgs) -> Result<String> {
    let f = fisher_exact(args.a, args.b, args.c, args.d)?;
    if args.format == StatsFormat::Json {
        return json(&f);
    }
    let or = match f.odds_ratio {
        Some(x) if x.is_infinite() => "infinite".to_string(),
        Some(x) => format!("{x:.3}"),
        None => "undefined (0/0)".to_string(),
    };
    let rows = vec![
        vec!["p (two-sided)".to_string(), fmt_p(f.p_two_sided)],
        vec!["p (less)".to_string(), fmt_p(f.p_less)],
        vec!["p (greater)".to_string(), fmt_p(f.p_greater)],
        vec!["odds ratio".to_string(), or],
    ];
    let mut s = format!(
        "Fisher's exact test for [[{}, {}], [{}, {}]]\n\n",
        args.a, args.b, args.c, args.d
    );
    s.push_str(&render_table(&["", "value"], rows, &[false, true]));
    s.push_str(
        "\nTwo-sided p sums all tables no more likely than the observed one (as R fisher.test); \
         'less'/'greater' test odds ratio < 1 / > 1. Sample odds ratio (a*d)/(b*c).\n",
    );
    Ok(s)
}

fn gtheory(args: &GtheoryArgs) -> Result<String> {
    let design = Design::parse(&args.design)?;
    let table = csvio::read(&args.file)?.require_rows()?;
    table.unique_headers()?;
    let c = table.column(&args.candidate_col)?;
    let s = table.column(&args.score_col)?;
    let optional = |name: &str, needed: bool| -> Result<Option<usize>> {
        if needed {
            table.column(name).map(Some)
        } else {
            Ok(table.column(name).ok())
        }
    };
    let r = optional(&args.rater_col, design != Design::PxI)?;
    let q = optional(&args.question_col, design != Design::PxR)?;
    let v = optional(&args.vacancy_col, design == Design::Pooled)?;
    let mut seen: HashMap<(String, String, String, String), u64> = HashMap::new();
    let mut obs = Vec::new();
    for (line, rec) in &table.rows {
        let get = |col: Option<usize>| match col {
            Some(i) => table.text(*line, rec, i),
            None => Ok(String::new()),
        };
        let o = GObs {
            vacancy: if design == Design::Pooled {
                get(v)?
            } else {
                String::new()
            },
            candidate: table.text(*line, rec, c)?,
            rater: get(r)?,
            question: get(q)?,
            score: 0.0,
        };
        let key = (
            o.vacancy.clone(),
            o.candidate.clone(),
            o.rater.clone(),
            o.question.clone(),
        );
        if let Some(first) = seen.insert(key, *line) {
            bail!(
                "{}: rows {first} and {line} both give a score for candidate '{}' by rater '{}' \
                 on question '{}'",
                table.label,
                o.candidate,
                o.rater,
                o.question
            );
        }
        if let Some(x) = table.number(*line, rec, s)? {
            obs.push(GObs { score: x, ..o });
        }
    }
    let g = g_study(design, &obs).with_context(|| table.label.clone())?;
    if args.format == StatsFormat::Json {
        return json(&g);
    }
    render_gtheory(&g)
}

fn size_text(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn render_gtheory(g: &GStudy) -> Result<String> {
    let mut s = format!(
        "G study, design {}: {} candidates",
        g.design.label(),
        g.sizes.candidates
    );
    if let Some(r) = g.sizes.raters {
        write!(s, ", {} raters", size_text(r))?;
    }
    if let Some(q) = g.sizes.questions {
        write!(s, ", {} questions", size_text(q))?;
    }
    if let Some(v) = &g.sizes.vacancies {
        write!(
            s,
            " (harmonic means over candidates), {} vacancies",
            v.len()
        )?;
    }
    s.push('\n');
    if !g.dropped_candidates.is_empty() {
        writeln!(
            s,
            "Dropped (missing a score of the design): {}",
            g.dropped_candidates.join(", ")
        )?;
    }
    s.push('\n');
    let rows = g
        .components
        .iter()
        .map(|c| {
            vec![
                c.source.clone(),
                format!("{:.0}", c.df),
                format!("{:.3}", c.ss),
                format!("{:.3}", c.ms),
                format!("{:.4}", c.var),
                format!("{:.4}", c.var_used),
                format!("{:.1}%", c.percent),
            ]
        })
        .collect();
    s.push_str(&render_table(
        &["source", "df", "SS", "MS", "variance", "used", "share"],
        rows,
        &[false, true, true, true, true, true, true],
    ));
    writeln!(
        s,
        "\nUniverse-score (candidate) variance {:.4}; relative error {:.4} (SEM {:.3}); absolute \
         error {:.4} (SEM {:.3}).",
        g.var_universe, g.var_rel_error, g.sem_rel, g.var_abs_error, g.sem_abs
    )?;
    writeln!(
        s,
        "G (Eρ², for ranking candidates) = {:.3}; Φ (dependability, for meeting a standard) = \
         {:.3}.",
        g.g_coef, g.phi
    )?;
    for (label, ci) in [("80%", &g.ci80), ("95%", &g.ci95)] {
        if let Some(ci) = ci {
            writeln!(
                s,
                "{label} intervals: G {:.3} to {:.3} (Feldt); Φ {:.3} to {:.3} (Arteaga et al.).",
                ci.g_coef[0], ci.g_coef[1], ci.phi[0], ci.phi[1]
            )?;
        }
    }
    s.push_str("\nD study, G / Φ:\n");
    let two = g
        .d_study
        .iter()
        .all(|d| d.raters.is_some() && d.questions.is_some());
    if two {
        let qs: Vec<usize> = {
            let mut q: Vec<usize> = g.d_study.iter().filter_map(|d| d.questions).collect();
            q.sort_unstable();
            q.dedup();
            q
        };
        let mut header = vec!["raters".to_string()];
        header.extend(qs.iter().map(|q| format!("{q} questions")));
        let mut raters: Vec<usize> = g.d_study.iter().filter_map(|d| d.raters).collect();
        raters.dedup();
        let rows = raters
            .iter()
            .map(|r| {
                let mut row = vec![r.to_string()];
                for q in &qs {
                    let d = g
                        .d_study
                        .iter()
                        .find(|d| d.raters == Some(*r) && d.questions == Some(*q));
                    row.push(
                        d.map_or(String::new(), |d| format!("{:.2} / {:.2}", d.g_coef, d.phi)),
                    );
                }
                row
            })
            .collect();
        let h: Vec<&str> = header.iter().map(String::as_str).collect();
        let right: Vec<bool> = (0..h.len()).map(|i| i > 0).collect();
        s.push_str(&render_table(&h, rows, &right));
    } else {
        let facet = if g.d_study.iter().any(|d| d.raters.is_some()) {
            "raters"
        } else {
            "questions"
        };
        let rows = g
            .d_study
            .iter()
            .map(|d| {
                vec![
                    d.raters.or(d.questions).unwrap_or(0).to_string(),
                    format!("{:.3}", d.g_coef),
                    format!("{:.3}", d.phi),
                ]
            })
            .collect();
        s.push_str(&render_table(&[facet, "G", "Φ"], rows, &[true, true, true]));
    }
    let observed = match (g.sizes.raters, g.sizes.questions) {
        (Some(r), Some(q)) => format!("{} panellists and {} questions", size_text(r), size_text(q)),
        (Some(r), None) => format!("{} panellists", size_text(r)),
        (None, Some(q)) => format!("{} questions", size_text(q)),
        (None, None) => String::new(),
    };
    writeln!(
        s,
        "\nWith {observed}, decisions reach G = {:.2} (Φ = {:.2}).",
        g.g_coef, g.phi
    )?;
    let fewest = |n: Option<usize>, what: &str, limit: usize| match n {
        Some(n) => format!("{n} {what}"),
        None => format!("more than {limit} {what}"),
    };
    if g.sizes.raters.is_some() {
        writeln!(
            s,
            "Panellists needed for G ≥ 0.80 at this number of questions: {}; for Φ ≥ 0.80: {}.",
            fewest(g.min_raters_g_0_80, "panellists", 10),
            fewest(g.min_raters_phi_0_80, "panellists", 10)
        )?;
    }
    if g.sizes.questions.is_some() {
        writeln!(
            s,
            "Questions needed for G ≥ 0.80 at this number of panellists: {}.",
            fewest(g.min_questions_g_0_80, "questions", 20)
        )?;
    }
    s.push_str(
        "\nANOVA estimates (Brennan 2001); a negative estimate is shown as estimated and set to 0 \
         for the coefficients without re-solving the others.\n",
    );
    Ok(s)
}

/// Explicit-strata or explicit-matching DIF input: one row per candidate and question.
struct ExplicitRow {
    question: String,
    key: String,
    focal: bool,
    score: f64,
}

#[derive(Serialize)]
struct ExplicitQuestion<T: Serialize> {
    question: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(flatten)]
    result: Option<T>,
}

#[derive(Serialize)]
struct ExplicitReport<T: Serialize> {
    reference: String,
    focal: String,
    /// "strata" (explicit strata) or "matching" (explicit matching score).
    input: &'static str,
    n_reference: usize,
    n_focal: usize,
    n_other: usize,
    questions: Vec<ExplicitQuestion<T>>,
}

fn explicit_question<T: Serialize>(
    question: String,
    r: std::result::Result<T, StatsError>,
) -> ExplicitQuestion<T> {
    let (status, reason, result) = match r {
        Ok(t) => ("ok", None, Some(t)),
        Err(e) => (
            if is_insufficient(&e) {
                "insufficient_data"
            } else {
                "not_computable"
            },
            Some(
                e.to_string()
                    .trim_start_matches("not computable: ")
                    .to_string(),
            ),
            None,
        ),
    };
    ExplicitQuestion {
        question,
        status,
        reason,
        result,
    }
}

fn dif(args: &DifArgs, regression: bool) -> Result<String> {
    let table = csvio::read(&args.file)?.require_rows()?;
    table.unique_headers()?;
    let explicit_col = if regression { "matching" } else { "stratum" };
    let g = table.column(&args.group_col)?;
    let c = table.column("candidate")?;
    let q = table.column("question")?;
    let s = table.column("score")?;
    // Which groups occur, to catch a mistyped --reference or --focal.
    let mut groups: Vec<String> = Vec::new();
    for (line, rec) in &table.rows {
        let grp = table.text(*line, rec, g)?;
        if !groups.contains(&grp) {
            groups.push(grp);
        }
    }
    for (flag, name) in [("--reference", &args.reference), ("--focal", &args.focal)] {
        if !groups.contains(name) {
            bail!(
                "{}: no candidate is in the {flag} group '{name}' (groups found: {})",
                table.label,
                groups.join(", ")
            );
        }
    }
    if args.reference == args.focal {
        bail!(
            "--reference and --focal name the same group '{}'",
            args.focal
        );
    }
    let opts = DifOptions {
        reference: args.reference.clone(),
        focal: args.focal.clone(),
        bands: args.bands,
        by_vacancy: args.by_vacancy,
        purify: args.purify,
    };
    if let Ok(e) = table.column(explicit_col) {
        if args.purify || args.by_vacancy {
            bail!(
                "{}: --purify and --by-vacancy need rater-level scores; this file gives the {} \
                 directly",
                table.label,
                explicit_col
            );
        }
        let mut rows: Vec<ExplicitRow> = Vec::new();
        let mut seen: HashMap<(String, String), u64> = HashMap::new();
        let (mut n_ref, mut n_focal, mut n_other) = (
            std::collections::HashSet::new(),
            std::collections::HashSet::new(),
            std::collections::HashSet::new(),
        );
        for (line, rec) in &table.rows {
            let cand = table.text(*line, rec, c)?;
            let question = table.text(*line, rec, q)?;
            let grp = table.text(*line, rec, g)?;
            let key = if regression {
                let m = table.number(*line, rec, e)?;
                let Some(m) = m else {
                    bail!(
                        "{}: row {line}, column '{}': empty value",
                        table.label,
                        table.headers[e]
                    )
                };
                m.to_string()
            } else {
                table.text(*line, rec, e)?
            };
            if let Some(first) = seen.insert((cand.clone(), question.clone()), *line) {
                bail!(
                    "{}: rows {first} and {line} both give candidate '{cand}' a score on \
                     question '{question}'",
                    table.label
                );
            }
            let focal = grp == args.focal;
            if !focal && grp != args.reference {
                n_other.insert(cand);
                continue;
            }
            if focal {
                n_focal.insert(cand);
            } else {
                n_ref.insert(cand);
            }
            if let Some(x) = table.number(*line, rec, s)? {
                rows.push(ExplicitRow {
                    question,
                    key,
                    focal,
                    score: x,
                });
            }
        }
        let mut questions: Vec<String> = Vec::new();
        for r in &rows {
            if !questions.contains(&r.question) {
                questions.push(r.question.clone());
            }
        }
        fn of<'a>(rows: &'a [ExplicitRow], qn: &'a str) -> impl Iterator<Item = &'a ExplicitRow> {
            rows.iter().filter(move |r| r.question == qn)
        }
        let (n_reference, n_focal, n_other) = (n_ref.len(), n_focal.len(), n_other.len());
        if regression {
            let report = ExplicitReport {
                reference: args.reference.clone(),
                focal: args.focal.clone(),
                input: "matching",
                n_reference,
                n_focal,
                n_other,
                questions: questions
                    .iter()
                    .map(|qn| {
                        let triples: Vec<(bool, f64, f64)> = of(&rows, qn)
                            .map(|r| (r.focal, r.key.parse().unwrap_or(f64::NAN), r.score))
                            .collect();
                        explicit_question(qn.clone(), logistic_dif(&triples))
                    })
                    .collect(),
            };
            return if args.format == StatsFormat::Json {
                json(&report)
            } else {
                Ok(render_lr_explicit(&report))
            };
        }
        let report = ExplicitReport {
            reference: args.reference.clone(),
            focal: args.focal.clone(),
            input: "strata",
            n_reference,
            n_focal,
            n_other,
            questions: questions
                .iter()
                .map(|qn| {
                    let scores: Vec<StratumScore> = of(&rows, qn)
                        .map(|r| StratumScore {
                            stratum: r.key.clone(),
                            focal: r.focal,
                            score: r.score,
                        })
                        .collect();
                    explicit_question(qn.clone(), mantel_dif(&scores))
                })
                .collect(),
        };
        return if args.format == StatsFormat::Json {
            json(&report)
        } else {
            Ok(render_mantel_explicit(&report))
        };
    }

    // Rater-level scores.
    let r = table.column("rater")?;
    let v = table.column("vacancy").ok();
    let mut data = Vec::new();
    let mut seen: HashMap<(String, String, String, String), u64> = HashMap::new();
    let mut group_of: HashMap<(String, String), (String, u64)> = HashMap::new();
    for (line, rec) in &table.rows {
        let vacancy = match v {
            Some(i) => table.text(*line, rec, i)?,
            None => String::new(),
        };
        let candidate = table.text(*line, rec, c)?;
        let rater = table.text(*line, rec, r)?;
        let question = table.text(*line, rec, q)?;
        let group = table.text(*line, rec, g)?;
        match group_of.get(&(vacancy.clone(), candidate.clone())) {
            Some((other, first)) if *other != group => bail!(
                "{}: rows {first} and {line}, column '{}': candidate '{candidate}' is in group \
                 '{other}' on one and '{group}' on the other",
                table.label,
                table.headers[g]
            ),
            Some(_) => {}
            None => {
                group_of.insert((vacancy.clone(), candidate.clone()), (group.clone(), *line));
            }
        }
        let key = (
            vacancy.clone(),
            candidate.clone(),
            rater.clone(),
            question.clone(),
        );
        if let Some(first) = seen.insert(key, *line) {
            bail!(
                "{}: rows {first} and {line} both give a score for candidate '{candidate}' by \
                 rater '{rater}' on question '{question}'",
                table.label
            );
        }
        if let Some(x) = table.number(*line, rec, s)? {
            data.push(RaterScore {
                vacancy,
                candidate,
                rater,
                question,
                score: x,
                group,
            });
        }
    }
    if regression {
        let rep = dif_logistic(&data, &opts).with_context(|| table.label.clone())?;
        if args.format == StatsFormat::Json {
            return json(&rep);
        }
        return Ok(render_lr_report(&rep));
    }
    let rep = dif_stratified(&data, &opts).with_context(|| table.label.clone())?;
    if args.format == StatsFormat::Json {
        return json(&rep);
    }
    Ok(render_mantel_report(&rep))
}

const DIF_MEANING: &str = "A flag is a prompt to review the question and its scoring anchors with \
the panel, not proof of bias: it can come from the question, its anchors, the panel, chance, or a \
real difference in what the question alone measures. \"Insufficient data\" means the groups could \
not be compared, not that there is no bias.\n";

fn mantel_cells(
    question: &str,
    st: &str,
    reason: &Option<String>,
    m: &Option<Mantel>,
) -> Vec<String> {
    match m {
        Some(m) => vec![
            question.to_string(),
            format!("{}/{}", m.n_ref_used, m.n_focal_used),
            m.n_strata_used.to_string(),
            format!("{:.2}", m.chi2),
            fmt_p(m.p_value),
            format!("{:+.3}", m.smd),
            format!("{:.3}", m.smd_se),
            format!("{:+.2}", m.effect_size),
            m.ets_class.clone(),
            m.la_delta.map_or("-".to_string(), |d| format!("{d:+.2}")),
        ],
        None => {
            let mut row = vec![question.to_string()];
            row.extend(std::iter::repeat_n(String::new(), 7));
            row.push(if st == "insufficient_data" {
                "insufficient data".to_string()
            } else {
                "not computable".to_string()
            });
            row.push(reason.clone().unwrap_or_default());
            row
        }
    }
}

const MANTEL_HEADERS: [&str; 10] = [
    "question",
    "n ref/focal",
    "strata",
    "chi2",
    "p",
    "SMD",
    "SE",
    "SMD/SD",
    "class",
    "LA delta",
];
const MANTEL_RIGHT: [bool; 10] = [
    false, true, true, true, true, true, true, true, false, false,
];

fn mantel_note() -> String {
    format!(
        "\nMantel chi-square (1 df, no continuity correction); SMD = focal minus matched reference \
         mean (negative: the focal group scored lower), SE by Zwick & Thayer (1996); ETS classes \
         AA/BB/CC by |SMD/SD| 0.17 and 0.25 with p < 0.05, '-' against the focal group; LA delta = \
         -2.35 ln(Liu-Agresti odds ratio).\n{DIF_MEANING}"
    )
}

fn render_mantel_explicit(r: &ExplicitReport<Mantel>) -> String {
    let mut s = format!(
        "DIF by question (stratified): focal {} vs reference {}, strata as given\n{} {}, {} {}\n\n",
        r.focal, r.reference, r.n_reference, r.reference, r.n_focal, r.focal
    );
    let rows = r
        .questions
        .iter()
        .map(|q| mantel_cells(&q.question, q.status, &q.reason, &q.result))
        .collect();
    s.push_str(&render_table(&MANTEL_HEADERS, rows, &MANTEL_RIGHT));
    s.push_str(&mantel_note());
    s
}

fn stage_rows<T: Serialize>(
    r: &DifReport<T>,
    pick: &dyn Fn(&QuestionDif<T>) -> Option<&Stage<T>>,
    cells: &dyn Fn(&str, &Stage<T>) -> Vec<String>,
) -> Vec<Vec<String>> {
    r.questions
        .iter()
        .filter_map(|q| pick(q).map(|st| cells(&q.question, st)))
        .collect()
}

fn render_mantel_report(r: &DifReport<Mantel>) -> String {
    let mut s = format!(
        "DIF by question (stratified): focal {} vs reference {}; matched on the mean of the \
         questions, {} bands{}\n{} {}, {} {}{}\n\nStage 1 (matching on all questions):\n",
        r.focal,
        r.reference,
        r.bands,
        if r.by_vacancy {
            " within each vacancy"
        } else {
            ""
        },
        r.n_reference,
        r.reference,
        r.n_focal,
        r.focal,
        if r.n_other > 0 {
            format!("; {} in other groups left out", r.n_other)
        } else {
            String::new()
        }
    );
    let cells = |q: &str, st: &Stage<Mantel>| mantel_cells(q, st.status, &st.reason, &st.result);
    s.push_str(&render_table(
        &MANTEL_HEADERS,
        stage_rows(r, &|q| Some(&q.stage1), &cells),
        &MANTEL_RIGHT,
    ));
    if r.purify {
        let anchor = r
            .questions
            .first()
            .and_then(|q| q.anchor_stage2.clone())
            .unwrap_or_default();
        let _ = write!(
            s,
            "\nStage 2 (flagged questions dropped from the matching score; anchor: {}):\n",
            if anchor.is_empty() {
                "none".to_string()
            } else {
                anchor.join(", ")
            }
        );
        s.push_str(&render_table(
            &MANTEL_HEADERS,
            stage_rows(r, &|q| q.stage2.as_ref(), &cells),
            &MANTEL_RIGHT,
        ));
    }
    s.push_str(&mantel_note());
    s
}

fn lr_cells(
    question: &str,
    st: &str,
    reason: &Option<String>,
    l: &Option<LogisticDif>,
) -> Vec<String> {
    match l {
        Some(l) => vec![
            question.to_string(),
            format!("{}/{}", l.n_ref_used, l.n_focal_used),
            format!("{:.2} ({})", l.chi2_uniform, fmt_p(l.p_uniform)),
            format!("{:.2} ({})", l.chi2_nonuniform, fmt_p(l.p_nonuniform)),
            format!("{:.2} ({})", l.chi2_total, fmt_p(l.p_total)),
            format!("{:.4}", l.delta_r2_nagelkerke.total),
            format!("{:+.3} ({:.3})", l.beta_group_m1, l.se_beta_group_m1),
            format!("{:+.1}%", 100.0 * l.beta_change),
            l.class_jodoin_gierl.clone(),
            l.class_zumbo_thomas.clone(),
        ],
        None => {
            let mut row = vec![question.to_string()];
            row.extend(std::iter::repeat_n(String::new(), 7));
            row.push(if st == "insufficient_data" {
                "insufficient data".to_string()
            } else {
                "not computable".to_string()
            });
            row.push(reason.clone().unwrap_or_default());
            row
        }
    }
}

const LR_HEADERS: [&str; 10] = [
    "question",
    "n ref/focal",
    "uniform chi2 (p)",
    "non-uniform chi2 (p)",
    "total chi2 (p)",
    "ΔR² (N)",
    "group β (SE)",
    "β change",
    "JG",
    "ZT",
];
const LR_RIGHT: [bool; 10] = [
    false, true, true, true, true, true, true, true, false, false,
];

fn lr_note() -> String {
    format!(
        "\nCumulative-logit models: M0 matching score, M1 + group, M2 + matching x group. Uniform \
         M1 vs M0 (1 df), non-uniform M2 vs M1 (1 df), total M2 vs M0 (2 df); ΔR² is Nagelkerke's \
         M2 - M0. Classes A/B/C: Jodoin & Gierl (0.035, 0.070) and Zumbo & Thomas (0.13, 0.26), B \
         and C only with total p < 0.05. A negative group β means the focal group scored lower at \
         the same matching score.\n{DIF_MEANING}"
    )
}

fn render_lr_explicit(r: &ExplicitReport<LogisticDif>) -> String {
    let mut s = format!(
        "DIF by question (ordinal logistic regression): focal {} vs reference {}, matching score \
         as given\n{} {}, {} {}\n\n",
        r.focal, r.reference, r.n_reference, r.reference, r.n_focal, r.focal
    );
    let rows = r
        .questions
        .iter()
        .map(|q| lr_cells(&q.question, q.status, &q.reason, &q.result))
        .collect();
    s.push_str(&render_table(&LR_HEADERS, rows, &LR_RIGHT));
    s.push_str(&lr_note());
    s
}

fn render_lr_report(r: &DifReport<LogisticDif>) -> String {
    let mut s = format!(
        "DIF by question (ordinal logistic regression): focal {} vs reference {}; matched on the \
         mean of the questions\n{} {}, {} {}\n\nStage 1 (matching on all questions):\n",
        r.focal, r.reference, r.n_reference, r.reference, r.n_focal, r.focal
    );
    let cells = |q: &str, st: &Stage<LogisticDif>| lr_cells(q, st.status, &st.reason, &st.result);
    s.push_str(&render_table(
        &LR_HEADERS,
        stage_rows(r, &|q| Some(&q.stage1), &cells),
        &LR_RIGHT,
    ));
    if r.purify {
        s.push_str(
            "\nStage 2 (questions classed B or C by Jodoin & Gierl dropped from matching):\n",
        );
        s.push_str(&render_table(
            &LR_HEADERS,
            stage_rows(r, &|q| q.stage2.as_ref(), &cells),
            &LR_RIGHT,
        ));
    }
    s.push_str(&lr_note());
    s
}

// ---------------------------------------------------------------------------------------------
// Text rendering

/// "= 0.0429" or "< 0.0001", to follow a "p": never "p = <0.0001".
fn p_is(p: f64) -> String {
    if p < 0.0001 {
        "< 0.0001".to_string()
    } else {
        format!("= {p:.4}")
    }
}

fn fmt_p(p: f64) -> String {
    if p < 0.0001 {
        "<0.0001".to_string()
    } else {
        format!("{p:.4}")
    }
}

/// Columns padded to their widest cell; `right[i]` right-aligns column i. Trailing spaces are
/// trimmed and empty trailing columns dropped so the table pastes cleanly.
/// Names come from the analyst's CSV: each cell is made safe for the terminal (one line, no control
/// or invisible characters) before widths are measured.
fn render_table(headers: &[&str], rows: Vec<Vec<String>>, right: &[bool]) -> String {
    let safe = |c: &str| crate::model::display_safe(c).into_owned();
    let mut all: Vec<Vec<String>> = vec![headers.iter().map(|h| safe(h)).collect()];
    all.extend(
        rows.iter()
            .map(|r| r.iter().map(|c| safe(c)).collect::<Vec<_>>()),
    );
    let cols = headers.len();
    let used: Vec<bool> = (0..cols)
        .map(|j| all.iter().skip(1).any(|r| !r[j].is_empty()))
        .collect();
    let widths: Vec<usize> = (0..cols)
        .map(|j| all.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
        .collect();
    let mut s = String::new();
    for row in &all {
        let mut line = String::new();
        for j in (0..cols).filter(|&j| used[j]) {
            if !line.is_empty() {
                line.push_str("  ");
            }
            let pad = widths[j] - row[j].chars().count();
            if right[j] {
                line.push_str(&" ".repeat(pad));
                line.push_str(&row[j]);
            } else {
                line.push_str(&row[j]);
                line.push_str(&" ".repeat(pad));
            }
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let t = render_table(
            &["a", "bb"],
            vec![
                vec!["xyz".into(), "1".into()],
                vec!["q".into(), "22".into()],
            ],
            &[false, true],
        );
        assert_eq!(t, "a    bb\nxyz   1\nq    22\n");
    }

    #[test]
    fn small_p_is_floored() {
        assert_eq!(fmt_p(0.00001), "<0.0001");
        assert_eq!(fmt_p(0.04288), "0.0429");
    }
}
