//! Markdown: one pass over pulldown-cmark's events that collects what the other stages read (headings
//! with ids, links and images with positions, plain text, a summary) and keeps the events on a
//! [`Tape`], from which rendering and indexing read them again.

use pulldown_cmark::{Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use std::borrow::Cow;
use std::collections::HashSet;

use super::sentence::sentence_at;
use super::tape::{Mark, Tape};
use super::words::count_words;
use crate::diag::{LineIndex, Position};

/// A heading with its stable, unique id.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
    #[serde(skip)]
    pub position: Position,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// `[text](dest)`, reference links and autolinks.
    Markdown,
    /// `[[Target]]`, `[[Target#Heading|label]]`.
    Wiki,
}

/// A link as written in the note, in document order (the renderer counts links the same way).
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub kind: LinkKind,
    pub dest: String,
    pub text: String,
    pub position: Position,
    /// The sentence around the link, for backlinks.
    pub context: String,
}

/// An image as written in the note, in document order.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRef {
    pub kind: LinkKind,
    pub dest: String,
    pub alt: String,
    pub title: String,
    pub position: Position,
}

/// The parsed body of one note.
#[derive(Debug, Clone, Default)]
pub struct Body {
    /// The body's events as parse saw them, less a leading `# Title` heading, for rendering and
    /// indexing (see [`Body::tape`]). On a tape rather than as owned `Event`s, which took 280 MB
    /// more at the peak of a 10k-note build and more time to allocate than parsing again took; and
    /// rather than as Markdown parsed again, which was 9% of a build.
    events: Events,
    pub headings: Vec<Heading>,
    pub links: Vec<Link>,
    pub images: Vec<ImageRef>,
    /// The first sentence of the first paragraph.
    pub summary: String,
    pub word_count: usize,
    /// Text of a level-1 heading that opened the body; it is left out of the events (the page shows the title).
    pub leading_title: Option<String>,
}

/// A body's events: their tape, or the tape LZ4-compressed while no stage reads it.
#[derive(Debug, Clone)]
enum Events {
    Tape(Tape),
    Compressed {
        codes: Box<[u8]>,
        text: Box<[u8]>,
        count: u32,
    },
}

impl Default for Events {
    fn default() -> Events {
        Events::Tape(Tape::default())
    }
}

impl Body {
    /// The body's events (read them with [`Tape::events`]): pulldown-cmark's events for the
    /// Markdown, as parse saw them, less a leading title heading.
    pub fn tape(&self) -> Cow<'_, Tape> {
        match &self.events {
            Events::Tape(tape) => Cow::Borrowed(tape),
            Events::Compressed { codes, text, count } => {
                Cow::Owned(decompress(codes, text, *count))
            }
        }
    }

    /// The size of the events' tape in bytes, or of its compressed form.
    pub fn tape_size(&self) -> usize {
        match &self.events {
            Events::Tape(tape) => tape.len(),
            Events::Compressed { codes, text, .. } => codes.len() + text.len(),
        }
    }

    /// Keeps the events LZ4-compressed (about a third of their size on technical prose) until a
    /// stage reads them: a one-shot build of a large site holds every note's text from parse to
    /// search, and at 50k notes that text was a quarter of the peak.
    pub fn compress(&mut self) {
        if let Events::Tape(tape) = &self.events {
            let (codes, text) = tape.parts();
            let compress = |bytes| lz4_flex::compress_prepend_size(bytes).into_boxed_slice();
            self.events = Events::Compressed {
                codes: compress(codes),
                text: compress(text.as_bytes()),
                count: tape.count(),
            };
        }
    }
}

/// The tape [`Body::compress`] compressed. The buffer is the build's own, so it does not fail; if
/// it ever did, the page would show less text rather than the build panic.
fn decompress(codes: &[u8], text: &[u8], count: u32) -> Tape {
    let codes = lz4_flex::decompress_size_prepended(codes);
    let text = lz4_flex::decompress_size_prepended(text).map(String::from_utf8);
    match (codes, text) {
        (Ok(codes), Ok(Ok(text))) => Tape::from_parts(codes, text, count),
        _ => Tape::default(),
    }
}

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_WIKILINKS
}

