//! Repository paths: the only kind of path a snapshot reads or writes.
//!
//! A [`RepoPath`] is relative to the repository root, `/`-separated, and has no component that
//! could leave the root (`..`), name it twice (`.`, an empty component) or mean something else
//! on another system (a backslash, a drive letter, NUL). It can only be made by [`RepoPath::parse`]
//! (for text from a configuration or a lockfile) or [`RepoPath::join`] (for a name a directory
//! listing gave), so every path that reaches a snapshot has been checked, once, here.
//!
//! Symlinks are the other way out of a repository. Snapshots follow them themselves, with
//! [`follow_link`], which resolves a link's target lexically against the repository root and
//! refuses a target that leaves it.

use std::fmt;

/// A path inside the repository. `""` is the root itself.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RepoPath(String);

/// Why a text is not a path inside the repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// An empty path.
    Empty,
    /// `/etc/passwd`, `C:\…`, `\\server\…`.
    Absolute,
    /// A `..` component: it leaves the directory it is in, and possibly the repository.
    Parent,
    /// A backslash: a separator on Windows, a name character elsewhere.
    Backslash,
    /// NUL or another control character.
    Control,
    /// A `.git` component (in any of the spellings a case-insensitive or NTFS file system
    /// takes for it): git's own directory, which agentlock never reads or writes as a file.
    GitDir,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathError::Empty => "is empty",
            PathError::Absolute => "is absolute: it names a file outside the repository",
            PathError::Parent => {
                "contains `..` (or a name of only dots and spaces, which Windows reads as `..`), \
                 which can lead outside the repository"
            }
            PathError::Backslash => "contains a backslash; separate directories with `/`",
            PathError::Control => "contains a control character",
            PathError::GitDir => {
                "names git's own directory (`.git`), which is not a file of the repository"
            }
        })
    }
}

impl RepoPath {
    /// The repository root.
    pub fn root() -> RepoPath {
        RepoPath(String::new())
    }

