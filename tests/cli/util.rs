//! The test harness: a throwaway site in a temp folder, built up fluently, and the real `notesite`
//! binary run inside it.
//!
//! The site root is `<tempdir>/site`, not the temp folder itself, so a test can put files *beside* the
//! site (`outside(..)`) and check that nothing leaks from there into the output.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run that takes longer than this is treated as a hang (symlink loops, deadlocks).
const TIMEOUT: Duration = Duration::from_secs(60);

/// A site on disk that is deleted when the test ends.
pub struct Site {
    /// Keeps the folder alive; deleted on drop.
    tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Site {
    /// An empty site: only the root folder exists.
    pub fn new() -> Site {
        let tmp = tempfile::Builder::new()
            .prefix("notesite-test-")
            .tempdir()
            .expect("create temp dir");
        let root = tmp.path().join("site");
        std::fs::create_dir(&root).expect("create site root");
        Site { tmp, root }
    }

    /// A copy of `tests/fixtures/<name>/`.
    pub fn from_fixture(name: &str) -> Site {
        let site = Site::new();
        copy_tree(&fixture_dir(name), &site.root);
        site
    }

    /// A copy of the site the repository ships: `notesite.toml` and `notes/` (its `img/` holds no
    /// screenshots, so it is not copied).
    pub fn from_repo_notes() -> Site {
        let site = Site::new();
        copy_tree(&repo_dir().join("notes"), &site.root.join("notes"));
        std::fs::copy(
            repo_dir().join("notesite.toml"),
            site.root.join("notesite.toml"),
        )
        .expect("copy the shipped notesite.toml");
        site
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path inside the site.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// A path beside the site root, outside it.
    pub fn outside(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Writes a file (creating folders); text or bytes.
    pub fn file(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Site {
        write(&self.path(rel), contents.as_ref());
        self
    }

    /// Writes a real PNG of the given size, generated with the `image` crate.
    pub fn png(&self, rel: &str, width: u32, height: u32) -> &Site {
        self.image(rel, width, height, image::ImageFormat::Png)
    }

    /// Writes a real JPEG of the given size, whatever the file name says.
    pub fn jpeg(&self, rel: &str, width: u32, height: u32) -> &Site {
        self.image(rel, width, height, image::ImageFormat::Jpeg)
    }

    fn image(&self, rel: &str, width: u32, height: u32, format: image::ImageFormat) -> &Site {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // A gradient, so different sizes give different bytes (and different content hashes).
        let pixels = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 11) as u8, ((x + y) * 3) as u8])
        });
        pixels
            .save_with_format(&path, format)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        self
    }

    pub fn read(&self, rel: &str) -> String {
        let path = self.path(rel);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    pub fn read_bytes(&self, rel: &str) -> Vec<u8> {
        let path = self.path(rel);
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Runs `notesite ARGS` with the site root as the working directory.
    pub fn run(&self, args: &[&str]) -> Output {
        run_in(&self.root, args, &[])
    }

    /// `run` with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        run_in(&self.root, args, env)
    }

    /// `run(["build"])` that must succeed.
    pub fn build_ok(&self) -> Output {
        self.run(&["build"]).expect_code(0)
    }

    /// Every file below `rel` (path → bytes).
    pub fn snapshot(&self, rel: &str) -> Snapshot {
        Snapshot::of(&self.path(rel))
    }

    /// Every file of the whole temp folder, site and surroundings.
    pub fn snapshot_all(&self) -> Snapshot {
        Snapshot::of(self.tmp.path())
    }
}

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics with everything the binary printed unless it exited with `code`.
    pub fn expect_code(self, code: i32) -> Output {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "the binary panicked:\n{}",
            self.stderr
        );
        self
    }

    /// Asserts that stderr contains `needle`.
    pub fn stderr_has(self, needle: &str) -> Output {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }
}

/// The files of a folder and their bytes, to compare before and after a run.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot(pub BTreeMap<String, Vec<u8>>);

impl Snapshot {
    pub fn of(dir: &Path) -> Snapshot {
        let mut files = BTreeMap::new();
        // Don't follow links: a symlink loop fixture must not make the snapshot itself loop.
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.expect("walk snapshot");
            if entry.file_type().is_file() {
                files.insert(
                    rel_name(dir, entry.path()),
                    std::fs::read(entry.path()).unwrap(),
                );
            }
        }
        Snapshot(files)
    }

    pub fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }

    /// Panics with the names of the files that differ (contents are too long to print).
    pub fn assert_same(&self, other: &Snapshot, what: &str) {
        if self == other {
            return;
        }
        let all: std::collections::BTreeSet<&String> =
            self.0.keys().chain(other.0.keys()).collect();
        let differing: Vec<&&String> = all
            .iter()
            .filter(|name| self.0.get(**name) != other.0.get(**name))
            .collect();
        panic!("{what}: these files differ: {differing:?}");
    }
}

/// `/`-separated path of `path` relative to `dir`.
pub fn rel_name(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

pub fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture_dir(name: &str) -> PathBuf {
    let dir = repo_dir().join("tests/fixtures").join(name);
    assert!(dir.is_dir(), "no fixture {}", dir.display());
    dir
}

/// Runs the binary in `dir`, killing it after [`TIMEOUT`].
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_notesite"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start notesite");
    // Drain both pipes on threads so a chatty child cannot block on a full pipe while we wait.
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for notesite") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("notesite {args:?} ran for more than {TIMEOUT:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        // A signal (e.g. abort) has no code: -1 never matches an expected code.
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn write(path: &Path, contents: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, contents)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk fixture");
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Counts non-overlapping occurrences of `needle`.
pub fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}
