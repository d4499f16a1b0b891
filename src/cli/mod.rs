//! Command-line definitions (clap). No logic here.

pub mod stats;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

use crate::model::Role;

/// The heading global options share in every command's help, so they read once, apart from the
/// command's own options.
const GLOBAL: &str = "Global options";

#[derive(Debug, Parser)]
#[command(
    name = "fairpanel",
    version,
    about = "Fairer job interviews: structured questions, sealed independent scores, bias checks and an HR audit",
    long_about = "fairpanel guides an interview panel through a shared question bank with anchored rating scales, \
keeps each panellist's scores sealed until everyone has submitted, flags panel composition gaps, divergent \
scores and overruled dissent, and produces decision reports and an HR audit with honest statistics.",
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Database file [default: the platform data directory, e.g. ~/.local/share/fairpanel/fairpanel.db]
    #[arg(long, global = true, env = "FAIRPANEL_DB", value_name = "PATH", help_heading = GLOBAL)]
    pub db: Option<PathBuf>,

    /// Act as this person, proving it with their passphrase (asked for at a terminal, or from
    /// --credential-file or FAIRPANEL_CREDENTIAL). Without it, the operating-system login is recorded
    #[arg(long = "as", global = true, env = "FAIRPANEL_AS", value_name = "NAME", help_heading = GLOBAL)]
    pub actor: Option<String>,

    /// File holding your passphrase, for scripts (FAIRPANEL_CREDENTIAL may hold it instead)
    #[arg(
        long,
        global = true,
        env = "FAIRPANEL_CREDENTIAL_FILE",
        value_name = "PATH",
        help_heading = GLOBAL
    )]
    pub credential_file: Option<PathBuf>,

    /// File holding the database encryption key (needs a build with the `encryption` feature);
    /// FAIRPANEL_KEY may hold the key itself
    #[arg(long, global = true, env = "FAIRPANEL_KEY_FILE", value_name = "PATH", help_heading = GLOBAL)]
    pub key_file: Option<PathBuf>,

    /// Never prompt: fail with a usage error when a required flag is missing
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub no_input: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// A period of vacancy creation for histories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Year,
    Quarter,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
    Json,
}

