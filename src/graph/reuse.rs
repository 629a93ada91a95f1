//! What `serve` keeps of one link graph for the next: each note's resolved links, images and link
//! diagnostics. A note's resolution reads the note itself and, of the other notes, only their paths,
//! visibility, titles, front matter (aliases) and headings, plus the image files and the files that
//! exist on disk; while all of those are unchanged, an unchanged note resolves to what it did before.
//! Topics depend on that outline alone, and backlinks on it and every note's links to notes, so
//! they are kept too.

use std::path::{Path, PathBuf};

use super::related::{PreviousRelated, Related, RelatedState};
use super::resolve::{ImageTarget, LinkTarget, NoteId};
use super::{Backlink, Site, Topics};
use crate::diag::Diagnostic;
use crate::parse::Note;

/// One note's resolution: links and images (aligned with its body's), and the problems found.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub links: Vec<LinkTarget>,
    pub images: Vec<ImageTarget>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The resolutions of the previous build, by note id: they are only reused when the site outline
/// is the same, and then the notes (and their ids) are the same too.
#[derive(Debug, Default, Clone)]
pub struct LinkCache {
    /// [`resolution_outline`] of the site they were made in (`None`: nothing to reuse).
    outline: Option<blake3::Hash>,
    /// By note id: the note's text digest and its resolution.
    notes: Vec<(blake3::Hash, Resolved)>,
    /// Paths the resolver looked for and did not find.
    pub(super) absent: Vec<PathBuf>,
    topics: Topics,
    backlinks: Vec<Vec<Backlink>>,
    related: Vec<Vec<Related>>,
    related_state: RelatedState,
    page_inputs: Vec<blake3::Hash>,
    tables: Option<std::sync::Arc<super::resolve::Tables>>,
    pages: Vec<super::NotePage>,
}

/// Collects what `Hash` values write, for one blake3 call (std's `Hash` writes lengths, so fields
/// cannot run into each other; many tiny hasher updates would cost more than the copying).
#[derive(Default)]
pub struct Feed(pub Vec<u8>);

impl std::hash::Hasher for Feed {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    /// Not used: the bytes are hashed with blake3.
    fn finish(&self) -> u64 {
        0
    }
}

/// What [`LinkCache::reusable`] found still valid.
pub(super) struct Reuse {
    /// By note: its previous resolution, when still valid.
    pub resolved: Vec<Option<Resolved>>,
    /// Topics (in navigation order) when the outline is unchanged.
    pub topics: Option<Topics>,
    /// Backlinks as they were, when the outline is unchanged; still valid if the notes resolved
    /// again link to the same notes with the same sentences ([`backlinks_hold`]).
    pub backlinks: Option<Vec<Vec<Backlink>>>,
    /// Related notes as they were, for [`super::related::related`] to update.
    pub related: Option<PreviousRelated>,
    /// Page inputs as they were, to update where links, backlinks or related notes changed.
    pub page_inputs: Option<Vec<blake3::Hash>>,
    /// The resolver's lookup tables.
    pub tables: Option<std::sync::Arc<super::resolve::Tables>>,
    /// Every note's page (slug, file, URL).
    pub pages: Option<Vec<super::NotePage>>,
}

impl LinkCache {
    /// Takes the resolutions out of `site` (which is being retired).
    pub fn take(site: &mut Site) -> LinkCache {
        let graph = &mut site.graph;
        let links = std::mem::take(&mut graph.links);
        let images = std::mem::take(&mut graph.images);
        let diagnostics = std::mem::take(&mut graph.diagnostics);
        let notes = site
            .notes
            .iter()
            .zip(links.into_iter().zip(images).zip(diagnostics))
            .map(|(note, ((links, images), diagnostics))| {
                let resolved = Resolved {
                    links,
                    images,
                    diagnostics,
                };
                (note.digest.text, resolved)
            })
            .collect();
        LinkCache {
            outline: graph.outline,
            notes,
            absent: std::mem::take(&mut site.absent),
            topics: std::mem::take(&mut site.topics),
            backlinks: std::mem::take(&mut graph.backlinks),
            related: std::mem::take(&mut graph.related),
            related_state: std::mem::take(&mut graph.related_state),
            page_inputs: std::mem::take(&mut graph.page_inputs),
            tables: graph.tables.take(),
            pages: std::mem::take(&mut site.pages),
        }
    }

