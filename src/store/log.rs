//! The event log in SQL: appending, reading one scope's events, and checking them cheaply.
//!
//! A reader of one vacancy checks (1) the chain from the latest checkpoint to the head, event by event
//! ("the tail"); (2) each scope it reads — the vacancy, the people on its panel, its bank — is a
//! complete chain of its own (positions 1, 2, 3, … each hashing correctly and naming the previous
//! event's hash); and (3) each such scope's last event before the checkpoint is the one the
//! checkpoint's Merkle root commits to. An edited event breaks its hash or its scope's chain; a
//! deleted one breaks its scope's positions, or, if it was a scope's last, the Merkle proof or the
//! tail. What this cannot see without the full `verify` (or a receipt) is a rewrite of the log's whole
//! suffix, derived tables included, by someone who knows how fairpanel builds them.

use super::db::{Connection, OptionalExtension};
use super::project;
use crate::params;
use crate::record::chain::{Actor, EventRow, Receipt, GENESIS};
use crate::record::fact::{self, Fact};
use crate::record::merkle::{self, Hash, Nodes, ScopeHead};
use crate::record::people::People;
use crate::record::seal::Key;
use crate::record::vacancy::VacancyState;
use crate::record::Banks;
use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashMap;

pub use crate::record::Altered;

fn altered<T>(why: impl Into<String>) -> Result<T> {
    Err(Altered(why.into()).into())
}

const EVENT_COLS: &str =
    "seq, at, actor, auth, action, scope, scope_seq, scope_prev, payload, prev_hash, hash";

fn event_row(r: &super::db::Row<'_>) -> super::db::Result<EventRow> {
    Ok(EventRow {
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
    })
}

/// The head of the chain as a writer sees it.
#[derive(Debug, Clone)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
    /// Seq of the latest checkpoint event (0 if none).
    pub checkpoint: i64,
    scopes: HashMap<String, (i64, String)>,
}

impl Head {
    pub fn read(conn: &Connection) -> Result<Head> {
        let (seq, hash) = conn
            .query_row(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
                (),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, GENESIS.to_string()));
        let checkpoint = latest_checkpoint(conn)?.map_or(0, |c| c.seq);
        Ok(Head {
            seq,
            hash,
            checkpoint,
            scopes: HashMap::new(),
        })
    }

    fn scope_head(&mut self, conn: &Connection, scope: &str) -> Result<(i64, String)> {
        if let Some(h) = self.scopes.get(scope) {
            return Ok(h.clone());
        }
        let h = conn
            .query_row(
                "SELECT scope_seq, hash FROM events WHERE scope = ?1 ORDER BY scope_seq DESC LIMIT 1",
                [scope],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, GENESIS.to_string()));
        self.scopes.insert(scope.to_string(), h.clone());
        Ok(h)
    }

    /// The next event for `fact` in `scope`, hashed, not yet written.
    pub fn next(
        &mut self,
        conn: &Connection,
        actor: &Actor,
        scope: &str,
        fact: &Fact,
    ) -> Result<EventRow> {
        self.next_at(conn, actor, scope, fact, crate::model::now())
    }

    /// As [`Head::next`], at a given time (bulk loads of past events).
    pub fn next_at(
        &mut self,
        conn: &Connection,
        actor: &Actor,
        scope: &str,
        fact: &Fact,
        at: String,
    ) -> Result<EventRow> {
        let (scope_seq, scope_prev) = self.scope_head(conn, scope)?;
        let mut row = EventRow {
            seq: self.seq + 1,
            at,
            actor: actor.id.to_string(),
            auth: actor.auth.as_str().to_string(),
            action: fact.action().to_string(),
            scope: scope.to_string(),
            scope_seq: scope_seq + 1,
            scope_prev,
            payload: fact.payload(),
            prev_hash: self.hash.clone(),
            hash: String::new(),
        };
        row.hash = row.hashed().hex();
        Ok(row)
    }

    /// Write an event made by [`Head::next`] and move the head past it.
    pub fn write(&mut self, conn: &Connection, row: &EventRow) -> Result<()> {
        let mut stmt = conn.prepare_cached(
            "INSERT INTO events (seq, at, actor, auth, action, scope, scope_seq, scope_prev, payload, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        stmt.execute(params![
            row.seq,
            row.at,
            row.actor,
            row.auth,
            row.action,
            row.scope,
            row.scope_seq,
            row.scope_prev,
            row.payload,
            row.prev_hash,
            row.hash
        ])?;
        self.seq = row.seq;
        self.hash = row.hash.clone();
        self.scopes
            .insert(row.scope.clone(), (row.scope_seq, row.hash.clone()));
        if row.action == "chain.checkpoint" {
            self.checkpoint = row.seq;
        }
        Ok(())
    }

    pub fn receipt(&self) -> Receipt {
        Receipt {
            events: self.seq,
            head: self.hash.clone(),
        }
    }
}

