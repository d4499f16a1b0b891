//! demo [--out DIR]: a realistic vacancy in a fresh database, its checks, and its decision report.
//!
//! The story: a PWP vacancy whose first panel is all White (the composition check flags it) and is
//! corrected; four panellists score five candidates independently; one panellist marks a candidate down
//! on the interpreter question with a remark about accent, another is overruled on a diversity question;
//! the panel moderates with reasons and records a decision whose rationale says "not ready". A fairness
//! reviewer outside the panel returns the decision with questions; the chair answers and re-affirms it,
//! and the reviewer signs it off.

use super::Ctx;
use crate::actions::candidates::{self, Application};
use crate::actions::{decision, identity, panel, scoring, vacancy};
use crate::bank;
use crate::cli::ReportFormat;
use crate::model::Role;
use crate::policy::{self, Policy};
use crate::record::chain::Actor;
use crate::store::{Create, Store};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const VACANCY: &str = "TT-PWP-2026-11";
const QUESTIONS: [&str; 7] = [
    "caseload-prioritisation",
    "risk-suicidal-disclosure",
    "low-intensity-behavioural-activation",
    "working-with-interpreters",
    "confidentiality-shared-community",
    "diversity-discomfort",
    "colleague-prejudiced-remark",
];
const PANEL: [(&str, Role, &str, Option<&str>); 3] = [
    ("Ruth Hughes", Role::Chair, "A", Some("2025-03-10")),
    ("Tom Fletcher", Role::Member, "B", None),
    ("Anna Kowalska", Role::Member, "C", Some("2024-06-01")),
];
const ADDED: (&str, Role, &str, Option<&str>) =
    ("Adaeze Okafor", Role::Member, "N", Some("2025-09-15"));
/// The fairness reviewer (not on the panel) and the date of their fairness-review training.
const REVIEWER: (&str, &str) = ("Grace Mensah", "2025-11-04");
const CANDIDATES: [&str; 5] = ["C-101", "C-102", "C-103", "C-104", "C-105"];
/// Scores[candidate][question] = [Ruth, Tom, Anna, Adaeze].
const SCORES: [[[i64; 4]; 7]; 5] = [
    // C-101: solid throughout.
    [
        [4, 4, 3, 4],
        [4, 3, 4, 4],
        [3, 3, 3, 4],
        [4, 3, 4, 4],
        [4, 4, 4, 3],
        [3, 3, 3, 4],
        [4, 3, 4, 4],
    ],
    // C-102: strong; Tom marks the interpreter answer down (accent remark).
    [
        [4, 4, 4, 5],
        [4, 4, 5, 4],
        [4, 3, 4, 4],
        [4, 2, 4, 5],
        [4, 4, 4, 4],
        [4, 4, 3, 4],
        [4, 4, 4, 5],
    ],
    // C-103: strongest overall.
    [
        [5, 4, 4, 4],
        [5, 5, 4, 5],
        [4, 4, 4, 4],
        [4, 4, 5, 4],
        [4, 5, 4, 4],
        [4, 4, 4, 5],
        [5, 4, 4, 4],
    ],
    // C-104: Adaeze alone hears a dismissive answer to the discomfort question.
    [
        [3, 3, 3, 3],
        [3, 4, 3, 3],
        [3, 3, 2, 3],
        [3, 3, 3, 3],
        [3, 3, 3, 3],
        [4, 4, 4, 2],
        [3, 3, 3, 2],
    ],
    // C-105: weaker, some clear gaps.
    [
        [2, 2, 3, 2],
        [2, 2, 2, 2],
        [3, 2, 2, 3],
        [2, 2, 3, 2],
        [3, 3, 3, 2],
        [2, 3, 2, 2],
        [2, 2, 2, 3],
    ],
];

