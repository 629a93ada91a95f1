//! Render stage: turns the site model into pages through Tera (templates compiled once, shared by the
//! rayon workers), plus the theme assets, `404.html`, `search.html` and `sitemap.xml`, into an
//! in-memory [`Output`].

mod cache;
mod compiling;
mod html;
mod nav;
mod picture;
pub mod theme;
mod topicmap;
mod views;

use bytes::Bytes;
use pulldown_cmark::Event;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use tera::{Context, Tera, Value};

use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics, Kind};
use crate::graph::{NoteId, Site, TopicId};
use crate::highlight::Highlighter;
use crate::images::Assets;
use crate::output::{Content, Output};
use crate::urls::root_prefix;
use cache::{lock, PageCache};
pub use compiling::{Compiling, RendererSource};
use views::{
    link_cards_html, page_value, toc_items_html, topic_chips_html, Common, NoteHtml, NoteView,
    TopicRef, Views,
};

/// What a rendered page's buffer starts at: a note page of the AWS corpus is 20–30 KB.
const PAGE_BYTES: usize = 32 << 10;

/// Everything that is loaded once per build and reused for every page.
pub struct Renderer {
    tera: Tera,
    highlighter: Highlighter,
    theme: Vec<theme::ThemeFile>,
    /// `assets.style` → `assets/style.<hash>.css`.
    asset_urls: BTreeMap<String, String>,
    /// Pages rendered by the previous run, by a hash of template and context (only for `serve`).
    cache: Option<PageCache>,
    /// Render time of every page (only for `build --timings`).
    profile: Option<Mutex<Vec<PageTime>>>,
    /// Whether pages get the sidebar as a list (`nav`), not only as HTML (`nav_html`): for a
    /// site's own templates. The built-in ones print `nav_html`, and making `nav` for them was 3%
    /// of a build (serialized into every page's context, 40 notes per topic).
    nav_in_context: bool,
}

/// How long one page took to render (a note page includes its body).
#[derive(Debug, Clone)]
pub struct PageTime {
    pub file: String,
    pub template: &'static str,
    pub elapsed: std::time::Duration,
}

impl Renderer {
    /// Compiles the templates and prepares the theme; a broken template or theme name is an error.
    pub fn new(config: &Config) -> Result<Renderer, Diagnostic> {
        let sources = theme::template_sources(&config.root.join("templates"))?;
        let nav_in_context = !theme::are_builtin(&sources);
        let mut tera = Tera::default();
        // Tera escapes `/` too, which turns every relative URL into `..&#x2F;notes&#x2F;…`: valid, but
        // bigger and unreadable. Escaping the five HTML-significant characters is enough.
        tera.set_escape_fn(crate::highlight::escape);
        tera.add_raw_templates(sources)
            .map_err(|e| template_error(&e))?;
        let highlight_css =
            crate::highlight::theme_css(&config.highlight_light, &config.highlight_dark)
                .map_err(|m| Diagnostic::error(Kind::Template, crate::config::CONFIG_FILE, m))?;
        let theme = theme::theme_files(
            &config.root.join("theme"),
            vec![("highlight.css", highlight_css.into_bytes())],
        )?;
        let asset_urls = theme
            .iter()
            .map(|f| (f.key.clone(), f.out.clone()))
            .collect();
        Ok(Renderer {
            tera,
            highlighter: Highlighter::new(),
            theme,
            asset_urls,
            cache: None,
            profile: None,
            nav_in_context,
        })
    }

    /// Keeps rendered pages between runs, for `serve`: unchanged pages are not rendered again.
    pub fn with_page_cache(mut self) -> Self {
        self.cache = Some(PageCache::default());
        self
    }

    /// Records how long each page takes to render; [`Renderer::page_times`] hands the times out.
    pub fn with_profile(mut self) -> Self {
        self.profile = Some(Mutex::default());
        self
    }

    /// The pages rendered since the last call, with their times (empty without a profile).
    pub fn page_times(&self) -> Vec<PageTime> {
        self.profile
            .as_ref()
            .map(|p| std::mem::take(&mut *lock(p)))
            .unwrap_or_default()
    }

    /// Runs `render` and, with a profile, records its time under `file` and `template`.
    fn timed<T>(&self, file: &str, template: &'static str, render: impl FnOnce() -> T) -> T {
        let Some(profile) = &self.profile else {
            return render();
        };
        let start = std::time::Instant::now();
        let value = render();
        let elapsed = start.elapsed();
        lock(profile).push(PageTime {
            file: file.to_string(),
            template,
            elapsed,
        });
        value
    }

