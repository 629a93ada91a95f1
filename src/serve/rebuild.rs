//! Incremental rebuilds for `serve`: keeps the last build's parsed notes and images, re-reads only what
//! changed, re-runs the cheap stages, lets the renderer's page cache skip pages whose inputs did not
//! change, and works out exactly which served files changed (and whether a page only changed its
//! stylesheet name, which the browser can swap without a reload).

use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::watch::ChangeSet;
use crate::cmd::Failure;
use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics, Kind, Severity};
use crate::output::{Content, Output};
use crate::pipeline::{self, BuildOptions, Built, Previous, Timings};
use crate::render::Renderer;
use crate::scan::SourceSet;

/// The site being served and what is needed to rebuild it.
pub struct Live {
    pub config: Config,
    options: BuildOptions,
    renderer: Renderer,
    /// The last build, without its output (which is being served).
    last: Option<Built>,
    /// The output being served: the last build without errors.
    pub served: Arc<Output>,
    /// The last build's diagnostics, to tell new problems from known ones.
    known: KnownProblems,
    builds: u64,
}

/// What one rebuild did, for the terminal and the browsers.
#[derive(Debug, Default)]
pub struct Update {
    /// HTML pages whose content changed (or that appeared or disappeared).
    pub pages: Vec<String>,
    /// Stylesheets renamed: (old path, new path); pages that differ only by these are not reloaded.
    pub css: Vec<(String, String)>,
    /// Files of the output that changed in any way.
    pub changed_files: usize,
    /// Errors (the new output was not served) and new warnings, for the overlay.
    pub problems: Vec<Diagnostic>,
    pub failed: bool,
    pub elapsed: Duration,
    /// Time per pipeline stage, then the comparison with the served output.
    pub timings: Timings,
}

impl Live {
    /// The initial full build. Content errors are reported but the server still starts.
    pub fn start(
        config: Config,
        options: BuildOptions,
    ) -> Result<(Live, Vec<Diagnostic>), Failure> {
        let renderer = Renderer::new(&config)
            .map_err(|d| Failure::Usage(d.to_string()))?
            .with_page_cache();
        let mut live = Live {
            config,
            options,
            renderer,
            last: None,
            served: Arc::default(),
            known: KnownProblems::default(),
            builds: 0,
        };
        let update = live.build(Previous::default(), &|_| false, Timings::default());
        Ok((live, update.problems))
    }

    /// Applies one burst of changes.
    pub fn apply(&mut self, changes: &ChangeSet) -> Update {
        let started = Instant::now();
        let mut update = match self.reload_settings(changes) {
            Err(problem) => Update {
                problems: vec![problem],
                failed: true,
                ..Update::default()
            },
            Ok(()) => {
                let mut timings = Timings::default();
                let last = self.last.take();
                let previous = timings.measure("reuse", || match last {
                    Some(last) if !changes.config => {
                        let same_files = only_known_files(&last.sources, &changes.files);
                        let mut previous = last.into_previous();
                        if !same_files {
                            previous.sources = None;
                        }
                        previous
                    }
                    _ => Previous::default(),
                });
                // Asked for every note by several stages: a hash set spares walking path components
                // in a BTreeSet's comparisons.
                let changed: HashSet<&std::path::Path, foldhash::fast::RandomState> =
                    changes.files.iter().map(PathBuf::as_path).collect();
                self.build(previous, &|path| !changed.contains(path), timings)
            }
        };
        update.elapsed = started.elapsed();
        update
    }

    /// A full rebuild from scratch (the `r` key, or after a config change).
    pub fn full(&mut self) -> Update {
        let started = Instant::now();
        self.last = None;
        let mut update = self.build(Previous::default(), &|_| false, Timings::default());
        update.elapsed = started.elapsed();
        update
    }

    /// Re-reads notesite.toml and templates/theme when they changed.
    fn reload_settings(&mut self, changes: &ChangeSet) -> Result<(), Diagnostic> {
        if changes.config {
            let config = Config::load(&self.config.root).map_err(|e| {
                Diagnostic::error(Kind::FrontMatter, &e.path, e.message.clone()).at(
                    crate::diag::Position {
                        line: e.line.unwrap_or(0),
                        column: 0,
                    },
                )
            })?;
            self.config = config;
        }
        if changes.config || changes.templates || changes.theme {
            self.renderer = Renderer::new(&self.config)?.with_page_cache();
        }
        Ok(())
    }

