//! One module per command group. Commands open the store, apply the domain rules and hand a view to
//! `output`; they neither parse arguments nor format text themselves.

mod audit;
mod bank;
mod candidate;
mod demo;
mod export;
mod import;
mod panel;
mod report;
mod review;
mod scoring;
mod setup;
pub mod stats;
mod vacancy;

use crate::cli::{Cli, Command};
use crate::interview::{Prompter, Terminal};
use crate::store::Store;
use anyhow::Result;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// What every command gets: where the database is, who is acting, whether it may prompt, and where
/// output goes.
pub struct Ctx {
    pub db: Option<PathBuf>,
    pub actor: String,
    pub interactive: bool,
    /// Database encryption key, if any.
    pub key: Option<String>,
    pub out: Box<dyn Write>,
}

impl Ctx {
    pub fn store(&self) -> Result<Store> {
        let path = match &self.db {
            Some(p) => p.clone(),
            None => crate::store::default_path()?,
        };
        Store::open_with_key(&path, &self.actor, self.key.as_deref())
    }

    /// The terminal, when this run may prompt.
    pub fn prompter(&self) -> Option<Box<dyn Prompter>> {
        self.interactive
            .then(|| Box::new(Terminal) as Box<dyn Prompter>)
    }
}

fn login_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// Write a file that may hold personal data: created readable by its owner only.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use anyhow::Context;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

pub fn run(cli: Cli) -> Result<()> {
    let key = match (
        &cli.key_file,
        std::env::var("FAIRPANEL_KEY")
            .ok()
            .filter(|k| !k.is_empty()),
    ) {
        (Some(f), _) => {
            let k = std::fs::read_to_string(f)
                .map_err(|e| anyhow::anyhow!("cannot read the key file {}: {e}", f.display()))?;
            let k = k.trim().to_string();
            if k.is_empty() {
                anyhow::bail!("the key file {} is empty", f.display());
            }
            Some(k)
        }
        (None, k) => k,
    };
    let ctx = Ctx {
        key,
        db: cli.db,
        actor: cli.actor.unwrap_or_else(login_name),
        interactive: !cli.no_input
            && std::io::stdin().is_terminal()
            && std::io::stdout().is_terminal(),
        out: Box::new(std::io::stdout().lock()),
    };
    dispatch(ctx, cli.command)
}

pub fn dispatch(mut ctx: Ctx, command: Command) -> Result<()> {
    match command {
        Command::Init(f) => setup::init(&mut ctx, f.format),
        Command::Demo { out, scale, seed } => match scale {
            Some(n) => demo::synth(&mut ctx, &out, n, seed),
            None => demo::run(&mut ctx, &out),
        },
        Command::Verify(f) => setup::verify(&mut ctx, f.format),
        Command::Log { limit, format } => setup::log(&mut ctx, limit, format.format),
        Command::Backup { file } => setup::backup(&mut ctx, &file),
        Command::Ethnicity(f) => setup::ethnicity(&mut ctx, f.format),
        Command::Bank(c) => bank::run(&mut ctx, c),
        Command::Vacancy(c) => vacancy::run(&mut ctx, c),
        Command::Panel(c) => panel::run(&mut ctx, c),
        Command::Candidate(c) => candidate::run(&mut ctx, c),
        Command::Interview {
            vacancy,
            candidate,
            print,
            format,
        } => scoring::interview(&mut ctx, &vacancy, &candidate, print, format.format),
        Command::Score(a) => scoring::score(&mut ctx, a),
        Command::Submit {
            vacancy,
            candidate,
            panellist,
        } => scoring::submit(&mut ctx, &vacancy, &candidate, &panellist),
        Command::Reveal {
            vacancy,
            candidate,
            format,
        } => scoring::reveal(&mut ctx, &vacancy, &candidate, format.format),
        Command::Import(c) => import::run(&mut ctx, c),
        Command::Audit(a) => audit::run(&mut ctx, a),
        Command::Export(c) => export::run(&mut ctx, c),
        Command::Stats(c) => stats::run(&c, &mut ctx.out),
        Command::Moderate {
            vacancy,
            candidate,
            question,
            score,
            reason,
        } => review::moderate(&mut ctx, &vacancy, &candidate, question, score, reason),
        Command::Decide {
            vacancy,
            appoint,
            reserves,
            rationale,
            unresolved_reason,
        } => review::decide(
            &mut ctx,
            &vacancy,
            &appoint,
            &reserves,
            &rationale,
            unresolved_reason.as_deref(),
        ),
        Command::Check { vacancy, format } => review::check(&mut ctx, &vacancy, format.format),
        Command::Report {
            vacancy,
            format,
            output,
        } => report::run(&mut ctx, &vacancy, format, output.as_deref()),
    }
}
