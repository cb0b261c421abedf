//! Source files held in memory, and spans into them.
//!
//! Every value a rule may point at carries a [`Span`]: a file id and a byte range. Line and
//! column are computed only when a finding is rendered.

use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end.max(start as usize)).unwrap_or(u32::MAX);
        Span { file, start, end }
    }

    /// A zero-length span at the start of a file: used for findings about a whole file.
    pub fn file_start(file: FileId) -> Self {
        Span {
            file,
            start: 0,
            end: 0,
        }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// A file's text, shared. Made from a `String` without copying it (an `Arc<str>` would copy
/// every byte, and a 150 MB results file would briefly be held twice).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(Arc<String>);

impl Text {
    /// The shared string itself, for a renderer that takes an `Arc`.
    pub fn shared(&self) -> Arc<String> {
        Arc::clone(&self.0)
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Arc::new(s))
    }
}

impl From<std::borrow::Cow<'_, str>> for Text {
    fn from(s: std::borrow::Cow<'_, str>) -> Self {
        Text(Arc::new(s.into_owned()))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(Arc::new(s.to_string()))
    }
}

/// One file of the repository as loaded from a snapshot.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    /// The text, or `None` when the file could not be read as UTF-8 text.
    pub text: Option<Text>,
    /// The path as reports show it: on one line, with control and invisible characters
    /// escaped ([`shown_path`]).
    pub shown: String,
    /// Where each line starts, found the first time a line is asked for: most files are read,
    /// hashed and checked without any finding, and never need them.
    line_starts: std::sync::OnceLock<Vec<u32>>,
}

impl SourceFile {
    pub fn new(path: String, text: Option<Text>) -> Self {
        SourceFile {
            shown: shown_path(&path).into_owned(),
            path,
            text,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| match &self.text {
            Some(t) => std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', t.as_bytes()).map(|i| (i + 1) as u32))
                .collect(),
            None => vec![0],
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let starts = self.line_starts();
        let line = match starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = starts[line] as usize;
        let col = match &self.text {
            Some(t) => {
                let end = (offset as usize).min(t.len());
                t.get(start..end).map_or(end - start, |s| s.chars().count())
            }
            None => offset as usize - start,
        };
        (line + 1, col + 1)
    }

    /// How many characters a 1-based line has (0 past the end).
    pub fn line_chars(&self, line: usize) -> usize {
        let starts = self.line_starts();
        let (Some(text), Some(&start)) = (&self.text, starts.get(line.wrapping_sub(1))) else {
            return 0;
        };
        let end = starts.get(line).map_or(text.len(), |&e| e as usize);
        text.get(start as usize..end)
            .map_or(0, |l| l.chars().count())
    }

    /// Byte offset of a 1-based line and column (in characters).
    pub fn offset_of(&self, line: usize, col: usize) -> usize {
        let Some(text) = &self.text else { return 0 };
        let Some(&start) = self.line_starts().get(line.saturating_sub(1)) else {
            return text.len();
        };
        let rest = &text[start as usize..];
        let within = rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i);
        start as usize + within
    }
}

/// All files that were loaded, addressable by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// The id the next file added will have.
    pub fn next_id(&self) -> FileId {
        FileId(self.files.len() as u32)
    }

    pub fn add(&mut self, path: String, text: Option<Text>) -> FileId {
        let id = self.next_id();
        self.files.push(SourceFile::new(path, text));
        id
    }

