//! Language: phrases in rationales and evidence notes that research links to biased judgements
//! ("not ready", "culture fit", remarks on accent, …), shown as prompts for reflection, never verdicts.
//!
//! The list is `language.yaml`, compiled in. Matching is literal: every phrase and variant, ignoring
//! case (Unicode lowercase), on word boundaries (start or end of text, or a character that is not a
//! letter or digit), with curly apostrophes read as straight ones and any run of whitespace matching a
//! space. Where matches overlap, the longest is kept (the earlier on a tie in length).
//!
//! A literal match is then read in its context, because interview notes describe clients as often as
//! candidates ("she de-escalated an aggressive client"). A match is set aside, not shown, when:
//! - **another sense**: it sits inside one of its entry's `not_in` phrases ("to articulate",
//!   "passive suicidal ideation", "fit in an extra session");
//! - **quoted scenario**: it is inside a quotation of four or more words introduced by the scenario
//!   ("the vignette reads '…'") or by someone other than the candidate ("the client said '…'");
//! - **about someone else**: within its clause it is tied to a client, patient, service user, caller,
//!   relative, colleague or other third party ("the client was angry", "a caller with a strong
//!   accent", "an aggressive client", "hostile remarks from the caller");
//! - **about a thing**: it is tied the same way to a thing rather than a person ("the referral letter
//!   was hard to read", "guided self-help was a good fit").
//!
//! "Tied" is deliberately narrow: going back from the phrase over at most five words of its clause, the
//! nearest person or thing named is the third party, with no "but", "in", "towards" and the like
//! between (which usually start a new subject or make the third party an object), and past "and" or
//! "or" only as the subject of both ("the client was tearful and angry", but not "dismissive of the
//! caller and confrontational"); or the phrase directly describes a third party that follows it. A candidate named straight after the phrase ("the
//! role-player couldn't understand him") keeps it a prompt. Anything the rules cannot place, including
//! "he" or "she" (read as the candidate), stays a prompt: a needless prompt costs a moment's thought; a
//! missed one can cost a candidate the post. So "the client said she felt angry" still prompts, as does
//! a candidate's account of a stereotype in more words than the reach ("clients from that community
//! are often labelled hard to engage or aggressive").
//!
//! Negation does not set a phrase aside: "did not seem aggressive" or "not a culture-fit issue" still
//! shows that the panel weighed the judgement, and the prompt asks for the evidence either way. The
//! candidate's own words quoted by the panel ("she said 'I can be too direct'") stay prompts too, because
//! the panel chose to record them as evidence.
//!
//! Each finding carries a stable `key`, `WHERE|ID|N`: the place the text is from as the caller names it,
//! the entry's `id` in `language.yaml`, and N, counting that entry's prompts in that text from 1. A later
//! record that a prompt was considered refers to the key; it stays the same while the text, the place's
//! name and the list entry's id do, and does not change when prompts for other phrases appear or go.

use super::{Finding, Severity};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::OnceLock;

mod context;

const CHECK: &str = "language";

/// Why a literal match is set aside rather than shown as a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    /// Inside one of the entry's `not_in` phrases: the words in another sense.
    OtherSense,
    /// Inside quoted scenario text, or words quoted from someone other than the candidate.
    QuotedScenario,
    /// Describes a client, patient, caller, colleague or other third party, not the candidate.
    AboutSomeoneElse,
    /// Describes a thing (a letter, a question, a treatment), not a person.
    AboutAThing,
}
const LIST: &str = include_str!("language.yaml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhraseList {
    #[allow(dead_code)]
    version: u32,
    phrases: Vec<Entry>,
}

/// One entry of the list: a canonical phrase, its variants, and why it is listed.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable identifier, used in each finding's key: never reused for another phrase.
    pub id: String,
    pub phrase: String,
    #[serde(default)]
    pub variants: Vec<String>,
    /// The question to put to the panel.
    pub prompt: String,
    /// What research says about judgements phrased this way.
    pub reason: String,
    pub source: String,
    /// Longer phrases in which the phrase has another sense ("to articulate", "passive suicidal").
    #[serde(default)]
    pub not_in: Vec<String>,
}

struct Compiled {
    entries: Vec<Entry>,
    /// (entry index, folded pattern) for every phrase and variant.
    patterns: Vec<(usize, Vec<char>)>,
    /// (entry index, folded pattern) for every `not_in` phrase.
    other_senses: Vec<(usize, Vec<char>)>,
}

