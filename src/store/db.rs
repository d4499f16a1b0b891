//! One connection type over the two backends: SQLite (a file, through rusqlite) and PostgreSQL
//! (a server, through the synchronous `postgres` client).
//!
//! The store's SQL is written once, in SQLite's spelling with numbered parameters (`?1`); for
//! PostgreSQL the parameters are renumbered (`$1`) and each parameter is sent with its type, so the
//! server never has to guess it. Values come back as the same five kinds on both (null, integer,
//! real, text, bytes). Everything the two do differently that SQL cannot hide (the schema and its
//! triggers, version stamps, locking, backups) lives in the store's own methods, behind
//! [`Connection::backend`].

use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A database error from either backend, or a value of the wrong kind.
#[derive(Debug)]
pub enum Error {
    Lite(rusqlite::Error),
    #[cfg(feature = "postgres")]
    Pg(postgres::Error),
    NoRows,
    Kind(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Lite(e) => e.fmt(f),
            #[cfg(feature = "postgres")]
            Error::Pg(e) => match e.as_db_error() {
                // The server's own words (a trigger's refusal, a constraint), not the client's wrapper.
                Some(d) => f.write_str(d.message()),
                None => e.fmt(f),
            },
            Error::NoRows => f.write_str("the query returned no rows"),
            Error::Kind(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Lite(e) => e.source(),
            #[cfg(feature = "postgres")]
            Error::Pg(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => Error::NoRows,
            e => Error::Lite(e),
        }
    }
}

#[cfg(feature = "postgres")]
impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Pg(e)
    }
}

impl Error {
    /// The SQLite error code, when SQLite raised it.
    pub fn sqlite_code(&self) -> Option<rusqlite::ErrorCode> {
        match self {
            Error::Lite(rusqlite::Error::SqliteFailure(f, _)) => Some(f.code),
            _ => None,
        }
    }
}

/// `query_row(...).optional()`: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Which server a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A value as sent to PostgreSQL: its kind fixes the parameter's type even when it is null.
#[derive(Debug, Clone)]
pub enum PgVal {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// A value that can be bound to a parameter on either backend.
pub trait Param {
    fn lite(&self) -> &dyn rusqlite::ToSql;
    fn pg(&self) -> PgVal;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn lite(&self) -> &dyn rusqlite::ToSql { self }
            fn pg(&self) -> PgVal { PgVal::Int(Some(*self as i64)) }
        }
    )*};
}
int_param!(i64, i32, u32, u16, u8);

impl Param for bool {
    fn lite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn pg(&self) -> PgVal {
        PgVal::Int(Some(i64::from(*self)))
    }
}
impl Param for f64 {
    fn lite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn pg(&self) -> PgVal {
        PgVal::Real(Some(*self))
    }
}
impl Param for &str {
    fn lite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn pg(&self) -> PgVal {
        PgVal::Text(Some(self.to_string()))
    }
}
impl Param for String {
    fn lite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn pg(&self) -> PgVal {
        PgVal::Text(Some(self.clone()))
    }
}
impl Param for &[u8] {
    fn lite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn pg(&self) -> PgVal {
        PgVal::Bytes(Some(self.to_vec()))
    }
}
impl Param for Vec<u8> {
    fn lite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn pg(&self) -> PgVal {
        PgVal::Bytes(Some(self.clone()))
    }
}
impl<T: Param> Param for &T {
    fn lite(&self) -> &dyn rusqlite::ToSql {
        (**self).lite()
    }
    fn pg(&self) -> PgVal {
        (**self).pg()
    }
}

/// The kind a `None` of this type is sent as.
pub trait NullKind {
    fn null() -> PgVal;
}
macro_rules! null_kind {
    ($v:ident: $($t:ty),*) => {$( impl NullKind for $t { fn null() -> PgVal { PgVal::$v(None) } } )*};
}
null_kind!(Int: i64, i32, u32, u16, u8, bool);
null_kind!(Real: f64);
null_kind!(Text: &str, String);
null_kind!(Bytes: Vec<u8>, &[u8]);
impl<T: NullKind> NullKind for &T {
    fn null() -> PgVal {
        T::null()
    }
}

