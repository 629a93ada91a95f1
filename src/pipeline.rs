//! The build pipeline in one place: scan → parse → link graph → images → render → search index, each
//! stage timed, their diagnostics collected. Commands (`build`, `check`, later `serve`) call this and
//! decide what to write and print.

use indicatif::ProgressBar;
use pulldown_cmark::Event;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{self, GraphInput, Site};
use crate::images::{self, Assets};
use crate::output::Output;
use crate::parse::{self, Parsed};
use crate::render::{BodyVisitor, RendererSource};
use crate::scan::{self, SourceSet};
use crate::search::{self, SearchOptions};

/// A one-shot build of more notes than this keeps their events' tapes compressed between stages
/// (at ~10 KB a note, 20k notes are ~200 MB of tape).
const COMPRESS_ABOVE_NOTES: usize = 20_000;

/// Options that change what is built.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    pub drafts: bool,
    /// Read the text in screenshots (`--ocr`; `[images] ocr = true` turns it on too).
    pub ocr: bool,
    /// `check`: learn every image's facts but make no variants, read no text, write no cache.
    pub check_only: bool,
}

/// Everything a build produced, before writing.
pub struct Built {
    pub sources: SourceSet,
    pub site: Site,
    pub assets: Assets,
    pub output: Output,
    pub diagnostics: Diagnostics,
    pub timings: Timings,
    /// What parsing each source gave besides its note, in `sources.notes` order (kept for reuse
    /// by the next rebuild).
    pub parsed: Vec<SourceParse>,
    /// Each note's search document and the index parts made from them (kept for reuse by the
    /// next rebuild).
    pub search: search::SearchCache,
    /// What the scan reported (kept with `sources` for the next rebuild).
    pub scan_diagnostics: Vec<Diagnostic>,
}

/// What the parse stage gave for one source besides its note, which moved into the site.
pub struct SourceParse {
    /// Whether the source gave a note (one whose front matter failed gives none).
    pub gave_note: bool,
    pub diagnostics: Vec<Diagnostic>,
    /// The file's content hash as the parse stage read it (for the build record).
    pub file_hash: Option<blake3::Hash>,
}

/// Wall time per stage, in order, and (when tracked) the process's peak memory when each stage
/// ended.
#[derive(Debug, Default, Clone)]
pub struct Timings(
    pub Vec<(&'static str, Duration)>,
    pub Vec<(&'static str, u64)>,
    /// Whether to read the peak memory: only a one-shot build does. In `serve` the peak is the
    /// whole session's, and reading it would only cost every live reload a few system calls.
    bool,
);

impl Timings {
    pub fn measure<T>(&mut self, stage: &'static str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let value = f();
        self.0.push((stage, start.elapsed()));
        self.note_peak_memory(stage);
        value
    }

    /// Replaces stage `stage`'s time (for a stage the caller ran before the pipeline).
    pub fn set(&mut self, stage: &'static str, time: Duration) {
        if let Some(entry) = self.0.iter_mut().find(|(s, _)| *s == stage) {
            entry.1 = time;
        }
    }

    /// Timings that also record the peak memory after each stage.
    pub fn with_memory() -> Timings {
        Timings(Vec::new(), Vec::new(), true)
    }

    /// Records the peak resident memory so far, where tracked and the system reports it (Linux).
    pub fn note_peak_memory(&mut self, stage: &'static str) {
        if let Some(bytes) = self.2.then(peak_resident_bytes).flatten() {
            self.1.push((stage, bytes));
        }
    }

    /// `parse 410 MiB · link 620 MiB · …`: the peak after each stage, or `None` where unknown.
    pub fn peak_memory(&self) -> Option<String> {
        let parts: Vec<String> = self
            .1
            .iter()
            .map(|(stage, bytes)| format!("{stage} {} MiB", bytes >> 20))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

/// The process's peak resident set (`VmHWM`), read from `/proc/self/status`.
fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

impl fmt::Display for Timings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(stage, d)| format!("{stage} {}", millis(*d)))
            .collect();
        f.write_str(&parts.join(" · "))
    }
}

pub fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// Results of an earlier build that a rebuild may reuse (`serve` keeps them between saves).
#[derive(Default)]
pub struct Previous {
    /// The files found by the last scan, and its problems: reused when the caller knows that no
    /// file was added or removed (`serve`, when every changed path is a known note or image).
    pub sources: Option<(SourceSet, Vec<Diagnostic>)>,
    pub parsed: parse::PreviousParse,
    /// Each note's resolved links.
    pub links: graph::LinkCache,
    pub assets: Assets,
    /// Each note's search document and the index parts made from them.
    pub search: search::SearchCache,
}

impl Built {
    /// Gives the parsed notes and loaded images back for the next rebuild.
    pub fn into_previous(mut self) -> Previous {
        let links = graph::LinkCache::take(&mut self.site);
        // Notes are a subsequence of the sources (a note whose front matter failed has none).
        let mut notes = std::mem::take(&mut self.site.notes).into_iter();
        let parsed = std::mem::take(&mut self.parsed)
            .into_iter()
            .map(|p| Parsed {
                note: if p.gave_note { notes.next() } else { None },
                diagnostics: p.diagnostics,
                file_hash: p.file_hash,
            })
            .collect();
        Previous {
            parsed: parse::PreviousParse {
                sources: self.sources.notes.clone(),
                parsed,
            },
            sources: Some((self.sources, self.scan_diagnostics)),
            links,
            assets: self.assets,
            search: self.search,
        }
    }
}

/// A full build: every stage, nothing reused; `progress` advances once per note parsed. Files go
/// into `output` (see [`Output::streaming`]). `scanned`: the files and problems of a scan the
/// caller already made of this configuration (scanned again when `None`).
pub fn build(
    config: &Config,
    renderer: &dyn RendererSource,
    options: BuildOptions,
    progress: &ProgressBar,
    output: Output,
    scanned: Option<(SourceSet, Vec<Diagnostic>)>,
) -> Built {
    let unchanged = |_: &Path| false;
    let input = RebuildInput {
        previous: Previous {
            sources: scanned,
            ..Previous::default()
        },
        is_unchanged: &unchanged,
        output,
        keep_for_next: false,
    };
    rebuild_into(config, renderer, options, progress, input)
}

/// What a rebuild starts from besides the configuration.
struct RebuildInput<'a> {
    previous: Previous,
    is_unchanged: &'a (dyn Fn(&Path) -> bool + Sync),
    output: Output,
    /// Whether a next rebuild will reuse this one (`serve`): otherwise what only reuse reads is
    /// dropped as soon as the build is done with it.
    keep_for_next: bool,
}

