//! Typed, borrowed view structs handed to Tera: the template contract documented in docs/templates.md.
//! A misspelt field does not compile, and nothing is cloned that a reference can carry.

use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::config::SiteMeta;
use crate::graph::{NoteId, Site, TopicId};
use crate::highlight::{escape, push_escaped};

/// Above this many notes the sidebar lists only the current topics' notes, so a page's size does not
/// grow with the site (every topic is still listed, linking to its topic page).
pub const FULL_NAV_LIMIT: usize = 300;

/// What every page gets.
#[derive(Serialize)]
pub struct Common<'a> {
    pub site: &'a SiteMeta,
    pub root: &'a str,
    pub page_title: &'a str,
    pub page_kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    pub assets: &'a BTreeMap<String, String>,
    pub nav: Vec<NavTopic<'a>>,
    /// `nav` as the default sidebar lists it (see [`nav_html`]).
    pub nav_html: String,
}

#[derive(Serialize)]
pub struct NavTopic<'a> {
    pub name: &'a str,
    pub url: String,
    pub count: usize,
    pub depth: usize,
    pub current: bool,
    pub notes: Vec<NavNote<'a>>,
    /// `notes` as the default sidebar lists them: a `<li>` link each, escaped, with the page's root
    /// prefix (see [`Views::nav_items_html`]).
    pub notes_html: String,
    /// How many of the topic's notes `notes` leaves out (the sidebar links "… N more" to the
    /// topic page).
    pub more: usize,
}

#[derive(Serialize)]
pub struct NavNote<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub current: bool,
}

#[derive(Serialize)]
pub struct Link<'a> {
    pub name: &'a str,
    pub url: String,
}

#[derive(Serialize)]
pub struct TopicRef<'a> {
    pub name: &'a str,
    pub url: String,
    pub count: usize,
    pub depth: usize,
}

/// A note in a list.
#[derive(Serialize)]
pub struct NoteRef<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub updated: &'a str,
    pub description: &'a str,
    pub topics: Vec<Link<'a>>,
}

#[derive(Serialize)]
pub struct TitledLink<'a> {
    pub title: &'a str,
    pub url: &'a str,
}

#[derive(Serialize)]
pub struct BacklinkView<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub context: &'a str,
}

#[derive(Serialize)]
pub struct RelatedView<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub reason: &'a str,
}

#[derive(Serialize)]
pub struct TocEntry<'a> {
    pub level: u8,
    pub id: &'a str,
    pub title: &'a str,
}

/// The `note` of note.html, less the HTML strings of [`NoteHtml`].
#[derive(Serialize)]
pub struct NoteView<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub date: &'a str,
    pub updated: &'a str,
    pub topics: Vec<Link<'a>>,
    pub toc: Vec<TocEntry<'a>>,
    pub source: String,
    pub reading_minutes: usize,
    pub breadcrumbs: Vec<Link<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<TitledLink<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<TitledLink<'a>>,
    pub backlinks: Vec<BacklinkView<'a>>,
    pub related: Vec<RelatedView<'a>>,
}

/// A page's context as a JSON object: `common`'s fields and `page`'s side by side.
pub fn page_value(common: Common<'_>, page: impl Serialize) -> tera::Result<tera::Value> {
    #[derive(Serialize)]
    struct Page<'c, P> {
        #[serde(flatten)]
        common: Common<'c>,
        #[serde(flatten)]
        page: P,
    }
    tera::to_value(Page { common, page }).map_err(tera::Error::json)
}

/// The rest of note.html's `note`: its ready-made HTML, moved into the page's context
/// ([`NoteHtml::move_into`]) rather than serialized with [`NoteView`]. serde copies every string
/// into a new one, and the body is most of a page's bytes: the copies were 3% of a 10k build's
/// CPU samples.
pub struct NoteHtml {
    /// The rendered body.
    pub content: String,
    /// `topics` as chips, as the `chips` macro of `macros.html` writes them
    /// ([`topic_chips_html`]).
    pub topics_html: String,
    /// `toc` as the default `note.html` lists it, twice ([`toc_items_html`]).
    pub toc_html: String,
    /// `backlinks` as the default `note.html` lists them ([`link_cards_html`]).
    pub backlinks_html: String,
    /// `related` as the default `note.html` lists them ([`link_cards_html`]).
    pub related_html: String,
}

