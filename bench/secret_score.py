#!/usr/bin/env python3
"""Score the secret scanners of bench/secrets.sh against the planted secrets of a corpus.

Usage:
    python3 bench/secret_score.py CORPUS RESULTS.tsv [--markdown OUT.md]

CORPUS is a directory made by bench/gen_secret_corpus.py (it holds labels.json and prompts/).
RESULTS.tsv has one line per scanner, tab-separated, written by bench/secrets.sh:

    name  version  format  status  median_seconds  runs  output_file

format is how to read output_file: rg (`path:line:text` lines), kingfisher (its `--format json`
report), detect-secrets (its `scan` JSON), agentlock (its `--format json` report). status is "ok"
when the scanner ran, else a short reason shown in the table instead of figures.

Each scanner's output becomes a set of hits (path, line), paths relative to CORPUS. A planted
secret is found when some hit is on its file within its line range (labels.json `line`..`end_line`).
A false positive is a hit line inside no planted range; several hits on one line count once.
Only counts, rule names and locations are printed: never the matched text.
"""

import argparse
import collections
import json
import os
import re
import sys


def norm_path(corpus, p):
    if os.path.isabs(p):
        return os.path.relpath(p, corpus).replace(os.sep, "/")
    if os.path.exists(os.path.join(corpus, p)):
        return os.path.normpath(p).replace(os.sep, "/")
    return os.path.relpath(os.path.abspath(p), corpus).replace(os.sep, "/")


RG_LINE = re.compile(r"^(.*?):(\d+):")


def hits_rg(corpus, text):
    out = []
    for ln in text.splitlines():
        m = RG_LINE.match(ln)
        if m:
            out.append((norm_path(corpus, m.group(1)), int(m.group(2)), "regex"))
    return out


def hits_kingfisher(corpus, text):
    doc = json.loads(text) if text.strip() else {"findings": []}
    out = []
    for f in doc.get("findings", []):
        fd = f.get("finding", {})
        rule = f.get("rule", {}).get("id") or f.get("rule", {}).get("name") or "?"
        if "path" in fd and "line" in fd:
            out.append((norm_path(corpus, fd["path"]), int(fd["line"]), rule))
    return out


def hits_detect_secrets(corpus, text):
    doc = json.loads(text) if text.strip() else {"results": {}}
    out = []
    for fname, items in doc.get("results", {}).items():
        for it in items:
            out.append((norm_path(corpus, it.get("filename", fname)), int(it["line_number"]),
                        it.get("type", "?")))
    return out


def hits_agentlock(corpus, text):
    doc = json.loads(text) if text.strip() else {"findings": []}
    out = []
    for f in doc.get("findings", []):
        if f.get("path") is None or f.get("line") is None:
            continue
        out.append((norm_path(corpus, f["path"]), int(f["line"]),
                    ("%s %s" % (f.get("code", "?"), f.get("name", ""))).strip()))
    return out


PARSERS = {"rg": hits_rg, "kingfisher": hits_kingfisher, "detect-secrets": hits_detect_secrets,
           "agentlock": hits_agentlock}


def score(labels, hits):
    by_path = collections.defaultdict(list)
    for i, lb in enumerate(labels):
        by_path[lb["path"]].append(i)
    found = set()
    fp_lines = set()
    fp_rules = collections.Counter()
    lines = set()
    for path, line, rule in hits:
        inside = [i for i in by_path.get(path, ()) if labels[i]["line"] <= line <= labels[i]["end_line"]]
        if inside:
            found.update(inside)
        elif (path, line) not in fp_lines:
            fp_lines.add((path, line))
            fp_rules[rule] += 1
        lines.add((path, line))
    return found, fp_lines, fp_rules, len(lines)


