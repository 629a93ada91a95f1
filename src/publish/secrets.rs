//! Secret scan before publishing: notes about IAM users and the AWS CLI are where people paste the
//! access key pair they just created. Finds an access key id (`AKIA…`/`ASIA…`) with a 40-character
//! secret access key on the same or a nearby line, an `aws_secret_access_key = …` line, and private key
//! blocks. Reports file and line only: a finding never contains the secret, and neither does
//! [`redact`]'s output.
//!
//! AWS's documentation keys (`AKIAIOSFODNN7EXAMPLE`, `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`) are
//! examples, not secrets, and are not reported.

use std::path::{Path, PathBuf};

/// How many lines apart an access key id and a secret may be to count as a pair.
const PAIR_DISTANCE: usize = 3;

/// One thing that looks like a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
    pub what: &'static str,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.what)
    }
}

const KEY_PAIR: &str = "looks like an AWS access key id with its secret access key";
const SECRET_LINE: &str = "looks like an AWS secret access key";
const PRIVATE_KEY: &str = "contains a private key block";

/// Scans one text; `path` is only used to label the findings.
pub fn scan_text(path: &Path, text: &str) -> Vec<Finding> {
    let lines: Vec<&str> = text.lines().collect();
    let mut findings = Vec::new();
    let ids: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| tokens(l).any(is_access_key_id))
        .map(|(i, _)| i)
        .collect();
    let secrets: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| tokens(l).any(is_secret_key))
        .map(|(i, _)| i)
        .collect();
    let mut found = |line: usize, what| {
        let finding = Finding {
            path: path.to_path_buf(),
            line: line + 1,
            what,
        };
        if !findings.contains(&finding) {
            findings.push(finding);
        }
    };
    for &id in &ids {
        if secrets.iter().any(|&s| s.abs_diff(id) <= PAIR_DISTANCE) {
            found(id, KEY_PAIR);
        }
    }
    for &s in &secrets {
        let named = lines[s].to_ascii_lowercase().contains("secret");
        let paired = ids.iter().any(|&id| id.abs_diff(s) <= PAIR_DISTANCE);
        if named && !paired {
            found(s, SECRET_LINE);
        }
    }
    for (i, line) in lines.iter().enumerate() {
        if is_private_key_header(line) {
            found(i, PRIVATE_KEY);
        }
    }
    findings.sort_by_key(|f| f.line);
    findings
}

/// Scans every Markdown (or, with `all_text`, every text-like) file below `dir`.
pub fn scan_dir(dir: &Path, root: &Path, all_text: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    if !dir.is_dir() {
        return findings;
    }
    let text_ext = |p: &Path| {
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        matches!(ext.as_str(), "md" | "markdown")
            || (all_text
                && matches!(
                    ext.as_str(),
                    "html" | "htm" | "js" | "json" | "txt" | "xml" | "css" | "csv" | "yml" | "yaml"
                ))
    };
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.file_type().is_file() && text_ext(entry.path()) {
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                let shown = entry.path().strip_prefix(root).unwrap_or(entry.path());
                findings.extend(scan_text(shown, &text));
            }
        }
    }
    findings.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    findings
}

/// Replaces anything that looks like an access key id or secret access key by `[REDACTED]`, so error
/// text from a server or a provider can be shown safely.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if is_access_key_id(token) || is_secret_key(token) {
            out.push_str("[REDACTED]");
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '/' || c == '+'
}

/// Runs of characters that can make up a key id or a secret (letters, digits, `/`, `+`).
fn tokens(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| !is_token_char(c))
        .filter(|t| !t.is_empty())
}

/// `AKIA` or `ASIA` + 16 upper-case letters or digits (20 characters), not AWS's example id.
fn is_access_key_id(token: &str) -> bool {
    token.len() == 20
        && (token.starts_with("AKIA") || token.starts_with("ASIA"))
        && token
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && !token.ends_with("EXAMPLE")
}

