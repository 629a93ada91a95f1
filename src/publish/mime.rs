//! Content-Type of an output file: images by the magic bytes they start with (a screenshot named
//! `shot.jpg.png` that holds a JPEG is served as `image/jpeg`), everything else by its extension, text
//! types with `charset=utf-8`. Pure: takes the name and the first bytes, reads nothing.

/// How many leading bytes [`content_type`] needs to recognise every format it sniffs.
pub const SNIFF_LEN: usize = 32;

/// The Content-Type to serve `name` (a path or key) with, given its first bytes.
pub fn content_type(name: &str, head: &[u8]) -> &'static str {
    let ext = extension(name);
    if let Some(sniffed) = sniff_image(head) {
        // A wrong extension on a raster image is common (screenshot tools, renames); trust the bytes.
        // Only for files that claim to be images or claim nothing, so a `.bin` search shard that happens
        // to start with "BM" stays binary.
        if ext.is_empty() || is_image_extension(&ext) {
            return sniffed;
        }
    }
    by_extension(&ext)
}

/// The lower-cased extension after the last dot of the last path segment, or "".
fn extension(name: &str) -> String {
    let file = name.rsplit('/').next().unwrap_or(name);
    match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

fn is_image_extension(ext: &str) -> bool {
    matches!(
        ext,
        "png" | "jpg" | "jpeg" | "jpe" | "gif" | "webp" | "bmp" | "avif" | "ico" | "tif" | "tiff"
    )
}

/// Raster image formats recognised by their signature.
fn sniff_image(head: &[u8]) -> Option<&'static str> {
    let starts = |sig: &[u8]| head.starts_with(sig);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && matches!(&head[8..12], b"avif" | b"avis")
    {
        Some("image/avif")
    } else if starts(b"BM") && head.len() >= 14 {
        Some("image/bmp")
    } else if starts(&[0, 0, 1, 0]) {
        Some("image/x-icon")
    } else {
        None
    }
}

fn by_extension(ext: &str) -> &'static str {
    match ext {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        // RFC 9239 made text/javascript the one registered type for JavaScript.
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml",
        "rss" => "application/rss+xml",
        "atom" => "application/atom+xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "bmp" => "image/bmp",
        "ico" => "image/x-icon",
        "tif" | "tiff" => "image/tiff",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];

    #[test]
    fn jpeg_behind_a_png_name_is_served_as_jpeg() {
        assert_eq!(
            content_type("img/image_0_Image9.jpg.0123456789.png", JPEG),
            "image/jpeg"
        );
        assert_eq!(content_type("img/a.0123456789.png", PNG), "image/png");
        assert_eq!(content_type("img/a.jpg", PNG), "image/png");
        assert_eq!(
            content_type("img/a.webp", b"RIFF\x10\0\0\0WEBPVP8 "),
            "image/webp"
        );
        assert_eq!(
            content_type("img/a.avif", b"\0\0\0\x1cftypavif\0\0"),
            "image/avif"
        );
        assert_eq!(content_type("files/shot", PNG), "image/png");
    }

    #[test]
    fn text_and_web_types_by_extension() {
        let cases = [
            ("index.html", "text/html; charset=utf-8"),
            ("notes/a b.HTML", "text/html; charset=utf-8"),
            ("assets/style.0123456789.css", "text/css; charset=utf-8"),
            (
                "assets/script.0123456789.js",
                "text/javascript; charset=utf-8",
            ),
            ("assets/favicon.0123456789.svg", "image/svg+xml"),
            ("fonts/inter.woff2", "font/woff2"),
            ("site.webmanifest", "application/manifest+json"),
            ("search/meta.js", "text/javascript; charset=utf-8"),
            ("manifest.json", "application/json"),
            ("sitemap.xml", "application/xml"),
            ("_search/ab/t/0.bin", "application/octet-stream"),
            ("README", "application/octet-stream"),
            (".hidden", "application/octet-stream"),
        ];
        for (name, want) in cases {
            assert_eq!(content_type(name, b"<!doctype html>"), want, "{name}");
        }
    }

    #[test]
    fn binary_files_that_start_like_an_image_keep_their_type() {
        assert_eq!(
            content_type("_search/t/0.bin", b"BM\0\0\0\0\0\0\0\0\0\0\0\0\0"),
            "application/octet-stream"
        );
        assert_eq!(content_type("doc.pdf", PNG), "application/pdf");
    }
}
