//! Topics: groups notes by their front-matter topics (case-insensitive, nested with `/`), falling back
//! to the note's folder, then to "Unsorted".

use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

use super::resolve::NoteId;
use crate::parse::Note;
use crate::urls::slugify;

pub type TopicId = usize;

/// One topic; nested topics (`aws/iam`) have a parent.
#[derive(Debug, Clone)]
pub struct Topic {
    /// Lower-case path, the identity: `aws/iam`.
    pub key: String,
    /// The last segment, in its most common spelling: `IAM`.
    pub name: String,
    /// The whole path in display spelling: `AWS/IAM`.
    pub full_name: String,
    /// URL slug path: `aws/iam`.
    pub slug: String,
    pub parent: Option<TopicId>,
    pub children: Vec<TopicId>,
    pub depth: usize,
    /// Notes tagged with exactly this topic.
    pub notes: Vec<NoteId>,
    /// Notes in this topic or any sub-topic.
    pub count: usize,
}

/// All topics in tree order (parents before children, siblings by name).
#[derive(Debug, Clone, Default)]
pub struct Topics {
    pub list: Vec<Topic>,
    pub by_key: HashMap<String, TopicId>,
    /// For each note, its topics in front-matter order.
    pub of_note: Vec<Vec<TopicId>>,
    /// Notes that had no topic of their own.
    pub untopical: Vec<NoteId>,
}

pub const UNSORTED: &str = "Unsorted";

impl Topics {
    pub fn build(notes: &[Box<Note>], hidden: &[bool]) -> Topics {
        // Keys and spellings are worked out per note in parallel, counted in note order.
        let per_note: Vec<NoteTopics> = notes
            .par_iter()
            .zip(hidden)
            .map(|(note, &hidden)| NoteTopics::of(note, hidden))
            .collect();
        let mut spellings: HashMap<String, BTreeMap<String, usize>> = HashMap::new();
        let mut note_keys: Vec<Vec<String>> = Vec::with_capacity(notes.len());
        let mut untopical = Vec::new();
        for (id, (note, topics)) in notes.iter().zip(per_note).enumerate() {
            if !hidden[id] && note.front.topics.is_empty() {
                untopical.push(id);
            }
            for (prefix_key, prefix_name) in topics.spellings {
                *spellings
                    .entry(prefix_key)
                    .or_default()
                    .entry(prefix_name)
                    .or_default() += 1;
            }
            note_keys.push(topics.keys);
        }
        let mut topics = Topics::from_spellings(&spellings);
        topics.untopical = untopical;
        topics.assign_notes(note_keys);
        topics
    }

    /// Creates every topic (with its parents) in tree order.
    fn from_spellings(spellings: &HashMap<String, BTreeMap<String, usize>>) -> Topics {
        let mut keys: Vec<&String> = spellings.keys().collect();
        keys.sort();
        let mut topics = Topics::default();
        for key in keys {
            let name = most_common(&spellings[key]);
            let parent = key
                .rsplit_once('/')
                .and_then(|(p, _)| topics.by_key.get(p).copied());
            let full_name = match parent {
                Some(p) => format!("{}/{name}", topics.list[p].full_name),
                None => name.clone(),
            };
            let slug = key.split('/').map(slugify).collect::<Vec<_>>().join("/");
            let depth = key.matches('/').count();
            topics.by_key.insert(key.clone(), topics.list.len());
            topics.list.push(Topic {
                key: key.clone(),
                name,
                full_name,
                slug,
                parent,
                children: Vec::new(),
                depth,
                notes: Vec::new(),
                count: 0,
            });
        }
        topics.sort_tree();
        topics
    }

