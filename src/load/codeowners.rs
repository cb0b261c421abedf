//! CODEOWNERS: who must review a change to which path, read the way GitHub reads it.
//!
//! GitHub uses the first of `.github/CODEOWNERS`, `CODEOWNERS` and `docs/CODEOWNERS` that exists
//! ([`crate::load::CODEOWNERS_PATHS`]). Each line is a pattern followed by zero or more owners
//! (`@user`, `@org/team` or an email address). `#` starts a comment at the start of a line, or as
//! a word of its own after the pattern. The LAST rule whose pattern matches a path decides its
//! owners, and a rule with no owners leaves the path without any.
//!
//! Patterns are gitignore patterns, minus what GitHub does not support: `!` negation, `[ ]`
//! character ranges and escaping a leading `#` with `\`. GitHub skips such lines, so here they
//! match nothing, and [`Codeowners::parse`] reports each one.
//!
//! Matching, on `/`-separated paths relative to the repository root, case-sensitive:
//! - a pattern with no `/` (a trailing one aside) matches at any depth; a leading or inner `/`
//!   anchors it at the root;
//! - `*` matches within one path segment, `?` one character of it; `**` as a whole segment
//!   matches any number of segments (`**/x`, `x/**/y`, `x/**`);
//! - a pattern that matches a directory covers every file below it; a trailing `/` makes the
//!   pattern match directories only;
//! - except that a lone `*` as the last segment (`docs/*`) matches direct children only, as
//!   GitHub documents.

use crate::problem::Problem;
use crate::source::{FileId, Span};
use std::collections::HashMap;

/// GitHub does not load a CODEOWNERS file of this size or more ("CODEOWNERS files must be under
/// 3 MB in size"): no code owner is then requested for any change.
pub const GITHUB_MAX_SIZE: usize = 3 * 1024 * 1024;

/// How much matching [`Codeowners::decide`] does at most, in the steps
/// [`Glob::matches_counting`] counts (about a nanosecond each): a second or so. A real file
/// decides 10,000 prompts in a small part of it; a hostile one (thousands of patterns that
/// need not start at the root, each tried against every path) stops here instead of holding
/// the run for minutes.
pub const MATCH_BUDGET: u64 = 400_000_000;

/// A parsed CODEOWNERS file.
#[derive(Clone, Debug)]
pub struct Codeowners {
    pub file: FileId,
    /// Where it was found: `.github/CODEOWNERS`, `CODEOWNERS` or `docs/CODEOWNERS`.
    pub path: String,
    /// Every pattern line, in file order (including lines GitHub skips: they match nothing).
    pub rules: Vec<Rule>,
    /// The rules anchored at the root whose first segment is a literal name, by that name: only
    /// a path starting with it can match them. Indices into `rules`, ascending.
    by_first: HashMap<String, Vec<usize>>,
    /// Every other rule GitHub applies (ascending).
    general: Vec<usize>,
    /// What [`Codeowners::decide`] decided, by path.
    decided: HashMap<String, Decided>,
}

/// The deciding rule of a path, and when it lists no owners, the last earlier rule that
/// matches (indices into `rules`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Decided {
    rule: Option<usize>,
    earlier: Option<usize>,
}

/// Who owns a path, as [`Codeowners::ownership`] says.
#[derive(Clone, Copy, Debug)]
pub enum Ownership<'a> {
    /// No rule matches it.
    NoRule,
    /// The last rule that matches (its owners may be empty: then the path has none) and, when
    /// it lists no owners, the last matching rule before it, which would decide without it.
    Rule {
        rule: &'a Rule,
        earlier: Option<&'a Rule>,
    },
    /// Not decided: [`Codeowners::decide`] was not given the path, or ran out of its budget.
    Unknown,
}

/// The matching ran past its budget.
#[derive(Debug)]
struct OverBudget;

/// One pattern line.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The pattern as written, escapes included.
    pub pattern: String,
    /// `@user`, `@org/team` or `user@example.com`; empty when the rule takes ownership away.
    pub owners: Vec<String>,
    /// 1-based line number.
    pub line: usize,
    /// The pattern and its owners (without a trailing comment).
    pub span: Span,
    /// `None` when GitHub skips the line: the rule then matches nothing.
    glob: Option<Glob>,
}

/// A line GitHub skips, and why.
#[derive(Clone, Debug)]
pub struct Issue {
    pub span: Span,
    pub line: usize,
    pub message: String,
    pub label: String,
    pub help: String,
}

