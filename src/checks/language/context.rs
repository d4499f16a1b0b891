//! Context rules for the language check: who or what a matched phrase is about. Word lists, not a
//! parser: the rules fire only in narrow, common patterns and otherwise leave the phrase a prompt.

use super::Context;

/// One word of the text. `word` is lowercase with curly apostrophes straightened and a possessive
/// "'s" or trailing "'" removed ("client's" → "client").
#[derive(Debug)]
pub(super) struct Tok {
    start: usize,
    end: usize,
    word: String,
    /// Original spelling, for candidate references such as "C-102".
    raw: String,
    clause: usize,
    sentence: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Someone other than the candidate or the panel: a client, a caller, a colleague in a scenario.
    Third,
    /// A thing that can be hard to read or a good fit: a letter, a question, a treatment.
    Thing,
    /// The candidate, or what the candidate produced (their answers, their formulation).
    Candidate,
    /// The panel writing the note.
    Panel,
    /// "they", "them", "their": refers back to whoever was named before it in the clause.
    Ambiguous,
}

const THIRD: &[&str] = &[
    "client",
    "clients",
    "patient",
    "patients",
    "user",
    "users",
    "caller",
    "callers",
    "carer",
    "carers",
    "relative",
    "relatives",
    "family",
    "partner",
    "husband",
    "wife",
    "mother",
    "mum",
    "father",
    "dad",
    "parent",
    "parents",
    "son",
    "daughter",
    "child",
    "children",
    "teenager",
    "man",
    "men",
    "woman",
    "women",
    "gentleman",
    "lady",
    "colleague",
    "colleagues",
    "supervisee",
    "supervisees",
    "manager",
    "managers",
    "supervisor",
    "boss",
    "employer",
    "gp",
    "receptionist",
    "staff",
    "team",
    "role-player",
    "roleplayer",
    "actor",
    "referrer",
    "people",
    "public",
];

const THING: &[&str] = &[
    "caseload",
    "caseloads",
    "workload",
    "leaflet",
    "leaflets",
    "worksheet",
    "worksheets",
    "handout",
    "letter",
    "letters",
    "handwriting",
    "referral",
    "form",
    "forms",
    "questionnaire",
    "diary",
    "homework",
    "rota",
    "system",
    "software",
    "policy",
    "guidance",
    "scenario",
    "vignette",
    "question",
    "questions",
    "symptoms",
    "panic",
    "anxiety",
    "mood",
    "risk",
    "situation",
    "treatment",
    "intervention",
    "therapy",
    "approach",
    "model",
    "plan",
    "cbt",
    "self-help",
    "step",
    "session",
    "sessions",
    "appointment",
    "case",
];

const CANDIDATE: &[&str] = &[
    "he",
    "she",
    "him",
    "her",
    "his",
    "hers",
    "himself",
    "herself",
    "candidate",
    "candidates",
    "applicant",
    "applicants",
    "interviewee",
    "you",
    "your",
    "pwp",
    "therapist",
    "practitioner",
    "clinician",
    "answer",
    "answers",
    "response",
    "responses",
    "explanation",
    "formulation",
    "example",
    "examples",
    "presentation",
    "reasoning",
    "delivery",
    "manner",
    "tone",
];

const PANEL: &[&str] = &[
    "i",
    "me",
    "my",
    "we",
    "us",
    "our",
    "panel",
    "panellist",
    "panellists",
    "panelist",
    "interviewer",
    "interviewers",
    "chair",
];

const AMBIGUOUS: &[&str] = &["they", "them", "their", "themselves"];

/// Words that, between a third party and the phrase, usually start a new subject or make the third
/// party the object of what someone else did ("she spoke over the caller in a hostile tone").
const BREAK: &[&str] = &[
    "but", "so", "then", "while", "whereas", "although", "though", "because", "if", "in", "into",
    "at", "towards", "toward", "for", "from", "by", "on", "onto", "than", "after", "before",
    "during",
];

/// Words that end a phrase's reach forward to the person it describes ("aggressive to the client").
const ATTRIBUTIVE_STOP: &[&str] = &[
    "the", "a", "an", "was", "were", "is", "are", "be", "been", "with", "to", "towards", "toward",
    "at", "by", "for", "from", "in", "on", "of", "about", "who", "that", "which", "than", "as",
    "then", "so", "but", "when", "while",
];

/// Words before a quotation that mark it as the scenario's text.
const SCENARIO_CUES: &[&str] = &[
    "scenario",
    "vignette",
    "role-play",
    "roleplay",
    "case",
    "study",
    "question",
    "prompt",
    "script",
    "brief",
    "referral",
    "reads",
];

