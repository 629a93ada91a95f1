//! The publish plan, pure: the local manifest (every output file with its size, MD5, expected ETag,
//! Content-Type and Cache-Control) diffed against one listing of the bucket prefix gives the uploads
//! (new or changed, in phase order) and the deletes. No I/O and no network here.
//!
//! Equality is decided by the ETag S3 returns in the listing: for a single-part upload it is the MD5 of
//! the bytes; for a multipart upload it is `md5(part md5s)-N`, which the manifest computes locally with
//! the same deterministic part size the uploader uses (see [`super::manifest::part_size`]). So a file
//! is never re-uploaded because of an mtime, and nothing is downloaded to compare.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::cache::Class;

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Object key: prefix + path relative to the output folder.
    pub key: String,
    /// Absolute path on disk.
    pub path: std::path::PathBuf,
    pub size: u64,
    /// MD5 of the whole file, lower-case hex.
    pub md5: String,
    /// The ETag a multipart upload of this file gets (`hex-N`), for files above the multipart threshold.
    pub multipart_etag: Option<String>,
    pub content_type: String,
    pub cache_control: String,
    pub class: Class,
}

impl LocalFile {
    /// Whether an object with this ETag (as listed, quotes and case as S3 sends them) holds our bytes.
    pub fn matches(&self, etag: &str) -> bool {
        let etag = normalize_etag(etag);
        etag == self.md5 || self.multipart_etag.as_deref() == Some(etag.as_str())
    }
}

/// One object of the bucket listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObject {
    pub key: String,
    pub size: u64,
    pub etag: String,
}

/// `"0a1B…"` → `0a1b…`.
pub fn normalize_etag(etag: &str) -> String {
    etag.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_ascii_lowercase()
}

/// Why a file is uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    New,
    Changed,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::New => "new",
            Reason::Changed => "changed",
        })
    }
}

/// One upload of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub file: LocalFile,
    pub reason: Reason,
}

/// What a publish does, in order: `uploads` sorted by phase (assets, other files, pages) then key;
/// `deletes` after every upload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub uploads: Vec<Upload>,
    pub deletes: Vec<String>,
    pub unchanged: usize,
    /// Remote objects under the prefix that the site no longer has, left alone without `--delete`.
    pub stale_kept: usize,
}

impl Plan {
    /// Diffs `local` against `remote` (one listing of `prefix`). With `delete`, remote objects under
    /// the prefix that the site does not have are deleted; keys outside the prefix never are.
    pub fn new(local: Vec<LocalFile>, remote: &[RemoteObject], prefix: &str, delete: bool) -> Plan {
        let remote_by_key: HashMap<&str, &RemoteObject> =
            remote.iter().map(|o| (o.key.as_str(), o)).collect();
        let mut plan = Plan::default();
        let local_keys: std::collections::HashSet<String> =
            local.iter().map(|f| f.key.clone()).collect();
        for file in local {
            match remote_by_key.get(file.key.as_str()) {
                Some(obj) if obj.size == file.size && file.matches(&obj.etag) => {
                    plan.unchanged += 1
                }
                Some(_) => plan.uploads.push(Upload {
                    file,
                    reason: Reason::Changed,
                }),
                None => plan.uploads.push(Upload {
                    file,
                    reason: Reason::New,
                }),
            }
        }
        plan.uploads
            .sort_by(|a, b| (a.file.class, &a.file.key).cmp(&(b.file.class, &b.file.key)));
        let mut stale: Vec<String> = remote
            .iter()
            .filter(|o| o.key.starts_with(prefix) && !local_keys.contains(&o.key))
            // "Folder" placeholders made by the S3 console: not part of the site, harmless.
            .filter(|o| !o.key.ends_with('/'))
            .map(|o| o.key.clone())
            .collect();
        stale.sort();
        stale.dedup();
        if delete {
            plan.deletes = stale;
        } else {
            plan.stale_kept = stale.len();
        }
        plan
    }

    /// Bytes the uploads send.
    pub fn upload_bytes(&self) -> u64 {
        self.uploads.iter().map(|u| u.file.size).sum()
    }