impl Codeowners {
    /// Parses a CODEOWNERS file. Lines GitHub would skip are kept as rules that match nothing,
    /// and each is reported as an [`Issue`].
    pub fn parse(file: FileId, path: &str, text: &str) -> (Codeowners, Vec<Issue>) {
        let mut rules = Vec::new();
        let mut issues = Vec::new();
        let body = text.strip_prefix('\u{feff}').unwrap_or(text); // a byte-order mark
        let mut offset = text.len() - body.len();
        for (i, raw) in body.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            if let Some((rule, issue)) = parse_line(file, i + 1, start, line) {
                rules.push(rule);
                issues.extend(issue);
            }
        }
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
        let mut general = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            match r.glob.as_ref().map(Glob::first_literal) {
                None => {} // skipped by GitHub: it matches nothing
                Some(Some(first)) => by_first.entry(first).or_default().push(i),
                Some(None) => general.push(i),
            }
        }
        let owners = Codeowners {
            file,
            path: path.to_string(),
            rules,
            by_first,
            general,
            decided: HashMap::new(),
        };
        (owners, issues)
    }

    /// Parses, and turns every skipped line into a CONF001 finding.
    pub fn load(file: FileId, path: &str, text: &str) -> (Codeowners, Vec<Problem>) {
        let (owners, issues) = Self::parse(file, path, text);
        let findings = issues
            .into_iter()
            .map(|i| {
                Problem::new(i.span, path, i.message)
                    .label(i.label)
                    .help(i.help)
            })
            .collect();
        (owners, findings)
    }

    /// The rule that decides who owns `path` (repository-relative, `/`-separated): the last one
    /// that matches. Its owners may be empty, which means the path has none.
    pub fn owner_of(&self, path: &str) -> Option<&Rule> {
        let segs: Vec<&str> = path.split('/').collect();
        match self.last_match(&segs, self.rules.len(), &mut 0, u64::MAX) {
            Ok(found) => found.map(|i| &self.rules[i]),
            Err(OverBudget) => None, // no budget to run past
        }
    }

    /// Decides who owns each of `paths`, within [`MATCH_BUDGET`] steps of matching; what
    /// [`Codeowners::ownership`] then says. Returns how many distinct paths were left
    /// undecided, and how many distinct paths there were.
    pub fn decide<'p>(&mut self, paths: impl IntoIterator<Item = &'p str>) -> (usize, usize) {
        self.decide_within(paths, MATCH_BUDGET)
    }

    fn decide_within<'p>(
        &mut self,
        paths: impl IntoIterator<Item = &'p str>,
        budget: u64,
    ) -> (usize, usize) {
        let mut steps = 0u64;
        let mut undecided = std::collections::HashSet::new();
        let mut seen = std::collections::HashSet::new();
        for path in paths {
            if !seen.insert(path) || self.decided.contains_key(path) {
                continue;
            }
            if steps > budget {
                undecided.insert(path);
                continue;
            }
            let segs: Vec<&str> = path.split('/').collect();
            let decided = self
                .last_match(&segs, self.rules.len(), &mut steps, budget)
                .and_then(|rule| {
                    let earlier = match rule {
                        Some(r) if self.rules[r].owners.is_empty() => {
                            self.last_match(&segs, r, &mut steps, budget)?
                        }
                        _ => None,
                    };
                    Ok(Decided { rule, earlier })
                });
            match decided {
                Ok(d) => {
                    self.decided.insert(path.to_string(), d);
                }
                Err(OverBudget) => {
                    undecided.insert(path);
                }
            }
        }
        (undecided.len(), seen.len())
    }

    /// Who owns `path`, as [`Codeowners::decide`] found.
    pub fn ownership(&self, path: &str) -> Ownership<'_> {
        match self.decided.get(path) {
            None => Ownership::Unknown,
            Some(Decided { rule: None, .. }) => Ownership::NoRule,
            Some(&Decided {
                rule: Some(r),
                earlier,
            }) => Ownership::Rule {
                rule: &self.rules[r],
                earlier: earlier.map(|e| &self.rules[e]),
            },
        }
    }

    /// The last rule before `below` that matches the path of segments `segs`: the candidates
    /// are the rules whose literal first segment is the path's and the general ones, tried
    /// from the last, their work added to `steps`; past `budget`, [`OverBudget`].
    fn last_match(
        &self,
        segs: &[&str],
        below: usize,
        steps: &mut u64,
        budget: u64,
    ) -> Result<Option<usize>, OverBudget> {
        let first: &[usize] = segs
            .first()
            .and_then(|s| self.by_first.get(*s))
            .map_or(&[], Vec::as_slice);
        let general = self.general.as_slice();
        let mut i = first.partition_point(|&x| x < below);
        let mut j = general.partition_point(|&x| x < below);
        while i > 0 || j > 0 {
            let r = if j == 0 || (i > 0 && first[i - 1] > general[j - 1]) {
                i -= 1;
                first[i]
            } else {
                j -= 1;
                general[j]
            };
            if *steps > budget {
                return Err(OverBudget);
            }
            *steps += 1;
            if let Some(g) = &self.rules[r].glob
                && g.matches_segs(segs, steps)
            {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }
}

impl Rule {
    /// Whether GitHub applies this line at all (false for unsupported syntax).
    pub fn is_supported(&self) -> bool {
        self.glob.is_some()
    }

    pub fn matches(&self, path: &str) -> bool {
        self.glob.as_ref().is_some_and(|g| g.matches(path))
    }
}

/// Parses one line (without its line break). `None` for blank and comment lines.
fn parse_line(
    file: FileId,
    number: usize,
    start: usize,
    line: &str,
) -> Option<(Rule, Option<Issue>)> {
    let words = words(line);
    let &(p0, p1) = words.first()?;
    let pattern = &line[p0..p1];
    if pattern.starts_with('#') {
        return None;
    }
    let mut owners = Vec::new();
    let mut end = p1;
    let mut bad_owner = None;
    for &(a, b) in &words[1..] {
        let word = &line[a..b];
        if word.starts_with('#') {
            break; // a trailing comment
        }
        end = b;
        if is_owner(word) {
            owners.push(word.to_string());
        } else if bad_owner.is_none() {
            bad_owner = Some((a, b));
        }
    }
    let span_of = |a: usize, b: usize| Span::new(file, start + a, start + b);
    let issue = |span: Span, message: String, label: &str, help: String| Issue {
        span,
        line: number,
        message,
        label: label.to_string(),
        help,
    };
    let compiled = Glob::compile(pattern);
    let problem = if let Err(why) = &compiled {
        Some(why.issue(pattern, span_of(p0, p1), &issue))
    } else if pattern.starts_with('@') {
        Some(issue(
            span_of(p0, p1),
            format!(
                "this line starts with the owner `{pattern}` and has no pattern: GitHub skips it"
            ),
            "an owner where the pattern belongs",
            format!(
                "write the path first, then its owners, e.g. `* {pattern}` for the whole repository"
            ),
        ))
    } else if let Some((a, b)) = bad_owner {
        let word = &line[a..b];
        Some(issue(
            span_of(a, b),
            format!("`{word}` is not an owner: GitHub skips this line"),
            "not `@user`, `@org/team` or an email address",
            "write owners as `@user`, `@org/team` or `user@example.com`; start a trailing comment with ` #`".to_string(),
        ))
    } else {
        None
    };
    let glob = match (compiled, &problem) {
        (Ok(g), None) => Some(g),
        _ => None,
    };
    let rule = Rule {
        pattern: pattern.to_string(),
        owners,
        line: number,
        span: span_of(p0, end),
        glob,
    };
    Some((rule, problem))
}

/// Byte ranges of the whitespace-separated words of a line; `\` keeps the next character (an
/// escaped space, say) inside its word.
fn words(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
            continue;
        }
        start.get_or_insert(i);
        if c == '\\' {
            chars.next();
        }
    }
    if let Some(s) = start {
        out.push((s, line.len()));
    }
    out
}

