//! Content digests: what the lockfile pins and fingerprints are made of.

use sha2::{Digest, Sha256};

/// SHA-256 of the bytes with every CRLF replaced by LF, as lowercase hex.
pub fn sha256_lf(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'\r' && bytes[i + 1] == b'\n' {
            h.update(&bytes[start..i]);
            start = i + 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    h.update(&bytes[start..]);
    hex(&h.finalize())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_do_not_change_the_digest() {
        assert_eq!(sha256_lf(b"a\r\nb\r\n"), sha256_lf(b"a\nb\n"));
        assert_eq!(sha256_lf(b"a\rb"), sha256_hex(b"a\rb"));
        assert_eq!(sha256_lf(b""), sha256_hex(b""));
        assert_eq!(sha256_lf(b"\r\n\r"), sha256_hex(b"\n\r"));
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
