//! The screenshot pipeline (issue 7): fixture images generated here (PNG, JPEG behind a `.png` name,
//! EXIF-rotated JPEG, animated GIF, SVG, corrupt bytes, a 10000 px strip), then checked through the real
//! binary: intrinsic sizes, responsive variants and `<picture>` markup, figures, the cache (a second
//! build encodes nothing), dedup of identical files, `check`'s image lists, OCR and the lightbox.

use serde_json::Value;
use std::io::Cursor;
use std::path::Path;
use std::time::Duration;

use crate::html::{self, Tag};
use crate::util::{count, Site};

/// A screenshot-like picture: flat panels and dark "text" strokes (compresses like a real one).
fn screenshot(width: u32, height: u32, seed: u32) -> image::RgbImage {
    image::RgbImage::from_fn(width, height, |x, y| {
        let panel = (x / 160 + y / 90 + seed) % 5;
        let stroke = (y % 18 < 2) && ((x + seed * 13) / 7) % 9 < 6;
        if stroke {
            image::Rgb([30, 35, 40])
        } else {
            let base = [250u8, 240, 225, 210, 245][panel as usize];
            image::Rgb([base, base, 255 - panel as u8 * 8])
        }
    })
}

fn write_png(site: &Site, rel: &str, width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    screenshot(width, height, seed)
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    site.file(rel, &bytes);
    bytes
}

fn jpeg_bytes(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    screenshot(width, height, 1)
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
        .unwrap();
    bytes
}

/// `jpeg` with an EXIF APP1 segment (big-endian TIFF, one IFD entry: Orientation) right after SOI.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn animated_gif(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut bytes);
        let frames = (0..3u8).map(|i| {
            let buffer = image::RgbaImage::from_pixel(
                u32::from(width),
                u32::from(height),
                image::Rgba([i * 80, 100, 200, 255]),
            );
            image::Frame::new(buffer)
        });
        encoder.encode_frames(frames).unwrap();
    }
    bytes
}

/// The `<img>` whose `src` names `needle`.
fn img<'t>(tags: &'t [Tag], needle: &str) -> &'t Tag {
    tags.iter()
        .find(|t| t.name == "img" && t.attr("src").is_some_and(|s| s.contains(needle)))
        .unwrap_or_else(|| panic!("no <img> for {needle}"))
}

/// `srcset` → (URL relative to the output root, width descriptor).
fn srcset(value: &str, page_dir: &str) -> Vec<(String, u32)> {
    value
        .split(',')
        .map(|item| {
            let (url, width) = item.trim().rsplit_once(' ').expect("url and width");
            let width = width.trim_end_matches('w').parse().expect("a w descriptor");
            let url = url.strip_prefix("../").map_or_else(
                || format!("{page_dir}{url}"),
                std::string::ToString::to_string,
            );
            (url, width)
        })
        .collect()
}

fn decoded_size(site: &Site, rel: &str) -> (u32, u32) {
    let bytes = site.read_bytes(rel);
    let image = image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
    (image.width(), image.height())
}

fn content(page: &str) -> &str {
    let start = page.find("<div class=\"content\">").expect("content");
    let end = page[start..].find("\n  </div>").expect("content end") + start;
    &page[start..end]
}