impl<T: Param + NullKind + rusqlite::ToSql> Param for Option<T> {
    fn lite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn pg(&self) -> PgVal {
        match self {
            Some(v) => v.pg(),
            None => T::null(),
        }
    }
}

/// A value copied from one database to another: what was read, and the kind a null is sent as
/// (the destination column's).
pub struct Cell {
    pub value: rusqlite::types::Value,
    pub null: PgVal,
}

impl Param for Cell {
    fn lite(&self) -> &dyn rusqlite::ToSql {
        &self.value
    }
    fn pg(&self) -> PgVal {
        use rusqlite::types::Value as V;
        match &self.value {
            V::Null => self.null.clone(),
            V::Integer(i) => PgVal::Int(Some(*i)),
            V::Real(r) => PgVal::Real(Some(*r)),
            V::Text(t) => PgVal::Text(Some(t.clone())),
            V::Blob(b) => PgVal::Bytes(Some(b.clone())),
        }
    }
}

impl ValueRef<'_> {
    pub fn to_owned(&self) -> rusqlite::types::Value {
        use rusqlite::types::Value as V;
        match *self {
            ValueRef::Null => V::Null,
            ValueRef::Integer(i) => V::Integer(i),
            ValueRef::Real(r) => V::Real(r),
            ValueRef::Text(t) => V::Text(t.to_string()),
            ValueRef::Blob(b) => V::Blob(b.to_vec()),
        }
    }
}

/// A list of parameters: `()`, an array of one kind, or [`params!`](crate::params)'s mixed list.
pub trait Params {
    fn list(&self) -> Vec<&dyn Param>;
}
impl Params for () {
    fn list(&self) -> Vec<&dyn Param> {
        Vec::new()
    }
}
impl<T: Param, const N: usize> Params for [T; N] {
    fn list(&self) -> Vec<&dyn Param> {
        self.iter().map(|p| p as &dyn Param).collect()
    }
}
impl Params for &[&dyn Param] {
    fn list(&self) -> Vec<&dyn Param> {
        self.to_vec()
    }
}
impl<T: Param> Params for &Vec<T> {
    fn list(&self) -> Vec<&dyn Param> {
        self.iter().map(|p| p as &dyn Param).collect()
    }
}

/// Parameters of mixed types, as rusqlite's macro of the same name.
#[macro_export]
macro_rules! params {
    () => { () };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::store::db::Param),+] as &[&dyn $crate::store::db::Param]
    };
}

/// A column's value, borrowed from its row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl<'a> ValueRef<'a> {
    pub fn as_str(&self) -> Result<&'a str> {
        match *self {
            ValueRef::Text(t) => Ok(t),
            v => Err(kind_error("text", v)),
        }
    }
    pub fn as_i64(&self) -> Result<i64> {
        i64::from_col(*self)
    }
    pub fn as_blob(&self) -> Result<&'a [u8]> {
        match *self {
            ValueRef::Blob(b) => Ok(b),
            v => Err(kind_error("bytes", v)),
        }
    }
}

