use super::*;
use std::fs;

fn p(s: &str) -> RepoPath {
    RepoPath::parse(s).unwrap()
}

fn paths(entries: &[Entry]) -> Vec<&str> {
    entries.iter().map(|e| e.path.as_str()).collect()
}

#[test]
fn worktree_lists_and_refuses_outside_symlinks() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.txt"), "x").unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("prompts/sub")).unwrap();
    fs::write(dir.path().join("prompts/a.prompt"), "a").unwrap();
    fs::write(dir.path().join("prompts/sub/b.prompt"), "b").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            dir.path().join("prompts/evil.prompt"),
        )
        .unwrap();
        std::os::unix::fs::symlink("a.prompt", dir.path().join("prompts/alias.prompt")).unwrap();
    }
    let wt = Worktree::new(dir.path()).unwrap();
    let entries = wt.list(&[p("prompts")]).unwrap();
    assert!(paths(&entries).contains(&"prompts/a.prompt"));
    assert!(paths(&entries).contains(&"prompts/sub/b.prompt"));
    #[cfg(unix)]
    {
        let evil = entries
            .iter()
            .find(|e| e.path.as_str() == "prompts/evil.prompt")
            .unwrap();
        assert_eq!(evil.kind, EntryKind::SymlinkOutside);
        assert_eq!(
            wt.read(&p("prompts/evil.prompt"), 100),
            Err(ReadError::SymlinkOutside)
        );
        assert_eq!(wt.read(&p("prompts/alias.prompt"), 100).unwrap(), b"a");
        // In a directory already reached a file is opened at once; what is not a regular file
        // still says what it is, and a FIFO does not hang the read.
        assert_eq!(
            wt.read(&p("prompts/sub"), 100),
            Err(ReadError::NotAFile("a directory"))
        );
        let fifo = dir.path().join("prompts/pipe.prompt");
        if std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(matches!(
                wt.read(&p("prompts/pipe.prompt"), 100),
                Err(ReadError::NotAFile(_))
            ));
        }
    }
    assert!(matches!(
        wt.read(&p("prompts/a.prompt"), 0),
        Err(ReadError::TooLarge { .. })
    ));
    assert_eq!(wt.read(&p("nope"), 100), Err(ReadError::NotFound));
    assert_eq!(
        wt.read(&p("prompts"), 100),
        Err(ReadError::NotAFile("a directory"))
    );
    assert_eq!(
        wt.read_str("../x", 100),
        Err(ReadError::Invalid(PathError::Parent))
    );
    assert_eq!(
        wt.read_str("/etc/passwd", 100),
        Err(ReadError::Invalid(PathError::Absolute))
    );
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A repository with an outside directory `elsewhere` holding `a.prompt` and `b.txt`.
    fn setup() -> (tempfile::TempDir, tempfile::TempDir) {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("a.prompt"), "outside").unwrap();
        fs::write(outside.path().join("b.txt"), "outside").unwrap();
        let repo = tempfile::tempdir().unwrap();
        fs::write(repo.path().join("agentlock.toml"), "[project]\nname='x'\n").unwrap();
        (repo, outside)
    }

    #[test]
    fn a_directory_symlink_out_of_the_repository_is_not_entered_at_any_depth() {
        let (repo, outside) = setup();
        symlink(outside.path(), repo.path().join("prompts")).unwrap();
        fs::create_dir_all(repo.path().join("deep/er")).unwrap();
        symlink(outside.path(), repo.path().join("deep/er/link")).unwrap();
        let wt = Worktree::new(repo.path()).unwrap();
        let listed = wt.list(&[p("prompts")]).unwrap();
        assert_eq!(
            listed,
            vec![Entry {
                path: p("prompts"),
                kind: EntryKind::SymlinkOutside
            }]
        );
        assert_eq!(
            wt.read(&p("prompts/a.prompt"), 100),
            Err(ReadError::SymlinkOutside)
        );
        assert_eq!(
            wt.read(&p("deep/er/link/b.txt"), 100),
            Err(ReadError::SymlinkOutside)
        );
        // the whole repository: the deep link is not descended
        let all = wt.list(&[RepoPath::root()]).unwrap();
        assert!(
            all.iter().all(|e| !e.path.as_str().contains("b.txt")),
            "{all:?}"
        );
    }

    #[test]
    fn links_inside_are_followed_links_through_the_root_are_not() {
        let (repo, outside) = setup();
        fs::create_dir_all(repo.path().join("src/prompts")).unwrap();
        fs::write(repo.path().join("src/prompts/a.prompt"), "inside").unwrap();
        symlink("src/prompts", repo.path().join("prompts")).unwrap();
        // ../ that climbs out and back in is still out: the target is outside at some point
        let name = outside
            .path()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        symlink(format!("../{name}/b.txt"), repo.path().join("sneaky.txt")).unwrap();
        // an absolute link into the repository itself is inside
        symlink(
            repo.path()
                .canonicalize()
                .unwrap()
                .join("src/prompts/a.prompt"),
            repo.path().join("abs.prompt"),
        )
        .unwrap();
        // a loop
        symlink("loop2", repo.path().join("loop1")).unwrap();
        symlink("loop1", repo.path().join("loop2")).unwrap();
        let wt = Worktree::new(repo.path()).unwrap();
        assert_eq!(wt.read(&p("prompts/a.prompt"), 100).unwrap(), b"inside");
        assert_eq!(wt.read(&p("abs.prompt"), 100).unwrap(), b"inside");
        assert_eq!(
            wt.read(&p("sneaky.txt"), 100),
            Err(ReadError::SymlinkOutside)
        );
        assert!(matches!(wt.read(&p("loop1"), 100), Err(ReadError::Io(_))));
        let listed = wt.list(&[p("prompts")]).unwrap();
        assert_eq!(paths(&listed), ["prompts/a.prompt"]);
    }

    #[test]
    fn special_files_are_never_opened() {
        let (repo, _outside) = setup();
        let fifo = repo.path().join("agents.yaml");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        let wt = Worktree::new(repo.path()).unwrap();
        // would block forever if it were opened for reading
        assert_eq!(
            wt.read(&p("agents.yaml"), 100),
            Err(ReadError::NotAFile("a FIFO"))
        );
        let listed = wt.list(&[RepoPath::root()]).unwrap();
        assert!(listed.contains(&Entry {
            path: p("agents.yaml"),
            kind: EntryKind::NotAFile("a FIFO")
        }));
    }

    #[test]
    fn writes_never_go_through_a_symlink() {
        let (repo, outside) = setup();
        symlink(outside.path(), repo.path().join("prompts")).unwrap();
        symlink(
            outside.path().join("b.txt"),
            repo.path().join("agentlock.lock"),
        )
        .unwrap();
        let wt = Worktree::new(repo.path()).unwrap();
        // through a directory link: refused
        let e = wt
            .write_atomic(&p("prompts/a.prompt"), b"pwned", false)
            .unwrap_err();
        assert!(e.to_string().contains("symlink"), "{e}");
        assert!(wt.create_new(&p("prompts/new.prompt"), b"pwned").is_err());
        assert!(wt.remove(&p("prompts/a.prompt")).is_err());
        // over a file link: the link is replaced, its target untouched
        wt.write_atomic(&p("agentlock.lock"), b"lock", false)
            .unwrap();
        assert!(
            !fs::symlink_metadata(repo.path().join("agentlock.lock"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read(repo.path().join("agentlock.lock")).unwrap(),
            b"lock"
        );
        for f in ["a.prompt", "b.txt"] {
            assert_eq!(fs::read(outside.path().join(f)).unwrap(), b"outside");
        }
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_planted_temporary_file_is_never_written_and_stale_ones_are_removed() {
        let (repo, outside) = setup();
        let pid = std::process::id();
        // what an older agentlock would have opened with File::create
        symlink(
            outside.path().join("b.txt"),
            repo.path().join(format!(".agentlock.lock.{pid}.0.tmp")),
        )
        .unwrap();
        symlink(
            outside.path().join("b.txt"),
            repo.path().join(format!(".agentlock.lock.{pid}.tmp")),
        )
        .unwrap();
        // a dead process's leftover (pid 2^22 + 1 is above Linux's maximum)
        fs::write(repo.path().join(".agentlock.lock.4194305.0.tmp"), "old").unwrap();
        fs::write(repo.path().join(".agentlock.lock.4194305.tmp"), "old").unwrap();
        // not ours: left alone
        fs::write(repo.path().join(".agentlock.lock.notes.tmp"), "keep").unwrap();
        let wt = Worktree::new(repo.path()).unwrap();
        wt.write_atomic(&p("agentlock.lock"), b"lock", false)
            .unwrap();
        assert_eq!(fs::read(outside.path().join("b.txt")).unwrap(), b"outside");
        assert_eq!(
            fs::read(repo.path().join("agentlock.lock")).unwrap(),
            b"lock"
        );
        let left: Vec<String> = fs::read_dir(repo.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        // our own pid's planted links stay (a live process); the dead one's files are gone
        assert!(!left.iter().any(|n| n.contains("4194305")), "{left:?}");
        assert!(left.contains(&".agentlock.lock.notes.tmp".to_string()));
        assert!(
            !left
                .iter()
                .any(|n| n.starts_with(".agentlock.lock.") && n.ends_with(".1.tmp"))
        );
    }

    #[test]
    fn writes_create_missing_directories_inside() {
        let (repo, _outside) = setup();
        let wt = Worktree::new(repo.path()).unwrap();
        wt.write_atomic(&p("prompts/sub/a.prompt"), b"x", true)
            .unwrap();
        assert_eq!(
            fs::read(repo.path().join("prompts/sub/a.prompt")).unwrap(),
            b"x"
        );
        wt.create_new(&p("tools/kb.yaml"), b"y").unwrap();
        assert!(wt.create_new(&p("tools/kb.yaml"), b"z").is_err());
        wt.remove(&p("tools/kb.yaml")).unwrap();
        wt.remove(&p("tools/kb.yaml")).unwrap();
        assert!(!repo.path().join("tools/kb.yaml").exists());
    }

    #[test]
    fn a_walk_limit_stops_a_huge_listing() {
        let (repo, _outside) = setup();
        for i in 0..20 {
            fs::write(repo.path().join(format!("f{i}")), "").unwrap();
        }
        let wt = Worktree::new(repo.path()).unwrap().with_walk_limit(10);
        let e = wt.list(&[RepoPath::root()]).unwrap_err();
        assert!(e.to_string().contains("more than 10 files"), "{e}");
    }
}

#[test]
fn memory_snapshot_lists_below_a_directory() {
    let m = MemorySnapshot::default()
        .with("prompts/a.prompt", "a")
        .with("promptsx/b", "b")
        .with("node_modules/x/server.json", "{}")
        .with("agents.yaml", "");
    assert_eq!(
        paths(&m.list(&[p("prompts")]).unwrap()),
        ["prompts/a.prompt"]
    );
    assert_eq!(
        paths(&m.list(&[RepoPath::root()]).unwrap()),
        ["agents.yaml", "prompts/a.prompt", "promptsx/b"]
    );
}

/// A chain of `depth` directories named `d` below `dir`, made with `*at` calls (the path is
/// longer than PATH_MAX), with `file` at each depth listed in `files`. Returns nothing.
#[cfg(unix)]
fn deep_chain(dir: &std::path::Path, depth: usize, files: &[usize]) {
    use rustix::fs::{Mode, OFlags, mkdirat, openat};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut fd = openat(rustix::fs::CWD, dir, flags, Mode::empty()).unwrap();
    for level in 1..=depth {
        mkdirat(&fd, "d", Mode::from_raw_mode(0o755)).unwrap();
        fd = openat(&fd, "d", flags, Mode::empty()).unwrap();
        if files.contains(&level) {
            let f = openat(
                &fd,
                "x.prompt",
                OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o644),
            )
            .unwrap();
            std::io::Write::write_all(&mut std::fs::File::from(f), b"x").unwrap();
        }
    }
}

#[cfg(unix)]
#[test]
fn a_deep_tree_is_listed_with_a_stack_of_its_own_and_cut_at_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("prompts")).unwrap();
    // 2,100 levels below prompts/ (2,101 below the root): deeper than the program's stack
    // would take recursively with a few fds each, and past MAX_DEPTH.
    deep_chain(&dir.path().join("prompts"), 2100, &[1000, 2047, 2100]);
    let wt = Worktree::new(dir.path()).unwrap();
    let listed = wt.list(&[p("prompts")]).unwrap();
    let d = |n: usize| format!("prompts{}", "/d".repeat(n));
    assert_eq!(listed.len(), 3, "{:?}", paths(&listed));
    let files: std::collections::BTreeSet<&str> = listed
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .map(|e| e.path.as_str())
        .collect();
    let want = [
        format!("{}/x.prompt", d(1000)),
        format!("{}/x.prompt", d(2047)),
    ];
    assert_eq!(files, want.iter().map(String::as_str).collect());
    // prompts/d…/d is 2,049 levels below the root: listed as unlisted, not entered
    let cut: Vec<&Entry> = listed
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Unlisted(_)))
        .collect();
    assert_eq!(cut.len(), 1);
    assert_eq!(cut[0].path.as_str(), d(2048));
    match &cut[0].kind {
        EntryKind::Unlisted(why) => {
            assert!(why.contains("2049 directories deep"), "{why}");
            assert!(why.contains("2048"), "{why}");
        }
        k => panic!("{k:?}"),
    }
    // the file 1,000 levels down reads (one confined walk from the root)
    let deep = RepoPath::parse(&format!("{}/x.prompt", d(1000))).unwrap();
    assert_eq!(wt.read(&deep, 10).unwrap(), b"x");
    // `rm -rf`: the standard library takes seconds to remove a tree this deep
    let removed = std::process::Command::new("rm")
        .arg("-rf")
        .arg(dir.path().join("prompts"))
        .status();
    assert!(removed.is_ok_and(|s| s.success()));
}

