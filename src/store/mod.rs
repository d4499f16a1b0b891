//! SQLite storage: the only module that knows SQL.
//!
//! One file per organisation or team. WAL mode and a busy timeout let several panellists score at once
//! from separate terminals; every write runs in an IMMEDIATE transaction so concurrent writers queue on
//! the busy timeout instead of failing with "database is locked" on upgrade from a read lock.

mod audit;
mod bulk;
mod events;
mod records;
mod schema;

pub use audit::*;
pub use bulk::*;
pub use events::{Event, VerifyReport};
pub use records::*;
pub use schema::LATEST as SCHEMA_VERSION;

use anyhow::{bail, Context, Result};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `PRAGMA application_id` of fairpanel databases ("FPNL").
pub const APPLICATION_ID: i64 = 0x4650_4E4C;

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Who is acting, recorded in every event.
    actor: String,
    /// The encryption key, kept so backups are encrypted with it too.
    key: Option<String>,
}

/// The database location: `--db`, else `FAIRPANEL_DB` (both handled by clap), else the platform data dir.
pub fn default_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "fairpanel")
        .context("cannot find a home directory for the default database; pass --db PATH")?;
    Ok(dirs.data_dir().join("fairpanel.db"))
}

fn describe_sqlite(e: &rusqlite::Error, path: &Path) -> Option<String> {
    if let rusqlite::Error::SqliteFailure(f, _) = e {
        use rusqlite::ErrorCode::*;
        return match f.code {
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
        };
    }
    None
}

impl Store {
    /// Open (creating if absent) a fairpanel database. A foreign SQLite file, a damaged file or one
    /// written by a newer fairpanel is refused and left untouched.
    pub fn open(path: &Path, actor: &str) -> Result<Store> {
        Store::open_with_key(path, actor, None)
    }

    /// Open with an encryption key (SQLCipher, behind the `encryption` feature).
    pub fn open_with_key(path: &Path, actor: &str, key: Option<&str>) -> Result<Store> {
        if key.is_some() && !cfg!(feature = "encryption") {
            bail!(
                "a database key was given, but this fairpanel was built without encryption; \
                 build it with `cargo build --release --features encryption`"
            );
        }
        let created = !path.exists();
        if created {
            create_private(path)?;
        } else if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
            // An empty file becomes a new database: make it private like one fairpanel creates.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("cannot make {} private", path.display()))?;
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(30))?;
        if let Some(k) = key {
            // SQLCipher needs the key before anything else touches the file.
            conn.pragma_update(None, "key", k)?;
        }
        let store = Store {
            conn,
            path: path.to_path_buf(),
            actor: actor.to_string(),
            key: key.map(str::to_string),
        };
        store
            .identify()
            .map_err(|e| match e.downcast_ref::<rusqlite::Error>() {
                Some(se) => match describe_sqlite(se, path) {
                    Some(m) => anyhow::anyhow!(m),
                    None => e,
                },
                None => e,
            })?;
        store.conn.pragma_update(None, "journal_mode", "WAL")?;
        store.conn.pragma_update(None, "synchronous", "FULL")?;
        store.conn.pragma_update(None, "foreign_keys", "ON")?;
        store.migrate()?;
        Ok(store)
    }

    /// Decide, without writing, whether this file is ours, new, or to be refused.
    fn identify(&self) -> Result<()> {
        let app: i64 = self
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let objects: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        if app != APPLICATION_ID && !(app == 0 && version == 0 && objects == 0) {
            bail!(
                "{} is an SQLite database of another application, not a fairpanel database; it was left untouched",
                self.path.display()
            );
        }
        if version > schema::LATEST {
            bail!(
                "{} was written by a newer fairpanel (schema version {version}; this fairpanel knows up to {}). \
                 Upgrade fairpanel to open it; the file was left untouched",
                self.path.display(),
                schema::LATEST
            );
        }
        Ok(())
    }

    fn migrate(&self) -> Result<()> {
        let current: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if current == schema::LATEST {
            return Ok(());
        }
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the lock.
        let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql)
                .with_context(|| format!("applying schema migration {}", i + 1))?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", schema::LATEST)?;
        tx.commit()?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    pub fn set_actor(&mut self, actor: &str) {
        self.actor = actor.to_string();
    }

    /// Run `f` in an IMMEDIATE transaction and commit it.
    pub fn write<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = {
            let t = Tx {
                tx: &tx,
                actor: &self.actor,
            };
            f(&t)?
        };
        tx.commit()?;
        Ok(out)
    }

    /// Copy the database with SQLite's online backup API (safe while others write).
    pub fn backup(&self, to: &Path) -> Result<()> {
        if to.exists() {
            bail!("{} exists; choose a new file for the backup", to.display());
        }
        create_private(to)?;
        let mut dst = Connection::open(to)?;
        if let Some(k) = &self.key {
            dst.pragma_update(None, "key", k)?;
        }
        let b = rusqlite::backup::Backup::new(&self.conn, &mut dst)?;
        b.run_to_completion(256, Duration::from_millis(5), None)?;
        Ok(())
    }
}

/// A write transaction with the acting person attached.
pub struct Tx<'a> {
    tx: &'a Transaction<'a>,
    actor: &'a str,
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.tx
    }
}

/// Create an empty file readable and writable by its owner only (and its directory, if missing).
fn create_private(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_file_is_private_and_versioned() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.db");
        let s = Store::open(&p, "t").unwrap();
        let v: i64 = s
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema::LATEST);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn reopen_is_idempotent() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.db");
        drop(Store::open(&p, "t").unwrap());
        Store::open(&p, "t").unwrap();
    }

    #[test]
    fn foreign_and_newer_files_are_refused_untouched() {
        let d = tempfile::tempdir().unwrap();
        let foreign = d.path().join("foreign.db");
        {
            let c = Connection::open(&foreign).unwrap();
            c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
                .unwrap();
        }
        let before = std::fs::read(&foreign).unwrap();
        let e = Store::open(&foreign, "t").err().unwrap().to_string();
        assert!(e.contains("another application"), "{e}");
        assert_eq!(std::fs::read(&foreign).unwrap(), before);

        let newer = d.path().join("newer.db");
        drop(Store::open(&newer, "t").unwrap());
        {
            let c = Connection::open(&newer).unwrap();
            c.pragma_update(None, "user_version", schema::LATEST + 1)
                .unwrap();
        }
        let e = Store::open(&newer, "t").err().unwrap().to_string();
        assert!(e.contains("newer fairpanel"), "{e}");

        let text = d.path().join("notes.txt");
        std::fs::write(
            &text,
            "hello, this is not a database at all, not even close....",
        )
        .unwrap();
        let e = Store::open(&text, "t").err().unwrap().to_string();
        assert!(e.contains("not a fairpanel database"), "{e}");
    }
}
