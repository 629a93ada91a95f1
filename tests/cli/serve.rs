//! `notesite serve`: the real binary on an ephemeral port, driven over plain HTTP and its Server-Sent
//! Events stream while the test edits, adds, deletes and renames notes, images, theme and front matter.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::Site;

/// How long a test waits for the server to react to a save.
const WAIT: Duration = Duration::from_secs(10);

/// A running `notesite serve`, stopped (Ctrl-C) when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(site: &Site) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_notesite"))
            .args(["serve", "--port", "0"])
            .current_dir(site.root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start notesite serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let port = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("serve prints its URL");
            if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
                break rest.split('/').next().unwrap().parse().expect("port");
            }
        };
        Server { child, port }
    }

    fn get(&self, path: &str) -> Response {
        request(self.port, "GET", path)
    }

    /// Opens the event stream and waits for its first (hello) message.
    fn events(&self) -> Events {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        write!(stream, "GET /__notesite/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n").unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Some(data) = line.strip_prefix("data: ") {
                    if let Ok(json) = serde_json::from_str::<serde_json::Value>(data) {
                        let _ = tx.send(json);
                    }
                }
            }
        });
        let events = Events(rx);
        events.expect("hello", |m| m["type"] == "hello");
        events
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGINT, as Ctrl-C sends; the server must stop cleanly.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}

struct Events(mpsc::Receiver<serde_json::Value>);

impl Events {
    /// The next message matching `wanted`, skipping others.
    fn expect(&self, what: &str, wanted: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .0
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {what} event within {WAIT:?}"));
            if wanted(&message) {
                return message;
            }
        }
    }

    fn reload(&self) -> Vec<String> {
        let message = self.expect("reload", |m| m["type"] == "reload");
        message["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect()
    }

    fn problems(&self) -> Vec<serde_json::Value> {
        self.expect("problems", |m| m["type"] == "problems")["problems"]
            .as_array()
            .unwrap()
            .clone()
    }
}

struct Response {
    status: u16,
    headers: String,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// A bare HTTP/1.1 request: the test sees exactly what a browser would, with no client library
/// normalising the path.
fn request(port: u16, method: &str, path: &str) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Response {
        status,
        headers: head.to_string(),
        body: body.to_string(),
    }
}

fn site() -> Site {
    let site = Site::new();
    site.file(
        "notes/iam.md",
        "---\ntitle: IAM\ntopics: [aws]\n---\nPolicies and roles.\n\nSee [[S3]].\n",
    )
    .file(
        "notes/s3.md",
        "---\ntitle: S3\ntopics: [aws, storage]\n---\nBuckets.\n",
    );
    site
}

/// Saves the way many editors do: write a temporary file, then rename it over the note.
fn save_atomically(site: &Site, rel: &str, text: &str) {
    let tmp = site.path(&format!("{rel}.tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, site.path(rel)).unwrap();
}

#[test]
fn serves_pages_with_types_and_caching_headers() {
    let site = site();
    let server = Server::start(&site);
    let page = server.get("/notes/iam.html");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.header("etag").is_some() && page.header("last-modified").is_some());
    assert!(page.body.contains("Policies and roles."));
    assert!(
        page.body.contains("/__notesite/livereload.js"),
        "the live-reload script is injected"
    );
    assert_eq!(server.get("/").status, 200);
    let head = request(server.port, "HEAD", "/notes/s3.html");
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    let missing = server.get("/notes/nope.html");
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("<html"),
        "404.html is served for missing paths"
    );
    assert_eq!(request(server.port, "POST", "/").status, 405);
    // The live-reload script exists only in serve, never in a build.
    site.build_ok();
    assert!(!site.read("public/notes/iam.html").contains("livereload"));
}

