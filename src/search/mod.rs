//! Search-index stage: builds the client-side search index from the parsed notes of a [`Site`] (never
//! from rendered HTML) and returns the files to add to the output, under `search/`. Reads `Site`
//! only; `theme/search.js` is the matching reader (tokenizer, ranking and UI). In a one-shot build
//! the per-note documents are made earlier, from the events the render pass reads ([`Documents`]).
//!
//! Layout: `search/meta.js` (shard table, a few KB), `search/t/<n>.js` (term-range shards of
//! postings), `search/f/<doc>.js` (one fragment per note: title, URL, headings, plain text for
//! snippets, phrase checks and sub-results). Each part is one file, JSON wrapped in a call
//! (`shard::wrap`) that loads from file:// as well as over HTTP; there is no `.json` twin. No `.gz`
//! twins either: S3 website hosting cannot negotiate `Accept-Encoding`, so a `.gz` file would only
//! be used by a client that asks for it by name, and compressing hosts compress JavaScript on the fly.

mod documents;
#[cfg(test)]
mod golden;
mod index;
mod json;
mod postings;
mod shard;
pub mod tokenize;
mod workers;

use bytes::Bytes;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::graph::Site;
use crate::images::Assets;
use crate::output::{Content, Output};
pub use documents::Documents;
use postings::{Postings, ShardFile};
use tokenize::Tokenizer;
use workers::PerThread;

/// A hash map with a fast, non-keyed hash (FxHash): term keys come from the site's own notes.
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;

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
    /// The fragment's file as first written, `search/f/<wrapped_as>.js`: the JSON inside it does
    /// not name the doc id, so a doc whose id shifts keeps it and is wrapped again.
    fragment_file: Bytes,
    wrapped_as: usize,
    /// Where the JSON sits in `fragment_file`.
    json: std::ops::Range<usize>,
}

impl CachedDoc {
    /// `fragment`'s document, its JSON written straight into its file at the doc's own id.
    fn new(
        key: blake3::Hash,
        terms: index::DocTerms,
        fragment: &index::Fragment,
        id: usize,
    ) -> CachedDoc {
        CachedDoc::wrapping(key, terms, id, fragment.json_len(), |file| {
            fragment.write_json(file)
        })
    }

    fn wrapping(
        key: blake3::Hash,
        terms: index::DocTerms,
        id: usize,
        json_len: usize,
        write_json: impl FnOnce(&mut Vec<u8>),
    ) -> CachedDoc {
        // One buffer for the fragment and its file: a full build's fragments are most of the
        // index (74 MB of 81 at 10k notes), and the file at the doc's own id is the common case.
        let (file, json) = shard::wrap_into(&fragment_key(id), json_len, write_json);
        CachedDoc {
            key,
            terms,
            fragment_file: file.into(),
            wrapped_as: id,
            json,
        }
    }

    fn fragment(&self) -> &[u8] {
        &self.fragment_file[self.json.clone()]
    }
}

fn fragment_key(id: usize) -> String {
    format!("f/{id}")
}

/// What a build leaves for the next one (`serve`): each note's [`CachedDoc`], by doc id, and the
/// postings, shard files and fragment digests made from them.
#[derive(Debug, Default)]
pub struct SearchCache {
    stem: bool,
    /// The source path of each doc id (the visible notes, in order).
    paths: Vec<PathBuf>,
    docs: Vec<Arc<CachedDoc>>,
    /// Each doc's fragment file and its [`shard::digest`] (both name the doc id).
    fragment_files: Vec<FragmentFile>,
    postings: Option<Postings>,
    /// Whether this build patched the previous build's postings rather than making them afresh.
    patched: bool,
}

impl SearchCache {
    /// Whether the build that made this cache patched the previous build's postings (rather than
    /// making them afresh).
    pub fn patched(&self) -> bool {
        self.patched
    }
}

