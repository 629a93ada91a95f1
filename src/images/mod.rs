//! Images stage: every local file the notes use is read once and hashed (blake3); every screenshot gets
//! its real format sniffed from the bytes, its displayed size (EXIF orientation applied), responsive
//! variants (640/1280 px and full size, lossless WebP beside the original format) and, with OCR on, the
//! text inside it. Results live in a content-addressed cache ([`cache`]) shared by `build` and `serve`,
//! so an unchanged screenshot is never decoded twice; identical files share one set of output names.
//!
//! Work runs in parallel (rayon) under a memory [`process::Budget`]. This module plans and names;
//! [`process`] does pixels, [`ocr`] runs tesseract. Corrupt images become diagnostics at every
//! reference and render as placeholders; huge ones are warned about once.

mod cache;
pub mod ocr;
mod process;
mod worker;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::{ImagesConfig, CONFIG_FILE};
use crate::diag::{Diagnostic, Diagnostics, Kind};
use crate::graph::{ImageTarget, NoteId, Site};
use cache::Cache;
pub use cache::PIPELINE_VERSION;
pub use process::{format_name, Encoding};
use process::{Budget, Facts};
use worker::{Counts, Worker};

/// Decoded pixels held at once by all workers together (an image larger than this runs alone).
const MEMORY_BUDGET: u64 = 1 << 30;

/// A local file copied into the output.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    pub source: PathBuf,
    /// blake3 of the file's bytes: files with the same bytes share one set of output files.
    pub hash: blake3::Hash,
    /// Size of the file in bytes.
    pub len: u64,
    /// Output path relative to the site root, e.g. `img/shot.1a2b3c4d5e.png`.
    pub out: String,
    /// Real image format sniffed from the bytes (`png`, `jpeg`, …, `svg`); `None` for other files.
    pub format: Option<&'static str>,
    /// Displayed size (EXIF orientation applied).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Animated GIF/WebP/PNG: copied unchanged, no variants.
    pub animated: bool,
    /// Smaller copies and WebP copies for `srcset`, narrowest first per encoding; empty for SVGs,
    /// animations and images too large to decode.
    pub variants: Vec<Variant>,
    /// Text read in the screenshot by OCR (`--ocr`): shown under the image and meant for the search
    /// index, with a lower weight than the note's own text. `None` when OCR was off or found nothing.
    pub ocr_text: Option<String>,
    /// Why the image counts as huge (file size or side over the `[images]` thresholds).
    pub oversized: Option<String>,
}

/// One processed copy of an image, stored in the cache and copied into the output.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub encoding: Encoding,
    /// Output path relative to the site root, e.g. `img/shot.640w.0a1b2c3d4e.webp`.
    pub out: String,
    /// The cache file holding its bytes.
    pub file: PathBuf,
    pub len: u64,
    key: blake3::Hash,
}

impl Asset {
    /// The variants in `encoding`, narrowest first.
    pub fn variants_in(&self, encoding: Encoding) -> impl Iterator<Item = &Variant> {
        self.variants.iter().filter(move |v| v.encoding == encoding)
    }

    /// A still image with a known size, shown with `<picture>`/`srcset` and opened in the lightbox.
    pub fn is_raster(&self) -> bool {
        self.width.is_some() && !matches!(self.format, None | Some("svg"))
    }
}

/// What the images stage did, for the build summary (and for tests: a rebuild encodes nothing).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImageStats {
    /// Images decoded this build.
    pub decoded: usize,
    /// Variants encoded and stored in the cache this build.
    pub encoded: usize,
    /// Variants found in the cache.
    pub reused: usize,
    /// Screenshots read by tesseract this build / whose text came from the cache.
    pub ocr_read: usize,
    pub ocr_cached: usize,
}

/// Every referenced local file, keyed by its canonical source path; `Err` holds why an image is unusable.
#[derive(Debug, Default)]
pub struct Assets {
    pub by_source: HashMap<PathBuf, Result<Asset, String>>,
    pub stats: ImageStats,
}

impl Assets {
    pub fn get(&self, source: &Path) -> Option<&Result<Asset, String>> {
        self.by_source.get(source)
    }

    pub fn ok(&self) -> impl Iterator<Item = &Asset> {
        self.by_source.values().filter_map(|a| a.as_ref().ok())
    }

