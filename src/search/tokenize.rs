//! The search tokenizer. `theme/search.js` implements the same rules; `tests/search/golden_tokens.json`
//! (written by this module's tests, checked by `node --test tests/search/`) keeps the two from drifting.
//!
//! Rules, in order:
//! - Spans are found on the raw text: a CJK run (Han, kana, Hangul), or a code-aware word span
//!   `W+ (S+ W+)*` where `W` is a letter, digit or `_` and `S` one of `. : / @ # -`. Leading and
//!   trailing separators are not part of a span (`--dry-run` → `dry-run`, `end.` → `end`).
//! - Each span is NFKC-normalized. A CJK run gives overlapping character bigrams (one character
//!   alone gives itself).
//! - A word span gives its whole lower-cased form, then (if it holds separators or `_`) each part,
//!   then each camel-case piece of a part (`s3:PutObject` → `s3:putobject`, `s3`, `putobject`,
//!   `put`, `object`). Everything after the whole form is a *part* token, weighted lower.
//! - Tokens of one character (outside CJK), over 64 characters, or English stop words are dropped;
//!   tokens of ASCII letters only are stemmed with Snowball English (Porter2).

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

/// The longest token indexed, in characters.
pub const MAX_TOKEN_CHARS: usize = 64;

/// Dropped everywhere (index and query): too common to rank and too large to ship.
pub const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "he",
    "i", "if", "in", "into", "is", "it", "its", "of", "on", "or", "she", "so", "that", "the",
    "their", "then", "there", "these", "they", "this", "to", "was", "we", "were", "will", "with",
    "you",
];

/// One indexed or searched term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub term: String,
    /// A part of a compound or camel-case word (lower weight than a whole word).
    pub part: bool,
}

/// Turns text into terms; holds the stemmer so it is created once.
pub struct Tokenizer {
    stemmer: Option<Stemmer>,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer::new(true)
    }
}

impl Tokenizer {
    /// `stem`: English stemming (off for sites in other languages).
    pub fn new(stem: bool) -> Tokenizer {
        Tokenizer {
            stemmer: stem.then(|| Stemmer::create(Algorithm::English)),
        }
    }

    /// Every token of `text`, in order.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        self.each_token(text, |t| out.push(t));
        out
    }

    /// Calls `f` for every token of `text`, in order, without collecting spans.
    pub fn each_token(&self, text: &str, mut f: impl FnMut(Token)) {
        for (start, end, cjk) in raw_spans(text) {
            let span = &text[start..end];
            if cjk {
                cjk_tokens(span, &mut f);
            } else {
                self.word_tokens(span, &mut f);
            }
        }
    }

    /// Porter2 for lower-case ASCII words; anything else is returned as is.
    pub fn stem(&self, word: &str) -> String {
        match &self.stemmer {
            Some(stemmer) if word.bytes().all(|b| b.is_ascii_lowercase()) => {
                stemmer.stem(word).into_owned()
            }
            _ => word.to_string(),
        }
    }

    fn word_tokens(&self, raw: &str, f: &mut dyn FnMut(Token)) {
        let span: String = raw.nfkc().collect();
        let compound = span.chars().any(|c| is_sep(c) || c == '_');
        if !compound {
            self.word(&span, false, f);
            return;
        }
        self.emit(span.to_lowercase(), false, f);
        for part in span.split(|c: char| is_sep(c) || c == '_') {
            if !part.is_empty() {
                self.word(part, true, f);
            }
        }
    }

    /// A word without separators: itself, then its camel-case pieces.
    fn word(&self, word: &str, part: bool, f: &mut dyn FnMut(Token)) {
        self.emit(self.stem(&word.to_lowercase()), part, f);
        let pieces = camel_pieces(word);
        if pieces.len() > 1 {
            for piece in pieces {
                self.emit(self.stem(&piece.to_lowercase()), true, f);
            }
        }
    }

    fn emit(&self, term: String, part: bool, f: &mut dyn FnMut(Token)) {
        let chars = term.chars().count();
        if (2..=MAX_TOKEN_CHARS).contains(&chars) && !is_stop_word(&term) {
            f(Token { term, part });
        }
    }
}

/// Whether `word` (lower case, unstemmed) is dropped.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

fn cjk_tokens(raw: &str, f: &mut dyn FnMut(Token)) {
    let chars: Vec<char> = raw.nfkc().collect();
    if chars.len() == 1 {
        f(Token {
            term: chars[0].to_string(),
            part: false,
        });
    }
    for pair in chars.windows(2) {
        f(Token {
            term: pair.iter().collect(),
            part: false,
        });
    }
}

