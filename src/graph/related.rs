//! Related notes: ranks, for every note, up to five notes it does not already link to, by shared topics,
//! link-graph proximity and text similarity (TF-IDF cosine through an inverted index, so the cost grows
//! with the postings of each note's distinctive terms, not with the square of the number of notes).

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::resolve::{LinkTarget, NoteId};
use super::topics::Topics;
use crate::parse::Note;

/// How many related notes a page shows.
pub const MAX_RELATED: usize = 5;
/// Terms kept per note: its most distinctive ones.
const TERMS_PER_NOTE: usize = 48;
/// Terms in more notes than this fraction (or than `MAX_DF`) say little about any pair, and their long
/// posting lists would make the stage quadratic.
const MAX_DF_FRACTION: f64 = 0.2;
const MAX_DF: f64 = 100.0;

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
    let visible = input.hidden.iter().filter(|h| !**h).count().max(1) as f64;
    let ranker = Ranker {
        input,
        text: &text,
        neighbours: &neighbours,
        visible,
    };
    (0..input.notes.len())
        .into_par_iter()
        .map(|id| {
            if input.hidden[id] {
                Vec::new()
            } else {
                ranker.rank(id)
            }
        })
        .collect()
}

/// Topics with more notes than this are not enumerated for candidates: they only add to the score of
/// notes found another way (a topic of thousands says little about any pair, and enumerating it would
/// make the stage quadratic).
const ENUMERATED_TOPIC_SIZE: usize = 150;

/// Candidates kept for the final ranking: many more than are shown, in case some have no reason.
const SORTED_CANDIDATES: usize = 8 * MAX_RELATED;

struct Ranker<'a> {
    input: &'a RelatedInput<'a>,
    text: &'a TextIndex,
    /// Per note, the notes it links to or from: sorted, no duplicates.
    neighbours: &'a [Vec<NoteId>],
    visible: f64,
}

/// Everything that speaks for one candidate; reasons are written only for the few that are shown.
#[derive(Default)]
struct Candidate {
    topics: Vec<usize>,
    topic_score: f64,
    /// A note both link to or from, and how many there are.
    connector: Option<NoteId>,
    link_score: f64,
    cosine: f64,
}

impl Candidate {
    fn score(&self) -> f64 {
        self.topic_score + self.link_score + 1.5 * self.cosine
    }
}

