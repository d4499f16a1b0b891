//! `fairpanel verify`: replay the whole log from the start and compare the result with everything
//! stored.
//!
//! It checks, in order, and reports the first problem in plain words:
//! 1. the schema, with every protective trigger, is the one fairpanel creates;
//! 2. the global chain (every seq present, every event hashing correctly and naming its predecessor),
//!    and every point a signature or a fairness review names is in it, with the hash named;
//! 3. every scope's own chain, and every checkpoint's Merkle root against the scope heads at its point;
//! 4. every event is a valid step for the state it applies to (an answer on a sealed sheet, a reveal
//!    before every sheet was in, a decision over unrevealed candidates: each is refused by the fold);
//! 5. every key that seals personal data is the one the record introduced, and every erased key is
//!    really gone;
//! 6. every derived table, row by row and column by column, equals what the replay derives.

use super::log;
use super::schema;
use crate::record::chain::{EventRow, Receipt, GENESIS};
use crate::record::derive::*;
use crate::record::fact::Fact;
use crate::record::merkle::{self, MemNodes, ScopeHead};
use crate::record::people::People;
use crate::record::seal::{self, KeyIntro};
use crate::record::vacancy::VacancyState;
use crate::record::Banks;
use anyhow::Result;
use rusqlite::Connection;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub events: i64,
    pub vacancies: usize,
    pub people: usize,
    /// Derived rows compared with the replay.
    pub rows_checked: i64,
    pub keys_checked: i64,
    pub receipt: Receipt,
    /// The first problem found, if any.
    pub problem: Option<Broken>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Broken {
    /// Where: `events`, `schema`, `keys` or a table's name.
    pub table: String,
    /// Which row, as a reader would name it.
    pub row: String,
    pub reason: String,
}

struct Found(Broken);

type Check<T> = std::result::Result<T, Found>;

fn broken(table: &str, row: impl Into<String>, reason: impl Into<String>) -> Found {
    Found(Broken {
        table: table.to_string(),
        row: row.into(),
        reason: reason.into(),
    })
}

/// Everything the replay builds.
#[derive(Default)]
struct Replay {
    people: People,
    banks: Banks,
    vacancies: BTreeMap<String, VacancyState>,
    intros: Vec<KeyIntro>,
    erased: HashSet<i64>,
    nodes: MemNodes,
    scope_heads: HashMap<String, (i64, i64, i64, String)>,
    leaves: i64,
    events: i64,
    receipt: Option<Receipt>,
    /// Scopes touched since the last checkpoint, with the seq of their first event in that segment.
    first_seen: HashMap<String, i64>,
    last_seq: HashMap<String, i64>,
    /// Points signed, (seq, hash), checked against the chain once it is read.
    signed: Vec<(i64, String)>,
    /// Points reviews read, (review seq, receipt seq, receipt hash), checked the same way.
    reviewed: Vec<(i64, i64, String)>,
}

fn key_intros(f: &Fact, out: &mut Vec<KeyIntro>, erased: &mut HashSet<i64>) {
    match f {
        Fact::CandidateAdd(a) => out.push(a.key.clone()),
        Fact::Applications(a) => out.extend(a.rows.iter().filter_map(|r| r.key.clone())),
        Fact::PanelAdd(a) => out.extend(a.ethnicity.iter().map(|d| d.key.clone())),
        Fact::PanelEthnicity(p) => {
            out.extend(p.ethnicity.iter().map(|d| d.key.clone()));
            erased.extend(&p.erased_keys);
        }
        Fact::Erase(x) => erased.extend(&x.keys),
        _ => {}
    }
}