fn compiled() -> &'static Compiled {
    static LIST_CELL: OnceLock<Compiled> = OnceLock::new();
    LIST_CELL.get_or_init(|| {
        let list: PhraseList = crate::bank::from_yaml(LIST, "src/checks/language.yaml")
            .unwrap_or_else(|p| panic!("built-in phrase list is invalid: {p}"));
        let mut patterns = Vec::new();
        let mut other_senses = Vec::new();
        for (i, e) in list.phrases.iter().enumerate() {
            for p in std::iter::once(&e.phrase).chain(&e.variants) {
                let folded = fold_pattern(p);
                if !folded.is_empty() {
                    patterns.push((i, folded));
                }
            }
            for p in &e.not_in {
                other_senses.push((i, fold_pattern(p)));
            }
        }
        Compiled {
            entries: list.phrases,
            patterns,
            other_senses,
        }
    })
}

/// The built-in list, in file order.
pub fn entries() -> &'static [Entry] {
    &compiled().entries
}

/// One listed phrase found in a text. Offsets are byte offsets into the text scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// The list entry's id.
    pub id: &'static str,
    /// The list entry's canonical phrase.
    pub phrase: &'static str,
    /// The text as written.
    pub matched: String,
    pub start: usize,
    pub end: usize,
    pub prompt: &'static str,
    pub reason: &'static str,
    pub source: &'static str,
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\u{2019}' | '\u{2018}' | '\u{02BC}')
}

/// Lowercase one character, reading curly apostrophes as straight ones. A character may lowercase to
/// several (İ → i + combining dot).
fn fold(c: char) -> impl Iterator<Item = char> {
    let c = if is_apostrophe(c) { '\'' } else { c };
    c.to_lowercase()
}