    /// For each note, its previous resolution when it still holds: same site outline, same note
    /// text, and none of the files it (or any note) looked for changed on disk.
    pub(super) fn reusable(
        &mut self,
        notes: &[Box<Note>],
        outline: blake3::Hash,
        is_unchanged: &(dyn Fn(&Path) -> bool + Sync),
    ) -> Reuse {
        let valid = self.outline == Some(outline)
            && self.notes.len() == notes.len()
            && self.absent.iter().all(|p| is_unchanged(p));
        if !valid {
            return Reuse {
                resolved: notes.iter().map(|_| None).collect(),
                topics: None,
                backlinks: None,
                related: None,
                page_inputs: None,
                tables: None,
                pages: None,
            };
        }
        let resolved = std::mem::take(&mut self.notes)
            .into_iter()
            .zip(notes)
            .map(|((digest, resolved), note)| {
                let same = digest == note.digest.text && files_of(&resolved).all(is_unchanged);
                same.then_some(resolved)
            })
            .collect();
        Reuse {
            resolved,
            topics: Some(std::mem::take(&mut self.topics)),
            backlinks: Some(std::mem::take(&mut self.backlinks)),
            related: Some((
                std::mem::take(&mut self.related),
                std::mem::take(&mut self.related_state),
            )),
            page_inputs: Some(std::mem::take(&mut self.page_inputs)),
            tables: self.tables.take(),
            pages: Some(std::mem::take(&mut self.pages)),
        }
    }
}

/// Whether `backlinks` (of the previous build) still hold after the notes in `resolved_again` were
/// resolved anew: each must link to the same notes, with the same sentence around the first link.
pub(super) fn backlinks_hold(
    backlinks: &[Vec<Backlink>],
    notes: &[Box<Note>],
    links: &[Vec<LinkTarget>],
    hidden: &[bool],
    resolved_again: &[NoteId],
) -> bool {
    let mut old: Vec<(NoteId, NoteId, &str)> = Vec::new();
    for (to, list) in backlinks.iter().enumerate() {
        for backlink in list {
            if resolved_again.binary_search(&backlink.from).is_ok() {
                old.push((backlink.from, to, &backlink.context));
            }
        }
    }
    let mut new: Vec<(NoteId, NoteId, &str)> = Vec::new();
    // Hidden notes give no backlinks (and stayed hidden: the outline holds visibility).
    for &from in resolved_again.iter().filter(|&&from| !hidden[from]) {
        for (index, target) in links[from].iter().enumerate() {
            let LinkTarget::Note { note: to, .. } = *target else {
                continue;
            };
            if to != from && !new.iter().any(|&(f, t, _)| f == from && t == to) {
                new.push((from, to, &notes[from].body.links[index].context));
            }
        }
    }
    old.sort_unstable();
    new.sort_unstable();
    old == new
}

/// Local files a resolution points at (images and attachments).
fn files_of(resolved: &Resolved) -> impl Iterator<Item = &Path> {
    let images = resolved.images.iter().filter_map(|t| match t {
        ImageTarget::Local(path) => Some(path.as_path()),
        _ => None,
    });
    let files = resolved.links.iter().filter_map(|t| match t {
        LinkTarget::File { path, .. } => Some(path.as_path()),
        _ => None,
    });
    images.chain(files)
}

