//! Placeholder until the scanner lands (branch `secrets`): the interface, one detector.

use std::ops::Range;

pub struct Detector {
    pub id: &'static str,
    pub title: &'static str,
    pub keywords: &'static [&'static str],
    pub shown_prefix: &'static str,
}

pub static DETECTORS: &[Detector] = &[Detector {
    id: "github-pat-classic",
    title: "GitHub personal access token (classic)",
    keywords: &["ghp_"],
    shown_prefix: "ghp_",
}];

pub fn detector(id: &str) -> Option<&'static Detector> {
    DETECTORS.iter().find(|d| d.id == id)
}

pub struct Hit {
    pub detector: &'static Detector,
    pub secret: Range<usize>,
}

pub fn scan(text: &str) -> Vec<Hit> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find("ghp_") {
        let start = from + i;
        let end = (start + 4..b.len().min(start + 40))
            .find(|&j| !b[j].is_ascii_alphanumeric())
            .unwrap_or(b.len().min(start + 40));
        if end - start == 40 {
            out.push(Hit {
                detector: &DETECTORS[0],
                secret: start..end,
            });
        }
        from = end.max(start + 4);
    }
    out
}

pub fn fingerprint(secret: &str) -> String {
    crate::load::sha256_hex(secret.as_bytes())[..16].to_string()
}

pub fn redact(detector: &Detector, secret: &str) -> String {
    let n = (secret.chars().count() / 4).min(4);
    let tail: String = secret
        .chars()
        .rev()
        .take(n)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let prefix = if secret.starts_with(detector.shown_prefix) {
        detector.shown_prefix
    } else {
        ""
    };
    format!("{prefix}…{tail}")
}

pub fn mask(text: &str) -> std::borrow::Cow<'_, str> {
    let hits = scan(text);
    if hits.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.as_bytes().to_vec();
    for h in hits {
        for b in &mut out[h.secret] {
            *b = b'*';
        }
    }
    std::borrow::Cow::Owned(String::from_utf8(out).unwrap_or_default())
}
