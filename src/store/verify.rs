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
//!
//! For speed the work runs on three threads: this one reads the log and checks the chains (hashing
//! each event in place, without copying it), a second folds the events into states, and a third reads
//! the stored tables on its own connection (in a snapshot checked to be the same one).

use super::db::{Behavior, Connection, ValueRef};
use super::log;
use super::schema;
use crate::record::chain::{EventRef, Receipt, GENESIS};
use crate::record::derive::*;
use crate::record::fact::{Checkpoint, Fact};
use crate::record::merkle::{self, MemNodes, ScopeHead};
use crate::record::people::People;
use crate::record::seal::{self, KeyIntro};
use crate::record::vacancy::VacancyState;
use crate::record::Banks;
use anyhow::Result;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

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

#[derive(Debug)]
struct Found(Broken);

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.0.table, self.0.row, self.0.reason)
    }
}

impl std::error::Error for Found {}

fn broken(table: &str, row: impl Into<String>, reason: impl Into<String>) -> anyhow::Error {
    Found(Broken {
        table: table.to_string(),
        row: row.into(),
        reason: reason.into(),
    })
    .into()
}

// ---------------------------------------------------------------------------------------- the chain

/// A scope's last event, as the chain walk has seen it.
struct Tip {
    count: i64,
    last_seq: i64,
    hash: String,
}

/// What the reading thread checks: the global chain, each scope's chain, and checkpoints.
#[derive(Default)]
struct Chain {
    events: i64,
    prev: String,
    tips: HashMap<String, Tip>,
    /// Scopes touched since the last checkpoint, with the seq of their first event there.
    first_seen: HashMap<String, i64>,
    nodes: MemNodes,
    /// Scope → (leaf index, count, last seq, last hash) as of the latest checkpoint.
    heads: HashMap<String, (i64, i64, i64, String)>,
    leaves: i64,
}