    /// Reorders the list so children follow their parent, siblings sorted by display name.
    fn sort_tree(&mut self) {
        let old = std::mem::take(&mut self.list);
        let mut order = Vec::with_capacity(old.len());
        let mut roots: Vec<usize> = (0..old.len())
            .filter(|&i| old[i].parent.is_none())
            .collect();
        sort_by_name(&mut roots, &old);
        fn visit(i: usize, old: &[Topic], order: &mut Vec<usize>) {
            order.push(i);
            let mut children: Vec<usize> = (0..old.len())
                .filter(|&c| old[c].parent == Some(i))
                .collect();
            sort_by_name(&mut children, old);
            for c in children {
                visit(c, old, order);
            }
        }
        for r in roots {
            visit(r, &old, &mut order);
        }
        let new_index: HashMap<usize, usize> = order
            .iter()
            .enumerate()
            .map(|(new, &old)| (old, new))
            .collect();
        self.list = order.iter().map(|&i| old[i].clone()).collect();
        for topic in &mut self.list {
            topic.parent = topic.parent.map(|p| new_index[&p]);
        }
        for id in 0..self.list.len() {
            if let Some(p) = self.list[id].parent {
                self.list[p].children.push(id);
            }
        }
        self.by_key = self
            .list
            .iter()
            .enumerate()
            .map(|(i, t)| (t.key.clone(), i))
            .collect();
    }

    fn assign_notes(&mut self, note_keys: Vec<Vec<String>>) {
        let mut members: Vec<std::collections::BTreeSet<NoteId>> =
            vec![Default::default(); self.list.len()];
        for (note, keys) in note_keys.into_iter().enumerate() {
            let ids: Vec<TopicId> = keys
                .iter()
                .filter_map(|k| self.by_key.get(k).copied())
                .collect();
            for &id in &ids {
                self.list[id].notes.push(note);
                let mut ancestor = Some(id);
                while let Some(a) = ancestor {
                    members[a].insert(note);
                    ancestor = self.list[a].parent;
                }
            }
            self.of_note.push(ids);
        }
        for (topic, members) in self.list.iter_mut().zip(members) {
            topic.count = members.len();
        }
    }

    /// Topics sharing notes with `id` (ancestors and descendants excluded), most shared first.
    pub fn cooccurring(&self, id: TopicId) -> Vec<(TopicId, usize)> {
        let mut shared: HashMap<TopicId, usize> = HashMap::new();
        for &note in &self.list[id].notes {
            for &other in &self.of_note[note] {
                if other != id && !self.related_in_tree(id, other) {
                    *shared.entry(other).or_default() += 1;
                }
            }
        }
        let mut list: Vec<_> = shared.into_iter().collect();
        list.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| self.list[a.0].key.cmp(&self.list[b.0].key))
        });
        list
    }

    fn related_in_tree(&self, a: TopicId, b: TopicId) -> bool {
        let (ka, kb) = (&self.list[a].key, &self.list[b].key);
        ka.starts_with(&format!("{kb}/")) || kb.starts_with(&format!("{ka}/"))
    }

    /// The chain from the top-level topic down to `id`.
    pub fn path(&self, id: TopicId) -> Vec<TopicId> {
        let mut chain = vec![id];
        while let Some(parent) = self.list[*chain.last().unwrap_or(&id)].parent {
            chain.push(parent);
        }
        chain.reverse();
        chain
    }
}

fn sort_by_name(ids: &mut [usize], topics: &[Topic]) {
    ids.sort_by(|&a, &b| {
        let (a, b) = (&topics[a], &topics[b]);
        (a.name == UNSORTED, a.name.to_lowercase(), &a.key).cmp(&(
            b.name == UNSORTED,
            b.name.to_lowercase(),
            &b.key,
        ))
    });
}

/// The topics a note declares, else its folder's name, else "Unsorted".
/// One note's topic keys, and the spelling of each key and key prefix it uses.
struct NoteTopics {
    keys: Vec<String>,
    spellings: Vec<(String, String)>,
}