pub fn scope_exists(conn: &Connection, scope: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM events WHERE scope = ?1 LIMIT 1",
            [scope],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub fn scope_events(conn: &Connection, scope: &str) -> Result<Vec<EventRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EVENT_COLS} FROM events WHERE scope = ?1 ORDER BY scope_seq"
    ))?;
    let rows = stmt
        .query_map([scope], event_row)?
        .collect::<super::db::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn event_at(conn: &Connection, seq: i64) -> Result<Option<EventRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {EVENT_COLS} FROM events WHERE seq = ?1"),
            [seq],
            event_row,
        )
        .optional()?)
}

/// The latest checkpoint: its event and what it says.
#[derive(Debug, Clone)]
pub struct CheckpointInfo {
    pub seq: i64,
    pub at: String,
    pub cp: fact::Checkpoint,
}

pub fn latest_checkpoint(conn: &Connection) -> Result<Option<CheckpointInfo>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, action, payload FROM events WHERE scope = 'chain' ORDER BY scope_seq DESC",
    )?;
    let mut rows = stmt.query(())?;
    while let Some(r) = rows.next()? {
        let action: String = r.get(2)?;
        if action != "chain.checkpoint" {
            continue;
        }
        let payload: String = r.get(3)?;
        let cp: fact::Checkpoint = serde_json::from_str(&payload)
            .map_err(|e| Altered(format!("a checkpoint does not read back ({e})")))?;
        return Ok(Some(CheckpointInfo {
            seq: r.get(0)?,
            at: r.get(1)?,
            cp,
        }));
    }
    Ok(None)
}

/// What the walk from the latest checkpoint to the head found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TailStatus {
    /// Seq of the checkpoint the walk started from (0: from the first event).
    pub checkpoint: i64,
    pub checkpoint_through: i64,
    pub scopes: i64,
    pub scopes_root: String,
    /// Events walked after the checkpoint.
    pub walked: i64,
    /// The latest checkpoint made by a full `verify`, and when.
    pub last_full: Option<(i64, String)>,
    pub receipt: Receipt,
}

/// Walk the chain from the latest checkpoint to the head, checking every link and hash.
pub fn tail(conn: &Connection) -> Result<TailStatus> {
    let cp = latest_checkpoint(conn)?;
    let (start_seq, mut prev_hash, through, scopes, root) = match &cp {
        Some(c) => {
            let ev =
                event_at(conn, c.seq)?.ok_or_else(|| Altered("a checkpoint vanished".into()))?;
            if !ev.hashed().matches(&ev.hash) {
                return altered(format!("checkpoint event {} was edited", c.seq));
            }
            if c.cp.through != c.seq - 1 || ev.prev_hash != c.cp.head {
                return altered(format!(
                    "checkpoint {} does not follow the event it claims to follow",
                    c.seq
                ));
            }
            let before = event_at(conn, c.cp.through)?;
            if before.as_ref().map(|b| &b.hash) != Some(&c.cp.head) {
                return altered(format!(
                    "event {} is not the one checkpoint {} recorded",
                    c.cp.through, c.seq
                ));
            }
            (
                c.seq,
                ev.hash.clone(),
                c.cp.through,
                c.cp.scopes,
                c.cp.scopes_root.clone(),
            )
        }
        None => (0, GENESIS.to_string(), 0, 0, hex::encode(merkle::empty(0))),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EVENT_COLS} FROM events WHERE seq > ?1 ORDER BY seq"
    ))?;
    let mut rows = stmt.query([start_seq])?;
    let mut expect = start_seq + 1;
    let mut walked = 0;
    while let Some(r) = rows.next()? {
        let ev = event_row(&r)?;
        if ev.seq != expect {
            return altered(format!(
                "the log jumps from event {} to {}: events were deleted",
                expect - 1,
                ev.seq
            ));
        }
        if ev.prev_hash != prev_hash {
            return altered(format!(
                "event {} does not follow event {}: one of them was edited",
                ev.seq,
                ev.seq - 1
            ));
        }
        if !ev.hashed().matches(&ev.hash) {
            return altered(format!(
                "event {} ({}) was edited after it was written",
                ev.seq, ev.action
            ));
        }
        prev_hash = ev.hash;
        expect += 1;
        walked += 1;
    }
    let head_seq = expect - 1;
    let last_full = match &cp {
        Some(c) => match c.cp.last_full {
            Some(s) if s == c.seq => Some((s, c.at.clone())),
            Some(s) => event_at(conn, s)?.map(|e| (s, e.at)),
            None => None,
        },
        None => None,
    };
    Ok(TailStatus {
        checkpoint: start_seq,
        checkpoint_through: through,
        scopes,
        scopes_root: root,
        walked,
        last_full,
        receipt: Receipt {
            events: head_seq,
            head: prev_hash,
        },
    })
}

