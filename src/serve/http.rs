//! HTTP: serves the in-memory output (never the file system beyond the files the output names), with
//! the right Content-Type, ETag and Last-Modified, `404.html` for missing paths, and the live-reload
//! script injected into every HTML page. Reload events go out over Server-Sent Events.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

use crate::output::{Content, Output};

const SCRIPT: &str = include_str!("livereload.js");
pub const EVENTS_PATH: &str = "/__notesite/events";
const SCRIPT_PATH: &str = "/__notesite/livereload.js";

/// What is being served right now; replaced whole after each rebuild.
pub struct Snapshot {
    pub output: Arc<Output>,
    pub build: u64,
    pub built_at: SystemTime,
    /// Shown in the overlay until the next good save.
    pub problems: Vec<Problem>,
}

/// One line of the error overlay.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub location: String,
    pub severity: String,
    pub message: String,
    pub hint: Option<String>,
}

/// A message to every open page.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Message {
    /// First message of every connection: the build being served and its problems.
    Hello { build: u64, problems: Vec<Problem> },
    /// These pages changed: a page showing one of them reloads (keeping its scroll position).
    Reload { build: u64, pages: Vec<String> },
    /// Stylesheets were renamed: swap them in place.
    Css {
        build: u64,
        replace: Vec<(String, String)>,
    },
    /// The problems to show (an empty list clears the overlay).
    Problems { build: u64, problems: Vec<Problem> },
    /// The server is stopping: end the stream.
    Shutdown,
}

/// Shared by every request.
pub struct AppState {
    pub snapshot: RwLock<Arc<Snapshot>>,
    pub events: broadcast::Sender<Message>,
}