/// A column read into a Rust value.
pub trait FromCol: Sized {
    fn from_col(v: ValueRef<'_>) -> Result<Self>;
}

fn kind_error(want: &str, got: ValueRef<'_>) -> Error {
    let got = match got {
        ValueRef::Null => "null",
        ValueRef::Integer(_) => "an integer",
        ValueRef::Real(_) => "a real",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "bytes",
    };
    Error::Kind(format!("a column holds {got} where {want} was expected"))
}

impl FromCol for i64 {
    fn from_col(v: ValueRef<'_>) -> Result<Self> {
        match v {
            ValueRef::Integer(i) => Ok(i),
            v => Err(kind_error("an integer", v)),
        }
    }
}
impl FromCol for i32 {
    fn from_col(v: ValueRef<'_>) -> Result<Self> {
        i64::from_col(v)
            .and_then(|i| i32::try_from(i).map_err(|_| Error::Kind(format!("{i} is out of range"))))
    }
}
impl FromCol for u32 {
    fn from_col(v: ValueRef<'_>) -> Result<Self> {
        i64::from_col(v)
            .and_then(|i| u32::try_from(i).map_err(|_| Error::Kind(format!("{i} is out of range"))))
    }
}
impl FromCol for usize {
    fn from_col(v: ValueRef<'_>) -> Result<Self> {
        i64::from_col(v).and_then(|i| {
            usize::try_from(i).map_err(|_| Error::Kind(format!("{i} is out of range")))
        })
    }
}
impl FromCol for bool {
    fn from_col(v: ValueRef<'_>) -> Result<Self> {
        i64::from_col(v).map(|i| i != 0)
    }
}
impl FromCol for f64 {
    fn from_col(v: ValueRef<'_>) -> Result<Self> {
        match v {
            ValueRef::Real(r) => Ok(r),
            ValueRef::Integer(i) => Ok(i as f64),
            v => Err(kind_error("a number", v)),
        }
    }
}
impl FromCol for String {
    fn from_col(v: ValueRef<'_>) -> Result<Self> {
        match v {
            ValueRef::Text(t) => Ok(t.to_string()),
            v => Err(kind_error("text", v)),
        }
    }
}
impl FromCol for Vec<u8> {
    fn from_col(v: ValueRef<'_>) -> Result<Self> {
        match v {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            v => Err(kind_error("bytes", v)),
        }
    }
}
impl<T: FromCol> FromCol for Option<T> {
    fn from_col(v: ValueRef<'_>) -> Result<Self> {
        match v {
            ValueRef::Null => Ok(None),
            v => T::from_col(v).map(Some),
        }
    }
}

/// A column index (only `usize`, so that a literal `0` needs no suffix).
pub trait RowIndex {
    fn index(&self) -> usize;
}
impl RowIndex for usize {
    fn index(&self) -> usize {
        *self
    }
}

/// One row of a result.
pub enum Row<'a> {
    Lite(&'a rusqlite::Row<'a>),
    #[cfg(feature = "postgres")]
    Pg(&'a postgres::Row),
}

impl<'a> Row<'a> {
    /// Column `i` (from 0). The unused first type parameter keeps rusqlite's `get::<_, T>` spelling.
    pub fn get<I: RowIndex, T: FromCol>(&self, i: I) -> Result<T> {
        T::from_col(self.get_ref(i.index())?)
    }

    pub fn get_ref(&self, i: usize) -> Result<ValueRef<'_>> {
        match self {
            Row::Lite(r) => Ok(match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => ValueRef::Null,
                rusqlite::types::ValueRef::Integer(i) => ValueRef::Integer(i),
                rusqlite::types::ValueRef::Real(f) => ValueRef::Real(f),
                // Text that is not UTF-8 was not written by fairpanel: it reads as bytes, which no
                // column expects, so it is reported rather than mangled.
                rusqlite::types::ValueRef::Text(t) => match std::str::from_utf8(t) {
                    Ok(t) => ValueRef::Text(t),
                    Err(_) => ValueRef::Blob(t),
                },
                rusqlite::types::ValueRef::Blob(b) => ValueRef::Blob(b),
            }),
            #[cfg(feature = "postgres")]
            Row::Pg(r) => pg::value(r, i),
        }
    }

    pub fn column_count(&self) -> usize {
        match self {
            Row::Lite(r) => r.as_ref().column_count(),
            #[cfg(feature = "postgres")]
            Row::Pg(r) => r.len(),
        }
    }
}

/// What a transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    /// Reads from one snapshot.
    Read,
    /// Writes, holding the writer's lock from the start so writers queue rather than fail.
    Write,
}

/// A connection to either backend.
pub enum Connection {
    Lite(rusqlite::Connection),
    #[cfg(feature = "postgres")]
    Pg(Box<pg::PgConn>),
}

