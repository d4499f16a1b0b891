//! Question banks: YAML files of questions with an anchored rating scale.
//!
//! Loading reports every problem with `file:line:column`. Syntax and type errors carry the parser's
//! own position; rule violations (duplicate ids, missing anchors, …) are located by finding the
//! offending key in the source, so the position points at the question concerned.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;

/// Categories every bank may use without declaring them.
pub const CATEGORIES: [&str; 4] = ["competency", "clinical", "values", "diversity-attitude"];
pub const DIVERSITY: &str = "diversity-attitude";
/// Banks larger than this are refused before parsing: no real bank comes close.
pub const MAX_BANK_BYTES: usize = 1024 * 1024;

/// Longest question text, probe or anchor in a new bank: a few sentences, read aloud or at a glance.
pub const MAX_QUESTION_TEXT: usize = 1000;
/// Most questions in one bank, and probes to one question.
pub const MAX_QUESTIONS: usize = 500;
pub const MAX_PROBES: usize = 50;

/// Banks compiled into the binary (file name, contents).
pub const BUNDLED: &[(&str, &str)] = &[(
    "nhs-talking-therapies.yaml",
    include_str!("../question-banks/nhs-talking-therapies.yaml"),
)];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Bank {
    pub id: String,
    pub title: String,
    pub version: u32,
    /// A bank meant for interviews must hold a diversity-attitude question.
    #[serde(default = "yes")]
    pub interview: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Extra, bank-defined categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    pub scale: Scale,
    pub questions: Vec<Question>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub min: i64,
    pub max: i64,
    #[serde(default)]
    pub labels: BTreeMap<i64, String>,
}

/// Scale ends fairpanel accepts in a new bank: far beyond any rating scale, and small enough that sums
/// and differences of scores can never overflow.
pub const MAX_SCALE_END: i64 = 1000;
/// Most points a scale may have.
pub const MAX_SCALE_POINTS: i64 = 101;

impl Scale {
    /// max − min, computed in floating point so that no pair of ends can overflow it.
    pub fn width(&self) -> f64 {
        self.max as f64 - self.min as f64
    }
    pub fn contains(&self, s: i64) -> bool {
        (self.min..=self.max).contains(&s)
    }
    pub fn points(&self) -> impl Iterator<Item = i64> {
        self.min..=self.max
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub category: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
    #[serde(default)]
    pub probes: Vec<String>,
    pub anchors: BTreeMap<i64, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// Weights are relative importance (1 unless given): a hundredfold difference either way is as far as
/// any plan needs, and keeps every weighted sum of scores finite.
pub const MIN_WEIGHT: f64 = 0.01;
pub const MAX_WEIGHT: f64 = 100.0;

impl Question {
    pub fn weight(&self) -> f64 {
        self.weight.unwrap_or(1.0)
    }
}

impl Bank {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
    pub fn label(&self, score: i64) -> Option<&str> {
        self.scale.labels.get(&score).map(String::as_str)
    }
}

/// One problem found in a bank, with its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// All problems found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Deserialize new YAML input, turning the parser's error into `file:line:col: message`. Files over
/// [`MAX_BANK_BYTES`], nesting, alias expansion and repeated keys are refused first (see
/// [`crate::yaml`]).
pub fn from_yaml<T: serde::de::DeserializeOwned>(src: &str, file: &str) -> Result<T, Problem> {
    from_yaml_with(src, file, crate::yaml::Duplicates::Refuse)
}

fn from_yaml_with<T: serde::de::DeserializeOwned>(
    src: &str,
    file: &str,
    duplicates: crate::yaml::Duplicates,
) -> Result<T, Problem> {
    if src.len() > MAX_BANK_BYTES {
        return Err(Problem {
            file: file.into(),
            line: 1,
            column: 1,
            message: format!(
                "file is {} bytes; the limit is {} bytes",
                src.len(),
                MAX_BANK_BYTES
            ),
        });
    }
    crate::yaml::check(src, duplicates).map_err(|r| Problem {
        file: file.into(),
        line: r.line,
        column: r.column,
        message: r.message,
    })?;
    yaml_serde::from_str(src).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        let mut message = e.to_string();
        // The parser appends its own position, which ours repeats in front; other positions in the
        // message (where a quote or key began) stay, since they say where to look.
        let own = format!(" at line {line} column {column}");
        if let Some(i) = message.rfind(&own) {
            message.replace_range(i..i + own.len(), "");
        }
        Problem {
            file: file.into(),
            line,
            column,
            message,
        }
    })
}