fn output_images(site: &Site) -> Vec<String> {
    site.snapshot("public/img")
        .names()
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_screenshot_becomes_a_picture_with_lossless_webp_and_never_upscaled_variants() {
    let site = Site::new();
    let original = write_png(&site, "img/console.png", 1500, 900, 0);
    write_png(&site, "img/small.png", 300, 200, 1);
    site.file(
        "notes/s3.md",
        "# S3\n\n![The bucket list](../img/console.png \"Buckets\")\n\nInline ![small](../img/small.png) icon.\n",
    );
    site.build_ok();
    let page = site.read("public/notes/s3.html");
    let tags = html::tags(content(&page));
    let shot = img(&tags, "console");
    assert_eq!(
        (shot.attr("width"), shot.attr("height")),
        (Some("1500"), Some("900"))
    );
    assert_eq!(shot.attr("loading"), Some("lazy"));
    assert_eq!(shot.attr("decoding"), Some("async"));
    assert!(shot.attr("sizes").is_some());
    let fallback = srcset(shot.attr("srcset").expect("img srcset"), "notes/");
    let widths: Vec<u32> = fallback.iter().map(|(_, w)| *w).collect();
    assert_eq!(widths, [640, 1280, 1500]);
    for (url, width) in &fallback {
        assert_eq!(
            decoded_size(&site, &format!("public/{url}")).0,
            *width,
            "{url}"
        );
        assert!(url.ends_with(".png"), "PNG stays PNG: {url}");
    }
    // The full-size fallback is the original file, byte for byte.
    assert_eq!(
        site.read_bytes(&format!("public/{}", fallback[2].0)),
        original
    );
    let source = tags
        .iter()
        .find(|t| t.name == "source")
        .expect("a <source>");
    assert_eq!(source.attr("type"), Some("image/webp"));
    let webp = srcset(source.attr("srcset").unwrap(), "notes/");
    assert_eq!(
        webp.iter().map(|(_, w)| *w).collect::<Vec<_>>(),
        [640, 1280, 1500]
    );
    // Lossless: the full-size WebP holds exactly the original's pixels.
    let full = image::load_from_memory(&site.read_bytes(&format!("public/{}", webp[2].0)))
        .unwrap()
        .to_rgb8();
    assert_eq!(full, screenshot(1500, 900, 0));
    // A picture alone in its paragraph is a figure with its title as caption; inline stays in the <p>.
    let body = content(&page);
    assert!(body.contains("<figure class=\"screenshot\"><a class=\"image-link\""));
    assert!(body.contains("<figcaption>Buckets</figcaption>"));
    assert!(body.contains("<p>Inline <a class=\"image-link\""));
    let small = img(&tags, "small");
    let small_set = srcset(small.attr("srcset").unwrap_or("x 1w"), "notes/");
    assert!(
        small_set.iter().all(|(_, w)| *w <= 300),
        "never upscaled: {small_set:?}"
    );
    assert_valid_nesting(body);
    crate::links::assert_links_ok(&site, "public", false);
}

/// No block element inside a `<p>`, and `<details>` only inside a `<figure>`.
fn assert_valid_nesting(body: &str) {
    for paragraph in body.split("<p>").skip(1) {
        let inside = paragraph.split("</p>").next().unwrap();
        for block in ["<figure", "<details", "<div", "<pre"] {
            assert!(!inside.contains(block), "{block} inside <p>: {inside}");
        }
    }
    for details in body.split("<details").skip(1) {
        assert!(details.contains("</figure>"));
    }
}

#[test]
fn jpeg_behind_a_png_name_keeps_jpeg_variants_and_gets_its_real_extension() {
    let site = Site::new();
    site.file("img/photo.jpg.png", jpeg_bytes(1400, 700))
        .file("notes/p.md", "# P\n\n![a photo](../img/photo.jpg.png)\n");
    site.build_ok();
    let page = site.read("public/notes/p.html");
    let tags = html::tags(content(&page));
    let photo = img(&tags, "photo");
    assert!(photo.attr("src").unwrap().ends_with(".jpg"), "{photo:?}");
    let set = srcset(photo.attr("srcset").unwrap(), "notes/");
    assert_eq!(
        set.iter().map(|(_, w)| *w).collect::<Vec<_>>(),
        [640, 1280, 1400]
    );
    for (url, _) in &set {
        let bytes = site.read_bytes(&format!("public/{url}"));
        assert_eq!(
            image::guess_format(&bytes).unwrap(),
            image::ImageFormat::Jpeg
        );
    }
    // The image crate's WebP encoder is lossless only: no WebP copies of photos (they would grow).
    assert!(!tags.iter().any(|t| t.name == "source"), "{page}");
}

#[test]
fn exif_orientation_is_applied_to_the_size_and_the_variants() {
    let site = Site::new();
    site.file(
        "img/phone.jpg",
        with_exif_orientation(&jpeg_bytes(1000, 700), 6),
    )
    .file("notes/r.md", "# R\n\n![rotated](../img/phone.jpg)\n");
    site.build_ok();
    let page = site.read("public/notes/r.html");
    let tags = html::tags(content(&page));
    let shot = img(&tags, "phone");
    assert_eq!(
        (shot.attr("width"), shot.attr("height")),
        (Some("700"), Some("1000"))
    );
    let set = srcset(shot.attr("srcset").unwrap(), "notes/");
    assert_eq!(set[0].1, 640);
    assert_eq!(
        decoded_size(&site, &format!("public/{}", set[0].0)),
        (640, 914)
    );
}

#[test]
fn animated_gifs_and_svgs_are_copied_unchanged_without_variants() {
    let site = Site::new();
    let gif = animated_gif(900, 500);
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#;
    site.file("img/demo.gif", &gif)
        .file("img/diagram.svg", svg)
        .file(
            "notes/a.md",
            "# A\n\n![demo](../img/demo.gif)\n\n![diagram](../img/diagram.svg)\n",
        );
    site.build_ok();
    let page = site.read("public/notes/a.html");
    let tags = html::tags(content(&page));
    for (name, bytes) in [("demo", gif.as_slice()), ("diagram", svg.as_bytes())] {
        let tag = img(&tags, name);
        assert!(tag.attr("srcset").is_none(), "{tag:?}");
        let src = tag.attr("src").unwrap().trim_start_matches("../");
        assert_eq!(site.read_bytes(&format!("public/{src}")), bytes);
    }
    assert_eq!(img(&tags, "demo").attr("width"), Some("900"));
    assert!(!tags
        .iter()
        .any(|t| t.name == "picture" || t.name == "source"));
    assert_eq!(output_images(&site).len(), 2, "{:?}", output_images(&site));
}

#[test]
fn corrupt_and_huge_images_are_warned_about_and_check_lists_them() {
    let site = Site::new();
    write_png(&site, "img/strip.png", 10000, 300, 2);
    site.file("img/broken.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR truncated")
        .file("img/unused.png", b"not even used")
        .file(
            "notes/big.md",
            "# Big\n\n![strip.png](../img/strip.png)\n\n![broken](../img/broken.png)\n",
        );
    let out = site
        .run(&["build"])
        .expect_code(0)
        .stderr_has("notes/big.md:3:1: warning: huge image `../img/strip.png`: 10000×300 px")
        .stderr_has("notes/big.md:5:1: warning: unusable image `../img/broken.png`");
    assert_eq!(count(&out.stderr, "huge image"), 1, "{}", out.stderr);
    let page = site.read("public/notes/big.html");
    assert_eq!(count(&page, "class=\"missing-image\""), 1);
    // Huge, but still made small: the page loads a 640 or 1280 px copy.
    let tags = html::tags(content(&page));
    let set = srcset(img(&tags, "strip").attr("srcset").unwrap(), "notes/");
    assert_eq!(set[0].1, 640);
    let check = site.run(&["check", "--json"]).expect_code(1);
    let report: Value = serde_json::from_str(&check.stdout).unwrap();
    let oversized = report["oversized_images"].as_array().unwrap();
    assert_eq!(oversized.len(), 1, "{report}");
    assert_eq!(oversized[0]["path"], "img/strip.png");
    assert_eq!(oversized[0]["width"], 10000);
    assert_eq!(
        report["unused_images"],
        serde_json::json!(["img/unused.png"])
    );
    let no_alt = report["images_without_alt"].as_array().unwrap();
    assert_eq!(no_alt.len(), 1, "{report}");
    assert_eq!(
        (&no_alt[0]["image"], &no_alt[0]["line"]),
        (&Value::from("../img/strip.png"), &Value::from(3))
    );
    let kinds: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"oversized-image") && kinds.contains(&"corrupt-image"));
    // The thresholds are configurable.
    site.file("notesite.toml", "[images]\nwarn_side_px = 12000\n");
    let out = site.run(&["build"]).expect_code(0);
    assert!(!out.stderr.contains("huge image"), "{}", out.stderr);
}

