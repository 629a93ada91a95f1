//! Related notes: ranks, for every note, up to five notes it does not already link to, by shared topics,
//! link-graph proximity and text similarity (TF-IDF cosine through an inverted index, so the cost grows
//! with the postings of each note's distinctive terms, not with the square of the number of notes).

use rayon::prelude::*;

use super::resolve::{LinkTarget, NoteId};
use super::similarity::{HashedVector, Indexed, TextIndex};
use super::topics::Topics;
use crate::parse::Note;

/// How many related notes a page shows.
pub const MAX_RELATED: usize = 5;

/// One related note and why it was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub note: NoteId,
    pub reason: String,
    score: f64,
}

/// What the ranking reads.
pub struct RelatedInput<'a> {
    pub notes: &'a [Box<Note>],
    pub hidden: &'a [bool],
    pub links: &'a [Vec<LinkTarget>],
    pub topics: &'a Topics,
    /// The caller knows that every note links to the same notes as in the build `previous` comes
    /// from: the neighbours are kept without being worked out again and compared.
    pub same_note_links: bool,
}

/// What a build keeps of its ranking for the next one: the text index and every note's neighbours.
#[derive(Debug, Clone, Default)]
pub struct RelatedState {
    index: TextIndex,
    neighbours: Vec<Vec<NoteId>>,
}

/// Every note's related notes, and what the next build may reuse.
pub struct Ranking {
    pub lists: Vec<Vec<Related>>,
    pub state: RelatedState,
    /// The notes ranked anew (`None`: all of them); the others kept their lists.
    pub ranked: Option<Vec<NoteId>>,
}

/// The previous build's related notes and state. Only valid for a site with the same notes,
/// visibility, titles and topics (the link graph's outline), which is all the ranking reads
/// besides text vectors and neighbours.
pub type PreviousRelated = (Vec<Vec<Related>>, RelatedState);

/// Related notes for every note (empty for hidden ones). With `previous`, the text index is
/// updated rather than rebuilt, and only the notes whose ranking can have changed are ranked again:
/// a note is ranked from its own vector, its neighbours, topics and the vectors of notes sharing a
/// term with it, so when the neighbours are the same, a note that shares no term with any note
/// whose vector changed (before or after the change) ranks exactly as before.
pub fn related(input: &RelatedInput<'_>, previous: Option<PreviousRelated>) -> Ranking {
    let (lists, old_index, old_neighbours) = match previous {
        Some((lists, old)) => (Some(lists), Some(old.index), Some(old.neighbours)),
        None => (None, None, None),
    };
    let Indexed { index, changed } = TextIndex::build(input.notes, input.hidden, old_index);
    let (neighbours, same_links) = match old_neighbours {
        Some(old) if input.same_note_links => (old, true),
        Some(old) => {
            let new = neighbours(input.links, input.hidden);
            let same = new == old;
            (new, same)
        }
        None => (neighbours(input.links, input.hidden), false),
    };
    let state = RelatedState { index, neighbours };
    let visible = input.hidden.iter().filter(|h| !**h).count().max(1) as f64;
    let ranker = Ranker {
        input,
        text: &state.index,
        neighbours: &state.neighbours,
        visible,
        topic_norm: 1.0 + visible.ln(),
    };
    let rank = |ids: &[NoteId]| -> Vec<Vec<Related>> {
        ids.par_iter()
            .map_init(
                || Candidates::new(input.notes.len()),
                |candidates, &id| {
                    if input.hidden[id] {
                        Vec::new()
                    } else {
                        ranker.rank(id, candidates)
                    }
                },
            )
            .collect()
    };
    let reusable = match (lists, changed) {
        (Some(lists), Some(changed)) if same_links && lists.len() == input.notes.len() => {
            Some((lists, to_rank_again(&changed, &state.index)))
        }
        _ => None,
    };
    match reusable {
        Some((mut lists, again)) => {
            for (id, list) in again.iter().zip(rank(&again)) {
                lists[*id] = list;
            }
            Ranking {
                lists,
                state,
                ranked: Some(again),
            }
        }
        None => Ranking {
            lists: rank(&(0..input.notes.len()).collect::<Vec<_>>()),
            state,
            ranked: None,
        },
    }
}

