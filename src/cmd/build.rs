//! `notesite build`: runs the pipeline, writes the site atomically and prints one summary line.

use anyhow::Context as _;
use rayon::prelude::*;
use std::time::Instant;

use super::{print_diagnostics, progress_bar, Failure, Outcome};
use crate::cli::BuildArgs;
use crate::config::Config;
use crate::diag::{Kind, Severity};
use crate::fingerprint;
use crate::output;
use crate::pipeline::{self, millis, BuildOptions};
use crate::render::{Compiling, Renderer, RendererSource};
use crate::scan;

/// Warnings of one kind shown before the rest are summarised (`check` lists all).
const SHOWN_PER_KIND: usize = 20;

pub fn run(args: &BuildArgs) -> Result<Outcome, Failure> {
    let started = Instant::now();
    // The config, templates and theme are hashed before they are read (the config just below, the
    // others by the renderer), the images before the build and the notes as they are parsed: a
    // file saved while the build runs makes the next build a full one, never a skipped one.
    let root = Config::resolve_root(&args.root.root)?;
    let site_files = fingerprint::SiteFiles::hash(&root);
    let mut config = Config::load(&root)?;
    if let Some(out) = &args.out {
        config = config.with_out_dir(out);
    }
    output::check_out_dir(&config).map_err(Failure::Usage)?;
    // Every note is hashed up front only when the build may be skipped. Otherwise (a first build,
    // a deleted site, --force) the parse stage hashes each note as it reads it: one read per note.
    let notes_hashed = !args.force && fingerprint::may_be_unchanged(&config);
    // A build that will not be skipped compiles the templates (5–9 ms) while the notes are found
    // and parsed; one that may be skipped does not spend the CPU on it first.
    let compiling = (!notes_hashed).then(|| Compiling::start(&config, args.timings));
    let scan_start = Instant::now();
    let (sources, scan_diagnostics) = scan::scan(&config);
    let scan_time = scan_start.elapsed();
    let mut inputs =
        fingerprint::Inputs::with_site_files(site_files, &config, &sources, &options_key(args));
    if notes_hashed {
        inputs.hash_notes(&sources);
        if let Some(record) = fingerprint::unchanged(&config, &inputs) {
            return Ok(report_unchanged(record, args, &config, started));
        }
    }
    let renderer = match compiling {
        Some(compiling) => compiling,
        None => {
            let made = Renderer::new(&config).map_err(|d| Failure::Usage(d.to_string()))?;
            Compiling::ready(match args.timings {
                true => made.with_profile(),
                false => made,
            })
        }
    };
    // Pages go into the staging folder as they are rendered; it replaces the site only if the
    // build succeeds, and is removed otherwise.
    let staging = output::Staging::create(&config.out_dir)
        .with_context(|| format!("cannot write the site to {}", config.out_dir.display()))?;
    let progress = progress_bar(args.quiet);
    let mut built = pipeline::build(
        &config,
        &renderer,
        BuildOptions {
            drafts: args.drafts,
            ocr: args.ocr,
            check_only: false,
        },
        &progress,
        output::Output::streaming(staging),
        Some((sources, scan_diagnostics.into_sorted())),
    );
    progress.finish_and_clear();
    // Nothing was rendered and the staging folder is removed: the site is left as it was.
    let renderer = match renderer.renderer() {
        Some(renderer) => renderer,
        None => {
            let error = renderer.error().map(ToString::to_string);
            return Err(Failure::Usage(error.unwrap_or_default()));
        }
    };
    built.timings.set("scan", scan_time);
    if args.strict {
        built.diagnostics.promote_warnings();
    }
    let failed = built.diagnostics.has_errors();
    let (errors, warnings) = (
        built.diagnostics.count(Severity::Error),
        built.diagnostics.count(Severity::Warning),
    );
    let missing = built
        .diagnostics
        .iter()
        .filter(|d| d.kind == Kind::MissingImage)
        .count();
    let diagnostics = built.diagnostics.clone().into_sorted();
    show_diagnostics(&diagnostics, args.quiet);
    if failed {
        eprintln!(
            "error: build failed with {errors} error(s); {} was left as it was",
            config.out_dir.display()
        );
        return Ok(Outcome::ContentErrors);
    }
    let write_start = Instant::now();
    fingerprint::forget(&config);
    let stats = output::write(&built.output, &config.out_dir)
        .with_context(|| format!("cannot write the site to {}", config.out_dir.display()))?;
    built.timings.0.push(("write", write_start.elapsed()));
    built.timings.note_peak_memory("write");
    let elapsed = started.elapsed();
    let notes = built.site.visible().count();
    let linked = built.site.local_files();
    // Worked out now, printed after the summary: the site is freed before the build record is
    // made, which would otherwise add to a large build's peak memory.
    let report = args.timings.then(|| timings_report(&built, renderer));
    let images = image_summary(&built.assets);
    let pipeline::Built {
        mut site,
        output,
        timings,
        sources: parsed_sources,
        parsed,
        ..
    } = built;
    if !notes_hashed {
        let paths = parsed_sources.notes.iter().map(|n| n.path.clone());
        inputs.add_notes(paths.zip(parsed.iter().map(|p| p.file_hash)));
    }
    let absent = std::mem::take(&mut site.absent);
    // The notes, most of the site, freed by both workers (on one, 16 ms at 10k notes).
    std::mem::take(&mut site.notes)
        .into_par_iter()
        .for_each(drop);
    drop(site);
    let done = fingerprint::Outcome {
        linked: &linked,
        absent: &absent,
        outputs: output.files.keys().map(String::as_str).collect(),
        diagnostics,
        notes,
    };
    if let Err(e) = fingerprint::save(&config, inputs, done) {
        eprintln!("warning: cannot save the build record (the next build will be a full one): {e}");
    }
    if !args.quiet {
        let out = config
            .out_dir
            .strip_prefix(&config.root)
            .unwrap_or(&config.out_dir);
        eprintln!(
            "Built {notes} notes into {}/ in {}: {} files ({} changed), {images}, {missing} missing screenshots, {warnings} warnings ({})",
            out.display(),
            millis(elapsed),
            output.files.len(),
            stats.written,
            timings
        );
    }
    if let Some(report) = report {
        eprint!("{report}");
    }
    Ok(Outcome::Success)
}

