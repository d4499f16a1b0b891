//! Ethnicity categories: the ONS Census 2021 (England and Wales) list and the NHS Data Dictionary
//! ETHNIC CATEGORY codes, both mapped to the five ONS 2021 groups plus "declined" and "not asked".
//!
//! The mapping is data (`data/ethnicity.csv`, with its sources) so it can be read and checked by people
//! who do not read Rust. Where the two standards differ the table says so: Gypsy or Irish Traveller and
//! Roma are White in ONS 2021 and code C in the NHS list; Arab is code S; Chinese is code R, under
//! "Other" in the NHS grouping but "Asian" in ONS 2021 (fairpanel groups it as Asian).

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

const TABLE: &str = include_str!("../data/ethnicity.csv");

/// High-level group. `Declined` (asked, chose not to say) and `NotAsked` (blank) are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Asian,
    Black,
    Mixed,
    White,
    Other,
    Declined,
    NotAsked,
}

impl Group {
    /// The five stated groups in report order.
    pub const STATED: [Group; 5] = [
        Group::Asian,
        Group::Black,
        Group::Mixed,
        Group::White,
        Group::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Group::Asian => "Asian or Asian British",
            Group::Black => "Black, Black British, Caribbean or African",
            Group::Mixed => "Mixed or multiple ethnic groups",
            Group::White => "White",
            Group::Other => "Other ethnic group",
            Group::Declined => "Prefer not to say",
            Group::NotAsked => "Not asked",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Group::Asian => "asian",
            Group::Black => "black",
            Group::Mixed => "mixed",
            Group::White => "white",
            Group::Other => "other",
            Group::Declined => "declined",
            Group::NotAsked => "not_asked",
        }
    }

    pub fn is_stated(self) -> bool {
        !matches!(self, Group::Declined | Group::NotAsked)
    }

    /// WRES "BME": every stated group other than White (NHS WRES technical guidance).
    pub fn is_bme(self) -> bool {
        self.is_stated() && self != Group::White
    }

    /// White vs BME split used by WRES figures; `None` for not stated.
    pub fn wres(self) -> Option<WresGroup> {
        match self {
            Group::White => Some(WresGroup::White),
            g if g.is_bme() => Some(WresGroup::Bme),
            _ => None,
        }
    }

    fn parse_key(s: &str) -> Option<Group> {
        Some(match s {
            "asian" => Group::Asian,
            "black" => Group::Black,
            "mixed" => Group::Mixed,
            "white" => Group::White,
            "other" => Group::Other,
            "declined" => Group::Declined,
            "not_asked" => Group::NotAsked,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WresGroup {
    White,
    Bme,
}

/// One accepted category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    /// NHS Data Dictionary code (A–S, Z, 99).
    pub nhs_code: String,
    /// Human label, e.g. "Asian: Indian".
    pub category: String,
    pub group: Group,
    /// Where the two standards differ, what the difference is.
    pub note: Option<String>,
}

struct Row {
    standard: String,
    input: String,
    cat: Category,
}

fn rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let data: String = TABLE
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let mut rdr = csv::Reader::from_reader(data.as_bytes());
        rdr.records()
            .map(|r| {
                let r = r.expect("data/ethnicity.csv is valid CSV");
                Row {
                    standard: r[0].to_string(),
                    input: r[1].to_string(),
                    cat: Category {
                        nhs_code: r[2].to_string(),
                        category: r[3].to_string(),
                        group: Group::parse_key(&r[4]).expect("known group in data/ethnicity.csv"),
                        note: Some(r[5].to_string()).filter(|s| !s.is_empty()),
                    },
                }
            })
            .collect()
    })
}

/// Every accepted category with its standard ("ons" or "nhs") and input spelling, for `--help` and docs.
pub fn table() -> impl Iterator<Item = (&'static str, &'static str, &'static Category)> {
    rows()
        .iter()
        .map(|r| (r.standard.as_str(), r.input.as_str(), &r.cat))
}

