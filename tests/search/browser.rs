//! Browser scenarios: the same checks over HTTP (a tiny static server on 127.0.0.1:0) and from
//! file://, where the index parts load through `<script>` rather than fetch.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use super::cdp::Browser;
use super::site::BuiltSite;

pub fn run_all(mut browser: Browser, site: &BuiltSite) {
    let base = serve(site.out.clone());
    eager_page_loads_no_engine(&mut browser, &base);
    dropdown_results_deep_link_and_highlight(&mut browser, &base);
    let file_base = format!("file://{}/", site.out.display());
    dropdown_results_deep_link_and_highlight(&mut browser, &file_base);
    search_page_and_markup_shown_as_text(&mut browser, &base);
    search_page_and_markup_shown_as_text(&mut browser, &file_base);
    typo_is_corrected(&mut browser, &file_base);
}

fn eager_page_loads_no_engine(b: &mut Browser, base: &str) {
    b.navigate(&format!("{base}index.html"));
    let scripts =
        b.eval("[...document.scripts].map(s => s.src).filter(s => s.includes('search')).length");
    assert_eq!(
        scripts, 0,
        "search.js must not load before the user touches search"
    );
    let size = b.eval(
        "performance.getEntriesByType('resource').filter(r => r.name.includes('/search')).length",
    );
    assert_eq!(size, 0, "no index part before the user touches search");
}

fn dropdown_results_deep_link_and_highlight(b: &mut Browser, base: &str) {
    b.navigate(&format!("{base}index.html"));
    watch_part_scripts(b);
    b.eval("document.getElementById('search-input').focus()");
    b.type_text("lambda");
    b.wait_for(
        "document.querySelector('#search-popup .sr-note')",
        "dropdown results",
    );
    let first = b.eval("document.querySelector('#search-popup .sr-note .sr-title').textContent");
    assert_eq!(first, "Lambda", "{base}: first result");
    b.screenshot("dropdown");
    index_parts_loaded_the_expected_way(b, base);
    let mark =
        b.eval("document.querySelector('#search-popup .sr-note mark').textContent.toLowerCase()");
    assert_eq!(mark, "lambda", "the title's match is highlighted");
    // Keyboard: the first option is the note; Enter opens it with the terms to highlight.
    b.press("ArrowDown", 40);
    let active = b.eval("document.querySelector('#search-popup .is-active').className");
    assert!(active.as_str().unwrap().contains("sr-note"), "{active}");
    b.press("Enter", 13);
    b.wait_for(
        "location.pathname.endsWith('notes/lambda.html') && document.readyState === 'complete'",
        "the note to open",
    );
    b.wait_for(
        "document.querySelectorAll('main mark.search-hit').length > 2",
        "terms highlighted on the landing page",
    );
    b.screenshot("landing");
    assert_eq!(
        b.eval("new URLSearchParams(location.search).get('h')"),
        "lambda"
    );
    // A heading sub-result deep-links to the heading.
    b.navigate(&format!("{base}index.html"));
    b.eval("document.getElementById('search-input').focus()");
    b.type_text("lambda_handler");
    let href = b.wait_for("document.querySelector('#search-popup .sr-sub') && document.querySelector('#search-popup .sr-sub').getAttribute('href')", "a heading sub-result");
    let href = href.as_str().unwrap().to_string();
    assert!(
        href.starts_with("notes/lambda.html?h=") && href.contains('#'),
        "{href}"
    );
    b.eval("document.querySelector('#search-popup .sr-sub').click()");
    b.wait_for(
        "location.hash.length > 1 && document.readyState === 'complete'",
        "the deep link",
    );
    let target = b.eval("!!document.getElementById(decodeURIComponent(location.hash.slice(1)))");
    assert_eq!(target, true, "{href}: the anchor exists");
    b.wait_for(
        "document.querySelector('main mark.search-hit')",
        "highlight after a deep link",
    );
    // Esc closes the dropdown.
    b.navigate(&format!("{base}index.html"));
    b.eval("document.getElementById('search-input').focus()");
    b.type_text("ec2");
    b.wait_for(
        "!document.getElementById('search-popup').hidden",
        "dropdown",
    );
    // Let the debounced query finish first: Esc closes what is shown.
    std::thread::sleep(std::time::Duration::from_millis(400));
    b.press("Escape", 27);
    b.wait_for(
        "document.getElementById('search-popup').hidden",
        "Esc closes the dropdown",
    );
    // Esc right after typing, before the debounced query has run: results arriving later must
    // not reopen the dropdown the user closed.
    b.type_text("s3");
    b.press("Escape", 27);
    for wait in [100, 400] {
        std::thread::sleep(std::time::Duration::from_millis(wait));
        assert_eq!(
            b.eval("document.getElementById('search-popup').hidden"),
            true,
            "the dropdown reopened after Esc"
        );
    }
}

