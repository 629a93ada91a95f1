//! Pixel work for one image: sniff the real format from the bytes, decode once (EXIF orientation
//! applied), resize and encode the responsive variants. No I/O and no caching here: `images::load`
//! decides what to run, [`Budget`] decides when, so a few huge screenshots cannot exhaust memory.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};
use serde::{Deserialize, Serialize};
use std::io::Cursor;
use std::sync::{Condvar, Mutex};

/// Images with more pixels than this are never decoded: they are copied as they are, without variants.
pub const MAX_DECODE_PIXELS: u64 = 200_000_000;
/// WebP cannot store a side longer than this.
const WEBP_MAX_SIDE: u32 = 16383;
/// JPEG variants of JPEG originals: visually lossless for photos (screenshots are PNG and stay lossless).
const JPEG_QUALITY: u8 = 88;

/// What the bytes of an image are, learnt once and cached by content hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// `png`, `jpeg`, `gif`, `webp`, `bmp` or `svg`.
    pub format: String,
    /// Displayed size, after EXIF orientation; unknown for most SVGs.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Animated GIF, WebP or PNG: copied unchanged, never re-encoded.
    pub animated: bool,
    /// Why the image cannot be used (corrupt, unknown format); it then renders as a placeholder.
    pub error: Option<String>,
}

impl Facts {
    fn broken(format: &str, error: String) -> Facts {
        Facts {
            format: format.to_string(),
            width: None,
            height: None,
            animated: false,
            error: Some(error),
        }
    }

    /// A still raster image that variants can be made from.
    pub fn is_resizable(&self) -> bool {
        self.error.is_none()
            && !self.animated
            && self.format != "svg"
            && self
                .width
                .zip(self.height)
                .is_some_and(|(w, h)| u64::from(w) * u64::from(h) <= MAX_DECODE_PIXELS)
    }

    /// Originals stored losslessly, for which a lossless WebP copy is worth offering.
    pub fn is_lossless(&self) -> bool {
        matches!(self.format.as_str(), "png" | "gif" | "bmp")
    }
}

/// An encoding of a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Png,
    Jpeg,
    /// Lossless WebP: the `image` crate's encoder writes only VP8L.
    Webp,
}

impl Encoding {
    pub fn extension(self) -> &'static str {
        match self {
            Encoding::Png => "png",
            Encoding::Jpeg => "jpg",
            Encoding::Webp => "webp",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Encoding::Png => "image/png",
            Encoding::Jpeg => "image/jpeg",
            Encoding::Webp => "image/webp",
        }
    }
}

/// One variant to make: the whole image scaled to `width` × `height`, encoded as `encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Spec {
    pub width: u32,
    pub height: u32,
    pub encoding: Encoding,
}

impl Spec {
    /// The cache operation name: everything that changes the output bytes (`fir` names the
    /// resampler, so a change of resampler misses variants but keeps facts and OCR text).
    pub fn op(&self) -> String {
        format!(
            "resize {}x{} lanczos3 fir5 {}",
            self.width,
            self.height,
            self.encoding.extension()
        )
    }
}

/// The variants an image gets: a copy at each configured width below its own (never upscaled) in the
/// original's kind of format, and lossless WebP copies of lossless originals at those widths and at
/// full size. Animated images, SVGs and huge images get none.
pub fn plan(facts: &Facts, widths: &[u32], webp: bool) -> Vec<Spec> {
    let (Some(width), Some(height)) = (facts.width, facts.height) else {
        return Vec::new();
    };
    if !facts.is_resizable() {
        return Vec::new();
    }
    let fallback = if facts.format == "jpeg" {
        Encoding::Jpeg
    } else {
        Encoding::Png
    };
    let smaller: Vec<(u32, u32)> = widths
        .iter()
        .filter(|&&w| w < width)
        .map(|&w| (w, scaled_height(width, height, w)))
        .collect();
    let mut specs: Vec<Spec> = smaller
        .iter()
        .map(|&(width, height)| Spec {
            width,
            height,
            encoding: fallback,
        })
        .collect();
    if webp && facts.is_lossless() && facts.format != "webp" {
        let full = (width <= WEBP_MAX_SIDE && height <= WEBP_MAX_SIDE).then_some((width, height));
        specs.extend(
            smaller
                .iter()
                .chain(full.iter())
                .map(|&(width, height)| Spec {
                    width,
                    height,
                    encoding: Encoding::Webp,
                }),
        );
    }
    specs
}

fn scaled_height(width: u32, height: u32, new_width: u32) -> u32 {
    let h = (u64::from(height) * u64::from(new_width) + u64::from(width) / 2) / u64::from(width);
    (h as u32).max(1)
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// An SVG (only trusted when the name also says `.svg`): copied as it is.
    Svg,
    Raster {
        format: ImageFormat,
        width: u32,
        height: u32,
    },
}

