//! `notesite check`: the whole build without writing; lists every problem, `--json` for CI.

use serde::Serialize;

use super::{print_diagnostics, Failure, Outcome};
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::diag::{Diagnostic, Severity};
use crate::pipeline::{self, BuildOptions};
use crate::render::Renderer;

/// The `--json` report: a contract for CI scripts.
#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    notes: usize,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
    notes_without_topics: Vec<String>,
}

pub fn run(args: &CheckArgs) -> Result<Outcome, Failure> {
    let config = Config::load(&args.root.root)?;
    let renderer = Renderer::new(&config).map_err(|d| Failure::Usage(d.to_string()))?;
    let progress = indicatif::ProgressBar::hidden();
    let built = pipeline::build(
        &config,
        &renderer,
        BuildOptions {
            drafts: args.drafts,
        },
        &progress,
    );
    let (errors, warnings) = (
        built.diagnostics.count(Severity::Error),
        built.diagnostics.count(Severity::Warning),
    );
    let diagnostics = built.diagnostics.into_sorted();
    let without_topics: Vec<String> = built
        .site
        .topics
        .untopical
        .iter()
        .map(|&id| {
            built.site.notes[id]
                .source
                .display
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    let ok = diagnostics.is_empty();
    if args.json {
        let report = Report {
            ok,
            notes: built.site.visible().count(),
            errors,
            warnings,
            diagnostics: &diagnostics,
            notes_without_topics: without_topics,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?
        );
    } else {
        print_diagnostics(&diagnostics, None);
        for path in &without_topics {
            eprintln!(
                "{path}: note: no topics in front matter (shown under its folder or \"Unsorted\")"
            );
        }
        eprintln!(
            "Checked {} notes: {errors} errors, {warnings} warnings",
            built.site.visible().count()
        );
    }
    Ok(if ok {
        Outcome::Success
    } else {
        Outcome::ContentErrors
    })
}
