//! The scanning engine: keyword prefilter, windows, regexes, validation, overlap resolution.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::LazyLock;

use regex::bytes::{Regex, RegexBuilder};

use super::entropy::shannon_entropy;
use super::placeholder::{has_run, is_placeholder};
use super::{DETECTORS, Detector, Hit, Purpose};

/// A window is widened to whole lines, but by at most this many bytes on each side (a
/// minified JSON line can be megabytes long).
const LINE_EXTENSION: usize = 1024;

struct Engine {
    /// One automaton over every detector's keywords, ASCII case-insensitive; a keyword's
    /// owners are the detectors (indices into DETECTORS) it triggers.
    keywords: crate::keywords::Keywords,
    /// Each detector's regexes, compiled the first time one of its keywords hits: a clean
    /// repository compiles none, a typical one a few.
    compiled: Vec<std::sync::OnceLock<Compiled>>,
}

struct Compiled {
    regex: Regex,
    /// The index of the `s` group, when the secret is a part of the match.
    secret_group: Option<usize>,
    context: Option<Regex>,
}

impl Engine {
    fn compiled(&self, d: usize) -> &Compiled {
        self.compiled[d].get_or_init(|| {
            let det = &DETECTORS[d];
            let regex = ascii_regex(det.pattern);
            Compiled {
                secret_group: regex.capture_names().position(|n| n == Some("s")),
                context: det.context.map(ascii_regex),
                regex,
            }
        })
    }
}

fn ascii_regex(pattern: &str) -> Regex {
    RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .unwrap_or_else(|e| panic!("invalid secret pattern {pattern:?}: {e}"))
}

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine {
    keywords: crate::keywords::Keywords::new(DETECTORS.iter().map(|d| d.keywords)),
    compiled: DETECTORS
        .iter()
        .map(|_| std::sync::OnceLock::new())
        .collect(),
});

/// Compiles the automaton and every regex now rather than on the first scan.
#[cfg(test)]
pub(super) fn warm_up() {
    for d in 0..DETECTORS.len() {
        ENGINE.compiled(d);
    }
}

struct Candidate {
    detector: usize,
    range: Range<usize>,
}

pub(super) fn scan(text: &str, purpose: Purpose) -> Vec<Hit> {
    let engine = &*ENGINE;
    let bytes = text.as_bytes();
    let mut windows: Vec<(usize, usize, usize)> = Vec::new();
    engine.keywords.each(bytes, |m, owners| {
        for &d in owners {
            let det = &DETECTORS[d];
            let start = line_start(bytes, m.start.saturating_sub(det.before));
            let end = line_end(bytes, m.end.saturating_add(det.after).min(bytes.len()));
            windows.push((d, start, end));
        }
    });
    if windows.is_empty() {
        return Vec::new();
    }
    windows.sort_unstable();
    let mut candidates = Vec::new();
    let mut i = 0;
    while i < windows.len() {
        let (d, start, mut end) = windows[i];
        i += 1;
        while i < windows.len() && windows[i].0 == d && windows[i].1 <= end {
            end = end.max(windows[i].2);
            i += 1;
        }
        search(engine, text, d, start..end, purpose, &mut candidates);
    }
    match purpose {
        Purpose::Findings => resolve(candidates),
        Purpose::Output => merge(candidates),
    }
}

/// The start of the line holding `pos`, or `pos - LINE_EXTENSION` if that is nearer.
fn line_start(bytes: &[u8], pos: usize) -> usize {
    let floor = pos.saturating_sub(LINE_EXTENSION);
    memchr::memrchr(b'\n', &bytes[floor..pos]).map_or(floor, |i| floor + i + 1)
}

/// The end of the line holding `pos` (before its `\n`), or `pos + LINE_EXTENSION`.
fn line_end(bytes: &[u8], pos: usize) -> usize {
    let ceil = pos.saturating_add(LINE_EXTENSION).min(bytes.len());
    memchr::memchr(b'\n', &bytes[pos..ceil]).map_or(ceil, |i| pos + i)
}

