//! The schema. A new database is created at [`VERSION`] directly. A database written by an older
//! fairpanel (schema 1 to 4, whose tables were not derived from the log) is first brought to schema 4
//! by [`LEGACY_MIGRATIONS`], then upgraded by `legacy::upgrade`, which re-records its history as
//! events and keeps the old log, still verifiable, in `legacy_events`.
//! Never edit a migration that has shipped: add a new one.

/// Schema version of databases this fairpanel writes (`PRAGMA user_version`).
pub const VERSION: i64 = 5;

/// Tables that hold facts fairpanel derives from the event log; only fairpanel writes them (see
/// [`protect`]), and `verify` rebuilds them from the log and compares.
pub const DERIVED: &[&str] = &[
    "banks",
    "people",
    "invites",
    "sessions",
    "vacancies",
    "vacancy_questions",
    "panellists",
    "panellist_ethnicity",
    "candidates",
    "monitoring",
    "sealed_sheets",
    "decisions",
    "scope_heads",
    "scope_nodes",
];

/// Schema 5: the event log, the keys that seal personal data, and the derived tables.
pub const CURRENT: &str = r#"
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    auth       TEXT NOT NULL,
    action     TEXT NOT NULL,
    scope      TEXT NOT NULL,
    scope_seq  INTEGER NOT NULL,
    scope_prev TEXT NOT NULL,
    payload    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE UNIQUE INDEX events_scope ON events(scope, scope_seq);
CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_append_only_d BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
-- Keys sealing personal data. Deleting one is how personal data is erased; a key is never reused
-- (AUTOINCREMENT) and never changed.
CREATE TABLE keys (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    key  BLOB NOT NULL CHECK (length(key) = 32)
);
CREATE TRIGGER keys_unchangeable BEFORE UPDATE ON keys
    BEGIN SELECT RAISE(ABORT, 'keys are never changed'); END;
