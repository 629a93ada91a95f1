//! Link-graph stage: gives every note its page, resolves every link and image reference, and derives
//! topics, backlinks and navigation order. A plain data structure, separate from rendering, so later
//! stages (render, search, serve) read it and never re-resolve anything.

pub mod related;
pub mod resolve;
pub mod reuse;
mod similarity;
mod suggest;
pub mod topics;

use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::diag::Diagnostics;
use crate::parse::Note;
use crate::urls::{path_slug, Urls};
pub use resolve::{ImageTarget, LinkTarget, NoteId};
use resolve::{Resolver, Roots};
pub use reuse::LinkCache;
use reuse::Resolved;
pub use topics::{TopicId, Topics};

/// Where a note's page goes.
#[derive(Debug, Clone)]
pub struct NotePage {
    /// `aws/iam`: stable, from the file path.
    pub slug: String,
    /// Output file relative to the site root.
    pub file: String,
    /// URL relative to the site root.
    pub url: String,
    /// Private, or a draft without `--drafts`: not in any output.
    pub hidden: bool,
}

/// A note that links to another, with the sentence around the first such link.
#[derive(Debug, Clone, PartialEq)]
pub struct Backlink {
    pub from: NoteId,
    pub context: String,
}

/// Resolved links of every note, indexed like `Site::notes` and each note's `links`/`images`.
#[derive(Debug, Clone, Default)]
pub struct LinkGraph {
    pub links: Vec<Vec<LinkTarget>>,
    pub images: Vec<Vec<ImageTarget>>,
    pub backlinks: Vec<Vec<Backlink>>,
    pub related: Vec<Vec<related::Related>>,
    /// Each note's link and image problems (also in the build's diagnostics).
    pub diagnostics: Vec<Vec<crate::diag::Diagnostic>>,
    /// By note: a digest of its links, images, backlinks and related notes, what its page shows of
    /// the graph (the page cache's key reads this instead of the lists). Empty when
    /// [`GraphInput::page_inputs`] is false.
    pub page_inputs: Vec<blake3::Hash>,
    /// What the next build may reuse of the related-notes ranking.
    pub related_state: related::RelatedState,
    /// The resolver's lookup tables, for the next build over the same outline.
    pub tables: Option<Arc<resolve::Tables>>,
    /// [`reuse::resolution_outline`] of the notes these links were resolved among.
    pub outline: Option<blake3::Hash>,
}

/// Everything known about the site before rendering.
#[derive(Debug, Clone)]
pub struct Site {
    /// Boxed so that passing the notes from one rebuild to the next moves pointers, not notes.
    pub notes: Vec<Box<Note>>,
    pub pages: Vec<NotePage>,
    pub graph: LinkGraph,
    pub topics: Topics,
    pub urls: Urls,
    /// Paths the resolver looked for and did not find (for the build fingerprint).
    pub absent: Vec<PathBuf>,
}

impl Site {
    /// Notes that appear in the output, in path order.
    pub fn visible(&self) -> impl Iterator<Item = NoteId> + '_ {
        (0..self.notes.len()).filter(|&id| !self.pages[id].hidden)
    }

    /// Drops what only this stage and a next rebuild read (each note's word counts and link
    /// sentences, the text index, the resolver's tables): a one-shot build frees it before the
    /// later stages' peak.
    pub fn release_after_linking(&mut self) {
        for note in &mut self.notes {
            note.terms = Default::default();
            for link in &mut note.body.links {
                link.context = String::new();
            }
        }
        self.graph.related_state = Default::default();
        self.graph.tables = None;
    }

    /// Local files (images and linked files) the output needs, deduplicated and sorted.
    pub fn local_files(&self) -> Vec<PathBuf> {
        let mut files = HashSet::new();
        for id in self.visible() {
            for target in &self.graph.images[id] {
                if let ImageTarget::Local(path) = target {
                    files.insert(path.clone());
                }
            }
            for target in &self.graph.links[id] {
                if let LinkTarget::File { path, .. } = target {
                    files.insert(path.clone());
                }
            }
        }
        let mut files: Vec<_> = files.into_iter().collect();
        files.sort();
        files
    }
}

/// What the graph stage needs besides the notes.
pub struct GraphInput<'a> {
    pub config: &'a Config,
    /// Image files found under `img_dir` (for `![[name.png]]` lookups).
    pub images: &'a [PathBuf],
    pub drafts: bool,
    /// Source files that did not change since `previous` was made.
    pub is_unchanged: &'a (dyn Fn(&std::path::Path) -> bool + Sync),
    /// Whether to work out each page's [`LinkGraph::page_inputs`]: only `serve`'s page cache
    /// reads them, and a one-shot build spent 0.5% of its time hashing them.
    pub page_inputs: bool,
}