/// Sniffs the format from the bytes (never from the file name alone) and reads the header's size.
pub fn sniff(bytes: &[u8], named_svg: bool) -> Result<Sniffed, Facts> {
    if named_svg && looks_like_svg(bytes) {
        return Ok(Sniffed::Svg);
    }
    let format = image::guess_format(bytes)
        .map_err(|_| Facts::broken("image", "not a recognised image format".into()))?;
    let name = format_name(format);
    if !matches!(name, "png" | "jpeg" | "gif" | "webp" | "bmp") {
        return Err(Facts::broken(
            name,
            format!("{name} images are not supported"),
        ));
    }
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| Facts::broken(name, format!("corrupt {name}: {e}")))?;
    Ok(Sniffed::Raster {
        format,
        width,
        height,
    })
}

impl Facts {
    /// An SVG: copied unchanged; browsers size it from its own attributes.
    pub fn svg() -> Facts {
        Facts {
            format: "svg".into(),
            width: None,
            height: None,
            animated: false,
            error: None,
        }
    }

    /// Known only from the header: an image too large to decode is copied as it is.
    pub fn undecoded(format: ImageFormat, width: u32, height: u32) -> Facts {
        Facts {
            format: format_name(format).into(),
            width: Some(width),
            height: Some(height),
            animated: false,
            error: None,
        }
    }
}

/// Decodes the pixels with EXIF orientation applied, and returns them with the facts they prove.
/// Animated images are checked frame by frame but not returned (they are never re-encoded).
pub fn decode(bytes: &[u8], format: ImageFormat) -> (Facts, Option<DynamicImage>) {
    let name = format_name(format);
    let corrupt = |e: image::ImageError| Facts::broken(name, format!("corrupt {name}: {e}"));
    match is_animated(bytes, format) {
        Ok(true) => {
            let (w, h) =
                match ImageReader::with_format(Cursor::new(bytes), format).into_dimensions() {
                    Ok(size) => size,
                    Err(e) => return (corrupt(e), None),
                };
            let facts = Facts {
                format: name.into(),
                width: Some(w),
                height: Some(h),
                animated: true,
                error: None,
            };
            return (facts, None);
        }
        Ok(false) => {}
        Err(e) => return (corrupt(e), None),
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let decoded = reader.into_decoder().and_then(|mut decoder| {
        let orientation = decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms);
        let mut image = DynamicImage::from_decoder(decoder)?;
        image.apply_orientation(orientation);
        Ok(image)
    });
    match decoded {
        Ok(image) => {
            let image = normalize(image);
            let facts = Facts {
                format: name.into(),
                width: Some(image.width()),
                height: Some(image.height()),
                animated: false,
                error: None,
            };
            (facts, Some(image))
        }
        Err(e) => (corrupt(e), None),
    }
}

/// 8 bits per channel, alpha kept only where there is some: what every variant is encoded from.
fn normalize(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => image,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    }
}

fn is_animated(bytes: &[u8], format: ImageFormat) -> image::ImageResult<bool> {
    match format {
        ImageFormat::Gif => {
            use image::AnimationDecoder as _;
            let decoder = image::codecs::gif::GifDecoder::new(Cursor::new(bytes))?;
            let mut frames = decoder.into_frames();
            let first = frames.next().transpose()?;
            Ok(first.is_some() && frames.next().transpose()?.is_some())
        }
        ImageFormat::WebP => {
            Ok(image::codecs::webp::WebPDecoder::new(Cursor::new(bytes))?.has_animation())
        }
        ImageFormat::Png => image::codecs::png::PngDecoder::new(Cursor::new(bytes))?.is_apng(),
        _ => Ok(false),
    }
}

/// Scales `image` to the spec's size (Lanczos3: keeps small text legible) and encodes it. `scaled`
/// keeps the sizes already made from this image: the PNG and the WebP copy of one width share one
/// resize, which is most of the cost of a variant.
pub fn render(
    image: &DynamicImage,
    spec: Spec,
    scaled: &mut Vec<DynamicImage>,
) -> Result<Vec<u8>, String> {
    let size = (spec.width, spec.height);
    let image = if (image.width(), image.height()) == size {
        image
    } else {
        let index = match scaled.iter().position(|s| (s.width(), s.height()) == size) {
            Some(index) => index,
            None => {
                scaled.push(resize(image, size)?);
                scaled.len() - 1
            }
        };
        &scaled[index]
    };
    encode(image, spec.encoding).map_err(|e| format!("cannot encode a variant: {e}"))
}

/// Lanczos3 with SIMD (fast_image_resize): about five times faster than `image`'s own resize,
/// which took four fifths of a first build of screenshots. Alpha is premultiplied while scaling.
fn resize(image: &DynamicImage, (width, height): (u32, u32)) -> Result<DynamicImage, String> {
    use fast_image_resize::{FilterType as Filter, ResizeAlg, ResizeOptions, Resizer};
    let mut out = DynamicImage::new(width, height, image.color());
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(Filter::Lanczos3));
    Resizer::new()
        .resize(image, &mut out, &options)
        .map_err(|e| format!("cannot scale a variant: {e}"))?;
    Ok(out)
}