/// Which rules a bank is held to.
///
/// A new bank (a file given to `bank validate` or `vacancy create`) meets every current rule. A bank
/// the record already holds was checked by the rules of the day it was stored, and replaying the
/// record must not call it altered when a later fairpanel tightens them: it is held only to the rules
/// every fairpanel has applied, and to the limits that keep reading it safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    Door,
    Recorded,
}

/// Parse and validate a new bank's source text. `file` names it in messages.
pub fn parse(src: &str, file: &str) -> Result<Bank, Problems> {
    parse_with(src, file, Rules::Door)
}

/// Parse a bank stored in the record (see [`Rules`]).
pub fn parse_recorded(src: &str, file: &str) -> Result<Bank, Problems> {
    parse_with(src, file, Rules::Recorded)
}

fn parse_with(src: &str, file: &str, rules: Rules) -> Result<Bank, Problems> {
    // Earlier versions kept the last of a repeated key (two anchors for one point): a stored bank
    // that has one still reads as it always did.
    let duplicates = match rules {
        Rules::Door => crate::yaml::Duplicates::Refuse,
        Rules::Recorded => crate::yaml::Duplicates::Allow,
    };
    let bank: Bank = from_yaml_with(src, file, duplicates).map_err(|p| Problems(vec![p]))?;
    let problems = validate(&bank, src, file, rules);
    if problems.is_empty() {
        Ok(bank)
    } else {
        Err(Problems(problems))
    }
}

pub fn load_file(path: &Path) -> Result<Bank, Problems> {
    let file = path.display().to_string();
    let src = read_text(path).map_err(|message| {
        Problems(vec![Problem {
            file: file.clone(),
            line: 1,
            column: 1,
            message,
        }])
    })?;
    parse(&src, &file)
}

/// Read a text file with a size limit and a clear message for non-UTF-8 content.
pub fn read_text(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() as usize > MAX_BANK_BYTES {
        return Err(format!(
            "file is {} bytes; the limit is {} bytes",
            meta.len(),
            MAX_BANK_BYTES
        ));
    }
    // The size on disk says nothing for a pipe or a device: the read itself is limited too.
    let bytes =
        crate::fsutil::read_limited(path, MAX_BANK_BYTES as u64).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => {
                format!("file is {e}; the limit is {MAX_BANK_BYTES} bytes")
            }
            _ => format!("cannot read: {e}"),
        })?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {}); save the file as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Every bundled bank, parsed. Bundled banks are checked by the test suite, so failure here is a bug.
pub fn bundled() -> Vec<(Bank, &'static str)> {
    BUNDLED
        .iter()
        .map(|(name, src)| {
            let bank = parse(src, name).unwrap_or_else(|e| panic!("bundled bank {name}: {e}"));
            (bank, *src)
        })
        .collect()
}

/// A bank by bundled id, or else by file path. Returns the bank and its exact source text.
pub fn resolve(spec: &str) -> anyhow::Result<(Bank, String)> {
    let path = Path::new(spec);
    if path.exists() {
        let file = path.display().to_string();
        let src = read_text(path).map_err(|m| anyhow::anyhow!("{file}: {m}"))?;
        let bank = parse(&src, &file)?;
        return Ok((bank, src));
    }
    if let Some((bank, src)) = bundled().into_iter().find(|(b, _)| b.id == spec) {
        return Ok((bank, src.to_string()));
    }
    let known: Vec<String> = bundled().into_iter().map(|(b, _)| b.id).collect();
    anyhow::bail!(
        "no bank {spec:?}: not a file, and not a bundled bank (bundled: {})",
        known.join(", ")
    )
}

