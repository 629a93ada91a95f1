//! Part of the parse stage: a note's pulldown-cmark events, kept compactly so that rendering and
//! indexing read them back instead of parsing the Markdown again (parsing each note twice was 9% of
//! a build's instructions). A tape is about the size of the Markdown it comes from, and replaces it.
//!
//! Nearly every event of a note is a code byte and its data: lengths and numbers as variable-length
//! integers, text kept apart in one string that reading slices without checking it again. The
//! rare rest (the start of a table, footnotes, indented code, headings with attributes) is written
//! with bincode (`Event` is serde-enabled), exact for every kind of event but many times as costly
//! to read.

use bincode::Options;
use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Tag, TagEnd};
use serde::Deserialize;

/// The code of an event written with bincode.
const OTHER: u8 = 0;
/// The codes of events with text.
const TEXT: u8 = 1;
const CODE: u8 = 2;
const HTML: u8 = 3;
const INLINE_HTML: u8 = 4;
/// The start of a link or image: its [`link_type_code`], then its destination, title and id.
const LINK: u8 = 5;
const IMAGE: u8 = 6;
/// The start of a fenced code block, then its info string.
const FENCED_CODE: u8 = 7;
/// The start of a heading without id, classes or attributes, then its level (1–6).
const HEADING: u8 = 8;
/// The start of an ordered list, then its first number.
const ORDERED_LIST: u8 = 9;
/// The code of `PLAIN[0]`; `PLAIN[i]` is `FIRST_PLAIN + i`.
const FIRST_PLAIN: u8 = 16;

/// Events without text or attributes, each written as its code alone (see [`plain_index`]).
const PLAIN: [Event<'static>; 36] = [
    Event::SoftBreak,
    Event::HardBreak,
    Event::Rule,
    Event::Start(Tag::Paragraph),
    Event::End(TagEnd::Paragraph),
    Event::Start(Tag::Item),
    Event::End(TagEnd::Item),
    Event::Start(Tag::Emphasis),
    Event::End(TagEnd::Emphasis),
    Event::Start(Tag::Strong),
    Event::End(TagEnd::Strong),
    Event::Start(Tag::Strikethrough),
    Event::End(TagEnd::Strikethrough),
    Event::Start(Tag::TableHead),
    Event::End(TagEnd::TableHead),
    Event::Start(Tag::TableRow),
    Event::End(TagEnd::TableRow),
    Event::Start(Tag::TableCell),
    Event::End(TagEnd::TableCell),
    Event::Start(Tag::HtmlBlock),
    Event::End(TagEnd::HtmlBlock),
    Event::Start(Tag::List(None)),
    Event::End(TagEnd::List(false)),
    Event::End(TagEnd::List(true)),
    Event::Start(Tag::BlockQuote(None)),
    Event::End(TagEnd::BlockQuote(None)),
    Event::End(TagEnd::Link),
    Event::End(TagEnd::Image),
    Event::End(TagEnd::CodeBlock),
    Event::End(TagEnd::Table),
    Event::End(TagEnd::Heading(HeadingLevel::H1)),
    Event::End(TagEnd::Heading(HeadingLevel::H2)),
    Event::End(TagEnd::Heading(HeadingLevel::H3)),
    Event::End(TagEnd::Heading(HeadingLevel::H4)),
    Event::End(TagEnd::Heading(HeadingLevel::H5)),
    Event::End(TagEnd::Heading(HeadingLevel::H6)),
];

/// A link type as a number, for [`link_type_of`].
fn link_type_code(link_type: LinkType) -> u8 {
    match link_type {
        LinkType::Inline => 0,
        LinkType::Reference => 1,
        LinkType::ReferenceUnknown => 2,
        LinkType::Collapsed => 3,
        LinkType::CollapsedUnknown => 4,
        LinkType::Shortcut => 5,
        LinkType::ShortcutUnknown => 6,
        LinkType::Autolink => 7,
        LinkType::Email => 8,
        LinkType::WikiLink { has_pothole: false } => 9,
        LinkType::WikiLink { has_pothole: true } => 10,
    }
}

fn link_type_of(code: usize) -> Option<LinkType> {
    Some(match code {
        0 => LinkType::Inline,
        1 => LinkType::Reference,
        2 => LinkType::ReferenceUnknown,
        3 => LinkType::Collapsed,
        4 => LinkType::CollapsedUnknown,
        5 => LinkType::Shortcut,
        6 => LinkType::ShortcutUnknown,
        7 => LinkType::Autolink,
        8 => LinkType::Email,
        9 => LinkType::WikiLink { has_pothole: false },
        10 => LinkType::WikiLink { has_pothole: true },
        _ => return None,
    })
}

