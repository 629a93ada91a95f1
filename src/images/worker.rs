//! The images stage's parallel work: hash every file, then process each distinct content once through
//! the cache: facts (format, size), variants, OCR text. Pixels are decoded at most once per file and
//! build, under the memory [`Budget`], and only when the cache lacks something.

use rayon::prelude::*;
use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::cache::{Cache, Entry};
use super::process::{self, Budget, Facts, Sniffed, Spec};
use super::{ocr, oversized, static_format, Asset, Encoding, ImageStats, LoadOptions, Variant};

/// A file's content hash and length, or why it could not be read.
type Hashed = Result<(blake3::Hash, u64), String>;

/// Counters the parallel workers bump.
#[derive(Default)]
pub(super) struct Counts {
    pub decoded: AtomicUsize,
    pub encoded: AtomicUsize,
    ocr_read: AtomicUsize,
    ocr_cached: AtomicUsize,
}

impl Counts {
    fn bump(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn stats(&self, cache: &Cache) -> ImageStats {
        let encoded = self.encoded.load(Ordering::Relaxed);
        ImageStats {
            decoded: self.decoded.load(Ordering::Relaxed),
            encoded,
            reused: cache.variant_hits.load(Ordering::Relaxed),
            ocr_read: self.ocr_read.load(Ordering::Relaxed),
            ocr_cached: self.ocr_cached.load(Ordering::Relaxed),
        }
    }
}

/// What every parallel task shares.
pub(super) struct Worker<'a> {
    pub cache: &'a Cache,
    pub budget: Budget,
    pub options: LoadOptions<'a>,
    pub ocr: Option<&'a ocr::Ocr>,
    pub counts: Counts,
    /// Cache and OCR failures: warnings, each once.
    pub problems: Mutex<Vec<String>>,
}

/// Decoded pixels with the memory they hold reserved.
type Pixels<'b> = (image::DynamicImage, process::Reservation<'b>);

