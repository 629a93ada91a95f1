//! Templates and theme files: the defaults embedded in the binary, overridden file by file by a site's
//! own `templates/` and `theme/` folders. Theme files get content-hashed names in `assets/`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diag::{Diagnostic, Kind};

/// The default templates, as real files in the repository's `templates/`.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("note.html", include_str!("../../templates/note.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("topics.html", include_str!("../../templates/topics.html")),
    ("topic.html", include_str!("../../templates/topic.html")),
    ("404.html", include_str!("../../templates/404.html")),
    ("search.html", include_str!("../../templates/search.html")),
];

/// The default theme, as real files in the repository's `theme/`: (name, key in `assets`, bytes).
const THEME: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "style",
        include_bytes!("../../theme/style.css"),
    ),
    (
        "script.js",
        "script",
        include_bytes!("../../theme/script.js"),
    ),
    (
        "search.js",
        "search",
        include_bytes!("../../theme/search.js"),
    ),
    (
        "favicon.svg",
        "favicon",
        include_bytes!("../../theme/favicon.svg"),
    ),
];

/// Template sources by name: embedded defaults, then every `*.html` in the site's `templates/`.
pub fn template_sources(site_templates: &Path) -> Result<Vec<(String, String)>, Diagnostic> {
    let mut sources: BTreeMap<String, String> = TEMPLATES
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect();
    for (name, path) in site_files(site_templates) {
        if name.ends_with(".html") || name.ends_with(".xml") {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Diagnostic::error(Kind::Template, &path, format!("cannot read template: {e}"))
            })?;
            sources.insert(name, text);
        }
    }
    Ok(sources.into_iter().collect())
}

/// Whether `sources` (from [`template_sources`]) are exactly the built-in templates: then the
/// renderer knows which context values they read (see `Renderer::nav_in_context`).
pub fn are_builtin(sources: &[(String, String)]) -> bool {
    sources.len() == TEMPLATES.len()
        && sources
            .iter()
            .all(|(name, text)| TEMPLATES.iter().any(|(n, s)| n == name && s == text))
}

/// A theme file ready for output.
#[derive(Debug, Clone)]
pub struct ThemeFile {
    /// Key templates use: `assets.style`.
    pub key: String,
    /// Output path: `assets/style.1a2b3c4d5e.css`.
    pub out: String,
    pub bytes: Vec<u8>,
}

/// Theme files (defaults or the site's overrides, plus the site's extra files), content-hashed.
pub fn theme_files(
    site_theme: &Path,
    generated: Vec<(&str, Vec<u8>)>,
) -> Result<Vec<ThemeFile>, Diagnostic> {
    let mut files: BTreeMap<String, (String, Vec<u8>)> = THEME
        .iter()
        .map(|(name, key, bytes)| (name.to_string(), (key.to_string(), bytes.to_vec())))
        .collect();
    for (name, bytes) in generated {
        let key = name.split('.').next().unwrap_or(name).to_string();
        files.insert(name.to_string(), (key, bytes));
    }
    for (name, path) in site_files(site_theme) {
        let bytes = std::fs::read(&path).map_err(|e| {
            Diagnostic::error(Kind::Io, &path, format!("cannot read theme file: {e}"))
        })?;
        let key = files
            .get(&name)
            .map_or_else(|| name.clone(), |(k, _)| k.clone());
        files.insert(name, (key, bytes));
    }
    Ok(files
        .into_iter()
        .map(|(name, (key, bytes))| ThemeFile {
            out: hashed(&name, &bytes),
            key,
            bytes,
        })
        .collect())
}

fn hashed(name: &str, bytes: &[u8]) -> String {
    let hash = blake3::hash(bytes).to_hex();
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("assets/{stem}.{}.{ext}", &hash[..10]),
        None => format!("assets/{name}.{}", &hash[..10]),
    }
}

/// Files directly in `dir` and below it, by their `/`-separated relative name; none if `dir` is absent.
fn site_files(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    if !dir.is_dir() {
        return Vec::new();
    }
    let entries = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok);
    let mut files: Vec<_> = entries
        .filter(|e| e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some((rel, e.into_path()))
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_files_override_defaults_and_names_are_hashed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("style.css"), "body{}").unwrap();
        std::fs::write(dir.path().join("logo.png"), "x").unwrap();
        let files = theme_files(dir.path(), vec![("highlight.css", b".hl{}".to_vec())]).unwrap();
        let style = files.iter().find(|f| f.key == "style").unwrap();
        assert_eq!(style.bytes, b"body{}");
        assert!(style.out.starts_with("assets/style.") && style.out.ends_with(".css"));
        assert!(files.iter().any(|f| f.key == "highlight"));
        assert!(files.iter().any(|f| f.key == "logo.png"));
        assert!(files.iter().any(|f| f.key == "script"));
    }

    #[test]
    fn site_template_replaces_the_embedded_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("404.html"), "mine").unwrap();
        let sources = template_sources(dir.path()).unwrap();
        let (_, text) = sources.iter().find(|(n, _)| n == "404.html").unwrap();
        assert_eq!(text, "mine");
        assert!(sources.iter().any(|(n, _)| n == "base.html"));
    }

    #[test]
    fn the_built_in_templates_are_recognised_and_read_no_nav_list() {
        let dir = tempfile::tempdir().unwrap();
        assert!(are_builtin(&template_sources(dir.path()).unwrap()));
        // A copy of a built-in template is still the built-in set; a changed or extra one is not.
        for (name, text) in &TEMPLATES[..2] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        assert!(are_builtin(&template_sources(dir.path()).unwrap()));
        std::fs::write(dir.path().join("extra.html"), "x").unwrap();
        assert!(!are_builtin(&template_sources(dir.path()).unwrap()));
        std::fs::remove_file(dir.path().join("extra.html")).unwrap();
        std::fs::write(dir.path().join("404.html"), "mine").unwrap();
        assert!(!are_builtin(&template_sources(dir.path()).unwrap()));
        // The renderer leaves `nav` out of the built-in templates' context: none may read it
        // (only `nav_html`). Every identifier inside a `{{ }}` or `{% %}` tag is checked.
        for (name, text) in TEMPLATES {
            let opens = text.match_indices("{{").chain(text.match_indices("{%"));
            for (at, _) in opens {
                let tag = &text[at + 2..];
                let tag = &tag[..tag.find(['}', '%']).unwrap_or(tag.len())];
                let words = tag.split(|c: char| !(c.is_alphanumeric() || c == '_'));
                assert!(!words.into_iter().any(|w| w == "nav"), "{name}: {tag}");
            }
        }
    }
}
