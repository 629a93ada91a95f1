//! A minimal Chrome DevTools Protocol client for the browser tests of every test crate: starts
//! Chromium headless with a fresh profile, attaches to one page over the DevTools WebSocket
//! (tungstenite, no TLS, no async runtime), and sends commands. The browser is Debian's
//! `/usr/bin/chromium` (or `$CHROMIUM`); nothing is downloaded.

// Each test crate includes this file and uses a different part of it.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::{stream::MaybeTlsStream, Message, WebSocket};

pub struct Browser {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

/// How long a page gets to load or to reach an awaited state.
const WAIT: Duration = Duration::from_secs(20);

/// `$CHROMIUM`, else Debian's binary.
pub fn find_chromium() -> Option<PathBuf> {
    let from_env = std::env::var_os("CHROMIUM").map(PathBuf::from);
    from_env
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|p| p.is_file())
}

impl Browser {
    /// A browser, or `None` after [`crate::tools::missing_tool`] when Chromium is not installed.
    pub fn launch_or_skip(test: &str) -> Option<Browser> {
        let Some(chromium) = find_chromium() else {
            crate::tools::missing_tool(&format!(
                "{test}: chromium is not installed (apt-get install chromium)"
            ));
            return None;
        };
        Some(Browser::launch(&chromium))
    }

    pub fn launch(chromium: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(chromium)
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
                "--window-size=1200,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let url = devtools_url(profile.path());
        let (socket, _) = tungstenite::connect(url.as_str()).expect("connect to DevTools");
        let mut browser = Browser {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().unwrap().to_string();
        let attached = browser.call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        browser.call("Page.enable", json!({}));
        browser.call("Runtime.enable", json!({}));
        browser
    }

    /// Sends a command (to the attached page once there is one) and returns its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.try_call(method, params)
            .unwrap_or_else(|error| panic!("{method} failed: {error}"))
    }

    /// Like [`Browser::call`], with the error DevTools answered instead of a panic.
    fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .expect("send to DevTools");
        loop {
            let Message::Text(text) = self.socket.read().expect("read from DevTools") else {
                continue;
            };
            let reply: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if reply["id"] == json!(id) {
                return match reply.get("error") {
                    Some(error) => Err(error.clone()),
                    None => Ok(reply["result"].clone()),
                };
            }
        }
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its JSON value.
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("{expression}: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// Polls `expression` until it is truthy and returns its value; panics with `what` after 20 s.
    /// A live reload may replace the page while an expression runs ("Inspected target navigated or
    /// closed"), and an expression may throw before the page is ready: both count as not yet.
    pub fn wait_for(&mut self, expression: &str, what: &str) -> Value {
        let start = Instant::now();
        let wrapped =
            format!("(() => {{ try {{ return {expression}; }} catch (e) {{ return null; }} }})()");
        let params = json!({"expression": wrapped, "returnByValue": true, "awaitPromise": true});
        loop {
            match self.try_call("Runtime.evaluate", params.clone()) {
                Ok(result) if is_truthy(&result["result"]["value"]) => {
                    return result["result"]["value"].clone();
                }
                Ok(_) => {}
                Err(error) if is_navigation(&error) => {}
                Err(error) => panic!("Runtime.evaluate failed: {error}"),
            }
            assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Saves a PNG of the page to `$SEARCH_SCREENSHOTS/<name>.png` when that variable is set.
    pub fn screenshot(&mut self, name: &str) {
        let Some(dir) = std::env::var_os("SEARCH_SCREENSHOTS") else {
            return;
        };
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64_decode(shot["data"].as_str().unwrap());
        std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }

    pub fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for(
            &format!(
                "document.readyState === 'complete' && location.href.startsWith({})",
                json!(url.split(['?', '#']).next().unwrap())
            ),
            &format!("{url} to load"),
        );
    }

    /// Types text into the focused element, as a keyboard would (one `input` event per call).
    pub fn type_text(&mut self, text: &str) {
        self.call("Input.insertText", json!({"text": text}));
    }

    pub fn press(&mut self, key: &str, code: u32) {
        let text = if key == "Enter" { "\r" } else { "" };
        for kind in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code, "text": if kind == "keyDown" { text } else { "" }}),
            );
        }
    }
}

fn is_truthy(value: &Value) -> bool {
    !(value.is_null() || *value == json!(false) || *value == json!(0) || *value == json!(""))
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

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    digits
        .chunks(4)
        .flat_map(|c| {
            let n = c.iter().fold(0u32, |n, &d| n << 6 | u32::from(d)) << (6 * (4 - c.len()));
            let bytes = n.to_be_bytes();
            bytes[1..c.len()].to_vec()
        })
        .collect()
}

/// Chromium writes its port and browser path to `DevToolsActivePort` in the profile once it listens.
fn devtools_url(profile: &Path) -> String {
    let file = profile.join("DevToolsActivePort");
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                return format!("ws://127.0.0.1:{port}{path}");
            }
        }
        assert!(start.elapsed() < WAIT, "chromium did not start DevTools");
        std::thread::sleep(Duration::from_millis(50));
    }
}