impl Replay {
    fn event(&mut self, e: &EventRow, scope_tip: &mut HashMap<String, (i64, String)>) -> Check<()> {
        let at = || format!("event {} ({})", e.seq, e.action);
        let (n, prev) = scope_tip
            .get(&e.scope)
            .cloned()
            .unwrap_or((0, GENESIS.to_string()));
        if e.scope_seq != n + 1 {
            return Err(broken(
                "events",
                at(),
                format!(
                    "it is event {} of {} but event {} was expected: an event of that record is missing",
                    e.scope_seq,
                    e.scope,
                    n + 1
                ),
            ));
        }
        if e.scope_prev != prev {
            return Err(broken(
                "events",
                at(),
                format!("it does not follow the previous event of {}", e.scope),
            ));
        }
        scope_tip.insert(e.scope.clone(), (e.scope_seq, e.hash.clone()));
        let fact = Fact::parse(&e.action, &e.payload).map_err(|m| {
            broken(
                "events",
                at(),
                format!("its content does not read back: {m}"),
            )
        })?;
        key_intros(&fact, &mut self.intros, &mut self.erased);
        let invalid = |m: String| broken("events", at(), format!("it is not a valid step: {m}"));
        match e.scope.split_once(':').map(|(k, _)| k).unwrap_or(&e.scope) {
            "person" => self.people.apply(e, &fact).map_err(invalid)?,
            "bank" => match &fact {
                Fact::BankStore(b) => self.banks.apply(e, b).map_err(invalid)?,
                _ => return Err(invalid("a bank's record holds something else".into())),
            },
            "vacancy" => {
                let id = &e.scope["vacancy:".len()..];
                let ctx = crate::record::Context {
                    people: &self.people,
                    banks: &self.banks,
                };
                match (&fact, self.vacancies.get_mut(id)) {
                    (Fact::VacancyCreate(c), None) => {
                        let st = VacancyState::create(e, c, &ctx).map_err(invalid)?;
                        self.vacancies.insert(id.to_string(), st);
                    }
                    (_, Some(st)) => st.apply(e, &fact, &ctx).map_err(invalid)?,
                    (_, None) => return Err(invalid("the vacancy was never created".into())),
                }
                if let Fact::Review(r) = &fact {
                    self.reviewed
                        .push((e.seq, r.receipt_events, r.receipt_head.clone()));
                }
            }
            "chain" => match &fact {
                Fact::Checkpoint(cp) => self.checkpoint(e, cp, scope_tip)?,
                Fact::Signature(s) => {
                    if s.through >= e.seq || !crate::record::sign::check(s) {
                        return Err(invalid("its signature does not check".into()));
                    }
                    self.signed.push((s.through, s.head.clone()));
                }
                _ => return Err(invalid("the chain's record holds something else".into())),
            },
            "org" => {}
            other => return Err(invalid(format!("unknown scope {other}"))),
        }
        Ok(())
    }

    fn checkpoint(
        &mut self,
        e: &EventRow,
        cp: &crate::record::fact::Checkpoint,
        scope_tip: &HashMap<String, (i64, String)>,
    ) -> Check<()> {
        let at = format!("checkpoint {}", e.seq);
        if cp.through != e.seq - 1 || cp.head != e.prev_hash {
            return Err(broken(
                "events",
                at,
                "it does not follow the event it names",
            ));
        }
        // Scopes changed since the previous checkpoint, in order of first appearance, as writers do.
        let mut changed: Vec<(String, i64)> = self.first_seen.drain().collect();
        changed.sort_by_key(|(_, first)| *first);
        for (scope, _) in changed {
            let (count, hash) = scope_tip[&scope].clone();
            let last_seq = self.last_seq[&scope];
            let idx = match self.scope_heads.get(&scope) {
                Some(h) => h.0,
                None => {
                    self.leaves += 1;
                    self.leaves - 1
                }
            };
            let leaf = merkle::leaf_hash(&ScopeHead {
                scope: scope.clone(),
                count,
                last_seq,
                last_hash: hash.clone(),
            });
            self.scope_heads.insert(scope, (idx, count, last_seq, hash));
            merkle::update(&mut self.nodes, self.leaves as u64, idx as u64, leaf)
                .expect("memory nodes do not fail");
        }
        let root = merkle::root(&mut self.nodes, self.leaves as u64).expect("memory nodes");
        if cp.scopes != self.leaves || cp.scopes_root != hex::encode(root) {
            return Err(broken(
                "events",
                at,
                "the scope heads it commits to are not those of the log before it",
            ));
        }
        Ok(())
    }
}