/// Parses `body`, which starts at byte `body_offset` of `file_text` (positions count from the file
/// start). Returns the body and its plain text (prose, inline code, code blocks; blocks separated by
/// newlines), which the caller counts words in and drops: at 10k notes, keeping it cost ~100 MB.
pub fn parse_body(file_text: &str, body_offset: usize, title_hint: Option<&str>) -> (Body, String) {
    let body = &file_text[body_offset..];
    let lines = LineIndex::new(file_text);
    let mut collector = Collector {
        ids: RESERVED_IDS.iter().map(|s| s.to_string()).collect(),
        // The plain text is shorter than the Markdown: sized once, never regrown.
        text: String::with_capacity(body.len()),
        ..Collector::default()
    };
    let mut tape = Tape::for_markdown(body.len());
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        let start = tape.mark();
        tape.push(&event);
        collector.leading.see(start, tape.mark(), &event);
        // Worked out only for the events that keep it (headings, links, images): for every event
        // it was 2% of a large build.
        let position = || lines.position(file_text, body_offset + range.start);
        collector.event(&event, position);
    }
    collector.finish(tape, title_hint)
}

/// Ids the page templates use for their own parts; a heading named "Related" becomes `related-1`.
const RESERVED_IDS: &[&str] = &[
    "main",
    "sidebar",
    "nav-toggle",
    "theme-toggle",
    "search-input",
    "search-results",
    "backlinks",
    "related",
    "backlinks-title",
    "related-title",
    "toc-title",
    "topics-title",
    "recent-title",
    "all-title",
    "map-title",
    "subtopics-title",
    "notes-title",
    "cooccurring-title",
];

#[derive(Default)]
struct Collector {
    body: Body,
    /// The body's plain text so far.
    text: String,
    ids: HashSet<String>,
    /// Open heading: (level, custom id, text so far, position).
    heading: Option<(u8, Option<String>, String, Position)>,
    /// Text of the current image's alt while inside an image.
    image_alt: Option<String>,
    /// Current link's visible text while inside a link.
    link_text: Option<String>,
    /// Text of the current block and the links that started in it, for link context.
    block_text: String,
    pending_links: Vec<(usize, usize)>,
    in_code_block: bool,
    leading: LeadingTitle,
}

/// Where the events of an opening `# Heading` are on the tape, worked out as the events go by (a
/// second parser over the body only to look at its start cost 2% of a large build).
#[derive(Default)]
enum LeadingTitle {
    /// Nothing but HTML blocks (a comment, an anchor) and soft breaks so far.
    #[default]
    Looking,
    /// Inside a level-1 heading that opened the body, which starts here on the tape.
    Open(Mark),
    /// The heading's start and end on the tape.
    Found(Mark, Mark),
    /// The body opens with something else.
    Absent,
}

impl LeadingTitle {
    /// `event`, just written to the tape between `start` and `end`.
    fn see(&mut self, start: Mark, end: Mark, event: &Event<'_>) {
        match (&*self, event) {
            (
                LeadingTitle::Looking,
                Event::Html(_)
                | Event::SoftBreak
                | Event::Start(Tag::HtmlBlock)
                | Event::End(TagEnd::HtmlBlock),
            ) => {}
            (
                LeadingTitle::Looking,
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H1,
                    ..
                }),
            ) => *self = LeadingTitle::Open(start),
            (LeadingTitle::Looking, _) => *self = LeadingTitle::Absent,
            (&LeadingTitle::Open(open), Event::End(TagEnd::Heading(_))) => {
                *self = LeadingTitle::Found(open, end)
            }
            _ => {}
        }
    }
}

impl Collector {
    fn event(&mut self, event: &Event<'_>, position: impl FnOnce() -> Position) {
        match event {
            Event::Start(tag) => self.start(tag, position),
            Event::End(tag) => self.end(*tag),
            Event::Text(text) | Event::Code(text) => self.text(text),
            Event::SoftBreak | Event::HardBreak => self.text(" "),
            _ => {}
        }
    }