impl Worker<'_> {
    /// Hashes every file (streaming, in parallel), then processes each distinct content once: files
    /// with the same bytes share the result.
    pub(super) fn load_all(
        &self,
        paths: Vec<PathBuf>,
        images: &HashSet<&PathBuf>,
    ) -> Vec<(PathBuf, Result<Asset, String>)> {
        let hashed: Vec<(PathBuf, Hashed)> = paths
            .into_par_iter()
            .map(|path| {
                let hash = hash_file(&path);
                (path, hash)
            })
            .collect();
        let mut loaded = Vec::with_capacity(hashed.len());
        let mut groups: HashMap<(blake3::Hash, bool), Vec<PathBuf>> = HashMap::new();
        for (path, hash) in hashed {
            match hash {
                Ok((hash, _)) => {
                    let is_image = images.contains(&path);
                    groups.entry((hash, is_image)).or_default().push(path);
                }
                Err(e) => loaded.push((path, Err(e))),
            }
        }
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_by(|a, b| a.1.cmp(&b.1));
        let done: Vec<_> = groups
            .into_par_iter()
            .map(|((hash, is_image), paths)| {
                let source = Source::new(&paths[0], hash);
                let asset = self.load_one(&source, is_image);
                (self.options.tick)();
                (paths, asset)
            })
            .collect();
        for (paths, asset) in done {
            for path in paths {
                let asset = asset.clone().map(|mut a| {
                    a.source = path.clone();
                    a
                });
                loaded.push((path, asset));
            }
        }
        loaded
    }

    pub(super) fn load_one(&self, source: &Source<'_>, is_image: bool) -> Result<Asset, String> {
        let len = std::fs::metadata(source.path)
            .map_err(|e| format!("cannot read: {e}"))?
            .len();
        let mut asset = Asset {
            source: source.path.to_path_buf(),
            hash: source.hash,
            len,
            out: String::new(),
            format: None,
            width: None,
            height: None,
            animated: false,
            variants: Vec::new(),
            ocr_text: None,
            oversized: None,
        };
        if !is_image {
            return Ok(asset);
        }
        let (facts, mut pixels) = self.facts(source)?;
        if let Some(error) = facts.error {
            return Err(error);
        }
        asset.format = Some(static_format(&facts.format));
        (asset.width, asset.height) = (facts.width, facts.height);
        asset.animated = facts.animated;
        asset.oversized = oversized(&facts, asset.len, self.options.config);
        if !self.options.process {
            return Ok(asset);
        }
        asset.variants = self.variants(source, &facts, &mut pixels, len);
        if let Some(ocr) = self.ocr.filter(|_| facts.is_resizable()) {
            asset.ocr_text = self.ocr_text(ocr, source, &mut pixels);
        }
        Ok(asset)
    }

    /// The image's facts from the cache, else by decoding it (and then the pixels are kept for the
    /// variants, so a new image is decoded once).
    fn facts(&self, source: &Source<'_>) -> Result<(Facts, Option<Pixels<'_>>), String> {
        let entry = self.cache.entry("facts", &source.hash, "json");
        if let Some(facts) = self.cache.get_json(&entry) {
            return Ok((facts, None));
        }
        let bytes = source.bytes()?;
        let named_svg = source
            .path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
        let (facts, pixels) = match process::sniff(bytes, named_svg) {
            Ok(Sniffed::Svg) => (Facts::svg(), None),
            Err(broken) => (broken, None),
            Ok(Sniffed::Raster {
                format,
                width,
                height,
            }) => {
                if u64::from(width) * u64::from(height) > process::MAX_DECODE_PIXELS {
                    (Facts::undecoded(format, width, height), None)
                } else {
                    self.decode(bytes, format, width, height)
                }
            }
        };
        self.store(|| self.cache.put_json(&entry, &facts));
        Ok((facts, pixels))
    }

    fn decode(
        &self,
        bytes: &[u8],
        format: image::ImageFormat,
        width: u32,
        height: u32,
    ) -> (Facts, Option<Pixels<'_>>) {
        let reservation = self.budget.reserve(process::working_memory(width, height));
        Counts::bump(&self.counts.decoded);
        let (facts, image) = process::decode(bytes, format);
        (facts, image.map(|image| (image, reservation)))
    }

    /// The decoded pixels, decoding now if this build has not yet.
    fn pixels<'p, 's>(
        &'s self,
        source: &Source<'_>,
        pixels: &'p mut Option<Pixels<'s>>,
    ) -> Option<&'p image::DynamicImage> {
        if pixels.is_none() {
            let bytes = source.bytes().ok()?;
            let Ok(Sniffed::Raster {
                format,
                width,
                height,
            }) = process::sniff(bytes, false)
            else {
                return None;
            };
            *pixels = self.decode(bytes, format, width, height).1;
        }
        pixels.as_ref().map(|(image, _)| image)
    }

    /// Every planned variant, made now if the cache lacks it; WebP copies are kept only when together
    /// they are smaller than the original format at the same widths.
    fn variants<'s>(
        &'s self,
        source: &Source<'_>,
        facts: &Facts,
        pixels: &mut Option<Pixels<'s>>,
        original_len: u64,
    ) -> Vec<Variant> {
        let config = self.options.config;
        let specs = process::plan(facts, &config.widths, config.webp);
        let mut variants = Vec::with_capacity(specs.len());
        let mut scaled = Vec::new();
        for spec in specs {
            let entry = self
                .cache
                .entry(&spec.op(), &source.hash, spec.encoding.extension());
            let len = match self.cache.variant_len(&entry) {
                Some(len) => len,
                None => match self.make(source, facts, spec, &entry, pixels, &mut scaled) {
                    Some(len) => len,
                    None => continue,
                },
            };
            variants.push(Variant {
                width: spec.width,
                height: spec.height,
                encoding: spec.encoding,
                out: String::new(),
                file: entry.path,
                len,
                key: entry.key,
            });
        }
        keep_webp_if_smaller(&mut variants, facts.width, original_len);
        variants
    }

    /// Renders one variant into the cache; its size.
    fn make<'s>(
        &'s self,
        source: &Source<'_>,
        facts: &Facts,
        spec: Spec,
        entry: &Entry,
        pixels: &mut Option<Pixels<'s>>,
        scaled: &mut Vec<image::DynamicImage>,
    ) -> Option<u64> {
        let image = self.pixels(source, pixels)?;
        let encoded = match process::render(image, spec, scaled) {
            Ok(encoded) => encoded,
            Err(e) => {
                self.problem(format!("{} image: {e}", facts.format));
                return None;
            }
        };
        Counts::bump(&self.counts.encoded);
        self.store(|| self.cache.put(entry, &encoded))
            .then_some(encoded.len() as u64)
    }

    /// The text in the screenshot: from the cache, else read by tesseract from a grayscale copy of
    /// the pixels (it misreads some palette PNGs as they are).
    fn ocr_text<'s>(
        &'s self,
        ocr: &ocr::Ocr,
        source: &Source<'_>,
        pixels: &mut Option<Pixels<'s>>,
    ) -> Option<String> {
        let entry = self.cache.entry(&ocr.op(), &source.hash, "txt");
        let text = match self.cache.get_text(&entry) {
            Some(text) => {
                Counts::bump(&self.counts.ocr_cached);
                text
            }
            None => {
                let image = self.pixels(source, pixels)?;
                let read = process::ocr_input(image).and_then(|input| ocr.read(&input));
                match read {
                    Ok(text) => {
                        Counts::bump(&self.counts.ocr_read);
                        self.store(|| self.cache.put(&entry, text.as_bytes()));
                        text
                    }
                    Err(e) => {
                        self.problem(e);
                        return None;
                    }
                }
            }
        };
        (!text.is_empty()).then_some(text)
    }

    /// Runs a cache write; a failure becomes one warning and `false`.
    fn store(&self, write: impl FnOnce() -> std::io::Result<()>) -> bool {
        match write() {
            Ok(()) => true,
            Err(e) => {
                self.problem(format!("cannot write to the image cache: {e}"));
                false
            }
        }
    }

    fn problem(&self, message: String) {
        let mut problems = self
            .problems
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !problems.contains(&message) {
            problems.push(message);
        }
    }
}