impl Connection {
    pub fn backend(&self) -> Backend {
        match self {
            Connection::Lite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            Connection::Pg(_) => Backend::Postgres,
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, the backup API, legacy upgrades).
    pub fn lite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Connection::Lite(c) => Some(c),
            #[cfg(feature = "postgres")]
            Connection::Pg(_) => None,
        }
    }

    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare_cached(sql)
    }

    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        match self {
            Connection::Lite(c) => Ok(Statement::Lite(c.prepare_cached(sql)?)),
            #[cfg(feature = "postgres")]
            Connection::Pg(c) => Ok(Statement::Pg(c, sql.to_string())),
        }
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    pub fn query_row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// How a null is sent to each column of `table` (all the same on SQLite, which has no column
    /// types to match).
    pub fn null_kinds(&self, table: &str) -> Result<Vec<PgVal>> {
        match self {
            Connection::Lite(_) => Ok(Vec::new()),
            #[cfg(feature = "postgres")]
            Connection::Pg(c) => c.null_kinds(table),
        }
    }

    /// `COPY … FROM STDIN` on PostgreSQL, `f` writing the rows in text format; `None` on SQLite,
    /// which has no such path (its inserts are in-process and fast already).
    pub fn copy_in(
        &self,
        sql: &str,
        f: impl FnOnce(&mut dyn std::io::Write) -> Result<()>,
    ) -> Result<Option<u64>> {
        match self {
            Connection::Lite(_) => {
                let _ = (sql, f);
                Ok(None)
            }
            #[cfg(feature = "postgres")]
            Connection::Pg(c) => c.copy_in(sql, f).map(Some),
        }
    }

    /// Statements without parameters, separated by semicolons.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Connection::Lite(c) => Ok(c.execute_batch(sql)?),
            #[cfg(feature = "postgres")]
            Connection::Pg(c) => c.batch(sql),
        }
    }

    /// Begin a transaction; it rolls back when dropped uncommitted.
    pub fn transaction(&self, b: Behavior) -> Result<Transaction<'_>> {
        match (self, b) {
            (Connection::Lite(c), Behavior::Read) => c.execute_batch("BEGIN DEFERRED")?,
            (Connection::Lite(c), Behavior::Write) => c.execute_batch("BEGIN IMMEDIATE")?,
            #[cfg(feature = "postgres")]
            (Connection::Pg(c), b) => c.begin(b)?,
        }
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }
}

/// An open transaction; dereferences to its connection.
pub struct Transaction<'c> {
    conn: &'c Connection,
    done: bool,
}

impl Transaction<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.conn.execute_batch("COMMIT")
    }

    /// Ends a read transaction (nothing to keep).
    pub fn finish(self) -> Result<()> {
        self.commit()
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// A prepared statement (cached on SQLite; on PostgreSQL prepared on first use with its parameters'
/// types and cached per connection).
pub enum Statement<'c> {
    Lite(rusqlite::CachedStatement<'c>),
    #[cfg(feature = "postgres")]
    Pg(&'c pg::PgConn, String),
}

impl Statement<'_> {
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let list = params.list();
        match self {
            Statement::Lite(s) => {
                let lite: Vec<&dyn rusqlite::ToSql> = list.iter().map(|p| p.lite()).collect();
                Ok(s.execute(&lite[..])?)
            }
            #[cfg(feature = "postgres")]
            Statement::Pg(c, sql) => c.execute(sql, &list),
        }
    }

    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows<'_>> {
        let list = params.list();
        match self {
            Statement::Lite(s) => {
                let lite: Vec<&dyn rusqlite::ToSql> = list.iter().map(|p| p.lite()).collect();
                Ok(Rows::Lite(s.query(&lite[..])?))
            }
            #[cfg(feature = "postgres")]
            Statement::Pg(c, sql) => Ok(Rows::Pg(c.query(sql, &list)?.into_iter(), None)),
        }
    }

    pub fn query_row<T, P: Params>(
        &mut self,
        params: P,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut rows = self.query(params)?;
        match rows.next()? {
            Some(r) => f(&r),
            None => Err(Error::NoRows),
        }
    }

    pub fn query_map<T, P: Params, F: FnMut(&Row<'_>) -> Result<T>>(
        &mut self,
        params: P,
        f: F,
    ) -> Result<MappedRows<'_, F>> {
        Ok(MappedRows {
            rows: self.query(params)?,
            f,
        })
    }
}

/// The rows of a query, read one at a time.
pub enum Rows<'s> {
    Lite(rusqlite::Rows<'s>),
    #[cfg(feature = "postgres")]
    Pg(std::vec::IntoIter<postgres::Row>, Option<postgres::Row>),
}

impl Rows<'_> {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row<'_>>> {
        match self {
            Rows::Lite(r) => Ok(r.next()?.map(Row::Lite)),
            #[cfg(feature = "postgres")]
            Rows::Pg(it, cur) => {
                *cur = it.next();
                Ok(cur.as_ref().map(Row::Pg))
            }
        }
    }
}

