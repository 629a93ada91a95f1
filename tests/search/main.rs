//! Search end to end: builds a site (the repository's shipped notes plus a few fixtures) with the real
//! binary, then checks ranking with node running `theme/search.js` against the built index, and the
//! UI in headless Chromium over HTTP and from file://. Tests that need node or Chromium skip, saying
//! so, when it is not installed.

mod browser;
#[path = "../common/cdp.rs"]
mod cdp;
mod site;
#[path = "../common/tools.rs"]
mod tools;

use std::process::Command;

use site::BuiltSite;

/// Runs `tests/search/query.cjs` on the built index; `None` when node is missing.
fn query(site: &BuiltSite, q: &str) -> Option<serde_json::Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/search/query.cjs");
    let out = Command::new("node")
        .arg(script)
        .arg(site.out.join("search"))
        .arg(q)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "query.cjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("query.cjs prints JSON"))
}

fn node_available() -> bool {
    let ok = Command::new("node").arg("--version").output().is_ok();
    if !ok {
        tools::missing_tool("node is not installed; search ranking tests need it");
    }
    ok
}

fn titles(result: &serde_json::Value) -> Vec<String> {
    result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_string())
        .collect()
}

fn first_title(site: &BuiltSite, q: &str) -> String {
    let result = query(site, q).expect("node");
    titles(&result)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no result for {q:?}: {result}"))
}

#[test]
fn ranking_on_the_shipped_notes() {
    if !node_available() {
        return;
    }
    let site = site::build();
    // A note's title returns it first.
    for (q, title) in [
        ("Lambda", "Lambda"),
        ("simple queue service", "SQS (Simple Queue Service)"),
        ("elastic file system", "EFS (Elastic File System)"),
        ("monolithic", "Monolithic vs Microservices"),
        ("IAM", "IAM (Identity & Access Management)"),
    ] {
        assert_eq!(first_title(site, q), title, "query {q:?}");
    }
    // Identifiers, whole and by part.
    assert_eq!(first_title(site, "lambda_handler"), "Lambda");
    assert_eq!(first_title(site, "s3:PutObject"), "Bucket policies");
    assert_eq!(first_title(site, "PutObject"), "Bucket policies");
    // A quoted phrase is checked against the text.
    assert_eq!(
        first_title(site, "\"static website hosting\""),
        "S3 (Simple Storage Service)"
    );
    let phrase = query(site, "\"aws s3 sync\"").unwrap();
    assert_eq!(titles(&phrase), ["Bucket policies"], "{phrase}");
    // Prefix while typing.
    assert_eq!(first_title(site, "lamb"), "Lambda");
    // A one-letter typo is corrected.
    let typo = query(site, "lamda").unwrap();
    assert_eq!(typo["suggestion"], "lambda", "{typo}");
    assert_eq!(titles(&typo)[0], "Lambda");
    // CJK by bigrams.
    assert_eq!(first_title(site, "每個月都"), "Bucket policies");
    // Private and draft notes are never indexed.
    let private = query(site, "zanzibarsecret").unwrap();
    assert!(titles(&private).is_empty(), "{private}");
}

#[test]
fn index_holds_no_hidden_note() {
    let site = site::build();
    for entry in walk(&site.out.join("search")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert!(
            !text.contains("zanzibar") && !text.contains("draftonlyword"),
            "{} holds text of a hidden note",
            entry.display()
        );
    }
    assert!(site.out.join("search/meta.js").is_file());
    assert!(site.out.join("search.html").is_file());
}

/// Each index part is written once, as the script every context loads (fetched and unwrapped over
/// HTTP, run from file://): no `.json` twin, and every file wraps the JSON of the part it is named for.
#[test]
fn index_parts_are_written_once_as_scripts() {
    let site = site::build();
    let dir = site.out.join("search");
    let files = walk(&dir);
    assert!(files.len() > 3, "{files:?}");
    for file in &files {
        let rel = file.strip_prefix(&dir).unwrap().to_str().unwrap();
        let key = rel
            .strip_suffix(".js")
            .unwrap_or_else(|| panic!("search/{rel}: every index part is a .js file"));
        let text = std::fs::read_to_string(file).unwrap();
        let json = text
            .strip_prefix(&format!("__notesiteSearch(\"{key}\","))
            .and_then(|rest| rest.strip_suffix(");\n"))
            .unwrap_or_else(|| panic!("search/{rel} does not wrap its part"));
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        assert!(value.is_object(), "search/{rel}");
    }
    for key in ["meta", "t/0", "f/0"] {
        assert!(dir.join(format!("{key}.js")).is_file(), "search/{key}.js");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn browser_search_over_http_and_file() {
    let Some(browser) = cdp::Browser::launch_or_skip("browser search test") else {
        return;
    };
    let site = site::build();
    browser::run_all(browser, site);
}

/// The JS tokenizer and stemmer against the golden vectors the Rust side writes, so the two never
/// drift: runs `node --test tests/search/tokenizer.test.mjs` as part of `cargo test`.
#[test]
fn js_tokenizer_matches_the_rust_golden_vectors() {
    if !node_available() {
        return;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/search/tokenizer.test.mjs"
    );
    let out = Command::new("node")
        .args(["--test", script])
        .output()
        .expect("run node --test");
    assert!(
        out.status.success(),
        "node --test failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
