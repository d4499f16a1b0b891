//! `fairpanel stats ...`: clap definitions only.

use std::path::PathBuf;

/// Output format of the stats commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StatsFormat {
    /// Aligned plain-text table with a note of the conventions used.
    #[default]
    Text,
    /// Pretty-printed JSON with stable keys.
    Json,
}

/// Level of measurement for Krippendorff's alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AlphaLevel {
    Nominal,
    Ordinal,
    Interval,
    Ratio,
}

/// Statistics for analysts, on CSV files or counts.
#[derive(Debug, clap::Subcommand)]
pub enum StatsCommand {
    /// Intraclass correlations (all six Shrout & Fleiss forms) from long-format scores.
    Icc(IccArgs),
    /// Krippendorff's alpha, which tolerates missing values.
    Alpha(AlphaArgs),
    /// Kendall's coefficient of concordance W, corrected for ties.
    Kendall(KendallArgs),
    /// Selection rates, impact ratios against the highest-rate group, four-fifths rule.
    Impact(ImpactArgs),
    /// WRES relative likelihood of White vs BME shortlisted applicants being appointed.
    Wres(WresArgs),
    /// Fisher's exact test for the 2x2 table [[A, B], [C, D]].
    Fisher(FisherArgs),
    /// Generalizability theory: how much of the score spread is candidates, panellists and
    /// questions, and how many panellists and questions a decision needs (G and D study).
    Gtheory(GtheoryArgs),
    /// Differential item functioning per question by the stratified method: Mantel chi-square,
    /// standardised mean difference, ETS classes, Liu-Agresti odds ratio.
    Dif(DifArgs),
    /// Differential item functioning per question by ordinal logistic regression.
    DifLr(DifArgs),
}

/// CSV input and column names for targets × raters scores.
#[derive(Debug, Clone, clap::Args)]
pub struct ScoreColumns {
    /// CSV file with a header row; `-` reads standard input.
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// Column naming the candidate (or other object) scored.
    #[arg(long, default_value = "target", value_name = "NAME")]
    pub target_col: String,
    /// Column naming the rater.
    #[arg(long, default_value = "rater", value_name = "NAME")]
    pub rater_col: String,
    /// Column holding the score; an empty cell is a missing score.
    #[arg(long, default_value = "score", value_name = "NAME")]
    pub score_col: String,
}

#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Columns: target,rater,score (one row per score). Targets lacking any \
rater's score are dropped and listed. A repeated (target, rater) pair is an error."
)]
pub struct IccArgs {
    #[command(flatten)]
    pub columns: ScoreColumns,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    pub format: StatsFormat,
}

#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Columns: unit,rater,value (one row per value; an empty value is missing). \
Units with fewer than two values are not pairable and are ignored."
)]
pub struct AlphaArgs {
    /// CSV file with a header row; `-` reads standard input.
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// Level of measurement, which fixes how disagreements are weighted.
    #[arg(long, value_enum)]
    pub level: AlphaLevel,
    /// Column naming the unit (the thing rated).
    #[arg(long, default_value = "unit", value_name = "NAME")]
    pub unit_col: String,
    /// Column naming the rater.
    #[arg(long, default_value = "rater", value_name = "NAME")]
    pub rater_col: String,
    /// Column holding the value.
    #[arg(long, default_value = "value", value_name = "NAME")]
    pub value_col: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    pub format: StatsFormat,
}

#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Columns: target,rater,score. Each rater's scores are ranked across \
targets (midranks for ties). Targets lacking any rater's score are dropped."
)]
pub struct KendallArgs {
    #[command(flatten)]
    pub columns: ScoreColumns,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    pub format: StatsFormat,
}

#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Columns: group,applicants,selected (one row per group). The reference \
is the highest-rate group (first listed on a tie); adverse means an impact ratio below 0.80."
)]
pub struct ImpactArgs {
    /// CSV file with a header row; `-` reads standard input.
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// Column naming the group.
    #[arg(long, default_value = "group", value_name = "NAME")]
    pub group_col: String,
    /// Column holding the number of applicants.
    #[arg(long, default_value = "applicants", value_name = "NAME")]
    pub applicants_col: String,
    /// Column holding the number selected.
    #[arg(long, default_value = "selected", value_name = "NAME")]
    pub selected_col: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    pub format: StatsFormat,
}

