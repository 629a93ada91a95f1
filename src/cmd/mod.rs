//! Commands: orchestration only. Each command loads the config, runs the pipeline, prints what the
//! user needs and returns an [`Outcome`]; the exit code is decided in one place ([`Outcome::exit_code`]
//! and [`Failure::exit_code`]).

pub mod build;
pub mod check;
pub mod init;
pub mod new;
pub mod publish;
pub mod serve;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::process::ExitCode;

use crate::config::ConfigError;
use crate::diag::{Diagnostic, Kind};

/// How a command that ran to the end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Content errors (or warnings under --strict): exit 1.
    ContentErrors,
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::ContentErrors => ExitCode::from(1),
        }
    }
}

/// Why a command could not run to the end.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Bad arguments or a refused operation: exit 2.
    #[error("{0}")]
    Usage(String),
    /// Anything else (I/O while writing, …): exit 1.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Config(_) | Failure::Usage(_) => ExitCode::from(2),
            Failure::Other(_) => ExitCode::from(1),
        }
    }
}

/// A progress bar on an interactive terminal, invisible otherwise (CI logs stay clean).
pub fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} {msg} {pos}/{len}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "));
    bar.set_message("reading notes");
    bar
}

/// Prints diagnostics sorted by file and line; with `limit`, at most that many per kind.
pub fn print_diagnostics(diagnostics: &[Diagnostic], limit: Option<usize>) {
    let mut shown: std::collections::HashMap<Kind, usize> = Default::default();
    let mut hints_given = std::collections::HashSet::new();
    for diag in diagnostics {
        let count = shown.entry(diag.kind).or_default();
        *count += 1;
        if limit.is_some_and(|l| *count > l) {
            continue;
        }
        // The same hint under twenty missing screenshots is noise: give each hint once.
        let mut diag = diag.clone();
        if diag
            .hint
            .as_ref()
            .is_some_and(|h| !hints_given.insert(h.clone()))
        {
            diag.hint = None;
        }
        eprintln!("{diag}");
    }
    if let Some(limit) = limit {
        let mut hidden: Vec<_> = shown.into_iter().filter(|(_, n)| *n > limit).collect();
        hidden.sort();
        for (kind, n) in hidden {
            let name = serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            eprintln!(
                "… and {} more {name} warnings (run `notesite check` to list them all)",
                n - limit
            );
        }
    }
}
