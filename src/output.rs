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
            let s = text(view);
            w.write_all(s.as_bytes())?;
            if !s.ends_with('\n') {
                writeln!(w)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// Left-aligned columns separated by two spaces; numeric-looking cells right-aligned.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
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
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}
