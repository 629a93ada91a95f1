//! Watching: notify events on notes, images, templates, theme and notesite.toml, debounced into one
//! [`ChangeSet`] per burst of saves. Editors' temporary and backup files are dropped here, so an atomic
//! save-by-rename arrives as one change of the real file.

use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::config::{Config, CONFIG_FILE};

/// After an event, wait this long for the rest of the burst (an editor's write + rename).
const QUIET: Duration = Duration::from_millis(8);
/// But never hold a change back longer than this.
const MAX_WAIT: Duration = Duration::from_millis(60);
/// `--poll` interval, for network file systems and WSL where native events are not delivered.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// What changed in one burst.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// Notes and images (and any other file the notes use): these are rebuilt incrementally.
    pub files: BTreeSet<PathBuf>,
    pub templates: bool,
    pub theme: bool,
    pub config: bool,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && !self.templates && !self.theme && !self.config
    }

    /// A short description for the terminal: `notes/iam.md`, `2 files`, `templates`.
    pub fn describe(&self, root: &Path) -> String {
        let mut parts = Vec::new();
        if self.config {
            parts.push(CONFIG_FILE.to_string());
        }
        if self.templates {
            parts.push("templates".into());
        }
        if self.theme {
            parts.push("theme".into());
        }
        match self.files.len() {
            0 => {}
            1 => parts.extend(
                self.files
                    .iter()
                    .map(|f| crate::diag::display_path(root, f).display().to_string()),
            ),
            n => parts.push(format!("{n} files")),
        }
        parts.join(", ")
    }
}

/// Which part of the site a path belongs to.
pub struct Classifier {
    root: PathBuf,
    templates: PathBuf,
    theme: PathBuf,
    out_dir: PathBuf,
    /// The image cache: written by every build, never a source.
    cache_dir: PathBuf,
}

impl Classifier {
    pub fn new(config: &Config) -> Self {
        Classifier {
            root: config.root.clone(),
            templates: config.root.join("templates"),
            theme: config.root.join("theme"),
            out_dir: config.out_dir.clone(),
            cache_dir: config.root.join(crate::config::CACHE_DIR),
        }
    }

    /// Adds `path` to `changes`, unless it is an editor's scratch file, inside the output or the image
    /// cache, or below a hidden folder (which scan skips too).
    pub fn add(&self, path: &Path, changes: &mut ChangeSet) {
        if is_scratch_file(path)
            || path.starts_with(&self.out_dir)
            || path.starts_with(&self.cache_dir)
            || self.in_hidden_folder(path)
        {
            return;
        }
        if path.starts_with(&self.templates) {
            changes.templates = true;
        } else if path.starts_with(&self.theme) {
            changes.theme = true;
        } else if path == self.root.join(CONFIG_FILE) {
            changes.config = true;
        } else if path.starts_with(&self.root) {
            changes.files.insert(path.to_path_buf());
            // Images are keyed by their canonical path; a changed file may be known by both names.
            if let Ok(canonical) = path.canonicalize() {
                changes.files.insert(canonical);
            }
        }
    }
}

impl Classifier {
    fn in_hidden_folder(&self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return false;
        };
        let mut folders = rel.components().rev().skip(1);
        folders.any(|c| c.as_os_str().to_str().is_some_and(|n| n.starts_with('.')))
    }
}

/// Vim's `4913` and `.swp`, Emacs's `#x#` and `.#x`, backups ending in `~`, other hidden files.
fn is_scratch_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return true;
    };
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
        || [".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// A running watcher; dropping it stops the events.
pub struct Watch {
    _watcher: Box<dyn Watcher + Send>,
    events: Receiver<notify::Result<notify::Event>>,
}

impl Watch {
    /// Watches the folders that exist (and the site root itself, for notesite.toml and new folders).
    pub fn start(config: &Config, poll: bool) -> notify::Result<Watch> {
        let (tx, events) = std::sync::mpsc::channel();
        let mut watcher: Box<dyn Watcher + Send> = if poll {
            let config = notify::Config::default()
                .with_poll_interval(POLL_INTERVAL)
                .with_compare_contents(false);
            Box::new(notify::PollWatcher::new(tx, config)?)
        } else {
            Box::new(notify::recommended_watcher(tx)?)
        };
        for dir in [
            &config.notes_dir,
            &config.img_dir,
            &config.root.join("templates"),
            &config.root.join("theme"),
        ] {
            if dir.is_dir() {
                watcher.watch(dir, RecursiveMode::Recursive)?;
            }
        }
        watcher.watch(&config.root, RecursiveMode::NonRecursive)?;
        Ok(Watch {
            _watcher: watcher,
            events,
        })
    }

    /// Blocks until something relevant changed, then returns the whole burst. `None` when the watcher
    /// is gone.
    pub fn next(&self, classifier: &Classifier) -> Option<ChangeSet> {
        loop {
            let mut changes = ChangeSet::default();
            let first = self.events.recv().ok()?;
            absorb(first, classifier, &mut changes);
            let started = Instant::now();
            while started.elapsed() < MAX_WAIT {
                match self.events.recv_timeout(QUIET) {
                    Ok(event) => absorb(event, classifier, &mut changes),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return None,
                }
            }
            if !changes.is_empty() {
                return Some(changes);
            }
        }
    }
}

fn absorb(event: notify::Result<notify::Event>, classifier: &Classifier, changes: &mut ChangeSet) {
    let Ok(event) = event else { return };
    if matches!(event.kind, EventKind::Access(_)) {
        return;
    }
    for path in &event.paths {
        classifier.add(path, changes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_files_are_ignored_and_paths_classified() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(dir.path()).unwrap();
        let classifier = Classifier::new(&config);
        let mut changes = ChangeSet::default();
        for name in [
            "notes/.iam.md.swp",
            "notes/iam.md~",
            "notes/4913",
            "notes/#iam.md#",
            "public/index.html",
            ".notesite-cache/images/ab/cdef.webp",
            "notes/.obsidian/workspace.json",
        ] {
            classifier.add(&config.root.join(name), &mut changes);
        }
        assert!(changes.is_empty(), "{changes:?}");
        classifier.add(&config.root.join("notes/iam.md"), &mut changes);
        classifier.add(&config.root.join("templates/note.html"), &mut changes);
        classifier.add(&config.root.join("notesite.toml"), &mut changes);
        assert!(changes.files.contains(&config.root.join("notes/iam.md")));
        assert!(changes.templates && changes.config && !changes.theme);
    }
}
