//! The HR audit across vacancies: the view model and the statistics behind it.
//!
//! Conventions (also stated in the report itself):
//! - **Funnel**: each applicant counts at every stage up to the furthest one reached. A stage's
//!   selection rate is (reached this stage) ÷ (reached the one before), with a 95% Wilson interval.
//! - **Impact ratios** compare each of the five ONS groups with the highest-rate group; the
//!   four-fifths rule is decided in exact arithmetic (exactly 0.80 is not adverse). "Not stated"
//!   (declined or not asked) is excluded from ratios but always counted.
//! - **Suppression**: counts below the policy threshold are suppressed, together with every cell that
//!   would reveal them by subtraction anywhere in the report: a stage's total, a subtotal (BME, stated,
//!   not stated), or the same WRES figure split by band or internal/external (see [`Linked`]). No rate
//!   or ratio is computed from a suppressed count.
//! - **WRES indicator 2**: relative likelihood of White shortlisted applicants being appointed compared
//!   with BME shortlisted applicants, Katz 95% interval; not computed when any count is suppressed.
//! - **Pooled test**: Cochran–Mantel–Haenszel across vacancies (one 2×2 stratum per vacancy: White/BME
//!   × selected/not), with continuity correction, so many small posts can be read together.
//! - **Reliability**: Krippendorff's alpha (interval) over every candidate × question cell, which
//!   tolerates panels of different people; per vacancy ICC(2,1) (two-way random, absolute agreement,
//!   single rater; McGraw & Wong "A,1") over complete cells.
//! - **Raters**: each panellist's deviation from the mean of their co-panellists on the same candidate
//!   and question, pooled across vacancies by name; one-sample t test, 95% CI; panellists with fewer
//!   deviations than the policy's `min_rater_count` are not named. Flags use Holm-adjusted p < 0.05 across
//!   all panellists tested, so testing hundreds of people does not manufacture findings.
//! - **Rater × group**: for each named panellist and candidate group, the deviation for that group minus
//!   the deviation for all other stated groups, Welch test, Holm-adjusted across all pairs.
//! - **ICC below 0.5** is decided in exact integer arithmetic on the scores
//!   ([`reliability::icc2_compare_estimate`]), so a vacancy whose ICC is exactly 0.5 is not counted
//!   below it; other cuts on statistics use the tolerance stated in [`crate::stats`].
//! - **Questions** (item bias by ethnic group) and **Panel design** (generalizability theory): see
//!   [`super::audit_items`].

use super::audit_items;
use crate::checks::divergence::median;
use crate::ethnicity::{self, Group};
use crate::policy::Policy;
use crate::stats::{self, proportions, raters, reliability, suppression};
use crate::store::{AuditData, AuditFilter, CellBuf, Store};
use anyhow::Result;
use serde::Serialize;

pub use crate::model::STAGES;
const ROWS: [Group; 7] = [
    Group::Asian,
    Group::Black,
    Group::Mixed,
    Group::White,
    Group::Other,
    Group::Declined,
    Group::NotAsked,
];

/// A count as shown: a number, or "suppressed".
pub type Count = suppression::Cell;

#[derive(Debug, Serialize)]
pub struct AuditReport {
    pub generated_at: String,
    pub fairpanel_version: &'static str,
    /// The chain's length and head hash in the snapshot the audit read (`N:HEX`).
    pub receipt: String,
    /// What was checked of the record, in plain words.
    pub integrity: String,
    /// Gaps overridden to record decisions, and plans created without a required category.
    pub overrides: OverrideCounts,
    /// Fairness review of decisions, by service and band.
    pub reviews: ReviewAudit,
    pub filter: AuditFilter,
    pub policy_source: String,
    pub suppression_threshold: u64,
    pub min_rater_count: usize,
    pub vacancies: usize,
    pub applications: u64,
    pub scores: usize,
    pub conventions: Vec<&'static str>,
    pub funnel: Vec<FunnelRow>,
    pub transitions: Vec<Transition>,
    /// The same funnel for White and BME (every stated group other than White) applicants.
    pub white_bme: WhiteBme,
    pub wres: WresView,
    pub disclosure: Disclosure,
    pub splits: Splits,
    pub composition: Composition,
    pub reliability: Reliability,
    pub raters: Raters,
    pub rater_groups: RaterGroups,
    pub diversity_scores: Vec<GroupMean>,
    /// Item bias (DIF) per bank question, by ethnic group against White.
    pub questions: audit_items::Questions,
    /// Generalizability theory: how dependable the panels' decisions are, and with how many panellists.
    pub panel_design: audit_items::PanelDesign,
}

/// Decisions recorded over gaps, and plans that miss a required category, on the record.
#[derive(Debug, Serialize)]
pub struct OverrideCounts {
    pub decided: usize,
    pub vacancies_with_overridden_gaps: usize,
    pub gaps_overridden: i64,
    pub coverage_overridden: usize,
}

/// Fairness review of the decisions in the audit, by service and band.
#[derive(Debug, Serialize)]
pub struct ReviewAudit {
    pub rows: Vec<ReviewRow>,
    pub total: ReviewRow,
}

