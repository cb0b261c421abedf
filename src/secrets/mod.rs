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
pub use crate::known;
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
    /// What may not touch the secret (the token's own alphabet, and before a registered prefix
    /// a letter or digit), so that a match is never a slice of a longer run or word.
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

/// What may touch a secret: the bytes of the token's own alphabet may not (so that a match is
/// never a slice of a longer run), and before a registered prefix, no letter or digit.
///
/// Before the secret, a letter or digit that ends an escape (`\n`, `\t`, `\u0022`, `%0A`, `%3A`)
/// is not counted: it stands for another byte, and JSON strings, URLs and GitHub annotations
/// (agentlock's own outputs among them) write a line break or a colon that way.
///
/// When the output is redacted ([`redact_found`]) the prefixed kinds are looser (see
/// [`Boundary::starts`]): there a false positive costs a redacted word, a miss prints a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Boundary {
    /// No check (the regex delimits the secret itself).
    None,
    /// `[A-Za-z0-9]` on either side.
    Alnum,
    /// A token that starts with a registered prefix a word could end in (`ghp_`, `xoxb-`,
    /// `sk-proj-`, `npm_`, `sk_`, `fc-`): before it, no letter or digit, which would make the
    /// prefix the tail of a longer word (`pnpm_…`, `task_…`, `helpdesk-proj-…`); any other byte
    /// may precede it, `-` and `_` too (`prod-ghp_…`, `bot_xoxb-…`, `v1.3.0-ghp_…`). After it, no
    /// `[A-Za-z0-9_-]`.
    Prefix,
    /// A registered prefix no word ends in: it holds a digit and is at least six bytes long
    /// (`sk-ant-api03-`, `sk-or-v1-`, `dop_v1_`, `ATATT3`). Anything may precede it (a key
    /// pasted onto a word is still the key); after it, as [`Boundary::Prefix`].
    Distinct,
    /// `[A-Za-z0-9+/]` (not `=`: it ends base64 and starts a value after `key=`)
    Base64,
    /// A prefixed token with dotted parts (`eyJ…`, `SG.…`): before it, as [`Boundary::Prefix`];
    /// after it, no `[A-Za-z0-9_.-]` (one more part would make it something else).
    Dotted,
}

/// What a scan is for: findings (a false positive is a wrong report) or redacting what is about
/// to be printed (a miss prints a credential).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    Findings,
    Output,
}

fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl Boundary {
    /// Whether a secret may start at `at` of `bytes`. For [`Purpose::Output`], nothing is
    /// checked before a registered prefix: `xghp_…` or `Wsk-proj-…` is not reported (a prefix
    /// glued to a word may be the word's tail), but it is not printed either.
    pub(crate) fn starts(self, bytes: &[u8], at: usize, purpose: Purpose) -> bool {
        let Some(&b) = at.checked_sub(1).and_then(|i| bytes.get(i)) else {
            return true;
        };
        let prefixed = matches!(self, Boundary::Prefix | Boundary::Dotted);
        let clear = match self {
            Boundary::None | Boundary::Distinct => true,
            _ if prefixed && purpose == Purpose::Output => true,
            Boundary::Alnum | Boundary::Prefix | Boundary::Dotted => !b.is_ascii_alphanumeric(),
            Boundary::Base64 => !(b.is_ascii_alphanumeric() || b == b'+' || b == b'/'),
        };
        clear || (b.is_ascii_alphanumeric() && ends_escape(&bytes[..at]))
    }

    /// Whether a secret may end at `at` of `bytes`: the byte after it is not of the token's
    /// alphabet. For [`Purpose::Output`], after a prefixed token only a letter or a digit
    /// counts.
    pub(crate) fn ends(self, bytes: &[u8], at: usize, purpose: Purpose) -> bool {
        let Some(&b) = bytes.get(at) else {
            return true;
        };
        match self {
            Boundary::None => true,
            Boundary::Prefix | Boundary::Distinct if purpose == Purpose::Output => {
                !b.is_ascii_alphanumeric()
            }
            Boundary::Alnum => !b.is_ascii_alphanumeric(),
            Boundary::Prefix | Boundary::Distinct => !token_byte(b),
            Boundary::Base64 => !(b.is_ascii_alphanumeric() || b == b'+' || b == b'/'),
            Boundary::Dotted => !(token_byte(b) || b == b'.'),
        }
    }
}

