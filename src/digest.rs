//! Content digests: what the lockfile pins and fingerprints are made of.

use sha2::{Digest, Sha256};

/// SHA-256 of the bytes with every CRLF replaced by LF, as lowercase hex.
pub fn sha256_lf(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    let mut start = 0;
    for cr in memchr::memchr_iter(b'\r', bytes) {
        if bytes.get(cr + 1) == Some(&b'\n') {
            h.update(&bytes[start..cr]);
            start = cr + 1;
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
        assert_eq!(sha256_lf(b"\r\r\n\n"), sha256_hex(b"\r\n\n"));
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn the_digest_is_that_of_the_text_with_crlf_replaced() {
        // Every string of up to 7 bytes over `a`, CR and LF, against the plain replacement.
        for len in 0..=7u32 {
            for n in 0..3usize.pow(len) {
                let bytes: Vec<u8> = (0..len)
                    .map(|i| [b'a', b'\r', b'\n'][n / 3usize.pow(i) % 3])
                    .collect();
                let text = String::from_utf8(bytes.clone()).unwrap();
                assert_eq!(
                    sha256_lf(&bytes),
                    sha256_hex(text.replace("\r\n", "\n").as_bytes()),
                    "{text:?}"
                );
            }
        }
    }
}
