//! `notesite init` and `notesite new`: they create files and never overwrite any.

use crate::util::Site;

#[test]
fn init_creates_a_site_that_builds() {
    let site = Site::new();
    site.run(&["init", "my-notes"]).expect_code(0);
    assert!(site.exists("my-notes/notesite.toml"));
    site.run(&["build", "--root", "my-notes"]).expect_code(0);
    assert!(site.exists("my-notes/public/index.html"));
    // The welcome note is there and links nowhere broken.
    let walk = crate::links::assert_links_ok(&site, "my-notes/public", false);
    assert!(
        walk.files.iter().any(|f| f.starts_with("notes/")),
        "{:?}",
        walk.files
    );
}

#[test]
fn init_refuses_an_existing_site() {
    let site = Site::new();
    site.run(&["init", "."]).expect_code(0);
    site.file("notes/mine.md", "# Mine\n");
    let before = site.snapshot_all();
    site.run(&["init", "."])
        .expect_code(2)
        .stderr_has("already exists");
    before.assert_same(&site.snapshot_all(), "files after a refused init");
}

#[test]
fn new_creates_a_note_with_front_matter_and_never_overwrites() {
    let site = Site::new();
    site.run(&["init", "."]).expect_code(0);
    let args = [
        "new", "My Title", "--topic", "aws", "--topic", "iam", "--root", ".",
    ];
    let out = site.run(&args).expect_code(0);
    assert!(out.stdout.contains("my-title.md"), "{}", out.stdout);
    let text = site.read("notes/my-title.md");
    assert!(text.starts_with("---\n"), "{text}");
    assert!(text.contains("title: \"My Title\"\n"), "{text}");
    assert!(text.contains("topics: [\"aws\", \"iam\"]\n"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("date: 20") && l.len() == "date: 2024-01-01".len()),
        "{text}"
    );
    // The new note is a valid note: the site still builds and shows its title.
    site.build_ok();
    assert!(site.read("public/notes/my-title.html").contains("My Title"));

    site.file(
        "notes/my-title.md",
        "---\ntitle: \"My Title\"\n---\nmy edits\n",
    );
    let again = site.run(&args);
    assert_ne!(again.code, 0, "a second `new` succeeded:\n{}", again.stderr);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(
        site.read("notes/my-title.md"),
        "---\ntitle: \"My Title\"\n---\nmy edits\n"
    );
}