/// 40 characters of base64 with mixed case and a digit (a git SHA is hex only), not AWS's example.
fn is_secret_key(token: &str) -> bool {
    let token = token.trim_end_matches('=');
    token.len() == 40
        && token.bytes().any(|b| b.is_ascii_lowercase())
        && token.bytes().any(|b| b.is_ascii_uppercase())
        && token
            .bytes()
            .any(|b| b.is_ascii_digit() || b == b'/' || b == b'+')
        && !token.contains("EXAMPLE")
}

fn is_private_key_header(line: &str) -> bool {
    let Some(start) = line.find("-----BEGIN ") else {
        return false;
    };
    let rest = &line[start + "-----BEGIN ".len()..];
    rest.split_once("-----")
        .is_some_and(|(label, _)| label.ends_with("PRIVATE KEY") && !label.contains('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Built at run time so this file itself holds nothing a scanner would flag.
    fn id() -> String {
        format!("AKIA{}", "Q7XZ2PLM4KD9WB3R")
    }
    fn secret() -> String {
        format!("{}{}", "kQ9pX2vL7mN4bR8tY1wZ5cF3", "hJ6dS0aG/e+uI7oP")
    }

    fn lines(text: &str) -> Vec<(usize, &'static str)> {
        scan_text(Path::new("notes/x.md"), text)
            .into_iter()
            .map(|f| (f.line, f.what))
            .collect()
    }

    #[test]
    fn key_pair_on_nearby_lines_is_found_with_its_line() {
        let text = format!(
            "# IAM\n\n```\n[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n```\n",
            id(),
            secret()
        );
        assert_eq!(lines(&text), [(5, KEY_PAIR)]);
        let inline = format!("keys: {} / {}", id(), secret());
        assert_eq!(lines(&inline), [(1, KEY_PAIR)]);
    }

    #[test]
    fn named_secret_alone_and_private_keys_are_found() {
        let text = format!("aws_secret_access_key={}\n", secret());
        assert_eq!(lines(&text), [(1, SECRET_LINE)]);
        let key = format!("text\n-----BEGIN {}-----\nMIIE\n", "OPENSSH PRIVATE KEY");
        assert_eq!(lines(&key), [(2, PRIVATE_KEY)]);
        let rsa = format!("-----BEGIN {}-----", "RSA PRIVATE KEY");
        assert_eq!(lines(&rsa), [(1, PRIVATE_KEY)]);
    }

    #[test]
    fn examples_ids_alone_hashes_and_public_keys_are_not_secrets() {
        let docs = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
        assert!(lines(docs).is_empty());
        let id_alone = format!("the user {} was created", id());
        assert!(lines(&id_alone).is_empty());
        let sha = format!("{}\ncommit 3f9a0c1b2d4e5f60718293a4b5c6d7e8f9012345", id());
        assert!(lines(&sha).is_empty());
        let far = format!("{}\n\n\n\n\n{}", id(), secret());
        assert!(lines(&far).is_empty());
        assert!(lines("-----BEGIN PUBLIC KEY-----").is_empty());
    }

    #[test]
    fn redact_hides_ids_and_secrets() {
        let text = format!("key {} secret {}.", id(), secret());
        let redacted = redact(&text);
        assert_eq!(redacted, "key [REDACTED] secret [REDACTED].");
        assert_eq!(redact("Access Denied"), "Access Denied");
    }

    #[test]
    fn scan_dir_labels_findings_relative_to_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("notes/sub")).unwrap();
        std::fs::write(
            dir.path().join("notes/sub/iam.md"),
            format!("x\n{} {}\n", id(), secret()),
        )
        .unwrap();
        std::fs::write(dir.path().join("notes/ok.md"), "nothing").unwrap();
        let findings = scan_dir(&dir.path().join("notes"), dir.path(), false);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].to_string(),
            format!("notes/sub/iam.md:2: {KEY_PAIR}")
        );
    }
}