/// Everything of all notes that resolving any one note may read: paths, visibility, outlines (title,
/// front matter, headings), and the image files.
pub(super) fn resolution_outline(
    notes: &[Box<Note>],
    hidden: &[bool],
    images: &[PathBuf],
) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    for (note, &hidden) in notes.iter().zip(hidden) {
        let rel = note.source.rel.as_os_str().as_encoded_bytes();
        hasher.update(&(rel.len() as u64).to_le_bytes());
        hasher.update(rel);
        hasher.update(note.digest.outline.as_bytes());
        hasher.update(&[u8::from(hidden)]);
    }
    for image in images {
        let path = image.as_os_str().as_encoded_bytes();
        hasher.update(&(path.len() as u64).to_le_bytes());
        hasher.update(path);
    }
    hasher.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::diag::Diagnostics;
    use crate::graph::{build, GraphInput};
    use crate::parse::parse_note;
    use crate::scan::SourceFile;

    const KMS: &str = "kms.md";

    fn note(rel: &str, title: &str, body: &str) -> Box<Note> {
        let source = SourceFile {
            path: PathBuf::from("/site/notes").join(rel),
            rel: rel.into(),
            display: PathBuf::from("notes").join(rel),
        };
        let text = format!("---\ntitle: {title}\ntopics: [aws]\n---\n{body}\n");
        Box::new(parse_note(source, &text).0.expect("valid note"))
    }

    /// Four notes in path order; `kms` is the body of the one that gets edited.
    fn notes(kms: &str) -> Vec<Box<Note>> {
        vec![
            note("ec2.md", "EC2", "Instances assume a role from [[IAM]]."),
            note("iam.md", "IAM", "Policies and roles. Keys live in [[KMS]]."),
            note(KMS, "KMS", kms),
            note(
                "s3.md",
                "S3",
                "Buckets hold objects encrypted with [KMS](kms.md) keys.",
            ),
        ]
    }

    fn graph(notes: Vec<Box<Note>>, previous: LinkCache, changed: &str) -> (Site, Diagnostics) {
        let root = tempfile::tempdir().unwrap();
        let config = Config::load(root.path()).unwrap();
        let changed = PathBuf::from("/site/notes").join(changed);
        let is_unchanged = move |path: &Path| path != changed;
        let input = GraphInput {
            config: &config,
            images: &[],
            drafts: false,
            is_unchanged: &is_unchanged,
            page_inputs: true,
        };
        build(notes, &input, previous)
    }

    #[test]
    fn reused_links_topics_and_backlinks_equal_a_full_link_graph() {
        let edits = [
            "Keys encrypt data. See [[IAM]] for key policies.",
            "Keys encrypt data. Rotation is yearly. See [[IAM]] for key policies.",
            "Keys encrypt objects. See [[IAM]] for key policies and [[S3]].",
            "Keys encrypt objects. A broken [[Nowhere]] link.",
            "Keys encrypt objects.",
        ];
        let (mut site, _) = graph(notes(edits[0]), LinkCache::default(), "");
        for edit in &edits[1..] {
            let cache = LinkCache::take(&mut site);
            let outline = cache.outline.unwrap();
            let reuse = cache
                .clone()
                .reusable(&notes(edit), outline, &|p: &Path| !p.ends_with(KMS));
            let reused = reuse.resolved.iter().filter(|r| r.is_some()).count();
            assert_eq!(reused, 3, "every note but the edited one is reused");
            assert!(reuse.backlinks.is_some() && reuse.topics.is_some());
            let (incremental, incremental_diags) = graph(notes(edit), cache, KMS);
            let (full, full_diags) = graph(notes(edit), LinkCache::default(), KMS);
            assert_eq!(incremental.graph.links, full.graph.links, "{edit}");
            assert_eq!(incremental.graph.backlinks, full.graph.backlinks, "{edit}");
            assert_eq!(incremental.graph.related, full.graph.related, "{edit}");
            assert_eq!(incremental.graph.diagnostics, full.graph.diagnostics);
            assert_eq!(incremental.graph.page_inputs, full.graph.page_inputs);
            assert_eq!(
                format!("{:?}", incremental.pages),
                format!("{:?}", full.pages)
            );
            assert_eq!(incremental_diags.into_sorted(), full_diags.into_sorted());
            assert_eq!(
                format!("{:?}", incremental.topics),
                format!("{:?}", full.topics)
            );
            site = incremental;
        }
    }
}