/// Builds the site model. Notes must be sorted by path (scan does that) for stable slugs. Resolutions
/// in `previous` are reused where they still hold (see [`reuse`]).
pub fn build(
    notes: Vec<Box<Note>>,
    input: &GraphInput<'_>,
    mut previous: LinkCache,
) -> (Site, Diagnostics) {
    let urls = Urls {
        pretty: input.config.pretty_urls,
    };
    let hidden: Vec<bool> = notes.iter().map(|n| is_hidden(n, input.drafts)).collect();
    let outline = reuse::resolution_outline(&notes, &hidden, input.images);
    let reuse = previous.reusable(&notes, outline, input.is_unchanged);
    // Pages follow from the paths and visibility, which the outline covers.
    let pages = match reuse.pages {
        Some(pages) => pages,
        None => assign_pages(&notes, &hidden, urls),
    };
    let resolved_again: Vec<NoteId> = (0..notes.len())
        .filter(|&id| reuse.resolved[id].is_none())
        .collect();
    let any_reused = resolved_again.len() < notes.len();
    let (resolved, mut absent, tables) =
        resolve_all(&notes, &hidden, input, reuse.resolved, reuse.tables);
    if any_reused {
        // Reused notes looked for what they looked for before (a superset is harmless: these
        // paths are only watched for appearing).
        absent.append(&mut previous.absent);
        absent.sort_unstable();
        absent.dedup();
    }
    let mut diagnostics = Diagnostics::default();
    let mut graph = LinkGraph {
        outline: Some(outline),
        tables,
        ..LinkGraph::default()
    };
    for resolved in resolved {
        graph.links.push(resolved.links);
        graph.images.push(resolved.images);
        graph.diagnostics.push(resolved.diagnostics);
    }
    // Shared (a `Diagnostic` clone is a reference count), in parallel: a copied site carries tens of
    // thousands of link warnings, each count in its own cache line.
    let copies: Vec<crate::diag::Diagnostic> = graph
        .diagnostics
        .par_iter()
        .flat_map_iter(|list| list.iter().cloned())
        .collect();
    diagnostics.extend(copies);
    let kept_backlinks = reuse
        .backlinks
        .filter(|old| reuse::backlinks_hold(old, &notes, &graph.links, &hidden, &resolved_again));
    let mut title_rank = None;
    let topics = reuse.topics.unwrap_or_else(|| {
        let rank = title_rank.get_or_insert_with(|| title_ranks(&notes));
        let mut topics = Topics::build(&notes, &hidden);
        sort_topic_notes(&mut topics, &notes, rank);
        topics
    });
    let backlinks_kept = kept_backlinks.is_some();
    graph.backlinks = match kept_backlinks {
        Some(backlinks) => backlinks,
        None => {
            let rank = title_rank.get_or_insert_with(|| title_ranks(&notes));
            backlinks(&notes, &graph.links, &hidden, rank)
        }
    };
    let want_page_inputs = input.page_inputs;
    let input = related::RelatedInput {
        notes: &notes,
        hidden: &hidden,
        links: &graph.links,
        topics: &topics,
        // Kept backlinks mean the notes resolved again link to the same notes as before.
        same_note_links: backlinks_kept,
    };
    let ranking = related::related(&input, reuse.related);
    (graph.related, graph.related_state) = (ranking.lists, ranking.state);
    // A note's page inputs change only where its links, backlinks or related notes may have.
    let again = match (reuse.page_inputs, &ranking.ranked) {
        (Some(old), Some(ranked)) if backlinks_kept => Some((old, ranked)),
        _ => None,
    };
    graph.page_inputs = match again {
        _ if !want_page_inputs => Vec::new(),
        Some((mut inputs, ranked)) => {
            for &id in resolved_again.iter().chain(ranked) {
                inputs[id] = page_inputs(&graph, id);
            }
            inputs
        }
        None => (0..notes.len())
            .into_par_iter()
            .map(|id| page_inputs(&graph, id))
            .collect(),
    };
    (
        Site {
            notes,
            pages,
            graph,
            topics,
            urls,
            absent,
        },
        diagnostics,
    )
}

/// Resolves every note that has no reusable resolution; also returns the paths found missing and
/// the resolver's tables (`tables` are the previous ones, when still valid).
fn resolve_all(
    notes: &[Box<Note>],
    hidden: &[bool],
    input: &GraphInput<'_>,
    reused: Vec<Option<Resolved>>,
    tables: Option<Arc<resolve::Tables>>,
) -> (Vec<Resolved>, Vec<PathBuf>, Option<Arc<resolve::Tables>>) {
    if reused.iter().all(Option::is_some) {
        return (reused.into_iter().flatten().collect(), Vec::new(), tables);
    }
    let resolver = match tables {
        Some(tables) => Resolver::with_tables(notes, hidden, tables),
        None => {
            let roots = Roots {
                root: &input.config.root,
                notes_dir: &input.config.notes_dir,
                img_dir: &input.config.img_dir,
                images: input.images,
            };
            Resolver::new(notes, hidden, roots)
        }
    };
    let resolved = reused
        .into_par_iter()
        .enumerate()
        .map(|(id, reused)| {
            reused.unwrap_or_else(|| resolve_note(&resolver, notes, id, hidden[id]))
        })
        .collect();
    let (absent, tables) = resolver.finish();
    (resolved, absent, Some(tables))
}