    /// Checks a path written in a configuration, a lockfile or a symlink: relative, `/`
    /// separated, no `..`. `.` and empty components are dropped (`./agents.yaml` is
    /// `agents.yaml`); a path that is only those is the root.
    pub fn parse(text: &str) -> Result<RepoPath, PathError> {
        if text.is_empty() {
            return Err(PathError::Empty);
        }
        if text.starts_with('/') || has_drive(text) {
            return Err(PathError::Absolute);
        }
        if text.contains('\\') {
            return Err(PathError::Backslash);
        }
        if text.chars().any(char::is_control) {
            return Err(PathError::Control);
        }
        let mut parts = Vec::new();
        for part in text.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(PathError::Parent),
                p if is_dots(p) => return Err(PathError::Parent),
                p if is_git_dir(p) => return Err(PathError::GitDir),
                p => parts.push(p),
            }
        }
        Ok(RepoPath(parts.join("/")))
    }

    /// For the fixed names agentlock itself reads (`agentlock.toml`, `CODEOWNERS`).
    pub fn fixed(text: &'static str) -> RepoPath {
        RepoPath::parse(text).expect("agentlock's own file names are repository paths")
    }

    /// This directory's child called `name`, as a directory listing gives it: one component
    /// that [`check_name`] takes, or why it is none. Other characters (a newline, an escape)
    /// are possible in a name on disk; reports show them escaped.
    pub fn child(&self, name: &str) -> Result<RepoPath, BadName> {
        check_name(name)?;
        Ok(if self.0.is_empty() {
            RepoPath(name.to_string())
        } else {
            RepoPath(format!("{}/{name}", self.0))
        })
    }

    /// [`RepoPath::child`], for a name that is known to be one (or need not say why not).
    pub fn join(&self, name: &str) -> Option<RepoPath> {
        self.child(name).ok()
    }

    /// [`RepoPath::child`] of a name as a listing gives it, bytes that may not be UTF-8.
    pub fn child_listed(&self, name: &[u8]) -> Result<RepoPath, BadName> {
        std::str::from_utf8(name)
            .map_err(|_| BadName::NotUtf8)
            .and_then(|n| self.child(n))
    }

    /// A path a listing gave whole (a git tree or index entry): each component as
    /// [`RepoPath::join`] takes it.
    pub fn from_listing(text: &str) -> Option<RepoPath> {
        text.split('/')
            .try_fold(RepoPath::root(), |at, name| at.join(name))
            .filter(|p| !p.is_root())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The components, root first; none for the root.
    pub fn components(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.0.split('/').filter(|c| !c.is_empty())
    }

    /// The directory holding this path (the root for a top-level name); `None` for the root.
    pub fn parent(&self) -> Option<RepoPath> {
        if self.0.is_empty() {
            return None;
        }
        Some(match self.0.rsplit_once('/') {
            Some((dir, _)) => RepoPath(dir.to_string()),
            None => RepoPath::root(),
        })
    }

    /// The last component; `""` for the root.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }

    /// Whether `self` is `dir` or lies below it.
    pub fn starts_with(&self, dir: &RepoPath) -> bool {
        dir.0.is_empty()
            || self.0 == dir.0
            || self
                .0
                .strip_prefix(dir.0.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RepoPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why a name a listing gives (a directory entry, a git tree or index entry) is no component
/// of a [`RepoPath`]: such an entry is neither read nor entered, and the listing says it is
/// there, so nothing is left out unsaid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BadName {
    /// Not UTF-8: no text can name it.
    NotUtf8,
    /// `.git` in another spelling (`.GIT`, `.git.`, `git~1`): git's own directory on a
    /// case-insensitive or Windows file system, a name git refuses to check out anywhere.
    GitDir,
    /// `.`, `..`, or only dots and spaces (`...`, `.. `): the directory itself or its parent,
    /// on Windows at least.
    Dots,
    /// Empty, or holding a `/` or NUL: what no file system lists, only a hand-made git tree
    /// or index holds.
    Malformed,
}

impl BadName {
    /// What the name is, for a finding about an entry named so.
    pub fn describe(self) -> &'static str {
        match self {
            BadName::NotUtf8 => "is not UTF-8 (shown escaped)",
            BadName::GitDir => {
                "spells git's own directory (`.git`) another way, as a case-insensitive or \
                 Windows file system reads it; git refuses to check out such a name"
            }
            BadName::Dots => {
                "is only dots and spaces, which Windows reads as the directory itself or its \
                 parent"
            }
            BadName::Malformed => {
                "is empty or holds a `/` or NUL, which no checkout can hold (`git fsck` \
                 rejects such a tree)"
            }
        }
    }
}

/// Whether `name` can be one component of a [`RepoPath`], as [`RepoPath::parse`] would take it
/// from a path: not empty, no `/` or NUL, not `.`, `..` or another name of dots and spaces, and
/// no spelling of `.git`.
pub fn check_name(name: &str) -> Result<(), BadName> {
    if name.is_empty() || name.contains(['/', '\0']) {
        Err(BadName::Malformed)
    } else if is_dots(name) {
        Err(BadName::Dots)
    } else if is_git_dir(name) {
        Err(BadName::GitDir)
    } else {
        Ok(())
    }
}

/// Whether a component names git's directory on some file system, in every spelling git's own
/// `verify_path` refuses under `core.protectNTFS` and `core.protectHFS`: `.git` in any case,
/// with the characters HFS+ ignores anywhere in it, with the trailing dots and spaces NTFS
/// drops, with an NTFS stream suffix (`.git::$INDEX_ALLOCATION` is the directory itself), or
/// as NTFS's short name `git~1`. No length shortcut: `.git` and sixty spaces is `.git` too.
fn is_git_dir(part: &str) -> bool {
    let ignorable = |c: char| matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}');
    // NTFS: `name:stream:type`; the name is what comes before the first colon.
    let name = part.split(':').next().unwrap_or(part);
    let plain: String = name.chars().filter(|&c| !ignorable(c)).collect();
    let plain = plain.trim_end_matches(['.', ' ']);
    plain.eq_ignore_ascii_case(".git") || plain.eq_ignore_ascii_case("git~1")
}

/// A component of dots and spaces only, other than `.` and `..` themselves: NTFS drops the
/// trailing ones, so `.. ` or `...` can name the parent directory on Windows.
fn is_dots(part: &str) -> bool {
    !part.is_empty() && part.chars().all(|c| c == '.' || c == ' ')
}