/// Runs detector `d` over one window and keeps the candidates that pass its checks.
fn search(
    engine: &Engine,
    text: &str,
    d: usize,
    window: Range<usize>,
    purpose: Purpose,
    out: &mut Vec<Candidate>,
) {
    let hay = &text.as_bytes()[window.clone()];
    let compiled = engine.compiled(d);
    if let Some(ctx) = &compiled.context
        && !ctx.is_match(hay)
    {
        return;
    }
    let re = &compiled.regex;
    let base = window.start;
    let mut consider = |secret: Range<usize>, whole: Range<usize>| {
        let secret = secret.start + base..secret.end + base;
        let whole = whole.start + base..whole.end + base;
        if let Some(range) = accept(&DETECTORS[d], text, &window, secret, whole, purpose) {
            out.push(Candidate { detector: d, range });
        }
    };
    match compiled.secret_group {
        Some(g) => {
            for caps in re.captures_iter(hay) {
                if let (Some(s), Some(m)) = (caps.get(g), caps.get(0)) {
                    consider(s.range(), m.range());
                }
            }
        }
        None => {
            for m in re.find_iter(hay) {
                consider(m.range(), m.range());
            }
        }
    }
}

/// The checks every candidate passes: whole characters, not a slice of a longer token, not
/// cut by the window, not a placeholder, random enough, and the detector's own validator.
fn accept(
    det: &Detector,
    text: &str,
    window: &Range<usize>,
    mut secret: Range<usize>,
    whole: Range<usize>,
    purpose: Purpose,
) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    if det.trim_pem {
        secret = trim_pem(bytes, secret);
    }
    if secret.is_empty()
        || !text.is_char_boundary(secret.start)
        || !text.is_char_boundary(secret.end)
    {
        return None;
    }
    if !det.boundary.starts(bytes, secret.start, purpose)
        || !det.boundary.ends(bytes, secret.end, purpose)
    {
        return None;
    }
    // A secret that touches a window edge in the middle of a line may be cut short.
    let line_break = |b: u8| b == b'\n' || b == b'\r';
    if (secret.start == window.start && window.start > 0 && !line_break(bytes[window.start - 1]))
        || (secret.end == window.end && window.end < bytes.len() && !line_break(bytes[window.end]))
    {
        return None;
    }
    let value = &text[secret.clone()];
    if is_placeholder(value) || (det.reject_runs && has_run(value)) {
        return None;
    }
    let random = value.strip_prefix(det.shown_prefix).unwrap_or(value);
    if det.min_entropy > 0.0 && shannon_entropy(random.as_bytes()) < det.min_entropy {
        return None;
    }
    if let Some(validate) = det.validate
        && !validate(value, &text[whole])
    {
        return None;
    }
    Some(secret)
}

/// For output: every byte any candidate holds, overlapping candidates merged into one hit, shown
/// as the one that starts first (of those, the detector listed first), whose prefix it starts
/// with. A token that another detector's prefix cuts short (a slice of it, preferred by
/// [`resolve`]) is redacted whole.
fn merge(mut candidates: Vec<Candidate>) -> Vec<Hit> {
    candidates.sort_unstable_by_key(|c| (c.range.start, c.detector));
    let mut hits: Vec<Hit> = Vec::new();
    for c in candidates {
        match hits.last_mut() {
            Some(last) if c.range.start < last.secret.end => {
                last.secret.end = last.secret.end.max(c.range.end);
            }
            _ => hits.push(Hit {
                detector: &DETECTORS[c.detector],
                secret: c.range,
            }),
        }
    }
    hits
}

/// Strips whitespace and escaped line breaks (`\n`, `\r` as two characters) from both ends.
fn trim_pem(bytes: &[u8], mut r: Range<usize>) -> Range<usize> {
    loop {
        let s = &bytes[r.clone()];
        if s.first().is_some_and(u8::is_ascii_whitespace) {
            r.start += 1;
        } else if s.starts_with(b"\\n") || s.starts_with(b"\\r") {
            r.start += 2;
        } else if s.last().is_some_and(u8::is_ascii_whitespace) {
            r.end -= 1;
        } else if s.len() >= 2 && (s.ends_with(b"\\n") || s.ends_with(b"\\r")) {
            r.end -= 2;
        } else {
            return r;
        }
    }
}

