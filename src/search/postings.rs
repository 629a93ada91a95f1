//! The term side of the index, kept between rebuilds: every term's posting list and its encoded
//! string, in the order the browser searches them, and the shard files cut from them.
//!
//! [`Postings::full`] builds it from every document; [`Postings::update`] patches the lists of the
//! terms of changed documents only, for a rebuild that keeps every doc id and the rounded average
//! length (see `super::build`). [`Postings::recut`] then cuts shards and serializes only those whose
//! terms changed. Both ways give the same bytes: `super::tests` builds a site both ways and compares.

use bytes::Bytes;
use rayon::prelude::*;
use std::ops::Range;

use super::index::{self, DocTerms};
use super::shard;
use super::tokenize::Term;
use super::FastMap;

/// One term of the index.
#[derive(Debug)]
struct Entry {
    term: Term,
    /// [`shard::mark`] of the term.
    mark: u32,
    /// `(doc id, impact)`, by doc id.
    list: Vec<(u32, u8)>,
    /// `list`, encoded for the wire.
    text: String,
    /// The list changed (or the term is new) since the shards were last cut.
    dirty: bool,
}

impl Entry {
    fn new(term: Term, list: Vec<(u32, u8)>) -> Entry {
        let mut entry = Entry {
            mark: shard::mark(&term),
            term,
            list,
            text: String::new(),
            dirty: true,
        };
        entry.encode();
        entry
    }

    fn encode(&mut self) {
        self.text.clear();
        shard::encode_postings(&self.list, &mut self.text);
    }

    fn bytes(&self) -> usize {
        shard::term_bytes(&self.term, &self.text)
    }
}

/// A shard as written by the last build.
#[derive(Debug)]
pub struct ShardFile {
    first: Term,
    last: Term,
    count: usize,
    /// The shard's JSON, kept to wrap it again when the shard moves to another position.
    json: Bytes,
    /// The file ([`shard::wrap`] of `json` as the shard at position `at`, which it names) and its
    /// [`shard::digest`].
    pub file: Bytes,
    pub digest: blake3::Hash,
    at: usize,
}

impl ShardFile {
    /// The first term (the browser's meta table lists it), or `""` for the empty index.
    pub fn first(&self) -> &str {
        if self.count == 0 {
            ""
        } else {
            &self.first
        }
    }
}

/// Which of `shares` workers builds the list of `term` (by the high bits of its hash, which are the
/// well-mixed ones).
fn share_of(term: &Term, shares: usize) -> usize {
    use std::hash::BuildHasher;
    let hash = rustc_hash::FxBuildHasher.hash_one(term);
    (hash >> 32) as usize % shares
}

/// All terms, their postings and shards.
#[derive(Debug)]
pub struct Postings {
    /// The average document length the impacts were computed with.
    avg: f32,
    /// By term, in UTF-16 order.
    entries: Vec<Entry>,
    shards: Vec<ShardFile>,
}

/// One changed document: its id, its terms in the last build and now.
pub struct Change<'a> {
    pub id: u32,
    pub old: &'a DocTerms,
    pub new: &'a DocTerms,
}

impl Postings {
    /// The postings of `docs` (by doc id), with impacts computed against `avg`.
    pub fn full(docs: &[&DocTerms], avg: f32) -> Postings {
        // Each worker takes the terms whose hash falls in its share and reads every document for
        // them: built by one thread, the lists were a tenth of a second at 10k notes with the other
        // core idle. Each list is still made in doc order, and the shares' maps together hold no
        // more than one map for all terms did.
        let shares = rayon::current_num_threads().max(1);
        let mut entries: Vec<Entry> = (0..shares)
            .into_par_iter()
            .flat_map_iter(|share| {
                let mut lists: FastMap<&Term, Vec<(u32, u8)>> = FastMap::default();
                for (id, doc) in docs.iter().enumerate() {
                    for (term, tf, title) in &doc.terms {
                        if share_of(term, shares) != share {
                            continue;
                        }
                        let impact = index::impact(*tf, *title, doc.length, avg);
                        lists.entry(term).or_default().push((id as u32, impact));
                    }
                }
                lists
                    .into_iter()
                    .map(|(term, list)| Entry::new(term.clone(), list))
            })
            .collect();
        entries.par_sort_unstable_by(|a, b| shard::utf16_cmp(&a.term, &b.term));
        Postings {
            avg,
            entries,
            shards: Vec::new(),
        }
    }

    pub fn avg(&self) -> f32 {
        self.avg
    }

