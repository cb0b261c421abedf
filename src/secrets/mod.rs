//! The secret scanner: finds credentials in text without printing them.
//!
//! One pass of an Aho-Corasick automaton over all detectors' keywords (ASCII case-insensitive)
//! decides which detectors run at all; each detector's regex (a byte regex with Unicode off)
//! then runs only in a window around its keyword hits, and every candidate passes the
//! detector's validators (length, token boundaries, Shannon entropy, placeholder and example
//! filters) before it becomes a [`Hit`]. Text without a keyword costs the automaton pass and
//! nothing else.
//!
//! The module is pure: it gets text and gives byte ranges. It never prints a secret; what may be
//! shown is [`redact`]ed, and [`fingerprint`] identifies a secret without revealing it.

mod detectors;
mod engine;
mod entropy;
pub mod known;
mod placeholder;

use std::borrow::Cow;
use std::ops::Range;

pub use detectors::DETECTORS;
pub use entropy::shannon_entropy;
pub use placeholder::is_placeholder;

/// One kind of credential.
///
/// The public fields are what reports show; the rest tells the engine how to find and check it.
pub struct Detector {
    /// Stable kebab-case id: "github-pat-classic", "openai-api-key", "generic-secret" …
    pub id: &'static str,
    /// For messages: "GitHub personal access token (classic)".
    pub title: &'static str,
    /// Lowercase ASCII; a detector runs only near one of these (matched ASCII
    /// case-insensitively).
    pub keywords: &'static [&'static str],
    /// A public, non-secret prefix the redacted form may show ("ghp_", "sk-proj-", "AKIA"), or "".
    pub shown_prefix: &'static str,
    /// The regex (bytes, Unicode off). The named group `s`, if present, is the secret;
    /// otherwise the whole match is.
    pub(crate) pattern: &'static str,
    /// How many bytes before the start and after the end of a keyword hit the regex looks at.
    pub(crate) before: usize,
    pub(crate) after: usize,
    /// Bytes that may not touch the secret on either side (the token's own alphabet), so that
    /// a match is never a slice of a longer run.
    pub(crate) boundary: Boundary,
    /// Minimum Shannon entropy (bits per byte) of the secret after its shown prefix.
    pub(crate) min_entropy: f64,
    /// Reject secrets with a run of six equal or six consecutive characters ("xxxxxx",
    /// "123456", "abcdef"). Off for formats whose bytes are structured (PEM bodies).
    pub(crate) reject_runs: bool,
    /// Strip whitespace and escaped line breaks (`\n`) from both ends of the secret (PEM bodies).
    pub(crate) trim_pem: bool,
    /// A regex that must also match somewhere in the window (e.g. `"type": "service_account"`).
    pub(crate) context: Option<&'static str>,
    /// A last check on the secret, given the whole regex match too.
    pub(crate) validate: Option<fn(secret: &str, whole: &str) -> bool>,
}

/// The bytes that belong to a token's alphabet: a secret may not be preceded or followed by one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Boundary {
    /// No check (the regex delimits the secret itself).
    None,
    /// `[A-Za-z0-9]`
    Alnum,
    /// `[A-Za-z0-9_-]`
    Token,
    /// `[A-Za-z0-9+/]` (not `=`: it ends base64 and starts a value after `key=`)
    Base64,
    /// `[A-Za-z0-9_.-]`
    Dotted,
}

impl Boundary {
    pub(crate) fn contains(self, b: u8) -> bool {
        match self {
            Boundary::None => false,
            Boundary::Alnum => b.is_ascii_alphanumeric(),
            Boundary::Token => b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
            Boundary::Base64 => b.is_ascii_alphanumeric() || b == b'+' || b == b'/',
            Boundary::Dotted => b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.',
        }
    }
}

/// The detector with this id.
pub fn detector(id: &str) -> Option<&'static Detector> {
    DETECTORS.iter().find(|d| d.id == id)
}

/// A secret found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub detector: &'static Detector,
    /// Byte range of the secret value itself in the text.
    pub secret: Range<usize>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Detector").field(&self.id).finish()
    }
}