fn evidence(bank: &bank::Bank, candidate: usize, q: usize, panellist: usize, score: i64) -> String {
    match (candidate, q, panellist) {
        (1, 3, 1) => "Described booking an interpreter and briefing them, but with his strong accent he was hard to \
                      follow at times; not convinced he would come across well to clients."
            .into(),
        (1, 3, 3) => "Booked a professional interpreter, briefed them on confidentiality and risk wording, checked \
                      understanding with the client directly, and refused to use a family member. Excellent."
            .into(),
        (3, 5, 3) => "Said they had no discomfort with anyone 'because I treat everyone the same' and could not \
                      give an example of noticing or acting on their own assumptions; dismissed the probe."
            .into(),
        (3, 5, _) => "Said they treat everyone the same; open and relaxed answer.".into(),
        _ => {
            let qid = QUESTIONS[q];
            let anchor = bank
                .question(qid)
                .and_then(|qq| qq.anchors.get(&score))
                .map(|a| a.split(['.', ';']).next().unwrap_or(a).trim().to_string())
                .unwrap_or_default();
            format!("Heard: {anchor}.")
        }
    }
}

/// A person of the demo acting as themself: their invitation redeemed for a made-up passphrase, which
/// they then prove, exactly as at the command line. The passphrase is kept in `creds` when given, so
/// someone exploring the demo can act as them.
fn sign_in(store: &mut Store, name: &str, invitation: &str, creds: Option<&Path>) -> Result<Actor> {
    let pass = identity::generated_passphrase();
    let person = store.write(|tx| identity::redeem_credential(tx, invitation, &pass))?;
    if let Some(dir) = creds {
        let file = dir.join(format!("{}.txt", name.to_lowercase().replace(' ', "-")));
        crate::fsutil::write_private(&file, format!("{pass}\n").as_bytes())?;
    }
    identity::authenticate(&person, &pass)
}