#[derive(Debug, Clone, Copy, Args)]
pub struct FormatArg {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database (other commands refuse a missing file, so a mistyped --db is caught)
    Init(FormatArg),
    /// Build a realistic demonstration vacancy in a fresh database and write its decision report
    Demo {
        /// Directory for the demo database and reports
        #[arg(long, default_value = "fairpanel-demo")]
        out: PathBuf,
        /// Instead, generate a synthetic organisation with N vacancies (about 50 applicants each) into
        /// OUT/fairpanel-synth.db, for testing the audit at scale
        #[arg(long, value_name = "N")]
        scale: Option<usize>,
        /// Seed for --scale: the same seed and scale give the same organisation
        #[arg(long, default_value_t = 1, requires = "scale")]
        seed: u64,
    },
    /// Print a shell completion script (e.g. `fairpanel completions bash > ~/.local/share/bash-completion/completions/fairpanel`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page in roff (e.g. `fairpanel man > ~/.local/share/man/man1/fairpanel.1`)
    Man,
    /// Replay the whole record and check that nothing was edited, added or removed
    Verify(VerifyArgs),
    /// Show the event log (who did what, when)
    Log {
        /// Show only the last N events
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Back up the database to a new SQLite file (safe while others are scoring; on PostgreSQL a
    /// verified copy of the whole record)
    Backup {
        /// New file to write
        file: PathBuf,
    },
    /// Copy the whole record to another database (an SQLite file to PostgreSQL or back), then
    /// verify both and print the head hash they share
    Migrate {
        /// The new, empty database: a file path or postgres://user@host/dbname
        #[arg(long, value_name = "DB")]
        to: PathBuf,
        #[command(flatten)]
        format: FormatArg,
    },
    /// People: panellists, chairs, HR officers and fairness reviewers, each with their own identity
    #[command(subcommand)]
    Person(PersonCmd),
    /// Passphrases: set yours from an invitation, issue a new invitation, revoke
    #[command(subcommand)]
    Credential(CredentialCmd),
    /// Question banks
    #[command(subcommand)]
    Bank(BankCmd),
    /// Vacancies: one post being recruited
    #[command(subcommand)]
    Vacancy(VacancyCmd),
    /// Interview panels
    #[command(subcommand)]
    Panel(PanelCmd),
    /// Candidates, referenced by an opaque ref such as C-014
    #[command(subcommand)]
    Candidate(CandidateCmd),
    /// Guide the chair through the interview plan, question by question
    Interview {
        vacancy: String,
        /// Candidate ref
        candidate: String,
        /// Print the whole guide instead of stepping through it
        #[arg(long)]
        print: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Score one candidate privately as one panellist (interactive, or one answer by flags)
    Score(ScoreArgs),
    /// Submit and seal a panellist's score sheet
    Submit {
        vacancy: String,
        candidate: String,
        /// Whose sheet (asked for when interactive; defaults to --as)
        #[arg(long)]
        panellist: Option<String>,
        /// Submit a paper sheet entered for this panellist (recorded as a transcription)
        #[arg(
            long,
            value_name = "NAME",
            conflicts_with = "panellist",
            requires = "reason"
        )]
        on_behalf_of: Option<String>,
        /// Why the sheet is entered by someone else (with --on-behalf-of)
        #[arg(long, requires = "on_behalf_of")]
        reason: Option<String>,
    },
    /// Show every panellist's scores side by side, once all sheets are submitted
    Reveal {
        vacancy: String,
        candidate: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record agreed scores after reveal, with a reason wherever they differ from the independent median
    Moderate {
        vacancy: String,
        candidate: String,
        /// Question id, to record one agreed score without prompting
        #[arg(long, requires = "score")]
        question: Option<String>,
        #[arg(long, requires = "question", allow_negative_numbers = true)]
        score: Option<i64>,
        /// Why the panel agreed this score: the evidence, not the majority
        #[arg(long, requires = "question")]
        reason: Option<String>,
        /// Revising an agreed score already recorded: why (the earlier one stays on the record)
        #[arg(long, requires = "question")]
        revision_reason: Option<String>,
    },
    /// Record the decision; checks run first and ask for a rationale where one is needed
    Decide {
        vacancy: String,
        /// Candidate ref to appoint (asked for when interactive)
        #[arg(long)]
        appoint: Option<String>,
        /// Reserve candidates, in order
        #[arg(long = "reserve", value_name = "REF")]
        reserves: Vec<String>,
        /// Why this candidate: the criteria and the evidence (asked for when interactive)
        #[arg(long)]
        rationale: Option<String>,
        /// Record the decision although divergent scores have no moderation entry, and say why
        #[arg(long, value_name = "TEXT")]
        unresolved_reason: Option<String>,
        /// Record the decision although the checks find gaps: your name and this reason are recorded
        /// and shown at the top of the decision report
        #[arg(long, value_name = "REASON")]
        override_gaps: Option<String>,
        /// Revise (or re-affirm) a decision already recorded: why (the earlier one stays on the record)
        #[arg(long, value_name = "TEXT")]
        revision_reason: Option<String>,
    },
    /// Fairness review: read the decision's summary and sign it off, or return it to the chair with
    /// questions, as yourself (--reviewer NAME, with your passphrase); `review answer` is the chair's
    /// reply to a returned decision
    Review(ReviewArgs),
    /// Run every check on a vacancy; exits 3 when any finds a gap
    Check {
        vacancy: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Export data as CSV (cells that a spreadsheet would run as formulas are neutralised)
    #[command(subcommand)]
    Export(ExportCmd),
    /// Import data from CSV files
    #[command(subcommand)]
    Import(ImportCmd),
    /// List accepted ethnicity categories (NHS codes and ONS 2021 labels) and their groups
    Ethnicity(FormatArg),
    /// Statistics for analysts on CSV from any system: reliability, concordance, adverse impact, exact tests
    #[command(subcommand)]
    Stats(stats::StatsCommand),
    /// The HR audit across vacancies: funnel by ethnic group, adverse impact, WRES, reliability, rater effects
    Audit(AuditArgs),
    /// Mark a language prompt in a vacancy's report as considered, with a note (at a terminal, choose
    /// the prompt from a list)
    Consider {
        vacancy: String,
        /// The prompt's key, as `fairpanel check VACANCY --format json` gives it (asked for when
        /// interactive)
        key: Option<String>,
        /// What the panel made of it (asked for when interactive)
        #[arg(long)]
        note: Option<String>,
    },
    /// Sign the record's current head with an Ed25519 key held outside the database, so a rewrite by
    /// someone without the key is detected (`verify --public-key`)
    Sign {
        /// Private key file made by `fairpanel key generate`
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Signing keys for `fairpanel sign`
    #[command(subcommand)]
    Key(KeyCmd),
    /// Serve the panel's scoring pages and JSON API, so each panellist scores on their own device while
    /// the database stays on this machine. Prints your personal link when you act --as yourself
    Serve(ServeArgs),
    /// Write the decision report for a vacancy
    Report {
        vacancy: String,
        #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
        format: ReportFormat,
        /// Write to FILE instead of standard output
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on [default: 127.0.0.1:8470, or this machine's local network
    /// address with --lan]; port 0 picks a free one
    #[arg(long, value_name = "ADDR")]
    pub addr: Option<String>,
    /// Listen on the local network so panellists' own laptops, tablets and phones can reach it
    #[arg(long)]
    pub lan: bool,
    /// Use HTTPS, with a self-signed certificate made on first start and kept beside the database
    /// (or the trust's own, with --cert and --key)
    #[arg(long)]
    pub tls: bool,
    /// Certificate chain (PEM) the trust provides; implies --tls
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) for --cert
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Name this address in links (e.g. a host name panellists' devices know) instead of the one
    /// listened on
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReviewArgs {
    #[command(subcommand)]
    pub command: Option<ReviewCmd>,
    /// The vacancy whose decision is reviewed
    #[arg(required = true)]
    pub vacancy: Option<String>,
    /// Who is reviewing; implies --as NAME, so the reviewer's own passphrase is needed
    #[arg(long, value_name = "NAME")]
    pub reviewer: Option<String>,
    /// Sign the decision off
    #[arg(long, conflicts_with = "return_decision")]
    pub sign_off: bool,
    /// Return the decision to the chair with one --question or more
    #[arg(long = "return", id = "return_decision", requires = "questions")]
    pub return_decision: bool,
    /// A question the chair must answer (repeat for more); with --return
    #[arg(long = "question", value_name = "TEXT", requires = "return_decision")]
    pub questions: Vec<String>,
    /// A remark recorded with the review
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// The receipt of the report you read (`N:HASH`, or the report file itself); refused when the
    /// vacancy's record has changed since [default: the summary shown now]
    #[arg(long, value_name = "RECEIPT|FILE")]
    pub receipt: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ReviewCmd {
    /// The chair answers a returned review's questions (then records the decision again with
    /// `decide … --revision-reason`, and the reviewer reviews it again)
    Answer {
        vacancy: String,
        /// The review's number, as the decision report and `review` show it
        #[arg(long, value_name = "SEQ")]
        review: i64,
        /// The answer (asked for when interactive)
        #[arg(long, value_name = "TEXT")]
        answer: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BankCmd {
    /// List bundled banks
    List(FormatArg),
    /// Show a bank's questions, probes and anchors; with --dif, each question's item-bias history
    /// from the database instead
    Show {
        /// Bundled bank id or a YAML file
        bank: String,
        /// Show each question's item bias (DIF) by ethnic group against White, period by period,
        /// computed as the audit does from the vacancies created in each period
        #[arg(long)]
        dif: bool,
        /// With --dif: one period per year or per quarter of vacancy creation
        #[arg(long, value_enum, default_value_t = Period::Year, requires = "dif")]
        by: Period,
        /// With --dif: only this question
        #[arg(long, value_name = "ID", requires = "dif")]
        question: Option<String>,
        /// With --dif: policy file for the suppression threshold (default: the built-in policy)
        #[arg(long, value_name = "FILE", requires = "dif")]
        policy: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Validate bank files, reporting every problem as file:line:column
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum VacancyCmd {
    /// Create a vacancy (asks for anything not given as a flag)
    Create(VacancyCreate),
    /// List vacancies
    List(FormatArg),
    /// Show a vacancy, its panel, candidates and progress
    Show {
        id: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Change the question plan before any score is given (the chair's decision, recorded)
    Questions {
        id: String,
        /// Question ids in interview order (asked for when interactive)
        #[arg(long, value_delimiter = ',')]
        questions: Option<Vec<String>>,
        #[arg(long)]
        reason: Option<String>,
        /// Change the plan although it misses a category the policy requires, and say why
        #[arg(long, value_name = "REASON")]
        override_coverage: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct VacancyCreate {
    /// Short stable id, e.g. TT-PWP-2026-07
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long)]
    pub title: Option<String>,
    /// Bundled bank id or a bank YAML file
    #[arg(long)]
    pub bank: Option<String>,
    /// Question ids in interview order, or "all"
    #[arg(long, value_delimiter = ',')]
    pub questions: Option<Vec<String>>,
    /// Band or grade, e.g. "Band 5"
    #[arg(long)]
    pub band: Option<String>,
    /// Service, e.g. "North Talking Therapies"
    #[arg(long)]
    pub service: Option<String>,
    /// Policy YAML file [default: the built-in policy]
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Create the vacancy although its plan misses a category the policy requires (such as a
    /// question on attitudes to diversity), and say why; needs --as (a named person's decision)
    #[arg(long, value_name = "REASON")]
    pub override_coverage: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PanelCmd {
    /// Add a panellist (asks for anything not given as a flag)
    Add(PanelAdd),
    /// List a vacancy's panel
    List {
        vacancy: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Check the panel's composition (size, ethnic-minority member, training, conflicts); exits 3 on a gap
    Check {
        vacancy: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// A panellist's personal link for scoring in a browser (`fairpanel serve` must be running), with a
    /// QR code to scan; one-time, it becomes a session on the device that opens it. The chair's to give
    Invite {
        vacancy: String,
        #[arg(long)]
        panellist: String,
        /// The server's address, when it is not the one `fairpanel serve` recorded beside the database
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// End a panellist's browser sessions (a lost phone, a link given to the wrong person): the
    /// chair's act, recorded
    SignOut {
        vacancy: String,
        /// The panellist
        name: String,
        #[arg(long)]
        reason: String,
    },
    /// Declare a panellist's conflict of interest with a candidate
    Conflict {
        vacancy: String,
        #[arg(long)]
        panellist: String,
        #[arg(long)]
        candidate: String,
        /// What the conflict is, e.g. "line manager in current post"
        #[arg(long)]
        note: String,
    },
    /// Stand a panellist down (conflict of interest, absence, added by mistake): the chair's decision,
    /// recorded; their sheets for candidates not yet revealed are withdrawn, not deleted
    StandDown {
        vacancy: String,
        /// The panellist
        name: String,
        #[arg(long)]
        reason: String,
    },
    /// Correct a panellist's name (a typo), on the record
    Rename {
        vacancy: String,
        old: String,
        new: String,
        #[arg(long)]
        reason: String,
    },
    /// Change or withdraw your own self-declared ethnicity (run as yourself, with --as)
    Ethnicity {
        vacancy: String,
        #[arg(long)]
        name: String,
        /// NHS code (A–S, Z) or ONS 2021 label
        #[arg(
            long,
            conflicts_with = "withdraw",
            required_unless_present = "withdraw"
        )]
        ethnicity: Option<String>,
        /// Withdraw the declaration
        #[arg(long)]
        withdraw: bool,
    },
}

#[derive(Debug, Args)]
pub struct PanelAdd {
    pub vacancy: String,
    /// The panellist's name (asked for when interactive)
    #[arg(long)]
    pub name: Option<String>,
    /// Role on the panel [default: member]
    #[arg(long, value_enum)]
    pub role: Option<Role>,
    /// Self-declared, optional: NHS ETHNIC CATEGORY code (A–S, Z), ONS 2021 label, or everyday wording
    /// that fits one category ("White English"); used only for the panel composition check
    #[arg(long)]
    pub ethnicity: Option<String>,
    /// Date of fair-recruitment training (YYYY-MM-DD or DD/MM/YYYY)
    #[arg(long, value_name = "DATE")]
    pub trained: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CandidateCmd {
    /// Add a candidate by opaque reference (asks for anything not given as a flag)
    Add {
        vacancy: String,
        #[arg(long = "ref")]
        reference: Option<String>,
        /// Optional name (reports use the ref)
        #[arg(long)]
        name: Option<String>,
    },
    /// Write everything held about one candidate as JSON (for a subject access request)
    Export {
        vacancy: String,
        candidate: String,
        /// Write to FILE instead of standard output
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Erase one candidate's monitoring data (ethnicity and the like); HR's act, recorded
    EraseMonitoring {
        vacancy: String,
        candidate: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Erase everything personal about one candidate (name, monitoring data, evidence notes); scores,
    /// agreed scores and the decision stay under the pseudonymous ref. HR's act, recorded
    Erase {
        vacancy: String,
        candidate: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Record that a candidate withdrew (the chair's act), so a decision need not wait for them
    Withdraw {
        vacancy: String,
        candidate: String,
        #[arg(long)]
        reason: String,
    },
    /// List a vacancy's candidates and their scoring progress
    List {
        vacancy: String,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    pub vacancy: String,
    pub candidate: String,
    /// Panellist name (asked for when interactive)
    #[arg(long)]
    pub panellist: Option<String>,
    /// Question id, to record one answer without prompting
    #[arg(long, requires_all = ["score", "evidence"])]
    pub question: Option<String>,
    #[arg(long, requires = "question", allow_negative_numbers = true)]
    pub score: Option<i64>,
    /// What the candidate said or did that supports the score
    #[arg(long, requires = "question")]
    pub evidence: Option<String>,
    /// Correct a submitted sheet: the correction is kept beside the original, with this reason
    #[arg(long, requires = "question")]
    pub correction_reason: Option<String>,
    /// Enter a paper sheet for this panellist (recorded as a transcription by you)
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with = "panellist",
        requires = "reason"
    )]
    pub on_behalf_of: Option<String>,
    /// Why the sheet is entered by someone else (with --on-behalf-of)
    #[arg(long, requires = "on_behalf_of")]
    pub reason: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Import paper score sheets: vacancy,candidate,panellist,question,score,evidence (all or nothing);
    /// recorded as transcribed by you, with the reason
    Scores {
        file: PathBuf,
        /// Why these sheets are entered by someone other than the panellists, e.g. "paper sheets
        /// from the 12 March panel"
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Import application pipeline data: vacancy,candidate,stage,ethnicity[,gender,disability,internal]
    /// (all or nothing; re-importing updates rather than duplicates)
    Applications {
        file: PathBuf,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// Revealed scores, one row per panellist, candidate and question, with agreed scores; in the
    /// import format plus columns. Candidates whose sheets are still sealed are left out.
    Scores {
        vacancy: String,
        /// Write to FILE instead of standard output
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Vacancies created on or after this date (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Vacancies created on or before this date (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Only vacancies in this band, e.g. "Band 5"
    #[arg(long)]
    pub band: Option<String>,
    /// Only vacancies in this service
    #[arg(long)]
    pub service: Option<String>,
    /// Policy YAML for suppression and rater thresholds [default: the built-in policy]
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    /// Write to FILE instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A receipt (`N:HASH`) from a report, audit or export, or a file holding one: checks the record
    /// still contains that point unchanged
    #[arg(long, value_name = "RECEIPT|FILE")]
    pub receipt: Option<String>,
    /// Public key file (from `fairpanel key generate`): every signature must check, and at least one
    /// must be present
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrgRoleArg {
    Hr,
    Reviewer,
}

#[derive(Debug, Subcommand)]
pub enum PersonCmd {
    /// Add a person; prints their one-time invitation to set a passphrase
    Add {
        name: String,
        /// Organisation roles: hr (audit, subject access, erasure), reviewer (fairness review)
        #[arg(long = "role", value_enum)]
        roles: Vec<OrgRoleArg>,
        /// Date of fairness-review training, for reviewers (YYYY-MM-DD or DD/MM/YYYY)
        #[arg(long, value_name = "DATE")]
        trained: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List people and whether each has set a passphrase
    List(FormatArg),
    /// Set a person's organisation roles (replacing the old ones)
    Role {
        name: String,
        #[arg(long = "role", value_enum)]
        roles: Vec<OrgRoleArg>,
        #[arg(long, value_name = "DATE")]
        trained: Option<String>,
    },
    /// Correct a person's name, on the record
    Rename {
        old: String,
        new: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CredentialCmd {
    /// Set your passphrase from the one-time invitation you were given
    Redeem {
        /// The invitation (asked for when interactive)
        #[arg(long, value_name = "CODE")]
        invite: Option<String>,
        /// Read the new passphrase from this file (at least 12 characters)
        #[arg(long, value_name = "FILE", conflicts_with = "save")]
        passphrase_file: Option<PathBuf>,
        /// Make up a strong passphrase and save it to this new file (readable by you only)
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
    },
    /// Issue a new one-time invitation (a forgotten passphrase); the person sets a new passphrase with it
    Invite {
        name: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Revoke a person's passphrase, browser sessions and unused invitations
    Revoke {
        name: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Make an Ed25519 key pair: FILE (private, keep it away from the database) and FILE.pub
    Generate {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}