    /// The OCR text of each image note `id` embeds, aligned with its `body.images`; a screenshot
    /// shown twice in one note has its text only at the first place. This is what the search index
    /// adds to a note, with a lower weight than the note's own text.
    pub fn ocr_texts<'a>(&'a self, site: &'a Site, id: NoteId) -> Vec<Option<&'a str>> {
        let mut seen = HashSet::new();
        site.graph.images[id]
            .iter()
            .map(|target| match target {
                ImageTarget::Local(path) => self.get(path)?.as_ref().ok(),
                _ => None,
            })
            .map(|asset| {
                let asset = asset.filter(|asset| seen.insert(asset.hash))?;
                asset.ocr_text.as_deref()
            })
            .collect()
    }
}

/// What the images stage is asked to do.
#[derive(Clone, Copy)]
pub struct LoadOptions<'a> {
    pub config: &'a ImagesConfig,
    /// Make variants and read text; `check` only needs the facts and writes nothing.
    pub process: bool,
    /// Read the text in screenshots (`--ocr` or `[images] ocr = true`).
    pub ocr: bool,
    /// Called once per distinct file processed (the progress bar).
    pub tick: &'a (dyn Fn() + Sync),
}

/// Loads every local file of `site` (reusing `previous` entries for files `is_unchanged` accepts),
/// processes screenshots through the cache, and reports unusable and huge images where they are used.
pub fn load(
    site: &Site,
    options: LoadOptions<'_>,
    mut previous: Assets,
    is_unchanged: &(dyn Fn(&Path) -> bool + Sync),
) -> (Assets, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let images: HashSet<&PathBuf> = site
        .visible()
        .flat_map(|id| site.graph.images[id].iter())
        .filter_map(|t| match t {
            ImageTarget::Local(p) => Some(p),
            _ => None,
        })
        .collect();
    let files: Vec<(PathBuf, Option<Result<Asset, String>>)> = site
        .local_files()
        .into_iter()
        .map(|path| {
            let reused = is_unchanged(&path)
                .then(|| previous.by_source.remove(&path))
                .flatten();
            (path, reused)
        })
        .collect();
    let needs_work = files.iter().any(|(_, reused)| reused.is_none());
    let cache = if !needs_work {
        None
    } else if options.process {
        let (cache, warning) = Cache::open(&options.config.cache_dir);
        if let Some(warning) = warning {
            diagnostics.push(Diagnostic::warning(Kind::Io, CONFIG_FILE, warning));
        }
        Some(cache)
    } else {
        Some(Cache::read_only(&options.config.cache_dir))
    };
    let ocr = match (&cache, options.ocr && options.process) {
        (Some(_), true) => match ocr::Ocr::detect(&options.config.ocr_lang) {
            Ok(ocr) => Some(ocr),
            Err(reason) => {
                diagnostics.push(ocr_unavailable(&reason));
                None
            }
        },
        _ => None,
    };
    let mut stats = ImageStats::default();
    let mut loaded: Vec<(PathBuf, Result<Asset, String>)> = Vec::with_capacity(files.len());
    let mut to_load = Vec::new();
    for (path, reused) in files {
        match reused {
            Some(asset) => loaded.push((path, asset)),
            None => to_load.push(path),
        }
    }
    if let Some(cache) = &cache {
        let worker = Worker {
            cache,
            budget: Budget::new(MEMORY_BUDGET),
            options,
            ocr: ocr.as_ref(),
            counts: Counts::default(),
            problems: Mutex::default(),
        };
        loaded.extend(worker.load_all(to_load, &images));
        stats = worker.counts.stats(cache);
        for problem in worker.problems.into_inner().unwrap_or_default() {
            diagnostics.push(Diagnostic::warning(Kind::Io, CONFIG_FILE, problem));
        }
    }
    let mut assets = Assets {
        by_source: loaded.into_iter().collect(),
        stats,
    };
    assign_names(&mut assets);
    diagnostics.extend(report(site, &assets));
    (assets, diagnostics)
}

fn ocr_unavailable(reason: &str) -> Diagnostic {
    Diagnostic::warning(
        Kind::OcrUnavailable,
        CONFIG_FILE,
        format!("OCR is off for this build: tesseract is not available ({reason})"),
    )
    .with_hint("install it (Debian: `apt-get install tesseract-ocr`), or build without --ocr / `[images] ocr = true`")
}

/// Why an image counts as huge, if it does.
pub(super) fn oversized(facts: &Facts, len: u64, config: &ImagesConfig) -> Option<String> {
    let mut reasons = Vec::new();
    if len > config.warn_bytes {
        reasons.push(format!(
            "{:.1} MB (over {:.1} MB)",
            len as f64 / 1e6,
            config.warn_bytes as f64 / 1e6
        ));
    }
    if let (Some(w), Some(h)) = (facts.width, facts.height) {
        if w.max(h) > config.warn_side_px {
            reasons.push(format!("{w}×{h} px (over {} px)", config.warn_side_px));
        }
        if u64::from(w) * u64::from(h) > process::MAX_DECODE_PIXELS {
            reasons.push("too large to make smaller copies of; copied as it is".into());
        }
    }
    (!reasons.is_empty()).then(|| reasons.join(", "))
}

