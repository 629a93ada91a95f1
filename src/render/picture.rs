//! Screenshot markup: one image as `<picture>` (lossless WebP `srcset` beside the original format's,
//! intrinsic `width`/`height`, lazy and async), wrapped in a link to the full image (the lightbox opens
//! it; without JS the link still works), and, for an image standing alone, a block `<figure>` with its
//! title as caption and the OCR text in a collapsed `<details>`. Inline images stay phrasing content,
//! so a `<p>` around them stays valid.

use crate::highlight::escape;
use crate::images::{Asset, Encoding};
use crate::parse::markdown::ImageRef;
use crate::urls::encode_path;

/// The widest the note column shows an image, in CSS px (`--measure` is 75ch).
const COLUMN_PX: u32 = 720;

/// A local image with its processed variants, seen from a page at `root`.
pub struct Picture<'a> {
    pub root: &'a str,
    pub image: &'a ImageRef,
    pub asset: &'a Asset,
}

impl Picture<'_> {
    fn url(&self, out: &str) -> String {
        format!("{}{}", self.root, encode_path(out))
    }

    /// URL of the full image as published (the original's bytes).
    pub fn full_url(&self) -> String {
        self.url(&self.asset.out)
    }

    /// `url 640w, url 1280w, original 1920w` for one encoding, the original closing the fallback list.
    fn srcset(&self, encoding: Encoding, with_original: bool) -> String {
        let mut items: Vec<String> = self
            .asset
            .variants_in(encoding)
            .map(|v| format!("{} {}w", self.url(&v.out), v.width))
            .collect();
        if let (true, Some(width)) = (with_original, self.asset.width) {
            items.push(format!("{} {width}w", self.full_url()));
        }
        items.join(", ")
    }

    /// `<picture>` when there are variants, else a plain `<img>`.
    pub fn html(&self) -> String {
        let asset = self.asset;
        let fallback = asset
            .variants
            .iter()
            .find(|v| v.encoding != Encoding::Webp)
            .map(|v| v.encoding);
        let has_webp = asset.variants_in(Encoding::Webp).next().is_some();
        let sizes = asset.width.map(|w| {
            let w = w.min(COLUMN_PX);
            format!(" sizes=\"(max-width: {w}px) 100vw, {w}px\"")
        });
        let img_srcset = match (fallback, &sizes) {
            (Some(encoding), Some(sizes)) => format!(
                " srcset=\"{}\"{sizes}",
                escape(&self.srcset(encoding, true))
            ),
            _ => String::new(),
        };
        let img = img_tag(
            &self.full_url(),
            self.image,
            asset.width.zip(asset.height),
            &img_srcset,
        );
        match (has_webp, &sizes) {
            (true, Some(sizes)) => format!(
                "<picture><source type=\"image/webp\" srcset=\"{}\"{sizes}>{img}</picture>",
                escape(&self.srcset(Encoding::Webp, false))
            ),
            _ => img,
        }
    }

    /// The image as a link to the full image (what the lightbox opens).
    pub fn linked(&self) -> String {
        format!(
            "<a class=\"image-link\" href=\"{}\">{}</a>",
            escape(&self.full_url()),
            self.html()
        )
    }
}

/// An `<img>` with optional intrinsic size and extra attributes (already escaped).
pub fn img_tag(src: &str, image: &ImageRef, size: Option<(u32, u32)>, extra: &str) -> String {
    let size = size.map_or(String::new(), |(w, h)| {
        format!(" width=\"{w}\" height=\"{h}\"")
    });
    let title = if image.title.is_empty() {
        String::new()
    } else {
        format!(" title=\"{}\"", escape(&image.title))
    };
    format!(
        "<img src=\"{}\"{extra} alt=\"{}\"{size}{title} loading=\"lazy\" decoding=\"async\">",
        escape(src),
        escape(&image.alt)
    )
}

/// A block screenshot: the image markup, its title as caption, and the text OCR found in it.
pub fn figure(inner: &str, image: &ImageRef, ocr_text: Option<&str>) -> String {
    let mut html = format!("<figure class=\"screenshot\">{inner}");
    let caption = image.title.trim();
    if !caption.is_empty() {
        html.push_str(&format!("<figcaption>{}</figcaption>", escape(caption)));
    }
    if let Some(text) = ocr_text {
        html.push_str(&format!(
            "<details class=\"ocr-text\"><summary>Text in this screenshot</summary><pre>{}</pre></details>",
            escape(text)
        ));
    }
    html.push_str("</figure>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image_ref(alt: &str, title: &str) -> ImageRef {
        ImageRef {
            kind: crate::parse::markdown::LinkKind::Markdown,
            dest: "shot.png".into(),
            alt: alt.into(),
            title: title.into(),
            position: Default::default(),
        }
    }

    #[test]
    fn figure_escapes_caption_and_ocr_text() {
        let html = figure(
            "<img>",
            &image_ref("a", "Buckets <list>"),
            Some("aws s3 ls & more"),
        );
        assert!(html.contains("<figcaption>Buckets &lt;list&gt;</figcaption>"));
        assert!(html.contains("<pre>aws s3 ls &amp; more</pre>"));
        assert!(html.starts_with("<figure class=\"screenshot\">"));
        assert!(!figure("<img>", &image_ref("a", ""), None).contains("figcaption"));
    }
}
