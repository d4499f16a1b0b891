//! Output plumbing: JSON or text to a writer, and a small aligned-table renderer.

use crate::cli::Format;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// Write `view` as pretty JSON, or as the text `text` renders.
pub fn emit<T: Serialize>(
    w: &mut dyn Write,
    format: Format,
    view: &T,
    text: impl FnOnce(&T) -> String,
) -> Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, view)?;
            writeln!(w)?;
        }
        Format::Text => {
            // A last guard for the terminal: whatever a view forgot, no control or invisible
            // character from the record reaches it.
            let rendered = text(view);
            let s = crate::model::terminal_safe(&rendered);
            w.write_all(s.as_bytes())?;
            if !s.ends_with('\n') {
                writeln!(w)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// Left-aligned columns separated by two spaces; numeric-looking cells right-aligned. Every cell is
/// made [`display_safe`](crate::model::display_safe) first, so no cell can break its row or hide
/// text, and widths are those of what is shown.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let safe = |c: &str| crate::model::display_safe(c).into_owned();
    let header: Vec<String> = header.iter().map(|h| safe(h)).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| safe(c)).collect())
        .collect();
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let numeric =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || ".-–".contains(c));
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            if i > 0 {
                s.push_str("  ");
            }
            if numeric(c) {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                if i + 1 < n {
                    s.push_str(&" ".repeat(pad));
                }
            }
        }
        s.trim_end().to_string()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn table_cells_cannot_break_rows_or_carry_escapes() {
        let t = table(
            &["name", "n"],
            &[
                vec!["Ann\u{1b}[31m".into(), "1".into()],
                vec!["B\nfake  2".into(), "2".into()],
                vec!["\u{202E}Cy".into(), "3".into()],
            ],
        );
        assert_eq!(t.lines().count(), 4, "{t}");
        assert!(!t.contains(['\u{1b}', '\u{202E}']), "{t}");
        assert!(
            t.contains("Ann\u{FFFD}[31m") && t.contains("B fake  2"),
            "{t}"
        );
    }
}