/// Records the `src` of every index part the page loads through a `<script>` tag (the engine
/// removes each tag once it has run).
fn watch_part_scripts(b: &mut Browser) {
    b.eval(
        "window.__partScripts = [];
        new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach((n) => {
            if (n.src && n.src.includes('/search/')) window.__partScripts.push(n.src);
        }))).observe(document.head, { childList: true })",
    );
}

/// Over HTTP the engine fetches each part's `.js` file and unwraps it (a broken unwrap would
/// otherwise go unseen behind the `<script>` fallback); from file://, where fetch is blocked, it
/// loads the same files through `<script>`.
fn index_parts_loaded_the_expected_way(b: &mut Browser, base: &str) {
    let fetched = b.eval(
        "[...new Set(performance.getEntriesByType('resource')
            .filter(r => r.name.includes('/search/'))
            .map(r => r.initiatorType + ' ' + r.name.split('?')[0].split('.').pop()))].join()",
    );
    let scripts = b.eval("window.__partScripts.map(s => s.split('/search/')[1]).join()");
    let scripts = scripts.as_str().unwrap();
    if base.starts_with("file:") {
        let parts: Vec<&str> = scripts.split(',').collect();
        assert!(
            parts.contains(&"meta.js") && parts.iter().any(|p| p.starts_with("f/")),
            "{base}: index parts through <script>: {scripts}"
        );
        assert!(parts.iter().all(|p| p.ends_with(".js")), "{scripts}");
    } else {
        assert_eq!(fetched, "fetch js", "{base}: index parts by fetch");
        assert_eq!(scripts, "", "{base}: no index part through <script>");
    }
}

fn search_page_and_markup_shown_as_text(b: &mut Browser, base: &str) {
    b.navigate(&format!("{base}search.html?q=injection"));
    b.wait_for(
        "document.querySelector('#search-results a')",
        "search page results",
    );
    b.screenshot("search-page");
    let title = b.eval("document.querySelector('#search-results a .sr-title').textContent");
    assert!(
        title
            .as_str()
            .unwrap()
            .contains("<script>window.__xss = 1</script>"),
        "{title}"
    );
    assert_eq!(
        b.eval("document.querySelectorAll('#search-results script, #search-results img').length"),
        0
    );
    assert_eq!(
        b.eval("typeof window.__xss"),
        "undefined",
        "note markup must never run"
    );
    assert_eq!(
        b.eval("document.getElementById('search-input').value"),
        "injection"
    );
    // Shared links work for ordinary queries too.
    b.navigate(&format!("{base}search.html?q=static+website"));
    b.wait_for(
        "document.querySelector('#search-results a')",
        "search page results",
    );
    let first = b.eval("document.querySelector('#search-results a .sr-title').textContent");
    assert_eq!(first, "S3 (Simple Storage Service)");
    let href = b.eval("document.querySelector('#search-results a').getAttribute('href')");
    assert!(
        href.as_str().unwrap().starts_with("notes/s3.html?h="),
        "{href}"
    );
}

fn typo_is_corrected(b: &mut Browser, base: &str) {
    b.navigate(&format!("{base}notes/ec2.html"));
    b.eval("document.getElementById('search-input').focus()");
    b.type_text("lamda");
    b.wait_for(
        "document.querySelector('#search-popup .sr-fix')",
        "a did-you-mean",
    );
    b.screenshot("did-you-mean");
    assert_eq!(
        b.eval("document.querySelector('#search-popup .sr-fix').textContent"),
        "lambda"
    );
    let first = b.eval("document.querySelector('#search-popup .sr-note').getAttribute('href')");
    assert!(
        first
            .as_str()
            .unwrap()
            .starts_with("../notes/lambda.html?h="),
        "{first}"
    );
}

/// Serves `root` on 127.0.0.1 (a free port) until the test process ends; returns the base URL.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || respond(stream, &root));
        }
    });
    base
}

fn respond(mut stream: std::net::TcpStream, root: &Path) {
    let mut line = String::new();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut file = root.join(path.trim_start_matches('/'));
    if file.is_dir() {
        file = file.join("index.html");
    }
    let (status, body) = match std::fs::read(&file) {
        Ok(body) if !path.contains("..") => ("200 OK", body),
        _ => ("404 Not Found", b"not found".to_vec()),
    };
    let kind = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("json") => "application/json",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}
