//! Schema migrations, applied in order; `PRAGMA user_version` holds how many have run.
//! Never edit a migration that has shipped: add a new one.

pub const MIGRATIONS: &[&str] = &[
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

/// The current scores of sealed sheets as `sealed_sheets` holds them, derived from the answers (the
/// record): `{filter}` narrows it to one sheet (`?1`) or to every sealed sheet.
fn current_sealed(answers: &str, filter: &str) -> String {
    format!(
        "SELECT s.id AS sheet, s.candidate, s.panellist,
                coalesce(group_concat(vq.position || ':' || a.score, ' ' ORDER BY vq.position), '') AS scores
         FROM sheets s
         JOIN candidates c ON c.id = s.candidate
         LEFT JOIN ({answers}) l ON l.sheet = s.id
         LEFT JOIN answers a ON a.id = l.id
         LEFT JOIN vacancy_questions vq ON vq.vacancy = c.vacancy AND vq.question = a.question
         WHERE {filter}
         GROUP BY s.id"
    )
}

/// Writes (or rewrites, after a correction) the compact copy of sheet `?1`.
pub fn seal_sheet_sql() -> String {
    format!(
        "INSERT OR REPLACE INTO sealed_sheets (sheet, candidate, panellist, scores) {}",
        current_sealed(
            "SELECT sheet, question, max(id) AS id FROM answers WHERE sheet = ?1 GROUP BY question",
            "s.id = ?1"
        )
    )
}

/// Every sealed sheet's copy as it should be, for `verify` to compare with `sealed_sheets`.
pub fn expected_sealed_sql() -> String {
    current_sealed(
        "SELECT sheet, question, max(id) AS id FROM answers GROUP BY sheet, question",
        "s.submitted_at IS NOT NULL",
    )
}

/// The `scores` text of `sealed_sheets` from (position, score) pairs in position order; the same
/// text as [`seal_sheet_sql`] writes.
pub fn sealed_text(pairs: impl IntoIterator<Item = (i64, i64)>) -> String {
    let mut out = String::new();
    for (p, s) in pairs {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("{p}:{s}"));
    }
    out
}

/// Reads `sealed_sheets.scores`, calling `f(position, score)` for each pair; false if it is not
/// well formed.
pub fn parse_sealed(text: &str, mut f: impl FnMut(i64, i64)) -> bool {
    for pair in text.split(' ').filter(|p| !p.is_empty()) {
        let Some((p, s)) = pair.split_once(':') else {
            return false;
        };
        match (p.parse(), s.parse()) {
            (Ok(p), Ok(s)) => f(p, s),
            _ => return false,
        }
    }
    true
}

pub const LATEST: i64 = MIGRATIONS.len() as i64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_round_trips_and_refuses_what_it_did_not_write() {
        let pairs = vec![(0, 4), (1, -2), (12, 100)];
        let text = sealed_text(pairs.iter().copied());
        assert_eq!(text, "0:4 1:-2 12:100");
        let mut back = Vec::new();
        assert!(parse_sealed(&text, |p, s| back.push((p, s))));
        assert_eq!(back, pairs);
        assert!(parse_sealed("", |_, _| panic!("no pairs")));
        for bad in ["0:4 1", "0:x", "a:1", "0:4,1:3"] {
            assert!(!parse_sealed(bad, |_, _| {}), "{bad}");
        }
    }

    #[test]
    fn sealed_text_is_what_sqlite_writes() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let sql: String = c
            .query_row(
                "SELECT group_concat(p || ':' || s, ' ' ORDER BY p)
                 FROM (SELECT 12 AS p, 100 AS s UNION ALL SELECT 0, 4 UNION ALL SELECT 1, -2)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sql, sealed_text([(0, 4), (1, -2), (12, 100)]));
    }
}
