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
use std::cell::RefCell;
use std::sync::Arc;

use super::FastMap;
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

/// A term as the index keeps it: one allocation per distinct term (per tokenizer), shared by every
/// document that holds it.
pub type Term = Arc<str>;

/// A term's number within one [`Tokenizer`] (see [`Tokenizer::term`]).
pub type TermId = u32;

/// Turns text into terms; holds the stemmer, the terms seen so far and caches (a tokenizer per
/// worker thread).
pub struct Tokenizer {
    stemmer: Option<Stemmer>,
    /// Lower-case word → stem: most words of a site repeat, and stemming is the costly step.
    stems: RefCell<FastMap<String, String>>,
    /// ASCII span → its tokens: a span's tokens depend only on its text, and spans repeat.
    spans: RefCell<SpanCache>,
    terms: RefCell<Interner>,
}

/// The tokens of ASCII spans seen before. Short spans (nearly all) are keyed by their bytes packed
/// into two numbers, and a span of one token (most words) keeps it in its entry: a lookup touches
/// one table slot instead of three heap blocks. With `String` keys and `Vec` values, lookups were
/// 6% of a 10k-note build, mostly cache misses.
#[derive(Default)]
struct SpanCache {
    short: FastMap<(u64, u64), SpanEntry>,
    long: FastMap<Box<str>, SpanEntry>,
    /// The tokens of every cached span of two or more, one span after another.
    tokens: Vec<(TermId, bool)>,
}

/// A cached span's tokens: (start, len) in [`SpanCache::tokens`], or, when `len` has
/// [`SpanEntry::ONE`] set, the one token itself (term, then whether it is a part in bit 0 of `len`).
#[derive(Clone, Copy)]
struct SpanEntry {
    start: u32,
    len: u32,
}

impl SpanEntry {
    const ONE: u32 = 1 << 31;
}

impl SpanCache {
    /// `span`'s bytes as two numbers, zero-padded, when it has at most 16: ASCII spans hold no
    /// NUL (not a word character), so distinct spans get distinct keys. Made from overlapping
    /// loads rather than by copying the bytes into a buffer: reading back a buffer just written a
    /// byte at a time stalls the processor, and that stall was a sixth of the lookup.
    fn short_key(span: &str) -> Option<(u64, u64)> {
        let b = span.as_bytes();
        let n = b.len();
        let le32 = |at: usize| u64::from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap()));
        let le64 = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
        Some(match n {
            0..=3 => (b.iter().rev().fold(0, |key, &c| key << 8 | u64::from(c)), 0),
            // The second load overlaps the first; shifting drops the bytes both hold.
            4..=8 => (le32(0) | (le32(n - 4) >> (8 * (8 - n))) << 32, 0),
            9..=16 => (le64(0), le64(n - 8) >> (8 * (16 - n))),
            _ => return None,
        })
    }

    fn get(&self, span: &str) -> Option<SpanEntry> {
        match SpanCache::short_key(span) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(span).copied(),
        }
    }

    fn tokens(&self, entry: SpanEntry) -> &[(TermId, bool)] {
        &self.tokens[entry.start as usize..(entry.start + entry.len) as usize]
    }

    fn insert(&mut self, span: &str, tokens: &[(TermId, bool)]) {
        if self.short.len() + self.long.len() >= SPAN_CACHE {
            *self = SpanCache::default();
        }
        let entry = match tokens {
            &[(id, part)] => SpanEntry {
                start: id,
                len: SpanEntry::ONE | u32::from(part),
            },
            _ => {
                let start = self.tokens.len() as u32;
                self.tokens.extend_from_slice(tokens);
                SpanEntry {
                    start,
                    len: tokens.len() as u32,
                }
            }
        };
        match SpanCache::short_key(span) {
            Some(key) => self.short.insert(key, entry),
            None => self.long.insert(span.into(), entry),
        };
    }
}

/// Every distinct term once, numbered in order of first sight.
#[derive(Default)]
struct Interner {
    ids: FastMap<Term, TermId>,
    terms: Vec<Term>,
}

impl Interner {
    fn id(&mut self, term: &str) -> TermId {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = TermId::try_from(self.terms.len()).expect("under 2^32 distinct terms");
        let term: Term = term.into();
        self.terms.push(term.clone());
        self.ids.insert(term, id);
        id
    }
}

