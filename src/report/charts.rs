//! Inline SVG charts for HTML reports: no scripts, no external requests, every label escaped.
//! They draw what the view model already holds; the only arithmetic is a share of two counts that the
//! report shows beside the chart, and nothing is drawn from a suppressed count.
//!
//! Every chart is scaled by its `viewBox` (no fixed width), so it shrinks to a phone's width, and opens
//! with a `<title>` and a `<desc>` that give its key numbers to screen readers. A group has one colour
//! in every chart of every report ([`GROUP_STYLES`]).

use serde_json::Value;

fn esc(s: &str) -> String {
    crate::model::display_safe(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// How one group is drawn in every chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupStyle {
    /// The group's key in the view model (`ethnicity::Group::key`, or `bme`).
    pub key: &'static str,
    /// Short name for chart rows; tables give the full label.
    pub short: &'static str,
    pub colour: &'static str,
}

/// One colour per group, fixed so that a group looks the same in every report whichever other groups
/// appear. Okabe–Ito colours, which stay distinct with the common colour-vision deficiencies: White is
/// blue and Black orange (never a red–green pair), and White against BME is blue against vermillion.
/// Groups not stated are greys, so they do not read as one more ethnic group. Every bar also gets a
/// dark outline, because the lighter colours alone are faint against white.
pub const GROUP_STYLES: [GroupStyle; 8] = [
    GroupStyle {
        key: "asian",
        short: "Asian",
        colour: "#009E73",
    },
    GroupStyle {
        key: "black",
        short: "Black",
        colour: "#E69F00",
    },
    GroupStyle {
        key: "mixed",
        short: "Mixed",
        colour: "#CC79A7",
    },
    GroupStyle {
        key: "white",
        short: "White",
        colour: "#0072B2",
    },
    GroupStyle {
        key: "other",
        short: "Other",
        colour: "#56B4E9",
    },
    GroupStyle {
        key: "declined",
        short: "Declined",
        colour: "#6E6E6E",
    },
    GroupStyle {
        key: "not_asked",
        short: "Not asked",
        colour: "#B0B0B0",
    },
    GroupStyle {
        key: "bme",
        short: "BME",
        colour: "#D55E00",
    },
];

/// The style for a group key; an unknown key (none is expected) is drawn in the ink colour.
pub fn group_style(key: &str) -> GroupStyle {
    GROUP_STYLES
        .iter()
        .find(|g| g.key == key)
        .copied()
        .unwrap_or(GroupStyle {
            key: "unknown",
            short: "",
            colour: INK,
        })
}

const INK: &str = "#1d2433";
const MUTED: &str = "#5b6475";
const TRACK: &str = "#eceef2";
const FONT: &str =
    r#"font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif""#;

/// Diagonal hatching for a suppressed count: unmistakably "no figure here", never an empty bar that
/// reads as zero. Pattern ids must be unique in the page, so each chart passes its own.
fn hatch_def(id: &str) -> String {
    format!(
        r##"<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="{MUTED}" stroke-width="2"/></pattern></defs>"##
    )
}

/// A suppressed mark: a short hatched block with a dashed outline and the word itself.
fn suppressed_mark(x: f64, y: f64, h: f64, hatch: &str) -> String {
    format!(
        r#"<rect class="suppressed" x="{x}" y="{y}" width="26" height="{h}" fill="url(#{hatch})" stroke="{MUTED}" stroke-dasharray="2 1.5"/><text x="{}" y="{}" fill="{MUTED}" font-style="italic">suppressed</text>"#,
        x + 31.0,
        y + h - 3.0
    )
}

/// Colour for a score on the scale: light (low) to dark blue (high), readable in print.
fn shade(score: f64, min: f64, max: f64) -> String {
    let t = if max > min {
        ((score - min) / (max - min)).clamp(0.0, 1.0)
    } else {
        0.5
    };
    let l = 92.0 - t * 52.0;
    format!("hsl(212, 60%, {l:.0}%)")
}

/// Heat map of one candidate's independent scores: questions down, panellists across. The table
/// under it in the report holds the same scores.
pub fn heatmap(
    candidate: &str,
    panellists: &[Value],
    rows: &[Value],
    min: f64,
    max: f64,
) -> String {
    let (cw, ch, top) = (40.0, 22.0, 70.0);
    // The question column is as wide as its longest label (about 6.2 units a character at 11 units),
    // so narrow screens do not shrink the chart for empty space.
    let longest = rows
        .iter()
        .map(|r| r["question"].as_str().unwrap_or("").chars().count() + 2)
        .max()
        .unwrap_or(0);
    let left = (longest as f64 * 6.2 + 10.0).clamp(60.0, 250.0);
    // Panellists' names are set at 35°: each reaches about 0.82 of its length right of its column's
    // centre, and the margin on the right is what the last reaches past the grid.
    let reach = panellists
        .iter()
        .enumerate()
        .map(|(j, p)| {
            let len = p.as_str().unwrap_or("").chars().count() as f64 * 6.2 * 0.82;
            cw * j as f64 + cw / 2.0 + len - cw * panellists.len() as f64
        })
        .fold(0.0, f64::max);
    let w = left + cw * panellists.len() as f64 + reach + 6.0;
    let h = top + ch * rows.len() as f64 + 10.0;
    let divergent: Vec<String> = rows
        .iter()
        .filter(|r| r["divergent"].as_bool().unwrap_or(false))
        .map(|r| {
            format!(
                "{} (range {})",
                r["question"].as_str().unwrap_or(""),
                r["range"]
            )
        })
        .collect();
    let mut s = format!(
        r#"<svg class="chart heatmap" role="img" viewBox="0 0 {w} {h}" style="max-width:{w}px" xmlns="http://www.w3.org/2000/svg" {FONT} font-size="11"><title>Independent scores for {}</title><desc>Scores from {min} to {max} for {} questions by {} panellists; darker cells are higher scores. {}The table below lists every score.</desc>"#,
        esc(candidate),
        rows.len(),
        panellists.len(),
        if divergent.is_empty() {
            "No question's scores diverge. ".to_string()
        } else {
            format!("Divergent: {}. ", esc(&divergent.join("; ")))
        }
    );
    for (j, p) in panellists.iter().enumerate() {
        let x = left + cw * j as f64 + cw / 2.0;
        s += &format!(
            r#"<text x="{x}" y="{}" transform="rotate(-35 {x} {})" text-anchor="start">{}</text>"#,
            top - 6.0,
            top - 6.0,
            esc(p.as_str().unwrap_or(""))
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + ch * i as f64;
        let q = r["question"].as_str().unwrap_or("");
        let divergent = r["divergent"].as_bool().unwrap_or(false);
        s += &format!(
            r#"<text x="{}" y="{}" text-anchor="end"{}>{}{}</text>"#,
            left - 6.0,
            y + ch * 0.68,
            if divergent {
                r#" font-weight="700""#
            } else {
                ""
            },
            esc(q),
            if divergent { " ⚠" } else { "" }
        );
        for (j, v) in r["scores"].as_array().into_iter().flatten().enumerate() {
            let score = v.as_f64().unwrap_or(min);
            let x = left + cw * j as f64;
            let t = (score - min) / (max - min).max(1.0);
            s += &format!(
                r##"<rect x="{x}" y="{y}" width="{}" height="{}" fill="{}" stroke="#fff"/><text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>"##,
                cw - 1.0,
                ch - 1.0,
                shade(score, min, max),
                x + cw / 2.0,
                y + ch * 0.68,
                if t > 0.55 { "#fff" } else { INK },
                score
            );
        }
    }
    s + "</svg>"
}

/// A count as the view model holds it: `Some(n)` when shown, `None` when suppressed (or missing).
fn count(v: &Value) -> Option<u64> {
    v.as_u64()
}

fn pct(k: u64, n: u64) -> String {
    format!("{:.0}%", k as f64 * 100.0 / n as f64)
}

/// One group's row of a funnel: key, full label, counts by stage (`None` = suppressed).
struct FunnelGroup<'a> {
    key: &'a str,
    label: &'a str,
    reached: Vec<Option<u64>>,
}

// Funnel panel geometry, in viewBox units (about one CSS pixel each on a phone).
const PW: f64 = 320.0;
const LABEL_W: f64 = 68.0;
const VALUE_W: f64 = 118.0;
const ROW_H: f64 = 20.0;
const HEAD_H: f64 = 22.0;

/// The funnel as small multiples: the first panel is the number who applied in each group; each later
/// panel is the share of a group's applicants at the previous stage who reached this one, with both
/// counts written out. Stage-to-stage rates keep every stage readable, where shares of everyone who
/// applied would leave the later stages a pixel or two tall. The panels are separate SVGs, so they sit
/// side by side on a wide page and one under another on a phone. `id` makes the pattern ids unique in
/// the page.
pub fn funnel(stages: &[&str], rows: &[Value], id: &str) -> String {
    let groups: Vec<FunnelGroup> = rows
        .iter()
        .filter_map(|r| {
            Some(FunnelGroup {
                key: r["group"].as_str().unwrap_or(""),
                label: r["label"].as_str().unwrap_or(""),
                reached: r["reached"].as_array()?.iter().map(count).collect(),
            })
        })
        .collect();
    let id: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut out = format!(r#"<figure class="funnel" id="{id}"><div class="panels">"#);
    for (k, stage) in stages.iter().enumerate() {
        out += &funnel_panel(stages, k, stage, &groups, &format!("{id}-hatch-{k}"));
    }
    out += "</div>";
    out + &format!(
        r#"<figcaption>{} <span class="key">{}Hatched: suppressed, a small count or one that would reveal it; no bar and no rate is drawn from it.</span> The table below gives every count.</figcaption></figure>"#,
        "The first panel is the number of applicants in each group. Each later panel is the share of a group's applicants at the previous stage who reached that stage (0–100%), with the counts.",
        legend_swatch(&format!("{id}-hatch-key"))
    )
}

fn legend_swatch(hatch: &str) -> String {
    format!(
        r#"<svg class="swatch" viewBox="0 0 26 12" width="26" height="12" aria-hidden="true" xmlns="http://www.w3.org/2000/svg"><title>Hatched mark</title>{}<rect x="0.5" y="0.5" width="25" height="11" fill="url(#{hatch})" stroke="{MUTED}" stroke-dasharray="2 1.5"/></svg> "#,
        hatch_def(hatch)
    )
}

fn funnel_panel(
    stages: &[&str],
    k: usize,
    stage: &str,
    groups: &[FunnelGroup],
    hatch: &str,
) -> String {
    let h = HEAD_H + ROW_H * groups.len() as f64 + if k == 0 { 6.0 } else { 20.0 };
    let track = PW - LABEL_W - VALUE_W - 8.0;
    let x0 = LABEL_W + 4.0;
    let (title, max) = if k == 0 {
        let max = groups
            .iter()
            .filter_map(|g| g.reached.first().copied().flatten())
            .max()
            .unwrap_or(0);
        (format!("{} (number of applicants)", capital(stage)), max)
    } else {
        (format!("{}, of those {}", capital(stage), stages[k - 1]), 0)
    };
    // The same figures in words, for screen readers.
    let words: Vec<String> = groups
        .iter()
        .map(|g| {
            let name = group_style(g.key).short;
            let name = if name.is_empty() { g.label } else { name };
            match value_of(g, k) {
                Mark::Count(n) => format!("{name} {n}"),
                Mark::Rate(sel, of) => format!("{name} {} ({sel} of {of})", pct(sel, of)),
                Mark::NoneBefore => format!("{name}: none {}", stages[k - 1]),
                Mark::Suppressed => format!("{name} suppressed"),
            }
        })
        .collect();
    let mut s = format!(
        r#"<svg class="chart panel" role="img" viewBox="0 0 {PW} {h}" xmlns="http://www.w3.org/2000/svg" {FONT} font-size="12"><title>{}</title><desc>{}.</desc>{}<text x="0" y="14" font-weight="700">{}</text>"#,
        esc(&title),
        esc(&words.join("; ")),
        hatch_def(hatch),
        esc(&title)
    );
    for (i, g) in groups.iter().enumerate() {
        let style = group_style(g.key);
        let y = HEAD_H + ROW_H * i as f64;
        let (bar_y, bar_h) = (y + 3.0, ROW_H - 6.0);
        let short = if style.short.is_empty() {
            g.label
        } else {
            style.short
        };
        s += &format!(
            r#"<text x="{LABEL_W}" y="{}" text-anchor="end">{}</text>"#,
            y + ROW_H - 5.0,
            esc(short)
        );
        let value_x = x0 + track + 6.0;
        let text_y = y + ROW_H - 5.0;
        let mark = value_of(g, k);
        // The 0–100% track behind a rate; none where there is no rate, so nothing reads as 0%.
        if matches!(mark, Mark::Rate(..)) {
            s += &format!(
                r#"<rect x="{x0}" y="{bar_y}" width="{track}" height="{bar_h}" fill="{TRACK}"/>"#
            );
        }
        match mark {
            Mark::Suppressed => s += &suppressed_mark(x0, bar_y, bar_h, hatch),
            Mark::NoneBefore => {
                s += &format!(
                    r#"<text x="{}" y="{text_y}" fill="{MUTED}">none {}</text>"#,
                    x0 + 4.0,
                    esc(stages[k - 1])
                )
            }
            Mark::Count(n) => {
                let w = if max > 0 {
                    track * n as f64 / max as f64
                } else {
                    0.0
                };
                s += &bar(x0, bar_y, w, bar_h, style, g.key);
                s += &format!(r#"<text x="{value_x}" y="{text_y}">{n}</text>"#);
            }
            Mark::Rate(sel, of) => {
                let w = track * sel as f64 / of as f64;
                s += &bar(x0, bar_y, w, bar_h, style, g.key);
                s += &format!(
                    r#"<text x="{value_x}" y="{text_y}"><tspan font-weight="700">{}</tspan> ({sel} of {of})</text>"#,
                    pct(sel, of)
                );
            }
        }
    }
    if k > 0 {
        // Scale under the tracks: 0, 50 and 100%.
        let y = HEAD_H + ROW_H * groups.len() as f64;
        for (f, label, anchor) in [
            (0.0, "0%", "start"),
            (0.5, "50%", "middle"),
            (1.0, "100%", "end"),
        ] {
            let x = x0 + track * f;
            s += &format!(
                r#"<line x1="{x}" x2="{x}" y1="{}" y2="{}" stroke="{MUTED}"/><text x="{x}" y="{}" text-anchor="{anchor}" font-size="9" fill="{MUTED}">{label}</text>"#,
                HEAD_H - 1.0,
                y + 3.0,
                y + 13.0
            );
        }
    }
    s + "</svg>"
}

fn bar(x: f64, y: f64, w: f64, h: f64, style: GroupStyle, key: &str) -> String {
    // A zero count still gets a hairline in the group's colour, so "0" is drawn, not left blank.
    format!(
        r#"<rect class="bar" data-group="{}" x="{x}" y="{y}" width="{:.1}" height="{h}" fill="{}" stroke="{INK}" stroke-width="0.6"/>"#,
        esc(key),
        w.max(1.0),
        style.colour
    )
}

enum Mark {
    Count(u64),
    Rate(u64, u64),
    NoneBefore,
    Suppressed,
}

fn value_of(g: &FunnelGroup, k: usize) -> Mark {
    let at = |i: usize| g.reached.get(i).copied().flatten();
    if k == 0 {
        return at(0).map_or(Mark::Suppressed, Mark::Count);
    }
    match (at(k - 1), at(k)) {
        (Some(0), Some(_)) => Mark::NoneBefore,
        (Some(of), Some(sel)) => Mark::Rate(sel, of),
        _ => Mark::Suppressed,
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// How to read a WRES relative likelihood from its 95% interval: what the interval says, as a CSS
/// class and in words. Above 1 favours White applicants.
pub fn wres_reading(ci95: &Value) -> (&'static str, &'static str) {
    match (
        ci95.get(0).and_then(Value::as_f64),
        ci95.get(1).and_then(Value::as_f64),
    ) {
        (Some(lo), Some(_)) if lo > 1.0 => (
            "above",
            "The whole interval lies above 1: White shortlisted applicants were more likely to be appointed than BME shortlisted applicants, by more than chance alone would readily explain.",
        ),
        (Some(_), Some(hi)) if hi < 1.0 => (
            "below",
            "The whole interval lies below 1: BME shortlisted applicants were more likely to be appointed than White shortlisted applicants, by more than chance alone would readily explain.",
        ),
        (Some(_), Some(_)) => (
            "includes",
            "The interval includes 1: these figures show no clear difference either way, which is not the same as showing there is none.",
        ),
        _ => (
            "none",
            "No interval could be computed, so no conclusion is drawn from these figures.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_are_escaped_and_no_external_references() {
        let svg = heatmap(
            "C-<1>",
            &[json!("<script>x</script>")],
            &[json!({"question": "q&a", "scores": [3], "divergent": true, "range": 2})],
            1.0,
            5.0,
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("q&amp;a"));
        assert!(svg.contains("<title>Independent scores for C-&lt;1&gt;</title>"));
        let f = funnel(
            &["applied", "shortlisted"],
            &[json!({"group": "white", "label": "<b>White</b>", "reached": [10, 5]})],
            "x",
        );
        assert!(!f.contains("<b>"));
        assert!(!f.contains("href"));
        // Pattern fills refer to this page only.
        assert!(f.split("url(").skip(1).all(|r| r.starts_with("#x-")), "{f}");
    }

    #[test]
    fn rates_are_stage_to_stage_with_counts() {
        let f = funnel(
            &["applied", "shortlisted", "interviewed"],
            &[json!({"group": "white", "label": "White", "reached": [200, 20, 10]})],
            "f",
        );
        // 20 of 200 shortlisted, then 10 of those 20 interviewed: 50%, not 5% of everyone who applied.
        assert!(f.contains("White 10% (20 of 200)"), "{f}");
        assert!(f.contains("White 50% (10 of 20)"), "{f}");
        assert!(f.contains(">200</text>"));
    }

    #[test]
    fn a_suppressed_count_is_hatched_and_named_never_an_empty_bar() {
        let f = funnel(
            &["applied", "shortlisted"],
            &[
                json!({"group": "white", "label": "White", "reached": [10, 5]}),
                json!({"group": "asian", "label": "Asian", "reached": ["suppressed", 1]}),
            ],
            "f",
        );
        assert!(f.contains(r#"<pattern id="f-hatch-0""#), "{f}");
        assert!(f.contains(r#"fill="url(#f-hatch-0)""#));
        assert!(f.contains(r#"fill="url(#f-hatch-1)""#));
        assert!(f.contains(">suppressed</text>"));
        assert!(
            f.contains("Asian suppressed"),
            "in the text alternative too"
        );
        assert!(f.contains("Hatched: suppressed"), "and in the key");
        // No bar, and no rate, is drawn for the suppressed group.
        assert!(!f.contains(r#"data-group="asian""#));
        assert!(!f.contains("(1 of"));
    }

    #[test]
    fn every_group_has_one_colour_and_black_and_white_are_not_red_and_green() {
        use crate::ethnicity::Group;
        let all = Group::STATED
            .iter()
            .chain(&[Group::Declined, Group::NotAsked])
            .map(|g| g.key())
            .chain(["bme"]);
        for key in all {
            assert_eq!(group_style(key).key, key, "{key} has a style");
        }
        let mut colours: Vec<&str> = GROUP_STYLES.iter().map(|g| g.colour).collect();
        colours.sort();
        colours.dedup();
        assert_eq!(
            colours.len(),
            GROUP_STYLES.len(),
            "no two groups share a colour"
        );
        assert_eq!(group_style("white").colour, "#0072B2");
        assert_eq!(group_style("black").colour, "#E69F00");
    }

    #[test]
    fn every_chart_has_a_title_and_a_description() {
        let f = funnel(
            &["applied", "shortlisted"],
            &[json!({"group": "black", "label": "Black", "reached": [0, 0]})],
            "f",
        );
        let h = heatmap(
            "C-1",
            &[json!("A")],
            &[json!({"question": "q", "scores": [3], "range": 0})],
            1.0,
            5.0,
        );
        for svg in f.split("<svg").skip(1).chain(h.split("<svg").skip(1)) {
            assert!(svg.contains("<title>"), "{svg}");
        }
        assert!(f.contains("Black: none applied"));
        assert_eq!(f.matches("<desc>").count(), 2);
        assert!(h.contains("<desc>"));
    }

    #[test]
    fn the_wres_reading_follows_the_interval() {
        assert_eq!(wres_reading(&json!([1.1, 2.0])).0, "above");
        assert_eq!(wres_reading(&json!([0.2, 0.9])).0, "below");
        assert_eq!(wres_reading(&json!([0.8, 1.3])).0, "includes");
        assert_eq!(
            wres_reading(&json!([1.0, 1.3])).0,
            "includes",
            "1 itself is inside"
        );
        assert_eq!(wres_reading(&json!(null)).0, "none");
        assert!(wres_reading(&json!([1.1, 2.0]))
            .1
            .contains("White shortlisted applicants were more likely"));
        assert!(wres_reading(&json!([0.2, 0.9]))
            .1
            .contains("BME shortlisted applicants were more likely"));
    }
}
