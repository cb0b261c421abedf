//! The fast path against serde-saphyr: wherever it gives a tree, the general parser gives the
//! same tree with the same spans.

use super::{agrees, parse};
use crate::source::FileId;

const F: FileId = FileId(0);

#[test]
fn the_files_agentlock_users_write_take_the_fast_path() {
    let docs = [
        "name: p00000\nversion: 1.0.0\nmodel: reasoning\nconfig: { temperature: 0.2, max_output_tokens: 1024 }\n",
        "# Generated\nentry: a0000\ndefaults: { timeout: 30s, retries: 2 }\nagents:\n  a0000:\n    role: router\n    prompt: p00000@1.0.0\n    model: fast\n    rate_limit: 10/s\n    max_tokens: 4000\n    tools: [s000.tool_0]\n    handoffs: [a0001, a0002]\n  a0001:\n    role: planner\n    handoffs:\n      - to: a0000\n        max_iterations: 3\n",
        "server: s000\nversion: 1.0.0\nsource: { npm: \"@bench/s000@1.0.0\" }\npermissions: [repo:read]\nenv: { TOKEN: \"${TOKEN}\" }\ntimeout: 20s\ntools:\n  - name: tool_0\n    title: \"Search feedback\"\n    inputSchema:\n      type: object\n      properties:\n        query: { type: string, description: \"Words to search for.\" }\n        limit: { type: integer, minimum: 1, maximum: 100 }\n      required: [query]\n    annotations: { readOnlyHint: true }\n",
        "a:\n- x\n- z\nb: 1\n",
        "list:\n  - name: t\n    x: z\n  - plain words here  # c\nempty:\nnil: null\nv: 1.0.0\nt: true\n",
        "k: 'it''s'\nq: \"a \\\"b\\\" c\"\nurl: http://x/y#z\nneg: -12\n",
    ];
    for d in docs {
        assert!(agrees(d), "the fast path declined {d:?}");
    }
}

#[test]
fn the_repositorys_own_yaml_agrees() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "example-repo",
        "tests",
        "policy",
        "snapshots",
        "bench",
        "docs",
    ] {
        collect(&root.join(dir), &mut files);
    }
    let (mut taken, mut seen) = (0, 0);
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path.to_string_lossy();
        let texts: Vec<&str> = if name.ends_with(".yaml") || name.ends_with(".yml") {
            vec![text.as_str()]
        } else if name.ends_with(".prompt") || name.ends_with(".md") {
            front_matter(&text).into_iter().collect()
        } else {
            Vec::new()
        };
        for t in texts {
            seen += 1;
            let took = agrees(t);
            if !took && std::env::var_os("PLAIN_DECLINED").is_some() {
                eprintln!("declined {name}");
            }
            taken += usize::from(took);
        }
    }
    eprintln!("the fast path took {taken} of the repository's {seen} YAML documents");
    assert!(seen > 20, "found only {seen} YAML documents");
    assert!(
        taken * 2 > seen,
        "the fast path took only {taken} of {seen} of the repository's YAML documents"
    );
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn front_matter(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---")?;
    Some(&rest[..end + 1])
}

#[test]
fn what_the_fast_path_does_not_know_goes_to_the_general_parser() {
    for d in [
        "a: &x 1\nb: *x\n",
        "a: !tag 1\n",
        "a: |\n  text\n",
        "a: >\n  text\n",
        "a: b\n  c\n",
        "a: [1,\n  2]\n",
        "a: 1\na: 2\n",
        "a:\tb\n",
        "a: b\r\n",
        "---\na: 1\n",
        "? a\n: b\n",
        "a: 0755\n",
        "a: 1e3\n",
        "a: yes\n",
        "a: [x, ]\n",
        "a: \"\\u00e9\"\n",
        "- - x\n",
        "a: b: c\n",
        "plain scalar\n",
        "  a: 1\n",
        "a: # c\n",
        "1: x\n",
        "<<: {a: 1}\n",
        // YAML's limit on a key without `?`: 1024 characters.
        &format!("'{}': 1\n", "k".repeat(1100)),
        &format!("a: {{{}: 1}}\n", "k".repeat(1100)),
        // A duplicate in a mapping long enough for its keys to be hashed.
        &many_keys(40, Some(3), false),
        &many_keys(40, Some(3), true),
    ] {
        assert!(parse(d, F).is_none(), "the fast path took {d:?}");
    }
}

