//! Configuration: reads the optional `notesite.toml` (serde, strict) and resolves it into [`Config`]
//! with absolute paths, so no later stage has to know where the site root is or what was defaulted.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use crate::diag::LineIndex;

pub const CONFIG_FILE: &str = "notesite.toml";

/// `notesite.toml` exactly as written. Unknown keys are an error naming the key and its line.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawConfig {
    /// Site title, shown in the header and the `<title>` of every page.
    pub title: String,
    /// One sentence about the site, for the home page and `<meta name="description">`.
    pub description: String,
    /// Author name for `<meta name="author">`.
    pub author: String,
    /// Language code for `<html lang>`.
    pub language: String,
    /// Absolute URL the site is published at; only used for sitemap.xml and canonical links.
    pub base_url: Option<String>,
    /// Folder of the Markdown notes, relative to the site root.
    pub notes_dir: PathBuf,
    /// Folder of the screenshots, relative to the site root.
    pub img_dir: PathBuf,
    /// Output folder, relative to the site root.
    pub out_dir: PathBuf,
    /// Directory-style links (`notes/x/`) for servers that map `/` to `index.html`.
    pub pretty_urls: bool,
    /// Code highlighting themes (syntect's built-in theme names).
    pub highlight: RawHighlight,
    /// The screenshot pipeline: responsive variants, WebP, OCR, size warnings.
    pub images: RawImages,
    /// `notesite publish` settings; every command-line flag wins over its key here.
    pub publish: RawPublish,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            title: "Notes".to_string(),
            description: String::new(),
            author: String::new(),
            language: "en".to_string(),
            base_url: None,
            notes_dir: PathBuf::from("notes"),
            img_dir: PathBuf::from("img"),
            out_dir: PathBuf::from("public"),
            pretty_urls: false,
            highlight: RawHighlight::default(),
            images: RawImages::default(),
            publish: RawPublish::default(),
        }
    }
}

/// `[highlight]` in notesite.toml.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawHighlight {
    /// Theme for light mode.
    pub light: String,
    /// Theme for dark mode.
    pub dark: String,
}

impl Default for RawHighlight {
    fn default() -> Self {
        RawHighlight {
            light: "InspiredGitHub".to_string(),
            dark: "base16-ocean.dark".to_string(),
        }
    }
}

/// `[images]` in notesite.toml.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawImages {
    /// Extract the text inside screenshots with the `tesseract` program (also `--ocr`).
    pub ocr: bool,
    /// Tesseract language(s), as its `-l` option takes them: `eng`, `eng+deu`.
    pub ocr_lang: String,
    /// Widths in pixels of the smaller copies made for `srcset` (never wider than the original).
    pub widths: Vec<u32>,
    /// Also offer lossless WebP copies (used only where they are smaller than the original format).
    pub webp: bool,
    /// Warn about images whose file is larger than this many megabytes.
    pub warn_size_mb: f64,
    /// Warn about images wider or taller than this many pixels.
    pub warn_side_px: u32,
}

impl Default for RawImages {
    fn default() -> Self {
        RawImages {
            ocr: false,
            ocr_lang: "eng".to_string(),
            widths: vec![640, 1280],
            webp: true,
            warn_size_mb: 10.0,
            warn_side_px: 8000,
        }
    }
}

/// The resolved `[images]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagesConfig {
    /// Where processed images and OCR text are kept between builds: `<root>/.notesite-cache/images`.
    pub cache_dir: PathBuf,
    pub ocr: bool,
    pub ocr_lang: String,
    /// Sorted, without duplicates.
    pub widths: Vec<u32>,
    pub webp: bool,
    pub warn_bytes: u64,
    pub warn_side_px: u32,
}

/// The cache folder below the site root; hidden, so scan and the watcher skip it.
pub const CACHE_DIR: &str = ".notesite-cache";

