//! Human output: each finding rendered with miette like a compiler error, then a summary line.

use super::Summary;
use crate::finding::{Finding, Severity};
use crate::source::{SourceMap, Span};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan,
};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// One finding as a miette diagnostic.
struct View {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<Excerpts>>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for View {}

impl Diagnostic for View {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

fn source_span(span: Span, text_len: usize) -> SourceSpan {
    let start = (span.start as usize).min(text_len);
    let len = span
        .len()
        .max(usize::from(start < text_len))
        .min(text_len - start);
    SourceSpan::new(start.into(), len)
}

/// Each file's text as shown (invisible characters made visible), made once per report.
type Shown = HashMap<crate::source::FileId, Excerpts>;

/// A file's text as miette reads it for an excerpt, with its line starts: miette's own reader
/// walks the text from its first byte to the span, which made a report of many findings in
/// one file quadratic (10,000 agents: 49 s). This one hands miette the few lines around the
/// span, found by binary search, so each excerpt costs what it shows.
#[derive(Clone)]
struct Excerpts {
    text: Arc<String>,
    /// The byte offset of each line's first byte, lines ending as miette ends them (`\n`,
    /// `\r\n` or a lone `\r`).
    starts: Arc<Vec<usize>>,
}

thread_local! {
    /// Bytes handed to miette's reader over all excerpts, so a test can count the work a
    /// report does.
    static READ: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

impl Excerpts {
    fn new(text: Arc<String>) -> Excerpts {
        let b = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\r' if b.get(i + 1) == Some(&b'\n') => {
                    i += 1;
                    starts.push(i + 1);
                }
                b'\n' | b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        Excerpts {
            text,
            starts: Arc::new(starts),
        }
    }

    /// The line (from 0) holding a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }
}

impl miette::SourceCode for Excerpts {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let (offset, len) = (span.offset(), span.len());
        if offset > self.text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        let first = self.line_of(offset);
        let last = self.line_of((offset + len).saturating_sub(1).max(offset));
        // One line more either side than asked, so miette sees the same line breaks as it
        // would in the whole text.
        let from_line = first.saturating_sub(before + 1);
        let from = self.starts[from_line];
        let to = self
            .starts
            .get(last + after + 2)
            .copied()
            .unwrap_or(self.text.len());
        let window = &self.text[from..to];
        READ.with(|r| r.set(r.get() + window.len() as u64));
        let inner = SourceSpan::new((offset - from).into(), len);
        let c = window.read_span(&inner, before, after)?;
        Ok(Box::new(miette::MietteSpanContents::new(
            c.data(),
            SourceSpan::new((c.span().offset() + from).into(), c.span().len()),
            c.line() + from_line,
            c.column(),
            c.line_count() + from_line,
        )))
    }
}

/// The longest line an excerpt draws a label on, in characters, and the longest line it
/// shows around one. A longer line (a minified JSON manifest) is not drawn: the finding says
/// where it is and quotes a short piece around it instead. (miette cannot draw a label past
/// column 65,535 at all.)
pub const MAX_EXCERPT_LINE: usize = 1000;
const MAX_CONTEXT_LINE: usize = 10_000;

/// The first line an excerpt of these spans would show that is too long to draw, with its
/// length: a span's own lines over [`MAX_EXCERPT_LINE`], the lines of context either side over
/// [`MAX_CONTEXT_LINE`].
fn too_long(file: &crate::source::SourceFile, spans: &[Span]) -> Option<(usize, usize)> {
    spans.iter().find_map(|s| {
        let (first, _) = file.line_col(s.start);
        let (last, _) = file.line_col(s.end.max(s.start));
        let own = (first..=last).map(|l| (l, MAX_EXCERPT_LINE));
        let context = [
            (first.saturating_sub(1), MAX_CONTEXT_LINE),
            (last + 1, MAX_CONTEXT_LINE),
        ];
        own.chain(context)
            .filter(|(l, _)| *l >= 1)
            .map(|(l, max)| (l, file.line_chars(l), max))
            .find(|(_, n, max)| n > max)
            .map(|(l, n, _)| (l, n))
    })
}

/// About 60 characters of the text around a byte offset, on one line; a credential in it as
/// `*` ([`crate::secrets::mask_all`]), so that the cut cannot leave a piece of one.
fn snippet(text: &str, at: usize) -> String {
    let masked = crate::secrets::mask_all(text);
    let text = masked.as_ref();
    let at = (0..=at.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let before: String = text[line_start..at]
        .chars()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[at..line_end].chars().take(30).collect();
    let lead = if before.len() < at - line_start {
        "…"
    } else {
        ""
    };
    let tail = if after.len() < line_end - at {
        "…"
    } else {
        ""
    };
    let piece = format!("{lead}{before}{after}{tail}");
    crate::source::shown_path(&piece).into_owned()
}

fn view(f: &Finding, sources: &SourceMap, shown: &mut Shown) -> View {
    // Every credential redacted before the handler wraps the texts: a wrapped line
    // (`sk-ant-api03-` / the rest) is no token the output's own scan could find any more, and
    // values from no file this run read (a tag name, a trace attribute, a string a policy
    // built) have only that scan.
    let mut f = f.clone();
    f.message = crate::secrets::redact_all(&f.message);
    f.label = f.label.as_deref().map(crate::secrets::redact_all);
    f.help = f.help.as_deref().map(crate::secrets::redact_all);
    for l in &mut f.labels {
        l.text = crate::secrets::redact_all(&l.text);
    }
    let f = &f;
    let file = sources.get(f.span.file);
    let (_, line, col) = sources.locate(f.span);
    let mut help = f.help.clone();
    let mut labels = Vec::new();
    let same_file: Vec<Span> = std::iter::once(f.span)
        .chain(
            f.labels
                .iter()
                .map(|l| l.span)
                .filter(|s| s.file == f.span.file),
        )
        .collect();
    let long = file.text.as_ref().and(too_long(file, &same_file));
    let text = file.text.as_ref().filter(|_| long.is_none());
    if let (Some(t), Some((at, chars))) = (&file.text, long) {
        let piece = format!(
            "line {at} is too long to show ({chars} characters); at line {line}, column {col}: `{}`",
            snippet(t, f.span.start as usize)
        );
        help = Some(match help {
            Some(h) => format!("{h}\n{piece}"),
            None => piece,
        });
    }
    let source = text.map(|t| {
        let primary = f.label.clone().unwrap_or_else(|| "here".to_string());
        labels.push(LabeledSpan::new_primary_with_span(
            Some(primary),
            source_span(f.span, t.len()),
        ));
        let text = shown
            .entry(f.span.file)
            .or_insert_with(|| {
                Excerpts::new(match crate::source::printable(t) {
                    std::borrow::Cow::Borrowed(_) => t.shared(),
                    std::borrow::Cow::Owned(o) => Arc::new(o),
                })
            })
            .clone();
        NamedSource::new(file.shown.clone(), text).with_language("yaml")
    });
    let mut elsewhere = Vec::new();
    for l in &f.labels {
        match (text, l.span.file == f.span.file) {
            (Some(t), true) => labels.push(LabeledSpan::new_with_span(
                Some(l.text.clone()),
                source_span(l.span, t.len()),
            )),
            _ => {
                let (p, ln, c) = sources.locate(l.span);
                elsewhere.push(format!("{}: {p}:{ln}:{c}", l.text));
            }
        }
    }
    if !elsewhere.is_empty() {
        let extra = elsewhere.join("\n");
        help = Some(match help {
            Some(h) => format!("{h}\n{extra}"),
            None => extra,
        });
    }
    let message = if source.is_none() {
        format!("{} ({}:{line}:{col})", f.message, file.shown)
    } else {
        f.message.clone()
    };
    View {
        message,
        code: format!("{}({})", f.code(), f.name()),
        severity: match f.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        help,
        source,
        labels,
    }
}

pub fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(110)
        // A line breaks between words only: never inside a token (at its hyphens, or a token
        // longer than the line), which no scan of the output could then recognise.
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false)
        .with_links(false)
        .with_context_lines(1)
}