#[cfg(unix)]
#[test]
fn a_depth_limit_can_be_set_and_a_tree_below_it_is_listed_whole() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("prompts/a/b/c/e")).unwrap();
    fs::create_dir_all(dir.path().join("prompts/z")).unwrap();
    fs::write(dir.path().join("prompts/a/b/one.prompt"), "1").unwrap();
    fs::write(dir.path().join("prompts/a/b/c/e/four.prompt"), "4").unwrap();
    fs::write(dir.path().join("prompts/z/two.prompt"), "2").unwrap();
    let wt = Worktree::new(dir.path()).unwrap().with_max_depth(3);
    let listed = wt.list(&[p("prompts")]).unwrap();
    assert_eq!(
        paths(&listed),
        [
            "prompts/a/b/c",
            "prompts/a/b/one.prompt",
            "prompts/z/two.prompt"
        ]
    );
    assert!(matches!(listed[0].kind, EntryKind::Unlisted(_)));
    let all = Worktree::new(dir.path())
        .unwrap()
        .list(&[p("prompts")])
        .unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|e| e.kind == EntryKind::File));
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_are_listed_escaped_never_dropped() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let prompts = dir.path().join("prompts");
    fs::create_dir(&prompts).unwrap();
    fs::write(prompts.join("ok.prompt"), "ok").unwrap();
    let bad = std::ffi::OsStr::from_bytes(b"b\xffd.prompt");
    fs::write(prompts.join(bad), "secret").unwrap();
    let bad_dir = std::ffi::OsStr::from_bytes(b"sub\xfe");
    fs::create_dir(prompts.join(bad_dir)).unwrap();
    fs::write(prompts.join(bad_dir).join("x.prompt"), "x").unwrap();
    let wt = Worktree::new(dir.path()).unwrap();
    let listed = wt.list(&[p("prompts")]).unwrap();
    let odd: Vec<(String, bool)> = listed
        .iter()
        .filter_map(|e| match &e.kind {
            EntryKind::Unnamed { dir, .. } => Some((e.shown(), *dir)),
            _ => None,
        })
        .collect();
    assert_eq!(
        odd,
        [
            ("prompts/b\\xffd.prompt".to_string(), false),
            ("prompts/sub\\xfe".to_string(), true)
        ]
    );
    assert!(
        listed
            .iter()
            .all(|e| e.path.as_str() != "prompts/b\\xffd.prompt")
    );
    assert!(
        listed
            .iter()
            .any(|e| e.path.as_str() == "prompts/ok.prompt")
    );
}

