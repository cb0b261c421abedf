//! What looks like a secret but is not one: placeholders, references to a secret kept
//! elsewhere, documented example keys, and identifiers such as digests and UUIDs.

use super::entropy::shannon_entropy;

/// Substrings (compared ASCII case-insensitively) that mark a value as a placeholder or an
/// example. A random token of 20+ base62 characters contains one of these with a probability
/// below 1e-5.
const MARKERS: &[&str] = &[
    "example",
    "sample",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "dummy",
    "redacted",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpassword",
    "_here",
    "-here",
    "insert",
    "replace",
    "notreal",
    "not_real",
    "not-a-real",
    "not_a_real",
    "xxxxx",
    "*****",
    "...",
    "…",
    "<",
    ">",
    "{{",
    "${",
    "%s",
    "%(",
];

/// Published example keys that have no marker in them: AWS's are caught by "EXAMPLE", these
/// are not.
const KNOWN_EXAMPLES: &[&str] = &[
    // GitHub REST API documentation's sample token.
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    // Azurite / the Azure storage emulator's well-known development account key.
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    // The token on jwt.io's front page.
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
];

/// True when `s` is a placeholder or a documented example rather than a credential: it
/// contains a marker ("example", "changeme", "your_", "redacted", "xxxxx", "...", "<", "${", …)
/// or is a known published example key.
pub fn is_placeholder(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    MARKERS.iter().any(|m| lower.contains(m)) || KNOWN_EXAMPLES.contains(&s)
}

/// True when `s` has a run of six equal characters ("000000") or six consecutive ones, up or
/// down ("123456", "abcdef", "FEDCBA"): typed by a person, not drawn at random.
pub fn has_run(s: &str) -> bool {
    const LEN: usize = 6;
    let b = s.as_bytes();
    let (mut same, mut up, mut down) = (1, 1, 1);
    for w in b.windows(2) {
        let (x, y) = (w[0], w[1]);
        same = if x == y { same + 1 } else { 1 };
        let alnum = x.is_ascii_alphanumeric() && y.is_ascii_alphanumeric();
        up = if alnum && y == x.wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if alnum && y == x.wrapping_sub(1) {
            down + 1
        } else {
            1
        };
        if same >= LEN || up >= LEN || down >= LEN {
            return true;
        }
    }
    false
}

/// `8-4-4-4-12` hex digits.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A value of a `password = …` / `token: …` assignment that is really a secret: long enough,
/// random enough, and not a reference, an identifier, a path, a URL, a digest, a UUID or a
/// publishable key.
///
/// The entropy threshold is 3.5 bits per byte, lowered for short values to `log2(len) - 0.5`
/// (a 12-character value cannot reach 3.59). Values must mix letters and digits: this drops
/// identifiers and prose ("prod-db-credentials", "process.env.API_KEY"), at the cost of
/// passphrases made of words only.
pub fn generic_value_ok(v: &str, _whole: &str) -> bool {
    let b = v.as_bytes();
    if b.len() < 12 || b.len() > 1024 {
        return false;
    }
    let has_letter = b.iter().any(u8::is_ascii_alphabetic);
    let has_digit = b.iter().any(u8::is_ascii_digit);
    if !has_letter || !has_digit {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    const NOT_SECRET_PREFIXES: &[&str] = &[
        "/",
        "./",
        "../",
        "~/",
        "$",
        "sha1:",
        "sha256:",
        "sha384:",
        "sha512:",
        "sha256-",
        "sha384-",
        "sha512-",
        "md5:",
        "pk-lf-",
        "pk_live_",
        "pk_test_",
        "sk_test_",
        "rk_test_",
        "arn:",
        "projects/",
        "env.",
        "env:",
        "vault:",
        "secret:",
        "secrets.",
        "ref+",
        "file:",
        "op://",
        "awssm:",
        "gcpsm:",
    ];
    if NOT_SECRET_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return false;
    }
    const REFERENCES: &[&str] = &["://", "environ", "getenv", "process.env", "secretkeyref"];
    if REFERENCES.iter().any(|r| lower.contains(r)) {
        return false;
    }
    if is_uuid(v) || is_dotted_identifier(v) || is_word_list(v) {
        return false;
    }
    let threshold = 3.5f64.min((b.len() as f64).log2() - 0.5);
    shannon_entropy(b) >= threshold
}