#[derive(Debug, Clone, clap::Args)]
pub struct WresArgs {
    /// White applicants shortlisted.
    #[arg(long, value_name = "N")]
    pub white_shortlisted: u64,
    /// White applicants appointed from shortlisting.
    #[arg(long, value_name = "N")]
    pub white_appointed: u64,
    /// BME applicants shortlisted.
    #[arg(long, value_name = "N")]
    pub bme_shortlisted: u64,
    /// BME applicants appointed from shortlisting.
    #[arg(long, value_name = "N")]
    pub bme_appointed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    pub format: StatsFormat,
}

#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "The table is [[A, B], [C, D]]: rows are the two groups, columns the \
outcome (e.g. selected, not selected)."
)]
pub struct FisherArgs {
    /// Top-left cell.
    #[arg(value_name = "A")]
    pub a: u64,
    /// Top-right cell.
    #[arg(value_name = "B")]
    pub b: u64,
    /// Bottom-left cell.
    #[arg(value_name = "C")]
    pub c: u64,
    /// Bottom-right cell.
    #[arg(value_name = "D")]
    pub d: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    pub format: StatsFormat,
}

#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Columns: candidate,rater,question,score (one row per score), plus \
vacancy for \"(p x r x i):v\". Designs: \"p x r\" (one question), \"p x i\" (one score per \
question), \"p x r x i\" (every panellist scores every question), \"p x (r:i)\" (each question \
has its own panellists), \"(p x r x i):v\" (pooled over vacancies; panels may differ in size). \
Candidates missing any score of the design are dropped and listed; an empty score is missing."
)]
pub struct GtheoryArgs {
    /// CSV file with a header row; `-` reads standard input.
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// The G-study design, e.g. "p x r x i".
    #[arg(long, value_name = "DESIGN")]
    pub design: String,
    /// Column naming the candidate.
    #[arg(long, default_value = "candidate", value_name = "NAME")]
    pub candidate_col: String,
    /// Column naming the rater (panellist).
    #[arg(long, default_value = "rater", value_name = "NAME")]
    pub rater_col: String,
    /// Column naming the question.
    #[arg(long, default_value = "question", value_name = "NAME")]
    pub question_col: String,
    /// Column holding the score; an empty cell is a missing score.
    #[arg(long, default_value = "score", value_name = "NAME")]
    pub score_col: String,
    /// Column naming the vacancy (pooled design).
    #[arg(long, default_value = "vacancy", value_name = "NAME")]
    pub vacancy_col: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    pub format: StatsFormat,
}

#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Input is either explicit strata, one row per candidate and question: \
candidate,question,stratum,group,score (dif) or candidate,question,matching,group,score (dif-lr); \
or rater-level scores: vacancy,candidate,rater,question,score,group (vacancy optional), where the \
item score is the panel's mean and the matching score the mean over questions, the studied one \
included. Candidates in other groups are left out. A flag is a prompt to review the question and \
its scoring anchors, not proof of bias."
)]
pub struct DifArgs {
    /// CSV file with a header row; `-` reads standard input.
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// The reference group, as written in the group column (e.g. White).
    #[arg(long, value_name = "GROUP")]
    pub reference: String,
    /// The focal group studied for disadvantage (e.g. Black).
    #[arg(long, value_name = "GROUP")]
    pub focal: String,
    /// Column holding each candidate's group.
    #[arg(long, default_value = "group", value_name = "NAME")]
    pub group_col: String,
    /// Rater-level data: number of bands of the matching score used as strata.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub bands: usize,
    /// Rater-level data: cross the bands with vacancy.
    #[arg(long)]
    pub by_vacancy: bool,
    /// Rater-level data: two-stage purification (drop flagged questions from the matching score
    /// and analyse again).
    #[arg(long)]
    pub purify: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    pub format: StatsFormat,
}
