//! Copying a whole record between databases (SQLite to PostgreSQL and back, or to a new file as a
//! backup of a server). Rows are copied as stored, column for column; the events keep their bytes,
//! so both sides verify to the same head hash.

use super::db::{Backend, Behavior, Cell, Connection, ValueRef};
use super::Store;
use crate::record::chain::Receipt;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// The tables that hold the record: the log, the keys, and what is derived from them.
fn tables() -> Vec<&'static str> {
    let mut t = vec!["events", "keys"];
    t.extend(super::schema::DERIVED);
    t
}

/// The highest key id ever given out (erased keys included), so the copy never reuses one.
fn key_high_water(c: &Connection) -> Result<i64> {
    let sql = match c.lite() {
        Some(_) => {
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'keys'), 0),
                        coalesce((SELECT max(id) FROM keys), 0))"
        }
        None => {
            "SELECT greatest(coalesce((SELECT max(id) FROM keys), 0),
                    (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM keys_id_seq))"
        }
    };
    Ok(c.query_row(sql, (), |r| r.get(0))?)
}

fn set_key_high_water(c: &Connection, n: i64) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    match c.lite() {
        Some(_) => {
            c.execute("DELETE FROM sqlite_sequence WHERE name = 'keys'", ())?;
            c.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('keys', ?1)",
                [n],
            )?;
        }
        None => {
            c.query_row("SELECT setval('keys_id_seq', ?1)", [n], |_| Ok(()))?;
        }
    }
    Ok(())
}

/// Copy everything `from` holds into `to`, which must hold nothing yet; returns the receipt of the
/// copy (the same as the source's).
pub fn copy(from: &Store, to: &mut Store) -> Result<Receipt> {
    if to.is_read_only() {
        bail!("{} is read-only", to.path().display());
    }
    let empty: i64 = to
        .conn
        .query_row("SELECT count(*) FROM events", (), |r| r.get(0))?;
    if empty != 0 {
        bail!(
            "{} already holds a record ({empty} events); copy only into a new, empty database",
            to.path().display()
        );
    }
    let src = from.conn.transaction(Behavior::Read)?;
    let dst = to.conn.transaction(Behavior::Write)?;
    for table in tables() {
        if dst.backend() == Backend::Postgres {
            copy_table_in(&src, &dst, table)?;
            continue;
        }
        let nulls = dst.null_kinds(table)?;
        let mut read = src.prepare(&format!("SELECT * FROM {table}"))?;
        let mut rows = read.query(())?;
        let mut insert: Option<String> = None;
        while let Some(r) = rows.next()? {
            let n = r.column_count();
            let sql = insert.get_or_insert_with(|| {
                let marks: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
                format!("INSERT INTO {table} VALUES ({})", marks.join(", "))
            });
            let cells: Vec<Cell> = (0..n)
                .map(|i| {
                    Ok(Cell {
                        value: r.get_ref(i)?.to_owned(),
                        null: nulls
                            .get(i)
                            .cloned()
                            .unwrap_or(super::db::PgVal::Text(None)),
                    })
                })
                .collect::<super::db::Result<_>>()?;
            dst.execute(sql, &cells)
                .with_context(|| format!("copying a row of {table}"))?;
        }
    }
    set_key_high_water(&dst, key_high_water(&src)?)?;
    let receipt = super::log::tail(&dst)?.receipt;
    dst.commit()?;
    src.finish()?;
    Ok(receipt)
}

/// One table into PostgreSQL with `COPY … FROM STDIN` (text format): one round trip for the table
/// instead of one per row.
fn copy_table_in(src: &Connection, dst: &Connection, table: &str) -> Result<()> {
    let mut read = src.prepare(&format!("SELECT * FROM {table}"))?;
    let mut rows = read.query(())?;
    dst.copy_in(&format!("COPY {table} FROM STDIN"), |w| {
        let mut line = Vec::with_capacity(512);
        while let Some(r) = rows.next()? {
            line.clear();
            for i in 0..r.column_count() {
                if i > 0 {
                    line.push(b'\t');
                }
                match r.get_ref(i)? {
                    ValueRef::Null => line.extend_from_slice(b"\\N"),
                    ValueRef::Integer(n) => line.extend_from_slice(n.to_string().as_bytes()),
                    // Shortest round-trip form: the same double on the other side.
                    ValueRef::Real(x) => line.extend_from_slice(format!("{x:?}").as_bytes()),
                    ValueRef::Text(t) => escape(&mut line, t.as_bytes()),
                    ValueRef::Blob(b) => {
                        // bytea's hex input, its backslash escaped for the text format.
                        line.extend_from_slice(b"\\\\x");
                        line.extend_from_slice(hex::encode(b).as_bytes());
                    }
                }
            }
            line.push(b'\n');
            w.write_all(&line).map_err(|e| {
                super::db::Error::Kind(format!("writing {table} to the server: {e}"))
            })?;
        }
        Ok(())
    })
    .with_context(|| format!("copying {table}"))?;
    Ok(())
}

/// COPY's text format: backslash, tab, newline and carriage return escaped.
fn escape(out: &mut Vec<u8>, s: &[u8]) {
    for &c in s {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            c => out.push(c),
        }
    }
}

/// Copy a store into a new SQLite file, written under a temporary name and renamed when complete
/// and verified.
pub fn copy_to_file(from: &Store, to: &Path) -> Result<Receipt> {
    let tmp = crate::fsutil::temp_beside(to)?;
    // The temporary name must not exist for the store to create it.
    crate::fsutil::discard(&tmp);
    let result = (|| -> Result<Receipt> {
        let mut dst = Store::open(&tmp, from.actor.clone(), None, super::Create::Yes)?;
        let receipt = copy(from, &mut dst)?;
        let check = dst.verify()?;
        if !check.ok {
            bail!("the copy does not verify");
        }
        drop(dst);
        crate::fsutil::sync_file(&tmp)?;
        crate::fsutil::rename_new(&tmp, to)?;
        Ok(receipt)
    })();
    if result.is_err() {
        crate::fsutil::discard(&tmp);
        for suffix in ["-wal", "-shm"] {
            crate::fsutil::discard(&super::sibling(&tmp, suffix));
        }
    }
    result.with_context(|| format!("copying to {}", to.display()))
}
