//! The rows of the tables the audit and the listings read, derived from the folded states. The store
//! writes exactly these rows after every change, and `verify` derives them again from a replay of the
//! whole log and compares, row by row, so an edited, added or deleted row is found and named.
//!
//! Only what has been revealed reaches these tables: a candidate's independent scores appear in
//! `sealed_sheets` once every sheet for them is in, never before.

use super::fact::Monitoring;
use super::people::People;
use super::seal::{Keyring, Purpose};
use super::vacancy::VacancyState;
use anyhow::Result;

#[derive(Debug, Clone, PartialEq)]
pub struct VacancyRow {
    pub id: String,
    pub title: String,
    pub band: Option<String>,
    pub service: Option<String>,
    pub bank_sha: String,
    pub policy_source: String,
    pub policy_yaml: String,
    pub created_at: String,
    pub questions: i64,
    pub decided: bool,
    /// Gaps overridden by a recorded override, in total.
    pub overridden_gaps: i64,
    pub coverage_overridden: bool,
    /// Where the fairness review stands: `not-decided`, `awaiting`, `signed-off`, `returned` or
    /// `stale` (see [`super::vacancy::ReviewState`]).
    pub review_status: String,
    /// The decision in force needs a current sign-off to be final.
    pub review_required: bool,
    /// Reviews recorded, and how many of them returned the decision.
    pub reviews: i64,
    pub returns: i64,
    /// When the first decision was recorded, and when the sign-off in force was.
    pub decided_at: Option<String>,
    pub signed_off_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionRow {
    pub vacancy: String,
    pub position: i64,
    pub question: String,
    pub category: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PanellistRow {
    pub id: i64,
    pub vacancy: String,
    pub person: i64,
    pub role: String,
    pub trained_on: Option<String>,
    pub stood_down: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EthnicityRow {
    pub panellist: i64,
    pub nhs_code: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRow {
    pub id: i64,
    pub vacancy: String,
    pub reference: String,
    pub interview: bool,
    pub revealed: bool,
    pub withdrawn: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonitoringRow {
    pub candidate: i64,
    pub stage: String,
    pub ethnicity: String,
    pub gender: Option<String>,
    pub disability: Option<String>,
    pub internal: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SealedRow {
    pub sheet: i64,
    pub candidate: i64,
    pub panellist: i64,
    /// Independent scores as `position:score` pairs in plan order.
    pub scores: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRow {
    pub seq: i64,
    pub vacancy: String,
    pub appointed: String,
    pub revision: bool,
    pub unresolved: bool,
}

/// Every derived row of one vacancy.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VacancyRows {
    pub vacancy: Vec<VacancyRow>,
    pub questions: Vec<QuestionRow>,
    pub panellists: Vec<PanellistRow>,
    pub ethnicity: Vec<EthnicityRow>,
    pub candidates: Vec<CandidateRow>,
    pub monitoring: Vec<MonitoringRow>,
    pub sealed: Vec<SealedRow>,
    pub decisions: Vec<DecisionRow>,
}

impl VacancyRows {
    pub fn extend(&mut self, o: VacancyRows) {
        self.vacancy.extend(o.vacancy);
        self.questions.extend(o.questions);
        self.panellists.extend(o.panellists);
        self.ethnicity.extend(o.ethnicity);
        self.candidates.extend(o.candidates);
        self.monitoring.extend(o.monitoring);
        self.sealed.extend(o.sealed);
        self.decisions.extend(o.decisions);
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub roles: String,
    pub trained_on: Option<String>,
    pub has_credential: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InviteRow {
    pub token_sha256: String,
    pub person: i64,
    pub purpose: String,
    pub expires_at: String,
    pub usable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub token_sha256: String,
    pub person: i64,
    pub expires_at: String,
    pub live: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersonRows {
    pub person: Vec<PersonRow>,
    pub invites: Vec<InviteRow>,
    pub sessions: Vec<SessionRow>,
}

/// The `sealed_sheets.scores` text from (position, score) pairs in position order.
pub fn sealed_text(pairs: impl IntoIterator<Item = (i64, i64)>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (p, s) in pairs {
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "{p}:{s}");
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

/// Decrypt a candidate's current monitoring record; `None` when erased or never imported.
pub fn monitoring_of(c: &super::vacancy::Candidate, keys: &Keyring) -> Result<Option<Monitoring>> {
    let Some(m) = &c.monitoring else {
        return Ok(None);
    };
    let Some(text) = keys.read(Purpose::Monitoring, m)? else {
        return Ok(None);
    };
    let rec: Monitoring = serde_json::from_str(&text).map_err(|_| {
        super::Altered(format!(
            "{}'s monitoring record does not read back",
            c.reference
        ))
    })?;
    Ok(Some(rec))
}

pub fn vacancy_rows(v: &VacancyState, keys: &Keyring) -> Result<VacancyRows> {
    use super::fact::Verdict;
    use super::vacancy::ReviewState;
    let state = v.review_state();
    let mut out = VacancyRows {
        vacancy: vec![VacancyRow {
            id: v.id.clone(),
            title: v.title.clone(),
            band: v.band.clone(),
            service: v.service.clone(),
            bank_sha: v.bank_sha.clone(),
            policy_source: v.policy_source.clone(),
            policy_yaml: v.policy_yaml.clone(),
            created_at: v.created.at.clone(),
            questions: v.questions.len() as i64,
            decided: !v.decisions.is_empty(),
            overridden_gaps: v.overrides.iter().map(|o| o.gaps.len() as i64).sum(),
            coverage_overridden: v.plans.iter().any(|p| p.coverage_override.is_some()),
            review_status: state.key().to_string(),
            // Judged by the decision report itself, so the audit and the report agree.
            review_required: crate::report::decision::review_required(v, keys)?,
            reviews: v.reviews.len() as i64,
            returns: v
                .reviews
                .iter()
                .filter(|r| r.review.verdict == Verdict::Returned)
                .count() as i64,
            decided_at: v.decisions.first().map(|d| d.by.at.clone()),
            signed_off_at: match state {
                ReviewState::SignedOff(r) => Some(r.by.at.clone()),
                _ => None,
            },
        }],
        ..Default::default()
    };
    for (i, q) in v.questions.iter().enumerate() {
        out.questions.push(QuestionRow {
            vacancy: v.id.clone(),
            position: i as i64,
            question: q.clone(),
            category: v
                .bank
                .question(q)
                .map_or_else(String::new, |x| x.category.clone()),
        });
    }
    for m in &v.panel {
        out.panellists.push(PanellistRow {
            id: m.id,
            vacancy: v.id.clone(),
            person: m.person,
            role: m.role.as_str().to_string(),
            trained_on: m.trained_on.clone(),
            stood_down: !m.active(),
        });
        if let Some(d) = &m.ethnicity {
            if let Some(code) = keys.read(Purpose::PanellistEthnicity, &d.code)? {
                out.ethnicity.push(EthnicityRow {
                    panellist: m.id,
                    nhs_code: code,
                });
            }
        }
    }
    for c in &v.candidates {
        out.candidates.push(CandidateRow {
            id: c.id,
            vacancy: v.id.clone(),
            reference: c.reference.clone(),
            interview: c.interview,
            revealed: c.revealed.is_some(),
            withdrawn: c.withdrawn.is_some(),
        });
        if let Some(m) = monitoring_of(c, keys)? {
            out.monitoring.push(MonitoringRow {
                candidate: c.id,
                stage: m.stage,
                ethnicity: m.ethnicity,
                gender: m.gender,
                disability: m.disability,
                internal: m.internal,
            });
        }
        if let Some((_, panel)) = &c.revealed {
            for person in panel {
                let sheet = v
                    .sheet(&c.reference, *person)
                    .expect("a revealed candidate has every revealed panellist's sheet");
                let member = v.member(*person).expect("revealed panellists are members");
                let scores = sealed_text(
                    v.questions
                        .iter()
                        .enumerate()
                        .filter_map(|(i, q)| sheet.independent(q).map(|e| (i as i64, e.score))),
                );
                out.sealed.push(SealedRow {
                    sheet: sheet.submitted.as_ref().map_or(0, |b| b.seq),
                    candidate: c.id,
                    panellist: member.id,
                    scores,
                });
            }
        }
    }
    for d in &v.decisions {
        out.decisions.push(DecisionRow {
            seq: d.by.seq,
            vacancy: v.id.clone(),
            appointed: d.appointed.clone(),
            revision: d.revision_reason.is_some(),
            unresolved: d.unresolved_reason.is_some(),
        });
    }
    Ok(out)
}

pub fn person_rows(people: &People, id: i64) -> PersonRows {
    let Some(p) = people.get(id) else {
        return PersonRows::default();
    };
    let mut roles: Vec<&str> = p.roles.iter().map(|r| r.as_str()).collect();
    roles.sort_unstable();
    PersonRows {
        person: vec![PersonRow {
            id: p.id,
            name: p.name.clone(),
            roles: roles.join(","),
            trained_on: p.trained_on.clone(),
            has_credential: p.credential.is_some(),
        }],
        invites: p
            .invites
            .iter()
            .map(|i| InviteRow {
                token_sha256: i.token_sha256.clone(),
                person: p.id,
                purpose: match i.purpose {
                    super::fact::InvitePurpose::Credential => "credential".into(),
                    super::fact::InvitePurpose::Web => "web".into(),
                },
                expires_at: i.expires_at.clone(),
                usable: i.redeemed.is_none() && !i.cancelled,
            })
            .collect(),
        sessions: p
            .sessions
            .iter()
            .map(|s| SessionRow {
                token_sha256: s.token_sha256.clone(),
                person: p.id,
                expires_at: s.expires_at.clone(),
                live: s.ended.is_none(),
            })
            .collect(),
    }
}

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
}
