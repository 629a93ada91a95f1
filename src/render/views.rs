//! Typed, borrowed view structs handed to Tera: the template contract documented in docs/templates.md.
//! A misspelt field does not compile, and nothing is cloned that a reference can carry.

use serde::Serialize;
use std::collections::BTreeMap;

use crate::config::SiteMeta;
use crate::graph::{NoteId, Site, TopicId};

/// Above this many notes the sidebar lists only the current topics' notes, so a page's size does not
/// grow with the site (every topic is still listed, linking to its topic page).
pub const FULL_NAV_LIMIT: usize = 300;
/// Above [`FULL_NAV_LIMIT`], a current topic with more notes than this lists only this many, around the
/// current note, and links to its topic page for the rest: one folder-topic can hold every note of a
/// large site, and listing them all made every page grow with the site (10k notes: 1.5 MB a page).
pub const NAV_WINDOW: usize = 40;

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
}

#[derive(Serialize)]
pub struct NavTopic<'a> {
    pub name: &'a str,
    pub url: String,
    pub count: usize,
    pub depth: usize,
    pub current: bool,
    pub notes: Vec<NavNote<'a>>,
    /// Notes of this topic not listed in `notes` (see [`NAV_WINDOW`]).
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

/// The `note` of note.html.
#[derive(Serialize)]
pub struct NoteView<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub date: &'a str,
    pub updated: &'a str,
    pub topics: Vec<Link<'a>>,
    pub content: String,
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

/// Builds view values out of the site model.
pub struct Views<'a> {
    pub site: &'a Site,
    /// Each topic's notes in navigation order, sorted once per render instead of once per page (at
    /// 1,000 notes in one topic the per-page sorts were a fifth of the build).
    order: Vec<Vec<NoteId>>,
    /// Each note's index in the `order` of each of its topics.
    positions: Vec<Vec<(TopicId, usize)>>,
    /// Whether the sidebar lists every note (see [`FULL_NAV_LIMIT`]).
    full_nav: bool,
}

impl<'a> Views<'a> {
    pub fn new(site: &'a Site) -> Self {
        let order: Vec<Vec<NoteId>> = site
            .topics
            .list
            .iter()
            .map(|t| site.ordered(&t.notes))
            .collect();
        let mut positions = vec![Vec::new(); site.notes.len()];
        for (topic, notes) in order.iter().enumerate() {
            for (at, &note) in notes.iter().enumerate() {
                positions[note].push((topic, at));
            }
        }
        Views {
            site,
            order,
            positions,
            full_nav: site.visible().count() <= FULL_NAV_LIMIT,
        }
    }

    /// Where `note` stands in the navigation order of `topic`.
    fn position(&self, note: NoteId, topic: TopicId) -> Option<usize> {
        self.positions[note]
            .iter()
            .find(|(t, _)| *t == topic)
            .map(|&(_, at)| at)
    }

    /// The notes of topic `id` in navigation order.
    pub fn ordered(&self, id: TopicId) -> &[NoteId] {
        &self.order[id]
    }

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

    /// The sidebar for a page showing `current_note` or `current_topics`.
    pub fn nav(
        &self,
        current_note: Option<NoteId>,
        current_topics: &[TopicId],
    ) -> Vec<NavTopic<'a>> {
        let site = self.site;
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
                let all = &self.order[id];
                let shown = if self.full_nav {
                    all.as_slice()
                } else if current {
                    window(all, current_note.and_then(|n| self.position(n, id)))
                } else {
                    &[]
                };
                let notes = shown
                    .iter()
                    .map(|&n| NavNote {
                        title: &site.notes[n].title,
                        url: &site.pages[n].url,
                        current: Some(n) == current_note,
                    })
                    .collect();
                NavTopic {
                    name: &topic.name,
                    url: site.urls.topic_url(&topic.slug),
                    count: topic.count,
                    depth: topic.depth,
                    current,
                    notes,
                    more: if shown.is_empty() {
                        0
                    } else {
                        all.len() - shown.len()
                    },
                }
            })
            .collect()
    }

    /// Previous and next note within the note's first topic.
    pub fn neighbours(&self, id: NoteId) -> (Option<TitledLink<'a>>, Option<TitledLink<'a>>) {
        let Some(&topic) = self.site.topics.of_note[id].first() else {
            return (None, None);
        };
        let Some(pos) = self.position(id, topic) else {
            return (None, None);
        };
        let order = &self.order[topic];
        let prev = pos.checked_sub(1).map(|p| self.titled(order[p]));
        let next = order.get(pos + 1).map(|&n| self.titled(n));
        (prev, next)
    }
}

/// At most [`NAV_WINDOW`] notes of `all`, centred on the one at index `current`, if any.
fn window(all: &[NoteId], current: Option<usize>) -> &[NoteId] {
    if all.len() <= NAV_WINDOW {
        return all;
    }
    let at = current.unwrap_or(0);
    let start = at
        .saturating_sub(NAV_WINDOW / 2)
        .min(all.len() - NAV_WINDOW);
    &all[start..start + NAV_WINDOW]
}