impl NoteHtml {
    /// Adds each string to `note` (the page's serialized `note`) under its field name.
    pub fn move_into(self, note: &mut serde_json::Map<String, serde_json::Value>) {
        let fields = [
            ("content", self.content),
            ("topics_html", self.topics_html),
            ("toc_html", self.toc_html),
            ("backlinks_html", self.backlinks_html),
            ("related_html", self.related_html),
        ];
        for (name, html) in fields {
            note.insert(name.to_owned(), serde_json::Value::String(html));
        }
    }
}

/// The items of the default table of contents, as the `toc` macro of `macros.html` writes them:
/// a `<li>` per heading, its class giving the level. Made here for the reason
/// [`Views::nav_items_html`] is; `note.html` shows the list twice (beside the note and above it).
pub fn toc_items_html(toc: &[TocEntry]) -> String {
    let mut html = String::with_capacity(toc.len() * 100);
    for entry in toc {
        html.push_str("\n  <li class=\"toc-l");
        html.push(char::from(b'0' + entry.level.min(9)));
        html.push_str("\"><a href=\"#");
        push_escaped(&mut html, entry.id);
        html.push_str("\">");
        push_escaped(&mut html, entry.title);
        html.push_str("</a></li>");
    }
    html
}

/// Topic links as the `chips` macro of `macros.html` writes them (nothing for no topics), as seen
/// from a page whose root prefix is `root`. Made here because a Tera macro call copies its
/// arguments and opens a frame: the one call per note page was 1.6% of a build.
pub fn topic_chips_html(topics: &[Link], root: &str) -> String {
    if topics.is_empty() {
        return String::new();
    }
    let mut html = String::with_capacity(20 + topics.len() * 100);
    html.push_str("<ul class=\"chips\">");
    for topic in topics {
        html.push_str("<li><a class=\"chip\" href=\"");
        push_escaped(&mut html, root);
        push_escaped(&mut html, &topic.url);
        html.push_str("\">");
        push_escaped(&mut html, topic.name);
        html.push_str("</a></li>");
    }
    html.push_str("</ul>");
    html
}

/// The default `note.html`'s cards for backlinks or related notes, `(title, url, text)` each, as
/// seen from a page whose root prefix is `root`: a `<li>` with the note's link and, when there is
/// one, the sentence or reason below it. Made here for the reason [`Views::nav_items_html`] is:
/// the loops in the template were 3.5% of a build. `note.backlinks` and `note.related` stay for templates
/// that list them their own way.
pub fn link_cards_html<'i>(
    cards: impl IntoIterator<Item = (&'i str, &'i str, &'i str)>,
    root: &str,
) -> String {
    let mut html = String::new();
    for (title, url, text) in cards {
        html.push_str("\n      <li><a href=\"");
        push_escaped(&mut html, root);
        push_escaped(&mut html, url);
        html.push_str("\">");
        push_escaped(&mut html, title);
        html.push_str("</a>");
        if !text.is_empty() {
            html.push_str("<p>");
            push_escaped(&mut html, text);
            html.push_str("</p>");
        }
        html.push_str("</li>");
    }
    html
}

/// At most this many notes of one topic are listed in the sidebar (a window around the current note);
/// the topic page lists them all. Keeps every page's size independent of the size of the site.
pub const NAV_TOPIC_LIMIT: usize = 40;

/// The notes of a topic to list in the sidebar: all of them, or a window around the note at `at`.
fn nav_window(notes: &[NoteId], at: Option<usize>) -> &[NoteId] {
    if notes.len() <= NAV_TOPIC_LIMIT {
        return notes;
    }
    let start = at
        .unwrap_or(0)
        .saturating_sub(NAV_TOPIC_LIMIT / 2)
        .min(notes.len() - NAV_TOPIC_LIMIT);
    &notes[start..start + NAV_TOPIC_LIMIT]
}

