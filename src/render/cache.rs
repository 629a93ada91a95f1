//! The page cache `serve` keeps between rebuilds: rendered pages by a key that covers everything a
//! page is rendered from. A note page's key is made from the site's outline and the note's own inputs
//! (its text, resolved links, images, backlinks, related notes), so an unchanged page is found
//! without building its view or rendering its body: a one-note save at 10,000 notes re-renders a
//! handful of pages instead of hashing every page's full context.

use bytes::Bytes;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use crate::graph::reuse::Feed;
use crate::graph::{ImageTarget, LinkTarget, NoteId, Site};
use crate::images::Assets;

/// Keys are blake3 digests already: a fast hasher is enough.
type Pages = HashMap<blake3::Hash, Bytes, foldhash::fast::RandomState>;

/// Rendered pages kept for one generation: what a render did not use is dropped after it, so the
/// cache never holds more than one site's pages.
#[derive(Default)]
pub(super) struct PageCache {
    previous: Mutex<Pages>,
    current: Mutex<Pages>,
}

impl PageCache {
    pub(super) fn get(&self, key: &blake3::Hash) -> Option<Bytes> {
        let hit = lock(&self.previous).get(key).cloned()?;
        lock(&self.current).insert(*key, hit.clone());
        Some(hit)
    }

    /// [`PageCache::get`] for many keys at once.
    pub(super) fn get_all(&self, keys: &[blake3::Hash]) -> Vec<Option<Bytes>> {
        let previous = lock(&self.previous);
        let mut current = lock(&self.current);
        current.reserve(previous.len());
        keys.iter()
            .map(|key| {
                let hit = previous.get(key).cloned()?;
                current.insert(*key, hit.clone());
                Some(hit)
            })
            .collect()
    }

    pub(super) fn put(&self, key: blake3::Hash, page: Bytes) {
        lock(&self.current).insert(key, page);
    }

    /// Called after each full render: what was not used this time is dropped.
    pub(super) fn next_generation(&self) {
        let current = std::mem::take(&mut *lock(&self.current));
        *lock(&self.previous) = current;
    }
}

/// A poisoned cache only means a render thread panicked; its data is still a valid cache.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Everything a note page shows of the *other* notes, for all notes at once: paths, visibility,
/// titles, front matter and headings (the link graph's outline, which also decides slugs and URLs)
/// and first sentences. Topics, navigation, neighbours and breadcrumbs are derived from these alone,
/// so two sites with the same outline give them the same values.
pub(super) fn site_outline(site: &Site) -> blake3::Hash {
    let mut bytes = Vec::with_capacity(32 * (site.notes.len() + 1) + 1);
    match site.graph.outline {
        Some(outline) => bytes.extend_from_slice(outline.as_bytes()),
        None => bytes.push(0),
    }
    for note in &site.notes {
        bytes.extend_from_slice(note.digest.summary.as_bytes());
    }
    blake3::hash(&bytes)
}

/// The cache key of a page that shows nothing but the site outline (index, topics, 404, search).
pub(super) fn page_key(outline: &blake3::Hash, template: &str, file: &str) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    for part in [template, file] {
        hasher.update(part.as_bytes());
        hasher.update(&[0]);
    }
    hasher.update(outline.as_bytes());
    hasher.finalize()
}

/// The cache key of note `id`'s page: the site outline plus everything of its own the page shows.
/// The template set and configuration are not in it: `serve` makes a new renderer (and cache) when
/// either changes.
pub(super) fn note_key(
    outline: &blake3::Hash,
    site: &Site,
    assets: &Assets,
    id: NoteId,
) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"note.html\0");
    hasher.update(outline.as_bytes());
    hasher.update(site.pages[id].file.as_bytes());
    hasher.update(site.notes[id].digest.text.as_bytes());
    let graph = &site.graph;
    hasher.update(graph.page_inputs[id].as_bytes());
    let mut feed = Feed::default();
    let local_images = graph.images[id].iter().filter_map(|t| match t {
        ImageTarget::Local(path) => Some(path),
        _ => None,
    });
    let files = graph.links[id].iter().filter_map(|t| match t {
        LinkTarget::File { path, .. } => Some(path),
        _ => None,
    });
    for path in local_images.chain(files) {
        match assets.get(path) {
            // Variants and sizes follow from the bytes (and the configuration, fixed per cache).
            Some(Ok(asset)) => (asset.hash.as_bytes(), &asset.out, &asset.ocr_text).hash(&mut feed),
            Some(Err(message)) => message.hash(&mut feed),
            None => 0u8.hash(&mut feed),
        }
    }
    hasher.update(&feed.0);
    hasher.finalize()
}