    /// Replaces the postings of each changed document (by ascending id): the terms in its old or
    /// new term set get their lists patched and re-encoded, and the others are left alone, which
    /// is exact because no other document's impacts depend on it while the rounded average holds.
    pub fn update(&mut self, changes: &[Change<'_>]) {
        // Term → (doc, new impact or None to remove), by doc.
        let mut delta: FastMap<&Term, Vec<(u32, Option<u8>)>> = FastMap::default();
        for change in changes {
            for (term, _, _) in &change.old.terms {
                delta.entry(term).or_default().push((change.id, None));
            }
            let length = change.new.length;
            for (term, tf, title) in &change.new.terms {
                let impact = Some(index::impact(*tf, *title, length, self.avg));
                let list = delta.entry(term).or_default();
                match list.last_mut() {
                    Some(last) if last.0 == change.id => last.1 = impact,
                    _ => list.push((change.id, impact)),
                }
            }
        }
        let mut added = Vec::new();
        let mut emptied = false;
        for (term, edits) in delta {
            match self.find(term) {
                Ok(at) => {
                    let entry = &mut self.entries[at];
                    if patch(&mut entry.list, &edits) {
                        entry.encode();
                        entry.dirty = true;
                        emptied |= entry.list.is_empty();
                    }
                }
                Err(_) => {
                    let list: Vec<(u32, u8)> = edits
                        .iter()
                        .filter_map(|&(doc, impact)| Some((doc, impact?)))
                        .collect();
                    if !list.is_empty() {
                        added.push(Entry::new(term.clone(), list));
                    }
                }
            }
        }
        if emptied {
            self.entries.retain(|e| !e.list.is_empty());
        }
        if !added.is_empty() {
            added.sort_unstable_by(|a, b| shard::utf16_cmp(&a.term, &b.term));
            let old = std::mem::take(&mut self.entries);
            let mut added = added.into_iter().peekable();
            self.entries.reserve(old.len() + added.len());
            for entry in old {
                while let Some(new) =
                    added.next_if(|new| shard::utf16_cmp(&new.term, &entry.term).is_lt())
                {
                    self.entries.push(new);
                }
                self.entries.push(entry);
            }
            self.entries.extend(added);
        }
    }

    /// The shards cut by the last [`Postings::recut`].
    #[cfg(test)]
    pub fn shards(&self) -> &[ShardFile] {
        &self.shards
    }

    fn find(&self, term: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|e| shard::utf16_cmp(&e.term, term))
    }

    /// Cuts the terms into shards ([`shard::cut`]) and serializes the shards that differ from the
    /// last build's: a shard is kept when it starts and ends with the same terms, holds as many,
    /// and none of them changed (a term that appeared would be dirty, so the set is the same).
    pub fn recut(&mut self) -> &[ShardFile] {
        let ranges = shard::cut(&self.entries, |e| (e.bytes(), e.mark));
        let mut old: FastMap<Term, ShardFile> = std::mem::take(&mut self.shards)
            .into_iter()
            .filter(|s| s.count > 0)
            .map(|s| (s.first.clone(), s))
            .collect();
        let plan: Vec<(usize, Range<usize>, Option<ShardFile>)> = ranges
            .into_iter()
            .enumerate()
            .map(|(at, range)| {
                let entries = &self.entries[range.clone()];
                let kept = match (entries.first(), entries.last()) {
                    (Some(first), Some(last)) => old.remove(&first.term).filter(|s| {
                        s.count == entries.len()
                            && s.last == last.term
                            && !entries.iter().any(|e| e.dirty)
                    }),
                    _ => None,
                };
                (at, range, kept)
            })
            .collect();
        let entries = &self.entries;
        self.shards = plan
            .into_par_iter()
            .map(|(at, range, kept)| match kept {
                Some(mut file) => {
                    if file.at != at {
                        file.file = shard::wrap(&format!("t/{at}"), &file.json).into();
                        file.digest = shard::digest(&file.file);
                        file.at = at;
                    }
                    file
                }
                None => shard_file(&entries[range], at),
            })
            .collect();
        for entry in &mut self.entries {
            entry.dirty = false;
        }
        &self.shards
    }
}

fn shard_file(entries: &[Entry], at: usize) -> ShardFile {
    let shard = shard::Shard {
        t: entries.iter().map(|e| &*e.term).collect(),
        p: entries.iter().map(|e| e.text.as_str()).collect(),
    };
    let json = shard.to_json();
    let (first, last) = match (entries.first(), entries.last()) {
        (Some(first), Some(last)) => (first.term.clone(), last.term.clone()),
        _ => (Term::from(""), Term::from("")),
    };
    let file = shard::wrap(&format!("t/{at}"), &json);
    ShardFile {
        first,
        last,
        count: entries.len(),
        digest: shard::digest(&file),
        file: file.into(),
        json: json.into(),
        at,
    }
}

/// Applies `edits` (by doc) to `list` (by doc); returns whether the list changed.
fn patch(list: &mut Vec<(u32, u8)>, edits: &[(u32, Option<u8>)]) -> bool {
    let mut changed = false;
    for &(doc, impact) in edits {
        match (list.binary_search_by_key(&doc, |&(d, _)| d), impact) {
            (Ok(at), Some(impact)) => {
                changed |= list[at].1 != impact;
                list[at].1 = impact;
            }
            (Ok(at), None) => {
                list.remove(at);
                changed = true;
            }
            (Err(at), Some(impact)) => {
                list.insert(at, (doc, impact));
                changed = true;
            }
            (Err(_), None) => {}
        }
    }
    changed
}