impl Ranker<'_> {
    fn rank(&self, id: NoteId) -> Vec<Related> {
        let neighbours = self.neighbours;
        let linked = |other: &NoteId| neighbours[id].binary_search(other).is_ok();
        // Sized for a typical note: growing the map was a tenth of this stage on 10k notes.
        let mut candidates: HashMap<NoteId, Candidate> =
            HashMap::with_capacity_and_hasher(1024, Default::default());
        for &near in &neighbours[id] {
            for &second in &neighbours[near] {
                if second != id && !linked(&second) {
                    let candidate = candidates.entry(second).or_default();
                    candidate.link_score += 0.4;
                    candidate.connector.get_or_insert(near);
                }
            }
        }
        for (other, cosine) in self.text.similar(id) {
            candidates.entry(other).or_default().cosine = cosine;
        }
        self.add_topic_scores(id, &mut candidates);
        let mut ranked: Vec<(f64, NoteId, Candidate)> = candidates
            .into_iter()
            .filter(|(other, c)| {
                *other != id && !self.input.hidden[*other] && !linked(other) && c.score() > 0.05
            })
            .map(|(other, c)| (c.score(), other, c))
            .collect();
        // Ties go to the note first in path order (note ids follow path order): a total order, so
        // the result never depends on hash-map iteration. Only the best few need sorting; a
        // candidate is dropped below only when nothing links it, which the best rarely lack.
        let order = |(x, a, _): &(f64, NoteId, Candidate), (y, b, _): &(f64, NoteId, Candidate)| {
            y.total_cmp(x).then(a.cmp(b))
        };
        if ranked.len() > SORTED_CANDIDATES {
            ranked.select_nth_unstable_by(SORTED_CANDIDATES - 1, order);
            ranked.truncate(SORTED_CANDIDATES);
        }
        ranked.sort_unstable_by(order);
        ranked
            .into_iter()
            .filter_map(|(score, note, candidate)| {
                let reason = self.reason(id, note, &candidate)?;
                Some(Related {
                    note,
                    reason,
                    score,
                })
            })
            .take(MAX_RELATED)
            .collect()
    }

    /// The two strongest reasons, strongest first; `None` when nothing worth saying links them.
    fn reason(&self, id: NoteId, other: NoteId, candidate: &Candidate) -> Option<String> {
        let topics = &self.input.topics.list;
        let mut reasons: Vec<(f64, String)> = Vec::new();
        let telling: Vec<&str> = candidate
            .topics
            .iter()
            .filter(|&&t| (topics[t].notes.len() as f64) <= self.visible / 2.0)
            .map(|&t| topics[t].name.as_str())
            .collect();
        if !telling.is_empty() {
            reasons.push((
                candidate.topic_score,
                format!("shares {}", telling.join(", ")),
            ));
        }
        if let Some(near) = candidate.connector {
            reasons.push((
                candidate.link_score,
                format!("both connect to {}", self.input.notes[near].title),
            ));
        }
        if candidate.cosine > 0.05 {
            let terms = self.text.shared_terms(id, other, 3);
            if !terms.is_empty() {
                reasons.push((
                    1.5 * candidate.cosine,
                    format!("similar text: {}", terms.join(", ")),
                ));
            }
        }
        reasons.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let text: Vec<String> = reasons.into_iter().take(2).map(|(_, r)| r).collect();
        (!text.is_empty()).then(|| text.join("; "))
    }

    /// Shared topics count by rarity (sharing a topic of 2 notes says more than sharing one of 200).
    fn add_topic_scores(&self, id: NoteId, candidates: &mut HashMap<NoteId, Candidate>) {
        let topics = self.input.topics;
        let mut shared: HashMap<NoteId, Vec<usize>> = HashMap::default();
        for &topic in &topics.of_note[id] {
            let members = &topics.list[topic].notes;
            if members.len() <= ENUMERATED_TOPIC_SIZE {
                for &other in members.iter().filter(|&&o| o != id) {
                    shared.entry(other).or_default().push(topic);
                }
            } else {
                for &other in candidates
                    .keys()
                    .filter(|&&o| topics.of_note[o].contains(&topic))
                {
                    shared.entry(other).or_default().push(topic);
                }
            }
        }
        for (other, list) in shared {
            let weight: f64 = list
                .iter()
                .map(|&t| {
                    (self.visible / topics.list[t].notes.len() as f64)
                        .ln()
                        .max(0.1)
                })
                .sum();
            let candidate = candidates.entry(other).or_default();
            candidate.topic_score += weight / (1.0 + self.visible.ln());
            candidate.topics = list;
        }
    }
}