/// A block (or flow) mapping of `n` keys, the last one repeating key `dup` when given.
fn many_keys(n: usize, dup: Option<usize>, flow: bool) -> String {
    let keys: Vec<String> = (0..n)
        .map(|i| match (dup, i + 1 == n) {
            (Some(d), true) => format!("k{d}"),
            _ => format!("k{i}"),
        })
        .collect();
    if flow {
        let entries: Vec<String> = keys.iter().map(|k| format!("{k}: 1")).collect();
        format!("m: {{{}}}\n", entries.join(", "))
    } else {
        keys.iter().map(|k| format!("{k}: 1\n")).collect()
    }
}

#[test]
fn long_mappings_without_duplicates_take_the_fast_path() {
    for flow in [false, true] {
        for n in [15, 16, 17, 40, 2000] {
            let d = many_keys(n, None, flow);
            assert!(agrees(&d), "the fast path declined {n} keys (flow: {flow})");
        }
        for dup in [0, 14, 15, 16, 30] {
            let d = many_keys(40, Some(dup), flow);
            assert!(
                parse(&d, F).is_none(),
                "the fast path took a duplicate of k{dup}"
            );
        }
    }
}

/// A small deterministic generator (xorshift): no dependency, the same documents every run.
/// A `clean` one draws mostly from the scalars and keys the fast path takes, so that long
/// documents of nested collections reach it too.
struct Rng(u64, bool);

/// Scalars and keys the fast path takes in every context.
const SAFE_SCALARS: &[&str] = &[
    "a",
    "b c",
    "x_y",
    "1",
    "-1",
    "0",
    "12",
    "1.5",
    "0.2",
    "1.0.0",
    "true",
    "False",
    "null",
    "~",
    "30s",
    "10/s",
    "\"q\"",
    "'s'",
    "'it''s'",
    "\"x\\\"y\"",
    "é",
    "${TOKEN}",
    "@x",
];
const SAFE_KEYS: &[&str] = &[
    "a",
    "b",
    "name",
    "key with space",
    "\"q\"",
    "'s'",
    "x-y",
    "é",
    "1k",
];

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
        of[(self.next() % of.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn scalar(&mut self) -> &'static str {
        if self.1 && self.below(12) != 0 {
            self.pick(SAFE_SCALARS)
        } else {
            self.pick(SCALARS)
        }
    }
    fn key(&mut self) -> &'static str {
        if self.1 && self.below(12) != 0 {
            self.pick(SAFE_KEYS)
        } else {
            self.pick(KEYS)
        }
    }
}

const SCALARS: &[&str] = &[
    "a",
    "b c",
    "x_y",
    "1",
    "-1",
    "0",
    "-0",
    "007",
    "12",
    "1.5",
    "0.2",
    "-3.25",
    "1.0.0",
    "1.2",
    "1e3",
    "0x1F",
    "0o17",
    "+1",
    ".5",
    "1_000",
    "true",
    "True",
    "TRUE",
    "false",
    "no",
    "yes",
    "on",
    "Off",
    "y",
    "n",
    "null",
    "Null",
    "~",
    "nan",
    ".inf",
    "inf",
    "30s",
    "10/s",
    "2024-01-01",
    "12:30",
    "a:b",
    "http://x/y#z",
    "x[1]",
    "a,b",
    "\"q\"",
    "\"a b\"",
    "\"x\\\"y\"",
    "\"\\n\"",
    "\"\\u0041\"",
    "'s'",
    "'it''s'",
    "''",
    "\"\"",
    "é",
    "naïve",
    "@scope/pkg",
    "${TOKEN}",
    "a #c",
    "a#b",
    "-x",
    "?x",
    ":x",
    "99999999999999999999",
    "123456789012345678",
    "-9223372036854775808",
    "[]",
    "{}",
    "[a, b]",
    "{a: 1}",
    "{ a: 1, b: [x, y] }",
    "[a, [b, c]]",
    "[a: 1]",
    "{a: }",
    "[a,]",
    "{a: 1, a: 2}",
    "[\"x\", 'y']",
    "&a x",
    "*a",
    "!t x",
    "|",
    ">",
    "%x",
    "`x`",
    "x ",
    "x  # c",
    "[ ]",
    "{ }",
    "[a , b]",
    "{\"k\": v}",
    "{'k': v}",
    "{k: \"v\"}",
    "a: b",
    "x:",
    "0.0",
    "00.5",
    "1.",
    "-",
    "- x",
];