def corpus_bytes(corpus):
    total = 0
    for dirpath, _, files in os.walk(os.path.join(corpus, "prompts")):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    return total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("results")
    ap.add_argument("--markdown")
    args = ap.parse_args(argv)

    corpus = os.path.abspath(args.corpus)
    with open(os.path.join(corpus, "labels.json")) as f:
        labels = json.load(f)
    nbytes = corpus_bytes(corpus)
    nfiles = len(os.listdir(os.path.join(corpus, "prompts")))

    rows = []
    with open(args.results) as f:
        for ln in f:
            ln = ln.rstrip("\n")
            if not ln:
                continue
            name, version, fmt, status, median, runs, outfile = ln.split("\t")
            row = {"name": name, "version": version, "status": status, "runs": runs}
            if status == "ok":
                with open(outfile, encoding="utf-8", errors="replace") as g:
                    hits = PARSERS[fmt](corpus, g.read())
                found, fp_lines, fp_rules, nlines = score(labels, hits)
                secs = float(median)
                row.update(seconds=secs, mbps=(nbytes / 1e6 / secs) if secs > 0 else float("inf"),
                           found=found, fp=len(fp_lines), fp_rules=fp_rules, hit_lines=nlines,
                           fp_examples=sorted(fp_lines)[:3])
            rows.append(row)

    planted = len(labels)
    head = ("scanner", "version", "median s", "MB/s", "recall", "false pos.", "runs")
    table = []
    for r in rows:
        if r["status"] != "ok":
            table.append((r["name"], r["version"], "(%s)" % r["status"], "-", "-", "-", "-"))
            continue
        table.append((r["name"], r["version"], "%.3f" % r["seconds"], "%.1f" % r["mbps"],
                      "%d/%d" % (len(r["found"]), planted), str(r["fp"]), r["runs"]))

    widths = [max(len(head[k]), *(len(t[k]) for t in table)) if table else len(head[k])
              for k in range(len(head))]
    title = "corpus: %s\n        %d prompt files, %.1f MB, %d planted secrets of %d kinds" % (
        corpus, nfiles, nbytes / 1e6, planted, len(set(lb["kind"] for lb in labels)))
    print(title)
    print()
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    print("  ".join("-" * w for w in widths))
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths)))

    # What each scanner missed, and what its false positives were.
    details = []
    for r in rows:
        if r["status"] != "ok":
            continue
        missed = [labels[i] for i in range(planted) if i not in r["found"]]
        d = ["%s: missed %d" % (r["name"], len(missed))]
        for lb in missed:
            d.append("    missed %-20s (%s context)  %s:%d" % (lb["kind"], lb["context"], lb["path"], lb["line"]))
        if r["fp"]:
            d.append("    false positives by rule: " + ", ".join(
                "%s %d" % (k, v) for k, v in r["fp_rules"].most_common()))
            d.append("    e.g. " + ", ".join("%s:%d" % x for x in r["fp_examples"]))
        details.append(d)
    print()
    for d in details:
        print("\n".join(d))

    if args.markdown:
        md = ["# Secret scanners on a generated prompt corpus", "",
              "%d prompt files, %.1f MB, %d planted fake secrets of %d kinds "
              "(bench/gen_secret_corpus.py; scored by bench/secret_score.py)." % (
                  nfiles, nbytes / 1e6, planted, len(set(lb["kind"] for lb in labels))), "",
              "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        for t in table:
            md.append("| " + " | ".join(t) + " |")
        ok = [r for r in rows if r["status"] == "ok"]
        if ok:
            md += ["", "## Found, by kind", "",
                   "| kind | planted | " + " | ".join(r["name"] for r in ok) + " |",
                   "|---|---|" + "|".join("---" for _ in ok) + "|"]
            kinds = []
            for lb in labels:
                if lb["kind"] not in kinds:
                    kinds.append(lb["kind"])
            for k in sorted(kinds):
                idx = [i for i, lb in enumerate(labels) if lb["kind"] == k]
                cells = ["%d" % sum(1 for i in idx if i in r["found"]) for r in ok]
                md.append("| %s | %d | %s |" % (k, len(idx), " | ".join(cells)))
            md += ["", "## Misses and false positives", "", "```"]
            for d in details:
                md += d
            md.append("```")
        with open(args.markdown, "w") as f:
            f.write("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
