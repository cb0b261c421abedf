//! The one way out: every byte agentlock prints passes through a [`Sink`].
//!
//! Whatever a renderer, an error message or a note built, and whichever strings of the
//! repository it quoted (names, paths, values, tags), the sink makes sure of three things before
//! anything reaches a terminal or a CI log:
//!
//! 1. **No credential.** Every value the secret scanner found in any file this run read is
//!    replaced by its redacted form wherever it occurs, also as each output format escapes it
//!    (JSON, XML, a GitHub annotation, a Markdown cell); then the scanner runs over the output
//!    itself and redacts what it finds, so a token that reached the output some other way (a
//!    file name, a tag, another revision's lockfile) is caught too.
//! 2. **No terminal control.** Control characters (ESC, BEL, a lone CR, C1 controls) and
//!    invisible or bidirectional-control characters are written escaped (`\u{1b}`), in a form
//!    valid for the format (`\u001b` inside JSON strings, `&#x1B;` in XML). Only the colour
//!    sequences agentlock's own human output uses pass, and only when colour is on.
//! 3. **No workflow command.** A line that would start a GitHub Actions workflow command
//!    (`::name …::` at its start, `##[name]` anywhere) is broken with a zero-width space, unless
//!    agentlock itself wrote it as one ([`Sink::command`], the annotations of `--format github`).
//!
//! A new command or format cannot forget any of this: it has no other way to write.

use std::borrow::Cow;
use std::io::{self, Write};

/// How text is escaped: what is valid where a raw character would be replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Human, Markdown, GitHub and plain text: `\u{1b}`.
    Text,
    /// JSON and SARIF: a raw non-ASCII control can only be inside a string; `\u001b`.
    Json,
    /// JUnit XML: `&#x1B;`.
    Xml,
}

/// A writer that redacts, escapes and neutralizes everything written to it (see the module
/// docs). Text is processed as a whole when it is flushed (at [`Sink::finish`], on drop, or at
/// [`Sink::command`]), so a value split across `write` calls is still found.
pub struct Sink<'a> {
    inner: &'a mut dyn Write,
    mode: Mode,
    /// Whether SGR colour sequences (`ESC [ … m`) may pass.
    colors: bool,
    pending: Vec<u8>,
}

impl<'a> Sink<'a> {
    pub fn new(inner: &'a mut dyn Write, mode: Mode, colors: bool) -> Sink<'a> {
        Sink {
            inner,
            mode,
            colors,
            pending: Vec::new(),
        }
    }

    /// Workflow commands agentlock itself writes (the annotations of `--format github`): they
    /// are redacted and escaped, but left able to start a command. Their data and properties
    /// must already be escaped with the workflow-command escapes, so nothing in them can
    /// start a line of its own.
    pub fn command(&mut self, text: &str) {
        self.flush_pending();
        let text = clean(text, Mode::Text, false, Neutralize::LegacyOnly);
        let _ = self.inner.write_all(text.as_bytes());
    }

    /// Writes what is pending and flushes the inner writer.
    pub fn finish(&mut self) {
        self.flush_pending();
        let _ = self.inner.flush();
    }

    fn flush_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.pending);
        let text = String::from_utf8_lossy(&bytes);
        let text = clean(&text, self.mode, self.colors, Neutralize::All);
        let _ = self.inner.write_all(text.as_bytes());
    }
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // text is processed whole, at finish
    }
}

impl Drop for Sink<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Which workflow commands are broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Neutralize {
    /// `::` at a line's start and `##[` anywhere.
    All,
    /// `##[` only: for agentlock's own `::` commands, whose data may quote a name.
    LegacyOnly,
}

/// The three steps of the module docs, on one text.
pub fn clean(text: &str, mode: Mode, colors: bool, neutralize: Neutralize) -> String {
    let text = redact(text, mode);
    let text = escape_controls(&text, mode, colors);
    neutralize_commands(&text, neutralize).into_owned()
}