// Seen-order bookkeeping kept beside the replay so checkpoints number new scopes as writers do.
impl Replay {
    fn note(&mut self, e: &EventRow) {
        if e.scope != "chain" {
            self.first_seen.entry(e.scope.clone()).or_insert(e.seq);
            self.last_seq.insert(e.scope.clone(), e.seq);
        }
    }
}

/// One derived table: its rows as stored and as the replay derives them, each with a description.
struct Table<T> {
    name: &'static str,
    stored: Vec<T>,
    expected: Vec<T>,
}

trait Row: PartialEq + std::fmt::Debug {
    /// The primary key as SQL orders it, and how a reader would name the row.
    fn key(&self) -> (String, String);
    fn fields(&self) -> Vec<(&'static str, String)>;
}

fn sort_key(n: i64) -> String {
    // Integers sort as SQL sorts them once offset and zero-padded.
    format!("{:020}", (n as i128 + (1i128 << 63)) as u128)
}

macro_rules! row {
    ($ty:ty, |$r:ident| ($k:expr, $d:expr), [$($f:ident),*]) => {
        impl Row for $ty {
            fn key(&self) -> (String, String) {
                let $r = self;
                ($k, $d)
            }
            fn fields(&self) -> Vec<(&'static str, String)> {
                vec![$((stringify!($f), format!("{:?}", self.$f))),*]
            }
        }
    };
}

row!(
    VacancyRow,
    |r| (r.id.clone(), format!("vacancy {}", r.id)),
    [
        title,
        band,
        service,
        bank_sha,
        policy_source,
        policy_yaml,
        created_at,
        questions,
        decided,
        overridden_gaps,
        coverage_overridden,
        review_status,
        review_required,
        reviews,
        returns,
        decided_at,
        signed_off_at
    ]
);
row!(
    QuestionRow,
    |r| (
        format!("{}\u{0}{}", r.vacancy, sort_key(r.position)),
        format!("question {} of vacancy {}", r.position + 1, r.vacancy)
    ),
    [question, category]
);
row!(
    PanellistRow,
    |r| (
        sort_key(r.id),
        format!("panellist (person {}) of vacancy {}", r.person, r.vacancy)
    ),
    [vacancy, person, role, trained_on, stood_down]
);
row!(
    EthnicityRow,
    |r| (
        sort_key(r.panellist),
        format!("self-declared ethnicity of panellist {}", r.panellist)
    ),
    [nhs_code]
);
row!(
    CandidateRow,
    |r| (
        sort_key(r.id),
        format!("candidate {} of vacancy {}", r.reference, r.vacancy)
    ),
    [vacancy, reference, interview, revealed, withdrawn]
);
row!(
    MonitoringRow,
    |r| (
        sort_key(r.candidate),
        format!("monitoring record of candidate #{}", r.candidate)
    ),
    [stage, ethnicity, gender, disability, internal]
);
row!(
    SealedRow,
    |r| (
        sort_key(r.sheet),
        format!("revealed scores of sheet {}", r.sheet)
    ),
    [candidate, panellist, scores]
);
row!(
    DecisionRow,
    |r| (
        sort_key(r.seq),
        format!("decision {} of vacancy {}", r.seq, r.vacancy)
    ),
    [vacancy, appointed, revision, unresolved]
);
row!(
    PersonRow,
    |r| (sort_key(r.id), format!("person {} ({})", r.id, r.name)),
    [name, roles, trained_on, has_credential]
);
row!(
    InviteRow,
    |r| (
        r.token_sha256.clone(),
        format!("an invitation of person {}", r.person)
    ),
    [person, purpose, expires_at, usable]
);
row!(
    SessionRow,
    |r| (
        r.token_sha256.clone(),
        format!("a session of person {}", r.person)
    ),
    [person, expires_at, live]
);

#[derive(Debug, PartialEq)]
struct BankRow {
    sha256: String,
    bank_id: String,
    version: i64,
    yaml: String,
}
row!(
    BankRow,
    |r| (
        r.sha256.clone(),
        format!("bank {} v{}", r.bank_id, r.version)
    ),
    [bank_id, version, yaml]
);

#[derive(Debug, PartialEq)]
struct HeadRow {
    scope: String,
    idx: i64,
    count: i64,
    last_seq: i64,
    last_hash: String,
}
row!(
    HeadRow,
    |r| (
        r.scope.clone(),
        format!("the checkpoint record of {}", r.scope)
    ),
    [idx, count, last_seq, last_hash]
);

#[derive(Debug, PartialEq)]
struct NodeRow {
    level: i64,
    idx: i64,
    hash: Vec<u8>,
}
row!(
    NodeRow,
    |r| (
        format!("{}\u{0}{}", sort_key(r.level), sort_key(r.idx)),
        format!("checkpoint tree node {}/{}", r.level, r.idx)
    ),
    [hash]
);

impl<T: Row> Table<T> {
    fn compare(mut self) -> Check<i64> {
        self.expected.sort_by(|a, b| a.key().0.cmp(&b.key().0));
        self.stored.sort_by(|a, b| a.key().0.cmp(&b.key().0));
        let (mut i, mut j) = (0, 0);
        let n = self.expected.len() as i64;
        while i < self.expected.len() || j < self.stored.len() {
            let e = self.expected.get(i).map(|r| r.key());
            let s = self.stored.get(j).map(|r| r.key());
            match (e, s) {
                (Some(e), Some(s)) if e.0 == s.0 => {
                    let (x, y) = (&self.expected[i], &self.stored[j]);
                    if x != y {
                        let (field, want, got) = x
                            .fields()
                            .into_iter()
                            .zip(y.fields())
                            .find(|(a, b)| a != b)
                            .map(|((f, a), (_, b))| (f, a, b))
                            .unwrap_or(("row", format!("{x:?}"), format!("{y:?}")));
                        return Err(broken(
                            self.name,
                            e.1,
                            format!("its {field} is stored as {got} but the record says {want}: the table was edited"),
                        ));
                    }
                    i += 1;
                    j += 1;
                }
                (Some(e), s) if s.as_ref().is_none_or(|s| e.0 < s.0) => {
                    return Err(broken(
                        self.name,
                        e.1,
                        "the record has it but the table does not: the row was deleted",
                    ));
                }
                (Some(_), None) => unreachable!("handled above"),
                (_, Some(s)) => {
                    return Err(broken(
                        self.name,
                        s.1,
                        "the table has it but the record does not: the row was added or altered",
                    ));
                }
                (None, None) => unreachable!(),
            }
        }
        Ok(n)
    }
}

fn read_rows<T>(
    conn: &Connection,
    sql: &str,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map([], f)?
        .collect::<rusqlite::Result<Vec<T>>>()?;
    Ok(rows)
}

/// The schema as fairpanel creates it: (type, name, sql) of every object.
fn expected_schema(legacy: bool) -> Result<Vec<(String, String, String)>> {
    let c = Connection::open_in_memory()?;
    c.execute_batch(&schema::current())?;
    if legacy {
        c.execute_batch(super::legacy::KEPT_SCHEMA)?;
    }
    schema_of(&c)
}

fn schema_of(c: &Connection) -> Result<Vec<(String, String, String)>> {
    read_rows(
        c,
        "SELECT type, name, coalesce(sql, '') FROM sqlite_master
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

impl super::Store {
    /// Replay the whole log and compare everything stored with it.
    pub fn verify(&self) -> Result<VerifyReport> {
        self.read(verify_on)
    }

    /// Verify, then (when the database can be written and it passed) record a checkpoint marking
    /// the full verification, which later reads state as "the last full verification".
    pub fn verify_and_mark(&mut self) -> Result<VerifyReport> {
        let r = self.verify()?;
        if r.ok && !self.is_read_only() {
            let conn = self.conn();
            let tx = rusqlite::Transaction::new_unchecked(
                conn,
                rusqlite::TransactionBehavior::Immediate,
            )?;
            let mut head = log::Head::read(&tx)?;
            let last_is_full =
                log::latest_checkpoint(&tx)?.is_some_and(|c| c.seq == head.seq && c.cp.full);
            if head.seq == r.receipt.events && !last_is_full {
                log::checkpoint(&tx, &mut head, true)?;
                tx.commit()?;
            }
        }
        Ok(r)
    }
}

fn verify_on(conn: &Connection) -> Result<VerifyReport> {
    let mut replay = Replay::default();
    let mut rows_checked = 0;
    let mut keys_checked = 0;
    let problem = match run(conn, &mut replay, &mut rows_checked, &mut keys_checked) {
        Ok(()) => None,
        Err(e) => match e.downcast::<FoundError>() {
            Ok(FoundError(b)) => Some(b),
            Err(e) => return Err(e),
        },
    };
    Ok(VerifyReport {
        ok: problem.is_none(),
        events: replay.events,
        vacancies: replay.vacancies.len(),
        people: replay.people.by_id.len(),
        rows_checked,
        keys_checked,
        receipt: replay.receipt.clone().unwrap_or(Receipt {
            events: 0,
            head: GENESIS.into(),
        }),
        problem,
    })
}

#[derive(Debug)]
struct FoundError(Broken);
impl std::fmt::Display for FoundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.0.table, self.0.row, self.0.reason)
    }
}
impl std::error::Error for FoundError {}

