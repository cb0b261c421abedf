use super::*;

fn sample() -> Lock {
    let mut defs = BTreeMap::new();
    defs.insert("create_issue".to_string(), "sha256:abc".to_string());
    let mut l = Lock {
        entries: vec![
            entry(
                Kind::Tool,
                vec![
                    ("server", s("github")),
                    ("version", s("1.4.2")),
                    ("sha256", s("ff")),
                    ("definitions", Field::Table(defs)),
                ],
            ),
            entry(
                Kind::Prompt,
                vec![
                    ("name", s("planner")),
                    ("version", s("1.3.0")),
                    ("path", s("prompts/planner.prompt")),
                    ("sha256", s("aa")),
                ],
            ),
            entry(Kind::Topology, vec![("sha256", s("bb"))]),
        ],
    };
    l.sort();
    l
}

#[test]
fn round_trip() {
    let l = sample();
    let text = l.to_toml();
    let (back, root) = Lock::parse(&text, FileId(0)).unwrap();
    assert_eq!(back, l);
    assert_eq!(root.unwrap(), l.root());
    assert_eq!(back.to_toml(), text);
    assert!(text.starts_with("# This file is generated"));
    assert!(text.contains("definitions = { create_issue = \"sha256:abc\" }"));
}

#[test]
fn the_line_reader_reads_what_the_writer_writes() {
    let mut l = sample();
    let mut odd = BTreeMap::new();
    odd.insert("a b".to_string(), "sha256:\"q\" \\ é ✓".to_string());
    odd.insert("plain".to_string(), "x, y = z".to_string());
    l.entries.push(entry(
        Kind::Tool,
        vec![
            ("server", s("we\"ird = {x}")),
            ("path", s("tools/a\\b\tc.yaml")),
            ("definitions", Field::Table(odd)),
        ],
    ));
    l.entries.push(entry(
        Kind::Tool,
        vec![
            ("server", s("empty")),
            ("definitions", Field::Table(BTreeMap::new())),
        ],
    ));
    l.sort();
    let text = l.to_toml();
    let fast = Lock::parse_written(&text).expect("the writer's own layout");
    assert_eq!(fast, Lock::parse(&text, FileId(0)).unwrap());
    assert_eq!(fast.0, l);
    // Anything else goes to the full parser.
    assert!(Lock::parse_written(&text.replace(" = ", "=")).is_none());
    assert!(Lock::parse_written(&text.replace("[[prompt]]", "[prompt]")).is_none());
    assert!(Lock::parse_written("version = 1\n").is_none());
}

#[test]
fn compare_names_each_change() {
    let old = sample();
    let mut new = sample();
    new.entries[0].fields[3].1 = s("cc"); // prompt sha256
    new.entries.retain(|e| e.kind != Kind::Topology);
    let changes = compare(&old, &new);
    assert_eq!(changes.len(), 2);
    assert!(
        changes[0]
            .describe()
            .contains("prompt `planner@1.3.0` differs from the lockfile: sha256 aa → cc"),
        "{}",
        changes[0].describe()
    );
    assert!(
        changes[1]
            .describe()
            .contains("topology is in the lockfile but no longer")
    );
}

#[test]
fn bad_locks_are_errors() {
    assert!(
        Lock::parse("version = 2\n", FileId(0))
            .unwrap_err()
            .0
            .contains("written by a newer agentlock")
    );
    assert!(newer("version = 99\n") && !newer("version = 1\n") && !newer("version = 'x'"));
    assert!(
        Lock::parse("version = \"1\"\n", FileId(0))
            .unwrap_err()
            .0
            .contains("not supported")
    );
    assert!(
        Lock::parse("version = 1\n[[bogus]]\n", FileId(0))
            .unwrap_err()
            .0
            .contains("unknown section")
    );
    assert!(Lock::parse("version = [", FileId(0)).is_err());
}

#[test]
fn the_schema_table_has_every_kind_in_its_shape() {
    use crate::load::fields::Ty;
    let sections: Vec<&str> = FILE
        .fields
        .iter()
        .map(|f| f.name)
        .filter(|n| !["version", "root"].contains(n))
        .collect();
    let kinds: Vec<&str> = KINDS.iter().map(|k| k.as_str()).collect();
    assert_eq!(sections, kinds);
    for k in KINDS {
        let ty = &FILE.get(k.as_str()).unwrap().ty;
        let shape = match ty {
            Ty::Object(_) => "table",
            Ty::List(_) => "array",
            Ty::OneOf(_) => "either",
            _ => "other",
        };
        let want = match (k.single(), k.may_repeat()) {
            (true, false) => "table",
            (true, true) => "either",
            (false, _) => "array",
        };
        assert_eq!(shape, want, "{}", k.as_str());
    }
}

