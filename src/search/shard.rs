//! The index's wire format: term-range shards of compact postings, a small meta table, per-note
//! fragments. Each part is one file, `search/<key>.js`, holding `__notesiteSearch("<key>",<json>);`.
//! A `.json` twin of every part, as notesite wrote before, doubled the file count (30,600 files at
//! 10k notes instead of 20,300) and the upload, for nothing the `.js` file can't serve:
//!
//! - From file://, where fetch is blocked, `theme/search.js` loads the part through `<script>`: the
//!   file calls the loader with its data.
//! - Over HTTP it fetches the same file as text and parses the JSON between the known prefix and
//!   suffix (`unwrap` there). Injecting `<script>` there too would also work, but fetch keeps what
//!   the `.json` files had: `meta` is fetched with `cache: 'no-cache'`, so the browser revalidates
//!   it rather than pairing a stale shard table (S3 serves it with `max-age=300`) with a newer
//!   build's shards, which a `<script>` tag cannot ask for; an HTTP error, or an HTML error page
//!   served with 200, is seen for what it is; no global callback per part. It is also no
//!   slower: in headless Chromium on loopback, 10k-note index, median of 7, fetch + unwrap took
//!   22 ms for a cold query's 13 parts, 83 ms for 50 fragments, 420 ms for all 303 shards, against
//!   30, 99 and 515 ms through `<script>` and 25, 83 and 411 ms for fetching `.json` as before.
//!
//! Postings of a term are one string: for each document in id order, the gap from the previous id
//! as a base-32 varint (digits `0`–`v` end a number, `w`–`_` continue it, least significant first),
//! then one digit (1–63) for the quantized impact. Terms are sorted by UTF-16 code units, the order
//! JavaScript compares strings in, so the browser can binary-search them.

use serde::Serialize;

/// 64 characters that need no escaping in JSON or JavaScript strings.
const DIGITS: &[u8; 64] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";

/// Version of the format, checked by `theme/search.js`.
pub const FORMAT: u32 = 1;

/// Appends the postings `(doc, impact)` (doc ids ascending) to `out`.
pub fn encode_postings(postings: &[(u32, u8)], out: &mut String) {
    let mut prev = 0;
    for &(doc, impact) in postings {
        varint(doc - prev, out);
        out.push(DIGITS[usize::from(impact & 63)] as char);
        prev = doc;
    }
}

fn varint(mut value: u32, out: &mut String) {
    loop {
        let digit = (value & 31) as usize;
        value >>= 5;
        if value == 0 {
            out.push(DIGITS[digit] as char);
            return;
        }
        out.push(DIGITS[digit | 32] as char);
    }
}

/// Decodes what [`encode_postings`] wrote (the browser does the same in `theme/search.js`).
#[cfg(test)]
pub fn decode_postings(text: &str) -> Vec<(u32, u8)> {
    let value = |c: u8| DIGITS.iter().position(|&d| d == c).unwrap() as u32;
    let (mut out, mut doc, mut gap, mut shift) = (Vec::new(), 0, 0, 0);
    let mut bytes = text.bytes();
    while let Some(c) = bytes.next() {
        let v = value(c);
        gap |= (v & 31) << shift;
        shift += 5;
        if v < 32 {
            doc += gap;
            let impact = value(bytes.next().unwrap()) as u8;
            out.push((doc, impact));
            (gap, shift) = (0, 0);
        }
    }
    out
}

/// One term-range shard, borrowing its terms and encoded postings from the index.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Shard<'a> {
    /// Terms, sorted.
    pub t: Vec<&'a str>,
    /// Encoded postings, one string per term.
    pub p: Vec<&'a str>,
}

