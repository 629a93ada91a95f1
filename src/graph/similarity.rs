//! Text similarity for the related-notes ranking: TF-IDF vectors of each note's most distinctive
//! terms (from the counts the parse stage made) and the inverted index over them, so a note's
//! similar notes are found through the postings of its terms, not by comparing every pair.
//!
//! Everything is keyed by term hash and owned, so `serve` keeps the index and updates it after a
//! save ([`TextIndex::update`]): document frequencies change by the saved notes' terms only, and
//! only the notes holding a term whose frequency moved within the counted range get new vectors.
//! Ties between equal weights go to the lower hash, so an updated index equals a rebuilt one.

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;

use super::related::Candidates;
use super::resolve::NoteId;
use crate::parse::Note;

/// Terms kept per note: its most distinctive ones.
const TERMS_PER_NOTE: usize = 48;
/// Terms in more notes than this fraction (or than `MAX_DF`) say little about any pair, and their long
/// posting lists would make the stage quadratic.
const MAX_DF_FRACTION: f64 = 0.2;
const MAX_DF: f64 = 100.0;
/// Term counts below this take `1 + ln(tf)` from a table.
const LOG_TF_TABLE: usize = 64;
/// More saved notes than this share of all notes: rebuilding is as cheap as updating.
const UPDATE_LIMIT: usize = 8;

/// A note's TF-IDF vector: (term hash, weight), strongest first, unit length.
pub type HashedVector = Vec<(u64, f64)>;

/// TF-IDF vectors of each note's most distinctive terms, and the inverted index over them.
#[derive(Debug, Clone, Default)]
pub(super) struct TextIndex {
    df: Frequencies,
    /// Visible notes with at least one term.
    with_terms: usize,
    /// `ln(with_terms / d)` for each document frequency `d` a weighted term can have, and
    /// `1 + ln(tf)` for small term counts: worked out once instead of twice per term of every note
    /// (half a million logarithms at 1k notes).
    idf: Vec<f64>,
    log_tf: Vec<f64>,
    /// By note: the term hashes it was indexed with (shared with its counts; empty when hidden).
    counted: Vec<Arc<[u64]>>,
    vectors: Vec<HashedVector>,
    /// By term hash: the notes whose vector holds the term, with its weight there, by note id.
    postings: HashMap<u64, Vec<(NoteId, f64)>>,
}

/// A rebuilt or updated index, and the notes whose vectors changed (`None`: possibly all).
pub(super) struct Indexed {
    pub index: TextIndex,
    /// Notes whose vector differs from the previous index's, with that previous vector.
    pub changed: Option<Vec<(NoteId, HashedVector)>>,
}

impl TextIndex {
    /// The index of `notes`, updated from `previous` when only a few notes changed.
    pub(super) fn build(
        notes: &[Box<Note>],
        hidden: &[bool],
        previous: Option<TextIndex>,
    ) -> Indexed {
        let counted: Vec<Arc<[u64]>> = notes
            .iter()
            .zip(hidden)
            .map(|(note, &hidden)| match hidden {
                true => Arc::from(Vec::new()),
                false => note.terms.hashes.clone(),
            })
            .collect();
        if let Some(updated) = previous.and_then(|p| p.update(notes, &counted)) {
            return updated;
        }
        Indexed {
            index: TextIndex::full(notes, counted),
            changed: None,
        }
    }

    fn full(notes: &[Box<Note>], counted: Vec<Arc<[u64]>>) -> TextIndex {
        let df = Frequencies::count(&counted);
        let with_terms = counted.iter().filter(|c| !c.is_empty()).count();
        let mut index = TextIndex {
            df,
            with_terms,
            idf: Vec::new(),
            log_tf: Vec::new(),
            counted,
            vectors: Vec::new(),
            postings: HashMap::default(),
        };
        index.tabulate_weights();
        index.vectors = (0..notes.len())
            .into_par_iter()
            .map(|id| index.vector(notes, id))
            .collect();
        for (note, vector) in index.vectors.iter().enumerate() {
            for &(term, weight) in vector {
                index.postings.entry(term).or_default().push((note, weight));
            }
        }
        index
    }

