//! Local manifest: walks the built site (`out_dir`) and describes every file the way the plan compares
//! it with the bucket: key, size, MD5, the ETag a multipart upload would get, Content-Type (sniffed)
//! and Cache-Control (by rule). Files are hashed in parallel (rayon); large files are streamed.
//!
//! Multipart choice: parts are a deterministic function of the file size ([`part_size`]: 8 MiB, the
//! AWS CLI's default, grown only past 10,000 parts), so the multipart ETag `md5(part md5s)-N` can be
//! computed here and compared with the listing. That needs no metadata, no manifest object and no
//! extra request, and it also recognises files that `aws s3 sync`/`aws s3 cp` uploaded with their
//! defaults.

use anyhow::{bail, Context as _};
use md5::{Digest, Md5};
use rayon::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::cache::{classify, CacheRules};
use super::mime::{content_type, SNIFF_LEN};
use super::plan::LocalFile;

/// Files at least this large are uploaded in parts (the AWS CLI's `multipart_threshold`).
pub const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;
const MAX_PARTS: u64 = 10_000;

/// Files of the output folder that are not part of the site.
const SKIPPED: &[&str] = &[crate::output::MARKER, ".DS_Store", "Thumbs.db"];

/// The part size used to upload a file of `size` bytes: 8 MiB, or more (whole MiB) when 8 MiB parts
/// would exceed S3's 10,000-part limit.
pub fn part_size(size: u64) -> u64 {
    let min = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    min.max(8 * MIB)
}

/// Describes every file under `out_dir` with `prefix` prepended to its key, sorted by key.
pub fn scan(out_dir: &Path, prefix: &str, rules: &CacheRules) -> anyhow::Result<Vec<LocalFile>> {
    if !out_dir.is_dir() {
        bail!(
            "{} does not exist: run `notesite build` first, or publish without --no-build",
            out_dir.display()
        );
    }
    let mut paths: Vec<(String, PathBuf)> = Vec::new();
    for entry in walkdir::WalkDir::new(out_dir).follow_links(true) {
        let entry = entry.with_context(|| format!("cannot read {}", out_dir.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(out_dir).unwrap_or(entry.path());
        let Some(rel) = rel.to_str() else {
            bail!(
                "{}: the file name is not UTF-8 and cannot be an S3 key",
                entry.path().display()
            );
        };
        let rel = rel.replace('\\', "/");
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        if SKIPPED.contains(&name) {
            continue;
        }
        paths.push((rel, entry.into_path()));
    }
    paths.sort();
    paths
        .into_par_iter()
        .map(|(rel, path)| describe(&rel, &path, prefix, rules))
        .collect()
}

fn describe(rel: &str, path: &Path, prefix: &str, rules: &CacheRules) -> anyhow::Result<LocalFile> {
    let digest = digest_file(path).with_context(|| format!("cannot read {}", path.display()))?;
    let class = classify(rel);
    Ok(LocalFile {
        key: format!("{prefix}{rel}"),
        path: path.to_path_buf(),
        size: digest.size,
        md5: hex(&digest.md5),
        multipart_etag: digest.multipart_etag,
        content_type: content_type(rel, &digest.head).to_string(),
        cache_control: rules.cache_control(class).to_string(),
        class,
    })
}

struct FileDigest {
    size: u64,
    md5: [u8; 16],
    multipart_etag: Option<String>,
    head: Vec<u8>,
}

/// MD5 of the file and, for large files, of each upload part, reading it once.
fn digest_file(path: &Path) -> std::io::Result<FileDigest> {
    let size = std::fs::metadata(path)?.len();
    if size < MULTIPART_THRESHOLD {
        let bytes = std::fs::read(path)?;
        return Ok(FileDigest {
            size: bytes.len() as u64,
            md5: md5(&bytes),
            multipart_etag: None,
            head: bytes[..bytes.len().min(SNIFF_LEN)].to_vec(),
        });
    }
    let part = part_size(size) as usize;
    let mut file = std::fs::File::open(path)?;
    let mut whole = Md5::new();
    let mut parts = Md5::new();
    let (mut count, mut total, mut head) = (0u64, 0u64, Vec::new());
    let mut buf = vec![0u8; part];
    loop {
        let n = read_full(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        if head.is_empty() {
            head = buf[..n.min(SNIFF_LEN)].to_vec();
        }
        whole.update(&buf[..n]);
        parts.update(md5(&buf[..n]));
        count += 1;
        total += n as u64;
    }
    let md5_whole: [u8; 16] = whole.finalize().into();
    let parts: [u8; 16] = parts.finalize().into();
    Ok(FileDigest {
        size: total,
        md5: md5_whole,
        multipart_etag: (total >= MULTIPART_THRESHOLD).then(|| format!("{}-{count}", hex(&parts))),
        head,
    })
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
pub fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

pub fn md5(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::cache::Class;

    #[test]
    fn part_size_is_8_mib_until_the_part_limit() {
        assert_eq!(part_size(20 * MIB), 8 * MIB);
        assert_eq!(part_size(80_000 * MIB), 8 * MIB);
        assert_eq!(part_size(80_000 * MIB + 1), 9 * MIB);
        assert!(part_size(5 * 1024 * 1024 * MIB).div_ceil(1) * MAX_PARTS >= 5 * 1024 * 1024 * MIB);
    }

    #[test]
    fn md5_matches_a_known_value() {
        assert_eq!(hex(&md5(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex(&md5(b"abc")), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn multipart_etag_is_md5_of_part_md5s() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let size = 20 * MIB as usize;
        let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let digest = digest_file(&path).unwrap();
        let part = 8 * MIB as usize;
        let mut concatenated = Vec::new();
        for chunk in bytes.chunks(part) {
            concatenated.extend_from_slice(&md5(chunk));
        }
        let expected = format!("{}-3", hex(&md5(&concatenated)));
        assert_eq!(digest.multipart_etag.as_deref(), Some(expected.as_str()));
        assert_eq!(digest.md5, md5(&bytes));
        assert_eq!(digest.size, size as u64);
    }

    #[test]
    fn scan_keys_types_and_cache_headers() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::create_dir_all(out.join("img")).unwrap();
        std::fs::create_dir_all(out.join("notes")).unwrap();
        std::fs::write(out.join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(out.join("notes/a.html"), "<p>a</p>").unwrap();
        std::fs::write(
            out.join("img/shot.jpg.0123456789.png"),
            [0xFF, 0xD8, 0xFF, 0xE0],
        )
        .unwrap();
        std::fs::write(out.join(crate::output::MARKER), "x").unwrap();
        let files = scan(out, "site/", &CacheRules::default()).unwrap();
        let summary: Vec<(&str, &str, Class)> = files
            .iter()
            .map(|f| (f.key.as_str(), f.content_type.as_str(), f.class))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "site/img/shot.jpg.0123456789.png",
                    "image/jpeg",
                    Class::Asset
                ),
                ("site/index.html", "text/html; charset=utf-8", Class::Page),
                ("site/notes/a.html", "text/html; charset=utf-8", Class::Page),
            ]
        );
        assert_eq!(files[0].cache_control, crate::publish::cache::IMMUTABLE);
        assert_eq!(files[1].cache_control, crate::publish::cache::SHORT);
        assert_eq!(files[1].md5, hex(&md5(b"<!doctype html>")));
        assert!(scan(&out.join("missing"), "", &CacheRules::default()).is_err());
    }
}
