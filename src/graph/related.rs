//! Related notes: ranks, for every note, up to five notes it does not already link to, by shared topics,
//! link-graph proximity and text similarity (TF-IDF cosine through an inverted index, so the cost grows
//! with the postings of each note's distinctive terms, not with the square of the number of notes).

use rayon::prelude::*;
use std::collections::{HashMap, HashSet};

use super::resolve::{LinkTarget, NoteId};
use super::topics::{TopicId, Topics};
use crate::parse::Note;

/// How many related notes a page shows.
pub const MAX_RELATED: usize = 5;
/// Terms kept per note: its most distinctive ones.
const TERMS_PER_NOTE: usize = 48;
/// Terms in more notes than this fraction say little about any pair.
const MAX_DF_FRACTION: f64 = 0.2;

/// One related note and why it was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub note: NoteId,
    pub reason: String,
    score: f64,
}

/// What the ranking reads.
pub struct RelatedInput<'a> {
    pub notes: &'a [Note],
    pub hidden: &'a [bool],
    pub links: &'a [Vec<LinkTarget>],
    pub topics: &'a Topics,
}

/// Related notes for every note (empty for hidden ones).
pub fn related(input: &RelatedInput<'_>) -> Vec<Vec<Related>> {
    let text = TextIndex::build(input.notes, input.hidden);
    let neighbours = neighbours(input.links, input.hidden);
    let n = input.notes.len();
    (0..n)
        .into_par_iter()
        .map_init(
            || Scratch::new(n),
            |scratch, id| {
                if input.hidden[id] {
                    Vec::new()
                } else {
                    rank(id, input, &text, &neighbours, scratch)
                }
            },
        )
        .collect()
}

/// Per-thread dense accumulators, indexed by note and reset after each note: hash maps of candidates
/// were most of the ranking's time once a hub note (a guide's index, linked from every page) made
/// every note a two-link candidate of every other.
struct Scratch {
    /// Text dot product with the note being ranked.
    dot: Vec<f64>,
    /// Notes linked with both (two-link paths).
    via: Vec<u32>,
    /// Whether the note is already in `found`.
    seen: Vec<bool>,
    /// The candidates: notes that may have a reason to be shown.
    found: Vec<NoteId>,
    /// Notes whose `dot` was touched.
    touched: Vec<NoteId>,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch {
            dot: vec![0.0; n],
            via: vec![0; n],
            seen: vec![false; n],
            found: Vec::new(),
            touched: Vec::new(),
        }
    }

    fn find(&mut self, note: NoteId) {
        if !self.seen[note] {
            self.seen[note] = true;
            self.found.push(note);
        }
    }

    fn reset(&mut self) {
        for &n in &self.found {
            self.seen[n] = false;
            self.via[n] = 0;
        }
        for &n in &self.touched {
            self.dot[n] = 0.0;
        }
        self.found.clear();
        self.touched.clear();
    }
}

/// Below this cosine, text similarity adds to the score but is not given as a reason.
const TEXT_REASON_MIN: f64 = 0.05;
/// What one shared neighbour adds.
const VIA_SCORE: f64 = 0.4;

