//! "Did you mean …?" suggestions.

/// Edit distance (optimal string alignment: insertions, deletions, substitutions and
/// transpositions of neighbours each cost one): the reference the trie's bounded search is
/// tested against.
#[cfg(test)]
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The closest candidate, if it is close enough to be a likely typo: within a third of the
/// word's length in edits (at least one); ties go to the first in byte order. For many lookups
/// over the same candidates, build an [`Index`] once.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    Index::new(candidates).did_you_mean(word)
}

/// The candidates of lookups, as a trie of their lowercase forms: a lookup walks only the
/// branches that can still end within the limit, so that thousands of unknown names against
/// thousands of candidates (a topology whose every reference is wrong) cost far less than each
/// name against each candidate.
pub struct Index<'a> {
    nodes: Vec<Node<'a>>,
}

#[derive(Default)]
struct Node<'a> {
    /// By character, sorted.
    children: Vec<(char, usize)>,
    /// The byte-smallest candidate that ends here.
    end: Option<&'a str>,
}

/// The state of one search: the word, its limit, the rows of the alignment (one per depth,
/// end to end), and the candidate characters on the path.
struct Search<'s, 'a> {
    a: &'s [char],
    limit: usize,
    rows: Vec<usize>,
    path: Vec<char>,
    best: Option<(usize, &'a str)>,
}

/// Words longer than this get no suggestion: a typo is of a name, and the alignment of two
/// long strings costs the product of their lengths.
pub const MAX_WORD: usize = 64;

impl<'a> Index<'a> {
    pub fn new<I: IntoIterator<Item = &'a str>>(candidates: I) -> Self {
        let mut nodes: Vec<Node<'a>> = vec![Node::default()];
        // No word past MAX_WORD is looked up, so no candidate past its limit can be suggested.
        let longest = MAX_WORD + MAX_WORD / 3;
        for c in candidates {
            if c.chars().count() > longest {
                continue;
            }
            let mut at = 0;
            for ch in c.chars().map(|c| c.to_ascii_lowercase()) {
                at = match nodes[at].children.binary_search_by_key(&ch, |&(k, _)| k) {
                    Ok(i) => nodes[at].children[i].1,
                    Err(i) => {
                        let n = nodes.len();
                        nodes.push(Node::default());
                        nodes[at].children.insert(i, (ch, n));
                        n
                    }
                };
            }
            let end = &mut nodes[at].end;
            if end.is_none_or(|e| c < e) {
                *end = Some(c);
            }
        }
        Index { nodes }
    }

    /// The closest candidate of the index, as [`did_you_mean`] says.
    pub fn did_you_mean(&self, word: &str) -> Option<&'a str> {
        let a: Vec<char> = word.chars().map(|c| c.to_ascii_lowercase()).collect();
        if a.len() > MAX_WORD {
            return None;
        }
        let mut search = Search {
            limit: (a.len() / 3).max(1),
            rows: (0..=a.len()).collect(),
            path: Vec::new(),
            best: None,
            a: &a,
        };
        self.walk(0, &mut search);
        search.best.map(|(_, c)| c)
    }

    /// Visits `node`, whose row is the last of `s.rows`, and the children that can still end
    /// within the limit.
    fn walk(&self, node: usize, s: &mut Search<'_, 'a>) {
        let w = s.a.len() + 1;
        let depth = s.rows.len() / w - 1;
        let here = depth * w;
        if let Some(c) = self.nodes[node].end {
            let d = s.rows[here + s.a.len()];
            if d <= s.limit && s.best.is_none_or(|(bd, bc)| (d, c) < (bd, bc)) {
                s.best = Some((d, c));
            }
        }
        let above_min = s.rows[here..].iter().copied().min().unwrap_or(0);
        for &(ch, child) in &self.nodes[node].children {
            let next = here + w;
            s.rows.push(depth + 1);
            let mut row_min = depth + 1;
            for i in 1..=s.a.len() {
                let cost = usize::from(s.a[i - 1] != ch);
                let mut v = (s.rows[here + i] + 1)
                    .min(s.rows[next + i - 1] + 1)
                    .min(s.rows[here + i - 1] + cost);
                if i > 1 && depth > 0 && s.a[i - 1] == s.path[depth - 1] && s.a[i - 2] == ch {
                    v = v.min(s.rows[here - w + i - 2] + 1);
                }
                s.rows.push(v);
                row_min = row_min.min(v);
            }
            // A transposition reaches back two rows: only when both are past the limit can no
            // candidate below end within it.
            if row_min <= s.limit || above_min <= s.limit {
                s.path.push(ch);
                self.walk(child, s);
                s.path.pop();
            }
            s.rows.truncate(next);
        }
    }

    /// ` Did you mean `x`?` or nothing.
    pub fn hint(&self, word: &str) -> String {
        self.did_you_mean(word)
            .map_or(String::new(), |c| format!(" Did you mean `{c}`?"))
    }
}