/// How many findings of one rule a report shows in full; the rest are counted after them.
pub const SHOWN_PER_RULE: usize = 20;

/// Renders the findings (the first [`SHOWN_PER_RULE`] of each rule in full, the rest
/// counted), then the summary line.
pub fn render(findings: &[Finding], suppressed: usize, sources: &SourceMap, color: bool) -> String {
    render_some(findings, suppressed, sources, color, SHOWN_PER_RULE, true)
}

/// As [`render`]; without the summary line when not `summary` (`--quiet`).
pub fn render_with(
    findings: &[Finding],
    suppressed: usize,
    sources: &SourceMap,
    color: bool,
    summary: bool,
) -> String {
    render_some(
        findings,
        suppressed,
        sources,
        color,
        SHOWN_PER_RULE,
        summary,
    )
}

fn render_some(
    findings: &[Finding],
    suppressed: usize,
    sources: &SourceMap,
    color: bool,
    per_rule: usize,
    summary: bool,
) -> String {
    let handler = handler(color);
    let mut out = String::new();
    let mut shown = Shown::new();
    // Rules in the order their first finding comes, with how many were not shown.
    let mut counts: Vec<(&Finding, usize)> = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for f in findings {
        let n = seen.entry(f.code()).or_insert_with(|| {
            counts.push((f, 0));
            counts.len() - 1
        });
        let (_, count) = &mut counts[*n];
        *count += 1;
        if *count > per_rule {
            continue;
        }
        let v = view(f, sources, &mut shown);
        let _ = handler.render_report(&mut out, &v);
        out.push('\n');
    }
    for (f, count) in counts.iter().filter(|(_, n)| *n > per_rule) {
        out.push_str(&format!(
            "… {} more {}({}) findings not shown ({count} in all): `--format concise` lists every one\n",
            count - per_rule,
            f.code(),
            f.name()
        ));
    }
    if !summary {
        return out;
    }
    if counts.iter().any(|(_, n)| *n > per_rule) {
        out.push('\n');
    }
    out.push_str(&summary_line(&Summary::of(findings, suppressed)));
    out.push('\n');
    out
}

