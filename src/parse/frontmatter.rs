//! Front matter: splits a note into its TOML (`+++`) or YAML (`---`) header and its Markdown body, and
//! reads the header into a typed [`FrontMatter`]. Errors carry the line they come from.

use serde_json::{Map, Value};

/// The keys a note's front matter may set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `topics`, or its alias `tags`.
    pub topics: Vec<String>,
    /// `YYYY-MM-DD` (a longer date-time is cut to its date).
    pub date: Option<String>,
    pub updated: Option<String>,
    pub draft: bool,
    /// Kept out of every output.
    pub private: bool,
    pub aliases: Vec<String>,
    pub weight: Option<i64>,
}

/// A problem in the front matter; `line` is 1-based within the whole file.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontMatterIssue {
    pub line: usize,
    pub message: String,
    pub hint: Option<String>,
    /// Errors make the note unusable; warnings (unknown keys) do not.
    pub fatal: bool,
}

/// Result of splitting a file.
#[derive(Debug)]
pub struct Split {
    pub front: FrontMatter,
    /// Byte offset of `body` in the file.
    pub body_offset: usize,
    pub issues: Vec<FrontMatterIssue>,
}

#[derive(Clone, Copy)]
enum Format {
    Toml,
    Yaml,
}

const KNOWN_KEYS: &[&str] = &[
    "title",
    "description",
    "topics",
    "tags",
    "date",
    "updated",
    "draft",
    "private",
    "aliases",
    "weight",
];

/// Splits `text` (BOM already removed) into front matter and body.
pub fn split(text: &str) -> Split {
    let Some((format, header, header_start, body_offset)) = find_header(text) else {
        return Split {
            front: FrontMatter::default(),
            body_offset: 0,
            issues: Vec::new(),
        };
    };
    let first_line = line_of(text, header_start);
    let mut issues = Vec::new();
    let front = match to_json(format, header) {
        Ok(map) => read_fields(&map, header, first_line, &mut issues),
        Err((line, message)) => {
            let hint = match format {
                Format::Toml => "TOML front matter sits between two `+++` lines: key = \"value\"",
                Format::Yaml => "YAML front matter sits between two `---` lines: key: value",
            };
            issues.push(FrontMatterIssue {
                line: first_line + line.saturating_sub(1),
                message: format!("invalid front matter: {message}"),
                hint: Some(hint.into()),
                fatal: true,
            });
            FrontMatter::default()
        }
    };
    Split {
        front,
        body_offset,
        issues,
    }
}

/// Finds `+++`/`---` delimited front matter: (format, header text, header offset, body offset).
fn find_header(text: &str) -> Option<(Format, &str, usize, usize)> {
    let (format, fence) = if text.starts_with("+++") {
        (Format::Toml, "+++")
    } else if text.starts_with("---") {
        (Format::Yaml, "---")
    } else {
        return None;
    };
    let first_end = text.find('\n')?;
    if text[..first_end].trim_end() != fence {
        return None;
    }
    let header_start = first_end + 1;
    let mut offset = header_start;
    for line in text[header_start..].split_inclusive('\n') {
        if line.trim_end() == fence {
            return Some((
                format,
                &text[header_start..offset],
                header_start,
                offset + line.len(),
            ));
        }
        offset += line.len();
    }
    None
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// Parses the header into a JSON map; errors give the line within the header.
fn to_json(format: Format, header: &str) -> Result<Map<String, Value>, (usize, String)> {
    let value = match format {
        Format::Toml => {
            let table: toml::Table = toml::from_str(header).map_err(|e| {
                let line = e
                    .span()
                    .map_or(1, |s| line_of(header, s.start.min(header.len())));
                (line, e.message().trim().to_string())
            })?;
            toml_to_json(toml::Value::Table(table))
        }
        Format::Yaml => {
            if header.trim().is_empty() {
                return Ok(Map::new());
            }
            let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(header).map_err(|e| {
                let line = e.location().map_or(1, |l| l.line());
                // The library appends its own position ("at line 3 column 6", counted within the
                // header); ours, counted from the top of the file, replaces it.
                let message = e.to_string();
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_string();
                (line, message)
            })?;
            serde_json::to_value(&value).map_err(|e| (1, e.to_string()))?
        }
    };
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err((1, "expected `key: value` pairs".into())),
    }
}

fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Reads each known key with a type check; a wrong type is an error on the key's line.
fn read_fields(
    map: &Map<String, Value>,
    header: &str,
    first_line: usize,
    issues: &mut Vec<FrontMatterIssue>,
) -> FrontMatter {
    let mut fields = Fields {
        map,
        header,
        first_line,
        issues,
    };
    let mut topics = fields.list("topics");
    topics.extend(fields.list("tags"));
    let front = FrontMatter {
        title: fields.string("title"),
        description: fields.string("description"),
        topics,
        date: fields.date("date"),
        updated: fields.date("updated"),
        draft: fields.boolean("draft"),
        private: fields.boolean("private"),
        aliases: fields.list("aliases"),
        weight: fields.integer("weight"),
    };
    for key in map.keys().filter(|k| !KNOWN_KEYS.contains(&k.as_str())) {
        let line = fields.line_of_key(key);
        fields.issues.push(FrontMatterIssue {
            line,
            message: format!("unknown front matter key `{key}` (ignored)"),
            hint: Some(format!("known keys: {}", KNOWN_KEYS.join(", "))),
            fatal: false,
        });
    }
    front
}