/// ` Did you mean `x`?` or nothing.
pub fn hint<'a, I>(word: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    did_you_mean(word, candidates).map_or(String::new(), |c| format!(" Did you mean `{c}`?"))
}

/// At most [`LISTED`] of `names`, comma-separated, then how many more: a help that lists every
/// agent of a topology of thousands, once per finding, would make the report quadratic.
pub fn listing<S: AsRef<str>>(names: &[S]) -> String {
    let mut out = names
        .iter()
        .take(LISTED)
        .map(AsRef::as_ref)
        .collect::<Vec<&str>>()
        .join(", ");
    if names.len() > LISTED {
        out.push_str(&format!(" and {} more", names.len() - LISTED));
    }
    out
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

/// How many names a help lists.
pub const LISTED: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn and_lists() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b"]), "a and b");
        assert_eq!(
            and_list(&["a".to_string(), "b".into(), "c".into()]),
            "a, b and c"
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(distance("timeout", "timeuot"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(did_you_mean("fsat", ["fast", "smart"]), Some("fast"));
        assert_eq!(
            did_you_mean("timout", ["timeout", "retries"]),
            Some("timeout")
        );
        assert_eq!(
            did_you_mean("handof", ["handoffs", "role"]),
            Some("handoffs")
        );
        assert_eq!(did_you_mean("colour", ["timeout", "retries"]), None);
        assert_eq!(did_you_mean("Retries", ["retries"]), Some("retries"));
    }

    /// Deterministic words of up to ten characters over a small alphabet (case and a non-ASCII
    /// letter included), so that near misses abound.
    struct Words(u64);

    impl Words {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }

        fn next(&mut self) -> String {
            const ALPHABET: [char; 6] = ['a', 'b', 'c', 'A', 'é', '-'];
            let len = self.below(11);
            (0..len).map(|_| ALPHABET[self.below(6) as usize]).collect()
        }
    }

    /// The reference: every candidate's full distance, the smallest within the limit.
    fn reference<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
        if word.chars().count() > MAX_WORD {
            return None;
        }
        let lower = word.to_ascii_lowercase();
        let limit = (word.chars().count() / 3).max(1);
        candidates
            .iter()
            .map(|c| (distance(&lower, &c.to_ascii_lowercase()), *c))
            .filter(|(d, _)| *d <= limit)
            .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
            .map(|(_, c)| c)
    }

    #[test]
    fn a_listing_names_the_first_and_counts_the_rest() {
        assert_eq!(listing(&["a", "b"]), "a, b");
        let many: Vec<String> = (0..20).map(|i| format!("a{i}")).collect();
        assert_eq!(
            listing(&many),
            "a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 and 8 more"
        );
        assert_eq!(listing::<&str>(&[]), "");
    }

    #[test]
    fn the_index_agrees_with_the_full_distances() {
        let mut words = Words(0x9e37_79b9_7f4a_7c15);
        for _ in 0..400 {
            let cands: Vec<String> = (0..40).map(|_| words.next()).collect();
            let refs: Vec<&str> = cands.iter().map(String::as_str).collect();
            let index = Index::new(refs.iter().copied());
            for _ in 0..10 {
                let w = words.next();
                assert_eq!(
                    index.did_you_mean(&w),
                    reference(&w, &refs),
                    "{w:?} {refs:?}"
                );
            }
        }
        assert_eq!(
            Index::new(["fast", "smart"]).did_you_mean("fsat"),
            Some("fast")
        );
        assert_eq!(
            Index::new(["Fast", "fast"]).did_you_mean("fsat"),
            Some("Fast")
        );
        assert_eq!(Index::new([]).did_you_mean("x"), None);
        // A name of a megabyte is neither a suggestion nor looked up (nor a stack overflow).
        let long = "a".repeat(1 << 20);
        assert_eq!(
            Index::new([long.as_str(), "ab"]).did_you_mean("abc"),
            Some("ab")
        );
        assert_eq!(Index::new(["ab"]).did_you_mean(&long), None);
        assert_eq!(did_you_mean(&long, [long.as_str()]), None);
    }

    #[test]
    fn one_lookup_agrees_with_the_full_distances() {
        let mut words = Words(0x2545_f491_4f6c_dd1d);
        for _ in 0..3000 {
            let w = words.next();
            let cands: Vec<String> = (0..8).map(|_| words.next()).collect();
            let refs: Vec<&str> = cands.iter().map(String::as_str).collect();
            assert_eq!(
                did_you_mean(&w, refs.iter().copied()),
                reference(&w, &refs),
                "{w:?} {refs:?}"
            );
        }
    }
}