/// Build the demo database at `db`; returns the narrative of what was done.
pub fn build(db: &Path, creds: Option<&Path>) -> Result<Vec<String>> {
    let mut log = Vec::new();
    if let Some(dir) = creds {
        crate::fsutil::create_private_dir(dir)?;
    }
    let setup = Actor::login("demo");
    let mut store = Store::open(db, setup.clone(), None, Create::Yes)?;
    let (bank, yaml) = bank::resolve("nhs-talking-therapies")?;
    let questions: Vec<String> = QUESTIONS.iter().map(|s| s.to_string()).collect();
    let policy = Policy::default();
    store.write(|tx| {
        vacancy::create(
            tx,
            &vacancy::NewVacancy {
                id: VACANCY,
                title: "Psychological Wellbeing Practitioner",
                band: Some("Band 5"),
                service: Some("Northshire NHS Talking Therapies"),
                bank: &bank,
                bank_yaml: &yaml,
                questions: &questions,
                policy: &policy,
                policy_source: "built-in",
                policy_yaml: policy::DEFAULT_YAML,
                coverage_override: None,
            },
        )
    })?;
    log.push(format!(
        "Created vacancy {VACANCY} with {} questions, 2 of them on attitudes to diversity.",
        questions.len()
    ));
    let mut invitations = Vec::new();
    store.write(|tx| {
        for (name, role, eth, trained) in PANEL {
            let a = panel::add(tx, VACANCY, name, role, Some(eth), trained)?;
            invitations.push((name, a.invitation.expect("new people are invited")));
        }
        Ok(())
    })?;
    let report = crate::report::decision::from_loaded(&store.vacancy(VACANCY)?)?;
    let gaps: Vec<String> = report
        .composition
        .iter()
        .filter(|f| f.severity == crate::checks::Severity::Gap)
        .map(|f| f.message.clone())
        .collect();
    log.push(format!(
        "First panel of 3: the composition check found a gap: {}.",
        gaps.join("; ")
    ));
    store.write(|tx| {
        let a = panel::add(tx, VACANCY, ADDED.0, ADDED.1, Some(ADDED.2), ADDED.3)?;
        invitations.push((ADDED.0, a.invitation.expect("new people are invited")));
        Ok(())
    })?;
    log.push(format!(
        "Added {} to the panel; the composition check now passes.",
        ADDED.0
    ));
    let mut actors = Vec::new();
    for (name, inv) in &invitations {
        actors.push((*name, sign_in(&mut store, name, inv, creds)?));
    }
    log.push(format!(
        "Each panellist set their own passphrase from a one-time invitation{}.",
        match creds {
            Some(d) => format!(" (kept in {} so you can act as them)", d.display()),
            None => String::new(),
        }
    ));
    store.set_actor(setup.clone());
    store.write(|tx| {
        for c in CANDIDATES {
            candidates::add(tx, VACANCY, c, None)?;
        }
        Ok(())
    })?;
    for (ci, c) in CANDIDATES.iter().enumerate() {
        for (pi, (p, actor)) in actors.iter().enumerate() {
            store.set_actor(actor.clone());
            for (qi, q) in questions.iter().enumerate() {
                let score = SCORES[ci][qi][pi];
                let ev = evidence(&bank, ci, qi, pi, score);
                store.write(|tx| {
                    scoring::answer(
                        tx,
                        scoring::Given {
                            vacancy: VACANCY,
                            reference: c,
                            panellist: p,
                            question: q,
                            score,
                            evidence: &ev,
                            correction: None,
                            transcribed: None,
                        },
                    )
                })?;
            }
            store.write(|tx| scoring::submit(tx, VACANCY, c, p, None))?;
        }
    }
    log.push(format!(
        "{} panellists scored {} candidates independently: {} sealed sheets, {} answers, each committed as given.",
        actors.len(),
        CANDIDATES.len(),
        actors.len() * CANDIDATES.len(),
        actors.len() * CANDIDATES.len() * questions.len()
    ));
    let chair = actors[0].1.clone();
    store.set_actor(chair);
    store.write(|tx| {
        decision::moderate(
            tx,
            VACANCY,
            "C-102",
            "working-with-interpreters",
            4,
            Some("Tom's note marked the candidate down for his accent, which is not a criterion; on the evidence \
                  (booking and briefing an interpreter, checking understanding) the panel agreed 4."),
            None,
        )?;
        decision::moderate(
            tx,
            VACANCY,
            "C-104",
            "diversity-discomfort",
            4,
            Some("Majority view that the answer was open and relaxed."),
            None,
        )
    })?;
    log.push("Moderated 2 divergent scores with reasons (one overrules the panel's only ethnic-minority member).".into());
    store.write(|tx| {
        decision::decide(
            tx,
            VACANCY,
            &decision::Decision {
                appoint: "C-103",
                reserves: &["C-102".to_string()],
                rationale: "C-103 had the highest weighted mean and the strongest risk and diversity answers. C-102 is a close \
                            reserve; C-104 was felt to be not ready for a full caseload.",
                ..Default::default()
            },
        )
    })?;
    log.push("Recorded the decision: appoint C-103, reserve C-102.".into());
    // The vacancy's pipeline: 42 applicants, furthest stage and self-declared ethnicity (NHS codes).
    let codes = [
        "A", "A", "H", "N", "A", "C", "J", "A", "M", "Z", "A", "H", "A", "N", "A", "K", "A", "99",
        "F", "A", "B",
    ];
    let mut apps: Vec<Application> = (0..37)
        .map(|i| Application {
            vacancy: VACANCY.into(),
            candidate: format!("A-{:03}", 201 + i),
            stage: if i % 3 == 0 { "shortlisted" } else { "applied" }.into(),
            ethnicity: codes[i % codes.len()].into(),
            gender: None,
            disability: None,
            internal: Some(i % 5 == 0),
        })
        .collect();
    for (c, stage, code) in [
        ("C-101", "interviewed", "A"),
        ("C-102", "offered", "H"),
        ("C-103", "appointed", "A"),
        ("C-104", "interviewed", "C"),
        ("C-105", "interviewed", "N"),
    ] {
        apps.push(Application {
            vacancy: VACANCY.into(),
            candidate: c.into(),
            stage: stage.into(),
            ethnicity: code.into(),
            gender: None,
            disability: None,
            internal: Some(false),
        });
    }
    store.set_actor(Actor::login("Workforce Information"));
    store.write(|tx| candidates::import_applications(tx, &apps, &|_| {}))?;
    log.push(format!(
        "Imported the vacancy's pipeline: {} applications with monitoring data.",
        apps.len()
    ));
    review(&mut store, creds, &actors[0].1, &mut log)?;
    Ok(log)
}

