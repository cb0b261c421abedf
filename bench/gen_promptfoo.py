#!/usr/bin/env python3
"""Writes a promptfoo results file (OutputFile, results version 3) of N cases, shaped like
`promptfoo eval -o results.json` writes it (pretty-printed, a response text per result), and
the golden dataset its case ids come from.

Usage: gen_promptfoo.py OUT.json N SEED [--dataset DATASET.jsonl] [--drop P]
  --drop P   a share of cases that fail and score lower (the candidate); default 0
"""
import json, random, sys

def main():
    args = sys.argv[1:]
    out, n, seed = args[0], int(args[1]), int(args[2])
    dataset = args[args.index("--dataset") + 1] if "--dataset" in args else None
    drop = float(args[args.index("--drop") + 1]) if "--drop" in args else 0.0
    rnd = random.Random(seed)
    words = "the export button does nothing when I click it and the page reloads again".split()
    if dataset:
        with open(dataset, "w") as f:
            f.write(json.dumps({"_dataset": {"name": "golden_happy_path", "version": "2026.11"}}) + "\n")
            for i in range(n):
                f.write(json.dumps({"id": f"hp-{i:06d}", "input": f"request {i}"}) + "\n")
    with open(out, "w") as f:
        f.write('{\n  "evalId": "eval-bench",\n  "results": {\n    "version": 3,\n'
                '    "timestamp": "2026-12-01T00:00:00.000Z",\n    "prompts": [],\n    "results": [\n')
        for i in range(n):
            bad = rnd.random() < drop
            score = max(0.0, min(1.0, rnd.gauss(0.62 if bad else 0.9, 0.05)))
            text = " ".join(rnd.choice(words) for _ in range(30))
            r = {
                "id": f"r-{i}",
                "promptIdx": 0,
                "testIdx": i,
                "testCase": {"vars": {"request": f"request {i}"},
                             "metadata": {"id": f"hp-{i:06d}", "dataset": "golden_happy_path"},
                             "assert": [{"type": "llm-rubric", "value": "helpful and correct"}]},
                "vars": {"request": f"request {i}"},
                "provider": {"id": "openai:gpt-4o-mini-2024-07-18", "label": ""},
                "prompt": {"raw": f"Route the request: request {i}", "label": "router"},
                "response": {"output": text, "tokenUsage": {"total": 420, "prompt": 300, "completion": 120},
                             "cost": 0.0004},
                "success": not bad,
                "score": score,
                "namedScores": {"correctness": round(score * 5, 3)},
                "latencyMs": rnd.randint(400, 2400),
                "cost": 0.0004,
                "failureReason": 1 if bad else 0,
                "gradingResult": {"pass": not bad, "score": score, "reason": "rubric",
                                  "componentResults": [{"pass": not bad, "score": score, "reason": "rubric"}]},
            }
            body = json.dumps(r, indent=2)
            body = "\n".join("      " + l for l in body.split("\n"))
            f.write(body + (",\n" if i + 1 < n else "\n"))
        f.write('    ],\n    "stats": {"successes": 0, "failures": 0, "errors": 0}\n  },\n'
                '  "config": {},\n  "metadata": {}\n}\n')

main()
