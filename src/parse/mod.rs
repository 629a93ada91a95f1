//! Parse stage: reads each note once (in parallel) into a typed [`Note`] that linking, rendering and
//! search all read. Reading problems (bad UTF-8, bad front matter) become diagnostics with file and line.

pub mod frontmatter;
pub mod markdown;
mod sentence;
pub mod tape;
pub mod terms;
mod words;

use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::diag::{Diagnostic, Kind, Position};
use crate::scan::SourceFile;
use frontmatter::FrontMatter;
use markdown::Body;
use terms::TermCounts;

/// One parsed note.
#[derive(Debug, Clone)]
pub struct Note {
    pub source: SourceFile,
    pub front: FrontMatter,
    /// From front matter, else the leading `# heading`, else the first heading, else the file name.
    pub title: String,
    pub body: Body,
    /// Word counts for the related-notes ranking.
    pub terms: TermCounts,
    /// Digests that let `serve` tell what a save changed without comparing notes field by field.
    pub digest: NoteDigest,
}

/// Two digests of a note, made once at parse time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteDigest {
    /// The note's whole text: equal digests, equal notes.
    pub text: blake3::Hash,
    /// What other notes read of this one when their links are resolved and their pages rendered:
    /// title, front matter and headings (a body edit that keeps these changes only the note itself).
    pub outline: blake3::Hash,
    /// The first sentence, which lists show when the front matter has no description.
    pub summary: blake3::Hash,
}

impl NoteDigest {
    fn new(text: blake3::Hash, title: &str, front: &FrontMatter, body: &Body) -> Self {
        let mut outline = blake3::Hasher::new();
        outline.update(title.as_bytes());
        outline.update(&[0]);
        outline.update(format!("{front:?}").as_bytes());
        for heading in &body.headings {
            outline.update(&[0, heading.level]);
            outline.update(heading.id.as_bytes());
            outline.update(&[0]);
            outline.update(heading.title.as_bytes());
        }
        NoteDigest {
            text,
            outline: outline.finalize(),
            summary: blake3::hash(body.summary.as_bytes()),
        }
    }
}

impl Note {
    /// The description for lists: front matter, else the first sentence.
    pub fn description(&self) -> &str {
        self.front
            .description
            .as_deref()
            .unwrap_or(&self.body.summary)
    }

    /// The date shown as "updated": `updated`, else `date`.
    pub fn updated(&self) -> &str {
        self.front
            .updated
            .as_deref()
            .or(self.front.date.as_deref())
            .unwrap_or("")
    }
}

/// One note's parse result: the note (`None` when its front matter is unusable) and its diagnostics.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// Boxed: a 10k-note site moves its notes from stage to stage on every `serve` rebuild, and
    /// moving pointers costs nothing where moving notes cost milliseconds.
    pub note: Option<Box<Note>>,
    pub diagnostics: Vec<Diagnostic>,
    /// The hash of the file as read (`None` when it could not be read): the build record takes it
    /// from here instead of reading every note a second time.
    pub file_hash: Option<blake3::Hash>,
}

/// An earlier parse to reuse: the notes it read and one result per note, in that order.
#[derive(Default)]
pub struct PreviousParse {
    pub sources: Arc<[SourceFile]>,
    pub parsed: Vec<Parsed>,
}

/// Reads and parses every note in parallel, reusing `previous` results for paths `is_unchanged`
/// accepts (so `serve` re-reads only the notes that changed). Drafts are kept: the link graph hides
/// them unless asked for, so links to them are not reported as broken. Results are in `sources` order.
/// With `compress`, each note's events are compressed as soon as it is parsed (see
/// [`Body::compress`]), so the texts of all notes are never in memory at once.
pub fn parse_all(
    sources: &Arc<[SourceFile]>,
    previous: PreviousParse,
    is_unchanged: &(dyn Fn(&Path) -> bool + Sync),
    progress: &(dyn Fn() + Sync),
    compress: bool,
) -> Vec<Parsed> {
    let reused = reusable(sources, previous, is_unchanged);
    sources
        .par_iter()
        .zip(reused)
        // Short runs, so neither worker is left waiting while the other ends a long one.
        .with_max_len(32)
        .map(|(source, reused)| {
            let parsed = reused.unwrap_or_else(|| {
                let mut parsed = read_and_parse(source);
                if let Some(note) = parsed.note.as_mut().filter(|_| compress) {
                    note.body.compress();
                }
                parsed
            });
            progress();
            parsed
        })
        .collect()
}

/// The previous parse of each source, when unchanged. A reused note keeps the source record it was
/// parsed with: `rel` and `display` follow from the path and the configuration, and a configuration
/// change rebuilds from scratch.
fn reusable(
    sources: &Arc<[SourceFile]>,
    previous: PreviousParse,
    is_unchanged: &(dyn Fn(&Path) -> bool + Sync),
) -> Vec<Option<Parsed>> {
    // The same scan (no file added or removed): results line up with the sources, and no note of a
    // 10k-note site is touched, which is what made this step cost milliseconds.
    if Arc::ptr_eq(&previous.sources, sources) && previous.parsed.len() == sources.len() {
        return previous
            .parsed
            .into_iter()
            .zip(sources.iter())
            .map(|(parsed, s)| is_unchanged(&s.path).then_some(parsed))
            .collect();
    }
    let mut by_path: HashMap<&Path, Parsed> = previous
        .sources
        .iter()
        .map(|s| s.path.as_path())
        .zip(previous.parsed)
        .collect();
    sources
        .iter()
        .map(|s| {
            if is_unchanged(&s.path) {
                by_path.remove(s.path.as_path())
            } else {
                None
            }
        })
        .collect()
}