pub fn summary_line(s: &Summary) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut parts = vec![plural(s.error, "error"), plural(s.warning, "warning")];
    if s.info > 0 {
        parts.push(format!("{} info", s.info));
    }
    if s.suppressed > 0 {
        parts.push(format!("{} suppressed", s.suppressed));
    }
    let verdict = if s.error > 0 { "failed" } else { "passed" };
    format!("agentlock: {verdict}: {}", parts.join(", "))
}

/// Renders a fatal error (exit code 2) as cargo and ruff do: `error: …` on the first line,
/// the excerpt of the file it points into when it has a location, then `help: …`.
pub fn render_fatal(
    message: &str,
    help: Option<&str>,
    at: Option<(String, String, Span)>,
    color: bool,
) -> String {
    let red = |s: &str| {
        if color {
            format!("\x1b[1;31m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = format!("{} {message}\n", red("error:"));
    if let Some((path, text, span)) = at
        && too_long(
            &crate::source::SourceFile::new(String::new(), Some(text.as_str().into())),
            &[span],
        )
        .is_none()
    {
        let ss = source_span(span, text.len());
        let v = View {
            message: String::new(),
            code: String::new(),
            severity: miette::Severity::Error,
            help: None,
            source: Some(NamedSource::new(
                path,
                Excerpts::new(Arc::new(crate::source::printable(&text).into_owned())),
            )),
            labels: vec![LabeledSpan::new_primary_with_span(Some("here".into()), ss)],
        };
        let mut excerpt = String::new();
        let _ = handler(color).render_report(&mut excerpt, &v);
        // miette's heading (the empty message) is not drawn: the excerpt starts at its frame.
        let frame = excerpt
            .lines()
            .skip_while(|l| !l.contains('╭'))
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str(&frame);
        out.push('\n');
    }
    if let Some(h) = help {
        out.push_str(&format!("  help: {h}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::topology::TOPO005;
    use crate::source::Text;

    /// A file of `n` lines with a finding on each, all of one rule.
    fn many(n: usize) -> (Vec<Finding>, SourceMap) {
        let mut text = String::new();
        let mut spans = Vec::new();
        for i in 0..n {
            let start = text.len();
            text.push_str(&format!("  agent_{i}: {{ role: worker, model: smart }}\n"));
            spans.push((start + 2, start + 8 + i.to_string().len()));
        }
        let mut sources = SourceMap::default();
        let file = sources.add("agents.yaml".to_string(), Some(Text::from(text)));
        let findings = spans
            .into_iter()
            .map(|(a, b)| {
                Finding::new(&TOPO005.meta, Span::new(file, a, b), "agent", "unreachable")
            })
            .collect();
        (findings, sources)
    }

    /// The bytes miette reads to render `n` findings in one file, every finding in full.
    fn work(n: usize) -> u64 {
        let (findings, sources) = many(n);
        READ.with(|r| r.set(0));
        let out = render_some(&findings, 0, &sources, false, usize::MAX, true);
        assert_eq!(out.matches(TOPO005.code).count(), n);
        READ.with(|r| r.get())
    }

    #[test]
    fn rendering_grows_linearly_with_the_findings_in_one_file() {
        // counted, not timed: ten times the findings read ten times the bytes (miette's own
        // reader read a hundred times: it walks the file from its start for each excerpt)
        let (small, large) = (work(1_000), work(10_000));
        assert!(small > 0);
        assert!(
            large <= small * 12,
            "1,000 findings read {small} bytes, 10,000 read {large}"
        );
    }

    #[test]
    fn excerpts_are_the_ones_miettes_reader_draws() {
        let (findings, sources) = many(50);
        let text = sources.get(findings[0].span.file).text.clone().unwrap();
        for f in [&findings[0], &findings[1], &findings[25], &findings[49]] {
            let windowed = view(f, &sources, &mut Shown::new());
            let mut whole = view(f, &sources, &mut Shown::new());
            whole.source = None;
            let mut a = String::new();
            let _ = handler(false).render_report(&mut a, &windowed);
            // the same excerpt drawn from the whole text by miette's own reader
            struct Whole(View, NamedSource<Arc<String>>);
            impl fmt::Debug for Whole {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    self.0.fmt(f)
                }
            }
            impl fmt::Display for Whole {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    fmt::Display::fmt(&self.0, f)
                }
            }
            impl std::error::Error for Whole {}
            impl Diagnostic for Whole {
                fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
                    self.0.code()
                }
                fn severity(&self) -> Option<miette::Severity> {
                    self.0.severity()
                }
                fn source_code(&self) -> Option<&dyn miette::SourceCode> {
                    Some(&self.1)
                }
                fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
                    self.0.labels()
                }
            }
            let whole = Whole(
                whole,
                NamedSource::new("agents.yaml", text.shared()).with_language("yaml"),
            );
            let mut b = String::new();
            let _ = handler(false).render_report(&mut b, &whole);
            assert_eq!(a, b);
            assert!(a.contains("agents.yaml:"), "{a}");
        }
    }

    #[test]
    fn a_long_run_of_one_rule_shows_the_first_and_counts_the_rest() {
        let (findings, sources) = many(SHOWN_PER_RULE + 5);
        let out = render(&findings, 0, &sources, false);
        let code = format!("{}(", TOPO005.code);
        assert_eq!(out.matches(&code).count(), SHOWN_PER_RULE + 1, "{out}");
        assert!(
            out.contains(&format!(
                "… 5 more {code}{}) findings not shown ({} in all): `--format concise` lists every one",
                TOPO005.name,
                SHOWN_PER_RULE + 5
            )),
            "{out}"
        );
        assert!(
            out.ends_with(&format!("{} warnings\n", SHOWN_PER_RULE + 5)),
            "{out}"
        );
    }
}