fn normalise(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .replace(['\u{2013}', '\u{2014}'], "-")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Each row's input and category label, normalised once: a pipeline import parses every row.
fn normalised_rows() -> &'static [(String, String)] {
    static NORMALISED: OnceLock<Vec<(String, String)>> = OnceLock::new();
    NORMALISED.get_or_init(|| {
        rows()
            .iter()
            .map(|r| (normalise(&r.input), normalise(&r.cat.category)))
            .collect()
    })
}

/// Parse a self-declared or recorded ethnicity: an NHS code (A–S, Z, 99; a two-character local code
/// rolls up to its first character), an ONS 2021 label (with or without its group prefix), or
/// "prefer not to say". Blank means not asked.
pub fn parse(input: &str) -> Result<Category, String> {
    let n = normalise(input);
    if n.is_empty() {
        return Ok(not_asked());
    }
    let aliases: &[(&str, &str)] = &[
        ("not stated", "Z"),
        ("declined", "Z"),
        ("prefer not to say", "Z"),
        ("not known", "99"),
        ("not asked", "99"),
        ("white british", "A"),
        ("british", "A"),
    ];
    if let Some((_, code)) = aliases.iter().find(|(a, _)| *a == n) {
        return Ok(by_code(code).expect("alias code in table"));
    }
    for (r, (key, category)) in rows().iter().zip(normalised_rows()) {
        if (r.standard == "nhs" || r.standard == "ons") && (*key == n || *category == n) {
            return Ok(r.cat.clone());
        }
    }
    // Two-character NHS local sub-codes roll up to the national code.
    if n.len() == 2 && n.chars().all(|c| c.is_ascii_alphanumeric()) && n != "99" {
        if let Some(c) = by_code(&n[..1].to_uppercase()) {
            return Ok(c);
        }
    }
    Err(format!(
        "unknown ethnicity {input:?}: use an NHS ETHNIC CATEGORY code (A-S, Z = not stated, 99 = not known) \
         or an ONS 2021 category such as \"Indian\" or \"Any other White background\" (see `fairpanel ethnicity`)"
    ))
}

/// Words people add that no category's label uses ("mixed race", "Pakistani heritage").
const FILLER: &[&str] = &[
    "or",
    "and",
    "of",
    "the",
    "a",
    "race",
    "heritage",
    "origin",
    "background",
    "descent",
];

/// The words of what a person typed, lower-cased, without punctuation or filler.
pub fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !FILLER.contains(w))
        .map(str::to_string)
        .collect()
}

/// How many of `typed` words begin a word of `label` (each typed word at least two letters long).
pub fn words_matched(typed: &[String], label: &str) -> usize {
    let have = words(label);
    typed
        .iter()
        .filter(|w| w.chars().count() >= 2 && have.iter().any(|h| h.starts_with(w.as_str())))
        .count()
}

/// The words a category can be found by: its group's full name ("Asian or Asian British") and its
/// own label.
fn search_label(c: &Category) -> String {
    format!("{} {}", c.group.label(), c.category)
}