struct Fields<'a> {
    map: &'a Map<String, Value>,
    header: &'a str,
    first_line: usize,
    issues: &'a mut Vec<FrontMatterIssue>,
}

impl Fields<'_> {
    fn line_of_key(&self, key: &str) -> usize {
        let index = self.header.lines().position(|line| {
            let line = line.trim_start();
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with([':', '=']))
        });
        self.first_line + index.unwrap_or(0)
    }

    fn wrong_type(&mut self, key: &str, expected: &str) {
        let line = self.line_of_key(key);
        self.issues.push(FrontMatterIssue {
            line,
            message: format!("front matter key `{key}` must be {expected}"),
            hint: None,
            fatal: true,
        });
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.map.get(key)? {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Null => None,
            _ => {
                self.wrong_type(key, "a string");
                None
            }
        }
    }

    /// A list of strings, or one string with comma-separated values (`tags: aws, iam`).
    fn list(&mut self, key: &str) -> Vec<String> {
        let items: Vec<String> = match self.map.get(key) {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::String(s)) => s.split(',').map(str::to_string).collect(),
            Some(Value::Array(items)) if items.iter().all(|v| v.is_string() || v.is_number()) => {
                items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect()
            }
            Some(_) => {
                self.wrong_type(key, "a list of strings");
                return Vec::new();
            }
        };
        items
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    fn boolean(&mut self, key: &str) -> bool {
        match self.map.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.wrong_type(key, "true or false");
                false
            }
        }
    }

    fn integer(&mut self, key: &str) -> Option<i64> {
        match self.map.get(key)? {
            Value::Number(n) if n.is_i64() => n.as_i64(),
            Value::Null => None,
            _ => {
                self.wrong_type(key, "a whole number");
                None
            }
        }
    }

    /// Accepts `2024-05-01`, `2024-05-01T10:00:00Z` and TOML dates; keeps the date part.
    fn date(&mut self, key: &str) -> Option<String> {
        let text = self.string(key)?;
        let date = text.get(..10).unwrap_or("");
        let valid = date.len() == 10
            && date.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if valid {
            Some(date.to_string())
        } else {
            self.wrong_type(key, "a date like 2024-05-31");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_front_matter_with_tags_alias_and_dates() {
        let text = "---\ntitle: IAM\ntags: [aws, Security]\ndate: 2024-03-01T10:00:00Z\nweight: 3\n---\n# Body\n";
        let split = split(text);
        assert!(split.issues.is_empty(), "{:?}", split.issues);
        assert_eq!(split.front.title.as_deref(), Some("IAM"));
        assert_eq!(split.front.topics, ["aws", "Security"]);
        assert_eq!(split.front.date.as_deref(), Some("2024-03-01"));
        assert_eq!(split.front.weight, Some(3));
        assert_eq!(&text[split.body_offset..], "# Body\n");
        assert_eq!(split.body_offset, text.len() - 7);
    }

    #[test]
    fn toml_front_matter_with_native_date_and_comma_topics() {
        let text = "+++\ntitle = \"S3\"\ntopics = \"aws, storage\"\nupdated = 2024-06-02\ndraft = true\n+++\nbody";
        let split = split(text);
        assert!(split.issues.is_empty(), "{:?}", split.issues);
        assert_eq!(split.front.topics, ["aws", "storage"]);
        assert_eq!(split.front.updated.as_deref(), Some("2024-06-02"));
        assert!(split.front.draft);
        assert_eq!(&text[split.body_offset..], "body");
    }

    #[test]
    fn syntax_error_reports_the_file_line() {
        // The broken line is the file's 3rd line.
        let split = split("---\ntitle: ok\ntopics: [unclosed\n---\nbody\n");
        let issue = &split.issues[0];
        assert!(issue.fatal);
        assert!((3..=4).contains(&issue.line), "line {}", issue.line);
        assert!(issue.message.starts_with("invalid front matter"));
    }

    #[test]
    fn wrong_type_and_unknown_key_name_their_line() {
        let split = split("+++\ntitle = \"x\"\ndraft = \"yes\"\ntopcis = [\"a\"]\n+++\n");
        let draft = split
            .issues
            .iter()
            .find(|i| i.message.contains("`draft`"))
            .unwrap();
        assert_eq!((draft.line, draft.fatal), (3, true));
        let unknown = split
            .issues
            .iter()
            .find(|i| i.message.contains("`topcis`"))
            .unwrap();
        assert_eq!((unknown.line, unknown.fatal), (4, false));
    }

    #[test]
    fn text_without_front_matter_or_unclosed_fence_is_all_body() {
        assert_eq!(split("# Title\ntext").body_offset, 0);
        let unclosed = split("---\nnot front matter");
        assert_eq!(unclosed.body_offset, 0);
        assert!(unclosed.issues.is_empty());
        // A thematic break made of more dashes is not a fence.
        assert_eq!(split("-----\nx\n-----\n").body_offset, 0);
    }
}