/// The notes whose ranking may differ from the previous build's: those whose vector changed and
/// those sharing a term with such a vector, old or new.
fn to_rank_again(changed: &[(NoteId, HashedVector)], index: &TextIndex) -> Vec<NoteId> {
    let terms: rustc_hash::FxHashSet<u64> = changed
        .iter()
        .flat_map(|(id, old)| old.iter().chain(index.vector_of(*id)))
        .map(|&(hash, _)| hash)
        .collect();
    let mut again = index.notes_sharing(&terms);
    again.extend(changed.iter().map(|(id, _)| *id));
    again.sort_unstable();
    again.dedup();
    again
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
    /// `1 + ln(visible)`, which scales every candidate's topic weight (worked out once: it was
    /// half a million logarithms at 1k notes).
    topic_norm: f64,
}

/// Everything that speaks for one candidate; reasons are written only for the few that are shown.
#[derive(Default, Clone, Copy)]
pub(super) struct Candidate {
    /// Sum of the rarity weights of the shared topics.
    topic_weight: f64,
    /// A note both link to or from, and how many there are.
    connector: Option<NoteId>,
    link_score: f64,
    pub(super) cosine: f64,
    /// The ranked note itself or one it links with.
    excluded: bool,
}

/// The candidates of the note being ranked, found through a table with a slot per note: ranking
/// touches about a thousand candidates per note on a 10k-note site, and hashing them was most of
/// the stage. One per thread, cleared between notes, with the buffers the ranking reuses.
pub(super) struct Candidates {
    slot: Vec<u32>,
    list: Vec<(NoteId, Candidate)>,
    /// (score, note) of the candidates that may be shown: sorted as pairs, not as whole
    /// candidates three times their size (selecting the best was half of the ranking).
    scored: Vec<(f64, NoteId)>,
    /// The ranked note's text vector by term hash, for the shared terms of each reason.
    by_hash: Vec<(u64, f64)>,
}

impl Candidates {
    const EMPTY: u32 = u32::MAX;

    fn new(notes: usize) -> Candidates {
        Candidates {
            slot: vec![Self::EMPTY; notes],
            list: Vec::new(),
            scored: Vec::new(),
            by_hash: Vec::new(),
        }
    }

    pub(super) fn entry(&mut self, note: NoteId) -> &mut Candidate {
        let mut slot = self.slot[note];
        if slot == Self::EMPTY {
            slot = self.list.len() as u32;
            self.slot[note] = slot;
            self.list.push((note, Candidate::default()));
        }
        &mut self.list[slot as usize].1
    }

    fn get(&self, note: NoteId) -> Option<&Candidate> {
        let slot = *self.slot.get(note)?;
        (slot != Self::EMPTY).then(|| &self.list[slot as usize].1)
    }

    /// Keeps `note` out of the ranking if it is a candidate.
    fn exclude(&mut self, note: NoteId) {
        let slot = self.slot[note];
        if slot != Self::EMPTY {
            self.list[slot as usize].1.excluded = true;
        }
    }

    fn clear(&mut self) {
        for &(note, _) in &self.list {
            self.slot[note] = Self::EMPTY;
        }
        self.list.clear();
    }
}