    fn build(
        &mut self,
        previous: Previous,
        is_unchanged: &(dyn Fn(&std::path::Path) -> bool + Sync),
        mut timings: Timings,
    ) -> Update {
        let progress = indicatif::ProgressBar::hidden();
        let mut built = pipeline::rebuild(
            &self.config,
            &self.renderer,
            self.options,
            &progress,
            previous,
            is_unchanged,
        );
        let output = std::mem::take(&mut built.output);
        timings.0.extend(built.timings.0.iter().cloned());
        let report_start = Instant::now();
        let diagnostics = std::mem::take(&mut built.diagnostics);
        let failed = diagnostics.has_errors();
        // The overlay shows errors, and warnings a save introduced (not the ones the site always had).
        let first = self.builds == 0;
        self.builds += 1;
        let problems = self.known.replace(diagnostics, first);
        timings.0.push(("report", report_start.elapsed()));
        self.last = Some(built);
        if failed {
            return Update {
                problems,
                failed,
                timings,
                ..Update::default()
            };
        }
        let mut update = timings.measure("diff", || diff(&self.served, &output));
        update.problems = problems;
        update.timings = timings;
        self.served = Arc::new(output);
        update
    }
}

/// The diagnostics of the last build, told apart without comparing text: a 10k-note site carries
/// tens of thousands of link warnings, and reading them all on every save cost more than the save.
#[derive(Default)]
struct KnownProblems {
    /// Content hash by address. Most diagnostics of a rebuild are the very ones of the last build
    /// (shared, not copied), so their address says they are known.
    by_address: HashMap<usize, u64, foldhash::fast::RandomState>,
    hashes: HashSet<u64, foldhash::fast::RandomState>,
    /// Kept alive so that no new diagnostic can take the address of a known one.
    alive: Diagnostics,
}

impl KnownProblems {
    /// Remembers `current` and returns, sorted, its errors and (unless `first`) the warnings that
    /// were not there before.
    fn replace(&mut self, current: Diagnostics, first: bool) -> Vec<Diagnostic> {
        let hashes: Vec<(u64, bool)> = current
            .as_slice()
            .par_iter()
            .map(|d| match self.by_address.get(&d.address()) {
                Some(&hash) => (hash, true),
                None => {
                    let hash = content_hash(d);
                    (hash, self.hashes.contains(&hash))
                }
            })
            .collect();
        let mut problems = Diagnostics::default();
        problems.extend(
            current
                .iter()
                .zip(&hashes)
                .filter(|(d, (_, known))| d.severity == Severity::Error || (!first && !known))
                .map(|(d, _)| d.clone()),
        );
        self.by_address = current
            .iter()
            .zip(&hashes)
            .map(|(d, &(hash, _))| (d.address(), hash))
            .collect();
        self.hashes = hashes.into_iter().map(|(hash, _)| hash).collect();
        self.alive = current;
        problems.into_sorted()
    }
}

fn content_hash(diagnostic: &Diagnostic) -> u64 {
    use std::hash::BuildHasher as _;
    foldhash::quality::FixedState::with_seed(0).hash_one(diagnostic)
}

/// Whether every changed path is a note or image the last scan found, and still a file: then no
/// file was added or removed and the last scan still holds.
fn only_known_files(sources: &SourceSet, changed: &BTreeSet<PathBuf>) -> bool {
    changed.iter().all(|path| {
        let known = sources.images.binary_search(path).is_ok()
            || sources
                .notes
                .iter()
                .any(|note| note.path.as_os_str() == path.as_os_str());
        known && path.is_file()
    })
}

/// Which files differ between two outputs, and which pages changed only their stylesheet name.
pub fn diff(old: &Output, new: &Output) -> Update {
    let changed = changed_files(old, new);
    let css = renamed_stylesheets(old, new, &changed);
    let pages = changed
        .iter()
        .filter(|k| k.ends_with(".html"))
        .filter(|k| !only_stylesheets_differ(old.files.get(**k), new.files.get(**k), &css))
        .map(|k| k.to_string())
        .collect();
    Update {
        pages,
        css,
        changed_files: changed.len(),
        ..Update::default()
    }
}

