//! Storage: the only module that knows SQL.
//!
//! One SQLite file per organisation or team. The event log is the record; every other table is
//! derived from it (see [`crate::record`]) and rewritten by fairpanel alone after each change. WAL mode
//! and a busy timeout let several panellists score at once; every write runs in an IMMEDIATE
//! transaction so concurrent writers queue on the busy timeout instead of failing with "database is
//! locked".
//!
//! Reads about one vacancy are verified on the way in ([`log`]): the vacancy's own events, the people
//! and bank they refer to, and the chain since the last checkpoint, so a report never shows an altered
//! record as clean, at a cost that does not grow with the rest of the database.

mod audit;
mod bulk;
mod copy;
pub mod db;
mod legacy;
pub mod log;
mod postgres;
mod project;
mod schema;
mod verify;

pub use audit::*;
pub use bulk::*;
pub use log::{Altered, Integrity, Loaded, TailStatus};
pub use project::key_ids;
pub use schema::VERSION as SCHEMA_VERSION;
pub use verify::{Broken, VerifyReport};

use crate::params;
use crate::record::chain::Actor;
use crate::record::people::People;
use crate::record::seal::{Key, Keyring};
use crate::record::vacancy::VacancyState;
use crate::record::{Banks, Fact, Scope};
use anyhow::{anyhow, bail, Context, Result};
use db::{Behavior, Connection, OptionalExtension};
use rusqlite::OpenFlags;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `PRAGMA application_id` of fairpanel databases ("FPNL").
pub const APPLICATION_ID: i64 = 0x4650_4E4C;

/// Events between automatic checkpoints: a reader walks at most this many events of other scopes.
pub const CHECKPOINT_EVERY: i64 = 1024;

/// Whether a missing database file may be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// `init` and the demo: create it.
    Yes,
    /// Every other command: a missing file is a mistake (a mistyped `--db`).
    No,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Who is acting, recorded in every event.
    actor: Actor,
    /// The database encryption key, kept so backups are encrypted with it too.
    key: Option<String>,
    read_only: bool,
    /// What SQLite was given to open it: the path, or an immutable URI (see [`Store::open`]), for
    /// opening more readers the same way.
    opened: PathBuf,
}

/// The database location: `--db`, else `FAIRPANEL_DB` (both handled by clap), else the platform data dir.
pub fn default_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "fairpanel")
        .context("cannot find a home directory for the default database; pass --db PATH")?;
    Ok(dirs.data_dir().join("fairpanel.db"))
}

fn describe_sqlite(code: rusqlite::ErrorCode, path: &Path) -> Option<String> {
    use rusqlite::ErrorCode::*;
    match code {
            NotADatabase if cfg!(feature = "encryption") => Some(format!(
                "{} cannot be read: the database key is wrong or missing, or it is not a fairpanel database; \
                 it was left untouched",
                path.display()
            )),
            NotADatabase => Some(format!(
                "{} is not a fairpanel database (not an SQLite file, or an encrypted one); it was left untouched",
                path.display()
            )),
            DatabaseCorrupt => Some(format!(
                "{} is damaged (truncated or corrupt); it was left untouched. Restore it from a backup \
                 (`fairpanel backup` makes one)",
                path.display()
            )),
        _ => None,
    }
}

fn is_read_only_error(e: &anyhow::Error) -> bool {
    use rusqlite::ErrorCode::{CannotOpen, ReadOnly};
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(f, _)) if matches!(f.code, ReadOnly | CannotOpen)
        ) || matches!(
            c.downcast_ref::<db::Error>()
                .and_then(db::Error::sqlite_code),
            Some(ReadOnly | CannotOpen)
        )
    })
}

/// The existing `.db` files beside a missing one, nearest name first, to suggest after a typo.
fn nearby(path: &Path) -> Vec<String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let want = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut found: Vec<(usize, String)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().to_string();
            (n.ends_with(".db") && e.path().is_file()).then(|| (edit_distance(&want, &n), n))
        })
        .collect();
    found.sort();
    found
        .into_iter()
        .take(3)
        .map(|(_, n)| dir.join(n).display().to_string())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Flags for another connection opened the way the store's was (read-only or not; `uri` when the
/// store opened an immutable URI).
pub(crate) fn reader_flags(read_only: bool, uri: bool) -> OpenFlags {
    let f = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    if uri {
        f | OpenFlags::SQLITE_OPEN_URI
    } else {
        f
    }
}

/// Refuse anything at `path` that is not a regular file, before touching it.
fn check_path(path: &Path) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(true),
        Ok(_) => bail!(
            "{} is not a regular file (a directory, device or pipe); fairpanel keeps its database in a file \
             and left this untouched",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(anyhow!("cannot read {}: {e}", path.display())),
    }
}

fn connect(path: &Path, flags: OpenFlags, key: Option<&str>) -> Result<Connection> {
    Ok(Connection::Lite(connect_lite(path, flags, key)?))
}