/// The fairness review: a trained reviewer outside the panel returns the decision with questions, the
/// chair answers and re-affirms it, and the reviewer signs it off, each bound to the report read.
fn review(
    store: &mut Store,
    creds: Option<&Path>,
    chair: &Actor,
    log: &mut Vec<String>,
) -> Result<()> {
    use crate::actions::review::{self as review_action, Given};
    use crate::record::fact::{InvitePurpose, OrgRole, Verdict};
    let (name, trained) = REVIEWER;
    store.set_actor(Actor::login("demo"));
    let invitation = store.write(|tx| {
        let id = identity::add_person(tx, name, vec![OrgRole::Reviewer], Some(trained.into()))?;
        Ok(identity::invite(tx, id, InvitePurpose::Credential)?.0)
    })?;
    let reviewer = sign_in(store, name, &invitation, creds)?;
    let receipt = |store: &Store| -> Result<crate::record::chain::Receipt> {
        let report = crate::report::decision::from_loaded(&store.vacancy(VACANCY)?)?;
        crate::record::chain::Receipt::find(&report.receipt)
            .context("the report carries its receipt")
    };
    store.set_actor(reviewer.clone());
    let read = receipt(store)?;
    let questions = [
        "C-104's agreed score for diversity-discomfort (4) overrules Adaeze Okafor's 2, the only ethnic-minority \
         member's score. What evidence beyond the majority view supports 4?"
            .to_string(),
        "The rationale calls C-104 'not ready for a full caseload'. Which criterion and evidence is that?".to_string(),
    ];
    let returned = store.write(|tx| {
        review_action::review(
            tx,
            VACANCY,
            &Given {
                verdict: Verdict::Returned,
                receipt: &read,
                questions: &questions,
                note: None,
            },
        )
    })?;
    store.set_actor(chair.clone());
    store.write(|tx| {
        review_action::answer(
            tx,
            VACANCY,
            returned,
            "The panel re-read every note against the anchors: three panellists heard an open answer to the \
             question as asked, and Adaeze's note that the probe was dismissed is kept beside the agreed 4. C-104 \
             ranks fourth on either score. The remark on C-104's readiness named no criterion and is withdrawn.",
        )
    })?;
    store.write(|tx| {
        decision::decide(
            tx,
            VACANCY,
            &decision::Decision {
                appoint: "C-103",
                reserves: &["C-102".to_string()],
                rationale: "C-103 had the highest weighted mean and the strongest risk and diversity answers. C-102 is a \
                            close reserve.",
                revision_reason: Some(
                    "Re-affirmed after the fairness review: the appointment rests on the scores and evidence; the \
                     remark about C-104 is withdrawn.",
                ),
                ..Default::default()
            },
        )
    })?;
    store.set_actor(reviewer);
    let read = receipt(store)?;
    store.write(|tx| {
        review_action::review(
            tx,
            VACANCY,
            &Given {
                verdict: Verdict::SignedOff,
                receipt: &read,
                questions: &[],
                note: Some("Answers recorded; the re-affirmed rationale rests on the evidence."),
            },
        )
    })?;
    log.push(format!(
        "Fairness review: {name} (outside the panel) returned the decision with {} questions; the chair answered \
         and re-affirmed it; {name} signed it off.",
        questions.len()
    ));
    Ok(())
}