#[test]
fn nothing_outside_the_site_is_served() {
    let site = site();
    std::fs::write(site.outside("secret.txt"), "top secret").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(site.outside("secret.txt"), site.path("notes/leak.txt")).unwrap();
    let server = Server::start(&site);
    for path in [
        "/../secret.txt",
        "/notes/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/notes/%2E%2E/%2e%2e/secret.txt",
        "/notes%2f..%2f..%2fsecret.txt",
        "/notes\\..\\..\\secret.txt",
        "/notes/leak.txt",
        "/etc/passwd",
        "//etc/passwd",
        "/notes/iam.md",
    ] {
        let response = server.get(path);
        assert_eq!(response.status, 404, "{path}");
        assert!(
            !response.body.contains("top secret") && !response.body.contains("root:"),
            "{path}"
        );
    }
}

#[test]
fn editing_a_note_reloads_its_page_with_the_new_text() {
    let site = site();
    let server = Server::start(&site);
    let events = server.events();
    save_atomically(
        &site,
        "notes/iam.md",
        "---\ntitle: IAM\ntopics: [aws]\n---\nFreshly edited text.\n\nSee [[S3]].\n",
    );
    let pages = events.reload();
    assert!(pages.contains(&"notes/iam.html".to_string()), "{pages:?}");
    assert!(
        !pages.contains(&"notes/s3.html".to_string()),
        "s3's page did not change: {pages:?}"
    );
    assert!(server
        .get("/notes/iam.html")
        .body
        .contains("Freshly edited text."));
}

#[test]
fn added_renamed_and_deleted_notes_update_pages_and_links() {
    let site = site();
    let server = Server::start(&site);
    let events = server.events();
    site.file(
        "notes/ec2.md",
        "---\ntitle: EC2\ntopics: [aws]\n---\nInstances. Uses [[IAM]] roles.\n",
    );
    let pages = events.reload();
    assert!(pages.contains(&"notes/ec2.html".to_string()), "{pages:?}");
    assert!(
        pages.contains(&"notes/iam.html".to_string()),
        "iam gains a backlink: {pages:?}"
    );
    assert!(server.get("/notes/ec2.html").body.contains("Instances."));
    assert!(
        server
            .get("/notes/iam.html")
            .body
            .contains("notes/ec2.html"),
        "backlink from EC2"
    );

    std::fs::rename(site.path("notes/s3.md"), site.path("notes/storage.md")).unwrap();
    let pages = events.reload();
    assert!(
        pages.contains(&"notes/s3.html".to_string())
            && pages.contains(&"notes/storage.html".to_string()),
        "{pages:?}"
    );
    assert_eq!(server.get("/notes/s3.html").status, 404);
    assert_eq!(server.get("/notes/storage.html").status, 200);

    std::fs::remove_file(site.path("notes/storage.md")).unwrap();
    events.reload();
    assert_eq!(server.get("/notes/storage.html").status, 404);
    let iam = server.get("/notes/iam.html").body;
    assert!(
        iam.contains("broken-link"),
        "the wikilink to the deleted note is now broken"
    );
}

#[test]
fn a_broken_note_shows_problems_keeps_serving_and_recovers() {
    let site = site();
    let server = Server::start(&site);
    let events = server.events();
    site.file("notes/iam.md", "---\ntitle: [unclosed\n---\nBroken.\n");
    let problems = events.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["severity"], "error");
    assert!(
        problems[0]["location"]
            .as_str()
            .unwrap()
            .starts_with("notes/iam.md:"),
        "{problems:?}"
    );
    assert!(
        server
            .get("/notes/iam.html")
            .body
            .contains("Policies and roles."),
        "previous version still served"
    );
    // A new connection (a page opened now) learns of the problem at once.
    let hello = server.events();
    drop(hello);
    site.file("notes/iam.md", "---\ntitle: IAM\n---\nRepaired.\n");
    events.expect("recovery", |m| {
        m["type"] == "problems" && m["problems"].as_array().is_some_and(|p| p.is_empty())
    });
    assert!(server.get("/notes/iam.html").body.contains("Repaired."));
}