/// Lowercase letters, digits, `-` and `_`, at most 64: bank ids, question ids and categories.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Rule checks on a parsed bank. Positions come from `src`.
pub fn validate(bank: &Bank, src: &str, file: &str, rules: Rules) -> Vec<Problem> {
    let loc = Locator::new(src);
    let mut out = Vec::new();
    let mut push = |(line, column): (usize, usize), message: String| {
        out.push(Problem {
            file: file.into(),
            line,
            column,
            message,
        })
    };
    if !is_slug(&bank.id) {
        push(
            loc.key("id", 0),
            format!(
                "bank id {:?} must be lowercase letters, digits and hyphens",
                bank.id
            ),
        );
    }
    // What a new bank's text may be: it appears in prompts, reports and terminals. `None` is fine.
    let door = rules == Rules::Door;
    let name_rule = |s: &str, what: &str| {
        door.then(|| crate::model::check_name(s, what).err())
            .flatten()
            .map(|e| e.to_string())
    };
    let text_rule = |s: &str, what: &str, max: usize| {
        door.then(|| crate::model::check_text_max(s, what, max).err())
            .flatten()
            .map(|e| e.to_string())
    };
    if let Some(m) = name_rule(&bank.title, "the bank's title") {
        push(loc.key("title", 0), m);
    }
    if let Some(m) = bank
        .description
        .as_deref()
        .and_then(|d| text_rule(d, "the description", crate::model::MAX_TEXT))
    {
        push(loc.key("description", 0), m);
    }
    for c in bank.categories.iter().filter(|c| door && !is_slug(c)) {
        push(
            loc.key("categories", 0),
            format!("category {c:?} must be lowercase letters, digits and hyphens"),
        );
    }
    if door && bank.questions.len() > MAX_QUESTIONS {
        push(
            loc.key("questions", 0),
            format!(
                "the bank has {} questions; the limit is {MAX_QUESTIONS}",
                bank.questions.len()
            ),
        );
        return out;
    }
    let scale = &bank.scale;
    if rules == Rules::Door
        && [scale.min, scale.max]
            .iter()
            .any(|e| e.abs_diff(0) > MAX_SCALE_END as u64)
    {
        push(
            loc.key("scale", 0),
            format!(
                "scale min ({}) and max ({}) must each lie between -{MAX_SCALE_END} and {MAX_SCALE_END}",
                scale.min, scale.max
            ),
        );
        return out;
    }
    if scale.min >= scale.max {
        push(
            loc.key("scale", 0),
            format!(
                "scale min ({}) must be below max ({})",
                scale.min, scale.max
            ),
        );
        return out;
    }
    // Checked: the ends of a stored bank are not bounded, and a wrapped width would pass this test.
    if scale
        .max
        .checked_sub(scale.min)
        .is_none_or(|w| w >= MAX_SCALE_POINTS)
    {
        push(
            loc.key("scale", 0),
            format!("a scale may have at most {MAX_SCALE_POINTS} points"),
        );
        return out;
    }
    for (k, label) in &scale.labels {
        if let Some(m) = name_rule(label, &format!("the scale label for {k}")) {
            push(loc.key("labels", 0), m);
        }
        if !scale.contains(*k) {
            push(
                loc.key("labels", 0),
                format!(
                    "scale label for {k} is outside the scale {}..{}",
                    scale.min, scale.max
                ),
            );
        }
    }
    if bank.questions.is_empty() {
        push(loc.key("questions", 0), "the bank has no questions".into());
    }
    let mut seen: HashSet<&str> = HashSet::new();
    let mut occurrences: BTreeMap<&str, usize> = BTreeMap::new();
    for q in &bank.questions {
        let nth = *occurrences.entry(q.id.as_str()).or_default();
        occurrences.insert(q.id.as_str(), nth + 1);
        let at = loc.id_line(&q.id, nth);
        if !is_slug(&q.id) {
            push(
                at,
                format!(
                    "question id {:?} must be lowercase letters, digits and hyphens",
                    q.id
                ),
            );
        }
        if !seen.insert(q.id.as_str()) {
            push(at, format!("duplicate question id {:?}", q.id));
        }
        if q.text.trim().is_empty() {
            push(at, format!("question {:?} has no text", q.id));
        } else if let Some(m) = text_rule(&q.text, "the text", MAX_QUESTION_TEXT) {
            push(loc.after(at, "text:"), format!("question {:?}: {m}", q.id));
        }
        if let Some(m) = q
            .guidance
            .as_deref()
            .and_then(|g| text_rule(g, "the guidance", crate::model::MAX_TEXT))
        {
            push(
                loc.after(at, "guidance:"),
                format!("question {:?}: {m}", q.id),
            );
        }
        if door && q.probes.len() > MAX_PROBES {
            push(
                loc.after(at, "probes:"),
                format!(
                    "question {:?} has {} probes; the limit is {MAX_PROBES}",
                    q.id,
                    q.probes.len()
                ),
            );
        }
        for (i, probe) in q.probes.iter().enumerate() {
            if let Some(m) = text_rule(probe, &format!("probe {}", i + 1), MAX_QUESTION_TEXT) {
                push(
                    loc.after(at, "probes:"),
                    format!("question {:?}: {m}", q.id),
                );
            }
        }
        for (point, anchor) in &q.anchors {
            // A blank anchor is reported below as a missing one.
            if anchor.trim().is_empty() {
                continue;
            }
            let what = format!("the anchor for {point}");
            if let Some(m) = text_rule(anchor, &what, MAX_QUESTION_TEXT) {
                push(
                    loc.after(at, "anchors:"),
                    format!("question {:?}: {m}", q.id),
                );
            }
        }
        for role in &q.roles {
            if let Some(m) = name_rule(role, "a role") {
                push(loc.after(at, "roles:"), format!("question {:?}: {m}", q.id));
            }
        }
        if !CATEGORIES.contains(&q.category.as_str()) && !bank.categories.contains(&q.category) {
            push(
                loc.after(at, "category:"),
                format!(
                    "question {:?}: unknown category {:?} (known: {}{}; a bank may declare more under `categories:`)",
                    q.id,
                    q.category,
                    CATEGORIES.join(", "),
                    if bank.categories.is_empty() { String::new() } else { format!(", {}", bank.categories.join(", ")) }
                ),
            );
        }
        let missing: Vec<String> = scale
            .points()
            .filter(|p| q.anchors.get(p).is_none_or(|a| a.trim().is_empty()))
            .map(|p| p.to_string())
            .collect();
        if !missing.is_empty() {
            push(
                loc.after(at, "anchors:"),
                format!(
                    "question {:?}: no anchor for scale point{} {} (every point from {} to {} needs a behavioural description)",
                    q.id,
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(", "),
                    scale.min,
                    scale.max
                ),
            );
        }
        let outside: Vec<String> = q
            .anchors
            .keys()
            .filter(|k| !scale.contains(**k))
            .map(|k| k.to_string())
            .collect();
        if !outside.is_empty() {
            push(
                loc.after(at, "anchors:"),
                format!(
                    "question {:?}: anchor for {} is outside the scale {}..{}",
                    q.id,
                    outside.join(", "),
                    scale.min,
                    scale.max
                ),
            );
        }
        if let Some(w) = q.weight {
            let ok = match rules {
                Rules::Door => (MIN_WEIGHT..=MAX_WEIGHT).contains(&w),
                Rules::Recorded => w.is_finite() && w > 0.0,
            };
            if !ok {
                push(
                    loc.after(at, "weight:"),
                    format!(
                        "question {:?}: weight {} is not a number from {MIN_WEIGHT} to {MAX_WEIGHT}",
                        q.id,
                        // Plain unless that would run to hundreds of digits.
                        if w == 0.0 || (1e-3..1e6).contains(&w.abs()) { w.to_string() } else { format!("{w:e}") }
                    ),
                );
            }
        }
    }
    if bank.interview && !bank.questions.iter().any(|q| q.category == DIVERSITY) {
        push(
            loc.key("questions", 0),
            "a bank meant for interviews needs at least one `diversity-attitude` question \
             (or set `interview: false` for a bank of extra questions)"
                .into(),
        );
    }
    out
}

