//! Unit tests of the images stage: naming, dedup and the cache round trip, on generated images.

use super::worker::{hash_file, Source};
use super::*;
use crate::config::Config;
use std::sync::atomic::Ordering;

fn options(config: &ImagesConfig) -> LoadOptions<'_> {
    LoadOptions {
        config,
        process: true,
        ocr: false,
        tick: &|| {},
    }
}

fn worker<'a>(cache: &'a Cache, config: &'a ImagesConfig) -> Worker<'a> {
    Worker {
        cache,
        budget: Budget::new(MEMORY_BUDGET),
        options: options(config),
        ocr: None,
        counts: Counts::default(),
        problems: Mutex::default(),
    }
}

fn load(worker: &Worker<'_>, path: &Path) -> Result<Asset, String> {
    let (hash, _) = hash_file(path).unwrap();
    worker.load_one(&Source::new(path, hash), true)
}

fn png(path: &Path, width: u32, height: u32) {
    image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 7 * 30) as u8, (y % 5 * 50) as u8, 200])
    })
    .save_with_format(path, image::ImageFormat::Png)
    .unwrap();
}

#[test]
fn names_keep_the_original_name_readable_and_the_real_extension() {
    assert_eq!(
        split_name(Path::new("/x/image_0_Image9.jpg.png")),
        ("image_0_Image9.jpg".into(), Some("png".into()))
    );
    assert_eq!(
        split_name(Path::new("/x/my shot (1).PNG")),
        ("my-shot--1-".into(), Some("png".into()))
    );
    assert_eq!(split_name(Path::new("/x/README")), ("README".into(), None));
    let png = Some("png".to_string());
    assert_eq!(real_extension(Some("jpeg"), &png).as_deref(), Some("jpg"));
    assert_eq!(real_extension(Some("png"), &png).as_deref(), Some("png"));
    let jpeg = Some("jpeg".to_string());
    assert_eq!(real_extension(Some("jpeg"), &jpeg).as_deref(), Some("jpeg"));
    assert_eq!(real_extension(None, &png).as_deref(), Some("png"));
}

#[test]
fn sniffs_jpeg_behind_png_name_and_rejects_corrupt_files() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(dir.path()).unwrap().images;
    let (cache, _) = Cache::open(&config.cache_dir);
    let worker = worker(&cache, &config);
    let jpeg = dir.path().join("shot.jpg.png");
    image::RgbImage::new(4, 3)
        .save_with_format(&jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let asset = load(&worker, &jpeg).unwrap();
    assert_eq!(
        (asset.format, asset.width, asset.height),
        (Some("jpeg"), Some(4), Some(3))
    );
    let corrupt = dir.path().join("bad.png");
    std::fs::write(&corrupt, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    assert!(load(&worker, &corrupt).is_err());
    // The verdict is cached by content: a second look does not decode again.
    let decoded = worker.counts.decoded.load(Ordering::Relaxed);
    assert!(load(&worker, &corrupt).is_err());
    assert_eq!(worker.counts.decoded.load(Ordering::Relaxed), decoded);
}

#[test]
fn variants_are_made_once_and_identical_files_share_names() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(dir.path()).unwrap().images;
    let (cache, _) = Cache::open(&config.cache_dir);
    let a = dir.path().join("b-shot.png");
    let b = dir.path().join("a-copy.png");
    png(&a, 1500, 300);
    std::fs::copy(&a, &b).unwrap();
    let first = worker(&cache, &config);
    let mut assets = Assets::default();
    for path in [&a, &b] {
        assets.by_source.insert(path.clone(), load(&first, path));
    }
    assert_eq!(first.counts.decoded.load(Ordering::Relaxed), 1);
    let widths: Vec<(u32, Encoding)> = assets.by_source[&a]
        .as_ref()
        .unwrap()
        .variants
        .iter()
        .map(|v| (v.width, v.encoding))
        .collect();
    assert!(widths.contains(&(640, Encoding::Png)), "{widths:?}");
    assert!(widths.contains(&(1280, Encoding::Png)), "{widths:?}");
    assign_names(&mut assets);
    let (x, y) = (
        assets.by_source[&a].as_ref().unwrap(),
        assets.by_source[&b].as_ref().unwrap(),
    );
    assert_eq!(x.out, y.out);
    assert!(x.out.starts_with("img/a-copy."), "{}", x.out);
    assert_eq!(x.variants, y.variants);
    assert!(x.variants[0].out.starts_with("img/a-copy.640w."));
    let again = worker(&cache, &config);
    load(&again, &a).unwrap();
    assert_eq!(again.counts.decoded.load(Ordering::Relaxed), 0);
    assert_eq!(again.counts.encoded.load(Ordering::Relaxed), 0);
}