/// The tree's nodes in `scope_nodes`.
pub struct SqlNodes<'c>(pub &'c Connection);

impl Nodes for SqlNodes<'_> {
    fn get(&mut self, level: u32, idx: u64) -> Result<Option<Hash>> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT hash FROM scope_nodes WHERE level = ?1 AND idx = ?2")?;
        let v: Option<Vec<u8>> = stmt
            .query_row(params![level, idx as i64], |r| r.get(0))
            .optional()?;
        Ok(v.and_then(|b| b.try_into().ok()))
    }
    fn set(&mut self, level: u32, idx: u64, h: Hash) -> Result<()> {
        let mut stmt = self.0.prepare_cached(
            "INSERT INTO scope_nodes (level, idx, hash) VALUES (?1, ?2, ?3)
             ON CONFLICT (level, idx) DO UPDATE SET hash = excluded.hash",
        )?;
        stmt.execute(params![level, idx as i64, &h[..]])?;
        Ok(())
    }
}

/// Check one scope's events (in scope order) as read: each hashes correctly, names its predecessor
/// in the scope, and the last one the checkpoint knows is the one its Merkle root commits to.
pub fn check_scope(
    conn: &Connection,
    scope: &str,
    events: &[EventRow],
    t: &TailStatus,
) -> Result<()> {
    let mut prev = GENESIS;
    for (i, e) in events.iter().enumerate() {
        if e.scope_seq != i as i64 + 1 {
            return altered(format!(
                "{scope}: event {} of its record is missing (found {} instead)",
                i + 1,
                e.scope_seq
            ));
        }
        if e.scope_prev != prev {
            return altered(format!(
                "{scope}: event {} (seq {}) does not follow the one before it",
                e.scope_seq, e.seq
            ));
        }
        if !e.hashed().matches(&e.hash) {
            return altered(format!(
                "{scope}: event {} (seq {}, {}) was edited after it was written",
                e.scope_seq, e.seq, e.action
            ));
        }
        prev = &e.hash;
    }
    let head: Option<(i64, i64, i64, String)> = conn
        .query_row(
            "SELECT idx, count, last_seq, last_hash FROM scope_heads WHERE scope = ?1",
            [scope],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let known = events
        .iter()
        .take_while(|e| e.seq <= t.checkpoint_through)
        .count() as i64;
    if events
        .iter()
        .skip(known as usize)
        .any(|e| e.seq <= t.checkpoint_through)
    {
        return altered(format!("{scope}: its events are out of order"));
    }
    match head {
        None if known == 0 => Ok(()),
        None => altered(format!(
            "{scope}: the checkpoint's record of its history is missing"
        )),
        Some((idx, count, last_seq, last_hash)) => {
            let leaf = merkle::leaf_hash(&ScopeHead {
                scope: scope.to_string(),
                count,
                last_seq,
                last_hash: last_hash.clone(),
            });
            let path = merkle::path(&mut SqlNodes(conn), t.scopes as u64, idx as u64)?;
            if idx >= t.scopes
                || hex::encode(merkle::root_from_path(leaf, idx as u64, &path)) != t.scopes_root
            {
                return altered(format!(
                    "{scope}: its history does not match what the latest checkpoint recorded"
                ));
            }
            if count != known {
                return altered(format!(
                    "{scope}: the checkpoint recorded {count} events but {known} are there: events were {}",
                    if known < count { "deleted" } else { "added" }
                ));
            }
            match events.get(count as usize - 1) {
                Some(e) if e.seq == last_seq && e.hash == last_hash => Ok(()),
                _ => altered(format!(
                    "{scope}: its last event before the checkpoint is not the one recorded"
                )),
            }
        }
    }
}

/// What a verified read of one vacancy checked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Integrity {
    /// The vacancy's own events, each checked.
    pub events_checked: i64,
    /// People whose records were checked with it (the panel, and whoever acted).
    pub people_checked: usize,
    pub tail: TailStatus,
}