impl Shard<'_> {
    /// The shard's JSON, as serde_json writes it (by hand around [`super::json::push_str`]: terms
    /// and postings are most of the index's bytes).
    pub fn to_json(&self) -> Vec<u8> {
        let bytes: usize = self.t.iter().chain(&self.p).map(|s| s.len() + 3).sum();
        let mut json = Vec::with_capacity(bytes + 16);
        json.extend_from_slice(b"{\"t\":");
        super::json::push_str_array(&mut json, self.t.iter().copied());
        json.extend_from_slice(b",\"p\":");
        super::json::push_str_array(&mut json, self.p.iter().copied());
        json.push(b'}');
        json
    }
}

/// A shard holds at least this many bytes of JSON before a term may end it...
pub const MIN_SHARD: usize = 8 * 1024;
/// ...then each term ends it with a chance of its size over this many bytes, so shards hold about
/// the same bytes whatever their terms weigh (16–17 KB of JSON on average with the cap below, ~8 KB
/// gzipped at 1k notes; a larger cap made cold queries at 1k load up to 8 KB more)...
pub const EXTRA_SHARD: u64 = 10 * 1024;
/// ...and a term that would take it past this many bytes starts the next one.
pub const MAX_SHARD: usize = 24 * 1024;

/// The bytes a term and its postings take in a shard's JSON (quotes and commas included).
pub fn term_bytes(term: &str, postings: &str) -> usize {
    term.len() + 3 + postings.len() + 3
}

/// A term's fixed mark for [`cut`]: the same for the same term in every build, on every machine.
/// FNV-1a over the bytes, then MurmurHash3's 64-bit finalizer so every bit of the mark depends on
/// every byte: written out here, so no dependency's update can move the shard boundaries (which
/// would make `publish` upload every shard again). It replaces BLAKE3, whose set-up for inputs
/// this short was 0.7% of a build (a mark is made for every distinct term).
pub fn mark(term: &str) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in term.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^= hash >> 33;
    (hash >> 32) as u32
}