/// `event`'s place in [`PLAIN`], if it is there. A match rather than a search of `PLAIN`: every
/// event of every note comes here. The test `each_plain_event_has_its_own_code` keeps the two lists
/// in step.
fn plain_index(event: &Event<'_>) -> Option<u8> {
    use HeadingLevel::*;
    Some(match event {
        Event::SoftBreak => 0,
        Event::HardBreak => 1,
        Event::Rule => 2,
        Event::Start(Tag::Paragraph) => 3,
        Event::End(TagEnd::Paragraph) => 4,
        Event::Start(Tag::Item) => 5,
        Event::End(TagEnd::Item) => 6,
        Event::Start(Tag::Emphasis) => 7,
        Event::End(TagEnd::Emphasis) => 8,
        Event::Start(Tag::Strong) => 9,
        Event::End(TagEnd::Strong) => 10,
        Event::Start(Tag::Strikethrough) => 11,
        Event::End(TagEnd::Strikethrough) => 12,
        Event::Start(Tag::TableHead) => 13,
        Event::End(TagEnd::TableHead) => 14,
        Event::Start(Tag::TableRow) => 15,
        Event::End(TagEnd::TableRow) => 16,
        Event::Start(Tag::TableCell) => 17,
        Event::End(TagEnd::TableCell) => 18,
        Event::Start(Tag::HtmlBlock) => 19,
        Event::End(TagEnd::HtmlBlock) => 20,
        Event::Start(Tag::List(None)) => 21,
        Event::End(TagEnd::List(false)) => 22,
        Event::End(TagEnd::List(true)) => 23,
        Event::Start(Tag::BlockQuote(None)) => 24,
        Event::End(TagEnd::BlockQuote(None)) => 25,
        Event::End(TagEnd::Link) => 26,
        Event::End(TagEnd::Image) => 27,
        Event::End(TagEnd::CodeBlock) => 28,
        Event::End(TagEnd::Table) => 29,
        Event::End(TagEnd::Heading(H1)) => 30,
        Event::End(TagEnd::Heading(H2)) => 31,
        Event::End(TagEnd::Heading(H3)) => 32,
        Event::End(TagEnd::Heading(H4)) => 33,
        Event::End(TagEnd::Heading(H5)) => 34,
        Event::End(TagEnd::Heading(H6)) => 35,
        _ => return None,
    })
}

/// bincode's encoding: variable-length integers (one byte for most lengths and variants).
fn encoding() -> impl Options + Copy {
    bincode::DefaultOptions::new()
}

/// Events as they were written, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tape {
    /// Each event's code, then (for text) the text's length, or (`OTHER`) the length and bytes of its
    /// bincode form.
    codes: Vec<u8>,
    /// The text of the events with a code of their own, one after another.
    text: String,
    count: u32,
}

/// A place on a tape, between two events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    codes: usize,
    text: usize,
    count: u32,
}

impl Tape {
    /// A tape sized for the events of `markdown_len` bytes of Markdown (not regrown on prose).
    pub fn for_markdown(markdown_len: usize) -> Tape {
        Tape {
            codes: Vec::with_capacity(markdown_len / 8),
            text: String::with_capacity(markdown_len),
            count: 0,
        }
    }