/// `(start, end, is_cjk)` byte ranges of the spans of `text`.
fn raw_spans(text: &str) -> Vec<(usize, usize, bool)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if is_cjk(c) {
            let j = run(&chars, i, is_cjk);
            spans.push((chars[i].0, end_of(j), true));
            i = j;
        } else if is_word(c) {
            let mut j = run(&chars, i, is_word);
            loop {
                let k = run(&chars, j, is_sep);
                if k > j && k < chars.len() && is_word(chars[k].1) {
                    j = run(&chars, k, is_word);
                } else {
                    break;
                }
            }
            spans.push((chars[i].0, end_of(j), false));
            i = j;
        } else {
            i += 1;
        }
    }
    spans
}

/// The index after the run of characters matching `class` that starts at `from`.
fn run(chars: &[(usize, char)], from: usize, class: fn(char) -> bool) -> usize {
    let mut i = from;
    while i < chars.len() && class(chars[i].1) {
        i += 1;
    }
    i
}

/// Splits `PutObject` → `Put`, `Object`; `HTTPServer` → `HTTP`, `Server`; `EC2Instance` → `EC2`,
/// `Instance`. A boundary sits before an upper-case letter that follows a lower-case one, or that
/// follows an upper-case letter or digit and precedes a lower-case one.
fn camel_pieces(word: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut pieces = Vec::new();
    let mut start = 0;
    for i in 1..chars.len() {
        let (prev, c) = (chars[i - 1].1, chars[i].1);
        let next_lower = chars.get(i + 1).is_some_and(|&(_, n)| n.is_lowercase());
        let boundary = c.is_uppercase()
            && (prev.is_lowercase() || ((prev.is_uppercase() || prev.is_numeric()) && next_lower));
        if boundary {
            pieces.push(&word[start..chars[i].0]);
            start = chars[i].0;
        }
    }
    pieces.push(&word[start..]);
    pieces
}

fn is_word(c: char) -> bool {
    (c.is_alphanumeric() || c == '_') && !is_cjk(c)
}

fn is_sep(c: char) -> bool {
    matches!(c, '.' | ':' | '/' | '@' | '#' | '-')
}

/// Han, kana and Hangul: scripts written without spaces between words (Hangul has spaces, but
/// bigrams still beat whole-word matching for its agglutinated forms).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF       // Hangul Jamo
        | 0x3005 | 0x3007     // 々 〇
        | 0x3040..=0x30FF     // Hiragana, Katakana
        | 0x3130..=0x318F     // Hangul compatibility Jamo
        | 0x31F0..=0x31FF     // Katakana phonetic extensions
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xAC00..=0xD7AF     // Hangul syllables
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0xFF66..=0xFF9F     // half-width Katakana
        | 0x20000..=0x3134F // CJK extensions B–G
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        Tokenizer::default()
            .tokens(text)
            .into_iter()
            .map(|t| {
                if t.part {
                    format!("~{}", t.term)
                } else {
                    t.term
                }
            })
            .collect()
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn code_tokens_are_indexed_whole_and_by_parts() {
        assert_eq!(
            terms("s3:PutObject"),
            ["s3:putobject", "~s3", "~putobject", "~put", "~object"]
        );
        assert_eq!(terms("--dry-run"), ["dry-run", "~dri", "~run"]);
        assert_eq!(terms("AWS_PROFILE"), ["aws_profile", "~aw", "~profil"]);
        assert_eq!(terms("v1.2.3."), ["v1.2.3", "~v1"]);
        assert_eq!(
            terms("lambda_handler()"),
            ["lambda_handler", "~lambda", "~handler"]
        );
        assert_eq!(terms("HTTPServer"), ["httpserver", "~http", "~server"]);
        assert_eq!(terms("EC2Instance"), ["ec2instance", "~ec2", "~instanc"]);
    }

    #[test]
    fn prose_is_lower_cased_stemmed_and_stop_words_dropped() {
        assert_eq!(
            terms("The Buckets are Running, a test."),
            ["bucket", "run", "test"]
        );
        assert_eq!(terms("Café ÉCOLE x"), ["café", "école"]);
        assert_eq!(terms("ＡＷＳ ＣＬＩ"), ["aw", "cli"]);
    }

    #[test]
    fn cjk_runs_become_bigrams() {
        assert_eq!(terms("每個月都"), ["每個", "個月", "月都"]);
        assert_eq!(terms("S3の設定"), ["s3", "の設", "設定"]);
        assert_eq!(terms("月"), ["月"]);
    }

    #[test]
    fn overlong_tokens_are_dropped() {
        let long = "a".repeat(70);
        assert!(terms(&long).is_empty());
    }
}