    /// Gives a file read without keeping its text (a trace file) the starts of its lines, so
    /// findings in it say their line; columns are then counted in bytes.
    pub fn set_lines(&mut self, id: FileId, line_starts: Vec<u32>) {
        let file = &mut self.files[id.0 as usize];
        if file.text.is_none() && line_starts.first() == Some(&0) {
            file.line_starts = std::sync::OnceLock::from(line_starts);
        }
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Replaces the bytes of `ranges` in a file's text with `*` (see [`mask_ranges`]), so no
    /// report can show them. Every span and line stays where it was.
    pub fn mask(&mut self, id: FileId, ranges: &[std::ops::Range<usize>]) {
        let file = &mut self.files[id.0 as usize];
        if let Some(text) = &file.text {
            file.text = Some(mask_ranges(text, ranges).into());
        }
    }

    pub fn find(&self, path: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileId(i as u32))
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// Line and column just past a span's end (1-based; the column exclusive, as SARIF's
    /// `endColumn`).
    pub fn locate_end(&self, span: Span) -> (usize, usize) {
        self.get(span.file).line_col(span.end.max(span.start))
    }

    /// Path (as shown), line and column of a span's start.
    pub fn locate(&self, span: Span) -> (&str, usize, usize) {
        let file = self.get(span.file);
        let (line, col) = file.line_col(span.start);
        (&file.shown, line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_round_trip() {
        let f = SourceFile::new("a".into(), Some("ab\ncdé\n\nx".into()));
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(6), (2, 4)); // after the two-byte é
        assert_eq!(f.line_col(8), (3, 1));
        assert_eq!(f.offset_of(2, 4), 7);
        assert_eq!(f.offset_of(4, 1), 9);
    }
}

/// `text` with the bytes of each range (ordered, not overlapping) replaced by `*`, one per
/// byte, line breaks kept: the same length and the same lines.
pub fn mask_ranges(text: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in ranges {
        if r.start < at
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            continue;
        }
        out.push_str(&text[at..r.start]);
        for c in text[r.start..r.end].chars() {
            match c {
                '\n' | '\r' => out.push(c),
                _ => out.extend(std::iter::repeat_n('*', c.len_utf8())),
            }
        }
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Invisible and bidirectional-control characters: they make the text a reader sees differ
/// from the text a program (or a model) reads.
pub fn is_invisible(c: char) -> bool {
    matches!(c as u32, 0xAD | 0x061C | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF | 0xE0000..=0xE007F)
}

/// The text with each invisible or bidi-control character replaced by a visible one of the
/// same UTF-8 length (`¤`, `�`, `?�`), so every byte span still points at the same place and
/// a terminal shows what is there instead of reordering or hiding it.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    // A control character (ESC, BEL; not a tab or a line break) would drive the terminal: it
    // is shown as `?` (or `¤` for a two-byte C1 control), the same length.
    let control = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if !text.chars().any(|c| is_invisible(c) || control(c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if control(c) {
            out.push_str(if c.len_utf8() == 1 { "?" } else { "\u{A4}" });
        } else if is_invisible(c) {
            out.push_str(match c.len_utf8() {
                2 => "\u{A4}",
                3 => "\u{FFFD}",
                _ => "?\u{FFFD}",
            });
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod printable_tests {
    use super::*;

    #[test]
    fn keeps_byte_lengths_and_shows_hidden_characters() {
        for text in [
            "plain",
            "a\u{200B}b",
            "x\u{202E}y\u{2066}",
            "soft\u{AD}hy",
            "tag\u{E0041}",
        ] {
            let p = printable(text);
            assert_eq!(p.len(), text.len(), "{text:?}");
            assert!(!p.chars().any(is_invisible), "{p:?}");
        }
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
    }
}

/// A name from the repository (a file path, a tag) as one line of a report: control
/// characters (a newline too) and invisible characters written as `\u{…}`.
pub fn shown_path(text: &str) -> std::borrow::Cow<'_, str> {
    let odd = |c: char| c.is_control() || is_invisible(c);
    if !text.chars().any(odd) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if odd(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod shown_tests {
    #[test]
    fn names_are_shown_on_one_line() {
        assert_eq!(
            super::shown_path("prompts/a\n::error::x\u{1b}.prompt"),
            "prompts/a\\u{a}::error::x\\u{1b}.prompt"
        );
        assert!(matches!(
            super::shown_path("plain/ü.txt"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}

/// A value with the span it was read from.
#[derive(Clone, Debug)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }
}