/// Every known credential (and each escaped form of it) and every credential the scanner finds,
/// replaced by its redacted form.
pub fn redact(text: &str, mode: Mode) -> Cow<'_, str> {
    let scrubber = crate::secrets::known::scrubber(mode as u8, |known| {
        crate::secrets::known::Scrubber::new(known.iter().flat_map(|(value, redacted)| {
            // As a graph's node identifier writes it (`xoxb_1372…`), replaced by the
            // identifier of the redacted form, so the graph stays valid.
            let id = (
                crate::graph::id_form(value),
                crate::graph::id_form(redacted),
            );
            escaped_forms(value, mode)
                .into_iter()
                .filter(|form| form.len() >= 2)
                .map(move |form| (form, redacted.clone()))
                .chain((id.0.len() >= 8).then_some(id))
        }))
    });
    let out = scrubber.scrub(text);
    match crate::secrets::redact_found(&out) {
        Cow::Borrowed(_) => out,
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// A credential as each output format may have written it.
fn escaped_forms(value: &str, mode: Mode) -> Vec<String> {
    use crate::report::{github, junit, markdown};
    let mut forms = vec![value.to_string()];
    // As a JSON or YAML file writes it inside a string (results files quote model output):
    // a snippet of such a file shows this form, whatever the report's format.
    if value.contains(['\n', '"', '\\', '\t', '\r']) {
        let json = serde_json::to_string(value).unwrap_or_default();
        forms.push(json[1..json.len().saturating_sub(1).max(1)].to_string());
    }
    match mode {
        Mode::Json => {
            let json = serde_json::to_string(value).unwrap_or_default();
            forms.push(json[1..json.len().saturating_sub(1).max(1)].to_string());
        }
        Mode::Xml => forms.push(junit::xml(value)),
        Mode::Text => {
            forms.push(github::escape_data(value));
            forms.push(github::escape_property(value));
            forms.push(markdown::cell(value));
        }
    }
    // A multi-line value (a PEM body) is also caught line by line.
    forms.extend(
        value
            .lines()
            .filter(|l| l.trim().len() >= 8 && l.len() < value.len())
            .map(str::to_string),
    );
    forms
}

/// Whether a character is shown escaped.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || crate::source::is_invisible(c)
}

/// Whether any character needs an escape, looking at bytes first: an ASCII control is one
/// byte, and every non-ASCII control or invisible character starts with one of five lead
/// bytes (most text, miette's box drawing included, has none of them or only E2 of the box
/// drawing block, which is not decoded).
fn any_escape(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, &c)| match c {
        b'\n' | b'\t' => false,
        0..0x20 | 0x7F => true,
        // C1 controls and U+00AD; U+061C; U+200B…U+206F; U+FEFF; U+E0000…
        0xC2 | 0xD8 | 0xEF | 0xF3 => true,
        0xE2 => matches!(b.get(i + 1), Some(0x80 | 0x81)),
        _ => false,
    }) && text.chars().any(needs_escape)
}

/// Control and invisible characters escaped for the format; SGR colour sequences kept when
/// `colors` is on.
pub fn escape_controls(text: &str, mode: Mode, colors: bool) -> Cow<'_, str> {
    if !any_escape(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        if c == '\u{1b}' && colors && mode == Mode::Text {
            let rest = &text[i + 1..];
            if let Some(len) = sgr_len(rest) {
                out.push_str(&text[i..i + 1 + len]);
                for _ in 0..len {
                    chars.next();
                }
                continue;
            }
        }
        // CRLF from a renderer is a line break like LF.
        if c == '\r' && chars.peek().is_some_and(|(_, n)| *n == '\n') {
            continue;
        }
        let code = c as u32;
        match mode {
            Mode::Text => out.push_str(&format!("\\u{{{code:x}}}")),
            Mode::Json => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            Mode::Xml => {
                // XML 1.0 cannot hold C0 controls even as references: they are dropped.
                if code >= 0x20 {
                    out.push_str(&format!("&#x{code:X};"));
                }
            }
        }
    }
    Cow::Owned(out)
}

