//! Which top-level sections of the input document a set of policies can read: the worker is
//! sent those only. The lock alone is about 40% of the document of a large repository, and a
//! policy about agents never reads it, but the worker would parse and hold it.
//!
//! Rego reaches the input document only through the word `input` (an `import input.x` alias is
//! spelled with it too), so the sections read are those named right after it, `input.agents`
//! or `input["agents"]`. Any other use of it (`input[k]`, `walk(input, …)`, `f(input)`,
//! `import input`) may read any section, and then every section is sent. `with input… as`
//! replaces the input rather than reading it. Comments and string literals are skipped (regorus
//! has no string interpolation). The answer may hold more sections than a policy reads, never
//! fewer.

use std::collections::BTreeSet;

/// The sections `texts` can read, or `None` when one of them may read any.
pub fn sections(texts: &[&str]) -> Option<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for t in texts {
        read_by(t, &mut out)?;
    }
    Some(out)
}

fn ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Adds the sections `text` reads to `out`; `None` when it may read any.
fn read_by(text: &str, out: &mut BTreeSet<String>) -> Option<()> {
    let b = text.as_bytes();
    let mut i = 0;
    // The last word seen outside comments and strings (`with` before `input` is a target).
    let mut last_word: &[u8] = b"";
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                last_word = b"";
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
                i += 1;
                last_word = b"";
            }
            c if ident(c) => {
                let start = i;
                while i < b.len() && ident(b[i]) {
                    i += 1;
                }
                let word = &b[start..i];
                // `x.input` is a key, not the root (`data.input`, `obj.input`).
                let after_dot = start > 0 && b[start - 1] == b'.';
                if word == b"input" && !after_dot && last_word != b"with" {
                    let (section, end) = section_after(b, i)?;
                    out.insert(section);
                    i = end;
                }
                last_word = word;
            }
            c => {
                if !c.is_ascii_whitespace() {
                    last_word = b"";
                }
                i += 1;
            }
        }
    }
    Some(())
}

/// The section named right after `input` (ending at `at`): `.name` or `["name"]`, with the
/// index just past it; `None` for any other use.
fn section_after(b: &[u8], at: usize) -> Option<(String, usize)> {
    let skip_ws = |mut i: usize| {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        i
    };
    let i = skip_ws(at);
    match b.get(i)? {
        b'.' => {
            let start = skip_ws(i + 1);
            let mut end = start;
            while end < b.len() && ident(b[end]) {
                end += 1;
            }
            (end > start).then(|| (String::from_utf8_lossy(&b[start..end]).into_owned(), end))
        }
        b'[' => {
            let q = skip_ws(i + 1);
            if b.get(q) != Some(&b'"') {
                return None;
            }
            let start = q + 1;
            let mut end = start;
            while end < b.len() && b[end] != b'"' {
                // An escape in the key: not worth decoding, read everything.
                if b[end] == b'\\' || b[end] == b'\n' {
                    return None;
                }
                end += 1;
            }
            let close = skip_ws(end + 1);
            (b.get(close) == Some(&b']')).then(|| {
                (
                    String::from_utf8_lossy(&b[start..end]).into_owned(),
                    close + 1,
                )
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<Vec<String>> {
        sections(&[text]).map(|s| s.into_iter().collect())
    }

    #[test]
    fn sections_named_after_input_are_read() {
        assert_eq!(
            read("deny contains m if { some a in input.agents; input.tools[a.x]; m := \"\" }"),
            Some(vec!["agents".into(), "tools".into()])
        );
        assert_eq!(read("x := input[\"lock\"].root"), Some(vec!["lock".into()]));
        assert_eq!(read("x := input . prompts"), Some(vec!["prompts".into()]));
        assert_eq!(
            read("import input.models as m\nimport rego.v1"),
            Some(vec!["models".into()])
        );
        assert_eq!(read("package p\nallow := true"), Some(vec![]));
    }

    #[test]
    fn any_other_use_of_input_reads_every_section() {
        for text in [
            "x := input[k]",
            "x := walk(input, y)",
            "x := object.get(input, \"lock\", {})",
            "import input",
            "x := input",
            "x := input[ \"lo\\\"ck\" ]",
            "x := input.",
            "x := input[\"lock\"",
        ] {
            assert_eq!(read(text), None, "{text}");
        }
        // One policy that may read anything: the set may read anything.
        assert_eq!(sections(&["x := input.agents", "y := input"]), None);
    }

    #[test]
    fn comments_strings_keys_and_with_targets_are_not_reads() {
        assert_eq!(read("# this reads input, all of it\nx := 1"), Some(vec![]));
        assert_eq!(read("m := \"the input is bad\""), Some(vec![]));
        assert_eq!(read("m := `raw input`"), Some(vec![]));
        assert_eq!(read("x := data.input.lock"), Some(vec![]));
        assert_eq!(read("x := my_input.lock; y := input_x"), Some(vec![]));
        assert_eq!(
            read("test_a if { count(deny) == 1 with input as {\"agents\": {}} }"),
            Some(vec![])
        );
        assert_eq!(
            read("test_a if { deny with input.agents as {} }"),
            Some(vec![])
        );
    }

    #[test]
    fn a_hash_or_quote_inside_a_string_does_not_hide_what_follows() {
        assert_eq!(
            read("m := \"#1\"; x := input.lock"),
            Some(vec!["lock".into()])
        );
        assert_eq!(
            read("m := \"a \\\" # b\"; x := input.lock"),
            Some(vec!["lock".into()])
        );
        assert_eq!(read("m := `#`; x := input.lock"), Some(vec!["lock".into()]));
        // A comment ends at its line.
        assert_eq!(read("# c\nx := input"), None);
    }
}
