//! From a parsed note to what search stores about it: the weighted fields that make its postings
//! (one quantized BM25F impact per term) and the fragment text the browser cuts snippets from.

use pulldown_cmark::{Event, Tag, TagEnd};
use std::borrow::Borrow;

use super::json;
use super::tokenize::{Term, TermId, Tokenizer};
use crate::parse::Note;

/// Field weights: how much one occurrence of a term counts, by where it occurs.
pub const ALIAS: f32 = 4.0;
pub const TOPIC: f32 = 3.0;
pub const HEADING: f32 = 2.5;
pub const DESCRIPTION: f32 = 1.5;
pub const BODY: f32 = 1.0;
pub const CODE: f32 = 0.9;
pub const ALT: f32 = 0.6;
pub const FILE_NAME: f32 = 0.4;
/// Text read in a screenshot by OCR: below the note's own words (OCR misreads, and a screenshot of
/// a console shows much that the note is not about).
pub const OCR: f32 = 0.5;
/// A part of a compound (`object` in `PutObject`) counts this much of a whole word.
pub const PART: f32 = 0.6;

/// BM25 saturation and length normalization.
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// The share of the impact a title match decides: a note whose title holds the term (and that
/// mentions it once) outranks one that only mentions it, however often.
const TITLE_SHARE: f32 = 0.6;
/// Impacts are quantized to 1..=MAX_IMPACT (one base-64 digit on the wire).
pub const MAX_IMPACT: u8 = 63;

/// What the index keeps of one note before impacts are computed.
#[derive(Debug, Default)]
pub struct DocTerms {
    /// Each distinct term with (weighted frequency outside the title, title match 0..=1).
    pub terms: Vec<(Term, f32, f32)>,
    /// Unweighted token count, for length normalization.
    pub length: u32,
}

/// A document's term weights while it is read: a slot per term number of one tokenizer, kept by
/// its worker from one document to the next and left empty after each (a hash map per document
/// was 2% of a large build).
#[derive(Default)]
pub struct Weights {
    /// (weighted frequency outside the title, title match) by term number; `UNSEEN` in the
    /// current document.
    slots: Vec<(f32, f32)>,
    /// The terms of the current document, in order of first sight.
    seen: Vec<TermId>,
    length: u32,
}

const UNSEEN: (f32, f32) = (-1.0, -1.0);

impl Weights {
    fn slot(&mut self, term: TermId) -> &mut (f32, f32) {
        let at = term as usize;
        if at >= self.slots.len() {
            self.slots.resize(at + 1, UNSEEN);
        }
        let slot = &mut self.slots[at];
        if *slot == UNSEEN {
            self.seen.push(term);
            *slot = (0.0, 0.0);
        }
        slot
    }

    /// The document's terms, leaving the slots empty for the next one.
    fn take(&mut self, tokenizer: &Tokenizer) -> DocTerms {
        let terms = self
            .seen
            .drain(..)
            .map(|id| {
                let (tf, title) = std::mem::replace(&mut self.slots[id as usize], UNSEEN);
                (tokenizer.term(id), tf, title)
            })
            .collect();
        DocTerms {
            terms,
            length: std::mem::take(&mut self.length),
        }
    }
}

/// The text a result shows: plain text of the note with its headings' positions.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct Fragment {
    /// Title.
    pub t: String,
    /// URL relative to the site root.
    pub u: String,
    /// Topics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub p: Vec<String>,
    /// Headings: (offset in UTF-16 units into `x`, level, id, title).
    pub h: Vec<(usize, u8, String, String)>,
    /// Plain text, blocks separated by newlines.
    pub x: String,
}

impl Fragment {
    /// About how many bytes the fragment's JSON takes: its file is sized for it up front, where
    /// `serde_json::to_vec` starts from 128 bytes and regrows (copying) about seven times.
    pub fn json_len(&self) -> usize {
        let headings: usize = self
            .h
            .iter()
            .map(|(_, _, id, title)| id.len() + title.len() + 16)
            .sum();
        let topics: usize = self.p.iter().map(|p| p.len() + 3).sum();
        // Escapes (quotes, backslashes, line breaks) add 1% to the 1k corpus's typical note, 7%
        // to one in a hundred: a thirty-second more covers most.
        let text = self.x.len() + self.t.len() + self.u.len();
        text + text / 32 + headings + topics + 32
    }

