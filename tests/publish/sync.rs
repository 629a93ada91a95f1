//! What gets uploaded and deleted, and with which headers.

use crate::util::{planned_uploads, Site, S3};

#[test]
fn first_publish_uploads_everything_and_a_second_uploads_nothing() {
    let (s3, site) = (S3::start(), Site::new());
    let run = site.publish(&s3, "docs", &[]).ok();
    let files = site.built_files();
    assert!(files.len() >= 10, "{files:?}");
    let json = run.json();
    assert_eq!(json["uploaded"], files.len());
    assert_eq!(json["unchanged"], 0);
    assert_eq!(json["deleted"], 0);
    assert_eq!(json["dry_run"], false);
    let keys: Vec<String> = s3.objects().into_keys().collect();
    let expected: Vec<String> = files.iter().map(|f| format!("docs/{f}")).collect();
    assert_eq!(keys, expected);
    assert!(
        run.stderr.contains("Published s3://site/docs/"),
        "{}",
        run.stderr
    );

    let again = site.publish(&s3, "docs", &[]).ok().json();
    assert_eq!(again["uploaded"], 0);
    assert_eq!(again["bytes"], 0);
    assert_eq!(again["unchanged"], files.len());
}

#[test]
fn json_summary_is_exactly_the_contract() {
    let (s3, site) = (S3::start(), Site::new());
    let json = site.publish(&s3, "", &[]).ok().json();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["bytes", "deleted", "dry_run", "unchanged", "uploaded"],
        "{json}"
    );
    let total: u64 = site
        .built_files()
        .iter()
        .map(|f| std::fs::metadata(site.out().join(f)).unwrap().len())
        .sum();
    assert_eq!(json["bytes"], total);
}

#[test]
fn a_rebuild_with_identical_bytes_uploads_nothing() {
    let (s3, site) = (S3::start(), Site::new());
    site.publish(&s3, "docs", &[]).ok();
    // Rewrite every output file with the same bytes and a new mtime, as a generator that does not
    // keep unchanged files would (`aws s3 sync` re-uploads all of them).
    std::thread::sleep(std::time::Duration::from_millis(20));
    for file in site.built_files() {
        let path = site.out().join(&file);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, bytes).unwrap();
    }
    let json = site.publish(&s3, "docs", &["--no-build"]).ok().json();
    assert_eq!(json["uploaded"], 0);
    // And a full rebuild too.
    site.run(&["build"]).ok();
    let json = site.publish(&s3, "docs", &[]).ok().json();
    assert_eq!(json["uploaded"], 0);
}

#[test]
fn one_changed_note_uploads_only_what_changed() {
    let (s3, site) = (S3::start(), Site::new());
    site.publish(&s3, "docs", &[]).ok();
    let before = s3.objects();
    site.write(
        "notes/ec2.md",
        "---\ntitle: EC2\ntopics: [aws, compute]\n---\n\nInstances, AMIs and security groups.\n",
    );
    let dry = site.publish(&s3, "docs", &["--dry-run"]).ok();
    let planned = planned_uploads(&dry.stderr);
    assert!(
        planned
            .iter()
            .any(|(r, k)| r == "changed" && k == "docs/notes/ec2.html"),
        "{planned:?}"
    );
    assert!(
        planned
            .iter()
            .all(|(_, k)| k.ends_with(".html") || k.contains("search")),
        "assets and images must not be re-uploaded: {planned:?}"
    );
    let json = site.publish(&s3, "docs", &[]).ok().json();
    assert_eq!(json["uploaded"], planned.len());
    assert!(planned.len() < before.len() / 2, "{planned:?}");
    let after = s3.objects();
    for (key, etag) in &before {
        let changed = planned.iter().any(|(_, k)| k == key);
        assert_eq!(after[key] != *etag, changed, "{key}");
    }
}