    pub fn count(&self, reason: Reason) -> usize {
        self.uploads.iter().filter(|u| u.reason == reason).count()
    }

    /// The uploads grouped by phase, in the order they must run (each phase completes before the next).
    pub fn phases(&self) -> Vec<(Class, &[Upload])> {
        let mut phases: BTreeMap<Class, (usize, usize)> = BTreeMap::new();
        for (i, upload) in self.uploads.iter().enumerate() {
            let range = phases.entry(upload.file.class).or_insert((i, i));
            range.1 = i + 1;
        }
        phases
            .into_iter()
            .map(|(class, (start, end))| (class, &self.uploads[start..end]))
            .collect()
    }

    /// Refuses more deletes than `max`, saying how many and how to allow them.
    pub fn check_deletes(&self, max: usize, target: &str) -> Result<(), String> {
        let n = self.deletes.len();
        if n > max {
            return Err(format!(
                "refusing to delete {n} objects under {target}: more than --max-deletes {max}; \
                 run with --dry-run to list them, then pass --max-deletes {n} to allow it"
            ));
        }
        Ok(())
    }

    /// The deletes in batches of at most `size` keys (DeleteObjects takes up to 1000).
    pub fn delete_batches(&self, size: usize) -> impl Iterator<Item = &[String]> {
        self.deletes.chunks(size.max(1))
    }

