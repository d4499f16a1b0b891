//! One vacancy's state after its events, and the invariants each event must respect.
//!
//! These are the rules that hold whatever path an event took (command line, web page, import, bulk
//! load, or a hand-edited file): answers only on open sheets of candidates not yet revealed, a reveal
//! only when every active panellist's sheet is in, independent scores fixed at submission, moderation
//! only after reveal, decisions only when every candidate is revealed or withdrawn, and every revision
//! with a reason. Policy gates (composition, coverage, who may act) are checked by the commands
//! before they record anything, because they depend on today's date and on who is asking.

use super::chain::{ActorId, Auth, EventRef};
use super::fact::*;
use super::seal::{KeyIntro, Sealed};
use super::{By, Context};
use crate::bank::Bank;
use crate::model::Role;
use std::sync::Arc;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Member {
    pub person: i64,
    pub role: Role,
    pub trained_on: Option<String>,
    #[serde(skip)]
    pub ethnicity: Option<DeclaredEthnicity>,
    pub joined: By,
    pub stood_down: Option<(By, String)>,
    pub conflicts: Vec<(String, String, By)>,
    /// Seq of the `panel.add` event: the member's id in derived tables.
    pub id: i64,
}

impl Member {
    pub fn active(&self) -> bool {
        self.stood_down.is_none()
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Candidate {
    pub reference: String,
    /// Interviewed (a candidate on the panel's screens), not only an applicant in pipeline data.
    pub interview: bool,
    /// Derived-table id: `seq << 16 | row` of the event that first named them.
    pub id: i64,
    pub added: Option<By>,
    #[serde(skip)]
    pub key: Option<KeyIntro>,
    #[serde(skip)]
    pub name: Option<Sealed>,
    #[serde(skip)]
    pub monitoring_key: Option<KeyIntro>,
    #[serde(skip)]
    pub monitoring: Option<Sealed>,
    pub withdrawn: Option<(By, String)>,
    /// When every sheet was in, and whose.
    pub revealed: Option<(By, Vec<i64>)>,
    pub erasures: Vec<(By, Erasure)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Answer,
    Correction,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    pub by: By,
    pub question: String,
    pub score: i64,
    #[serde(skip)]
    pub evidence: Sealed,
    pub kind: EntryKind,
    /// The correction's reason.
    pub reason: Option<String>,
    /// Entered from a paper sheet by the event's actor, with this reason.
    pub transcribed: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Sheet {
    pub candidate: String,
    pub person: i64,
    pub opened: By,
    pub entries: Vec<Entry>,
    pub submitted: Option<By>,
    pub submit_transcribed: Option<String>,
    /// Withdrawn with the panellist when they stood down before the candidate was revealed.
    pub withdrawn: Option<String>,
    /// The independent score per plan question, fixed at submission: (question, index into entries).
    pub independent: Vec<(String, usize)>,
}

impl Sheet {
    /// The latest answer to `q` before submission (the one that counts while open).
    pub fn latest_answer(&self, q: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.question == q && e.kind == EntryKind::Answer)
    }
    pub fn independent(&self, q: &str) -> Option<&Entry> {
        self.independent
            .iter()
            .find(|(qq, _)| qq == q)
            .map(|(_, i)| &self.entries[*i])
    }
    /// The latest correction of `q` after submission, if any.
    pub fn correction(&self, q: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.question == q && e.kind == EntryKind::Correction)
    }
    /// The score that counts for `q`: the latest correction, else the independent score.
    pub fn counted(&self, q: &str) -> Option<&Entry> {
        self.correction(q).or_else(|| self.independent(q))
    }
    pub fn is_live(&self) -> bool {
        self.withdrawn.is_none()
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ModerationRec {
    pub by: By,
    pub reference: String,
    pub question: String,
    pub score: i64,
    pub reason: Option<String>,
    pub revision_reason: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DecisionRec {
    pub by: By,
    pub appointed: String,
    pub reserves: Vec<String>,
    pub rationale: String,
    pub unresolved_reason: Option<String>,
    pub revision_reason: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct OverrideRec {
    pub by: By,
    pub gaps: Vec<OverriddenGap>,
    pub reason: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PlanRec {
    pub by: By,
    pub questions: Vec<String>,
    pub reason: Option<String>,
    pub coverage_override: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewRec {
    pub by: By,
    pub review: Review,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewAnswerRec {
    pub by: By,
    pub answer: ReviewAnswer,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ConsideredRec {
    pub by: By,
    pub key: String,
    pub note: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AccessRec {
    pub by: By,
    pub reference: String,
    pub sealed_sheets: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct VacancyState {
    pub id: String,
    pub title: String,
    pub band: Option<String>,
    pub service: Option<String>,
    pub created: By,
    #[serde(skip)]
    pub bank: Arc<Bank>,
    pub bank_sha: String,
    pub policy_source: String,
    #[serde(skip)]
    pub policy_yaml: String,
    /// The current question plan, in interview order.
    pub questions: Vec<String>,
    /// The plan as created and every change to it.
    pub plans: Vec<PlanRec>,
    pub panel: Vec<Member>,
    pub candidates: Vec<Candidate>,
    pub sheets: Vec<Sheet>,
    pub moderations: Vec<ModerationRec>,
    pub decisions: Vec<DecisionRec>,
    pub overrides: Vec<OverrideRec>,
    pub considered: Vec<ConsideredRec>,
    pub reviews: Vec<ReviewRec>,
    pub review_answers: Vec<ReviewAnswerRec>,
    pub subject_access: Vec<AccessRec>,
    pub imports: usize,
    /// Keys destroyed by recorded erasures and withdrawn declarations.
    pub erased_keys: Vec<i64>,
    /// Events in this vacancy's scope, and the last one.
    pub events: i64,
    pub last_seq: i64,
    pub last_hash: String,
    /// The last event that changed what a fairness review is about (see [`changes_review`]): a review
    /// made on a report whose receipt is older is made on an earlier version.
    pub last_material: i64,
}

/// Whether an event of a vacancy's scope changes what a fairness reviewer reads: everything except
/// the review exchange itself, and the records kept about personal data (a subject access request
/// handed out, an erasure), which change no score, finding or decision and must not reopen one.
pub fn changes_review(f: &Fact) -> bool {
    !matches!(
        f,
        Fact::Review(_) | Fact::ReviewAnswer(_) | Fact::SubjectAccess(_) | Fact::Erase(_)
    )
}

/// Where a vacancy's fairness review stands.
#[derive(Debug, Clone, Copy)]
pub enum ReviewState<'a> {
    /// No decision yet: nothing to review.
    NotDecided,
    /// A decision without a review of it: none yet, or the chair has answered a return with a
    /// decision recorded since.
    Awaiting,
    /// The latest review signed off the record as it stands.
    SignedOff(&'a ReviewRec),
    /// The latest review returned the decision and no decision has been recorded since.
    Returned(&'a ReviewRec),
    /// The latest review signed off, but something was recorded after the point it read.
    Stale(&'a ReviewRec),
}

impl ReviewState<'_> {
    pub fn key(&self) -> &'static str {
        match self {
            ReviewState::NotDecided => "not-decided",
            ReviewState::Awaiting => "awaiting",
            ReviewState::SignedOff(_) => "signed-off",
            ReviewState::Returned(_) => "returned",
            ReviewState::Stale(_) => "stale",
        }
    }
}

fn err<T>(m: impl Into<String>) -> Result<T, String> {
    Err(m.into())
}

fn nonempty(s: &str, what: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return err(format!("{what} is empty"));
    }
    Ok(())
}

fn check_plan(bank: &Bank, questions: &[String]) -> Result<(), String> {
    if questions.is_empty() {
        return err("the question plan is empty");
    }
    let mut seen = std::collections::HashSet::new();
    for q in questions {
        if bank.question(q).is_none() {
            return err(format!("question {q:?} is not in bank {}", bank.id));
        }
        if !seen.insert(q) {
            return err(format!("question {q:?} is in the plan twice"));
        }
    }
    Ok(())
}

/// The actor is the panellist themself, authenticated, unless the fact says it was transcribed.
fn acting_for(e: &EventRef<'_>, person: i64, transcribed: bool) -> Result<(), String> {
    if transcribed {
        return Ok(());
    }
    let me = ActorId::parse(e.actor) == Some(ActorId::Person(person));
    let proven = Auth::parse(e.auth).is_some_and(Auth::proves_person);
    if (me && proven) || is_legacy(e) {
        Ok(())
    } else {
        err(format!(
            "{} for person {person} was recorded by {} ({}), who did not prove to be them",
            e.action, e.actor, e.auth
        ))
    }
}

/// The actor is a person who proved who they are: a review and its answer are worth only as much as
/// the name on them.
fn proven_person(e: &EventRef<'_>, what: &str) -> Result<(), String> {
    let person = ActorId::parse(e.actor).and_then(|a| a.person()).is_some();
    if person && Auth::parse(e.auth).is_some_and(Auth::proves_person) {
        Ok(())
    } else {
        err(format!(
            "{what} was recorded by {} ({}), who did not prove who they are",
            e.actor, e.auth
        ))
    }
}

/// Re-recorded from a database written before identities and these invariants existed: such events
/// are accepted as they happened (the report marks them), except that they must still chain.
fn is_legacy(e: &EventRef<'_>) -> bool {
    e.auth == Auth::Legacy.as_str()
}

impl VacancyState {
    /// Start a vacancy from its `vacancy.create` event.
    pub fn create(e: &EventRef<'_>, c: &VacancyCreate, ctx: &Context<'_>) -> Result<Self, String> {
        let id = e
            .scope
            .strip_prefix("vacancy:")
            .ok_or("vacancy.create belongs to a vacancy's scope")?;
        if e.scope_seq != 1 {
            return err("vacancy.create must be the vacancy's first event");
        }
        let bank = ctx
            .banks
            .by_sha
            .get(&c.bank)
            .cloned()
            .ok_or_else(|| format!("the vacancy's bank {} is not in the record", c.bank))?;
        check_plan(&bank, &c.questions)?;
        let by = By::of(e);
        Ok(VacancyState {
            id: id.to_string(),
            title: c.title.clone(),
            band: c.band.clone(),
            service: c.service.clone(),
            created: by.clone(),
            bank,
            bank_sha: c.bank.clone(),
            policy_source: c.policy_source.clone(),
            policy_yaml: c.policy_yaml.clone(),
            questions: c.questions.clone(),
            plans: vec![PlanRec {
                by,
                questions: c.questions.clone(),
                reason: None,
                coverage_override: c.coverage_override.clone(),
            }],
            panel: vec![],
            candidates: vec![],
            sheets: vec![],
            moderations: vec![],
            decisions: vec![],
            overrides: vec![],
            considered: vec![],
            reviews: vec![],
            review_answers: vec![],
            subject_access: vec![],
            imports: 0,
            erased_keys: vec![],
            events: 1,
            last_seq: e.seq,
            last_hash: e.hash.to_string(),
            last_material: e.seq,
        })
    }

    pub fn member(&self, person: i64) -> Option<&Member> {
        self.panel.iter().find(|m| m.person == person)
    }
    pub fn active_panel(&self) -> impl Iterator<Item = &Member> {
        self.panel.iter().filter(|m| m.active())
    }
    pub fn chair(&self) -> Option<&Member> {
        self.active_panel().find(|m| m.role == Role::Chair)
    }
    pub fn candidate(&self, r: &str) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.reference == r)
    }
    /// Candidates on the panel's screens (interviewed), in the order they were added.
    pub fn interviewees(&self) -> impl Iterator<Item = &Candidate> {
        self.candidates.iter().filter(|c| c.interview)
    }
    pub fn sheet(&self, r: &str, person: i64) -> Option<&Sheet> {
        self.sheets
            .iter()
            .find(|s| s.candidate == r && s.person == person)
    }
    /// The live sheets for a candidate (not withdrawn), in panel order.
    pub fn sheets_of<'a>(&'a self, r: &'a str) -> impl Iterator<Item = &'a Sheet> + 'a {
        self.panel
            .iter()
            .filter_map(move |m| self.sheet(r, m.person).filter(|s| s.is_live()))
    }
    /// Whether every active panellist has submitted for this candidate.
    pub fn complete(&self, r: &str) -> bool {
        let mut any = false;
        for m in self.active_panel() {
            any = true;
            if !self
                .sheet(r, m.person)
                .is_some_and(|s| s.submitted.is_some() && s.is_live())
            {
                return false;
            }
        }
        any
    }
    /// Candidates ready to be revealed: every active panellist's sheet is in, not yet revealed.
    pub fn ready_to_reveal(&self) -> Vec<String> {
        self.interviewees()
            .filter(|c| c.revealed.is_none() && self.complete(&c.reference))
            .map(|c| c.reference.clone())
            .collect()
    }
    pub fn is_revealed(&self, r: &str) -> bool {
        self.candidate(r).is_some_and(|c| c.revealed.is_some())
    }
    pub fn decision(&self) -> Option<&DecisionRec> {
        self.decisions.last()
    }
    /// The latest agreed score for a cell.
    pub fn moderation(&self, r: &str, q: &str) -> Option<&ModerationRec> {
        self.moderations
            .iter()
            .rev()
            .find(|m| m.reference == r && m.question == q)
    }
    /// Whether any score has been given (the plan is then fixed).
    pub fn scoring_started(&self) -> bool {
        self.sheets.iter().any(|s| !s.entries.is_empty())
    }

    fn candidate_mut(&mut self, r: &str) -> Result<&mut Candidate, String> {
        self.candidates
            .iter_mut()
            .find(|c| c.reference == r)
            .ok_or_else(|| format!("vacancy {} has no candidate {r:?}", self.id))
    }

    fn interviewee(&self, r: &str) -> Result<&Candidate, String> {
        match self.candidate(r) {
            Some(c) if c.interview => Ok(c),
            _ => err(format!("vacancy {} has no candidate {r:?}", self.id)),
        }
    }

    fn active_member(&self, person: i64) -> Result<&Member, String> {
        match self.member(person) {
            Some(m) if m.active() => Ok(m),
            Some(_) => err(format!("person {person} has stood down from this panel")),
            None => err(format!("person {person} is not on this panel")),
        }
    }

    fn in_plan(&self, q: &str, score: i64) -> Result<(), String> {
        if !self.questions.iter().any(|x| x == q) {
            return err(format!("question {q:?} is not in the plan"));
        }
        if !self.bank.scale.contains(score) {
            return err(format!(
                "score {score} is outside the scale {}..{}",
                self.bank.scale.min, self.bank.scale.max
            ));
        }
        Ok(())
    }

    /// Fold one event of this vacancy's scope.
    pub fn apply(&mut self, e: &EventRef<'_>, fact: Fact, ctx: &Context<'_>) -> Result<(), String> {
        if e.scope_seq != self.events + 1 {
            return err(format!(
                "expected event {} of the vacancy's record but found {}",
                self.events + 1,
                e.scope_seq
            ));
        }
        let material = changes_review(&fact);
        self.apply_fact(e, fact, ctx)?;
        self.events += 1;
        self.last_seq = e.seq;
        self.last_hash.clear();
        self.last_hash.push_str(e.hash);
        if material {
            self.last_material = e.seq;
        }
        Ok(())
    }

    /// Where the fairness review stands; see [`ReviewState`].
    pub fn review_state(&self) -> ReviewState<'_> {
        let Some(d) = self.decision() else {
            return ReviewState::NotDecided;
        };
        let Some(r) = self.reviews.last() else {
            return ReviewState::Awaiting;
        };
        match r.review.verdict {
            Verdict::SignedOff if r.review.receipt_events >= self.last_material => {
                ReviewState::SignedOff(r)
            }
            Verdict::SignedOff => ReviewState::Stale(r),
            // The chair's revised or re-affirmed decision is what the next review reads.
            Verdict::Returned if d.by.seq > r.by.seq => ReviewState::Awaiting,
            Verdict::Returned => ReviewState::Returned(r),
        }
    }

    /// The chair's answer to a review, if any.
    pub fn answer_to(&self, review: i64) -> Option<&ReviewAnswerRec> {
        self.review_answers
            .iter()
            .find(|a| a.answer.review == review)
    }

    /// Why a review cannot follow the latest one yet, if it cannot: a returned decision goes back to
    /// the chair, who answers the questions and records the decision again (revised or re-affirmed)
    /// before anyone reviews it again.
    pub fn review_blocked(&self) -> Option<String> {
        let r = self.reviews.last()?;
        if r.review.verdict != Verdict::Returned {
            return None;
        }
        let answered = self.answer_to(r.by.seq).is_some();
        let decided = self.decision().is_some_and(|d| d.by.seq > r.by.seq);
        match (answered, decided) {
            (true, true) => None,
            (false, _) => Some(format!(
                "the decision was returned with questions (review {}) and the chair has not answered them yet",
                r.by.seq
            )),
            (true, false) => Some(format!(
                "the chair answered the questions of review {} but has not recorded the decision again \
                 (revised or re-affirmed, with a reason) since",
                r.by.seq
            )),
        }
    }

    fn apply_fact(
        &mut self,
        e: &EventRef<'_>,
        fact: Fact,
        ctx: &Context<'_>,
    ) -> Result<(), String> {
        let by = if ctx.light { By::unnamed(e) } else { By::of(e) };
        // What a light replay drops from each score entry.
        let light = |mut ev: Sealed| {
            if ctx.light {
                ev.c = String::new();
            }
            ev
        };
        match fact {
            Fact::VacancyCreate(_) => err("the vacancy already exists"),
            Fact::PlanChange(p) => {
                if self.scoring_started() {
                    return err("the question plan cannot change once scoring has started");
                }
                check_plan(&self.bank, &p.questions)?;
                nonempty(&p.reason, "the reason for changing the plan")?;
                self.questions = p.questions.clone();
                self.plans.push(PlanRec {
                    by,
                    questions: p.questions.clone(),
                    reason: Some(p.reason.clone()),
                    coverage_override: p.coverage_override.clone(),
                });
                Ok(())
            }
            Fact::PanelAdd(a) => {
                if ctx.people.get(a.person).is_none() {
                    return err(format!("person {} does not exist", a.person));
                }
                if self.member(a.person).is_some() {
                    return err(format!("person {} is already on this panel", a.person));
                }
                if a.role == Role::Chair && self.chair().is_some() {
                    return err("the panel already has a chair");
                }
                self.panel.push(Member {
                    person: a.person,
                    role: a.role,
                    trained_on: a.trained_on.clone(),
                    ethnicity: a.ethnicity.clone(),
                    joined: by,
                    stood_down: None,
                    conflicts: vec![],
                    id: e.seq,
                });
                Ok(())
            }
            Fact::PanelEthnicity(p) => {
                let m = self
                    .panel
                    .iter_mut()
                    .find(|m| m.person == p.person)
                    .ok_or("not a panellist")?;
                let old = m.ethnicity.as_ref().map(|d| d.key.id);
                if old.iter().any(|k| !p.erased_keys.contains(k)) {
                    return err("a replaced declaration's key must be erased");
                }
                m.ethnicity = p.ethnicity.clone();
                self.erased_keys.extend(&p.erased_keys);
                Ok(())
            }
            Fact::StandDown(s) => {
                nonempty(&s.reason, "the reason for standing down")?;
                self.active_member(s.person)?;
                let revealed: Vec<String> = self
                    .candidates
                    .iter()
                    .filter(|c| c.revealed.is_some())
                    .map(|c| c.reference.clone())
                    .collect();
                for sh in self.sheets.iter_mut().filter(|sh| {
                    sh.person == s.person
                        && sh.withdrawn.is_none()
                        && !revealed.contains(&sh.candidate)
                }) {
                    sh.withdrawn = Some(s.reason.clone());
                }
                let m = self
                    .panel
                    .iter_mut()
                    .find(|m| m.person == s.person)
                    .expect("checked");
                m.stood_down = Some((by, s.reason.clone()));
                Ok(())
            }
            Fact::Conflict(c) => {
                self.active_member(c.person)?;
                self.interviewee(&c.candidate)?;
                nonempty(&c.note, "the conflict's description")?;
                let m = self
                    .panel
                    .iter_mut()
                    .find(|m| m.person == c.person)
                    .expect("checked");
                m.conflicts.retain(|(r, _, _)| r != &c.candidate);
                m.conflicts.push((c.candidate.clone(), c.note.clone(), by));
                Ok(())
            }
            Fact::CandidateAdd(a) => {
                match self
                    .candidates
                    .iter_mut()
                    .find(|c| c.reference == a.reference)
                {
                    Some(c) if c.interview && c.added.is_some() => {
                        err(format!("{} is already a candidate", a.reference))
                    }
                    Some(c) => {
                        c.interview = true;
                        c.added = Some(by);
                        c.key = Some(a.key.clone());
                        c.name = a.name.clone();
                        Ok(())
                    }
                    None => {
                        self.candidates.push(Candidate {
                            reference: a.reference.clone(),
                            interview: true,
                            id: e.seq << 16,
                            added: Some(by),
                            key: Some(a.key.clone()),
                            name: a.name.clone(),
                            monitoring_key: None,
                            monitoring: None,
                            withdrawn: None,
                            revealed: None,
                            erasures: vec![],
                        });
                        Ok(())
                    }
                }
            }
            Fact::CandidateWithdraw(w) => {
                nonempty(&w.reason, "the reason for the withdrawal")?;
                let c = self.candidate_mut(&w.reference)?;
                if !c.interview || c.withdrawn.is_some() {
                    return err(format!("{} cannot be withdrawn", w.reference));
                }
                c.withdrawn = Some((by, w.reason.clone()));
                Ok(())
            }
            Fact::Applications(a) => {
                let mut seen = std::collections::HashSet::new();
                if a.rows.len() >= 0xFFFF {
                    return err("too many application rows in one event");
                }
                for (i, row) in a.rows.iter().enumerate() {
                    if !seen.insert(&row.reference) {
                        return err(format!("{} appears twice in one import", row.reference));
                    }
                    if row.m.k != row.key.as_ref().map_or(row.m.k, |k| k.id) {
                        return err(
                            "a monitoring record is sealed under a key it does not introduce",
                        );
                    }
                    match self
                        .candidates
                        .iter_mut()
                        .find(|c| c.reference == row.reference)
                    {
                        Some(c) => {
                            match (&c.monitoring_key, &row.key) {
                                (Some(k), None) if k.id == row.m.k => {}
                                (None, Some(_)) => c.monitoring_key = row.key.clone(),
                                _ => {
                                    return err(format!(
                                        "{}'s monitoring record uses the wrong key",
                                        row.reference
                                    ))
                                }
                            }
                            c.monitoring = Some(row.m.clone());
                        }
                        None => {
                            let Some(k) = &row.key else {
                                return err(format!("{} has no monitoring key", row.reference));
                            };
                            self.candidates.push(Candidate {
                                reference: row.reference.clone(),
                                interview: false,
                                id: (e.seq << 16) | (i as i64 + 1),
                                added: None,
                                key: None,
                                name: None,
                                monitoring_key: Some(k.clone()),
                                monitoring: Some(row.m.clone()),
                                withdrawn: None,
                                revealed: None,
                                erasures: vec![],
                            });
                        }
                    }
                }
                self.imports += 1;
                Ok(())
            }
            Fact::Answer(a) => {
                acting_for(e, a.person, a.transcribed.is_some())?;
                let c = self.interviewee(&a.reference)?;
                if c.revealed.is_some() && !is_legacy(e) {
                    return err(format!(
                        "{} was already revealed: scoring is closed",
                        a.reference
                    ));
                }
                if c.withdrawn.is_some() {
                    return err(format!("{} has withdrawn", a.reference));
                }
                if c.key.as_ref().map(|k| k.id) != Some(a.evidence.k) {
                    return err("evidence must be sealed under the candidate's key");
                }
                self.active_member(a.person)?;
                self.in_plan(&a.question, a.score)?;
                let entry = Entry {
                    by: by.clone(),
                    question: a.question,
                    score: a.score,
                    evidence: light(a.evidence),
                    kind: EntryKind::Answer,
                    reason: None,
                    transcribed: a.transcribed.filter(|_| !ctx.light).map(|t| t.reason),
                };
                match self
                    .sheets
                    .iter_mut()
                    .find(|s| s.candidate == a.reference && s.person == a.person)
                {
                    Some(s) if s.submitted.is_some() => {
                        err("the sheet is submitted and sealed".to_string())
                    }
                    Some(s) if s.withdrawn.is_some() => err("the sheet was withdrawn".to_string()),
                    Some(s) => {
                        s.entries.push(entry);
                        Ok(())
                    }
                    None => {
                        self.sheets.push(Sheet {
                            candidate: a.reference,
                            person: a.person,
                            opened: by,
                            entries: vec![entry],
                            submitted: None,
                            submit_transcribed: None,
                            withdrawn: None,
                            independent: vec![],
                        });
                        Ok(())
                    }
                }
            }
            Fact::Submit(s) => {
                acting_for(e, s.person, s.transcribed.is_some())?;
                self.active_member(s.person)?;
                let questions = self.questions.clone();
                let sheet = self
                    .sheets
                    .iter_mut()
                    .find(|x| x.candidate == s.reference && x.person == s.person)
                    .ok_or("nothing to submit: the sheet has no answers")?;
                if sheet.submitted.is_some() || sheet.withdrawn.is_some() {
                    return err("the sheet is already submitted or withdrawn");
                }
                let mut independent = Vec::new();
                for q in &questions {
                    let i = sheet
                        .entries
                        .iter()
                        .rposition(|x| &x.question == q && x.kind == EntryKind::Answer)
                        .ok_or_else(|| format!("the sheet has no answer to {q}"))?;
                    independent.push((q.clone(), i));
                }
                sheet.independent = independent;
                sheet.submitted = Some(by);
                sheet.submit_transcribed = s.transcribed.map(|t| t.reason);
                Ok(())
            }
            Fact::Reveal(r) => {
                let c = self.interviewee(&r.reference)?;
                if c.revealed.is_some() {
                    return err(format!("{} is already revealed", r.reference));
                }
                if !self.complete(&r.reference) {
                    return err(format!(
                        "{} cannot be revealed: not every active panellist's sheet is in",
                        r.reference
                    ));
                }
                let panel: Vec<i64> = self.active_panel().map(|m| m.person).collect();
                if panel != r.panel {
                    return err("the reveal names a different panel from the record's");
                }
                self.candidate_mut(&r.reference)?.revealed = Some((by, panel));
                Ok(())
            }
            Fact::Correction(c) => {
                acting_for(e, c.person, c.transcribed.is_some())?;
                nonempty(&c.reason, "the correction's reason")?;
                self.in_plan(&c.question, c.score)?;
                let key = self.interviewee(&c.reference)?.key.as_ref().map(|k| k.id);
                if key != Some(c.evidence.k) {
                    return err("evidence must be sealed under the candidate's key");
                }
                let sheet = self
                    .sheets
                    .iter_mut()
                    .find(|x| x.candidate == c.reference && x.person == c.person)
                    .ok_or("no such sheet")?;
                if sheet.submitted.is_none() || sheet.withdrawn.is_some() {
                    return err("only a submitted sheet takes corrections");
                }
                sheet.entries.push(Entry {
                    by,
                    question: c.question.clone(),
                    score: c.score,
                    evidence: c.evidence.clone(),
                    kind: EntryKind::Correction,
                    reason: Some(c.reason.clone()),
                    transcribed: c.transcribed.as_ref().map(|t| t.reason.clone()),
                });
                Ok(())
            }
            Fact::Moderate(m) => {
                let c = self.interviewee(&m.reference)?;
                if c.revealed.is_none() {
                    return err(format!(
                        "{} is not revealed: moderation comes after reveal",
                        m.reference
                    ));
                }
                self.in_plan(&m.question, m.score)?;
                if self.moderation(&m.reference, &m.question).is_some()
                    && m.revision_reason
                        .as_deref()
                        .is_none_or(|r| r.trim().is_empty())
                {
                    return err("revising an agreed score needs a reason");
                }
                self.moderations.push(ModerationRec {
                    by,
                    reference: m.reference.clone(),
                    question: m.question.clone(),
                    score: m.score,
                    reason: m.reason.clone(),
                    revision_reason: m.revision_reason.clone(),
                });
                Ok(())
            }
            Fact::Decide(d) => {
                nonempty(&d.rationale, "the rationale")?;
                if let Some(c) = self
                    .interviewees()
                    .find(|c| c.revealed.is_none() && c.withdrawn.is_none() && !is_legacy(e))
                {
                    return err(format!(
                        "{} is neither revealed nor withdrawn: a decision needs the whole field",
                        c.reference
                    ));
                }
                for r in std::iter::once(&d.appointed).chain(&d.reserves) {
                    let c = self.interviewee(r)?;
                    if c.withdrawn.is_some() || c.revealed.is_none() {
                        return err(format!("{r} cannot be appointed or held in reserve"));
                    }
                }
                if !self.decisions.is_empty()
                    && d.revision_reason
                        .as_deref()
                        .is_none_or(|r| r.trim().is_empty())
                {
                    return err("revising a decision needs a reason");
                }
                self.decisions.push(DecisionRec {
                    by,
                    appointed: d.appointed.clone(),
                    reserves: d.reserves.clone(),
                    rationale: d.rationale.clone(),
                    unresolved_reason: d.unresolved_reason.clone(),
                    revision_reason: d.revision_reason.clone(),
                });
                Ok(())
            }
            Fact::GapOverride(o) => {
                nonempty(&o.reason, "the override's reason")?;
                if o.gaps.is_empty() {
                    return err("an override names the gaps it overrides");
                }
                self.overrides.push(OverrideRec {
                    by,
                    gaps: o.gaps.clone(),
                    reason: o.reason.clone(),
                });
                Ok(())
            }
            Fact::Considered(c) => {
                nonempty(&c.note, "the note")?;
                self.considered.push(ConsideredRec {
                    by,
                    key: c.key.clone(),
                    note: c.note.clone(),
                });
                Ok(())
            }
            Fact::Erase(x) => {
                let c = self.candidate_mut(&x.reference)?;
                let mut own: Vec<i64> = c.monitoring_key.iter().map(|k| k.id).collect();
                if x.what == Erasure::All {
                    own.extend(c.key.iter().map(|k| k.id));
                }
                if x.keys != own {
                    return err("an erasure must destroy exactly the candidate's keys");
                }
                c.monitoring_key = None;
                c.monitoring = None;
                if x.what == Erasure::All {
                    c.key = None;
                    c.name = None;
                }
                c.erasures.push((by, x.what));
                self.erased_keys.extend(&x.keys);
                Ok(())
            }
            Fact::SubjectAccess(s) => {
                self.candidate_mut(&s.reference)?;
                self.subject_access.push(AccessRec {
                    by,
                    reference: s.reference.clone(),
                    sealed_sheets: s.sealed_sheets,
                });
                Ok(())
            }
            Fact::Review(r) => {
                if self.decisions.is_empty() {
                    return err("there is no decision to review");
                }
                proven_person(e, "a review")?;
                match r.verdict {
                    Verdict::Returned if r.questions.is_empty() => {
                        return err("a returned decision carries the reviewer's questions");
                    }
                    Verdict::SignedOff if !r.questions.is_empty() => {
                        return err("a sign-off asks no questions (a returned decision does)");
                    }
                    _ => {}
                }
                for q in &r.questions {
                    nonempty(q, "a question")?;
                }
                if let Some(n) = &r.note {
                    nonempty(n, "the note")?;
                }
                // The receipt names a point of the chain before this event that already held
                // everything the review is about: a review is of the record as it stands.
                if r.receipt_events >= e.seq {
                    return err("a review names a report from after itself");
                }
                if r.receipt_events < self.last_material {
                    return err(format!(
                        "the report reviewed (event {}) is older than the vacancy's record (event {})",
                        r.receipt_events, self.last_material
                    ));
                }
                if r.receipt_head.len() != 64
                    || !r.receipt_head.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    return err("a review's receipt names no hash");
                }
                if r.receipt_events == self.last_seq && r.receipt_head != self.last_hash {
                    return err("a review's receipt names another hash for this vacancy's event");
                }
                if let Some(why) = self.review_blocked() {
                    return err(why);
                }
                // After a return, the next review reads the chair's answer.
                if let Some(a) = self
                    .reviews
                    .last()
                    .and_then(|prev| self.answer_to(prev.by.seq))
                {
                    if r.receipt_events < a.by.seq {
                        return err(format!(
                            "the report reviewed (event {}) does not include the chair's answer (event {})",
                            r.receipt_events, a.by.seq
                        ));
                    }
                }
                self.reviews.push(ReviewRec {
                    by,
                    review: r.clone(),
                });
                Ok(())
            }
            Fact::ReviewAnswer(a) => {
                nonempty(&a.answer, "the answer")?;
                proven_person(e, "an answer to a review")?;
                let Some(r) = self.reviews.iter().find(|r| r.by.seq == a.review) else {
                    return err(format!("vacancy {} has no review {}", self.id, a.review));
                };
                if r.review.verdict != Verdict::Returned {
                    return err(format!(
                        "review {} signed off: only a returned decision is answered",
                        a.review
                    ));
                }
                if self.answer_to(a.review).is_some() {
                    return err(format!("review {} is already answered", a.review));
                }
                self.review_answers.push(ReviewAnswerRec {
                    by,
                    answer: a.clone(),
                });
                Ok(())
            }
            other => err(format!("{} does not belong to a vacancy", other.action())),
        }
    }
}
