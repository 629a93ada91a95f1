//! Search-index stage: builds the client-side search index from the parsed notes of a [`Site`] (never
//! from rendered HTML) and returns the files to add to the output, under `search/`. Reads `Site`
//! only; `theme/search.js` is the matching reader (tokenizer, ranking and UI).
//!
//! Layout: `search/meta.json` (shard table, a few KB), `search/t/<n>.json` (term-range shards of
//! postings), `search/f/<doc>.json` (one fragment per note: title, URL, headings, plain text for
//! snippets, phrase checks and sub-results), each with a `.js` twin for file://. No `.gz` twins:
//! S3 website hosting cannot negotiate `Accept-Encoding`, so a `.gz` file would only be used by a
//! client that asks for it by name, and compressing hosts compress JSON on the fly.

#[cfg(test)]
mod golden;
mod index;
mod shard;
pub mod tokenize;

use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::graph::Site;
use crate::images::Assets;
use index::Fragment;
use tokenize::Tokenizer;

/// A hash map with a fast, non-keyed hash (FxHash): term keys come from the site's own notes.
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// Shards are cut at about this many bytes of JSON (~8–12 KB gzipped).
const SHARD_BYTES: usize = 24 * 1024;

/// How to build the index.
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    /// English stemming (when the site's language is English).
    pub stem: bool,
}

impl SearchOptions {
    pub fn for_language(language: &str) -> SearchOptions {
        let language = language.to_ascii_lowercase();
        SearchOptions {
            stem: language == "en" || language.starts_with("en-"),
        }
    }
}

/// What the index keeps of one note, reused by the next rebuild (`serve`) while the note, its URL
/// and its screenshots' text stay the same.
#[derive(Debug)]
pub struct CachedDoc {
    key: blake3::Hash,
    terms: index::DocTerms,
    fragment: Fragment,
}

/// Each note's [`CachedDoc`] by source path, from the build before.
#[derive(Debug, Default)]
pub struct DocCache(HashMap<PathBuf, Arc<CachedDoc>>);

/// The index files: `(output path, bytes)`, and the documents for the next rebuild. `assets` gives
/// the text read in screenshots (OCR). A note `is_unchanged` accepts keeps its document from
/// `previous` when its URL and screenshot text are the same, so a save re-tokenizes one note.
pub fn build(
    site: &Site,
    assets: &Assets,
    options: SearchOptions,
    previous: &DocCache,
    is_unchanged: &(dyn Fn(&Path) -> bool + Sync),
) -> (Vec<(String, Vec<u8>)>, DocCache) {
    let ids: Vec<_> = site.visible().collect();
    let tokenizers = PerThread::new(|| Tokenizer::new(options.stem));
    let docs: Vec<Arc<CachedDoc>> = ids
        .par_iter()
        .map(|&id| {
            let note = &site.notes[id];
            let url = &site.pages[id].url;
            let ocr = assets.ocr_texts(site, id);
            let key = doc_key(url, &ocr, options);
            let path = &note.source.path;
            match previous.0.get(path) {
                Some(doc) if doc.key == key && is_unchanged(path) => doc.clone(),
                _ => {
                    let (terms, fragment) =
                        tokenizers.with(|tokenizer| index::document(tokenizer, note, url, &ocr));
                    Arc::new(CachedDoc {
                        key,
                        terms,
                        fragment,
                    })
                }
            }
        })
        .collect();
    let shards = shard::cut(postings(&docs), SHARD_BYTES);
    let fragments: Vec<&Fragment> = docs.iter().map(|d| &d.fragment).collect();
    let files = files(shards, &fragments, options);
    let cache = ids
        .iter()
        .zip(docs)
        .map(|(&id, doc)| (site.notes[id].source.path.clone(), doc))
        .collect();
    (files, DocCache(cache))
}

/// One value per rayon worker thread, alive for the whole stage. A tokenizer's caches of stems and
/// spans then warm up once per thread: `map_init` makes one per rayon job, and filling and dropping
/// those caches again and again was a third of the stage's time.
struct PerThread<T>(Vec<Mutex<T>>);

impl<T> PerThread<T> {
    fn new(make: impl Fn() -> T) -> PerThread<T> {
        let threads = rayon::current_num_threads().max(1);
        PerThread((0..threads).map(|_| Mutex::new(make())).collect())
    }

    /// Runs `f` with this thread's value. `f` must not block on other rayon work, so the lock is
    /// never held by a job that is waiting for another job on the same thread.
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let slot = rayon::current_thread_index().unwrap_or(0) % self.0.len();
        let mut value = self.0[slot]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut value)
    }
}

/// Everything besides the note itself that its document depends on.
fn doc_key(url: &str, ocr: &[Option<&str>], options: SearchOptions) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[u8::from(options.stem)]);
    hasher.update(url.as_bytes());
    for text in ocr {
        // Length-prefixed, so ("ab", "") and ("a", "b") differ.
        let text = text.unwrap_or("");
        hasher.update(&(text.len() as u64 + 1).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    hasher.finalize()
}

/// Term → encoded postings, sorted for the browser.
fn postings(docs: &[Arc<CachedDoc>]) -> Vec<(String, String)> {
    let total: u64 = docs.iter().map(|d| u64::from(d.terms.length)).sum();
    let avg = total as f32 / docs.len().max(1) as f32;
    let mut lists: FastMap<&str, Vec<(u32, u8)>> = FastMap::default();
    for (id, doc) in docs.iter().enumerate() {
        for (term, tf, title) in &doc.terms.terms {
            let impact = index::impact(*tf, *title, doc.terms.length, avg);
            lists.entry(term).or_default().push((id as u32, impact));
        }
    }
    let mut lists: Vec<_> = lists.into_iter().collect();
    shard::sort_utf16(&mut lists);
    lists
        .into_par_iter()
        .map(|(term, list)| {
            let mut text = String::with_capacity(list.len() * 3);
            shard::encode_postings(&list, &mut text);
            (term.to_string(), text)
        })
        .collect()
}

fn files(
    shards: Vec<shard::Shard>,
    fragments: &[&Fragment],
    options: SearchOptions,
) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = shards
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, s)| shard::twins(&format!("t/{i}"), s))
        .collect();
    files.par_extend(
        fragments
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, f)| shard::twins(&format!("f/{i}"), f)),
    );
    // The build id covers every part. The `.js` twins only repeat the `.json` files, and each part
    // is hashed on its own before the digests are hashed in order: one thread hashing 150 MB (10k
    // notes) took a quarter of the stage.
    let digests: Vec<blake3::Hash> = files
        .par_iter()
        .filter(|(path, _)| path.ends_with(".json"))
        .map(|(path, bytes)| {
            let mut hasher = blake3::Hasher::new();
            hasher.update(path.as_bytes());
            hasher.update(bytes);
            hasher.finalize()
        })
        .collect();
    let mut hasher = blake3::Hasher::new();
    for digest in &digests {
        hasher.update(digest.as_bytes());
    }
    let meta = shard::Meta {
        v: shard::FORMAT,
        b: hasher.finalize().to_hex()[..10].to_string(),
        n: fragments.len(),
        stem: options.stem,
        s: shards
            .iter()
            .map(|s| s.t.first().cloned().unwrap_or_default())
            .collect(),
    };
    files.extend(shard::twins("meta", &meta));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_decides_stemming() {
        assert!(SearchOptions::for_language("en").stem);
        assert!(SearchOptions::for_language("en-GB").stem);
        assert!(!SearchOptions::for_language("de").stem);
    }
}
