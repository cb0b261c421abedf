#!/usr/bin/env python3
"""What agentlock reads from public eval-result and trace files, beside the judgement table.

    bench/realworld/evidence.py CORPUS_DIR [--judged bench/realworld/judgements-evidence.tsv]

CORPUS_DIR holds one folder per kind (`deepeval/`, `promptfoo/`, `inspect/`, `junit/`,
`traces/`), each with copies of public files named `owner__repo[__name]` and a MANIFEST.tsv
(`repo, commit, path, …`). The copies are shaped like the public files (every key, type and
number kept; long strings cut) and are never committed; what is committed is the judgement
table: per file, what agentlock read (`reading`) and whether that is right (`verdict`: `true`,
or `fixed` with the commit's subject saying what it read before).

For eval results it runs `examples/read_results` (build it: `cargo build --release --example
read_results`); for traces, `agentlock --format json traces FILE` (the findings' codes and the
span count). It prints one row per file, and, with --judged, every file whose reading differs
from the table's (a reader that changed, to be judged again by reading the file).
"""

import csv
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READ = os.path.join(ROOT, "target/release/examples/read_results")
AGENTLOCK = os.path.join(ROOT, "target/release/agentlock")
KINDS = ["deepeval", "promptfoo", "inspect", "junit", "traces"]


def manifest(folder):
    """file name in the folder -> (repo, path): the row whose `owner__repo` the name starts
    with (and, of several rows of one repository, whose file name it ends with)."""
    rows = []
    with open(os.path.join(folder, "MANIFEST.tsv")) as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) >= 3 and row[0] != "repo":
                rows.append((row[0], row[2]))
    out = {}
    for name in sorted(os.listdir(folder)):
        if name == "MANIFEST.tsv" or name.startswith(".") or os.path.isdir(os.path.join(folder, name)):
            continue
        mine = [(r, p) for r, p in rows
                if name.startswith(r.replace("/", "__") + "__") or name.startswith(r.replace("/", "__") + ".")]
        if len(mine) > 1:
            mine = [(r, p) for r, p in mine if name.endswith(os.path.basename(p))] or mine[:1]
        if mine:
            out[name] = mine[0]
    return out


def reading_of_results(path):
    line = subprocess.run([READ, path], capture_output=True, text=True).stdout.strip()
    _, harness, facts = line.split("\t", 2)
    if harness == "error":
        return "error: " + facts.split(": ", 1)[-1][:120]
    keep = []
    for fact in facts.split(" "):
        k, _, v = fact.partition("=")
        if k in ("observations", "cases", "ids", "pass", "fail", "latency", "tests", "failed", "skipped") and v != "0":
            keep.append(fact)
    if not keep:
        return harness.lower() + ": no results (evidence add says so)"
    return harness.lower() + " " + " ".join(keep)


def reading_of_traces(path):
    out = subprocess.run([AGENTLOCK, "--format", "json", "traces", path],
                         capture_output=True, text=True, cwd=ROOT).stdout
    d = json.loads(out)
    codes = sorted({f["code"] + ": " + f["message"][:70] for f in d["findings"]})
    return f"spans={d['summary']['spans']} " + "; ".join(codes)


def main():
    args = sys.argv[1:]
    judged = {}
    if "--judged" in args:
        i = args.index("--judged")
        with open(args[i + 1]) as f:
            for row in csv.DictReader(f, delimiter="\t"):
                judged[(row["kind"], row["repo"], row["path"])] = row["reading"]
        del args[i:i + 2]
    corpus = args[0]
    changed = []
    print("kind\trepo\tpath\treading")
    for kind in KINDS:
        folder = os.path.join(corpus, kind)
        if not os.path.isdir(folder):
            continue
        for name, (repo, path) in manifest(folder).items():
            file = os.path.join(folder, name)
            reading = reading_of_traces(file) if kind == "traces" else reading_of_results(file)
            print(f"{kind}\t{repo}\t{path}\t{reading}")
            key = (kind, repo, path)
            if judged and judged.get(key) != reading:
                changed.append((key, judged.get(key), reading))
    for key, before, now in changed:
        print(f"changed: {key}: {before!r} -> {now!r}", file=sys.stderr)
    if judged:
        print(f"{len(changed)} readings differ from the table", file=sys.stderr)


if __name__ == "__main__":
    main()
