//! Build fingerprint: a record of everything a successful `build` read (config, templates, theme and
//! notes by content hash; images and linked files by size and mtime; paths looked for and not found;
//! options; the binary) and wrote, so a build with nothing changed replays the warnings and skips
//! every stage. Anything that differs, or any doubt (no record, an unreadable one, an output file
//! touched since), means a full build.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::config::{Config, CACHE_DIR, CONFIG_FILE};
use crate::diag::{Diagnostic, Kind};
use crate::scan::SourceSet;

const RECORD_FILE: &str = "last-build.json";
/// Bumped when the record's meaning changes, so an old record is never trusted.
const FORMAT: u32 = 1;

/// A file's size and modification time: enough for images and linked files, which the image cache
/// already identifies by content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    path: PathBuf,
    size: u64,
    modified_ns: u128,
}

impl Stamp {
    fn of(path: &Path, shown: PathBuf) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(Stamp {
            path: shown,
            size: meta.len(),
            modified_ns: modified.as_nanos(),
        })
    }
}

/// What a build reads: taken before the build, or for the notes from the very bytes the parse stage
/// read, so a file saved while the build runs makes the next build a full one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    /// The binary, the options and the output folder.
    build: String,
    /// Content hashes (or "absent") of the config, every template and theme file, every note.
    hashed: Vec<(PathBuf, String)>,
    /// Every image under `img_dir`.
    images: Vec<Option<Stamp>>,
}

/// The config, templates and theme of the site at `root` by content: hashed before they are read,
/// so a file saved in between makes the next build a full one rather than leave a site built from
/// the old file.
pub struct SiteFiles(Vec<(PathBuf, String)>);

impl SiteFiles {
    pub fn hash(root: &Path) -> SiteFiles {
        let mut paths = vec![root.join(CONFIG_FILE)];
        for dir in ["templates", "theme"] {
            paths.extend(files_under(&root.join(dir)));
        }
        SiteFiles(
            paths
                .into_par_iter()
                .map(|path| {
                    let hash = content_hash(&path);
                    (path, hex_or_absent(hash))
                })
                .collect(),
        )
    }
}

impl Inputs {
    /// Everything but the notes: the config, templates and theme by content (`files`, hashed
    /// earlier), the images by stamp. The notes are added by [`Inputs::hash_notes`] before the
    /// build, or by [`Inputs::add_notes`] from the hashes the parse stage took. `options` names
    /// everything from the command line that changes the output.
    pub fn with_site_files(
        files: SiteFiles,
        config: &Config,
        sources: &SourceSet,
        options: &str,
    ) -> Inputs {
        let images = sources
            .images
            .par_iter()
            .map(|p| Stamp::of(p, p.clone()))
            .collect();
        Inputs {
            build: format!(
                "{} {options} {}",
                binary_identity(),
                config.out_dir.display()
            ),
            hashed: files.0,
            images,
        }
    }

    /// Reads and hashes every note now.
    pub fn hash_notes(&mut self, sources: &SourceSet) {
        let notes: Vec<(PathBuf, Option<blake3::Hash>)> = sources
            .notes
            .par_iter()
            .map(|n| (n.path.clone(), content_hash(&n.path)))
            .collect();
        self.add_notes(notes);
    }

    /// Adds the notes' content hashes (`None`: the note could not be read), in scan order.
    pub fn add_notes(&mut self, notes: impl IntoIterator<Item = (PathBuf, Option<blake3::Hash>)>) {
        self.hashed.extend(
            notes
                .into_iter()
                .map(|(path, hash)| (path, hex_or_absent(hash))),
        );
    }

    #[cfg(test)]
    fn read(config: &Config, sources: &SourceSet, options: &str) -> Inputs {
        let files = SiteFiles::hash(&config.root);
        let mut inputs = Inputs::with_site_files(files, config, sources, options);
        inputs.hash_notes(sources);
        inputs
    }
}

/// The hash of a file's bytes, `None` when it cannot be read.
fn content_hash(path: &Path) -> Option<blake3::Hash> {
    std::fs::read(path).ok().map(|bytes| blake3::hash(&bytes))
}

