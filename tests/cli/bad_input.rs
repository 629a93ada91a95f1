//! Unusual or broken input: each case gets the exit code and message it deserves, never a panic, and a
//! failed build never touches the previous output.

use crate::html;
use crate::links::{assert_links_ok, link_targets, nested_fixture, note_content, resolve_href};
use crate::util::{count, Site};

/// Builds the nested fixture, breaks a note with `text` and checks the error points at `line`.
fn assert_front_matter_error(text: &str, line: usize) {
    let site = nested_fixture();
    site.build_ok();
    let previous = site.snapshot("public");
    site.file("notes/x.md", text);
    site.run(&["build"])
        .expect_code(1)
        .stderr_has(&format!("notes/x.md:{line}: error: invalid front matter"))
        .stderr_has("public was left as it was");
    previous.assert_same(&site.snapshot("public"), "output after a failed build");
    let leftovers: Vec<_> = std::fs::read_dir(site.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn invalid_yaml_front_matter_names_its_line_and_keeps_the_previous_site() {
    let text = "---\ntitle: Broken\ndescription: fine so far\ntopics: [aws]\n  nested: wrong indentation\n---\nbody\n";
    assert_front_matter_error(text, 5);
}

#[test]
fn invalid_toml_front_matter_names_its_line_and_keeps_the_previous_site() {
    let text = "+++\ntitle = \"Broken\"\ntopics = [\"aws\"]\n\ndescription = \n+++\nbody\n";
    assert_front_matter_error(text, 5);
}

#[test]
fn invalid_utf8_is_replaced_with_a_warning() {
    let site = Site::new();
    site.file(
        "notes/latin1.md",
        b"# Caf\xe9 notes\n\nPrice: 5 \x80 each.\n",
    );
    site.build_ok()
        .stderr_has("notes/latin1.md:1: warning:")
        .stderr_has("UTF-8");
    let page = site.read("public/notes/latin1.html");
    assert!(page.contains("Caf\u{fffd} notes"), "{page}");
    assert!(page.contains("5 \u{fffd} each"), "{page}");
}

#[test]
fn empty_note_is_titled_after_its_file_name() {
    let site = Site::new();
    site.file("notes/empty-note.md", "");
    site.build_ok();
    let page = site.read("public/notes/empty-note.html");
    assert!(page.contains("<h1>Empty note</h1>"), "{page}");
    assert!(page.contains("<title>Empty note"), "{page}");
}

#[test]
fn bom_and_crlf_note_reads_front_matter_and_headings() {
    let site = Site::new();
    site.file(
        "notes/windows.md",
        "\u{feff}---\r\ntitle: Written on Windows\r\ntopics: [aws]\r\n---\r\n\r\n## First Part\r\n\r\nSee [the second part](#second-part).\r\n\r\n## Second Part\r\n\r\nText.\r\n",
    );
    let out = site.build_ok();
    assert!(out.stderr.contains(" 0 warnings"), "{}", out.stderr);
    let page = site.read("public/notes/windows.html");
    assert!(page.contains("<h1>Written on Windows</h1>"), "{page}");
    assert!(
        !page.contains("title: Written"),
        "front matter leaked into the page"
    );
    let ids = html::ids(&page);
    assert!(ids.iter().any(|i| i == "first-part"), "{ids:?}");
    assert!(ids.iter().any(|i| i == "second-part"), "{ids:?}");
    assert!(site.exists("public/topics/aws.html"));
    assert_links_ok(&site, "public", false);
}

#[cfg(unix)]
#[test]
fn symlink_loop_in_notes_is_reported_and_skipped() {
    let site = Site::new();
    site.file("notes/a.md", "# A\n")
        .file("notes/sub/b.md", "# B\n");
    std::os::unix::fs::symlink("..", site.path("notes/sub/loop")).unwrap();
    site.build_ok()
        .stderr_has("notes/sub/loop")
        .stderr_has("symlink loop");
    assert!(site.exists("public/notes/a.html"));
    assert!(site.exists("public/notes/sub/b.html"));
}

#[test]
fn same_title_in_two_folders_gives_two_pages() {
    let site = Site::new();
    site.file(
        "notes/aws/setup.md",
        "---\ntitle: Setup\n---\nThe AWS setup.\n",
    )
    .file(
        "notes/gcp/setup.md",
        "---\ntitle: Setup\n---\nThe GCP setup.\n",
    );
    site.build_ok();
    assert!(site
        .read("public/notes/aws/setup.html")
        .contains("The AWS setup."));
    assert!(site
        .read("public/notes/gcp/setup.html")
        .contains("The GCP setup."));
    let index = site.read("public/index.html");
    let hrefs: Vec<String> = html::tags(&index)
        .iter()
        .filter_map(|t| t.attr("href"))
        .filter_map(|h| resolve_href("index.html", h))
        .collect();
    for page in ["notes/aws/setup.html", "notes/gcp/setup.html"] {
        assert!(
            hrefs.iter().any(|h| h == page),
            "index does not link {page}: {hrefs:?}"
        );
    }
}

#[test]
fn file_names_with_the_same_slug_get_distinct_pages() {
    let site = Site::new();
    site.file("notes/Key Pairs.md", "First.\n")
        .file("notes/key-pairs.md", "Second.\n");
    site.build_ok();
    let first = site.read("public/notes/key-pairs.html");
    let second = site.read("public/notes/key-pairs-2.html");
    assert_ne!(first, second);
}

#[test]
fn unicode_file_names_with_spaces_are_built_and_linked() {
    let site = Site::new();
    site.file("notes/Über Notizen.md", "Über alles.\n\n## Abschnitt\n")
        .file("notes/日本語 メモ.md", "メモです。\n")
        .file(
            "notes/links.md",
            "# Links\n\n[encoded](%C3%9Cber%20Notizen.md#abschnitt), [spaces](<Über Notizen.md>), \
             [brackets](<日本語 メモ.md>) and [[Über Notizen]].\n",
        );
    let out = site.build_ok();
    assert!(out.stderr.contains(" 0 warnings"), "{}", out.stderr);
    assert!(site.exists("public/notes/über-notizen.html"));
    assert!(site.exists("public/notes/日本語-メモ.html"));
    let page = site.read("public/notes/links.html");
    let targets = link_targets("notes/links.html", note_content(&page));
    assert_eq!(
        targets,
        [
            "notes/über-notizen.html#abschnitt",
            "notes/über-notizen.html",
            "notes/日本語-メモ.html",
            "notes/über-notizen.html",
        ]
    );
    assert_links_ok(&site, "public", false);
}

#[test]
fn images_outside_the_site_root_are_never_read() {
    let site = Site::new();
    let secret = "TOP-SECRET: a file beside the site root";
    std::fs::write(site.outside("secret.txt"), secret).unwrap();
    site.file(
        "notes/leak.md",
        "# Leak\n\n![x](../../etc/passwd)\n\n![y](/etc/hostname)\n\n![z](../../secret.txt)\n\n\
         ![w](../../../../../../../../../../../../etc/passwd)\n",
    );
    let out = site.build_ok();
    for line in [3, 5, 7, 9] {
        let at = format!("notes/leak.md:{line}:1: warning:");
        assert!(
            out.stderr.contains(&at),
            "no warning at {at}\n{}",
            out.stderr
        );
    }
    let page = site.read("public/notes/leak.html");
    assert_eq!(count(&page, "class=\"missing-image\""), 4, "{page}");
    let output = site.snapshot("public");
    assert!(!output
        .names()
        .iter()
        .any(|n| n.starts_with("img/") || n.starts_with("files/")));
    let forbidden: Vec<Vec<u8>> = [secret.as_bytes().to_vec()]
        .into_iter()
        .chain(std::fs::read("/etc/passwd").ok())
        .chain(std::fs::read("/etc/hostname").ok())
        .filter(|b| b.len() >= 8)
        .collect();
    for (name, bytes) in &output.0 {
        for f in &forbidden {
            assert!(
                !bytes.windows(f.len()).any(|w| w == f.as_slice()),
                "{name} contains a file from outside the site"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn symlinked_image_pointing_outside_the_site_is_not_copied() {
    let site = Site::new();
    let secret = "TOP-SECRET: reached through a symlink";
    std::fs::write(site.outside("secret.png"), secret).unwrap();
    std::fs::create_dir_all(site.path("img")).unwrap();
    std::os::unix::fs::symlink(site.outside("secret.png"), site.path("img/link.png")).unwrap();
    site.file("notes/leak.md", "# Leak\n\n![x](../img/link.png)\n");
    site.build_ok().stderr_has("notes/leak.md:3:1: warning:");
    let output = site.snapshot("public");
    for (name, bytes) in &output.0 {
        assert!(
            !String::from_utf8_lossy(bytes).contains(secret),
            "{name} leaks"
        );
    }
}

#[test]
fn corrupt_image_is_a_warning_with_a_placeholder_and_an_error_under_strict() {
    let site = Site::new();
    site.file("img/broken.png", b"\x89PNG\r\n\x1a\n not a png at all")
        .file("img/noise.png", "hello")
        .png("img/fine.png", 8, 8)
        .file(
            "notes/shots.md",
            "# Shots\n\n![fine](../img/fine.png)\n\n![broken](../img/broken.png)\n\n![noise](../img/noise.png)\n",
        );
    site.build_ok()
        .stderr_has("notes/shots.md:5:1: warning:")
        .stderr_has("broken.png")
        .stderr_has("notes/shots.md:7:1: warning:");
    let page = site.read("public/notes/shots.html");
    assert_eq!(count(&page, "class=\"missing-image\""), 2, "{page}");
    let images: Vec<String> = site
        .snapshot("public")
        .names()
        .into_iter()
        .filter(|n| n.starts_with("img/"))
        .map(str::to_string)
        .collect();
    // Its WebP copies (`fine.8w.<hash>.webp`) come from the good image too.
    assert!(
        images.iter().all(|n| n.starts_with("img/fine.")),
        "only the good image is copied: {images:?}"
    );
    let originals = images.iter().filter(|n| !n.contains("w.")).count();
    assert_eq!(originals, 1, "{images:?}");
    site.run(&["build", "--strict"])
        .expect_code(1)
        .stderr_has("notes/shots.md:5:1: error:");
}

#[test]
fn unknown_code_language_is_escaped_plain_text() {
    let site = Site::new();
    site.file(
        "notes/code.md",
        "# Code\n\n```nosuchlang\n<script>alert(1)</script> & done\n```\n",
    );
    site.build_ok();
    let page = site.read("public/notes/code.html");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; done"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("data-lang=\"nosuchlang\""), "{page}");
}

/// `build --out OUT` is refused with exit 2 and `why`, and nothing anywhere changes.
fn assert_out_refused(out: &str, why: &str) {
    let site = nested_fixture();
    site.file("stuff/keep.txt", "mine");
    let before = site.snapshot_all();
    site.run(&["build", "--out", out])
        .expect_code(2)
        .stderr_has("refusing")
        .stderr_has(why);
    before.assert_same(&site.snapshot_all(), &format!("files after `--out {out}`"));
}

#[test]
fn out_dir_at_the_notes_is_refused() {
    assert_out_refused("notes", "notes_dir");
}

#[test]
fn out_dir_at_the_site_root_or_above_is_refused() {
    assert_out_refused(".", "the site root");
    assert_out_refused("..", "the site root");
}

#[test]
fn out_dir_at_a_foreign_non_empty_folder_is_refused() {
    assert_out_refused("stuff", "not created by notesite");
}

#[test]
fn unknown_config_key_is_a_usage_error_naming_key_and_line() {
    let site = nested_fixture();
    site.file(
        "notesite.toml",
        "title = \"x\"\n\n[highlight]\nlight = \"InspiredGitHub\"\ndrak = \"base16-ocean.dark\"\n",
    );
    site.run(&["build"])
        .expect_code(2)
        .stderr_has("notesite.toml:5")
        .stderr_has("drak");
    site.file(
        "notesite.toml",
        "title = \"x\"\nbase_ulr = \"https://x.example\"\n",
    );
    site.run(&["check"])
        .expect_code(2)
        .stderr_has("notesite.toml:2")
        .stderr_has("base_ulr");
    assert!(!site.exists("public"));
}

#[test]
fn a_template_that_does_not_compile_is_a_usage_error_and_the_site_stays() {
    let site = nested_fixture();
    site.build_ok();
    let before = site.snapshot("public");
    // Templates are compiled while the notes are parsed; the error still comes before any page.
    site.file("templates/note.html", "{% extends \"base.html\" %}{% if %}");
    site.run(&["build"]).expect_code(2).stderr_has("note.html");
    before.assert_same(&site.snapshot("public"), "the site after a failed build");
    site.run(&["build", "--force", "--timings"])
        .expect_code(2)
        .stderr_has("note.html");
    before.assert_same(&site.snapshot("public"), "the site after a failed build");
}

#[test]
fn jpeg_named_png_is_copied_with_its_real_dimensions() {
    let site = Site::new();
    site.jpeg("img/photo.jpg.png", 40, 30).file(
        "notes/photo.md",
        "# Photo\n\n![a photo](../img/photo.jpg.png)\n",
    );
    site.build_ok();
    let page = site.read("public/notes/photo.html");
    let img = html::tags(&page)
        .into_iter()
        .find(|t| t.name == "img" && t.attr("src").is_some_and(|s| s.contains("photo")))
        .unwrap_or_else(|| panic!("no <img> for the photo in\n{page}"));
    assert_eq!(
        (img.attr("width"), img.attr("height")),
        (Some("40"), Some("30"))
    );
    let file = resolve_href("notes/photo.html", img.attr("src").unwrap()).unwrap();
    assert!(file.starts_with("img/photo.jpg."), "{file}");
    assert_eq!(
        site.read_bytes(&format!("public/{file}")),
        site.read_bytes("img/photo.jpg.png")
    );
}