/// What changes the output besides the files the fingerprint reads.
fn options_key(args: &BuildArgs) -> String {
    format!(
        "drafts={} ocr={} strict={}",
        args.drafts, args.ocr, args.strict
    )
}

/// Nothing changed: the last build's warnings again, and one line saying so.
fn report_unchanged(
    record: fingerprint::Record,
    args: &BuildArgs,
    config: &Config,
    started: Instant,
) -> Outcome {
    show_diagnostics(&record.diagnostics, args.quiet);
    if !args.quiet {
        let warnings = record
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        let out = config
            .out_dir
            .strip_prefix(&config.root)
            .unwrap_or(&config.out_dir);
        eprintln!(
            "Nothing changed since the last build: {} notes in {}/ are up to date (checked in {}), {warnings} warnings; --force builds anyway",
            record.notes,
            out.display(),
            millis(started.elapsed()),
        );
    }
    Outcome::Success
}

fn show_diagnostics(diagnostics: &[crate::diag::Diagnostic], quiet: bool) {
    let visible: Vec<_> = diagnostics
        .iter()
        .filter(|d| !quiet || d.severity == Severity::Error)
        .cloned()
        .collect();
    print_diagnostics(&visible, Some(SHOWN_PER_KIND));
}

/// `12 images (5 variants made, 30 from cache, 2 read by OCR)`: what the image stage did.
fn image_summary(assets: &crate::images::Assets) -> String {
    let images = assets.ok().filter(|a| a.format.is_some()).count();
    let stats = assets.stats;
    let mut parts = vec![
        format!("{} variants made", stats.encoded),
        format!("{} from cache", stats.reused),
    ];
    if stats.ocr_read + stats.ocr_cached > 0 {
        parts.push(format!(
            "{} read by OCR, {} OCR from cache",
            stats.ocr_read, stats.ocr_cached
        ));
    }
    format!("{images} images ({})", parts.join(", "))
}

/// Notes and templates listed by `--timings`.
const SLOWEST: usize = 10;

/// The `--timings` report: each stage, the slowest notes (parse + render) and the time per
/// template. The render times are the build's own; a note's parse time is measured again after the
/// build (one note at a time, in parallel like the build), since the parse stage does not keep
/// per-note times.
fn timings_report(built: &pipeline::Built, renderer: &Renderer) -> String {
    use rayon::prelude::*;
    use std::collections::BTreeMap;
    use std::fmt::Write as _;
    use std::time::Duration;
    let mut report = String::new();
    let pages = renderer.page_times();
    let render: BTreeMap<&str, Duration> =
        pages.iter().map(|p| (p.file.as_str(), p.elapsed)).collect();
    let mut notes: Vec<(Duration, Duration, String)> = built
        .site
        .visible()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|&id| {
            let source = &built.site.notes[id].source;
            let start = Instant::now();
            let _ = crate::parse::read_and_parse(source);
            let parse = start.elapsed();
            let file = built.site.pages[id].file.as_str();
            let shown = source.display.display().to_string();
            (parse, render.get(file).copied().unwrap_or_default(), shown)
        })
        .collect();
    notes.sort_by_key(|(parse, render, _)| std::cmp::Reverse(*parse + *render));
    let _ = writeln!(report, "Stages: {}", built.timings);
    let _ = writeln!(report, "  (pages are written as they are rendered, and each note's search document is made from the same parse: render includes both, search the rest of the index, write the rest and the swap)");
    if let Some(peaks) = built.timings.peak_memory() {
        let _ = writeln!(report, "Peak memory after each stage: {peaks}");
    }
    let _ = writeln!(report, "Slowest notes (parse + render):");
    for (parse, render, path) in notes.iter().take(SLOWEST) {
        let _ = writeln!(
            report,
            "  {:>9}  {path} (parse {}, render {})",
            millis(*parse + *render),
            millis(*parse),
            millis(*render)
        );
    }
    let mut templates: BTreeMap<&str, (usize, Duration, Duration, &str)> = BTreeMap::new();
    for page in &pages {
        let entry =
            templates
                .entry(page.template)
                .or_insert((0, Duration::ZERO, Duration::ZERO, ""));
        entry.0 += 1;
        entry.1 += page.elapsed;
        if page.elapsed >= entry.2 {
            (entry.2, entry.3) = (page.elapsed, page.file.as_str());
        }
    }
    let mut templates: Vec<_> = templates.into_iter().collect();
    templates.sort_by_key(|(_, (_, total, _, _))| std::cmp::Reverse(*total));
    let _ = writeln!(
        report,
        "Templates (pages, total render time, slowest page):"
    );
    for (template, (count, total, max, file)) in templates {
        let _ = writeln!(
            report,
            "  {template:<12} {count:>6} pages  {:>9}  slowest {} ({file})",
            millis(total),
            millis(max)
        );
    }
    report
}
