//! Every credential value this process has found, so that [`crate::output`] can redact it
//! wherever it reappears: in a message that quotes it, a name, another format's escaping of it;
//! and so that the working tree ([`crate::snapshot::Worktree`]) writes no file that holds one.
//!
//! [`crate::load::model::Secret::new`] is the only constructor of a found secret and records it here,
//! so a secret cannot be found without the output knowing it. Values never leave this module
//! but to be matched and replaced.
//!
//! Replacing is one pass of one automaton over the text, whatever the number of values: a
//! [`Scrubber`] is built once for each set of values (and each way of writing them) and kept
//! until a value is added, so redacting every finding of a large run stays linear.

use aho_corasick::{AhoCorasick, MatchKind};
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Each value with the form that may be shown in its place.
pub type Known = Arc<Vec<(String, String)>>;

#[derive(Default)]
struct Registry {
    values: Known,
    /// The scrubbers built for `values`, by the key they were built for.
    scrubbers: Vec<(u8, Arc<Scrubber>)>,
}

static KNOWN: Mutex<Option<Registry>> = Mutex::new(None);

/// Whether any value was recorded: a check without the lock, for code that copies the
/// repository's strings in bulk ([`crate::rego::input`]) and scrubs them only when there is
/// something to scrub.
static ANY: AtomicBool = AtomicBool::new(false);

/// Records a credential and the form that may be shown in its place.
pub fn remember(value: &str, redacted: &str) {
    if value.is_empty() {
        return;
    }
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    let r = known.get_or_insert_with(Registry::default);
    if !r.values.iter().any(|(v, _)| v == value) {
        Arc::make_mut(&mut r.values).push((value.to_string(), redacted.to_string()));
        r.scrubbers.clear();
        ANY.store(true, Ordering::Release);
    }
}

/// Whether any credential was recorded.
pub fn any() -> bool {
    ANY.load(Ordering::Acquire)
}

/// Every credential recorded so far.
pub fn values() -> Known {
    let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    known.as_ref().map(|r| r.values.clone()).unwrap_or_default()
}

/// Replaces patterns by their replacements, longest first where two start at one place.
pub struct Scrubber {
    ac: Option<AhoCorasick>,
    replacements: Vec<String>,
}

impl Scrubber {
    /// From (pattern, replacement) pairs; a pattern given twice keeps its first replacement.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Scrubber {
        let mut seen = std::collections::HashSet::new();
        let (patterns, replacements): (Vec<String>, Vec<String>) = pairs
            .into_iter()
            .filter(|(p, _)| !p.is_empty() && seen.insert(p.clone()))
            .unzip();
        let ac = if patterns.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .ok()
        };
        Scrubber { ac, replacements }
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.ac.as_ref().is_some_and(|ac| ac.is_match(text))
    }

    /// The byte ranges of every pattern in `text`.
    pub fn ranges(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        self.ac
            .as_ref()
            .map(|ac| ac.find_iter(text).map(|m| m.range()).collect())
            .unwrap_or_default()
    }

    pub fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match &self.ac {
            Some(ac) if ac.is_match(text) => Cow::Owned(ac.replace_all(text, &self.replacements)),
            _ => Cow::Borrowed(text),
        }
    }
}

/// The scrubber `build` makes of the values recorded so far, built once per `key` until a value
/// is added. `key` names the way `build` writes the values (each output mode its own).
pub fn scrubber(key: u8, build: impl FnOnce(&[(String, String)]) -> Scrubber) -> Arc<Scrubber> {
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    let r = known.get_or_insert_with(Registry::default);
    if let Some((_, s)) = r.scrubbers.iter().find(|(k, _)| *k == key) {
        return s.clone();
    }
    let s = Arc::new(build(&r.values));
    r.scrubbers.push((key, s.clone()));
    s
}

/// Where each recorded value is in `text`, as written.
pub fn ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    if !any() {
        return Vec::new();
    }
    scrubber(u8::MAX, |values| Scrubber::new(values.iter().cloned())).ranges(text)
}

/// Whether `bytes` hold a recorded value, as written.
pub fn holds(bytes: &[u8]) -> bool {
    any() && !ranges(&String::from_utf8_lossy(bytes)).is_empty()
}

/// `text` with every recorded value, as written, replaced by its redacted form.
pub fn scrub(text: &str) -> Cow<'_, str> {
    scrubber(u8::MAX, |values| Scrubber::new(values.iter().cloned())).scrub(text)
}

/// Forgets every value: for the fuzz targets, which run many repositories in one process.
#[doc(hidden)]
pub fn clear() {
    *KNOWN.lock().unwrap_or_else(|e| e.into_inner()) = None;
    ANY.store(false, Ordering::Release);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_value_at_a_place_is_replaced_whole() {
        let s = Scrubber::new([
            ("abcd".to_string(), "A".to_string()),
            ("abcdefgh".to_string(), "B".to_string()),
            ("abcd".to_string(), "C".to_string()),
        ]);
        assert_eq!(s.scrub("x abcdefgh abcd y"), "x B A y");
        assert!(matches!(s.scrub("nothing"), Cow::Borrowed(_)));
        assert!(!Scrubber::new([]).is_match("anything"));
    }

    #[test]
    fn a_scrubber_is_built_once_until_a_value_is_added() {
        // Other tests record values at the same time: compare only across an unchanged set.
        let mut builds = 0;
        let mut same = false;
        for _ in 0..20 {
            let before = values().len();
            let a = scrubber(200, |_| Scrubber::new([]));
            let b = scrubber(200, |_| {
                builds += 1;
                Scrubber::new([])
            });
            if values().len() == before {
                same = Arc::ptr_eq(&a, &b);
                break;
            }
        }
        assert!(
            same && builds == 0,
            "a second call reuses the first scrubber"
        );
        remember("a-value-only-this-test-records", "a-v…ords");
        assert!(scrub("x a-value-only-this-test-records y").contains("a-v…ords"));
    }
}