impl ImagesConfig {
    fn resolve(root: &Path, raw: RawImages) -> Result<ImagesConfig, String> {
        let mut widths = raw.widths;
        if let Some(bad) = widths.iter().find(|w| !(16..=16383).contains(*w)) {
            return Err(format!(
                "[images] widths: {bad} is not between 16 and 16383 pixels"
            ));
        }
        widths.sort_unstable();
        widths.dedup();
        let lang_ok = !raw.ocr_lang.is_empty()
            && raw
                .ocr_lang
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'));
        if !lang_ok {
            return Err(format!(
                "[images] ocr_lang `{}` is not a tesseract language list like `eng` or `eng+deu`",
                raw.ocr_lang
            ));
        }
        if !(raw.warn_size_mb.is_finite() && raw.warn_size_mb > 0.0) {
            return Err("[images] warn_size_mb must be a positive number".into());
        }
        Ok(ImagesConfig {
            cache_dir: root.join(CACHE_DIR).join("images"),
            ocr: raw.ocr,
            ocr_lang: raw.ocr_lang,
            widths,
            webp: raw.webp,
            warn_bytes: (raw.warn_size_mb * 1_000_000.0) as u64,
            warn_side_px: raw.warn_side_px.max(1),
        })
    }
}

/// `[publish]` in notesite.toml: the defaults of `notesite publish`, one key per flag (except
/// `--print-policy`, which is an action, not a setting). Validated with the flags in
/// `publish::settings`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawPublish {
    /// S3 bucket name (`s3://bucket/prefix` is accepted too).
    pub bucket: Option<String>,
    /// Key prefix the site is published under ("" = the bucket root).
    pub prefix: Option<String>,
    /// AWS region of the bucket (default: the profile's or the environment's).
    pub region: Option<String>,
    /// AWS CLI profile from ~/.aws/config and ~/.aws/credentials.
    pub profile: Option<String>,
    /// S3-compatible endpoint, e.g. `http://127.0.0.1:9000`.
    pub endpoint_url: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`); on by default with a custom endpoint.
    pub path_style: bool,
    /// Print the plan and change nothing.
    pub dry_run: bool,
    /// Delete objects under the prefix that the site no longer has.
    pub delete: bool,
    /// Refuse to delete more objects than this in one publish (default 256).
    pub max_deletes: Option<usize>,
    /// Parallel requests (default 16).
    pub concurrency: Option<usize>,
    /// Configure static website hosting (index.html, 404.html) on the bucket.
    pub setup_website: bool,
    /// CloudFront distribution to invalidate after publishing.
    pub cloudfront_distribution: Option<String>,
    /// Changed paths above which `/*` is invalidated instead (default 30).
    pub cloudfront_max_paths: Option<usize>,
    /// Print a JSON summary on stdout.
    pub json: bool,
    /// Publish out_dir as it is, without building first.
    pub no_build: bool,
    /// Publish even when notes look like they contain secrets.
    pub allow_secrets: bool,
    /// Cache-Control of pages and other files without a content hash (default `public, max-age=300`).
    pub cache_control: Option<String>,
    /// Cache-Control of content-hashed files (default `public, max-age=31536000, immutable`).
    pub cache_control_immutable: Option<String>,
}

/// The resolved configuration every stage reads.
#[derive(Debug, Clone)]
pub struct Config {
    pub root: PathBuf,
    pub notes_dir: PathBuf,
    pub img_dir: PathBuf,
    pub out_dir: PathBuf,
    pub site: SiteMeta,
    /// Without trailing slash.
    pub base_url: Option<String>,
    pub pretty_urls: bool,
    pub highlight_light: String,
    pub highlight_dark: String,
    pub images: ImagesConfig,
    pub publish: RawPublish,
}

/// What templates show about the site.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SiteMeta {
    pub title: String,
    pub description: String,
    pub author: String,
    pub language: String,
}

/// A config problem: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl Config {
    /// The site root `load` reads, made absolute (the build record names files under it).
    pub fn resolve_root(root: &Path) -> Result<PathBuf, ConfigError> {
        std::path::absolute(root).map_err(|e| ConfigError {
            path: root.to_path_buf(),
            line: None,
            message: format!("cannot resolve the site root: {e}"),
        })
    }

    /// Reads `<root>/notesite.toml` if it exists, else uses the defaults.
    pub fn load(root: &Path) -> Result<Config, ConfigError> {
        let root = Config::resolve_root(root)?;
        if !root.is_dir() {
            return Err(ConfigError {
                path: root,
                line: None,
                message: "the site root is not a folder (pass --root DIR)".into(),
            });
        }
        let path = root.join(CONFIG_FILE);
        let raw = match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text).map_err(|(line, message)| ConfigError {
                path: path.clone(),
                line,
                message,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RawConfig::default(),
            Err(e) => {
                return Err(ConfigError {
                    path,
                    line: None,
                    message: format!("cannot read: {e}"),
                })
            }
        };
        Config::resolve(root, raw).map_err(|message| ConfigError {
            path,
            line: None,
            message,
        })
    }

    fn resolve(root: PathBuf, raw: RawConfig) -> Result<Config, String> {
        let base_url = match raw.base_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.trim_end_matches('/').to_string())
            }
            Some(url) => {
                return Err(format!(
                    "base_url `{url}` must start with http:// or https://"
                ))
            }
        };
        let images = ImagesConfig::resolve(&root, raw.images)?;
        Ok(Config {
            images,
            notes_dir: root.join(&raw.notes_dir),
            img_dir: root.join(&raw.img_dir),
            out_dir: root.join(&raw.out_dir),
            root,
            site: SiteMeta {
                title: raw.title,
                description: raw.description,
                author: raw.author,
                language: raw.language,
            },
            base_url,
            pretty_urls: raw.pretty_urls,
            highlight_light: raw.highlight.light,
            highlight_dark: raw.highlight.dark,
            publish: raw.publish,
        })
    }

    /// Replaces the output folder (from `--out`), relative to the current directory like any CLI path.
    pub fn with_out_dir(mut self, out: &Path) -> Self {
        self.out_dir = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
        self
    }
}

/// Parses notesite.toml text; the error carries the 1-based line when toml knows it.
fn parse(text: &str) -> Result<RawConfig, (Option<usize>, String)> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| LineIndex::new(text).position(text, span.start).line);
        (line, e.message().trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_keys_are_missing() {
        let raw = parse("title = \"AWS\"\n").unwrap();
        assert_eq!(raw.title, "AWS");
        assert_eq!(raw.out_dir, PathBuf::from("public"));
        assert!(!raw.pretty_urls);
    }

    #[test]
    fn unknown_key_is_an_error_with_its_line() {
        let (line, message) = parse("title = \"x\"\n\nbase_ulr = \"https://x\"\n").unwrap_err();
        assert_eq!(line, Some(3));
        assert!(message.contains("base_ulr"), "{message}");
    }

    #[test]
    fn images_table_is_strict_and_resolved() {
        let raw = parse("[images]\nocr = true\nwidths = [1280, 640, 640]\n").unwrap();
        let config = Config::resolve(PathBuf::from("/site"), raw).unwrap();
        assert!(config.images.ocr);
        assert_eq!(config.images.widths, [640, 1280]);
        assert_eq!(
            config.images.cache_dir,
            PathBuf::from("/site/.notesite-cache/images")
        );
        assert_eq!(config.images.warn_bytes, 10_000_000);
        let (line, message) = parse("[images]\n\nocr_language = \"eng\"\n").unwrap_err();
        assert_eq!(line, Some(3));
        assert!(message.contains("ocr_language"), "{message}");
        let raw = parse("[images]\nwidths = [0]\n").unwrap();
        assert!(Config::resolve(PathBuf::from("/site"), raw).is_err());
        let raw = parse("[images]\nocr_lang = \"eng; rm\"\n").unwrap();
        assert!(Config::resolve(PathBuf::from("/site"), raw).is_err());
    }

    #[test]
    fn publish_table_is_strict() {
        let raw = parse("[publish]\nbucket = \"b\"\ndelete = true\nmax_deletes = 10\n").unwrap();
        assert_eq!(raw.publish.bucket.as_deref(), Some("b"));
        assert!(raw.publish.delete);
        assert_eq!(raw.publish.max_deletes, Some(10));
        let (line, message) = parse("[publish]\nbucket = \"b\"\nbukcet = \"c\"\n").unwrap_err();
        assert_eq!(line, Some(3));
        assert!(message.contains("bukcet"), "{message}");
    }

    #[test]
    fn base_url_must_be_absolute() {
        let raw = parse("base_url = \"example.com\"").unwrap();
        assert!(Config::resolve(PathBuf::from("/site"), raw).is_err());
        let raw = parse("base_url = \"https://example.com/notes/\"").unwrap();
        let config = Config::resolve(PathBuf::from("/site"), raw).unwrap();
        assert_eq!(
            config.base_url.as_deref(),
            Some("https://example.com/notes")
        );
    }
}
