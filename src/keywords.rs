//! Keyword prefilters: one automaton over the words of many patterns, so that a text is read
//! once and only the patterns whose words it holds run (gitleaks's keywords, used by the
//! secret scanner and by TOOL008).
//!
//! The automaton is aho-corasick's DFA, stepped here rather than by the crate's search loop:
//! a long text is cut into [`LANES`] parts scanned side by side, so that the processor
//! follows four chains of table lookups at once instead of waiting on one (two parts took a
//! quarter less time than one on the 24 MB of the large benchmark, four 15% less than two:
//! 18.7 → 15.9 ms for the secret scan; six and eight were slower again). Each part starts
//! [`max_pattern_len`] − 1 bytes early and reports only the words that end inside it, so
//! every occurrence is reported once.
//!
//! [`max_pattern_len`]: aho_corasick::automaton::Automaton::max_pattern_len

use aho_corasick::Anchored;
use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use std::ops::Range;

/// How many parts of a text are scanned side by side.
const LANES: usize = 4;

/// Below this length a text is scanned in one part.
const SPLIT_FROM: usize = 256;

pub struct Keywords {
    /// Every pattern's words, each once, ASCII case-insensitive.
    dfa: DFA,
    /// For each word of the automaton, the patterns (indices into the lists given) it belongs to.
    owners: Vec<Vec<usize>>,
}

impl Keywords {
    /// The automaton over `lists`, pattern `i`'s words being `lists[i]`.
    pub fn new<'a>(lists: impl IntoIterator<Item = &'a [&'a str]>) -> Keywords {
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
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .build(&words)
            .expect("keyword automaton");
        Keywords { dfa, owners }
    }

    /// Calls `f` with the range of every occurrence of a word in `hay` (overlapping ones
    /// included) and the patterns that word belongs to, in no particular order.
    pub fn each(&self, hay: &[u8], mut f: impl FnMut(Range<usize>, &[usize])) {
        let dfa = &self.dfa;
        let Ok(start) = dfa.start_state(Anchored::No) else {
            return;
        };
        let mut emit = |sid, i: usize| {
            for k in 0..dfa.match_len(sid) {
                let word = dfa.match_pattern(sid, k);
                let end = i + 1;
                f(
                    end - dfa.pattern_len(word)..end,
                    &self.owners[word.as_usize()],
                );
            }
        };
        let n = hay.len();
        if n < SPLIT_FROM {
            let mut sid = start;
            for (i, &b) in hay.iter().enumerate() {
                sid = dfa.next_state(Anchored::No, sid, b);
                if dfa.is_match(sid) {
                    emit(sid, i);
                }
            }
            return;
        }
        // Part `l` owns the occurrences that end in `owned[l]`, and is scanned from `from[l]`,
        // early enough for the longest word ending at its first owned byte.
        let size = n.div_ceil(LANES);
        let warm_up = dfa.max_pattern_len().saturating_sub(1);
        let owned: [Range<usize>; LANES] =
            std::array::from_fn(|l| l * size..((l + 1) * size).min(n));
        let from: [usize; LANES] = std::array::from_fn(|l| owned[l].start.saturating_sub(warm_up));
        let together = (0..LANES)
            .map(|l| owned[l].end - from[l])
            .min()
            .unwrap_or(0);
        // The step is written out in each loop on purpose: one closure taking a part's state by
        // reference, shared by the loops, made the keyword pass twice as slow (16 → 30 ms on
        // the large benchmark).
        let mut sid = [start; LANES];
        for step in 0..together {
            for l in 0..LANES {
                let i = from[l] + step;
                sid[l] = dfa.next_state(Anchored::No, sid[l], hay[i]);
                if dfa.is_match(sid[l]) && i >= owned[l].start {
                    emit(sid[l], i);
                }
            }
        }
        for l in 0..LANES {
            let rest = from[l] + together..owned[l].end;
            for (i, &b) in rest.clone().zip(&hay[rest]) {
                sid[l] = dfa.next_state(Anchored::No, sid[l], b);
                if dfa.is_match(sid[l]) && i >= owned[l].start {
                    emit(sid[l], i);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(k: &Keywords, hay: &str) -> Vec<(Range<usize>, Vec<usize>)> {
        let mut out = Vec::new();
        k.each(hay.as_bytes(), |r, owners| out.push((r, owners.to_vec())));
        out.sort_by_key(|(r, o)| (r.start, r.end, o.clone()));
        out
    }

    #[test]
    fn a_word_shared_by_patterns_owns_them_all() {
        let k = Keywords::new([&["key", "token"][..], &["key"][..], &["pass"][..]]);
        assert_eq!(
            found(&k, "a Token and a key"),
            vec![(2..7, vec![0]), (14..17, vec![0, 1])]
        );
    }

    #[test]
    fn the_parts_report_every_occurrence_once_as_one_scan_does() {
        let lists: [&[&str]; 4] = [
            &["sk", "sk-proj-", "token"],
            &["secret", "secret_", "ecre"],
            &["xoxb-", "a3t", "t"],
            &["aaaa", "aa"],
        ];
        let k = Keywords::new(lists);
        let words: Vec<&str> = lists.iter().flat_map(|l| l.iter().copied()).collect();
        let reference = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&words)
            .unwrap();
        // Texts of every length around the split, made of pieces of the words, so that
        // occurrences fall on and across the boundary between the parts.
        let pieces = [
            "sk", "-proj-", "SeCr", "et_", "tok", "en", "xoxb-", "a", "a3", "t ", "\n", "é",
            "Sk-PrOj-",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut checked = 0;
        for len in (0..700).chain([4096, 10_000]) {
            for _ in 0..4 {
                let mut text = String::new();
                while text.len() < len {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    text.push_str(pieces[(state % pieces.len() as u64) as usize]);
                }
                let mut want: Vec<(Range<usize>, Vec<usize>)> = reference
                    .find_overlapping_iter(&text)
                    .map(|m| {
                        let w = words[m.pattern().as_usize()];
                        let owners = (0..lists.len())
                            .filter(|&i| lists[i].contains(&w))
                            .collect();
                        (m.range(), owners)
                    })
                    .collect();
                want.sort_by_key(|(r, o)| (r.start, r.end, o.clone()));
                assert_eq!(found(&k, &text), want, "{text:?}");
                checked += want.len();
            }
        }
        assert!(checked > 50_000, "the texts hold words: {checked}");
    }
}