/// Builds view values out of the site model.
pub struct Views<'a> {
    pub site: &'a Site,
    /// Counted once: every page's sidebar depends on it.
    pub visible_notes: usize,
    /// Where each note sits in each topic too large to list whole: looked up, not searched for, or
    /// every page of a topic of N notes would scan it and the stage would grow with N². Made on
    /// first use: a `serve` rebuild that finds its pages in the cache never needs it.
    nav_positions: OnceLock<HashMap<(TopicId, NoteId), usize>>,
    /// Each note's URL and title, escaped once for the sidebars of every page that lists it
    /// (made on first use, like `nav_positions`).
    escaped_links: OnceLock<Vec<(String, String)>>,
}

impl<'a> Views<'a> {
    pub fn new(site: &'a Site) -> Self {
        Views {
            site,
            visible_notes: site.visible().count(),
            nav_positions: OnceLock::new(),
            escaped_links: OnceLock::new(),
        }
    }

    /// The default sidebar's items for `notes`, as seen from a page whose root prefix is `root`.
    /// Made here rather than by a loop in `base.html`: Tera spends about 1,400 instructions on each
    /// variable lookup, and the loop's four per note made the sidebar 9% of a build. (Hugo sites
    /// cache their sidebar partial for the same reason.) `nav[].notes` stays for templates that list
    /// them their way. Titles and URLs are escaped once per site, not once per page listing them.
    pub fn nav_items_html(&self, notes: &[NoteId], current: Option<NoteId>, root: &str) -> String {
        let links = self.escaped_links.get_or_init(|| {
            let site = self.site;
            (0..site.notes.len())
                .map(|id| (escape(&site.pages[id].url), escape(&site.notes[id].title)))
                .collect()
        });
        let root = escape(root);
        let mut html = String::with_capacity(notes.len() * 160);
        for &id in notes {
            let (url, title) = &links[id];
            html.push_str("\n              <li><a href=\"");
            html.push_str(&root);
            html.push_str(url);
            html.push('"');
            if Some(id) == current {
                html.push_str(" aria-current=\"page\"");
            }
            html.push('>');
            html.push_str(title);
            html.push_str("</a></li>");
        }
        html
    }

    /// [`Views::nav`] as the default `base.html` lists it, for a page showing topic `shown_topic`
    /// (a topic page) or not.
    pub fn nav_html(
        &self,
        nav: &[NavTopic<'_>],
        root: &str,
        shown_topic: Option<TopicId>,
    ) -> String {
        let shown_url =
            shown_topic.map(|t| self.site.urls.topic_url(&self.site.topics.list[t].slug));
        super::nav::nav_html(nav, root, shown_url.as_deref())
    }

    fn nav_position(&self, topic: TopicId, note: NoteId) -> Option<usize> {
        let positions = self.nav_positions.get_or_init(|| {
            let mut positions = HashMap::default();
            for (id, topic) in self.site.topics.list.iter().enumerate() {
                if topic.notes.len() > NAV_TOPIC_LIMIT {
                    positions.extend(topic.notes.iter().enumerate().map(|(at, &n)| ((id, n), at)));
                }
            }
            positions
        });
        positions.get(&(topic, note)).copied()
    }
}

impl<'a> Views<'a> {
    pub fn topic_link(&self, id: TopicId) -> Link<'a> {
        let topic = &self.site.topics.list[id];
        Link {
            name: &topic.full_name,
            url: self.site.urls.topic_url(&topic.slug),
        }
    }

