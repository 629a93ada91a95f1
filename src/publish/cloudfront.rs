//! CloudFront invalidation paths, pure: exactly the URLs whose bytes changed (changed and deleted
//! objects, plus new non-hashed ones, which CloudFront may hold as a cached 404), each page also in
//! its `dir/` form, and `/*` instead when there are more than the threshold (each path is billed
//! after the first 1,000 a month; a wildcard counts as one).
//!
//! Content-hashed assets are never invalidated: a changed asset has a new name.

use super::cache::Class;
use super::plan::{Plan, Reason};

/// Paths above which one `/*` is sent instead.
pub const DEFAULT_MAX_PATHS: usize = 30;

/// The paths to invalidate after `plan` ran (sorted, deduplicated; empty when nothing visible changed).
pub fn invalidation_paths(plan: &Plan, max_paths: usize) -> Vec<String> {
    let mut keys: Vec<&str> = plan
        .uploads
        .iter()
        .filter(|u| u.file.class != Class::Asset || u.reason == Reason::Changed)
        .map(|u| u.file.key.as_str())
        .collect();
    keys.extend(plan.deletes.iter().map(String::as_str));
    let mut paths = Vec::new();
    for key in keys {
        paths.push(format!("/{}", encode(key)));
        if key == "index.html" || key.ends_with("/index.html") {
            let dir = &key[..key.len() - "index.html".len()];
            paths.push(format!("/{}", encode(dir)));
        }
    }
    paths.sort();
    paths.dedup();
    if paths.len() > max_paths {
        return vec!["/*".to_string()];
    }
    paths
}

/// Percent-encodes everything but unreserved characters and `/` (`*` too: it is CloudFront's wildcard).
fn encode(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The AWS CLI command that does the same invalidation (for builds without the `cloudfront` feature).
pub fn cli_command(distribution: &str, paths: &[String]) -> String {
    let quoted: Vec<String> = paths.iter().map(|p| format!("'{p}'")).collect();
    format!(
        "aws cloudfront create-invalidation --distribution-id {distribution} --paths {}",
        quoted.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::cache::classify;
    use crate::publish::plan::{LocalFile, Upload};

    fn upload(key: &str, reason: Reason) -> Upload {
        Upload {
            file: LocalFile {
                key: key.into(),
                path: key.into(),
                size: 1,
                md5: String::new(),
                multipart_etag: None,
                content_type: String::new(),
                cache_control: String::new(),
                class: classify(key),
            },
            reason,
        }
    }

    #[test]
    fn changed_pages_with_their_directory_forms_and_deletes() {
        let plan = Plan {
            uploads: vec![
                upload("assets/style.0123456789.css", Reason::New),
                upload("index.html", Reason::Changed),
                upload("docs/index.html", Reason::Changed),
                upload("notes/new page.html", Reason::New),
            ],
            deletes: vec!["notes/old.html".into()],
            ..Plan::default()
        };
        assert_eq!(
            invalidation_paths(&plan, DEFAULT_MAX_PATHS),
            [
                "/",
                "/docs/",
                "/docs/index.html",
                "/index.html",
                "/notes/new%20page.html",
                "/notes/old.html"
            ]
        );
    }

    #[test]
    fn many_paths_become_one_wildcard() {
        let plan = Plan {
            uploads: (0..40)
                .map(|i| upload(&format!("notes/{i}.html"), Reason::Changed))
                .collect(),
            ..Plan::default()
        };
        assert_eq!(invalidation_paths(&plan, 30), ["/*"]);
        assert_eq!(invalidation_paths(&plan, 40).len(), 40);
        assert!(invalidation_paths(&Plan::default(), 30).is_empty());
    }

    #[test]
    fn cli_command_quotes_paths() {
        assert_eq!(
            cli_command("E1", &["/a b".into(), "/*".into()]),
            "aws cloudfront create-invalidation --distribution-id E1 --paths '/a b' '/*'"
        );
    }
}