    /// Renders every page of `site` into `output`. `visit`, if any, sees the Markdown events of each
    /// note body rendered (not of a page taken from the cache), with the output its page goes to.
    pub fn render(
        &self,
        site: &Site,
        assets: &Assets,
        config: &Config,
        output: &mut Output,
        visit: Option<&BodyVisitor>,
    ) -> Diagnostics {
        let page = PageRenderer {
            r: self,
            site,
            assets,
            config,
            views: Views::new(site),
            // Pages are cached only when the link stage worked out what each shows of the graph.
            outline: (self.cache.is_some() && site.graph.page_inputs.len() == site.notes.len())
                .then(|| cache::site_outline(site)),
            visit,
        };
        let notes: Vec<NoteId> = site.visible().collect();
        let cached = page.cached_notes(&notes);
        // The site pages alongside the notes, not after them: the home and topic pages of a large
        // site list every note, and rendered after the notes they kept one thread busy while the
        // other waited (100 ms at 10k notes).
        let shared: &Output = output;
        let (rendered, site_pages) = rayon::join(
            || page.note_pages(&notes, cached, shared),
            || page.site_pages(),
        );
        let mut diagnostics = Diagnostics::default();
        let mut pages = Vec::with_capacity(rendered.len());
        for (file, result) in rendered {
            match result {
                Ok(content) => pages.push((file, content)),
                Err(diag) => diagnostics.push(diag),
            }
        }
        output.add_stored(pages);
        for (file, result) in site_pages {
            match result {
                Ok(html) => output.add(file, html),
                Err(diag) => diagnostics.push(diag),
            }
        }
        for file in &self.theme {
            output.add(file.out.clone(), file.bytes.clone());
        }
        for asset in assets.ok() {
            output.copy(asset.out.clone(), asset.source.clone());
            for variant in &asset.variants {
                output.copy(variant.out.clone(), variant.file.clone());
            }
        }
        if let Some(base) = &config.base_url {
            output.add("sitemap.xml".into(), sitemap(site, base).into_bytes());
        }
        if let Some(cache) = &self.cache {
            cache.next_generation();
        }
        diagnostics
    }
}

/// Sees a rendered note's body events ([`crate::parse::markdown::Body::tape`]), and the output
/// its page goes to: the search stage reads the same events, and parsing once serves both.
pub type BodyVisitor<'v> = dyn Fn(NoteId, &[Event<'_>], &Output) + Sync + 'v;

/// A page of the site other than a note's.
#[derive(Clone, Copy)]
enum SitePage {
    Index,
    TopicsIndex,
    Topic(TopicId),
    NotFound,
    Search,
}

/// A note page looked up in the cache: found, or to be rendered (and kept under its key, if any).
enum Lookup {
    Hit(Bytes),
    Miss(Option<blake3::Hash>),
}

struct PageRenderer<'a> {
    r: &'a Renderer,
    site: &'a Site,
    assets: &'a Assets,
    config: &'a Config,
    views: Views<'a>,
    /// [`cache::site_outline`], when pages are cached.
    outline: Option<blake3::Hash>,
    visit: Option<&'a BodyVisitor<'a>>,
}

impl<'a> PageRenderer<'a> {
    /// Every note page, each stored in `output` as soon as it is rendered: a streaming output
    /// writes it at once and keeps none.
    fn note_pages(
        &self,
        notes: &[NoteId],
        cached: Vec<Lookup>,
        output: &Output,
    ) -> Vec<(String, Result<Content, Diagnostic>)> {
        notes
            .par_iter()
            .zip(cached)
            // Runs of at most 16 pages: left to itself rayon hands each worker a long run, and
            // the other waited up to 50 ms (at 10k notes) for the last one to end.
            .with_max_len(16)
            .map(|(&id, cached)| {
                let file = &self.site.pages[id].file;
                let html = match cached {
                    Lookup::Hit(hit) => Ok(hit),
                    Lookup::Miss(key) => self
                        .r
                        .timed(file, "note.html", || self.note(id, key, output)),
                };
                (file.clone(), html.map(|html| output.store(file, html)))
            })
            .collect()
    }