    /// Appends the fragment's JSON to `out`: what serde_json makes of it, written by hand around
    /// [`json::push_str`] (the note's text is most of the index's bytes).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        use std::io::Write as _;
        out.extend_from_slice(b"{\"t\":");
        json::push_str(out, &self.t);
        out.extend_from_slice(b",\"u\":");
        json::push_str(out, &self.u);
        if !self.p.is_empty() {
            out.extend_from_slice(b",\"p\":");
            json::push_str_array(out, self.p.iter().map(String::as_str));
        }
        out.extend_from_slice(b",\"h\":[");
        for (i, (offset, level, id, title)) in self.h.iter().enumerate() {
            let comma = if i > 0 { "," } else { "" };
            let _ = write!(out, "{comma}[{offset},{level},");
            json::push_str(out, id);
            out.push(b',');
            json::push_str(out, title);
            out.push(b']');
        }
        out.extend_from_slice(b"],\"x\":");
        json::push_str(out, &self.x);
        out.push(b'}');
    }
}

/// The fields of a note, split by weight, plus its fragment.
#[derive(Debug, Default)]
struct Fields {
    prose: String,
    code: String,
    headings: String,
    alt: String,
    ocr: String,
    /// Alt text of the image being read.
    image: Option<String>,
    fragment: Fragment,
    utf16: usize,
}

impl Fields {
    fn push_text(&mut self, text: &str) {
        let at_block_start = self.fragment.x.is_empty() || self.fragment.x.ends_with('\n');
        let text = if at_block_start {
            text.trim_start_matches(' ')
        } else {
            text
        };
        self.fragment.x.push_str(text);
        self.utf16 += if text.is_ascii() {
            text.len()
        } else {
            text.encode_utf16().count()
        };
    }

    /// OCR text as one block of the fragment, its whitespace collapsed (tesseract keeps the
    /// screenshot's line breaks and column gaps).
    fn add_ocr(&mut self, text: &str) {
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.is_empty() {
            return;
        }
        let line = words.join(" ");
        self.block_end();
        self.push_text(&line);
        self.block_end();
        self.ocr.push_str(&line);
        self.ocr.push('\n');
    }

    fn block_end(&mut self) {
        if !self.fragment.x.is_empty() && !self.fragment.x.ends_with('\n') {
            self.push_text("\n");
        }
    }
}