/// A self-declaration as people say it: a code or label [`parse`] knows, or everyday wording
/// ("White English", "British Pakistani") whose every word belongs to one ONS 2021 category (read
/// with its group's name). Wording that fits several categories is refused, naming them.
pub fn parse_everyday(input: &str) -> Result<Category, String> {
    let strict = match parse(input) {
        Ok(c) => return Ok(c),
        Err(e) => e,
    };
    let typed = words(input);
    if typed.is_empty() {
        return Err(strict);
    }
    let mut fits: Vec<&Category> = Vec::new();
    for r in rows().iter().filter(|r| r.standard == "ons") {
        let label = format!("{} {}", search_label(&r.cat), r.input);
        if words_matched(&typed, &label) == typed.len()
            && !fits.iter().any(|c| c.nhs_code == r.cat.nhs_code)
        {
            fits.push(&r.cat);
        }
    }
    // "Black African" fits African and White and Black African; the category whose own label the
    // words cover is the one meant.
    let covered: Vec<&Category> = fits
        .iter()
        .copied()
        .filter(|c| {
            let own = words(&c.category);
            own.iter().all(|w| typed.contains(w))
        })
        .collect();
    if covered.len() == 1 {
        return Ok(covered[0].clone());
    }
    match fits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(strict),
        many => Err(format!(
            "{input:?} fits several categories: {}; give the one that applies",
            many.iter()
                .map(|c| format!("{} ({})", c.category, c.nhs_code))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

pub fn by_code(code: &str) -> Option<Category> {
    rows()
        .iter()
        .find(|r| r.standard == "nhs" && r.input.eq_ignore_ascii_case(code))
        .map(|r| r.cat.clone())
}

pub fn not_asked() -> Category {
    by_code("99").expect("99 in table")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Facts from shared reference: ONS 2021 (19 categories) and NHS Data Dictionary ETHNIC CATEGORY.
    #[test]
    fn ons_has_19_categories_plus_prefer_not_to_say() {
        let ons = table().filter(|(s, _, _)| *s == "ons").count();
        assert_eq!(ons, 20);
    }

    #[test]
    fn nhs_codes_have_no_i_o_q() {
        for c in ["I", "O", "Q"] {
            assert!(by_code(c).is_none());
        }
        assert_eq!(table().filter(|(s, _, _)| *s == "nhs").count(), 18);
    }

    #[test]
    fn standards_differ_where_documented() {
        assert_eq!(parse("Gypsy or Irish Traveller").unwrap().nhs_code, "C");
        assert_eq!(parse("Roma").unwrap().group, Group::White);
        assert_eq!(parse("Arab").unwrap().nhs_code, "S");
        assert_eq!(parse("Chinese").unwrap().nhs_code, "R");
        assert_eq!(parse("R").unwrap().group, Group::Asian);
    }

    #[test]
    fn declined_and_not_asked_are_distinct() {
        assert_eq!(parse("Prefer not to say").unwrap().group, Group::Declined);
        assert_eq!(parse("Z").unwrap().group, Group::Declined);
        assert_eq!(parse("").unwrap().group, Group::NotAsked);
        assert_eq!(parse("99").unwrap().group, Group::NotAsked);
    }

    #[test]
    fn accepts_codes_labels_and_local_subcodes() {
        assert_eq!(parse("n").unwrap().group, Group::Black);
        assert_eq!(parse("  indian ").unwrap().nhs_code, "H");
        assert_eq!(parse("Asian: Indian").unwrap().nhs_code, "H");
        assert_eq!(parse("White - British").unwrap().nhs_code, "A");
        assert_eq!(parse("H1").unwrap().nhs_code, "H");
        assert!(parse("Martian").is_err());
    }

    #[test]
    fn everyday_wording_finds_the_one_category_it_fits() {
        assert_eq!(parse_everyday("White English").unwrap().nhs_code, "A");
        assert_eq!(parse_everyday("british pakistani").unwrap().nhs_code, "J");
        assert_eq!(parse_everyday("Pakistani heritage").unwrap().nhs_code, "J");
        assert_eq!(parse_everyday("Scottish").unwrap().nhs_code, "A");
        assert_eq!(parse_everyday("Black African").unwrap().nhs_code, "N");
        assert_eq!(parse_everyday("Irish traveller").unwrap().nhs_code, "C");
        // Codes and labels still read as before.
        assert_eq!(parse_everyday("H").unwrap().nhs_code, "H");
        let e = parse_everyday("Black British").unwrap_err();
        assert!(
            e.contains("several categories") && e.contains("(M)") && e.contains("(N)"),
            "{e}"
        );
        assert!(parse_everyday("mixed race").unwrap_err().contains("(D)"));
        assert!(parse_everyday("Martian").is_err());
    }

    #[test]
    fn wres_split() {
        assert_eq!(Group::White.wres(), Some(WresGroup::White));
        assert_eq!(Group::Mixed.wres(), Some(WresGroup::Bme));
        assert_eq!(Group::Declined.wres(), None);
        assert_eq!(Group::NotAsked.wres(), None);
    }
}