/// Ranks in two passes. First the candidates that can have a reason are found: notes sharing a telling
/// topic, notes two links away and notes with similar text (a candidate without a reason is never
/// shown). A topic most notes share gives no reason, so its members are not walked (at 10,000 notes
/// in one folder-topic that walk was 10⁸ steps); they still get its weight when they are candidates
/// for another reason. Then each candidate is scored, adding the parts in a fixed order (topics, each
/// shared neighbour, text), and only the best five get their reasons written out.
fn rank(
    id: NoteId,
    input: &RelatedInput<'_>,
    text: &TextIndex,
    neighbours: &[HashSet<NoteId>],
    scratch: &mut Scratch,
) -> Vec<Related> {
    let topics = input.topics;
    let visible = input.hidden.iter().filter(|h| !**h).count().max(1) as f64;
    let telling = |t: TopicId| (topics.list[t].notes.len() as f64) <= visible / 2.0;
    for &topic in topics.of_note[id].iter().filter(|&&t| telling(t)) {
        for &other in &topics.list[topic].notes {
            scratch.find(other);
        }
    }
    for &near in &neighbours[id] {
        for &other in &neighbours[near] {
            scratch.via[other] += 1;
            scratch.find(other);
        }
    }
    text.similar(id, scratch);
    let mut best: Vec<(NoteId, f64)> = Vec::with_capacity(MAX_RELATED + 1);
    for &other in &scratch.found {
        if other == id || input.hidden[other] || neighbours[id].contains(&other) {
            continue;
        }
        let (topic_score, topic_reason) = topic_score(id, other, input, visible);
        let mut score = topic_score.unwrap_or(0.0);
        for _ in 0..scratch.via[other] {
            score += VIA_SCORE;
        }
        // Notes found through the index share a term, so a text reason always has terms.
        let cosine = scratch.dot[other];
        score += 1.5 * cosine;
        let has_reason = topic_reason || scratch.via[other] > 0 || cosine > TEXT_REASON_MIN;
        if score > 0.05 && has_reason {
            keep_best(&mut best, (other, score), input);
        }
    }
    let related = best
        .into_iter()
        .map(|(note, score)| Related {
            note,
            score,
            reason: reason(id, note, input, text, neighbours, scratch.dot[note]),
        })
        .collect();
    scratch.reset();
    related
}

/// Inserts `entry` into `best` (at most [`MAX_RELATED`], by score, then path) if it belongs there.
fn keep_best(best: &mut Vec<(NoteId, f64)>, entry: (NoteId, f64), input: &RelatedInput<'_>) {
    let before = |a: &(NoteId, f64), b: &(NoteId, f64)| {
        b.1.total_cmp(&a.1)
            .then_with(|| {
                input.notes[a.0]
                    .source
                    .rel
                    .cmp(&input.notes[b.0].source.rel)
            })
            .is_lt()
    };
    if best.len() == MAX_RELATED && !before(&entry, &best[MAX_RELATED - 1]) {
        return;
    }
    let at = best
        .iter()
        .position(|b| before(&entry, b))
        .unwrap_or(best.len());
    best.insert(at, entry);
    best.truncate(MAX_RELATED);
}

/// Shared topics count by rarity (sharing a topic of 2 notes says more than sharing one of 200); a
/// topic most notes have adds little and is not given as a reason. Returns the score (`None` when no
/// topic is shared) and whether a telling topic is shared.
fn topic_score(
    id: NoteId,
    other: NoteId,
    input: &RelatedInput<'_>,
    visible: f64,
) -> (Option<f64>, bool) {
    let topics = input.topics;
    let shared = || {
        topics.of_note[id]
            .iter()
            .copied()
            .filter(move |t| topics.of_note[other].contains(t))
    };
    if shared().next().is_none() {
        return (None, false);
    }
    let weight: f64 = shared()
        .map(|t| (visible / topics.list[t].notes.len() as f64).ln().max(0.1))
        .sum();
    let telling = shared().any(|t| (topics.list[t].notes.len() as f64) <= visible / 2.0);
    (Some(weight / (1.0 + visible.ln())), telling)
}

/// The two strongest reasons `other` is related to `id`, strongest first.
fn reason(
    id: NoteId,
    other: NoteId,
    input: &RelatedInput<'_>,
    text: &TextIndex,
    neighbours: &[HashSet<NoteId>],
    cosine: f64,
) -> String {
    let topics = input.topics;
    let visible = input.hidden.iter().filter(|h| !**h).count().max(1) as f64;
    let mut reasons: Vec<(f64, String)> = Vec::new();
    if let (Some(score), true) = topic_score(id, other, input, visible) {
        let telling: Vec<&str> = topics.of_note[id]
            .iter()
            .filter(|t| topics.of_note[other].contains(t))
            .filter(|&&t| (topics.list[t].notes.len() as f64) <= visible / 2.0)
            .map(|&t| topics.list[t].name.as_str())
            .collect();
        reasons.push((score, format!("shares {}", telling.join(", "))));
    }
    for &near in &neighbours[id] {
        if neighbours[near].contains(&other) {
            let title = &input.notes[near].title;
            reasons.push((VIA_SCORE, format!("both connect to {title}")));
        }
    }
    if cosine > TEXT_REASON_MIN {
        let terms = text.shared_terms(id, other, 3);
        reasons.push((1.5 * cosine, format!("similar text: {}", terms.join(", "))));
    }
    reasons.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let text: Vec<String> = reasons.into_iter().take(2).map(|(_, r)| r).collect();
    text.join("; ")
}