/// Every cache file with its modification time.
/// The image cache's files (the build record beside it is rewritten by every build).
fn cache_mtimes(site: &Site) -> Vec<(String, std::time::SystemTime)> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(site.path(".notesite-cache/images")).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let mtime = entry.metadata().unwrap().modified().unwrap();
            files.push((entry.path().display().to_string(), mtime));
        }
    }
    files
}

#[test]
fn the_second_build_encodes_nothing_and_a_renamed_screenshot_is_still_a_hit() {
    let site = Site::new();
    write_png(&site, "img/a.png", 1400, 800, 3);
    write_png(&site, "img/b.png", 900, 600, 4);
    site.file(
        "notes/n.md",
        "# N\n\n![a](../img/a.png)\n\n![b](../img/b.png)\n",
    );
    let first = site.build_ok();
    assert!(
        first
            .stderr
            .contains("2 images (8 variants made, 0 from cache"),
        "{}",
        first.stderr
    );
    let cached = cache_mtimes(&site);
    assert!(
        cached.len() >= 9,
        "facts and variants are cached: {cached:?}"
    );
    let output = site.snapshot("public");
    std::thread::sleep(Duration::from_millis(20));
    // --force: with nothing changed the build would be skipped before the image stage.
    let second = site.run(&["build", "--force"]).expect_code(0);
    assert!(
        second
            .stderr
            .contains("2 images (0 variants made, 8 from cache"),
        "{}",
        second.stderr
    );
    assert_eq!(
        cache_mtimes(&site),
        cached,
        "nothing in the cache was rewritten"
    );
    site.snapshot("public").assert_same(&output, "a rebuild");
    // Keys are content hashes, not paths or mtimes: a renamed, touched file needs no new work.
    std::fs::rename(site.path("img/b.png"), site.path("img/renamed.png")).unwrap();
    site.file(
        "notes/n.md",
        "# N\n\n![a](../img/a.png)\n\n![b](../img/renamed.png)\n",
    );
    let third = site.build_ok();
    assert!(
        third.stderr.contains("(0 variants made"),
        "{}",
        third.stderr
    );
    // `check` reads the cache but never writes it.
    let before = cache_mtimes(&site);
    write_png(&site, "img/new.png", 700, 700, 5);
    site.file("notes/m.md", "# M\n\n![new](../img/new.png)\n");
    site.run(&["check"]).expect_code(0);
    assert_eq!(cache_mtimes(&site), before);
}

