//! Related notes: ranks, for every note, up to five notes it does not already link to, by shared topics,
//! link-graph proximity and text similarity (TF-IDF cosine through an inverted index, so the cost grows
//! with the postings of each note's distinctive terms, not with the square of the number of notes).

use rayon::prelude::*;
use std::collections::{HashMap, HashSet};

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

struct Ranker<'a> {
    input: &'a RelatedInput<'a>,
    text: &'a TextIndex,
    neighbours: &'a [HashSet<NoteId>],
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
        let mut candidates: HashMap<NoteId, Candidate> = HashMap::new();
        for &near in &neighbours[id] {
            for &second in &neighbours[near] {
                if second != id && !neighbours[id].contains(&second) {
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
        let notes = self.input.notes;
        let mut ranked: Vec<(NoteId, Candidate)> = candidates
            .into_iter()
            .filter(|(other, c)| {
                *other != id
                    && !self.input.hidden[*other]
                    && !neighbours[id].contains(other)
                    && c.score() > 0.05
            })
            .collect();
        ranked.sort_by(|(a, x), (b, y)| {
            y.score()
                .total_cmp(&x.score())
                .then_with(|| notes[*a].source.rel.cmp(&notes[*b].source.rel))
        });
        ranked
            .into_iter()
            .filter_map(|(note, candidate)| {
                let reason = self.reason(id, note, &candidate)?;
                Some(Related {
                    note,
                    reason,
                    score: candidate.score(),
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
        let mut shared: HashMap<NoteId, Vec<usize>> = HashMap::new();
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
        let mut ids: HashMap<&str, u32> = HashMap::new();
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

    /// Cosine similarity with every note sharing a distinctive term.
    fn similar(&self, id: NoteId) -> Vec<(NoteId, f64)> {
        let mut dots: HashMap<NoteId, f64> = HashMap::new();
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