/// Notes each note links to or is linked from.
fn neighbours(links: &[Vec<LinkTarget>], hidden: &[bool]) -> Vec<HashSet<NoteId>> {
    let mut sets = vec![HashSet::new(); links.len()];
    for (from, targets) in links.iter().enumerate() {
        for target in targets {
            if let LinkTarget::Note { note: to, .. } = *target {
                if to != from && !hidden[from] && !hidden[to] {
                    sets[from].insert(to);
                    sets[to].insert(from);
                }
            }
        }
    }
    sets
}

/// TF-IDF vectors of each note's most distinctive terms, and the inverted index over them.
struct TextIndex {
    vectors: Vec<Vec<(u32, f64)>>,
    postings: HashMap<u32, Vec<(NoteId, f64)>>,
    terms: Vec<String>,
}

impl TextIndex {
    fn build(notes: &[Note], hidden: &[bool]) -> TextIndex {
        let counts: Vec<HashMap<String, u32>> = notes
            .par_iter()
            .zip(hidden)
            .map(|(n, &h)| if h { HashMap::new() } else { term_counts(n) })
            .collect();
        let mut doc_freq: HashMap<&str, u32> = HashMap::new();
        for tf in &counts {
            for term in tf.keys() {
                *doc_freq.entry(term).or_default() += 1;
            }
        }
        // Term ids in alphabetical order: equal weights are ordered by id, so ids taken from hash-map
        // order made the chosen terms (and so related notes) differ from one run to the next.
        let mut terms: Vec<String> = doc_freq.keys().map(|t| t.to_string()).collect();
        terms.sort_unstable();
        let ids: HashMap<&str, u32> = terms
            .iter()
            .enumerate()
            .map(|(id, t)| (t.as_str(), id as u32))
            .collect();
        let df: Vec<u32> = terms.iter().map(|t| doc_freq[t.as_str()]).collect();
        let n = counts.iter().filter(|c| !c.is_empty()).count().max(1) as f64;
        let max_df = (n * MAX_DF_FRACTION).max(2.0);
        let vectors: Vec<Vec<(u32, f64)>> = counts
            .iter()
            .map(|tf| top_terms(tf, &ids, &df, n, max_df))
            .collect();
        let mut postings: HashMap<u32, Vec<(NoteId, f64)>> = HashMap::new();
        for (note, vector) in vectors.iter().enumerate() {
            for &(term, weight) in vector {
                postings.entry(term).or_default().push((note, weight));
            }
        }
        TextIndex {
            vectors,
            postings,
            terms,
        }
    }

    /// Cosine similarity with every note sharing a distinctive term, into `scratch.dot`; those notes
    /// whose cosine is high enough to be a reason become candidates.
    fn similar(&self, id: NoteId, scratch: &mut Scratch) {
        for &(term, weight) in &self.vectors[id] {
            for &(other, w) in &self.postings[&term] {
                if other != id {
                    if scratch.dot[other] == 0.0 {
                        scratch.touched.push(other);
                    }
                    scratch.dot[other] += weight * w;
                }
            }
        }
        for i in 0..scratch.touched.len() {
            let other = scratch.touched[i];
            if scratch.dot[other] > TEXT_REASON_MIN {
                scratch.find(other);
            }
        }
    }

    fn shared_terms(&self, a: NoteId, b: NoteId, max: usize) -> Vec<String> {
        let other: HashMap<u32, f64> = self.vectors[b].iter().copied().collect();
        let mut shared: Vec<(f64, &str)> = self.vectors[a]
            .iter()
            .filter_map(|(t, w)| {
                other
                    .get(t)
                    .map(|w2| (w * w2, self.terms[*t as usize].as_str()))
            })
            .collect();
        shared.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(y.1)));
        shared
            .into_iter()
            .take(max)
            .map(|(_, t)| t.to_string())
            .collect()
    }
}