#[test]
fn dry_run_lists_the_plan_and_changes_nothing() {
    let (s3, site) = (S3::start(), Site::new());
    s3.put("docs/old.html", "old page");
    let before = s3.objects();
    let run = site.run(&[
        "publish",
        "--bucket",
        "site",
        "--prefix",
        "docs",
        "--endpoint-url",
        &s3.endpoint(),
        "--dry-run",
        "--delete",
    ]);
    let run = run.ok();
    assert_eq!(s3.objects(), before);
    let planned = planned_uploads(&run.stdout);
    assert_eq!(planned.len(), site.built_files().len(), "{}", run.stdout);
    assert!(planned.iter().all(|(r, _)| r == "new"));
    // Assets first, pages last.
    let first_page = planned
        .iter()
        .position(|(_, k)| k.ends_with(".html"))
        .unwrap();
    assert!(
        planned[first_page..]
            .iter()
            .all(|(_, k)| k.ends_with(".html")),
        "{planned:?}"
    );
    assert!(
        run.stdout.contains("delete docs/old.html"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
}

#[test]
fn content_types_and_cache_headers_per_file() {
    let (s3, site) = (S3::start(), Site::new());
    site.publish(&s3, "", &[]).ok();
    let files = site.built_files();
    let find = |pred: &dyn Fn(&str) -> bool| {
        files
            .iter()
            .find(|f| pred(f))
            .unwrap_or_else(|| panic!("no such file in {files:?}"))
            .clone()
    };
    let immutable = "public, max-age=31536000, immutable";
    let short = "public, max-age=300";
    let cases = [
        ("index.html".to_string(), "text/html; charset=utf-8", short),
        ("404.html".to_string(), "text/html; charset=utf-8", short),
        (
            find(&|f| f.starts_with("notes/")),
            "text/html; charset=utf-8",
            short,
        ),
        (
            find(&|f| f.starts_with("assets/style.")),
            "text/css; charset=utf-8",
            immutable,
        ),
        (
            find(&|f| f.starts_with("assets/") && f.ends_with(".js")),
            "text/javascript; charset=utf-8",
            immutable,
        ),
        // Search index parts: scripts whose names stay while their bytes change, so short-lived
        // (the engine revalidates meta and asks for the others with `?v=<build id>`).
        (
            "search/meta.js".to_string(),
            "text/javascript; charset=utf-8",
            short,
        ),
        (
            find(&|f| f.starts_with("search/f/")),
            "text/javascript; charset=utf-8",
            short,
        ),
        (find(&|f| f.ends_with(".svg")), "image/svg+xml", immutable),
        (
            find(&|f| f.contains("console.jpg.")),
            "image/jpeg",
            immutable,
        ),
        (find(&|f| f.contains("user.")), "image/png", immutable),
    ];
    for (key, content_type, cache_control) in cases {
        let (ct, cc, _) = s3.head(&key);
        assert_eq!(
            (ct.as_str(), cc.as_str()),
            (content_type, cache_control),
            "{key}"
        );
    }
}

#[test]
fn config_table_sets_the_flags() {
    let (s3, site) = (S3::start(), Site::new());
    site.write(
        "notesite.toml",
        &format!(
            "title = \"T\"\n[publish]\nbucket = \"site\"\nprefix = \"from-config\"\nendpoint_url = \"{}\"\njson = true\ncache_control = \"no-cache\"\n",
            s3.endpoint()
        ),
    );
    let json = site.run(&["publish"]).ok().json();
    assert!(json["uploaded"].as_u64().unwrap() > 0);
    assert_eq!(s3.head("from-config/index.html").1, "no-cache");
    // A flag wins over the table.
    let json = site.run(&["publish", "--prefix", "from-flag"]).ok().json();
    assert!(json["uploaded"].as_u64().unwrap() > 0);
    assert!(s3.objects().contains_key("from-flag/index.html"));
}

#[test]
fn deletes_need_delete_and_respect_max_deletes() {
    let (s3, site) = (S3::start(), Site::new());
    site.publish(&s3, "docs", &[]).ok();
    for i in 0..5 {
        s3.put(&format!("docs/stale/{i}.html"), "stale");
    }
    let kept = site.publish(&s3, "docs", &[]).ok();
    assert_eq!(kept.json()["deleted"], 0);
    assert!(
        kept.stderr
            .contains("5 object(s) the site no longer has were kept"),
        "{}",
        kept.stderr
    );

    site.write("notes/new.md", "---\ntitle: New\n---\n\nnew\n");
    let refused = site.publish(&s3, "docs", &["--delete", "--max-deletes", "4"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("refusing to delete 5 objects under s3://site/docs/")
            && refused.stderr.contains("--max-deletes 5"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        s3.objects().keys().filter(|k| k.contains("stale/")).count(),
        5
    );
    assert!(
        !s3.objects().contains_key("docs/notes/new.html"),
        "a refused publish changes nothing"
    );

    let json = site
        .publish(&s3, "docs", &["--delete", "--max-deletes", "5"])
        .ok()
        .json();
    assert_eq!(json["deleted"], 5);
    assert!(!s3.objects().keys().any(|k| k.contains("stale/")));
    assert!(s3.objects().contains_key("docs/notes/new.html"));
}

#[test]
fn deleted_note_is_removed_with_delete() {
    let (s3, site) = (S3::start(), Site::new());
    site.publish(&s3, "", &[]).ok();
    std::fs::remove_file(site.root().join("notes/ec2.md")).unwrap();
    let json = site.publish(&s3, "", &["--delete"]).ok().json();
    assert!(json["deleted"].as_u64().unwrap() >= 1, "{json}");
    let keys = s3.objects();
    assert!(!keys.contains_key("notes/ec2.html"));
    let expected: Vec<String> = site.built_files();
    assert_eq!(keys.into_keys().collect::<Vec<_>>(), expected);
}

#[test]
fn keys_outside_the_prefix_are_never_touched() {
    let (s3, site) = (S3::start(), Site::new());
    for key in [
        "index.html",
        "other/keep.html",
        "docs-old/x.html",
        "docsy.html",
    ] {
        s3.put(key, "not the site");
    }
    let outside = |s3: &S3| -> Vec<(String, String)> {
        s3.objects()
            .into_iter()
            .filter(|(k, _)| !k.starts_with("docs/"))
            .collect()
    };
    let before = outside(&s3);
    site.publish(&s3, "docs", &["--delete", "--max-deletes", "1000"])
        .ok();
    site.write("notes/ec2.md", "---\ntitle: EC2\n---\n\nchanged\n");
    site.publish(&s3, "/docs/", &["--delete"]).ok();
    assert_eq!(outside(&s3), before);
}

#[test]
fn large_files_use_multipart_and_are_then_recognised() {
    let (s3, site) = (S3::start(), Site::new());
    site.run(&["build"]).ok();
    let big: Vec<u8> = (0..9 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(site.out().join("video.mp4"), &big).unwrap();
    site.publish(&s3, "", &["--no-build"]).ok();
    let (ct, _, etag) = s3.head("video.mp4");
    assert_eq!(ct, "video/mp4");
    assert!(
        etag.trim_matches('"').ends_with("-2"),
        "multipart ETag expected: {etag}"
    );
    let json = site.publish(&s3, "", &["--no-build"]).ok().json();
    assert_eq!(json["uploaded"], 0);
}

#[test]
fn print_policy_needs_no_network() {
    let site = Site::new();
    let run = site
        .run(&[
            "publish",
            "--bucket",
            "notes-site",
            "--prefix",
            "docs",
            "--print-policy",
            "--setup-website",
        ])
        .ok();
    let policy = run.json();
    let text = policy.to_string();
    assert!(text.contains("arn:aws:s3:::notes-site/docs/*"), "{text}");
    assert!(text.contains("s3:PutBucketWebsite"), "{text}");
    assert!(!site.out().exists(), "--print-policy does not build");
}