/// The index files: `(output path, bytes)`, and what the next rebuild may reuse. `assets` gives
/// the text read in screenshots (OCR). A note `is_unchanged` accepts keeps its document from
/// `previous` when its URL and screenshot text are the same, so a save re-tokenizes one note.
///
/// When the visible notes are the same paths in the same order, doc ids are stable and only the
/// changed notes' terms, shards and fragments are redone. When notes are added, removed or renamed,
/// the ids after the first difference shift, which changes every posting list holding such a doc
/// (ids are gap-encoded) and every later fragment's path: the postings are then built afresh (from
/// the cached documents, so nothing is re-tokenized). Either way the bytes are those of a full build.
///
/// With `once` (a one-shot `build`), nothing is kept for a next build: each fragment's file goes to
/// that output as soon as it is made (fragments are most of the index), and the cache is empty.
/// `made` holds the documents the render stage already made (see [`Documents`]), made with the same
/// `options`.
pub fn build(
    site: &Site,
    assets: &Assets,
    options: SearchOptions,
    mut previous: SearchCache,
    is_unchanged: &(dyn Fn(&Path) -> bool + Sync),
    once: Option<&Output>,
    made: Option<&Documents>,
) -> (Vec<(String, Content)>, SearchCache) {
    let ids: Vec<_> = site.visible().collect();
    let paths: Vec<&Path> = ids
        .iter()
        .map(|&id| site.notes[id].source.path.as_path())
        .collect();
    let same_ids = previous.paths.len() == paths.len()
        && previous
            .paths
            .iter()
            .zip(&paths)
            .all(|(a, b)| a.as_os_str() == b.as_os_str());
    let by_path: HashMap<&Path, &Arc<CachedDoc>> = if same_ids {
        HashMap::new()
    } else {
        previous
            .paths
            .iter()
            .map(PathBuf::as_path)
            .zip(&previous.docs)
            .collect()
    };
    let own_tokenizers;
    let tokenizers = match made {
        // Their caches are warm.
        Some(made) => &made.tokenizers,
        None => {
            own_tokenizers =
                PerThread::new(|| (Tokenizer::new(options.stem), index::Weights::default()));
            &own_tokenizers
        }
    };
    let (docs, stored): (Vec<Arc<CachedDoc>>, Vec<Option<FragmentFile>>) = ids
        .par_iter()
        .enumerate()
        .map(|(at, &id)| {
            if let Some((doc, stored)) = made.and_then(|made| made.take(at)) {
                return (doc, Some(stored));
            }
            let note = &site.notes[id];
            let url = &site.pages[id].url;
            let ocr = assets.ocr_texts(site, id);
            let key = doc_key(url, &ocr, options);
            let path = &note.source.path;
            let cached = match same_ids {
                true => previous.docs.get(at),
                false => by_path.get(path.as_path()).copied(),
            };
            match cached {
                Some(doc) if doc.key == key && is_unchanged(path) => (doc.clone(), None),
                _ => {
                    let (terms, fragment) = tokenizers.with(|(tokenizer, weights)| {
                        index::document(tokenizer, weights, note, url, &ocr)
                    });
                    let mut doc = CachedDoc::new(key, terms, &fragment, at);
                    let stored = once.map(|output| FragmentFile::store(&mut doc, output));
                    (Arc::new(doc), stored)
                }
            }
        })
        .unzip();
    drop(by_path);
    let avg = average_length(&docs);
    let same_options = same_ids && previous.stem == options.stem;
    let kept = previous
        .postings
        .take()
        .filter(|p| same_options && p.avg() == avg);
    // The same paths: keep the old list rather than copy 10k paths on every save.
    let paths = match same_ids {
        true => std::mem::take(&mut previous.paths),
        false => paths.into_iter().map(Path::to_path_buf).collect(),
    };
    let patched = kept.is_some();
    let (mut postings, fragment_files) = if let Some(kept) = kept {
        update(kept, previous, &docs)
    } else {
        let terms: Vec<&index::DocTerms> = docs.iter().map(|d| &d.terms).collect();
        let fragment_files = docs
            .par_iter()
            .zip(stored)
            .enumerate()
            .map(|(id, (doc, stored))| stored.unwrap_or_else(|| FragmentFile::new(id, doc)))
            .collect();
        (Postings::full(&terms, avg), fragment_files)
    };
    if once.is_some() {
        // Nothing is kept for a next build: the documents' terms (224 MiB at 50k notes) go
        // before the shards are cut, freed by both workers (on one, 12 ms at 10k notes).
        let count = docs.len();
        docs.into_par_iter().for_each(drop);
        let files = files(postings.recut(), count, &fragment_files, options);
        return (files, SearchCache::default());
    }
    let files = files(postings.recut(), docs.len(), &fragment_files, options);
    let cache = SearchCache {
        stem: options.stem,
        paths,
        docs,
        fragment_files,
        postings: Some(postings),
        patched,
    };
    (files, cache)
}

