//! Code highlighting: syntect's syntax and theme sets, loaded once per process from the precompiled
//! dumps syntect ships, turn code blocks into HTML with CSS classes (`hl-…`), and themes into CSS.

use syntect::highlighting::ThemeSet;
use syntect::html::{css_for_theme_with_class_style, ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// Shared read-only by every render worker.
pub struct Highlighter {
    syntaxes: SyntaxSet,
}

impl Default for Highlighter {
    fn default() -> Self {
        Self::new()
    }
}

impl Highlighter {
    pub fn new() -> Self {
        Highlighter {
            syntaxes: SyntaxSet::load_defaults_newlines(),
        }
    }

    /// A fenced code block as `<pre class="code">`; unknown languages come out as escaped plain text.
    pub fn code_block(&self, code: &str, info: &str) -> String {
        let lang = info
            .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
            .next()
            .unwrap_or("")
            .trim();
        let lang_attr = escape(lang);
        let body = self.highlight(code, lang).unwrap_or_else(|| escape(code));
        if lang.is_empty() {
            format!("<pre class=\"code\"><code>{body}</code></pre>\n")
        } else {
            format!("<pre class=\"code\" data-lang=\"{lang_attr}\"><code class=\"language-{lang_attr}\">{body}</code></pre>\n")
        }
    }

    fn highlight(&self, code: &str, lang: &str) -> Option<String> {
        if lang.is_empty() {
            return None;
        }
        let syntax = self.syntaxes.find_syntax_by_token(lang)?;
        let mut generator =
            ClassedHTMLGenerator::new_with_class_style(syntax, &self.syntaxes, CLASS_STYLE);
        for line in LinesWithEndings::from(code) {
            generator
                .parse_html_for_line_which_includes_newline(line)
                .ok()?;
        }
        Some(generator.finalize())
    }
}

/// The highlight stylesheet: the light theme by default, the dark one for `prefers-color-scheme: dark`
/// and for the page's `data-theme="dark"` toggle.
pub fn theme_css(light: &str, dark: &str) -> Result<String, String> {
    let themes = ThemeSet::load_defaults();
    let get = |name: &str| {
        themes.themes.get(name).ok_or_else(|| {
            let mut known: Vec<&str> = themes.themes.keys().map(String::as_str).collect();
            known.sort();
            format!(
                "unknown highlight theme `{name}`; available: {}",
                known.join(", ")
            )
        })
    };
    let light_css =
        css_for_theme_with_class_style(get(light)?, CLASS_STYLE).map_err(|e| e.to_string())?;
    let dark_css =
        css_for_theme_with_class_style(get(dark)?, CLASS_STYLE).map_err(|e| e.to_string())?;
    let forced = scope_rules(&dark_css, "html[data-theme=\"dark\"] ");
    let auto = scope_rules(&dark_css, "html:not([data-theme=\"light\"]) ");
    // Dark rules apply on screen only: a page printed in dark mode still prints light.
    Ok(format!(
        "/* light: {light} */\n{light_css}\n/* dark: {dark} */\n@media screen {{\n{forced}}}\n@media screen and (prefers-color-scheme: dark) {{\n{auto}}}\n"
    ))
}

/// Prefixes every selector of a flat stylesheet (syntect's output has no nesting).
fn scope_rules(css: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(css.len() * 2);
    for rule in css.split_inclusive('}') {
        let Some((selectors, body)) = rule.split_once('{') else {
            out.push_str(rule);
            continue;
        };
        let selectors = strip_comments(selectors);
        let scoped: Vec<String> = selectors
            .split(',')
            .map(|s| format!("{prefix}{}", s.trim()))
            .collect();
        out.push_str(&scoped.join(", "));
        out.push_str(" {");
        out.push_str(body);
        out.push('\n');
    }
    out
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out
}

/// Minimal HTML escaping for text and attribute values. Tera calls it for every `{{ value }}` of
/// every page (2.6 million times at 10k notes), and most values need nothing: `memchr` finds that
/// out 16 or 32 bytes at a time.
pub fn escape(text: &str) -> String {
    match first_special(text) {
        None => text.to_owned(),
        Some(first) => {
            let mut out = String::with_capacity(text.len() + 16);
            push_escaped_from(&mut out, text, first);
            out
        }
    }
}

/// Appends `text` to `out`, escaped as [`escape`] does.
pub fn push_escaped(out: &mut String, text: &str) {
    match first_special(text) {
        None => out.push_str(text),
        Some(first) => push_escaped_from(out, text, first),
    }
}

fn first_special(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    match (
        memchr::memchr3(b'&', b'<', b'>', bytes),
        memchr::memchr2(b'"', b'\'', bytes),
    ) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(usize::MAX).min(b.unwrap_or(usize::MAX))),
    }
}

/// Copies the runs between special characters whole (they are ASCII, so every cut is on a
/// character boundary); `first` is where the first special character is.
fn push_escaped_from(out: &mut String, text: &str, first: usize) {
    let mut copied = 0;
    for (at, byte) in text.bytes().enumerate().skip(first) {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[copied..at]);
        out.push_str(entity);
        copied = at + 1;
    }
    out.push_str(&text[copied..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_each_special_character_and_keeps_the_rest() {
        assert_eq!(escape(""), "");
        assert_eq!(escape("plain text"), "plain text");
        assert_eq!(
            escape("<a href=\"x\">'Über' & ü</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;Über&#39; &amp; ü&lt;/a&gt;"
        );
        assert_eq!(escape("&&"), "&amp;&amp;");
        assert_eq!(escape("日本>"), "日本&gt;");
        let mut out = String::from("a");
        push_escaped(&mut out, "<b>");
        push_escaped(&mut out, "c");
        assert_eq!(out, "a&lt;b&gt;c");
    }

    #[test]
    fn known_language_gets_classes_unknown_is_escaped_text() {
        let h = Highlighter::new();
        let rust = h.code_block("fn main() {}\n", "rust");
        assert!(rust.contains("class=\"hl-"), "{rust}");
        assert!(rust.starts_with("<pre class=\"code\" data-lang=\"rust\">"));
        let unknown = h.code_block("<b>&</b>\n", "no-such-lang");
        assert!(unknown.contains("&lt;b&gt;&amp;&lt;/b&gt;"), "{unknown}");
        assert!(!unknown.contains("hl-"));
    }

    #[test]
    fn theme_css_scopes_dark_rules_and_rejects_unknown_themes() {
        let css = theme_css("InspiredGitHub", "base16-ocean.dark").unwrap();
        assert!(css.contains("html[data-theme=\"dark\"] .hl-"));
        assert!(css.contains("@media screen and (prefers-color-scheme: dark)"));
        let err = theme_css("Nope", "base16-ocean.dark").unwrap_err();
        assert!(err.contains("InspiredGitHub"), "{err}");
    }
}