impl AppState {
    pub fn current(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Serves `snapshot` from now on and hands back the one it replaces, for the caller to drop
    /// once the browsers are told: freeing a 10k-note site takes milliseconds.
    #[must_use = "drop the old snapshot after sending the reload"]
    pub fn replace(&self, snapshot: Snapshot) -> Arc<Snapshot> {
        let mut current = self
            .snapshot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::replace(&mut *current, Arc::new(snapshot))
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(EVENTS_PATH, get(events))
        .route(SCRIPT_PATH, get(script))
        .fallback(serve_file)
        .with_state(state)
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
}

/// The event stream: the current problems first, then every message until shutdown.
async fn events(
    State(state): State<Arc<AppState>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.events.subscribe();
    let snapshot = state.current();
    let hello = Message::Hello {
        build: snapshot.build,
        problems: snapshot.problems.clone(),
    };
    let updates = BroadcastStream::new(receiver).filter_map(Result::ok);
    let stream = tokio_stream::once(hello)
        .chain(updates)
        .take_while(|m| !matches!(m, Message::Shutdown))
        .map(|m| Ok(Event::default().data(serde_json::to_string(&m).unwrap_or_default())));
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn serve_file(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let snapshot = state.current();
    let found = output_key(uri.path()).and_then(|key| lookup(&snapshot.output, &key));
    let (status, key, content) = match found {
        Some((key, content)) => (StatusCode::OK, key, content),
        None => match snapshot.output.files.get("404.html") {
            Some(content) => (StatusCode::NOT_FOUND, "404.html".to_string(), content),
            None => return (StatusCode::NOT_FOUND, "Not found").into_response(),
        },
    };
    let bytes = match content {
        Content::Bytes(bytes) => bytes.to_vec(),
        Content::Copy(path) => match tokio::fs::read(path).await {
            Ok(bytes) => bytes,
            Err(_) => return (StatusCode::NOT_FOUND, "Not found").into_response(),
        },
        // `serve` keeps its output in memory; nothing it holds was written away.
        Content::NotHeld => return (StatusCode::NOT_FOUND, "Not found").into_response(),
    };
    let bytes = if key.ends_with(".html") {
        inject_script(bytes, snapshot.build)
    } else {
        bytes
    };
    respond(
        status,
        &key,
        bytes,
        snapshot.built_at,
        &headers,
        method == Method::HEAD,
    )
}

fn respond(
    status: StatusCode,
    key: &str,
    bytes: Vec<u8>,
    modified: SystemTime,
    request: &HeaderMap,
    head: bool,
) -> Response {
    let etag = format!("\"{}\"", &blake3::hash(&bytes).to_hex()[..20]);
    if status == StatusCode::OK
        && request
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type(key, &bytes))
        .header(header::CONTENT_LENGTH, bytes.len())
        .header(header::ETAG, etag)
        .header(header::LAST_MODIFIED, httpdate::fmt_http_date(modified))
        // A preview must never show a stale page: revalidate every time (cheap thanks to the ETag).
        .header(header::CACHE_CONTROL, "no-cache")
        .header(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
    if head {
        return response.body(Body::empty()).unwrap_or_default();
    }
    response.body(Body::from(bytes)).unwrap_or_default()
}

/// The output key for a request path, or `None` for anything that could leave the site: `..` and `.`
/// segments (also percent-encoded), encoded slashes, backslashes, NUL.
pub fn output_key(raw_path: &str) -> Option<String> {
    let lower = raw_path.to_ascii_lowercase();
    if raw_path.contains('\\')
        || lower.contains("%2f")
        || lower.contains("%5c")
        || lower.contains("%00")
    {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(raw_path)
        .decode_utf8()
        .ok()?;
    let mut segments = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" => {}
            "." | ".." => return None,
            s if s.contains('\0') || s.contains('\\') => return None,
            s => segments.push(s),
        }
    }
    let mut key = segments.join("/");
    if key.is_empty() || decoded.ends_with('/') {
        key = if key.is_empty() {
            "index.html".into()
        } else {
            format!("{key}/index.html")
        };
    }
    Some(key)
}

/// The content for `key`, or for `key/index.html` when `key` names a folder (pretty URLs without `/`).
fn lookup<'a>(output: &'a Output, key: &str) -> Option<(String, &'a Content)> {
    if let Some(content) = output.files.get(key) {
        return Some((key.to_string(), content));
    }
    let index = format!("{key}/index.html");
    output.files.get(&index).map(|c| (index, c))
}

fn inject_script(bytes: Vec<u8>, build: u64) -> Vec<u8> {
    let tag = format!("<script src=\"{SCRIPT_PATH}\" data-build=\"{build}\" defer></script>\n");
    let text = String::from_utf8_lossy(&bytes);
    match text.rfind("</body>") {
        Some(at) => format!("{}{tag}{}", &text[..at], &text[at..]).into_bytes(),
        None => format!("{text}{tag}").into_bytes(),
    }
}

/// The type from the bytes for images (a `.jpg.png` may hold a JPEG), else from the extension.
pub fn content_type(key: &str, bytes: &[u8]) -> String {
    if let Ok(format) = image::guess_format(bytes) {
        return format.to_mime_type().to_string();
    }
    let mime = mime_guess::from_path(key).first_or_octet_stream();
    let text_like = mime.type_() == mime_guess::mime::TEXT
        || mime.subtype() == "javascript"
        || mime.subtype() == "json";
    if text_like {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_map_to_output_keys_and_escapes_are_refused() {
        assert_eq!(output_key("/").as_deref(), Some("index.html"));
        assert_eq!(
            output_key("/notes/iam.html").as_deref(),
            Some("notes/iam.html")
        );
        assert_eq!(output_key("/notes/").as_deref(), Some("notes/index.html"));
        assert_eq!(
            output_key("/notes/%C3%BCber%20x.html").as_deref(),
            Some("notes/über x.html")
        );
        for bad in [
            "/../etc/passwd",
            "/notes/%2e%2e/%2e%2e/etc/passwd",
            "/a%2fb",
            "/a%5cb",
            "/a\\b",
            "/./x",
            "/x%00.html",
        ] {
            assert_eq!(output_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn types_are_sniffed_for_images_and_charset_set_for_text() {
        let mut jpeg = Vec::new();
        image::RgbImage::new(1, 1)
            .write_to(
                &mut std::io::Cursor::new(&mut jpeg),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
        assert_eq!(content_type("img/a.jpg.png", &jpeg), "image/jpeg");
        assert_eq!(
            content_type("index.html", b"<!doctype html>"),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type("assets/script.1.js", b"x"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("assets/style.1.css", b"x"),
            "text/css; charset=utf-8"
        );
        assert_eq!(
            content_type("assets/favicon.1.svg", b"<svg"),
            "image/svg+xml"
        );
    }

    #[test]
    fn script_goes_before_the_closing_body_tag() {
        let html = inject_script(b"<html><body>x</body></html>".to_vec(), 7);
        let html = String::from_utf8(html).unwrap();
        assert!(
            html.contains("data-build=\"7\" defer></script>\n</body>"),
            "{html}"
        );
    }
}