fn resolve_note(
    resolver: &Resolver<'_>,
    notes: &[Box<Note>],
    id: NoteId,
    hidden: bool,
) -> Resolved {
    let note = &notes[id];
    let mut diagnostics = Vec::new();
    let links = note.body.links.iter().map(|link| {
        let (target, diag) = resolver.link(id, link);
        diagnostics.extend(diag);
        target
    });
    let links: Vec<_> = links.collect();
    let images = note.body.images.iter().map(|image| {
        let (target, diag) = resolver.image(id, image);
        diagnostics.extend(diag);
        target
    });
    let images: Vec<_> = images.collect();
    // A note that is not published cannot break the build.
    if hidden {
        diagnostics.clear();
    }
    Resolved {
        links,
        images,
        diagnostics,
    }
}

/// [`LinkGraph::page_inputs`] of note `id`.
fn page_inputs(graph: &LinkGraph, id: NoteId) -> blake3::Hash {
    use std::hash::Hash as _;
    let mut feed = reuse::Feed::default();
    graph.links[id].hash(&mut feed);
    graph.images[id].hash(&mut feed);
    for backlink in &graph.backlinks[id] {
        (backlink.from, &backlink.context).hash(&mut feed);
    }
    for related in &graph.related[id] {
        (related.note, &related.reason).hash(&mut feed);
    }
    blake3::hash(&feed.0)
}

/// Slugs from file paths; a clash (`A b.md` and `a-b.md`) gets `-2`, `-3` in path order.
fn assign_pages(notes: &[Box<Note>], hidden: &[bool], urls: Urls) -> Vec<NotePage> {
    let bases: Vec<String> = notes
        .par_iter()
        .map(|note| path_slug(&note.source.rel))
        .collect();
    let mut taken: HashMap<&str, usize> = HashMap::with_capacity(notes.len());
    let clashes: Vec<usize> = bases
        .iter()
        .map(|base| {
            let count = taken.entry(base).or_default();
            *count += 1;
            *count
        })
        .collect();
    hidden
        .par_iter()
        .zip(bases.par_iter().zip(clashes))
        .map(|(&hidden, (base, clash))| {
            let slug = if clash == 1 {
                base.clone()
            } else {
                format!("{base}-{clash}")
            };
            NotePage {
                file: urls.note_file(&slug),
                url: urls.note_url(&slug),
                slug,
                hidden,
            }
        })
        .collect()
}

/// Private notes, and drafts unless they are asked for, are left out of the output.
fn is_hidden(note: &Note, drafts: bool) -> bool {
    note.front.private || (note.front.draft && !drafts)
}

/// Each note's place when all notes are sorted by lower-case title (ties in path order): sorting by
/// this number is sorting by title, without lower-casing titles again for every list.
fn title_ranks(notes: &[Box<Note>]) -> Vec<usize> {
    let mut order: Vec<(String, NoteId)> = notes
        .par_iter()
        .enumerate()
        .map(|(id, note)| (note.title.to_lowercase(), id))
        .collect();
    order.par_sort_unstable();
    let mut ranks = vec![0; notes.len()];
    for (rank, (_, id)) in order.into_iter().enumerate() {
        ranks[id] = rank;
    }
    ranks
}

/// For each note, the visible notes linking to it (any link form), once each, by source title.
fn backlinks(
    notes: &[Box<Note>],
    links: &[Vec<LinkTarget>],
    hidden: &[bool],
    title_rank: &[usize],
) -> Vec<Vec<Backlink>> {
    let mut backlinks: Vec<Vec<Backlink>> = vec![Vec::new(); notes.len()];
    for (from, targets) in links.iter().enumerate() {
        if hidden[from] {
            continue;
        }
        for (index, target) in targets.iter().enumerate() {
            let LinkTarget::Note { note: to, .. } = *target else {
                continue;
            };
            if to != from && !backlinks[to].iter().any(|b| b.from == from) {
                let context = notes[from].body.links[index].context.clone();
                backlinks[to].push(Backlink { from, context });
            }
        }
    }
    backlinks
        .par_iter_mut()
        .for_each(|list| list.sort_unstable_by_key(|b| title_rank[b.from]));
    backlinks
}

/// Puts each topic's notes in navigation order once (by weight, unweighted last, then title), so pages
/// never sort them again.
fn sort_topic_notes(topics: &mut Topics, notes: &[Box<Note>], title_rank: &[usize]) {
    topics.list.par_iter_mut().for_each(|topic| {
        topic.notes.sort_unstable_by_key(|&id| {
            let weight = notes[id].front.weight;
            (weight.is_none(), weight, title_rank[id])
        });
    });
}
