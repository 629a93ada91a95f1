//! The link walker: follows every `href`, `src` and `srcset` candidate of every page of a built site and proves that the
//! output is self-contained (relative URLs only, each naming an existing file, each `#fragment` an
//! existing `id`), so it works from file://, under a sub-path and on S3.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::html;
use crate::util::{rel_name, Site};

/// What the walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Output files, `/`-separated, relative to the output root.
    pub files: BTreeSet<String>,
    /// Internal URLs checked (each occurrence).
    pub internal: usize,
    /// Internal URLs with a fragment that was checked against the target's ids.
    pub fragments: usize,
    /// Internal URLs that name a folder (only allowed with pretty URLs).
    pub directory_urls: usize,
    /// (page, URL) of every http/https/mailto URL.
    pub external: Vec<(String, String)>,
    /// Everything wrong, one line each: `page: problem`.
    pub problems: Vec<String>,
}

/// Walks every `.html` file below `out`; directory URLs are accepted only when `pretty`.
pub fn walk(out: &Path, pretty: bool) -> Walk {
    let mut walk = Walk::default();
    let mut pages = BTreeMap::new();
    for entry in walkdir::WalkDir::new(out).sort_by_file_name() {
        let entry = entry.expect("walk output");
        if entry.file_type().is_file() {
            let name = rel_name(out, entry.path());
            if name.ends_with(".html") {
                let text = std::fs::read_to_string(entry.path())
                    .unwrap_or_else(|e| panic!("{name} is not UTF-8: {e}"));
                pages.insert(name.clone(), text);
            }
            walk.files.insert(name);
        }
    }
    let ids: BTreeMap<&str, BTreeSet<String>> = pages
        .iter()
        .map(|(name, text)| (name.as_str(), page_ids(name, text, &mut walk.problems)))
        .collect();
    for (page, text) in &pages {
        for tag in html::tags(text) {
            for (attr, url) in &tag.attrs {
                let urls: Vec<&str> = match attr.as_str() {
                    "href" | "src" => vec![url.as_str()],
                    // `url 640w, url 1280w`: every candidate must exist too.
                    "srcset" => url
                        .split(',')
                        .map(|c| c.split_whitespace().next().unwrap_or(""))
                        .collect(),
                    _ => continue,
                };
                for url in urls {
                    if let Err(problem) = walk.check(page, url, pretty, &ids) {
                        walk.problems.push(format!("{page}: `{url}` {problem}"));
                    }
                }
            }
        }
    }
    walk
}

/// The ids of one page; a duplicate makes `#id` ambiguous and is a problem.
fn page_ids(page: &str, text: &str, problems: &mut Vec<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for id in html::ids(text) {
        if !seen.insert(id.clone()) {
            problems.push(format!("{page}: duplicate id=\"{id}\""));
        }
    }
    seen
}

impl Walk {
    /// Checks one URL of `page`; the error says what is wrong with it.
    fn check(
        &mut self,
        page: &str,
        url: &str,
        pretty: bool,
        ids: &BTreeMap<&str, BTreeSet<String>>,
    ) -> Result<(), String> {
        if url.is_empty() {
            return Err("is empty".into());
        }
        if url.starts_with('/') {
            return Err("is root-absolute".into());
        }
        if let Some(scheme) = scheme(url) {
            // An inline `data:` resource stays inside the page (the self-contained 404 page's icon).
            if scheme == "data" {
                return Ok(());
            }
            if !matches!(scheme.as_str(), "http" | "https" | "mailto") {
                return Err(format!("has the scheme `{scheme}:`"));
            }
            self.external.push((page.to_string(), url.to_string()));
            return Ok(());
        }
        let (path, fragment) = match url.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (url, None),
        };
        let path = path.split('?').next().unwrap_or("");
        let target = resolve(page, &decode(path)).ok_or("climbs above the output root")?;
        let target = if target.is_empty() || target.ends_with('/') || self.is_dir(&target) {
            if !pretty {
                return Err("names a folder, not a file".into());
            }
            self.directory_urls += 1;
            format!("{}/index.html", target.trim_end_matches('/'))
                .trim_start_matches('/')
                .to_string()
        } else {
            target
        };
        self.internal += 1;
        if !self.files.contains(&target) {
            return Err(format!("points to `{target}`, which is not in the output"));
        }
        let Some(fragment) = fragment else {
            return Ok(());
        };
        let fragment = decode(fragment);
        let target_ids = ids
            .get(target.as_str())
            .ok_or_else(|| format!("has a fragment but `{target}` is not a page"))?;
        self.fragments += 1;
        if !target_ids.contains(&fragment) {
            return Err(format!("`#{fragment}` is no id in `{target}`"));
        }
        Ok(())
    }

    fn is_dir(&self, target: &str) -> bool {
        let prefix = format!("{target}/");
        self.files.iter().any(|f| f.starts_with(&prefix))
    }
}

