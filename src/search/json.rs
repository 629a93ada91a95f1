//! Part of the search-index stage: JSON strings for the index files, byte for byte as serde_json
//! writes them, but checked eight bytes at a time. The index is mostly strings (each note's text,
//! every term and its postings), and serde_json's byte-by-byte escaping was 3% of a build.

/// Appends `text` as a JSON string: quotes, `\"`, `\\`, `\b \f \n \r \t` and `\u00XX` for the other
/// control characters, everything else as is (what `serde_json::to_string(text)` gives).
pub fn push_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        if let Some(chunk) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            if !needs_escape(word) {
                at += 8;
                continue;
            }
        }
        let end = (at + 8).min(bytes.len());
        for (i, &byte) in bytes.iter().enumerate().take(end).skip(at) {
            if let Some(escape) = escape(byte) {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(escape.as_bytes());
                start = i + 1;
            }
        }
        at = end;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends `items` as a JSON array of strings.
pub fn push_str_array<'s>(out: &mut Vec<u8>, items: impl IntoIterator<Item = &'s str>) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, item);
    }
    out.push(b']');
}

/// Whether any of the eight bytes in `word` is below 0x20, `"` or `\`. Exact: the test for a
/// zero byte, `(x - 0x01…) & !x & 0x80…`, and the one for a byte below `n`, never miss.
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    (below_space | zero(quote) | zero(backslash)) != 0
}

/// The escape serde_json writes for `byte`, if it needs one.
fn escape(byte: u8) -> Option<&'static str> {
    const CONTROL: [&str; 32] = [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011",
        "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019",
        "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    ];
    match byte {
        b'"' => Some("\\\""),
        b'\\' => Some("\\\\"),
        0..0x20 => Some(CONTROL[usize::from(byte)]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut texts: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
        texts.extend(
            [
                "",
                "plain words, longer than eight bytes",
                "a\"b\\c\nd\te\r\u{8}\u{c}\u{1}\u{1f}\u{7f}",
                "ünïcödé “quotes” 日本語 \u{2028}\u{2029} 😀 \"end\\",
                "12345678\"12345678\\1234567\n",
            ]
            .map(String::from),
        );
        // Every position in and across eight-byte chunks.
        for at in 0..20 {
            texts.push(format!("{}\"{}", "x".repeat(at), "y".repeat(20 - at)));
            texts.push(format!("{}\u{3}é", "é".repeat(at)));
        }
        for text in &texts {
            let mut out = Vec::new();
            push_str(&mut out, text);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(text).unwrap(),
                "{text:?}"
            );
        }
        let mut out = Vec::new();
        push_str_array(&mut out, ["a", "b\"", ""]);
        assert_eq!(out, serde_json::to_vec(&["a", "b\"", ""]).unwrap());
    }

    #[test]
    fn every_byte_is_classed_exactly() {
        for byte in 0..=255u8 {
            for lane in 0..8 {
                let mut bytes = [b'a'; 8];
                bytes[lane] = byte;
                let word = u64::from_le_bytes(bytes);
                assert_eq!(
                    needs_escape(word),
                    escape(byte).is_some(),
                    "{byte:#x} at {lane}"
                );
            }
        }
    }
}