/// The average document length impacts are computed with, rounded to 1/16 of the power of two
/// below it (a step of 3–6 %). A one-note edit moves the true average by its change in length
/// over the number of notes (0.01 for 100 words at 10k notes, against a step of 16 at an average
/// of 300), so it almost never moves the rounded one, and no other note's impacts change. When it
/// does move, the rebuild recomputes every impact (correct, only slower). Ranking is unaffected:
/// the average only sets the length at which BM25 neither rewards nor penalizes a note, and moving
/// it by a few percent shifts every note of a given length alike, by at most one impact level.
fn average_length(docs: &[Arc<CachedDoc>]) -> f32 {
    let total: u64 = docs.iter().map(|d| u64::from(d.terms.length)).sum();
    let avg = total as f64 / docs.len().max(1) as f64;
    if avg <= 1.0 {
        return 1.0;
    }
    let step = 2f64.powi(avg.log2().floor() as i32) / 16.0;
    ((avg / step).round() * step) as f32
}

/// Patches the previous build's postings and fragment digests for the documents that changed
/// (doc ids are the same as before).
fn update(
    mut postings: Postings,
    previous: SearchCache,
    docs: &[Arc<CachedDoc>],
) -> (Postings, Vec<FragmentFile>) {
    let mut fragment_files = previous.fragment_files;
    let mut changes = Vec::new();
    for (id, (new, old)) in docs.iter().zip(&previous.docs).enumerate() {
        if !Arc::ptr_eq(new, old) {
            changes.push(postings::Change {
                id: id as u32,
                old: &old.terms,
                new: &new.terms,
            });
            if new.fragment() != old.fragment() {
                fragment_files[id] = FragmentFile::new(id, new);
            }
        }
    }
    postings.update(&changes);
    (postings, fragment_files)
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

/// A fragment's file and digest, which name its doc id.
#[derive(Debug)]
struct FragmentFile {
    /// The bytes, or (one-shot build) what the output kept of them.
    file: Content,
    digest: blake3::Hash,
}

impl FragmentFile {
    fn new(id: usize, doc: &CachedDoc) -> FragmentFile {
        let file = match doc.wrapped_as == id {
            true => doc.fragment_file.clone(),
            false => shard::wrap(&fragment_key(id), doc.fragment()).into(),
        };
        FragmentFile {
            digest: shard::digest(&file),
            file: Content::Bytes(file),
        }
    }

    /// Stores a new doc's fragment file (wrapped at its own id) in `output` at once, and drops
    /// the doc's copy.
    fn store(doc: &mut CachedDoc, output: &Output) -> FragmentFile {
        let file = std::mem::take(&mut doc.fragment_file);
        doc.json = 0..0;
        FragmentFile {
            digest: shard::digest(&file),
            file: output.store(&shard::path(&fragment_key(doc.wrapped_as)), file),
        }
    }
}

/// Every index file. The parts are shared with the cache (a [`Bytes`] clone is a reference, not a
/// copy, so an unchanged part costs nothing); only `meta`, which holds the build id, is new.
fn files(
    shards: &[ShardFile],
    doc_count: usize,
    fragment_files: &[FragmentFile],
    options: SearchOptions,
) -> Vec<(String, Content)> {
    let mut files = Vec::with_capacity(shards.len() + fragment_files.len() + 1);
    for (i, s) in shards.iter().enumerate() {
        files.push((
            shard::path(&format!("t/{i}")),
            Content::Bytes(s.file.clone()),
        ));
    }
    for (i, f) in fragment_files.iter().enumerate() {
        files.push((shard::path(&fragment_key(i)), f.file.clone()));
    }
    // The build id covers every part: the digests of their files, each kept from the build that
    // last wrote the part.
    let mut hasher = blake3::Hasher::new();
    let fragment_digests = fragment_files.iter().map(|f| &f.digest);
    for digest in shards.iter().map(|s| &s.digest).chain(fragment_digests) {
        hasher.update(digest.as_bytes());
    }
    let meta = shard::Meta {
        v: shard::FORMAT,
        b: hasher.finalize().to_hex()[..10].to_string(),
        n: doc_count,
        stem: options.stem,
        s: shards.iter().map(|s| s.first().to_string()).collect(),
    };
    let (path, bytes) = shard::part("meta", &meta);
    files.push((path, Content::Bytes(bytes.into())));
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::graph::GraphInput;
    use crate::parse::parse_note;
    use crate::scan::SourceFile;
    use std::collections::BTreeMap;

    #[test]
    fn language_decides_stemming() {
        assert!(SearchOptions::for_language("en").stem);
        assert!(SearchOptions::for_language("en-GB").stem);
        assert!(!SearchOptions::for_language("de").stem);
    }

    /// A site of `notes` (name, text), sorted by name as scan sorts them.
    fn site(config: &Config, notes: &[(String, String)]) -> Site {
        let mut notes: Vec<_> = notes
            .iter()
            .map(|(name, text)| {
                let source = SourceFile {
                    path: config.notes_dir.join(name),
                    rel: name.into(),
                    display: format!("notes/{name}").into(),
                };
                parse_note(source, text).0.map(Box::new).unwrap()
            })
            .collect();
        notes.sort_by(|a, b| a.source.path.cmp(&b.source.path));
        let input = GraphInput {
            config,
            images: &[],
            drafts: false,
            is_unchanged: &|_| false,
            page_inputs: false,
        };
        crate::graph::build(notes, &input, Default::default()).0
    }

    /// Index files by path; `changed` names the notes whose text differs from `previous`'s build.
    fn index(
        config: &Config,
        notes: &[(String, String)],
        previous: SearchCache,
        changed: &[&str],
    ) -> (BTreeMap<String, Vec<u8>>, SearchCache) {
        let site = site(config, notes);
        let unchanged = |path: &Path| !changed.iter().any(|name| path.ends_with(name));
        let options = SearchOptions::for_language("en");
        let (files, cache) = build(
            &site,
            &Assets::default(),
            options,
            previous,
            &unchanged,
            None,
            None,
        );
        let files = files
            .into_iter()
            .map(|(path, content)| (path, bytes(content).to_vec()));
        (files.collect(), cache)
    }

    /// What `build` without `once` gives: every file's bytes.
    fn bytes(content: Content) -> Bytes {
        match content {
            Content::Bytes(bytes) => bytes,
            other => panic!("not in memory: {other:?}"),
        }
    }

    /// Deterministic notes with a shared vocabulary, so that terms have long posting lists and
    /// the index has several shards.
    fn corpus(count: usize) -> Vec<(String, String)> {
        let words: Vec<String> = (0..3000)
            .map(|i| format!("w{}x{}", i % 97, i / 97))
            .collect();
        (0..count)
            .map(|n| {
                let body: Vec<&str> = (0..150)
                    .map(|k| words[(n * 7919 + k * k * 31 + k) % words.len()].as_str())
                    .collect();
                let text = format!(
                    "# Note {n}\n\n{}\n\n## Part\n\nmore `code{n}` text\n",
                    body.join(" ")
                );
                (format!("n{n:04}.md"), text)
            })
            .collect()
    }

    fn assert_same(incremental: &BTreeMap<String, Vec<u8>>, full: &BTreeMap<String, Vec<u8>>) {
        assert_eq!(
            incremental.keys().collect::<Vec<_>>(),
            full.keys().collect::<Vec<_>>()
        );
        for (path, bytes) in full {
            assert!(incremental[path] == *bytes, "{path} differs");
        }
    }

    #[test]
    fn a_rebuild_from_the_cache_writes_what_a_full_build_writes() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(dir.path()).unwrap();
        let mut notes = corpus(400);
        let (first, mut cache) = index(&config, &notes, SearchCache::default(), &[]);
        assert!(first.keys().filter(|k| k.starts_with("search/t/")).count() > 6);
        // (what, patched: whether doc ids stay and the postings are patched, edit)
        type Edit = (&'static str, bool, fn(&mut Vec<(String, String)>));
        let edits: [Edit; 6] = [
            ("one note's text", true, |notes| {
                notes[10].1.push_str("\nw1x1 w2x2 w3x3\n")
            }),
            ("a brand-new term", true, |notes| {
                notes[20].1.push_str("\nzyxwvutsrq\n")
            }),
            ("the last occurrence of a term", true, |notes| {
                notes[20].1 = notes[20].1.replace("zyxwvutsrq", "");
                notes[30].1 = notes[30].1.replace("`code30`", "")
            }),
            ("a note deleted", false, |notes| {
                notes.remove(40);
            }),
            ("a note added", false, |notes| {
                notes.push(("n0040b.md".into(), "# Fresh\n\nquokka w5x5\n".into()))
            }),
            ("nothing", true, |_| {}),
        ];
        for (what, patched, edit) in edits {
            let before = notes.clone();
            edit(&mut notes);
            let changed: Vec<&str> = notes
                .iter()
                .filter(|note| !before.contains(note))
                .map(|(name, _)| name.as_str())
                .collect();
            let (incremental, next) = index(&config, &notes, cache, &changed);
            let (full, _) = index(&config, &notes, SearchCache::default(), &[]);
            assert_eq!(next.patched, patched, "{what}");
            assert_same(&incremental, &full);
            cache = next;
        }
    }

    #[test]
    fn an_edit_rewrites_only_the_shards_of_its_terms() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(dir.path()).unwrap();
        let mut notes = corpus(400);
        let (before, cache) = index(&config, &notes, SearchCache::default(), &[]);
        // One word replaced by a new one: the note keeps its length, so only the two terms'
        // lists change (a longer note would change the impacts of all its terms).
        notes[10].1 = notes[10].1.replacen("Note 10", "Note zyxwvutsrq", 1);
        let (after, _) = index(&config, &notes, cache, &["n0010.md"]);
        let shards = |files: &BTreeMap<String, Vec<u8>>| {
            let shards: Vec<Vec<u8>> = files
                .iter()
                .filter(|(k, _)| k.starts_with("search/t/"))
                .map(|(_, v)| v.clone())
                .collect();
            shards
        };
        let (old, new) = (shards(&before), shards(&after));
        let changed = new.iter().filter(|s| !old.contains(s)).count();
        assert!(old.len() > 6);
        assert!(changed <= 3, "{changed} of {} shards changed", new.len());
    }

    #[test]
    fn each_part_is_written_once_as_a_script() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(dir.path()).unwrap();
        let notes = corpus(50);
        let (files, cache) = index(&config, &notes, SearchCache::default(), &[]);
        let shards = cache.postings.as_ref().unwrap().shards().len();
        let mut want: Vec<String> = (0..shards)
            .map(|i| format!("search/t/{i}.js"))
            .chain((0..notes.len()).map(|i| format!("search/f/{i}.js")))
            .chain(["search/meta.js".to_string()])
            .collect();
        want.sort();
        assert_eq!(files.keys().cloned().collect::<Vec<_>>(), want);
        for (path, bytes) in &files {
            let key = &path["search/".len()..path.len() - ".js".len()];
            let text = std::str::from_utf8(bytes).unwrap();
            let json = text
                .strip_prefix(&format!("__notesiteSearch(\"{key}\","))
                .and_then(|rest| rest.strip_suffix(");\n"))
                .unwrap_or_else(|| panic!("{path} is not a wrapped part"));
            serde_json::from_str::<serde_json::Value>(json).unwrap();
        }
    }

    /// `serve` compares outputs by pointer first: an unchanged part must be the previous build's
    /// `Bytes`, not an equal copy.
    #[test]
    fn a_rebuild_shares_the_bytes_of_unchanged_parts() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(dir.path()).unwrap();
        let options = SearchOptions::for_language("en");
        let mut notes = corpus(100);
        let assets = Assets::default();
        let (first, cache) = build(
            &site(&config, &notes),
            &assets,
            options,
            SearchCache::default(),
            &|_| false,
            None,
            None,
        );
        notes[3].1.push_str("\nw1x1\n");
        let unchanged = |path: &Path| !path.ends_with("n0003.md");
        let site = site(&config, &notes);
        let (second, _) = build(&site, &assets, options, cache, &unchanged, None, None);
        let second: Vec<(String, Bytes)> = second.into_iter().map(|(p, c)| (p, bytes(c))).collect();
        let first: HashMap<String, Bytes> = first.into_iter().map(|(p, c)| (p, bytes(c))).collect();
        let shared = |path: &str, bytes: &Bytes| first[path].as_ptr() == bytes.as_ptr();
        let fragments: Vec<_> = second
            .iter()
            .filter(|(path, _)| path.starts_with("search/f/"))
            .collect();
        assert_eq!(fragments.len(), 100);
        for (path, bytes) in fragments {
            assert_eq!(shared(path, bytes), path != "search/f/3.js", "{path}");
        }
        let shards = second.iter().filter(|(p, _)| p.starts_with("search/t/"));
        let (same, all) = shards.fold((0, 0), |(same, all), (path, bytes)| {
            (same + usize::from(shared(path, bytes)), all + 1)
        });
        assert!(same > 0 && same < all, "{same} of {all} shards shared");
    }

    /// A one-shot build writes each fragment as it is made and keeps nothing; the files on disk are
    /// the same bytes a kept build gives, also when the render stage made some of the documents
    /// (here every other one) from its events.
    #[test]
    fn a_one_shot_index_writes_fragments_at_once_and_gives_the_same_files() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(dir.path()).unwrap();
        let options = SearchOptions::for_language("en");
        let notes = corpus(50);
        let (kept, _) = index(&config, &notes, SearchCache::default(), &[]);
        let site = site(&config, &notes);
        let assets = Assets::default();
        for from_render in [false, true] {
            let out = dir.path().join(format!("public-{from_render}"));
            let staging = crate::output::Staging::create(&out).unwrap();
            let mut output = Output::streaming(staging);
            let made = from_render.then(|| Documents::new(&site, &assets, options));
            for id in made.iter().flat_map(|_| site.visible().step_by(2)) {
                let body = &site.notes[id].body;
                let tape = body.tape();
                let events: Vec<_> = tape.events().collect();
                made.as_ref().unwrap().add(id, &events, &output);
            }
            let (once, cache) = build(
                &site,
                &assets,
                options,
                SearchCache::default(),
                &|_| false,
                Some(&output),
                made.as_ref(),
            );
            assert!(cache.docs.is_empty() && cache.postings.is_none());
            for (path, content) in &once {
                let written = matches!(content, Content::NotHeld);
                assert_eq!(written, path.starts_with("search/f/"), "{path}");
            }
            output.add_all(once);
            crate::output::write(&output, &out).unwrap();
            assert_eq!(
                kept.len(),
                51 + kept.iter().filter(|(p, _)| p.contains("/t/")).count()
            );
            for (path, bytes) in &kept {
                let on_disk = std::fs::read(out.join(path)).unwrap();
                assert_eq!(
                    &on_disk, bytes,
                    "{path}, documents from render: {from_render}"
                );
            }
        }
    }

    #[test]
    fn the_rounded_average_moves_in_steps() {
        let doc = |length| {
            let terms = index::DocTerms {
                terms: Vec::new(),
                length,
            };
            Arc::new(CachedDoc::wrapping(
                blake3::hash(b""),
                terms,
                0,
                2,
                |file| file.extend_from_slice(b"{}"),
            ))
        };
        let avg =
            |lengths: &[u32]| average_length(&lengths.iter().map(|&l| doc(l)).collect::<Vec<_>>());
        assert_eq!(avg(&[300, 300]), 304.0);
        assert_eq!(avg(&[300, 302]), 304.0);
        assert_eq!(avg(&[0]), 1.0);
        assert_eq!(avg(&[]), 1.0);
    }
}