    pub fn push(&mut self, event: &Event<'_>) {
        match event {
            Event::Text(text) => self.push_text(TEXT, text),
            Event::Code(text) => self.push_text(CODE, text),
            Event::Html(text) => self.push_text(HTML, text),
            Event::InlineHtml(text) => self.push_text(INLINE_HTML, text),
            other if let Some(index) = plain_index(other) => self.codes.push(FIRST_PLAIN + index),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => self.push_link(LINK, *link_type, [dest_url, title, id]),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => self.push_link(IMAGE, *link_type, [dest_url, title, id]),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                self.push_text(FENCED_CODE, info)
            }
            Event::Start(Tag::Heading {
                level,
                id: None,
                classes,
                attrs,
            }) if classes.is_empty() && attrs.is_empty() => {
                self.push_code(HEADING, *level as usize)
            }
            Event::Start(Tag::List(Some(first))) if usize::try_from(*first).is_ok() => {
                self.push_code(ORDERED_LIST, *first as usize)
            }
            other => {
                // Measuring and writing into a `Vec` fail only when memory does, which aborts.
                let size = encoding().serialized_size(other).unwrap_or(0);
                self.push_code(OTHER, size as usize);
                let written = encoding().serialize_into(&mut self.codes, other);
                debug_assert!(written.is_ok());
            }
        }
        self.count += 1;
    }

    fn push_text(&mut self, code: u8, text: &str) {
        self.push_code(code, text.len());
        self.text.push_str(text);
    }

    fn push_link(&mut self, code: u8, link_type: LinkType, texts: [&CowStr<'_>; 3]) {
        self.push_code(code, usize::from(link_type_code(link_type)));
        for text in texts {
            self.push_len(text.len());
            self.text.push_str(text);
        }
    }

    /// `code`, then `len`.
    fn push_code(&mut self, code: u8, len: usize) {
        self.codes.push(code);
        self.push_len(len);
    }

    /// `len` as a variable-length integer (7 bits a byte, least significant first).
    fn push_len(&mut self, mut len: usize) {
        while len >= 0x80 {
            self.codes.push(len as u8 | 0x80);
            len >>= 7;
        }
        self.codes.push(len as u8);
    }

    /// Where the next event goes.
    pub fn mark(&self) -> Mark {
        Mark {
            codes: self.codes.len(),
            text: self.text.len(),
            count: self.count,
        }
    }

    /// Leaves out the events between two marks.
    pub fn cut(&mut self, from: Mark, to: Mark) {
        self.codes.drain(from.codes..to.codes);
        self.text.drain(from.text..to.text);
        self.count -= to.count - from.count;
    }

    /// Gives back the room the estimate left spare.
    pub fn shrink_to_fit(&mut self) {
        self.codes.shrink_to_fit();
        self.text.shrink_to_fit();
    }

    /// The tape's size in bytes.
    pub fn len(&self) -> usize {
        self.codes.len() + self.text.len()
    }

    /// How many events the tape holds.
    pub fn count(&self) -> u32 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The tape as two byte strings (codes, text), for [`Tape::from_parts`].
    pub fn parts(&self) -> (&[u8], &str) {
        (&self.codes, &self.text)
    }

    /// A tape from what [`Tape::parts`] and [`Tape::count`] gave.
    pub fn from_parts(codes: Vec<u8>, text: String, count: u32) -> Tape {
        Tape { codes, text, count }
    }

    /// The events, in the order written, borrowing their text from the tape. The tape is the
    /// build's own, so reading it does not fail; if it ever did, the events would end there (a page
    /// showing less text) rather than the build panic.
    pub fn events(&self) -> Events<'_> {
        Events {
            codes: &self.codes,
            text: &self.text,
            left: self.count,
        }
    }
}

/// The events of a [`Tape`].
pub struct Events<'t> {
    codes: &'t [u8],
    text: &'t str,
    left: u32,
}

impl<'t> Events<'t> {
    fn read(&mut self) -> Option<Event<'t>> {
        let (&code, rest) = self.codes.split_first()?;
        self.codes = rest;
        Some(match code {
            TEXT => Event::Text(self.read_text()?),
            CODE => Event::Code(self.read_text()?),
            HTML => Event::Html(self.read_text()?),
            INLINE_HTML => Event::InlineHtml(self.read_text()?),
            LINK | IMAGE => Event::Start(self.read_link(code)?),
            FENCED_CODE => Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(self.read_text()?))),
            HEADING => Event::Start(Tag::Heading {
                level: HeadingLevel::try_from(self.read_len()?).ok()?,
                id: None,
                classes: Vec::new(),
                attrs: Vec::new(),
            }),
            ORDERED_LIST => Event::Start(Tag::List(Some(self.read_len()? as u64))),
            OTHER => {
                let len = self.read_len()?;
                let (bytes, rest) = self.codes.split_at_checked(len)?;
                self.codes = rest;
                let mut reader = bincode::Deserializer::from_slice(bytes, encoding());
                Event::deserialize(&mut reader).ok()?
            }
            plain => PLAIN
                .get(usize::from(plain.checked_sub(FIRST_PLAIN)?))?
                .clone(),
        })
    }

    fn read_text(&mut self) -> Option<CowStr<'t>> {
        let len = self.read_len()?;
        // Checks only that `len` falls between two characters: the text was a `String`.
        let (text, rest) = self.text.split_at_checked(len)?;
        self.text = rest;
        Some(CowStr::Borrowed(text))
    }

    /// The start of a link (`code` is `LINK`) or image (`IMAGE`).
    fn read_link(&mut self, code: u8) -> Option<Tag<'t>> {
        let link_type = link_type_of(self.read_len()?)?;
        let (dest_url, title, id) = (self.read_text()?, self.read_text()?, self.read_text()?);
        Some(match code {
            LINK => Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            },
            _ => Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            },
        })
    }

    fn read_len(&mut self) -> Option<usize> {
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let (&byte, rest) = self.codes.split_first()?;
            self.codes = rest;
            len |= usize::from(byte & 0x7f).checked_shl(shift)?;
            if byte < 0x80 {
                return Some(len);
            }
            shift += 7;
        }
    }
}

impl<'t> Iterator for Events<'t> {
    type Item = Event<'t>;

