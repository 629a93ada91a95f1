//! `notesite build` when nothing changed since the last build: skipped, with the warnings shown
//! again; any change to what a build reads or wrote (a note, the config, the theme, an image, a file a
//! link looked for, an output file, the options) builds again.

use crate::util::{Output, Site};

fn summary(out: &Output) -> String {
    let stderr = &out.stderr;
    stderr
        .lines()
        .find(|l| l.starts_with("Built ") || l.starts_with("Nothing changed"))
        .unwrap_or_else(|| panic!("no summary line:\n{stderr}"))
        .to_string()
}

fn site() -> Site {
    let site = Site::new();
    site.file("notes/a.md", "# A\n\n![shot](shot.png)\n\nSee [[B]].\n")
        .file("notes/b.md", "# B\n\nText.\n");
    site
}

#[test]
fn a_build_with_nothing_changed_is_skipped_and_shows_its_warnings_again() {
    let site = site();
    let first = site.run(&["build"]).expect_code(0);
    assert!(
        summary(&first).starts_with("Built 2 notes"),
        "{}",
        summary(&first)
    );
    let page = site.read("public/notes/a.html");
    let second = site.run(&["build"]).expect_code(0);
    let line = summary(&second);
    assert!(
        line.starts_with("Nothing changed since the last build: 2 notes in public/"),
        "{line}"
    );
    assert!(line.contains("1 warnings"), "{line}");
    assert!(
        second
            .stderr
            .contains("notes/a.md:3:1: warning: missing image"),
        "{}",
        second.stderr
    );
    assert_eq!(site.read("public/notes/a.html"), page);
    let forced = site.run(&["build", "--force"]).expect_code(0);
    assert!(
        summary(&forced).starts_with("Built 2 notes"),
        "{}",
        summary(&forced)
    );
    // A forced build, and a build after the site was deleted, hash the notes as they parse them
    // (not up front): the record they leave must still let the next build be skipped.
    let after_force = site.run(&["build"]).expect_code(0);
    assert!(summary(&after_force).starts_with("Nothing changed"));
    std::fs::remove_dir_all(site.path("public")).unwrap();
    let rebuilt = site.run(&["build"]).expect_code(0);
    assert!(summary(&rebuilt).starts_with("Built 2 notes"));
    assert_eq!(site.read("public/notes/a.html"), page);
    let again = site.run(&["build"]).expect_code(0);
    assert!(summary(&again).starts_with("Nothing changed"));
}

#[test]
fn every_kind_of_change_builds_again() {
    let site = site();
    site.run(&["build"]).expect_code(0);
    type Change = fn(&Site);
    let changes: [(&str, Change, &[&str]); 8] = [
        (
            "a note edited",
            |s| {
                s.file("notes/b.md", "# B\n\nNew text.\n");
            },
            &[],
        ),
        (
            "a note added",
            |s| {
                s.file("notes/c.md", "# C\n");
            },
            &[],
        ),
        (
            "the config",
            |s| {
                s.file("notesite.toml", "title = \"Changed\"\n");
            },
            &[],
        ),
        (
            "a theme file",
            |s| {
                s.file("theme/style.css", "body { color: red }\n");
            },
            &[],
        ),
        (
            "an image in img_dir",
            |s| {
                s.png("img/other.png", 8, 8);
            },
            &[],
        ),
        // `shot.png` was looked for beside the note (and elsewhere) and not found.
        (
            "a missing image created",
            |s| {
                s.png("notes/shot.png", 8, 8);
            },
            &[],
        ),
        (
            "an output file deleted",
            |s| {
                std::fs::remove_file(s.path("public/notes/b.html")).unwrap();
            },
            &[],
        ),
        ("another option", |_| {}, &["--drafts"]),
    ];
    for (what, change, options) in changes {
        change(&site);
        let args: Vec<&str> = ["build"].iter().chain(options).copied().collect();
        let out = site.run(&args).expect_code(0);
        assert!(
            summary(&out).starts_with("Built "),
            "{what}: {}",
            summary(&out)
        );
        let again = site.run(&args).expect_code(0);
        assert!(
            summary(&again).starts_with("Nothing changed"),
            "{what}, built twice: {}",
            summary(&again)
        );
    }
    assert!(site.exists("public/notes/b.html"));
    assert!(site.read("public/notes/b.html").contains("New text."));
    assert!(site.read("public/index.html").contains("Changed"));
    let page = site.read("public/notes/a.html");
    assert!(
        !page.contains("missing-image"),
        "the created image is shown"
    );
}