/// `a.b.c` where every part is a name (letters and underscores, then maybe digits): a
/// reference in code (`settings.DB_PASSWORD_2`), not a value. A random part ("a0AfH6SM…")
/// is not a name.
fn is_dotted_identifier(v: &str) -> bool {
    v.contains('.')
        && v.split('.').all(|p| {
            let name = p.trim_end_matches(|c: char| c.is_ascii_digit());
            !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphabetic() || c == b'_')
        })
}

/// Lowercase words joined by `-`, `_` or `.` with at most a short number at the end
/// ("my-app-secret-v2", "prod_db_2024"): a name, not a secret.
fn is_word_list(v: &str) -> bool {
    let parts: Vec<&str> = v.split(['-', '_', '.']).collect();
    let n = parts.len();
    n >= 2
        && parts.iter().enumerate().all(|(i, p)| {
            let word = !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase());
            let short_tail = i == n - 1
                && (1..=4).contains(&p.len())
                && p.bytes()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase());
            let version = (2..=4).contains(&p.len())
                && p.as_bytes()[0] == b'v'
                && p[1..].bytes().all(|c| c.is_ascii_digit());
            word || short_tail || version
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        let yes = [
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "sk-proj-example-key-1234",
            "your_token_here",
            "YOUR-API-KEY",
            "changeme",
            "CHANGE_ME_1234",
            "<your-key>",
            "${OPENAI_API_KEY}",
            "{{api_key}}",
            "sk-...",
            "sk-…",
            "xxxxxxxxxxxxxxxx",
            "XXXXX-XXXXX",
            "**********",
            "[REDACTED]",
            "dummy-token-9f2",
            "insert-key-here",
            "xoxb-not-a-real-token-this-will-not-work",
            "postgres://%s:%s@host",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        ];
        for s in yes {
            assert!(is_placeholder(s), "{s}");
        }
        let no = [
            "ghp_R8kWq3ZtY6vB1nM4xC7pL2sD9fG5hJ0aQe3T",
            "AKIAZ3MPLQ7RT2XW4VNB",
            "sk-proj-Tq9vW2xL",
            "hunter2",
            "",
        ];
        for s in no {
            assert!(!is_placeholder(s), "{s}");
        }
    }

    #[test]
    fn runs() {
        let yes = [
            "aaaaaa",
            "x000000y",
            "123456",
            "abcdef",
            "ABCDEF",
            "zyxwvu",
            "987654",
            "ab12345678",
        ];
        for s in yes {
            assert!(has_run(s), "{s}");
        }
        let no = [
            "aaaaa",
            "12345",
            "abcde",
            "R8kWq3ZtY6vB1nM4",
            "AAAAAb",
            "-./012",
        ];
        for s in no {
            assert!(!has_run(s), "{s}");
        }
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(is_uuid("123E4567-E89B-12D3-A456-426614174000"));
        assert!(!is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(!is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
    }

    #[test]
    fn generic_values() {
        let yes = [
            "Xq7rT2mK9pL4vN8s",
            "a8f3c29e71b04d5f9e2c6a1b7d3f8e90",
            "Tr0ub4dor&3x",
            "Kx9#mP2$vL7qR4nZ",
            "ya29.a0AfH6SMBx7kLq2Zt9Yv3Wn5Rp8Ub1Xc4",
            "tK3#pQ9@wL5%zR8m",
            "AbC9dEf2GhI7",
        ];
        for v in yes {
            assert!(generic_value_ok(v, ""), "{v}");
        }
        let no = [
            // too short
            "hunter2",
            "Xq7rT2mK9p",
            // low entropy
            "password123",
            "aaaaaaaaaaaa1",
            "111111111111a",
            // no digit / no letter
            "prod-db-credentials",
            "correct-horse-battery-staple",
            "12345678901234",
            // references
            "process.env.OPENAI_API_KEY2",
            "settings.DB_PASSWORD_2",
            "os.environ.get2",
            "/run/secrets/db_password1",
            "$DB_PASSWORD_1",
            "vault:secret/data/db#password1",
            "https://vault.internal/v1/db1",
            // names
            "my-app-secret-v2",
            "prod_db_2024",
            // ids and digests
            "123e4567-e89b-12d3-a456-426614174000",
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "sha512-abc123def456ghi789",
            // public keys
            "pk-lf-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
            "pk_live_51Habc123DEF456ghi",
        ];
        for v in no {
            assert!(!generic_value_ok(v, ""), "{v}");
        }
    }
}
