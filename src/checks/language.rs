//! Language: phrases in rationales and evidence notes that research links to biased judgements
//! ("not ready", "culture fit", remarks on accent, …), shown as prompts for reflection, never verdicts.
//!
//! The list is `language.yaml`, compiled in. Matching is literal: every phrase and variant, ignoring
//! case (Unicode lowercase), on word boundaries (start or end of text, or a character that is not a
//! letter or digit), with curly apostrophes read as straight ones and any run of whitespace matching a
//! space. Where matches overlap, the longest is kept (the earlier on a tie in length).

use super::{Finding, Severity};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::OnceLock;

const CHECK: &str = "language";
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
    pub phrase: String,
    #[serde(default)]
    pub variants: Vec<String>,
    /// The question to put to the panel.
    pub prompt: String,
    /// What research says about judgements phrased this way.
    pub reason: String,
    pub source: String,
}

struct Compiled {
    entries: Vec<Entry>,
    /// (entry index, folded pattern) for every phrase and variant.
    patterns: Vec<(usize, Vec<char>)>,
}

fn compiled() -> &'static Compiled {
    static LIST_CELL: OnceLock<Compiled> = OnceLock::new();
    LIST_CELL.get_or_init(|| {
        let list: PhraseList = crate::bank::from_yaml(LIST, "src/checks/language.yaml")
            .unwrap_or_else(|p| panic!("built-in phrase list is invalid: {p}"));
        let mut patterns = Vec::new();
        for (i, e) in list.phrases.iter().enumerate() {
            for p in std::iter::once(&e.phrase).chain(&e.variants) {
                let folded = fold_pattern(p);
                if !folded.is_empty() {
                    patterns.push((i, folded));
                }
            }
        }
        Compiled {
            entries: list.phrases,
            patterns,
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

/// Every listed phrase in `text`, in order, without overlaps.
pub fn scan(text: &str) -> Vec<Match> {
    let list = compiled();
    let us = units(text);
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    for (i, u) in us.iter().enumerate() {
        if !u.first || !boundary(text[..u.start].chars().next_back()) {
            continue;
        }
        for (entry, pat) in &list.patterns {
            if let Some((s, e)) = match_at(&us, i, pat) {
                if boundary(text[e..].chars().next()) {
                    found.push((s, e, *entry));
                }
            }
        }
    }
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

/// `sources` are (where the text is, the text), e.g. ("rationale", …) or
/// ("evidence: Tom Fletcher on C-102 working-with-interpreters", …). One warning per match.
pub fn check(sources: &[(String, String)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (place, text) in sources {
        for m in scan(text) {
            let shown = m.matched.split_whitespace().collect::<Vec<_>>().join(" ");
            out.push(Finding::new(
                CHECK,
                Severity::Warning,
                format!(
                    "\"{shown}\" in the {place} — a prompt for reflection, not a verdict: {}",
                    m.prompt
                ),
                json!({
                    "where": place,
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
            let ms = scan(&text);
            well_formed(&text, &ms)?;
            let (s, e) = (before.len() + 1, before.len() + 1 + p.len());
            // The phrase itself or a longer overlapping one.
            prop_assert!(ms.iter().any(|m| m.start < e && m.end > s), "{text:?}: {ms:?}");
        }
    }
}