impl NoteTopics {
    fn of(note: &Note, hidden: bool) -> NoteTopics {
        let mut topics = NoteTopics {
            keys: Vec::new(),
            spellings: Vec::new(),
        };
        if hidden {
            return topics;
        }
        for name in topic_names(note) {
            let key = topic_key(&name);
            if key.is_empty() || topics.keys.contains(&key) {
                continue;
            }
            topics.spellings.extend(prefixes(&key, &name));
            topics.keys.push(key);
        }
        topics
    }
}

fn topic_names(note: &Note) -> Vec<String> {
    if !note.front.topics.is_empty() {
        return note.front.topics.clone();
    }
    let folder = note
        .source
        .rel
        .parent()
        .and_then(|p| p.file_name())
        .map(|f| f.to_string_lossy().into_owned());
    vec![folder.unwrap_or_else(|| UNSORTED.to_string())]
}

/// `" AWS / IAM "` → `aws/iam`.
fn topic_key(name: &str) -> String {
    name.split('/')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// Each prefix of a nested topic with the spelling of its last segment: `AWS/IAM` → (aws, AWS), (aws/iam, IAM).
fn prefixes(key: &str, name: &str) -> Vec<(String, String)> {
    let segments: Vec<&str> = name
        .split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let key_segments: Vec<&str> = key.split('/').collect();
    (0..key_segments.len())
        .map(|i| (key_segments[..=i].join("/"), segments[i].to_string()))
        .collect()
}

/// The spelling used most; ties go to the alphabetically first (deterministic).
fn most_common(spellings: &BTreeMap<String, usize>) -> String {
    let best = spellings
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)));
    best.map(|(s, _)| s.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_note;
    use crate::scan::SourceFile;

    fn note(rel: &str, topics: &str) -> Box<Note> {
        let source = SourceFile {
            path: rel.into(),
            rel: rel.into(),
            display: rel.into(),
        };
        let text = if topics.is_empty() {
            String::new()
        } else {
            format!("---\ntopics: [{topics}]\n---\n")
        };
        parse_note(source, &text).0.map(Box::new).unwrap()
    }

    #[test]
    fn case_insensitive_most_common_spelling_and_nesting() {
        let notes = vec![
            note("a.md", "IAM, aws/Compute"),
            note("b.md", "iam"),
            note("c.md", "IAM"),
            note("d/e.md", ""),
        ];
        let topics = Topics::build(&notes, &[false; 4]);
        let keys: Vec<_> = topics.list.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["aws", "aws/compute", "d", "iam"]);
        let iam = &topics.list[topics.by_key["iam"]];
        assert_eq!((iam.name.as_str(), iam.count), ("IAM", 3));
        let aws = &topics.list[topics.by_key["aws"]];
        assert_eq!((aws.count, aws.notes.len(), aws.children.len()), (1, 0, 1));
        assert_eq!(
            topics.list[topics.by_key["aws/compute"]].full_name,
            "aws/Compute"
        );
        assert_eq!(topics.untopical, [3]);
    }

    #[test]
    fn unsorted_comes_last_and_hidden_notes_are_left_out() {
        let notes = vec![
            note("a.md", ""),
            note("b.md", "zeta"),
            note("c.md", "secret"),
        ];
        let topics = Topics::build(&notes, &[false, false, true]);
        let names: Vec<_> = topics.list.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["zeta", UNSORTED]);
    }

    #[test]
    fn cooccurring_counts_shared_notes() {
        let notes = vec![
            note("a.md", "iam, security"),
            note("b.md", "iam, security"),
            note("c.md", "iam, cli"),
        ];
        let topics = Topics::build(&notes, &[false; 3]);
        let iam = topics.by_key["iam"];
        let co: Vec<_> = topics
            .cooccurring(iam)
            .into_iter()
            .map(|(t, n)| (topics.list[t].key.clone(), n))
            .collect();
        assert_eq!(co, [("security".to_string(), 2), ("cli".to_string(), 1)]);
    }
}