/// The thin I/O wrapper around [`parse_note`].
pub fn read_and_parse(source: &SourceFile) -> Parsed {
    let bytes = match std::fs::read(&source.path) {
        Ok(bytes) => bytes,
        Err(e) => {
            let diag =
                Diagnostic::error(Kind::Io, &source.display, format!("cannot read note: {e}"));
            return Parsed {
                note: None,
                diagnostics: vec![diag],
                file_hash: None,
            };
        }
    };
    let file_hash = blake3::hash(&bytes);
    let mut diagnostics = Vec::new();
    // The file's hash is its text's too when the bytes are the text.
    let mut text_hash = Some(file_hash);
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
            diagnostics.push(
                Diagnostic::warning(
                    Kind::Encoding,
                    &source.display,
                    "the file is not valid UTF-8; invalid bytes were replaced with �",
                )
                .at(Position { line, column: 0 })
                .with_hint("save the note as UTF-8"),
            );
            text_hash = None;
            String::from_utf8_lossy(&bytes).into_owned()
        }
    };
    let (note, more) = parse_hashed_note(source.clone(), &text, text_hash);
    diagnostics.extend(more);
    Parsed {
        note: note.map(Box::new),
        diagnostics,
        file_hash: Some(file_hash),
    }
}

/// Parses a note from its text; `None` when the front matter is unusable.
pub fn parse_note(source: SourceFile, text: &str) -> (Option<Note>, Vec<Diagnostic>) {
    parse_hashed_note(source, text, None)
}

/// [`parse_note`], given `text`'s blake3 hash when it is known (hashing every note's text twice,
/// as a file and as a note, was 1% of a build).
fn parse_hashed_note(
    source: SourceFile,
    text: &str,
    text_hash: Option<blake3::Hash>,
) -> (Option<Note>, Vec<Diagnostic>) {
    let (text, text_hash) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, None),
        None => (text, text_hash),
    };
    let text_hash = text_hash.unwrap_or_else(|| blake3::hash(text.as_bytes()));
    let split = frontmatter::split(text);
    let mut diagnostics = Vec::new();
    let mut fatal = false;
    for issue in &split.issues {
        fatal |= issue.fatal;
        let make = if issue.fatal {
            Diagnostic::error
        } else {
            Diagnostic::warning
        };
        let mut diag = make(
            Kind::FrontMatter,
            source.display.clone(),
            issue.message.clone(),
        )
        .at(Position {
            line: issue.line,
            column: 0,
        });
        diag.hint = issue.hint.clone();
        diagnostics.push(diag);
    }
    if fatal {
        return (None, diagnostics);
    }
    let front = split.front;
    let (body, plain_text) = markdown::parse_body(text, split.body_offset, front.title.as_deref());
    let title = front
        .title
        .clone()
        .filter(|t| !t.is_empty())
        .or_else(|| body.leading_title.clone())
        .or_else(|| body.headings.first().map(|h| h.title.clone()))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| title_from_file_name(&source));
    let terms = TermCounts::count(&title, &plain_text);
    let digest = NoteDigest::new(text_hash, &title, &front, &body);
    (
        Some(Note {
            source,
            front,
            title,
            body,
            terms,
            digest,
        }),
        diagnostics,
    )
}

fn title_from_file_name(source: &SourceFile) -> String {
    let stem = source
        .rel
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let words = stem.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Untitled".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn source(rel: &str) -> SourceFile {
        SourceFile {
            path: PathBuf::from("/site/notes").join(rel),
            rel: rel.into(),
            display: PathBuf::from("notes").join(rel),
        }
    }

    #[test]
    fn title_falls_back_from_front_matter_to_heading_to_file_name() {
        let (note, _) = parse_note(source("a.md"), "---\ntitle: Front\n---\n# Heading\n");
        assert_eq!(note.unwrap().title, "Front");
        let (note, _) = parse_note(source("a.md"), "## AWS API\ntext");
        assert_eq!(note.unwrap().title, "AWS API");
        let (note, _) = parse_note(source("key-pairs_and more.md"), "");
        assert_eq!(note.unwrap().title, "Key pairs and more");
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let (note, diags) = parse_note(
            source("a.md"),
            "\u{feff}---\r\ntitle: CRLF\r\ntopics: [aws]\r\n---\r\n## Part\r\ntext\r\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let note = note.unwrap();
        assert_eq!(note.title, "CRLF");
        assert_eq!(note.front.topics, ["aws"]);
        assert_eq!(note.body.headings[0].id, "part");
        assert_eq!(note.body.headings[0].position.line, 5);
    }

    /// A note read from a file gets the same text digest as one parsed from its text, with or
    /// without a byte-order mark, and with invalid bytes.
    #[test]
    fn the_text_digest_is_the_same_read_from_a_file_or_given_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [&[u8]; 3] = [
            b"# A\ntext\n",
            b"\xef\xbb\xbf# A\ntext\n",
            b"# A\n\xff text\n",
        ];
        for bytes in cases {
            let path = dir.path().join("a.md");
            std::fs::write(&path, bytes).unwrap();
            let file = SourceFile {
                path,
                rel: "a.md".into(),
                display: "notes/a.md".into(),
            };
            let read = read_and_parse(&file).note.expect("a note");
            let text = String::from_utf8_lossy(bytes);
            let (given, _) = parse_note(file, &text);
            assert_eq!(read.digest, given.unwrap().digest, "{bytes:?}");
        }
    }

    #[test]
    fn broken_front_matter_is_an_error_and_drops_the_note() {
        let (note, diags) = parse_note(source("bad.md"), "+++\ntitle = \n+++\n");
        assert!(note.is_none());
        assert_eq!(diags[0].severity, crate::diag::Severity::Error);
        assert_eq!(diags[0].location(), "notes/bad.md:2");
    }
}
