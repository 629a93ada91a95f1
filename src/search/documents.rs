//! Search documents made during the render stage of a one-shot build: the render pass reads each
//! note's events anyway, and handing them here spares the search stage reading (before the tapes,
//! parsing) every note once more: 6% of a build's instructions.

use pulldown_cmark::Event;
use std::sync::{Arc, Mutex};

use super::index::{self, Weights};
use super::tokenize::Tokenizer;
use super::workers::{lock, PerThread};
use super::{doc_key, CachedDoc, FragmentFile, SearchOptions};
use crate::graph::{NoteId, Site};
use crate::images::Assets;
use crate::output::Output;

/// The documents of the notes the render stage has seen so far, by doc id; [`super::build`] makes
/// the rest (a note whose page failed to render).
pub struct Documents<'s> {
    site: &'s Site,
    assets: &'s Assets,
    options: SearchOptions,
    /// Doc id (place among the visible notes) by note id; `None` for a note not in the index.
    doc_ids: Vec<Option<usize>>,
    pub(super) tokenizers: PerThread<(Tokenizer, Weights)>,
    made: Vec<Mutex<Option<Made>>>,
}

/// A document and its fragment's file, already in the output.
pub(super) type Made = (Arc<CachedDoc>, FragmentFile);

impl<'s> Documents<'s> {
    pub fn new(site: &'s Site, assets: &'s Assets, options: SearchOptions) -> Documents<'s> {
        let mut doc_ids = vec![None; site.notes.len()];
        let mut count = 0;
        for (at, id) in site.visible().enumerate() {
            doc_ids[id] = Some(at);
            count = at + 1;
        }
        Documents {
            site,
            assets,
            options,
            doc_ids,
            tokenizers: PerThread::new(|| (Tokenizer::new(options.stem), Weights::default())),
            made: (0..count).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// Makes note `id`'s document from `events` (its body's tape, as the render stage read it) and stores
    /// its fragment in `output`, as [`super::build`] does for a one-shot build.
    pub fn add(&self, id: NoteId, events: &[Event<'_>], output: &Output) {
        let Some(at) = self.doc_ids.get(id).copied().flatten() else {
            return;
        };
        let note = &self.site.notes[id];
        let url = &self.site.pages[id].url;
        let ocr = self.assets.ocr_texts(self.site, id);
        let (terms, fragment) = self.tokenizers.with(|(tokenizer, weights)| {
            index::document_from_events(tokenizer, weights, note, url, &ocr, events)
        });
        let mut doc = CachedDoc::new(doc_key(url, &ocr, self.options), terms, &fragment, at);
        let stored = FragmentFile::store(&mut doc, output);
        *lock(&self.made[at]) = Some((Arc::new(doc), stored));
    }

    /// The document made for doc id `at`, if any (taken: each is handed out once).
    pub(super) fn take(&self, at: usize) -> Option<Made> {
        self.made.get(at).and_then(|slot| lock(slot).take())
    }

    /// Frees the tokenizers on a worker while the build goes on: their caches are hundreds of
    /// thousands of small blocks (2 ms of one thread at 1k notes) that nothing waits for.
    pub fn free_in_background(self) {
        let tokenizers = self.tokenizers;
        rayon::spawn(move || drop(tokenizers));
    }
}