/// Keeps, of overlapping candidates, the one from the detector listed first (the more
/// specific); among one detector's, the earlier. The result is ordered by start.
fn resolve(mut candidates: Vec<Candidate>) -> Vec<Hit> {
    candidates.sort_unstable_by_key(|c| (c.detector, c.range.start, c.range.end));
    let mut taken: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for c in candidates {
        let overlaps = taken
            .range(..c.range.end)
            .next_back()
            .is_some_and(|(_, &(end, _))| end > c.range.start);
        if !overlaps {
            taken.insert(c.range.start, (c.range.end, c.detector));
        }
    }
    taken
        .into_iter()
        .map(|(start, (end, d))| Hit {
            detector: &DETECTORS[d],
            secret: start..end,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(detector: &str, range: Range<usize>) -> Candidate {
        Candidate {
            detector: DETECTORS.iter().position(|d| d.id == detector).unwrap(),
            range,
        }
    }

    fn ids(hits: &[Hit]) -> Vec<(&str, Range<usize>)> {
        hits.iter()
            .map(|h| (h.detector.id, h.secret.clone()))
            .collect()
    }

    #[test]
    fn overlap_keeps_the_more_specific_detector() {
        let hits = resolve(vec![
            cand("generic-secret", 10..60),
            cand("openai-project-key", 10..60),
            cand("generic-secret", 100..120),
            cand("private-key", 200..900),
            cand("gcp-service-account", 200..900),
            cand("aws-secret-access-key", 950..990),
            cand("authorization-bearer-token", 940..995),
            cand("jwt", 1000..1100),
            cand("generic-secret", 1050..1150),
        ]);
        assert_eq!(
            ids(&hits),
            vec![
                ("openai-project-key", 10..60),
                ("generic-secret", 100..120),
                ("gcp-service-account", 200..900),
                ("aws-secret-access-key", 950..990),
                ("jwt", 1000..1100),
            ]
        );
    }

    #[test]
    fn overlap_within_one_detector_keeps_the_first() {
        let hits = resolve(vec![
            cand("generic-secret", 5..20),
            cand("generic-secret", 0..10),
            cand("generic-secret", 20..30),
        ]);
        assert_eq!(
            ids(&hits),
            vec![("generic-secret", 0..10), ("generic-secret", 20..30)]
        );
    }

    #[test]
    fn overlap_in_scanned_text() {
        let key = "sk-proj-Tq9vW2xLr7Nc4Bk8Jh3Fd6Gs1Pz5Ym0Qa7Ue2Io9Lw4Rt8Ex3T3BlbkFJ";
        let text = format!("OPENAI_API_KEY=\"{key}\"\n");
        let hits = scan(&text, Purpose::Findings);
        assert_eq!(ids(&hits), vec![("openai-project-key", 16..16 + key.len())]);
    }

    #[test]
    fn output_merges_overlapping_candidates_into_the_first() {
        let hits = merge(vec![
            cand("generic-secret", 100..160),
            cand("huggingface-token", 120..160),
            cand("gitlab-pat", 100..160),
            cand("jwt", 200..300),
            cand("generic-secret", 250..320),
            cand("npm-access-token", 400..440),
        ]);
        assert_eq!(
            ids(&hits),
            vec![
                ("gitlab-pat", 100..160),
                ("jwt", 200..320),
                ("npm-access-token", 400..440),
            ]
        );
    }

    /// A token whose body holds another detector's prefix after `_`: the findings keep the
    /// more specific detector's slice (as for any overlap); the output redacts every byte
    /// either candidate holds.
    #[test]
    fn output_redacts_a_token_another_prefix_cuts_short() {
        let body = "Zq8vT3kLm2Wn4Rt6Yp9Bx1Cd5Fg7Hj0K";
        let text = format!("glpat-Ab3dE_hf_{body}\n");
        let findings = scan(&text, Purpose::Findings);
        assert_eq!(ids(&findings), vec![("huggingface-token", 12..47)]);
        let output = scan(&text, Purpose::Output);
        assert_eq!(ids(&output), vec![("gitlab-pat", 0..47)]);
    }

    #[test]
    fn pem_trimming() {
        let b = b"\\n  ABC\\n\n ";
        assert_eq!(trim_pem(b, 0..b.len()), 4..7);
        let b = b"\n\n";
        assert_eq!(trim_pem(b, 0..b.len()), 2..2);
    }

    #[test]
    fn windows_widen_to_lines_within_a_limit() {
        let text = b"first line\nsecond line\nthird";
        assert_eq!(line_start(text, 15), 11);
        assert_eq!(line_end(text, 15), 22);
        assert_eq!(line_start(text, 3), 0);
        assert_eq!(line_end(text, 25), text.len());
        let long = vec![b'a'; 5000];
        assert_eq!(line_start(&long, 3000), 3000 - LINE_EXTENSION);
        assert_eq!(line_end(&long, 3000), 3000 + LINE_EXTENSION);
    }

    #[test]
    fn every_pattern_compiles() {
        warm_up();
    }
}
