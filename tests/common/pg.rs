//! The PostgreSQL side of the tests: a server to run on, and a throw-away database per test.
//!
//! The server is `FAIRPANEL_TEST_PG` (a URL of a role allowed to create databases), else the one
//! `pg_virtualenv` describes in `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD` (the client library reads
//! none of these itself). `FAIRPANEL_TEST_BACKEND=postgres` runs the integration suites on it;
//! `FAIRPANEL_REQUIRE_PG=1` (set by CI) turns "no server" from a loud skip into a failure.

use std::sync::atomic::{AtomicUsize, Ordering};

pub fn backend_is_postgres() -> bool {
    std::env::var("FAIRPANEL_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The server's URL (to its maintenance database), if one is configured.
pub fn server_url() -> Option<String> {
    if let Ok(u) = std::env::var("FAIRPANEL_TEST_PG") {
        return Some(u);
    }
    let host = std::env::var("PGHOST").ok()?;
    let port = std::env::var("PGPORT").unwrap_or_else(|_| "5432".into());
    let user = std::env::var("PGUSER").unwrap_or_else(|_| "postgres".into());
    let password = std::env::var("PGPASSWORD").unwrap_or_default();
    let db = std::env::var("PGDATABASE").unwrap_or_else(|_| "postgres".into());
    let host = if host.starts_with('/') {
        host.replace('/', "%2F")
    } else {
        host
    };
    let auth = if password.is_empty() {
        user
    } else {
        format!("{user}:{password}")
    };
    Some(format!("postgresql://{auth}@{host}:{port}/{db}"))
}

/// The server, or `None` after saying loudly that the test was skipped (a failure when
/// `FAIRPANEL_REQUIRE_PG=1`).
pub fn server_or_skip(test: &str) -> Option<String> {
    match server_url() {
        Some(u) => Some(u),
        None if std::env::var("FAIRPANEL_REQUIRE_PG").is_ok_and(|v| v == "1") => {
            panic!("{test}: FAIRPANEL_REQUIRE_PG=1 but no PostgreSQL server is configured")
        }
        None => {
            eprintln!(
                "\n*** SKIPPED {test}: no PostgreSQL server (set FAIRPANEL_TEST_PG=postgres://… or run \
                 under pg_virtualenv; `bash .ci/run` does) ***\n"
            );
            None
        }
    }
}

/// A database made for one test and dropped after it.
pub struct Scratch {
    pub url: String,
    name: String,
    admin: String,
}

static N: AtomicUsize = AtomicUsize::new(0);

impl Scratch {
    pub fn new() -> Scratch {
        let admin = server_url().expect(
            "FAIRPANEL_TEST_BACKEND=postgres needs a server: FAIRPANEL_TEST_PG or pg_virtualenv",
        );
        let name = format!(
            "fpt_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let mut c = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot reach the test server: {e}"));
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let (base, _) = admin.rsplit_once('/').expect("a database in the URL");
        let url = format!("{base}/{name}");
        Scratch { url, name, admin }
    }

    /// A plain client on this database (for what a tamperer with SQL access would do).
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