/// `@user`, `@org/team`, or an email address.
fn is_owner(word: &str) -> bool {
    let name = |s: &str, extra: &[char]| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || extra.contains(&c))
    };
    if let Some(rest) = word.strip_prefix('@') {
        return match rest.split_once('/') {
            Some((org, team)) => name(org, &[]) && name(team, &['.']),
            None => name(rest, &[]),
        };
    }
    match word.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

/// Syntax GitHub does not support in a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unsupported {
    Negation,
    Range,
    EscapedHash,
}

impl Unsupported {
    fn issue(
        self,
        pattern: &str,
        span: Span,
        issue: &impl Fn(Span, String, &str, String) -> Issue,
    ) -> Issue {
        match self {
            Unsupported::Negation => issue(
                span,
                format!("pattern `{pattern}` negates with `!`, which GitHub's CODEOWNERS does not support: GitHub skips this line"),
                "`!` negation is not supported",
                "to leave paths without owners, list them on a later line with no owners (e.g. `/prompts/drafts/`); to give them other owners, list them with those owners".to_string(),
            ),
            Unsupported::Range => issue(
                span,
                format!("pattern `{pattern}` uses a `[ ]` character range, which GitHub's CODEOWNERS does not support: GitHub skips this line"),
                "`[ ]` ranges are not supported",
                "write one line per name, or use the `*` and `?` wildcards; a literal bracket is written `\\[` or `\\]`".to_string(),
            ),
            Unsupported::EscapedHash => {
                let rest = &pattern[1..];
                let suggestion = if rest.trim_end_matches('/').contains('/') {
                    format!("/{rest}")
                } else {
                    format!("**/{rest}")
                };
                issue(
                    span,
                    format!("pattern `{pattern}` escapes a leading `#` with `\\`, which GitHub's CODEOWNERS does not support: GitHub skips this line"),
                    "`\\#` is not supported",
                    format!("start the pattern with something other than `#`: `{suggestion}` names the same paths"),
                )
            }
        }
    }
}

