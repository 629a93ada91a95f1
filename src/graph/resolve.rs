//! Link resolution: turns every link and image reference of every note into a typed target, through one
//! resolver, so `build` and `check` report every broken form the same way (file:line:column, suggestion).

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::diag::{Diagnostic, Kind};
use crate::parse::markdown::{ImageRef, Link, LinkKind};
use crate::parse::Note;

use super::suggest;

pub type NoteId = usize;

/// Where a link goes.
#[derive(Debug, Clone, PartialEq, Hash, Eq)]
pub enum LinkTarget {
    /// Another note (or the same one), optionally at a heading id.
    Note {
        note: NoteId,
        fragment: Option<String>,
    },
    /// A heading in the same note.
    Fragment(String),
    /// Leaves the site: kept as written.
    External(String),
    /// A local file that is not a note, copied to the output.
    File {
        path: PathBuf,
        fragment: Option<String>,
    },
    /// A note left out of the output (private, or a draft without `--drafts`): rendered as plain text.
    Hidden,
    /// Rendered as a visibly broken link.
    Broken,
}

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Hash, Eq)]
pub enum ImageTarget {
    /// A file inside the site root (canonical path).
    Local(PathBuf),
    External(String),
    /// Not found, or refused because it points outside the site: a placeholder is rendered.
    Missing,
}

/// Resolves links against the notes of one site, through [`Tables`].
pub struct Resolver<'a> {
    notes: &'a [Box<Note>],
    hidden: &'a [bool],
    tables: Arc<Tables>,
    /// Paths looked for and not found: a file created there can change a page.
    absent: Mutex<Vec<PathBuf>>,
}

/// Lookup tables built once per site; they depend only on the notes' paths, titles, aliases and
/// headings and on the image files, so `serve` keeps them while those stay the same.
#[derive(Debug)]
pub struct Tables {
    root: PathBuf,
    notes_dir: PathBuf,
    img_dir: PathBuf,
    by_path: HashMap<PathBuf, NoteId>,
    by_name: HashMap<String, Vec<NoteId>>,
    images_by_name: HashMap<String, Vec<PathBuf>>,
    /// `by_name`'s keys, sorted by length, built on the first broken link.
    names_by_length: OnceLock<Vec<suggest::Name>>,
    /// Suggestions already worked out, by what was wanted (copied sites repeat their broken links).
    suggestions: Mutex<HashMap<String, Option<String>>>,
}

impl std::ops::Deref for Resolver<'_> {
    type Target = Tables;

    fn deref(&self) -> &Tables {
        &self.tables
    }
}

/// Paths the resolver needs.
pub struct Roots<'a> {
    pub root: &'a Path,
    pub notes_dir: &'a Path,
    pub img_dir: &'a Path,
    pub images: &'a [PathBuf],
}

impl<'a> Resolver<'a> {
    pub fn new(notes: &'a [Box<Note>], hidden: &'a [bool], roots: Roots<'_>) -> Self {
        let root = roots
            .root
            .canonicalize()
            .unwrap_or_else(|_| roots.root.to_path_buf());
        let mut by_path = HashMap::with_capacity_and_hasher(notes.len(), Default::default());
        let mut by_name: HashMap<String, Vec<NoteId>> =
            HashMap::with_capacity_and_hasher(3 * notes.len(), Default::default());
        // Keys are worked out in parallel (paths normalised, names lower-cased), inserted in note order.
        let keys: Vec<(PathBuf, Vec<String>)> = notes
            .par_iter()
            .map(|note| (normalize(&note.source.rel), lookup_names(note)))
            .collect();
        for (id, (path, names)) in keys.into_iter().enumerate() {
            by_path.insert(path, id);
            for name in names {
                let entry = by_name.entry(name).or_default();
                if !entry.contains(&id) {
                    entry.push(id);
                }
            }
        }
        let mut images_by_name: HashMap<String, Vec<PathBuf>> = HashMap::default();
        for image in roots.images {
            if let Some(name) = image.file_name() {
                images_by_name
                    .entry(name.to_string_lossy().to_lowercase())
                    .or_default()
                    .push(image.clone());
            }
        }
        let tables = Tables {
            root,
            notes_dir: roots.notes_dir.to_path_buf(),
            img_dir: roots.img_dir.to_path_buf(),
            by_path,
            by_name,
            images_by_name,
            names_by_length: OnceLock::new(),
            suggestions: Mutex::default(),
        };
        Resolver::with_tables(notes, hidden, Arc::new(tables))
    }

