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
    source: Option<NamedSource<Arc<String>>>,
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
type Shown = HashMap<crate::source::FileId, Arc<String>>;

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

/// About 60 characters of the text around a byte offset, on one line.
fn snippet(text: &str, at: usize) -> String {
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
            .or_insert_with(|| match crate::source::printable(t) {
                std::borrow::Cow::Borrowed(_) => t.shared(),
                std::borrow::Cow::Owned(o) => Arc::new(o),
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
        .with_links(false)
        .with_context_lines(1)
}

/// Renders every finding, then the summary line.
pub fn render(findings: &[Finding], suppressed: usize, sources: &SourceMap, color: bool) -> String {
    let handler = handler(color);
    let mut out = String::new();
    let mut shown = Shown::new();
    for f in findings {
        let v = view(f, sources, &mut shown);
        let _ = handler.render_report(&mut out, &v);
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

/// Renders a fatal error (exit code 2), pointing into a file when it has a location.
pub fn render_fatal(
    message: &str,
    help: Option<&str>,
    at: Option<(String, String, Span)>,
    color: bool,
) -> String {
    let (source, labels) = match at {
        Some((path, text, span))
            if too_long(
                &crate::source::SourceFile::new(String::new(), Some(text.as_str().into())),
                &[span],
            )
            .is_none() =>
        {
            let ss = source_span(span, text.len());
            (
                Some(NamedSource::new(
                    path,
                    Arc::new(crate::source::printable(&text).into_owned()),
                )),
                vec![LabeledSpan::new_primary_with_span(Some("here".into()), ss)],
            )
        }
        _ => (None, Vec::new()),
    };
    let v = View {
        message: message.to_string(),
        code: "agentlock".into(),
        severity: miette::Severity::Error,
        help: help.map(str::to_string),
        source,
        labels,
    };
    let mut out = String::new();
    let _ = handler(color).render_report(&mut out, &v);
    out
}
