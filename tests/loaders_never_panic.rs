//! Property tests: the loaders never panic, whatever they are given, and every problem they report
//! carries a usable position. Inputs mix arbitrary text with YAML and CSV fragments (and mutations
//! of valid files) so the parsers get past their first byte and the rule checks actually run.

use fairpanel::bank::{self, Problems};
use fairpanel::checks::language;
use fairpanel::{csvio, ethnicity, policy};
use proptest::prelude::*;
use std::io::Write;

const VALID_BANK: &str = include_str!("corpus/banks/valid.yaml");
const VALID_POLICY: &str = include_str!("corpus/policies/valid.yaml");

/// Pieces of YAML that steer the parser into mappings, sequences, anchors, aliases, tags, block
/// scalars and the keys the loaders know about.
const YAML_FRAGMENTS: &[&str] = &[
    "id: ",
    "title: ",
    "version: ",
    "scale:\n  min: 1\n  max: 5\n",
    "questions:\n  - ",
    "  - id: q1\n    category: values\n    text: Hi?\n    anchors: { 1: a, 2: b, 3: c }\n",
    "category: ",
    "diversity-attitude",
    "anchors:\n      ",
    "probes: [",
    "labels: {",
    "divergence:\n  range: ",
    "suppression_threshold: ",
    "&a ",
    "*a",
    "&b [*a, *a, *a]",
    "<<: *a",
    "!!str ",
    "!tag ",
    "{",
    "}",
    "[",
    "]",
    ", ",
    ": ",
    "- ",
    "? ",
    "|\n  ",
    ">-\n  ",
    "\"",
    "'",
    "#",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "\n",
    "\r\n",
    "\t",
    "  ",
    "0",
    "1",
    "-1",
    "3.5",
    ".nan",
    "1e309",
    "99999999999999999999",
    "0x7f",
    "~",
    "null",
    "true",
    "é",
    "ı",
    "İ",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "😀",
    "\u{0}",
];

fn yaml_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(YAML_FRAGMENTS).prop_map(str::to_string),
        1 => any::<String>(),
        1 => "[a-z0-9_-]{1,8}",
        1 => any::<i64>().prop_map(|n| n.to_string()),
    ]
}

/// YAML-ish text built from fragments, or arbitrary text.
fn yamlish() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(yaml_fragment(), 0..40).prop_map(|v| v.concat()),
        1 => any::<String>(),
    ]
}

/// A valid file with one edit: a fragment inserted, a line removed, or a line repeated. Most of these
/// still parse, so the rule checks and their source positions are exercised too.
fn mutated(valid: &'static str) -> impl Strategy<Value = String> {
    let lines = valid.lines().count();
    (0..3u8, 0..lines, 0..=valid.len(), yaml_fragment()).prop_map(move |(op, line, at, frag)| {
        let mut ls: Vec<&str> = valid.lines().collect();
        match op {
            0 => {
                let mut at = at;
                while !valid.is_char_boundary(at) {
                    at -= 1;
                }
                format!("{}{frag}{}", &valid[..at], &valid[at..])
            }
            1 => {
                ls.remove(line);
                ls.join("\n")
            }
            _ => {
                ls.insert(line, ls[line]);
                ls.join("\n")
            }
        }
    })
}

