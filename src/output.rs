//! Write stage: the site as an in-memory map of output paths to bytes, written into a staging folder
//! beside `out_dir` and swapped in only when every file is written. A failed build leaves the previous
//! site untouched; files whose bytes did not change keep their modification time.

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::config::Config;

/// Marks a folder as notesite's output, so a rebuild may replace it.
pub const MARKER: &str = ".notesite-output";

/// One output file's content.
#[derive(Debug, Clone)]
pub enum Content {
    /// Shared, not copied: `serve` keeps unchanged pages of one build in the next.
    Bytes(bytes::Bytes),
    /// Copied from this source file (images and attachments are not held in memory).
    Copy(PathBuf),
}

/// The whole site, keyed by `/`-separated path relative to the output root.
#[derive(Debug, Default, Clone)]
pub struct Output {
    pub files: BTreeMap<String, Content>,
}

impl PartialEq for Content {
    fn eq(&self, other: &Content) -> bool {
        match (self, other) {
            // The same shared buffer needs no byte comparison (most pages of a `serve` rebuild).
            (Content::Bytes(a), Content::Bytes(b)) => {
                (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
            }
            (Content::Copy(a), Content::Copy(b)) => a == b,
            _ => false,
        }
    }
}

impl Output {
    pub fn add(&mut self, path: String, bytes: impl Into<bytes::Bytes>) {
        self.files.insert(path, Content::Bytes(bytes.into()));
    }

    /// Adds many files at once: the batch is sorted and merged in one pass, which beats inserting
    /// the ~10,600 search-index files of a 10k-note site one by one on every `serve` rebuild.
    pub fn add_all(&mut self, files: impl IntoIterator<Item = (String, bytes::Bytes)>) {
        let mut batch: BTreeMap<String, Content> = files
            .into_iter()
            .map(|(path, bytes)| (path, Content::Bytes(bytes)))
            .collect();
        self.files.append(&mut batch);
    }

    pub fn copy(&mut self, path: String, source: PathBuf) {
        self.files.insert(path, Content::Copy(source));
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

/// Writes `output` to `out_dir` atomically (staging folder, then rename).
pub fn write(output: &Output, out_dir: &Path) -> io::Result<WriteStats> {
    let parent = out_dir
        .parent()
        .ok_or_else(|| io::Error::other("output folder has no parent"))?;
    std::fs::create_dir_all(parent).map_err(|e| with_path(e, parent))?;
    let name = out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    let staging = parent.join(format!(".{name}.notesite-staging-{}", std::process::id()));
    remove_dir_if_exists(&staging)?;
    let result = write_tree(output, &staging, out_dir)
        .and_then(|stats| swap_in(&staging, out_dir).map(|()| stats));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn write_tree(output: &Output, staging: &Path, previous: &Path) -> io::Result<WriteStats> {
    std::fs::create_dir_all(staging).map_err(|e| with_path(e, staging))?;
    // Through `write_file` like any page, so the marker too keeps its mtime (mtime-based syncs skip it).
    let marker = Content::Bytes(bytes::Bytes::from_static(
        b"This folder is written by notesite and replaced on every build.\n",
    ));
    write_file(&staging.join(MARKER), &previous.join(MARKER), &marker)?;
    create_folders(output, staging)?;
    let results: Vec<io::Result<bool>> = output
        .files
        .par_iter()
        .map(|(path, content)| write_file(&staging.join(path), &previous.join(path), content))
        .collect();
    let mut stats = WriteStats::default();
    for result in results {
        if result? {
            stats.written += 1;
        } else {
            stats.unchanged += 1;
        }
    }
    Ok(stats)
}

/// Makes every folder the files go in, once each (asking per file cost two system calls a file).
fn create_folders(output: &Output, staging: &Path) -> io::Result<()> {
    let mut folders: Vec<&str> = output
        .files
        .keys()
        .filter_map(|path| path.rsplit_once('/').map(|(folder, _)| folder))
        .collect();
    // Keys are sorted, so a folder's files mostly sit together; a repeat dedup leaves is harmless.
    folders.dedup();
    for folder in folders {
        let dir = staging.join(folder);
        std::fs::create_dir_all(&dir).map_err(|e| with_path(e, &dir))?;
    }
    Ok(())
}

/// Writes one file into a folder [`create_folders`] made; an unchanged file is hard-linked from the
/// previous build so it keeps its mtime. Returns whether the bytes changed.
fn write_file(dest: &Path, previous: &Path, content: &Content) -> io::Result<bool> {
    if same_content(previous, content) {
        if std::fs::hard_link(previous, dest).is_ok() {
            return Ok(false);
        }
        std::fs::copy(previous, dest).map_err(|e| with_path(e, dest))?;
        let modified = std::fs::metadata(previous).and_then(|m| m.modified())?;
        std::fs::File::options()
            .write(true)
            .open(dest)?
            .set_modified(modified)?;
        return Ok(false);
    }
    match content {
        Content::Bytes(bytes) => std::fs::write(dest, bytes).map_err(|e| with_path(e, dest))?,
        Content::Copy(source) => {
            std::fs::copy(source, dest).map_err(|e| with_path(e, source))?;
        }
    }
    Ok(true)
}

fn same_content(previous: &Path, content: &Content) -> bool {
    let Ok(meta) = std::fs::metadata(previous) else {
        return false;
    };
    match content {
        Content::Bytes(bytes) => {
            meta.len() == bytes.len() as u64
                && std::fs::read(previous).is_ok_and(|old| &old == bytes)
        }
        Content::Copy(source) => {
            let same_len = std::fs::metadata(source).is_ok_and(|m| m.len() == meta.len());
            same_len
                && matches!((std::fs::read(previous), std::fs::read(source)), (Ok(a), Ok(b)) if a == b)
        }
    }
}

/// Replaces `out_dir` by `staging`: the old folder is moved aside first and restored if the swap fails.
fn swap_in(staging: &Path, out_dir: &Path) -> io::Result<()> {
    if !out_dir.exists() {
        return std::fs::rename(staging, out_dir).map_err(|e| with_path(e, out_dir));
    }
    let old = staging.with_file_name(format!(
        "{}.old",
        staging.file_name().unwrap_or_default().to_string_lossy()
    ));
    remove_dir_if_exists(&old)?;
    std::fs::rename(out_dir, &old).map_err(|e| with_path(e, out_dir))?;
    if let Err(e) = std::fs::rename(staging, out_dir) {
        let _ = std::fs::rename(&old, out_dir);
        return Err(with_path(e, out_dir));
    }
    remove_dir_if_exists(&old)
}

fn remove_dir_if_exists(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(with_path(e, dir)),
        _ => Ok(()),
    }
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(files: &[(&str, &str)]) -> Output {
        let mut out = Output::default();
        for (path, text) in files {
            out.add(path.to_string(), text.as_bytes().to_vec());
        }
        out
    }

    #[test]
    fn rewrite_replaces_the_tree_and_keeps_mtime_of_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(
            &output(&[
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
            &output(&[("index.html", "a"), ("notes/x.html", "changed")]),
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
