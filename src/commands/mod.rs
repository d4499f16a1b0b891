//! One module per command group. Commands open the store, call the actions (where the rules live)
//! and hand a view to `output`; they neither parse arguments nor format text themselves.

mod audit;
mod bank;
mod candidate;
mod demo;
mod export;
mod fairness;
mod import;
mod panel;
mod person;
mod report;
mod review;
mod scoring;
mod serve;
mod setup;
pub mod stats;
mod vacancy;

use crate::cli::{Cli, Command};
use crate::interview::{Prompter, Terminal};
use crate::record::chain::Actor;
use crate::store::{Create, Store};
use anyhow::{anyhow, Result};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// What every command gets: where the database is, who claims to act and how they prove it, whether
/// it may prompt, and where output goes.
pub struct Ctx {
    pub db: Option<PathBuf>,
    /// The person named with --as, if any.
    pub claim: Option<String>,
    pub credential_file: Option<PathBuf>,
    pub interactive: bool,
    /// Database encryption key, if any.
    pub key: Option<String>,
    pub out: Box<dyn Write>,
}

impl Ctx {
    fn path(&self) -> Result<PathBuf> {
        match &self.db {
            Some(p) => Ok(p.clone()),
            None => crate::store::default_path(),
        }
    }

    /// Open the existing database; a missing file is refused (suggesting `init`). The actor is the
    /// operating-system login until someone proves who they are.
    pub fn store(&self) -> Result<Store> {
        Store::open(
            &self.path()?,
            Actor::login(&login_name()),
            self.key.as_deref(),
            Create::No,
        )
    }

    /// Open the database, creating it if missing (`init`, the demo).
    pub fn store_or_create(&self) -> Result<Store> {
        Store::open(
            &self.path()?,
            Actor::login(&login_name()),
            self.key.as_deref(),
            Create::Yes,
        )
    }

    /// The terminal, when this run may prompt.
    pub fn prompter(&self) -> Option<Box<dyn Prompter>> {
        self.interactive
            .then(|| Box::new(Terminal) as Box<dyn Prompter>)
    }

    /// The passphrase given for scripts, if any: --credential-file, else FAIRPANEL_CREDENTIAL.
    fn given_passphrase(&self) -> Result<Option<String>> {
        if let Some(f) = &self.credential_file {
            let text = crate::fsutil::read_small_text(f, "the credential file ")?;
            let p = text.lines().next().unwrap_or_default().to_string();
            if p.is_empty() {
                anyhow::bail!("the credential file {} is empty", f.display());
            }
            return Ok(Some(p));
        }
        Ok(std::env::var("FAIRPANEL_CREDENTIAL")
            .ok()
            .filter(|p| !p.is_empty()))
    }

    /// Prove that `name` (or the --as person) is acting, and make them the store's actor. With no
    /// name, nothing is proved and the login stays the actor. At a terminal the passphrase is asked
    /// for when it was not given.
    pub fn authenticate(&self, store: &mut Store, name: Option<&str>) -> Result<()> {
        let Some(name) = name.or(self.claim.as_deref()) else {
            return Ok(());
        };
        let person = store.person_named(name)?.ok_or_else(|| {
            anyhow!("there is no person called {name:?} (`fairpanel person list`)")
        })?;
        let passphrase = match self.given_passphrase()? {
            Some(p) => p,
            None => match self.prompter() {
                Some(mut p) => p.password(&format!("Passphrase for {name}"))?,
                None => {
                    return Err(crate::Usage(format!(
                        "acting as {name} needs {name}'s passphrase: give --credential-file PATH or set \
                         FAIRPANEL_CREDENTIAL (or run at a terminal to be asked)"
                    ))
                    .into())
                }
            },
        };
        let actor = crate::actions::identity::authenticate(&person, &passphrase)?;
        store.set_actor(actor);
        Ok(())
    }
}

impl Ctx {
    /// For the chair's own acts (moderate, decide, change the plan, consider a prompt): at a terminal
    /// without `--as`, ask for the chair's passphrase first, rather than asking every question and then
    /// refusing because nobody proved who they are.
    pub fn authenticate_chair(&self, store: &mut Store, vacancy: &str) -> Result<()> {
        if self.claim.is_some() || !self.interactive {
            return self.authenticate(store, None);
        }
        let l = store.vacancy(vacancy)?;
        let chair = l
            .state
            .chair()
            .and_then(|c| l.people.get(c.person))
            .filter(|p| p.credential.is_some())
            .map(|p| p.name.clone());
        self.authenticate(store, chair.as_deref())
    }
}

pub fn login_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .map(|v| crate::model::display_safe(&v).replace(':', "_"))
        .unwrap_or_else(|| "unknown".into())
}

