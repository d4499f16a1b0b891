//! A seeded synthetic organisation for testing fairpanel at the scale of a whole NHS trust:
//! `fairpanel demo --scale N [--seed S]`.
//!
//! Everything is drawn from a small xoshiro256** generator seeded with splitmix64, with one stream for
//! the panellist pool and one per vacancy, and normal deviates made from sums of uniforms (no library
//! maths functions), so a seed gives the same organisation on every platform and in every version of
//! the dependencies. All timestamps are synthetic too: the same seed and scale write the same records,
//! events and hash chain.
//!
//! # The organisation
//!
//! - `N` vacancies in NHS Talking Therapies services ([`SERVICES`]), Bands 4 to 7 ([`POSTS`]), created
//!   between 2024-01-01 and 2026-10-31 in id order, each with 6 to 8 questions from the bundled
//!   `nhs-talking-therapies` bank including one or two `diversity-attitude` questions.
//! - 25 to 75 applicants per vacancy (50 on average), with NHS ethnic category codes in a plausible
//!   mix for applicants to English NHS posts (55% White British; [`APPLICANT_ETHNICITY`]), gender,
//!   disability and internal/external (about 20% internal), and the furthest stage each reached.
//! - About 5 shortlisted per vacancy; about 90% of those interviewed (at least 2). One interviewed
//!   candidate is appointed; in about 8% of vacancies the first choice declines the offer (stage
//!   `offered`) and the reserve is appointed.
//! - Panels of 3 or 4 drawn from a pool of [`POOL_SIZE`] panellists named `Panellist 0001` onwards,
//!   about 92% with a self-declared ethnicity and about 70% with fair-recruitment training (recorded on
//!   a panel only when it predates the vacancy). About 85% of panels include at least one member who
//!   declared a Black, Asian or other ethnic-minority background; the rest include none.
//! - Every panellist submits a sealed sheet for every interviewed candidate. A score is
//!   `round(3.1 + 0.6·(ability − 0.3) + question difficulty + candidate×question signal + panellist
//!   noise)` clamped to the bank's 1–5 scale, where ability is standard normal and independent of
//!   ethnicity, difficulty has SD 0.25, the shared signal SD 0.35 and each panellist's noise SD 0.45.
//! - Cells whose independent scores diverge (range at or above the policy's threshold, 2 points on a
//!   1–5 scale) get a moderation with a reason to the panel's median in about 90% of vacancies; the
//!   rest carry an `unresolved_reason` on the decision. The top weighted mean is appointed in about
//!   90% of vacancies, the second otherwise, always with a rationale.
//!
//! # Planted patterns
//!
//! Ethnicity has no effect on ability or on how panellists score, except for four planted patterns
//! an audit across vacancies should find:
//!
//! 1. [`LENIENT_PANELLIST`] sits on every [`PLANTED_EVERY`]th vacancy (from the 3rd) and adds
//!    [`LENIENT_SHIFT`] (+1) to every score they would otherwise give, clamped to the scale. Clamping
//!    at 5 makes the mean deviation from co-panellists slightly under +1 (+0.94 at seed 1, N = 10,000).
//! 2. [`GROUP_BIASED_PANELLIST`] sits on every [`PLANTED_EVERY`]th vacancy (from the 10th; never with
//!    the lenient panellist) and adds [`GROUP_BIASED_SHIFT`] (−1) to every score for candidates in
//!    [`GROUP_BIASED_GROUP`] (Black: NHS codes M, N, P), clamped at 1; other candidates are scored like
//!    everyone else. Their mean deviation from co-panellists is −0.98 for Black candidates and +0.00
//!    for others (seed 1, N = 10,000).
//! 3. At [`ADVERSE_STAGE`] (applied → shortlisted), applicants in [`ADVERSE_GROUP`] (Asian: codes H, J,
//!    K, L and R, which fairpanel groups as Asian) are shortlisted with [`ADVERSE_RATIO`] (0.55) times
//!    the probability of anyone else of the same ability. Their shortlisting rate comes out at about
//!    57% of the White rate (0.0699 against 0.1229 at seed 1, N = 10,000): redrawing a shortlist of
//!    fewer than 3 lifts the smallest probabilities slightly. Later stages treat every group alike,
//!    apart from the small knock-on effects of patterns 2 and 4.
//! 4. One biased question: on [`DIF_QUESTION`] (handling a complaint, a question about communicating
//!    with someone who is unhappy), candidates in [`DIF_GROUP`] (Black) have [`DIF_SHIFT`] (−0.6)
//!    added to the candidate's shared signal before every panellist's noise and rounding, so every
//!    panellist scores them lower on that question than other candidates of the same ability; their
//!    other questions are scored like everyone else's. This is differential item functioning: the
//!    audit's Questions section should class it `CC-` for Black candidates, and class no fair
//!    question beyond `BB`. No random number is drawn for it, so the rest of the organisation is
//!    the same as without it.