/// A compiled pattern.
#[derive(Clone, Debug)]
struct Glob {
    segments: Vec<Segment>,
    /// No `/` except a trailing one: it may match starting at any depth.
    floating: bool,
    /// A trailing `/`: only directories match (and with them, everything below).
    dir_only: bool,
    /// A lone `*` as the last segment (`docs/*`): direct children only, not what lies below.
    children_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// `**`: any number of segments, none included.
    AnyDirs,
    Name(Vec<Tok>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Char(char),
    /// `*`: any run of characters within a segment.
    Star,
    /// `?`: one character.
    One,
}

impl Glob {
    fn compile(pattern: &str) -> Result<Glob, Unsupported> {
        if pattern.starts_with("\\#") {
            return Err(Unsupported::EscapedHash);
        }
        if pattern.starts_with('!') {
            return Err(Unsupported::Negation);
        }
        // (character, escaped)
        let mut chars: Vec<(char, bool)> = Vec::new();
        let mut it = pattern.chars();
        while let Some(c) = it.next() {
            match c {
                '\\' => chars.push((it.next().unwrap_or('\\'), true)),
                '[' | ']' => return Err(Unsupported::Range),
                c => chars.push((c, false)),
            }
        }
        let leading = chars.first() == Some(&('/', false));
        if leading {
            chars.remove(0);
        }
        let dir_only = chars.last() == Some(&('/', false));
        if dir_only {
            chars.pop();
        }
        let segments: Vec<Segment> = chars
            .split(|&c| c == ('/', false))
            .map(|seg| {
                if seg == [('*', false), ('*', false)] {
                    return Segment::AnyDirs;
                }
                let mut toks: Vec<Tok> = Vec::new();
                for &(c, escaped) in seg {
                    let t = match (c, escaped) {
                        ('*', false) => Tok::Star,
                        ('?', false) => Tok::One,
                        (c, _) => Tok::Char(c),
                    };
                    if !(t == Tok::Star && toks.last() == Some(&Tok::Star)) {
                        toks.push(t);
                    }
                }
                Segment::Name(toks)
            })
            .collect();
        let floating = !leading && segments.len() == 1;
        let children_only = !dir_only && segments.last() == Some(&Segment::Name(vec![Tok::Star]));
        Ok(Glob {
            segments,
            floating,
            dir_only,
            children_only,
        })
    }

    fn matches(&self, path: &str) -> bool {
        self.matches_counting(path, &mut 0)
    }

    /// The first segment as a plain name, when the pattern is anchored at the root and that
    /// segment has no wildcard: a path can only match if it starts with that name.
    fn first_literal(&self) -> Option<String> {
        if self.floating {
            return None;
        }
        match self.segments.first()? {
            Segment::Name(toks) => toks
                .iter()
                .map(|t| match t {
                    Tok::Char(c) => Some(*c),
                    _ => None,
                })
                .collect(),
            Segment::AnyDirs => None,
        }
    }

    /// [`Glob::matches`], adding its work to `steps`: one for each position of the path for
    /// each segment of the pattern, and one for each step of [`match_name`]. That is linear in
    /// the path's length for each pattern: one pass over the path per pattern segment, whatever
    /// the depth (trying every start and every end of a floating pattern was cubic in it).
    ///
    /// A floating pattern is the same pattern after `**/`, anchored at the root. After the
    /// pass, `reach[j]` says whether the pattern matches the first `j` segments of the path: the
    /// whole path is the file case, a shorter prefix one of its directories.
    fn matches_counting(&self, path: &str, steps: &mut u64) -> bool {
        let segs: Vec<&str> = path.split('/').collect();
        self.matches_segs(&segs, steps)
    }