/// Vacancies with a decision in one service and band (or all of them), by where review stands.
#[derive(Debug, Serialize)]
pub struct ReviewRow {
    pub service: String,
    pub band: String,
    /// Vacancies with a decision: signed off + in review + without review.
    pub decided: Count,
    /// The decision in force has a sign-off of the record as it stands.
    pub signed_off: Count,
    /// Reviewed, but without a current sign-off: returned, to be reviewed again after the chair's
    /// answer, or signed off on an earlier version.
    pub in_review: Count,
    /// Decided and never reviewed.
    pub without_review: Count,
    /// Returned to the chair at least once.
    pub returned: Count,
    /// The policy requires a current sign-off for the decision to be final, and there is none.
    pub not_final: Count,
    /// Median days from the first decision to the sign-off in force, over the signed-off vacancies;
    /// only when their count is shown and reaches the suppression threshold.
    pub median_days_to_sign_off: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct FunnelRow {
    pub group: &'static str,
    pub label: &'static str,
    /// Applicants reaching each stage (in `STAGES` order).
    pub reached: Vec<Count>,
}

#[derive(Debug, Serialize)]
pub struct WhiteBme {
    pub funnel: Vec<FunnelRow>,
    pub transitions: Vec<Transition>,
}

#[derive(Debug, Serialize)]
pub struct Transition {
    pub from: &'static str,
    pub to: &'static str,
    pub groups: Vec<Rate>,
    /// Highest-rate group among those not suppressed.
    pub reference_group: Option<&'static str>,
    pub reference_label: Option<&'static str>,
    pub adverse_groups: Vec<&'static str>,
    /// White vs BME pooled across vacancies.
    pub pooled: Option<Pooled>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Rate {
    pub group: &'static str,
    pub label: &'static str,
    /// A count behind this rate is suppressed, so no rate is shown.
    pub suppressed: bool,
    pub of: Count,
    pub selected: Count,
    pub rate: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub impact_ratio: Option<f64>,
    pub adverse: Option<bool>,
    pub fisher_p: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Pooled {
    pub test: &'static str,
    pub strata: usize,
    pub chi2: f64,
    pub p: f64,
    /// Mantel–Haenszel common odds ratio of selection, White vs BME (above 1 favours White).
    pub common_odds_ratio: Option<f64>,
    pub ci95: Option<[f64; 2]>,
}

#[derive(Debug, Serialize)]
pub struct WresView {
    pub white_shortlisted: Count,
    pub white_appointed: Count,
    pub bme_shortlisted: Count,
    pub bme_appointed: Count,
    /// Shortlisted applicants who did not state their ethnicity: excluded from the ratio, counted here.
    pub not_stated_shortlisted: Count,
    pub relative_likelihood: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Disclosure {
    pub applications: u64,
    pub stated: Count,
    pub declined: Count,
    pub not_asked: Count,
    pub declined_rate: Option<f64>,
    pub not_asked_rate: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Splits {
    pub band: Vec<SplitRow>,
    pub internal: Vec<SplitRow>,
}

#[derive(Debug, Serialize)]
pub struct SplitRow {
    pub value: String,
    pub applications: u64,
    pub wres: WresView,
}

#[derive(Debug, Serialize)]
pub struct Composition {
    pub vacancies_with_panel: usize,
    pub with_minority_member: usize,
    pub with_trained_member: usize,
    pub with_diversity_question: usize,
    pub minority_share: Option<f64>,
    pub trained_share: Option<f64>,
    pub diversity_share: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Reliability {
    /// Krippendorff's alpha (interval) over every cell.
    pub alpha: Option<f64>,
    pub cells: usize,
    pub per_vacancy: Vec<VacancyIcc>,
    pub vacancies_computed: usize,
    pub median_icc2: Option<f64>,
    /// Vacancies whose ICC(2,1) is below 0.5 (poor agreement, Koo & Li 2016), decided exactly: an
    /// ICC of exactly 0.5 is not below.
    pub below_half: usize,
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct VacancyIcc {
    pub vacancy: String,
    pub cells: usize,
    pub panellists: usize,
    pub icc2: f64,
    pub icc2_ci95: [f64; 2],
    /// ICC(2,1) below 0.5, decided exactly on the scores ([`reliability::icc2_compare`]).
    pub below_half: bool,
}

#[derive(Debug, Serialize)]
pub struct Raters {
    pub named: Vec<RaterRow>,
    pub named_count: usize,
    pub flagged_count: usize,
    /// Panellists below the minimum count: not named, no conclusion drawn.
    pub not_named: usize,
}

#[derive(Debug, Serialize)]
pub struct RaterRow {
    pub panellist: String,
    pub n: usize,
    pub mean_deviation: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub p: Option<f64>,
    pub p_holm: Option<f64>,
    /// "lenient" or "severe" when the Holm-adjusted p is below 0.05.
    pub flag: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct RaterGroups {
    /// Pairs with a Holm-adjusted p below 0.05.
    pub flagged: Vec<RaterGroupRow>,
    pub tested: usize,
    pub not_tested: usize,
}

#[derive(Debug, Serialize)]
pub struct RaterGroupRow {
    pub panellist: String,
    pub group: &'static str,
    pub n_group: usize,
    pub n_rest: usize,
    /// Mean deviation for this group minus mean deviation for the others (negative: scored lower).
    pub difference: f64,
    pub ci95: [f64; 2],
    pub p: f64,
    pub p_holm: f64,
}

#[derive(Debug, Serialize)]
pub struct GroupMean {
    pub group: &'static str,
    pub label: &'static str,
    pub candidates: Count,
    pub mean: Option<f64>,
    pub ci95: Option<[f64; 2]>,
}

const CONVENTIONS: [&str; 12] = [
    "Each applicant counts at every stage up to the furthest reached; a stage's rate is reached ÷ reached the stage before, with a 95% Wilson interval.",
    "Impact ratios compare each group with the highest-rate group; under the four-fifths rule a ratio below 0.80 is adverse (exactly 0.80 is not). Fisher's exact test is two-sided.",
    "Not stated (declined or not asked) is excluded from ratios and always counted.",
    "The four-fifths rule is a screening rule, not a test: with small numbers a ratio below 0.80 can arise by chance, so read it with its interval and Fisher p.",
    "Counts below the suppression threshold are suppressed, with any cell that would reveal them anywhere in this report (through a total, a subtotal or a split); nothing is computed from a suppressed count.",
    "WRES indicator 2 = (White appointed ÷ White shortlisted) ÷ (BME appointed ÷ BME shortlisted), Katz 95% interval; above 1 favours White applicants.",
    "The pooled test is Cochran–Mantel–Haenszel across vacancies, with continuity correction.",
    "Rater deviations are from the mean of co-panellists on the same candidate and question; flags use Holm-adjusted p < 0.05 across everyone tested.",
    "Fairness review counts vacancies with a decision by service and band; counts below the threshold are suppressed with any cell that would reveal them through a row or a total. Days to sign-off run from the first decision to the sign-off in force, so a return and its answer count; the median is shown only over enough signed-off vacancies.",
    "Item bias (DIF): per bank question, each minority group and BME against White candidates matched on their mean item score over their whole interview (10 bands across the organisation); Mantel's chi-square and the standardised mean difference, ETS classes A (|SMD/SD| ≤ 0.17 or p ≥ 0.05), B and C (above 0.25), after dropping flagged questions from the matching score and analysing again. A flag is a prompt to review the question and its anchors, not proof of bias. Counts below the threshold, linked with their BME subtotal, are suppressed, and no comparison is made from them.",
    "Panel design: generalizability theory (Brennan 2001), candidates × panellists × questions within each vacancy, pooled over vacancies by the method of moments; negative variance estimates are set to 0 without re-solving. G ranks candidates (relative error), Φ judges them against a fixed standard (absolute error). The D-study sentence uses the commonest panel size and plan length.",
    "Thresholds: ICC(2,1) below 0.5 is decided in exact integer arithmetic on the scores, so an ICC of exactly 0.5 is not below; p-values, ETS effect sizes and G against 0.80 count a value within 10⁻⁹ of the cut as on it.",
];

fn group_of(code: &str) -> Group {
    ethnicity::by_code(code).map_or(Group::NotAsked, |c| c.group)
}

fn stage_index(s: &str) -> usize {
    STAGES.iter().position(|x| *x == s).unwrap_or(0)
}

fn shown(c: &Count) -> Option<u64> {
    match c {
        suppression::Cell::Shown(n) => Some(*n),
        suppression::Cell::Suppressed => None,
    }
}

fn share(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// WRES from its four counts (and the not-stated count), already suppressed with every figure they
/// are linked to; no ratio when any of the four is hidden.
fn wres(c: [Count; 5], threshold: u64) -> WresView {
    let mut v = WresView {
        white_shortlisted: c[0],
        white_appointed: c[1],
        bme_shortlisted: c[2],
        bme_appointed: c[3],
        not_stated_shortlisted: c[4],
        relative_likelihood: None,
        ci95: None,
        note: None,
    };
    let (Some(ws), Some(wa), Some(bs), Some(ba)) =
        (shown(&c[0]), shown(&c[1]), shown(&c[2]), shown(&c[3]))
    else {
        v.note = Some(format!(
            "counts below {threshold}, or counts that would reveal one: suppressed, no ratio computed"
        ));
        return v;
    };
    match proportions::wres_relative_likelihood(ws, wa, bs, ba) {
        Ok(w) => {
            v.relative_likelihood = w.relative_likelihood;
            v.ci95 = w.ci95;
            v.note = w.note;
        }
        Err(e) => v.note = Some(e.to_string()),
    }
    v
}

/// Rates, intervals and impact ratios for each step of a funnel of `rows` (key, label, reached).
fn transitions_of(rows: &[(&'static str, &'static str, &[Count])]) -> Vec<Transition> {
    (1..5)
        .map(|k| {
            let inputs: Vec<(String, u64, u64)> = rows
                .iter()
                .filter_map(|(key, _, c)| match (shown(&c[k - 1]), shown(&c[k])) {
                    (Some(of), Some(sel)) if of > 0 => Some((key.to_string(), of, sel)),
                    _ => None,
                })
                .collect();
            let impact = proportions::impact_ratios(&inputs).ok();
            let groups: Vec<Rate> = rows
                .iter()
                .map(|(key, label, c)| {
                    let gi = impact
                        .as_ref()
                        .and_then(|i| i.groups.iter().find(|x| x.group == *key));
                    Rate {
                        group: key,
                        label,
                        suppressed: c[k - 1].is_suppressed() || c[k].is_suppressed(),
                        of: c[k - 1],
                        selected: c[k],
                        rate: gi.and_then(|g| g.rate),
                        ci95: gi.and_then(|g| g.ci95),
                        impact_ratio: gi.and_then(|g| g.impact_ratio),
                        adverse: gi.and_then(|g| g.adverse),
                        fisher_p: gi.and_then(|g| g.fisher_p),
                    }
                })
                .collect();
            let reference = impact
                .as_ref()
                .and_then(|i| i.reference_group.as_deref())
                .and_then(|r| rows.iter().find(|(key, _, _)| *key == r));
            Transition {
                from: STAGES[k - 1],
                to: STAGES[k],
                reference_group: reference.map(|r| r.0),
                reference_label: reference.map(|r| r.1),
                adverse_groups: groups
                    .iter()
                    .filter(|g| g.adverse == Some(true))
                    .map(|g| g.label)
                    .collect(),
                note: match &impact {
                    None => Some("not enough unsuppressed counts to compare groups".to_string()),
                    Some(i) if i.reference_group.is_none() => Some(
                        "nobody reached this step in any group, so there is no reference group \
                         and no impact ratio"
                            .to_string(),
                    ),
                    Some(_) => None,
                },
                groups,
                pooled: None,
            }
        })
        .collect()
}

const WHITE_KEY: &str = "white";
const WHITE_LABEL: &str = "White";
const BME_KEY: &str = "bme";
const BME_LABEL: &str = "Black, Asian and minority ethnic (BME)";
/// Rows of the linked funnel after the seven of `ROWS`: subtotals and the total.
const STATED_ROW: usize = 7;
const BME_ROW: usize = 8;
const NOT_STATED_ROW: usize = 9;
const ALL_ROW: usize = 10;
const WHITE_ROW: usize = 3;
const _: () = assert!(matches!(ROWS[WHITE_ROW], Group::White));

/// Every count the audit publishes about groups, suppressed together. The funnel's seven rows come
/// with their subtotals (stated, BME, not stated) and total, and WRES's figures split by band and by
/// internal/external are tied to their overall values, so no hidden count can be worked out by
/// subtraction from anything else in the report.
struct Linked {
    /// ROWS, then stated, BME, not stated and all applicants; by stage.
    funnel: Vec<[Count; 5]>,
    /// White shortlisted, White appointed, BME shortlisted, BME appointed, not stated shortlisted.
    wres: [Count; 5],
    bands: Vec<[Count; 5]>,
    internal: Vec<[Count; 5]>,
}

impl Linked {
    fn new(
        reached: &[[u64; 5]; 7],
        by_band: &[[u64; 5]],
        band_apps: &[u64],
        by_internal: &[[u64; 5]],
        internal_apps: &[u64],
        t: u64,
    ) -> Linked {
        let sum = |k: usize, p: &dyn Fn(Group) -> bool| -> u64 {
            (0..7).filter(|&r| p(ROWS[r])).map(|r| reached[r][k]).sum()
        };
        let mut full: Vec<[u64; 5]> = reached.to_vec();
        full.push(std::array::from_fn(|k| sum(k, &|g| g.is_stated())));
        full.push(std::array::from_fn(|k| sum(k, &|g| g.is_bme())));
        full.push(std::array::from_fn(|k| sum(k, &|g| !g.is_stated())));
        full.push(std::array::from_fn(|k| sum(k, &|_| true)));
        let f = |r: usize, k: usize| r * 5 + k;
        let mut values: Vec<u64> = full.iter().flatten().copied().collect();
        // Each row is a line (conservative: a funnel row has no published total), then each
        // stage's sums.
        let mut lines: Vec<Vec<usize>> = (0..full.len())
            .map(|r| (0..5).map(|k| f(r, k)).collect())
            .collect();
        for k in 0..5 {
            let rows = |p: &dyn Fn(Group) -> bool| -> Vec<usize> {
                (0..7).filter(|&r| p(ROWS[r])).map(|r| f(r, k)).collect()
            };
            let with = |mut cells: Vec<usize>, total: usize| {
                cells.push(f(total, k));
                cells
            };
            lines.push(with(rows(&|_| true), ALL_ROW));
            lines.push(with(rows(&|g| g.is_stated()), STATED_ROW));
            lines.push(with(rows(&|g| g.is_bme()), BME_ROW));
            lines.push(with(rows(&|g| !g.is_stated()), NOT_STATED_ROW));
            lines.push(with(vec![f(WHITE_ROW, k), f(BME_ROW, k)], STATED_ROW));
            lines.push(with(vec![f(STATED_ROW, k), f(NOT_STATED_ROW, k)], ALL_ROW));
        }
        // WRES's five figures and where they sit in the funnel.
        let wres_at = [
            f(WHITE_ROW, 1),
            f(WHITE_ROW, 4),
            f(BME_ROW, 1),
            f(BME_ROW, 4),
            f(NOT_STATED_ROW, 1),
        ];
        // A split's rows (those shown: with applications) sum, figure by figure, to the overall one.
        let mut split = |rows: &[[u64; 5]], apps: &[u64]| -> Vec<usize> {
            let base = values.len();
            for r in rows {
                values.extend_from_slice(r);
            }
            for (c, &total) in wres_at.iter().enumerate() {
                let mut line: Vec<usize> = (0..rows.len())
                    .filter(|&i| apps[i] > 0)
                    .map(|i| base + i * 5 + c)
                    .collect();
                line.push(total);
                lines.push(line);
            }
            (0..rows.len()).map(|i| base + i * 5).collect()
        };
        let band_at = split(by_band, band_apps);
        let internal_at = split(by_internal, internal_apps);
        // The number of applications is published as it is (the audit's scope, not a group).
        let cells = suppression::suppress_linked(&values, &lines, &[f(ALL_ROW, 0)], t);
        let five = |at: usize| -> [Count; 5] { std::array::from_fn(|c| cells[at + c]) };
        Linked {
            funnel: (0..full.len()).map(|r| five(f(r, 0))).collect(),
            wres: wres_at.map(|i| cells[i]),
            bands: band_at.into_iter().map(five).collect(),
            internal: internal_at.into_iter().map(five).collect(),
        }
    }
}

pub fn build(
    store: &Store,
    filter: &AuditFilter,
    policy: &Policy,
    policy_source: &str,
) -> Result<AuditReport> {
    let data = store.audit_data(filter)?;
    let t = policy.suppression_threshold;

    // Codes and vacancies are few: classify each once, not once per count.
    let code_row: Vec<usize> = data
        .codes
        .iter()
        .map(|c| {
            let g = group_of(c);
            ROWS.iter()
                .position(|x| *x == g)
                .expect("every group has a row")
        })
        .collect();
    let mut bands: Vec<String> = Vec::new();
    let band_of: Vec<usize> = data
        .vacancies
        .iter()
        .map(|v| {
            let b = v.band.as_deref().unwrap_or("(no band)");
            bands.iter().position(|x| x == b).unwrap_or_else(|| {
                bands.push(b.to_string());
                bands.len() - 1
            })
        })
        .collect();

    // reached[group][stage] overall; per vacancy White/BME reached per stage for pooled tests.
    let mut reached = [[0u64; 5]; 7];
    let mut per_vacancy: Vec<Option<[[u64; 5]; 2]>> = vec![None; data.vacancies.len()];
    // WRES split counters: [white shortlisted, white appointed, bme shortlisted, bme appointed,
    // not stated shortlisted], by band and by internal (not recorded, external, internal).
    let mut by_band = vec![[0u64; 5]; bands.len()];
    let mut band_apps = vec![0u64; bands.len()];
    let mut by_internal = [[0u64; 5]; 3];
    let mut internal_apps = [0u64; 3];
    let mut applications = 0;
    for p in &data.pipeline {
        let row = code_row[p.code as usize];
        let g = ROWS[row];
        let s = p.stage as usize;
        applications += p.n;
        for r in reached[row].iter_mut().take(s + 1) {
            *r += p.n;
        }
        let band = band_of[p.vacancy as usize];
        add_wres(&mut by_band[band], g, s, p.n);
        band_apps[band] += p.n;
        let int = internal_row(p.internal);
        add_wres(&mut by_internal[int], g, s, p.n);
        internal_apps[int] += p.n;
        if let Some(w) = g.wres() {
            let e = per_vacancy[p.vacancy as usize].get_or_insert_default();
            let i = if w == ethnicity::WresGroup::White {
                0
            } else {
                1
            };
            for r in e[i].iter_mut().take(s + 1) {
                *r += p.n;
            }
        }
    }
    let linked = Linked::new(
        &reached,
        &by_band,
        &band_apps,
        &by_internal,
        &internal_apps,
        t,
    );
    let cells = &linked.funnel;
    let funnel: Vec<FunnelRow> = ROWS
        .iter()
        .zip(cells)
        .map(|(g, c)| FunnelRow {
            group: g.key(),
            label: g.label(),
            reached: c.to_vec(),
        })
        .collect();
    let five: Vec<(&'static str, &'static str, &[Count])> = (0..5)
        .map(|r| (ROWS[r].key(), ROWS[r].label(), &cells[r][..]))
        .collect();
    let mut transitions = transitions_of(&five);
    for (k, tr) in (1..5).zip(&mut transitions) {
        let strata: Vec<[u64; 4]> = per_vacancy
            .iter()
            .flatten()
            .map(|v| {
                [
                    v[0][k],
                    v[0][k - 1] - v[0][k],
                    v[1][k],
                    v[1][k - 1] - v[1][k],
                ]
            })
            .collect();
        // No conclusion from small numbers, and nothing computed from a suppressed count: with one
        // vacancy the pooled odds ratio would give back the White and BME counts. So the test needs
        // every White/BME total at this step to reach the threshold and both stages' White and BME
        // counts to be shown.
        let totals = strata.iter().fold([0u64; 4], |acc, s| {
            [acc[0] + s[0], acc[1] + s[1], acc[2] + s[2], acc[3] + s[3]]
        });
        let shown_counts = [WHITE_ROW, BME_ROW].iter().all(|&r| {
            shown(&linked.funnel[r][k - 1]).is_some() && shown(&linked.funnel[r][k]).is_some()
        });
        let big_enough = shown_counts
            && totals
                .iter()
                .all(|&n| !suppression::is_suppressed(n, t) && n > 0);
        tr.pooled = big_enough
            .then(|| stats::proportions::cmh(&strata, true).ok())
            .flatten()
            .map(|c| Pooled {
                test: "Cochran–Mantel–Haenszel",
                strata: c.strata_used,
                chi2: c.chi2,
                p: c.p,
                common_odds_ratio: Some(c.common_odds_ratio).filter(|x| x.is_finite()),
                ci95: c.ci95,
            });
    }
    let binary = [
        (WHITE_KEY, WHITE_LABEL, &linked.funnel[WHITE_ROW][..]),
        (BME_KEY, BME_LABEL, &linked.funnel[BME_ROW][..]),
    ];
    let white_bme = WhiteBme {
        funnel: binary
            .iter()
            .map(|(group, label, reached)| FunnelRow {
                group,
                label,
                reached: reached.to_vec(),
            })
            .collect(),
        transitions: transitions_of(&binary),
    };

    let wres_view = wres(linked.wres, t);
    let split = |values: &[&str], rows: &[[Count; 5]], apps: &[u64]| -> Vec<SplitRow> {
        let mut v: Vec<SplitRow> = values
            .iter()
            .zip(rows.iter().zip(apps))
            .filter(|(_, (_, n))| **n > 0)
            .map(|(value, (c, n))| SplitRow {
                applications: *n,
                wres: wres(*c, t),
                value: value.to_string(),
            })
            .collect();
        v.sort_by(|a, b| a.value.cmp(&b.value));
        v
    };
    let band_names: Vec<&str> = bands.iter().map(String::as_str).collect();
    let splits = Splits {
        band: split(&band_names, &linked.bands, &band_apps),
        internal: split(
            &["not recorded", "external", "internal"],
            &linked.internal,
            &internal_apps,
        ),
    };

    let composition = composition(&data, policy);
    let (reliability, raters, rater_groups, diversity_scores, (questions, panel_design)) =
        scoring(&data, policy);
    let tail = &data.tail;
    let integrity = format!(
        "The chain since the latest checkpoint ({} events) is unbroken; {}. The audit reads the tables derived \
         from the record; `fairpanel verify` replays the whole record and compares them.",
        tail.walked,
        match &tail.last_full {
            Some((seq, at)) => format!("the last full verification passed at event {seq} ({at})"),
            None => "no full verification has been recorded yet".to_string(),
        }
    );
    let overrides = OverrideCounts {
        decided: data.vacancies.iter().filter(|v| v.decided).count(),
        vacancies_with_overridden_gaps: data
            .vacancies
            .iter()
            .filter(|v| v.overridden_gaps > 0)
            .count(),
        gaps_overridden: data.vacancies.iter().map(|v| v.overridden_gaps).sum(),
        coverage_overridden: data
            .vacancies
            .iter()
            .filter(|v| v.coverage_overridden)
            .count(),
    };
    let reviews = review_audit(&data, t);
    Ok(AuditReport {
        generated_at: crate::model::now(),
        fairpanel_version: env!("CARGO_PKG_VERSION"),
        receipt: tail.receipt.to_string(),
        integrity,
        overrides,
        reviews,
        filter: filter.clone(),
        policy_source: policy_source.to_string(),
        suppression_threshold: t,
        min_rater_count: policy.min_rater_count,
        vacancies: data.vacancies.len(),
        applications,
        scores: data.scores.count,
        conventions: CONVENTIONS.to_vec(),
        funnel,
        transitions,
        white_bme,
        wres: wres_view,
        disclosure: disclosure(applications, &linked),
        splits,
        composition,
        reliability,
        raters,
        rater_groups,
        diversity_scores,
        questions,
        panel_design,
    })
}

/// Days between two RFC 3339 times, if both read.
fn days_between(from: &str, to: &str) -> Option<f64> {
    let f = &time::format_description::well_known::Rfc3339;
    let a = time::OffsetDateTime::parse(from, f).ok()?;
    let b = time::OffsetDateTime::parse(to, f).ok()?;
    Some((b - a).as_seconds_f64() / 86_400.0)
}

/// The review section: decided vacancies by service and band, counts suppressed together with the
/// row and column totals that would reveal them.
fn review_audit(data: &AuditData, t: u64) -> ReviewAudit {
    // Counts per row: decided, signed off, in review, without review, returned, not final.
    const N: usize = 6;
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut counts: Vec<[u64; N]> = Vec::new();
    let mut days: Vec<Vec<f64>> = Vec::new();
    for v in data.vacancies.iter().filter(|v| v.decided) {
        let key = (
            v.service.clone().unwrap_or_else(|| "(no service)".into()),
            v.band.clone().unwrap_or_else(|| "(no band)".into()),
        );
        let i = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                keys.push(key);
                counts.push([0; N]);
                days.push(Vec::new());
                keys.len() - 1
            }
        };
        let c = &mut counts[i];
        let signed_off = v.review_status == "signed-off";
        c[0] += 1;
        if signed_off {
            c[1] += 1;
            if let Some(d) = v
                .decided_at
                .as_deref()
                .zip(v.signed_off_at.as_deref())
                .and_then(|(a, b)| days_between(a, b))
            {
                days[i].push(d.max(0.0));
            }
        } else if v.reviews > 0 {
            c[2] += 1;
        } else {
            c[3] += 1;
        }
        if v.returns > 0 {
            c[4] += 1;
        }
        if v.review_required && !signed_off {
            c[5] += 1;
        }
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    // Cells: each row's six counts in order, then the total row's.
    let rows = order.len();
    let mut values: Vec<u64> = order.iter().flat_map(|&i| counts[i]).collect();
    let total: [u64; N] = std::array::from_fn(|k| counts.iter().map(|c| c[k]).sum());
    values.extend(total);
    let at = |r: usize, k: usize| r * N + k;
    let mut lines: Vec<Vec<usize>> = Vec::new();
    for r in 0..=rows {
        // Decided = signed off + in review + without review.
        lines.push(vec![at(r, 1), at(r, 2), at(r, 3), at(r, 0)]);
    }
    for k in 0..N {
        lines.push((0..=rows).map(|r| at(r, k)).collect());
    }
    // How many vacancies were decided is the audit's scope, published as it is elsewhere.
    let pinned: Vec<usize> = (0..=rows).map(|r| at(r, 0)).collect();
    let cells = suppression::suppress_linked(&values, &lines, &pinned, t);
    let median_of = |xs: &mut Vec<f64>, n: &Count| -> Option<f64> {
        match n {
            Count::Shown(n) if *n >= t && !xs.is_empty() => Some(median(xs)),
            _ => None,
        }
    };
    let row = |r: usize, service: String, band: String, xs: &mut Vec<f64>| ReviewRow {
        service,
        band,
        decided: cells[at(r, 0)],
        signed_off: cells[at(r, 1)],
        in_review: cells[at(r, 2)],
        without_review: cells[at(r, 3)],
        returned: cells[at(r, 4)],
        not_final: cells[at(r, 5)],
        median_days_to_sign_off: median_of(xs, &cells[at(r, 1)]),
    };
    let mut all_days: Vec<f64> = days.iter().flatten().copied().collect();
    ReviewAudit {
        rows: order
            .iter()
            .enumerate()
            .map(|(r, &i)| {
                let (service, band) = keys[i].clone();
                row(r, service, band, &mut days[i].clone())
            })
            .collect(),
        total: row(rows, "all".into(), "all".into(), &mut all_days),
    }
}

/// What `n` applicants of group `g` whose furthest stage is `s` add to WRES's five figures (White
/// shortlisted and appointed, BME shortlisted and appointed, not stated shortlisted).
fn add_wres(acc: &mut [u64; 5], g: Group, s: usize, n: u64) {
    if s >= 1 {
        match g.wres() {
            Some(ethnicity::WresGroup::White) => {
                acc[0] += n;
                if s == 4 {
                    acc[1] += n;
                }
            }
            Some(ethnicity::WresGroup::Bme) => {
                acc[2] += n;
                if s == 4 {
                    acc[3] += n;
                }
            }
            None => acc[4] += n,
        }
    }
}

/// The internal/external split's row: not recorded, external, internal.
fn internal_row(internal: Option<bool>) -> usize {
    match internal {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    }
}

/// One vacancy's applicants reaching each stage by group, suppressed exactly as the audit of that
/// vacancy alone suppresses its funnel: the same counts, subtotals, WRES figures and splits (one band,
/// internal/external), so neither report shows a count the other hides.
pub fn funnel_of(records: &[crate::record::fact::Monitoring], threshold: u64) -> Vec<FunnelRow> {
    let mut reached = [[0u64; 5]; 7];
    let (mut by_band, mut band_apps) = ([[0u64; 5]; 1], [0u64; 1]);
    let (mut by_internal, mut internal_apps) = ([[0u64; 5]; 3], [0u64; 3]);
    for m in records {
        let g = group_of(&m.ethnicity);
        let row = ROWS
            .iter()
            .position(|x| *x == g)
            .expect("every group has a row");
        let s = stage_index(&m.stage);
        for r in reached[row].iter_mut().take(s + 1) {
            *r += 1;
        }
        add_wres(&mut by_band[0], g, s, 1);
        band_apps[0] += 1;
        let int = internal_row(m.internal);
        add_wres(&mut by_internal[int], g, s, 1);
        internal_apps[int] += 1;
    }
    let linked = Linked::new(
        &reached,
        &by_band,
        &band_apps,
        &by_internal,
        &internal_apps,
        threshold,
    );
    ROWS.iter()
        .zip(linked.funnel)
        .map(|(g, reached)| FunnelRow {
            group: g.key(),
            label: g.label(),
            reached: reached.to_vec(),
        })
        .collect()
}

/// Disclosure counts: the funnel's stated, declined and not-asked applicants, suppressed with it.
fn disclosure(applications: u64, linked: &Linked) -> Disclosure {
    let declined_row = ROWS
        .iter()
        .position(|g| *g == Group::Declined)
        .expect("row");
    let not_asked_row = ROWS
        .iter()
        .position(|g| *g == Group::NotAsked)
        .expect("row");
    let (stated, declined, not_asked) = (
        linked.funnel[STATED_ROW][0],
        linked.funnel[declined_row][0],
        linked.funnel[not_asked_row][0],
    );
    let rate = |c: &Count| {
        shown(c)
            .filter(|_| applications > 0)
            .map(|n| n as f64 / applications as f64)
    };
    Disclosure {
        applications,
        declined_rate: rate(&declined),
        not_asked_rate: rate(&not_asked),
        stated,
        declined,
        not_asked,
    }
}

fn composition(data: &AuditData, policy: &Policy) -> Composition {
    let mut minority = vec![false; data.vacancies.len()];
    let mut trained = vec![false; data.vacancies.len()];
    let mut has_panel = vec![false; data.vacancies.len()];
    for m in &data.panels {
        let v = m.vacancy as usize;
        has_panel[v] = true;
        if m.ethnicity
            .as_deref()
            .and_then(ethnicity::by_code)
            .is_some_and(|c| c.group.is_bme())
        {
            minority[v] = true;
        }
        let created = &data.vacancies[v].created;
        let year: i32 = created.get(0..4).and_then(|y| y.parse().ok()).unwrap_or(0);
        let cutoff = format!(
            "{:04}{}",
            year - policy.training_valid_years as i32,
            created.get(4..10).unwrap_or("")
        );
        if m.trained_on
            .as_deref()
            .is_some_and(|d| d >= cutoff.as_str() && d <= created.as_str())
        {
            trained[v] = true;
        }
    }
    let n = has_panel.iter().filter(|x| **x).count();
    let count = |xs: &[bool]| {
        xs.iter()
            .zip(&has_panel)
            .filter(|(x, p)| **x && **p)
            .count()
    };
    let diversity = data
        .vacancies
        .iter()
        .zip(&has_panel)
        .filter(|(v, p)| **p && v.categories.iter().any(|c| c == crate::bank::DIVERSITY))
        .count();
    Composition {
        vacancies_with_panel: n,
        with_minority_member: count(&minority),
        with_trained_member: count(&trained),
        with_diversity_question: diversity,
        minority_share: share(count(&minority), n),
        trained_share: share(count(&trained), n),
        diversity_share: share(diversity, n),
    }
}

/// Reliability, rater effects, diversity-question scores, item bias and panel design from the
/// sealed scores.
fn scoring(
    data: &AuditData,
    policy: &Policy,
) -> (
    Reliability,
    Raters,
    RaterGroups,
    Vec<GroupMean>,
    (audit_items::Questions, audit_items::PanelDesign),
) {
    // Reliability (whose pass also gathers item scores) beside the rater figures; then item bias
    // beside panel design. Each pair shares the two cores.
    let t = policy.suppression_threshold;
    std::thread::scope(|scope| {
        let r = scope.spawn(|| reliability_of(data));
        let rest = raters_of(data, policy);
        let (reliability, mut items) = r.join().expect("reliability thread");
        let blocks = std::mem::take(&mut items.blocks);
        let (questions, blocks) = std::thread::scope(|inner| {
            let design = inner.spawn(|| audit_items::panel_design(data, blocks));
            let questions = audit_items::item_bias(data, t, &items);
            (questions, design.join().expect("panel design thread"))
        });
        let (raters, rater_groups, diversity_scores) = rest;
        (
            reliability,
            raters,
            rater_groups,
            diversity_scores,
            (questions, blocks),
        )
    })
}

/// Reliability, and (from the same pass over each vacancy's cells) every candidate's item scores
/// and each vacancy's complete block for the Questions and Panel design sections.
fn reliability_of(data: &AuditData) -> (Reliability, audit_items::Items) {
    let s = &data.scores;
    let mut items = audit_items::Items::new(data);
    // Alpha over every cell with two or more scores, in the one fixed cell order.
    let mut alpha_values = Vec::new();
    let mut alpha_ends = Vec::new();
    s.for_each_cell(|cell| {
        if cell.scores.len() >= 2 {
            alpha_values.extend_from_slice(cell.scores);
            alpha_ends.push(alpha_values.len());
        }
    });
    let alpha = reliability::krippendorff_alpha_flat(
        &alpha_values,
        &alpha_ends,
        reliability::Level::Interval,
    )
    .ok();

    // Per vacancy: candidates in id order within it.
    let mut order: Vec<usize> = (0..s.candidates.len()).collect();
    order.sort_by_key(|&c| s.candidates[c].vacancy);
    let mut per_vacancy = Vec::new();
    let mut with_cells = 0;
    let mut buf = CellBuf::default();
    let (mut panels, mut values, mut cells) = (Vec::new(), Vec::new(), Vec::new());
    let mut per_candidate = Vec::new();
    for group in order.chunk_by(|a, b| s.candidates[*a].vacancy == s.candidates[*b].vacancy) {
        let v = s.candidates[group[0]].vacancy;
        // Each cell as (panel range, scores range, question) into flat buffers.
        panels.clear();
        values.clear();
        cells.clear();
        per_candidate.clear();
        for &c in group {
            let from = cells.len();
            s.cells_of(c, &mut buf, |cell| {
                let p = panels.len()..panels.len() + cell.panellists.len();
                panels.extend_from_slice(cell.panellists);
                let x = values.len()..values.len() + cell.scores.len();
                values.extend_from_slice(cell.scores);
                cells.push((p, x, cell.question));
            });
            per_candidate.push((c, from..cells.len()));
        }
        items.add_vacancy(data, v, &per_candidate, &panels, &values, &cells);
        if cells.is_empty() {
            continue;
        }
        with_cells += 1;
        // Complete cells only: the panel most cells share. Ties are broken by the panel itself, so
        // the choice does not depend on the order cells arrive in.
        let mut counts: Vec<(&[u32], usize)> = Vec::new();
        for (p, _, _) in &cells {
            let panel = &panels[p.clone()];
            match counts.iter_mut().find(|(q, _)| *q == panel) {
                Some(e) => e.1 += 1,
                None => counts.push((panel, 1)),
            }
        }
        let Some(&(panel, _)) = counts
            .iter()
            .max_by(|a, b| (a.1, a.0.len(), a.0).cmp(&(b.1, b.0.len(), b.0)))
        else {
            continue;
        };
        let matrix: Vec<Vec<f64>> = cells
            .iter()
            .filter(|(p, _, _)| &panels[p.clone()] == panel)
            .map(|(_, x, _)| values[x.clone()].to_vec())
            .collect();
        if let Ok(r) = reliability::icc(&matrix) {
            if let Some(f) = r.form("ICC2") {
                per_vacancy.push(VacancyIcc {
                    vacancy: data.vacancies[v as usize].id.clone(),
                    cells: matrix.len(),
                    panellists: panel.len(),
                    icc2: f.icc,
                    icc2_ci95: f.ci95,
                    below_half: reliability::icc2_compare_estimate(&matrix, f.icc, 1, 2)
                        == Some(std::cmp::Ordering::Less),
                });
            }
        }
    }
    per_vacancy.sort_by(|a, b| a.vacancy.cmp(&b.vacancy));
    let mut iccs: Vec<f64> = per_vacancy.iter().map(|v| v.icc2).collect();
    let reliability = Reliability {
        alpha,
        cells: alpha_ends.len(),
        vacancies_computed: per_vacancy.len(),
        median_icc2: (!iccs.is_empty()).then(|| median(&mut iccs)),
        below_half: per_vacancy.iter().filter(|v| v.below_half).count(),
        note: (with_cells > per_vacancy.len()).then(|| {
            format!(
                "{} vacancy(ies) without an ICC: too few complete cells, or no variation",
                with_cells - per_vacancy.len()
            )
        }),
        per_vacancy,
    };
    (reliability, items)
}

fn raters_of(data: &AuditData, policy: &Policy) -> (Raters, RaterGroups, Vec<GroupMean>) {
    let s = &data.scores;
    let t = policy.suppression_threshold;
    // Each scored candidate's stated group (index into Group::STATED), if any.
    let code_stated: Vec<Option<usize>> = data
        .codes
        .iter()
        .map(|c| {
            let g = group_of(c);
            Group::STATED.iter().position(|x| *x == g)
        })
        .collect();
    let stated_of = |c: usize| {
        s.candidates[c]
            .ethnicity
            .and_then(|e| code_stated[e as usize])
    };
    let mut devs: Vec<Vec<f64>> = vec![Vec::new(); s.panellists.len()];
    // Per panellist, per stated group: deviations.
    let mut devs_by_group: Vec<[Vec<f64>; 5]> = vec![Default::default(); s.panellists.len()];
    // Diversity-attitude questions: each candidate's sum and count over them, in id order.
    let diversity: Vec<bool> = s
        .questions
        .iter()
        .map(|q| data.diversity_questions.contains(q))
        .collect();
    let mut per_candidate: Vec<(usize, f64, usize)> = Vec::new();
    let mut scratch = Vec::new();
    s.for_each_cell(|cell| {
        scratch.clear();
        raters::cell_deviations(cell.scores, &mut scratch);
        let gi = stated_of(cell.candidate);
        for (p, d) in cell.panellists.iter().zip(&scratch) {
            devs[*p as usize].push(*d);
            if let Some(gi) = gi {
                devs_by_group[*p as usize][gi].push(*d);
            }
        }
        if diversity[cell.question as usize] {
            if per_candidate.last().is_none_or(|e| e.0 != cell.candidate) {
                per_candidate.push((cell.candidate, 0.0, 0));
            }
            let e = per_candidate.last_mut().expect("pushed above");
            for x in cell.scores {
                e.1 += x;
                e.2 += 1;
            }
        }
    });

    // Raters.
    let min = policy.min_rater_count;
    let mut named = Vec::new();
    let mut not_named = 0;
    for (p, d) in devs.iter().enumerate() {
        if d.len() < min {
            not_named += 1;
            continue;
        }
        let e = raters::effect_from_deviations(&s.panellists[p], d, min);
        named.push(RaterRow {
            panellist: e.rater,
            n: e.n,
            mean_deviation: e.mean_deviation,
            ci95: e.ci95,
            p: e.p,
            p_holm: None,
            flag: None,
        });
    }
    let tested: Vec<usize> = (0..named.len()).filter(|&i| named[i].p.is_some()).collect();
    let adj = stats::holm(
        &tested
            .iter()
            .map(|&i| named[i].p.expect("tested"))
            .collect::<Vec<_>>(),
    );
    for (&i, a) in tested.iter().zip(adj) {
        named[i].p_holm = Some(a);
        if a < 0.05 {
            named[i].flag = named[i]
                .mean_deviation
                .map(|m| if m > 0.0 { "lenient" } else { "severe" });
        }
    }
    named.sort_by(|a, b| a.panellist.cmp(&b.panellist));

    // Rater × group.
    let mut candidates = Vec::new();
    let mut not_tested = 0;
    for (p, groups) in devs_by_group.iter().enumerate() {
        if devs[p].len() < min {
            continue;
        }
        for gi in 0..5 {
            let rest: Vec<f64> = (0..5)
                .filter(|&k| k != gi)
                .flat_map(|k| groups[k].iter().copied())
                .collect();
            let e = raters::group_entry_from_deviations(
                &s.panellists[p],
                Group::STATED[gi].key(),
                &groups[gi],
                &rest,
                t as usize,
            );
            match e.effect {
                Some(g) => candidates.push((p, gi, g)),
                None => not_tested += 1,
            }
        }
    }
    let adj = stats::holm(&candidates.iter().map(|c| c.2.p).collect::<Vec<_>>());
    let tested_pairs = candidates.len();
    let mut flagged: Vec<RaterGroupRow> = candidates
        .into_iter()
        .zip(adj)
        .filter(|(_, a)| *a < 0.05)
        .map(|((p, gi, g), a)| RaterGroupRow {
            panellist: s.panellists[p].clone(),
            group: Group::STATED[gi].key(),
            n_group: g.n_a,
            n_rest: g.n_b,
            difference: g.difference,
            ci95: g.ci95,
            p: g.p,
            p_holm: a,
        })
        .collect();
    flagged.sort_by(|a, b| a.panellist.cmp(&b.panellist).then(a.group.cmp(b.group)));

    let mut by_group: [Vec<f64>; 5] = Default::default();
    for (c, sum, n) in per_candidate {
        if let Some(gi) = stated_of(c) {
            by_group[gi].push(sum / n as f64);
        }
    }
    let diversity_scores = Group::STATED
        .iter()
        .zip(by_group)
        .map(|(g, xs)| {
            let n = xs.len() as u64;
            if suppression::is_suppressed(n, t) {
                return GroupMean {
                    group: g.key(),
                    label: g.label(),
                    candidates: Count::Suppressed,
                    mean: None,
                    ci95: None,
                };
            }
            let m = stats::mean_ci95(&xs).ok();
            GroupMean {
                group: g.key(),
                label: g.label(),
                candidates: Count::Shown(n),
                mean: m.as_ref().map(|m| m.mean),
                ci95: m.map(|m| m.ci95),
            }
        })
        .collect();
    (
        Raters {
            named_count: named.len(),
            flagged_count: named.iter().filter(|r| r.flag.is_some()).count(),
            named,
            not_named,
        },
        RaterGroups {
            flagged,
            tested: tested_pairs,
            not_tested,
        },
        diversity_scores,
    )
}