fn hex_or_absent(hash: Option<blake3::Hash>) -> String {
    hash.map_or_else(|| "absent".into(), |h| h.to_hex().to_string())
}

/// Whether a build could be skipped at all: the last build's record and its site are both there.
/// When not (a first build, a deleted output folder), nothing needs hashing before the build.
pub fn may_be_unchanged(config: &Config) -> bool {
    record_path(config).is_file() && config.out_dir.join(crate::output::MARKER).is_file()
}

/// Files below `dir` in a stable order (none when it does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// The version and the executable's size and mtime: a rebuilt binary may render differently.
fn binary_identity() -> String {
    let exe = std::env::current_exe().ok();
    let stamp = exe.as_deref().and_then(|p| Stamp::of(p, PathBuf::new()));
    let (size, modified) = stamp.map_or((0, 0), |s| (s.size, s.modified_ns));
    format!("notesite {} {size} {modified}", env!("CARGO_PKG_VERSION"))
}

/// What the last successful build read and wrote. `D` is how its diagnostics are held: read back
/// as [`Diagnostic`]s, written as JSON made beforehand (see [`save`]).
#[derive(Debug, Serialize, Deserialize)]
pub struct Record<D = Diagnostic> {
    format: u32,
    inputs: Inputs,
    /// Local files the notes link to or embed that are not under `img_dir`, stamped after the build.
    linked: Vec<Option<Stamp>>,
    /// Paths the link resolver looked for and did not find: creating one can change a page.
    absent: Vec<PathBuf>,
    /// Every output file, relative to `out_dir`.
    outputs: Vec<Option<Stamp>>,
    pub diagnostics: Vec<D>,
    pub notes: usize,
}

fn record_path(config: &Config) -> PathBuf {
    config.root.join(CACHE_DIR).join(RECORD_FILE)
}

/// The last build's record, when it read exactly `inputs`, nothing it looked for has appeared, and
/// its output is still as it was written.
pub fn unchanged(config: &Config, inputs: &Inputs) -> Option<Record> {
    let text = std::fs::read(record_path(config)).ok()?;
    let record: Record = serde_json::from_slice(&text).ok()?;
    // Installing tesseract changes the output of the same inputs: a build that could not read
    // screenshots is never taken as final.
    let ocr_was_missing = record
        .diagnostics
        .iter()
        .any(|d| d.kind == Kind::OcrUnavailable);
    let same = record.format == FORMAT
        && !ocr_was_missing
        && record.inputs == *inputs
        && record.absent.par_iter().all(|p| !p.exists())
        && stamps_hold(&record.linked, |p| p.to_path_buf())
        && stamps_hold(&record.outputs, |p| config.out_dir.join(p));
    same.then_some(record)
}

fn stamps_hold(stamps: &[Option<Stamp>], full: impl Fn(&Path) -> PathBuf + Sync) -> bool {
    stamps.par_iter().all(|stamp| {
        stamp
            .as_ref()
            .is_some_and(|s| Stamp::of(&full(&s.path), s.path.clone()).as_ref() == Some(s))
    })
}

/// What a finished build adds to its [`Inputs`].
pub struct Outcome<'a> {
    pub linked: &'a [PathBuf],
    pub absent: &'a [PathBuf],
    /// Output files relative to `out_dir`.
    pub outputs: Vec<&'a str>,
    pub diagnostics: Vec<Diagnostic>,
    pub notes: usize,
}