const KEYS: &[&str] = &[
    "a",
    "b",
    "name",
    "key with space",
    "\"q\"",
    "'s'",
    "1",
    "true",
    "null",
    "x-y",
    "x.y",
    "@a",
    "a#b",
    "k:",
    "\"a: b\"",
    "on",
    "1k",
    "<<",
    "a ",
    "é",
    "a[1]",
    "a,b",
    "{x}",
    "a:b",
    "-a",
    "1.0",
    "a b c",
];

/// A flow collection of generated entries, nested now and then.
fn gen_flow(r: &mut Rng, out: &mut String, depth: usize) {
    let map = r.below(2) == 0;
    out.push(if map { '{' } else { '[' });
    out.push_str(r.pick(&["", " ", "  "]));
    let n = r.below(4);
    for i in 0..n {
        if i > 0 {
            out.push_str(r.pick(&[", ", ",", " , ", ",  "]));
        }
        if map {
            out.push_str(r.key());
            out.push_str(r.pick(&[": ", ":", ":  ", " : "]));
        }
        if depth < 3 && r.below(4) == 0 {
            gen_flow(r, out, depth + 1);
        } else {
            out.push_str(r.scalar());
        }
    }
    out.push_str(r.pick(&["", " ", "  "]));
    out.push(if map { '}' } else { ']' });
}

fn gen_block(r: &mut Rng, out: &mut String, indent: usize, depth: usize) {
    let pad = " ".repeat(indent);
    let n = 1 + r.below(4);
    let seq = r.below(3) == 0;
    for _ in 0..n {
        if r.below(8) == 0 {
            out.push_str(r.pick(&["\n", "# comment\n", "   \n", "  # c\n"]));
        }
        out.push_str(&pad);
        let child_indent;
        if seq {
            out.push_str("- ");
            child_indent = indent + 2;
            if r.below(3) == 0 {
                // A compact mapping in the item.
                gen_entry(r, out, child_indent, depth);
                if r.below(2) == 0 {
                    out.push_str(&" ".repeat(child_indent));
                    gen_entry(r, out, child_indent, depth);
                }
                continue;
            }
            out.push_str(r.scalar());
            out.push('\n');
        } else {
            gen_entry(r, out, indent, depth);
        }
    }
}

fn gen_entry(r: &mut Rng, out: &mut String, indent: usize, depth: usize) {
    out.push_str(r.key());
    out.push(':');
    match r.below(if depth > 3 { 2 } else { 5 }) {
        0 | 1 => {
            out.push_str(r.pick(&[" ", " ", " ", "  "]));
            if r.below(3) == 0 {
                gen_flow(r, out, 0);
            } else {
                out.push_str(r.scalar());
            }
            if r.below(6) == 0 {
                out.push_str(" # note");
            }
            out.push('\n');
        }
        2 => out.push_str(r.pick(&["\n", "\n", "  \n"])),
        3 => {
            out.push('\n');
            let step = if r.below(6) == 0 { 0 } else { 2 };
            gen_block(r, out, indent + step, depth + 1);
        }
        _ => {
            out.push('\n');
            let step = 2 + 2 * r.below(2) as usize;
            gen_block(r, out, indent + step, depth + 1);
        }
    }
}

#[test]
fn generated_documents_agree_with_serde_saphyr() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15, false);
    let (mut taken, runs) = (0, 100_000);
    for run in 0..runs {
        r.1 = run % 2 == 1;
        let mut doc = String::new();
        gen_block(&mut r, &mut doc, 0, 0);
        // Now and then a byte that is out of place.
        if r.below(10) == 0 && !doc.is_empty() {
            let at = r.below(doc.len() as u64) as usize;
            if doc.is_char_boundary(at) {
                doc.insert_str(
                    at,
                    r.pick(&[" ", "\n", ":", "-", "#", "'", "\"", "[", "}", "\t", "  "]),
                );
            }
        }
        taken += usize::from(agrees(&doc));
    }
    // The generator mixes in much the fast path declines; it must still take a good share.
    eprintln!("the fast path took {taken} of {runs} generated documents");
    assert!(
        taken > runs / 10,
        "the fast path took only {taken} of {runs}"
    );
}
