//! Reports: a view model built from the store, checks and statistics, rendered by handlebars templates
//! (Markdown, self-contained HTML) or serialised as JSON. Templates hold presentation; Rust holds logic.

pub mod decision;
pub mod text;

use anyhow::Result;
use handlebars::Handlebars;
use serde::Serialize;

const DECISION_MD: &str = include_str!("templates/decision.md.hbs");
const DECISION_HTML: &str = include_str!("templates/decision.html.hbs");
const STYLE_CSS: &str = include_str!("templates/style.css");

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
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn registry(kind: Kind) -> Result<Handlebars<'static>> {
    let mut h = Handlebars::new();
    h.set_strict_mode(true);
    if kind == Kind::Markdown {
        h.register_escape_fn(escape_markdown);
    }
    h.register_template_string("decision.md", DECISION_MD)?;
    h.register_template_string("decision.html", DECISION_HTML)?;
    h.register_partial("style", STYLE_CSS)?;
    h.register_helper("fmt1", Box::new(fmt1));
    h.register_helper("inc", Box::new(inc));
    Ok(h)
}

handlebars::handlebars_helper!(fmt1: |x: f64| format!("{x:.1}"));
handlebars::handlebars_helper!(inc: |i: u64| i + 1);

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
    }
}