CREATE TABLE banks (
    sha256   TEXT PRIMARY KEY,
    bank_id  TEXT NOT NULL,
    version  INTEGER NOT NULL,
    yaml     TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE people (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    roles           TEXT NOT NULL,
    trained_on      TEXT,
    has_credential  INTEGER NOT NULL
);
CREATE TABLE invites (
    token_sha256  TEXT PRIMARY KEY,
    person        INTEGER NOT NULL,
    purpose       TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    usable        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE sessions (
    token_sha256  TEXT PRIMARY KEY,
    person        INTEGER NOT NULL,
    expires_at    TEXT NOT NULL,
    live          INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE vacancies (
    id                   TEXT PRIMARY KEY,
    title                TEXT NOT NULL,
    band                 TEXT,
    service              TEXT,
    bank_sha             TEXT NOT NULL,
    policy_source        TEXT NOT NULL,
    policy_yaml          TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    questions            INTEGER NOT NULL,
    decided              INTEGER NOT NULL,
    overridden_gaps      INTEGER NOT NULL,
    coverage_overridden  INTEGER NOT NULL,
    review_status        TEXT NOT NULL,
    review_required      INTEGER NOT NULL,
    reviews              INTEGER NOT NULL,
    returns              INTEGER NOT NULL,
    decided_at           TEXT,
    signed_off_at        TEXT
) WITHOUT ROWID;
CREATE TABLE vacancy_questions (
    vacancy   TEXT NOT NULL,
    position  INTEGER NOT NULL,
    question  TEXT NOT NULL,
    category  TEXT NOT NULL,
    PRIMARY KEY (vacancy, position)
) WITHOUT ROWID;
CREATE TABLE panellists (
    id          INTEGER PRIMARY KEY,
    vacancy     TEXT NOT NULL,
    person      INTEGER NOT NULL,
    role        TEXT NOT NULL,
    trained_on  TEXT,
    stood_down  INTEGER NOT NULL
);
CREATE INDEX panellists_vacancy ON panellists(vacancy);
CREATE INDEX panellists_person ON panellists(person);
-- Self-declared, optional, revocable; read only by the composition check and the audit's aggregates.
CREATE TABLE panellist_ethnicity (
    panellist  INTEGER PRIMARY KEY,
    nhs_code   TEXT NOT NULL
);
CREATE TABLE candidates (
    id         INTEGER PRIMARY KEY,
    vacancy    TEXT NOT NULL,
    ref        TEXT NOT NULL,
    interview  INTEGER NOT NULL,
    revealed   INTEGER NOT NULL,
    withdrawn  INTEGER NOT NULL
);
CREATE UNIQUE INDEX candidates_ref ON candidates(vacancy, ref);
-- Monitoring data: used only in aggregates, never on a scoring screen.
CREATE TABLE monitoring (
    candidate   INTEGER PRIMARY KEY,
    stage       TEXT NOT NULL,
    ethnicity   TEXT NOT NULL,
    gender      TEXT,
    disability  TEXT,
    internal    INTEGER
);
-- Independent scores of revealed candidates only, one row per sheet, "position:score" pairs.
CREATE TABLE sealed_sheets (
    sheet      INTEGER PRIMARY KEY,
    candidate  INTEGER NOT NULL,
    panellist  INTEGER NOT NULL,
    scores     TEXT NOT NULL
);
CREATE INDEX sealed_sheets_candidate ON sealed_sheets(candidate);
CREATE TABLE decisions (
    seq         INTEGER PRIMARY KEY,
    vacancy     TEXT NOT NULL,
    appointed   TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    unresolved  INTEGER NOT NULL
);
CREATE INDEX decisions_vacancy ON decisions(vacancy);
-- The Merkle tree over scope heads that checkpoints commit to.
CREATE TABLE scope_heads (
    scope      TEXT PRIMARY KEY,
    idx        INTEGER NOT NULL UNIQUE,
    count      INTEGER NOT NULL,
    last_seq   INTEGER NOT NULL,
    last_hash  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE scope_nodes (
    level  INTEGER NOT NULL,
    idx    INTEGER NOT NULL,
    hash   BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
"#;

/// Triggers that keep every derived table (and key deletion) to fairpanel: they call `fp_writer()`, a
/// function only fairpanel's own connections define, so a write from an SQLite shell fails with
/// "no such function". Someone who drops the triggers can still edit the tables; `verify` then finds
/// both the dropped triggers and the edit.
pub fn protect() -> String {
    let mut sql = String::new();
    for t in DERIVED {
        for (op, verb) in [("INSERT", "i"), ("UPDATE", "u"), ("DELETE", "d")] {
            sql.push_str(&format!(
                "CREATE TRIGGER {t}_derived_{verb} BEFORE {op} ON {t} WHEN fp_writer() IS NOT 1\n    \
                 BEGIN SELECT RAISE(ABORT, '{t} is derived from the event log: only fairpanel writes it'); END;\n"
            ));
        }
    }
    for (op, verb) in [("INSERT", "i"), ("DELETE", "d")] {
        sql.push_str(&format!(
            "CREATE TRIGGER keys_guard_{verb} BEFORE {op} ON keys WHEN fp_writer() IS NOT 1\n    \
             BEGIN SELECT RAISE(ABORT, 'keys are written and erased only by fairpanel'); END;\n"
        ));
    }
    sql
}

/// The whole schema of a new database.
pub fn current() -> String {
    format!("{CURRENT}{}", protect())
}

pub const LEGACY_MIGRATIONS: &[&str] = &[
    // 1: the core journey.
    r#"
CREATE TABLE banks (
    id          INTEGER PRIMARY KEY,
    bank_id     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    sha256      TEXT NOT NULL UNIQUE,
    yaml        TEXT NOT NULL
);
CREATE TABLE vacancies (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    band          TEXT,
    service       TEXT,
    bank          INTEGER NOT NULL REFERENCES banks(id),
    policy_source TEXT NOT NULL,
    policy_yaml   TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE TABLE vacancy_questions (
    vacancy   TEXT NOT NULL REFERENCES vacancies(id),
    position  INTEGER NOT NULL,
    question  TEXT NOT NULL,
    PRIMARY KEY (vacancy, question)
);
CREATE TABLE panellists (
    id          INTEGER PRIMARY KEY,
    vacancy     TEXT NOT NULL REFERENCES vacancies(id),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('chair','member','independent')),
    trained_on  TEXT,
    added_at    TEXT NOT NULL,
    UNIQUE (vacancy, name)
);
-- Self-declared, optional, revocable; read only by the composition check.
CREATE TABLE panellist_ethnicity (
    panellist   INTEGER PRIMARY KEY REFERENCES panellists(id),
    nhs_code    TEXT NOT NULL
);
CREATE TABLE candidates (
    id          INTEGER PRIMARY KEY,
    vacancy     TEXT NOT NULL REFERENCES vacancies(id),
    ref         TEXT NOT NULL,
    name        TEXT,
    added_at    TEXT NOT NULL,
    UNIQUE (vacancy, ref)
);
CREATE TABLE conflicts (
    panellist   INTEGER NOT NULL REFERENCES panellists(id),
    candidate   INTEGER NOT NULL REFERENCES candidates(id),
    note        TEXT NOT NULL,
    PRIMARY KEY (panellist, candidate)
);
-- Monitoring data: used only in aggregates, never on a scoring screen.
CREATE TABLE monitoring (
    candidate   INTEGER PRIMARY KEY REFERENCES candidates(id),
    stage       TEXT NOT NULL CHECK (stage IN ('applied','shortlisted','interviewed','offered','appointed')),
    ethnicity   TEXT NOT NULL,
    gender      TEXT,
    disability  TEXT,
    internal    INTEGER
);
CREATE TABLE sheets (
    id            INTEGER PRIMARY KEY,
    candidate     INTEGER NOT NULL REFERENCES candidates(id),
    panellist     INTEGER NOT NULL REFERENCES panellists(id),
    opened_at     TEXT NOT NULL,
    submitted_at  TEXT,
    UNIQUE (candidate, panellist)
);
-- Append-only: a changed answer is a new row; after submission only a correction with a reason.
CREATE TABLE answers (
    id                INTEGER PRIMARY KEY,
    sheet             INTEGER NOT NULL REFERENCES sheets(id),
    question          TEXT NOT NULL,
    score             INTEGER NOT NULL,
    evidence          TEXT NOT NULL,
    recorded_at       TEXT NOT NULL,
    correction_reason TEXT,
    event             INTEGER NOT NULL
);
CREATE INDEX answers_sheet ON answers(sheet, question, id);
CREATE TABLE moderations (
    id          INTEGER PRIMARY KEY,
    candidate   INTEGER NOT NULL REFERENCES candidates(id),
    question    TEXT NOT NULL,
    score       INTEGER NOT NULL,
    reason      TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    event       INTEGER NOT NULL
);
CREATE TABLE decisions (
    id                INTEGER PRIMARY KEY,
    vacancy           TEXT NOT NULL REFERENCES vacancies(id),
    appointed         INTEGER NOT NULL REFERENCES candidates(id),
    reserves          TEXT NOT NULL,
    rationale         TEXT NOT NULL,
    unresolved_reason TEXT,
    recorded_by       TEXT NOT NULL,
    recorded_at       TEXT NOT NULL,
    event             INTEGER NOT NULL
);
CREATE TABLE events (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    payload   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_append_only_d BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER answers_append_only_u BEFORE UPDATE ON answers
    BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
CREATE TRIGGER answers_append_only_d BEFORE DELETE ON answers
    BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
CREATE TRIGGER answers_sealed BEFORE INSERT ON answers
    WHEN NEW.correction_reason IS NULL
     AND (SELECT submitted_at FROM sheets WHERE id = NEW.sheet) IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'the sheet is submitted and sealed'); END;
CREATE TRIGGER sheets_sealed BEFORE UPDATE ON sheets
    WHEN OLD.submitted_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'the sheet is submitted and sealed'); END;
"#,
    // 2: application pipelines. Applicants imported from a pipeline who were never interviewed are
    // candidates with `interview = 0`, so scoring screens and reports leave them out.
    r#"
ALTER TABLE candidates ADD COLUMN interview INTEGER NOT NULL DEFAULT 1;
CREATE INDEX monitoring_stage ON monitoring(stage);
CREATE INDEX moderations_candidate ON moderations(candidate, question);
CREATE INDEX decisions_vacancy ON decisions(vacancy);
"#,
    // 3: sealed scores, compactly: the current score of every sealed sheet by question position in the
    // vacancy's plan. Derived from `answers` (which stay the record; `verify` checks the two agree), so
    // the audit reads a million scores without reading every evidence note.
    r#"
CREATE TABLE sealed_scores (
    sheet     INTEGER NOT NULL REFERENCES sheets(id),
    position  INTEGER NOT NULL,
    score     INTEGER NOT NULL,
    PRIMARY KEY (sheet, position)
) WITHOUT ROWID;
INSERT INTO sealed_scores (sheet, position, score)
SELECT a.sheet, vq.position, a.score
FROM (SELECT sheet, question, max(id) AS id FROM answers GROUP BY sheet, question) l
JOIN answers a ON a.id = l.id
JOIN sheets s ON s.id = a.sheet AND s.submitted_at IS NOT NULL
JOIN candidates c ON c.id = s.candidate
JOIN vacancy_questions vq ON vq.vacancy = c.vacancy AND vq.question = a.question;
"#,
    // 4: the compact copy per sheet rather than per score: one row for each sealed sheet with its
    // candidate, panellist and current scores as "position:score" pairs in plan order, so the audit
    // reads some 180,000 rows at a trust's scale instead of 1.2 million.
    r#"
CREATE TABLE sealed_sheets (
    sheet      INTEGER PRIMARY KEY REFERENCES sheets(id),
    candidate  INTEGER NOT NULL REFERENCES candidates(id),
    panellist  INTEGER NOT NULL REFERENCES panellists(id),
    scores     TEXT NOT NULL
);
INSERT INTO sealed_sheets (sheet, candidate, panellist, scores)
SELECT s.id, s.candidate, s.panellist,
       coalesce(group_concat(ss.position || ':' || ss.score, ' ' ORDER BY ss.position), '')
FROM sheets s LEFT JOIN sealed_scores ss ON ss.sheet = s.id
WHERE s.submitted_at IS NOT NULL
GROUP BY s.id;
DROP TABLE sealed_scores;
"#,
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_schema_builds_and_protects_every_derived_table() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(&super::current()).unwrap();
        for t in super::DERIVED {
            let n: i64 = c
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1",
                    [t],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 3, "{t}");
            // Without fairpanel's function, any write is refused.
            assert!(c.execute(&format!("DELETE FROM {t}"), []).is_err(), "{t}");
        }
    }
}