    /// [`Glob::matches_counting`] of a path already cut at its `/`s.
    fn matches_segs(&self, segs: &[&str], steps: &mut u64) -> bool {
        let n = segs.len();
        let lead = self.floating.then_some(&Segment::AnyDirs);
        let pattern: Vec<&Segment> = lead.into_iter().chain(&self.segments).collect();
        // reach[j]: the segments so far match segs[..j]; `before_last`: the same before the
        // last segment (a trailing `**` must take at least one segment of a file's path).
        let mut reach = vec![false; n + 1];
        reach[0] = true;
        let mut before_last = Vec::new();
        for (k, seg) in pattern.iter().enumerate() {
            if k + 1 == pattern.len() && **seg == Segment::AnyDirs {
                before_last = reach.clone();
            }
            *steps += n as u64 + 1;
            match seg {
                Segment::AnyDirs => {
                    let mut any = false;
                    for r in reach.iter_mut() {
                        any |= *r;
                        *r = any;
                    }
                }
                Segment::Name(toks) => {
                    // Backwards, so that reach[j] is still the previous segment's when read.
                    for j in (0..n).rev() {
                        reach[j + 1] = reach[j] && match_name(toks, segs[j], steps);
                    }
                    reach[0] = false;
                }
            }
        }
        let file = match pattern.last() {
            Some(Segment::AnyDirs) => before_last[..n].contains(&true),
            _ => reach[n],
        };
        let dir = reach[1..n].contains(&true);
        (!self.dir_only && file) || (!self.children_only && dir)
    }
}

/// Wildcard match of one segment (the classic greedy match, going back to the last `*` only),
/// adding each of its steps to `steps`.
fn match_name(toks: &[Tok], name: &str, steps: &mut u64) -> bool {
    // Positions are byte offsets of the name, always at a character's start.
    let s = name.as_bytes();
    let width = |i: usize| match s[i] {
        b if b < 0x80 => 1,
        b if b >= 0xF0 => 4,
        b if b >= 0xE0 => 3,
        _ => 2,
    };
    let (mut p, mut i) = (0, 0);
    let mut back: Option<(usize, usize)> = None; // (token after the last `*`, where it resumes)
    *steps += 1;
    while i < s.len() {
        *steps += 1;
        match toks.get(p) {
            Some(Tok::Star) => {
                back = Some((p + 1, i));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                i += width(i);
            }
            Some(Tok::Char(c))
                if if c.is_ascii() {
                    s[i] == *c as u8
                } else {
                    name[i..].starts_with(*c)
                } =>
            {
                p += 1;
                i += c.len_utf8();
            }
            _ => match back {
                Some((bp, bi)) => {
                    p = bp;
                    i = bi + width(bi);
                    back = Some((bp, i));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|t| *t == Tok::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pattern: &str) -> Glob {
        Glob::compile(pattern).unwrap_or_else(|e| panic!("{pattern}: {e:?}"))
    }

    /// (pattern, path, matches)
    const MATCHES: &[(&str, &str, bool)] = &[
        // `*` matches everything, at any depth
        ("*", "README.md", true),
        ("*", "prompts/writer.prompt", true),
        ("*", "a/b/c/d.txt", true),
        // an extension, at any depth
        ("*.prompt", "writer.prompt", true),
        ("*.prompt", "prompts/writer.prompt", true),
        ("*.prompt", "prompts/old/writer.prompt", true),
        ("*.prompt", "prompts/writer.prompt.bak", false),
        ("*.prompt", "prompts/writer.Prompt", false), // case-sensitive
        // a root directory
        ("/prompts/", "prompts/writer.prompt", true),
        ("/prompts/", "prompts/old/writer.prompt", true),
        ("/prompts/", "apps/prompts/writer.prompt", false),
        ("/prompts/", "prompts", false), // a file named `prompts`
        ("/prompts/", "Prompts/writer.prompt", false),
        // a directory at any depth
        ("prompts/", "prompts/writer.prompt", true),
        ("prompts/", "apps/bot/prompts/writer.prompt", true),
        ("prompts/", "prompts", false),
        ("prompts/", "prompts.md", false),
        // no slash: a file or a directory, at any depth
        ("prompts", "prompts", true),
        ("prompts", "apps/prompts", true),
        ("prompts", "apps/prompts/writer.prompt", true),
        ("prompts", "prompts.md", false),
        // `docs/*`: direct children only (GitHub's documented example)
        ("docs/*", "docs/getting-started.md", true),
        ("docs/*", "docs/build-app/troubleshooting.md", false),
        ("docs/*", "docs", false),
        ("docs/*", "src/docs/a.md", false), // an inner `/` anchors at the root
        ("/*", "README.md", true),
        ("/*", "prompts/writer.prompt", false),
        ("/*/", "prompts/writer.prompt", true), // directories at the root, and all below
        ("docs/*.md", "docs/a.md", true),
        ("docs/*.md", "docs/sub/a.md", false),
        // `**/x`: x at any depth
        ("**/prompts", "prompts/writer.prompt", true),
        ("**/prompts", "apps/bot/prompts/writer.prompt", true),
        ("**/prompts", "apps/prompts", true),
        ("**/prompts", "apps/myprompts/a", false),
        ("**/logs", "deeply/nested/logs/x.log", true),
        // `x/**`: everything inside x, not x itself
        ("apps/**", "apps/a.txt", true),
        ("apps/**", "apps/web/src/a.txt", true),
        ("apps/**", "apps", false),
        ("apps/**", "lib/apps/a.txt", false),
        ("**", "README.md", true),
        ("**", "a/b.txt", true),
        // `x/**/y`: zero or more directories between
        ("a/**/b", "a/b", true),
        ("a/**/b", "a/x/y/b", true),
        ("a/**/b", "a/x/y/b/c.txt", true),
        ("a/**/b", "x/a/b", false),
        ("foo/**/", "foo/bar", true),
        ("foo/**/", "foo", false),
        // a directory anchored by its leading slash
        ("/build/logs/", "build/logs/today.log", true),
        ("/build/logs/", "build/logs/2026/11/today.log", true),
        ("/build/logs/", "src/build/logs/today.log", false),
        ("/build/logs/", "build/logs", false),
        ("/build/logs/", "build/logsx/a", false),
        // inner slash anchors, and a matched directory covers what is below
        ("apps/github", "apps/github", true),
        ("apps/github", "apps/github/a/b.rb", true),
        ("apps/github", "x/apps/github", false),
        ("f*", "foo/bar/baz", true),
        ("f*", "bar/baz", false),
        ("foo/*/baz", "foo/bar/baz/qux", true),
        ("foo/*/baz", "foo/baz", false),
        // `?`: exactly one character, never `/`
        ("f?o", "foo", true),
        ("f?o", "fo", false),
        ("f?o", "fooo", false),
        ("a?b", "a/b", false),
        ("/prompts/v?.prompt", "prompts/v1.prompt", true),
        // `*` never crosses `/`
        ("/prompts/*.prompt", "prompts/old/a.prompt", false),
        ("a*b", "a/b", false),
        ("*ter*", "prompts/writer.prompt", true),
        // escapes
        ("f\\*o", "f*o", true),
        ("f\\*o", "foo", false),
        ("my\\ file.txt", "docs/my file.txt", true),
        ("\\[draft\\].md", "[draft].md", true),
        ("\\!important.md", "!important.md", true),
        // `#` inside a pattern is a character
        ("/docs/c#/", "docs/c#/intro.md", true),
        // a file exactly
        ("/prompts/router.prompt", "prompts/router.prompt", true),
        ("/prompts/router.prompt", "prompts/writer.prompt", false),
        ("/prompts/router.prompt", "x/prompts/router.prompt", false),
    ];

    #[test]
    fn patterns_match_like_github() {
        let mut wrong = Vec::new();
        for &(pattern, path, want) in MATCHES {
            if rule(pattern).matches(path) != want {
                wrong.push(format!("`{pattern}` vs `{path}`: want {want}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    fn parse(text: &str) -> (Codeowners, Vec<Issue>) {
        Codeowners::parse(FileId(0), "CODEOWNERS", text)
    }

    /// The deciding rule's line and owners.
    type Decided<'a> = Option<(usize, Vec<&'a str>)>;

    fn owners_of<'a>(co: &'a Codeowners, path: &str) -> Decided<'a> {
        co.owner_of(path)
            .map(|r| (r.line, r.owners.iter().map(String::as_str).collect()))
    }

    #[test]
    fn last_matching_rule_wins_and_an_ownerless_rule_unowns() {
        let (co, issues) = parse(
            "# Default owners\n\
             *                 @acme/platform\n\
             \n\
             *.prompt          @acme/prompts   # prompts\n\
             /prompts/old/\n\
             /prompts/router.prompt  alice@example.com @bob\n",
        );
        assert!(issues.is_empty(), "{issues:?}");
        // (path, line of the deciding rule, its owners)
        let table: &[(&str, Decided)] = &[
            ("README.md", Some((2, vec!["@acme/platform"]))),
            ("prompts/writer.prompt", Some((4, vec!["@acme/prompts"]))),
            ("prompts/old/writer.prompt", Some((5, vec![]))),
            (
                "prompts/router.prompt",
                Some((6, vec!["alice@example.com", "@bob"])),
            ),
        ];
        for (path, want) in table {
            assert_eq!(&owners_of(&co, path), want, "{path}");
        }
        let (co, _) = parse("/prompts/ @a\n");
        assert_eq!(owners_of(&co, "agents.yaml"), None);
    }

    #[test]
    fn lines_comments_and_spans() {
        let text = "  # indented comment\n\n*.yaml @a # trailing\r\n\t/docs/  @b  @org/team\n";
        let (co, issues) = parse(text);
        assert!(issues.is_empty(), "{issues:?}");
        let got: Vec<(&str, usize, &str)> = co
            .rules
            .iter()
            .map(|r| {
                (
                    r.pattern.as_str(),
                    r.line,
                    &text[r.span.start as usize..r.span.end as usize],
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("*.yaml", 3, "*.yaml @a"),
                ("/docs/", 4, "/docs/  @b  @org/team")
            ]
        );
        assert_eq!(co.rules[1].owners, ["@b", "@org/team"]);

        let (co, issues) = parse("\u{feff}* @a\n");
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(
            (co.rules[0].pattern.as_str(), co.rules[0].span.start),
            ("*", 3)
        );
    }

    #[test]
    fn owners() {
        for (word, ok) in [
            ("@octocat", true),
            ("@octo-org/codeowners-team", true),
            ("@org/team.name", true),
            ("docs@example.com", true),
            ("first.last@mail.example.org", true),
            ("octocat", false),
            ("@", false),
            ("@org/", false),
            ("@org/team/sub", false),
            ("user@localhost", false),
            ("a@b@c.com", false),
        ] {
            assert_eq!(is_owner(word), ok, "{word}");
        }
    }

    /// (CODEOWNERS text, line and text of the reported span, a word the message must hold)
    const SKIPPED: &[(&str, usize, &str, &str)] = &[
        (
            "* @a\n!/prompts/writer.prompt\n",
            2,
            "!/prompts/writer.prompt",
            "`!`",
        ),
        (
            "* @a\n/prompts/[wr]*.prompt @b\n",
            2,
            "/prompts/[wr]*.prompt",
            "`[ ]`",
        ),
        ("\\#notes.md @a\n", 1, "\\#notes.md", "leading `#`"),
        ("/docs/ bob\n", 1, "bob", "not an owner"),
        ("@octocat\n", 1, "@octocat", "no pattern"),
    ];

    #[test]
    fn unsupported_lines_are_reported_and_match_nothing() {
        for &(text, line, span, word) in SKIPPED {
            let (co, issues) = parse(text);
            assert_eq!(issues.len(), 1, "{text}: {issues:?}");
            let i = &issues[0];
            assert_eq!(i.line, line, "{text}");
            assert_eq!(&text[i.span.start as usize..i.span.end as usize], span);
            assert!(i.message.contains(word), "{text}: {}", i.message);
            let skipped = co.rules.iter().find(|r| r.line == line).unwrap();
            assert!(!skipped.is_supported());
        }
        // the skipped lines take nothing away from the rules before them
        let (co, _) = parse(SKIPPED[0].0);
        assert_eq!(
            owners_of(&co, "prompts/writer.prompt"),
            Some((1, vec!["@a"]))
        );
        let (co, _) = parse(SKIPPED[1].0);
        assert_eq!(
            owners_of(&co, "prompts/writer.prompt"),
            Some((1, vec!["@a"]))
        );
    }

    #[test]
    fn escaped_leading_hash_is_a_pattern_not_a_comment() {
        // `\#file` is a rule line (GitHub does not honour the escape, so it matches nothing);
        // `#file` is a comment; `/#file` names the root file `#file`.
        let (co, issues) = parse("\\#file @a\n#file @b\n/#file @c\n");
        assert_eq!(co.rules.len(), 2);
        assert_eq!(co.rules[0].pattern, "\\#file");
        assert!(!co.rules[0].matches("#file"));
        assert_eq!(issues.len(), 1);
        assert!(issues[0].help.contains("`**/#file`"), "{}", issues[0].help);
        assert_eq!(owners_of(&co, "#file"), Some((3, vec!["@c"])));
        assert_eq!(owners_of(&co, "docs/#file"), None);
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let pattern = "**/".repeat(30) + "*a*a*a*a*a*a*a*a*b";
        let path = ["a"; 30].join("/") + "/" + &"a".repeat(60);
        assert!(!rule(&pattern).matches(&path));
    }

    /// The matcher before it was made linear: every start (of a floating pattern) × every end ×
    /// a pass over that slice, cubic in the path's depth. Kept as the reference the new one
    /// must agree with.
    mod reference {
        use super::super::{Glob, Segment, match_name};

        pub fn matches(g: &Glob, path: &str) -> bool {
            let segs: Vec<&str> = path.split('/').collect();
            let starts = if g.floating { segs.len() } else { 1 };
            (0..starts).any(|s| {
                let rest = &segs[s..];
                (!g.dir_only && matches_file(g, rest))
                    || (!g.children_only
                        && (1..rest.len()).any(|end| match_segments(&g.segments, &rest[..end])))
            })
        }

        fn matches_file(g: &Glob, path: &[&str]) -> bool {
            match g.segments.split_last() {
                Some((Segment::AnyDirs, init)) => {
                    (0..path.len()).any(|m| match_segments(init, &path[..m]))
                }
                _ => match_segments(&g.segments, path),
            }
        }

        fn match_segments(pattern: &[Segment], path: &[&str]) -> bool {
            let mut reach = vec![false; path.len() + 1];
            reach[0] = true;
            for seg in pattern {
                let mut next = vec![false; path.len() + 1];
                match seg {
                    Segment::AnyDirs => {
                        let mut any = false;
                        for j in 0..=path.len() {
                            any |= reach[j];
                            next[j] = any;
                        }
                    }
                    Segment::Name(toks) => {
                        for j in 0..path.len() {
                            if reach[j] && match_name(toks, path[j], &mut 0) {
                                next[j + 1] = true;
                            }
                        }
                    }
                }
                reach = next;
            }
            reach[path.len()]
        }
    }

    /// A small deterministic generator (xorshift64*): the same cases on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
    }

    #[test]
    fn the_linear_matcher_agrees_with_the_reference_on_random_patterns_and_paths() {
        const PATTERN_SEGMENTS: &[&str] = &[
            "a", "b", "ab", "*", "?", "**", "a*", "*a", "a?", "?b", "*a*", "a*b", "\\*", "", "**",
            "*",
        ];
        const PATH_SEGMENTS: &[&str] = &["a", "b", "ab", "ba", "aa", "abb", "*", "", "é"];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut compared, mut matched) = (0, 0);
        let mut wrong = Vec::new();
        for _ in 0..4000 {
            let parts: Vec<&str> = (0..1 + rng.below(4))
                .map(|_| rng.pick(PATTERN_SEGMENTS))
                .collect();
            let mut pattern = parts.join("/");
            if rng.below(3) == 0 {
                pattern.insert(0, '/');
            }
            if rng.below(3) == 0 {
                pattern.push('/');
            }
            let Ok(g) = Glob::compile(&pattern) else {
                continue;
            };
            for _ in 0..40 {
                let path = (0..1 + rng.below(6))
                    .map(|_| rng.pick(PATH_SEGMENTS))
                    .collect::<Vec<_>>()
                    .join("/");
                let want = reference::matches(&g, &path);
                compared += 1;
                matched += usize::from(want);
                if g.matches(&path) != want {
                    wrong.push(format!("`{pattern}` vs `{path}`: want {want}"));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{}",
            wrong[..wrong.len().min(20)].join("\n")
        );
        // Both answers are well represented.
        assert!(compared > 100_000 && matched > compared / 10 && matched < compared * 9 / 10);
        for &(pattern, path, want) in MATCHES {
            assert_eq!(
                reference::matches(&rule(pattern), path),
                want,
                "{pattern} {path}"
            );
        }
    }

    #[test]
    fn the_index_decides_as_reading_every_line_from_the_last_does() {
        // Rules anchored at a literal first directory are only tried on paths below it; every
        // other rule on every path. The answer must be the linear scan's.
        const PATTERNS: &[&str] = &[
            "*", "*.md", "/a/", "a/", "/a/b", "a/b", "/b/**", "**/a", "/a*/", "/?/b", "b", "/ab/",
            "ab/*", "/a/**/b", "\\a/b", "/é/", "a//b", "/", "!a", "[ab]",
        ];
        const PATH_SEGMENTS: &[&str] = &["a", "b", "ab", "ba", "é", "x.md", "*"];
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut compared = 0;
        for _ in 0..300 {
            let text: String = (0..1 + rng.below(12))
                .map(|i| format!("{} @o{i}\n", rng.pick(PATTERNS)))
                .collect();
            let (co, _) = parse(&text);
            for _ in 0..30 {
                let path = (0..1 + rng.below(4))
                    .map(|_| rng.pick(PATH_SEGMENTS))
                    .collect::<Vec<_>>()
                    .join("/");
                let want = co.rules.iter().rev().find(|r| r.matches(&path));
                let got = co.owner_of(&path);
                assert_eq!(
                    got.map(|r| r.line),
                    want.map(|r| r.line),
                    "{text:?} vs `{path}`"
                );
                compared += 1;
            }
        }
        assert_eq!(compared, 9000);
    }

    #[test]
    fn decide_answers_as_owner_of_until_its_budget_is_spent() {
        let mut text = String::from("* @all\n/prompts/ @p\n/prompts/old/\n");
        text.extend((0..200).map(|i| format!("*x{i}*y* @o\n")));
        let (mut co, _) = parse(&text);
        let paths: Vec<String> = (0..50)
            .map(|i| format!("prompts/old/p{i}.prompt"))
            .collect();
        // Enough for everything: every path decided, as owner_of decides it, and the ownerless
        // rule's fallback is the rule before it that matches.
        let mut all = co.clone();
        // (each path twice: counted once)
        let twice = paths.iter().chain(&paths).map(String::as_str);
        assert_eq!(all.decide(twice), (0, paths.len()));
        for p in &paths {
            match all.ownership(p) {
                Ownership::Rule { rule, earlier } => {
                    assert_eq!(Some(rule.line), co.owner_of(p).map(|r| r.line));
                    assert_eq!(rule.line, 3);
                    assert_eq!(earlier.map(|e| e.line), Some(2));
                }
                other => panic!("{p}: {other:?}"),
            }
        }
        assert!(matches!(all.ownership("elsewhere"), Ownership::Unknown));
        // A budget that runs out part way: the paths decided before it are right, the rest
        // are Unknown, never a wrong answer.
        let twice = paths.iter().chain(&paths).map(String::as_str);
        let (undecided, distinct) = co.decide_within(twice, 20_000);
        assert_eq!(distinct, paths.len());
        assert!(undecided > 0 && undecided < paths.len(), "{undecided}");
        let unknown = paths
            .iter()
            .filter(|p| matches!(co.ownership(p), Ownership::Unknown))
            .count();
        assert_eq!(unknown, undecided);
        let (mut docs, _) = parse("/docs/ @d\n");
        assert_eq!(docs.decide(["prompts/a.prompt"]), (0, 1));
        assert!(matches!(
            docs.ownership("prompts/a.prompt"),
            Ownership::NoRule
        ));
    }

    #[test]
    fn matching_a_deep_path_is_linear_in_its_length() {
        // A path 2,000 directories deep (4 KB, which git checks out), against rules that do not
        // match it: the old matcher tried every start × every end × a pass, 2,000³ for each.
        let patterns = [
            "nomatch1",
            "*.md",
            "/docs/",
            "prompts/",
            "a/**/b",
            "**/x/**/nomatch",
            "x*y?z",
            "docs/*",
            "**",
            "*",
        ];
        let globs: Vec<Glob> = patterns.iter().map(|p| rule(p)).collect();
        let deep = |depth: usize| format!("prompts/{}x1.prompt", "x/".repeat(depth));
        let work = |path: &str| {
            let mut steps = 0u64;
            for g in &globs {
                g.matches_counting(path, &mut steps);
            }
            steps
        };
        let path = deep(2000);
        let steps = work(&path);
        // At most a few steps per character of the path for each segment of each pattern.
        let segments: usize = globs.iter().map(|g| g.segments.len() + 1).sum();
        assert!(
            steps <= 4 * (segments * (path.len() + 1)) as u64,
            "{steps} steps for {segments} segments over {} bytes",
            path.len()
        );
        // Twice as deep, about twice the work.
        let twice = work(&deep(4000));
        assert!(twice <= steps * 21 / 10, "{steps} then {twice}");
        // And the same answers as before: `prompts/`, `**` and `*` own it.
        let owned: Vec<&str> = patterns
            .iter()
            .zip(&globs)
            .filter(|(_, g)| g.matches(&path))
            .map(|(p, _)| *p)
            .collect();
        assert_eq!(owned, ["prompts/", "**", "*"]);
    }
}