use crate::bank::Bank;
use crate::ethnicity::{self, Group};
use crate::model::Role;
use crate::policy::{self, Policy};
use crate::store::{
    BulkAnswer, BulkApplicant, BulkCounts, BulkDecision, BulkModeration, BulkPanellist, BulkSheet,
    BulkVacancy, Store,
};
use anyhow::{ensure, Context, Result};
use std::collections::HashMap;
use std::path::Path;

/// Panellist who scores everyone higher than their co-panellists do.
pub const LENIENT_PANELLIST: &str = "Panellist 0007";
/// Points added to each of [`LENIENT_PANELLIST`]'s scores before clamping to the scale.
pub const LENIENT_SHIFT: i64 = 1;
/// Panellist who scores candidates of one group lower than their co-panellists do.
pub const GROUP_BIASED_PANELLIST: &str = "Panellist 0013";
/// The candidates [`GROUP_BIASED_PANELLIST`] marks down.
pub const GROUP_BIASED_GROUP: Group = Group::Black;
/// Points added to [`GROUP_BIASED_PANELLIST`]'s scores for [`GROUP_BIASED_GROUP`] before clamping.
pub const GROUP_BIASED_SHIFT: i64 = -1;
/// The stage reached with adverse impact: the step from `applied` to `shortlisted`.
pub const ADVERSE_STAGE: &str = "shortlisted";
/// The applicants shortlisted less often.
pub const ADVERSE_GROUP: Group = Group::Asian;
/// Their shortlisting probability relative to an applicant of the same ability in any other group.
pub const ADVERSE_RATIO: f64 = 0.55;
/// The question on which [`DIF_GROUP`] is scored lower at equal ability (pattern 4).
pub const DIF_QUESTION: &str = "handling-complaint";
/// The candidates [`DIF_QUESTION`] is biased against.
pub const DIF_GROUP: Group = Group::Black;
/// Points added to [`DIF_GROUP`]'s shared signal on [`DIF_QUESTION`], before noise and rounding.
pub const DIF_SHIFT: f64 = -0.6;
/// The planted panellists each sit on one vacancy in this many (vacancy index 2, 17, 32, … for the
/// lenient one; 9, 24, 39, … for the group-biased one).
pub const PLANTED_EVERY: usize = 15;
const LENIENT_AT: usize = 2;
const BIASED_AT: usize = 9;
/// Size of the panellist pool.
pub const POOL_SIZE: usize = 2000;
/// The question bank every synthetic vacancy uses.
pub const BANK: &str = "nhs-talking-therapies";
/// Who imports the pipeline data, in the event log.
pub const PIPELINE_ACTOR: &str = "Workforce Information";
/// Vacancies written per transaction.
pub const BATCH: usize = 500;

/// Posts recruited: title, band, bank role, relative frequency.
pub const POSTS: [(&str, &str, &str, u32); 6] = [
    (
        "Trainee Psychological Wellbeing Practitioner",
        "Band 4",
        "pwp",
        20,
    ),
    ("Psychological Wellbeing Practitioner", "Band 5", "pwp", 30),
    (
        "Senior Psychological Wellbeing Practitioner",
        "Band 6",
        "pwp",
        10,
    ),
    (
        "Trainee High-Intensity CBT Therapist",
        "Band 6",
        "hi-therapist",
        10,
    ),
    ("Counsellor for Depression", "Band 6", "hi-therapist", 8),
    ("High-Intensity CBT Therapist", "Band 7", "hi-therapist", 22),
];

/// Services (fictional) the vacancies belong to.
pub const SERVICES: [&str; 8] = [
    "Northshire NHS Talking Therapies",
    "Eastbridge NHS Talking Therapies",
    "Riverside NHS Talking Therapies",
    "Kingsmead NHS Talking Therapies",
    "Westvale NHS Talking Therapies",
    "Harbour City NHS Talking Therapies",
    "Moorland NHS Talking Therapies",
    "Southdown NHS Talking Therapies",
];

/// Applicants' NHS ethnic category codes and their shares in percent (Z declined, 99 not known).
pub const APPLICANT_ETHNICITY: [(&str, u32); 18] = [
    ("A", 55),
    ("B", 2),
    ("C", 8),
    ("D", 1),
    ("E", 1),
    ("F", 1),
    ("G", 1),
    ("H", 6),
    ("J", 4),
    ("K", 2),
    ("L", 2),
    ("M", 2),
    ("N", 7),
    ("P", 1),
    ("R", 1),
    ("S", 2),
    ("Z", 3),
    ("99", 1),
];

/// Panellists' self-declared codes (of those who declared one), in parts per hundred.
const PANEL_ETHNICITY: [(&str, u32); 17] = [
    ("A", 64),
    ("B", 2),
    ("C", 5),
    ("D", 1),
    ("E", 1),
    ("F", 1),
    ("G", 1),
    ("H", 5),
    ("J", 3),
    ("K", 1),
    ("L", 2),
    ("M", 2),
    ("N", 6),
    ("P", 1),
    ("R", 1),
    ("S", 1),
    ("Z", 2),
];

