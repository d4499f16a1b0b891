//! Reports: a view model built from the store, checks and statistics, rendered by handlebars templates
//! (Markdown, self-contained HTML) or serialised as JSON. Templates hold presentation; Rust holds logic.

pub mod audit;
pub mod audit_items;
pub mod charts;
pub mod decision;
pub mod text;

use anyhow::Result;
use handlebars::Handlebars;
use serde::Serialize;

const DECISION_MD: &str = include_str!("templates/decision.md.hbs");
const DECISION_HTML: &str = include_str!("templates/decision.html.hbs");
const STYLE_CSS: &str = include_str!("templates/style.css");
const AUDIT_MD: &str = include_str!("templates/audit.md.hbs");
const AUDIT_HTML: &str = include_str!("templates/audit.html.hbs");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Markdown,
    Html,
}

/// Escape text for Markdown: characters that would start formatting or break a table cell.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '<' | '>' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            // Reports are read in terminals too: no escape sequence or hidden character gets through.
            c if crate::model::is_unsafe_char(c) => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
    out
}

fn registry(kind: Kind) -> Result<Handlebars<'static>> {
    let mut h = Handlebars::new();
    h.set_strict_mode(true);
    match kind {
        Kind::Markdown => h.register_escape_fn(escape_markdown),
        Kind::Html => {
            h.register_escape_fn(|s| handlebars::html_escape(&crate::model::display_safe(s)))
        }
    }
    h.register_template_string("decision.md", DECISION_MD)?;
    h.register_template_string("decision.html", DECISION_HTML)?;
    h.register_template_string("audit.md", AUDIT_MD)?;
    h.register_template_string("audit.html", AUDIT_HTML)?;
    h.register_partial("style", STYLE_CSS)?;
    h.register_helper("pct", Box::new(pct));
    h.register_helper("num", Box::new(num));
    h.register_helper("ci", Box::new(ci));
    h.register_helper("ci_pct", Box::new(ci_pct));
    h.register_helper("pval", Box::new(pval));
    h.register_helper("p_is", Box::new(p_is));
    h.register_helper("heatmap", Box::new(heatmap));
    h.register_helper("funnel_chart", Box::new(funnel_chart));
    h.register_helper("wres_class", Box::new(wres_class));
    h.register_helper("wres_words", Box::new(wres_words));
    h.register_helper("fmt1", Box::new(fmt1));
    h.register_helper("inc", Box::new(inc));
    Ok(h)
}

handlebars::handlebars_helper!(fmt1: |x: Json| match x.as_f64() { Some(v) => format!("{v:.1}"), None => dash(x) });
handlebars::handlebars_helper!(inc: |i: u64| i + 1);

// Formatting helpers take any JSON so that a missing value (null, or "suppressed") prints as such
// instead of failing the render.
handlebars::handlebars_helper!(pct: |x: Json| match x.as_f64() { Some(v) => format!("{:.1}%", v * 100.0), None => dash(x) });
handlebars::handlebars_helper!(num: |x: Json| match x.as_f64() { Some(v) => format!("{v:.2}"), None => dash(x) });
handlebars::handlebars_helper!(ci: |x: Json| match (x.get(0).and_then(|v| v.as_f64()), x.get(1).and_then(|v| v.as_f64())) {
    (Some(a), Some(b)) => format!("{a:.2} to {b:.2}"),
    _ => "–".to_string(),
});
handlebars::handlebars_helper!(ci_pct: |x: Json| match (x.get(0).and_then(|v| v.as_f64()), x.get(1).and_then(|v| v.as_f64())) {
    (Some(a), Some(b)) => format!("{:.1}–{:.1}%", a * 100.0, b * 100.0),
    _ => "–".to_string(),
});
handlebars::handlebars_helper!(pval: |x: Json| match x.as_f64() {
    Some(v) if v < 0.001 => "< 0.001".to_string(),
    Some(v) => format!("{v:.3}"),
    None => "–".to_string(),
});
// "p = 0.012" or "p < 0.001", never "p = < 0.001".
handlebars::handlebars_helper!(p_is: |x: Json| match x.as_f64() {
    Some(v) if v < 0.001 => "p < 0.001".to_string(),
    Some(v) => format!("p = {v:.3}"),
    None => "p –".to_string(),
});
handlebars::handlebars_helper!(heatmap: |candidate: str, panellists: Json, rows: Json, min: f64, max: f64|
    charts::heatmap(candidate, panellists.as_array().map_or(&[][..], |v| v), rows.as_array().map_or(&[][..], |v| v), min, max));
handlebars::handlebars_helper!(funnel_chart: |rows: Json, id: str|
    charts::funnel(&audit::STAGES, rows.as_array().map_or(&[][..], |v| v), id));
handlebars::handlebars_helper!(wres_class: |ci95: Json| charts::wres_reading(ci95).0);
handlebars::handlebars_helper!(wres_words: |ci95: Json| charts::wres_reading(ci95).1);

fn dash(x: &serde_json::Value) -> String {
    match x.as_str() {
        Some(s) => s.to_string(),
        None => "–".to_string(),
    }
}

pub fn render<T: Serialize>(template: &str, kind: Kind, view: &T) -> Result<String> {
    Ok(registry(kind)?.render(template, view)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escaping_neutralises_formatting_and_tables() {
        assert_eq!(
            escape_markdown("a|b *c* <x>\nnext"),
            "a\\|b \\*c\\* \\<x\\> next"
        );
        assert_eq!(
            escape_markdown("a\u{1b}[2J\u{202E}b"),
            "a\u{FFFD}\\[2J\u{FFFD}b"
        );
    }
}
