//! Part of the parse stage: counts each note's words for the related-notes ranking. Counting here,
//! once per parse, means the link graph only merges counts, and `serve` re-counts just the notes that
//! changed.

use std::hash::BuildHasher;

use rustc_hash::FxHashMap as HashMap;

/// How often each word occurs in a note (title counted three times): lower-case words of three or
/// more letters, numbers and stop words left out. Words are identified by a 64-bit hash, so the
/// link graph merges the millions of terms of a large site by number instead of by string; two words
/// with the same hash (odds about 1 in 10^8 even among a million distinct words) would count as one
/// in the ranking, never be shown as a fact. Stored as parallel arrays sorted by hash: the merge reads
/// only `hashes` and `counts`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TermCounts {
    /// Shared: the related-notes index keeps each note's hashes until the next build.
    pub hashes: std::sync::Arc<[u64]>,
    pub counts: Vec<u32>,
    /// The words in hash order, one after another (one allocation per note, not one per word);
    /// word `i` ends at `ends[i]`.
    text: String,
    ends: Vec<u32>,
}

/// Fixed seeds: the same word has the same hash in every note, build and run.
fn hasher() -> foldhash::quality::FixedState {
    foldhash::quality::FixedState::with_seed(0x6e6f_7465_7369_7465)
}

/// A word while counting: its hash, count and place in the scratch text.
struct Counted {
    hash: u64,
    count: u32,
    start: u32,
    len: u32,
}

