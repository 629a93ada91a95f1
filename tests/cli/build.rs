//! `notesite build` on good sites: the raw seed, determinism and mtimes, `--strict`, theme overrides,
//! the sidebar of a large topic and the sitemap.

use std::time::{Duration, SystemTime};

use crate::links::nested_fixture;
use crate::util::{count, Site};

/// The project's seed note, unmodified: one long note whose 96 screenshots are all missing.
#[test]
fn raw_seed_builds_with_a_placeholder_per_missing_screenshot() {
    let site = Site::from_fixture("seed-raw");
    let out = site.build_ok();
    assert!(site.exists("public/index.html"));
    let page = site.read("public/notes/aws-course.html");
    assert_eq!(count(&page, "class=\"missing-image\""), 96);
    // The first missing screenshot is named with its line and column, later ones are summarised.
    assert!(
        out.stderr.contains(
            "notes/aws-course.md:2:1: warning: missing image: `./img/image_0_Image9.jpg.png`"
        ),
        "{}",
        out.stderr
    );
    let summary = out
        .stderr
        .lines()
        .find(|l| l.starts_with("Built "))
        .unwrap_or_else(|| panic!("no summary line:\n{}", out.stderr));
    assert!(summary.starts_with("Built 1 notes"), "{summary}");
    assert!(summary.contains(" 96 missing screenshots"), "{summary}");
}

#[test]
fn output_is_byte_identical_across_builds_folders_and_thread_counts() {
    let first = nested_fixture();
    first.build_ok();
    let once = first.snapshot("public");
    first.build_ok();
    once.assert_same(&first.snapshot("public"), "rebuild in place");
    // Another folder and a single rayon thread: nothing may depend on paths or scheduling.
    let second = nested_fixture();
    second
        .run_env(&["build"], &[("RAYON_NUM_THREADS", "1")])
        .expect_code(0);
    once.assert_same(&second.snapshot("public"), "build elsewhere on one thread");
}

#[test]
fn unchanged_files_keep_their_mtime_and_changed_ones_get_a_new_one() {
    let site = nested_fixture();
    site.build_ok();
    // Backdate the whole output so "kept" and "rewritten" differ by years, not by clock granularity.
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let before = site.snapshot("public");
    for name in before.names() {
        let file = std::fs::File::options()
            .write(true)
            .open(site.path(&format!("public/{name}")))
            .unwrap();
        file.set_modified(old).unwrap();
    }
    // A paragraph that is no summary, link context or title: only this note's page can change.
    let note = site.read("notes/aws/compute/ec2.md");
    site.file(
        "notes/aws/compute/ec2.md",
        format!("{note}\nA new closing paragraph.\n"),
    );
    site.build_ok();
    let after = site.snapshot("public");
    let mut unchanged = Vec::new();
    for name in after.names() {
        let mtime = std::fs::metadata(site.path(&format!("public/{name}")))
            .unwrap()
            .modified()
            .unwrap();
        if before.0.get(name) == after.0.get(name) {
            assert_eq!(mtime, old, "{name} did not change but was rewritten");
            unchanged.push(name);
        } else {
            assert_ne!(mtime, old, "{name} changed but kept its old mtime");
        }
    }
    assert_ne!(
        before.0["notes/aws/compute/ec2.html"],
        after.0["notes/aws/compute/ec2.html"]
    );
    assert!(unchanged.contains(&"index.html"), "{unchanged:?}");
    assert!(
        unchanged.iter().any(|n| n.starts_with("img/")),
        "{unchanged:?}"
    );
}

#[test]
fn strict_turns_a_missing_image_into_a_failed_build_that_keeps_the_old_site() {
    let site = nested_fixture();
    site.build_ok();
    let previous = site.snapshot("public");
    site.file("notes/extra.md", "# Extra\n\n![gone](../img/gone.png)\n");
    site.run(&["build", "--strict"])
        .expect_code(1)
        .stderr_has("notes/extra.md:3:1: error: missing image: `../img/gone.png`");
    previous.assert_same(
        &site.snapshot("public"),
        "output after a failed --strict build",
    );
    // Without --strict the same problem is a warning.
    site.build_ok()
        .stderr_has("notes/extra.md:3:1: warning: missing image");
    assert!(site.exists("public/notes/extra.html"));
}

/// The href of the stylesheet that `page` links (`assets/style.<hash>.css`).
fn stylesheet(page: &str) -> String {
    crate::html::tags(page)
        .into_iter()
        .filter(|t| t.name == "link" && t.attr("rel") == Some("stylesheet"))
        .filter_map(|t| t.attr("href").map(str::to_string))
        .find(|href| href.contains("assets/style."))
        .unwrap_or_else(|| panic!("no style.css link in\n{page}"))
}