    /// A resolver over tables built for the same notes (same outline) before.
    pub fn with_tables(notes: &'a [Box<Note>], hidden: &'a [bool], tables: Arc<Tables>) -> Self {
        Resolver {
            notes,
            hidden,
            tables,
            absent: Mutex::default(),
        }
    }

    /// Resolves one link of note `from`; problems are returned as diagnostics.
    pub fn link(&self, from: NoteId, link: &Link) -> (LinkTarget, Option<Diagnostic>) {
        match link.kind {
            LinkKind::Wiki => self.wikilink(from, link),
            LinkKind::Markdown => self.markdown_link(from, link),
        }
    }

    fn markdown_link(&self, from: NoteId, link: &Link) -> (LinkTarget, Option<Diagnostic>) {
        let dest = link.dest.trim();
        if dest.is_empty() || is_external(dest) {
            return (LinkTarget::External(dest.to_string()), None);
        }
        let (path, fragment) = split_fragment(dest);
        let path = path.split('?').next().unwrap_or("");
        if path.is_empty() {
            return self.fragment_in(from, from, fragment, link);
        }
        let decoded = percent_decode(path);
        let note_dir = self.notes[from]
            .source
            .rel
            .parent()
            .unwrap_or(Path::new(""));
        let in_notes = normalize(&note_dir.join(&decoded));
        // Tried in order, each worked out only when the one before is not a note.
        let found = self
            .by_path
            .get(&in_notes)
            .or_else(|| self.by_path.get(&in_notes.with_extension("md")))
            .or_else(|| {
                let from_root = normalize(Path::new(decoded.trim_start_matches('/')));
                self.by_path.get(&from_root)
            });
        if let Some(&id) = found {
            return self.fragment_in(from, id, fragment, link);
        }
        if !is_note_path(&decoded) {
            if let Some(file) = self.local_file(&self.notes_dir.join(note_dir), &decoded) {
                return (
                    LinkTarget::File {
                        path: file,
                        fragment: fragment.map(str::to_string),
                    },
                    None,
                );
            }
        }
        let suggestion = self.suggest(&decoded);
        let diag = self.diag(
            from,
            link,
            Kind::BrokenLink,
            format!("broken link: `{dest}` is not a note or a file in the site"),
        );
        (LinkTarget::Broken, Some(with_suggestion(diag, suggestion)))
    }

    fn wikilink(&self, from: NoteId, link: &Link) -> (LinkTarget, Option<Diagnostic>) {
        let (name, fragment) = split_fragment(link.dest.trim());
        if name.is_empty() {
            return self.fragment_in(from, from, fragment, link);
        }
        match self
            .by_name
            .get(&name.trim().to_lowercase())
            .map(Vec::as_slice)
        {
            Some([id]) => self.fragment_in(from, *id, fragment, link),
            Some(ids) if !ids.is_empty() => {
                let id = *ids
                    .iter()
                    .min_by_key(|&&id| &self.notes[id].source.rel)
                    .unwrap_or(&ids[0]);
                let (target, diag) = self.fragment_in(from, id, fragment, link);
                let names: Vec<String> = ids
                    .iter()
                    .map(|&i| format!("`{}`", self.notes[i].source.display.display()))
                    .collect();
                let ambiguous = self
                    .diag(
                        from,
                        link,
                        Kind::AmbiguousLink,
                        format!(
                            "ambiguous wikilink `[[{name}]]` matches {}",
                            names.join(", ")
                        ),
                    )
                    .with_hint(format!(
                        "linked to `{}`; write the file path (`[[folder/name]]`) to choose",
                        self.notes[id].source.display.display()
                    ));
                (target, diag.or(Some(ambiguous)))
            }
            _ => {
                let suggestion = self.suggest(name);
                let diag = self.diag(
                    from,
                    link,
                    Kind::BrokenLink,
                    format!("broken wikilink: no note is titled or named `{name}`"),
                );
                (LinkTarget::Broken, Some(with_suggestion(diag, suggestion)))
            }
        }
    }