/// Above this many cached spans the cache starts over (bounds memory on huge sites).
const SPAN_CACHE: usize = 400_000;

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
            stems: RefCell::default(),
            spans: RefCell::default(),
            terms: RefCell::default(),
        }
    }

    /// Every token of `text`, in order.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        self.each_term(text, |id, part| {
            out.push(Token {
                term: self.term(id).to_string(),
                part,
            })
        });
        out
    }

    /// The term numbered `id` by this tokenizer.
    pub fn term(&self, id: TermId) -> Term {
        self.terms.borrow().terms[id as usize].clone()
    }

    /// Calls `f(term, is_part)` for every token of `text`, in order. Terms come as numbers (see
    /// [`Tokenizer::term`]), so a document counts them without hashing or copying strings.
    pub fn each_term(&self, text: &str, mut f: impl FnMut(TermId, bool)) {
        raw_spans(text, |start, end, cjk| {
            let span = &text[start..end];
            if !cjk && span.is_ascii() {
                // NFKC leaves ASCII as it is.
                return self.cached_span_terms(span, &mut f);
            }
            let mut intern = |term: &str, part: bool| f(self.intern(term), part);
            if cjk {
                cjk_tokens(span, &mut intern);
            } else {
                self.word_tokens(&span.nfkc().collect::<String>(), &mut intern);
            }
        });
    }

    fn intern(&self, term: &str) -> TermId {
        self.terms.borrow_mut().id(term)
    }

    /// Porter2 for lower-case ASCII words; anything else is returned as is.
    #[cfg(test)]
    pub fn stem(&self, word: &str) -> String {
        let mut out = String::new();
        self.with_stem(word, |s| out.push_str(s));
        out
    }

    fn with_stem(&self, word: &str, f: impl FnOnce(&str)) {
        let Some(stemmer) = &self.stemmer else {
            return f(word);
        };
        if word.is_empty() || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            return f(word);
        }
        let mut stems = self.stems.borrow_mut();
        if let Some(stem) = stems.get(word) {
            return f(stem);
        }
        let stem = stemmer.stem(word).into_owned();
        f(&stem);
        stems.insert(word.to_string(), stem);
    }

    /// The tokens of an ASCII span, from the cache when the span was seen before.
    fn cached_span_terms(&self, span: &str, f: &mut dyn FnMut(TermId, bool)) {
        let spans = self.spans.borrow();
        if let Some(entry) = spans.get(span) {
            if entry.len & SpanEntry::ONE != 0 {
                return f(entry.start, entry.len & 1 != 0);
            }
            for &(id, part) in spans.tokens(entry) {
                f(id, part);
            }
            return;
        }
        drop(spans);
        let mut tokens = Vec::new();
        self.word_tokens(span, &mut |term, part| {
            tokens.push((self.intern(term), part))
        });
        for &(id, part) in &tokens {
            f(id, part);
        }
        self.spans.borrow_mut().insert(span, &tokens);
    }

    fn word_tokens(&self, span: &str, f: &mut dyn FnMut(&str, bool)) {
        let compound = span.chars().any(|c| is_sep(c) || c == '_');
        if !compound {
            self.word(span, false, f);
            return;
        }
        emit(&lower(span), false, f);
        for part in span.split(|c: char| is_sep(c) || c == '_') {
            if !part.is_empty() {
                self.word(part, true, f);
            }
        }
    }

    /// A word without separators: itself, then its camel-case pieces.
    fn word(&self, word: &str, part: bool, f: &mut dyn FnMut(&str, bool)) {
        self.with_stem(&lower(word), |s| emit(s, part, f));
        if word.chars().skip(1).any(char::is_uppercase) {
            let pieces = camel_pieces(word);
            if pieces.len() > 1 {
                for piece in pieces {
                    self.with_stem(&lower(piece), |s| emit(s, true, f));
                }
            }
        }
    }
}

fn lower(text: &str) -> String {
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.to_lowercase()
    }
}

fn emit(term: &str, part: bool, f: &mut dyn FnMut(&str, bool)) {
    let chars = if term.is_ascii() {
        term.len()
    } else {
        term.chars().count()
    };
    if (2..=MAX_TOKEN_CHARS).contains(&chars) && !is_stop_word(term) {
        f(term, part);
    }
}

/// Whether `word` (lower case, unstemmed) is dropped.
pub fn is_stop_word(word: &str) -> bool {
    word.len() <= 5 && STOP_WORDS.binary_search(&word).is_ok()
}