#[test]
fn a_new_missing_image_is_reported_and_an_added_image_is_served() {
    let site = site();
    let server = Server::start(&site);
    let events = server.events();
    site.file(
        "notes/iam.md",
        "---\ntitle: IAM\n---\n![console](../img/console.png)\n",
    );
    let problems = events.problems();
    assert!(
        problems
            .iter()
            .any(|p| p["message"].as_str().unwrap().contains("console.png")),
        "{problems:?}"
    );
    site.png("img/console.png", 40, 30);
    let pages = events.reload();
    assert!(pages.contains(&"notes/iam.html".to_string()), "{pages:?}");
    let page = server.get("/notes/iam.html").body;
    let start = page.find("img/console.").expect("the page shows the image");
    let src = &page[start..start + page[start..].find('"').expect("end of src")];
    let image = server.get(&format!("/{src}"));
    assert_eq!(
        (image.status, image.header("content-type")),
        (200, Some("image/png"))
    );
}

#[test]
fn a_stylesheet_change_swaps_css_without_reloading_pages() {
    let site = site();
    site.file("theme/style.css", "body { color: black; }\n");
    let server = Server::start(&site);
    let events = server.events();
    site.file("theme/style.css", "body { color: navy; }\n");
    let message = events.expect("css", |m| m["type"] == "css");
    let pair = &message["replace"][0];
    assert!(
        pair[0].as_str().unwrap().starts_with("assets/style."),
        "{message}"
    );
    let new_css = server.get(&format!("/{}", pair[1].as_str().unwrap()));
    assert!(new_css.body.contains("navy"));
    // No page needed a reload: the next message after the swap is the problems update.
    let next = events.expect("problems", |m| m["type"] != "css");
    assert_eq!(next["type"], "problems", "{next}");
}

#[test]
fn served_site_after_edits_equals_a_full_build() {
    let site = site();
    let server = Server::start(&site);
    let events = server.events();
    site.file(
        "notes/ec2.md",
        "---\ntitle: EC2\ntopics: [compute]\n---\nLinks to [IAM](iam.md).\n",
    );
    events.reload();
    save_atomically(
        &site,
        "notes/s3.md",
        "---\ntitle: S3\ntopics: [storage]\n---\nBuckets hold objects. [[EC2]]\n",
    );
    events.reload();
    std::fs::remove_file(site.path("notes/iam.md")).unwrap();
    events.reload();
    assert_served_equals_build(&site, &server);
}

/// Builds `site` and checks that the server serves every file of the build, byte for byte (pages
/// without the live-reload script); returns the build's files.
fn assert_served_equals_build(site: &Site, server: &Server) -> crate::util::Snapshot {
    site.build_ok();
    let built = crate::util::Snapshot::of(&site.path("public"));
    for (name, bytes) in &built.0 {
        if name.starts_with('.') {
            continue;
        }
        let served = server.get(&format!("/{name}"));
        assert_eq!(served.status, 200, "{name}");
        let expected = String::from_utf8_lossy(bytes);
        assert_eq!(
            strip_livereload(&served.body),
            expected,
            "{name} differs between serve and build"
        );
    }
    built
}

