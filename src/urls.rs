//! URL scheme of the output: where each page lives and how one page links to another.
//!
//! Every internal URL is relative and, unless `pretty_urls` is on, names a file (`notes/iam.html`), so
//! the same output works from file://, under any sub-path and from S3. This module is the only place
//! that knows the layout.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// Characters escaped in the path of an href: everything that could end or confuse a URL path.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'\'');

/// Where pages go and how they are linked.
#[derive(Debug, Clone, Copy)]
pub struct Urls {
    pub pretty: bool,
}

impl Urls {
    /// Output file of the note with `slug` (`a/b` → `notes/a/b.html`).
    pub fn note_file(self, slug: &str) -> String {
        self.page_file(&format!("notes/{slug}"))
    }

    /// URL of a note relative to the site root.
    pub fn note_url(self, slug: &str) -> String {
        self.page_url(&format!("notes/{slug}"))
    }

    pub fn topic_file(self, slug: &str) -> String {
        self.page_file(&format!("topics/{slug}"))
    }

    pub fn topic_url(self, slug: &str) -> String {
        self.page_url(&format!("topics/{slug}"))
    }

    /// The topic list lives in `topics/index.html` in both modes.
    pub fn topics_index_url(self) -> String {
        if self.pretty {
            "topics/".into()
        } else {
            "topics/index.html".into()
        }
    }

    fn page_file(self, stem: &str) -> String {
        if self.pretty {
            format!("{stem}/index.html")
        } else {
            format!("{stem}.html")
        }
    }

    fn page_url(self, stem: &str) -> String {
        if self.pretty {
            format!("{}/", encode_path(stem))
        } else {
            format!("{}.html", encode_path(stem))
        }
    }
}

/// The relative path from an output file back to the site root: `""` or `"../"` repeated.
pub fn root_prefix(output_file: &str) -> String {
    "../".repeat(output_file.matches('/').count())
}

/// Percent-encodes a `/`-separated path for use in an href.
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// Percent-encodes a fragment.
pub fn encode_fragment(fragment: &str) -> String {
    utf8_percent_encode(fragment, PATH).to_string()
}

/// A URL-safe slug: lower-case letters and digits (any script), other runs of characters become `-`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "untitled".into()
    } else {
        slug.to_string()
    }
}

/// Slug of a note from its path relative to `notes_dir`: each folder and the file stem slugified.
pub fn path_slug(rel: &std::path::Path) -> String {
    let without_ext = rel.with_extension("");
    let parts: Vec<String> = without_ext
        .components()
        .map(|c| slugify(&c.as_os_str().to_string_lossy()))
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn file_urls_and_pretty_urls() {
        let plain = Urls { pretty: false };
        assert_eq!(plain.note_file("aws/iam"), "notes/aws/iam.html");
        assert_eq!(plain.note_url("aws/iam"), "notes/aws/iam.html");
        let pretty = Urls { pretty: true };
        assert_eq!(pretty.note_file("iam"), "notes/iam/index.html");
        assert_eq!(pretty.note_url("iam"), "notes/iam/");
    }

    #[test]
    fn root_prefix_climbs_one_level_per_folder() {
        assert_eq!(root_prefix("index.html"), "");
        assert_eq!(root_prefix("notes/a/b.html"), "../../");
    }

    #[test]
    fn slugs_keep_letters_of_any_script() {
        assert_eq!(
            slugify("Monolithic vs Microservices!"),
            "monolithic-vs-microservices"
        );
        assert_eq!(slugify("Über Notizen"), "über-notizen");
        assert_eq!(slugify("???"), "untitled");
        assert_eq!(
            path_slug(Path::new("My Folder/EC2 Key Pairs.md")),
            "my-folder/ec2-key-pairs"
        );
        assert_eq!(
            encode_path("notes/über notizen.html"),
            "notes/%C3%BCber%20notizen.html"
        );
    }
}
