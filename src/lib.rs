//! fairpanel: fairer job interviews, and a clear view of where they are not.
//!
//! A thin binary (`main.rs`) over this library. Data flows one way:
//! CLI → command → store / domain → checks & statistics → report.

pub mod actions;
pub mod bank;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod csvio;
pub mod ethnicity;
pub mod fsutil;
pub mod interview;
pub mod model;
pub mod output;
pub mod policy;
pub mod record;
pub mod report;
pub mod stats;
pub mod store;
pub mod synth;
pub mod yaml;

/// A usage error: the command line was incomplete or inconsistent (exit code 2).
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// A check found a `gap` (exit code 3). The findings have already been printed.
#[derive(Debug)]
pub struct GapFound;

impl std::fmt::Display for GapFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a check found a gap")
    }
}

impl std::error::Error for GapFound {}

/// Exit codes: 0 ok, 1 error, 2 usage, 3 a check found a gap.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    if e.downcast_ref::<Usage>().is_some() {
        2
    } else if e.downcast_ref::<GapFound>().is_some() {
        3
    } else {
        1
    }
}

/// True when the error is a closed pipe (`fairpanel … | head`), which should end quietly.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            // JSON is written through serde_json, whose error hides the io::Error it wraps.
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}