impl PartialEq for Detector {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Detector {}

/// Every secret in `text`, ordered by start, non-overlapping (when two detectors match
/// overlapping bytes the more specific one, earlier in [`DETECTORS`], is kept), placeholders and
/// documented examples excluded.
pub fn scan(text: &str) -> Vec<Hit> {
    engine::scan(text)
}

/// Makes every credential in `text` known to the output ([`known`]), so that no report quotes
/// one: for text agentlock reads but does not check (results files hold user text and model
/// output), where a key is often inside a JSON or YAML string, a multi-line one written with
/// `\n` escapes that a scan of the raw text does not see. The text is scanned as it is, and with
/// its string escapes decoded a window at a time (windows overlap by far more than any key is
/// long), so a 150 MB file is never held twice.
pub fn remember_all(text: &str) {
    remember_windows(text, 1 << 20, 64 << 10);
}

fn remember_windows(text: &str, window: usize, overlap: usize) {
    let remember = |t: &str| {
        for h in scan(t) {
            let value = &t[h.secret.clone()];
            known::remember(value, &redact(h.detector, value));
        }
    };
    remember(text);
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let mut start = 0;
    while start < text.len() {
        let end = floor((start + window).min(text.len()));
        let piece = &text[start..end];
        if piece.contains('\\') {
            remember(&unescape(piece));
        }
        if end == text.len() {
            break;
        }
        start = floor(end.saturating_sub(overlap)).max(start + 1);
        start = (start..=text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
    }
}

/// `text` with the string escapes JSON and YAML share decoded (`\n`, `\r`, `\t`, `\"`, `\/`,
/// `\\`), in one pass; anything else is kept as it is.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(e @ ('"' | '/' | '\\')) => out.push(e),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Whether a value written under a credential's name (an `API_KEY` in an MCP server's `env`, an
/// `X-API-Key` header) is a credential itself rather than a reference (`${VAR}`, `{api_key}`),
/// a placeholder or a path: what the generic detector accepts, for values that a config names
/// structurally (`{"name": …, "value": …}`) where no pattern sees the name beside them.
/// `Bearer <token>` is judged by its token.
pub fn is_assigned_credential(value: &str) -> bool {
    let v = value.trim();
    let v = v.rsplit(' ').next().unwrap_or(v);
    !v.contains(['{', '}', '$', '<', '>'])
        && !is_placeholder(v)
        && placeholder::generic_value_ok(v, v)
        && !placeholder::has_run(v)
}

/// Whether a configuration key names a credential (`GITHUB_TOKEN`, `X-API-Key`,
/// `DB_PASSWORD`).
pub fn is_credential_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "key",
        "token",
        "secret",
        "passw",
        "pwd",
        "auth",
        "credential",
        "cookie",
        "session",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// First 16 hex digits of SHA-256 of the secret.
pub fn fingerprint(secret: &str) -> String {
    let mut hex = crate::digest::sha256_hex(secret.as_bytes());
    hex.truncate(16);
    hex
}

/// What may be printed of a secret: the detector's shown prefix (if the secret starts with it),
/// "…", and at most the last 4 characters (fewer for short secrets: `min(4, len / 4)`); never
/// more. Whitespace and control characters are never shown: the tail stops before them.
pub fn redact(detector: &Detector, secret: &str) -> String {
    // The prefix is shown only before something: a secret that is its prefix alone stays hidden.
    let prefix = if secret.len() > detector.shown_prefix.len()
        && secret.starts_with(detector.shown_prefix)
    {
        detector.shown_prefix
    } else {
        ""
    };
    let chars = secret.chars().count();
    let rest = chars - prefix.chars().count();
    // Never show more than a quarter of the secret, nor more than what follows the prefix
    // minus a quarter of it: a prefix plus tail never adds up to the whole secret.
    let keep = 4.min(chars / 4).min(rest / 4);
    let tail: Vec<char> = secret.chars().skip(chars - keep).collect();
    let start = tail
        .iter()
        .rposition(|c| c.is_whitespace() || c.is_control())
        .map_or(0, |i| i + 1);
    let mut out = String::with_capacity(prefix.len() + 3 + 4);
    out.push_str(prefix);
    out.push('…');
    out.extend(&tail[start..]);
    out
}

/// `text` with every secret the scanner finds in it replaced by its [`redact`]ed form.
pub fn redact_found(text: &str) -> Cow<'_, str> {
    let hits = scan(text);
    if hits.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for h in hits {
        out.push_str(&text[at..h.secret.start]);
        out.push_str(&redact(h.detector, &text[h.secret.clone()]));
        at = h.secret.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// `text` with every secret's bytes replaced by `*` (same byte length, so spans stay valid).
/// Line breaks inside a secret (a PEM body) are kept, so line numbers stay valid too.
pub fn mask(text: &str) -> Cow<'_, str> {
    let hits = scan(text);
    if hits.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for hit in &hits {
        for b in &mut bytes[hit.secret.clone()] {
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    // Secrets are whole characters (hits start and end on char boundaries), and every byte of
    // them became ASCII, so the result is UTF-8.
    Cow::Owned(String::from_utf8(bytes).expect("masking whole characters keeps UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(id: &str) -> &'static Detector {
        detector(id).unwrap_or_else(|| panic!("no detector {id}"))
    }

    #[test]
    fn at_least_25_detectors_with_unique_kebab_ids_and_lowercase_keywords() {
        assert!(DETECTORS.len() >= 25, "{}", DETECTORS.len());
        let mut ids: Vec<&str> = DETECTORS.iter().map(|d| d.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), DETECTORS.len(), "duplicate id");
        for det in DETECTORS {
            assert!(
                det.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                det.id
            );
            assert!(!det.keywords.is_empty(), "{} has no keyword", det.id);
            for k in det.keywords {
                assert!(
                    k.is_ascii() && *k == k.to_ascii_lowercase(),
                    "{}: {k}",
                    det.id
                );
            }
            assert!(!det.title.is_empty());
        }
        assert_eq!(detector("github-pat-classic").unwrap().shown_prefix, "ghp_");
        assert!(detector("nope").is_none());
    }

    #[test]
    fn fingerprint_is_16_hex_digits_of_sha256() {
        // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assert_eq!(fingerprint("abc"), "ba7816bf8f01cfea");
        assert_eq!(fingerprint("abc"), fingerprint("abc"));
        assert_ne!(fingerprint("abc"), fingerprint("abd"));
        assert_eq!(fingerprint("").len(), 16);
    }

    #[test]
    fn redact_shows_prefix_and_at_most_four_last_characters() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "github-pat-classic",
                "ghp_R8kWq3ZtY6vB1nM4xC7pL2sD9fG5hJ0aQe3T",
                "ghp_…Qe3T",
            ),
            ("openai-project-key", "sk-proj-abcdefghij", "sk-proj-…ij"),
            // Prefix not present: no prefix shown.
            ("openai-project-key", "zzzzzzzzzzzzzzzz", "…zzzz"),
            ("generic-secret", "abcdefgh", "…gh"),
            ("generic-secret", "abc", "…"),
            ("generic-secret", "", "…"),
            // Short rest after a long prefix: at most a quarter of the rest.
            ("openai-project-key", "sk-proj-ab", "sk-proj-…"),
            // A tail with a line break shows only what follows it.
            ("private-key", "MIIEabcd\nQ==", "…Q=="),
            ("private-key", "MIIEabcdQ\n==", "…=="),
        ];
        for (id, secret, want) in cases {
            assert_eq!(redact(d(id), secret), *want, "{id} {secret:?}");
        }
    }

    #[test]
    fn redact_is_never_longer_than_prefix_plus_five_and_never_the_secret() {
        let samples = [
            "a",
            "ab",
            "abcd",
            "abcde",
            "ghp_",
            "ghp_a",
            "ghp_abcdefgh",
            "sk-proj-0123456789abcdef0123456789",
            "AKIAZ3MPLQ7RT2XW4VNB",
            "p@ss",
            "ünïcødé-sécret-välue",
        ];
        for det in DETECTORS {
            for s in samples {
                let r = redact(det, s);
                let limit = det.shown_prefix.chars().count() + 1 + 4;
                assert!(r.chars().count() <= limit, "{} {s:?} -> {r:?}", det.id);
                assert_ne!(r, s);
                if s.len() >= 2 {
                    assert!(!r.contains(s), "{} {s:?} -> {r:?}", det.id);
                }
            }
        }
    }

    #[test]
    fn mask_keeps_length_and_lines_and_hides_the_secret() {
        let token = "ghp_R8kWq3ZtY6vB1nM4xC7pL2sD9fG5hJ0aQe3T";
        let text = format!("GITHUB_TOKEN={token}\nnext line é\n");
        let masked = mask(&text);
        assert_eq!(masked.len(), text.len());
        assert!(!masked.contains(token));
        assert!(masked.starts_with("GITHUB_TOKEN=****"));
        assert!(masked.ends_with("\nnext line é\n"));

        let clean = "nothing to see here: max_tokens: 4096\n";
        assert!(matches!(mask(clean), Cow::Borrowed(_)));

        // A multi-line secret keeps its line breaks.
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----\n",
            "MIIEowIBAAKCAQEAu9Vv3kX7wq2JmTz8LpN4hR6sYc1dFgB0aWnEoQx5tKrUi3ZePj",
            "Lm7NoPq8RsTu2VwXy4Za5Bc6De7Fg8Hi9Jk0Lm1No2Pq3Rs4Tu5Vw6Xy7Za8Bc9De0F=="
        );
        let masked = mask(&pem);
        assert_eq!(masked.len(), pem.len());
        assert_eq!(masked.lines().count(), pem.lines().count());
        assert!(masked.contains("-----BEGIN RSA PRIVATE KEY-----\n****"));
    }

    #[test]
    fn remember_all_decodes_escapes_across_window_boundaries() {
        let body = "MIIEowIBAAKCAQEAu9Vv3kX7wq2JmTz8LpN4hR6sYc1dFgB0a\nWnEoQx5tKrUi3ZePjLm7NoPq8RsTu2VwXy4";
        let pem = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----");
        let escaped = pem.replace('\n', "\\n");
        for pad in [0, 37, 150, 299, 511] {
            // é makes some window ends fall inside a character.
            let text = format!("{{\"output\": \"{}{escaped}\"}}", "é".repeat(pad));
            remember_windows(&text, 256, 200);
            let known = known::values();
            let found = known
                .iter()
                .any(|(v, _)| v.contains(body) && v.contains('\n') && !v.contains("\\n"));
            assert!(
                found,
                "the decoded key is known with {pad} characters before it"
            );
        }
    }
}
