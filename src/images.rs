//! Images stage: reads each local file the notes reference once (in parallel), sniffs its real format
//! from the bytes, reads its dimensions and gives it a content-hashed output name. Corrupt images become
//! diagnostics at every reference and render as placeholders.

use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Kind};
use crate::graph::{ImageTarget, Site};

/// A local file copied into the output.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    pub source: PathBuf,
    /// Output path relative to the site root, e.g. `img/shot.1a2b3c4d.png`.
    pub out: String,
    /// Real image format sniffed from the bytes (`png`, `jpeg`, …); `None` for other files.
    pub format: Option<&'static str>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// Every referenced local file, keyed by its canonical source path; `Err` holds why an image is unusable.
#[derive(Debug, Default)]
pub struct Assets {
    pub by_source: HashMap<PathBuf, Result<Asset, String>>,
}

impl Assets {
    pub fn get(&self, source: &Path) -> Option<&Result<Asset, String>> {
        self.by_source.get(source)
    }

    pub fn ok(&self) -> impl Iterator<Item = &Asset> {
        self.by_source.values().filter_map(|a| a.as_ref().ok())
    }
}

/// Loads every local file of `site` (reusing `previous` entries for files `is_unchanged` accepts) and
/// reports corrupt images where they are referenced.
pub fn load(
    site: &Site,
    mut previous: Assets,
    is_unchanged: &(dyn Fn(&Path) -> bool + Sync),
) -> (Assets, Diagnostics) {
    let images: std::collections::HashSet<&PathBuf> = site
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
            let reused = if is_unchanged(&path) {
                previous.by_source.remove(&path)
            } else {
                None
            };
            (path, reused)
        })
        .collect();
    let loaded: Vec<_> = files
        .into_par_iter()
        .map(|(path, reused)| {
            let asset = reused.unwrap_or_else(|| load_one(&path, images.contains(&path)));
            (path, asset)
        })
        .collect();
    let assets = Assets {
        by_source: loaded.into_iter().collect(),
    };
    let diagnostics = report_unusable(site, &assets);
    (assets, diagnostics)
}

fn report_unusable(site: &Site, assets: &Assets) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    for id in site.visible() {
        for (index, target) in site.graph.images[id].iter().enumerate() {
            let ImageTarget::Local(path) = target else {
                continue;
            };
            if let Some(Err(reason)) = assets.get(path) {
                let image = &site.notes[id].body.images[index];
                diagnostics.push(
                    Diagnostic::warning(
                        Kind::CorruptImage,
                        &site.notes[id].source.display,
                        format!("unusable image `{}`: {reason}", image.dest),
                    )
                    .at(image.position)
                    .with_hint("re-export the screenshot; a placeholder is shown"),
                );
            }
        }
    }
    diagnostics
}

fn load_one(path: &Path, is_image: bool) -> Result<Asset, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let hash = blake3::hash(&bytes).to_hex();
    let out_dir = if is_image { "img" } else { "files" };
    let out = format!("{out_dir}/{}", hashed_name(path, &hash[..10]));
    if !is_image {
        return Ok(Asset {
            source: path.to_path_buf(),
            out,
            format: None,
            width: None,
            height: None,
        });
    }
    if is_svg(path, &bytes) {
        return Ok(Asset {
            source: path.to_path_buf(),
            out,
            format: Some("svg"),
            width: None,
            height: None,
        });
    }
    let format =
        image::guess_format(&bytes).map_err(|_| "not a recognised image format".to_string())?;
    let reader = image::ImageReader::with_format(std::io::Cursor::new(&bytes), format);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| format!("corrupt {}: {e}", format_name(format)))?;
    // Dimensions come from the header; decode the pixels too so a truncated file is caught here.
    image::load_from_memory_with_format(&bytes, format)
        .map_err(|e| format!("corrupt {}: {e}", format_name(format)))?;
    Ok(Asset {
        source: path.to_path_buf(),
        out,
        format: Some(format_name(format)),
        width: Some(width),
        height: Some(height),
    })
}

fn is_svg(path: &Path, bytes: &[u8]) -> bool {
    let named = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_lowercase();
    named && (head.contains("<svg") || head.contains("<?xml"))
}

pub fn format_name(format: image::ImageFormat) -> &'static str {
    match format {
        image::ImageFormat::Png => "png",
        image::ImageFormat::Jpeg => "jpeg",
        image::ImageFormat::Gif => "gif",
        image::ImageFormat::WebP => "webp",
        image::ImageFormat::Bmp => "bmp",
        _ => "image",
    }
}

/// `image_0_Image9.jpg.png` → `image_0_Image9.jpg.<hash>.png`; unsafe characters become `-`.
fn hashed_name(path: &Path, hash: &str) -> String {
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
        Some((stem, ext)) if !stem.is_empty() => {
            format!("{stem}.{hash}.{}", ext.to_ascii_lowercase())
        }
        _ => format!("{safe}.{hash}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_keep_the_original_name_readable() {
        assert_eq!(
            hashed_name(Path::new("/x/image_0_Image9.jpg.png"), "abc"),
            "image_0_Image9.jpg.abc.png"
        );
        assert_eq!(
            hashed_name(Path::new("/x/my shot (1).PNG"), "abc"),
            "my-shot--1-.abc.png"
        );
        assert_eq!(hashed_name(Path::new("/x/README"), "abc"), "README.abc");
    }

    #[test]
    fn sniffs_jpeg_behind_png_name_and_rejects_corrupt_files() {
        let dir = tempfile::tempdir().unwrap();
        let jpeg = dir.path().join("shot.jpg.png");
        image::RgbImage::new(4, 3)
            .save_with_format(&jpeg, image::ImageFormat::Jpeg)
            .unwrap();
        let asset = load_one(&jpeg, true).unwrap();
        assert_eq!(
            (asset.format, asset.width, asset.height),
            (Some("jpeg"), Some(4), Some(3))
        );
        let corrupt = dir.path().join("bad.png");
        std::fs::write(&corrupt, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        assert!(load_one(&corrupt, true).is_err());
    }
}