    fn next(&mut self) -> Option<Event<'t>> {
        if self.left == 0 {
            return None;
        }
        let event = self.read();
        debug_assert!(event.is_some(), "unreadable event tape");
        self.left = if event.is_some() { self.left - 1 } else { 0 };
        event
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::Parser;

    fn tape_of(markdown: &str) -> (Vec<Event<'_>>, Tape) {
        let parsed: Vec<Event<'_>> =
            Parser::new_ext(markdown, crate::parse::markdown::options()).collect();
        let mut tape = Tape::for_markdown(markdown.len());
        for event in &parsed {
            tape.push(event);
        }
        (parsed, tape)
    }

    #[test]
    fn every_kind_of_event_reads_back_as_written() {
        let long = "long paragraph ".repeat(40);
        let markdown = format!(
            "# Title {{#custom .class key=value}}\n\nSome *em* **strong** ~~gone~~ `code` \"quotes\" \
             and [a link](https://example.com \"title\") and [[Wiki Link|shown]] and \
             ![alt](img/a.png \"caption\").\nSoft break  \nhard break &amp; entity.\n\n\
             > quote\n\n> [!NOTE]\n> alert\n\n1. one\n2. two\n   - [x] done\n   - [ ] todo\n\n\
             | a | b |\n|:--|--:|\n| 1 | 2 |\n\n```rust\nfn main() {{}}\n```\n\n    indented\n\n\
             <div>html block</div>\n\ninline <span>html</span>[^1]\n\n[^1]: A footnote.\n\n---\n\n\
             ünïcödé 日本語 text\n\n{long}\n\n## Plain heading\n\n###### Six\n\n3. three\n4. four\n\n\
             [ref] and [ref][] and [text][ref] and <https://auto.example> and <me@example.com> and \
             [[Page]] and ![[shot.png]].\n\n[ref]: https://ref.example \"Ref title\"\n\n\
             ~~~\nno info\n~~~\n"
        );
        let (parsed, tape) = tape_of(&markdown);
        assert_eq!(tape.events().collect::<Vec<_>>(), parsed);
        assert_eq!(tape.count() as usize, parsed.len());
    }

    #[test]
    fn a_tape_is_about_the_size_of_its_markdown() {
        let markdown = "Some prose with a [link](https://example.com/page) and `code`, then more \
                        words\nover two lines.\n\n- an item\n- another item\n\n"
            .repeat(50);
        let (_, tape) = tape_of(&markdown);
        // Markup is left out, and each event adds a code and a length: on this (link- and
        // list-heavy) text the tape is 12% larger, on plain paragraphs smaller.
        assert!(
            tape.len() < markdown.len() * 5 / 4,
            "a tape of {} bytes for {} bytes of Markdown",
            tape.len(),
            markdown.len()
        );
    }

    #[test]
    fn each_plain_event_has_its_own_code() {
        for (i, event) in PLAIN.iter().enumerate() {
            assert_eq!(plain_index(event), Some(i as u8), "{event:?}");
            let mut tape = Tape::default();
            tape.push(event);
            assert_eq!(tape.parts().0, [FIRST_PLAIN + i as u8]);
            assert_eq!(
                tape.events().collect::<Vec<_>>(),
                std::slice::from_ref(event)
            );
        }
        assert!(usize::from(FIRST_PLAIN) + PLAIN.len() <= 256);
    }

    #[test]
    fn an_empty_body_has_an_empty_tape() {
        let (_, tape) = tape_of("");
        assert!(tape.is_empty());
        assert_eq!(tape.events().count(), 0);
    }

    #[test]
    fn a_cut_leaves_out_exactly_its_events() {
        let markdown = "# Title\n\nBody *text*.\n";
        let parsed: Vec<Event<'_>> =
            Parser::new_ext(markdown, crate::parse::markdown::options()).collect();
        let mut tape = Tape::for_markdown(markdown.len());
        let (mut from, mut to) = (tape.mark(), tape.mark());
        for (i, event) in parsed.iter().enumerate() {
            if i == 1 {
                from = tape.mark();
            }
            tape.push(event);
            if i == 4 {
                to = tape.mark();
            }
        }
        tape.cut(from, to);
        let mut expected = parsed.clone();
        expected.drain(1..5);
        assert_eq!(tape.events().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn a_tape_from_its_parts_is_the_same_tape() {
        let (parsed, tape) = tape_of("Text with `code` and a [link](x.md).\n");
        let (codes, text) = tape.parts();
        let again = Tape::from_parts(codes.to_vec(), text.to_string(), tape.count());
        assert_eq!(again, tape);
        assert_eq!(again.events().collect::<Vec<_>>(), parsed);
    }
}
