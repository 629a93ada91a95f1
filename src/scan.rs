//! Scan stage: walks `notes_dir` and `img_dir` with walkdir and lists the source files the build reads.
//!
//! Hidden files and folders are skipped, symlinks are followed but loops are reported instead of being
//! walked forever. Nothing is read here beyond directory entries.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use walkdir::WalkDir;

use crate::config::Config;
use crate::diag::{display_path, Diagnostic, Diagnostics, Kind};

/// One Markdown note on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Absolute path.
    pub path: PathBuf,
    /// Path relative to `notes_dir`, used for slugs and relative links.
    pub rel: PathBuf,
    /// Path relative to the site root, used in messages.
    pub display: PathBuf,
}

/// Everything the build will read.
#[derive(Debug, Default)]
pub struct SourceSet {
    /// Shared, so a rebuild that reuses the scan can tell by pointer that its notes line up with the
    /// previous parse.
    pub notes: Arc<[SourceFile]>,
    /// Image files under `img_dir` (absolute), to report unused ones.
    pub images: Vec<PathBuf>,
}

const NOTE_EXTENSIONS: &[&str] = &["md", "markdown"];
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "avif"];

/// Lists notes and images, sorted by path so every later stage is deterministic.
pub fn scan(config: &Config) -> (SourceSet, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let mut set = SourceSet::default();
    let mut notes = Vec::new();
    for path in walk(&config.notes_dir, &config.root, &mut diagnostics) {
        if has_extension(&path, NOTE_EXTENSIONS) {
            let rel = path
                .strip_prefix(&config.notes_dir)
                .unwrap_or(&path)
                .to_path_buf();
            let display = display_path(&config.root, &path);
            notes.push(SourceFile { path, rel, display });
        }
    }
    if config.img_dir.is_dir() {
        set.images = walk(&config.img_dir, &config.root, &mut diagnostics)
            .into_iter()
            .filter(|p| has_extension(p, IMAGE_EXTENSIONS))
            .collect();
    }
    notes.sort_by(|a, b| a.rel.cmp(&b.rel));
    set.notes = notes.into();
    set.images.sort();
    (set, diagnostics)
}

/// Files below `dir`, following symlinks, skipping hidden entries, reporting loops and unreadable entries.
fn walk(dir: &Path, root: &Path, diagnostics: &mut Diagnostics) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let walker = WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() => files.push(entry.into_path()),
            Ok(_) => {}
            Err(err) => diagnostics.push(walk_error(&err, dir, root)),
        }
    }
    files
}

fn walk_error(err: &walkdir::Error, dir: &Path, root: &Path) -> Diagnostic {
    let path = err.path().unwrap_or(dir);
    let shown = display_path(root, path);
    if let Some(ancestor) = err.loop_ancestor() {
        return Diagnostic::warning(
            Kind::SymlinkLoop,
            shown,
            "symlink loop: this link points back to one of its parent folders",
        )
        .with_hint(format!(
            "it leads to `{}`, which is already being scanned; the link was skipped",
            display_path(root, ancestor).display()
        ));
    }
    let detail = err
        .io_error()
        .map_or_else(|| err.to_string(), ToString::to_string);
    Diagnostic::warning(Kind::Io, shown, format!("cannot read: {detail}"))
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with('.'))
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("notes/sub")).unwrap();
        let config = Config::load(dir.path()).unwrap();
        (dir, config)
    }

    #[test]
    fn finds_markdown_skips_hidden_and_other_files() {
        let (dir, config) = site();
        for name in ["b.md", "sub/a.markdown", ".hidden.md", "x.txt"] {
            std::fs::write(dir.path().join("notes").join(name), "x").unwrap();
        }
        std::fs::create_dir_all(dir.path().join("notes/.obsidian")).unwrap();
        std::fs::write(dir.path().join("notes/.obsidian/c.md"), "x").unwrap();
        let (set, diags) = scan(&config);
        let rels: Vec<_> = set
            .notes
            .iter()
            .map(|n| n.rel.to_str().unwrap().to_string())
            .collect();
        assert_eq!(rels, ["b.md", "sub/a.markdown"]);
        assert_eq!(diags.iter().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_reported_not_followed() {
        let (dir, config) = site();
        std::fs::write(dir.path().join("notes/sub/a.md"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("notes"), dir.path().join("notes/sub/loop"))
            .unwrap();
        let (set, diags) = scan(&config);
        assert_eq!(set.notes.len(), 1);
        assert!(
            diags.iter().any(|d| d.kind == Kind::SymlinkLoop),
            "{diags:?}"
        );
    }
}