/// The note's highest-weighted terms, as a unit vector.
fn top_terms(
    tf: &HashMap<String, u32>,
    ids: &HashMap<&str, u32>,
    df: &[u32],
    n: f64,
    max_df: f64,
) -> Vec<(u32, f64)> {
    let mut weighted: Vec<(u32, f64)> = tf
        .iter()
        .filter_map(|(term, &count)| {
            let id = ids[term.as_str()];
            let d = f64::from(df[id as usize]);
            (d > 1.0 && d <= max_df).then(|| (id, (1.0 + f64::from(count).ln()) * (n / d).ln()))
        })
        .collect();
    weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    weighted.truncate(TERMS_PER_NOTE);
    let norm = weighted.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
    if norm > 0.0 {
        weighted.iter_mut().for_each(|(_, w)| *w /= norm);
    }
    weighted
}

/// Lower-case words of three or more letters (title counted three times), stop words left out.
fn term_counts(note: &Note) -> HashMap<String, u32> {
    let mut counts = HashMap::new();
    let title = std::iter::repeat_n(note.title.as_str(), 3);
    for text in title.chain(std::iter::once(note.body.text.as_str())) {
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
        {
            let word = word.to_lowercase();
            if !STOP_WORDS.contains(&word.as_str()) && !word.chars().all(|c| c.is_ascii_digit()) {
                *counts.entry(word).or_default() += 1;
            }
        }
    }
    counts
}

const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "her", "was", "one",
    "our", "out", "has", "have", "with", "this", "that", "from", "they", "will", "your", "what",
    "when", "which", "there", "their", "then", "them", "into", "use", "using", "used", "also",
    "more", "than", "only", "other", "some", "such", "its", "it's", "each", "how", "who", "may",
    "must", "should", "would", "could", "these", "those", "about", "over", "under", "after",
    "before", "does", "did", "doing", "been", "being", "were", "where", "while", "here", "very",
    "just", "like", "make", "made",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_note;
    use crate::scan::SourceFile;

    fn note(name: &str, topics: &str, body: &str) -> Note {
        let source = SourceFile {
            path: name.into(),
            rel: name.into(),
            display: name.into(),
        };
        parse_note(
            source,
            &format!("---\ntitle: {name}\ntopics: [{topics}]\n---\n{body}\n"),
        )
        .0
        .unwrap()
    }

    #[test]
    fn ranks_by_topics_and_text_and_skips_linked_notes() {
        let notes = vec![
            note(
                "iam",
                "iam, security",
                "Policies attach permissions to roles. Roles are assumed. [s3](s3.md)",
            ),
            note(
                "roles",
                "iam",
                "Roles and policies: assume a role to get permissions.",
            ),
            note("s3", "storage", "Buckets hold objects."),
            note("kms", "security", "Keys encrypt data."),
            note("cooking", "food", "Bake bread slowly."),
        ];
        let hidden = vec![false; notes.len()];
        let links: Vec<Vec<LinkTarget>> = vec![
            vec![LinkTarget::Note {
                note: 2,
                fragment: None,
            }],
            vec![],
            vec![],
            vec![],
            vec![],
        ];
        let topics = Topics::build(&notes, &hidden);
        let result = related(&RelatedInput {
            notes: &notes,
            hidden: &hidden,
            links: &links,
            topics: &topics,
        });
        let for_iam: Vec<NoteId> = result[0].iter().map(|r| r.note).collect();
        assert_eq!(for_iam.first(), Some(&1), "{:?}", result[0]);
        assert!(!for_iam.contains(&2), "already linked");
        assert!(!for_iam.contains(&4), "unrelated");
        assert!(
            result[0][0].reason.contains("shares iam"),
            "{}",
            result[0][0].reason
        );
        // Deterministic.
        let again = related(&RelatedInput {
            notes: &notes,
            hidden: &hidden,
            links: &links,
            topics: &topics,
        });
        assert_eq!(result, again);
    }
}
