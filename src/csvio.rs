//! CSV input shared by every command that reads CSV: one reader, one style of error
//! (`FILE: row N, column 'C': …`, where row N is the line in the file and the header is row 1).
//! A byte-order mark is ignored, fields are trimmed, `-` reads standard input, and cells are data:
//! nothing that looks like a formula is evaluated.

use anyhow::{anyhow, bail, Context, Result};
use std::io::Read;
use std::path::Path;

/// Largest CSV read (a file, a pipe or standard input): far beyond any trust's pipeline or score
/// sheets, and small enough to read whole.
pub const MAX_CSV_BYTES: u64 = 64 * 1024 * 1024;

/// A CSV file read whole: header and data rows with their line numbers.
pub struct CsvTable {
    pub label: String,
    pub headers: Vec<String>,
    pub rows: Vec<(u64, csv::StringRecord)>,
}

/// Line numbers from byte offsets: the csv crate's own line count lags behind with CRLF line ends,
/// and its record offset may point at the line break before the record.
struct Lines {
    newlines: Vec<usize>,
    /// Where each byte's line really starts being content: offsets of `\r`/`\n` skip forward.
    breaks: Vec<bool>,
}

impl Lines {
    fn new(bytes: &[u8]) -> Lines {
        Lines {
            newlines: bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i)
                .collect(),
            breaks: bytes.iter().map(|b| *b == b'\r' || *b == b'\n').collect(),
        }
    }
    fn line(&self, byte: u64) -> u64 {
        let mut b = byte as usize;
        while self.breaks.get(b).copied().unwrap_or(false) {
            b += 1;
        }
        self.newlines.partition_point(|&nl| nl < b) as u64 + 1
    }
}

pub fn read(path: &Path) -> Result<CsvTable> {
    let is_stdin = path.as_os_str() == "-";
    let label = if is_stdin {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let too_big = || {
        anyhow!("{label}: file is larger than {MAX_CSV_BYTES} bytes; split it into smaller files")
    };
    let bytes = if is_stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_CSV_BYTES + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("{label}: cannot read"))?;
        if bytes.len() as u64 > MAX_CSV_BYTES {
            return Err(too_big());
        }
        bytes
    } else {
        match crate::fsutil::read_limited(path, MAX_CSV_BYTES) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => return Err(too_big()),
            Err(e) => return Err(e).with_context(|| format!("{label}: cannot open")),
        }
    };
    let lines = Lines::new(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(&bytes[..]);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(&label, &lines, e))?
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                h
            };
            h.trim().to_string()
        })
        .collect();
    if headers.iter().all(String::is_empty) {
        bail!("{label}: the file is empty; a header row naming the columns is needed");
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&label, &lines, e))?;
        let line = record.position().map_or(0, |p| lines.line(p.byte()));
        if record.len() != headers.len() {
            bail!(
                "{label}: row {line} has {} field{} but the header has {} columns",
                record.len(),
                if record.len() == 1 { "" } else { "s" },
                headers.len()
            );
        }
        rows.push((line, record));
    }
    // An unclosed quote makes the reader take the rest of the file as one field, silently: quotes
    // come in pairs ("" escapes one), so an odd count with a last field spanning lines means one was
    // never closed.
    let swallowed = rows
        .last()
        .is_some_and(|(_, r)| r.iter().any(|f| f.contains('\n')));
    if swallowed && bytes.iter().filter(|b| **b == b'"').count() % 2 == 1 {
        let line = rows.last().map_or(1, |r| r.0);
        bail!("{label}: row {line}: a quoted field is never closed (a \" is missing), so the rest of the file would run into it");
    }
    Ok(CsvTable {
        label,
        headers,
        rows,
    })
}

fn csv_error(label: &str, lines: &Lines, e: csv::Error) -> anyhow::Error {
    match e.kind() {
        csv::ErrorKind::Utf8 {
            pos: Some(pos),
            err,
        } => {
            anyhow!(
                "{label}: row {}, field {}: not valid UTF-8 text (save the file as UTF-8 CSV)",
                lines.line(pos.byte()),
                err.field() + 1
            )
        }
        csv::ErrorKind::Io(io) => anyhow!("{label}: cannot read: {io}"),
        _ => anyhow!("{label}: {e}"),
    }
}

impl CsvTable {
    /// Refuse a file with a header and no data: nothing to compute or import.
    pub fn require_rows(self) -> Result<Self> {
        if self.rows.is_empty() {
            bail!("{}: no data rows after the header", self.label);
        }
        Ok(self)
    }

    /// Index of the column called `name` (case-insensitive).
    /// Refuse a header naming a column twice: which one would count is a guess.
    pub fn unique_headers(&self) -> Result<()> {
        for (i, h) in self.headers.iter().enumerate() {
            if self.headers[..i].iter().any(|o| o.eq_ignore_ascii_case(h)) {
                bail!(
                    "{}: row 1: column '{h}' appears more than once in the header",
                    self.label
                );
            }
        }
        Ok(())
    }

    pub fn column(&self, name: &str) -> Result<usize> {
        let matches: Vec<usize> = (0..self.headers.len())
            .filter(|&i| self.headers[i].eq_ignore_ascii_case(name.trim()))
            .collect();
        match matches.as_slice() {
            [i] => Ok(*i),
            [] => bail!(
                "{}: missing column '{name}' (columns found: {})",
                self.label,
                self.headers.join(", ")
            ),
            _ => bail!(
                "{}: column '{name}' appears more than once in the header",
                self.label
            ),
        }
    }

    pub fn text(&self, line: u64, rec: &csv::StringRecord, col: usize) -> Result<String> {
        let v = rec.get(col).unwrap_or("");
        if v.is_empty() {
            bail!(
                "{}: row {line}, column '{}': empty value",
                self.label,
                self.headers[col]
            );
        }
        Ok(v.to_string())
    }

    /// A number, or `None` for an empty cell. NaN and infinities are refused.
    pub fn number(&self, line: u64, rec: &csv::StringRecord, col: usize) -> Result<Option<f64>> {
        let v = rec.get(col).unwrap_or("");
        if v.is_empty() {
            return Ok(None);
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => bail!(
                "{}: row {line}, column '{}': cannot read {v:?} as a number",
                self.label,
                self.headers[col]
            ),
        }
    }

    pub fn count(&self, line: u64, rec: &csv::StringRecord, col: usize) -> Result<u64> {
        let v = rec.get(col).unwrap_or("");
        v.parse::<u64>().map_err(|_| {
            anyhow!(
                "{}: row {line}, column '{}': cannot read {v:?} as a whole number",
                self.label,
                self.headers[col]
            )
        })
    }
}

/// Make a cell safe to open in a spreadsheet: text starting with `=`, `+`, `-`, `@`, tab or carriage
/// return would be read as a formula (OWASP "CSV injection"), so it is prefixed with `'`. Numbers are
/// left alone so that scores stay numeric.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Write rows as CSV with every cell neutralised.
pub fn write<W: std::io::Write>(out: W, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header)?;
    for r in rows {
        w.write_record(r.iter().map(|c| neutralise(c).into_owned()))?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        assert_eq!(neutralise("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(neutralise("@SUM(1)"), "'@SUM(1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("-2"), "-2");
        assert_eq!(neutralise("plain text"), "plain text");
    }
}