#[test]
fn site_templates_and_theme_override_the_built_in_ones() {
    let site = Site::from_fixture("theme-override");
    site.build_ok();
    let page = site.read("public/notes/hello.html");
    assert!(page.contains("data-template=\"theme-override\""), "{page}");
    // The override extends the built-in base.html, so the shell is still there.
    assert!(page.contains("class=\"site-header\""));
    let css_href = stylesheet(&page);
    let css_file = css_href.trim_start_matches("../");
    assert_eq!(
        site.read_bytes(&format!("public/{css_file}")),
        site.read_bytes("theme/style.css")
    );
    // Pages without an override keep the built-in template but share the site's stylesheet.
    let index = site.read("public/index.html");
    assert!(!index.contains("data-template"));
    assert_eq!(stylesheet(&index), css_file);

    let plain = Site::new();
    plain.file("notes/hello.md", site.read("notes/hello.md"));
    plain.build_ok();
    let default_css = stylesheet(&plain.read("public/index.html"));
    assert_ne!(
        default_css, css_file,
        "the content hash ignores the stylesheet"
    );
}

/// `nav[].notes` and `nav[].more` (docs/templates.md): above 300 notes the sidebar lists a window of
/// 40 notes of the current topic around the page's note, and links the rest to the topic page.
#[test]
fn a_large_topic_lists_a_window_of_its_notes_and_links_the_rest() {
    let site = Site::new();
    for i in 0..320 {
        site.file(
            &format!("notes/n{i:03}.md"),
            format!("---\ntitle: \"Note {i:03}\"\ntopics: [big]\n---\nText {i}.\n"),
        );
    }
    site.build_ok();
    let page = site.read("public/notes/n200.html");
    let nav_notes = page
        .split("class=\"nav-notes\">")
        .nth(1)
        .expect("a list of notes");
    let nav_notes = &nav_notes[..nav_notes.find("</ul>").expect("the list ends")];
    let listed: Vec<String> = crate::html::tags(nav_notes)
        .iter()
        .filter_map(|t| t.attr("href"))
        .filter(|href| href.starts_with("../notes/n"))
        .map(str::to_string)
        .collect();
    assert_eq!(listed.len(), 40, "{listed:?}");
    assert!(listed.contains(&"../notes/n200.html".to_string()));
    assert!(
        page.contains("aria-current=\"page\">Note 200</a>"),
        "{page}"
    );
    assert!(
        page.contains("<li class=\"nav-more\"><a href=\"../topics/big.html\">… 280 more</a>"),
        "{page}"
    );
    // A small site lists every note and has nothing more to link.
    let small = Site::new();
    small.file("notes/a.md", "---\ntitle: A\ntopics: [big]\n---\nText.\n");
    small.build_ok();
    assert!(!small.read("public/notes/a.html").contains("nav-more"));
}

/// `nav[].notes_html`, `note.backlinks_html`, `note.related_html` and `note.toc_html`
/// (docs/templates.md) are the escaped lists the default templates show, and `nav[].notes` and `note.backlinks` stay for a
/// site's own templates that list them their way.
#[test]
fn the_sidebar_and_backlinks_are_escaped_and_templates_can_still_loop_over_them() {
    let site = Site::new();
    site.file(
        "notes/a.md",
        "---\ntitle: \"A <b> & 'q'\"\ntopics: [t, \"Q&A <x>\"]\n---\nSee [B](sub/b.md) `<i>` now.\n\n\
         ## One\n\n## Two & `<y>`\n",
    )
    .file("notes/sub/b.md", "---\ntitle: B\ntopics: [t]\n---\nText.\n");
    site.build_ok();
    let page = site.read("public/notes/sub/b.html");
    let a_title = "A &lt;b&gt; &amp; &#39;q&#39;";
    let sidebar = format!("<li><a href=\"../../notes/a.html\">{a_title}</a></li>");
    assert!(page.contains(&sidebar), "{page}");
    assert!(
        page.contains("<li><a href=\"../../notes/sub/b.html\" aria-current=\"page\">B</a></li>"),
        "{page}"
    );
    let card =
        format!("<li><a href=\"../../notes/a.html\">{a_title}</a><p>See B &lt;i&gt; now.</p></li>");
    let backlinks = page
        .split("id=\"backlinks\"")
        .nth(1)
        .expect("a backlinks section");
    assert!(backlinks.contains(&card), "{backlinks}");
    // `note.toc_html`, in both tables of contents.
    let a = site.read("public/notes/a.html");
    let toc_item = "\">Two &amp; &lt;y&gt;</a></li>";
    assert_eq!(a.matches(toc_item).count(), 2, "{a}");
    // `note.topics_html`: the chips under the title.
    let chips = a.split("<ul class=\"chips\">").nth(1).expect("topic chips");
    let chips = chips.split("</ul>").next().unwrap();
    assert!(
        chips.starts_with("<li><a class=\"chip\" href=\"../topics/"),
        "{chips}"
    );
    assert!(chips.contains(">Q&amp;A &lt;x&gt;</a></li>"), "{chips}");
    assert_eq!(chips.matches("<li>").count(), 2, "{chips}");

    site.file(
        "templates/base.html",
        "{% for t in nav %}{% for n in t.notes %}[{{ n.title }}|{{ root }}{{ n.url }}|{{ n.current }}]\
         {% endfor %}{% endfor %}{% block main %}{% endblock main %}",
    )
    .file(
        "templates/note.html",
        "{% extends \"base.html\" %}{% import \"macros.html\" as m %}{% block main %}\
         {% for b in note.backlinks %}({{ b.title }}|{{ b.url }}|{{ b.context }}){% endfor %}\
         <made>{{ note.topics_html | safe }}</made><macro>{{ m::chips(items=note.topics, root=root) }}</macro>\
         {% endblock main %}",
    );
    site.build_ok();
    // The chips made in Rust are what the `chips` macro writes.
    let a = site.read("public/notes/a.html");
    let between = |open: &str, close: &str| {
        let rest = a.split(open).nth(1).expect(open);
        rest.split(close).next().unwrap().to_string()
    };
    let made = between("<made>", "</made>");
    assert!(made.contains("Q&amp;A &lt;x&gt;"), "{a}");
    assert_eq!(made, between("<macro>", "</macro>"));
    let chips =
        "<ul class=\"chips\"><li><a class=\"chip\" href=\"../../topics/t.html\">t</a></li></ul>";
    let chips = format!("<made>{chips}</made><macro>{chips}</macro>");
    assert_eq!(
        site.read("public/notes/sub/b.html"),
        format!(
            "[{a_title}|../../notes/a.html|false]\
             [{a_title}|../../notes/a.html|false][B|../../notes/sub/b.html|true]\
             ({a_title}|notes/a.html|See B &lt;i&gt; now.){chips}"
        )
    );
}