impl TermCounts {
    pub fn count(title: &str, body_text: &str) -> TermCounts {
        let hasher = hasher();
        // About one distinct term per 40 bytes of technical prose: sized once, not regrown.
        let expected = (title.len() + body_text.len()) / 40;
        let mut index: HashMap<u64, usize> =
            HashMap::with_capacity_and_hasher(expected, Default::default());
        let mut counted: Vec<Counted> = Vec::with_capacity(expected);
        let mut seen = String::new();
        let mut lower = String::new();
        let title = std::iter::repeat_n(title, 3);
        for text in title.chain(std::iter::once(body_text)) {
            for_each_word(text, |word, kinds| {
                let Some(term) = lower_case_term(word, kinds, &mut lower) else {
                    return;
                };
                let hash = hasher.hash_one(term);
                let slot = *index.entry(hash).or_insert_with(|| {
                    counted.push(Counted {
                        hash,
                        count: 0,
                        start: seen.len() as u32,
                        len: term.len() as u32,
                    });
                    seen.push_str(term);
                    counted.len() - 1
                });
                counted[slot].count += 1;
            });
        }
        counted.sort_unstable_by_key(|c| c.hash);
        let mut counts = TermCounts {
            hashes: counted.iter().map(|c| c.hash).collect::<Vec<_>>().into(),
            counts: counted.iter().map(|c| c.count).collect(),
            text: String::with_capacity(seen.len()),
            ends: Vec::with_capacity(counted.len()),
        };
        for c in &counted {
            let start = c.start as usize;
            counts.text.push_str(&seen[start..start + c.len as usize]);
            counts.ends.push(counts.text.len() as u32);
        }
        counts
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The lower-cased word of term `i`.
    pub fn text(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// How often `word` (already lower-case) occurs.
    pub fn get(&self, word: &str) -> Option<u32> {
        let i = self.hashes.binary_search(&hasher().hash_one(word)).ok()?;
        Some(self.counts[i])
    }
}

/// Calls `f` with each run of alphanumeric characters in `text` (as
/// `text.split(|c: char| !c.is_alphanumeric())` gives them, minus the empty ones) and the
/// [`ByteKinds`] of its bytes. ASCII bytes (nearly all of technical prose) are classed by a table
/// instead of being decoded as `char`s first, and classed once: splitting and then testing each
/// word's bytes again took half of the counting.
fn for_each_word<'t>(text: &'t str, mut f: impl FnMut(&'t str, ByteKinds)) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if BYTE_KIND[usize::from(bytes[at])] == SEPARATOR {
            at += 1;
            continue;
        }
        let start = at;
        let mut kinds = 0;
        // Eight ASCII bytes at a time while the word goes on; the byte loop below takes its end.
        while let Some(chunk) = bytes.get(at..at + 8) {
            let (run, chunk_kinds) =
                ascii_word_prefix(u64::from_le_bytes(chunk.try_into().unwrap()));
            kinds |= chunk_kinds;
            at += run;
            if run < 8 {
                break;
            }
        }
        while let Some(&byte) = bytes.get(at) {
            match BYTE_KIND[usize::from(byte)] {
                SEPARATOR => break,
                NOT_ASCII => {
                    let c = text[at..].chars().next().expect("`at` is a char boundary");
                    if !c.is_alphanumeric() {
                        break;
                    }
                    kinds |= NOT_ASCII;
                    at += c.len_utf8();
                }
                kind => {
                    kinds |= kind;
                    at += 1;
                }
            }
        }
        if at == start {
            // A separator that is not ASCII.
            at += text[at..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        f(&text[start..at], kinds);
    }
}

/// How many of the eight bytes of `chunk` (little-endian: its first byte lowest) are ASCII letters
/// and digits before the first byte that is not, and their [`ByteKinds`]. Each byte is classed by
/// range tests on all eight at once: the high bit of each byte of a sum says whether that byte
/// passed, and no sum carries into the next byte because the high bits are cleared first.
fn ascii_word_prefix(chunk: u64) -> (usize, ByteKinds) {
    const EACH: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x80 * EACH;
    let low7 = chunk & !HIGH;
    // Letters: with bit 0x20 set, A–Z fall on a–z and no other byte does.
    let folded = low7 | (0x20 * EACH);
    let letter = (folded + (0x80 - b'a' as u64) * EACH) & !(folded + (0x7f - b'z' as u64) * EACH);
    let digit = (low7 + (0x80 - b'0' as u64) * EACH) & !(low7 + (0x7f - b'9' as u64) * EACH);
    let word = (letter | digit) & !chunk & HIGH;
    let stop = !word & HIGH;
    // The bits below the first byte that is not a word byte (all of them when every byte is).
    let run_bits = (stop & stop.wrapping_neg()).wrapping_sub(1);
    // Bit 0x20 (lower case) moved up to each byte's high bit.
    let lower_case = low7 << 2;
    let kind = |mask: u64, kind: ByteKinds| if mask & run_bits != 0 { kind } else { 0 };
    let kinds = kind(letter & lower_case & HIGH, LOWER)
        | kind(letter & !lower_case & HIGH, UPPER)
        | kind(digit & HIGH, DIGIT);
    ((stop.trailing_zeros() / 8) as usize, kinds)
}

/// The kinds of bytes a word holds, or-ed together.
type ByteKinds = u8;
const SEPARATOR: ByteKinds = 0;
const LOWER: ByteKinds = 1;
const UPPER: ByteKinds = 2;
const DIGIT: ByteKinds = 4;
const NOT_ASCII: ByteKinds = 8;

/// Each byte's kind for [`for_each_word`]: one table load instead of range tests per byte.
const BYTE_KIND: [ByteKinds; 256] = {
    let mut kinds = [NOT_ASCII; 256];
    let mut byte: u8 = 0;
    while byte < 128 {
        kinds[byte as usize] = match byte {
            b'a'..=b'z' => LOWER,
            b'A'..=b'Z' => UPPER,
            b'0'..=b'9' => DIGIT,
            _ => SEPARATOR,
        };
        byte += 1;
    }
    kinds
};

/// `word` lower-cased (in `lower` when that changes it), or `None` when it is not a term (short,
/// a number, a stop word). `kinds`: what [`for_each_word`] saw in it.
fn lower_case_term<'w>(word: &'w str, kinds: ByteKinds, lower: &'w mut String) -> Option<&'w str> {
    let term = if kinds & NOT_ASCII == 0 {
        // Most words are ASCII, and most of those lower case already: used as they are.
        if word.len() < 3 || kinds == DIGIT {
            return None;
        }
        if kinds & UPPER != 0 {
            lower.clear();
            lower.push_str(word);
            lower.make_ascii_lowercase();
            lower.as_str()
        } else {
            word
        }
    } else {
        if word.chars().count() < 3 {
            return None;
        }
        lower.clear();
        lower.extend(word.chars().flat_map(char::to_lowercase));
        lower.as_str()
    };
    (!is_stop_word(term)).then_some(term)
}

/// Whether `word` (lower-case) is a stop word. Compared as numbers in a hash table: this runs for
/// every word of every note, and a binary search (over `&str`, then over the numbers) took 3%, then
/// 1% of a 10k build, most of it in branches that do not predict.
fn is_stop_word(word: &str) -> bool {
    // Most terms are longer than any stop word: the length check spares them the lookup.
    if word.len() > STOP_WORD_MAX_LEN {
        return false;
    }
    let key = pack_word(word.as_bytes());
    let mut slot = stop_word_slot(key);
    loop {
        match STOP_WORD_TABLE[slot] {
            0 => return false,
            k if k == key => return true,
            _ => slot = (slot + 1) % STOP_WORD_TABLE.len(),
        }
    }
}

/// Where a packed word's search in [`STOP_WORD_TABLE`] starts.
const fn stop_word_slot(key: u64) -> usize {
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize
}

/// [`STOP_WORDS`] packed by [`pack_word`] in an open-addressing table (a quarter full, so a lookup
/// reads one or two slots); 0 marks a free slot, which no packed word is.
const STOP_WORD_TABLE: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < STOP_WORDS.len() {
        let key = pack_word(STOP_WORDS[i].as_bytes());
        let mut slot = stop_word_slot(key);
        while table[slot] != 0 {
            slot = (slot + 1) % 256;
        }
        table[slot] = key;
        i += 1;
    }
    table
};

/// The length in bytes of the longest stop word (at most 8, the bytes of a `u64`).
const STOP_WORD_MAX_LEN: usize = 6;

/// A short word as a number, first byte highest and zeros after it, so the numbers sort as the
/// words do.
const fn pack_word(bytes: &[u8]) -> u64 {
    let mut key = 0u64;
    let mut i = 0;
    while i < 8 {
        key <<= 8;
        if i < bytes.len() {
            key |= bytes[i] as u64;
        }
        i += 1;
    }
    key
}

/// Sorted, so a missing or repeated word is easy to see.
const STOP_WORDS: &[&str] = &[
    "about", "after", "all", "also", "and", "any", "are", "been", "before", "being", "but", "can",
    "could", "did", "does", "doing", "each", "for", "from", "has", "have", "her", "here", "how",
    "into", "it's", "its", "just", "like", "made", "make", "may", "more", "must", "not", "one",
    "only", "other", "our", "out", "over", "should", "some", "such", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "those", "under", "use", "used",
    "using", "very", "was", "were", "what", "when", "where", "which", "while", "who", "will",
    "with", "would", "you", "your",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_and_each_is_found() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            STOP_WORDS.iter().map(|w| w.len()).max(),
            Some(STOP_WORD_MAX_LEN)
        );
        for word in STOP_WORDS {
            assert!(is_stop_word(word), "{word}");
        }
        for word in ["ab", "abou", "aboutx", "yours", "zzz", "withe", "policy"] {
            assert!(!is_stop_word(word), "{word}");
        }
    }

    #[test]
    fn words_are_the_alphanumeric_runs_of_a_split() {
        let texts = [
            "",
            "word",
            "  two words, then-more!",
            "s3:GetObject arn:aws:s3:::bucket/*",
            "über straße ÉCLAIR 東京タワー ٣٤ x²",
            "trailing ",
            "émoji 🎉 mid🎉word",
            "2024 v2 IPv6 Ü2",
            "Authentication-requestsThatSpanEightBytes AWSAccountID12345 ünderwaterÜberschrift",
            "abcdefgé hijklmnopqrst🎉uvwxyzABCDEFGH IJKLMNO9 0123456789",
        ];
        // Every ASCII byte inside and at the ends of long words, at every offset in a chunk.
        let every_byte: Vec<String> = (1u8..128)
            .map(|b| {
                let c = char::from(b);
                format!("{c}abcdefghij{c}KLMNOPQRSTU{c}{c}0123456789x{c}a{c}ab{c}abcdefgh{c}")
            })
            .collect();
        for text in texts
            .iter()
            .copied()
            .chain(every_byte.iter().map(String::as_str))
        {
            let expected: Vec<&str> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            let mut words = Vec::new();
            for_each_word(text, |w, kinds| {
                assert_eq!(kinds & NOT_ASCII == 0, w.is_ascii(), "{w}");
                assert_eq!(
                    kinds & UPPER != 0,
                    w.bytes().any(|b| b.is_ascii_uppercase())
                );
                assert_eq!(kinds == DIGIT, w.bytes().all(|b| b.is_ascii_digit()), "{w}");
                assert_eq!(
                    kinds & LOWER != 0,
                    w.bytes().any(|b| b.is_ascii_lowercase()),
                    "{w}"
                );
                assert_eq!(
                    kinds & DIGIT != 0,
                    w.bytes().any(|b| b.is_ascii_digit()),
                    "{w}"
                );
                words.push(w)
            });
            assert_eq!(words, expected, "{text}");
        }
    }

    #[test]
    fn lower_case_and_skip_short_words_numbers_and_stop_words() {
        let counts = TermCounts::count(
            "Bucket",
            "The Bucket bucket BUCKETS 2024 ok über Über é, and policy",
        );
        assert_eq!(counts.get("bucket"), Some(5), "title counts three times");
        assert_eq!(counts.get("buckets"), Some(1));
        assert_eq!(counts.get("über"), Some(2));
        assert_eq!(counts.get("policy"), Some(1));
        for gone in ["the", "and", "2024", "ok", "é"] {
            assert_eq!(counts.get(gone), None, "{gone}");
        }
        assert!(counts.hashes.windows(2).all(|w| w[0] < w[1]));
        let words: Vec<&str> = (0..counts.len()).map(|i| counts.text(i)).collect();
        assert_eq!(words.len(), 4);
        for word in ["bucket", "buckets", "über", "policy"] {
            assert!(words.contains(&word), "{word} in {words:?}");
        }
    }
}
