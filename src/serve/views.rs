//! What the pages and the JSON API show, built from a vacancy's checked record. One view model for
//! both, so a page can never show what the API would not. Sealed sheets are never read here: a
//! panellist's own open sheet is the only unrevealed one whose scores are served, and only to them.

use crate::record::people::Person;
use crate::record::seal::Purpose;
use crate::store::Loaded;
use anyhow::Result;
use serde::Serialize;

#[derive(Serialize)]
pub struct PanelRef {
    pub vacancy: String,
    pub title: String,
    pub chair: bool,
}

#[derive(Serialize)]
pub struct Me {
    pub id: i64,
    pub name: String,
    pub panels: Vec<PanelRef>,
    pub session_expires: String,
    /// Send this in `X-CSRF-Token` with every change.
    pub csrf: String,
}

#[derive(Serialize)]
pub struct Anchor {
    pub score: i64,
    pub label: Option<String>,
    pub text: String,
    pub checked: bool,
}

#[derive(Serialize)]
pub struct QuestionView {
    pub id: String,
    pub number: usize,
    pub category: String,
    pub text: String,
    pub guidance: Option<String>,
    pub probes: Vec<String>,
    pub anchors: Vec<Anchor>,
    /// Only on the panellist's own open sheet.
    pub score: Option<i64>,
    pub evidence: Option<String>,
    pub answered: bool,
}

#[derive(Serialize)]
pub struct SheetView {
    pub vacancy: String,
    pub title: String,
    pub candidate: String,
    pub panellist: String,
    /// `not started`, `open`, `submitted`, `withdrawn` or `closed` (revealed before they joined).
    pub status: &'static str,
    pub submitted_at: Option<String>,
    pub scale: [i64; 2],
    pub answered: usize,
    pub total: usize,
    pub complete: bool,
    /// How many of the panel's sheets are in: nothing more about anyone else's.
    pub sheets_in: usize,
    pub panel: usize,
    pub revealed: bool,
    pub questions: Vec<QuestionView>,
}

/// The acting person's own sheet for a candidate. Scores and notes are included only while the
/// sheet is open: once submitted it is sealed, to its author too, until the reveal.
pub fn sheet(l: &Loaded, me: &Person, candidate: &str) -> Result<SheetView> {
    let v = &l.state;
    let c = v
        .candidate(candidate)
        .filter(|c| c.interview)
        .ok_or_else(|| anyhow::anyhow!("vacancy {} has no candidate {candidate:?}", v.id))?;
    let sheet = v.sheet(candidate, me.id);
    let revealed = c.revealed.is_some();
    let status = match sheet {
        Some(s) if s.withdrawn.is_some() => "withdrawn",
        Some(s) if s.submitted.is_some() => "submitted",
        Some(_) => "open",
        None if revealed || c.withdrawn.is_some() => "closed",
        None => "not started",
    };
    let keys = l.keyring();
    let mut questions = Vec::new();
    let mut answered = 0;
    for (i, qid) in v.questions.iter().enumerate() {
        let Some(q) = v.bank.question(qid) else {
            continue;
        };
        let entry = sheet.and_then(|s| s.latest_answer(qid));
        if entry.is_some() {
            answered += 1;
        }
        // Only an open sheet shows its answers, and only to its author (the caller's `me`).
        let (score, evidence) = match entry {
            Some(e) if status == "open" => {
                (Some(e.score), keys.read(Purpose::Evidence, &e.evidence)?)
            }
            _ => (None, None),
        };
        questions.push(QuestionView {
            id: q.id.clone(),
            number: i + 1,
            category: q.category.clone(),
            text: q.text.clone(),
            guidance: q.guidance.clone(),
            probes: q.probes.clone(),
            anchors: (v.bank.scale.min..=v.bank.scale.max)
                .map(|s| Anchor {
                    score: s,
                    label: v.bank.scale.labels.get(&s).cloned(),
                    text: q.anchors.get(&s).cloned().unwrap_or_default(),
                    checked: score == Some(s),
                })
                .collect(),
            score,
            evidence,
            answered: entry.is_some(),
        });
    }
    let total = questions.len();
    Ok(SheetView {
        vacancy: v.id.clone(),
        title: v.title.clone(),
        candidate: candidate.to_string(),
        panellist: me.name.clone(),
        status,
        submitted_at: sheet.and_then(|s| s.submitted.as_ref().map(|b| b.at.clone())),
        scale: [v.bank.scale.min, v.bank.scale.max],
        answered,
        total,
        complete: answered == total && total > 0,
        sheets_in: v
            .sheets_of(candidate)
            .filter(|s| s.submitted.is_some())
            .count(),
        panel: v.active_panel().count(),
        revealed,
        questions,
    })
}

