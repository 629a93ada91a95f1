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
    /// Images under img_dir that no note references.
    unused_images: Vec<String>,
    /// Images over the `[images]` size thresholds.
    oversized_images: Vec<Oversized>,
    /// Screenshots whose alt text is empty or only the file name.
    images_without_alt: Vec<WithoutAlt>,
}

#[derive(Serialize)]
struct Oversized {
    path: String,
    bytes: u64,
    width: Option<u32>,
    height: Option<u32>,
    reason: String,
}

#[derive(Serialize)]
struct WithoutAlt {
    path: String,
    line: usize,
    column: usize,
    image: String,
}

pub fn run(args: &CheckArgs) -> Result<Outcome, Failure> {
    let config = Config::load(&args.root.root)?;
    let renderer = Renderer::new(&config).map_err(|d| Failure::Usage(d.to_string()))?;
    let progress = indicatif::ProgressBar::hidden();
    let mut built = pipeline::build(
        &config,
        &renderer,
        BuildOptions {
            drafts: args.drafts,
            ocr: false,
            check_only: true,
        },
        &progress,
        // Rendered to find template and link problems; no page is kept.
        crate::output::Output::discarding(),
        None,
    );
    let (errors, warnings) = (
        built.diagnostics.count(Severity::Error),
        built.diagnostics.count(Severity::Warning),
    );
    let diagnostics = std::mem::take(&mut built.diagnostics).into_sorted();
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
    let unused_images = unused_images(&built, &config);
    let oversized_images = oversized_images(&built, &config);
    let images_without_alt = images_without_alt(&built);
    let ok = diagnostics.is_empty();
    if args.json {
        let report = Report {
            ok,
            notes: built.site.visible().count(),
            errors,
            warnings,
            diagnostics: &diagnostics,
            notes_without_topics: without_topics,
            unused_images,
            oversized_images,
            images_without_alt,
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
        for path in &unused_images {
            eprintln!("{path}: note: no note uses this image");
        }
        if !images_without_alt.is_empty() {
            eprintln!(
                "note: {} screenshots have no alt text (empty, or just the file name); `check --json` lists them",
                images_without_alt.len()
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

/// Image files under img_dir that no published note references, relative to the site root.
fn unused_images(built: &pipeline::Built, config: &Config) -> Vec<String> {
    let used: std::collections::HashSet<std::path::PathBuf> =
        built.site.local_files().into_iter().collect();
    built
        .sources
        .images
        .iter()
        .filter(|path| !path.canonicalize().is_ok_and(|c| used.contains(&c)))
        .map(|path| {
            crate::diag::display_path(&config.root, path)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

/// Referenced images over the `[images]` thresholds (each file once), relative to the site root.
fn oversized_images(built: &pipeline::Built, config: &Config) -> Vec<Oversized> {
    let mut list: Vec<Oversized> = built
        .assets
        .ok()
        .filter_map(|asset| {
            Some(Oversized {
                reason: asset.oversized.clone()?,
                path: crate::diag::display_path(&config.root, &asset.source)
                    .to_string_lossy()
                    .replace('\\', "/"),
                bytes: asset.len,
                width: asset.width,
                height: asset.height,
            })
        })
        .collect();
    list.sort_by(|a, b| a.path.cmp(&b.path));
    list
}

/// Every image reference whose alt text says nothing: empty, or the file name again.
fn images_without_alt(built: &pipeline::Built) -> Vec<WithoutAlt> {
    let site = &built.site;
    let mut list = Vec::new();
    for id in site.visible() {
        let note = &site.notes[id];
        for image in &note.body.images {
            let file = image.dest.rsplit('/').next().unwrap_or(&image.dest);
            let file = crate::graph::resolve::percent_decode(file);
            let alt = image.alt.trim();
            if alt.is_empty() || alt.eq_ignore_ascii_case(&file) {
                list.push(WithoutAlt {
                    path: note.source.display.to_string_lossy().replace('\\', "/"),
                    line: image.position.line,
                    column: image.position.column,
                    image: image.dest.clone(),
                });
            }
        }
    }
    list
}
