//! Part of the parse stage: the sentence around a link (its backlink context) or the first one of a
//! note (its summary), whitespace collapsed and cut to a length a card can show.

/// The sentence of `text` that contains byte `offset`, its whitespace collapsed, trimmed to at most
/// ~240 characters. A sentence ends at `.`, `!` or `?` before a space or line break.
pub(super) fn sentence_at(text: &str, offset: usize) -> String {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let bytes = text.as_bytes();
    let ends_sentence =
        |punctuation: usize| matches!(bytes.get(punctuation + 1), Some(b' ' | b'\n'));
    // The last sentence end before `offset`, the first one from it. `memchr` finds the punctuation:
    // a table or list without any is one long block, scanned again for each of its links.
    let start = memchr::memrchr3_iter(b'.', b'!', b'?', &bytes[..offset.saturating_sub(1)])
        .find(|&p| ends_sentence(p))
        .map_or(0, |p| p + 2);
    let end = memchr::memchr3_iter(
        b'.',
        b'!',
        b'?',
        &bytes[offset..bytes.len().saturating_sub(1).max(offset)],
    )
    .map(|p| p + offset)
    .find(|&p| ends_sentence(p))
    .map_or(text.len(), |p| p + 1);
    collapse_whitespace(&text[start..end], 240)
}

/// `text`'s words joined by single spaces, cut to `max` characters (then ending in `…`): the
/// words after the cut are never copied.
fn collapse_whitespace(text: &str, max: usize) -> String {
    // At most `max` characters of up to 4 bytes, and the one that goes past the cut.
    let mut out = String::with_capacity(text.len().min(4 * max + 4));
    let mut chars = 0;
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        out.push_str(word);
        chars += word.chars().count();
        if chars > max {
            return truncate_chars(&out, max);
        }
    }
    out
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sentence as a plain scan finds it, whitespace collapsed by a whole split and join.
    fn sentence_by_scan(text: &str, offset: usize) -> String {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let is_end = |w: &[u8]| matches!(w, [b'.' | b'!' | b'?', b' ' | b'\n']);
        let bytes = text.as_bytes();
        let start = (1..offset)
            .rev()
            .find(|&i| is_end(&bytes[i - 1..=i]))
            .map_or(0, |i| i + 1);
        let end = (offset..bytes.len().saturating_sub(1))
            .find(|&i| is_end(&bytes[i..=i + 1]))
            .map_or(text.len(), |i| i + 1);
        let words: Vec<&str> = text[start..end].split_whitespace().collect();
        truncate_chars(&words.join(" "), 240)
    }

    #[test]
    fn the_sentence_around_an_offset_is_cut_at_sentence_ends_and_240_characters() {
        let long = "word ".repeat(100);
        let texts = [
            String::new(),
            "One. Two!  Three?\nFour.Five. Six".to_string(),
            "Ends with a stop.".to_string(),
            ". .. !? x. ".to_string(),
            format!("Before. {long}middle {long}after. Next."),
            format!("Über é. {}ü. Fin", "ñ ".repeat(150)),
        ];
        for text in &texts {
            for offset in (0..=text.len() + 1).step_by(3) {
                assert_eq!(
                    sentence_at(text, offset),
                    sentence_by_scan(text, offset),
                    "{text:?} at {offset}"
                );
            }
        }
        assert_eq!(sentence_at("One. Two!  Three?\nFour", 6), "Two!");
        let cut = sentence_at(&long, 10);
        assert_eq!(cut.chars().count(), 240);
        assert!(cut.ends_with("word…"), "{cut}");
    }
}