pub fn run(ctx: &mut Ctx, out: &Path) -> Result<()> {
    crate::fsutil::create_private_dir(out)?;
    let db = out.join("fairpanel-demo.db");
    let creds = out.join("passphrases");
    // The demo always starts afresh; only its own files are removed.
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            std::fs::remove_file(&p)
                .with_context(|| format!("cannot remove old demo file {}", p.display()))?;
        }
    }
    if creds.is_dir() {
        std::fs::remove_dir_all(&creds)
            .with_context(|| format!("cannot remove old demo file {}", creds.display()))?;
    }
    let log = build(&db, Some(&creds))?;
    let mut store = Store::open(&db, Actor::login("demo"), None, Create::No)?;
    let verified = store.verify_and_mark()?;
    let md = out.join("decision-report.md");
    let html = out.join("decision-report.html");
    crate::fsutil::write_private(
        &md,
        super::report::render(&store, VACANCY, ReportFormat::Md)?.as_bytes(),
    )?;
    crate::fsutil::write_private(
        &html,
        super::report::render(&store, VACANCY, ReportFormat::Html)?.as_bytes(),
    )?;
    writeln!(ctx.out, "fairpanel demo: {}\n", VACANCY)?;
    for l in &log {
        writeln!(ctx.out, "  • {l}")?;
    }
    let report = crate::report::decision::from_loaded(&store.vacancy(VACANCY)?)?;
    writeln!(
        ctx.out,
        "\nChecks: {} gap(s), {} warning(s), {} divergent score(s) ({} resolved). Record: {}.",
        report.summary.gaps,
        report.summary.warnings,
        report.divergence.len(),
        report.summary.resolved,
        if verified.ok {
            format!("verified, receipt {}", verified.receipt)
        } else {
            "NOT verified".into()
        }
    )?;
    writeln!(ctx.out, "\nDatabase:        {}", db.display())?;
    writeln!(ctx.out, "Decision report: {}", md.display())?;
    writeln!(ctx.out, "                 {}", html.display())?;
    writeln!(ctx.out, "Passphrases:     {}", creds.display())?;
    writeln!(
        ctx.out,
        "\nExplore: fairpanel --db {} reveal {VACANCY} C-102",
        db.display()
    )?;
    Ok(())
}

/// demo --scale N: a seeded synthetic organisation in DIR/fairpanel-synth.db (see `crate::synth`).
pub fn synth(ctx: &mut Ctx, out: &Path, vacancies: usize, seed: u64) -> Result<()> {
    use crate::synth;
    if vacancies == 0 {
        return Err(crate::Usage("--scale must be at least 1".into()).into());
    }
    crate::fsutil::create_private_dir(out)?;
    let db = out.join("fairpanel-synth.db");
    // Like the demo, always afresh; only its own files are removed.
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            std::fs::remove_file(&p)
                .with_context(|| format!("cannot remove old file {}", p.display()))?;
        }
    }
    let started = std::time::Instant::now();
    // Drawn on standard error only when it is a terminal.
    let bar = indicatif::ProgressBar::new(vacancies as u64);
    let summary = synth::generate(&db, vacancies, seed, &|k| bar.inc(k))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let c = summary.counts;
    writeln!(
        ctx.out,
        "fairpanel demo: synthetic organisation, {vacancies} vacancies, seed {seed}\n"
    )?;
    writeln!(ctx.out, "  vacancies     {:>10}", c.vacancies)?;
    writeln!(ctx.out, "  applications  {:>10}", c.applications)?;
    writeln!(ctx.out, "  interviewed   {:>10}", c.candidates)?;
    writeln!(ctx.out, "  sheets        {:>10}", c.sheets)?;
    writeln!(ctx.out, "  scores        {:>10}", c.answers)?;
    writeln!(ctx.out, "  moderations   {:>10}", c.moderations)?;
    writeln!(ctx.out, "  decisions     {:>10}", c.decisions)?;
    writeln!(ctx.out, "  events        {:>10}", c.events)?;
    writeln!(ctx.out, "  seconds       {seconds:>10.1}")?;
    writeln!(
        ctx.out,
        "\nPlanted patterns for the audit to find:\n  \
         • {} scores everyone {} point higher than co-panellists do (one panel in {});\n  \
         • {} scores {} candidates {} point lower than co-panellists do (one panel in {});\n  \
         • from applied to {}, {} applicants are shortlisted with {:.2} times the chance of others of the same ability;\n  \
         • on question {}, {} candidates are scored {:.1} points lower than others of the same standard.",
        synth::LENIENT_PANELLIST,
        synth::LENIENT_SHIFT,
        synth::PLANTED_EVERY,
        synth::GROUP_BIASED_PANELLIST,
        synth::GROUP_BIASED_GROUP.label(),
        -synth::GROUP_BIASED_SHIFT,
        synth::PLANTED_EVERY,
        synth::ADVERSE_STAGE,
        synth::ADVERSE_GROUP.label(),
        synth::ADVERSE_RATIO,
        synth::DIF_QUESTION,
        synth::DIF_GROUP.label(),
        -synth::DIF_SHIFT
    )?;
    writeln!(ctx.out, "\nDatabase: {}", db.display())?;
    writeln!(ctx.out, "Record head:    {}", summary.head_hash)?;
    Ok(())
}