/// `<loc>` values of a sitemap.
fn locs(xml: &str) -> Vec<&str> {
    xml.split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
        .collect()
}

#[test]
fn sitemap_and_canonical_links_exist_only_with_a_base_url() {
    let site = nested_fixture();
    site.build_ok();
    assert!(!site.exists("public/sitemap.xml"));
    assert_eq!(canonical(&site.read("public/notes/start.html")), None);

    site.file(
        "notesite.toml",
        "title = \"x\"\nbase_url = \"https://notes.example.com/aws/\"\n",
    );
    site.build_ok();
    let xml = site.read("public/sitemap.xml");
    let locs = locs(&xml);
    assert!(
        locs.contains(&"https://notes.example.com/aws/notes/start.html"),
        "{xml}"
    );
    for loc in &locs {
        let rel = loc
            .strip_prefix("https://notes.example.com/aws/")
            .unwrap_or_else(|| panic!("`{loc}` is not under base_url"));
        let file = if rel.is_empty() || rel.ends_with('/') {
            format!("{rel}index.html")
        } else {
            rel.to_string()
        };
        assert!(
            site.exists(&format!("public/{file}")),
            "{loc} names no page"
        );
    }
    assert!(!xml.contains("wip"), "a draft is in the sitemap");
    assert_eq!(
        canonical(&site.read("public/notes/aws/iam.html")).as_deref(),
        Some("https://notes.example.com/aws/notes/aws/iam.html")
    );
    assert_eq!(canonical(&site.read("public/404.html")), None);
}

fn canonical(page: &str) -> Option<String> {
    crate::html::tags(page)
        .into_iter()
        .find(|t| t.name == "link" && t.attr("rel") == Some("canonical"))
        .and_then(|t| t.attr("href").map(str::to_string))
}

/// `--timings` prints each stage, the peak memory after each (where the system reports it), the
/// slowest notes and the time per template; the site it writes is the same as without it.
#[test]
fn timings_name_every_stage_the_slowest_notes_and_the_templates() {
    let site = nested_fixture();
    site.build_ok();
    let plain = site.snapshot("public");
    let out = site
        .run(&["build", "--force", "--timings"])
        .expect_code(0)
        .stderr_has("Slowest notes (parse + render):")
        .stderr_has("Templates (pages, total render time, slowest page):");
    let stages = out
        .stderr
        .lines()
        .find(|l| l.starts_with("Stages: "))
        .unwrap_or_else(|| panic!("no stage line:\n{}", out.stderr));
    for stage in [
        "scan", "parse", "link", "images", "render", "search", "write",
    ] {
        assert!(stages.contains(&format!("{stage} ")), "{stage}: {stages}");
    }
    assert!(out.stderr.contains("  note.html "), "{}", out.stderr);
    if cfg!(target_os = "linux") {
        let peaks = out
            .stderr
            .lines()
            .find(|l| l.starts_with("Peak memory after each stage: "))
            .unwrap_or_else(|| panic!("no memory line:\n{}", out.stderr));
        assert!(
            peaks.contains("render ") && peaks.contains(" MiB"),
            "{peaks}"
        );
    }
    plain.assert_same(&site.snapshot("public"), "a build with --timings");
}