impl Chain {
    fn event(&mut self, e: &EventRef<'_>) -> Result<()> {
        let expect = self.events + 1;
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
            ));
        }
        let prev = if self.events == 0 {
            GENESIS
        } else {
            self.prev.as_str()
        };
        if e.prev_hash != prev {
            return Err(broken(
                "events",
                format!("event {}", e.seq),
                "it does not name the hash of the event before it: one of them was edited or replaced",
            ));
        }
        if !e.hashed().matches(e.hash) {
            return Err(broken(
                "events",
                format!("event {} ({})", e.seq, e.action),
                "its content does not match its hash: it was edited after it was written",
            ));
        }
        let (count, scope_prev) = match self.tips.get(e.scope) {
            Some(t) => (t.count, t.hash.as_str()),
            None => (0, GENESIS),
        };
        if e.scope_seq != count + 1 {
            return Err(broken(
                "events",
                format!("event {} ({})", e.seq, e.action),
                format!(
                    "it is event {} of {} but event {} was expected: an event of that record is missing",
                    e.scope_seq,
                    e.scope,
                    count + 1
                ),
            ));
        }
        if e.scope_prev != scope_prev {
            return Err(broken(
                "events",
                format!("event {} ({})", e.seq, e.action),
                format!("it does not follow the previous event of {}", e.scope),
            ));
        }
        match self.tips.get_mut(e.scope) {
            Some(t) => {
                t.count += 1;
                t.last_seq = e.seq;
                t.hash.clear();
                t.hash.push_str(e.hash);
            }
            None => {
                self.tips.insert(
                    e.scope.to_string(),
                    Tip {
                        count: 1,
                        last_seq: e.seq,
                        hash: e.hash.to_string(),
                    },
                );
            }
        }
        if e.scope != "chain" && !self.first_seen.contains_key(e.scope) {
            self.first_seen.insert(e.scope.to_string(), e.seq);
        }
        if e.action == "chain.checkpoint" {
            let cp: Checkpoint = serde_json::from_str(e.payload).map_err(|_| {
                broken(
                    "events",
                    format!("checkpoint {}", e.seq),
                    "its content does not read back",
                )
            })?;
            self.checkpoint(e, &cp)?;
        }
        self.events = e.seq;
        self.prev.clear();
        self.prev.push_str(e.hash);
        Ok(())
    }

    fn checkpoint(&mut self, e: &EventRef<'_>, cp: &Checkpoint) -> Result<()> {
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
            let t = &self.tips[&scope];
            let (count, last_seq, hash) = (t.count, t.last_seq, t.hash.clone());
            let idx = match self.heads.get(&scope) {
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
            self.heads.insert(scope, (idx, count, last_seq, hash));
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

// ----------------------------------------------------------------------------------------- the fold

/// Events copied into one buffer, so a batch crosses to the folding thread in one allocation.
#[derive(Default)]
struct Batch {
    buf: String,
    events: Vec<(i64, i64, Spans)>,
}

/// (start, length) in `Batch::buf` of an event's at, actor, auth, action, scope, payload and hash
/// (a review names the vacancy's last hash).
type Spans = [(u32, u32); 7];

impl Batch {
    fn push(&mut self, e: &EventRef<'_>) {
        let mut spans = [(0u32, 0u32); 7];
        for (i, s) in [e.at, e.actor, e.auth, e.action, e.scope, e.payload, e.hash]
            .into_iter()
            .enumerate()
        {
            spans[i] = (self.buf.len() as u32, s.len() as u32);
            self.buf.push_str(s);
        }
        self.events.push((e.seq, e.scope_seq, spans));
    }

    fn get(&self, i: usize) -> EventRef<'_> {
        let (seq, scope_seq, sp) = self.events[i];
        let s = |k: usize| &self.buf[sp[k].0 as usize..(sp[k].0 + sp[k].1) as usize];
        EventRef {
            seq,
            at: s(0),
            actor: s(1),
            auth: s(2),
            action: s(3),
            scope: s(4),
            scope_seq,
            scope_prev: "",
            payload: s(5),
            prev_hash: "",
            hash: s(6),
        }
    }
}

const BATCH: usize = 2048;

/// Everything the fold builds. A vacancy's state is kept only until its last event: then its
/// derived rows are reduced to (key, hash) pairs and the state dropped, so memory does not grow with
/// the length of the record.
#[derive(Default)]
struct Replay {
    people: People,
    banks: Banks,
    vacancies: HashMap<String, VacancyState>,
    intros: Vec<KeyIntro>,
    erased: HashSet<i64>,
    /// Points signed, (seq, hash), checked against the chain once it is read.
    signed: Vec<(i64, String)>,
    /// Each scope's number of events, to know when a vacancy is complete.
    counts: HashMap<String, i64>,
    /// The keys as stored, to check each key the record introduces.
    ring: seal::Keyring,
    /// Where a finished vacancy goes to have its rows derived: another thread while the log is
    /// read, else `derived` here.
    to_derive: Option<std::sync::mpsc::SyncSender<(String, VacancyState)>>,
    derived: Deriver,
    /// Vacancies whose last event has been folded: one created again is refused.
    finished: HashSet<String>,
    folded: usize,
    /// Points reviews read, (review seq, receipt seq, receipt hash), checked the same way.
    reviewed: Vec<(i64, i64, String)>,
}

/// A table's rows as (primary key, hash of the row's columns, index of the vacancy it came from).
type Hashes<K> = Vec<(K, [u8; 32], u32)>;

fn row_hash<T: Row>(r: &T) -> [u8; 32] {
    let mut h = Sha256::new();
    r.values(&mut |v| feed(&mut h, v));
    h.finalize().into()
}

fn add<T: Row>(to: &mut Hashes<T::Key>, rows: Vec<T>, v: u32) {
    to.extend(rows.into_iter().map(|r| (r.key(), row_hash(&r), v)));
}

/// What every derived table should hold, compactly.
#[derive(Default)]
struct Expected {
    vacancy: Hashes<String>,
    questions: Hashes<(String, i64)>,
    panellists: Hashes<i64>,
    ethnicity: Hashes<i64>,
    candidates: Hashes<i64>,
    monitoring: Hashes<i64>,
    sealed: Hashes<i64>,
    decisions: Hashes<i64>,
}

impl Expected {
    fn add(&mut self, r: VacancyRows, v: u32) {
        add(&mut self.vacancy, r.vacancy, v);
        add(&mut self.questions, r.questions, v);
        add(&mut self.panellists, r.panellists, v);
        add(&mut self.ethnicity, r.ethnicity, v);
        add(&mut self.candidates, r.candidates, v);
        add(&mut self.monitoring, r.monitoring, v);
        add(&mut self.sealed, r.sealed, v);
        add(&mut self.decisions, r.decisions, v);
    }
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
    /// Fold one event (its chain already checked). The last event hash of each vacancy is not
    /// needed here: derived rows do not hold it.
    fn event(&mut self, e: &EventRef<'_>) -> Result<()> {
        let at = || format!("event {} ({})", e.seq, e.action);
        let fact = Fact::parse(e.action, e.payload).map_err(|m| {
            broken(
                "events",
                at(),
                format!("its content does not read back: {m}"),
            )
        })?;
        let before = self.intros.len();
        key_intros(&fact, &mut self.intros, &mut self.erased);
        // A replaced key is named as such here, before anything sealed under it fails to open.
        for intro in &self.intros[before..] {
            if self
                .ring
                .get(intro.id)
                .is_some_and(|k| seal::kcv(k) != intro.kcv)
            {
                return Err(broken(
                    "keys",
                    format!("key {}", intro.id),
                    "it is not the key the record introduced: it was replaced",
                ));
            }
        }
        let invalid = |m: String| broken("events", at(), format!("it is not a valid step: {m}"));
        match e.scope.split_once(':').map(|(k, _)| k).unwrap_or(e.scope) {
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
                    light: true,
                };
                if let Fact::Review(r) = &fact {
                    self.reviewed
                        .push((e.seq, r.receipt_events, r.receipt_head.clone()));
                }
                match (fact, self.vacancies.get_mut(id)) {
                    (Fact::VacancyCreate(c), None) => {
                        if self.finished.contains(id) {
                            return Err(invalid("the vacancy was created twice".into()));
                        }
                        let st = VacancyState::create(e, &c, &ctx).map_err(invalid)?;
                        self.vacancies.insert(id.to_string(), st);
                    }
                    (fact, Some(st)) => st.apply(e, fact, &ctx).map_err(invalid)?,
                    (_, None) => {
                        return Err(invalid(
                            "the vacancy was never created, or already ended".into(),
                        ))
                    }
                }
                if self.counts.get(e.scope) == Some(&e.scope_seq) {
                    self.finish(id)?;
                }
            }
            "chain" => match fact {
                Fact::Checkpoint(_) => {}
                Fact::Signature(s) => {
                    if s.through >= e.seq || !crate::record::sign::check(&s) {
                        return Err(invalid("its signature does not check".into()));
                    }
                    self.signed.push((s.through, s.head));
                }
                _ => return Err(invalid("the chain's record holds something else".into())),
            },
            "org" => {}
            other => return Err(invalid(format!("unknown scope {other}"))),
        }
        self.folded += 1;
        Ok(())
    }

    /// A vacancy's last event is folded: keep its rows' hashes, drop its state.
    fn finish(&mut self, id: &str) -> Result<()> {
        let Some(v) = self.vacancies.remove(id) else {
            return Ok(());
        };
        self.finished.insert(id.to_string());
        match &self.to_derive {
            // A closed channel means the deriving thread stopped on a problem, which is reported
            // in place of this one's.
            Some(to) => to
                .send((id.to_string(), v))
                .map_err(|_| anyhow::anyhow!("the deriving thread stopped")),
            None => self.derived.finish(id.to_string(), v),
        }
    }
}

/// Derives finished vacancies' rows, in the order they finish. Deriving (decrypting monitoring
/// records, judging the review requirement) costs about as much as folding the events, so it runs on
/// its own thread beside the fold.
#[derive(Default)]
struct Deriver {
    /// The keys as stored, with each finished vacancy's erased keys marked.
    ring: seal::Keyring,
    /// Vacancy ids by index, as `Expected` refers to them.
    ids: Vec<String>,
    expected: Expected,
}

