//! Diagnostics: every problem any stage finds, with the file, line and column it comes from and a hint.
//!
//! Stages never print and never stop at the first problem: they push [`Diagnostic`]s into a
//! [`Diagnostics`] collector, and the command decides at the end how to show them and which exit code
//! they lead to.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How bad a problem is. `--strict` promotes warnings to errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// What kind of problem this is; stable names for `check --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    FrontMatter,
    Encoding,
    Io,
    SymlinkLoop,
    BrokenLink,
    BrokenFragment,
    AmbiguousLink,
    MissingImage,
    CorruptImage,
    OversizedImage,
    OcrUnavailable,
    UnsafePath,
    Template,
}

/// One problem found in the input. Cheap to clone: `serve` carries tens of thousands of link warnings
/// from one rebuild to the next, and copying their text every save cost more than the save.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic(Arc<DiagnosticData>);

/// What a [`Diagnostic`] says; reached through `Deref` (and copied on write through `DerefMut`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DiagnosticData {
    /// Path relative to the site root (or absolute when outside it).
    pub path: PathBuf,
    /// 1-based line, 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    pub severity: Severity,
    pub kind: Kind,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Deref for Diagnostic {
    type Target = DiagnosticData;
    fn deref(&self) -> &DiagnosticData {
        &self.0
    }
}

impl DerefMut for Diagnostic {
    fn deref_mut(&mut self) -> &mut DiagnosticData {
        Arc::make_mut(&mut self.0)
    }
}

impl fmt::Debug for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Diagnostic {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        DiagnosticData::deserialize(deserializer).map(|data| Diagnostic(Arc::new(data)))
    }
}

impl Diagnostic {
    pub fn new(
        kind: Kind,
        severity: Severity,
        path: impl Into<PathBuf>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic(Arc::new(DiagnosticData {
            path: path.into(),
            line: 0,
            column: 0,
            severity,
            kind,
            message: message.into(),
            hint: None,
        }))
    }

    pub fn error(kind: Kind, path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::new(kind, Severity::Error, path, message)
    }

    pub fn warning(kind: Kind, path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::new(kind, Severity::Warning, path, message)
    }

    pub fn at(mut self, position: Position) -> Self {
        self.line = position.line;
        self.column = position.column;
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Where this diagnostic lives: clones share it, so equal addresses mean equal diagnostics.
    pub fn address(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    /// `path:line:column` as editors and terminals understand it.
    pub fn location(&self) -> String {
        let path = self.path.display();
        match (self.line, self.column) {
            (0, _) => format!("{path}"),
            (line, 0) => format!("{path}:{line}"),
            (line, column) => format!("{path}:{line}:{column}"),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{}: {label}: {}", self.location(), self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Turns byte offsets into line/column positions for one file.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 40 + 1);
        line_starts.push(0);
        // `memchr` rather than `match_indices`: every note is indexed, and the generic char
        // search cost 1% of a build.
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { line_starts }
    }

    /// Position of a byte offset; the column counts characters, not bytes.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let end = offset.min(text.len());
        let column = text.get(start..end).map_or(1, |s| s.chars().count() + 1);
        Position { line, column }
    }
}

/// The collector stages push into.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }

    /// `--strict`: every warning becomes an error.
    pub fn promote_warnings(&mut self) {
        for d in &mut self.items {
            d.severity = Severity::Error;
        }
    }

    /// Sorted by path, line and column so output is stable and grouped per file.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            (&a.path, a.line, a.column, &a.message).cmp(&(&b.path, b.line, b.column, &b.message))
        });
        self.items.dedup();
        self.items
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Shortens `path` to be relative to `root` when it is inside it, for messages.
pub fn display_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a\nbé c\n\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(index.position(text, 2), Position { line: 2, column: 1 });
        // 'c' sits after a two-byte 'é': column counts characters.
        assert_eq!(index.position(text, 6), Position { line: 2, column: 4 });
        assert_eq!(index.position(text, 9), Position { line: 4, column: 1 });
    }

    #[test]
    fn diagnostics_sort_by_file_then_line_and_display_with_hint() {
        let mut all = Diagnostics::default();
        all.push(
            Diagnostic::warning(Kind::BrokenLink, "b.md", "late")
                .at(Position { line: 2, column: 1 }),
        );
        all.push(
            Diagnostic::error(Kind::FrontMatter, "a.md", "bad")
                .at(Position { line: 9, column: 0 })
                .with_hint("fix it"),
        );
        assert!(all.has_errors());
        let sorted = all.into_sorted();
        assert_eq!(sorted[0].to_string(), "a.md:9: error: bad\n  hint: fix it");
        assert_eq!(sorted[1].location(), "b.md:2:1");
    }
}
