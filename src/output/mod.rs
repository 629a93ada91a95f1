//! Write stage: the site as a map of output paths to contents, written into a staging folder beside
//! `out_dir` and swapped in only when every file is written. A failed build leaves the previous site
//! untouched; files whose bytes did not change keep their modification time. `serve` keeps the map
//! in memory; `build` writes each page into the staging folder as soon as it is made.

mod staging;

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
pub use staging::Staging;

/// Marks a folder as notesite's output, so a rebuild may replace it.
pub const MARKER: &str = ".notesite-output";

/// One output file's content.
#[derive(Debug, Clone)]
pub enum Content {
    /// Shared, not copied: `serve` keeps unchanged pages of one build in the next.
    Bytes(bytes::Bytes),
    /// Copied from this source file (images and attachments are not held in memory).
    Copy(PathBuf),
    /// No longer held: written into the staging folder (`build`), or dropped (`check`).
    NotHeld,
}

/// The whole site, keyed by `/`-separated path relative to the output root.
#[derive(Debug, Default, Clone)]
pub struct Output {
    pub files: BTreeMap<String, Content>,
    sink: Sink,
}

/// Where an output's files go as they are added.
#[derive(Debug, Default, Clone)]
enum Sink {
    /// Kept in the map (`serve`).
    #[default]
    Memory,
    /// Written into the staging folder at once (`build`).
    Staging(Arc<Staging>),
    /// Dropped (`check`, which wants only the problems rendering finds).
    Discard,
}

impl PartialEq for Content {
    fn eq(&self, other: &Content) -> bool {
        match (self, other) {
            // The same shared buffer needs no byte comparison (most pages of a `serve` rebuild).
            (Content::Bytes(a), Content::Bytes(b)) => {
                (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
            }
            (Content::Copy(a), Content::Copy(b)) => a == b,
            // What was written is no longer known.
            _ => false,
        }
    }
}

impl Output {
    /// An output whose files go straight into `staging` as they are added, keeping only their paths.
    pub fn streaming(staging: Staging) -> Output {
        Output {
            files: BTreeMap::new(),
            sink: Sink::Staging(Arc::new(staging)),
        }
    }

    /// An output that keeps the paths of its files and drops their bytes: rendering a large site
    /// to find its problems does not hold every page.
    pub fn discarding() -> Output {
        Output {
            files: BTreeMap::new(),
            sink: Sink::Discard,
        }
    }

    /// What the map keeps of `bytes` at `path`: the bytes, or (streaming, discarding) the fact
    /// that there was a file. Takes `&self`, so stages store their files from parallel loops.
    pub fn store(&self, path: &str, bytes: bytes::Bytes) -> Content {
        let content = Content::Bytes(bytes);
        match &self.sink {
            Sink::Staging(staging) => {
                staging.write(path, &content);
                Content::NotHeld
            }
            Sink::Discard => Content::NotHeld,
            Sink::Memory => content,
        }
    }

    pub fn add(&mut self, path: String, bytes: impl Into<bytes::Bytes>) {
        let content = self.store(&path, bytes.into());
        self.files.insert(path, content);
    }

    /// Adds many files at once, storing those still in memory (written in parallel when
    /// streaming).
    pub fn add_all(&mut self, files: Vec<(String, Content)>) {
        let stored = match self.sink {
            // Nothing to store: the contents are what the map keeps.
            Sink::Memory => files,
            _ => files
                .into_par_iter()
                .map(|(path, content)| match content {
                    Content::Bytes(bytes) => {
                        let content = self.store(&path, bytes);
                        (path, content)
                    }
                    stored => (path, stored),
                })
                .collect(),
        };
        self.add_stored(stored);
    }

    /// Adds files [`Output::store`] already stored: the batch is sorted and merged in one pass,
    /// which beats inserting the ~10,000 pages and search-index files of a 10k-note site one by
    /// one on every `serve` rebuild.
    pub fn add_stored(&mut self, files: Vec<(String, Content)>) {
        let mut batch: BTreeMap<String, Content> = files.into_iter().collect();
        self.files.append(&mut batch);
    }

    pub fn copy(&mut self, path: String, source: PathBuf) {
        self.files.insert(path, Content::Copy(source));
    }

    /// An in-memory output of text files, for tests.
    #[cfg(test)]
    pub fn of_texts(files: &[(&str, &str)]) -> Output {
        let mut out = Output::default();
        for (path, text) in files {
            out.add(path.to_string(), text.as_bytes().to_vec());
        }
        out
    }
}

/// How a write went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    pub written: usize,
    pub unchanged: usize,
}

