//! Serve stage: keeps the built site in memory, serves it over HTTP, watches the sources and rebuilds
//! incrementally, and tells open pages what to reload. `cmd::serve` wires these parts together.

pub mod http;
pub mod rebuild;
pub mod watch;

use std::time::{SystemTime, UNIX_EPOCH};

use crate::diag::{Diagnostic, Severity};
use http::Problem;

/// Build ids unique across server restarts, so a page from an earlier run knows it is stale.
pub fn build_ids() -> impl FnMut() -> u64 {
    let start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut next = start * 1000;
    move || {
        next += 1;
        next
    }
}

pub fn problems(diagnostics: &[Diagnostic]) -> Vec<Problem> {
    diagnostics
        .iter()
        .map(|d| Problem {
            location: d.location(),
            severity: match d.severity {
                Severity::Error => "error".into(),
                Severity::Warning => "warning".into(),
            },
            message: d.message.clone(),
            hint: d.hint.clone(),
        })
        .collect()
}
