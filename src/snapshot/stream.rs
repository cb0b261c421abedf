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
/// (`--output FILE`): the user's file, wherever it is, never a path from a repository.
pub fn create_named(path: &Path) -> io::Result<Box<dyn io::Write>> {
    Ok(Box::new(std::fs::File::create(path)?))
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