/// Cuts a sorted run of terms, each given as `(bytes, mark)`, into shards (ranges of the run); a
/// term is never split, and an empty run gives one empty shard.
///
/// Boundaries are content-defined: whether a term ends a shard depends on the term (its [`mark`]
/// against its size) and on the bytes since the last boundary, never on a running total from the
/// first term. An edit that grows or shrinks a few posting lists then moves no boundary outside
/// the shards holding those terms (and at most the next one), so every other shard keeps its bytes
/// and `serve` and `publish` leave its files alone. Cutting by cumulative size, as before, moved
/// every later boundary whenever one list grew.
pub fn cut<T>(items: &[T], measure: impl Fn(&T) -> (usize, u32)) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let (size, mark) = measure(item);
        if i > start && bytes + size > MAX_SHARD {
            ranges.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
        // `mark / 2^32 < size / EXTRA_SHARD`, in integers.
        if bytes >= MIN_SHARD && u64::from(mark) * EXTRA_SHARD < (size as u64) << 32 {
            ranges.push(start..i + 1);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < items.len() || ranges.is_empty() {
        ranges.push(start..items.len());
    }
    ranges
}

/// What the browser loads first: enough to know which shard holds a term.
#[derive(Debug, Serialize)]
pub struct Meta {
    /// Format version.
    pub v: u32,
    /// Build id, appended to shard and fragment URLs so caches never mix two builds.
    pub b: String,
    /// Number of documents.
    pub n: usize,
    /// Whether English stemming is on.
    pub stem: bool,
    /// First term of each shard.
    pub s: Vec<String>,
}

/// The file of the index part at `key` (`meta`, `t/3`, `f/12`): its output path and bytes.
pub fn part(key: &str, value: &impl Serialize) -> (String, Vec<u8>) {
    let json = serde_json::to_vec(value).expect("index parts serialize");
    (path(key), wrap(key, &json))
}

/// The output path of the part at `key`.
pub fn path(key: &str) -> String {
    format!("search/{key}.js")
}

/// The file of the part at `key` whose JSON is `json`: `__notesiteSearch("<key>",<json>);\n`.
/// `theme/search.js` (`unwrap`) reads it back by these exact bytes around the JSON. Keys are ASCII
/// letters, digits and `/`, which JSON strings hold as they are.
pub fn wrap(key: &str, json: &[u8]) -> Vec<u8> {
    wrap_into(key, json.len(), |file| file.extend_from_slice(json)).0
}

/// [`wrap`] for JSON that `write_json` writes straight into the file (about `json_len` bytes)
/// rather than into a buffer of its own; also returns where the JSON sits in the file.
pub fn wrap_into(
    key: &str,
    json_len: usize,
    write_json: impl FnOnce(&mut Vec<u8>),
) -> (Vec<u8>, std::ops::Range<usize>) {
    const HEAD: &[u8] = b"__notesiteSearch(\"";
    let mut js = Vec::with_capacity(HEAD.len() + key.len() + 2 + json_len + WRAP_TAIL.len());
    js.extend_from_slice(HEAD);
    js.extend_from_slice(key.as_bytes());
    js.extend_from_slice(b"\",");
    let start = js.len();
    write_json(&mut js);
    let json = start..js.len();
    js.extend_from_slice(WRAP_TAIL);
    // Files are kept until the build ends (a fragment each, most of the index): no spare room.
    // When the guess was close this keeps the block it has.
    js.shrink_to_fit();
    (js, json)
}

/// What [`wrap`] puts after the JSON.
pub const WRAP_TAIL: &[u8] = b");\n";

/// The digest of a part's file that the build id is made of. The file names its key, so a part
/// that moves to another key (a shard renumbered, a fragment whose doc id shifted) gets a new one.
pub fn digest(file: &[u8]) -> blake3::Hash {
    blake3::hash(file)
}

/// Compares terms the way JavaScript compares strings (by UTF-16 code units).
///
/// UTF-8 bytes sort like code points, and code points like UTF-16 units except where a character
/// above U+FFFF (lead byte F0–F4, surrogates D800–DFFF in UTF-16) meets one of U+E000–U+FFFF (lead
/// byte EE or EF): only there are the units compared. Sorting the search index's terms by
/// re-encoding every pair was 1% of a build.
pub fn utf16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let same = x.iter().zip(y).take_while(|(p, q)| p == q).count();
    match (x.get(same), y.get(same)) {
        // After an equal prefix both bytes lead a character or both continue one (continuation
        // bytes are below C0), so a byte of EE or more on each side is two lead bytes.
        (Some(&p), Some(&q)) if p >= 0xEE && q >= 0xEE => a.encode_utf16().cmp(b.encode_utf16()),
        (Some(p), Some(q)) => p.cmp(q),
        _ => x.len().cmp(&y.len()),
    }
}

