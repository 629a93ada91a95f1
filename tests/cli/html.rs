//! A small HTML tag scanner for the tests: start tags and their attributes, entities decoded.
//!
//! Why not html5ever/scraper: the pages are machine-written (Tera templates and pulldown-cmark), always
//! quote attributes and never nest tags in attribute values, so a tokenizer that knows start tags,
//! comments, doctypes and raw-text elements sees exactly what a browser sees, without a tree builder
//! and ~40 extra crates to compile. What it cannot do (implied end tags, error recovery) the tests
//! never need.

/// One start tag: lower-case name and attributes in source order (values entity-decoded).
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every start tag of `html`, in order. Contents of `<script>`, `<style>`, `<textarea>` and `<title>`
/// are text, as in a browser, so markup-looking text inside them is not reported.
pub fn tags(html: &str) -> Vec<Tag> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
        } else if rest.starts_with("<!") || rest.starts_with("<?") || rest.starts_with("</") {
            rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
        } else if rest[1..].starts_with(|c: char| c.is_ascii_alphabetic()) {
            let (tag, after) = start_tag(&rest[1..]);
            rest = skip_raw_text(&tag.name, after);
            tags.push(tag);
        } else {
            rest = &rest[1..];
        }
    }
    tags
}

/// Every `id` attribute value of `html`.
pub fn ids(html: &str) -> Vec<String> {
    tags(html)
        .into_iter()
        .filter_map(|t| t.attr("id").map(str::to_string))
        .collect()
}

/// Parses `name attr="v" …>` (after the `<`); returns the tag and the text after its `>`.
fn start_tag(text: &str) -> (Tag, &str) {
    let name_end = text
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(text.len());
    let mut tag = Tag {
        name: text[..name_end].to_ascii_lowercase(),
        attrs: Vec::new(),
    };
    let mut rest = &text[name_end..];
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            return (tag, rest);
        }
        if let Some(after) = rest.strip_prefix('>') {
            return (tag, after);
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '=' | '>' | '/'))
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let value = match rest.strip_prefix('=') {
            Some(after) => {
                let (value, after) = attr_value(after.trim_start());
                rest = after;
                decode_entities(value)
            }
            None => String::new(),
        };
        tag.attrs.push((name, value));
    }
}

/// A quoted or unquoted attribute value and the text after it.
fn attr_value(text: &str) -> (&str, &str) {
    if let Some(quote) = text.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let body = &text[1..];
        return match body.find(quote) {
            Some(end) => (&body[..end], &body[end + 1..]),
            None => (body, ""),
        };
    }
    let end = text
        .find(|c: char| c.is_whitespace() || c == '>')
        .unwrap_or(text.len());
    (&text[..end], &text[end..])
}

fn skip_raw_text<'t>(name: &str, text: &'t str) -> &'t str {
    if !matches!(name, "script" | "style" | "textarea" | "title") {
        return text;
    }
    let close = format!("</{name}");
    let lower = text.to_ascii_lowercase();
    lower.find(&close).map_or("", |at| &text[at..])
}

/// Decodes the entities that appear in attribute values: named basics and numeric references.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|&s| s <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => numeric_entity(entity),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn numeric_entity(entity: &str) -> Option<char> {
    let digits = entity.strip_prefix('#')?;
    let code = match digits.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    char::from_u32(code)
}

#[test]
fn scanner_reads_attributes_like_a_browser() {
    let html = r#"<!doctype html><!-- <a href="commented"> --><title>a <b href="t"></title>
<script>if (a<b) x = '<a href="in-script">'</script>
<a class=x href="../notes/a%20b.html#h&amp;1" data-x='q"q'>t</a> 1 < 2 <IMG SRC=&#x2F;x.png alt>
<p id="x-&#39;y">"#;
    let tags = tags(html);
    let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["title", "script", "a", "img", "p"]);
    assert_eq!(tags[2].attr("href"), Some("../notes/a%20b.html#h&1"));
    assert_eq!(tags[2].attr("class"), Some("x"));
    assert_eq!(tags[2].attr("data-x"), Some("q\"q"));
    assert_eq!(tags[3].attr("src"), Some("/x.png"));
    assert_eq!(tags[3].attr("alt"), Some(""));
    assert_eq!(ids(html), ["x-'y"]);
}