/// Every problem has a file name, a message and a 1-based position no further than the end of the
/// file. At the end of the stream the YAML parser moves to a new line when the last line has no line
/// break, so the line may be one past the last line; it also counts CR, NEL, LS and PS as breaks.
fn check_positions(problems: &Problems, src: &str) -> Result<(), TestCaseError> {
    prop_assert!(!problems.0.is_empty(), "an error with no problem in it");
    let breaks = src
        .chars()
        .filter(|c| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'))
        .count();
    for p in &problems.0 {
        prop_assert!(p.line >= 1, "line 0 in {p}");
        prop_assert!(p.column >= 1, "column 0 in {p}");
        prop_assert!(
            p.line <= breaks + 2,
            "line past the end ({breaks} breaks) in {p}"
        );
        prop_assert_eq!(&p.file, "x.yaml");
        prop_assert!(!p.message.trim().is_empty(), "empty message at {p}");
    }
    Ok(())
}

/// Latin-1 e-acute, a UTF-16 byte-order mark, a cut-off UTF-8 sequence, NUL.
const BAD_BYTES: &[&[u8]] = &[b"\xe9", b"\xff\xfe", b"\xc3", b"\x00"];

/// Bytes that look like a score sheet often enough for the reader to get past the header.
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    let frag = prop_oneof![
        3 => prop::sample::select(&[
            "vacancy,candidate,panellist,question,score,evidence\n",
            "V1,C-1,Ann,q1,4,ok\n",
            ",",
            "\"",
            "\"\"",
            "\n",
            "\r\n",
            "\r",
            "\u{feff}",
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+cmd|' /C calc'!A0",
            "@SUM(1)",
            " ",
            "é",
        ][..])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..8),
        1 => prop::sample::select(BAD_BYTES).prop_map(<[u8]>::to_vec),
    ];
    prop_oneof![
        4 => prop::collection::vec(frag, 0..30).prop_map(|v| v.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
}

/// Text for the phrase scanner: words from its list, apostrophes, case changes and whitespace runs.
fn prose() -> impl Strategy<Value = String> {
    let frag = prop_oneof![
        3 => prop::sample::select(&[
            "not ready", "NOT  READY", "isn\u{2019}t ready", "culture fit", "accent", "accented",
            "chip on her shoulder", "their English", "over-qualified", " ", "\n\t", ".", "-", "'",
            "\u{2019}", "İ", "ß", "ﬁ", "é", "e\u{301}", "😀", "\u{0}",
        ][..])
        .prop_map(str::to_string),
        1 => any::<String>(),
    ];
    prop::collection::vec(frag, 0..20).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn bank_parse_never_panics(src in yamlish()) {
        if let Err(problems) = bank::parse(&src, "x.yaml") {
            check_positions(&problems, &src)?;
        }
    }

    #[test]
    fn bank_parse_of_an_edited_valid_bank_never_panics(src in mutated(VALID_BANK)) {
        if let Err(problems) = bank::parse(&src, "x.yaml") {
            check_positions(&problems, &src)?;
        }
    }

    #[test]
    fn policy_parse_never_panics(src in yamlish()) {
        if let Err(problems) = policy::parse(&src, "x.yaml") {
            check_positions(&problems, &src)?;
        }
    }

    #[test]
    fn policy_parse_of_an_edited_valid_policy_never_panics(src in mutated(VALID_POLICY)) {
        if let Err(problems) = policy::parse(&src, "x.yaml") {
            check_positions(&problems, &src)?;
        }
    }

    #[test]
    fn ethnicity_parse_never_panics(
        s in prop_oneof![
            any::<String>(),
            "[A-Za-z0-9 ]{0,3}",
            prop::sample::select(&["A", "a1", "99", "Z", "prefer not to say", "Asian: Indian", "İ", "ß"][..])
                .prop_map(str::to_string),
        ]
    ) {
        if let Err(message) = ethnicity::parse(&s) {
            prop_assert!(!message.trim().is_empty());
        }
    }

    /// Matches are sorted, do not overlap, lie on character boundaries and quote the text exactly.
    #[test]
    fn language_scan_never_panics(text in prose()) {
        let mut last_end = 0;
        for m in language::scan(&text) {
            prop_assert!(m.start < m.end && m.end <= text.len(), "{m:?}");
            prop_assert!(m.start >= last_end, "overlap or disorder at {m:?}");
            prop_assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
            prop_assert_eq!(&text[m.start..m.end], m.matched.as_str());
            last_end = m.end;
        }
    }
}

proptest! {
    // Each case writes a file, so fewer of them.
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Whatever the bytes, `read` returns rows as wide as the header, with row numbers that never go
    /// backwards, or an error that names the file. (Row numbers are not checked to be exact here: with
    /// CRLF line ends they lag one behind; see `corpus.rs`.)
    #[test]
    fn csv_read_never_panics(bytes in csvish()) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&bytes).unwrap();
        f.flush().unwrap();
        let label = f.path().display().to_string();
        match csvio::read(f.path()) {
            Ok(table) => {
                prop_assert!(!table.headers.iter().all(String::is_empty));
                let mut last = 1;
                for (line, rec) in &table.rows {
                    prop_assert_eq!(rec.len(), table.headers.len());
                    prop_assert!(*line >= last, "row {} after row {}", line, last);
                    last = *line;
                }
            }
            Err(e) => {
                let msg = format!("{e:#}");
                prop_assert!(msg.starts_with(&label), "{msg}");
            }
        }
    }
}
