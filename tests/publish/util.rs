//! Test fixtures: an in-process S3 server (s3s-fs on 127.0.0.1:0, signatures checked), a small notes
//! site in a temp folder, and a runner for the real `notesite` binary with an environment that cannot
//! reach a real AWS profile, IMDS or any host but loopback.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const ACCESS_KEY: &str = "AKTESTPUBLISH";
pub const SECRET_KEY: &str = "test-secret-do-not-print-9f8e7d6c";
pub const BUCKET: &str = "site";

/// An S3 server on loopback, backed by a temp folder.
pub struct S3 {
    pub runtime: tokio::runtime::Runtime,
    pub addr: SocketAddr,
    pub client: aws_sdk_s3::Client,
    _root: tempfile::TempDir,
}

impl S3 {
    /// Starts a server with one bucket, [`BUCKET`].
    pub fn start() -> S3 {
        let root = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let addr = runtime.block_on(crate::server::serve(root.path(), 0, ACCESS_KEY, SECRET_KEY));
        let client = client(&format!("http://{addr}"), ACCESS_KEY, SECRET_KEY);
        let s3 = S3 {
            runtime,
            addr,
            client,
            _root: root,
        };
        s3.create_bucket(BUCKET);
        s3
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn create_bucket(&self, name: &str) {
        self.runtime
            .block_on(self.client.create_bucket().bucket(name).send())
            .unwrap();
    }

    pub fn put(&self, key: &str, body: &str) {
        self.runtime
            .block_on(
                self.client
                    .put_object()
                    .bucket(BUCKET)
                    .key(key)
                    .body(ByteStream::from(body.as_bytes().to_vec()))
                    .send(),
            )
            .unwrap();
    }

    /// Every key of the bucket with its ETag.
    pub fn objects(&self) -> BTreeMap<String, String> {
        self.runtime.block_on(async {
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(BUCKET)
                .into_paginator()
                .send();
            let mut all = BTreeMap::new();
            while let Some(page) = pages.next().await {
                for o in page.unwrap().contents() {
                    all.insert(
                        o.key().unwrap().to_string(),
                        o.e_tag().unwrap_or_default().to_string(),
                    );
                }
            }
            all
        })
    }

    /// (Content-Type, Cache-Control, ETag) of one object.
    pub fn head(&self, key: &str) -> (String, String, String) {
        let out = self
            .runtime
            .block_on(self.client.head_object().bucket(BUCKET).key(key).send())
            .unwrap_or_else(|e| panic!("HEAD {key}: {e:?}"));
        (
            out.content_type().unwrap_or_default().to_string(),
            out.cache_control().unwrap_or_default().to_string(),
            out.e_tag().unwrap_or_default().to_string(),
        )
    }
}

/// An SDK client with fixed credentials that reads no environment or profile.
pub fn client(endpoint: &str, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "test"))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// What a run of the binary printed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "{self:?}");
        self
    }
}

/// A notes site, plus the folder standing in for `~/.aws`.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub home: tempfile::TempDir,
    /// Extra environment for every run.
    pub env: Vec<(String, String)>,
}

impl Site {
    /// Three notes, a screenshot that is a JPEG named `.jpg.png`, and a PNG.
    pub fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes");
        std::fs::create_dir_all(notes.join("img")).unwrap();
        std::fs::write(dir.path().join("notesite.toml"), "title = \"Test notes\"\n").unwrap();
        let note = |name: &str, body: &str| std::fs::write(notes.join(name), body).unwrap();
        note(
            "s3.md",
            "---\ntitle: S3\ntopics: [aws, storage]\n---\n\nBuckets and [IAM](iam.md).\n\n![console](img/console.jpg.png)\n",
        );
        note(
            "iam.md",
            "---\ntitle: IAM\ntopics: [aws, security]\n---\n\nUsers and roles.\n\n![user](img/user.png)\n",
        );
        note(
            "ec2.md",
            "---\ntitle: EC2\ntopics: [aws, compute]\n---\n\nInstances.\n",
        );
        let image =
            image::RgbImage::from_fn(8, 6, |x, y| image::Rgb([x as u8 * 30, y as u8 * 40, 90]));
        image
            .save_with_format(notes.join("img/console.jpg.png"), image::ImageFormat::Jpeg)
            .unwrap();
        image
            .save_with_format(notes.join("img/user.png"), image::ImageFormat::Png)
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        std::fs::write(home.path().join(".aws/config"), "").unwrap();
        std::fs::write(home.path().join(".aws/credentials"), "").unwrap();
        Site {
            dir,
            home,
            env: Vec::new(),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn out(&self) -> PathBuf {
        self.dir.path().join("public")
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn aws_file(&self, name: &str, text: &str) {
        std::fs::write(self.home.path().join(".aws").join(name), text).unwrap();
    }

    /// Files of the built site (relative paths), without the output marker.
    pub fn built_files(&self) -> Vec<String> {
        let mut files: Vec<String> = walkdir(&self.out())
            .into_iter()
            .filter(|f| f != ".notesite-output")
            .collect();
        files.sort();
        files
    }

    /// Runs `notesite ARGS` in the site with test credentials in the environment.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(
            args,
            &[
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
                ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
            ],
        )
    }

    /// Runs `notesite ARGS` with exactly `env` as the AWS environment (plus the isolation variables).
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(binary());
        cmd.args(args).arg("--root").arg(self.root());
        isolate(&mut cmd, self.home.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `notesite publish` to the server under `prefix`, with `--json` and any `extra` flags.
    pub fn publish(&self, s3: &S3, prefix: &str, extra: &[&str]) -> Run {
        let endpoint = s3.endpoint();
        let mut args = vec![
            "publish",
            "--bucket",
            BUCKET,
            "--prefix",
            prefix,
            "--endpoint-url",
            &endpoint,
            "--path-style",
            "--json",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

/// The binary under test: `NOTESITE_BIN` if set (a target folder shared by several checkouts may have
/// its `debug/notesite` replaced by another build while tests run), else Cargo's.
fn binary() -> PathBuf {
    std::env::var_os("NOTESITE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_notesite")))
}

/// Removes every AWS variable of the test process and points config, credentials and HOME at `home`,
/// with IMDS off, so nothing reads a real profile or leaves the machine.
pub fn isolate(cmd: &mut Command, home: &Path) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.join(".aws/config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join(".aws/credentials"))
        .env("NO_COLOR", "1");
}

fn walkdir(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(rel);
            }
        }
    }
    out
}

/// The upload lines of a `--dry-run` listing: (reason, key).
pub fn planned_uploads(listing: &str) -> Vec<(String, String)> {
    listing
        .lines()
        .filter_map(|l| l.strip_prefix("upload "))
        .map(|rest| {
            let mut parts = rest.split_whitespace();
            let reason = parts.next().unwrap().to_string();
            let _size = (parts.next(), parts.next());
            (reason, parts.next().unwrap().to_string())
        })
        .collect()
}
