//! PostgreSQL as the store (`--db postgres://user@host/dbname`): connecting, the schema and the
//! triggers that protect it, and the server's way of doing what a file does (backups, compaction).
//!
//! The record is the same on both backends: the same tables and columns, the same events hashed from
//! bytes built in Rust, so a database copied from one to the other verifies with the same head hash
//! (`fairpanel migrate --to`). What differs:
//! - Writers serialise on a transaction-level advisory lock ([`db::pg::WRITER_LOCK`]), the
//!   counterpart of SQLite's `BEGIN IMMEDIATE`; reads run in one REPEATABLE READ snapshot.
//! - The guard on derived tables is a setting only fairpanel's sessions make
//!   (`fairpanel.writer`), checked by PL/pgSQL triggers; the event log refuses UPDATE, DELETE and
//!   TRUNCATE (a statement trigger, since row triggers do not see TRUNCATE) from anyone.
//! - The version stamps live in `fairpanel_meta` instead of SQLite's header.

use super::db::{self, Connection};
use anyhow::{bail, Context, Result};
use std::path::Path;

/// The URL in `--db`, when it names a PostgreSQL server rather than a file.
pub fn url(path: &Path) -> Option<&str> {
    let s = path.to_str()?;
    (s.starts_with("postgres://") || s.starts_with("postgresql://")).then_some(s)
}