impl Ranker<'_> {
    fn score(&self, candidate: &Candidate) -> f64 {
        self.topic_score(candidate) + candidate.link_score + 1.5 * candidate.cosine
    }

    fn topic_score(&self, candidate: &Candidate) -> f64 {
        candidate.topic_weight / self.topic_norm
    }

    fn rank(&self, id: NoteId, candidates: &mut Candidates) -> Vec<Related> {
        candidates.clear();
        let linked = &self.neighbours[id];
        for &near in linked {
            for &second in &self.neighbours[near] {
                let candidate = candidates.entry(second);
                candidate.link_score += 0.4;
                candidate.connector.get_or_insert(near);
            }
        }
        self.text.add_cosines(id, candidates);
        self.add_topic_weights(id, candidates);
        // The note itself and the notes it links with are never suggested: marked once each
        // rather than looked up in the (sorted) links for every candidate.
        candidates.exclude(id);
        for &other in linked {
            candidates.exclude(other);
        }
        let best = self.best(candidates);
        let related = self.with_reasons(id, &best, candidates);
        candidates.scored = best;
        related
    }

    /// The best-scored candidates, best first (taking the buffer in `candidates`).
    fn best(&self, candidates: &mut Candidates) -> Vec<(f64, NoteId)> {
        let hidden = self.input.hidden;
        let mut scored = std::mem::take(&mut candidates.scored);
        scored.clear();
        scored.extend(
            candidates
                .list
                .iter()
                .filter(|(other, c)| !c.excluded && !hidden[*other])
                .map(|(other, c)| (self.score(c), *other))
                .filter(|&(score, _)| score > 0.05),
        );
        // Ties go to the note first in path order (note ids follow path order): a total order, so
        // the result never depends on the order candidates were found in. Only the best few need
        // sorting; a candidate is dropped later only when nothing links it, which the best rarely lack.
        let order = |(x, a): &(f64, NoteId), (y, b): &(f64, NoteId)| y.total_cmp(x).then(a.cmp(b));
        if scored.len() > SORTED_CANDIDATES {
            scored.select_nth_unstable_by(SORTED_CANDIDATES - 1, order);
            scored.truncate(SORTED_CANDIDATES);
        }
        scored.sort_unstable_by(order);
        scored
    }

    /// The first [`MAX_RELATED`] of `best` that have a reason to be shown, with it.
    fn with_reasons(
        &self,
        id: NoteId,
        best: &[(f64, NoteId)],
        candidates: &mut Candidates,
    ) -> Vec<Related> {
        candidates.by_hash.clear();
        let mut related = Vec::with_capacity(MAX_RELATED);
        for &(score, note) in best {
            if related.len() == MAX_RELATED {
                break;
            }
            let Some(&candidate) = candidates.get(note) else {
                continue;
            };
            if candidate.cosine > 0.05 && candidates.by_hash.is_empty() {
                candidates
                    .by_hash
                    .extend_from_slice(self.text.vector_of(id));
                candidates.by_hash.sort_unstable_by_key(|&(term, _)| term);
            }
            if let Some(reason) = self.reason(id, &candidates.by_hash, note, &candidate) {
                related.push(Related {
                    note,
                    reason,
                    score,
                });
            }
        }
        related
    }

    /// The two strongest reasons, strongest first; `None` when nothing worth saying links them.
    /// `by_hash`: note `id`'s text vector sorted by term hash.
    fn reason(
        &self,
        id: NoteId,
        by_hash: &[(u64, f64)],
        other: NoteId,
        candidate: &Candidate,
    ) -> Option<String> {
        let topics = self.input.topics;
        let mut reasons: Vec<(f64, String)> = Vec::new();
        let telling: Vec<&str> = topics.of_note[id]
            .iter()
            .filter(|t| topics.of_note[other].contains(t))
            .filter(|&&t| (topics.list[t].notes.len() as f64) <= self.visible / 2.0)
            .map(|&t| topics.list[t].name.as_str())
            .collect();
        if !telling.is_empty() {
            reasons.push((
                self.topic_score(candidate),
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
            let terms = self
                .text
                .shared_terms(self.input.notes, (id, by_hash), other, 3);
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
    fn add_topic_weights(&self, id: NoteId, candidates: &mut Candidates) {
        let topics = self.input.topics;
        for &topic in &topics.of_note[id] {
            let members = &topics.list[topic].notes;
            let weight = (self.visible / members.len() as f64).ln().max(0.1);
            if members.len() <= ENUMERATED_TOPIC_SIZE {
                for &other in members.iter().filter(|&&o| o != id) {
                    candidates.entry(other).topic_weight += weight;
                }
            } else {
                for (other, candidate) in &mut candidates.list {
                    if topics.of_note[*other].contains(&topic) {
                        candidate.topic_weight += weight;
                    }
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_note;
    use crate::scan::SourceFile;

    fn note(name: &str, topics: &str, body: &str) -> Box<Note> {
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
        .map(Box::new)
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
        let input = RelatedInput {
            notes: &notes,
            hidden: &hidden,
            links: &links,
            topics: &topics,
            same_note_links: false,
        };
        let Ranking {
            lists: result,
            state,
            ..
        } = related(&input, None);
        let for_iam: Vec<NoteId> = result[0].iter().map(|r| r.note).collect();
        assert_eq!(for_iam.first(), Some(&1), "{:?}", result[0]);
        assert!(!for_iam.contains(&2), "already linked");
        assert!(!for_iam.contains(&4), "unrelated");
        assert!(
            result[0][0].reason.contains("shares iam"),
            "{}",
            result[0][0].reason
        );
        // Deterministic, and a ranking updated from a previous one with nothing changed is the same.
        assert_eq!(result, related(&input, None).lists);
        assert_eq!(result, related(&input, Some((result.clone(), state))).lists);
    }

    /// `a` and `d` both link to `b`, `c`, `e`, `f` and `g`: the reason names one connector, and it must
    /// be the same one on every run (hash-set order once picked it at random).
    #[test]
    fn the_connector_named_is_the_first_in_path_order() {
        let names = ["a", "b", "c", "d", "e", "f", "g"];
        let notes: Vec<Box<Note>> = names.iter().map(|n| note(n, "", "Text.")).collect();
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
            same_note_links: false,
        };
        for _ in 0..20 {
            let result = related(&input, None).lists;
            let d = result[0]
                .iter()
                .find(|r| r.note == 3)
                .expect("d is related to a");
            assert_eq!(d.reason, "both connect to b", "{:?}", result[0]);
        }
    }
}

#[cfg(test)]
mod incremental_tests {
    use super::*;
    use crate::parse::parse_note;
    use crate::scan::SourceFile;

    /// A tiny deterministic generator, so the test needs no crate and never flakes.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, below: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % below
        }
    }

    fn note(id: usize, body: &[String]) -> Box<Note> {
        let rel = format!("n{id:03}.md");
        let source = SourceFile {
            path: PathBuf::from("/site/notes").join(&rel),
            rel: rel.clone().into(),
            display: PathBuf::from("notes").join(&rel),
        };
        let topic = ["aws", "storage", "compute"][id % 3];
        let text = format!("---\ntopics: [{topic}]\n---\n{}\n", body.join(" "));
        parse_note(source, &text).0.map(Box::new).unwrap()
    }

    use std::path::PathBuf;

    /// Edit after edit (words added, words dropped, rare words appearing and vanishing), ranking
    /// again only what [`to_rank_again`] picks gives exactly the full ranking.
    #[test]
    fn updated_ranking_equals_a_full_ranking_after_each_edit() {
        let mut rng = Lcg(7);
        let count = 120;
        let mut bodies: Vec<Vec<String>> = (0..count)
            .map(|_| (0..30).map(|_| format!("w{}", rng.next(400))).collect())
            .collect();
        let mut notes: Vec<Box<Note>> = (0..count).map(|id| note(id, &bodies[id])).collect();
        let links: Vec<Vec<LinkTarget>> = (0..count)
            .map(|id| {
                vec![LinkTarget::Note {
                    note: (id * 7 + 3) % count,
                    fragment: None,
                }]
            })
            .collect();
        let hidden = vec![false; count];
        let topics = Topics::build(&notes, &hidden);
        let mut previous = None;
        let mut updated_in_part = 0;
        for round in 0..40 {
            // Mostly a word the note already has (only its own vector changes), sometimes a
            // word from anywhere (document frequencies change), sometimes a word dropped.
            let edited = rng.next(count);
            let body = &mut bodies[edited];
            match round % 3 {
                0 => body.push(body[rng.next(body.len())].clone()),
                1 => body.push(format!("w{}", rng.next(400))),
                _ => {
                    body.remove(rng.next(body.len()));
                }
            }
            notes[edited] = note(edited, body);
            let input = RelatedInput {
                notes: &notes,
                hidden: &hidden,
                links: &links,
                topics: &topics,
                // The links never change here.
                same_note_links: true,
            };
            let full = related(&input, None).lists;
            let updated = related(&input, previous.take());
            assert_eq!(updated.lists, full, "round {round}, note {edited}");
            if updated.ranked.as_ref().is_some_and(|r| r.len() < count) {
                updated_in_part += 1;
            }
            previous = Some((updated.lists, updated.state));
        }
        assert!(
            updated_in_part >= 10,
            "only {updated_in_part} partial updates"
        );
    }
}