impl From<Found> for anyhow::Error {
    fn from(f: Found) -> anyhow::Error {
        FoundError(f.0).into()
    }
}

fn run(
    conn: &Connection,
    replay: &mut Replay,
    rows_checked: &mut i64,
    keys_checked: &mut i64,
) -> Result<()> {
    // 1. The schema and its protective triggers.
    let legacy = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE name = 'legacy_events'",
            [],
            |_| Ok(()),
        )
        .is_ok();
    let want = expected_schema(legacy)?;
    let have = schema_of(conn)?;
    if want != have {
        let missing = want.iter().find(|w| !have.contains(w));
        let extra = have.iter().find(|h| !want.contains(h));
        let (row, reason) = match (missing, extra) {
            (Some(m), _) => (
                format!("{} {}", m.0, m.1),
                "it is missing or was changed: the protection fairpanel put on the file was removed".to_string(),
            ),
            (None, Some(x)) => (
                format!("{} {}", x.0, x.1),
                "fairpanel did not create it: the file's structure was changed".to_string(),
            ),
            (None, None) => ("objects".into(), "the schema differs".into()),
        };
        return Err(broken("schema", row, reason).into());
    }
    if legacy {
        super::legacy::verify_legacy(conn)
            .map_err(|m| broken("legacy_events", "the log before the upgrade", m))?;
    }
    // 2–4. Stream the log.
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, auth, action, scope, scope_seq, scope_prev, payload, prev_hash, hash
         FROM events ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    let mut expect = 1;
    let mut scope_tip: HashMap<String, (i64, String)> = HashMap::new();
    while let Some(r) = rows.next()? {
        let e = EventRow {
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
        };
        replay.events += 1;
        let at = format!("event {}", e.seq);
        if e.seq != expect {
            return Err(broken(
                "events",
                format!("event {expect}"),
                format!(
                    "the log jumps from event {} to {}: {} deleted",
                    expect - 1,
                    e.seq,
                    if e.seq == expect + 1 {
                        "one was"
                    } else {
                        "events were"
                    }
                ),
            )
            .into());
        }
        if e.prev_hash != prev {
            return Err(broken(
                "events",
                at,
                "it does not name the hash of the event before it: one of them was edited or replaced",
            )
            .into());
        }
        if !e.hashed().matches(&e.hash) {
            return Err(broken(
                "events",
                format!("{at} ({})", e.action),
                "its content does not match its hash: it was edited after it was written",
            )
            .into());
        }
        replay.note(&e);
        replay.event(&e, &mut scope_tip)?;

        prev = e.hash.clone();
        expect += 1;
    }
    replay.receipt = Some(Receipt {
        events: expect - 1,
        head: prev,
    });
    for (through, head) in &replay.signed {
        let at: Option<String> = conn
            .query_row("SELECT hash FROM events WHERE seq = ?1", [through], |r| {
                r.get(0)
            })
            .ok();
        if at.as_deref() != Some(head.as_str()) {
            return Err(broken(
                "events",
                format!("event {through}"),
                "a signature names it with another hash: the record was rewritten after it was signed",
            )
            .into());
        }
    }
    for (review, through, head) in &replay.reviewed {
        let at: Option<String> = conn
            .query_row("SELECT hash FROM events WHERE seq = ?1", [through], |r| {
                r.get(0)
            })
            .ok();
        if at.as_deref() != Some(head.as_str()) {
            return Err(broken(
                "events",
                format!("event {review} (review)"),
                format!(
                    "the report it reviewed names event {through} with another hash: the record was rewritten after the review"
                ),
            )
            .into());
        }
    }
    drop(rows);
    drop(stmt);

    // 5. Keys.
    let keys: HashMap<i64, Vec<u8>> = read_rows(conn, "SELECT id, key FROM keys", |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?
    .into_iter()
    .collect();
    let mut introduced = HashSet::new();
    for intro in &replay.intros {
        introduced.insert(intro.id);
        *keys_checked += 1;
        match keys.get(&intro.id) {
            Some(_) if replay.erased.contains(&intro.id) => return Err(broken(
                "keys",
                format!("key {}", intro.id),
                "the record says it was erased, but it is still there: the erasure did not happen",
            )
            .into()),
            Some(k) => {
                let key: seal::Key = k
                    .as_slice()
                    .try_into()
                    .map_err(|_| broken("keys", format!("key {}", intro.id), "it is not a key"))?;
                if seal::kcv(&key) != intro.kcv {
                    return Err(broken(
                        "keys",
                        format!("key {}", intro.id),
                        "it is not the key the record introduced: it was replaced",
                    )
                    .into());
                }
            }
            None if replay.erased.contains(&intro.id) => {}
            None => {
                return Err(broken(
                    "keys",
                    format!("key {}", intro.id),
                    "it is missing although no erasure removed it",
                )
                .into())
            }
        }
    }
    if let Some(id) = keys.keys().find(|k| !introduced.contains(k)) {
        return Err(broken(
            "keys",
            format!("key {id}"),
            "the record never introduced it: it was added",
        )
        .into());
    }
    let mut ring = seal::Keyring::default();
    for (id, k) in &keys {
        if let Ok(key) = k.as_slice().try_into() {
            ring.insert(*id, key);
        }
    }
    for id in &replay.erased {
        ring.mark_erased(*id);
    }

    // 6. Derived tables.
    let mut all = VacancyRows::default();
    for (id, v) in &replay.vacancies {
        let r = vacancy_rows(v, &ring)
            .map_err(|e| broken("keys", format!("vacancy {id}"), format!("{e:#}")))?;
        all.vacancy.extend(r.vacancy);
        all.questions.extend(r.questions);
        all.panellists.extend(r.panellists);
        all.ethnicity.extend(r.ethnicity);
        all.candidates.extend(r.candidates);
        all.monitoring.extend(r.monitoring);
        all.sealed.extend(r.sealed);
        all.decisions.extend(r.decisions);
    }
    let mut people = PersonRows::default();
    for id in replay.people.by_id.keys() {
        let r = person_rows(&replay.people, *id);
        people.person.extend(r.person);
        people.invites.extend(r.invites);
        people.sessions.extend(r.sessions);
    }
    let b = |v: i64| v != 0;
    *rows_checked += Table {
        name: "vacancies",
        expected: all.vacancy,
        stored: read_rows(conn, "SELECT id, title, band, service, bank_sha, policy_source, policy_yaml, created_at, questions, decided, overridden_gaps, coverage_overridden, review_status, review_required, reviews, returns, decided_at, signed_off_at FROM vacancies", |r| {
            Ok(VacancyRow { id: r.get(0)?, title: r.get(1)?, band: r.get(2)?, service: r.get(3)?, bank_sha: r.get(4)?, policy_source: r.get(5)?, policy_yaml: r.get(6)?, created_at: r.get(7)?, questions: r.get(8)?, decided: b(r.get(9)?), overridden_gaps: r.get(10)?, coverage_overridden: b(r.get(11)?), review_status: r.get(12)?, review_required: b(r.get(13)?), reviews: r.get(14)?, returns: r.get(15)?, decided_at: r.get(16)?, signed_off_at: r.get(17)? })
        })?,
    }
    .compare()?;
    *rows_checked += Table {
        name: "vacancy_questions",
        expected: all.questions,
        stored: read_rows(
            conn,
            "SELECT vacancy, position, question, category FROM vacancy_questions",
            |r| {
                Ok(QuestionRow {
                    vacancy: r.get(0)?,
                    position: r.get(1)?,
                    question: r.get(2)?,
                    category: r.get(3)?,
                })
            },
        )?,
    }
    .compare()?;
    *rows_checked += Table {
        name: "panellists",
        expected: all.panellists,
        stored: read_rows(
            conn,
            "SELECT id, vacancy, person, role, trained_on, stood_down FROM panellists",
            |r| {
                Ok(PanellistRow {
                    id: r.get(0)?,
                    vacancy: r.get(1)?,
                    person: r.get(2)?,
                    role: r.get(3)?,
                    trained_on: r.get(4)?,
                    stood_down: b(r.get(5)?),
                })
            },
        )?,
    }
    .compare()?;
    *rows_checked += Table {
        name: "panellist_ethnicity",
        expected: all.ethnicity,
        stored: read_rows(
            conn,
            "SELECT panellist, nhs_code FROM panellist_ethnicity",
            |r| {
                Ok(EthnicityRow {
                    panellist: r.get(0)?,
                    nhs_code: r.get(1)?,
                })
            },
        )?,
    }
    .compare()?;
    *rows_checked += Table {
        name: "candidates",
        expected: all.candidates,
        stored: read_rows(
            conn,
            "SELECT id, vacancy, ref, interview, revealed, withdrawn FROM candidates",
            |r| {
                Ok(CandidateRow {
                    id: r.get(0)?,
                    vacancy: r.get(1)?,
                    reference: r.get(2)?,
                    interview: b(r.get(3)?),
                    revealed: b(r.get(4)?),
                    withdrawn: b(r.get(5)?),
                })
            },
        )?,
    }
    .compare()?;
    *rows_checked += Table {
        name: "monitoring",
        expected: all.monitoring,
        stored: read_rows(
            conn,
            "SELECT candidate, stage, ethnicity, gender, disability, internal FROM monitoring",
            |r| {
                Ok(MonitoringRow {
                    candidate: r.get(0)?,
                    stage: r.get(1)?,
                    ethnicity: r.get(2)?,
                    gender: r.get(3)?,
                    disability: r.get(4)?,
                    internal: r.get::<_, Option<i64>>(5)?.map(b),
                })
            },
        )?,
    }
    .compare()?;
    *rows_checked += Table {
        name: "sealed_sheets",
        expected: all.sealed,
        stored: read_rows(
            conn,
            "SELECT sheet, candidate, panellist, scores FROM sealed_sheets",
            |r| {
                Ok(SealedRow {
                    sheet: r.get(0)?,
                    candidate: r.get(1)?,
                    panellist: r.get(2)?,
                    scores: r.get(3)?,
                })
            },
        )?,
    }
    .compare()?;
    *rows_checked += Table {
        name: "decisions",
        expected: all.decisions,
        stored: read_rows(
            conn,
            "SELECT seq, vacancy, appointed, revision, unresolved FROM decisions",
            |r| {
                Ok(DecisionRow {
                    seq: r.get(0)?,
                    vacancy: r.get(1)?,
                    appointed: r.get(2)?,
                    revision: b(r.get(3)?),
                    unresolved: b(r.get(4)?),
                })
            },
        )?,
    }
    .compare()?;
    *rows_checked += Table {
        name: "people",
        expected: people.person,
        stored: read_rows(
            conn,
            "SELECT id, name, roles, trained_on, has_credential FROM people",
            |r| {
                Ok(PersonRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    roles: r.get(2)?,
                    trained_on: r.get(3)?,
                    has_credential: b(r.get(4)?),
                })
            },
        )?,
    }
    .compare()?;
    *rows_checked += Table {
        name: "invites",
        expected: people.invites,
        stored: read_rows(
            conn,
            "SELECT token_sha256, person, purpose, expires_at, usable FROM invites",
            |r| {
                Ok(InviteRow {
                    token_sha256: r.get(0)?,
                    person: r.get(1)?,
                    purpose: r.get(2)?,
                    expires_at: r.get(3)?,
                    usable: b(r.get(4)?),
                })
            },
        )?,
    }
    .compare()?;
    *rows_checked += Table {
        name: "sessions",
        expected: people.sessions,
        stored: read_rows(
            conn,
            "SELECT token_sha256, person, expires_at, live FROM sessions",
            |r| {
                Ok(SessionRow {
                    token_sha256: r.get(0)?,
                    person: r.get(1)?,
                    expires_at: r.get(2)?,
                    live: b(r.get(3)?),
                })
            },
        )?,
    }
    .compare()?;
    let mut banks = Vec::new();
    for (sha, bank) in &replay.banks.by_sha {
        let yaml: String = conn.query_row(
            "SELECT payload FROM events WHERE scope = ?1 AND scope_seq = 1",
            [format!("bank:{sha}")],
            |r| r.get(0),
        )?;
        let yaml = match Fact::parse("bank.store", &yaml) {
            Ok(Fact::BankStore(b)) => b.yaml,
            _ => String::new(),
        };
        banks.push(BankRow {
            sha256: sha.clone(),
            bank_id: bank.id.clone(),
            version: bank.version as i64,
            yaml,
        });
    }
    *rows_checked += Table {
        name: "banks",
        expected: banks,
        stored: read_rows(
            conn,
            "SELECT sha256, bank_id, version, yaml FROM banks",
            |r| {
                Ok(BankRow {
                    sha256: r.get(0)?,
                    bank_id: r.get(1)?,
                    version: r.get(2)?,
                    yaml: r.get(3)?,
                })
            },
        )?,
    }
    .compare()?;
    let heads: Vec<HeadRow> = replay
        .scope_heads
        .iter()
        .map(|(scope, (idx, count, last_seq, last_hash))| HeadRow {
            scope: scope.clone(),
            idx: *idx,
            count: *count,
            last_seq: *last_seq,
            last_hash: last_hash.clone(),
        })
        .collect();
    *rows_checked += Table {
        name: "scope_heads",
        expected: heads,
        stored: read_rows(
            conn,
            "SELECT scope, idx, count, last_seq, last_hash FROM scope_heads",
            |r| {
                Ok(HeadRow {
                    scope: r.get(0)?,
                    idx: r.get(1)?,
                    count: r.get(2)?,
                    last_seq: r.get(3)?,
                    last_hash: r.get(4)?,
                })
            },
        )?,
    }
    .compare()?;
    let stored_nodes = read_rows(conn, "SELECT level, idx, hash FROM scope_nodes", |r| {
        Ok(NodeRow {
            level: r.get(0)?,
            idx: r.get(1)?,
            hash: r.get(2)?,
        })
    })?;
    let expected_nodes = replay
        .nodes
        .all()
        .map(|(level, idx, h)| NodeRow {
            level: level as i64,
            idx: idx as i64,
            hash: h.to_vec(),
        })
        .collect();
    *rows_checked += Table {
        name: "scope_nodes",
        expected: expected_nodes,
        stored: stored_nodes,
    }
    .compare()?;
    Ok(())
}
