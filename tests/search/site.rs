//! The test site: the repository's shipped notes plus fixtures (an identifier and a phrase, CJK text,
//! a title with `<script>` markup, a private note and a draft), built once per test binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub struct BuiltSite {
    pub out: PathBuf,
    _dir: tempfile::TempDir,
}

const FIXTURES: &[(&str, &str)] = &[
    (
        "bucket-policies.md",
        "---\ntitle: Bucket policies\ntopics: [aws, storage]\n---\n\nAllow `s3:PutObject` for the deploy role.\n\n## Deploying\n\nRun `aws s3 sync ./public s3://my-bucket --delete` after each build.\n\n## 料金\n\n每個月都 billed.\n",
    ),
    (
        "xss.md",
        "---\ntitle: \"<script>window.__xss = 1</script> Injection test\"\ntopics: [testing]\n---\n\nThe title of this note is markup <img src=x onerror=\"window.__xss=2\"> and must show as text. injection.\n",
    ),
    (
        "private.md",
        "---\ntitle: Private things\nprivate: true\n---\n\nzanzibarsecret lambda\n",
    ),
    (
        "draft.md",
        "---\ntitle: Draft things\ndraft: true\n---\n\ndraftonlyword lambda\n",
    ),
];

/// Builds the site once; every test shares it.
pub fn build() -> &'static BuiltSite {
    static SITE: OnceLock<BuiltSite> = OnceLock::new();
    SITE.get_or_init(build_now)
}

fn build_now() -> BuiltSite {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let notes = root.join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("notes");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            std::fs::copy(&path, notes.join(path.file_name().unwrap())).unwrap();
        }
    }
    for (name, text) in FIXTURES {
        std::fs::write(notes.join(name), text).unwrap();
    }
    std::fs::write(root.join("notesite.toml"), "title = \"Search test\"\n").unwrap();
    let out = dir.path().join("public");
    let status = Command::new(env!("CARGO_BIN_EXE_notesite"))
        .args(["build", "--quiet", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "notesite build failed");
    BuiltSite { out, _dir: dir }
}