/// Whether `before` ends with an escape whose last byte is a letter or digit: `\n`, `\r`, `\t`,
/// `\b`, `\f`, `\v`, `\0` (after an odd number of backslashes), `\xHH`, `\uHHHH`, `%HH`.
fn ends_escape(before: &[u8]) -> bool {
    let n = before.len();
    let hex = |s: &[u8]| s.iter().all(u8::is_ascii_hexdigit);
    // An odd run of backslashes ends at `i`: the byte at `i` is escaped.
    let escaped = |i: usize| {
        before[..i]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count()
            % 2
            == 1
    };
    (n >= 2 && b"nrtbfv0".contains(&before[n - 1]) && escaped(n - 1))
        || (n >= 3 && before[n - 3] == b'%' && hex(&before[n - 2..]))
        || (n >= 4 && before[n - 3] == b'x' && hex(&before[n - 2..]) && escaped(n - 3))
        || (n >= 6 && before[n - 5] == b'u' && hex(&before[n - 4..]) && escaped(n - 5))
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
    engine::scan(text, Purpose::Findings)
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

/// `text` with the string escapes JSON and YAML share decoded, in one pass: see
/// [`decode_escapes`].
fn unescape(text: &str) -> String {
    decode_escapes(text).0
}

/// `text` with the string escapes of JSON and YAML decoded: `\n`, `\r`, `\t`, `\"`, `\/`,
/// `\\`, `\xHH`, `\uHHHH`, `\UHHHHHHHH`, and YAML's escaped line break (a `\` ending a line
/// of a double-quoted scalar joins the next line, its indentation dropped); anything else is
/// kept as it is. With it, for each byte of the result and one past its end, the offset in
/// `text` of what it was decoded from, so that a credential found in the decoded text is
/// masked where it is written. A key written `wJal…\/…` or split by an escaped line break is
/// one value to JSON and YAML, and to the program that reads it.
pub fn decode_escapes(text: &str) -> (String, Vec<u32>) {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut from: Vec<u32> = Vec::with_capacity(text.len() + 1);
    let push = |out: &mut String, from: &mut Vec<u32>, c: char, at: usize| {
        out.push(c);
        from.extend(std::iter::repeat_n(at as u32, c.len_utf8()));
    };
    let hex = |s: &[u8]| -> Option<u32> {
        std::str::from_utf8(s)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    let mut i = 0;
    while i < b.len() {
        let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
        if c != '\\' || i + 1 >= b.len() {
            push(&mut out, &mut from, c, i);
            i += c.len_utf8();
            continue;
        }
        let (decoded, used) = match b[i + 1] {
            b'n' => (Some('\n'), 2),
            b'r' => (Some('\r'), 2),
            b't' => (Some('\t'), 2),
            e @ (b'"' | b'/' | b'\\') => (Some(e as char), 2),
            b'x' if i + 4 <= b.len() => (hex(&b[i + 2..i + 4]).and_then(char::from_u32), 4),
            b'u' if i + 6 <= b.len() => (hex(&b[i + 2..i + 6]).and_then(char::from_u32), 6),
            b'U' if i + 10 <= b.len() => (hex(&b[i + 2..i + 10]).and_then(char::from_u32), 10),
            b'\n' | b'\r' => {
                // an escaped line break: the break and the next line's indentation vanish
                let mut j = i + 1;
                if b[j] == b'\r' && b.get(j + 1) == Some(&b'\n') {
                    j += 1;
                }
                j += 1;
                while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                    j += 1;
                }
                i = j;
                continue;
            }
            _ => (None, 1),
        };
        match decoded {
            Some(d) => {
                push(&mut out, &mut from, d, i);
                i += used;
            }
            None => {
                push(&mut out, &mut from, '\\', i);
                i += 1;
            }
        }
    }
    from.push(b.len() as u32);
    (out, from)
}

/// The credentials of `text` that only its escapes hide: found in the text with its string
/// escapes decoded ([`decode_escapes`]), written with at least one escape, and overlapping
/// none of `found` (the scan of the text as it is). Each is the range it is written in and the
/// value it decodes to.
pub fn scan_escaped(text: &str, found: &[Hit]) -> Vec<(Hit, String)> {
    if !text.contains('\\') {
        return Vec::new();
    }
    let (decoded, from) = decode_escapes(text);
    let mut out = Vec::new();
    for h in scan(&decoded) {
        let raw = from[h.secret.start] as usize..from[h.secret.end] as usize;
        let escaped = text[raw.clone()].contains('\\');
        let seen = found
            .iter()
            .any(|f| f.secret.start < raw.end && raw.start < f.secret.end);
        if escaped && !seen {
            let value = decoded[h.secret.clone()].to_string();
            out.push((
                Hit {
                    detector: h.detector,
                    secret: raw,
                },
                value,
            ));
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

/// `text` with every secret the scanner finds in it replaced by its [`redact`]ed form: for text
/// about to be printed, so the scan leans to redacting (a prefixed token glued to a word, a
/// token followed by `-` or `_`, the bytes of every overlapping candidate: see
/// [`Boundary::starts`]).
pub fn redact_found(text: &str) -> Cow<'_, str> {
    let hits = engine::scan(text, Purpose::Output);
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

/// `text` with every recorded credential ([`known::scrub`]) and every one the scanner finds
/// ([`redact_found`]) redacted: for a text about to be cut or wrapped, after which the output's
/// own scan, which redacts only a whole credential, could no longer see it.
pub fn redact_all(text: &str) -> String {
    redact_found(&known::scrub(text)).into_owned()
}

/// `text` (a name or value from the repository) shortened for a message to at most `max_chars`
/// characters, `marker` (`"…"`, or `""` for none) included when it is cut. Every credential is
/// redacted *before* the cut: every recorded value ([`known::scrub`]) and every one the scanner
/// finds ([`redact_found`]). The output redacts only a whole credential, so a token cut first
/// would be printed up to the cut; cut afterwards, at most its redacted form is left.
pub fn clip(text: &str, max_chars: usize, marker: &str) -> String {
    let redacted = redact_all(text);
    if redacted.chars().count() <= max_chars {
        return redacted;
    }
    let keep = max_chars.saturating_sub(marker.chars().count());
    let mut out: String = redacted.chars().take(keep).collect();
    out.push_str(marker);
    out
}

/// `text` with the bytes of every credential in it, recorded ([`known`]) or found by the
/// scanner, as `*`: the same byte length, so a window cut around an offset of `text` can be cut
/// from this instead, and no cut leaves a piece of a credential that redaction, which needs
/// the whole value, would not know. For excerpts of long lines and of tool descriptions.
pub fn mask_all(text: &str) -> Cow<'_, str> {
    let known = known::ranges(text);
    let masked = mask(text);
    if known.is_empty() {
        return masked;
    }
    let mut bytes = masked.into_owned().into_bytes();
    for r in known {
        for b in &mut bytes[r] {
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    // Whole values are replaced (matches start and end on char boundaries), by ASCII.
    Cow::Owned(String::from_utf8(bytes).expect("masking whole characters keeps UTF-8"))
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

    #[test]
    fn escapes_decode_with_the_offset_each_byte_came_from() {
        let (d, from) = decode_escapes(r#"a\/b\x67c\u00e9\"q\\n\z"#);
        assert_eq!(d, "a/bgcé\"q\\n\\z");
        assert_eq!(from.len(), d.len() + 1);
        // `/` from the `\/` at 1, `g` from `\x67` at 4, both bytes of `é` from `\u00e9` at 9
        assert_eq!((from[1], from[3], from[5], from[6]), (1, 4, 9, 9));
        assert_eq!(
            *from.last().unwrap() as usize,
            r#"a\/b\x67c\u00e9\"q\\n\z"#.len()
        );
        // YAML's escaped line break joins the lines, the indentation dropped
        let (d, from) = decode_escapes("\"ab\\\n    cd\"");
        assert_eq!(d, "\"abcd\"");
        assert_eq!(from[3], 9);
        // a lone backslash at the end, and text with no escapes, are kept
        assert_eq!(decode_escapes("x\\").0, "x\\");
        assert_eq!(decode_escapes("plain ü").0, "plain ü");
    }

    #[test]
    fn a_credential_only_its_escapes_hide_is_found_where_it_is_written() {
        let token = ["ghp_", "R8kWq3ZtY6vB1nM4xC7pL2sD9fG5hJ0aQe3T"].concat();
        let text = format!("a: \"\\x67{}\"\nb: {token}\n", &token[1..]);
        let raw = scan(&text);
        assert_eq!(raw.len(), 1, "the plain one is found as it is");
        let escaped = scan_escaped(&text, &raw);
        assert_eq!(escaped.len(), 1);
        let (hit, value) = &escaped[0];
        assert_eq!(value, &token);
        assert_eq!(&text[hit.secret.clone()], format!("\\x67{}", &token[1..]));
        // nothing more when the escaped value is also written plainly at the same place
        assert!(scan_escaped(&format!("b: {token}\n"), &scan(&format!("b: {token}\n"))).is_empty());
    }

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

    const B62: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const TOK: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-";
    const HEX: &str = "0123456789abcdef";
    const UPPER36: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const DIGITS: &str = "0123456789";

    /// `n` characters of `alphabet`, drawn by a fixed generator seeded with `seed`: FAKE, and
    /// the same on every run.
    fn fake(alphabet: &str, n: usize, seed: &str) -> String {
        let mut x = seed.bytes().fold(0x9e37_79b9_7f4a_7c15_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let a = alphabet.as_bytes();
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                a[(x % a.len() as u64) as usize] as char
            })
            .collect()
    }

    /// One FAKE token of every detector whose pattern starts with a registered prefix (and of
    /// the Alnum-bounded ids), each found on its own by the scanner; Brave's, which needs the
    /// word "brave" beside it, is tested on its own.
    fn prefixed_samples() -> Vec<(&'static str, String)> {
        let f = |a: &str, n: usize, seed: &str| fake(a, n, seed);
        let slack_bot = format!(
            "xoxb-{}-{}-{}",
            f(DIGITS, 11, "b1"),
            f(DIGITS, 12, "b2"),
            f(B62, 24, "b3")
        );
        vec![
            (
                "anthropic-admin-key",
                format!("sk-ant-admin01-{}", f(TOK, 90, "aa")),
            ),
            (
                "anthropic-api-key",
                format!("sk-ant-api03-{}", f(TOK, 93, "an")),
            ),
            (
                "openrouter-api-key",
                format!("sk-or-v1-{}", f(HEX, 64, "or")),
            ),
            ("openai-admin-key", format!("sk-admin-{}", f(TOK, 60, "oa"))),
            (
                "openai-service-account-key",
                format!("sk-svcacct-{}", f(TOK, 60, "os")),
            ),
            (
                "openai-project-key",
                format!("sk-proj-{}", f(TOK, 60, "op")),
            ),
            (
                "openai-api-key",
                format!("sk-{}T3BlbkFJ{}", f(B62, 20, "ol1"), f(B62, 20, "ol2")),
            ),
            ("langfuse-secret-key", format!("sk-lf-{}", f(B62, 36, "lf"))),
            ("huggingface-token", format!("hf_{}", f(B62, 34, "hf"))),
            (
                "github-pat-fine-grained",
                format!("github_pat_{}_{}", f(B62, 22, "gf1"), f(B62, 59, "gf2")),
            ),
            ("github-pat-classic", format!("ghp_{}", f(B62, 36, "ghp"))),
            ("github-oauth-token", format!("gho_{}", f(B62, 36, "gho"))),
            (
                "github-app-user-token",
                format!("ghu_{}", f(B62, 36, "ghu")),
            ),
            (
                "github-app-installation-token",
                format!("ghs_{}", f(B62, 36, "ghs")),
            ),
            ("github-refresh-token", format!("ghr_{}", f(B62, 36, "ghr"))),
            ("gitlab-pat", format!("glpat-{}", f(B62, 20, "glp"))),
            ("gitlab-runner-token", format!("glrt-{}", f(B62, 24, "glr"))),
            ("gitlab-deploy-token", format!("gldt-{}", f(B62, 24, "gld"))),
            ("npm-access-token", format!("npm_{}", f(B62, 36, "npm"))),
            (
                "pypi-upload-token",
                format!("pypi-AgEIcHlwaS5vcmc{}", f(TOK, 60, "py")),
            ),
            (
                "slack-webhook-url",
                format!(
                    "https://hooks.slack.com/services/T{}/B{}/{}",
                    f(UPPER36, 9, "sw1"),
                    f(UPPER36, 9, "sw2"),
                    f(B62, 24, "sw3")
                ),
            ),
            ("slack-bot-token", slack_bot),
            (
                "slack-user-token",
                format!(
                    "xoxp-{}-{}-{}-{}",
                    f(DIGITS, 11, "u1"),
                    f(DIGITS, 11, "u2"),
                    f(DIGITS, 12, "u3"),
                    f(B62, 32, "u4")
                ),
            ),
            (
                "slack-app-token",
                format!(
                    "xapp-1-{}-{}-{}",
                    f(UPPER36, 11, "ap1"),
                    f(DIGITS, 13, "ap2"),
                    f(B62, 64, "ap3")
                ),
            ),
            ("slack-token", format!("xoxs-{}", f(B62, 40, "xs"))),
            (
                "supabase-access-token",
                format!("sbp_{}", f(HEX, 40, "sbp")),
            ),
            (
                "supabase-secret-key",
                format!("sb_secret_{}", f(TOK, 40, "sbs")),
            ),
            ("notion-token", format!("ntn_{}", f(B62, 46, "ntn"))),
            ("linear-api-key", format!("lin_api_{}", f(B62, 40, "lin"))),
            ("figma-token", format!("figd_{}", f(TOK, 40, "fig"))),
            ("tavily-api-key", format!("tvly-{}", f(B62, 32, "tv"))),
            ("firecrawl-api-key", format!("fc-{}", f(HEX, 32, "fc"))),
            ("perplexity-api-key", format!("pplx-{}", f(B62, 48, "px"))),
            ("groq-api-key", format!("gsk_{}", f(B62, 52, "gq"))),
            ("xai-api-key", format!("xai-{}", f(B62, 80, "xai"))),
            ("replicate-api-token", format!("r8_{}", f(B62, 37, "r8"))),
            ("elevenlabs-api-key", format!("sk_{}", f(HEX, 48, "el"))),
            ("digitalocean-token", format!("dop_v1_{}", f(HEX, 64, "do"))),
            ("shopify-token", format!("shpat_{}", f(HEX, 32, "sh"))),
            (
                "postman-api-key",
                format!("PMAK-{}-{}", f(HEX, 24, "pm1"), f(HEX, 34, "pm2")),
            ),
            (
                "atlassian-api-token",
                format!("ATATT3{}", f(TOK, 190, "at")),
            ),
            ("sentry-token", format!("sntrys_{}", f(TOK, 60, "se"))),
            (
                "neon-api-key",
                format!(
                    "napi_{}",
                    f("0123456789abcdefghijklmnopqrstuvwxyz", 64, "ne")
                ),
            ),
            (
                "apify-api-token",
                format!("apify_api_{}", f(B62, 36, "apf")),
            ),
            (
                "browserbase-api-key",
                format!("bb_live_{}", f(TOK, 30, "bb")),
            ),
            (
                "context7-api-key",
                format!(
                    "ctx7sk-{}-{}-{}-{}-{}",
                    f(HEX, 8, "c1"),
                    f(HEX, 4, "c2"),
                    f(HEX, 4, "c3"),
                    f(HEX, 4, "c4"),
                    f(HEX, 12, "c5")
                ),
            ),
            ("stripe-secret-key", format!("sk_live_{}", f(B62, 30, "sl"))),
            (
                "stripe-restricted-key",
                format!("rk_live_{}", f(B62, 30, "rl")),
            ),
            (
                "aws-access-key-id",
                format!("AKIA{}", f("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, "ak")),
            ),
            (
                "aws-temporary-access-key-id",
                format!("ASIA{}", f("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, "as")),
            ),
            ("google-api-key", format!("AIza{}", f(TOK, 35, "ai"))),
            (
                "google-oauth-access-token",
                format!("ya29.{}", f(TOK, 40, "ya")),
            ),
            (
                "google-oauth-client-secret",
                format!("GOCSPX-{}", f(TOK, 28, "gc")),
            ),
            (
                "sendgrid-api-key",
                format!("SG.{}.{}", f(TOK, 22, "sg1"), f(TOK, 43, "sg2")),
            ),
            ("twilio-api-key", format!("SK{}", f(HEX, 32, "tw"))),
            (
                "jwt",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlc2lnbmF0dXJl"
                    .to_string(),
            ),
        ]
    }

    /// The secrets `scan` finds in `text`, as (detector, value).
    fn found(text: &str) -> Vec<(&'static str, &str)> {
        scan(text)
            .into_iter()
            .map(|h| (h.detector.id, &text[h.secret]))
            .collect()
    }

    /// Basic auth in a URL of any scheme: the password is the secret; a database URL stays the
    /// database detector's; references, defaults and placeholders are not secrets.
    #[test]
    fn a_password_in_a_url_is_found_and_placeholders_are_not() {
        for (text, want) in [
            (
                r#""url": "https://agent:Zq8vT3kLm2pW@mcp.internal.example/sse""#,
                Some(("url-password", "Zq8vT3kLm2pW")),
            ),
            (
                "git remote add origin https://ci-bot:h7Kp2Rw9Xq4t@git.corp.local/ai/agents.git",
                Some(("url-password", "h7Kp2Rw9Xq4t")),
            ),
            (
                "HTTPS_PROXY=http://proxy-user:V9mQ2xT7rL@proxy.corp:3128",
                Some(("url-password", "V9mQ2xT7rL")),
            ),
            (
                "wss://:Jx82nQvLp3Zt@stream.vendor.io/events",
                Some(("url-password", "Jx82nQvLp3Zt")),
            ),
            (
                "DATABASE_URL=postgres://app:Zq8vT3kLm2pW@db:5432/x",
                Some(("database-url-password", "Zq8vT3kLm2pW")),
            ),
            ("https://user:password@example.com/", None),
            ("https://user:pass@host/", None),
            ("https://admin:admin@localhost:8080/", None),
            ("https://${USER}:${TOKEN}@git.corp.local/x.git", None),
            ("https://$GH_USER:$GH_TOKEN@github.com/acme/x.git", None),
            ("https://{{ user }}:{{ token }}@host/", None),
            ("https://<user>:<password>@host/", None),
            ("https://user:your_token_here@host/", None),
            ("url = f\"https://{user}:{pw}@{host}\"", None),
            ("ssh://git@github.com:22/acme/agents.git", None),
            ("https://example.com:8443/path@v2", None),
            ("see http://localhost:3000 and mail x@y.z", None),
        ] {
            let got = found(text);
            assert_eq!(got.first().copied(), want, "{text}");
            assert!(got.len() <= 1, "{text}: {got:?}");
        }
    }

    #[test]
    fn the_samples_cover_every_prefixed_detector_and_are_found_alone() {
        let samples = prefixed_samples();
        for det in DETECTORS {
            let prefixed = matches!(
                det.boundary,
                Boundary::Prefix | Boundary::Distinct | Boundary::Dotted | Boundary::Alnum
            ) && !det.shown_prefix.is_empty()
                && det.id != "brave-search-api-key";
            assert_eq!(
                prefixed,
                samples.iter().any(|(id, _)| *id == det.id),
                "{}: a sample exactly when the detector is prefixed",
                det.id
            );
        }
        for (id, token) in &samples {
            assert_eq!(found(token), vec![(*id, token.as_str())], "{id} alone");
        }
    }

    /// The red-team's forms: a token after `-` or `_` (a name joined to it: `prod-ghp_…`,
    /// `bot_xoxb-…`, a tag `v1.3.0-ghp_…`), after other punctuation, and after an escape that
    /// JSON, YAML, a URL or a GitHub annotation writes for a line break or a colon.
    #[test]
    fn a_prefixed_token_is_found_whatever_punctuation_precedes_it() {
        let before = [
            "-",
            "_",
            "prod-",
            "bot_",
            "v1.3.0-",
            "deploy_key_",
            "x.",
            "a/",
            ":",
            "=",
            "\"",
            "'",
            "(",
            "[",
            "`",
            "@",
            "#",
            "+",
            ",",
            "|",
            "é",
            "\\n",
            "\\t",
            "\\r",
            "\\\\\\n",
            "%0A",
            "%3A",
            "%2C",
            "%3D",
            "\\u0022",
            "\\x3d",
        ];
        for (id, token) in prefixed_samples() {
            for b in before {
                for text in [format!("{b}{token}"), format!("key {b}{token} here\n")] {
                    assert_eq!(found(&text), vec![(id, token.as_str())], "{text:?}");
                    assert!(!redact_found(&text).contains(&token), "{text:?}");
                }
            }
        }
        // Brave's prefix counts only beside the word "brave".
        let bsa = format!("BSA{}", fake(TOK, 27, "bsa7"));
        for b in ["-", "_", "prod-"] {
            let text = format!("brave api key: {b}{bsa}\n");
            assert_eq!(
                found(&text),
                vec![("brave-search-api-key", bsa.as_str())],
                "{text:?}"
            );
        }
        assert_eq!(found(&format!("brave api key: x{bsa}\n")), vec![]);
        // The repro of the report.
        let text = "deploy key: prod-ghp_fkCzJr4i0B3JrTAwR4y9ojfljoQoaF1Llqsa\n\
                    slack: bot_xoxb-13721590109-281590139624-9wMxEhh2FDEEtfjgVvVqE1Sk\n\
                    aws: id-AKIAJ2XUID5ZZZZG6ZDM\n";
        let ids: Vec<&str> = found(text).into_iter().map(|(id, _)| id).collect();
        assert_eq!(
            ids,
            ["github-pat-classic", "slack-bot-token", "aws-access-key-id"]
        );
    }

    /// A letter or digit before a prefix a word could end in makes the prefix the tail of that
    /// word (`pnpm_`, `task_`, `helpdesk-proj-`): not reported. A prefix no word ends in
    /// (`Boundary::Distinct`) is reported anyway. Either way the output does not print it.
    #[test]
    fn a_letter_or_digit_before_a_prefix_hides_it_from_findings_not_from_the_output() {
        for (id, token) in prefixed_samples() {
            let det = detector(id).unwrap();
            for b in ["x", "W", "9", "\\\\n", "%0", "\\u002"] {
                let text = format!("see {b}{token} now");
                if det.boundary == Boundary::Distinct {
                    assert_eq!(found(&text), vec![(id, token.as_str())], "{text:?}");
                } else {
                    assert_eq!(found(&text), vec![], "{text:?}");
                }
                let shown = redact_found(&text);
                // AWS ids and Twilio keys keep their boundary in the output too (`SK` + hex
                // is also the end of a longer hex run).
                if det.boundary != Boundary::Alnum {
                    assert!(!shown.contains(&token), "{text:?} -> {shown:?}");
                }
            }
        }
        assert_eq!(
            found(&format!("Wsk-ant-api03-{}", fake(TOK, 93, "an"))).len(),
            1
        );
    }

    /// After a token whose alphabet has no `-` or `_`, either one still ends a longer run for
    /// findings (as before); the output redacts the token anyway.
    #[test]
    fn a_token_followed_by_dash_or_underscore_is_redacted_in_the_output() {
        for (id, token) in prefixed_samples() {
            let det = detector(id).unwrap();
            if !matches!(det.boundary, Boundary::Prefix | Boundary::Distinct) {
                continue;
            }
            for after in ["-", "_", "-rc1", "_old"] {
                let text = format!("tag {token}{after} here");
                assert!(!redact_found(&text).contains(&token), "{text:?}");
            }
        }
    }

    /// What must stay unmatched: words and identifiers that end in a prefix, placeholders after
    /// a name, a literal backslash before a letter, prefixes alone.
    #[test]
    fn word_tails_and_placeholders_after_punctuation_are_not_secrets() {
        let b62 = |n: usize, seed: &str| fake(B62, n, seed);
        let tok = |n: usize, seed: &str| fake(TOK, n, seed);
        let hex = |n: usize, seed: &str| fake(HEX, n, seed);
        let cases = [
            format!("pnpm_{}", b62(36, "n1")),
            format!("task_{}", hex(48, "n2")),
            format!("mask_{}", hex(48, "n3")),
            format!("helpdesk-proj-{}", tok(44, "n4")),
            format!("risk-admin-{}", tok(44, "n5")),
            format!("abc-{}", hex(32, "n6")),
            format!("shelf_{}", b62(34, "n7")),
            format!("highp_{}", b62(36, "n8")),
            format!("Xghp_{}", b62(36, "n9")),
            format!("0ghp_{}", b62(36, "n10")),
            format!("C:\\\\notes\\\\nghp_{}", b62(36, "n11")),
            "prod-ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".to_string(),
            "v1.3.0-ghp_${GITHUB_TOKEN}".to_string(),
            "bot_xoxb-your-token-here".to_string(),
            "deploy-sk-proj-...".to_string(),
            "prefixes: -ghp_, _gho_, -xoxb-, _sk-ant-api03-, -glpat-".to_string(),
            "prod-ghp_16C7e42F292c6912E7710c838347Ae178B4a".to_string(),
            format!("Xmsk-proj-{}", tok(44, "n12")),
        ];
        for text in &cases {
            assert_eq!(found(text), vec![], "{text:?}");
        }
    }

    #[test]
    fn escapes_that_end_in_a_letter_or_digit() {
        for (before, yes) in [
            ("a\\n", true),
            ("\\t", true),
            ("\\\\\\r", true),
            ("\\\\n", false),
            ("n", false),
            ("%0A", true),
            ("%3a", true),
            ("%G0", false),
            ("0A", false),
            ("\\x3D", true),
            ("\\\\x3D", false),
            ("\\u0022", true),
            ("u0022", false),
            ("\\u00G2", false),
            ("", false),
        ] {
            assert_eq!(ends_escape(before.as_bytes()), yes, "{before:?}");
        }
    }

    /// Every detector with a registered prefix takes `-` and `_` before it; one that takes
    /// anything starts with a prefix of six bytes or more that holds a digit.
    #[test]
    fn every_prefixed_detector_accepts_punctuation_before_it() {
        for det in DETECTORS.iter().filter(|d| !d.shown_prefix.is_empty()) {
            for b in [b"a-", b"a_", b"a.", b"a:"] {
                assert!(
                    det.boundary.starts(b, 2, Purpose::Findings),
                    "{}: {:?}",
                    det.id,
                    b
                );
            }
            // (its keywords are the prefixes its pattern starts with)
            if det.boundary == Boundary::Distinct {
                for k in det.keywords {
                    assert!(
                        k.len() >= 6 && k.bytes().any(|b| b.is_ascii_digit()),
                        "{}: {k}",
                        det.id
                    );
                }
            }
        }
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

    /// Cut anywhere (after any lead-in, at any length, with or without a marker), a token
    /// leaves no more of itself than its redacted form shows: its public prefix and at most
    /// four characters of its tail, never five of its characters in a row.
    #[test]
    fn clip_redacts_before_it_cuts_so_no_piece_of_a_token_is_left() {
        for (id, token) in prefixed_samples() {
            let prefix = d(id).shown_prefix;
            let body = token.strip_prefix(prefix).unwrap_or(&token);
            let pieces: Vec<String> = body
                .chars()
                .collect::<Vec<_>>()
                .windows(5)
                .map(|w| w.iter().collect())
                .collect();
            for lead in ["", "case-", "x_", "the token is here ok x_", "QA-"] {
                let text = format!("{lead}{token} and after");
                for max in 1..text.chars().count() + 2 {
                    for marker in ["", "…"] {
                        let shown = clip(&text, max, marker);
                        assert!(shown.chars().count() <= max.max(1), "{shown:?}");
                        for p in &pieces {
                            assert!(
                                !shown.contains(p.as_str()),
                                "{id}: {text:?} at {max}: {shown:?}"
                            );
                        }
                    }
                }
            }
        }
        // What the red-team saw: `ghp_` and 31 of the 36 characters.
        let ghp = format!("ghp_{}", fake(B62, 36, "clip"));
        let shown = clip(&format!("case-{ghp}"), 40, "");
        assert!(shown.starts_with("case-ghp_…"), "{shown:?}");
        assert!(!shown.contains(&ghp[4..16]), "{shown:?}");
    }

    /// A recorded value is redacted before the cut even where the scanner does not see it,
    /// and text without a credential is cut as before.
    #[test]
    fn clip_redacts_recorded_values_and_cuts_plain_text_as_before() {
        let value = format!("zz{}", fake(B62, 30, "clip-known"));
        known::remember(&value, "…zzzz");
        let shown = clip(&format!("name {value} tail"), 20, "…");
        assert_eq!(shown, "name …zzzz tail");
        let shown = clip(&format!("the name is {value}"), 20, "…");
        assert!(!shown.contains(&value[..8]), "{shown:?}");
        assert_eq!(clip("short", 10, "…"), "short");
        assert_eq!(clip("abcdefghij", 10, "…"), "abcdefghij");
        assert_eq!(clip("abcdefghijk", 10, "…"), "abcdefghi…");
        assert_eq!(clip("abcdefghijk", 10, ""), "abcdefghij");
        assert_eq!(clip("ééééé", 3, "…"), "éé…");
    }
}

#[cfg(test)]
mod mask_all_tests {
    use super::*;

    #[test]
    fn a_window_cut_from_the_masked_text_holds_no_piece_of_a_credential() {
        let token = ["ghp_", "R8kWq3ZtY6vB1nM4xC7pL2sD9fG5hJ0aQe3T"].concat();
        let recorded = "zz-recorded-credential-é-9f8e7d";
        known::remember(recorded, "zz…9f8e");
        let text = format!("a line with {token} and {recorded} in it");
        let masked = mask_all(&text);
        assert_eq!(masked.len(), text.len());
        assert!(!masked.contains(&token[4..12]), "{masked}");
        assert!(!masked.contains("recorded-credential"), "{masked}");
        assert!(masked.starts_with("a line with ") && masked.ends_with(" in it"));
        // Every window of it is text: the offsets of `text` are char boundaries of it.
        for at in 0..=text.len() {
            if text.is_char_boundary(at) {
                assert!(masked.is_char_boundary(at), "{at}");
            }
        }
    }
}