pub struct MappedRows<'s, F> {
    rows: Rows<'s>,
    f: F,
}

impl<T, F: FnMut(&Row<'_>) -> Result<T>> Iterator for MappedRows<'_, F> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        match self.rows.next() {
            Ok(Some(r)) => Some((self.f)(&r)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// `?1` → `$1`, and a bare `?` → the next number, outside quotes.
pub fn pg_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let (mut quote, mut next) = (None::<char>, 1usize);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    out.push_str(&next.to_string());
                    next += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            (None, c) => out.push(c),
        }
    }
    out
}

#[cfg(feature = "postgres")]
pub mod pg {
    //! The PostgreSQL side of [`super::Connection`].

    use super::{Behavior, Error, Param, PgVal, Result, ValueRef};
    use postgres::types::{ToSql, Type};
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// The key of the advisory lock every writer takes for its transaction: the counterpart of
    /// SQLite's `BEGIN IMMEDIATE`, so the chain is extended by one writer at a time.
    pub const WRITER_LOCK: i64 = 0x4650_4E4C;

    pub struct PgConn {
        client: RefCell<postgres::Client>,
        cache: RefCell<HashMap<(String, Vec<Type>), postgres::Statement>>,
    }

    impl PgConn {
        pub fn new(client: postgres::Client) -> PgConn {
            PgConn {
                client: RefCell::new(client),
                cache: RefCell::new(HashMap::new()),
            }
        }

        pub fn null_kinds(&self, table: &str) -> Result<Vec<PgVal>> {
            let stmt = self
                .client
                .borrow_mut()
                .prepare(&format!("SELECT * FROM {table} WHERE false"))?;
            Ok(stmt
                .columns()
                .iter()
                .map(|c| match *c.type_() {
                    Type::INT8 | Type::INT4 | Type::INT2 => PgVal::Int(None),
                    Type::FLOAT8 | Type::FLOAT4 => PgVal::Real(None),
                    Type::BYTEA => PgVal::Bytes(None),
                    _ => PgVal::Text(None),
                })
                .collect())
        }

        pub fn copy_in(
            &self,
            sql: &str,
            f: impl FnOnce(&mut dyn std::io::Write) -> Result<()>,
        ) -> Result<u64> {
            let mut client = self.client.borrow_mut();
            let mut w = client.copy_in(sql)?;
            f(&mut w)?;
            Ok(w.finish()?)
        }

        pub fn batch(&self, sql: &str) -> Result<()> {
            Ok(self.client.borrow_mut().batch_execute(sql)?)
        }

        pub fn begin(&self, b: Behavior) -> Result<()> {
            self.batch(match b {
                // One snapshot for everything the read sees.
                Behavior::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                Behavior::Write => "BEGIN ISOLATION LEVEL READ COMMITTED",
            })?;
            if b == Behavior::Write {
                self.batch(&format!("SELECT pg_advisory_xact_lock({WRITER_LOCK})"))?;
            }
            Ok(())
        }

        fn statement(&self, sql: &str, vals: &[PgVal]) -> Result<postgres::Statement> {
            let types: Vec<Type> = vals.iter().map(PgVal::pg_type).collect();
            let key = (sql.to_string(), types);
            if let Some(s) = self.cache.borrow().get(&key) {
                return Ok(s.clone());
            }
            let s = self
                .client
                .borrow_mut()
                .prepare_typed(&super::pg_placeholders(sql), &key.1)?;
            self.cache.borrow_mut().insert(key, s.clone());
            Ok(s)
        }

        pub fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
            let vals: Vec<PgVal> = params.iter().map(|p| p.pg()).collect();
            let stmt = self.statement(sql, &vals)?;
            let refs: Vec<&(dyn ToSql + Sync)> =
                vals.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            Ok(self.client.borrow_mut().execute(&stmt, &refs)? as usize)
        }