const MODERATION_REASONS: [&str; 5] = [
    "Discussed the evidence against the anchors; the panel agreed the score the notes support.",
    "Re-read the notes together: the candidate described the steps taken but not the outcome, which \
     matches this anchor.",
    "One panellist had missed part of the answer; on the full evidence the panel agreed this score.",
    "The probe answer added evidence not everyone had weighed; agreed after discussion.",
    "Panel compared each note with the anchor descriptions and agreed the middle view.",
];

const SECS_PER_DAY: i64 = 86_400;

// ---------------------------------------------------------------- random numbers

/// xoshiro256** seeded through splitmix64: small, fast and stable across versions.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// An independent stream for (`seed`, `stream`).
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut x = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let s = [
            splitmix64(&mut x),
            splitmix64(&mut x),
            splitmix64(&mut x),
            splitmix64(&mut x),
        ];
        Rng { s }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Approximately standard normal: the sum of 12 uniforms less 6 (exact arithmetic, no libm).
    pub fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.f64()).sum::<f64>() - 6.0
    }

    /// An item chosen with the given integer weights.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| *w as u64).sum();
        let mut x = self.below(total);
        for (item, w) in items {
            if x < *w as u64 {
                return item;
            }
            x -= *w as u64;
        }
        &items[items.len() - 1].0
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------- time

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Seconds since the Unix epoch as RFC 3339 UTC, as `model::now` writes it.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(SECS_PER_DAY));
    let s = secs.rem_euclid(SECS_PER_DAY);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn date(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(SECS_PER_DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

fn first_created() -> i64 {
    days_from_civil(2024, 1, 1) * SECS_PER_DAY
}

/// One second after the last possible creation time (2026-10-31T23:59:59Z).
fn created_end() -> i64 {
    days_from_civil(2026, 11, 1) * SECS_PER_DAY
}

// ---------------------------------------------------------------- the organisation

#[derive(Debug, Clone)]
struct Person {
    name: String,
    ethnicity: Option<&'static str>,
    minority: bool,
    /// Training date in seconds since the epoch.
    trained: Option<i64>,
}

/// A bank question resolved once: id, category, weight, and an evidence note for each scale point.
#[derive(Debug, Clone)]
struct Q {
    id: String,
    diversity: bool,
    roles: Vec<String>,
    weight: f64,
    evidence: Vec<String>,
}

/// The synthetic organisation: the panellist pool and what every vacancy is drawn from. Vacancy `i`
/// depends only on the seed, `i` and the number of vacancies.
pub struct Organisation {
    seed: u64,
    vacancies: usize,
    bank: Bank,
    bank_yaml: String,
    policy: Policy,
    questions: Vec<Q>,
    pool: Vec<Person>,
    /// Pool indexes, excluding the planted panellists.
    ordinary: Vec<usize>,
    minority: Vec<usize>,
    non_minority: Vec<usize>,
    groups: HashMap<&'static str, Group>,
    id_width: usize,
}

fn group_of(code: &str) -> Result<Group> {
    Ok(ethnicity::by_code(code)
        .with_context(|| format!("ethnicity code {code} is not in the table"))?
        .group)
}

impl Organisation {
    pub fn new(seed: u64, vacancies: usize) -> Result<Organisation> {
        let (bank, bank_yaml) = crate::bank::resolve(BANK)?;
        let policy = Policy::default();
        let questions = bank
            .questions
            .iter()
            .map(|q| Q {
                id: q.id.clone(),
                diversity: q.category == "diversity-attitude",
                roles: q.roles.clone(),
                weight: q.weight(),
                evidence: (bank.scale.min..=bank.scale.max)
                    .map(|s| match bank.label(s) {
                        Some(l) => format!("Synthetic evidence: matches anchor {s} ({l})."),
                        None => format!("Synthetic evidence: matches anchor {s}."),
                    })
                    .collect(),
            })
            .collect();
        let mut groups = HashMap::new();
        for (code, _) in APPLICANT_ETHNICITY.iter().chain(&PANEL_ETHNICITY) {
            groups.insert(*code, group_of(code)?);
        }
        let mut rng = Rng::new(seed, 0);
        let lenient = planted_index(LENIENT_PANELLIST);
        let biased = planted_index(GROUP_BIASED_PANELLIST);
        let train_from = days_from_civil(2021, 1, 1) * SECS_PER_DAY;
        let train_to = days_from_civil(2026, 7, 1) * SECS_PER_DAY;
        let mut pool = Vec::with_capacity(POOL_SIZE);
        for i in 0..POOL_SIZE {
            let mut ethnicity = rng.chance(0.92).then(|| *rng.weighted(&PANEL_ETHNICITY));
            let mut trained = rng
                .chance(0.7)
                .then(|| train_from + rng.below((train_to - train_from) as u64) as i64);
            // The planted panellists: one who did not state an ethnicity, one White, both trained early.
            if i == lenient {
                ethnicity = None;
                trained = Some(days_from_civil(2022, 3, 14) * SECS_PER_DAY);
            } else if i == biased {
                ethnicity = Some("A");
                trained = Some(days_from_civil(2022, 9, 5) * SECS_PER_DAY);
            }
            let minority = ethnicity.is_some_and(|c| groups[c].is_bme());
            pool.push(Person {
                name: format!("Panellist {:04}", i + 1),
                ethnicity,
                minority,
                trained,
            });
        }
        let ordinary: Vec<usize> = (0..POOL_SIZE)
            .filter(|&i| i != lenient && i != biased)
            .collect();
        let minority = ordinary
            .iter()
            .copied()
            .filter(|&i| pool[i].minority)
            .collect();
        let non_minority = ordinary
            .iter()
            .copied()
            .filter(|&i| !pool[i].minority)
            .collect();
        Ok(Organisation {
            seed,
            vacancies,
            bank,
            bank_yaml,
            policy,
            questions,
            pool,
            ordinary,
            minority,
            non_minority,
            groups,
            id_width: vacancies.to_string().len().max(5),
        })
    }

    pub fn len(&self) -> usize {
        self.vacancies
    }

    pub fn is_empty(&self) -> bool {
        self.vacancies == 0
    }

    /// The group of an NHS code used by the generator.
    pub fn group(&self, code: &str) -> Option<Group> {
        self.groups.get(code).copied()
    }

    /// Generate vacancy `i` (0-based) with its whole journey.
    pub fn vacancy(&self, i: usize) -> BulkVacancy {
        let mut rng = Rng::new(self.seed, i as u64 + 1);
        let span = created_end() - first_created();
        let n = self.vacancies as i64;
        let slot_start = first_created() + span * i as i64 / n;
        let slot_end = first_created() + span * (i as i64 + 1) / n;
        let created = slot_start + rng.below((slot_end - slot_start).max(1) as u64) as i64;
        let (year, _, _) = civil_from_days(created.div_euclid(SECS_PER_DAY));

        let weights: Vec<(usize, u32)> = POSTS.iter().enumerate().map(|(k, p)| (k, p.3)).collect();
        let (title, band, role, _) = POSTS[*rng.weighted(&weights)];
        let service = SERVICES[rng.below(SERVICES.len() as u64) as usize];

        // The plan: 6 to 8 questions for the role, one or two on attitudes to diversity, in bank order.
        let fits: Vec<usize> = (0..self.questions.len())
            .filter(|&k| {
                let q = &self.questions[k];
                q.roles.is_empty() || q.roles.iter().any(|r| r == role)
            })
            .collect();
        let mut diversity: Vec<usize> = fits
            .iter()
            .copied()
            .filter(|&k| self.questions[k].diversity)
            .collect();
        let mut others: Vec<usize> = fits
            .iter()
            .copied()
            .filter(|&k| !self.questions[k].diversity)
            .collect();
        rng.shuffle(&mut diversity);
        rng.shuffle(&mut others);
        let size = rng.range(6, 8) as usize;
        let n_div = if rng.chance(0.3) { 2 } else { 1 }.min(diversity.len());
        let mut plan: Vec<usize> = diversity[..n_div]
            .iter()
            .chain(others.iter().take(size - n_div))
            .copied()
            .collect();
        plan.sort_unstable();
        let questions: Vec<String> = plan.iter().map(|&k| self.questions[k].id.clone()).collect();

        // The panel.
        let panel_size = if rng.chance(0.4) { 4 } else { 3 };
        let no_minority = rng.chance(0.15);
        let mut members: Vec<usize> = Vec::with_capacity(panel_size);
        match i % PLANTED_EVERY {
            LENIENT_AT => members.push(planted_index(LENIENT_PANELLIST)),
            BIASED_AT => members.push(planted_index(GROUP_BIASED_PANELLIST)),
            _ => {}
        }
        if !no_minority && !members.iter().any(|&m| self.pool[m].minority) {
            members.push(self.minority[rng.below(self.minority.len() as u64) as usize]);
        }
        while members.len() < panel_size {
            let from = if no_minority {
                &self.non_minority
            } else {
                &self.ordinary
            };
            let m = from[rng.below(from.len() as u64) as usize];
            if !members.contains(&m) {
                members.push(m);
            }
        }
        rng.shuffle(&mut members);
        let independent = panel_size == 4 && rng.chance(0.3);
        let panel: Vec<BulkPanellist> = members
            .iter()
            .enumerate()
            .map(|(k, &m)| {
                let p = &self.pool[m];
                BulkPanellist {
                    name: p.name.clone(),
                    role: match k {
                        0 => Role::Chair,
                        3 if independent => Role::Independent,
                        _ => Role::Member,
                    },
                    ethnicity: p.ethnicity.map(str::to_string),
                    trained_on: p.trained.filter(|&t| t <= created).map(date),
                    added_at: rfc3339(created + 3600 + k as i64 * 120),
                }
            })
            .collect();
        let chair = panel[0].name.clone();

        // Applicants and shortlisting (the planted adverse impact lives here).
        let n_applicants = rng.range(25, 75) as usize;
        struct Applicant {
            code: &'static str,
            group: Group,
            ability: f64,
            gender: Option<&'static str>,
            disability: Option<&'static str>,
            internal: Option<bool>,
        }
        let applicants: Vec<Applicant> = (0..n_applicants)
            .map(|_| {
                let code = *rng.weighted(&APPLICANT_ETHNICITY);
                let ability = rng.normal();
                let gender = *rng.weighted(&[
                    (Some("Female"), 76),
                    (Some("Male"), 21),
                    (Some("Non-binary"), 1),
                    (None, 2),
                ]);
                let disability = *rng.weighted(&[
                    (Some("No"), 85),
                    (Some("Yes"), 9),
                    (Some("Prefer not to say"), 3),
                    (None, 3),
                ]);
                let internal = *rng.weighted(&[(Some(true), 20), (Some(false), 78), (None, 2)]);
                Applicant {
                    code,
                    group: self.groups[code],
                    ability,
                    gender,
                    disability,
                    internal,
                }
            })
            .collect();
        let target = 5.0 + rng.f64();
        let weight: Vec<f64> = applicants
            .iter()
            .map(|a| {
                let w = (1.0 + 0.5 * a.ability).max(0.2);
                if a.group == ADVERSE_GROUP {
                    w * ADVERSE_RATIO
                } else {
                    w
                }
            })
            .collect();
        let total: f64 = weight.iter().sum();
        let p: Vec<f64> = weight
            .iter()
            .map(|w| (target * w / total).min(1.0))
            .collect();
        let mut shortlisted = vec![false; n_applicants];
        for _ in 0..1000 {
            for (s, &pj) in shortlisted.iter_mut().zip(&p) {
                *s = rng.chance(pj);
            }
            if shortlisted.iter().filter(|&&s| s).count() >= 3 {
                break;
            }
        }
        let mut interviewed = vec![false; n_applicants];
        for _ in 0..1000 {
            for (k, s) in interviewed.iter_mut().enumerate() {
                *s = shortlisted[k] && rng.chance(0.9);
            }
            if interviewed.iter().filter(|&&s| s).count() >= 2 {
                break;
            }
        }
        let interviewees: Vec<usize> = (0..n_applicants).filter(|&k| interviewed[k]).collect();

        // Interviews and sealed sheets.
        let day = created.div_euclid(SECS_PER_DAY) * SECS_PER_DAY;
        let interview_day = day + rng.range(21, 42) * SECS_PER_DAY + 9 * 3600;
        let difficulty: Vec<f64> = plan.iter().map(|_| 0.25 * rng.normal()).collect();
        let (lo, hi) = (self.bank.scale.min, self.bank.scale.max);
        // scores[c][q][p] for interviewee c.
        let mut scores = vec![vec![vec![0i64; panel.len()]; plan.len()]; interviewees.len()];
        let mut sheets = Vec::with_capacity(interviewees.len() * panel.len());
        for (c, &a) in interviewees.iter().enumerate() {
            let slot = interview_day + c as i64 * 75 * 60;
            let truth: Vec<f64> = difficulty
                .iter()
                .zip(&plan)
                .map(|(d, &k)| {
                    let biased =
                        applicants[a].group == DIF_GROUP && self.questions[k].id == DIF_QUESTION;
                    3.1 + 0.6 * (applicants[a].ability - 0.3)
                        + d
                        + 0.35 * rng.normal()
                        + if biased { DIF_SHIFT } else { 0.0 }
                })
                .collect();
            for (pi, &m) in members.iter().enumerate() {
                let shift = if self.pool[m].name == LENIENT_PANELLIST {
                    LENIENT_SHIFT
                } else if self.pool[m].name == GROUP_BIASED_PANELLIST
                    && applicants[a].group == GROUP_BIASED_GROUP
                {
                    GROUP_BIASED_SHIFT
                } else {
                    0
                };
                let answers = plan
                    .iter()
                    .enumerate()
                    .map(|(qi, &k)| {
                        let raw = (truth[qi] + 0.45 * rng.normal()).round() as i64;
                        let score = (raw + shift).clamp(lo, hi);
                        scores[c][qi][pi] = score;
                        BulkAnswer {
                            question: qi,
                            score,
                            evidence: self.questions[k].evidence[(score - lo) as usize].clone(),
                            recorded_at: rfc3339(slot + (qi as i64 + 1) * 360 + pi as i64 * 11),
                        }
                    })
                    .collect();
                sheets.push(BulkSheet {
                    candidate: a,
                    panellist: pi,
                    opened_at: rfc3339(slot + pi as i64 * 5),
                    submitted_at: rfc3339(slot + (plan.len() as i64 + 1) * 360 + pi as i64 * 13),
                    answers,
                });
            }
        }
        let end = interview_day + interviewees.len() as i64 * 75 * 60;

        // Moderation of divergent cells, then the decision on weighted means.
        let threshold = self.policy.divergence.range * self.bank.scale.width();
        let moderate_all = rng.chance(0.9);
        let mut moderations = Vec::new();
        let mut unresolved = 0;
        let mut means = Vec::with_capacity(interviewees.len());
        for (c, &a) in interviewees.iter().enumerate() {
            let (mut num, mut den) = (0.0, 0.0);
            for (qi, &k) in plan.iter().enumerate() {
                let mut s = scores[c][qi].clone();
                s.sort_unstable();
                let mean = s.iter().sum::<i64>() as f64 / s.len() as f64;
                let mut value = mean;
                if (s[s.len() - 1] - s[0]) as f64 >= threshold {
                    if moderate_all {
                        let mid = s.len() / 2;
                        let median = if s.len() % 2 == 1 {
                            s[mid]
                        } else {
                            ((s[mid - 1] + s[mid]) as f64 / 2.0).round() as i64
                        };
                        value = median as f64;
                        moderations.push(BulkModeration {
                            candidate: a,
                            question: qi,
                            score: median,
                            reason: Some(
                                MODERATION_REASONS
                                    [rng.below(MODERATION_REASONS.len() as u64) as usize]
                                    .to_string(),
                            ),
                            recorded_by: chair.clone(),
                            recorded_at: rfc3339(end + 900 + moderations.len() as i64 * 120),
                        });
                    } else {
                        unresolved += 1;
                    }
                }
                num += self.questions[k].weight * value;
                den += self.questions[k].weight;
            }
            means.push((a, num / den));
        }
        means.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let second = means.len() > 1 && rng.chance(0.1);
        let (appointed, reserve) = if second {
            (means[1], Some(means[0]))
        } else {
            (means[0], means.get(1).copied())
        };
        let refs = |a: usize| format!("C-{:03}", a + 1);
        let rationale = if second {
            let top = means[0];
            format!(
                "{} gave the strongest evidence on risk and on working with interpreters, the priorities for \
                 this post, although {} had a higher weighted mean ({:.2} against {:.2}).",
                refs(appointed.0),
                refs(top.0),
                top.1,
                appointed.1
            )
        } else {
            format!(
                "{} had the highest weighted mean ({:.2}) and consistent evidence across the plan.",
                refs(appointed.0),
                appointed.1
            )
        };
        let decision = BulkDecision {
            appointed: appointed.0,
            reserves: reserve.iter().map(|r| r.0).collect(),
            rationale,
            unresolved_reason: (unresolved > 0).then(|| {
                "The divergent scores were discussed; the panel agreed they do not change the ranking."
                    .to_string()
            }),
            recorded_by: chair.clone(),
            recorded_at: rfc3339(end + 3600),
        };
        let declined = reserve.is_some() && rng.chance(0.08);

        let applicants: Vec<BulkApplicant> = applicants
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let stage = if k == appointed.0 {
                    if declined {
                        "offered"
                    } else {
                        "appointed"
                    }
                } else if declined && Some(k) == reserve.map(|r| r.0) {
                    "appointed"
                } else if interviewed[k] {
                    "interviewed"
                } else if shortlisted[k] {
                    "shortlisted"
                } else {
                    "applied"
                };
                let order = interviewees.iter().position(|&c| c == k).unwrap_or(0) as i64;
                BulkApplicant {
                    reference: refs(k),
                    added_at: rfc3339(interview_day - 7 * SECS_PER_DAY + order * 600),
                    stage: stage.to_string(),
                    ethnicity: a.code.to_string(),
                    gender: a.gender.map(str::to_string),
                    disability: a.disability.map(str::to_string),
                    internal: a.internal,
                }
            })
            .collect();

        BulkVacancy {
            id: format!("TT-{year}-{:0w$}", i + 1, w = self.id_width),
            title: title.to_string(),
            band: Some(band.to_string()),
            service: Some(service.to_string()),
            questions,
            created_at: rfc3339(created),
            created_by: chair,
            panel,
            applicants,
            sheets,
            moderations,
            decision: Some(decision),
        }
    }

    /// The time the pipeline for a batch of vacancies is imported: a day after its last decision.
    fn import_time(batch: &[BulkVacancy]) -> String {
        let last = batch
            .iter()
            .filter_map(|v| v.decision.as_ref().map(|d| d.recorded_at.as_str()))
            .max()
            .unwrap_or("2026-11-01T00:00:00Z");
        let secs = parse_rfc3339(last).unwrap_or_else(created_end);
        rfc3339(secs + SECS_PER_DAY)
    }
}