    fn start(&mut self, tag: &Tag<'_>, position: impl FnOnce() -> Position) {
        match tag {
            Tag::Heading { level, id, .. } => {
                self.flush_block();
                self.heading = Some((
                    heading_level(*level),
                    id.as_ref().map(|s| s.to_string()),
                    String::new(),
                    position(),
                ));
            }
            Tag::Paragraph | Tag::Item | Tag::TableCell | Tag::BlockQuote(_) => self.flush_block(),
            Tag::CodeBlock(_) => {
                self.flush_block();
                self.in_code_block = true;
            }
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => {
                let kind = link_kind(*link_type);
                self.pending_links
                    .push((self.body.links.len(), self.block_text.len()));
                self.body.links.push(Link {
                    kind,
                    dest: dest_url.to_string(),
                    text: String::new(),
                    position: position(),
                    context: String::new(),
                });
                self.link_text = Some(String::new());
            }
            Tag::Image {
                link_type,
                dest_url,
                title,
                ..
            } => {
                let kind = link_kind(*link_type);
                self.body.images.push(ImageRef {
                    kind,
                    dest: dest_url.to_string(),
                    alt: String::new(),
                    title: title.to_string(),
                    position: position(),
                });
                self.image_alt = Some(String::new());
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => self.end_heading(),
            TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::BlockQuote(_) => {
                self.flush_block()
            }
            TagEnd::CodeBlock => {
                self.in_code_block = false;
                self.text.push('\n');
            }
            TagEnd::Link => {
                if let (Some(text), Some(link)) =
                    (self.link_text.take(), self.body.links.last_mut())
                {
                    link.text = text;
                }
            }
            TagEnd::Image => {
                if let (Some(alt), Some(image)) =
                    (self.image_alt.take(), self.body.images.last_mut())
                {
                    image.alt = alt;
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(alt) = &mut self.image_alt {
            alt.push_str(text);
            return;
        }
        if let Some((_, _, heading, _)) = &mut self.heading {
            heading.push_str(text);
        }
        if let Some(link_text) = &mut self.link_text {
            link_text.push_str(text);
        }
        if !self.in_code_block {
            self.block_text.push_str(text);
        }
        self.text.push_str(text);
    }

    fn end_heading(&mut self) {
        let Some((level, custom_id, title, position)) = self.heading.take() else {
            return;
        };
        let base = custom_id.unwrap_or_else(|| heading_slug(&title));
        let id = unique_id(&mut self.ids, base);
        self.body.headings.push(Heading {
            level,
            id,
            title: title.trim().to_string(),
            position,
        });
        self.flush_block();
    }

    /// Ends the current block: records the summary and the context sentence of links inside it.
    fn flush_block(&mut self) {
        let mut text = std::mem::take(&mut self.block_text);
        if !text.trim().is_empty() {
            self.text.push('\n');
            if self.body.summary.is_empty() && self.heading.is_none() {
                self.body.summary = sentence_at(&text, 0);
            }
        }
        for (link, offset) in self.pending_links.drain(..) {
            self.body.links[link].context = sentence_at(&text, offset);
        }
        // The next block reuses the buffer: grown afresh for each of a note's blocks, it was 1%
        // of a build in reallocation.
        text.clear();
        self.block_text = text;
    }

    fn finish(mut self, mut tape: Tape, title_hint: Option<&str>) -> (Body, String) {
        self.flush_block();
        self.body.word_count = count_words(&self.text);
        if let LeadingTitle::Found(start, end) = std::mem::take(&mut self.leading) {
            if take_leading_title(&mut self.body, title_hint) {
                tape.cut(start, end);
            }
        }
        tape.shrink_to_fit();
        self.body.events = Events::Tape(tape);
        (self.body, self.text)
    }
}

/// Takes an opening `# Heading` as the note's title when it is, or stands for, the title; the
/// caller then leaves its events out of the body.
fn take_leading_title(body: &mut Body, title_hint: Option<&str>) -> bool {
    let Some(heading) = body.headings.first() else {
        return false;
    };
    if title_hint.is_some_and(|t| !t.eq_ignore_ascii_case(&heading.title)) {
        return false;
    }
    body.leading_title = Some(body.headings.remove(0).title);
    true
}

fn link_kind(link_type: LinkType) -> LinkKind {
    match link_type {
        LinkType::WikiLink { .. } => LinkKind::Wiki,
        _ => LinkKind::Markdown,
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    level as u8
}

/// GitHub-style heading id: lower case, spaces to `-`, punctuation other than `-` and `_` dropped.
pub fn heading_slug(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.trim().chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            slug.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            slug.push('-');
        }
    }
    if slug.is_empty() {
        slug.push_str("section");
    }
    slug
}

fn unique_id(taken: &mut HashSet<String>, base: String) -> String {
    let mut id = base.clone();
    let mut n = 1;
    while !taken.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Body {
        parse_body(text, 0, None).0
    }

    #[test]
    fn headings_get_unique_github_ids_and_custom_ids_win() {
        let body =
            parse("## Role vs Group\n\n## Setup\n\n## Setup\n\n## Mine {#custom}\n\n## Related\n");
        let ids: Vec<_> = body.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(
            ids,
            ["role-vs-group", "setup", "setup-1", "custom", "related-1"]
        );
        assert_eq!(body.headings[0].position.line, 1);
        assert_eq!(body.headings[2].position.line, 5);
    }

    #[test]
    fn links_and_images_keep_positions_text_and_context() {
        let text = "Intro.\n\nFirst sentence. See [the IAM note](iam.md#roles) for roles. Last.\n\n![shot one](./img/a.png \"Caption\")\n";
        let body = parse(text);
        let link = &body.links[0];
        assert_eq!(
            (link.dest.as_str(), link.text.as_str()),
            ("iam.md#roles", "the IAM note")
        );
        assert_eq!((link.position.line, link.position.column), (3, 21));
        assert_eq!(link.context, "See the IAM note for roles.");
        let image = &body.images[0];
        assert_eq!(
            (
                image.alt.as_str(),
                image.title.as_str(),
                image.position.line
            ),
            ("shot one", "Caption", 5)
        );
        assert_eq!(body.summary, "Intro.");
    }

    #[test]
    fn wikilinks_are_found_outside_code_only() {
        let (body, text) = parse_body("Use [[EC2#Key Pair|key pairs]] and `[[not a link]]`.\n\n```\n[[nor this]]\n```\n\n![[shot.png]]\n", 0, None);
        assert_eq!(body.links.len(), 1);
        assert_eq!(body.links[0].kind, LinkKind::Wiki);
        assert_eq!(body.links[0].dest, "EC2#Key Pair");
        assert_eq!(body.links[0].text, "key pairs");
        assert_eq!(body.images[0].dest, "shot.png");
        assert_eq!(body.images[0].kind, LinkKind::Wiki);
        assert!(text.contains("[[nor this]]"));
    }

    #[test]
    fn leading_h1_becomes_the_title_and_leaves_the_body() {
        let body = parse("# My Title\n\nText.\n## Part\n");
        assert_eq!(body.leading_title.as_deref(), Some("My Title"));
        assert_eq!(body.headings.len(), 1);
        let is_h1 = |e: &Event<'_>| {
            matches!(
                e,
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H1,
                    ..
                })
            )
        };
        let texts = |body: &Body| -> Vec<String> {
            body.tape()
                .events()
                .filter_map(|e| match e {
                    Event::Text(t) => Some(t.to_string()),
                    _ => None,
                })
                .collect()
        };
        assert!(!body.tape().events().any(|e| is_h1(&e)));
        assert_eq!(texts(&body), ["Text.", "Part"]);
        // A different front-matter title keeps the heading.
        let kept = parse_body("# Other\n", 0, Some("Title")).0;
        assert!(kept.leading_title.is_none());
        assert_eq!(kept.headings.len(), 1);
        assert!(kept.tape().events().any(|e| is_h1(&e)));
        assert_eq!(texts(&kept), ["Other"]);
        // HTML before the heading does not hide it; a paragraph does.
        let after_html = parse("<!-- note -->\n# My Title\n\nText.\n");
        assert_eq!(after_html.leading_title.as_deref(), Some("My Title"));
        assert_eq!(texts(&after_html), ["Text."]);
        let later = parse("Intro.\n\n# My Title\n");
        assert!(later.leading_title.is_none());
        assert_eq!(texts(&later), ["Intro.", "My Title"]);
    }