/// Finds keys in YAML source text to give rule violations a position.
struct Locator<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Locator<'a> {
    fn new(src: &'a str) -> Self {
        Locator {
            lines: src.lines().collect(),
        }
    }

    /// The nth line holding `key:` (1-based line, column of the key).
    fn key(&self, key: &str, nth: usize) -> (usize, usize) {
        let pat = format!("{key}:");
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let t = l.trim_start().trim_start_matches("- ");
                t.starts_with(&pat).then(|| (i + 1, l.len() - t.len() + 1))
            })
            .nth(nth)
            .unwrap_or((1, 1))
    }

    /// The nth `id: <id>` line of a question.
    fn id_line(&self, id: &str, nth: usize) -> (usize, usize) {
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let t = l.trim_start().trim_start_matches("- ");
                let rest = t.strip_prefix("id:")?.trim();
                let rest = rest.split(" #").next().unwrap_or(rest).trim();
                (rest.trim_matches(|c| c == '"' || c == '\'') == id)
                    .then(|| (i + 1, l.len() - t.len() + 1))
            })
            .nth(nth)
            .unwrap_or((1, 1))
    }

    /// The first `key:` at or after `from`'s line within the same list item.
    fn after(&self, from: (usize, usize), key: &str) -> (usize, usize) {
        for (i, l) in self.lines.iter().enumerate().skip(from.0) {
            let t = l.trim_start();
            if t.starts_with("- id:") {
                break;
            }
            if t.starts_with(key) {
                return (i + 1, l.len() - t.len() + 1);
            }
        }
        from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "id: t\ntitle: T\nversion: 1\nscale: { min: 1, max: 3 }\nquestions:\n  - id: q1\n    category: diversity-attitude\n    text: Hi?\n    probes: [Why?]\n    anchors: { 1: a, 2: b, 3: c }\n";

    #[test]
    fn bundled_banks_are_valid() {
        let banks = bundled();
        assert!(!banks.is_empty());
        for (b, _) in banks {
            assert!(b.questions.len() >= 10, "{} has few questions", b.id);
            let d = b
                .questions
                .iter()
                .filter(|q| q.category == DIVERSITY)
                .count();
            assert!(d >= 3, "{} has {d} diversity-attitude questions", b.id);
            for q in &b.questions {
                assert!(!q.probes.is_empty(), "{} has no probes", q.id);
            }
        }
    }

    #[test]
    fn good_bank_parses() {
        let b = parse(GOOD, "t.yaml").unwrap();
        assert_eq!(b.questions[0].anchors.len(), 3);
        assert!(b.interview);
    }

    #[test]
    fn syntax_error_has_position() {
        let e = parse("id: t\ntitle: [unclosed\n", "bad.yaml").unwrap_err();
        let p = &e.0[0];
        assert_eq!(p.file, "bad.yaml");
        assert!(p.line >= 2, "{p}");
        assert!(!p.message.contains(" at line "), "{p}");
    }

    #[test]
    fn wrong_type_has_position() {
        let src = GOOD.replace("version: 1", "version: one");
        let e = parse(&src, "b.yaml").unwrap_err();
        assert_eq!((e.0[0].line, e.0[0].column), (3, 10), "{e}");
    }

    #[test]
    fn duplicate_id_points_at_second() {
        let src = format!(
            "{GOOD}  - id: q1\n    category: values\n    text: Again?\n    anchors: {{ 1: a, 2: b, 3: c }}\n"
        );
        let e = parse(&src, "d.yaml").unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        assert_eq!(e.0[0].line, 11);
        assert!(e.0[0].message.contains("duplicate question id \"q1\""));
    }

    #[test]
    fn missing_anchor_is_named() {
        let src = GOOD.replace("{ 1: a, 2: b, 3: c }", "{ 1: a, 3: c }");
        let e = parse(&src, "m.yaml").unwrap_err();
        assert!(e.to_string().contains("m.yaml:10:5:"), "{e}");
        assert!(e.to_string().contains("scale point 2"), "{e}");
    }

    #[test]
    fn unknown_category_and_no_diversity_question() {
        let src = GOOD.replace("diversity-attitude", "vibes");
        let e = parse(&src, "c.yaml").unwrap_err().to_string();
        assert!(
            e.contains("c.yaml:7:5: question \"q1\": unknown category \"vibes\""),
            "{e}"
        );
        assert!(
            e.contains("needs at least one `diversity-attitude` question"),
            "{e}"
        );
    }

    #[test]
    fn bank_defined_category_and_non_interview_bank() {
        let src = GOOD.replace("diversity-attitude", "leadership").replace(
            "version: 1\n",
            "version: 1\ninterview: false\ncategories: [leadership]\n",
        );
        assert!(parse(&src, "x.yaml").is_ok());
    }

    #[test]
    fn unknown_field_is_refused() {
        let src = GOOD.replace("    probes:", "    probs:");
        let e = parse(&src, "u.yaml").unwrap_err().to_string();
        assert!(e.contains("unknown field `probs`"), "{e}");
    }

    #[test]
    fn scale_arithmetic_never_overflows() {
        let s = |min: i64, max: i64| {
            GOOD.replace(
                "{ min: 1, max: 3 }",
                &format!("{{ min: {min}, max: {max} }}"),
            )
        };
        for (min, max) in [
            (i64::MIN, 0),
            (i64::MIN, i64::MAX),
            (-1, i64::MAX),
            (i64::MIN, i64::MIN + 2),
        ] {
            for rules in [Rules::Door, Rules::Recorded] {
                let src = s(min, max);
                let bank: Bank = from_yaml(&src, "s.yaml").unwrap();
                assert!(bank.scale.width().is_finite());
                assert!(
                    !validate(&bank, &src, "s.yaml", rules).is_empty(),
                    "{min}..{max}"
                );
            }
        }
        // A stored bank is held to the rules of the day it was stored: ends far from zero were
        // allowed then, so it still loads; a new bank with them is refused.
        let far = s(1_000_001, 1_000_003).replace(
            "{ 1: a, 2: b, 3: c }",
            "{ 1000001: a, 1000002: b, 1000003: c }",
        );
        assert!(parse_recorded(&far, "far.yaml").is_ok());
        let e = parse(&far, "far.yaml").unwrap_err().to_string();
        assert!(e.contains("far.yaml:4:1: scale min (1000001) and max (1000003) must each lie between -1000 and 1000"), "{e}");
    }

    #[test]
    fn weights_are_relative_and_bounded() {
        let w = |x: &str| GOOD.replace("    probes:", &format!("    weight: {x}\n    probes:"));
        for ok in ["0.01", "1", "2.5", "100"] {
            assert!(parse(&w(ok), "w.yaml").is_ok(), "{ok}");
        }
        for (bad, shown) in [
            ("0", "0"),
            ("-1", "-1"),
            ("0.001", "0.001"),
            ("150", "150"),
            ("1.0e308", "1e308"),
            (".inf", "inf"),
            (".nan", "NaN"),
        ] {
            let e = parse(&w(bad), "w.yaml").unwrap_err().to_string();
            assert!(
                e.contains(&format!(
                    "w.yaml:9:5: question \"q1\": weight {shown} is not a number from 0.01 to 100"
                )),
                "{bad}: {e}"
            );
        }
        // A stored bank keeps the rule it was stored under: any finite positive weight.
        assert!(parse_recorded(&w("1.0e308"), "w.yaml").is_ok());
        assert!(parse_recorded(&w(".inf"), "w.yaml").is_err());
    }

    #[test]
    fn a_repeated_key_is_refused_in_new_banks_and_kept_as_before_in_stored_ones() {
        let src = GOOD.replace("{ 1: a, 2: b, 3: c }", "{ 1: a, 2: b, 3: c, 3: d }");
        let e = parse(&src, "d.yaml").unwrap_err().to_string();
        assert!(e.contains("d.yaml:10:34: duplicate key \"3\""), "{e}");
        let b = parse_recorded(&src, "d.yaml").unwrap();
        assert_eq!(b.questions[0].anchors[&3], "d");
    }

    #[test]
    fn text_limits_apply_to_new_banks_only() {
        let probes = vec!["Why?"; MAX_PROBES + 1].join(", ");
        for (src, want) in [
            (GOOD.replace("text: Hi?", "text: \"Hi?\\e[31m\""), "t.yaml:8:5: question \"q1\": the text contains the invisible or control character U+001B"),
            (GOOD.replace("[Why?]", "[\"Why?\\u202E\"]"), "t.yaml:9:5: question \"q1\": probe 1 contains the invisible or control character U+202E"),
            (GOOD.replace("[Why?]", &format!("[{}]", "x".repeat(1001))), "t.yaml:9:5: question \"q1\": probe 1 is longer than 1000 characters"),
            (GOOD.replace("[Why?]", &format!("[{probes}]")), "t.yaml:9:5: question \"q1\" has 51 probes; the limit is 50"),
            (GOOD.replace("2: b", "2: \"b\\u200B\""), "t.yaml:10:5: question \"q1\": the anchor for 2 contains the invisible or control character U+200B"),
            (GOOD.replace("title: T", "title: \"T\\n2\""), "t.yaml:2:1: the bank's title contains the invisible or control character U+000A"),
        ] {
            let e = parse(&src, "t.yaml").unwrap_err().to_string();
            assert!(e.contains(want), "{want}\n{e}");
            assert!(parse_recorded(&src, "t.yaml").is_ok(), "{want}");
        }
    }

    #[test]
    fn alias_bomb_is_refused_without_hanging() {
        let mut src = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for i in 1..12 {
            src.push_str(&format!(
                "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n",
                p = if i == 1 {
                    String::new()
                } else {
                    (i - 1).to_string()
                }
            ));
        }
        assert!(parse(&src, "bomb.yaml").is_err());
    }
}
