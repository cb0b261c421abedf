//! Shannon entropy, the measure that tells a random token from a word.

/// Shannon entropy of `s` in bits per byte: 0 for "aaaa", 2 for "abcd", at most 8.
pub fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_known_strings() {
        let cases: &[(&str, f64)] = &[
            ("", 0.0),
            ("a", 0.0),
            ("aaaaaaaa", 0.0),
            ("ab", 1.0),
            ("abab", 1.0),
            ("abcd", 2.0),
            ("abcdefgh", 3.0),
            ("0123456789abcdef", 4.0),
            // p,a,s,s,w,o,r,d,1,2,3: one pair, nine singles.
            ("password123", 3.2776),
        ];
        for (s, want) in cases {
            let got = shannon_entropy(s.as_bytes());
            assert!((got - want).abs() < 1e-3, "{s:?}: {got} != {want}");
        }
    }

    #[test]
    fn random_tokens_score_higher_than_words() {
        let token = shannon_entropy(b"R8kWq3ZtY6vB1nM4xC7pL2sD9fG5hJ0aQe3T");
        let word = shannon_entropy(b"passwordpassword");
        assert!(token > 4.5, "{token}");
        assert!(word < 3.0, "{word}");
    }
}