/// A build that reuses `previous` results for every source file `is_unchanged` accepts. With the
/// same inputs it produces exactly what [`build`] produces.
pub fn rebuild(
    config: &Config,
    renderer: &dyn RendererSource,
    options: BuildOptions,
    progress: &ProgressBar,
    previous: Previous,
    is_unchanged: &(dyn Fn(&Path) -> bool + Sync),
) -> Built {
    let input = RebuildInput {
        previous,
        is_unchanged,
        output: Output::default(),
        keep_for_next: true,
    };
    rebuild_into(config, renderer, options, progress, input)
}

fn rebuild_into(
    config: &Config,
    renderer: &dyn RendererSource,
    options: BuildOptions,
    progress: &ProgressBar,
    input: RebuildInput<'_>,
) -> Built {
    let RebuildInput {
        previous,
        is_unchanged,
        mut output,
        keep_for_next,
    } = input;
    let mut timings = match keep_for_next {
        true => Timings::default(),
        false => Timings::with_memory(),
    };
    let mut diagnostics = Diagnostics::default();
    let (sources, scan_diagnostics) = timings.measure("scan", || match previous.sources {
        Some(known) => known,
        None => {
            let (sources, diags) = scan::scan(config);
            (sources, diags.into_sorted())
        }
    });
    diagnostics.extend(scan_diagnostics.iter().cloned());
    progress.set_length(sources.notes.len() as u64);
    let tick = || progress.inc(1);
    let parsed = timings.measure("parse", || {
        // A one-shot build of a large site keeps each note's tape compressed: render and search
        // are the only stages that read it again, and compressed it takes a third of the memory
        // (the text was the largest part of a 50k-note build's peak). It costs ~5% of the build's
        // time, which smaller sites, whose texts fit easily, need not pay.
        let compress = !keep_for_next && sources.notes.len() > COMPRESS_ABOVE_NOTES;
        parse::parse_all(
            &sources.notes,
            previous.parsed,
            is_unchanged,
            &tick,
            compress,
        )
    });
    let mut notes = Vec::with_capacity(parsed.len());
    let mut source_parses = Vec::with_capacity(parsed.len());
    for result in parsed {
        diagnostics.extend(result.diagnostics.iter().cloned());
        source_parses.push(SourceParse {
            gave_note: result.note.is_some(),
            diagnostics: result.diagnostics,
            file_hash: result.file_hash,
        });
        notes.extend(result.note);
    }
    let input = GraphInput {
        config,
        images: &sources.images,
        drafts: options.drafts,
        is_unchanged,
        page_inputs: keep_for_next,
    };
    let (mut site, diags) = timings.measure("link", || graph::build(notes, &input, previous.links));
    diagnostics.extend(diags);
    if !keep_for_next {
        site.release_after_linking();
    }
    progress.set_message("processing images");
    progress.set_position(0);
    progress.set_length(site.local_files().len() as u64);
    let image_options = images::LoadOptions {
        config: &config.images,
        process: !options.check_only,
        ocr: options.ocr || config.images.ocr,
        tick: &tick,
    };
    let (assets, diags) = timings.measure("images", || {
        images::load(&site, image_options, previous.assets, is_unchanged)
    });
    diagnostics.extend(diags);
    // The first stage that needs the templates (a build may have compiled them meanwhile). When
    // they did not compile, nothing is rendered and the caller reports why.
    let search = match renderer.renderer() {
        None => search::SearchCache::default(),
        Some(renderer) => {
            let search_options = SearchOptions::for_language(&config.site.language);
            // A one-shot build makes the search documents from the events the render pass
            // reads. `serve` does not: most of its renders are of notes whose search documents
            // are cached.
            let documents =
                (!keep_for_next).then(|| search::Documents::new(&site, &assets, search_options));
            let diags = timings.measure("render", || {
                let visit = documents.as_ref().map(|documents| {
                    move |id, events: &[Event<'_>], output: &Output| {
                        documents.add(id, events, output)
                    }
                });
                let visit = visit.as_ref().map(|visit| visit as &BodyVisitor);
                renderer.render(&site, &assets, config, &mut output, visit)
            });
            diagnostics.extend(diags);
            let (index, search) = timings.measure("search", || {
                search::build(
                    &site,
                    &assets,
                    search_options,
                    previous.search,
                    is_unchanged,
                    (!keep_for_next).then_some(&output),
                    documents.as_ref(),
                )
            });
            if let Some(documents) = documents {
                documents.free_in_background();
            }
            output.add_all(index);
            search
        }
    };
    Built {
        sources,
        site,
        assets,
        output,
        diagnostics,
        timings,
        parsed: source_parses,
        search,
        scan_diagnostics,
    }
}