/// Refuses output folders whose replacement would destroy something that is not a previous build.
pub fn check_out_dir(config: &Config) -> Result<(), String> {
    let out = canonical_or_lexical(&config.out_dir);
    if out.parent().is_none() {
        return Err(format!(
            "refusing to write the site to `{}`: it is the filesystem root",
            out.display()
        ));
    }
    let protected = [
        ("the site root", &config.root),
        ("notes_dir", &config.notes_dir),
        ("img_dir", &config.img_dir),
    ];
    for (what, dir) in protected {
        let dir = canonical_or_lexical(dir);
        if dir.starts_with(&out) {
            return Err(format!("refusing to write the site to `{}`: it is {what} or contains it, and would be replaced", out.display()));
        }
        if what != "the site root" && out.starts_with(&dir) {
            return Err(format!(
                "refusing to write the site to `{}`: it is inside {what}",
                out.display()
            ));
        }
    }
    let non_empty = std::fs::read_dir(&out)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if non_empty && !out.join(MARKER).exists() {
        return Err(format!(
            "refusing to replace `{}`: the folder is not empty and was not created by notesite (no {MARKER} file); \
             choose another out_dir or empty it first",
            out.display()
        ));
    }
    Ok(())
}

fn canonical_or_lexical(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|_| crate::graph::resolve::normalize(path))
}

/// Writes `output` to `out_dir` atomically: into its staging folder (already holding the files
/// written as they were made, if any), then swapped in.
pub fn write(output: &Output, out_dir: &Path) -> io::Result<WriteStats> {
    match &output.sink {
        Sink::Staging(staging) => staging.finish(output),
        Sink::Memory => Staging::create(out_dir)?.finish(output),
        Sink::Discard => Err(io::Error::other(
            "internal error: an output made to be discarded cannot be written",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_replaces_the_tree_and_keeps_mtime_of_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(
            &Output::of_texts(&[
                ("index.html", "a"),
                ("notes/x.html", "x"),
                ("gone.html", "g"),
            ]),
            &out,
        )
        .unwrap();
        let old_mtime = std::fs::metadata(out.join("index.html"))
            .unwrap()
            .modified()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let stats = write(
            &Output::of_texts(&[("index.html", "a"), ("notes/x.html", "changed")]),
            &out,
        )
        .unwrap();
        assert_eq!(
            stats,
            WriteStats {
                written: 1,
                unchanged: 1
            }
        );
        assert_eq!(
            std::fs::metadata(out.join("index.html"))
                .unwrap()
                .modified()
                .unwrap(),
            old_mtime
        );
        assert_eq!(
            std::fs::read_to_string(out.join("notes/x.html")).unwrap(),
            "changed"
        );
        assert!(!out.join("gone.html").exists());
        assert!(out.join(MARKER).exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging folder left behind");
    }

    #[test]
    fn streaming_writes_files_as_they_come_and_swaps_in_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(
            &Output::of_texts(&[("index.html", "old"), ("old.html", "o")]),
            &out,
        )
        .unwrap();
        let staged = || {
            std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p != &out)
        };
        let mut streaming = Output::streaming(Staging::create(&out).unwrap());
        streaming.add("notes/a.html".into(), "a".as_bytes().to_vec());
        let part = Content::Bytes("t".into());
        streaming.add_all(vec![("search/t/0.js".into(), part)]);
        assert!(matches!(streaming.files["notes/a.html"], Content::NotHeld));
        let staging = staged().expect("a staging folder beside the site");
        assert_eq!(
            std::fs::read_to_string(staging.join("notes/a.html")).unwrap(),
            "a"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "old",
            "the site is untouched until the write finishes"
        );
        streaming.add("index.html".into(), "new".as_bytes().to_vec());
        let stats = write(&streaming, &out).unwrap();
        assert_eq!(stats.written, 3);
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "new"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("search/t/0.js")).unwrap(),
            "t"
        );
        assert!(!out.join("old.html").exists());
        drop(streaming);
        assert_eq!(staged(), None, "nothing left beside the site");
    }

    #[test]
    fn an_unfinished_streaming_output_leaves_the_site_and_no_staging_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(&Output::of_texts(&[("index.html", "old")]), &out).unwrap();
        let mut streaming = Output::streaming(Staging::create(&out).unwrap());
        streaming.add("index.html".into(), "new".as_bytes().to_vec());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        drop(streaming);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "the staging folder is removed");
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "old"
        );
    }

    #[test]
    fn a_discarding_output_keeps_paths_not_bytes_and_cannot_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut output = Output::discarding();
        output.add("index.html".into(), "page".as_bytes().to_vec());
        output.add_all(vec![("search/meta.js".into(), Content::Bytes("m".into()))]);
        assert!(output.files.values().all(|c| matches!(c, Content::NotHeld)));
        assert_eq!(output.files.len(), 2);
        let out = dir.path().join("public");
        assert!(write(&output, &out).is_err());
        assert!(!out.exists());
    }

    #[test]
    fn refuses_foreign_or_protected_output_folders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("notes")).unwrap();
        std::fs::create_dir_all(dir.path().join("stuff")).unwrap();
        std::fs::write(dir.path().join("stuff/keep.txt"), "mine").unwrap();
        let config = Config::load(dir.path()).unwrap();
        assert!(check_out_dir(&config).is_ok());
        for (bad, why) in [
            ("notes", "notes_dir"),
            (".", "site root"),
            ("stuff", "not created by notesite"),
            ("/", "filesystem root"),
            ("notes/out", "inside notes_dir"),
        ] {
            let err =
                check_out_dir(&config.clone().with_out_dir(&dir.path().join(bad))).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
