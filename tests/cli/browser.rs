//! A real headless Chromium (Debian's `/usr/bin/chromium`, installed by `.ci/run`) driven over the
//! DevTools protocol: just enough of it to open a page and evaluate JavaScript in it. Tests that need a
//! browser skip, saying so, when none is installed.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::{stream::MaybeTlsStream, Message, WebSocket};

const CHROMIUM: &str = "/usr/bin/chromium";

/// A headless browser with one page; killed when dropped.
pub struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    page: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Browser {
    /// `None` (after printing why) when Chromium is not installed.
    pub fn launch() -> Option<Browser> {
        if !std::path::Path::new(CHROMIUM).exists() {
            crate::tools::missing_tool(&format!(
                "browser test: {CHROMIUM} is not installed (apt-get install chromium)"
            ));
            return None;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1200,800",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let port = devtools_port(&mut child);
        let page = connect_to_page(port);
        Some(Browser {
            child,
            _profile: profile,
            page,
            next_id: 0,
        })
    }

    /// Sends one DevTools command and returns its result, skipping events.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.try_call(method, params)
            .unwrap_or_else(|error| panic!("{method} failed: {error}"))
    }

    /// Like [`Browser::call`], with the error DevTools answered instead of a panic.
    fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({"id": id, "method": method, "params": params}).to_string();
        self.page
            .send(Message::text(message))
            .expect("send to chromium");
        loop {
            let reply = self.page.read().expect("read from chromium");
            let Ok(text) = reply.to_text() else { continue };
            let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if value["id"] == id {
                return match value.get("error") {
                    Some(error) => Err(error.clone()),
                    None => Ok(value["result"].clone()),
                };
            }
        }
    }

    /// Opens `url` and waits until the document has loaded.
    pub fn open(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for(
            "document.readyState === 'complete'",
            Duration::from_secs(20),
        );
    }

    /// The value of a JavaScript expression in the page.
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        result["result"]["value"].clone()
    }

    /// Polls until `expression` is true; panics after `timeout`. A live reload may replace the page
    /// while an expression runs ("Inspected target navigated or closed"): that counts as not yet.
    pub fn wait_for(&mut self, expression: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let params = json!({"expression": expression, "returnByValue": true});
        loop {
            match self.try_call("Runtime.evaluate", params.clone()) {
                Ok(result) if result["result"]["value"] == Value::Bool(true) => return,
                Ok(_) => {}
                Err(error) if is_navigation(&error) => {}
                Err(error) => panic!("Runtime.evaluate failed: {error}"),
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for `{expression}`"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The errors DevTools gives when the page navigated away under a command.
fn is_navigation(error: &Value) -> bool {
    let message = error["message"].as_str().unwrap_or("");
    [
        "navigated or closed",
        "context was destroyed",
        "Cannot find context",
    ]
    .iter()
    .any(|m| message.contains(m))
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Chromium prints `DevTools listening on ws://127.0.0.1:PORT/...` once it is ready.
fn devtools_port(child: &mut Child) -> u16 {
    let stderr = child.stderr.take().expect("chromium stderr");
    let mut lines = BufReader::new(stderr).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("chromium exited before listening")
            .expect("stderr");
        if let Some(rest) = line.split("ws://127.0.0.1:").nth(1) {
            break rest
                .split('/')
                .next()
                .unwrap()
                .parse()
                .expect("devtools port");
        }
    };
    // Keep draining stderr so Chromium never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    port
}

/// The WebSocket of the browser's first page, found through the `/json/list` endpoint.
fn connect_to_page(port: u16) -> WebSocket<MaybeTlsStream<TcpStream>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let targets = http_json(port, "/json/list");
        let url = targets.as_array().and_then(|list| {
            list.iter()
                .find(|t| t["type"] == "page")
                .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(str::to_string))
        });
        if let Some(url) = url {
            let (socket, _) = tungstenite::connect(url).expect("connect to the page");
            return socket;
        }
        assert!(Instant::now() < deadline, "chromium has no page target");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A GET on the DevTools HTTP endpoint. It keeps connections open, so read exactly Content-Length.
fn http_json(port: u16, path: &str) -> Value {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to devtools");
    let mut writer = stream.try_clone().expect("clone stream");
    // Chromium builds the WebSocket URLs it returns from this Host header.
    write!(
        writer,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("devtools header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("devtools body");
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}
