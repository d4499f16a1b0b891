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
];

pub const LATEST: i64 = MIGRATIONS.len() as i64;
