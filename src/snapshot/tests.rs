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