/// The scheme of an absolute URL (`https`, `mailto`, `javascript`…), lower-cased.
fn scheme(url: &str) -> Option<String> {
    let (scheme, _) = url.split_once(':')?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// Resolves a decoded relative path against the folder of `page`; `None` if it leaves the output.
fn resolve(page: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    if path.is_empty() {
        return Some(page.to_string());
    }
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    let mut joined = parts.join("/");
    if path.ends_with('/') && !joined.is_empty() {
        joined.push('/');
    }
    Some(joined)
}

/// The output file an internal `href` of `page` points to (fragment dropped); `None` for external,
/// root-absolute or escaping URLs.
pub fn resolve_href(page: &str, href: &str) -> Option<String> {
    if href.starts_with('/') || scheme(href).is_some() {
        return None;
    }
    let path = href.split(['#', '?']).next().unwrap_or("");
    resolve(page, &decode(path))
}

/// Where each internal `href` of `page` leads, as `file` or `file#fragment` (decoded, resolved).
pub fn link_targets(page: &str, html: &str) -> Vec<String> {
    html::tags(html)
        .iter()
        .filter_map(|t| t.attr("href"))
        .filter_map(|href| {
            let target = resolve_href(page, href)?;
            Some(match href.split_once('#') {
                Some((_, fragment)) => format!("{target}#{}", decode(fragment)),
                None => target,
            })
        })
        .collect()
}

/// The rendered Markdown of a note page (the default `note.html` wraps it in `<div class="content">`;
/// note bodies of these fixtures contain no `<div>`).
pub fn note_content(page: &str) -> &str {
    let start = page
        .find("<div class=\"content\">")
        .unwrap_or_else(|| panic!("no content div in\n{page}"));
    let end = page[start..]
        .find("</div>")
        .map_or(page.len(), |e| start + e);
    &page[start..end]
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .unwrap_or_else(|_| panic!("`{text}` is not UTF-8 once percent-decoded"))
        .into_owned()
}

/// Walks `site`'s output folder `out` and asserts it is clean: no problems, internal links and
/// fragments really checked, and every external URL one that a note wrote (not template chrome).
pub fn assert_links_ok(site: &Site, out: &str, pretty: bool) -> Walk {
    let walk = walk(&site.path(out), pretty);
    assert!(
        walk.problems.is_empty(),
        "{} link problems:\n{}",
        walk.problems.len(),
        walk.problems.join("\n")
    );
    assert!(walk.internal > 0, "no internal links were checked");
    // The notes folder beside the output (`public` → `notes`, `x/public` → `x/notes`).
    let notes = std::path::Path::new(out).with_file_name("notes");
    let sources = note_sources(&site.root().join(notes));
    for (page, url) in &walk.external {
        assert!(
            page.starts_with("notes/") && sources.contains(url.as_str()),
            "{page}: external URL `{url}` does not come from a note's Markdown"
        );
    }
    walk
}

/// All Markdown below `notes`, concatenated.
fn note_sources(notes: &Path) -> String {
    let mut all = String::new();
    for entry in walkdir::WalkDir::new(notes) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            all.push_str(&String::from_utf8_lossy(
                &std::fs::read(entry.path()).unwrap(),
            ));
        }
    }
    all
}

/// The images the `nested` fixture's notes reference (generated, not committed).
pub fn nested_fixture() -> Site {
    let site = Site::from_fixture("nested");
    site.png("img/shot.png", 64, 40)
        .png("img/ec2 console.png", 32, 20)
        .png("img/wiki-shot.png", 16, 16);
    site
}

#[test]
fn repository_notes_have_only_working_relative_links() {
    let site = Site::from_repo_notes();
    site.build_ok();
    let walk = assert_links_ok(&site, "public", false);
    assert!(walk.fragments > 0, "the TOCs' #fragments were not checked");
    assert!(walk.files.contains("notes/iam.html"));
}