/// The length of an SGR sequence after ESC: `[` digits and `;` then `m`.
fn sgr_len(rest: &str) -> Option<usize> {
    let b = rest.as_bytes();
    if b.first() != Some(&b'[') {
        return None;
    }
    let end = b[1..]
        .iter()
        .position(|&c| !(c.is_ascii_digit() || c == b';'))?;
    (b[1 + end] == b'm').then_some(end + 2)
}

/// Lines that would start a workflow command, broken: `::` at the start of a line (after
/// blanks) gets a zero-width space between its colons; `##[` anywhere gets one before `[`.
pub fn neutralize_commands(text: &str, which: Neutralize) -> Cow<'_, str> {
    if !text.contains("::") && !text.contains("##[") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive('\n') {
        let line = line.replace("##[", "##\u{200B}[");
        let blank = line.len() - line.trim_start().len();
        if which == Neutralize::All && line[blank..].starts_with("::") {
            out.push_str(&line[..blank + 1]);
            out.push('\u{200B}');
            out.push_str(&line[blank + 1..]);
        } else {
            out.push_str(&line);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_per_format() {
        let t = "a\u{1b}[2Jb\u{7}c\u{202e}d\re\r\nf\tg\n";
        assert_eq!(
            escape_controls(t, Mode::Text, false),
            "a\\u{1b}[2Jb\\u{7}c\\u{202e}d\\u{d}e\nf\tg\n"
        );
        assert_eq!(
            escape_controls("x\u{9b}y\u{1b}z", Mode::Json, false),
            "x\\u009by\\u001bz"
        );
        assert_eq!(
            escape_controls("x\u{9b}y\u{7}z", Mode::Xml, false),
            "x&#x9B;yz"
        );
        // colour passes only as SGR, only when on
        let red = "\u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{7}";
        assert_eq!(
            escape_controls(red, Mode::Text, true),
            "\u{1b}[31mred\u{1b}[0m \\u{1b}]0;title\\u{7}"
        );
        assert!(matches!(
            escape_controls("plain ü", Mode::Text, false),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn workflow_commands_cannot_start_a_line() {
        let t = "ok\n::error file=x::pwned\n  ::add-mask::x\nsee ::this\nx ##[set-env name=A]1\n";
        let n = neutralize_commands(t, Neutralize::All);
        for line in n.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line}");
            assert!(!line.contains("##["), "{line}");
        }
        assert!(n.contains("see ::this"));
    }

    #[test]
    fn the_sink_redacts_known_values_in_every_escaped_form() {
        let value = "hunter2-correct-horse\"battery:staple";
        crate::secrets::known::remember(value, "…aple");
        for (mode, text) in [
            (Mode::Text, value.to_string()),
            (Mode::Json, serde_json::to_string(value).unwrap()),
            (Mode::Xml, crate::report::junit::xml(value)),
            (Mode::Text, crate::report::github::escape_property(value)),
        ] {
            let mut buf = Vec::new();
            {
                let mut sink = Sink::new(&mut buf, mode, false);
                let _ = write!(sink, "before {text} after");
            }
            let s = String::from_utf8(buf).unwrap();
            assert!(!s.contains("hunter2"), "{mode:?}: {s}");
            assert!(s.contains("…aple"), "{s}");
        }
    }

    #[test]
    fn the_sink_redacts_what_the_scanner_finds() {
        let token = "ghp_R8kWq3ZtY6vB1nM4xC7pL2sD9fG5hJ0aQe3T";
        let mut buf = Vec::new();
        {
            let mut sink = Sink::new(&mut buf, Mode::Text, false);
            let _ = writeln!(sink, "prompts/{token}.prompt:1:1: a file name");
            sink.command(&format!("::error file=prompts/{token}.prompt::x\n"));
        }
        let s = String::from_utf8(buf).unwrap();
        assert!(!s.contains(token), "{s}");
        assert!(s.contains("ghp_…Qe3T"), "{s}");
        assert!(s.contains("\n::error file="), "{s}");
    }
}
