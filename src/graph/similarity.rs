//! Text similarity for the related-notes ranking: TF-IDF vectors of each note's most distinctive
//! terms (from the counts the parse stage made) and the inverted index over them, so a note's
//! similar notes are found through the postings of its terms, not by comparing every pair.

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use super::related::Candidates;
use super::resolve::NoteId;
use crate::parse::Note;

/// Terms kept per note: its most distinctive ones.
const TERMS_PER_NOTE: usize = 48;
/// Terms in more notes than this fraction (or than `MAX_DF`) say little about any pair, and their long
/// posting lists would make the stage quadratic.
const MAX_DF_FRACTION: f64 = 0.2;
const MAX_DF: f64 = 100.0;

/// TF-IDF vectors of each note's most distinctive terms, and the inverted index over them.
pub(super) struct TextIndex<'a> {
    vectors: Vec<Vec<(u32, f64)>>,
    /// By term id: the notes whose vector holds the term, with its weight there.
    postings: Vec<Vec<(NoteId, f64)>>,
    terms: Vec<&'a str>,
    /// By term id: the term's hash (what identifies a term across builds; ids do not).
    hashes: Vec<u64>,
}

/// A note's TF-IDF vector by term hash, comparable between builds.
pub type HashedVector = Vec<(u64, f64)>;

impl<'a> TextIndex<'a> {
    /// Merges the term counts the parse stage made into term ids and document frequencies, then
    /// keeps each note's most distinctive terms.
    pub(super) fn build(notes: &'a [Note], hidden: &[bool]) -> TextIndex<'a> {
        let vocabulary = Vocabulary::build(notes, hidden);
        let with_terms = notes
            .iter()
            .zip(hidden)
            .filter(|(note, hidden)| !**hidden && !note.terms.is_empty());
        let n = with_terms.count().max(1) as f64;
        let max_df = (n * MAX_DF_FRACTION).clamp(2.0, MAX_DF);
        let vectors: Vec<Vec<(u32, f64)>> = (0..notes.len())
            .into_par_iter()
            .map(|id| {
                let tf = vocabulary.note_terms(notes, hidden, id);
                top_terms(tf, &vocabulary.df, n, max_df)
            })
            .collect();
        let mut postings: Vec<Vec<(NoteId, f64)>> = vec![Vec::new(); vocabulary.terms.len()];
        for (note, vector) in vectors.iter().enumerate() {
            for &(term, weight) in vector {
                postings[term as usize].push((note, weight));
            }
        }
        TextIndex {
            vectors,
            postings,
            terms: vocabulary.terms,
            hashes: vocabulary.hashes,
        }
    }

    /// Every note's vector by term hash, in the vector's order.
    pub(super) fn hashed_vectors(&self) -> Vec<HashedVector> {
        self.vectors
            .par_iter()
            .map(|v| {
                v.iter()
                    .map(|&(t, w)| (self.hashes[t as usize], w))
                    .collect()
            })
            .collect()
    }

    /// The notes whose vectors hold any of the terms with these hashes.
    pub(super) fn notes_sharing(&self, hashes: &rustc_hash::FxHashSet<u64>) -> Vec<NoteId> {
        let mut notes: Vec<NoteId> = (0..self.hashes.len())
            .filter(|&t| hashes.contains(&self.hashes[t]))
            .flat_map(|t| self.postings[t].iter().map(|&(note, _)| note))
            .collect();
        notes.sort_unstable();
        notes.dedup();
        notes
    }

    /// Adds the cosine similarity with every note sharing a distinctive term.
    pub(super) fn add_cosines(&self, id: NoteId, candidates: &mut Candidates) {
        for &(term, weight) in &self.vectors[id] {
            for &(other, w) in &self.postings[term as usize] {
                if other != id {
                    candidates.entry(other).cosine += weight * w;
                }
            }
        }
    }

    pub(super) fn shared_terms(&self, a: NoteId, b: NoteId, max: usize) -> Vec<&'a str> {
        // Vectors hold at most TERMS_PER_NOTE terms: a scan beats building a map.
        let other = &self.vectors[b];
        let mut shared: Vec<(f64, &str)> = self.vectors[a]
            .iter()
            .filter_map(|(t, w)| {
                let (_, w2) = other.iter().find(|(t2, _)| t2 == t)?;
                Some((w * w2, self.terms[*t as usize]))
            })
            .collect();
        shared.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(y.1)));
        shared.into_iter().take(max).map(|(_, t)| t).collect()
    }
}