    pub fn topic_ref(&self, id: TopicId) -> TopicRef<'a> {
        let topic = &self.site.topics.list[id];
        TopicRef {
            name: &topic.name,
            url: self.site.urls.topic_url(&topic.slug),
            count: topic.count,
            depth: topic.depth,
        }
    }

    pub fn note_ref(&self, id: NoteId) -> NoteRef<'a> {
        let note = &self.site.notes[id];
        NoteRef {
            title: &note.title,
            url: &self.site.pages[id].url,
            updated: note.updated(),
            description: note.description(),
            topics: self.site.topics.of_note[id]
                .iter()
                .map(|&t| self.topic_link(t))
                .collect(),
        }
    }

    pub fn titled(&self, id: NoteId) -> TitledLink<'a> {
        TitledLink {
            title: &self.site.notes[id].title,
            url: &self.site.pages[id].url,
        }
    }

    /// The sidebar for a page showing `current_note` or `current_topics`, whose root prefix is
    /// `root`; `with_notes`: whether to list each topic's shown notes in `notes` besides
    /// `notes_html`.
    pub fn nav(
        &self,
        current_note: Option<NoteId>,
        current_topics: &[TopicId],
        root: &str,
        with_notes: bool,
    ) -> Vec<NavTopic<'a>> {
        let site = self.site;
        let full = self.visible_notes <= FULL_NAV_LIMIT;
        let in_current = |t: TopicId| {
            current_topics
                .iter()
                .any(|&c| site.topics.path(c).contains(&t))
        };
        site.topics
            .list
            .iter()
            .enumerate()
            .map(|(id, topic)| {
                let current = in_current(id);
                let shown = if full || current {
                    let at = current_note.and_then(|n| self.nav_position(id, n));
                    nav_window(&topic.notes, at)
                } else {
                    &[]
                };
                let listed = if with_notes { shown } else { &[] };
                let notes: Vec<NavNote> = listed
                    .iter()
                    .map(|&n| NavNote {
                        title: &site.notes[n].title,
                        url: &site.pages[n].url,
                        current: Some(n) == current_note,
                    })
                    .collect();
                NavTopic {
                    notes_html: self.nav_items_html(shown, current_note, root),
                    name: &topic.name,
                    url: site.urls.topic_url(&topic.slug),
                    count: topic.count,
                    depth: topic.depth,
                    current,
                    notes,
                    more: topic.notes.len() - shown.len(),
                }
            })
            .collect()
    }

    /// Note `id`'s headings, for its table of contents.
    pub fn toc(&self, id: NoteId) -> Vec<TocEntry<'a>> {
        let headings = &self.site.notes[id].body.headings;
        headings
            .iter()
            .map(|h| TocEntry {
                level: h.level,
                id: &h.id,
                title: &h.title,
            })
            .collect()
    }

    /// The notes that link to note `id`, each with the sentence around its link.
    pub fn backlinks(&self, id: NoteId) -> Vec<BacklinkView<'a>> {
        let site = self.site;
        site.graph.backlinks[id]
            .iter()
            .map(|b| BacklinkView {
                title: &site.notes[b.from].title,
                url: &site.pages[b.from].url,
                context: &b.context,
            })
            .collect()
    }

    /// The notes related to note `id`, each with the reason.
    pub fn related(&self, id: NoteId) -> Vec<RelatedView<'a>> {
        let site = self.site;
        site.graph.related[id]
            .iter()
            .map(|r| RelatedView {
                title: &site.notes[r.note].title,
                url: &site.pages[r.note].url,
                reason: &r.reason,
            })
            .collect()
    }

    /// Previous and next note within the note's first topic.
    pub fn neighbours(&self, id: NoteId) -> (Option<TitledLink<'a>>, Option<TitledLink<'a>>) {
        let Some(&topic) = self.site.topics.of_note[id].first() else {
            return (None, None);
        };
        let order = &self.site.topics.list[topic].notes;
        let Some(pos) = order.iter().position(|&n| n == id) else {
            return (None, None);
        };
        let prev = pos.checked_sub(1).map(|p| self.titled(order[p]));
        let next = order.get(pos + 1).map(|&n| self.titled(n));
        (prev, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sidebar_window_is_bounded_and_keeps_the_current_note() {
        let notes: Vec<NoteId> = (0..1000).collect();
        assert_eq!(nav_window(&notes[..10], Some(3)).len(), 10);
        let window = nav_window(&notes, Some(500));
        assert_eq!(window.len(), NAV_TOPIC_LIMIT);
        assert!(window.contains(&500));
        assert_eq!(nav_window(&notes, Some(999)).last(), Some(&999));
        assert_eq!(nav_window(&notes, None).first(), Some(&0));
    }
}