    /// Applies the saved notes (those whose counts are not the ones indexed); `None` when the notes
    /// are not the same set or too many changed.
    fn update(mut self, notes: &[Box<Note>], counted: &[Arc<[u64]>]) -> Option<Indexed> {
        if self.counted.len() != notes.len() {
            return None;
        }
        // A note parsed again has new counts; a reused one shares its counts with this index.
        let same =
            |a: &Arc<[u64]>, b: &Arc<[u64]>| Arc::ptr_eq(a, b) || a.is_empty() && b.is_empty();
        let saved: Vec<NoteId> = (0..notes.len())
            .filter(|&id| !same(&self.counted[id], &counted[id]))
            .collect();
        let with_terms = counted.iter().filter(|c| !c.is_empty()).count();
        if saved.len() * UPDATE_LIMIT > notes.len() || with_terms != self.with_terms {
            return None;
        }
        let max_df = self.max_df();
        let mut moved: HashSet<u64> = HashSet::default();
        for &id in &saved {
            for (hash, before, after) in self.df.replace(&self.counted[id], &counted[id]) {
                let counts = |d: u32| d > 1 && f64::from(d) <= max_df;
                if counts(before) || counts(after) {
                    moved.insert(hash);
                }
            }
            self.counted[id] = counted[id].clone();
        }
        let mut again = self.holders(&moved);
        again.extend(saved);
        again.sort_unstable();
        again.dedup();
        let mut changed = Vec::new();
        for id in again {
            let vector = self.vector(notes, id);
            if vector != self.vectors[id] {
                let old = std::mem::replace(&mut self.vectors[id], vector);
                self.repost(id, &old);
                changed.push((id, old));
            }
        }
        Some(Indexed {
            index: self,
            changed: Some(changed),
        })
    }

    /// Notes (among all) holding any of `terms`: each note's hashes are sorted, so a search each.
    fn holders(&self, terms: &HashSet<u64>) -> Vec<NoteId> {
        if terms.is_empty() {
            return Vec::new();
        }
        let terms: Vec<u64> = terms.iter().copied().collect();
        (0..self.counted.len())
            .into_par_iter()
            .filter(|&id| {
                let held = &self.counted[id];
                terms.iter().any(|t| held.binary_search(t).is_ok())
            })
            .collect()
    }

    /// Moves note `id`'s postings from its `old` vector's terms to its current vector's terms.
    fn repost(&mut self, id: NoteId, old: &HashedVector) {
        for (term, _) in old {
            if let Some(list) = self.postings.get_mut(term) {
                list.retain(|&(note, _)| note != id);
                if list.is_empty() {
                    self.postings.remove(term);
                }
            }
        }
        for &(term, weight) in &self.vectors[id] {
            let list = self.postings.entry(term).or_default();
            let at = list.partition_point(|&(note, _)| note < id);
            list.insert(at, (id, weight));
        }
    }

    /// Fills `idf` and `log_tf` for the current `with_terms`.
    fn tabulate_weights(&mut self) {
        let n = self.with_terms.max(1) as f64;
        let max_df = self.max_df() as usize;
        self.idf = (0..=max_df).map(|d| (n / d as f64).ln()).collect();
        self.log_tf = (0..LOG_TF_TABLE).map(|tf| 1.0 + (tf as f64).ln()).collect();
    }

    fn max_df(&self) -> f64 {
        (self.with_terms.max(1) as f64 * MAX_DF_FRACTION).clamp(2.0, MAX_DF)
    }

