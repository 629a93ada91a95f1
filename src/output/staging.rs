//! The staging folder of the write stage: files are written into a hidden folder beside `out_dir`,
//! which replaces `out_dir` only once every file is in it. `notesite build` writes pages into it as
//! they are rendered, so a large site's pages are never all in memory at once.

use rayon::prelude::*;
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{Content, Output, WriteStats, MARKER};

/// A staging folder being filled. Dropped unfinished, it is removed: a failed build leaves the
/// previous site as it was and nothing half-written beside it.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    out_dir: PathBuf,
    /// Whether `out_dir` held a site when the build began: if not, no file can be unchanged, and
    /// looking for each one there would cost a system call per file.
    had_site: bool,
    /// Folders made so far (asking the file system per file cost two system calls a file).
    folders: Mutex<HashSet<String>>,
    written: AtomicUsize,
    unchanged: AtomicUsize,
    /// The first write that failed: reported by [`Staging::finish`], so the stages writing in
    /// parallel need no error path of their own.
    error: Mutex<Option<io::Error>>,
    finished: AtomicBool,
}

impl Staging {
    /// Makes an empty staging folder for `out_dir` (removing one a crashed build left), with the
    /// marker that lets the next build replace the site.
    pub fn create(out_dir: &Path) -> io::Result<Staging> {
        let parent = out_dir
            .parent()
            .ok_or_else(|| io::Error::other("output folder has no parent"))?;
        std::fs::create_dir_all(parent).map_err(|e| with_path(e, parent))?;
        let name = out_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "public".into());
        let prefix = format!(".{name}.notesite-staging-");
        remove_abandoned(parent, &prefix);
        let dir = parent.join(format!("{prefix}{}", std::process::id()));
        remove_dir_if_exists(&dir)?;
        std::fs::create_dir_all(&dir).map_err(|e| with_path(e, &dir))?;
        let staging = Staging {
            dir,
            out_dir: out_dir.to_path_buf(),
            had_site: out_dir.is_dir(),
            folders: Mutex::default(),
            written: AtomicUsize::new(0),
            unchanged: AtomicUsize::new(0),
            error: Mutex::new(None),
            finished: AtomicBool::new(false),
        };
        // Through `write_file` like any page, so the marker too keeps its mtime (mtime-based syncs skip it).
        let marker = Content::Bytes(bytes::Bytes::from_static(
            b"This folder is written by notesite and replaced on every build.\n",
        ));
        write_file(
            &staging.dir.join(MARKER),
            staging.previous(MARKER).as_deref(),
            &marker,
        )?;
        Ok(staging)
    }

    /// Writes one file now; a failure is kept for [`Staging::finish`].
    pub fn write(&self, path: &str, content: &Content) {
        if let Err(e) = self.try_write(path, content) {
            let mut error = self.error.lock().unwrap_or_else(|e| e.into_inner());
            error.get_or_insert(e);
        }
    }

    fn try_write(&self, path: &str, content: &Content) -> io::Result<()> {
        self.make_folder(path)?;
        let previous = self.previous(path);
        let counter = match write_file(&self.dir.join(path), previous.as_deref(), content)? {
            true => &self.written,
            false => &self.unchanged,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Where the site being replaced has the file at `path`, if there was a site.
    fn previous(&self, path: &str) -> Option<PathBuf> {
        self.had_site.then(|| self.out_dir.join(path))
    }

    fn make_folder(&self, path: &str) -> io::Result<()> {
        let Some((folder, _)) = path.rsplit_once('/') else {
            return Ok(());
        };
        let mut folders = self.folders.lock().unwrap_or_else(|e| e.into_inner());
        if !folders.contains(folder) {
            let dir = self.dir.join(folder);
            std::fs::create_dir_all(&dir).map_err(|e| with_path(e, &dir))?;
            folders.insert(folder.to_string());
        }
        Ok(())
    }

    /// Writes what `output` still holds in memory, then swaps the folder in for `out_dir`.
    pub fn finish(&self, output: &Output) -> io::Result<WriteStats> {
        output
            .files
            .par_iter()
            .filter(|(_, content)| !matches!(content, Content::NotHeld))
            .for_each(|(path, content)| self.write(path, content));
        let error = self.error.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(error) = error {
            return Err(error);
        }
        swap_in(&self.dir, &self.out_dir)?;
        self.finished.store(true, Ordering::Relaxed);
        Ok(WriteStats {
            written: self.written.load(Ordering::Relaxed),
            unchanged: self.unchanged.load(Ordering::Relaxed),
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished.load(Ordering::Relaxed) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Removes staging folders whose build is gone (interrupted, since pages are written while the
/// build runs), where the system says which processes are alive (`/proc`); a concurrent build's
/// folder is left alone.
fn remove_abandoned(parent: &Path, prefix: &str) {
    let proc = Path::new("/proc/self");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    if !proc.exists() {
        return;
    }
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let pid = rest.strip_suffix(".old").unwrap_or(rest);
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        if !alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes one file into a folder that exists; `previous` is where the last build wrote it, if there
/// was one. An unchanged file is hard-linked from there so it keeps its mtime. Returns whether the
/// bytes changed.
fn write_file(dest: &Path, previous: Option<&Path>, content: &Content) -> io::Result<bool> {
    if let Some(previous) = previous.filter(|p| same_content(p, content)) {
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
        Content::NotHeld => {}
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
        Content::NotHeld => false,
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

    #[cfg(target_os = "linux")]
    #[test]
    fn removes_the_staging_folders_of_builds_that_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        // Above Linux's highest process id: never a live build.
        let gone = dir.path().join(".public.notesite-staging-4000000000");
        let alive = dir.path().join(".public.notesite-staging-1");
        let other = dir.path().join(".site.notesite-staging-4000000000");
        for folder in [&gone, &alive, &other] {
            std::fs::create_dir_all(folder.join("notes")).unwrap();
        }
        let staging = Staging::create(&dir.path().join("public")).unwrap();
        assert!(!gone.exists());
        assert!(
            alive.exists(),
            "process 1 is alive: its build is left alone"
        );
        assert!(
            other.exists(),
            "another site's staging folder is left alone"
        );
        drop(staging);
    }
}
