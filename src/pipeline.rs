//! The build pipeline in one place: scan → parse → link graph → images → render → search index, each
//! stage timed, their diagnostics collected. Commands (`build`, `check`, later `serve`) call this and
//! decide what to write and print.

use indicatif::ProgressBar;
use std::fmt;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::diag::Diagnostics;
use crate::graph::{self, GraphInput, Site};
use crate::images::{self, Assets};
use crate::output::Output;
use crate::parse;
use crate::render::Renderer;
use crate::scan::{self, SourceSet};
use crate::search::{self, SearchOptions};

/// Options that change what is built.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    pub drafts: bool,
}

/// Everything a build produced, before writing.
pub struct Built {
    pub sources: SourceSet,
    pub site: Site,
    pub assets: Assets,
    pub output: Output,
    pub diagnostics: Diagnostics,
    pub timings: Timings,
}

/// Wall time per stage, in order.
#[derive(Debug, Default, Clone)]
pub struct Timings(pub Vec<(&'static str, Duration)>);

impl Timings {
    pub fn measure<T>(&mut self, stage: &'static str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let value = f();
        self.0.push((stage, start.elapsed()));
        value
    }

    pub fn total(&self) -> Duration {
        self.0.iter().map(|(_, d)| *d).sum()
    }
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

/// Runs every stage; `progress` advances once per note parsed.
pub fn build(
    config: &Config,
    renderer: &Renderer,
    options: BuildOptions,
    progress: &ProgressBar,
) -> Built {
    let mut timings = Timings::default();
    let mut diagnostics = Diagnostics::default();
    let (sources, diags) = timings.measure("scan", || scan::scan(config));
    diagnostics.extend(diags);
    progress.set_length(sources.notes.len() as u64);
    let tick = || progress.inc(1);
    let (notes, diags) = timings.measure("parse", || parse::parse_all(&sources.notes, &tick));
    diagnostics.extend(diags);
    let input = GraphInput {
        config,
        images: &sources.images,
        drafts: options.drafts,
    };
    let (site, diags) = timings.measure("link", || graph::build(notes, &input));
    diagnostics.extend(diags);
    let (assets, diags) = timings.measure("images", || images::load(&site));
    diagnostics.extend(diags);
    let mut output = Output::default();
    let diags = timings.measure("render", || {
        renderer.render(&site, &assets, config, &mut output)
    });
    diagnostics.extend(diags);
    let index = timings.measure("search", || {
        search::build(&site, SearchOptions::for_language(&config.site.language))
    });
    for (path, bytes) in index {
        output.add(path, bytes);
    }
    Built {
        sources,
        site,
        assets,
        output,
        diagnostics,
        timings,
    }
}
