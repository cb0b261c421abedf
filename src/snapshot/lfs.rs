//! Git LFS pointers: the small text file git holds in place of a file kept in Git LFS
//! (`version https://git-lfs.github.com/spec/v1`, `oid sha256:…`, `size …`).
//!
//! The index and every revision hold only the pointer. `git add` of an LFS-tracked file puts
//! its content in the repository's own LFS store (`<git dir>/lfs/objects/ab/cd/abcd…`), and
//! `git lfs fetch` puts other revisions' there, so a git snapshot reads the content from the
//! store when it is there and is the file the pointer names: its size and SHA-256 are checked,
//! which is also why a store entry can never stand for anything else. Otherwise the pointer is
//! read, and the loader says what it is ([`POINTER`], [`HELP`]).

use super::ReadError;
use std::io::Read;
use std::path::Path;

/// What a file is when it is a pointer, for messages.
pub const POINTER: &str =
    "a Git LFS pointer, not the file itself: its content is kept in Git LFS, outside git";

/// How to get the content, for messages.
pub const HELP: &str = "in a working tree, fetch it with `git lfs pull` (in GitHub Actions, `lfs: true` on actions/checkout); for the index (`--staged`) or a revision, agentlock reads the content from the repository's LFS store when `git add` or `git lfs fetch` put it there";

/// Whether the bytes are a Git LFS pointer file (its spec: the first line names the version).
pub fn is_pointer(bytes: &[u8]) -> bool {
    bytes.len() < 1024 && bytes.starts_with(b"version https://git-lfs.github.com/spec/")
}

/// The object a pointer names.
#[derive(Debug, PartialEq, Eq)]
pub struct Pointer {
    /// 64 lowercase hex digits.
    pub oid: String,
    pub size: u64,
}

/// The object a pointer names, or `None` when the bytes are no pointer of the v1 spec with a
/// SHA-256 oid and a size.
pub fn parse(bytes: &[u8]) -> Option<Pointer> {
    if !is_pointer(bytes) {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut oid = None;
    let mut size = None;
    for line in text.lines() {
        if let Some(hex) = line.strip_prefix("oid sha256:") {
            let ok = hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            oid = ok.then(|| hex.to_string());
        } else if let Some(n) = line.strip_prefix("size ") {
            size = n.parse::<u64>().ok();
        }
    }
    Some(Pointer {
        oid: oid?,
        size: size?,
    })
}

/// The content a pointer names, from the LFS store under `git_dir`: `Ok(None)` when the store
/// does not hold it, or holds something else under its name (a size or SHA-256 that differs,
/// a symlink, not a regular file). Over `max_size`, [`ReadError::TooLarge`] before reading.
pub fn stored(
    git_dir: &Path,
    pointer: &Pointer,
    max_size: u64,
) -> Result<Option<Vec<u8>>, ReadError> {
    if pointer.size > max_size {
        return Err(ReadError::TooLarge {
            size: pointer.size,
            limit: max_size,
        });
    }
    let oid = &pointer.oid;
    let path = git_dir
        .join("lfs")
        .join("objects")
        .join(&oid[..2])
        .join(&oid[2..4])
        .join(oid);
    // Not followed: the store's entries are files git-lfs wrote.
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_file() && m.len() == pointer.size => {}
        _ => return Ok(None),
    }
    let Ok(file) = std::fs::File::open(&path) else {
        return Ok(None);
    };
    let mut content = Vec::with_capacity(pointer.size as usize);
    if file
        .take(pointer.size + 1)
        .read_to_end(&mut content)
        .is_err()
    {
        return Ok(None);
    }
    let same = content.len() as u64 == pointer.size && crate::digest::sha256_hex(&content) == *oid;
    Ok(same.then_some(content))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointer_of(content: &[u8]) -> String {
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize {}\n",
            crate::digest::sha256_hex(content),
            content.len()
        )
    }

    #[test]
    fn parses_the_pointers_git_lfs_writes_and_nothing_else() {
        let text = pointer_of(b"hello\n");
        let p = parse(text.as_bytes()).unwrap();
        assert_eq!(p.size, 6);
        assert_eq!(p.oid, crate::digest::sha256_hex(b"hello\n"));
        // A path in the oid, a short oid, upper case, no size, no version line: not a pointer
        // this reads.
        for bad in [
            text.replace("oid sha256:", "oid sha256:../../"),
            text.replace(&p.oid, &p.oid[..63]),
            text.replace(&p.oid, &p.oid.to_uppercase()),
            text.replace("size 6\n", ""),
            text.replace("version https://git-lfs.github.com/spec/v1\n", ""),
        ] {
            assert_eq!(parse(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn reads_the_store_only_for_the_content_the_pointer_names() {
        let git = tempfile::tempdir().unwrap();
        let content = b"{\"id\": \"c1\"}\n".to_vec();
        let p = parse(pointer_of(&content).as_bytes()).unwrap();
        assert_eq!(stored(git.path(), &p, 1 << 20).unwrap(), None); // not fetched
        let dir = git
            .path()
            .join("lfs/objects")
            .join(&p.oid[..2])
            .join(&p.oid[2..4]);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(&p.oid), &content).unwrap();
        assert_eq!(
            stored(git.path(), &p, 1 << 20).unwrap(),
            Some(content.clone())
        );
        // Too large for the limit: said, not read.
        assert!(matches!(
            stored(git.path(), &p, 4),
            Err(ReadError::TooLarge { size: 13, limit: 4 })
        ));
        // Something else under its name, of the same size: not taken.
        std::fs::write(dir.join(&p.oid), b"{\"id\": \"c2\"}\n").unwrap();
        assert_eq!(stored(git.path(), &p, 1 << 20).unwrap(), None);
        #[cfg(unix)]
        {
            let elsewhere = git.path().join("elsewhere");
            std::fs::write(&elsewhere, &content).unwrap();
            std::fs::remove_file(dir.join(&p.oid)).unwrap();
            std::os::unix::fs::symlink(&elsewhere, dir.join(&p.oid)).unwrap();
            assert_eq!(stored(git.path(), &p, 1 << 20).unwrap(), None);
        }
    }
}