impl Integrity {
    /// One sentence for a report or a terminal.
    pub fn sentence(&self) -> String {
        let full = match &self.tail.last_full {
            Some((seq, at)) => format!("the last full verification passed at event {seq} ({at})"),
            None => "no full verification has been recorded yet (run `fairpanel verify`)".into(),
        };
        format!(
            "Record checked: this vacancy's {} events, and the records of the {} people and the question bank \
             they name, hash correctly and are complete; the chain since the latest checkpoint ({} events) is \
             unbroken; {full}. Receipt {}.",
            self.events_checked, self.people_checked, self.tail.walked, self.tail.receipt
        )
    }
}

/// A vacancy's state read back from its events, with the people and keys a report needs.
pub struct Loaded {
    pub state: VacancyState,
    pub people: People,
    pub keys: Vec<(i64, Key)>,
    pub integrity: Integrity,
}

impl Loaded {
    /// The keys as a keyring, erased ones marked.
    pub fn keyring(&self) -> crate::record::seal::Keyring {
        let mut ring = crate::record::seal::Keyring::default();
        for (id, k) in &self.keys {
            ring.insert(*id, *k);
        }
        for k in &self.state.erased_keys {
            ring.mark_erased(*k);
        }
        ring
    }
}

fn load_scope(conn: &Connection, scope: &str, t: &TailStatus) -> Result<Vec<EventRow>> {
    let events = scope_events(conn, scope)?;
    check_scope(conn, scope, &events, t)?;
    Ok(events)
}

/// Fold one person's events into `people` (once), checking them against the walked tail `t`.
pub fn load_person(conn: &Connection, id: i64, people: &mut People, t: &TailStatus) -> Result<()> {
    load_person_with(conn, id, people, t)
}

fn load_person_with(conn: &Connection, id: i64, people: &mut People, t: &TailStatus) -> Result<()> {
    if people.get(id).is_some() {
        return Ok(());
    }
    let scope = format!("person:{id}");
    for e in load_scope(conn, &scope, t)? {
        let fact = Fact::parse(&e.action, &e.payload).map_err(Altered)?;
        people
            .apply(&e.view(), &fact)
            .map_err(|m| Altered(format!("{scope}: event {} is not a valid step: {m}", e.seq)))?;
    }
    if people.get(id).is_none() {
        bail!("there is no person {id}");
    }
    Ok(())
}

/// Fold a bank's event into `banks`; false if it is not stored.
pub fn load_bank(conn: &Connection, sha: &str, banks: &mut Banks, t: &TailStatus) -> Result<bool> {
    load_bank_with(conn, sha, banks, t)
}

fn load_bank_with(conn: &Connection, sha: &str, banks: &mut Banks, t: &TailStatus) -> Result<bool> {
    if banks.by_sha.contains_key(sha) {
        return Ok(true);
    }
    let scope = format!("bank:{sha}");
    let events = load_scope(conn, &scope, t)?;
    for e in &events {
        match Fact::parse(&e.action, &e.payload).map_err(Altered)? {
            Fact::BankStore(b) => banks
                .apply(&e.view(), &b)
                .map_err(|m| Altered(format!("{scope}: {m}")))?,
            _ => return altered(format!("{scope}: holds something other than a bank")),
        }
    }
    Ok(!events.is_empty())
}