    pub fn is_empty(&self) -> bool {
        self.uploads.is_empty() && self.deletes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::cache::classify;

    fn md5_hex(bytes: &[u8]) -> String {
        crate::publish::manifest::hex(&crate::publish::manifest::md5(bytes))
    }

    fn local(key: &str, body: &str) -> LocalFile {
        let rel = key.split_once('/').map_or(key, |(_, r)| r);
        LocalFile {
            key: key.to_string(),
            path: key.into(),
            size: body.len() as u64,
            md5: md5_hex(body.as_bytes()),
            multipart_etag: None,
            content_type: "text/html; charset=utf-8".into(),
            cache_control: "x".into(),
            class: classify(rel),
        }
    }

    fn remote(key: &str, body: &str) -> RemoteObject {
        RemoteObject {
            key: key.to_string(),
            size: body.len() as u64,
            etag: format!("\"{}\"", md5_hex(body.as_bytes())),
        }
    }

    fn keys(uploads: &[Upload]) -> Vec<(&str, Reason)> {
        uploads
            .iter()
            .map(|u| (u.file.key.as_str(), u.reason))
            .collect()
    }

    #[test]
    fn first_publish_uploads_assets_then_other_files_then_pages() {
        let files = vec![
            local("p/index.html", "home"),
            local("p/sitemap.xml", "<urlset/>"),
            local("p/assets/style.0123456789.css", "body{}"),
            local("p/notes/a.html", "a"),
            local("p/img/shot.abcdef0123.png", "png"),
        ];
        let plan = Plan::new(files, &[], "p/", true);
        assert_eq!(
            keys(&plan.uploads),
            [
                ("p/assets/style.0123456789.css", Reason::New),
                ("p/img/shot.abcdef0123.png", Reason::New),
                ("p/sitemap.xml", Reason::New),
                ("p/index.html", Reason::New),
                ("p/notes/a.html", Reason::New),
            ]
        );
        let phases: Vec<(Class, usize)> =
            plan.phases().iter().map(|(c, u)| (*c, u.len())).collect();
        assert_eq!(
            phases,
            [(Class::Asset, 2), (Class::Other, 1), (Class::Page, 2)]
        );
        assert_eq!(plan.upload_bytes(), 4 + 9 + 6 + 1 + 3);
        assert!(plan.deletes.is_empty());
    }

    #[test]
    fn identical_bytes_are_unchanged_whatever_the_etag_quoting() {
        let mut listed = remote("p/index.html", "home");
        listed.etag = listed.etag.to_uppercase();
        let plan = Plan::new(vec![local("p/index.html", "home")], &[listed], "p/", true);
        assert!(plan.is_empty());
        assert_eq!(plan.unchanged, 1);
    }

    #[test]
    fn changed_bytes_or_size_are_uploaded_with_the_reason() {
        let plan = Plan::new(
            vec![
                local("p/a.html", "new text"),
                local("p/b.html", "same"),
                local("p/c.html", "c"),
            ],
            &[
                remote("p/a.html", "old text"),
                remote("p/b.html", "same"),
                RemoteObject {
                    key: "p/c.html".into(),
                    size: 99,
                    etag: format!("\"{}\"", md5_hex(b"c")),
                },
            ],
            "p/",
            false,
        );
        assert_eq!(
            keys(&plan.uploads),
            [("p/a.html", Reason::Changed), ("p/c.html", Reason::Changed)]
        );
        assert_eq!(plan.unchanged, 1);
        assert_eq!(
            (plan.count(Reason::Changed), plan.count(Reason::New)),
            (2, 0)
        );
    }

    #[test]
    fn multipart_etag_matches_without_a_download() {
        let mut file = local("p/video.mp4", "big");
        file.multipart_etag = Some("0123456789abcdef0123456789abcdef-3".into());
        let listed = RemoteObject {
            key: "p/video.mp4".into(),
            size: 3,
            etag: "\"0123456789ABCDEF0123456789ABCDEF-3\"".into(),
        };
        let plan = Plan::new(vec![file.clone()], &[listed], "p/", true);
        assert_eq!(plan.unchanged, 1);
        // A single-part upload of the same bytes (another tool) also counts as unchanged.
        let plan = Plan::new(vec![file], &[remote("p/video.mp4", "big")], "p/", true);
        assert_eq!(plan.unchanged, 1);
    }

    #[test]
    fn deletes_only_with_delete_only_under_the_prefix_and_last() {
        let listing = [
            remote("p/index.html", "home"),
            remote("p/old.html", "old"),
            remote("p/folder/", ""),
            remote("other/x.html", "x"),
            remote("p-old/y.html", "y"),
        ];
        let files = || vec![local("p/index.html", "home")];
        let plan = Plan::new(files(), &listing, "p/", false);
        assert!(plan.deletes.is_empty());
        assert_eq!(plan.stale_kept, 1);
        let plan = Plan::new(files(), &listing, "p/", true);
        assert_eq!(plan.deletes, ["p/old.html"]);
        assert_eq!(plan.stale_kept, 0);
    }

    #[test]
    fn empty_prefix_covers_the_bucket() {
        let plan = Plan::new(
            vec![local("index.html", "home")],
            &[remote("index.html", "home"), remote("gone.html", "g")],
            "",
            true,
        );
        assert_eq!(plan.deletes, ["gone.html"]);
    }

    #[test]
    fn too_many_deletes_are_refused_with_how_to_allow_them() {
        let listing: Vec<RemoteObject> = (0..5)
            .map(|i| remote(&format!("p/{i}.html"), "x"))
            .collect();
        let plan = Plan::new(Vec::new(), &listing, "p/", true);
        assert!(plan.check_deletes(5, "s3://b/p/").is_ok());
        let err = plan.check_deletes(4, "s3://b/p/").unwrap_err();
        assert!(err.contains("refusing to delete 5 objects"), "{err}");
        assert!(err.contains("--max-deletes 5"), "{err}");
    }

    #[test]
    fn deletes_are_batched() {
        let listing: Vec<RemoteObject> = (0..2500)
            .map(|i| remote(&format!("p/{i:04}.html"), "x"))
            .collect();
        let plan = Plan::new(Vec::new(), &listing, "p/", true);
        let sizes: Vec<usize> = plan.delete_batches(1000).map(<[String]>::len).collect();
        assert_eq!(sizes, [1000, 1000, 500]);
    }

    #[test]
    fn etags_normalize() {
        assert_eq!(normalize_etag("\"AbC\""), "abc");
        assert_eq!(normalize_etag("W/\"abc-2\""), "abc-2");
    }
}