fn cjk_tokens(raw: &str, f: &mut dyn FnMut(&str, bool)) {
    let chars: Vec<char> = raw.nfkc().collect();
    if chars.len() == 1 {
        f(&chars[0].to_string(), false);
    }
    for pair in chars.windows(2) {
        f(&pair.iter().collect::<String>(), false);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Class {
    Other,
    Word,
    Sep,
    Cjk,
}

/// [`class`] of each ASCII character, looked up instead of worked out: most text is ASCII.
const ASCII_CLASSES: [Class; 128] = {
    let mut classes = [Class::Other; 128];
    let mut byte = 0;
    while byte < 128 {
        let c = byte as u8 as char;
        classes[byte] = if c.is_ascii_alphanumeric() || c == '_' {
            Class::Word
        } else if is_sep(c) {
            Class::Sep
        } else {
            Class::Other
        };
        byte += 1;
    }
    classes
};

fn class(c: char) -> Class {
    if c.is_ascii() {
        ASCII_CLASSES[c as usize]
    } else if is_cjk(c) {
        Class::Cjk
    } else if c.is_alphanumeric() {
        Class::Word
    } else {
        Class::Other
    }
}

/// Calls `f(start, end, is_cjk)` with the byte range of each span of `text`, in one pass: a word
/// span continues over separators only when a word character follows them.
fn raw_spans(text: &str, mut f: impl FnMut(usize, usize, bool)) {
    let (mut word, mut word_end, mut cjk) = (None, 0, None);
    let bytes = text.as_bytes();
    let mut next = 0;
    while next < bytes.len() {
        let i = next;
        let (class, len) = match bytes[i] {
            byte @ 0..0x80 => (ASCII_CLASSES[usize::from(byte)], 1),
            _ => text[i..]
                .chars()
                .next()
                .map_or((Class::Other, 1), |c| (class(c), c.len_utf8())),
        };
        next = i + len;
        if class == Class::Cjk {
            if let Some(start) = word.take() {
                f(start, word_end, false);
            }
            cjk.get_or_insert(i);
            continue;
        }
        if let Some(start) = cjk.take() {
            f(start, i, true);
        }
        match class {
            Class::Word => {
                word.get_or_insert(i);
                // Most text is runs of ASCII word characters: the rest of the run is taken at
                // once, not a byte per turn of this loop (that was 4% of a build).
                while next < bytes.len() && is_ascii_word(bytes[next]) {
                    next += 1;
                }
                word_end = next;
            }
            Class::Sep => {}
            _ => {
                if let Some(start) = word.take() {
                    f(start, word_end, false);
                }
            }
        }
    }
    if let Some(start) = cjk {
        f(start, text.len(), true);
    }
    if let Some(start) = word {
        f(start, word_end, false);
    }
}

fn is_ascii_word(byte: u8) -> bool {
    byte.is_ascii() && ASCII_CLASSES[usize::from(byte)] == Class::Word
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

const fn is_sep(c: char) -> bool {
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
    fn cached_spans_give_the_tokens_of_a_first_sight() {
        let text =
            "s3:PutObject sixteen_chars_ab seventeen_chars_a a-much-longer-compound_span.name \
                    s3:PutObject buckets Buckets x-y the seventeenletters";
        let tokenizer = Tokenizer::default();
        let first = tokenizer.tokens(text);
        // Second time round every span, short (packed key) or long, comes from the cache.
        assert_eq!(tokenizer.tokens(text), first);
        assert_eq!(
            Tokenizer::default().tokens(&format!("{text} {text}")).len(),
            2 * first.len()
        );
        assert!(first
            .iter()
            .any(|t| t.term == "a-much-longer-compound_span.name"));
        assert!(first.iter().any(|t| t.term == "sixteen_chars_ab"));
        assert!(first.iter().any(|t| t.term == "seventeen_chars_a"));
    }

    #[test]
    fn short_span_keys_are_the_zero_padded_bytes() {
        let word = "abcdefghijklmnopq";
        for n in 0..=16 {
            let mut padded = [0u8; 16];
            padded[..n].copy_from_slice(&word.as_bytes()[..n]);
            let expected = (
                u64::from_le_bytes(padded[..8].try_into().unwrap()),
                u64::from_le_bytes(padded[8..].try_into().unwrap()),
            );
            assert_eq!(SpanCache::short_key(&word[..n]), Some(expected), "{n}");
        }
        assert_eq!(SpanCache::short_key(word), None);
    }

    #[test]
    fn overlong_tokens_are_dropped() {
        let long = "a".repeat(70);
        assert!(terms(&long).is_empty());
    }
}