pub fn read_key(conn: &Connection, id: i64) -> Result<Option<Key>> {
    let mut stmt = conn.prepare_cached("SELECT key FROM keys WHERE id = ?1")?;
    let k: Option<Vec<u8>> = stmt.query_row([id], |r| r.get(0)).optional()?;
    Ok(k.and_then(|k| k.try_into().ok()))
}

/// Read, check and fold a vacancy, with the people it names and its bank.
pub fn load_vacancy(
    conn: &Connection,
    id: &str,
    people: &mut People,
    banks: &mut Banks,
    t: TailStatus,
) -> Result<Loaded> {
    let scope = format!("vacancy:{id}");
    let events = load_scope(conn, &scope, &t)?;
    if events.is_empty() {
        return Err(no_vacancy(conn, id));
    }
    let facts: Vec<Fact> = events
        .iter()
        .map(|e| Fact::parse(&e.action, &e.payload).map_err(|m| anyhow!(Altered(m))))
        .collect::<Result<_>>()?;
    let checked = events.len() as i64;
    let mut people_checked = 0;
    let mut persons: Vec<i64> = Vec::new();
    for (e, f) in events.iter().zip(&facts) {
        if let Fact::PanelAdd(a) = f {
            persons.push(a.person);
        }
        if let Some(p) = crate::record::ActorId::parse(&e.actor).and_then(|a| a.person()) {
            persons.push(p);
        }
    }
    persons.sort_unstable();
    persons.dedup();
    for p in persons {
        load_person_with(conn, p, people, &t)?;
        people_checked += 1;
    }
    let Fact::VacancyCreate(create) = &facts[0] else {
        return altered(format!("{scope}: its first event is not its creation"));
    };
    if !load_bank_with(conn, &create.bank, banks, &t)? {
        return altered(format!("{scope}: the bank it was created with is missing"));
    }
    let ctx = crate::record::Context {
        people,
        banks,
        light: false,
    };
    let mut state = VacancyState::create(&events[0].view(), create, &ctx)
        .map_err(|m| Altered(format!("{scope}: {m}")))?;
    for (e, f) in events.iter().zip(facts).skip(1) {
        state
            .apply(&e.view(), f, &ctx)
            .map_err(|m| Altered(format!("{scope}: event {} is not a valid step: {m}", e.seq)))?;
    }
    // Each key must be the one the record introduced (its check value), and none may be missing
    // without an erasure: a replaced key would otherwise show only when something is decrypted.
    let mut keys = Vec::new();
    for intro in project::key_intros(&state) {
        match read_key(conn, intro.id)? {
            Some(key) if crate::record::seal::kcv(&key) == intro.kcv => keys.push((intro.id, key)),
            Some(_) => return altered(format!("{scope}: key {} was replaced", intro.id)),
            None => {
                return altered(format!(
                    "{scope}: key {} is missing although no erasure removed it",
                    intro.id
                ))
            }
        }
    }
    Ok(Loaded {
        state,
        // Moved, not copied: a transaction that loads many vacancies takes the people back (see
        // `Tx::load_vacancy`), and copying everyone loaded so far for each vacancy cost more than
        // loading it.
        people: std::mem::take(people),
        keys,
        integrity: Integrity {
            events_checked: checked,
            people_checked,
            tail: t,
        },
    })
}

fn no_vacancy(conn: &Connection, id: &str) -> anyhow::Error {
    let known: Vec<String> = conn
        .prepare("SELECT id FROM vacancies ORDER BY id LIMIT 10")
        .and_then(|mut s| {
            s.query_map((), |r| r.get(0))?
                .collect::<super::db::Result<Vec<String>>>()
        })
        .unwrap_or_default();
    if known.is_empty() {
        anyhow!("no vacancy {id:?}: this database has no vacancies yet (create one with `fairpanel vacancy create`)")
    } else {
        anyhow!("no vacancy {id:?} (known: {})", known.join(", "))
    }
}

