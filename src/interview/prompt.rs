//! The seam between flows and the terminal: flows ask through [`Prompter`], so they run against the real
//! terminal (inquire) or a scripted set of answers in tests.

use anyhow::{bail, Result};
use std::collections::VecDeque;

pub trait Prompter {
    /// Choose one of `options`; returns its index.
    fn select(&mut self, message: &str, options: &[String], help: Option<&str>) -> Result<usize>;
    /// Choose one of a long list by typing the words of an option in any order ("british
    /// pakistani"); options holding every typed word come first.
    fn search(&mut self, message: &str, options: &[String], help: Option<&str>) -> Result<usize> {
        self.select(message, options, help)
    }
    /// Free text; `validate` returns an error message to show and ask again.
    fn text(
        &mut self,
        message: &str,
        help: Option<&str>,
        validate: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String>;
    fn confirm(&mut self, message: &str, default: bool) -> Result<bool>;
    /// Choose any of `options` (those in `defaults` start chosen); returns their indexes in order.
    fn multi_select(
        &mut self,
        message: &str,
        options: &[String],
        defaults: &[usize],
    ) -> Result<Vec<usize>>;
    /// A secret, not echoed.
    fn password(&mut self, message: &str) -> Result<String>;
    /// Show information (question text, anchors, progress).
    fn say(&mut self, text: &str) -> Result<()>;
}

/// The real terminal.
pub struct Terminal;

fn map_err(e: inquire::InquireError) -> anyhow::Error {
    use inquire::InquireError::*;
    match e {
        OperationCanceled | OperationInterrupted => {
            anyhow::anyhow!("cancelled; everything already answered is saved")
        }
        NotTTY => anyhow::anyhow!("no terminal to ask on; use the command's flags instead"),
        e => e.into(),
    }
}

impl Prompter for Terminal {
    fn select(&mut self, message: &str, options: &[String], help: Option<&str>) -> Result<usize> {
        let mut p = inquire::Select::new(message, shown(options)).with_page_size(12);
        if let Some(h) = help {
            p = p.with_help_message(h);
        }
        let choice = p.raw_prompt().map_err(map_err)?;
        Ok(choice.index)
    }

    fn search(&mut self, message: &str, options: &[String], help: Option<&str>) -> Result<usize> {
        let scorer = |input: &str, _: &String, label: &str, i: usize| -> Option<i64> {
            let typed = crate::ethnicity::words(input);
            if typed.is_empty() {
                // Nothing typed yet: the list in its own order.
                return Some(-(i as i64));
            }
            let n = crate::ethnicity::words_matched(&typed, label);
            // Every word matched ranks above some; within each, the list's own order.
            let rank = if n == typed.len() { 1_000_000 } else { 0 };
            (n > 0).then(|| rank + n as i64 * 1_000 - i as i64)
        };
        let mut p = inquire::Select::new(message, shown(options))
            .with_page_size(12)
            .with_scorer(&scorer);
        if let Some(h) = help {
            p = p.with_help_message(h);
        }
        Ok(p.raw_prompt().map_err(map_err)?.index)
    }

    fn text(
        &mut self,
        message: &str,
        help: Option<&str>,
        validate: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String> {
        loop {
            let mut p = inquire::Text::new(message);
            if let Some(h) = help {
                p = p.with_help_message(h);
            }
            let answer = p.prompt().map_err(map_err)?;
            match validate(&answer) {
                None => return Ok(answer),
                Some(msg) => eprintln!("  {}", crate::model::display_safe(&msg)),
            }
        }
    }

    fn confirm(&mut self, message: &str, default: bool) -> Result<bool> {
        inquire::Confirm::new(message)
            .with_default(default)
            .prompt()
            .map_err(map_err)
    }

    fn multi_select(
        &mut self,
        message: &str,
        options: &[String],
        defaults: &[usize],
    ) -> Result<Vec<usize>> {
        let chosen = inquire::MultiSelect::new(message, shown(options))
            .with_default(defaults)
            .with_page_size(14)
            .raw_prompt()
            .map_err(map_err)?;
        Ok(chosen.into_iter().map(|c| c.index).collect())
    }

    fn password(&mut self, message: &str) -> Result<String> {
        inquire::Password::new(message)
            .without_confirmation()
            .with_display_mode(inquire::PasswordDisplayMode::Hidden)
            .prompt()
            .map_err(map_err)
    }

    fn say(&mut self, text: &str) -> Result<()> {
        println!("{}", crate::model::terminal_safe(text));
        Ok(())
    }
}

/// Options as the terminal shows them: names and question texts from the record, made safe.
fn shown(options: &[String]) -> Vec<String> {
    options
        .iter()
        .map(|o| crate::model::display_safe(o).into_owned())
        .collect()
}

/// Scripted answers, for tests: each prompt takes the next answer. Selections match an option by its
/// start (so "4" picks "4 — Strong evidence"); texts are validated like the terminal would.
#[derive(Default)]
pub struct Scripted {
    pub answers: VecDeque<String>,
    /// Everything shown and asked, in order.
    pub transcript: Vec<String>,
}

impl Scripted {
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(answers: I) -> Self {
        Scripted {
            answers: answers.into_iter().map(Into::into).collect(),
            transcript: vec![],
        }
    }

    fn next(&mut self, message: &str) -> Result<String> {
        self.transcript.push(format!("? {message}"));
        match self.answers.pop_front() {
            Some(a) => Ok(a),
            None => bail!("cancelled; everything already answered is saved"),
        }
    }

    pub fn shown(&self) -> String {
        self.transcript.join("\n")
    }
}

impl Prompter for Scripted {
    fn select(&mut self, message: &str, options: &[String], _help: Option<&str>) -> Result<usize> {
        for o in options {
            self.transcript.push(format!("  {o}"));
        }
        let a = self.next(message)?;
        options
            .iter()
            .position(|o| o == &a || o.starts_with(&a))
            .ok_or_else(|| anyhow::anyhow!("scripted answer {a:?} is not an option of {message:?}"))
    }

    fn text(
        &mut self,
        message: &str,
        _help: Option<&str>,
        validate: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String> {
        loop {
            let a = self.next(message)?;
            match validate(&a) {
                None => return Ok(a),
                Some(msg) => self.transcript.push(format!("! {msg}")),
            }
        }
    }

    fn confirm(&mut self, message: &str, _default: bool) -> Result<bool> {
        let a = self.next(message)?;
        Ok(matches!(a.to_lowercase().as_str(), "y" | "yes" | "true"))
    }

    /// The answer lists option starts separated by commas; blank keeps the defaults.
    fn multi_select(
        &mut self,
        message: &str,
        options: &[String],
        defaults: &[usize],
    ) -> Result<Vec<usize>> {
        for o in options {
            self.transcript.push(format!("  {o}"));
        }
        let a = self.next(message)?;
        if a.trim().is_empty() {
            return Ok(defaults.to_vec());
        }
        a.split(',')
            .map(|part| {
                let part = part.trim();
                options
                    .iter()
                    .position(|o| o == part || o.starts_with(part))
                    .ok_or_else(|| {
                        anyhow::anyhow!("scripted answer {part:?} is not an option of {message:?}")
                    })
            })
            .collect()
    }

    fn password(&mut self, message: &str) -> Result<String> {
        let a = self.next(message)?;
        // The secret itself is not kept in the transcript.
        if let Some(last) = self.transcript.last_mut() {
            last.push_str(" (hidden)");
        }
        Ok(a)
    }

    fn say(&mut self, text: &str) -> Result<()> {
        self.transcript.push(text.to_string());
        Ok(())
    }
}
