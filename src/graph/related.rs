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
    (0..input.notes.len())
        .into_par_iter()
        .map(|id| {
            if input.hidden[id] {
                Vec::new()
            } else {
                rank(id, input, &text, &neighbours)
            }
        })
        .collect()
}

/// Score and the reasons behind it, each with its share of the score.
#[derive(Default)]
struct Candidate {
    score: f64,
    reasons: Vec<(f64, String)>,
}

impl Candidate {
    fn add(&mut self, score: f64, reason: Option<String>) {
        self.score += score;
        if let Some(reason) = reason {
            self.reasons.push((score, reason));
        }
    }

    /// The two strongest reasons, strongest first.
    fn reason(mut self) -> (f64, String) {
        self.reasons
            .sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let text: Vec<String> = self.reasons.into_iter().take(2).map(|(_, r)| r).collect();
        (self.score, text.join("; "))
    }
}

fn rank(
    id: NoteId,
    input: &RelatedInput<'_>,
    text: &TextIndex,
    neighbours: &[HashSet<NoteId>],
) -> Vec<Related> {
    let mut candidates: HashMap<NoteId, Candidate> = HashMap::new();
    add_topic_scores(id, input, &mut candidates);
    for &near in &neighbours[id] {
        for &second in &neighbours[near] {
            if second != id && !neighbours[id].contains(&second) {
                let reason = format!("both connect to {}", input.notes[near].title);
                candidates.entry(second).or_default().add(0.4, Some(reason));
            }
        }
    }
    for (other, cosine) in text.similar(id) {
        let terms = text.shared_terms(id, other, 3);
        let reason = (cosine > 0.05 && !terms.is_empty())
            .then(|| format!("similar text: {}", terms.join(", ")));
        candidates
            .entry(other)
            .or_default()
            .add(1.5 * cosine, reason);
    }
    let mut ranked: Vec<Related> = candidates
        .into_iter()
        .filter(|(other, _)| {
            *other != id && !input.hidden[*other] && !neighbours[id].contains(other)
        })
        .map(|(note, candidate)| {
            let (score, reason) = candidate.reason();
            Related {
                note,
                reason,
                score,
            }
        })
        .filter(|r| r.score > 0.05 && !r.reason.is_empty())
        .collect();
    ranked.sort_by(|a, b| {
        b.score.total_cmp(&a.score).then_with(|| {
            input.notes[a.note]
                .source
                .rel
                .cmp(&input.notes[b.note].source.rel)
        })
    });
    ranked.truncate(MAX_RELATED);
    ranked
}

/// Shared topics count by rarity (sharing a topic of 2 notes says more than sharing one of 200); a
/// topic most notes have adds little and is not given as a reason.
fn add_topic_scores(
    id: NoteId,
    input: &RelatedInput<'_>,
    candidates: &mut HashMap<NoteId, Candidate>,
) {
    let topics = input.topics;
    let visible = input.hidden.iter().filter(|h| !**h).count().max(1) as f64;
    let mut shared: HashMap<NoteId, Vec<usize>> = HashMap::new();
    for &topic in &topics.of_note[id] {
        for &other in &topics.list[topic].notes {
            if other != id {
                shared.entry(other).or_default().push(topic);
            }
        }
    }
    for (other, list) in shared {
        let weight: f64 = list
            .iter()
            .map(|&t| (visible / topics.list[t].notes.len() as f64).ln().max(0.1))
            .sum();
        let telling: Vec<&str> = list
            .iter()
            .filter(|&&t| (topics.list[t].notes.len() as f64) <= visible / 2.0)
            .map(|&t| topics.list[t].name.as_str())
            .collect();
        let reason = (!telling.is_empty()).then(|| format!("shares {}", telling.join(", ")));
        candidates
            .entry(other)
            .or_default()
            .add(weight / (1.0 + visible.ln()), reason);
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
            for term in tf.keys() {
                let id = *ids.entry(term).or_insert_with(|| {
                    terms.push(term.clone());
                    df.push(0);
                    (terms.len() - 1) as u32
                });
                df[id as usize] += 1;
            }
        }
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