/// Walks the note's parsed events once, sorting text into fields and building the fragment. `ocr`
/// is the text read in each image, aligned with `note.body.images`: it joins the fragment right
/// after its image, so a snippet or heading sub-result that matches it points at the right place.
fn fields<'e, E: Borrow<Event<'e>>>(
    note: &Note,
    url: &str,
    ocr: &[Option<&str>],
    events: impl Iterator<Item = E>,
) -> Fields {
    let mut f = Fields {
        fragment: Fragment {
            t: note.title.clone(),
            u: url.to_string(),
            p: note.front.topics.clone(),
            ..Fragment::default()
        },
        ..Fields::default()
    };
    let mut headings = note.body.headings.iter();
    let (mut in_heading, mut in_code) = (false, false);
    let mut ocr = ocr.iter();
    for event in events {
        match event.borrow() {
            Event::Start(Tag::Heading { .. }) => {
                f.block_end();
                in_heading = true;
                if let Some(h) = headings.next() {
                    let entry = (f.utf16, h.level, h.id.clone(), h.title.clone());
                    f.fragment.h.push(entry);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                f.headings.push('\n');
                f.block_end();
            }
            Event::Start(Tag::CodeBlock(_)) => {
                f.block_end();
                in_code = true;
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                f.code.push('\n');
                f.block_end();
            }
            Event::Start(Tag::Image { .. }) => f.image = Some(String::new()),
            Event::End(TagEnd::Image) => {
                let alt = f.image.take().unwrap_or_default();
                // Exported notes often use the file name as alt text: indexed, but no snippet.
                if !looks_like_file_name(&alt) {
                    f.push_text(&alt);
                }
                f.alt.push_str(&alt);
                f.alt.push('\n');
                if let Some(Some(text)) = ocr.next() {
                    f.add_ocr(text);
                }
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableRow | TagEnd::TableHead) => {
                f.block_end()
            }
            Event::End(TagEnd::TableCell) | Event::SoftBreak => f.push_text(" "),
            Event::HardBreak => f.push_text("\n"),
            Event::Text(text) if f.image.is_some() => {
                f.image.get_or_insert_default().push_str(text);
            }
            Event::Text(text) => {
                let field = match (in_heading, in_code) {
                    (true, _) => &mut f.headings,
                    (_, true) => &mut f.code,
                    _ => &mut f.prose,
                };
                field.push_str(text);
                field.push(' ');
                f.push_text(text);
            }
            Event::Code(text) => {
                let field = if in_heading {
                    &mut f.headings
                } else {
                    &mut f.code
                };
                field.push_str(text);
                field.push(' ');
                f.push_text(text);
            }
            _ => {}
        }
    }
    let x = f.fragment.x.trim_end().len();
    f.fragment.x.truncate(x);
    f
}

fn looks_like_file_name(alt: &str) -> bool {
    let alt = alt.trim();
    !alt.contains(' ')
        && alt.rsplit_once('.').is_some_and(|(_, ext)| {
            ["png", "jpg", "jpeg", "gif", "webp", "svg", "bmp"]
                .contains(&ext.to_ascii_lowercase().as_str())
        })
}

/// Tokenizes every field of `note` and returns its terms and fragment; `ocr` as in [`fields`].
/// `doc` is the worker's [`Weights`] for `tokenizer`, empty before and after.
pub fn document(
    tokenizer: &Tokenizer,
    doc: &mut Weights,
    note: &Note,
    url: &str,
    ocr: &[Option<&str>],
) -> (DocTerms, Fragment) {
    let tape = note.body.tape();
    let f = fields(note, url, ocr, tape.events());
    weigh(tokenizer, doc, note, f)
}

/// [`document`] from the note's events as the render stage read them (`Body::tape`), which spares
/// reading them once more.
pub fn document_from_events(
    tokenizer: &Tokenizer,
    doc: &mut Weights,
    note: &Note,
    url: &str,
    ocr: &[Option<&str>],
    events: &[Event<'_>],
) -> (DocTerms, Fragment) {
    let f = fields(note, url, ocr, events.iter());
    weigh(tokenizer, doc, note, f)
}

/// Tokenizes the title, front matter and `f`'s fields into `doc`'s weighted terms.
fn weigh(tokenizer: &Tokenizer, doc: &mut Weights, note: &Note, f: Fields) -> (DocTerms, Fragment) {
    title_terms(tokenizer, &note.title, 1.0, doc);
    for alias in &note.front.aliases {
        title_terms(tokenizer, alias, ALIAS / 5.0, doc);
    }
    let mut add = |text: &str, weight: f32| {
        tokenizer.each_term(text, |term, part| {
            let w = if part { PART } else { 1.0 };
            doc.length += 1;
            doc.slot(term).0 += w * weight;
        });
    };
    for topic in &note.front.topics {
        add(topic, TOPIC);
    }
    add(note.description(), DESCRIPTION);
    add(&f.headings, HEADING);
    add(&f.prose, BODY);
    add(&f.code, CODE);
    add(&f.alt, ALT);
    add(&f.ocr, OCR);
    for image in &note.body.images {
        add(&image.title, ALT);
        add(&file_name(&image.dest), FILE_NAME);
    }
    (doc.take(tokenizer), f.fragment)
}

/// Title (or alias) terms: a match counts fully for the first word of a one-word title, less for
/// later words (`IAM (Identity …)` is about IAM; `Getting started … IAM users` less so) and for
/// longer titles.
fn title_terms(tokenizer: &Tokenizer, title: &str, weight: f32, doc: &mut Weights) {
    let mut tokens = Vec::new();
    tokenizer.each_term(title, |term, part| tokens.push((term, part)));
    let words = tokens.iter().filter(|(_, part)| !part).count().max(1);
    let weight = weight / (1.0 + 0.1 * (words - 1) as f32);
    let mut word = 0;
    for (term, part) in tokens {
        word += usize::from(!part);
        let position = if word <= 1 { 1.0 } else { 0.75 };
        let value = weight * position * if part { PART } else { 1.0 };
        doc.length += 1;
        let slot = doc.slot(term);
        slot.1 = slot.1.max(value);
    }
}

/// `./img/aws_console-01.png` → `aws_console-01`: screenshot names often say what they show.
fn file_name(dest: &str) -> String {
    let name = dest.rsplit(['/', '\\']).next().unwrap_or(dest);
    let name = name.split(['?', '#']).next().unwrap_or(name);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    percent_encoding::percent_decode_str(stem)
        .decode_utf8_lossy()
        .into_owned()
}

/// The quantized impact of a term in a document: BM25 over the weighted non-title frequency, plus a
/// fixed share for a title (or alias) match.
pub fn impact(tf: f32, title: f32, length: u32, avg_length: f32) -> u8 {
    let norm = K1 * (1.0 - B + B * length as f32 / avg_length.max(1.0));
    let body = if tf > 0.0 { tf / (tf + norm) } else { 0.0 };
    let value = TITLE_SHARE * title.min(1.0) + (1.0 - TITLE_SHARE) * body;
    (value * MAX_IMPACT as f32)
        .round()
        .clamp(1.0, MAX_IMPACT as f32) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_note;
    use crate::scan::SourceFile;

    #[test]
    fn a_fragment_is_written_as_serde_json_writes_it() {
        let mut fragment = Fragment {
            t: "Title \"q\" <b>".into(),
            u: "notes/a b.html".into(),
            p: Vec::new(),
            h: vec![
                (0, 1, "id".into(), "A\\B".into()),
                (12, 6, "x-1".into(), "é\n".into()),
            ],
            x: "Line one\nline \"two\"\tend\u{1}".into(),
        };
        for topics in [vec![], vec!["aws".to_string(), "i\"am".to_string()]] {
            fragment.p = topics;
            let mut out = Vec::new();
            fragment.write_json(&mut out);
            assert_eq!(out, serde_json::to_vec(&fragment).unwrap());
        }
        fragment.h.clear();
        let mut out = Vec::new();
        fragment.write_json(&mut out);
        assert_eq!(out, serde_json::to_vec(&fragment).unwrap());
    }

    fn note(text: &str) -> Note {
        let source = SourceFile {
            path: "/site/notes/a.md".into(),
            rel: "a.md".into(),
            display: "notes/a.md".into(),
        };
        parse_note(source, text).0.unwrap()
    }

    /// (weighted frequency, title match) of `term` in `doc`.
    fn weights(doc: &DocTerms, term: &str) -> Option<(f32, f32)> {
        doc.terms
            .iter()
            .find(|(t, _, _)| &**t == term)
            .map(|&(_, tf, title)| (tf, title))
    }

    /// `note`'s document with a fresh tokenizer, as `notes/a.html`.
    fn read(note: &Note, ocr: &[Option<&str>]) -> (DocTerms, Fragment) {
        let tokenizer = Tokenizer::default();
        document(
            &tokenizer,
            &mut Weights::default(),
            note,
            "notes/a.html",
            ocr,
        )
    }

    #[test]
    fn fields_and_fragment_come_from_the_parsed_events() {
        let n = note("---\ntitle: S3\naliases: [Simple Storage]\n---\nIntro `aws s3 sync`.\n\n## Upload files\n\nText ![a bucket list](./img/bucket_list.png)\n\n```\naws s3 cp\n```\n");
        let (doc, fragment) = read(&n, &[]);
        assert_eq!(
            fragment.x,
            "Intro aws s3 sync.\nUpload files\nText a bucket list\naws s3 cp"
        );
        assert_eq!(
            fragment.h,
            [(19, 2, "upload-files".into(), "Upload files".into())]
        );
        assert_eq!(&fragment.x[19..31], "Upload files");
        assert!(weights(&doc, "s3").unwrap().1 > 0.0, "title match");
        assert!(
            weights(&doc, "simpl").unwrap().1 > 0.0,
            "alias counts as title"
        );
        assert!(weights(&doc, "bucket_list").is_some(), "file name");
        assert!(weights(&doc, "upload").unwrap().0 >= HEADING);
        let mut terms: Vec<&str> = doc.terms.iter().map(|(t, _, _)| &**t).collect();
        terms.sort_unstable();
        terms.dedup();
        assert_eq!(terms.len(), doc.terms.len(), "each term once");
    }

    #[test]
    fn ocr_text_follows_its_image_and_weighs_less_than_prose() {
        let n = note("# T\n\n![one](a.png) prose words\n\n![two](b.png)\n");
        let ocr = [Some("Bucket   policy\n\nJSON"), None];
        let (doc, fragment) = read(&n, &ocr);
        assert_eq!(fragment.x, "one\nBucket policy JSON\nprose words\ntwo");
        let policy = weights(&doc, "polici").unwrap().0;
        assert!((policy - OCR).abs() < 1e-6);
        assert!(weights(&doc, "prose").unwrap().0 > policy);
        let (_, without) = read(&n, &[]);
        assert!(!without.x.contains("Bucket"));
    }

    #[test]
    fn a_title_match_outranks_mentions() {
        let title_only = impact(0.0, 1.0, 100, 100.0);
        let mentioned_often = impact(50.0, 0.0, 100, 100.0);
        let mentioned_once = impact(1.0, 0.0, 100, 100.0);
        assert!(title_only > mentioned_once);
        assert!(impact(1.0, 1.0, 100, 100.0) > mentioned_often);
        assert!(mentioned_often > mentioned_once);
        // Longer notes weigh one mention less.
        assert!(impact(1.0, 0.0, 400, 100.0) < mentioned_once);
        assert!((1..=MAX_IMPACT).contains(&impact(0.0, 0.0, 10, 100.0)));
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    /// `SEARCH_TIMING_DIR=bench-out/search/corpus-1000/notes cargo test --release timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn time_documents() {
        let dir = std::env::var("SEARCH_TIMING_DIR").unwrap();
        let mut notes = Vec::new();
        for entry in walkdir::WalkDir::new(&dir) {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                let source = crate::scan::SourceFile {
                    path: entry.path().into(),
                    rel: "a.md".into(),
                    display: "a.md".into(),
                };
                notes.push(crate::parse::parse_note(source, &text).0.unwrap());
            }
        }
        let tokenizer = Tokenizer::default();
        let start = std::time::Instant::now();
        let texts: Vec<String> = notes
            .iter()
            .map(|note| {
                let tape = note.body.tape();
                fields(note, "x", &[], tape.events()).fragment.x
            })
            .collect();
        let n: usize = texts.iter().map(String::len).sum();
        let fields_time = start.elapsed();
        let start = std::time::Instant::now();
        let mut tokens = 0;
        for text in &texts {
            tokenizer.each_term(text, |_, _| tokens += 1);
        }
        let tok_time = start.elapsed();
        let start = std::time::Instant::now();
        for note in &notes {
            let _ = document(&tokenizer, &mut Weights::default(), note, "x", &[]);
        }
        eprintln!(
            "{} notes, {n} bytes: fields {fields_time:?}, tokenize body {tok_time:?} ({tokens} tokens), document {:?}",
            notes.len(),
            start.elapsed()
        );
    }
}
