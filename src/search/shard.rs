//! The index's wire format: term-range shards of compact postings, a small meta table, per-note
//! fragments, each as `.json` (fetched over HTTP) and as a `.js` twin (loaded by `<script>` from
//! file://, where fetch is blocked).
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

/// One term-range shard.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Shard {
    /// Terms, sorted.
    pub t: Vec<String>,
    /// Encoded postings, one string per term.
    pub p: Vec<String>,
}

impl Shard {
    fn bytes(&self) -> usize {
        self.t.iter().map(|t| t.len() + 3).sum::<usize>()
            + self.p.iter().map(|p| p.len() + 3).sum::<usize>()
    }
}

/// Cuts sorted `(term, postings)` into shards of about `target` bytes; a term is never split.
pub fn cut(terms: Vec<(String, String)>, target: usize) -> Vec<Shard> {
    let mut shards = vec![Shard::default()];
    for (term, postings) in terms {
        let current = shards.last_mut().expect("one shard");
        if !current.t.is_empty() && current.bytes() + term.len() + postings.len() > target {
            shards.push(Shard::default());
        }
        let current = shards.last_mut().expect("one shard");
        current.t.push(term);
        current.p.push(postings);
    }
    shards
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

/// The `.json` file and its `.js` twin for the index part at `key` (`meta`, `t/3`, `f/12`).
pub fn twins(key: &str, value: &impl Serialize) -> [(String, Vec<u8>); 2] {
    let json = serde_json::to_string(value).expect("index parts serialize");
    let js = format!("__notesiteSearch({},{json});\n", serde_json::json!(key));
    [
        (format!("search/{key}.json"), json.into_bytes()),
        (format!("search/{key}.js"), js.into_bytes()),
    ]
}

/// Sorts terms the way JavaScript compares strings.
pub fn sort_utf16<K: AsRef<str>, T>(items: &mut [(K, T)]) {
    items.sort_unstable_by(|a, b| a.0.as_ref().encode_utf16().cmp(b.0.as_ref().encode_utf16()));
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn shards_cut_between_terms_near_the_target() {
        let terms: Vec<_> = (0..100)
            .map(|i| (format!("term{i:03}"), "0a".repeat(10)))
            .collect();
        let shards = cut(terms, 300);
        assert!(shards.len() > 5);
        assert!(shards.iter().all(|s| s.bytes() <= 300 && !s.t.is_empty()));
        assert_eq!(shards.iter().map(|s| s.t.len()).sum::<usize>(), 100);
        // A term larger than the target gets a shard of its own.
        let big = cut(
            vec![("a".into(), "x".repeat(1000)), ("b".into(), "y".into())],
            300,
        );
        assert_eq!(big.len(), 2);
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
    fn js_twin_calls_the_loader_with_the_same_data() {
        let [(json_path, json), (js_path, js)] = twins("t/3", &serde_json::json!({"t": ["a"]}));
        assert_eq!(
            (json_path.as_str(), js_path.as_str()),
            ("search/t/3.json", "search/t/3.js")
        );
        assert_eq!(
            String::from_utf8(js).unwrap(),
            format!(
                "__notesiteSearch(\"t/3\",{});\n",
                String::from_utf8(json).unwrap()
            )
        );
    }
}