/// Notes each note links to or is linked from, sorted: iterating them gives the same connector
/// (the note named in "both connect to …") on every build.
fn neighbours(links: &[Vec<LinkTarget>], hidden: &[bool]) -> Vec<Vec<NoteId>> {
    let mut lists = vec![Vec::new(); links.len()];
    for (from, targets) in links.iter().enumerate() {
        for target in targets {
            if let LinkTarget::Note { note: to, .. } = *target {
                if to != from && !hidden[from] && !hidden[to] {
                    lists[from].push(to);
                    lists[to].push(from);
                }
            }
        }
    }
    for list in &mut lists {
        list.sort_unstable();
        list.dedup();
    }
    lists
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
            .map(|(n, &h)| {
                if h {
                    HashMap::default()
                } else {
                    term_counts(n)
                }
            })
            .collect();
        let mut ids: HashMap<&str, u32> = HashMap::default();
        let mut df: Vec<u32> = Vec::new();
        let mut terms = Vec::new();
        for tf in &counts {
            // Term ids break ties between equal weights, so they must not follow hash-map order:
            // notes in path order, each note's terms sorted.
            let mut sorted: Vec<&String> = tf.keys().collect();
            sorted.sort_unstable();
            for term in sorted {
                let id = *ids.entry(term).or_insert_with(|| {
                    terms.push(term.clone());
                    df.push(0);
                    (terms.len() - 1) as u32
                });
                df[id as usize] += 1;
            }
        }
        let n = counts.iter().filter(|c| !c.is_empty()).count().max(1) as f64;
        let max_df = (n * MAX_DF_FRACTION).clamp(2.0, MAX_DF);
        let vectors: Vec<Vec<(u32, f64)>> = counts
            .iter()
            .map(|tf| top_terms(tf, &ids, &df, n, max_df))
            .collect();
        let mut postings: HashMap<u32, Vec<(NoteId, f64)>> = HashMap::default();
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

    /// Cosine similarity with every note sharing a distinctive term.
    fn similar(&self, id: NoteId) -> Vec<(NoteId, f64)> {
        let mut dots: HashMap<NoteId, f64> = HashMap::default();
        for &(term, weight) in &self.vectors[id] {
            for &(other, w) in &self.postings[&term] {
                if other != id {
                    *dots.entry(other).or_default() += weight * w;
                }
            }
        }
        dots.into_iter().collect()
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
    let mut counts: HashMap<String, u32> = HashMap::default();
    let mut lower = String::new();
    let title = std::iter::repeat_n(note.title.as_str(), 3);
    for text in title.chain(std::iter::once(note.body.text.as_str())) {
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            // Most words are ASCII: lower-cased into one buffer, allocated only when new.
            lower.clear();
            if word.is_ascii() {
                if word.len() < 3 || word.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                lower.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
            } else {
                if word.chars().count() < 3 {
                    continue;
                }
                lower.extend(word.chars().flat_map(char::to_lowercase));
            }
            if STOP_WORDS.binary_search(&lower.as_str()).is_ok() {
                continue;
            }
            match counts.get_mut(lower.as_str()) {
                Some(count) => *count += 1,
                None => {
                    counts.insert(lower.clone(), 1);
                }
            }
        }
    }
    counts
}

/// Sorted, for binary search.
const STOP_WORDS: &[&str] = &[
    "about", "after", "all", "also", "and", "any", "are", "been", "before", "being", "but", "can",
    "could", "did", "does", "doing", "each", "for", "from", "has", "have", "her", "here", "how",
    "into", "it's", "its", "just", "like", "made", "make", "may", "more", "must", "not", "one",
    "only", "other", "our", "out", "over", "should", "some", "such", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "those", "under", "use", "used",
    "using", "very", "was", "were", "what", "when", "where", "which", "while", "who", "will",
    "with", "would", "you", "your",
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
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn term_counts_lower_case_and_skip_short_words_numbers_and_stop_words() {
        let n = note(
            "a",
            "",
            "The Bucket bucket BUCKETS 2024 ok über Über é, and policy",
        );
        let counts = term_counts(&n);
        assert_eq!(counts["bucket"], 2);
        assert_eq!(counts["buckets"], 1);
        assert_eq!(counts["über"], 2);
        assert_eq!(counts["policy"], 1);
        for gone in ["the", "and", "2024", "ok", "é"] {
            assert!(!counts.contains_key(gone), "{gone}");
        }
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

    /// `a` and `d` both link to `b`, `c`, `e`, `f` and `g`: the reason names one connector, and it must
    /// be the same one on every run (hash-set order once picked it at random).
    #[test]
    fn the_connector_named_is_the_first_in_path_order() {
        let names = ["a", "b", "c", "d", "e", "f", "g"];
        let notes: Vec<Note> = names.iter().map(|n| note(n, "", "Text.")).collect();
        let to = |ids: &[NoteId]| -> Vec<LinkTarget> {
            ids.iter()
                .map(|&note| LinkTarget::Note {
                    note,
                    fragment: None,
                })
                .collect()
        };
        let shared = [6, 5, 4, 2, 1];
        let links = vec![
            to(&shared),
            vec![],
            vec![],
            to(&shared),
            vec![],
            vec![],
            vec![],
        ];
        let hidden = vec![false; notes.len()];
        let topics = Topics::build(&notes, &hidden);
        let input = RelatedInput {
            notes: &notes,
            hidden: &hidden,
            links: &links,
            topics: &topics,
        };
        for _ in 0..20 {
            let result = related(&input);
            let d = result[0]
                .iter()
                .find(|r| r.note == 3)
                .expect("d is related to a");
            assert_eq!(d.reason, "both connect to b", "{:?}", result[0]);
        }
    }
}