/// A file being processed: its content hash, and its bytes read only if some work needs them (a
/// screenshot whose results are all cached is hashed and never read again).
pub(super) struct Source<'p> {
    path: &'p Path,
    hash: blake3::Hash,
    bytes: OnceCell<Result<Vec<u8>, String>>,
}

impl<'p> Source<'p> {
    pub(super) fn new(path: &'p Path, hash: blake3::Hash) -> Source<'p> {
        Source {
            path,
            hash,
            bytes: OnceCell::new(),
        }
    }

    fn bytes(&self) -> Result<&[u8], String> {
        self.bytes
            .get_or_init(|| std::fs::read(self.path).map_err(|e| format!("cannot read: {e}")))
            .as_deref()
            .map_err(Clone::clone)
    }
}

/// blake3 of a file's bytes, streamed (the file is not held in memory), and its length.
pub(super) fn hash_file(path: &Path) -> Hashed {
    let mut hasher = blake3::Hasher::new();
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    hasher
        .update_reader(file)
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok((hasher.finalize(), hasher.count()))
}

/// Drops the WebP variants unless they weigh less than the fallbacks they stand beside (the original
/// counts for full width): lossless WebP usually beats PNG on screenshots, not always.
fn keep_webp_if_smaller(variants: &mut Vec<Variant>, full_width: Option<u32>, original: u64) {
    let webp: u64 = variants
        .iter()
        .filter(|v| v.encoding == Encoding::Webp)
        .map(|v| v.len)
        .sum();
    if webp == 0 {
        return;
    }
    let fallback: u64 = variants
        .iter()
        .filter(|v| v.encoding == Encoding::Webp)
        .map(|w| {
            if Some(w.width) == full_width {
                return original;
            }
            variants
                .iter()
                .find(|v| v.encoding != Encoding::Webp && v.width == w.width)
                .map_or(original, |v| v.len)
        })
        .sum();
    if webp >= fallback {
        variants.retain(|v| v.encoding != Encoding::Webp);
    }
}
