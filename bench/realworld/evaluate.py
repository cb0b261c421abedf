#!/usr/bin/env python3
"""Runs agentlock on a sample of public repositories and scores its error findings.

    bench/realworld/evaluate.py BINARY CORPUS_DIR [CORPUS_DIR …] [--judged judgements.tsv]

A corpus directory holds one folder per repository (`owner__name/`, the repository's files
at their paths) and a MANIFEST.tsv (`owner/name`, commit, path[, kind]). The files are public
repositories' own, fetched for the measurement and never committed; what is committed is the
judgement table: one row per error finding, `repo, path, line, code, verdict, why`, verdict
`true` (a real problem of that file) or `false` (agentlock is wrong).

For each repository it runs `verify --no-lock-check --format json` (no lockfile yet: REL001 is
what every new repository gets, not a judgement of its files) and `lock` in a scratch copy when
verify reports no CONF001, and prints, per kind of file: repositories, exit codes 0/1/2, error
findings, judged false, unjudged, and repositories with at least one false error. Every error
finding not yet in the judgement table is listed, to be judged by reading the file.
"""

import collections
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile


def repos(corpus):
    manifest = os.path.join(corpus, "MANIFEST.tsv")
    kinds = collections.defaultdict(set)
    with open(manifest) as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) < 3:
                continue
            repo, _, path = row[:3]
            kind = row[3] if len(row) > 3 else kind_of(path)
            kinds[repo].add(kind)
    for repo, ks in sorted(kinds.items()):
        folder = os.path.join(corpus, repo.replace("/", "__"))
        if os.path.isdir(folder):
            yield repo, folder, sorted(ks)


def kind_of(path):
    name = path.rsplit("/", 1)[-1]
    if path.endswith(".cursor/mcp.json"):
        return "cursor"
    if path.endswith(".vscode/mcp.json"):
        return "vscode"
    if path.endswith(".codex/config.toml"):
        return "codex"
    return {".mcp.json": "mcp.json", "claude_desktop_config.json": "claude_desktop"}.get(name, name)


def run(binary, args, cwd=None):
    p = subprocess.run([binary] + args, capture_output=True, text=True, cwd=cwd, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    argv = sys.argv[1:]
    judged_path = None
    if "--judged" in argv:
        i = argv.index("--judged")
        judged_path = argv[i + 1]
        del argv[i : i + 2]
    binary, corpora = os.path.abspath(argv[0]), argv[1:]
    judged = {}
    if judged_path and os.path.exists(judged_path):
        with open(judged_path) as f:
            for row in csv.DictReader(f, delimiter="\t"):
                judged[(row["repo"], row["path"], row["line"], row["code"])] = row["verdict"]
    stats = collections.defaultdict(lambda: collections.Counter())
    unjudged = []
    false_repos = collections.defaultdict(set)
    lock_failures = []
    crashes = []
    for corpus in corpora:
        for repo, folder, kinds in repos(corpus):
            with tempfile.TemporaryDirectory() as tmp:
                work = os.path.join(tmp, "repo")
                shutil.copytree(folder, work, symlinks=True)
                code, out, err = run(binary, ["--repo", work, "--format", "json", "verify", "--no-lock-check"])
                if "panicked" in err or code not in (0, 1, 2):
                    crashes.append((repo, code, err[-300:]))
                findings = []
                if code in (0, 1) and out.strip():
                    findings = json.loads(out)["findings"]
                conf = any(f["code"] == "CONF001" for f in findings)
                if code in (0, 1) and not conf:
                    lcode, _, lerr = run(binary, ["--repo", work, "lock"])
                    if lcode != 0:
                        lock_failures.append((repo, lcode, lerr[-300:]))
            for kind in kinds:
                s = stats[kind]
                s["repos"] += 1
                s[f"exit{code}"] += 1
            errors = [f for f in findings if f["severity"] == "error"]
            any_false = False
            for f in errors:
                key = (repo, f["path"], str(f["line"]), f["code"])
                verdict = judged.get(key)
                for kind in kinds:
                    stats[kind]["errors"] += 1
                    if verdict == "false":
                        stats[kind]["false"] += 1
                    elif verdict is None:
                        stats[kind]["unjudged"] += 1
                if verdict == "false":
                    any_false = True
                elif verdict is None:
                    unjudged.append((repo, f["path"], f["line"], f["code"], f["message"]))
            if any_false:
                for kind in kinds:
                    false_repos[kind].add(repo)
    all_repos = set()
    false_all = set()
    print(f"{'kind':<22} {'repos':>5} {'exit0':>5} {'exit1':>5} {'exit2':>5} {'errors':>6} {'false':>5} {'unjud':>5} {'repos w/ false':>14}")
    for kind in sorted(stats):
        s = stats[kind]
        print(f"{kind:<22} {s['repos']:>5} {s['exit0']:>5} {s['exit1']:>5} {s['exit2']:>5} {s['errors']:>6} {s['false']:>5} {s['unjudged']:>5} {len(false_repos[kind]):>14}")
        false_all |= false_repos[kind]
    for corpus in corpora:
        all_repos |= {r for r, _, _ in repos(corpus)}
    n = len(all_repos)
    print(f"\n{n} repositories; {len(false_all)} with a false error ({100 * len(false_all) / max(n, 1):.1f}%)")
    print(f"crashes: {len(crashes)}; lock failures where verify had no CONF001: {len(lock_failures)}")
    for c in crashes + lock_failures:
        print("  ", c)
    if unjudged:
        print(f"\n{len(unjudged)} error findings to judge (repo, path, line, code, message):")
        for u in unjudged:
            print("\t".join(str(x) for x in u))


if __name__ == "__main__":
    main()