impl Deriver {
    fn finish(&mut self, id: String, v: VacancyState) -> Result<()> {
        for k in &v.erased_keys {
            self.ring.mark_erased(*k);
        }
        let rows = vacancy_rows(&v, &self.ring)
            .map_err(|e| broken("keys", format!("vacancy {id}"), format!("{e:#}")))?;
        self.ids.push(id);
        self.expected.add(rows, (self.ids.len() - 1) as u32);
        Ok(())
    }
}

// --------------------------------------------------------------------------------- derived tables

/// A value as SQLite holds it: both sides of a comparison are digested through this, so the stored
/// table can be read without copying it.
#[derive(Debug, Clone, Copy)]
enum Val<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

trait IntoVal {
    fn val(&self) -> Val<'_>;
}
impl IntoVal for i64 {
    fn val(&self) -> Val<'_> {
        Val::Int(*self)
    }
}
impl IntoVal for bool {
    fn val(&self) -> Val<'_> {
        Val::Int(*self as i64)
    }
}
impl IntoVal for String {
    fn val(&self) -> Val<'_> {
        Val::Text(self)
    }
}
impl IntoVal for Vec<u8> {
    fn val(&self) -> Val<'_> {
        Val::Blob(self)
    }
}
impl<T: IntoVal> IntoVal for Option<T> {
    fn val(&self) -> Val<'_> {
        self.as_ref().map_or(Val::Null, |x| x.val())
    }
}

fn feed(h: &mut Sha256, v: Val<'_>) {
    match v {
        Val::Null => h.update([0]),
        Val::Int(i) => {
            h.update([1]);
            h.update(i.to_be_bytes());
        }
        Val::Text(t) => {
            h.update([2]);
            h.update((t.len() as u64).to_be_bytes());
            h.update(t.as_bytes());
        }
        Val::Blob(b) => {
            h.update([3]);
            h.update((b.len() as u64).to_be_bytes());
            h.update(b);
        }
    }
}

