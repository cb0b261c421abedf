//! Every credential value this process has found, so that [`crate::output`] can redact it
//! wherever it reappears: in a message that quotes it, a name, another format's escaping of it.
//!
//! [`crate::load::model::Secret::new`] is the only constructor of a found secret and records it here,
//! so a secret cannot be found without the output knowing it. Values never leave this module
//! but to be matched and replaced.

use std::sync::{Arc, Mutex};

/// Each value with the form that may be shown in its place.
pub type Known = Arc<Vec<(String, String)>>;

static KNOWN: Mutex<Option<Known>> = Mutex::new(None);

/// Records a credential and the form that may be shown in its place.
pub fn remember(value: &str, redacted: &str) {
    if value.is_empty() {
        return;
    }
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    let list = known.get_or_insert_with(Known::default);
    if !list.iter().any(|(v, _)| v == value) {
        Arc::make_mut(list).push((value.to_string(), redacted.to_string()));
    }
}

/// Every credential recorded so far.
pub fn values() -> Known {
    let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    known.clone().unwrap_or_default()
}

/// Forgets every value: for the fuzz targets, which run many repositories in one process.
#[doc(hidden)]
pub fn clear() {
    *KNOWN.lock().unwrap_or_else(|e| e.into_inner()) = None;
}