        pub fn query(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<postgres::Row>> {
            let vals: Vec<PgVal> = params.iter().map(|p| p.pg()).collect();
            let stmt = self.statement(sql, &vals)?;
            let refs: Vec<&(dyn ToSql + Sync)> =
                vals.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            Ok(self.client.borrow_mut().query(&stmt, &refs)?)
        }

        /// Streams the rows of a query to `f` without holding them all (the audit and `verify`
        /// read millions). `f` must not use this connection.
        pub fn for_each(
            &self,
            sql: &str,
            params: &[&dyn Param],
            mut f: impl FnMut(&postgres::Row) -> Result<()>,
        ) -> Result<()> {
            use postgres::fallible_iterator::FallibleIterator;
            let vals: Vec<PgVal> = params.iter().map(|p| p.pg()).collect();
            let stmt = self.statement(sql, &vals)?;
            let mut client = self.client.borrow_mut();
            let mut it = client.query_raw(&stmt, vals.iter())?;
            while let Some(r) = it.next()? {
                f(&r)?;
            }
            Ok(())
        }
    }

    impl PgVal {
        fn pg_type(&self) -> Type {
            match self {
                PgVal::Int(_) => Type::INT8,
                PgVal::Real(_) => Type::FLOAT8,
                PgVal::Text(_) => Type::TEXT,
                PgVal::Bytes(_) => Type::BYTEA,
            }
        }
    }

    impl ToSql for PgVal {
        fn to_sql(
            &self,
            ty: &Type,
            out: &mut postgres::types::private::BytesMut,
        ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
        {
            match self {
                PgVal::Int(v) => v.to_sql(ty, out),
                PgVal::Real(v) => v.to_sql(ty, out),
                PgVal::Text(v) => v.to_sql(ty, out),
                PgVal::Bytes(v) => v.to_sql(ty, out),
            }
        }
        fn accepts(_: &Type) -> bool {
            true
        }
        postgres::types::to_sql_checked!();
    }

    pub fn value(r: &postgres::Row, i: usize) -> Result<ValueRef<'_>> {
        let col = r
            .columns()
            .get(i)
            .ok_or_else(|| Error::Kind(format!("no column {i}")))?;
        let t = col.type_();
        let v = if *t == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(ValueRef::Integer)
        } else if *t == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?
                .map(|v| ValueRef::Integer(v.into()))
        } else if *t == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?
                .map(|v| ValueRef::Integer(v.into()))
        } else if *t == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?
                .map(|v| ValueRef::Integer(v.into()))
        } else if *t == Type::FLOAT8 {
            r.try_get::<_, Option<f64>>(i)?.map(ValueRef::Real)
        } else if *t == Type::FLOAT4 {
            r.try_get::<_, Option<f32>>(i)?
                .map(|v| ValueRef::Real(v.into()))
        } else if *t == Type::BYTEA {
            r.try_get::<_, Option<&[u8]>>(i)?.map(ValueRef::Blob)
        } else if [Type::TEXT, Type::VARCHAR, Type::NAME, Type::BPCHAR].contains(t) {
            r.try_get::<_, Option<&str>>(i)?.map(ValueRef::Text)
        } else {
            return Err(Error::Kind(format!(
                "column {} has type {t}, which fairpanel does not read (cast it in the query)",
                col.name()
            )));
        };
        Ok(v.unwrap_or(ValueRef::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_renumbered_outside_quotes() {
        assert_eq!(
            pg_placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d = $1"
        );
        assert_eq!(
            pg_placeholders("VALUES (?, ?, ?12)"),
            "VALUES ($1, $2, $12)"
        );
    }

    #[test]
    fn sqlite_rows_read_back_in_every_kind() {
        let c = Connection::Lite(rusqlite::Connection::open_in_memory().unwrap());
        c.execute_batch("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
            .unwrap();
        c.execute(
            "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)",
            crate::params![7i64, 1.5f64, "x", &[1u8, 2][..], None::<String>],
        )
        .unwrap();
        let (i, r, s, b, n): (i64, f64, String, Vec<u8>, Option<String>) = c
            .query_row("SELECT * FROM t", (), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap();
        assert_eq!((i, r, s.as_str(), b, n), (7, 1.5, "x", vec![1, 2], None));
        assert!(matches!(
            c.query_row("SELECT i FROM t WHERE i = 0", (), |r| r.get::<_, i64>(0)),
            Err(Error::NoRows)
        ));
    }
}