impl Ctx {
    /// Write a file the user named (a report, an export, a key): private, whole, never through a
    /// link, and never over the database or its journal files.
    pub fn write_private(&self, path: &std::path::Path, bytes: &[u8]) -> Result<()> {
        self.check_output(path)?;
        crate::fsutil::write_private(path, bytes)
    }

    /// Whether `path` may be written (see [`Ctx::write_private`]): checked before any work is done,
    /// so a refused output leaves nothing done, recorded or half-written.
    pub fn check_output(&self, path: &std::path::Path) -> Result<()> {
        self.not_the_database(path)?;
        crate::fsutil::check_destination(path)
    }

    /// Refuse `path` if it is the database (by file identity, so another name or a link to it counts)
    /// or the journal, WAL or shared-memory file beside it.
    pub fn not_the_database(&self, path: &std::path::Path) -> Result<()> {
        let db = self.path()?;
        let same_file = || -> Option<bool> {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                let a = std::fs::metadata(path).ok()?;
                let b = std::fs::metadata(&db).ok()?;
                Some(a.dev() == b.dev() && a.ino() == b.ino())
            }
            #[cfg(not(unix))]
            Some(path.canonicalize().ok()? == db.canonicalize().ok()?)
        };
        let dir = |p: &std::path::Path| {
            p.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."))
                .canonicalize()
                .ok()
        };
        let beside = dir(path).is_some() && dir(path) == dir(&db);
        let name = path.file_name().map(|n| n.to_string_lossy().to_string());
        let db_name = db.file_name().map(|n| n.to_string_lossy().to_string());
        let companion = match (name, db_name) {
            (Some(n), Some(d)) => {
                beside
                    && [
                        d.clone(),
                        format!("{d}-wal"),
                        format!("{d}-shm"),
                        format!("{d}-journal"),
                    ]
                    .contains(&n)
            }
            _ => false,
        };
        if same_file().unwrap_or(false) || companion {
            anyhow::bail!(
                "{} is the database (or one of its journal files); choose another file to write",
                path.display()
            );
        }
        Ok(())
    }
}

pub fn run(cli: Cli) -> Result<()> {
    let key = match (
        &cli.key_file,
        std::env::var("FAIRPANEL_KEY")
            .ok()
            .filter(|k| !k.is_empty()),
    ) {
        (Some(f), _) => {
            let k = crate::fsutil::read_small_text(f, "the key file ")?;
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
        claim: cli.actor,
        credential_file: cli.credential_file,
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
        Command::Completions { shell } => {
            let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            // Rendered in memory first: the generator panics on a write error such as a closed pipe.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "fairpanel", &mut script);
            ctx.out.write_all(&script)?;
            ctx.out.flush()?;
            Ok(())
        }
        Command::Man => {
            let cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut ctx.out)?;
            ctx.out.flush()?;
            Ok(())
        }
        Command::Verify(a) => setup::verify(&mut ctx, a),
        Command::Log { limit, format } => setup::log(&mut ctx, limit, format.format),
        Command::Backup { file } => setup::backup(&mut ctx, &file),
        Command::Migrate { to, format } => setup::migrate(&mut ctx, &to, format.format),
        Command::Ethnicity(f) => setup::ethnicity(&mut ctx, f.format),
        Command::Person(c) => person::run(&mut ctx, c),
        Command::Credential(c) => person::credential(&mut ctx, c),
        Command::Key(c) => setup::key(&mut ctx, c),
        Command::Sign { key, format } => setup::sign(&mut ctx, &key, format.format),
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
            on_behalf_of,
            reason,
        } => scoring::submit(
            &mut ctx,
            &vacancy,
            &candidate,
            panellist,
            on_behalf_of,
            reason,
        ),
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
            revision_reason,
        } => review::moderate(
            &mut ctx,
            &vacancy,
            &candidate,
            question,
            score,
            reason,
            revision_reason,
        ),
        Command::Decide {
            vacancy,
            appoint,
            reserves,
            rationale,
            unresolved_reason,
            override_gaps,
            revision_reason,
        } => review::decide(
            &mut ctx,
            &vacancy,
            review::DecideArgs {
                appoint,
                reserves,
                rationale,
                unresolved_reason,
                override_gaps,
                revision_reason,
            },
        ),
        Command::Consider { vacancy, key, note } => review::consider(&mut ctx, &vacancy, key, note),
        Command::Review(a) => fairness::run(&mut ctx, a),
        Command::Check { vacancy, format } => review::check(&mut ctx, &vacancy, format.format),
        Command::Serve(a) => serve::serve(&mut ctx, a),
        Command::Report {
            vacancy,
            format,
            output,
        } => report::run(&mut ctx, &vacancy, format, output.as_deref()),
    }
}