    /// The highest-weighted terms of note `id`, as a unit vector.
    fn vector(&self, notes: &[Box<Note>], id: NoteId) -> HashedVector {
        let terms = &notes[id].terms;
        if self.counted[id].is_empty() {
            return Vec::new();
        }
        let mut weighted: HashedVector = (0..terms.len())
            .filter_map(|k| {
                let hash = terms.hashes[k];
                // Only terms in more than one note and at most `max_df` notes have an idf.
                let d = self.df.get(hash) as usize;
                let idf = *self.idf.get(d).filter(|_| d > 1)?;
                let tf = terms.counts[k] as usize;
                let tf_weight = match self.log_tf.get(tf) {
                    Some(&weight) => weight,
                    None => 1.0 + (tf as f64).ln(),
                };
                Some((hash, tf_weight * idf))
            })
            .collect();
        let order = |a: &(u64, f64), b: &(u64, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if weighted.len() > TERMS_PER_NOTE {
            weighted.select_nth_unstable_by(TERMS_PER_NOTE - 1, order);
            weighted.truncate(TERMS_PER_NOTE);
        }
        weighted.sort_unstable_by(order);
        let norm = weighted.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        if norm > 0.0 {
            weighted.iter_mut().for_each(|(_, w)| *w /= norm);
        }
        weighted
    }

    pub(super) fn vector_of(&self, id: NoteId) -> &HashedVector {
        &self.vectors[id]
    }

    /// Adds the cosine similarity with every note sharing a distinctive term.
    pub(super) fn add_cosines(&self, id: NoteId, candidates: &mut Candidates) {
        for (term, weight) in &self.vectors[id] {
            for &(other, w) in self.postings.get(term).map_or(&[][..], Vec::as_slice) {
                if other != id {
                    candidates.entry(other).cosine += weight * w;
                }
            }
        }
    }

    /// The notes whose vectors hold any of the terms with these hashes.
    pub(super) fn notes_sharing(&self, hashes: &HashSet<u64>) -> Vec<NoteId> {
        let mut notes: Vec<NoteId> = hashes
            .iter()
            .filter_map(|h| self.postings.get(h))
            .flat_map(|list| list.iter().map(|&(note, _)| note))
            .collect();
        notes.sort_unstable();
        notes.dedup();
        notes
    }

    /// Up to `max` terms the vectors of `a` and `b` share, strongest first, as words of `a`;
    /// `a` comes with its vector sorted by term hash, made once for all the notes it is compared
    /// with (vectors hold at most TERMS_PER_NOTE terms: searching by halves beats building a map).
    pub(super) fn shared_terms<'n>(
        &self,
        notes: &'n [Box<Note>],
        (a, a_by_hash): (NoteId, &[(u64, f64)]),
        b: NoteId,
        max: usize,
    ) -> Vec<&'n str> {
        let terms = &notes[a].terms;
        let mut shared: Vec<(f64, &str)> = self.vectors[b]
            .iter()
            .filter_map(|(t, w)| {
                let at = a_by_hash.binary_search_by_key(t, |&(t2, _)| t2).ok()?;
                let k = terms.hashes.binary_search(t).ok()?;
                Some((a_by_hash[at].1 * w, terms.text(k)))
            })
            .collect();
        shared.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(y.1)));
        shared.into_iter().take(max).map(|(_, t)| t).collect()
    }
}

/// Document frequencies by term hash, in a fixed number of maps each owning the hashes whose top
/// bits select it, so they are counted in parallel.
#[derive(Debug, Clone, Default)]
struct Frequencies(Vec<HashMap<u64, u32>>);

const SHARDS: usize = 8;

fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARDS.trailing_zeros())) as usize
}

impl Frequencies {
    fn count(counted: &[Arc<[u64]>]) -> Frequencies {
        // A note's hashes are sorted, so each shard's terms are one run within every note.
        let maps = (0..SHARDS)
            .into_par_iter()
            .map(|shard| {
                let mut df: HashMap<u64, u32> = HashMap::default();
                for hashes in counted {
                    let start = hashes.partition_point(|&h| shard_of(h) < shard);
                    for &hash in hashes[start..]
                        .iter()
                        .take_while(|&&h| shard_of(h) == shard)
                    {
                        *df.entry(hash).or_default() += 1;
                    }
                }
                df
            })
            .collect();
        Frequencies(maps)
    }

    fn get(&self, hash: u64) -> u32 {
        self.0[shard_of(hash)].get(&hash).copied().unwrap_or(0)
    }

    /// Replaces one note's terms `old` by `new`; returns (hash, before, after) of each term whose
    /// frequency changed.
    fn replace(&mut self, old: &[u64], new: &[u64]) -> Vec<(u64, u32, u32)> {
        let mut moved = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < new.len() {
            let (hash, delta) = match (old.get(i), new.get(j)) {
                (Some(&a), Some(&b)) if a == b => {
                    (i, j) = (i + 1, j + 1);
                    continue;
                }
                (Some(&a), Some(&b)) if a < b => {
                    i += 1;
                    (a, -1)
                }
                (Some(&a), None) => {
                    i += 1;
                    (a, -1)
                }
                (_, Some(&b)) => {
                    j += 1;
                    (b, 1)
                }
                (None, None) => break,
            };
            let map = &mut self.0[shard_of(hash)];
            let before = map.get(&hash).copied().unwrap_or(0);
            let after = before.saturating_add_signed(delta);
            if after == 0 {
                map.remove(&hash);
            } else {
                map.insert(hash, after);
            }
            moved.push((hash, before, after));
        }
        moved
    }
}
