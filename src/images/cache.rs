//! The image cache: processed variants, image facts and OCR text kept between builds, shared by `build`
//! and `serve`, in `<site root>/.notesite-cache/images/`.
//!
//! An entry's name is blake3 of the pipeline version, the operation and the source's content hash,
//! never of its path or mtime: a renamed or touched screenshot is still a hit, an edited one a miss,
//! and a change to how variants are made (bump [`PIPELINE_VERSION`]) misses everything once. Entries are
//! written to a temporary file and renamed into place, so concurrent builds never see half a file.

use serde::{de::DeserializeOwned, Serialize};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bump when a change makes earlier entries wrong (resampling, encoder settings, facts layout).
pub const PIPELINE_VERSION: u32 = 1;

/// The cache folder, and how often it saved work during one build.
pub struct Cache {
    dir: PathBuf,
    /// `check` reads the cache but never writes it.
    writable: bool,
    /// Variants found in the cache.
    pub variant_hits: AtomicUsize,
}

/// One entry: where it lives and the key it is known by.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: blake3::Hash,
    pub path: PathBuf,
}

impl Cache {
    /// Opens (creating) `dir`. When that fails (read-only site), a folder in the system's temp dir
    /// is used instead and the reason is returned for a warning.
    pub fn open(dir: &Path) -> (Cache, Option<String>) {
        match std::fs::create_dir_all(dir) {
            Ok(()) => (Cache::at(dir.to_path_buf()), None),
            Err(e) => {
                let fallback = std::env::temp_dir().join(format!(
                    "notesite-cache-{}",
                    &blake3::hash(dir.as_os_str().as_encoded_bytes()).to_hex()[..16]
                ));
                let warning = format!(
                    "cannot create the image cache `{}`: {e}; using `{}` instead",
                    dir.display(),
                    fallback.display()
                );
                let _ = std::fs::create_dir_all(&fallback);
                (Cache::at(fallback), Some(warning))
            }
        }
    }

    /// Uses `dir` if it exists and never writes to it (for `check`, which writes nothing).
    pub fn read_only(dir: &Path) -> Cache {
        Cache {
            writable: false,
            ..Cache::at(dir.to_path_buf())
        }
    }

    fn at(dir: PathBuf) -> Cache {
        Cache {
            dir,
            writable: true,
            variant_hits: AtomicUsize::new(0),
        }
    }

    /// The entry for `op` applied to the bytes hashed as `source`, stored with `extension`.
    pub fn entry(&self, op: &str, source: &blake3::Hash, extension: &str) -> Entry {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"notesite image cache\0");
        hasher.update(&PIPELINE_VERSION.to_le_bytes());
        hasher.update(op.as_bytes());
        hasher.update(b"\0");
        hasher.update(source.as_bytes());
        let key = hasher.finalize();
        let hex = key.to_hex();
        let path = self
            .dir
            .join(&hex[..2])
            .join(format!("{}.{extension}", &hex[2..]));
        Entry { key, path }
    }

    /// The size of a stored variant, or `None` (a miss); a hit is counted.
    pub fn variant_len(&self, entry: &Entry) -> Option<u64> {
        let len = std::fs::metadata(&entry.path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())?;
        self.variant_hits.fetch_add(1, Ordering::Relaxed);
        Some(len)
    }

    /// A JSON entry, or `None` when absent or unreadable (then it is made again).
    pub fn get_json<T: DeserializeOwned>(&self, entry: &Entry) -> Option<T> {
        std::fs::read(&entry.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
    }

    /// A text entry, or `None`.
    pub fn get_text(&self, entry: &Entry) -> Option<String> {
        std::fs::read_to_string(&entry.path).ok()
    }

    pub fn put_json<T: Serialize>(&self, entry: &Entry, value: &T) -> io::Result<()> {
        let bytes = serde_json::to_vec(value).map_err(io::Error::other)?;
        self.put(entry, &bytes)
    }

    /// Writes an entry atomically: a temporary file beside it, then a rename.
    pub fn put(&self, entry: &Entry, bytes: &[u8]) -> io::Result<()> {
        if !self.writable {
            return Ok(());
        }
        let dir = entry.path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(dir).map_err(|e| with_path(e, dir))?;
        let temp = dir.join(format!(
            ".tmp-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&temp, bytes).map_err(|e| with_path(e, &temp))?;
        std::fs::rename(&temp, &entry.path).map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            with_path(e, &entry.path)
        })
    }
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_op_and_content_only_and_writes_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, warning) = Cache::open(&dir.path().join("c"));
        assert!(warning.is_none());
        let source = blake3::hash(b"pixels");
        let a = cache.entry("resize 640x360 lanczos3 png", &source, "png");
        let again = cache.entry("resize 640x360 lanczos3 png", &source, "png");
        let other_op = cache.entry("resize 1280x720 lanczos3 png", &source, "png");
        let other_bytes = cache.entry("resize 640x360 lanczos3 png", &blake3::hash(b"x"), "png");
        assert_eq!(a.path, again.path);
        assert_ne!(a.path, other_op.path);
        assert_ne!(a.path, other_bytes.path);
        assert_eq!(cache.variant_len(&a), None);
        cache.put(&a, b"variant").unwrap();
        assert_eq!(cache.variant_len(&a), Some(7));
        assert_eq!(std::fs::read(&a.path).unwrap(), b"variant");
        let leftovers = std::fs::read_dir(a.path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
        assert_eq!(cache.variant_hits.load(Ordering::Relaxed), 1);
        let read_only = Cache::read_only(&dir.path().join("c"));
        let b = read_only.entry("facts", &source, "json");
        read_only.put(&b, b"{}").unwrap();
        assert!(!b.path.exists(), "check never writes the cache");
    }
}