    /// The home page, the topic pages and their index, 404.html and search.html.
    fn site_pages(&self) -> Vec<(String, Result<Bytes, Diagnostic>)> {
        let topics = (0..self.site.topics.list.len()).map(SitePage::Topic);
        let pages: Vec<SitePage> = [SitePage::Index, SitePage::TopicsIndex]
            .into_iter()
            .chain(topics)
            .chain([SitePage::NotFound, SitePage::Search])
            .collect();
        pages
            .into_par_iter()
            .map(|kind| {
                let (file, template) = match kind {
                    SitePage::Index => ("index.html".to_string(), "index.html"),
                    SitePage::TopicsIndex => ("topics/index.html".to_string(), "topics.html"),
                    SitePage::Topic(id) => {
                        let slug = &self.site.topics.list[id].slug;
                        (self.site.urls.topic_file(slug), "topic.html")
                    }
                    SitePage::NotFound => ("404.html".to_string(), "404.html"),
                    SitePage::Search => ("search.html".to_string(), "search.html"),
                };
                let html = self.r.timed(&file, template, || {
                    self.page(template, &file, || match kind {
                        SitePage::Index => self.index(),
                        SitePage::TopicsIndex => self.topics_index(),
                        SitePage::Topic(id) => self.topic(id),
                        SitePage::NotFound => self.not_found(),
                        SitePage::Search => self.search(),
                    })
                });
                (file, html)
            })
            .collect()
    }