#[derive(Serialize)]
pub struct CandidateRow {
    pub reference: String,
    pub status: &'static str,
    pub answered: usize,
    pub total: usize,
    pub sheets_in: usize,
    pub panel: usize,
    pub revealed: bool,
    pub withdrawn: bool,
}

/// The candidates a panellist is to score, with their own progress and how many sheets are in.
pub fn candidates(l: &Loaded, me: &Person) -> Vec<CandidateRow> {
    let v = &l.state;
    v.interviewees()
        .map(|c| {
            let sheet = v.sheet(&c.reference, me.id);
            let answered = sheet.map_or(0, |s| {
                v.questions
                    .iter()
                    .filter(|q| s.latest_answer(q).is_some())
                    .count()
            });
            CandidateRow {
                reference: c.reference.clone(),
                status: match sheet {
                    Some(s) if s.withdrawn.is_some() => "withdrawn",
                    Some(s) if s.submitted.is_some() => "submitted",
                    Some(_) => "in progress",
                    None if c.withdrawn.is_some() => "candidate withdrew",
                    None if c.revealed.is_some() => "closed",
                    None => "not started",
                },
                answered,
                total: v.questions.len(),
                sheets_in: v
                    .sheets_of(&c.reference)
                    .filter(|s| s.submitted.is_some())
                    .count(),
                panel: v.active_panel().count(),
                revealed: c.revealed.is_some(),
                withdrawn: c.withdrawn.is_some(),
            }
        })
        .collect()
}

#[derive(Serialize)]
pub struct BoardSheet {
    pub panellist: String,
    pub submitted: bool,
}

#[derive(Serialize)]
pub struct BoardRow {
    pub reference: String,
    pub revealed: bool,
    pub withdrawn: bool,
    pub sheets: Vec<BoardSheet>,
    pub sheets_in: usize,
    pub panel: usize,
}

#[derive(Serialize)]
pub struct BoardMember {
    pub name: String,
    pub role: String,
    pub active: bool,
    pub stood_down: Option<String>,
}

#[derive(Serialize)]
pub struct Board {
    pub vacancy: String,
    pub title: String,
    pub candidates: Vec<BoardRow>,
    pub members: Vec<BoardMember>,
    pub all_revealed: bool,
    pub decided: Option<String>,
}

/// Who has submitted for each candidate: submitted or not yet, nothing more.
pub fn board(l: &Loaded) -> Board {
    let v = &l.state;
    let name = |id: i64| {
        l.people
            .get(id)
            .map_or_else(|| format!("person {id}"), |p| p.name.clone())
    };
    let candidates: Vec<BoardRow> = v
        .interviewees()
        .map(|c| {
            let sheets: Vec<BoardSheet> = v
                .active_panel()
                .map(|m| BoardSheet {
                    panellist: name(m.person),
                    submitted: v
                        .sheet(&c.reference, m.person)
                        .is_some_and(|s| s.submitted.is_some() && s.is_live()),
                })
                .collect();
            BoardRow {
                reference: c.reference.clone(),
                revealed: c.revealed.is_some(),
                withdrawn: c.withdrawn.is_some(),
                sheets_in: sheets.iter().filter(|s| s.submitted).count(),
                panel: sheets.len(),
                sheets,
            }
        })
        .collect();
    Board {
        vacancy: v.id.clone(),
        title: v.title.clone(),
        all_revealed: !candidates.is_empty()
            && candidates.iter().all(|c| c.revealed || c.withdrawn),
        candidates,
        members: v
            .panel
            .iter()
            .map(|m| BoardMember {
                name: name(m.person),
                role: m.role.to_string(),
                active: m.active(),
                stood_down: m.stood_down.as_ref().map(|(_, r)| r.clone()),
            })
            .collect(),
        decided: v.decision().map(|d| d.appointed.clone()),
    }
}
