//! Note body to HTML: replays the body's events (read from its tape), swapping in resolved link
//! targets, image markup ([`super::picture`], or a placeholder), heading ids with self-links and
//! highlighted code blocks.
//! A paragraph holding nothing but images (the usual screenshot) becomes one block `<figure>` per image
//! instead of a `<p>`, so each can carry a caption and its OCR text.

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Tag, TagEnd};

use crate::graph::{ImageTarget, LinkTarget, NoteId, Site};
use crate::highlight::{escape, push_escaped, Highlighter};
use crate::images::Assets;
use crate::output::Output;
use crate::parse::markdown::ImageRef;
use crate::urls::encode_fragment;

use super::picture::{figure, img_tag, Picture};
use super::BodyVisitor;

/// What rendering one note body needs.
pub struct BodyRenderer<'a> {
    pub site: &'a Site,
    pub assets: &'a Assets,
    pub highlighter: &'a Highlighter,
    /// Shown each body's events, with the output the page goes to.
    pub visit: Option<(&'a BodyVisitor<'a>, &'a Output)>,
}

/// Per-note state while replaying events.
struct Replay<'a> {
    r: &'a BodyRenderer<'a>,
    id: NoteId,
    root: &'a str,
    out: Vec<Event<'a>>,
    link_index: usize,
    image_index: usize,
    heading_index: usize,
    closers: Vec<&'static str>,
    /// Inside a paragraph of images only: its `<p>`, breaks and spaces are dropped, images are figures.
    figures: bool,
}

impl BodyRenderer<'_> {
    /// The HTML of note `id` as seen from a page whose root prefix is `root`.
    pub fn render(&self, id: NoteId, root: &str) -> String {
        let tape = self.site.notes[id].body.tape();
        let mut events: Vec<Event<'_>> = Vec::with_capacity(tape.count() as usize);
        events.extend(tape.events());
        if let Some((visit, output)) = self.visit {
            visit(id, &events, output);
        }
        let mut replay = Replay {
            r: self,
            id,
            root,
            out: Vec::with_capacity(events.len()),
            link_index: 0,
            image_index: 0,
            heading_index: 0,
            closers: Vec::new(),
            figures: false,
        };
        let mut iter = events.iter();
        while let Some(event) = iter.next() {
            replay.event(event, &mut iter);
        }
        let mut html = String::with_capacity(events.len() * 16);
        pulldown_cmark::html::push_html(&mut html, replay.out.into_iter());
        html
    }
}