#[test]
fn nested_folders_link_up_down_and_sideways() {
    let site = nested_fixture();
    let out = site.build_ok();
    assert!(out.stderr.contains(" 0 warnings"), "{}", out.stderr);
    let walk = assert_links_ok(&site, "public", false);
    assert_eq!(walk.directory_urls, 0);
    assert!(
        walk.fragments >= 6,
        "only {} fragments checked",
        walk.fragments
    );
    // The links resolved where the fixture meant them to go, not just somewhere that exists.
    let start = site.read("public/notes/start.html");
    let targets = link_targets("notes/start.html", note_content(&start));
    for expected in [
        "notes/aws/compute/ec2.html",
        "notes/aws/compute/ec2.html#key-pairs",
        "notes/aws/iam.html",
        "notes/aws/iam.html#roles-and-policies",
        "notes/guides/getting-started.html",
        "notes/guides/getting-started.html#first-steps",
        "notes/start.html#later",
        "notes/start.html#later-1",
    ] {
        assert!(
            targets.iter().any(|t| t == expected),
            "start.html does not link {expected}: {targets:?}"
        );
    }
    assert!(start.contains("href=\"https://aws.amazon.com/\""));
    let ec2 = site.read("public/notes/aws/compute/ec2.html");
    let targets = link_targets("notes/aws/compute/ec2.html", note_content(&ec2));
    assert!(
        targets
            .iter()
            .any(|t| t == "notes/aws/iam.html#über-uns--more"),
        "{targets:?}"
    );
    // A heading that shares its name with a template section gets its own id, and links reach it.
    let guide = site.read("public/notes/guides/getting-started.html");
    let related = link_targets("notes/guides/getting-started.html", note_content(&guide))
        .into_iter()
        .find_map(|t| {
            t.strip_prefix("notes/guides/getting-started.html#")
                .map(str::to_string)
        })
        .expect("the #related link");
    let heading = html::tags(&guide)
        .into_iter()
        .find(|t| t.attr("id") == Some(related.as_str()))
        .unwrap();
    assert_eq!(heading.name, "h2", "#{related} is not the heading");
    let attachments: Vec<_> = walk
        .files
        .iter()
        .filter(|f| f.starts_with("files/policy."))
        .collect();
    assert_eq!(attachments.len(), 1, "{:?}", walk.files);
    // The draft is neither built nor linked.
    assert!(!walk.files.iter().any(|f| f.contains("wip")));
    assert!(start.contains("<span class=\"private-link\">"));
}

#[test]
fn pretty_urls_name_folders_that_have_an_index() {
    let site = nested_fixture();
    site.file("notesite.toml", "title = \"Pretty\"\npretty_urls = true\n");
    site.build_ok();
    let walk = assert_links_ok(&site, "public", true);
    assert!(walk.directory_urls > 0, "no directory URL was produced");
    assert!(walk.files.contains("notes/aws/compute/ec2/index.html"));
    let start = site.read("public/notes/start/index.html");
    let targets = link_targets("notes/start/index.html", note_content(&start));
    assert!(
        targets
            .iter()
            .any(|t| t == "notes/aws/compute/ec2/#key-pairs"),
        "{targets:?}"
    );
}

#[test]
fn drafts_flag_publishes_drafts_and_their_links() {
    let site = nested_fixture();
    site.run(&["build", "--drafts"]).expect_code(0);
    let walk = assert_links_ok(&site, "public", false);
    assert!(walk.files.contains("notes/drafts/wip.html"));
    let start = site.read("public/notes/start.html");
    let targets = link_targets("notes/start.html", note_content(&start));
    assert!(
        targets.iter().any(|t| t == "notes/drafts/wip.html"),
        "{targets:?}"
    );
}

/// The walker itself: each kind of bad URL is caught, so a clean walk means something.
#[test]
fn walker_flags_every_kind_of_bad_url() {
    let site = Site::new();
    site.file("out/notes/b.html", "<h2 id=\"x\">X</h2>")
        .file("out/img/a.png", "png")
        .file(
            "out/notes/a.html",
            r##"<p id="top" id2="dup"></p><div id="top"></div>
<a href="b.html#x">ok</a> <img src="../img/a.png"> <a href="https://example.com/">ok</a>
<a href="/notes/b.html">absolute</a> <a href="c.html">missing</a> <a href="b.html#nope">fragment</a>
<a href="../notes">folder</a> <a href="javascript:alert(1)">scheme</a> <a href="../../x.html">escapes</a>
<a href="">empty</a> <img src="../img/a.png#frag">"##,
        );
    let walk = walk(&site.path("out"), false);
    let expected = [
        "duplicate id=\"top\"",
        "`/notes/b.html` is root-absolute",
        "`c.html` points to `notes/c.html`",
        "`#nope` is no id in `notes/b.html`",
        "`../notes` names a folder",
        "has the scheme `javascript:`",
        "`../../x.html` climbs above the output root",
        "`` is empty",
        "`img/a.png` is not a page",
    ];
    for problem in expected {
        assert!(
            walk.problems.iter().any(|p| p.contains(problem)),
            "missed {problem:?} in {:#?}",
            walk.problems
        );
    }
    assert_eq!(walk.problems.len(), expected.len(), "{:#?}", walk.problems);
    assert_eq!(walk.internal, 5);
    assert_eq!(walk.external.len(), 1);
    // With pretty URLs a folder is fine when it has an index.html.
    site.file("out/notes/index.html", "");
    assert!(!walk_problems(&site, true)
        .iter()
        .any(|p| p.contains("names a folder")));
}

fn walk_problems(site: &Site, pretty: bool) -> Vec<String> {
    walk(&site.path("out"), pretty).problems
}