/// Verbs that make the word before them a clause's subject: "the client was tearful and angry".
const LINKING: &[&str] = &[
    "was", "is", "were", "are", "became", "becomes", "seemed", "seems", "felt", "feels", "looked",
    "looks", "sounded", "sounds", "got", "gets", "appeared", "appears",
];

/// How far back from a phrase a third party may stand and still be what it describes.
const REACH_BACK: usize = 5;
/// How many words may stand between a phrase and the third party it describes after it.
const REACH_FORWARD: usize = 2;

fn is_reference(raw: &str) -> bool {
    // Candidate references such as C-102 or CAND-7: letters, a hyphen, digits.
    let Some((head, tail)) = raw.split_once('-') else {
        return false;
    };
    !head.is_empty()
        && head.len() <= 5
        && head.chars().all(|c| c.is_ascii_alphabetic())
        && !tail.is_empty()
        && tail.chars().all(|c| c.is_ascii_digit())
}

fn class(toks: &[Tok], i: usize) -> Option<Class> {
    let w = toks[i].word.as_str();
    if is_reference(&toks[i].raw) {
        return Some(Class::Candidate);
    }
    // "person" is a third party only as "young person": "a difficult person" is a listed phrase.
    if w == "person" && i > 0 && toks[i - 1].word == "young" {
        return Some(Class::Third);
    }
    if THIRD.contains(&w) {
        Some(Class::Third)
    } else if THING.contains(&w) {
        Some(Class::Thing)
    } else if CANDIDATE.contains(&w) {
        Some(Class::Candidate)
    } else if PANEL.contains(&w) {
        Some(Class::Panel)
    } else if AMBIGUOUS.contains(&w) {
        Some(Class::Ambiguous)
    } else {
        None
    }
}

fn is_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '\u{201C}' | '\u{201D}' | '\u{2018}' | '\u{2019}' | '\''
    )
}

fn apostrophe_in_word(prev: Option<char>, next: Option<char>) -> bool {
    prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric)
}

/// The text's words, each with the clause and sentence it is in. Clauses end at punctuation that
/// separates phrases (, ; : ( ) dashes, quotation marks); sentences at . ! ? ; and line breaks.
pub(super) fn tokens(text: &str) -> Vec<Tok> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut toks = Vec::new();
    let (mut clause, mut sentence) = (0, 0);
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let prev = i.checked_sub(1).map(|j| chars[j].1);
        let next = chars.get(i + 1).map(|x| x.1);
        if c.is_alphanumeric() {
            let start = at;
            let mut j = i;
            // A word runs on through letters, digits and an apostrophe or hyphen between them.
            while j < chars.len() {
                let c = chars[j].1;
                let joins = matches!(c, '\'' | '\u{2019}' | '-')
                    && chars.get(j + 1).is_some_and(|x| x.1.is_alphanumeric())
                    && j > i;
                if c.is_alphanumeric() || joins {
                    j += 1;
                } else {
                    break;
                }
            }
            let end = chars.get(j).map_or(text.len(), |x| x.0);
            let raw = &text[start..end];
            let mut word = raw.to_lowercase().replace('\u{2019}', "'");
            if let Some(w) = word.strip_suffix("'s") {
                word = w.to_string();
            }
            toks.push(Tok {
                start,
                end,
                word,
                raw: raw.to_string(),
                clause,
                sentence,
            });
            i = j;
            continue;
        }
        let decimal = c == '.'
            && prev.is_some_and(|p| p.is_ascii_digit())
            && next.is_some_and(|n| n.is_ascii_digit());
        match c {
            '.' | '!' | '?' | ';' | '\n' if !decimal => {
                sentence += 1;
                clause += 1;
            }
            ',' | ':' | '(' | ')' | '[' | ']' | '\u{2013}' | '\u{2014}' => clause += 1,
            '-' if prev.is_some_and(char::is_whitespace) => clause += 1,
            q if is_quote(q) && !apostrophe_in_word(prev, next) => clause += 1,
            _ => {}
        }
        i += 1;
    }
    toks
}

/// A quotation: the byte range inside its marks, and whether it reads as scenario text or someone
/// else's words (four or more words, introduced in its sentence by a scenario cue or a third party).
pub(super) struct Quotation {
    start: usize,
    end: usize,
    scenario: bool,
}