/// The URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.split_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, rest),
    };
    match auth.and_then(|a| a.split_once(':')) {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// The oldest server fairpanel runs on (`EXECUTE FUNCTION` in triggers, identity columns).
pub const MIN_SERVER: i64 = 120000;

#[cfg(not(feature = "postgres"))]
pub fn connect(url: &str) -> Result<Connection> {
    bail!(
        "{} names a PostgreSQL database, but this fairpanel was built without PostgreSQL support; \
         build it with the default features",
        redact(url)
    )
}

#[cfg(feature = "postgres")]
pub fn connect(url: &str) -> Result<Connection> {
    let shown = redact(url);
    let config: postgres::Config = url
        .parse()
        .with_context(|| format!("{shown} is not a PostgreSQL connection URL"))?;
    let client = match config.get_ssl_mode() {
        // Plain unless TLS was asked for: `prefer` (the default) would otherwise fail against the
        // self-signed certificate most local servers have.
        postgres::config::SslMode::Disable | postgres::config::SslMode::Prefer => {
            config.connect(postgres::NoTls)
        }
        _ => config.connect(tls()?),
    }
    .map_err(|e| anyhow::anyhow!(describe_connect_error(&e, &config, &shown)))?;
    let conn = Connection::Pg(Box::new(db::pg::PgConn::new(client)));
    let version: i64 = conn
        .query_row(
            "SELECT current_setting('server_version_num')::bigint",
            (),
            |r| r.get(0),
        )
        .with_context(|| format!("asking {shown} for its version"))?;
    if version < MIN_SERVER {
        bail!(
            "{shown} runs PostgreSQL {}.{}; fairpanel needs PostgreSQL 12 or newer",
            version / 10000,
            version % 10000 / 100
        );
    }
    // Marks this session as fairpanel's, which the derived tables' triggers require.
    conn.execute_batch("SET fairpanel.writer = 'on'; SET client_min_messages = warning")?;
    Ok(conn)
}

/// TLS to the server, its certificate checked against the usual public roots and, when
/// `FAIRPANEL_PG_ROOT_CERT` names a PEM file, that file's certificates (a trust's own CA).
#[cfg(feature = "postgres")]
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Ok(file) = std::env::var("FAIRPANEL_PG_ROOT_CERT") {
        let pem = crate::fsutil::read_limited(Path::new(&file), 1 << 20)
            .with_context(|| format!("reading FAIRPANEL_PG_ROOT_CERT {file}"))?;
        for cert in rustls_pemfile_certs(&pem) {
            roots
                .add(cert)
                .with_context(|| format!("a certificate in {file} was refused"))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// The DER certificates in a PEM file.
#[cfg(feature = "postgres")]
fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .filter_map(|c| c.ok())
        .collect()
}

#[cfg(feature = "postgres")]
fn describe_connect_error(e: &postgres::Error, config: &postgres::Config, shown: &str) -> String {
    let db = config.get_dbname().unwrap_or("(the user's)");
    if let Some(d) = e.as_db_error() {
        use postgres::error::SqlState;
        let code = d.code();
        if *code == SqlState::INVALID_CATALOG_NAME {
            return format!(
                "the PostgreSQL server has no database {db:?}; create it (`createdb {db}`), then run \
                 `fairpanel --db {shown} init`"
            );
        }
        if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            return format!(
                "the PostgreSQL server refused the user or password in {shown}: {}",
                d.message()
            );
        }
        return format!("cannot connect to {shown}: {}", d.message());
    }
    let mut msg = format!("cannot connect to the PostgreSQL server at {shown}: {e}");
    if let Some(src) = std::error::Error::source(e) {
        msg.push_str(&format!(" ({src})"));
    }
    msg.push_str(". Is the server running, and are the host and port right?");
    msg
}

/// (application id, schema version, objects in the schema) as [`super::Store::identify`] wants them.
pub fn identify(conn: &Connection) -> Result<(i64, i64, i64)> {
    let has_meta: bool = conn.query_row(
        "SELECT to_regclass('fairpanel_meta') IS NOT NULL",
        (),
        |r| r.get(0),
    )?;
    let objects: i64 = conn.query_row(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'p', 'f')",
        (),
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok((0, 0, objects));
    }
    let get = |key: &str| -> Result<i64> {
        use db::OptionalExtension;
        Ok(conn
            .query_row(
                "SELECT value FROM fairpanel_meta WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    };
    Ok((get("application_id")?, get("schema_version")?, objects))
}

/// Create the schema in an empty database (inside the writer's transaction).
pub fn migrate(tx: &Connection) -> Result<()> {
    let (_, version, objects) = identify(tx)?;
    if version == super::schema::VERSION {
        return Ok(());
    }
    if version != 0 || objects != 0 {
        bail!("the database holds tables fairpanel did not make; use an empty database");
    }
    tx.execute_batch(&schema())
        .context("creating the database")?;
    tx.execute(
        "INSERT INTO fairpanel_meta (key, value) VALUES ('application_id', ?1), ('schema_version', ?2)",
        crate::params![super::APPLICATION_ID, super::schema::VERSION],
    )?;
    Ok(())
}

/// The PostgreSQL spelling of [`super::schema::CURRENT`]: 64-bit integers, bytea, an identity
/// column for keys; then the protection.
pub fn schema() -> String {
    let mut sql = super::schema::CURRENT
        .replace(
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        )
        .replace("INTEGER", "BIGINT")
        .replace("BLOB", "BYTEA")
        .replace("length(key)", "octet_length(key)")
        .replace(") WITHOUT ROWID;", ");");
    // SQLite's triggers; PostgreSQL's follow.
    while let Some(start) = sql.find("CREATE TRIGGER") {
        let end = sql[start..].find("END;").expect("a trigger ends") + start + 4;
        sql.replace_range(start..end, "");
    }
    sql.push_str(&protection());
    for (name, _, def) in triggers() {
        sql.push_str(&format!("CREATE TRIGGER {name} {def};\n"));
    }
    sql
}

const META: &str = "CREATE TABLE fairpanel_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);\n";

/// The functions the triggers run, exactly as [`schema_problem`] expects to find them.
const FUNCTIONS: &[(&str, &str)] = &[
    (
        "fp_append_only",
        "BEGIN RAISE EXCEPTION 'the event log is append-only'; END",
    ),
    (
        "fp_keys_unchangeable",
        "BEGIN RAISE EXCEPTION 'keys are never changed'; END",
    ),
    (
        "fp_keys_guard",
        "BEGIN RAISE EXCEPTION 'keys are written and erased only by fairpanel'; END",
    ),
    (
        "fp_derived",
        "BEGIN RAISE EXCEPTION '% is derived from the event log: only fairpanel writes it', TG_TABLE_NAME; END",
    ),
    (
        "fp_derived_truncate",
        "BEGIN IF current_setting('fairpanel.writer', true) IS DISTINCT FROM 'on' THEN RAISE EXCEPTION '% is derived from the event log: only fairpanel writes it', TG_TABLE_NAME; END IF; RETURN NULL; END",
    ),
    (
        "fp_meta_fixed",
        "BEGIN IF current_setting('fairpanel.writer', true) IS DISTINCT FROM 'on' THEN RAISE EXCEPTION 'fairpanel_meta is written only by fairpanel'; END IF; RETURN NULL; END",
    ),
];

/// The condition under which a row trigger fires: not one of fairpanel's sessions.
const NOT_WRITER: &str = "WHEN (current_setting('fairpanel.writer', true) IS DISTINCT FROM 'on')";

/// (trigger, table, definition after the name) of every protecting trigger, its events in the order
/// the server prints them (so [`schema_problem`] can compare the two).
fn triggers() -> Vec<(String, String, String)> {
    let mut t = vec![
        (
            "events_append_only".to_string(),
            "events".to_string(),
            "BEFORE DELETE OR UPDATE ON events FOR EACH ROW EXECUTE FUNCTION fp_append_only()"
                .to_string(),
        ),
        (
            "events_no_truncate".into(),
            "events".into(),
            "BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION fp_append_only()".into(),
        ),
        (
            "keys_unchangeable".into(),
            "keys".into(),
            "BEFORE UPDATE ON keys FOR EACH ROW EXECUTE FUNCTION fp_keys_unchangeable()".into(),
        ),
        (
            "keys_no_truncate".into(),
            "keys".into(),
            "BEFORE TRUNCATE ON keys FOR EACH STATEMENT EXECUTE FUNCTION fp_keys_unchangeable()"
                .into(),
        ),
        (
            "keys_guard".into(),
            "keys".into(),
            format!("BEFORE INSERT OR DELETE ON keys FOR EACH ROW {NOT_WRITER} EXECUTE FUNCTION fp_keys_guard()"),
        ),
        (
            "fairpanel_meta_fixed".into(),
            "fairpanel_meta".into(),
            "BEFORE INSERT OR DELETE OR UPDATE OR TRUNCATE ON fairpanel_meta FOR EACH STATEMENT EXECUTE FUNCTION fp_meta_fixed()".into(),
        ),
    ];
    for table in super::schema::DERIVED {
        t.push((
            format!("{table}_derived"),
            table.to_string(),
            format!("BEFORE INSERT OR DELETE OR UPDATE ON {table} FOR EACH ROW {NOT_WRITER} EXECUTE FUNCTION fp_derived()"),
        ));
        t.push((
            format!("{table}_no_truncate"),
            table.to_string(),
            format!("BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION fp_derived_truncate()"),
        ));
    }
    t
}

/// The functions' DDL.
fn functions_sql() -> String {
    FUNCTIONS
        .iter()
        .map(|(name, body)| {
            format!(
                "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fp${body}$fp$;\n"
            )
        })
        .collect()
}

/// The whole protective layer, placed after the tables.
pub fn protection() -> String {
    format!("{META}{}", functions_sql())
}

/// The first thing in the database's structure that is not as fairpanel made it: a missing,
/// disabled or altered trigger, an altered function, a table fairpanel does not know.
pub fn schema_problem(conn: &Connection) -> Result<Option<(String, String)>> {
    // Functions, body for body.
    let have: Vec<(String, String)> = conn
        .prepare(
            "SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'fp\\_%'",
        )?
        .query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<db::Result<_>>()?;
    for (name, body) in FUNCTIONS {
        match have.iter().find(|(n, _)| n == name) {
            None => return Ok(Some(missing("function", name))),
            Some((_, b)) if b != body => {
                return Ok(Some((
                    format!("function {name}"),
                    "it was changed: the protection fairpanel put on the database was altered"
                        .into(),
                )))
            }
            _ => {}
        }
    }
    // Triggers: present, enabled, and defined as made.
    let have: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT t.tgname::text, t.tgenabled::text, pg_get_triggerdef(t.oid)
             FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE NOT t.tgisinternal AND n.nspname = current_schema()",
        )?
        .query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<db::Result<_>>()?;
    let want = triggers();
    for (name, _, def) in &want {
        match have.iter().find(|(n, _, _)| n == name) {
            None => return Ok(Some(missing("trigger", name))),
            Some((_, enabled, _)) if enabled != "O" && enabled != "A" => {
                return Ok(Some((
                    format!("trigger {name}"),
                    "it was disabled: the protection fairpanel put on the database was turned off"
                        .into(),
                )))
            }
            Some((_, _, got))
                if normalise(got) != normalise(&format!("CREATE TRIGGER {name} {def}")) =>
            {
                return Ok(Some((
                    format!("trigger {name}"),
                    "it was changed: the protection fairpanel put on the database was altered"
                        .into(),
                )))
            }
            _ => {}
        }
    }
    if let Some((name, _, _)) = have
        .iter()
        .find(|(n, _, _)| !want.iter().any(|w| &w.0 == n))
    {
        return Ok(Some((
            format!("trigger {name}"),
            "fairpanel did not create it: the database's structure was changed".into(),
        )));
    }
    // Tables.
    let tables: Vec<String> = conn
        .prepare(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'p', 'f')",
        )?
        .query_map((), |r| r.get(0))?
        .collect::<db::Result<_>>()?;
    let known = |t: &str| {
        ["events", "keys", "fairpanel_meta"].contains(&t) || super::schema::DERIVED.contains(&t)
    };
    if let Some(t) = tables.iter().find(|t| !known(t)) {
        return Ok(Some((
            format!("table {t}"),
            "fairpanel did not create it: the database's structure was changed".into(),
        )));
    }
    Ok(None)
}

fn missing(kind: &str, name: &str) -> (String, String) {
    (
        format!("{kind} {name}"),
        "it is missing: the protection fairpanel put on the database was removed".into(),
    )
}

/// A trigger definition as the server prints it, without schema names, casts and spacing that
/// differ from how it was written.
fn normalise(def: &str) -> String {
    def.replace("public.", "")
        .replace("::text", "")
        .replace(['(', ')'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A backup of a PostgreSQL store: an SQLite copy of the whole record (which `verify --receipt`
/// checks like any other backup). `pg_dump` remains the server's own way.
pub fn backup(store: &super::Store, to: &Path) -> Result<crate::record::chain::Receipt> {
    super::copy::copy_to_file(store, to)
}

/// After an erasure: rewrite the keys table so erased keys do not stay in its dead rows.
pub fn compact(conn: &Connection) -> Result<()> {
    conn.execute_batch("VACUUM FULL keys")?;
    Ok(())
}
