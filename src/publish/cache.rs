//! Cache-Control by rule, and the upload phase each file belongs to. A file whose name carries its
//! content hash can be cached for a year (`immutable`): when its bytes change, its name changes. Every
//! other file (pages, `404.html`, `sitemap.xml`, search metadata) gets the short setting, because its
//! URL stays while its bytes change.

/// Cache-Control for content-hashed files unless `[publish] cache_control_immutable` says otherwise.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control for everything else unless `[publish] cache_control` says otherwise.
pub const SHORT: &str = "public, max-age=300";

/// The two Cache-Control values in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRules {
    pub immutable: String,
    pub short: String,
}

impl Default for CacheRules {
    fn default() -> Self {
        CacheRules {
            immutable: IMMUTABLE.to_string(),
            short: SHORT.to_string(),
        }
    }
}

/// What a file is, for the Cache-Control it gets and when it is uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Content-hashed: immutable, uploaded first so pages never point at a missing asset.
    Asset,
    /// Not hashed and not a page (search metadata, sitemap, manifests): uploaded after the assets
    /// they may name, before the pages.
    Other,
    /// HTML: uploaded last.
    Page,
}

impl CacheRules {
    pub fn cache_control(&self, class: Class) -> &str {
        match class {
            Class::Asset => &self.immutable,
            Class::Other | Class::Page => &self.short,
        }
    }
}

/// Classifies an output path (relative to the site root, `/`-separated).
pub fn classify(rel: &str) -> Class {
    let lower = rel.to_ascii_lowercase();
    if lower.ends_with(".html") || lower.ends_with(".htm") {
        Class::Page
    } else if is_content_hashed(rel) {
        Class::Asset
    } else {
        Class::Other
    }
}

/// `assets/style.0123456789.css`, `img/shot.jpg.0123456789.png`, `files/README.0123456789`: the file
/// name has a segment of exactly 10 lower-case hex digits right before its last extension (or at its
/// end), which is how the build names theme files, images and attachments. A build-hash folder such as
/// `_search/<hash>/…` (10 to 64 hex digits, at least one letter and one digit, so that dates and
/// numbers are not taken for hashes) makes everything below it content-hashed too.
pub fn is_content_hashed(rel: &str) -> bool {
    let mut segments: Vec<&str> = rel.split('/').collect();
    let file = segments.pop().unwrap_or_default();
    let parts: Vec<&str> = file.split('.').collect();
    let in_name = match parts.len() {
        0 | 1 => false,
        2 => is_hex(parts[1], 10, 10),
        n => is_hex(parts[n - 2], 10, 10) || is_hex(parts[n - 1], 10, 10),
    };
    in_name || segments.iter().any(|dir| is_build_hash(dir))
}

fn is_hex(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_build_hash(dir: &str) -> bool {
    is_hex(dir, 10, 64)
        && dir.bytes().any(|b| b.is_ascii_digit())
        && dir.bytes().any(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_assets() {
        for rel in [
            "assets/style.0123456789.css",
            "assets/highlight.abcdef0123.css",
            "img/image_0_Image9.jpg.a1b2c3d4e5.png",
            "files/README.a1b2c3d4e5",
            "_search/3f9a0c1b2d/t/0.bin",
            "_search/3f9a0c1b2d4e5f60/meta.bin",
        ] {
            assert_eq!(classify(rel), Class::Asset, "{rel}");
        }
    }

    #[test]
    fn pages_and_unhashed_files_are_short_lived() {
        for (rel, class) in [
            ("index.html", Class::Page),
            ("notes/aws-cli.html", Class::Page),
            ("404.html", Class::Page),
            ("assets/style.0123456789.html", Class::Page),
            ("sitemap.xml", Class::Other),
            ("_search/meta.js", Class::Other),
            ("search/meta.js", Class::Other),
            ("search/t/0.js", Class::Other),
            ("search/f/12.js", Class::Other),
            ("assets/style.css", Class::Other),
            ("img/shot.0123456789abc.png", Class::Other),
            ("img/shot.ABCDEF0123.png", Class::Other),
            ("notes/2024010112/x.json", Class::Other),
            ("notes/deadbeefcafe/x.json", Class::Other),
        ] {
            assert_eq!(classify(rel), class, "{rel}");
        }
    }

    #[test]
    fn cache_control_follows_the_class() {
        let rules = CacheRules::default();
        assert_eq!(rules.cache_control(Class::Asset), IMMUTABLE);
        assert_eq!(rules.cache_control(Class::Page), SHORT);
        assert_eq!(rules.cache_control(Class::Other), SHORT);
        assert!(Class::Asset < Class::Other && Class::Other < Class::Page);
    }
}