fn parse_rfc3339(s: &str) -> Option<i64> {
    let n = |a: usize, b: usize| s.get(a..b)?.parse::<i64>().ok();
    let days = days_from_civil(n(0, 4)?, n(5, 7)?, n(8, 10)?);
    Some(days * SECS_PER_DAY + n(11, 13)? * 3600 + n(14, 16)? * 60 + n(17, 19)?)
}

/// Pool index of a planted panellist ("Panellist 0007" → 6).
fn planted_index(name: &str) -> usize {
    name.rsplit(' ')
        .next()
        .and_then(|n| n.parse::<usize>().ok())
        .expect("planted panellist names end in their number")
        - 1
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub seed: u64,
    pub counts: BulkCounts,
    /// The last event's hash. (Personal data is sealed under fresh random keys, so two runs with the
    /// same seed hold the same records under different hashes.)
    pub head_hash: String,
}

/// Generate `vacancies` vacancies from `seed` into a new database at `db` (which must not exist),
/// calling `progress` with the number of vacancies written after each batch. Vacancies are generated on
/// a second thread while the previous batch is written.
pub fn generate(db: &Path, vacancies: usize, seed: u64, progress: &dyn Fn(u64)) -> Result<Summary> {
    ensure!(vacancies > 0, "the scale must be at least 1 vacancy");
    ensure!(
        !db.exists(),
        "{} exists; the synthetic organisation is written to a new database",
        db.display()
    );
    let org = Organisation::new(seed, vacancies)?;
    let mut store = Store::open(
        db,
        crate::record::chain::Actor::login(PIPELINE_ACTOR),
        None,
        crate::store::Create::Yes,
    )?;
    store.begin_bulk_load()?;
    let mut counts = BulkCounts::default();
    std::thread::scope(|s| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<BulkVacancy>>(1);
        let org = &org;
        let generator = std::thread::Builder::new().name("synth-generate".into());
        generator.spawn_scoped(s, move || {
            for start in (0..org.len()).step_by(BATCH) {
                let batch = (start..(start + BATCH).min(org.len()))
                    .map(|i| org.vacancy(i))
                    .collect();
                if tx.send(batch).is_err() {
                    return; // the writer stopped on an error
                }
            }
        })?;
        // Flush each committed batch to disk while the next is written, so little is left at the end.
        let (flush, flush_rx) = std::sync::mpsc::sync_channel::<()>(1);
        let file = std::fs::File::open(db)?;
        let flusher = std::thread::Builder::new().name("synth-flush".into());
        flusher.spawn_scoped(s, move || {
            for () in flush_rx {
                // A failed flush here is reported by the final one in `end_bulk_load`.
                let _ = file.sync_data();
            }
        })?;
        for batch in rx {
            let at = Organisation::import_time(&batch);
            counts += store.write(|tx| {
                let mut bulk =
                    tx.bulk(&org.bank, &org.bank_yaml, "built-in", policy::DEFAULT_YAML)?;
                for v in &batch {
                    bulk.vacancy(v)?;
                }
                bulk.applications(&batch, &at, PIPELINE_ACTOR)?;
                bulk.finish()
            })?;
            progress(batch.len() as u64);
            let _ = flush.try_send(());
        }
        Ok(())
    })?;
    store.end_bulk_load()?;
    let head_hash = store.head_hash()?;
    Ok(Summary {
        seed,
        counts,
        head_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_numbers_are_stable() {
        // xoshiro256** seeded by splitmix64(1), checked against an independent implementation.
        let mut r = Rng::new(1, 0);
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(
            first,
            vec![
                12966619160104079557,
                9600361134598540522,
                10590380919521690900
            ]
        );
        let mut r = Rng::new(1, 0);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );
        assert!((0..1000).all(|_| r.below(7) < 7));
    }

    #[test]
    fn dates_match_the_time_crate() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(first_created(), 1_704_067_200);
        let mut r = Rng::new(3, 3);
        for _ in 0..2000 {
            let secs = r.range(-2_000_000_000, 4_000_000_000);
            let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let want = t
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            assert_eq!(rfc3339(secs), want);
            assert_eq!(parse_rfc3339(&want), Some(secs));
            assert_eq!(date(secs), want[..10]);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_vacancies() {
        let a = Organisation::new(7, 40).unwrap();
        let b = Organisation::new(7, 40).unwrap();
        let c = Organisation::new(8, 40).unwrap();
        for i in [0, 2, 9, 39] {
            assert_eq!(format!("{:?}", a.vacancy(i)), format!("{:?}", b.vacancy(i)));
            assert_ne!(format!("{:?}", a.vacancy(i)), format!("{:?}", c.vacancy(i)));
        }
    }

    #[test]
    fn vacancies_are_complete_and_plausible() {
        let n = 300;
        let org = Organisation::new(1, n).unwrap();
        let mut last = String::new();
        let mut applicants = 0;
        for i in 0..n {
            let v = org.vacancy(i);
            assert!(v.created_at > last, "created in id order");
            assert!(
                v.created_at.as_str() >= "2024-01-01" && v.created_at.as_str() < "2026-11-01",
                "{}",
                v.created_at
            );
            last = v.created_at.clone();
            assert!((6..=8).contains(&v.questions.len()));
            let diversity = v
                .questions
                .iter()
                .filter(|q| org.bank.question(q).unwrap().category == "diversity-attitude")
                .count();
            assert!((1..=2).contains(&diversity));
            assert!(["Band 4", "Band 5", "Band 6", "Band 7"].contains(&v.band.as_deref().unwrap()));
            assert!((3..=4).contains(&v.panel.len()));
            assert_eq!(v.panel[0].role, Role::Chair);
            assert_eq!(v.created_by, v.panel[0].name);
            let interviewed = v.applicants.iter().filter(|a| a.interviewed()).count();
            assert!(interviewed >= 2);
            assert_eq!(v.sheets.len(), interviewed * v.panel.len());
            for s in &v.sheets {
                assert!(v.applicants[s.candidate].interviewed());
                assert_eq!(s.answers.len(), v.questions.len());
                assert!(s.answers.iter().all(|a| (1..=5).contains(&a.score)));
                assert!(s.opened_at < s.submitted_at);
            }
            let d = v.decision.as_ref().unwrap();
            assert!(v.applicants[d.appointed].interviewed());
            assert_eq!(
                v.applicants
                    .iter()
                    .filter(|a| a.stage == "appointed")
                    .count(),
                1
            );
            let lenient = v.panel.iter().any(|p| p.name == LENIENT_PANELLIST);
            let biased = v.panel.iter().any(|p| p.name == GROUP_BIASED_PANELLIST);
            assert_eq!(lenient, i % PLANTED_EVERY == LENIENT_AT);
            assert_eq!(biased, i % PLANTED_EVERY == BIASED_AT);
            applicants += v.applicants.len();
        }
        let mean = applicants as f64 / n as f64;
        assert!((45.0..55.0).contains(&mean), "{mean}");
    }

    /// Mean deviation of a panellist's scores from the mean of their co-panellists on the same cell,
    /// split by whether the candidate is in `group`.
    fn deviation(vs: &[BulkVacancy], org: &Organisation, name: &str, group: Group) -> [f64; 2] {
        let (mut sum, mut n) = ([0.0; 2], [0usize; 2]);
        for v in vs {
            let Some(p) = v.panel.iter().position(|p| p.name == name) else {
                continue;
            };
            for s in v.sheets.iter().filter(|s| s.panellist == p) {
                let g = usize::from(org.group(&v.applicants[s.candidate].ethnicity) == Some(group));
                for a in &s.answers {
                    let others: Vec<i64> = v
                        .sheets
                        .iter()
                        .filter(|o| o.candidate == s.candidate && o.panellist != p)
                        .map(|o| o.answers[a.question].score)
                        .collect();
                    let mean = others.iter().sum::<i64>() as f64 / others.len() as f64;
                    sum[g] += a.score as f64 - mean;
                    n[g] += 1;
                }
            }
        }
        [sum[0] / n[0] as f64, sum[1] / n[1] as f64]
    }

    #[test]
    fn planted_patterns_have_their_sizes() {
        let n = 1500;
        let org = Organisation::new(1, n).unwrap();
        let vs: Vec<BulkVacancy> = (0..n).map(|i| org.vacancy(i)).collect();

        let [others, black] = deviation(&vs, &org, LENIENT_PANELLIST, GROUP_BIASED_GROUP);
        assert!((0.85..1.0).contains(&others), "{others}");
        assert!((0.8..1.05).contains(&black), "{black}");
        let [others, black] = deviation(&vs, &org, GROUP_BIASED_PANELLIST, GROUP_BIASED_GROUP);
        assert!(others.abs() < 0.06, "{others}");
        assert!((-1.05..-0.85).contains(&black), "{black}");
        let ordinary = vs
            .iter()
            .find(|v| v.panel.iter().all(|p| p.name != LENIENT_PANELLIST))
            .unwrap()
            .panel[0]
            .name
            .clone();
        let [o, _] = deviation(&vs, &org, &ordinary, GROUP_BIASED_GROUP);
        assert!(o.abs() < 0.3, "{ordinary}: {o}");

        let mut by_group: HashMap<Group, [usize; 2]> = HashMap::new();
        for v in &vs {
            for a in &v.applicants {
                let e = by_group
                    .entry(org.group(&a.ethnicity).unwrap())
                    .or_default();
                e[0] += 1;
                e[1] += usize::from(a.stage != "applied");
            }
        }
        let rate = |g: Group| by_group[&g][1] as f64 / by_group[&g][0] as f64;
        let white = rate(Group::White);
        let asian = rate(ADVERSE_GROUP) / white;
        assert!((0.45..0.68).contains(&asian), "{asian}");
        for g in [Group::Black, Group::Mixed, Group::Other] {
            let r = rate(g) / white;
            assert!((0.85..1.15).contains(&r), "{g:?} {r}");
        }
        let share = by_group[&ADVERSE_GROUP][0] as f64
            / vs.iter().map(|v| v.applicants.len()).sum::<usize>() as f64;
        assert!((0.12..0.18).contains(&share), "{share}");
    }

    #[test]
    fn about_one_panel_in_seven_has_no_minority_member() {
        let n = 1000;
        let org = Organisation::new(2, n).unwrap();
        let none = (0..n)
            .filter(|&i| {
                org.vacancy(i).panel.iter().all(|p| {
                    !p.ethnicity
                        .as_deref()
                        .and_then(|c| org.group(c))
                        .is_some_and(Group::is_bme)
                })
            })
            .count();
        assert!((100..200).contains(&none), "{none}");
    }
}