pub(super) fn static_format(name: &str) -> &'static str {
    ["png", "jpeg", "gif", "webp", "bmp", "svg"]
        .into_iter()
        .find(|f| *f == name)
        .unwrap_or("image")
}

/// Gives every asset and variant its output name. Files with the same bytes get the same names,
/// taken from the first of them by path, so they are stored once.
fn assign_names(assets: &mut Assets) {
    let mut first: HashMap<(blake3::Hash, bool), PathBuf> = HashMap::new();
    for asset in assets.by_source.values().filter_map(|a| a.as_ref().ok()) {
        let group = (asset.hash, asset.format.is_some());
        let path = first.entry(group).or_insert_with(|| asset.source.clone());
        if asset.source < *path {
            *path = asset.source.clone();
        }
    }
    for asset in assets
        .by_source
        .values_mut()
        .filter_map(|a| a.as_mut().ok())
    {
        let name_from = &first[&(asset.hash, asset.format.is_some())];
        let (stem, extension) = split_name(name_from);
        let extension = real_extension(asset.format, &extension);
        let hex = asset.hash.to_hex();
        let dir = if asset.format.is_some() {
            "img"
        } else {
            "files"
        };
        asset.out = match &extension {
            Some(ext) => format!("{dir}/{stem}.{}.{ext}", &hex[..10]),
            None => format!("{dir}/{stem}.{}", &hex[..10]),
        };
        for variant in &mut asset.variants {
            let key = variant.key.to_hex();
            variant.out = format!(
                "img/{stem}.{}w.{}.{}",
                variant.width,
                &key[..10],
                variant.encoding.extension()
            );
        }
    }
}

/// `image_0_Image9.jpg.png` → (`image_0_Image9.jpg`, `png`); unsafe characters become `-`.
fn split_name(path: &Path) -> (String, Option<String>) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    match safe.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem.to_string(), Some(ext.to_ascii_lowercase())),
        _ => (safe, None),
    }
}

/// The extension the output gets: the file's own, unless the bytes say another raster format (a
/// `.jpg.png` holding a JPEG is published as `.jpg`, so servers send the right Content-Type).
fn real_extension(format: Option<&str>, named: &Option<String>) -> Option<String> {
    let matches = |ext: &str| match format {
        Some("jpeg") => matches!(ext, "jpg" | "jpeg" | "jpe" | "jfif"),
        Some(f) => f == ext,
        None => true,
    };
    match (format, named) {
        (Some("jpeg"), Some(ext)) if !matches(ext) => Some("jpg".into()),
        (Some(f @ ("png" | "gif" | "webp" | "bmp")), Some(ext)) if !matches(ext) => {
            Some(f.to_string())
        }
        (Some(f @ ("png" | "gif" | "webp" | "bmp")), None) => Some(f.to_string()),
        (Some("jpeg"), None) => Some("jpg".into()),
        _ => named.clone(),
    }
}

/// Corrupt images at every reference; huge ones once, at their first reference.
fn report(site: &Site, assets: &Assets) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    let mut warned_huge = HashSet::new();
    for id in site.visible() {
        for (index, target) in site.graph.images[id].iter().enumerate() {
            let ImageTarget::Local(path) = target else {
                continue;
            };
            let image = &site.notes[id].body.images[index];
            let file = &site.notes[id].source.display;
            match assets.get(path) {
                Some(Err(reason)) => diagnostics.push(
                    Diagnostic::warning(
                        Kind::CorruptImage,
                        file,
                        format!("unusable image `{}`: {reason}", image.dest),
                    )
                    .at(image.position)
                    .with_hint("re-export the screenshot; a placeholder is shown"),
                ),
                Some(Ok(asset)) => {
                    if let Some(reason) = &asset.oversized {
                        if warned_huge.insert(asset.hash) {
                            diagnostics.push(
                                Diagnostic::warning(
                                    Kind::OversizedImage,
                                    file,
                                    format!("huge image `{}`: {reason}", image.dest),
                                )
                                .at(image.position)
                                .with_hint("crop or shrink it; the limits are `warn_size_mb` and `warn_side_px` under [images] in notesite.toml"),
                            );
                        }
                    }
                }
                None => {}
            }
        }
    }
    diagnostics
}

#[cfg(test)]
mod tests;
