//! Keyword prefilters: one automaton over the words of many patterns, so that a text is read
//! once and only the patterns whose words it holds run (gitleaks's keywords, used by the
//! secret scanner and by TOOL008).

use aho_corasick::{AhoCorasick, AhoCorasickKind};

pub struct Keywords {
    /// Every pattern's words, each once, ASCII case-insensitive.
    pub automaton: AhoCorasick,
    /// For each word of the automaton, the patterns (indices into the lists given) it belongs to.
    pub owners: Vec<Vec<usize>>,
}

impl Keywords {
    /// The automaton over `lists`, pattern `i`'s words being `lists[i]`. `kind` chooses the
    /// automaton (a DFA is slower to build and faster to run); `None` lets the crate choose.
    pub fn new<'a>(
        lists: impl IntoIterator<Item = &'a [&'a str]>,
        kind: Option<AhoCorasickKind>,
    ) -> Keywords {
        let mut words: Vec<&str> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        for (i, list) in lists.into_iter().enumerate() {
            for &w in list {
                match words.iter().position(|x| *x == w) {
                    Some(p) => owners[p].push(i),
                    None => {
                        words.push(w);
                        owners.push(vec![i]);
                    }
                }
            }
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(kind)
            .build(&words)
            .expect("keyword automaton");
        Keywords { automaton, owners }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_shared_by_patterns_owns_them_all() {
        let k = Keywords::new([&["key", "token"][..], &["key"][..], &["pass"][..]], None);
        let hits: Vec<Vec<usize>> = k
            .automaton
            .find_overlapping_iter("a Token and a key")
            .map(|m| k.owners[m.pattern().as_usize()].clone())
            .collect();
        assert_eq!(hits, vec![vec![0], vec![0, 1]]);
    }
}