    /// A link to note `to` (maybe `from` itself) with an optional heading fragment.
    fn fragment_in(
        &self,
        from: NoteId,
        to: NoteId,
        fragment: Option<&str>,
        link: &Link,
    ) -> (LinkTarget, Option<Diagnostic>) {
        if self.hidden[to] && !self.hidden[from] {
            return (LinkTarget::Hidden, None);
        }
        let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
            return (note_target(from, to, None), None);
        };
        // Most fragments are heading ids as written: found without decoding or allocating.
        let fragment: Cow<str> = if fragment.contains('%') {
            percent_decode(fragment).into()
        } else {
            fragment.into()
        };
        let headings = &self.notes[to].body.headings;
        let found = headings.iter().find(|h| h.id == *fragment).or_else(|| {
            let wanted = crate::parse::markdown::heading_slug(&fragment);
            headings
                .iter()
                .find(|h| h.id == wanted || h.title.eq_ignore_ascii_case(&fragment))
        });
        if let Some(heading) = found {
            return (note_target(from, to, Some(heading.id.clone())), None);
        }
        let ids: Vec<&str> = headings.iter().map(|h| h.id.as_str()).collect();
        let suggestion = suggest::best_match(&fragment, ids.iter().copied())
            .map(|id| format!("did you mean `#{id}`?"));
        let target_name = &self.notes[to].source.display;
        let mut diag = self.diag(
            from,
            link,
            Kind::BrokenFragment,
            format!(
                "broken fragment: `{}` has no heading `#{fragment}`",
                target_name.display()
            ),
        );
        diag.hint = suggestion.or_else(|| Some("the link goes to the top of the note".into()));
        (note_target(from, to, None), Some(diag))
    }

    /// Resolves an image reference: next to the note, then the site root, then `img_dir`.
    pub fn image(&self, from: NoteId, image: &ImageRef) -> (ImageTarget, Option<Diagnostic>) {
        let dest = image.dest.trim();
        if is_external(dest) {
            return (ImageTarget::External(dest.to_string()), None);
        }
        let decoded = percent_decode(dest.split(['?', '#']).next().unwrap_or(""));
        let note_dir = self.notes_dir.join(
            self.notes[from]
                .source
                .rel
                .parent()
                .unwrap_or(Path::new("")),
        );
        let found = self
            .local_file(&note_dir, &decoded)
            .or_else(|| self.image_by_name(&decoded, image.kind));
        if let Some(path) = found {
            return (ImageTarget::Local(path), None);
        }
        let display = &self.notes[from].source.display;
        let escapes = self.escapes_root(&note_dir, &decoded);
        let diag = if escapes {
            Diagnostic::warning(
                Kind::UnsafePath,
                display,
                format!("image `{dest}` points outside the site root and was not read"),
            )
            .with_hint("keep screenshots inside the site, e.g. in img/")
        } else {
            Diagnostic::warning(
                Kind::MissingImage,
                display,
                format!("missing image: `{dest}`"),
            )
            .with_hint(format!(
                "put the file in {}/ or fix the path; a placeholder is shown",
                self.img_dir_display()
            ))
        };
        (ImageTarget::Missing, Some(diag.at(image.position)))
    }

    /// Finds an existing file for a relative reference, never outside the site root.
    fn local_file(&self, note_dir: &Path, reference: &str) -> Option<PathBuf> {
        if reference.is_empty() {
            return None;
        }
        let relative = reference.trim_start_matches('/');
        let bases = [note_dir, self.root.as_path(), self.img_dir.as_path()];
        let mut candidates: Vec<PathBuf> = if Path::new(reference).is_absolute() {
            vec![self.root.join(relative)]
        } else {
            bases.iter().map(|b| b.join(reference)).collect()
        };
        if let Some(name) = Path::new(reference).file_name() {
            candidates.push(self.img_dir.join(name));
        }
        candidates.into_iter().find_map(|c| self.inside_root(&c))
    }

    fn image_by_name(&self, reference: &str, kind: LinkKind) -> Option<PathBuf> {
        if kind != LinkKind::Wiki {
            return None;
        }
        let name = Path::new(reference)
            .file_name()?
            .to_string_lossy()
            .to_lowercase();
        self.images_by_name
            .get(&name)?
            .first()
            .and_then(|p| self.inside_root(p))
    }

    /// The canonical path of `path` if it is an existing file inside the site root.
    fn inside_root(&self, path: &Path) -> Option<PathBuf> {
        let Ok(canonical) = path.canonicalize() else {
            self.absent_at(path);
            return None;
        };
        (canonical.starts_with(&self.root) && canonical.is_file()).then_some(canonical)
    }

    fn absent_at(&self, path: &Path) {
        if let Ok(mut absent) = self.absent.lock() {
            absent.push(path.to_path_buf());
        }
    }

    /// Every path looked for and not found, sorted, once each.
    /// The paths found missing, and the tables for the next resolver over the same notes.
    pub fn finish(self) -> (Vec<PathBuf>, Arc<Tables>) {
        let mut absent = self.absent.into_inner().unwrap_or_default();
        absent.sort_unstable();
        absent.dedup();
        (absent, self.tables)
    }

    fn escapes_root(&self, note_dir: &Path, reference: &str) -> bool {
        if Path::new(reference).is_absolute() {
            let inside = self.root.join(reference.trim_start_matches('/'));
            if inside.exists() {
                return false;
            }
            self.absent_at(&inside);
            return true;
        }
        let root = normalize(&self.root);
        !normalize(&note_dir.join(reference)).starts_with(&root)
    }

    fn img_dir_display(&self) -> String {
        self.img_dir
            .strip_prefix(&self.root)
            .unwrap_or(&self.img_dir)
            .display()
            .to_string()
    }

    fn diag(&self, from: NoteId, link: &Link, kind: Kind, message: String) -> Diagnostic {
        Diagnostic::warning(kind, &self.notes[from].source.display, message).at(link.position)
    }

    /// The closest note title or file name to a broken reference.
    fn suggest(&self, wanted: &str) -> Option<String> {
        let stem = Path::new(wanted)
            .with_extension("")
            .to_string_lossy()
            .to_lowercase();
        // A poisoned lock only means another thread panicked; the memo is still valid.
        let lock = || {
            self.suggestions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(known) = lock().get(&stem) {
            return known.clone();
        }
        let suggestion = self.closest_name(&stem).map(|best| {
            let id = self.by_name[&best][0];
            let note = &self.notes[id];
            format!(
                "did you mean `{}` ({})?",
                note.title,
                note.source.display.display()
            )
        });
        lock().insert(stem, suggestion.clone());
        suggestion
    }

    /// The closest key of `by_name` to a broken reference (see [`suggest::closest`]).
    fn closest_name(&self, stem: &str) -> Option<String> {
        let names = self
            .names_by_length
            .get_or_init(|| suggest::by_length(self.by_name.keys()));
        suggest::closest(names, stem)
    }
}