impl<'a> Replay<'a> {
    fn event(&mut self, event: &'a Event<'a>, rest: &mut std::slice::Iter<'a, Event<'a>>) {
        match event {
            Event::Start(Tag::Paragraph) if only_images(rest.as_slice()) => self.figures = true,
            Event::End(TagEnd::Paragraph) if self.figures => self.figures = false,
            Event::SoftBreak | Event::HardBreak if self.figures => {}
            Event::Text(text) if self.figures && text.trim().is_empty() => {}
            Event::Start(Tag::Heading { level, classes, .. }) => {
                let id = self.heading_id();
                let class = if classes.is_empty() {
                    String::new()
                } else {
                    format!(" class=\"{}\"", escape(&classes.join(" ")))
                };
                let mut html = String::with_capacity(12 + id.len() + class.len());
                html.push('<');
                html.push_str(heading_tag(*level));
                html.push_str(" id=\"");
                push_escaped(&mut html, &id);
                html.push('"');
                html.push_str(&class);
                html.push('>');
                self.html(html);
            }
            Event::End(TagEnd::Heading(level)) => {
                let id = self.r.site.notes[self.id]
                    .body
                    .headings
                    .get(self.heading_index - 1)
                    .map_or("", |h| h.id.as_str());
                let mut html = String::with_capacity(90 + id.len());
                html.push_str(" <a class=\"heading-anchor\" href=\"#");
                html.push_str(&encode_fragment(id));
                html.push_str("\" aria-label=\"Link to this section\">#</a></");
                html.push_str(heading_tag(*level));
                html.push_str(">\n");
                self.html(html);
            }
            Event::Start(Tag::Link {
                dest_url, title, ..
            }) => self.open_link(dest_url, title),
            Event::End(TagEnd::Link) => {
                let closer = self.closers.pop().unwrap_or("</a>");
                self.out.push(Event::Html(CowStr::Borrowed(closer)));
            }
            Event::Start(Tag::Image { .. }) => {
                skip_to_end(rest, |e| matches!(e, Event::End(TagEnd::Image)));
                let html = self.image();
                self.html(html);
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.as_ref(),
                    CodeBlockKind::Indented => "",
                };
                let mut code = String::new();
                for e in rest.by_ref() {
                    match e {
                        Event::Text(t) => code.push_str(t),
                        Event::End(TagEnd::CodeBlock) => break,
                        _ => {}
                    }
                }
                let html = self.r.highlighter.code_block(&code, info);
                self.html(html);
            }
            other => self.out.push(other.clone()),
        }
    }

    fn html(&mut self, html: String) {
        self.out.push(Event::Html(CowStr::from(html)));
    }

    fn heading_id(&mut self) -> String {
        let headings = &self.r.site.notes[self.id].body.headings;
        let id = headings
            .get(self.heading_index)
            .map_or_else(String::new, |h| h.id.clone());
        self.heading_index += 1;
        id
    }

    fn open_link(&mut self, dest: &str, title: &str) {
        let target = self.r.site.graph.links[self.id]
            .get(self.link_index)
            .cloned()
            .unwrap_or(LinkTarget::Broken);
        self.link_index += 1;
        let title_attr = if title.is_empty() {
            String::new()
        } else {
            format!(" title=\"{}\"", escape(title))
        };
        let (open, closer) = match target {
            LinkTarget::Hidden => ("<span class=\"private-link\">".to_string(), "</span>"),
            LinkTarget::Broken => (
                format!(
                    "<a class=\"broken-link\" title=\"Broken link: {}\">",
                    escape(dest)
                ),
                "</a>",
            ),
            target => {
                let href = self.href(&target, dest);
                let mut open = String::with_capacity(href.len() + title_attr.len() + 12);
                open.push_str("<a href=\"");
                push_escaped(&mut open, &href);
                open.push('"');
                open.push_str(&title_attr);
                open.push('>');
                (open, "</a>")
            }
        };
        self.closers.push(closer);
        self.html(open);
    }

    fn href(&self, target: &LinkTarget, dest: &str) -> String {
        let site = self.r.site;
        let with_fragment = |url: String, fragment: &Option<String>| match fragment {
            Some(f) => format!("{url}#{}", encode_fragment(f)),
            None => url,
        };
        match target {
            LinkTarget::Note { note, fragment } => {
                with_fragment([self.root, &site.pages[*note].url].concat(), fragment)
            }
            LinkTarget::Fragment(id) => format!("#{}", encode_fragment(id)),
            LinkTarget::File { path, fragment } => match self.r.assets.get(path) {
                Some(Ok(asset)) => with_fragment(format!("{}{}", self.root, asset.out), fragment),
                _ => dest.to_string(),
            },
            LinkTarget::External(url) => url.clone(),
            LinkTarget::Hidden | LinkTarget::Broken => String::new(),
        }
    }

    fn image(&mut self) -> String {
        let note = &self.r.site.notes[self.id];
        let index = self.image_index;
        self.image_index += 1;
        let Some(image) = note.body.images.get(index) else {
            return String::new();
        };
        let target = self.r.site.graph.images[self.id].get(index);
        let inside_link = !self.closers.is_empty();
        let (html, ocr_text) = match target {
            Some(ImageTarget::External(url)) => (img_tag(url, image, None, ""), None),
            Some(ImageTarget::Local(path)) => match self.r.assets.get(path) {
                Some(Ok(asset)) => {
                    let picture = Picture {
                        root: self.root,
                        image,
                        asset,
                    };
                    let html = if inside_link {
                        picture.html()
                    } else {
                        picture.linked()
                    };
                    (html, asset.ocr_text.as_deref())
                }
                _ => (placeholder(image, "Screenshot unreadable"), None),
            },
            _ => (placeholder(image, "Screenshot not found"), None),
        };
        match (
            self.figures,
            html.starts_with("<span class=\"missing-image\""),
        ) {
            (false, _) => html,
            (true, true) => format!("<p>{html}</p>\n"),
            (true, false) => figure(&html, image, ocr_text),
        }
    }
}

/// Whether the paragraph starting here holds images and nothing else but spaces and line breaks.
fn only_images(rest: &[Event<'_>]) -> bool {
    let mut depth = 0usize;
    let mut images = 0;
    for event in rest {
        match event {
            Event::End(TagEnd::Paragraph) if depth == 0 => return images > 0,
            Event::Start(Tag::Image { .. }) => {
                depth += 1;
                images += 1;
            }
            Event::End(TagEnd::Image) => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            Event::SoftBreak | Event::HardBreak => {}
            Event::Text(text) if text.trim().is_empty() => {}
            _ => return false,
        }
    }
    false
}

/// A visible, labelled stand-in for a screenshot that is missing or unreadable.
fn placeholder(image: &ImageRef, label: &str) -> String {
    let file = image.dest.rsplit('/').next().unwrap_or(&image.dest);
    let file = crate::graph::resolve::percent_decode(file);
    let alt = image.alt.trim();
    let alt_html = if alt.is_empty() || alt == file {
        String::new()
    } else {
        format!("<span class=\"missing-image-alt\">{}</span>", escape(alt))
    };
    format!(
        "<span class=\"missing-image\" role=\"img\" aria-label=\"{label}: {}\"><span class=\"missing-image-label\">{label}</span><code>{}</code>{alt_html}</span>",
        escape(if alt.is_empty() { &file } else { alt }),
        escape(&file)
    )
}

fn skip_to_end<'e>(
    rest: &mut impl Iterator<Item = &'e Event<'e>>,
    is_end: impl Fn(&Event<'e>) -> bool,
) {
    for event in rest.by_ref() {
        if is_end(event) {
            break;
        }
    }
}

/// `h1` … `h6`, without formatting (a note has dozens of headings).
fn heading_tag(level: pulldown_cmark::HeadingLevel) -> &'static str {
    use pulldown_cmark::HeadingLevel::*;
    match level {
        H1 => "h1",
        H2 => "h2",
        H3 => "h3",
        H4 => "h4",
        H5 => "h5",
        H6 => "h6",
    }
}
