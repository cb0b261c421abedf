//! Files the user names on the command line to be streamed (exported traces): not files of the
//! repository, so not read through a [`Snapshot`](super::Snapshot) and not confined to it. They
//! are the user's own choice, read once from start to end and never written.
//!
//! Only a regular file is opened (or standard input, named `-`): a directory, a FIFO, a socket
//! or a device is refused with an error saying what it is. The file is opened non-blocking, so
//! naming a FIFO fails at once instead of waiting for a writer, and what it is is asked of the
//! opened file itself, so a file swapped for another between a check and the open cannot slip
//! through.

use std::io;
use std::path::Path;

/// Opens a file the user named for reading as a stream: `-` is standard input (name a file
/// called `-` as `./-`); anything else must be a regular file (a symlink to one is followed: the
/// user named it).
pub fn open_named(path: &Path) -> io::Result<Box<dyn io::Read + Send>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::stdin()));
    }
    let file = open(path)?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", what(&kind)),
        ));
    }
    Ok(Box::new(file))
}

/// Whether a path the user named is anything at all on disk (a dangling symlink counts: it is
/// there, and says where it points).
pub fn exists_named(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Creates (or truncates) a file the user named on the command line for a report
/// (`--output FILE`): the user's file, never a path from a repository. But the user's path may
/// lie inside the repository (`--output agentlock.sarif` in a CI checkout), where a pull
/// request decides what is there: a symlink committed at that name, or at a directory on the
/// way, would send the report over any file the runner can write. So the file itself is never
/// a symlink (opened with `O_NOFOLLOW`, anywhere), and inside `repo` no directory on the way
/// is one either.
pub fn create_named(path: &Path, repo: &Path) -> io::Result<Box<dyn io::Write>> {
    if let Some(link) = link_inside(path, repo) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is a symlink inside the repository; agentlock does not write through one",
                link.display()
            ),
        ));
    }
    Ok(Box::new(create_no_follow(path)?))
}

/// A directory of `path` below the repository root that is a symlink, if there is one.
fn link_inside(path: &Path, repo: &Path) -> Option<std::path::PathBuf> {
    let abs = |p: &Path| {
        std::env::current_dir()
            .map(|cwd| cwd.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let (file, root) = (abs(path), abs(repo));
    let roots = [Some(root.clone()), root.canonicalize().ok()];
    let parent = file.parent()?;
    // The parent as the user wrote it, and with its own links resolved above the root.
    let rel = roots.iter().flatten().find_map(|r| {
        parent
            .strip_prefix(r)
            .ok()
            .map(|rest| (r.clone(), rest.to_path_buf()))
    });
    let (mut at, rest) = rel?;
    for part in rest.components() {
        at.push(part);
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(at);
        }
    }
    None
}

#[cfg(unix)]
fn create_no_follow(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "it is a symlink; agentlock does not write through one (remove it, or name its target)",
                )
            } else {
                e
            }
        })
}

#[cfg(not(unix))]
fn create_no_follow(path: &Path) -> io::Result<std::fs::File> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is a symlink; agentlock does not write through one (remove it, or name its target)",
        ));
    }
    std::fs::File::create(path)
}

#[cfg(unix)]
fn open(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. It changes
    // nothing for a regular file.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// What a file that is not a regular file is, for the error.
fn what(kind: &std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn opens_regular_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.jsonl");
        std::fs::write(&f, b"{}\n").unwrap();
        let mut text = String::new();
        open_named(&f).unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "{}\n");
        let e = open_named(dir.path()).err().unwrap();
        assert!(e.to_string().contains("a directory"), "{e}");
        assert!(open_named(&dir.path().join("missing")).is_err());
        #[cfg(unix)]
        {
            let e = open_named(Path::new("/dev/null")).err().unwrap();
            assert!(e.to_string().contains("a device"), "{e}");
            let fifo = dir.path().join("fifo");
            rustix::fs::mkfifoat(
                rustix::fs::CWD,
                &fifo,
                rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            )
            .unwrap();
            // Refused at once, not left waiting for a writer.
            let e = open_named(&fifo).err().unwrap();
            assert!(e.to_string().contains("a FIFO"), "{e}");
        }
    }
}
