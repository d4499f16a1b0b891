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
    AlphaArgs, AlphaLevel, FisherArgs, IccArgs, ImpactArgs, KendallArgs, ScoreColumns,
    StatsCommand, StatsFormat, WresArgs,
};
use crate::csvio::{self, CsvTable};
use crate::stats::proportions::{fisher_exact, impact_ratios, wres_relative_likelihood};
use crate::stats::reliability::{icc_long, kendall_w, krippendorff_alpha, long_to_wide, Level};

/// Runs one `stats` subcommand, writing its result to `out`.
pub fn run(cmd: &StatsCommand, out: &mut dyn Write) -> Result<()> {
    let rendered = match cmd {
        StatsCommand::Icc(args) => icc(args)?,
        StatsCommand::Alpha(args) => alpha(args)?,
        StatsCommand::Kendall(args) => kendall(args)?,
        StatsCommand::Impact(args) => impact(args)?,
        StatsCommand::Wres(args) => wres(args)?,
        StatsCommand::Fisher(args) => fisher(args)?,
    };
    out.write_all(rendered.as_bytes())?;
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
         df = {}, p = {}\n",
        result.w,
        wide.targets.len(),
        wide.raters.len(),
        result.chi2,
        result.df,
        fmt_p(result.p)
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

// ---------------------------------------------------------------------------------------------
// Text rendering

fn fmt_p(p: f64) -> String {
    if p < 0.0001 {
        "<0.0001".to_string()
    } else {
        format!("{p:.4}")
    }
}

/// Columns padded to their widest cell; `right[i]` right-aligns column i. Trailing spaces are
/// trimmed and empty trailing columns dropped so the table pastes cleanly.
fn render_table(headers: &[&str], rows: Vec<Vec<String>>, right: &[bool]) -> String {
    let mut all: Vec<Vec<String>> = vec![headers.iter().map(|h| h.to_string()).collect()];
    all.extend(rows);
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