/// `C:` or `C:\` at the start: absolute on Windows.
fn has_drive(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Checks a glob written in a configuration: the same rules as [`RepoPath::parse`], applied to
/// each alternative of a `{a,b}` group too, so no pattern can match outside the repository.
/// Glob syntax itself (`*`, `?`, `[…]`, `\` escapes) is the glob parser's business.
pub fn check_glob(pattern: &str) -> Result<(), PathError> {
    if pattern.is_empty() {
        return Err(PathError::Empty);
    }
    if pattern.chars().any(char::is_control) {
        return Err(PathError::Control);
    }
    if pattern.starts_with('/') || has_drive(pattern) {
        return Err(PathError::Absolute);
    }
    let pieces = pattern.split(['/', '{', '}', ',']);
    for piece in pieces {
        if piece == ".." {
            return Err(PathError::Parent);
        }
        if piece.starts_with('/') || has_drive(piece) {
            return Err(PathError::Absolute);
        }
    }
    // An alternative that starts a path: `{/etc/*,x}`.
    if pattern.contains("{/") || pattern.contains(",/") {
        return Err(PathError::Absolute);
    }
    Ok(())
}

/// Where a symlink leads, as repository components to walk from the root: `dir` is the
/// resolved directory holding the link (components from the root), `target` what the link
/// holds. `None` when the target leaves the repository: an absolute target (unless it names a
/// place under `absolute_root`, the repository's own absolute path), or one whose `..` climbs
/// above the root.
pub fn follow_link(
    dir: &[String],
    target: &str,
    absolute_roots: &[&std::path::Path],
) -> Option<Vec<String>> {
    let mut parts: Vec<String> = Vec::new();
    let relative = if target.starts_with('/') {
        let t = std::path::Path::new(target);
        let rest = absolute_roots.iter().find_map(|r| t.strip_prefix(r).ok())?;
        rest.to_str()?.to_string()
    } else if has_drive(target) || target.starts_with('\\') {
        return None;
    } else {
        parts.extend(dir.iter().cloned());
        target.to_string()
    };
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            // git's own directory is no file of the repository (its config can hold the CI
            // job's token in a remote URL or an extraheader): a link into it is not followed,
            // as a link out of the root is not.
            p if is_git_dir(p) || is_dots(p) => return None,
            p => parts.push(p.to_string()),
        }
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_s_own_directory_is_no_repository_path_in_any_spelling() {
        for bad in [
            ".git/config",
            "prompts/.git/hooks/pre-commit",
            ".GIT/hooks/post-checkout",
            ".git./config",
            ".git ./config",
            "GIT~1/config",
            ".g\u{200c}it/config",
            ".git",
            ".git::$INDEX_ALLOCATION/hooks/pre-commit",
            ".GIT:$DATA",
            "git~1 ./config",
        ] {
            assert_eq!(RepoPath::parse(bad), Err(PathError::GitDir), "{bad:?}");
        }
        for good in [
            ".github/workflows/ci.yml",
            ".gitignore",
            "git/x",
            ".git-blame-ignore-revs",
            "a.git/b",
            "docs/a:b.md",
            ".gitx:y/z",
            "...a/b",
        ] {
            assert!(RepoPath::parse(good).is_ok(), "{good}");
        }
        // Spellings of any length: NTFS drops every trailing dot and space, HFS+ every
        // ignorable character.
        for tail in [" ", ".", "\u{200c}"] {
            let long = format!(".git{}/hooks/pre-commit", tail.repeat(61));
            assert_eq!(RepoPath::parse(&long), Err(PathError::GitDir), "{long:?}");
        }
        for parent in [".. /etc", "prompts/... /x", "a/. ./b"] {
            assert_eq!(
                RepoPath::parse(parent),
                Err(PathError::Parent),
                "{parent:?}"
            );
        }
    }

    #[test]
    fn parses_only_paths_inside() {
        assert_eq!(
            RepoPath::parse("agents.yaml").unwrap().as_str(),
            "agents.yaml"
        );
        assert_eq!(RepoPath::parse("./a//b/").unwrap().as_str(), "a/b");
        assert!(RepoPath::parse(".").unwrap().is_root());
        for (bad, why) in [
            ("", PathError::Empty),
            ("/etc/passwd", PathError::Absolute),
            ("C:\\x", PathError::Absolute),
            ("c:x", PathError::Absolute),
            ("../outside/agents.yaml", PathError::Parent),
            ("a/../../b", PathError::Parent),
            ("a/..", PathError::Parent),
            ("a\\b", PathError::Backslash),
            ("a\0b", PathError::Control),
            ("a\nb", PathError::Control),
        ] {
            assert_eq!(RepoPath::parse(bad), Err(why), "{bad:?}");
        }
    }

    #[test]
    fn joins_names_from_a_listing() {
        let d = RepoPath::parse("prompts").unwrap();
        assert_eq!(d.join("a.prompt").unwrap().as_str(), "prompts/a.prompt");
        assert_eq!(RepoPath::root().join("x").unwrap().as_str(), "x");
        assert!(d.join("..").is_none());
        assert!(d.join("a/b").is_none());
        assert!(d.join("").is_none());
        // odd but possible names are kept: they are shown escaped
        for (name, why) in [
            ("..", BadName::Dots),
            (".", BadName::Dots),
            ("...", BadName::Dots),
            (". .", BadName::Dots),
            (".GIT", BadName::GitDir),
            (".git", BadName::GitDir),
            (".Git.", BadName::GitDir),
            ("git~1", BadName::GitDir),
            ("a/b", BadName::Malformed),
            ("a\0b", BadName::Malformed),
            ("", BadName::Malformed),
        ] {
            assert_eq!(check_name(name), Err(why), "{name:?}");
            assert!(d.join(name).is_none(), "{name:?}");
        }
        for name in [".github", ".gitignore", "a.git", "..a", "x y", "a\\b"] {
            assert_eq!(check_name(name), Ok(()), "{name:?}");
        }
        assert!(d.join("a\nb").is_some());
        let p = d.join("a.prompt").unwrap();
        assert_eq!(p.parent().unwrap(), d);
        assert_eq!(p.file_name(), "a.prompt");
        assert!(p.starts_with(&d));
        assert!(!RepoPath::parse("promptsx/a").unwrap().starts_with(&d));
        assert!(p.starts_with(&RepoPath::root()));
    }

    #[test]
    fn globs_stay_inside() {
        for ok in [
            "prompts/**/*.prompt",
            "*.json",
            "**/config/agents.yaml",
            "{a,b}/*.yaml",
        ] {
            assert_eq!(check_glob(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("../../../../../etc/*", PathError::Parent),
            ("/etc/*", PathError::Absolute),
            ("prompts/{..,x}/*", PathError::Parent),
            ("{/etc/*,x}", PathError::Absolute),
            ("**/../*", PathError::Parent),
            ("", PathError::Empty),
        ] {
            assert_eq!(check_glob(bad), Err(why), "{bad}");
        }
    }

    #[test]
    fn links_resolve_inside_or_not_at_all() {
        let dir = vec!["prompts".to_string()];
        let root = std::path::Path::new("/repo");
        assert_eq!(
            follow_link(&dir, "a.prompt", &[root]).unwrap(),
            ["prompts", "a.prompt"]
        );
        assert_eq!(follow_link(&dir, "../x/a", &[root]).unwrap(), ["x", "a"]);
        assert_eq!(follow_link(&dir, "./../../etc/passwd", &[root]), None);
        assert_eq!(follow_link(&[], "/etc/passwd", &[root]), None);
        assert_eq!(follow_link(&[], "..", &[root]), None);
        assert_eq!(
            follow_link(&dir, "/repo/models.yaml", &[root]).unwrap(),
            ["models.yaml"]
        );
        assert_eq!(follow_link(&dir, "/repository/x", &[root]), None);
        // into git's own directory: not followed, in any spelling
        for into in [
            "../.git/config",
            "../.GIT/config",
            "/repo/.git/config",
            "../git~1/HEAD",
        ] {
            assert_eq!(follow_link(&dir, into, &[root]), None, "{into}");
        }
    }
}
