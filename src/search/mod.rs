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

/// The index files: `(output path, bytes)`. `assets` gives the text read in screenshots (OCR).
pub fn build(site: &Site, assets: &Assets, options: SearchOptions) -> Vec<(String, Vec<u8>)> {
    let ids: Vec<_> = site.visible().collect();
    let docs: Vec<_> = ids
        .par_iter()
        .map_init(
            || Tokenizer::new(options.stem),
            |tokenizer, &id| {
                let ocr = assets.ocr_texts(site, id);
                index::document(tokenizer, &site.notes[id], &site.pages[id].url, &ocr)
            },
        )
        .collect();
    let (terms, fragments): (Vec<_>, Vec<_>) = docs.into_iter().unzip();
    let shards = shard::cut(postings(terms), SHARD_BYTES);
    files(shards, &fragments, options)
}

/// Term → encoded postings, sorted for the browser.
fn postings(docs: Vec<index::DocTerms>) -> Vec<(String, String)> {
    let total: u64 = docs.iter().map(|d| u64::from(d.length)).sum();
    let avg = total as f32 / docs.len().max(1) as f32;
    let mut lists: FastMap<String, Vec<(u32, u8)>> = FastMap::default();
    for (id, doc) in docs.into_iter().enumerate() {
        for (term, (tf, title)) in doc.terms {
            let impact = index::impact(tf, title, doc.length, avg);
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
            (term, text)
        })
        .collect()
}

fn files(
    shards: Vec<shard::Shard>,
    fragments: &[Fragment],
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
    let mut hasher = blake3::Hasher::new();
    for (path, bytes) in &files {
        hasher.update(path.as_bytes());
        hasher.update(bytes);
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