#[test]
fn identical_screenshots_under_different_names_are_stored_once() {
    let site = Site::new();
    let bytes = write_png(&site, "img/first.png", 1300, 700, 6);
    site.file("img/copy of first.png", &bytes)
        .file("notes/one.md", "# One\n\n![x](../img/first.png)\n")
        .file("notes/two.md", "# Two\n\n![[copy of first.png]]\n");
    site.build_ok();
    let images = output_images(&site);
    // One set of files, named after the first of the two by path.
    assert!(
        images.iter().all(|n| n.starts_with("copy-of-first.")),
        "{images:?}"
    );
    let originals = images.iter().filter(|n| !n.contains("w.")).count();
    assert_eq!(originals, 1, "{images:?}");
    let src = |note: &str| {
        let page = site.read(&format!("public/notes/{note}.html"));
        let tags = html::tags(content(&page));
        let tag = tags.iter().find(|t| t.name == "img").unwrap().clone();
        tag.attr("srcset").unwrap().to_string()
    };
    assert_eq!(src("one"), src("two"));
}

fn have_ocr_tools() -> bool {
    let missing: Vec<&str> = [
        ("/usr/bin/convert", "imagemagick"),
        (
            "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
            "fonts-dejavu-core",
        ),
    ]
    .into_iter()
    .filter(|(path, _)| !Path::new(path).exists())
    .map(|(_, package)| package)
    .collect();
    let tesseract = std::process::Command::new("tesseract")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !missing.is_empty() || !tesseract {
        crate::tools::missing_tool(&format!(
            "OCR test: needs tesseract (tesseract-ocr) and {missing:?} (.ci/run installs them)"
        ));
        return false;
    }
    true
}

const PHRASE: &str = "aws s3 sync ./public s3://notes-bucket";