    fn common(
        &self,
        file: &str,
        root: &'a str,
        title: &'a str,
        kind: &'static str,
        nav: (Option<NoteId>, &[TopicId]),
    ) -> Common<'a> {
        let topics = self.views.nav(nav.0, nav.1, root, self.r.nav_in_context);
        let shown_topic = (kind == "topic").then(|| nav.1.first().copied()).flatten();
        Common {
            site: &self.config.site,
            root,
            page_title: title,
            page_kind: kind,
            canonical: self
                .config
                .base_url
                .as_ref()
                .map(|b| format!("{b}/{}", file.trim_end_matches("index.html"))),
            assets: &self.r.asset_urls,
            nav_html: self.views.nav_html(&topics, root, shown_topic),
            nav: if self.r.nav_in_context {
                topics
            } else {
                Vec::new()
            },
        }
    }

    fn render(
        &self,
        template: &str,
        common: Common<'_>,
        page: impl Serialize,
    ) -> Result<Bytes, Diagnostic> {
        let page = page_value(common, page).map_err(|e| template_error(&e))?;
        self.render_value(template, page)
    }

    /// Renders `template` with the context `page` (an object: [`views::page_value`]).
    fn render_value(&self, template: &str, page: Value) -> Result<Bytes, Diagnostic> {
        let context = Context::from_value(page).map_err(|e| template_error(&e))?;
        // Into a buffer the size of a typical page: `Tera::render` starts from 2 KB, grows it by
        // copying four times for a note page, then checks the bytes are UTF-8 (they are: Tera
        // writes strings), together 1% of a build.
        let mut html = Vec::with_capacity(PAGE_BYTES);
        self.r
            .tera
            .render_to(template, &context, &mut html)
            .map_err(|e| template_error(&e))?;
        // Only a page cache (`serve`) keeps pages: a short one (a topic list, the 404) gives the rest
        // back there. A one-shot build writes each page and frees it.
        if self.r.cache.is_some() && html.capacity() - html.len() > html.len() / 4 {
            html.shrink_to_fit();
        }
        Ok(Bytes::from(html))
    }

    /// Runs `render` unless the page cache holds the page `key` names (keys are made from the
    /// site outline, see [`cache`]).
    fn cached(
        &self,
        key: impl FnOnce(&blake3::Hash) -> blake3::Hash,
        render: impl FnOnce() -> Result<Bytes, Diagnostic>,
    ) -> Result<Bytes, Diagnostic> {
        let (Some(cache), Some(outline)) = (&self.r.cache, &self.outline) else {
            return render();
        };
        let key = key(outline);
        if let Some(hit) = cache.get(&key) {
            return Ok(hit);
        }
        let html = render()?;
        cache.put(key, html.clone());
        Ok(html)
    }

    /// The note pages the cache holds, found with one lock for all (nearly every page of `serve`'s
    /// second and later builds is found here); a miss carries its key for [`Self::note`].
    fn cached_notes(&self, notes: &[NoteId]) -> Vec<Lookup> {
        let (Some(cache), Some(outline)) = (&self.r.cache, &self.outline) else {
            return notes.iter().map(|_| Lookup::Miss(None)).collect();
        };
        let keys: Vec<blake3::Hash> = notes
            .par_iter()
            .map(|&id| cache::note_key(outline, self.site, self.assets, id))
            .collect();
        let hits = cache.get_all(&keys);
        keys.into_iter()
            .zip(hits)
            .map(|(key, hit)| hit.map_or(Lookup::Miss(Some(key)), Lookup::Hit))
            .collect()
    }

    /// Renders note `id`'s page and, with a cache `key`, keeps it.
    fn note(
        &self,
        id: NoteId,
        key: Option<blake3::Hash>,
        output: &Output,
    ) -> Result<Bytes, Diagnostic> {
        let html = self.note_uncached(id, output)?;
        if let (Some(cache), Some(key)) = (&self.r.cache, key) {
            cache.put(key, html.clone());
        }
        Ok(html)
    }

    /// A page other than a note's: made from the site outline alone.
    fn page(
        &self,
        template: &str,
        file: &str,
        render: impl FnOnce() -> Result<Bytes, Diagnostic>,
    ) -> Result<Bytes, Diagnostic> {
        self.cached(|outline| cache::page_key(outline, template, file), render)
    }

    fn note_uncached(&self, id: NoteId, output: &Output) -> Result<Bytes, Diagnostic> {
        let site = self.site;
        let note = &site.notes[id];
        let file = &site.pages[id].file;
        let root = root_prefix(file);
        let topics = &site.topics.of_note[id];
        let body = html::BodyRenderer {
            site,
            assets: self.assets,
            highlighter: &self.r.highlighter,
            visit: self.visit.map(|visit| (visit, output)),
        };
        let (prev, next) = self.views.neighbours(id);
        let toc = self.views.toc(id);
        let backlinks = self.views.backlinks(id);
        let related = self.views.related(id);
        let topic_links: Vec<_> = topics.iter().map(|&t| self.views.topic_link(t)).collect();
        let html = NoteHtml {
            content: body.render(id, &root),
            topics_html: topic_chips_html(&topic_links, &root),
            toc_html: toc_items_html(&toc),
            backlinks_html: link_cards_html(
                backlinks.iter().map(|b| (b.title, b.url, b.context)),
                &root,
            ),
            related_html: link_cards_html(
                related.iter().map(|r| (r.title, r.url, r.reason)),
                &root,
            ),
        };
        let view = NoteView {
            slug: &site.pages[id].slug,
            title: &note.title,
            description: note.front.description.as_deref().unwrap_or(""),
            date: note.front.date.as_deref().unwrap_or(""),
            updated: note.updated(),
            topics: topic_links,
            toc,
            source: note.source.display.to_string_lossy().replace('\\', "/"),
            reading_minutes: note.body.word_count.div_ceil(200).max(1),
            breadcrumbs: topics
                .first()
                .map(|&t| {
                    site.topics
                        .path(t)
                        .into_iter()
                        .map(|p| self.views.topic_link(p))
                        .collect()
                })
                .unwrap_or_default(),
            prev,
            next,
            backlinks,
            related,
        };
        #[derive(Serialize)]
        struct NotePage<'v> {
            note: NoteView<'v>,
        }
        let common = self.common(file, &root, &note.title, "note", (Some(id), topics));
        let mut page =
            page_value(common, NotePage { note: view }).map_err(|e| template_error(&e))?;
        if let Some(note) = page.get_mut("note").and_then(Value::as_object_mut) {
            html.move_into(note);
        }
        self.render_value("note.html", page)
    }

    fn index(&self) -> Result<Bytes, Diagnostic> {
        let site = self.site;
        let mut by_title: Vec<NoteId> = site.visible().collect();
        by_title.sort_by_cached_key(|&id| (site.notes[id].title.to_lowercase(), id));
        let mut recent: Vec<NoteId> = by_title
            .iter()
            .copied()
            .filter(|&id| !site.notes[id].updated().is_empty())
            .collect();
        recent.sort_by(|&a, &b| site.notes[b].updated().cmp(site.notes[a].updated()));
        recent.truncate(10);
        #[derive(Serialize)]
        struct IndexPage<'v> {
            topics: Vec<TopicRef<'v>>,
            recent: Vec<views::NoteRef<'v>>,
            notes: Vec<views::NoteRef<'v>>,
        }
        let page = IndexPage {
            topics: (0..site.topics.list.len())
                .map(|t| self.views.topic_ref(t))
                .collect(),
            recent: recent
                .into_iter()
                .map(|id| self.views.note_ref(id))
                .collect(),
            notes: by_title
                .into_iter()
                .map(|id| self.views.note_ref(id))
                .collect(),
        };
        self.render(
            "index.html",
            self.common(
                "index.html",
                "",
                &self.config.site.title,
                "index",
                (None, &[]),
            ),
            page,
        )
    }

    fn topics_index(&self) -> Result<Bytes, Diagnostic> {
        #[derive(Serialize)]
        struct TopicsPage<'v> {
            topics: Vec<TopicRef<'v>>,
            topic_map: String,
        }
        let page = TopicsPage {
            topics: (0..self.site.topics.list.len())
                .map(|t| self.views.topic_ref(t))
                .collect(),
            topic_map: topicmap::topic_map(self.site, "../"),
        };
        self.render(
            "topics.html",
            self.common("topics/index.html", "../", "Topics", "topics", (None, &[])),
            page,
        )
    }

    fn topic(&self, id: TopicId) -> Result<Bytes, Diagnostic> {
        let topic = &self.site.topics.list[id];
        let file = self.site.urls.topic_file(&topic.slug);
        let root = root_prefix(&file);
        #[derive(Serialize)]
        struct TopicView<'v> {
            name: &'v str,
            title: &'v str,
            url: String,
            breadcrumbs: Vec<views::Link<'v>>,
            notes: Vec<views::NoteRef<'v>>,
            subtopics: Vec<TopicRef<'v>>,
            cooccurring: Vec<TopicRef<'v>>,
        }
        #[derive(Serialize)]
        struct TopicPage<'v> {
            topic: TopicView<'v>,
        }
        let cooccurring = self.site.topics.cooccurring(id).into_iter().take(8);
        let mut ancestors = self.site.topics.path(id);
        ancestors.pop();
        let view = TopicView {
            name: &topic.full_name,
            title: &topic.name,
            url: self.site.urls.topic_url(&topic.slug),
            breadcrumbs: ancestors
                .into_iter()
                .map(|t| self.views.topic_link(t))
                .collect(),
            notes: topic
                .notes
                .iter()
                .map(|&n| self.views.note_ref(n))
                .collect(),
            subtopics: topic
                .children
                .iter()
                .map(|&c| self.views.topic_ref(c))
                .collect(),
            cooccurring: cooccurring
                .map(|(t, shared)| TopicRef {
                    count: shared,
                    ..self.views.topic_ref(t)
                })
                .collect(),
        };
        let common = self.common(&file, &root, &topic.full_name, "topic", (None, &[id]));
        self.render("topic.html", common, TopicPage { topic: view })
    }

    /// S3 serves the error document at whatever path was asked for, so relative links cannot work
    /// there: with `base_url` the page links absolutely, without it relative to the site root.
    fn not_found(&self) -> Result<Bytes, Diagnostic> {
        let root = self
            .config
            .base_url
            .as_ref()
            .map(|b| format!("{b}/"))
            .unwrap_or_default();
        let mut common = self.common("404.html", &root, "Page not found", "404", (None, &[]));
        common.canonical = None;
        self.render("404.html", common, ())
    }

    /// The search page: results are filled in by `theme/search.js` from `?q=`.
    fn search(&self) -> Result<Bytes, Diagnostic> {
        let mut common = self.common("search.html", "", "Search", "search", (None, &[]));
        common.canonical = None;
        self.render("search.html", common, ())
    }
}

/// `sitemap.xml` with absolute URLs under `base_url`.
fn sitemap(site: &Site, base: &str) -> String {
    let mut urls = vec![String::new(), site.urls.topics_index_url()];
    urls.extend(
        site.topics
            .list
            .iter()
            .map(|t| site.urls.topic_url(&t.slug)),
    );
    urls.extend(site.visible().map(|id| site.pages[id].url.clone()));
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for url in urls {
        let url = url.trim_end_matches("index.html");
        xml.push_str(&format!(
            "  <url><loc>{}</loc></url>\n",
            crate::highlight::escape(&format!("{base}/{url}"))
        ));
    }
    xml.push_str("</urlset>\n");
    xml
}

/// A Tera error with its whole cause chain (Tera puts the useful part in the sources).
fn template_error(error: &tera::Error) -> Diagnostic {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Diagnostic::error(Kind::Template, "templates", message).with_hint(
        "fix the template named above (a site's templates/ folder overrides the built-in ones)",
    )
}