/// Sorts terms the way JavaScript compares strings.
#[cfg(test)]
pub fn sort_utf16<K: AsRef<str>, T>(items: &mut [(K, T)]) {
    items.sort_unstable_by(|a, b| utf16_cmp(a.0.as_ref(), b.0.as_ref()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_is_written_as_serde_json_writes_it() {
        for shard in [
            Shard::default(),
            Shard {
                t: vec!["a", "b\"c", "日本"],
                p: vec!["0_", "x\\y", ""],
            },
        ] {
            assert_eq!(shard.to_json(), serde_json::to_vec(&shard).unwrap());
        }
    }

    #[test]
    fn postings_round_trip() {
        let postings = vec![
            (0, 63),
            (1, 1),
            (31, 20),
            (32, 5),
            (5000, 40),
            (1_000_000, 9),
        ];
        let mut text = String::new();
        encode_postings(&postings, &mut text);
        assert_eq!(&text[..4], "0_11");
        assert_eq!(decode_postings(&text), postings);
    }

    #[test]
    fn shards_end_at_content_defined_boundaries() {
        let terms: Vec<(String, usize)> = (0..5000)
            .map(|i| (format!("term{i:04}"), 20 + (i * 37) % 400))
            .collect();
        let measure = |(t, n): &(String, usize)| (*n, mark(t));
        let ranges = cut(&terms, measure);
        let size = |r: &std::ops::Range<usize>| terms[r.clone()].iter().map(|t| t.1).sum::<usize>();
        assert!(ranges.len() > 10);
        assert_eq!(ranges.iter().map(|r| r.len()).sum::<usize>(), terms.len());
        assert!(ranges.iter().all(|r| !r.is_empty() && size(r) <= MAX_SHARD));
        let mean = ranges.iter().map(size).sum::<usize>() / ranges.len();
        assert!((MIN_SHARD..MAX_SHARD).contains(&mean), "{mean}");
        // Growing one term's postings moves no boundary far from it.
        let mut grown = terms.clone();
        grown[2500].1 += 3000;
        let after = cut(&grown, measure);
        let moved = ranges.iter().filter(|r| !after.contains(r)).count();
        assert!(moved <= 3, "{moved} shards changed");
        // A term larger than the maximum gets a shard of its own; no terms, one empty shard.
        let big = [(MAX_SHARD * 2, u32::MAX), (10, u32::MAX)];
        assert_eq!(cut(&big, |&t| t), [0..1, 1..2]);
        assert_eq!(cut(&[] as &[(usize, u32)], |&t| t), vec![0..0]);
    }

    #[test]
    fn marks_are_fixed_and_spread() {
        // Fixed: these values are part of the output's shard boundaries.
        assert_eq!(mark(""), 0xefd0_1f60);
        assert_eq!(mark("bucket"), 0x2a17_1d9e);
        // Spread: about half of the marks of similar terms have any given bit set.
        let marks: Vec<u32> = (0..4096).map(|i| mark(&format!("term{i}"))).collect();
        for bit in 0..32 {
            let set = marks.iter().filter(|&&m| (m >> bit) & 1 == 1).count();
            assert!((1800..2300).contains(&set), "bit {bit}: {set} of 4096");
        }
    }

    #[test]
    fn utf16_cmp_agrees_with_comparing_utf16_units() {
        let words = [
            "",
            "a",
            "ab",
            "abc",
            "b",
            "é",
            "e\u{301}",
            "\u{FF}",
            "\u{7FF}",
            "\u{800}",
            "\u{D7FF}",
            "\u{E000}",
            "\u{F900}",
            "\u{FFFD}",
            "\u{FFFF}",
            "\u{10000}",
            "\u{1F600}",
            "\u{20000}",
            "x\u{F900}",
            "x\u{20000}",
            "x\u{1F600}y",
            "x\u{FFFF}",
            "日本",
            "日本語",
        ];
        for a in words {
            for b in words {
                let units = a.encode_utf16().cmp(b.encode_utf16());
                assert_eq!(utf16_cmp(a, b), units, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn utf16_order_puts_astral_characters_after_the_bmp() {
        let mut terms = vec![("\u{20000}".to_string(), ()), ("\u{F900}".to_string(), ())];
        sort_utf16(&mut terms);
        assert_eq!(
            terms[0].0, "\u{20000}",
            "surrogates (D800) sort before F900 in UTF-16"
        );
    }

    #[test]
    fn a_part_is_one_script_that_calls_the_loader_with_its_json() {
        let value = serde_json::json!({"t": ["a"], "p": ["0_"]});
        let (path, js) = part("t/3", &value);
        assert_eq!(path, "search/t/3.js");
        let js = String::from_utf8(js).unwrap();
        assert_eq!(js, format!("__notesiteSearch(\"t/3\",{value});\n"));
        // What theme/search.js does over HTTP: the JSON between the known prefix and suffix.
        let payload = js
            .strip_prefix("__notesiteSearch(\"t/3\",")
            .and_then(|rest| rest.strip_suffix(");\n"))
            .unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(payload).unwrap(),
            value
        );
    }
}