#[test]
fn ocr_reads_the_text_in_a_screenshot_once_and_shows_it_under_the_figure() {
    if !have_ocr_tools() {
        return;
    }
    let site = Site::new();
    std::fs::create_dir_all(site.path("img")).unwrap();
    let drawn = std::process::Command::new("/usr/bin/convert")
        .args(["-size", "1200x200", "xc:white", "-fill", "#1f2328"])
        .args([
            "-font",
            "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
        ])
        .args(["-pointsize", "30", "-annotate", "+40+90", PHRASE])
        .args(["-fill", "#0a5fc2", "-draw", "rectangle 0,150 1200,200"])
        .arg(site.path("img/terminal.png"))
        .status()
        .expect("run convert");
    assert!(drawn.success());
    site.file(
        "notes/deploy.md",
        "# Deploy\n\nPublish the site:\n\n![terminal](../img/terminal.png)\n",
    );
    let first = site.run(&["build", "--ocr"]).expect_code(0);
    assert!(first.stderr.contains("1 read by OCR"), "{}", first.stderr);
    let page = site.read("public/notes/deploy.html");
    let body = content(&page);
    let block = body
        .split("<details class=\"ocr-text\"><summary>Text in this screenshot</summary><pre>")
        .nth(1)
        .unwrap_or_else(|| panic!("no OCR block in {body}"));
    let text = block.split("</pre>").next().unwrap();
    assert!(text.contains(PHRASE), "OCR read {text:?}");
    assert_valid_nesting(body);
    assert_search_finds_deploy(&site);
    // Read once: the next build takes the text from the cache; `[images] ocr = true` works like --ocr.
    site.file("notesite.toml", "[images]\nocr = true\n");
    let second = site.run(&["build"]).expect_code(0);
    assert!(
        second.stderr.contains("0 read by OCR, 1 OCR from cache"),
        "{}",
        second.stderr
    );
    assert_eq!(site.read("public/notes/deploy.html"), page);
}

/// The phrase is only in the screenshot, yet searching it (quoted, and by one of its code-like
/// tokens) finds the note: `theme/search.js` run by node against the built index.
fn assert_search_finds_deploy(site: &Site) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/search/query.cjs");
    for q in [format!("\"{PHRASE}\""), "notes-bucket".to_string()] {
        let out = match std::process::Command::new("node")
            .arg(script)
            .arg(site.path("public/search"))
            .arg(&q)
            .output()
        {
            Ok(out) => out,
            Err(_) => {
                return crate::tools::missing_tool("the OCR search check: node is not installed")
            }
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("\"title\":\"Deploy\""),
            "searching {q} found {stdout}"
        );
    }
}

#[test]
fn without_tesseract_ocr_is_skipped_with_one_warning() {
    let site = Site::new();
    write_png(&site, "img/a.png", 300, 200, 7);
    write_png(&site, "img/b.png", 300, 200, 8);
    site.file(
        "notes/n.md",
        "# N\n\n![a](../img/a.png)\n\n![b](../img/b.png)\n",
    );
    let out = site
        .run_env(
            &["build", "--ocr"],
            &[("NOTESITE_TESSERACT", "/nonexistent/tesseract")],
        )
        .expect_code(0)
        .stderr_has("OCR is off for this build: tesseract is not available");
    assert_eq!(count(&out.stderr, "OCR is off"), 1, "{}", out.stderr);
    assert!(!site.read("public/notes/n.html").contains("ocr-text"));
}

#[test]
fn clicking_a_screenshot_opens_the_lightbox_and_esc_closes_it() {
    let Some(mut browser) = crate::cdp::Browser::launch_or_skip("lightbox browser test") else {
        return;
    };
    let site = Site::new();
    write_png(&site, "img/one.png", 1300, 700, 9);
    write_png(&site, "img/two.png", 800, 500, 10);
    site.file(
        "notes/tour.md",
        "# Tour\n\n![First step](../img/one.png \"The S3 console\")\n\nThen:\n\n![two.png](../img/two.png)\n",
    );
    site.build_ok();
    // From file://, as a reader opening the built site from disk would.
    let url = format!("file://{}", site.path("public/notes/tour.html").display());
    browser.navigate(&url);
    let rect = browser.eval(
        "(() => { const a = document.querySelector('a.image-link'); a.scrollIntoView({block: 'center'}); \
         const r = a.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()",
    );
    let (x, y) = (rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap());
    for kind in ["mousePressed", "mouseReleased"] {
        browser.call(
            "Input.dispatchMouseEvent",
            serde_json::json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
        );
    }
    browser.wait_for(
        "!!document.querySelector('dialog.lightbox[open]')",
        "the lightbox to open",
    );
    browser.wait_for(
        "(() => { const i = document.querySelector('dialog.lightbox img'); return i.complete && i.naturalWidth === 1300; })()",
        "the full-size screenshot in the lightbox",
    );
    assert_eq!(
        browser.eval("document.querySelector('dialog.lightbox figcaption').textContent"),
        "The S3 console"
    );
    assert_eq!(
        browser.eval("document.querySelector('dialog.lightbox').contains(document.activeElement)"),
        true,
        "focus moved into the lightbox"
    );
    press(&mut browser, "ArrowRight", 39);
    browser.wait_for(
        "document.querySelector('.lightbox-count').textContent === '2 / 2'",
        "ArrowRight to show the second screenshot",
    );
    // A file name is no caption.
    assert_eq!(
        browser.eval("document.querySelector('dialog.lightbox figcaption').hidden"),
        true
    );
    press(&mut browser, "Tab", 9);
    assert_eq!(
        browser.eval("document.querySelector('dialog.lightbox').contains(document.activeElement)"),
        true,
        "Tab stays inside the lightbox"
    );
    press(&mut browser, "Escape", 27);
    browser.wait_for(
        "!document.querySelector('dialog.lightbox[open]')",
        "Escape to close the lightbox",
    );
    assert_eq!(
        browser.eval("document.activeElement.classList.contains('image-link')"),
        true,
        "focus returns to a screenshot link"
    );
}