    #[test]
    fn the_tape_holds_the_events_of_a_second_parse() {
        let text = "<!-- c -->\n# Title\n\nSome *text* [link](a.md) ![i](b.png) with ünïcode \"and\" `code`.\n\n```rust\nfn main() {}\n```\n";
        let (body, _) = parse_body(text, 0, None);
        let mut parsed: Vec<Event<'_>> = Parser::new_ext(text, options()).collect();
        // The leading title's events (start, text, end) are left out; the comment before it stays.
        parsed.drain(3..6);
        assert!(matches!(parsed[3], Event::Start(Tag::Paragraph)));
        assert_eq!(body.tape().events().collect::<Vec<_>>(), parsed);
    }

    #[test]
    fn a_compressed_body_gives_the_same_events() {
        let text =
            "# Title\n\nSome *text* with ünïcode and `code`.\n\n```rust\nfn main() {}\n```\n"
                .repeat(20);
        let (mut body, _) = parse_body(&text, 0, Some("Title"));
        let events: Vec<String> = body.tape().events().map(|e| format!("{e:?}")).collect();
        // The title's three events (start, text, end) are left out.
        assert_eq!(events.len(), Parser::new_ext(&text, options()).count() - 3);
        let size = body.tape_size();
        body.compress();
        assert!(
            body.tape_size() < size / 2,
            "{} of {size}",
            body.tape_size()
        );
        let again: Vec<String> = body.tape().events().map(|e| format!("{e:?}")).collect();
        assert_eq!(again, events);
        body.compress();
        assert_eq!(
            body.tape().events().count(),
            events.len(),
            "compressing twice changes nothing"
        );
    }

    #[test]
    fn positions_count_from_the_start_of_the_file() {
        let file = "---\ntitle: x\n---\n\n[a](b.md)\n";
        let body = parse_body(file, 17, Some("x")).0;
        assert_eq!(body.links[0].position.line, 5);
    }
}