#[test]
fn a_lockfile_as_it_would_be_written_is_fresh_and_one_edited_is_not() {
    let l = sample();
    let written = l.to_toml();
    let status_of = |text: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCKFILE), text).unwrap();
        let wt = crate::snapshot::worktree::Worktree::new(dir.path()).unwrap();
        let mut sources = crate::source::SourceMap::default();
        let read = status::read(&wt, sources.next_id(), 1 << 20);
        read.against(&l, &written, &mut sources)
    };
    assert!(matches!(status_of(&written), LockStatus::Fresh));
    // A changed digest: its text is not the written one, and the comparison names the entry.
    let edited = written.replace("\"aa\"", "\"ab\"");
    assert_ne!(edited, written);
    match status_of(&edited) {
        LockStatus::Stale {
            changes,
            root_mismatch,
        } => {
            assert_eq!(changes.len(), 1, "{changes:?}");
            assert!(root_mismatch);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_lockfile_with_control_characters_in_its_values_is_valid_toml() {
    // A file name may hold DEL or a control character; TOML forbids them raw.
    let mut l = sample();
    l.entries.push(entry(
        Kind::Prompt,
        vec![
            ("name", s("odd\u{7f}name")),
            ("version", s("1.0.0")),
            ("path", s("prompts/a\u{7f}b\u{1}c.prompt")),
            ("sha256", s("cc")),
        ],
    ));
    l.sort();
    let text = l.to_toml();
    assert!(!text.contains('\u{7f}'), "{text}");
    toml::from_str::<toml::Table>(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let (back, root) = Lock::parse_written(&text).expect("read back as written");
    assert_eq!(back, l);
    assert_eq!(root.unwrap(), l.root());
    let (lenient, _) = Lock::parse(&text, FileId(0)).unwrap();
    assert_eq!(lenient, l);
}

#[test]
fn a_lock_of_many_entries_is_written_in_order_as_one_text() {
    // The body is written in parallel, in chunks of entries: joined, it is the text of the
    // entries one after another, and a kind that repeats (two topologies) is an array of
    // tables wherever its entries fall.
    let mut l = sample();
    for i in 0..5000 {
        l.entries.push(entry(
            Kind::Prompt,
            vec![
                ("name", s(format!("p{i:05}"))),
                ("version", s("1.0.0")),
                ("path", s(format!("prompts/p{i:05}.prompt"))),
                ("sha256", s(format!("{i:064x}"))),
            ],
        ));
    }
    l.entries.push(entry(
        Kind::Topology,
        vec![("sha256", s("cc")), ("path", s("crew/agents.yaml"))],
    ));
    l.sort();
    let text = l.to_toml();
    let (back, root) = Lock::parse_written(&text).expect("read back as written");
    assert_eq!(back, l);
    assert_eq!(root.unwrap(), l.root());
    let names: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("name = \"p0"))
        .collect();
    assert_eq!(names.len(), 5000);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "in order");
    assert_eq!(text.matches("[[topology]]").count(), 2, "{text:.400}");
    assert_eq!(text.matches("\n[topology]").count(), 0);
}

#[test]
fn a_lockfile_is_parsed_only_when_it_is_not_the_written_text() {
    let l = sample();
    let written = l.to_toml();
    let status_of = |text: Option<&[u8]>| {
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = text {
            std::fs::write(dir.path().join(LOCKFILE), text).unwrap();
        }
        let wt = crate::snapshot::worktree::Worktree::new(dir.path()).unwrap();
        let mut sources = crate::source::SourceMap::default();
        let read = status::read(&wt, sources.next_id(), 1 << 20);
        let status = read.against(&l, &written, &mut sources);
        (status, sources.iter().count())
    };
    // None: nothing joins the sources.
    assert!(matches!(status_of(None), (LockStatus::Missing, 0)));
    // Not TOML, or not UTF-8: unreadable, and the file joins the sources (findings name it).
    assert!(matches!(
        status_of(Some(b"[[prompt]\nname = ")),
        (LockStatus::Unreadable(..), 1)
    ));
    match status_of(Some(b"\xff\xfe")) {
        (LockStatus::Unreadable(why, _), 1) => assert!(why.contains("UTF-8"), "{why}"),
        other => panic!("{other:?}"),
    }
    // A later agentlock's: said so.
    assert!(matches!(
        status_of(Some(b"version = 99\n[[prompt]]\nname = 1\n")),
        (LockStatus::Newer(..), 1)
    ));
    // The same entries in another layout (hand-formatted): parsed, and fresh.
    let spaced = written.replace(" = ", "   =   ");
    assert!(matches!(
        status_of(Some(spaced.as_bytes())),
        (LockStatus::Fresh, 1)
    ));
}
