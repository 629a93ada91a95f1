//! Part of the link-graph stage: the likely typo behind a broken reference, for the "did you mean"
//! hints of broken links and fragments.

use rapidfuzz::common::WithScoreCutoff;
use rapidfuzz::distance::levenshtein::{self, BatchComparator};
use rayon::prelude::*;

/// The names, each once, sorted by length for [`closest`].
pub fn by_length<'n>(names: impl Iterator<Item = &'n String>) -> Vec<Name> {
    let mut names: Vec<Name> = names.map(|name| Name::new(name)).collect();
    names.sort_by_key(|n| n.chars.len());
    names
}

/// [`best_match`] over `names` (lower case, from [`by_length`]), comparing only names whose length
/// is within the distance limit: a 10k-note site has 30,000 names, and each broken link was
/// compared with all of them.
pub fn closest(names: &[Name], stem: &str) -> Option<String> {
    let wanted = Name::new(stem);
    let len = wanted.chars.len();
    let limit = typo_limit(len);
    let from = names.partition_point(|n| n.chars.len() + limit < len);
    let to = names.partition_point(|n| n.chars.len() <= len + limit);
    let distance = Distance::new(&wanted.chars, limit);
    // In parallel: a long name is compared with thousands of others (1.4 ms), and one note with
    // many broken links (60 in the AWS corpus's access_policies_examples.md, 85 ms) otherwise
    // kept one thread busy while the other had run out of notes. The minimum of (distance, name)
    // does not depend on the order.
    names[from..to]
        .par_iter()
        .with_min_len(512)
        .filter(|name| name.bag_distance(&wanted) <= limit)
        .filter_map(|name| distance.to(&name.chars).map(|d| (d, &name.chars)))
        .min()
        .map(|(_, name)| name.iter().collect())
}

/// The candidate closest to `wanted` by edit distance, if it is close enough to be a likely typo.
/// Ties go to the alphabetically first candidate.
pub fn best_match<'b>(wanted: &str, candidates: impl Iterator<Item = &'b str>) -> Option<&'b str> {
    let wanted: Vec<char> = wanted.to_lowercase().chars().collect();
    let limit = typo_limit(wanted.len());
    let distance = Distance::new(&wanted, limit);
    let mut lower = String::new();
    candidates
        .filter_map(|c| {
            // The distance is at least the difference in length, which rules out most of a
            // note's headings before their characters are collected (lower-casing keeps an
            // ASCII name's length; other names are compared in full).
            if c.is_ascii() && c.len().abs_diff(wanted.len()) > limit {
                return None;
            }
            let c_lower = if is_lowercase(c) {
                c
            } else {
                lower = c.to_lowercase();
                &lower
            };
            let c_chars: Vec<char> = c_lower.chars().collect();
            distance.to(&c_chars).map(|d| (d, c))
        })
        .min()
        .map(|(_, c)| c)
}

/// A note name to compare broken references with: its characters, and how many of them fall in
/// each of 64 classes, which bound the edit distance cheaply.
#[derive(Debug)]
pub struct Name {
    chars: Vec<char>,
    bag: [u8; 64],
}

impl Name {
    fn new(name: &str) -> Name {
        let chars: Vec<char> = name.chars().collect();
        let mut bag = [0u8; 64];
        for &c in &chars {
            let class = &mut bag[c as usize % 64];
            *class = class.saturating_add(1);
        }
        Name { chars, bag }
    }

    /// A lower bound of the edit distance to `other`: each edit changes the class counts by at
    /// most one surplus on each side. Most names of a site fail a typo's limit on this alone, so
    /// the edit distance is worked out for few (suggestions were 3% of a 10k-note build).
    /// Merged classes and capped counts only make the bound lower, never wrong.
    fn bag_distance(&self, other: &Name) -> usize {
        let (mut more, mut fewer) = (0usize, 0usize);
        for (&a, &b) in self.bag.iter().zip(&other.bag) {
            more += usize::from(a.saturating_sub(b));
            fewer += usize::from(b.saturating_sub(a));
        }
        more.max(fewer)
    }
}

/// How many edits still make a likely typo of a name `chars` long.
fn typo_limit(chars: usize) -> usize {
    (chars / 3).max(2)
}

/// Levenshtein distance (in chars) from one wanted name to many candidates, when at most `limit`.
/// rapidfuzz's bit-parallel algorithm with the wanted name's table built once: a broken link is
/// compared with every note name (30,000 on a 10k-note site), and a filled-in table per pair took
/// up to 60 ms per long name.
struct Distance {
    wanted: BatchComparator<char>,
    args: levenshtein::Args<usize, WithScoreCutoff<usize>>,
}

impl Distance {
    fn new(wanted: &[char], limit: usize) -> Distance {
        Distance {
            wanted: BatchComparator::new(wanted.iter().copied()),
            args: levenshtein::Args::default().score_cutoff(limit),
        }
    }

    fn to(&self, candidate: &[char]) -> Option<usize> {
        self.wanted
            .distance_with_args(candidate.iter().copied(), &self.args)
    }
}

/// Whether `to_lowercase` would return `s` unchanged (checked without allocating).
fn is_lowercase(s: &str) -> bool {
    if s.is_ascii() {
        return !s.bytes().any(|b| b.is_ascii_uppercase());
    }
    s.chars().all(|c| {
        let mut lower = c.to_lowercase();
        lower.next() == Some(c) && lower.next().is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_distance_and_its_lower_bound_agree_with_strsim() {
        let words = [
            "",
            "a",
            "iam",
            "lamda",
            "lambda",
            "aws cli",
            "policies",
            "polices",
            "éclair",
            "ÉCLAIR",
            "reference_policies_evaluation-logic",
            "reference_policies_elements",
            "kitten",
            "sitting",
        ];
        for a in words {
            let chars: Vec<char> = a.chars().collect();
            for b in words {
                let full = strsim::levenshtein(a, b);
                let bound = Name::new(a).bag_distance(&Name::new(b));
                assert!(bound <= full, "{a} {b}: bound {bound} over {full}");
                let b_chars: Vec<char> = b.chars().collect();
                for limit in 0..8 {
                    let expected = (full <= limit).then_some(full);
                    assert_eq!(
                        Distance::new(&chars, limit).to(&b_chars),
                        expected,
                        "{a} {b} {limit}"
                    );
                }
            }
        }
    }

    #[test]
    fn best_match_accepts_typos_only() {
        let names = ["iam", "aws cli", "lambda"];
        assert_eq!(best_match("lamda", names.iter().copied()), Some("lambda"));
        assert_eq!(best_match("kubernetes", names.iter().copied()), None);
    }
}