/// Term ids are assigned by this many hash maps in parallel, each owning the hashes whose top bits
/// select it. A fixed number, so ids (which break ties) never depend on the number of threads.
const SHARDS: usize = 8;

fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARDS.trailing_zeros())) as usize
}

/// Where each shard's run starts in sorted `hashes` (and, last, where the hashes end).
fn shard_runs(hashes: &[u64]) -> [usize; SHARDS + 1] {
    let mut runs = [hashes.len(); SHARDS + 1];
    let mut shard = 0;
    for (k, &hash) in hashes.iter().enumerate() {
        while shard <= shard_of(hash) {
            runs[shard] = k;
            shard += 1;
        }
    }
    runs
}

/// Every distinct term of the visible notes, with a dense id, and how many notes hold it.
struct Vocabulary<'a> {
    df: Vec<u32>,
    terms: Vec<&'a str>,
    hashes: Vec<u64>,
    /// The shard-local id of each visible note's each term, notes one after another (`starts`
    /// says where); a shard's global ids start at its offset.
    ids: Vec<AtomicU32>,
    starts: Vec<usize>,
    offsets: [u32; SHARDS],
}

impl<'a> Vocabulary<'a> {
    fn build(notes: &'a [Note], hidden: &[bool]) -> Vocabulary<'a> {
        let mut starts = Vec::with_capacity(notes.len() + 1);
        let mut total = 0;
        for (note, &hidden) in notes.iter().zip(hidden) {
            starts.push(total);
            total += if hidden { 0 } else { note.terms.len() };
        }
        starts.push(total);
        // A note's terms are sorted by hash, so each shard's terms are one run within every note:
        // found in one pass over each note, so the shards read only their own runs.
        let runs: Vec<[usize; SHARDS + 1]> = notes
            .par_iter()
            .zip(hidden)
            .map(|(note, &hidden)| shard_runs(if hidden { &[] } else { &note.terms.hashes }))
            .collect();
        let ids: Vec<AtomicU32> = (0..total).map(|_| AtomicU32::new(0)).collect();
        let shards: Vec<(Vec<u32>, Vec<&str>, Vec<u64>)> = (0..SHARDS)
            .into_par_iter()
            .map(|shard| {
                let mut local: HashMap<u64, u32> = HashMap::default();
                let (mut df, mut terms, mut hashes) = (Vec::new(), Vec::new(), Vec::new());
                for (id, note) in notes.iter().enumerate() {
                    let counts = &note.terms;
                    for k in runs[id][shard]..runs[id][shard + 1] {
                        let local_id = *local.entry(counts.hashes[k]).or_insert_with(|| {
                            terms.push(counts.text(k));
                            hashes.push(counts.hashes[k]);
                            df.push(0);
                            (terms.len() - 1) as u32
                        });
                        df[local_id as usize] += 1;
                        ids[starts[id] + k].store(local_id, Ordering::Relaxed);
                    }
                }
                (df, terms, hashes)
            })
            .collect();
        let mut vocabulary = Vocabulary {
            df: Vec::new(),
            terms: Vec::new(),
            hashes: Vec::new(),
            ids,
            starts,
            offsets: [0; SHARDS],
        };
        for (shard, (df, terms, hashes)) in shards.into_iter().enumerate() {
            vocabulary.offsets[shard] = vocabulary.terms.len() as u32;
            vocabulary.df.extend(df);
            vocabulary.terms.extend(terms);
            vocabulary.hashes.extend(hashes);
        }
        vocabulary
    }

    /// A note's terms as (id, count).
    fn note_terms<'n>(
        &'n self,
        notes: &'n [Note],
        hidden: &[bool],
        id: NoteId,
    ) -> impl Iterator<Item = (u32, u32)> + 'n {
        let terms = &notes[id].terms;
        let len = if hidden[id] { 0 } else { terms.len() };
        let ids = &self.ids[self.starts[id]..];
        (0..len).map(move |k| {
            let shard = shard_of(terms.hashes[k]);
            let global = self.offsets[shard] + ids[k].load(Ordering::Relaxed);
            (global, terms.counts[k])
        })
    }
}

/// The note's highest-weighted terms, as a unit vector.
fn top_terms(
    tf: impl Iterator<Item = (u32, u32)>,
    df: &[u32],
    n: f64,
    max_df: f64,
) -> Vec<(u32, f64)> {
    let mut weighted: Vec<(u32, f64)> = tf
        .filter_map(|(id, count)| {
            let d = f64::from(df[id as usize]);
            (d > 1.0 && d <= max_df).then(|| (id, (1.0 + f64::from(count).ln()) * (n / d).ln()))
        })
        .collect();
    let order = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
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