/// Paths added, removed or changed, in order: one walk over both sorted maps (most files of a
/// rebuild share their bytes with the old output and compare by pointer).
fn changed_files<'a>(old: &'a Output, new: &'a Output) -> Vec<&'a String> {
    use std::cmp::Ordering;
    let mut changed = Vec::new();
    let (mut a, mut b) = (old.files.iter().peekable(), new.files.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => return changed,
            (Some((key, _)), None) => {
                changed.push(*key);
                a.next();
            }
            (None, Some((key, _))) => {
                changed.push(*key);
                b.next();
            }
            (Some((ka, va)), Some((kb, vb))) => match ka.cmp(kb) {
                Ordering::Less => {
                    changed.push(*ka);
                    a.next();
                }
                Ordering::Greater => {
                    changed.push(*kb);
                    b.next();
                }
                Ordering::Equal => {
                    if va != vb {
                        changed.push(*kb);
                    }
                    a.next();
                    b.next();
                }
            },
        }
    }
}

/// `assets/style.<old>.css` → `assets/style.<new>.css`: removed and added stylesheets with one stem.
fn renamed_stylesheets(old: &Output, new: &Output, changed: &[&String]) -> Vec<(String, String)> {
    let stem = |path: &str| path.split('.').next().unwrap_or(path).to_string();
    let removed: Vec<&&String> = changed
        .iter()
        .filter(|k| k.ends_with(".css") && !new.files.contains_key(**k))
        .collect();
    let added: Vec<&&String> = changed
        .iter()
        .filter(|k| k.ends_with(".css") && !old.files.contains_key(**k))
        .collect();
    removed
        .iter()
        .filter_map(|r| {
            added
                .iter()
                .find(|a| stem(a) == stem(r))
                .map(|a| (r.to_string(), a.to_string()))
        })
        .collect()
}

fn only_stylesheets_differ(
    old: Option<&Content>,
    new: Option<&Content>,
    css: &[(String, String)],
) -> bool {
    let (Some(Content::Bytes(old)), Some(Content::Bytes(new))) = (old, new) else {
        return false;
    };
    if css.is_empty() {
        return false;
    }
    let mut text = String::from_utf8_lossy(old).into_owned();
    for (from, to) in css {
        text = text.replace(from.as_str(), to);
    }
    text.as_bytes() == &new[..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(items: &[&Diagnostic]) -> Diagnostics {
        let mut all = Diagnostics::default();
        all.extend(items.iter().map(|d| (*d).clone()));
        all
    }

    #[test]
    fn known_problems_are_told_by_address_or_content_and_errors_always_show() {
        let old = Diagnostic::warning(Kind::BrokenLink, "a.md", "old");
        let error = Diagnostic::error(Kind::FrontMatter, "b.md", "bad");
        let mut known = KnownProblems::default();
        // The first build shows its errors only.
        assert_eq!(
            known.replace(collect(&[&old, &error]), true),
            std::slice::from_ref(&error)
        );
        // The same warning, shared or made again with the same text, is not new.
        let again = Diagnostic::warning(Kind::BrokenLink, "a.md", "old");
        assert_ne!(again.address(), old.address());
        assert_eq!(
            known.replace(collect(&[&old, &again, &error]), false),
            [error]
        );
        // A warning a save introduced is shown, once.
        let new = Diagnostic::warning(Kind::BrokenLink, "a.md", "new");
        assert_eq!(
            known.replace(collect(&[&old, &new]), false),
            std::slice::from_ref(&new)
        );
        assert!(known.replace(collect(&[&old, &new]), false).is_empty());
    }

    #[test]
    fn diff_lists_changed_pages_and_swaps_renamed_stylesheets() {
        let old = Output::of_texts(&[
            ("a.html", "<link href=\"assets/style.1.css\">A"),
            ("b.html", "<link href=\"assets/style.1.css\">B"),
            ("gone.html", "x"),
            ("assets/style.1.css", "old"),
        ]);
        let new = Output::of_texts(&[
            ("a.html", "<link href=\"assets/style.2.css\">A"),
            ("b.html", "<link href=\"assets/style.2.css\">B changed"),
            ("new.html", "y"),
            ("assets/style.2.css", "new"),
        ]);
        let update = diff(&old, &new);
        assert_eq!(
            update.css,
            [(
                "assets/style.1.css".to_string(),
                "assets/style.2.css".to_string()
            )]
        );
        assert_eq!(update.pages, ["b.html", "gone.html", "new.html"]);
        assert_eq!(update.changed_files, 6);
    }
}