/// Folded pattern with whitespace runs collapsed to one space and trimmed.
fn fold_pattern(p: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    for c in p.chars().flat_map(fold) {
        if c.is_whitespace() {
            if out.last().is_some_and(|l| *l != ' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    if out.last() == Some(&' ') {
        out.pop();
    }
    out
}

/// One folded character, tied to the original character it came from so offsets stay in the original.
struct Unit {
    c: char,
    start: usize,
    end: usize,
    /// First / last folded character of its original character: a match may only begin and end at
    /// whole original characters.
    first: bool,
    last: bool,
}

fn units(text: &str) -> Vec<Unit> {
    let mut out = Vec::with_capacity(text.len());
    for (start, c) in text.char_indices() {
        let end = start + c.len_utf8();
        let before = out.len();
        for f in fold(c) {
            out.push(Unit {
                c: f,
                start,
                end,
                first: out.len() == before,
                last: false,
            });
        }
        if let Some(u) = out.last_mut() {
            u.last = true;
        }
    }
    out
}

fn boundary(c: Option<char>) -> bool {
    c.is_none_or(|c| !c.is_alphanumeric())
}

/// Where `pat` matches starting at unit `i`: the byte range in the original text.
fn match_at(units: &[Unit], i: usize, pat: &[char]) -> Option<(usize, usize)> {
    let mut j = i;
    for &pc in pat {
        if pc == ' ' {
            if !units.get(j)?.c.is_whitespace() {
                return None;
            }
            while units.get(j).is_some_and(|u| u.c.is_whitespace()) {
                j += 1;
            }
        } else {
            if units.get(j)?.c != pc {
                return None;
            }
            j += 1;
        }
    }
    let last = units.get(j.checked_sub(1)?)?;
    last.last.then_some((units[i].start, last.end))
}

/// Every occurrence of `pats` in `text` on word boundaries: (start, end, entry) in byte offsets.
fn occurrences(text: &str, us: &[Unit], pats: &[(usize, Vec<char>)]) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    for (i, u) in us.iter().enumerate() {
        if !u.first || !boundary(text[..u.start].chars().next_back()) {
            continue;
        }
        for (entry, pat) in pats {
            if let Some((s, e)) = match_at(us, i, pat) {
                if boundary(text[e..].chars().next()) {
                    found.push((s, e, *entry));
                }
            }
        }
    }
    found
}

/// Every listed phrase in `text`, in order, without overlaps, whatever its context.
pub fn find(text: &str) -> Vec<Match> {
    let list = compiled();
    let us = units(text);
    let mut found = occurrences(text, &us, &list.patterns);
    found.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
    let mut kept: Vec<(usize, usize, usize)> = Vec::new();
    for f in found {
        if kept.iter().all(|k| f.1 <= k.0 || f.0 >= k.1) {
            kept.push(f);
        }
    }
    kept.sort_by_key(|k| k.0);
    kept.into_iter()
        .map(|(start, end, i)| {
            let e = &list.entries[i];
            Match {
                id: &e.id,
                phrase: &e.phrase,
                matched: text[start..end].to_string(),
                start,
                end,
                prompt: &e.prompt,
                reason: &e.reason,
                source: &e.source,
            }
        })
        .collect()
}

/// Every listed phrase in `text` with the context rule that sets it aside, if one does (see the
/// module documentation).
pub fn assess(text: &str) -> Vec<(Match, Option<Context>)> {
    let matches = find(text);
    if matches.is_empty() {
        return Vec::new();
    }
    let list = compiled();
    let us = units(text);
    let other_senses = occurrences(text, &us, &list.other_senses);
    let toks = context::tokens(text);
    let quotes = context::quotations(text, &toks);
    matches
        .into_iter()
        .map(|m| {
            let entry = list.entries.iter().position(|e| e.id == m.id);
            let why = if other_senses
                .iter()
                .any(|&(s, e, i)| Some(i) == entry && s <= m.start && m.end <= e)
            {
                Some(Context::OtherSense)
            } else {
                context::judge(&toks, &quotes, m.start, m.end)
            };
            (m, why)
        })
        .collect()
}

/// The listed phrases in `text` that are prompts: every match no context rule sets aside.
pub fn scan(text: &str) -> Vec<Match> {
    assess(text)
        .into_iter()
        .filter_map(|(m, why)| why.is_none().then_some(m))
        .collect()
}

/// `sources` are (where the text is, the text), e.g. ("rationale", …) or
/// ("evidence: Tom Fletcher on C-102 working-with-interpreters", …). One warning per match.
pub fn check(sources: &[(String, String)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (place, text) in sources {
        let mut seen: Vec<&str> = Vec::new();
        for m in scan(text) {
            seen.push(m.id);
            let n = seen.iter().filter(|id| **id == m.id).count();
            let shown = m.matched.split_whitespace().collect::<Vec<_>>().join(" ");
            out.push(Finding::new(
                CHECK,
                Severity::Warning,
                format!(
                    "\"{shown}\" in the {place} — a prompt for reflection, not a verdict: {}",
                    m.prompt
                ),
                json!({
                    "key": format!("{place}|{}|{n}", m.id),
                    "where": place,
                    "id": m.id,
                    "phrase": m.phrase,
                    "matched": m.matched,
                    "start": m.start,
                    "end": m.end,
                    "prompt": m.prompt,
                    "reason": m.reason,
                    "source": m.source,
                }),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn phrases(text: &str) -> Vec<(&'static str, String)> {
        scan(text)
            .into_iter()
            .map(|m| (m.phrase, m.matched))
            .collect()
    }

    #[test]
    fn every_entry_parses_with_reason_and_source() {
        let es = entries();
        assert!(es.len() >= 20, "{}", es.len());
        for e in es {
            assert!(!e.phrase.trim().is_empty());
            assert!(!e.prompt.trim().is_empty(), "{}", e.phrase);
            assert!(!e.reason.trim().is_empty(), "{}", e.phrase);
            assert!(!e.source.trim().is_empty(), "{}", e.phrase);
            assert!(
                e.variants.iter().all(|v| !v.trim().is_empty()),
                "{}",
                e.phrase
            );
        }
    }

    #[test]
    fn no_pattern_is_listed_twice() {
        let mut seen: HashMap<Vec<char>, &str> = HashMap::new();
        for (i, p) in &compiled().patterns {
            let phrase = entries()[*i].phrase.as_str();
            if let Some(other) = seen.insert(p.clone(), phrase) {
                panic!(
                    "{:?} is listed under {other:?} and {phrase:?}",
                    p.iter().collect::<String>()
                );
            }
        }
    }

    #[test]
    fn every_phrase_and_variant_matches_itself_in_any_case() {
        for e in entries() {
            for p in std::iter::once(&e.phrase).chain(&e.variants) {
                for text in [p.clone(), p.to_uppercase(), format!("({p}).")] {
                    let m = scan(&text);
                    assert_eq!(m.len(), 1, "{text:?}: {m:?}");
                    assert_eq!(m[0].phrase, e.phrase, "{text:?}");
                    assert_eq!(m[0].matched.to_lowercase(), p.to_lowercase());
                }
            }
        }
    }

    #[test]
    fn word_boundaries() {
        assert!(scan("she seemed unready for the role").is_empty());
        assert!(scan("I cannot ready myself").is_empty());
        // "fit in" inside "benefit in".
        assert!(scan("a clear benefit in the team").is_empty());
        assert!(scan("accentuate the positive").is_empty());
        assert_eq!(
            phrases("strong accents"),
            [("accent", "accents".to_string())]
        );
        assert_eq!(phrases("accent's"), [("accent", "accent".to_string())]);
        assert_eq!(
            phrases("not ready."),
            [("not ready", "not ready".to_string())]
        );
        assert_eq!(
            phrases("over-qualified"),
            [("overqualified", "over-qualified".to_string())]
        );
    }

    #[test]
    fn case_insensitive_and_whitespace_tolerant() {
        assert_eq!(
            phrases("NOT READY"),
            [("not ready", "NOT READY".to_string())]
        );
        assert_eq!(
            phrases("a Good Fit"),
            [("culture fit", "Good Fit".to_string())]
        );
        let m = scan("was not\n   ready");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].matched, "not\n   ready");
        assert!(scan("notready").is_empty());
    }

    #[test]
    fn curly_apostrophes_read_as_straight() {
        let text = "She isn\u{2019}t ready yet";
        let m = scan(text);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].phrase, "not ready");
        assert_eq!(m[0].matched, "isn\u{2019}t ready");
        assert_eq!((m[0].start, m[0].end), (4, 4 + "isn\u{2019}t ready".len()));
        assert_eq!(
            phrases("couldn't understand him")[0].0,
            "hard to understand"
        );
    }

    #[test]
    fn multiple_matches_in_order_with_details() {
        let text = "Good fit, but not ready; gut feeling says strong accent.";
        let m = scan(text);
        let got: Vec<&str> = m.iter().map(|m| m.phrase).collect();
        assert_eq!(got, ["culture fit", "not ready", "gut feeling", "accent"]);
        for x in &m {
            assert_eq!(&text[x.start..x.end], x.matched);
            assert!(!x.reason.is_empty() && !x.source.is_empty() && !x.prompt.is_empty());
        }
    }

    #[test]
    fn overlapping_matches_keep_the_longest() {
        // "my gut" and "gut feeling" overlap: the longer wins.
        assert_eq!(
            phrases("my gut feeling"),
            [("gut feeling", "gut feeling".to_string())]
        );
        // "UK experience" and "experience in the UK" share "experience".
        assert_eq!(
            phrases("UK experience in the UK"),
            [("UK experience", "experience in the UK".to_string())]
        );
        // "good fit" (8) beats "fit in" (6).
        assert_eq!(
            phrases("a good fit in the team"),
            [("culture fit", "good fit".to_string())]
        );
    }

    #[test]
    fn offsets_refer_to_the_original_text() {
        // Lowercasing changes byte lengths here: İ (2 bytes → 3), Kelvin sign K (3 bytes → 1).
        let text = "İstanbul ÉQUIPE: NOT READY";
        let m = scan(text);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].start, text.find("NOT READY").unwrap());
        assert_eq!(&text[m[0].start..m[0].end], "NOT READY");
        let text = "our \u{212A}ind of person";
        let m = scan(text);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].matched, text);
        // A match cannot end inside the lowercase expansion of one character.
        assert_eq!(match_at(&units("İx"), 0, &['i']), None);
        assert_eq!(match_at(&units("İx"), 0, &['i', '\u{307}']), Some((0, 2)));
    }

    #[test]
    fn check_reports_where_and_why() {
        let f = check(&[
            ("rationale".into(), "C-104 was felt to be not ready.".into()),
            (
                "evidence: Tom Fletcher on C-102 working-with-interpreters".into(),
                "hard to\nfollow, strong accent".into(),
            ),
            ("evidence: clean".into(), "Booked an interpreter.".into()),
        ]);
        assert_eq!(f.len(), 3);
        assert!(f
            .iter()
            .all(|f| f.check == "language" && f.severity == Severity::Warning));
        assert!(f[0].message.starts_with(
            "\"not ready\" in the rationale — a prompt for reflection, not a verdict: Which criterion"
        ));
        assert!(f[1]
            .message
            .starts_with("\"hard to follow\" in the evidence: Tom Fletcher"));
        assert_eq!(f[1].data["matched"], "hard to\nfollow");
        assert_eq!(f[1].data["phrase"], "hard to understand");
        assert_eq!(
            f[2].data["where"],
            "evidence: Tom Fletcher on C-102 working-with-interpreters"
        );
        assert!(f[2].data["source"].as_str().unwrap().contains("Gluszek"));
        assert!(f[2].data["reason"].as_str().unwrap().len() > 10);
        assert_eq!(
            f[1].data["key"],
            "evidence: Tom Fletcher on C-102 working-with-interpreters|hard-to-understand|1"
        );
    }

    #[test]
    fn ids_are_unique_and_kebab_case_and_other_senses_contain_their_phrase() {
        let mut ids: Vec<&str> = entries().iter().map(|e| e.id.as_str()).collect();
        for id in &ids {
            assert!(
                !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id}"
            );
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), entries().len(), "ids are unique");
        for e in entries() {
            for p in &e.not_in {
                assert!(
                    find(p).iter().any(|m| m.id == e.id),
                    "not_in {p:?} does not contain {:?}",
                    e.phrase
                );
            }
        }
    }

    #[test]
    fn keys_name_the_place_the_phrase_and_its_count() {
        let text = "Strong accent. Not ready. Her accent again.";
        let f = check(&[("rationale".into(), text.into())]);
        let keys: Vec<&str> = f.iter().map(|f| f.data["key"].as_str().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "rationale|accent|1",
                "rationale|not-ready|2",
                "rationale|accent|2"
            ]
            .map(|k| k.replace("not-ready|2", "not-ready|1"))
        );
        assert_eq!(f[0].data["id"], "accent");
        // Another phrase appearing, or a client's anger set aside, leaves the other keys as they were.
        let edited =
            "Gut feeling: strong accent. The client was angry. Not ready. Her accent again.";
        let g = check(&[("rationale".into(), edited.into())]);
        let keys2: Vec<&str> = g.iter().map(|f| f.data["key"].as_str().unwrap()).collect();
        assert_eq!(
            keys2,
            [
                "rationale|gut-feeling|1",
                "rationale|accent|1",
                "rationale|not-ready|1",
                "rationale|accent|2"
            ]
        );
        // The same text in two places: two keys.
        let h = check(&[
            ("rationale".into(), "not ready".into()),
            ("reason".into(), "not ready".into()),
        ]);
        assert_ne!(h[0].data["key"], h[1].data["key"]);
    }

    #[test]
    fn context_sets_aside_words_about_clients_and_things_but_not_the_candidate() {
        let why = |text: &str| -> Vec<Option<Context>> {
            assess(text).into_iter().map(|(_, w)| w).collect()
        };
        assert_eq!(
            why("she de-escalated an aggressive client"),
            [Some(Context::AboutSomeoneElse)]
        );
        assert_eq!(
            why("the client was aggressive"),
            [Some(Context::AboutSomeoneElse)]
        );
        assert_eq!(why("she was aggressive with the client"), [None]);
        assert_eq!(
            why("she did not seem aggressive"),
            [None],
            "negation still prompts"
        );
        assert_eq!(
            why("the letter was hard to read"),
            [Some(Context::AboutAThing)]
        );
        assert_eq!(
            why("she was able to articulate the plan"),
            [Some(Context::OtherSense)]
        );
        assert_eq!(
            why("The vignette reads: \u{201C}Your client is angry about the wait.\u{201D}"),
            [Some(Context::QuotedScenario)]
        );
        assert_eq!(
            why("not a \u{201C}good fit\u{201D}"),
            [None],
            "scare quotes prompt"
        );
        // The client said it, about the candidate: "him" after the phrase keeps it a prompt.
        assert_eq!(why("the client couldn't understand him"), [None]);
        // A clause boundary ends the reach of "the client".
        assert_eq!(why("After the client left, aggressive in tone"), [None]);
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Labelled {
        phrase: String,
        prompt: bool,
        text: String,
        #[serde(default)]
        others: Vec<String>,
    }

    /// (true prompts, false prompts, missed prompts, sentences whose prompts differ from the label).
    fn score(
        corpus: &[Labelled],
        prompts: impl Fn(&str) -> Vec<Match>,
    ) -> (usize, usize, usize, Vec<String>) {
        let (mut tp, mut fp, mut missed) = (0, 0, 0);
        let mut wrong = Vec::new();
        for item in corpus {
            let found: std::collections::BTreeSet<&str> =
                prompts(&item.text).iter().map(|m| m.id).collect();
            let mut expected: std::collections::BTreeSet<&str> =
                item.others.iter().map(String::as_str).collect();
            if item.prompt {
                expected.insert(&item.phrase);
            }
            tp += found.intersection(&expected).count();
            fp += found.difference(&expected).count();
            missed += expected.difference(&found).count();
            if found != expected {
                let why: Vec<String> = assess(&item.text)
                    .iter()
                    .map(|(m, w)| format!("{} {:?}", m.id, w))
                    .collect();
                wrong.push(format!(
                    "  {:?}\n    expected {expected:?}, prompted {found:?}; context: {why:?}",
                    item.text
                ));
            }
        }
        (tp, fp, missed, wrong)
    }

    fn ratio(a: usize, b: usize) -> f64 {
        if b == 0 {
            1.0
        } else {
            a as f64 / b as f64
        }
    }

    #[test]
    fn corpus_labels_hold() {
        let corpus: Vec<Labelled> = crate::bank::from_yaml(
            include_str!("../../tests/data/language-corpus.yaml"),
            "tests/data/language-corpus.yaml",
        )
        .unwrap_or_else(|p| panic!("{p}"));
        assert!(corpus.len() >= 60, "{} sentences", corpus.len());
        for e in entries() {
            for label in [true, false] {
                assert!(
                    corpus.iter().any(|c| c.phrase == e.id && c.prompt == label),
                    "no sentence labelled prompt: {label} for {}",
                    e.id
                );
            }
        }
        for c in &corpus {
            assert!(
                find(&c.text).iter().any(|m| m.id == c.phrase),
                "{:?} does not contain {}",
                c.text,
                c.phrase
            );
        }
        let (tp, fp, missed, wrong) = score(&corpus, scan);
        let (ltp, lfp, lmissed, _) = score(&corpus, find);
        assert!(
            wrong.is_empty(),
            "precision {:.3}, recall {:.3} over {} sentences ({tp} true prompts, {fp} false, {missed} missed); \
             literal matching alone: precision {:.3}, recall {:.3}. Sentences that differ from their label:\n{}",
            ratio(tp, tp + fp),
            ratio(tp, tp + missed),
            corpus.len(),
            ratio(ltp, ltp + lfp),
            ratio(ltp, ltp + lmissed),
            wrong.join("\n")
        );
    }

    fn well_formed(text: &str, ms: &[Match]) -> Result<(), TestCaseError> {
        let mut prev_end = 0;
        for m in ms {
            prop_assert!(m.start < m.end);
            prop_assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
            prop_assert_eq!(&text[m.start..m.end], m.matched.as_str());
            prop_assert!(m.start >= prev_end, "overlap or out of order");
            prev_end = m.end;
        }
        Ok(())
    }

    fn any_pattern() -> impl Strategy<Value = String> {
        let all: Vec<String> = entries()
            .iter()
            .flat_map(|e| std::iter::once(e.phrase.clone()).chain(e.variants.clone()))
            .collect();
        prop::sample::select(all)
    }

    proptest! {
        #[test]
        fn scan_never_panics_and_offsets_are_char_boundaries(text in any::<String>()) {
            let ms = scan(&text);
            well_formed(&text, &ms)?;
        }

        #[test]
        fn a_phrase_set_apart_is_always_found(
            before in "\\PC{0,12}",
            p in any_pattern(),
            upper in any::<bool>(),
            after in "\\PC{0,12}",
        ) {
            let p = if upper { p.to_uppercase() } else { p };
            let text = format!("{before} {p} {after}");
            // Literal detection; whether the context then sets it aside (random text can make
            // "Gp not ready" about a GP) is the context rules' business, tested on the corpus.
            let ms = find(&text);
            well_formed(&text, &ms)?;
            let (s, e) = (before.len() + 1, before.len() + 1 + p.len());
            // The phrase itself or a longer overlapping one.
            prop_assert!(ms.iter().any(|m| m.start < e && m.end > s), "{text:?}: {ms:?}");
        }
    }
}