#[test]
fn escaped_names_never_hold_raw_bytes() {
    assert_eq!(escape_name(b"plain.prompt"), "plain.prompt");
    assert_eq!(escape_name(b"b\xffd.prompt"), "b\\xffd.prompt");
    assert_eq!(escape_name("é\u{1}".as_bytes()), "é\u{1}");
    assert_eq!(escape_name(b"\xc3"), "\\xc3");
}

/// No write holds a credential this run found, whatever built the bytes: the seam refuses it
/// and leaves the file as it was.
#[test]
fn a_write_that_would_hold_a_found_credential_is_refused() {
    let repo = tempfile::tempdir().unwrap();
    fs::write(repo.path().join("agentlock.lock"), "old\n").unwrap();
    let wt = Worktree::new(repo.path()).unwrap();
    let value = "Zq8vT3kLm2pW-write-guard-4f1c9a";
    crate::known::remember(value, "Zq8v…9a");
    let p = |s: &str| RepoPath::parse(s).unwrap();
    let bytes = format!("name = \"x\"\nurl = \"https://a:{value}@h\"\n");
    let e = wt
        .write_atomic(&p("agentlock.lock"), bytes.as_bytes(), false)
        .unwrap_err();
    assert!(e.to_string().contains("credential"), "{e}");
    assert!(!e.to_string().contains(value), "{e}");
    assert_eq!(
        fs::read_to_string(repo.path().join("agentlock.lock")).unwrap(),
        "old\n"
    );
    assert!(
        wt.create_new(&p("evidence/x.json"), bytes.as_bytes())
            .is_err()
    );
    assert!(!repo.path().join("evidence/x.json").exists());
    // anything else is written
    wt.write_atomic(&p("agentlock.lock"), b"new\n", false)
        .unwrap();
}