/// Saves the record of a build whose output was just written (written beside, then renamed).
pub fn save(config: &Config, inputs: Inputs, done: Outcome<'_>) -> io::Result<()> {
    let images: std::collections::HashSet<&Path> = inputs
        .images
        .iter()
        .flatten()
        .map(|s| s.path.as_path())
        .collect();
    let linked = done
        .linked
        .par_iter()
        .filter(|p| !images.contains(p.as_path()))
        .map(|p| Stamp::of(p, p.clone()))
        .collect();
    let stamp_outputs = || {
        done.outputs
            .par_iter()
            .map(|p| Stamp::of(&config.out_dir.join(p), PathBuf::from(p)))
            .collect()
    };
    // Each diagnostic's JSON is made beside the stamps, in parallel, where writing the record made
    // them one after another at its end (30k warnings at 10k notes: 21 ms on one core).
    let diagnostics_json = || {
        done.diagnostics
            .par_iter()
            .map(|d| serde_json::value::to_raw_value(d).map_err(io::Error::other))
            .collect::<io::Result<Vec<_>>>()
    };
    let (outputs, diagnostics) = rayon::join(stamp_outputs, diagnostics_json);
    let record = Record {
        format: FORMAT,
        inputs,
        linked,
        absent: done.absent.to_vec(),
        outputs,
        diagnostics: diagnostics?,
        notes: done.notes,
    };
    let path = record_path(config);
    let dir = path.parent().unwrap_or(&config.root);
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".{RECORD_FILE}.{}", std::process::id()));
    // Streamed to the file: at 50k notes the record is tens of megabytes, which as one buffer
    // added to the build's peak memory.
    let mut file = io::BufWriter::new(std::fs::File::create(&temp)?);
    serde_json::to_writer(&mut file, &record).map_err(io::Error::other)?;
    io::Write::flush(&mut file)?;
    drop(file);
    std::fs::rename(&temp, &path)
}

/// Forgets the last build (its output is about to be replaced by one this record does not describe).
pub fn forget(config: &Config) {
    let _ = std::fs::remove_file(record_path(config));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("notes")).unwrap();
        std::fs::write(dir.path().join("notes/a.md"), "# A\n").unwrap();
        let config = Config::load(dir.path()).unwrap();
        (dir, config)
    }

    fn save_with(config: &Config, diagnostics: Vec<Diagnostic>) -> Inputs {
        let (sources, _) = crate::scan::scan(config);
        let inputs = Inputs::read(config, &sources, "options");
        std::fs::create_dir_all(&config.out_dir).unwrap();
        std::fs::write(config.out_dir.join("index.html"), "page").unwrap();
        let done = Outcome {
            linked: &[],
            absent: &[],
            outputs: vec!["index.html"],
            diagnostics,
            notes: 1,
        };
        save(config, inputs.clone(), done).unwrap();
        inputs
    }

    #[test]
    fn the_same_inputs_and_output_are_unchanged_and_anything_else_is_not() {
        let (dir, config) = site();
        let warning = Diagnostic::warning(Kind::BrokenLink, "notes/a.md", "broken");
        let inputs = save_with(&config, vec![warning.clone()]);
        let record = unchanged(&config, &inputs).expect("nothing changed");
        assert_eq!(record.diagnostics, [warning]);
        assert_eq!(record.notes, 1);
        std::fs::write(dir.path().join("notes/a.md"), "# A, edited\n").unwrap();
        let (sources, _) = crate::scan::scan(&config);
        let edited = Inputs::read(&config, &sources, "options");
        assert!(unchanged(&config, &edited).is_none(), "a note changed");
        assert!(
            unchanged(&config, &Inputs::read(&config, &sources, "other")).is_none(),
            "other options"
        );
    }

    #[test]
    fn a_build_without_tesseract_is_never_final() {
        let (_dir, config) = site();
        let missing = Diagnostic::warning(Kind::OcrUnavailable, "img", "tesseract not found");
        let inputs = save_with(&config, vec![missing]);
        assert!(unchanged(&config, &inputs).is_none());
    }

    #[test]
    fn a_touched_output_file_or_an_unreadable_record_means_a_full_build() {
        let (_dir, config) = site();
        let inputs = save_with(&config, Vec::new());
        std::fs::write(config.out_dir.join("index.html"), "edited by hand").unwrap();
        assert!(unchanged(&config, &inputs).is_none(), "output touched");
        let inputs = save_with(&config, Vec::new());
        std::fs::write(record_path(&config), "{ not json").unwrap();
        assert!(unchanged(&config, &inputs).is_none(), "unreadable record");
    }
}