fn note_target(from: NoteId, to: NoteId, fragment: Option<String>) -> LinkTarget {
    match fragment {
        Some(id) if from == to => LinkTarget::Fragment(id),
        fragment => LinkTarget::Note { note: to, fragment },
    }
}

fn with_suggestion(diag: Diagnostic, suggestion: Option<String>) -> Diagnostic {
    match suggestion {
        Some(s) => diag.with_hint(s),
        // No likely typo to point at: still say how a working link is written.
        None => diag.with_hint(
            "link a note by its path from this note (`other.md`) or its title (`[[Other note]]`)",
        ),
    }
}

/// The lower-cased names a wikilink can use for a note: title, file stem, path without extension,
/// aliases.
fn lookup_names(note: &Note) -> Vec<String> {
    let rel = &note.source.rel;
    let stem_path = rel.with_extension("").to_string_lossy().replace('\\', "/");
    let stem = rel
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    [note.title.as_str(), &stem, &stem_path]
        .into_iter()
        .chain(note.front.aliases.iter().map(String::as_str))
        .map(str::to_lowercase)
        .collect()
}

/// `scheme:` (http, mailto, …) or protocol-relative `//host`.
pub fn is_external(dest: &str) -> bool {
    if dest.starts_with("//") {
        return true;
    }
    let Some((scheme, _)) = dest.split_once(':') else {
        return false;
    };
    // A single letter is a Windows drive, not a scheme.
    scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn is_note_path(path: &str) -> bool {
    let lower = path.to_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

fn split_fragment(dest: &str) -> (&str, Option<&str>) {
    match dest.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (dest, None),
    }
}

pub fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Removes `.` and resolves `..` lexically (no file system access).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                // `..` above the start stays, so a path escaping its base is still seen as escaping.
                let at_start = out.as_os_str().is_empty() || out.ends_with("..");
                if at_start || !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn externals_and_drive_letters() {
        assert!(is_external("https://aws.amazon.com"));
        assert!(is_external("mailto:me@example.com"));
        assert!(is_external("//cdn.example.com/x.png"));
        assert!(!is_external("C:/notes/a.md"));
        assert!(!is_external("iam.md#roles"));
    }

    #[test]
    fn normalize_resolves_parent_components() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.md")),
            PathBuf::from("a/c.md")
        );
        assert_eq!(
            normalize(Path::new("../../etc/passwd")),
            PathBuf::from("../../etc/passwd")
        );
    }
}