/// Verify the events since the last checkpoint, commit every scope's head to a new Merkle root, and
/// append a checkpoint. `full` marks one made by a complete `verify`.
pub fn checkpoint(conn: &Connection, head: &mut Head, full: bool) -> Result<TailStatus> {
    let prev = latest_checkpoint(conn)?;
    let start = prev.as_ref().map_or(0, |c| c.seq);
    let mut n: i64 = prev.as_ref().map_or(0, |c| c.cp.scopes);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EVENT_COLS} FROM events WHERE seq > ?1 ORDER BY seq"
    ))?;
    let mut rows = stmt.query([start])?;
    let mut prev_hash = match &prev {
        Some(c) => event_at(conn, c.seq)?
            .map(|e| e.hash)
            .ok_or_else(|| Altered("a checkpoint vanished".into()))?,
        None => GENESIS.to_string(),
    };
    let mut expect = start + 1;
    // Scopes touched since the last checkpoint, in order of first appearance.
    let mut order: Vec<String> = Vec::new();
    let mut heads: HashMap<String, (i64, i64, String)> = HashMap::new();
    while let Some(r) = rows.next()? {
        let e = event_row(&r)?;
        if e.seq != expect || e.prev_hash != prev_hash || !e.hashed().matches(&e.hash) {
            return altered(format!(
                "event {} does not continue the chain; no checkpoint was made",
                expect
            ));
        }
        prev_hash = e.hash.clone();
        expect += 1;
        if e.scope == "chain" {
            continue;
        }
        let prev_in_scope = match heads.get(&e.scope) {
            Some((_, _, h)) => Some(h.clone()),
            None if e.scope_seq == 1 => Some(GENESIS.to_string()),
            None => conn
                .query_row(
                    "SELECT hash FROM events WHERE scope = ?1 AND scope_seq = ?2",
                    params![e.scope, e.scope_seq - 1],
                    |r| r.get(0),
                )
                .optional()?,
        };
        if prev_in_scope.as_deref() != Some(e.scope_prev.as_str()) {
            return altered(format!(
                "event {} does not follow the previous event of {}",
                e.seq, e.scope
            ));
        }
        if !heads.contains_key(&e.scope) {
            order.push(e.scope.clone());
        }
        heads.insert(e.scope.clone(), (e.scope_seq, e.seq, e.hash));
    }
    drop(rows);
    drop(stmt);
    let through = expect - 1;
    if through != head.seq {
        bail!("the head moved during a checkpoint");
    }
    let mut nodes = SqlNodes(conn);
    let mut updates: Vec<(u64, ScopeHead)> = Vec::new();
    for scope in &order {
        let (count, last_seq, last_hash) = heads[scope].clone();
        let idx: Option<i64> = conn
            .query_row(
                "SELECT idx FROM scope_heads WHERE scope = ?1",
                [scope],
                |r| r.get(0),
            )
            .optional()?;
        let idx = match idx {
            Some(i) => i,
            None => {
                n += 1;
                n - 1
            }
        };
        project::write_scope_head(conn, scope, idx, count, last_seq, &last_hash)?;
        updates.push((
            idx as u64,
            ScopeHead {
                scope: scope.clone(),
                count,
                last_seq,
                last_hash,
            },
        ));
    }
    for (idx, h) in &updates {
        merkle::update(&mut nodes, n as u64, *idx, merkle::leaf_hash(h))?;
    }
    let root = merkle::root(&mut nodes, n as u64)?;
    let seq = head.seq + 1;
    let fact = Fact::Checkpoint(fact::Checkpoint {
        through,
        head: head.hash.clone(),
        scopes: n,
        scopes_root: hex::encode(root),
        full,
        last_full: if full {
            Some(seq)
        } else {
            prev.and_then(|c| c.cp.last_full)
        },
    });
    let last_full = match &fact {
        Fact::Checkpoint(c) => c.last_full,
        _ => None,
    };
    let row = head.next(conn, &Actor::system(), "chain", &fact)?;
    head.write(conn, &row).context("recording a checkpoint")?;
    Ok(TailStatus {
        checkpoint: row.seq,
        checkpoint_through: through,
        scopes: n,
        scopes_root: hex::encode(root),
        walked: 0,
        last_full: match last_full {
            Some(s) if s == row.seq => Some((s, row.at.clone())),
            Some(s) => event_at(conn, s)?.map(|e| (s, e.at)),
            None => None,
        },
        receipt: head.receipt(),
    })
}