fn connect_lite(path: &Path, flags: OpenFlags, key: Option<&str>) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(path, flags)
        .with_context(|| format!("cannot open {}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(30))?;
    // Writing one vacancy's derived rows cycles through more statements than rusqlite's default cache of
    // 16 holds; past that every statement was parsed again for every event.
    conn.set_prepared_statement_cache_capacity(128);
    if let Some(k) = key {
        // SQLCipher needs the key before anything else touches the file.
        conn.pragma_update(None, "key", k)?;
    }
    // The guard the derived tables' triggers call: only fairpanel's connections define it.
    conn.create_scalar_function(
        "fp_writer",
        0,
        rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        |_| Ok(1i64),
    )?;
    Ok(conn)
}

impl Store {
    /// Open an existing fairpanel database (or create one, for `init` and the demo). A foreign SQLite
    /// file, a damaged file, a non-regular file or one written by a newer fairpanel is refused and
    /// left untouched. When the file or its directory is read-only, the database is opened read-only
    /// and only reads work.
    pub fn open(path: &Path, actor: Actor, key: Option<&str>, create: Create) -> Result<Store> {
        if let Some(url) = postgres::url(path) {
            return Store::open_server(url, actor, key, create);
        }
        if key.is_some() && !cfg!(feature = "encryption") {
            bail!(
                "a database key was given, but this fairpanel was built without encryption; \
                 build it with `cargo build --release --features encryption`"
            );
        }
        let exists = check_path(path)?;
        if !exists {
            if create == Create::No {
                let mut msg = format!(
                    "there is no fairpanel database at {}. Create one with `fairpanel --db {} init`",
                    path.display(),
                    path.display()
                );
                let near = nearby(path);
                if !near.is_empty() {
                    msg.push_str(&format!(", or did you mean {}?", near.join(" or ")));
                }
                bail!(msg);
            }
            create_private(path)?;
        } else if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
            // An empty file becomes a new database: make it private like one fairpanel creates.
            make_private(path)?;
        }
        let rw = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let ro = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let attempt = |target: &Path, flags: OpenFlags| -> Result<Store> {
            let conn = connect_lite(target, flags, key)?;
            // SQLite opens a write-protected file read-only even when asked for read-write.
            let read_only = !flags.contains(OpenFlags::SQLITE_OPEN_READ_WRITE)
                || conn.is_readonly(rusqlite::MAIN_DB)?;
            let conn = Connection::Lite(conn);
            let store = Store {
                conn,
                path: path.to_path_buf(),
                actor: actor.clone(),
                key: key.map(str::to_string),
                read_only,
                opened: target.to_path_buf(),
            };
            store.identify().map_err(|e| {
                let code = e
                    .downcast_ref::<db::Error>()
                    .and_then(db::Error::sqlite_code)
                    .or_else(|| {
                        e.downcast_ref::<rusqlite::Error>()
                            .and_then(|e| e.sqlite_error_code())
                    });
                match code.and_then(|c| describe_sqlite(c, path)) {
                    Some(m) => anyhow!(m),
                    None => e,
                }
            })?;
            Ok(store)
        };
        // Read-only. With no write-ahead log content and no shared-memory file (so no connection
        // has it open: each one in WAL mode maps that file, and the last to close removes it), the
        // file is opened as immutable, which makes nothing beside it: a reader that makes those
        // files for a write-protected database leaves them write-protected too, and then the owner
        // cannot write once the protection is lifted. Otherwise as usual, through those files, and
        // failing that (a directory no one may write to) as immutable if the log holds nothing.
        let wal = sibling(path, "-wal");
        let wal_empty = || std::fs::metadata(&wal).map_or(true, |m| m.len() == 0);
        let immutable = || attempt(&immutable_uri(path), ro | OpenFlags::SQLITE_OPEN_URI);
        let read_only = || -> Result<Store> {
            if wal_empty() && !sibling(path, "-shm").exists() {
                return immutable();
            }
            match attempt(path, ro) {
                Err(e) if is_read_only_error(&e) => {
                    if !wal_empty() {
                        bail!(
                            "{} is read-only here and its write-ahead log {} holds changes that cannot be \
                             read without writing beside it; open it once where its directory is writable",
                            path.display(),
                            wal.display()
                        );
                    }
                    immutable()
                }
                other => other,
            }
            .with_context(|| format!("{} could only be opened read-only", path.display()))
        };
        // A write-protected file is read as one from the start (SQLite would open it read-only anyway,
        // after making those files).
        let writable = std::fs::OpenOptions::new().write(true).open(path).is_ok();
        let mut store = if !writable {
            read_only()?
        } else {
            match attempt(path, rw) {
                Ok(s) => s,
                Err(e) if is_read_only_error(&e) => read_only()?,
                Err(e) => return Err(e),
            }
        };
        if !store.read_only {
            let setup = (|| -> Result<()> {
                let lite = store.lite();
                lite.pragma_update(None, "journal_mode", "WAL")?;
                lite.pragma_update(None, "synchronous", "FULL")?;
                // Deleted content (an erased key, a replaced row) is overwritten, not left in free pages.
                lite.pragma_update(None, "secure_delete", "ON")?;
                store.migrate()
            })();
            match setup {
                Ok(()) => {}
                Err(e) if is_read_only_error(&e) => store = read_only()?,
                Err(e) => return Err(e),
            }
        }
        if store.read_only {
            let v = store.schema_version()?;
            if v != schema::VERSION {
                bail!(
                    "{} needs upgrading (schema {v}) but is read-only; open it once where it can be written",
                    path.display()
                );
            }
        }
        Ok(store)
    }

    /// A PostgreSQL database (`--db postgres://…`): connect, refuse a database of another
    /// application or a newer fairpanel, and create the schema in an empty one (`init`, the demo).
    fn open_server(url: &str, actor: Actor, key: Option<&str>, create: Create) -> Result<Store> {
        if key.is_some() {
            bail!(
                "a database key encrypts an SQLite file; a PostgreSQL server keeps its data with its own \
                 encryption (disk or tablespace), so no key is taken"
            );
        }
        let conn = postgres::connect(url)?;
        let mut store = Store {
            conn,
            path: PathBuf::from(postgres::redact(url)),
            actor,
            key: None,
            read_only: false,
            opened: PathBuf::from(url),
        };
        store.identify()?;
        if store.schema_version()? == 0 && create == Create::No {
            bail!(
                "{} holds no fairpanel database yet. Create one with `fairpanel --db {} init`",
                store.path.display(),
                store.path.display()
            );
        }
        store.migrate()?;
        Ok(store)
    }

    /// Opens further connections to what this store opened, the same way (a read-only or immutable
    /// file stays so), for reading on other threads.
    pub(crate) fn reader(&self) -> impl Fn() -> Result<Connection> + Send + Sync + 'static {
        let (path, key) = (self.opened.clone(), self.key.clone());
        let flags = reader_flags(self.read_only, self.opened != self.path);
        move || match postgres::url(&path) {
            Some(url) => postgres::connect(url),
            None => connect(&path, flags, key.as_deref()),
        }
    }

    /// Which server holds the record.
    pub fn backend(&self) -> db::Backend {
        self.conn.backend()
    }

    /// Copy this whole record into `to`, a new, empty database (a file or a server), verify both
    /// and return the receipt of each.
    pub fn copy_into(&self, to: &mut Store) -> Result<(VerifyReport, VerifyReport)> {
        copy::copy(self, to)?;
        Ok((self.verify()?, to.verify()?))
    }

    /// Decide, without writing, whether this file is ours, new, or to be refused.
    fn identify(&self) -> Result<()> {
        let (app, version, objects) = match self.conn.lite() {
            Some(c) => (
                c.pragma_query_value(None, "application_id", |r| r.get(0))?,
                c.pragma_query_value(None, "user_version", |r| r.get(0))?,
                c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?,
            ),
            None => postgres::identify(&self.conn)?,
        };
        if app != APPLICATION_ID && !(app == 0 && version == 0 && objects == 0) {
            bail!(
                "{} is {} database of another application, not a fairpanel database; it was left untouched",
                self.path.display(),
                match self.backend() {
                    db::Backend::Sqlite => "an SQLite",
                    db::Backend::Postgres => "a PostgreSQL",
                }
            );
        }
        if version > schema::VERSION {
            bail!(
                "{} was written by a newer fairpanel (schema version {version}; this fairpanel knows up to {}). \
                 Upgrade fairpanel to open it; the database was left untouched",
                self.path.display(),
                schema::VERSION
            );
        }
        Ok(())
    }

    /// The schema version the database is at (0 when new).
    fn schema_version(&self) -> Result<i64> {
        Ok(match self.conn.lite() {
            Some(c) => c.pragma_query_value(None, "user_version", |r| r.get(0))?,
            None => postgres::identify(&self.conn)?.1,
        })
    }

    /// The SQLite connection: only for what exists on SQLite alone (pragmas, the backup API).
    fn lite(&self) -> &rusqlite::Connection {
        self.conn
            .lite()
            .expect("an SQLite-only step was reached on PostgreSQL")
    }

    fn migrate(&mut self) -> Result<()> {
        if self.schema_version()? == schema::VERSION {
            return Ok(());
        }
        let tx = self.conn.transaction(Behavior::Write)?;
        let Some(lite) = tx.lite() else {
            postgres::migrate(&tx)?;
            tx.commit()?;
            return Ok(());
        };
        // Another process may have migrated while we waited for the lock.
        let current: i64 = lite.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if current == 0 {
            tx.execute_batch(&schema::current())
                .context("creating the database")?;
        } else if current < schema::VERSION {
            for (i, sql) in schema::LEGACY_MIGRATIONS
                .iter()
                .enumerate()
                .skip(current as usize)
            {
                tx.execute_batch(sql)
                    .with_context(|| format!("applying schema migration {}", i + 1))?;
            }
            legacy::upgrade(&tx).context("upgrading the record to schema 5")?;
        }
        lite.pragma_update(None, "application_id", APPLICATION_ID)?;
        lite.pragma_update(None, "user_version", schema::VERSION)?;
        tx.commit()?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn set_actor(&mut self, actor: Actor) {
        self.actor = actor;
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Run `f` in an IMMEDIATE transaction; on success the changed vacancies' and people's derived
    /// rows are rewritten, a checkpoint is added when one is due, and it commits.
    pub fn write<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        if self.read_only {
            bail!(
                "{} is read-only here: reads work, changes cannot be recorded",
                self.path.display()
            );
        }
        let tx = self.conn.transaction(Behavior::Write)?;
        let out = {
            let mut t = Tx::begin(&tx, self.actor.clone())?;
            let out = f(&mut t)?;
            t.finish()?;
            out
        };
        tx.commit()?;
        Ok(out)
    }

    /// Run `f` inside one read transaction, so everything it reads comes from one snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction(Behavior::Read)?;
        let out = f(&tx)?;
        tx.finish()?;
        Ok(out)
    }

    /// Copy the database with SQLite's online backup API (safe while others write), to a temporary
    /// file linked into place only when complete, flushed and checked, so the backup's name never
    /// holds a partial copy. Returns the receipt of what the copy holds: `verify --receipt` on the copy
    /// proves it is that record (an empty or cut-short file fails).
    pub fn backup(&self, to: &Path) -> Result<crate::record::chain::Receipt> {
        if to.exists() || to.is_symlink() {
            bail!("{} exists; choose a new file for the backup", to.display());
        }
        if self.conn.lite().is_none() {
            return postgres::backup(self, to);
        }
        let tmp = crate::fsutil::temp_beside(to)?;
        let result = (|| -> Result<crate::record::chain::Receipt> {
            let mut dst = rusqlite::Connection::open(&tmp)?;
            if let Some(k) = &self.key {
                dst.pragma_update(None, "key", k)?;
            }
            {
                let b = rusqlite::backup::Backup::new(self.lite(), &mut dst)?;
                b.run_to_completion(256, Duration::from_millis(5), None)?;
            }
            dst.pragma_update(None, "journal_mode", "DELETE")?;
            let ok: String = dst.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
            if ok != "ok" {
                bail!("the backup copy failed its check: {ok}");
            }
            // What the copy holds, read from the copy itself.
            let dst = Connection::Lite(dst);
            let receipt = log::tail(&dst)?.receipt;
            drop(dst);
            crate::fsutil::sync_file(&tmp)?;
            crate::fsutil::rename_new(&tmp, to)?;
            Ok(receipt)
        })();
        if result.is_err() {
            crate::fsutil::discard(&tmp);
        }
        result.with_context(|| format!("backing up to {}", to.display()))
    }

    /// After an erasure: fold the write-ahead log back and compact the file, so erased keys do not
    /// linger in free pages or in the WAL.
    pub fn compact(&self) -> Result<()> {
        if self.conn.lite().is_none() {
            return postgres::compact(&self.conn);
        }
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", (), |_| Ok(()))?;
        self.conn.execute_batch("VACUUM")?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", (), |_| Ok(()))?;
        Ok(())
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A vacancy read back from its record, checked on the way in (see [`log`]).
    pub fn vacancy(&self, id: &str) -> Result<Loaded> {
        self.read(|c| {
            let t = log::tail(c)?;
            let (mut people, mut banks) = (People::default(), Banks::default());
            log::load_vacancy(c, id, &mut people, &mut banks, t)
        })
    }

    /// The chain from the latest checkpoint to the head, checked.
    pub fn tail(&self) -> Result<TailStatus> {
        self.read(log::tail)
    }

    /// The person called `name`, from their checked record.
    pub fn person_named(&self, name: &str) -> Result<Option<crate::record::people::Person>> {
        self.read(|c| {
            let id: Option<i64> = c
                .query_row("SELECT id FROM people WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(id) = id else { return Ok(None) };
            let mut people = People::default();
            log::load_person(c, id, &mut people, &log::tail(c)?)?;
            let p = people.get(id).cloned();
            match &p {
                Some(p) if p.name == name => Ok(Some(p.clone())),
                // The index said one thing and the record another: the table was edited.
                _ => Err(log::Altered(format!("the people table names {name:?} wrongly")).into()),
            }
        })
    }

    /// The person whose live browser session has this SHA-256, from their checked record; `None`
    /// when no session has it, or it has ended or expired.
    pub fn session(&self, token_sha256: &str) -> Result<Option<crate::record::people::Person>> {
        self.read(|c| {
            let id: Option<i64> = c
                .query_row(
                    "SELECT person FROM sessions WHERE token_sha256 = ?1",
                    [token_sha256],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(id) = id else { return Ok(None) };
            let mut people = People::default();
            log::load_person(c, id, &mut people, &log::tail(c)?)?;
            let now = crate::model::now();
            Ok(people
                .get(id)
                .filter(|p| p.live_session(token_sha256, &now).is_some())
                .cloned())
        })
    }

    /// The vacancies whose panel a person sits on (from the derived table; each is checked when
    /// loaded): id and whether they chair it, oldest first.
    pub fn panels_of(&self, person: i64) -> Result<Vec<(String, bool)>> {
        self.read(|c| {
            let rows = c
                .prepare(
                    "SELECT p.vacancy, p.role = 'chair' FROM panellists p JOIN vacancies v ON v.id = p.vacancy
                     WHERE p.person = ?1 AND p.stood_down = 0 ORDER BY v.created_at, v.id",
                )?
                .query_map([person], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<db::Result<_>>()?;
            Ok(rows)
        })
    }

    /// Everyone, from their checked records, by id.
    pub fn people(&self) -> Result<People> {
        self.read(|c| {
            let ids: Vec<i64> = c
                .prepare("SELECT id FROM people ORDER BY id")?
                .query_map((), |r| r.get(0))?
                .collect::<db::Result<_>>()?;
            let t = log::tail(c)?;
            let mut people = People::default();
            for id in ids {
                log::load_person(c, id, &mut people, &t)?;
            }
            Ok(people)
        })
    }

    /// Vacancies as listed (from the derived table), oldest first.
    pub fn vacancy_list(&self) -> Result<Vec<VacancySummary>> {
        self.read(|c| {
            log::tail(c)?;
            let mut stmt = c.prepare(
                "SELECT id, title, band, service, questions, decided, created_at, review_status,
                        review_required FROM vacancies
                 ORDER BY created_at, id",
            )?;
            let rows = stmt
                .query_map((), |r| {
                    Ok(VacancySummary {
                        id: r.get(0)?,
                        title: r.get(1)?,
                        band: r.get(2)?,
                        service: r.get(3)?,
                        questions: r.get(4)?,
                        decided: r.get::<_, i64>(5)? != 0,
                        created_at: r.get(6)?,
                        review: r.get(7)?,
                        review_required: r.get::<_, i64>(8)? != 0,
                    })
                })?
                .collect::<db::Result<_>>()?;
            Ok(rows)
        })
    }

    pub fn vacancy_ids(&self) -> Result<HashSet<String>> {
        self.read(|c| {
            let ids = c
                .prepare("SELECT id FROM vacancies")?
                .query_map((), |r| r.get(0))?
                .collect::<db::Result<_>>()?;
            Ok(ids)
        })
    }

    /// The last `limit` events (all when `None`), oldest first, with the candidates revealed so far.
    pub fn events(&self, limit: Option<usize>) -> Result<(Vec<crate::record::EventRow>, Revealed)> {
        self.read(|c| {
            log::tail(c)?;
            // No limit is the whole log (a negative LIMIT means that to SQLite only).
            let limit = limit.map_or(i64::MAX, |l| l.min(i64::MAX as usize) as i64);
            let mut stmt = c.prepare(
                "SELECT seq, at, actor, auth, action, scope, scope_seq, scope_prev, payload, prev_hash, hash
                 FROM events ORDER BY seq DESC LIMIT ?1",
            )?;
            let mut out: Vec<crate::record::EventRow> = stmt
                .query_map([limit], |r| {
                    Ok(crate::record::EventRow {
                        seq: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        auth: r.get(3)?,
                        action: r.get(4)?,
                        scope: r.get(5)?,
                        scope_seq: r.get(6)?,
                        scope_prev: r.get(7)?,
                        payload: r.get(8)?,
                        prev_hash: r.get(9)?,
                        hash: r.get(10)?,
                    })
                })?
                .collect::<db::Result<_>>()?;
            out.reverse();
            // Revealed candidates, from the reveal events themselves.
            let mut revealed = HashSet::new();
            let mut stmt =
                c.prepare("SELECT scope, payload FROM events WHERE action = 'candidate.reveal'")?;
            let mut rows = stmt.query(())?;
            while let Some(r) = rows.next()? {
                let scope: String = r.get(0)?;
                let payload: String = r.get(1)?;
                if let (Some(v), Ok(Fact::Reveal(rv))) =
                    (scope.strip_prefix("vacancy:"), Fact::parse("candidate.reveal", &payload))
                {
                    revealed.insert((v.to_string(), rv.reference));
                }
            }
            Ok((out, revealed))
        })
    }
}

impl Store {
    /// The hash of event `seq`, if there is one.
    pub fn event_hash(&self, seq: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT hash FROM events WHERE seq = ?1", [seq], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Every signature in the record.
    pub fn signatures(&self) -> Result<Vec<crate::record::fact::Signature>> {
        let mut stmt = self
            .conn
            .prepare("SELECT payload FROM events WHERE scope = 'chain' AND action = 'chain.signature' ORDER BY seq")?;
        let rows: Vec<String> = stmt
            .query_map((), |r| r.get(0))?
            .collect::<db::Result<_>>()?;
        rows.iter()
            .map(|p| match Fact::parse("chain.signature", p) {
                Ok(Fact::Signature(s)) => Ok(s),
                _ => Err(log::Altered("a signature does not read back".into()).into()),
            })
            .collect()
    }

    /// Sign the current head with a private key (hex) and record the signature.
    pub fn sign(&mut self, secret_hex: &str) -> Result<crate::record::fact::Signature> {
        let t = self.tail()?;
        let (public_key, signature) =
            crate::record::sign::sign(secret_hex, t.receipt.events, &t.receipt.head)?;
        let s = crate::record::fact::Signature {
            through: t.receipt.events,
            head: t.receipt.head.clone(),
            public_key,
            signature,
        };
        let fact = Fact::Signature(s.clone());
        self.write(|tx| {
            if tx.next_seq() != s.through + 1 {
                bail!("the record changed while signing; sign again");
            }
            tx.append(Scope::Chain, fact)
        })?;
        Ok(s)
    }
}

/// (vacancy, candidate ref) pairs revealed so far.
pub type Revealed = HashSet<(String, String)>;

/// A vacancy as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VacancySummary {
    pub id: String,
    pub title: String,
    pub band: Option<String>,
    pub service: Option<String>,
    pub questions: i64,
    pub decided: bool,
    pub created_at: String,
    /// Fairness review: `not-decided`, `awaiting`, `signed-off`, `returned` or `stale` (signed off
    /// on an earlier version).
    pub review: String,
    /// Whether the decision needs a current sign-off to be final.
    pub review_required: bool,
}

/// A write transaction: the acting person, the states it has loaded (and changed), and the head of
/// the chain.
pub struct Tx<'a> {
    conn: &'a Connection,
    actor: Actor,
    head: log::Head,
    people: People,
    banks: Banks,
    vacancies: HashMap<String, VacancyState>,
    keys: Keyring,
    /// Scopes whose derived rows must be rewritten at the end.
    dirty_vacancies: HashSet<String>,
    dirty_people: HashSet<i64>,
    new_banks: Vec<String>,
    /// The chain walked from the latest checkpoint, once per transaction (events this transaction
    /// appends are its own).
    tail: Option<TailStatus>,
}

impl<'a> Tx<'a> {
    fn begin(conn: &'a Connection, actor: Actor) -> Result<Tx<'a>> {
        Ok(Tx {
            conn,
            actor,
            tail: None,
            head: log::Head::read(conn)?,
            people: People::default(),
            banks: Banks::default(),
            vacancies: HashMap::new(),
            keys: Keyring::default(),
            dirty_vacancies: HashSet::new(),
            dirty_people: HashSet::new(),
            new_banks: Vec::new(),
        })
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn set_actor(&mut self, actor: Actor) {
        self.actor = actor;
    }

    /// A vacancy's state, verified and folded from its events (once per transaction).
    pub fn vacancy(&mut self, id: &str) -> Result<&VacancyState> {
        self.load_vacancy(id)?;
        Ok(&self.vacancies[id])
    }

    /// Whether a vacancy exists.
    pub fn has_vacancy(&mut self, id: &str) -> Result<bool> {
        Ok(self.vacancies.contains_key(id)
            || log::scope_exists(self.conn, &Scope::Vacancy(id.into()).to_string())?)
    }

    /// The walked tail, walked once.
    fn walked(&mut self) -> Result<TailStatus> {
        if self.tail.is_none() {
            self.tail = Some(log::tail(self.conn)?);
        }
        Ok(self.tail.clone().expect("just set"))
    }

    fn load_vacancy(&mut self, id: &str) -> Result<()> {
        if self.vacancies.contains_key(id) {
            return Ok(());
        }
        let t = self.walked()?;
        let loaded = log::load_vacancy(self.conn, id, &mut self.people, &mut self.banks, t)?;
        self.people = loaded.people;
        for (k, key) in loaded.keys {
            self.keys.insert(k, key);
        }
        for k in &loaded.state.erased_keys {
            self.keys.mark_erased(*k);
        }
        self.vacancies.insert(id.to_string(), loaded.state);
        Ok(())
    }

    /// A person, verified and folded from their events.
    pub fn person(&mut self, id: i64) -> Result<&crate::record::people::Person> {
        if self.people.get(id).is_none() {
            let t = self.walked()?;
            log::load_person(self.conn, id, &mut self.people, &t)?;
        }
        self.people
            .get(id)
            .ok_or_else(|| anyhow!("there is no person {id}"))
    }

    /// A person by name, if any.
    pub fn person_named(&mut self, name: &str) -> Result<Option<crate::record::people::Person>> {
        let id: Option<i64> = self
            .conn
            .query_row("SELECT id FROM people WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        match id {
            Some(id) => Ok(Some(self.person(id)?.clone())),
            None => Ok(None),
        }
    }

    pub fn people(&self) -> &People {
        &self.people
    }

    /// The hash of the event with this seq, if the log has it.
    pub fn event_hash(&self, seq: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT hash FROM events WHERE seq = ?1", [seq], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// The person an invitation token (its SHA-256) was issued to.
    pub fn invite_person(&self, token_sha256: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT person FROM invites WHERE token_sha256 = ?1",
                [token_sha256],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Whether anyone holds an organisation role (e.g. "hr").
    pub fn any_with_role(&self, role: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM people WHERE ',' || roles || ',' LIKE '%,' || ?1 || ',%' LIMIT 1",
                [role],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Whether `chair` chairs a panel `member` sits on.
    pub fn chairs_panel_of(&self, chair: i64, member: i64) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM panellists c JOIN panellists m ON m.vacancy = c.vacancy
                 WHERE c.person = ?1 AND c.role = 'chair' AND c.stood_down = 0 AND m.person = ?2 LIMIT 1",
                params![chair, member],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// The person a browser session (its SHA-256) belongs to.
    pub fn session_person(&self, token_sha256: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT person FROM sessions WHERE token_sha256 = ?1",
                [token_sha256],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The bank with this SHA-256, if stored.
    pub fn bank_stored(&mut self, sha: &str) -> Result<bool> {
        if self.banks.by_sha.contains_key(sha) {
            return Ok(true);
        }
        let t = self.walked()?;
        log::load_bank(self.conn, sha, &mut self.banks, &t)
    }

    /// A new random key for sealing personal data; returns its id and bytes.
    pub fn new_key(&mut self) -> Result<(i64, Key)> {
        let key = crate::record::seal::new_key();
        let id: i64 = self.conn.query_row(
            "INSERT INTO keys (key) VALUES (?1) RETURNING id",
            [&key[..]],
            |r| r.get(0),
        )?;
        self.keys.insert(id, key);
        Ok((id, key))
    }

    /// The key with this id (loaded with the vacancy that uses it).
    pub fn key(&mut self, id: i64) -> Result<Key> {
        if let Some(k) = self.keys.get(id) {
            return Ok(*k);
        }
        let k = log::read_key(self.conn, id)?
            .ok_or_else(|| anyhow!("the key that seals this value is missing"))?;
        self.keys.insert(id, k);
        Ok(k)
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keys
    }

    /// Destroy keys, erasing everything sealed under them.
    pub fn destroy_keys(&mut self, ids: &[i64]) -> Result<()> {
        for id in ids {
            self.conn.execute("DELETE FROM keys WHERE id = ?1", [id])?;
            self.keys.mark_erased(*id);
        }
        Ok(())
    }

    /// Append an event to the log, folding it into the state it belongs to first: a fact the record's
    /// invariants refuse is never written. Returns its seq.
    pub fn append(&mut self, scope: Scope, fact: Fact) -> Result<i64> {
        self.append_inner(scope, fact, None)
    }

    /// As [`Tx::append`], recording a past time (bulk loads and upgrades of earlier history).
    pub fn append_at(&mut self, scope: Scope, fact: Fact, at: &str) -> Result<i64> {
        self.append_inner(scope, fact, Some(at.to_string()))
    }

    fn append_inner(&mut self, scope: Scope, fact: Fact, at: Option<String>) -> Result<i64> {
        let scope_name = scope.to_string();
        if let Scope::Vacancy(v) = &scope {
            if !matches!(fact, Fact::VacancyCreate(_)) {
                self.load_vacancy(v)?;
            }
        }
        if let Scope::Person(p) = &scope {
            if !matches!(fact, Fact::PersonAdd(_)) {
                self.person(*p)?;
            }
        }
        let at = at.unwrap_or_else(crate::model::now);
        let row = self
            .head
            .next_at(self.conn, &self.actor, &scope_name, &fact, at)?;
        let ctx_err = |e: String| anyhow!("{e}");
        let changes = project::changes_rows(&fact);
        match &scope {
            Scope::Vacancy(v) => {
                if let Fact::VacancyCreate(c) = &fact {
                    if self.has_vacancy(v)? {
                        bail!("vacancy {v:?} already exists");
                    }
                    let ctx = crate::record::Context {
                        people: &self.people,
                        banks: &self.banks,
                        light: false,
                    };
                    let st = VacancyState::create(&row.view(), c, &ctx).map_err(ctx_err)?;
                    self.vacancies.insert(v.clone(), st);
                } else {
                    let ctx = crate::record::Context {
                        people: &self.people,
                        banks: &self.banks,
                        light: false,
                    };
                    let st = self.vacancies.get_mut(v).expect("loaded above");
                    st.apply(&row.view(), fact, &ctx).map_err(ctx_err)?;
                }
                if changes || self.vacancies[v].decision().is_some() {
                    self.dirty_vacancies.insert(v.clone());
                }
            }
            Scope::Person(p) => {
                self.people.apply(&row.view(), &fact).map_err(ctx_err)?;
                self.dirty_people.insert(*p);
            }
            Scope::Bank(sha) => {
                let Fact::BankStore(b) = &fact else {
                    bail!("only a bank belongs to a bank's scope");
                };
                self.banks.apply(&row.view(), b).map_err(ctx_err)?;
                self.new_banks.push(sha.clone());
            }
            Scope::Chain | Scope::Org => {}
        }
        self.head.write(self.conn, &row)?;
        // Checkpoints as the log grows, so that readers (and this transaction) never walk far.
        if self.head.seq - self.head.checkpoint >= CHECKPOINT_EVERY {
            self.walked()?;
            self.tail = Some(log::checkpoint(self.conn, &mut self.head, false)?);
        }
        Ok(row.seq)
    }

    /// The seq of a person added by `person.add` is the id it gets; this is the seq the next event gets.
    pub fn next_seq(&self) -> i64 {
        self.head.seq + 1
    }

    /// Rewrite the derived rows of one vacancy now and forget its state (bulk loads, to bound memory).
    pub fn flush_vacancy(&mut self, id: &str) -> Result<()> {
        if self.dirty_vacancies.remove(id) {
            let st = &self.vacancies[id];
            project::write_vacancy(self.conn, st, &self.keys)?;
        }
        self.vacancies.remove(id);
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        for sha in std::mem::take(&mut self.new_banks) {
            project::write_bank(self.conn, &sha, &self.banks)?;
        }
        let dirty: Vec<String> = self.dirty_vacancies.drain().collect();
        for v in dirty {
            project::write_vacancy(self.conn, &self.vacancies[&v], &self.keys)?;
        }
        for p in std::mem::take(&mut self.dirty_people) {
            project::write_person(self.conn, &self.people, p)?;
        }
        Ok(())
    }
}

/// Whether `--db` names a PostgreSQL server rather than a file.
pub fn is_server(db: &Path) -> bool {
    postgres::url(db).is_some()
}

/// Where files that belong beside the database go (the server's address, its TLS certificate):
/// beside the file, or for a PostgreSQL database in fairpanel's data directory under a name made
/// from its host, port and database (never its password).
pub fn local_stand_in(db: &Path) -> PathBuf {
    let Some(url) = postgres::url(db) else {
        return db.to_path_buf();
    };
    let shown = postgres::redact(url);
    let rest = shown.split_once("://").map_or(shown.as_str(), |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let name: String = rest
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let dir = default_path()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    // Made now (private) so the files can be written; if that fails, writing them says why.
    let _ = crate::fsutil::create_private_dir(&dir);
    dir.join(format!("postgres-{name}"))
}

/// `path` with `suffix` added to its file name (`team.db` → `team.db-wal`).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// An SQLite URI opening `path` as immutable (no locks, no WAL files), its bytes percent-encoded so
/// that `?`, `#` and `%` in a file name stay part of it.
fn immutable_uri(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for b in abs.as_os_str().as_encoded_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(*b as char)
            }
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    PathBuf::from(uri)
}

/// Create an empty file readable and writable by its owner only (and its directory, if missing).
fn create_private(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::fsutil::create_private_dir(dir)?;
    }
    // create_new does not follow a link at `path`: it fails instead.
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    Ok(())
}

fn make_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", path.display()))?;
    }
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(p: &Path) -> Result<Store> {
        Store::open(p, Actor::login("t"), None, Create::Yes)
    }

    #[test]
    fn new_file_is_private_and_versioned() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.db");
        let s = open(&p).unwrap();
        let v = s.schema_version().unwrap();
        assert_eq!(v, schema::VERSION);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn reopen_is_idempotent_and_a_missing_file_is_not_created() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("team.db");
        drop(open(&p).unwrap());
        Store::open(&p, Actor::login("t"), None, Create::No).unwrap();
        let typo = d.path().join("teem.db");
        let e = Store::open(&typo, Actor::login("t"), None, Create::No)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("init") && e.contains("team.db"), "{e}");
        assert!(!typo.exists());
    }

    #[test]
    fn foreign_newer_and_special_files_are_refused_untouched() {
        let d = tempfile::tempdir().unwrap();
        let foreign = d.path().join("foreign.db");
        {
            let c = rusqlite::Connection::open(&foreign).unwrap();
            c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
                .unwrap();
        }
        let before = std::fs::read(&foreign).unwrap();
        let e = open(&foreign).err().unwrap().to_string();
        assert!(e.contains("another application"), "{e}");
        assert_eq!(std::fs::read(&foreign).unwrap(), before);

        let newer = d.path().join("newer.db");
        drop(open(&newer).unwrap());
        {
            let c = rusqlite::Connection::open(&newer).unwrap();
            c.pragma_update(None, "user_version", schema::VERSION + 1)
                .unwrap();
        }
        let e = open(&newer).err().unwrap().to_string();
        assert!(e.contains("newer fairpanel"), "{e}");

        let text = d.path().join("notes.txt");
        std::fs::write(
            &text,
            "hello, this is not a database at all, not even close....",
        )
        .unwrap();
        let e = open(&text).err().unwrap().to_string();
        assert!(e.contains("not a fairpanel database"), "{e}");

        let e = open(d.path()).err().unwrap().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}