/// Edits that keep every title, front matter and heading take `serve`'s incremental path (links of
/// other notes reused, backlinks and topics kept when they hold, pages found in the cache): after each
/// kind of edit, the served site must still equal a full build.
#[test]
fn served_site_after_body_only_edits_equals_a_full_build() {
    let site = Site::new();
    let note = |name: &str, topics: &str, body: &str| {
        format!("---\ntitle: {name}\ntopics: [{topics}]\n---\n{body}\n")
    };
    let iam =
        "Policies and roles for users. See [[S3]] for buckets.\n\n## Roles\nA role is assumed.";
    let s3 = "Buckets hold objects. Bucket policies grant access to [IAM](iam.md) roles.";
    let kms = "Keys encrypt objects in buckets. Key policies resemble IAM policies.";
    let ec2 = "Instances run with an instance role.\n\n![console](../img/shot.png)";
    site.file("notes/iam.md", note("IAM", "aws, security", iam))
        .file("notes/s3.md", note("S3", "aws, storage", s3))
        .file("notes/kms.md", note("KMS", "aws, security", kms))
        .file("notes/ec2.md", note("EC2", "compute", ec2))
        .png("img/shot.png", 40, 30);
    let server = Server::start(&site);
    let events = server.events();
    let edits = [
        // Text only: no link, sentence or heading of another page changes.
        ("notes/kms.md", note("KMS", "aws, security", "Keys encrypt objects in buckets. Key policies resemble IAM policies.\n\nRotation happens yearly.")),
        // The sentence around a link changes: the linked note's backlink context changes.
        ("notes/s3.md", note("S3", "aws, storage", "Buckets hold objects. Bucket policies can grant access to [IAM](iam.md) roles.")),
        // A new link: a backlink appears on the target.
        ("notes/kms.md", note("KMS", "aws, security", "Keys encrypt objects in buckets. Key policies resemble IAM policies.\n\nSee [[EC2]] for instance roles.")),
        // The first sentence (the description other pages list) changes.
        ("notes/ec2.md", note("EC2", "compute", "Virtual machines run with an instance role.\n\n![console](../img/shot.png)")),
        // A link goes away again.
        ("notes/kms.md", note("KMS", "aws, security", "Keys encrypt objects in buckets. Key policies resemble IAM policies.")),
    ];
    for (rel, text) in &edits {
        save_atomically(&site, rel, text);
        events.reload();
    }
    site.png("img/shot.png", 60, 20);
    events.reload();
    let built = assert_served_equals_build(&site, &server);
    assert!(built.0.keys().any(|name| name.starts_with("search/")));
}

fn strip_livereload(html: &str) -> String {
    match html.find("<script src=\"/__notesite/livereload.js\"") {
        Some(start) => {
            let end = html[start..]
                .find("</script>\n")
                .map(|e| start + e + "</script>\n".len())
                .unwrap_or(html.len());
            format!("{}{}", &html[..start], &html[end..])
        }
        None => html.to_string(),
    }
}

#[test]
fn an_explicit_port_that_is_taken_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let site = site();
    let output = site.run(&["serve", "--port", &port]);
    let output = output.expect_code(2);
    output.stderr_has("cannot listen on 127.0.0.1:");
}

#[test]
fn the_browser_shows_an_edit_without_a_manual_reload_and_keeps_its_place() {
    let Some(mut browser) = crate::cdp::Browser::launch_or_skip("live reload browser test") else {
        return;
    };
    let site = site();
    let filler: String = (0..80)
        .map(|i| format!("Paragraph {i} of a long note.\n\n"))
        .collect();
    site.file(
        "notes/long.md",
        format!("---\ntitle: Long\n---\nORIGINAL opening.\n\n{filler}"),
    );
    let server = Server::start(&site);
    browser.navigate(&format!("http://127.0.0.1:{}/notes/long.html", server.port));
    browser.wait_for(
        "document.body.innerText.includes('ORIGINAL opening')",
        "the note",
    );
    // Let the live-reload connection open before editing (its hello message arrives at once).
    std::thread::sleep(Duration::from_millis(300));
    // `instant`: the theme asks for smooth scrolling, which would still be under way when we read it.
    browser.eval("window.scrollTo({top: 900, behavior: 'instant'})");
    let before = browser.eval("window.scrollY").as_f64().unwrap();
    assert!(before > 800.0, "the page scrolled: {before}");
    site.file(
        "notes/long.md",
        format!("---\ntitle: Long\n---\nEDITED opening.\n\n{filler}"),
    );
    browser.wait_for(
        "document.body && document.body.innerText.includes('EDITED opening')",
        "the edit to show without a manual reload",
    );
    browser.wait_for(
        "document.readyState === 'complete'",
        "the reloaded page to load",
    );
    let after = browser.eval("window.scrollY").as_f64().unwrap();
    assert!(
        (after - before).abs() < 2.0,
        "scroll position kept: {before} → {after}"
    );
}