fn encode(image: &DynamicImage, encoding: Encoding) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    let (w, h) = (image.width(), image.height());
    match encoding {
        Encoding::Png => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Default, PngFilter::Adaptive)
                .write_image(image.as_bytes(), w, h, image.color().into())?
        }
        Encoding::Jpeg => {
            let rgb = image.to_rgb8();
            JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(
                rgb.as_raw(),
                w,
                h,
                image::ExtendedColorType::Rgb8,
            )?;
        }
        Encoding::Webp => WebPEncoder::new_lossless(&mut out).write_image(
            image.as_bytes(),
            w,
            h,
            image.color().into(),
        )?,
    }
    Ok(out)
}

/// What tesseract is given: the pixels as an 8-bit grayscale PNG (it misreads some palette PNGs).
pub fn ocr_input(image: &DynamicImage) -> Result<Vec<u8>, String> {
    let gray = image.to_luma8();
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, PngFilter::NoFilter)
        .write_image(
            gray.as_raw(),
            gray.width(),
            gray.height(),
            image::ExtendedColorType::L8,
        )
        .map_err(|e| format!("cannot prepare the image for OCR: {e}"))?;
    Ok(out)
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_lowercase();
    head.contains("<svg") || head.contains("<?xml")
}

pub fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "png",
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Gif => "gif",
        ImageFormat::WebP => "webp",
        ImageFormat::Bmp => "bmp",
        _ => "image",
    }
}

/// Bytes of memory decoding and resizing an image of this size needs at most: the 8-bit pixels, the
/// resizer's 32-bit float intermediate, and the scaled result.
pub fn working_memory(width: u32, height: u32) -> u64 {
    u64::from(width) * u64::from(height) * 4 * 6
}

/// A memory budget shared by the image workers: each reserves what its image needs before decoding and
/// waits while the others hold too much. An image larger than the whole budget runs alone.
pub struct Budget {
    limit: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// Memory reserved from a [`Budget`], given back on drop.
pub struct Reservation<'a> {
    budget: &'a Budget,
    amount: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget {
            limit,
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    pub fn reserve(&self, amount: u64) -> Reservation<'_> {
        let amount = amount.min(self.limit);
        let mut used = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *used + amount > self.limit {
            used = self
                .freed
                .wait(used)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *used += amount;
        Reservation {
            budget: self,
            amount,
        }
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut used = self
            .budget
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *used -= self.amount;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(format: &str, width: u32, height: u32) -> Facts {
        Facts {
            format: format.into(),
            width: Some(width),
            height: Some(height),
            animated: false,
            error: None,
        }
    }

    #[test]
    fn plan_never_upscales_and_offers_webp_for_lossless_originals() {
        let specs = plan(&facts("png", 1920, 1080), &[640, 1280], true);
        let sizes: Vec<_> = specs
            .iter()
            .map(|s| (s.width, s.height, s.encoding))
            .collect();
        assert_eq!(
            sizes,
            [
                (640, 360, Encoding::Png),
                (1280, 720, Encoding::Png),
                (640, 360, Encoding::Webp),
                (1280, 720, Encoding::Webp),
                (1920, 1080, Encoding::Webp),
            ]
        );
        let small = plan(&facts("png", 500, 300), &[640, 1280], true);
        assert_eq!(small.len(), 1, "only the full-size WebP: {small:?}");
        let jpeg = plan(&facts("jpeg", 1920, 1080), &[640, 1280], true);
        assert!(jpeg.iter().all(|s| s.encoding == Encoding::Jpeg));
        assert!(plan(&facts("png", 1920, 1080), &[640], false)
            .iter()
            .all(|s| s.encoding == Encoding::Png));
        let mut animated = facts("gif", 800, 600);
        animated.animated = true;
        assert!(plan(&animated, &[640], true).is_empty());
    }

    #[test]
    fn exif_orientation_is_applied() {
        let mut jpeg = Vec::new();
        image::RgbImage::new(40, 20)
            .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        let rotated = super::tests_support::with_exif_orientation(&jpeg, 6);
        let (facts, image) = decode(&rotated, ImageFormat::Jpeg);
        assert_eq!((facts.width, facts.height), (Some(20), Some(40)));
        assert_eq!(image.unwrap().width(), 20);
    }

    #[test]
    fn budget_lets_an_oversized_reservation_run_alone() {
        let budget = Budget::new(100);
        let big = budget.reserve(1_000);
        assert_eq!(big.amount, 100);
        drop(big);
        let a = budget.reserve(60);
        drop(a);
        let _b = budget.reserve(60);
    }
}

/// Test helpers shared with the module's other tests.
#[cfg(test)]
pub mod tests_support {
    /// `jpeg` with an EXIF APP1 segment carrying `orientation`, right after SOI.
    pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big-endian TIFF header, IFD at 8
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes()); // count
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]); // value padding
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }
}