/// Quotations in straight or curly, double or single marks. A single mark inside a word is an
/// apostrophe; an opening mark follows the start, a space or an opening bracket.
pub(super) fn quotations(text: &str, toks: &[Tok]) -> Vec<Quotation> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut open: Option<(usize, char)> = None;
    for (i, &(at, c)) in chars.iter().enumerate() {
        if !is_quote(c) {
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j].1);
        let next = chars.get(i + 1).map(|x| x.1);
        if apostrophe_in_word(prev, next) {
            continue;
        }
        match open {
            Some((from, mark)) if closes(mark, c) && !next.is_some_and(char::is_alphanumeric) => {
                let inside = from + mark.len_utf8();
                let words: Vec<&Tok> = toks
                    .iter()
                    .filter(|t| t.start >= inside && t.end <= at)
                    .collect();
                let sentence = words.first().map(|t| t.sentence);
                let cue = toks
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.end <= from && Some(t.sentence) == sentence)
                    .any(|(k, t)| {
                        SCENARIO_CUES.contains(&t.word.as_str())
                            || class(toks, k) == Some(Class::Third)
                    });
                out.push(Quotation {
                    start: inside,
                    end: at,
                    scenario: words.len() >= 4 && cue,
                });
                open = None;
            }
            None if prev.is_none_or(|p| p.is_whitespace() || matches!(p, '(' | '[' | ':')) => {
                open = Some((at, c));
            }
            _ => {}
        }
    }
    out
}

fn closes(open: char, close: char) -> bool {
    match open {
        '"' => close == '"',
        '\u{201C}' => close == '\u{201D}' || close == '"',
        '\u{2018}' => close == '\u{2019}' || close == '\'',
        '\'' => close == '\'' || close == '\u{2019}',
        _ => false,
    }
}

/// The context rule, if any, that sets aside the match at `start..end`.
pub(super) fn judge(
    toks: &[Tok],
    quotes: &[Quotation],
    start: usize,
    end: usize,
) -> Option<Context> {
    if quotes
        .iter()
        .any(|q| q.scenario && q.start <= start && end <= q.end)
    {
        return Some(Context::QuotedScenario);
    }
    let first_after = toks.iter().position(|t| t.start >= end);
    let last_before = toks.iter().rposition(|t| t.end <= start);
    let clause = toks
        .iter()
        .find(|t| t.start >= start)
        .or_else(|| last_before.map(|i| &toks[i]))
        .map(|t| t.clause);

    // The candidate named straight after the phrase is its object: "couldn't understand him".
    if let Some(i) = first_after {
        if Some(toks[i].clause) == clause && class(toks, i) == Some(Class::Candidate) {
            return None;
        }
    }

    // Back from the phrase: the nearest person or thing named in the clause, within reach.
    if let Some(last) = last_before {
        // Past "and" or "or", a third party is still what the phrase describes only as the subject
        // of both ("the client was tearful and angry"), not as the object of what the candidate did
        // ("dismissive of the caller and quite confrontational").
        let mut joined = false;
        for (words, i) in (0..=last).rev().enumerate() {
            let t = &toks[i];
            if Some(t.clause) != clause || words >= REACH_BACK {
                break;
            }
            if BREAK.contains(&t.word.as_str()) {
                break;
            }
            if matches!(t.word.as_str(), "and" | "or") {
                joined = true;
            }
            let subject = || {
                !joined
                    || toks
                        .get(i + 1)
                        .is_some_and(|n| LINKING.contains(&n.word.as_str()))
            };
            match class(toks, i) {
                Some(Class::Third) if subject() => return Some(Context::AboutSomeoneElse),
                Some(Class::Thing) if subject() => return Some(Context::AboutAThing),
                Some(Class::Third) | Some(Class::Thing) => break,
                Some(Class::Candidate) | Some(Class::Panel) => break,
                Some(Class::Ambiguous) | None => {}
            }
        }
    }

    // Forward: the phrase describes a third party that follows it ("an aggressive, distressed
    // client"), or something of theirs ("hostile remarks from the caller").
    if let Some(first) = first_after {
        let sentence = toks[first].sentence;
        let mut i = first;
        let mut words = 0;
        while i < toks.len() && toks[i].sentence == sentence {
            let w = toks[i].word.as_str();
            match class(toks, i) {
                Some(Class::Third) => return Some(Context::AboutSomeoneElse),
                Some(_) => return None,
                None => {}
            }
            if matches!(w, "from" | "of" | "by") && words >= 1 {
                // "… behaviour from a (service) user": the third party after at most an article and
                // one more word.
                let mut j = i + 1;
                if toks
                    .get(j)
                    .is_some_and(|t| matches!(t.word.as_str(), "a" | "an" | "the"))
                {
                    j += 1;
                }
                let third = (j..j + 2).any(|k| {
                    toks.get(k).is_some_and(|t| t.sentence == sentence)
                        && class(toks, k) == Some(Class::Third)
                });
                return third.then_some(Context::AboutSomeoneElse);
            }
            if ATTRIBUTIVE_STOP.contains(&w) || words >= REACH_FORWARD {
                return None;
            }
            words += 1;
            i += 1;
        }
    }
    None
}