/// A row of a derived table: its primary key (ordered as SQL orders it), how a reader names it, its
/// columns in the order of its table's `SELECT`, and the non-key ones by name.
trait Row: PartialEq + std::fmt::Debug {
    type Key: Ord + Clone + Send + KeyFrom + std::fmt::Debug;
    /// The table's columns in this row's order, sorted by primary key.
    const SELECT: &'static str;
    fn key(&self) -> Self::Key;
    fn describe(&self) -> String;
    fn fields(&self) -> Vec<(&'static str, String)>;
    fn values(&self, f: &mut dyn FnMut(Val<'_>));
}

macro_rules! row {
    ($ty:ty, $k:ty, $select:literal, |$r:ident| $key:expr, $desc:expr, [$($all:ident),*], [$($f:ident),*]) => {
        impl Row for $ty {
            type Key = $k;
            const SELECT: &'static str = $select;
            fn key(&self) -> $k {
                let $r = self;
                $key
            }
            fn describe(&self) -> String {
                let $r = self;
                $desc
            }
            fn fields(&self) -> Vec<(&'static str, String)> {
                vec![$((stringify!($f), format!("{:?}", self.$f))),*]
            }
            fn values(&self, f: &mut dyn FnMut(Val<'_>)) {
                $(f(self.$all.val());)*
            }
        }
    };
}

row!(VacancyRow, String,
    "SELECT id, title, band, service, bank_sha, policy_source, policy_yaml, created_at, questions, decided, overridden_gaps, coverage_overridden, review_status, review_required, reviews, returns, decided_at, signed_off_at FROM vacancies ORDER BY id",
    |r| r.id.clone(), format!("vacancy {}", r.id),
    [id, title, band, service, bank_sha, policy_source, policy_yaml, created_at, questions, decided, overridden_gaps, coverage_overridden, review_status, review_required, reviews, returns, decided_at, signed_off_at],
    [title, band, service, bank_sha, policy_source, policy_yaml, created_at, questions, decided, overridden_gaps, coverage_overridden, review_status, review_required, reviews, returns, decided_at, signed_off_at]);
row!(QuestionRow, (String, i64),
    "SELECT vacancy, position, question, category FROM vacancy_questions ORDER BY vacancy, position",
    |r| (r.vacancy.clone(), r.position), format!("question {} of vacancy {}", r.position + 1, r.vacancy),
    [vacancy, position, question, category], [question, category]);
row!(
    PanellistRow,
    i64,
    "SELECT id, vacancy, person, role, trained_on, stood_down FROM panellists ORDER BY id",
    |r| r.id,
    format!("panellist (person {}) of vacancy {}", r.person, r.vacancy),
    [id, vacancy, person, role, trained_on, stood_down],
    [vacancy, person, role, trained_on, stood_down]
);
row!(
    EthnicityRow,
    i64,
    "SELECT panellist, nhs_code FROM panellist_ethnicity ORDER BY panellist",
    |r| r.panellist,
    format!("self-declared ethnicity of panellist {}", r.panellist),
    [panellist, nhs_code],
    [nhs_code]
);
row!(
    CandidateRow,
    i64,
    "SELECT id, vacancy, ref, interview, revealed, withdrawn FROM candidates ORDER BY id",
    |r| r.id,
    format!("candidate {} of vacancy {}", r.reference, r.vacancy),
    [id, vacancy, reference, interview, revealed, withdrawn],
    [vacancy, reference, interview, revealed, withdrawn]
);
row!(MonitoringRow, i64,
    "SELECT candidate, stage, ethnicity, gender, disability, internal FROM monitoring ORDER BY candidate",
    |r| r.candidate, format!("monitoring record of candidate #{}", r.candidate),
    [candidate, stage, ethnicity, gender, disability, internal], [stage, ethnicity, gender, disability, internal]);
row!(
    SealedRow,
    i64,
    "SELECT sheet, candidate, panellist, scores FROM sealed_sheets ORDER BY sheet",
    |r| r.sheet,
    format!("revealed scores of sheet {}", r.sheet),
    [sheet, candidate, panellist, scores],
    [candidate, panellist, scores]
);
row!(
    DecisionRow,
    i64,
    "SELECT seq, vacancy, appointed, revision, unresolved FROM decisions ORDER BY seq",
    |r| r.seq,
    format!("decision {} of vacancy {}", r.seq, r.vacancy),
    [seq, vacancy, appointed, revision, unresolved],
    [vacancy, appointed, revision, unresolved]
);
row!(
    PersonRow,
    i64,
    "SELECT id, name, roles, trained_on, has_credential FROM people ORDER BY id",
    |r| r.id,
    format!("person {} ({})", r.id, r.name),
    [id, name, roles, trained_on, has_credential],
    [name, roles, trained_on, has_credential]
);
row!(
    InviteRow,
    String,
    "SELECT token_sha256, person, purpose, expires_at, usable FROM invites ORDER BY token_sha256",
    |r| r.token_sha256.clone(),
    format!("an invitation of person {}", r.person),
    [token_sha256, person, purpose, expires_at, usable],
    [person, purpose, expires_at, usable]
);
row!(
    SessionRow,
    String,
    "SELECT token_sha256, person, expires_at, live FROM sessions ORDER BY token_sha256",
    |r| r.token_sha256.clone(),
    format!("a session of person {}", r.person),
    [token_sha256, person, expires_at, live],
    [person, expires_at, live]
);

#[derive(Debug, Clone, PartialEq)]
struct BankRow {
    sha256: String,
    bank_id: String,
    version: i64,
    yaml: String,
}
row!(
    BankRow,
    String,
    "SELECT sha256, bank_id, version, yaml FROM banks ORDER BY sha256",
    |r| r.sha256.clone(),
    format!("bank {} v{}", r.bank_id, r.version),
    [sha256, bank_id, version, yaml],
    [bank_id, version, yaml]
);

#[derive(Debug, Clone, PartialEq)]
struct HeadRow {
    scope: String,
    idx: i64,
    count: i64,
    last_seq: i64,
    last_hash: String,
}
row!(
    HeadRow,
    String,
    "SELECT scope, idx, count, last_seq, last_hash FROM scope_heads ORDER BY scope",
    |r| r.scope.clone(),
    format!("the checkpoint record of {}", r.scope),
    [scope, idx, count, last_seq, last_hash],
    [idx, count, last_seq, last_hash]
);

#[derive(Debug, Clone, PartialEq)]
struct NodeRow {
    level: i64,
    idx: i64,
    hash: Vec<u8>,
}
row!(
    NodeRow,
    (i64, i64),
    "SELECT level, idx, hash FROM scope_nodes ORDER BY level, idx",
    |r| (r.level, r.idx),
    format!("checkpoint tree node {}/{}", r.level, r.idx),
    [level, idx, hash],
    [hash]
);

/// A primary key read from the first columns of a row.
trait KeyFrom: Sized {
    fn from_row(r: &super::db::Row<'_>) -> super::db::Result<Self>;
}
impl KeyFrom for i64 {
    fn from_row(r: &super::db::Row<'_>) -> super::db::Result<Self> {
        r.get(0)
    }
}
impl KeyFrom for String {
    fn from_row(r: &super::db::Row<'_>) -> super::db::Result<Self> {
        r.get(0)
    }
}
impl KeyFrom for (String, i64) {
    fn from_row(r: &super::db::Row<'_>) -> super::db::Result<Self> {
        Ok((r.get(0)?, r.get(1)?))
    }
}
impl KeyFrom for (i64, i64) {
    fn from_row(r: &super::db::Row<'_>) -> super::db::Result<Self> {
        Ok((r.get(0)?, r.get(1)?))
    }
}

/// A table as stored: (primary key, hash of the row's columns) in key order, read without copying
/// the rows.
fn stored_hashes<T: Row>(conn: &Connection) -> Result<Vec<(T::Key, [u8; 32])>> {
    let mut stmt = conn.prepare(T::SELECT)?;
    let mut rows = stmt.query(())?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut h = Sha256::new();
        for i in 0..r.column_count() {
            feed(
                &mut h,
                match r.get_ref(i)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(i) => Val::Int(i),
                    ValueRef::Text(t) => Val::Text(t),
                    ValueRef::Blob(b) => Val::Blob(b),
                    // No derived column is REAL: a real number is itself a difference.
                    ValueRef::Real(_) => Val::Text("\u{0}real"),
                },
            );
        }
        out.push((T::Key::from_row(&r)?, h.finalize().into()));
    }
    Ok(out)
}

/// Compare a table as stored with the rows the replay derived, by (key, hash) in key order. On the
/// first difference, the rows themselves are fetched (the stored table read whole; the expected rows
/// derived again for the one vacancy concerned) to name the row and the column.
fn compare<T: Row>(
    name: &str,
    mut expected: Hashes<T::Key>,
    stored: Vec<(T::Key, [u8; 32])>,
    read_stored: impl FnOnce() -> Result<Vec<T>>,
    expected_rows: impl Fn(u32) -> Result<Vec<T>>,
) -> Result<i64> {
    expected.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let n = expected.len() as i64;
    let (mut i, mut j) = (0, 0);
    let expected_row = |k: &T::Key, v: u32| -> Result<Option<T>> {
        Ok(expected_rows(v)?.into_iter().find(|r| &r.key() == k))
    };
    let stored_row = |k: &T::Key, read: Vec<T>| read.into_iter().find(|r| &r.key() == k);
    while i < expected.len() || j < stored.len() {
        let order = match (expected.get(i), stored.get(j)) {
            (Some(e), Some(s)) => e.0.cmp(&s.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => unreachable!(),
        };
        match order {
            std::cmp::Ordering::Equal if expected[i].1 == stored[j].1 => {
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let (k, v) = (&expected[i].0, expected[i].2);
                let x = expected_row(k, v)?;
                let y = stored_row(k, read_stored()?);
                return Err(match (x, y) {
                    (Some(x), Some(y)) => {
                        let Some((field, want, got)) = x
                            .fields()
                            .into_iter()
                            .zip(y.fields())
                            .find(|(a, b)| a != b)
                            .map(|((f, a), (_, b))| (f, a, b))
                        else {
                            // Not evidence of tampering, and not to be passed off as such.
                            anyhow::bail!(
                                "could not finish verifying {}: the quick replay and the full replay of the record disagree about it. This is a fault in fairpanel, not a sign the file was altered",
                                x.describe()
                            );
                        };
                        broken(
                            name,
                            x.describe(),
                            format!("its {field} is stored as {got} but the record says {want}: the table was edited"),
                        )
                    }
                    _ => broken(
                        name,
                        format!("the row {k:?}"),
                        "it differs from what the record says: the table was edited",
                    ),
                });
            }
            std::cmp::Ordering::Less => {
                let (k, v) = (&expected[i].0, expected[i].2);
                let what =
                    expected_row(k, v)?.map_or_else(|| format!("the row {k:?}"), |r| r.describe());
                return Err(broken(
                    name,
                    what,
                    "the record has it but the table does not: the row was deleted",
                ));
            }
            std::cmp::Ordering::Greater => {
                let k = &stored[j].0;
                let what = stored_row(k, read_stored()?)
                    .map_or_else(|| format!("the row {k:?}"), |r| r.describe());
                return Err(broken(
                    name,
                    what,
                    "the table has it but the record does not: the row was added or altered",
                ));
            }
        }
    }
    Ok(n)
}

fn read_rows<T>(
    conn: &Connection,
    sql: &str,
    f: impl FnMut(&super::db::Row<'_>) -> super::db::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map((), f)?
        .collect::<super::db::Result<Vec<T>>>()?;
    Ok(rows)
}

/// Every derived table as stored, as (key, row hash) in key order.
struct Stored {
    /// The snapshot's last event: the same number means the same data as the log was read in.
    head: i64,
    vacancy: Vec<(String, [u8; 32])>,
    questions: Vec<((String, i64), [u8; 32])>,
    panellists: Vec<(i64, [u8; 32])>,
    ethnicity: Vec<(i64, [u8; 32])>,
    candidates: Vec<(i64, [u8; 32])>,
    monitoring: Vec<(i64, [u8; 32])>,
    sealed: Vec<(i64, [u8; 32])>,
    decisions: Vec<(i64, [u8; 32])>,
    people: Vec<(i64, [u8; 32])>,
    invites: Vec<(String, [u8; 32])>,
    sessions: Vec<(String, [u8; 32])>,
    banks: Vec<(String, [u8; 32])>,
    heads: Vec<(String, [u8; 32])>,
    nodes: Vec<((i64, i64), [u8; 32])>,
}

fn read_stored(conn: &Connection) -> Result<Stored> {
    Ok(Stored {
        head: conn.query_row("SELECT coalesce(max(seq), 0) FROM events", (), |r| r.get(0))?,
        vacancy: stored_hashes::<VacancyRow>(conn)?,
        questions: stored_hashes::<QuestionRow>(conn)?,
        panellists: stored_hashes::<PanellistRow>(conn)?,
        ethnicity: stored_hashes::<EthnicityRow>(conn)?,
        candidates: stored_hashes::<CandidateRow>(conn)?,
        monitoring: stored_hashes::<MonitoringRow>(conn)?,
        sealed: stored_hashes::<SealedRow>(conn)?,
        decisions: stored_hashes::<DecisionRow>(conn)?,
        people: stored_hashes::<PersonRow>(conn)?,
        invites: stored_hashes::<InviteRow>(conn)?,
        sessions: stored_hashes::<SessionRow>(conn)?,
        banks: stored_hashes::<BankRow>(conn)?,
        heads: stored_hashes::<HeadRow>(conn)?,
        nodes: stored_hashes::<NodeRow>(conn)?,
    })
}

fn b(v: i64) -> bool {
    v != 0
}

/// A vacancy's rows derived again from its events (to name a difference once one is found).
fn derive_again(
    conn: &Connection,
    id: &str,
    people: &People,
    banks: &Banks,
    ring: &seal::Keyring,
) -> Result<VacancyRows> {
    let events = log::scope_events(conn, &format!("vacancy:{id}"))?;
    let ctx = crate::record::Context {
        people,
        banks,
        light: false,
    };
    let mut st: Option<VacancyState> = None;
    for e in &events {
        let fact = Fact::parse(&e.action, &e.payload).map_err(|m| anyhow::anyhow!(m))?;
        match (&mut st, fact) {
            (None, Fact::VacancyCreate(c)) => {
                st = Some(
                    VacancyState::create(&e.view(), &c, &ctx).map_err(|m| anyhow::anyhow!(m))?,
                )
            }
            (Some(v), f) => v
                .apply(&e.view(), f, &ctx)
                .map_err(|m| anyhow::anyhow!(m))?,
            _ => {}
        }
    }
    match st {
        Some(v) => vacancy_rows(&v, ring),
        None => Ok(VacancyRows::default()),
    }
}

/// The schema as fairpanel creates it: (type, name, sql) of every object.
fn expected_schema(legacy: bool) -> Result<Vec<(String, String, String)>> {
    let c = Connection::Lite(rusqlite::Connection::open_in_memory()?);
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
        let reader = self.reader();
        self.read(|conn| verify_on(conn, &reader))
    }

    /// Verify, then (when the database can be written and it passed) record a checkpoint marking
    /// the full verification, which later reads state as "the last full verification".
    pub fn verify_and_mark(&mut self) -> Result<VerifyReport> {
        let r = self.verify()?;
        if r.ok && !self.is_read_only() {
            let conn = self.conn();
            let tx = conn.transaction(Behavior::Write)?;
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

struct Outcome {
    events: i64,
    vacancies: usize,
    people: usize,
    rows_checked: i64,
    keys_checked: i64,
    receipt: Receipt,
}

fn verify_on(
    conn: &Connection,
    reader: &(dyn Fn() -> Result<Connection> + Sync),
) -> Result<VerifyReport> {
    let mut out = Outcome {
        events: 0,
        vacancies: 0,
        people: 0,
        rows_checked: 0,
        keys_checked: 0,
        receipt: Receipt {
            events: 0,
            head: GENESIS.into(),
        },
    };
    let problem = match run(conn, reader, &mut out) {
        Ok(()) => None,
        Err(e) => match e.downcast::<Found>() {
            Ok(Found(b)) => Some(b),
            Err(e) => return Err(e),
        },
    };
    Ok(VerifyReport {
        ok: problem.is_none(),
        events: out.events,
        vacancies: out.vacancies,
        people: out.people,
        rows_checked: out.rows_checked,
        keys_checked: out.keys_checked,
        receipt: out.receipt,
        problem,
    })
}

fn run(
    conn: &Connection,
    reader: &(dyn Fn() -> Result<Connection> + Sync),
    out: &mut Outcome,
) -> Result<()> {
    // 1. The schema and its protective triggers.
    let legacy = conn.lite().is_some()
        && conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE name = 'legacy_events'",
                (),
                |_| Ok(()),
            )
            .is_ok();
    if conn.lite().is_none() {
        if let Some((row, reason)) = super::postgres::schema_problem(conn)? {
            return Err(broken("schema", row, reason));
        }
    }
    let want = match conn.lite() {
        Some(_) => expected_schema(legacy)?,
        None => Vec::new(),
    };
    let have = match conn.lite() {
        Some(_) => schema_of(conn)?,
        None => Vec::new(),
    };
    if want != have {
        let missing = want.iter().find(|w| !have.contains(w));
        let extra = have.iter().find(|h| !want.contains(h));
        let (row, reason) = match (missing, extra) {
            (Some(m), _) => (
                format!("{} {}", m.0, m.1),
                "it is missing or was changed: the protection fairpanel put on the file was removed"
                    .to_string(),
            ),
            (None, Some(x)) => (
                format!("{} {}", x.0, x.1),
                "fairpanel did not create it: the file's structure was changed".to_string(),
            ),
            (None, None) => ("objects".into(), "the schema differs".into()),
        };
        return Err(broken("schema", row, reason));
    }
    if legacy {
        super::legacy::verify_legacy(conn)
            .map_err(|m| broken("legacy_events", "the log before the upgrade", m))?;
    }
    let head: i64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM events", (), |r| r.get(0))?;

    // 2–4 on this thread and the folding thread; the stored tables read on a third.
    let (chain, replay, stored) = std::thread::scope(|s| -> Result<_> {
        let stored = std::thread::Builder::new()
            .name("verify-stored".into())
            .spawn_scoped(s, || -> Result<Stored> {
                let c = reader()?;
                let tx = c.transaction(Behavior::Read)?;
                let st = read_stored(&tx)?;
                tx.finish()?;
                Ok(st)
            });
        let (send, recv) = std::sync::mpsc::sync_channel::<Batch>(8);
        // Emptied batches come back to be refilled: fresh large buffers would each cost the kernel
        // zeroing their pages.
        let (give_back, returned) = std::sync::mpsc::channel::<Batch>();
        let folder = std::thread::Builder::new().name("verify-fold".into()).spawn_scoped(s, move || -> Result<(Replay, HashMap<i64, seal::Key>)> {
            // Each scope's length (to finish each vacancy at its last event) and the keys, read in
            // a snapshot that must be the log's.
            let c = reader()?;
            let tx = c.transaction(Behavior::Read)?;
            let mut replay = Replay::default();
            let mut keys = HashMap::new();
            for (id, k) in read_rows(&tx, "SELECT id, key FROM keys", |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })? {
                match <seal::Key>::try_from(k.as_slice()) {
                    Ok(key) => {
                        replay.ring.insert(id, key);
                        replay.derived.ring.insert(id, key);
                        keys.insert(id, key);
                    }
                    Err(_) => return Err(broken("keys", format!("key {id}"), "it is not a key")),
                }
            }
            replay.counts = read_rows(
                &tx,
                "SELECT scope, max(scope_seq) FROM events WHERE scope LIKE 'vacancy:%' GROUP BY scope",
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .into_iter()
            .collect();
            let snapshot: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM events", (), |r| r.get(0))?;
            tx.finish()?;
            if snapshot != head {
                // Written to meanwhile: finish every vacancy at the end instead.
                replay.counts.clear();
            }
            let (to_derive, finished) = std::sync::mpsc::sync_channel::<(String, VacancyState)>(64);
            let mut deriver = std::mem::take(&mut replay.derived);
            let deriving = std::thread::Builder::new()
                .name("verify-derive".into())
                .spawn_scoped(s, move || -> Result<Deriver> {
                    for (id, v) in finished {
                        deriver.finish(id, v)?;
                    }
                    Ok(deriver)
                })?;
            replay.to_derive = Some(to_derive);
            let folded = (|| -> Result<()> {
                for mut batch in recv {
                    for i in 0..batch.events.len() {
                        replay.event(&batch.get(i))?;
                    }
                    batch.buf.clear();
                    batch.events.clear();
                    let _ = give_back.send(batch);
                }
                Ok(())
            })();
            replay.to_derive = None;
            // Every vacancy sent to be derived finished before any event the fold stopped at, so a
            // problem found in deriving comes first.
            replay.derived = deriving.join().expect("the deriving thread")?;
            folded?;
            Ok((replay, keys))
        });
        let walked = (|| -> Result<Chain> {
            let mut chain = Chain::default();
            let mut stmt = conn.prepare(
                "SELECT seq, at, actor, auth, action, scope, scope_seq, scope_prev, payload, prev_hash, hash
                 FROM events ORDER BY seq",
            )?;
            let mut rows = stmt.query(())?;
            let fresh = || Batch {
                buf: String::with_capacity(BATCH * 512),
                events: Vec::with_capacity(BATCH),
            };
            let mut batch = fresh();
            while let Some(r) = rows.next()? {
                let text = |i: usize| -> super::db::Result<&str> { r.get_ref(i)?.as_str() };
                let e = EventRef {
                    seq: r.get(0)?,
                    at: text(1)?,
                    actor: text(2)?,
                    auth: text(3)?,
                    action: text(4)?,
                    scope: text(5)?,
                    scope_seq: r.get(6)?,
                    scope_prev: text(7)?,
                    payload: text(8)?,
                    prev_hash: text(9)?,
                    hash: text(10)?,
                };
                if let Err(problem) = chain.event(&e) {
                    // The events before it are folded first: a problem the fold finds there is
                    // earlier, and the cause (a re-hashed edit breaks a checkpoint further on).
                    if !batch.events.is_empty() {
                        let _ = send.send(batch);
                    }
                    return Err(problem);
                }
                batch.push(&e);
                if batch.events.len() == BATCH {
                    let next = returned.try_recv().unwrap_or_else(|_| fresh());
                    // A closed channel means the fold stopped on a problem, reported below.
                    if send.send(std::mem::replace(&mut batch, next)).is_err() {
                        break;
                    }
                }
            }
            if !batch.events.is_empty() {
                let _ = send.send(batch);
            }
            Ok(chain)
        })();
        drop(send);
        let replay = folder?.join().expect("the folding thread");
        let stored = stored?.join().expect("the reading thread");
        // The fold only receives events the chain accepted, so a problem it finds comes before
        // any the chain found.
        let replay = replay?;
        Ok((walked?, replay, stored?))
    })?;
    let (mut replay, keys) = replay;
    out.events = chain.events;
    out.receipt = Receipt {
        events: chain.events,
        head: if chain.events == 0 {
            GENESIS.into()
        } else {
            chain.prev.clone()
        },
    };
    // Vacancies not finished at a last event (when the log grew while being read).
    let open: Vec<String> = replay.vacancies.keys().cloned().collect();
    for id in open {
        replay.finish(&id)?;
    }
    out.vacancies = replay.derived.ids.len();
    out.people = replay.people.by_id.len();
    for (through, h) in &replay.signed {
        let at: Option<String> = conn
            .query_row("SELECT hash FROM events WHERE seq = ?1", [through], |r| {
                r.get(0)
            })
            .ok();
        if at.as_deref() != Some(h.as_str()) {
            return Err(broken(
                "events",
                format!("event {through}"),
                "a signature names it with another hash: the record was rewritten after it was signed",
            ));
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
            ));
        }
    }
    // The stored tables must come from the snapshot the log was read in.
    let stored = if stored.head == head {
        stored
    } else {
        read_stored(conn)?
    };

    // 5. Keys: each the one introduced (by its check value), none erased still present, none extra.
    let mut introduced = HashSet::new();
    for intro in &replay.intros {
        introduced.insert(intro.id);
        out.keys_checked += 1;
        match keys.get(&intro.id) {
            Some(_) if replay.erased.contains(&intro.id) => return Err(broken(
                "keys",
                format!("key {}", intro.id),
                "the record says it was erased, but it is still there: the erasure did not happen",
            )),
            Some(key) => {
                if seal::kcv(key) != intro.kcv {
                    return Err(broken(
                        "keys",
                        format!("key {}", intro.id),
                        "it is not the key the record introduced: it was replaced",
                    ));
                }
            }
            None if replay.erased.contains(&intro.id) => {}
            None => {
                return Err(broken(
                    "keys",
                    format!("key {}", intro.id),
                    "it is missing although no erasure removed it",
                ))
            }
        }
    }
    if let Some(id) = keys.keys().find(|k| !introduced.contains(k)) {
        return Err(broken(
            "keys",
            format!("key {id}"),
            "the record never introduced it: it was added",
        ));
    }

    // 6. Derived tables.
    let Replay {
        people,
        banks,
        derived: Deriver {
            ids,
            expected: e,
            ring,
        },
        ..
    } = replay;
    let again = |v: u32| derive_again(conn, &ids[v as usize], &people, &banks, &ring);
    let none = u32::MAX;
    let mut person_rows_all = PersonRows::default();
    for id in people.by_id.keys() {
        let r = person_rows(&people, *id);
        person_rows_all.person.extend(r.person);
        person_rows_all.invites.extend(r.invites);
        person_rows_all.sessions.extend(r.sessions);
    }
    let mut bank_rows = Vec::new();
    for (sha, bank) in &banks.by_sha {
        let payload: String = conn.query_row(
            "SELECT payload FROM events WHERE scope = ?1 AND scope_seq = 1",
            [format!("bank:{sha}")],
            |r| r.get(0),
        )?;
        let yaml = match Fact::parse("bank.store", &payload) {
            Ok(Fact::BankStore(b)) => b.yaml,
            _ => String::new(),
        };
        bank_rows.push(BankRow {
            sha256: sha.clone(),
            bank_id: bank.id.clone(),
            version: bank.version as i64,
            yaml,
        });
    }
    let head_rows: Vec<HeadRow> = chain
        .heads
        .iter()
        .map(|(scope, (idx, count, last_seq, last_hash))| HeadRow {
            scope: scope.clone(),
            idx: *idx,
            count: *count,
            last_seq: *last_seq,
            last_hash: last_hash.clone(),
        })
        .collect();
    let node_rows: Vec<NodeRow> = chain
        .nodes
        .all()
        .map(|(level, idx, h)| NodeRow {
            level: level as i64,
            idx: idx as i64,
            hash: h.to_vec(),
        })
        .collect();
    macro_rules! small {
        ($rows:expr) => {{
            let rows = $rows;
            let mut h = Vec::new();
            add(&mut h, rows.clone(), none);
            (h, rows)
        }};
    }
    let c = conn;
    let s = stored;
    out.rows_checked += compare(
        "vacancies",
        e.vacancy,
        s.vacancy,
        || {
            read_rows(c, VacancyRow::SELECT, |r| {
                Ok(VacancyRow {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    band: r.get(2)?,
                    service: r.get(3)?,
                    bank_sha: r.get(4)?,
                    policy_source: r.get(5)?,
                    policy_yaml: r.get(6)?,
                    created_at: r.get(7)?,
                    questions: r.get(8)?,
                    decided: b(r.get(9)?),
                    overridden_gaps: r.get(10)?,
                    coverage_overridden: b(r.get(11)?),
                    review_status: r.get(12)?,
                    review_required: b(r.get(13)?),
                    reviews: r.get(14)?,
                    returns: r.get(15)?,
                    decided_at: r.get(16)?,
                    signed_off_at: r.get(17)?,
                })
            })
        },
        |v| Ok(again(v)?.vacancy),
    )?;
    out.rows_checked += compare(
        "vacancy_questions",
        e.questions,
        s.questions,
        || {
            read_rows(c, QuestionRow::SELECT, |r| {
                Ok(QuestionRow {
                    vacancy: r.get(0)?,
                    position: r.get(1)?,
                    question: r.get(2)?,
                    category: r.get(3)?,
                })
            })
        },
        |v| Ok(again(v)?.questions),
    )?;
    out.rows_checked += compare(
        "panellists",
        e.panellists,
        s.panellists,
        || {
            read_rows(c, PanellistRow::SELECT, |r| {
                Ok(PanellistRow {
                    id: r.get(0)?,
                    vacancy: r.get(1)?,
                    person: r.get(2)?,
                    role: r.get(3)?,
                    trained_on: r.get(4)?,
                    stood_down: b(r.get(5)?),
                })
            })
        },
        |v| Ok(again(v)?.panellists),
    )?;
    out.rows_checked += compare(
        "panellist_ethnicity",
        e.ethnicity,
        s.ethnicity,
        || {
            read_rows(c, EthnicityRow::SELECT, |r| {
                Ok(EthnicityRow {
                    panellist: r.get(0)?,
                    nhs_code: r.get(1)?,
                })
            })
        },
        |v| Ok(again(v)?.ethnicity),
    )?;
    out.rows_checked += compare(
        "candidates",
        e.candidates,
        s.candidates,
        || {
            read_rows(c, CandidateRow::SELECT, |r| {
                Ok(CandidateRow {
                    id: r.get(0)?,
                    vacancy: r.get(1)?,
                    reference: r.get(2)?,
                    interview: b(r.get(3)?),
                    revealed: b(r.get(4)?),
                    withdrawn: b(r.get(5)?),
                })
            })
        },
        |v| Ok(again(v)?.candidates),
    )?;
    out.rows_checked += compare(
        "monitoring",
        e.monitoring,
        s.monitoring,
        || {
            read_rows(c, MonitoringRow::SELECT, |r| {
                Ok(MonitoringRow {
                    candidate: r.get(0)?,
                    stage: r.get(1)?,
                    ethnicity: r.get(2)?,
                    gender: r.get(3)?,
                    disability: r.get(4)?,
                    internal: r.get::<_, Option<i64>>(5)?.map(b),
                })
            })
        },
        |v| Ok(again(v)?.monitoring),
    )?;
    out.rows_checked += compare(
        "sealed_sheets",
        e.sealed,
        s.sealed,
        || {
            read_rows(c, SealedRow::SELECT, |r| {
                Ok(SealedRow {
                    sheet: r.get(0)?,
                    candidate: r.get(1)?,
                    panellist: r.get(2)?,
                    scores: r.get(3)?,
                })
            })
        },
        |v| Ok(again(v)?.sealed),
    )?;
    out.rows_checked += compare(
        "decisions",
        e.decisions,
        s.decisions,
        || {
            read_rows(c, DecisionRow::SELECT, |r| {
                Ok(DecisionRow {
                    seq: r.get(0)?,
                    vacancy: r.get(1)?,
                    appointed: r.get(2)?,
                    revision: b(r.get(3)?),
                    unresolved: b(r.get(4)?),
                })
            })
        },
        |v| Ok(again(v)?.decisions),
    )?;
    let (h, rows) = small!(person_rows_all.person);
    out.rows_checked += compare(
        "people",
        h,
        s.people,
        || {
            read_rows(c, PersonRow::SELECT, |r| {
                Ok(PersonRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    roles: r.get(2)?,
                    trained_on: r.get(3)?,
                    has_credential: b(r.get(4)?),
                })
            })
        },
        |_| Ok(rows.clone()),
    )?;
    let (h, rows) = small!(person_rows_all.invites);
    out.rows_checked += compare(
        "invites",
        h,
        s.invites,
        || {
            read_rows(c, InviteRow::SELECT, |r| {
                Ok(InviteRow {
                    token_sha256: r.get(0)?,
                    person: r.get(1)?,
                    purpose: r.get(2)?,
                    expires_at: r.get(3)?,
                    usable: b(r.get(4)?),
                })
            })
        },
        |_| Ok(rows.clone()),
    )?;
    let (h, rows) = small!(person_rows_all.sessions);
    out.rows_checked += compare(
        "sessions",
        h,
        s.sessions,
        || {
            read_rows(c, SessionRow::SELECT, |r| {
                Ok(SessionRow {
                    token_sha256: r.get(0)?,
                    person: r.get(1)?,
                    expires_at: r.get(2)?,
                    live: b(r.get(3)?),
                })
            })
        },
        |_| Ok(rows.clone()),
    )?;
    let (h, rows) = small!(bank_rows);
    out.rows_checked += compare(
        "banks",
        h,
        s.banks,
        || {
            read_rows(c, BankRow::SELECT, |r| {
                Ok(BankRow {
                    sha256: r.get(0)?,
                    bank_id: r.get(1)?,
                    version: r.get(2)?,
                    yaml: r.get(3)?,
                })
            })
        },
        |_| Ok(rows.clone()),
    )?;
    let (h, rows) = small!(head_rows);
    out.rows_checked += compare(
        "scope_heads",
        h,
        s.heads,
        || {
            read_rows(c, HeadRow::SELECT, |r| {
                Ok(HeadRow {
                    scope: r.get(0)?,
                    idx: r.get(1)?,
                    count: r.get(2)?,
                    last_seq: r.get(3)?,
                    last_hash: r.get(4)?,
                })
            })
        },
        |_| Ok(rows.clone()),
    )?;
    let (h, rows) = small!(node_rows);
    out.rows_checked += compare(
        "scope_nodes",
        h,
        s.nodes,
        || {
            read_rows(c, NodeRow::SELECT, |r| {
                Ok(NodeRow {
                    level: r.get(0)?,
                    idx: r.get(1)?,
                    hash: r.get(2)?,
                })
            })
        },
        |_| Ok(rows.clone()),
    )?;
    Ok(())
}