fn press(browser: &mut crate::cdp::Browser, key: &str, code: u32) {
    for kind in ["rawKeyDown", "keyUp"] {
        browser.call(
            "Input.dispatchKeyEvent",
            serde_json::json!({"type": kind, "key": key, "code": key,
                "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}),
        );
    }
}

/// A 1920×1080 picture that compresses like a real console screenshot: a dark top bar, a sidebar,
/// buttons and many lines of anti-aliased "text" (noise glyphs), different for every `seed`.
fn console_screenshot(seed: u32) -> image::RgbImage {
    let hash = |a: u32, b: u32, c: u32| {
        let mut h = a
            .wrapping_mul(0x9E37_79B1)
            .wrapping_add(b.wrapping_mul(0x85EB_CA77))
            .wrapping_add(c.wrapping_mul(0xC2B2_AE3D));
        h ^= h >> 15;
        h = h.wrapping_mul(0x2C1B_3C6D);
        h ^ (h >> 12)
    };
    image::RgbImage::from_fn(1920, 1080, |x, y| {
        if y < 48 {
            return image::Rgb([35, 47, 62]);
        }
        let sidebar = x < 260;
        let background = if sidebar { 242 } else { 255 };
        let (row, in_row) = (y / 22, y % 22);
        let button = !sidebar && (y / 120 + seed) % 4 == 0 && in_row < 18 && (x / 140) % 7 == 2;
        if button {
            return image::Rgb([236, 114, 17]);
        }
        let (glyph, gx) = (x / 8, x % 8);
        let word = hash(seed, row, glyph / 6) % 9;
        let is_text = in_row > 5 && in_row < 17 && gx < 7 && glyph % 6 < 5 && word > 1;
        let line_length = 40 + hash(seed, row, 7) % 180;
        if is_text && glyph < line_length && x > 12 {
            let ink = hash(seed ^ glyph, row, (in_row << 3) | gx);
            if ink % 100 < 38 {
                let level = (40 + ink % 160) as u8;
                return image::Rgb([level, level, level.saturating_add(10)]);
            }
        }
        image::Rgb([background, background, background])
    })
}

/// Not a test: writes the benchmark site into `$NOTESITE_BENCH_SITE` (500 PNG screenshots of
/// 1920×1080 in 25 notes). Run `NOTESITE_BENCH_SITE=/tmp/bench cargo test --test cli
/// images::write_benchmark_site -- --ignored`, then time `notesite build --root /tmp/bench` twice.
#[test]
#[ignore]
fn write_benchmark_site() {
    use rayon::prelude::*;
    let Some(root) = std::env::var_os("NOTESITE_BENCH_SITE") else {
        eprintln!("set NOTESITE_BENCH_SITE to the folder to write the benchmark site into");
        return;
    };
    let root = std::path::PathBuf::from(root);
    std::fs::create_dir_all(root.join("img")).unwrap();
    std::fs::create_dir_all(root.join("notes")).unwrap();
    (0..500u32).into_par_iter().for_each(|i| {
        let path = root.join(format!("img/shot-{i:03}.png"));
        console_screenshot(i).save(&path).unwrap();
    });
    for note in 0..25u32 {
        let mut text = format!("# Console tour {note}\n\n");
        for i in note * 20..note * 20 + 20 {
            text.push_str(&format!(
                "Step {i}: open the console.\n\n![Console step {i}](../img/shot-{i:03}.png)\n\n"
            ));
        }
        std::fs::write(root.join(format!("notes/tour-{note:02}.md")), text).unwrap();
    }
}
