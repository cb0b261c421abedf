#!/usr/bin/env python3
"""How each phase of `agentlock verify` grows with the repository, on repositories that are
wrong in bulk (every prompt edited under its version, every tool gone, ...): a rule that walks
the model once per finding is linear on a clean repository and quadratic on these.

Generates each scenario at two sizes (bench/gen_large_repo.py, the second twice the first),
runs `verify --format json --verbose` on each (the minimum of --runs), and prints per phase the
time at both sizes and their ratio: about 2 is linear, about 4 quadratic.

Usage: bench/scaling.py [--bin target/release/agentlock] [--prompts 5000] [--runs 3]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sed(path, old, new):
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def prompts_edited(repo):
    d = os.path.join(repo, "prompts")
    for name in os.listdir(d):
        with open(os.path.join(d, name), "a") as f:
            f.write("edited after the lock\n")


def prompts_removed(repo):
    shutil.rmtree(os.path.join(repo, "prompts"))


def tools_removed(repo):
    shutil.rmtree(os.path.join(repo, "tools"))


def prompt_refs_broken(repo):
    sed(os.path.join(repo, "agents.yaml"), "@1.0.0", "@9.9.9")


def tool_refs_broken(repo):
    sed(os.path.join(repo, "agents.yaml"), ".tool_0]", ".tool_missing]")


def prompt_names_unknown(repo):
    sed(os.path.join(repo, "agents.yaml"), "prompt: p", "prompt: q")


def handoffs_broken(repo):
    path = os.path.join(repo, "agents.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(re.sub(r"handoffs: \[([^\]]*)\]",
                       lambda m: "handoffs: [" + m.group(1).replace("a", "b") + "]", text))


def servers_unknown(repo):
    sed(os.path.join(repo, "agents.yaml"), "tools: [s", "tools: [t")


def no_defaults(repo):
    sed(os.path.join(repo, "agents.yaml"), "defaults: { timeout: 30s, retries: 2 }\n", "")


SCENARIOS = [
    ("clean", None),
    ("every prompt edited", prompts_edited),
    ("every prompt removed", prompts_removed),
    ("every tool removed", tools_removed),
    ("every prompt ref broken", prompt_refs_broken),
    ("every tool ref broken", tool_refs_broken),
    ("every prompt name unknown", prompt_names_unknown),
    ("every handoff unknown", handoffs_broken),
    ("every server unknown", servers_unknown),
    ("no timeouts or retries", no_defaults),
]

PHASE = re.compile(r"([a-z: ]+?) ([0-9.]+) ms")


def phases(binary, repo, runs):
    best = {}
    for _ in range(runs):
        p = subprocess.run(
            [binary, "--repo", repo, "--format", "json", "--verbose", "verify"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if p.returncode not in (0, 1):
            sys.exit(f"verify exited {p.returncode} on {repo}: {p.stderr[-400:]}")
        line = [l for l in p.stderr.splitlines() if l.startswith("agentlock: ")][-1]
        for name, ms in PHASE.findall(line[len("agentlock: "):]):
            name = name.strip(" ,")
            best[name] = min(best.get(name, float("inf")), float(ms))
        best["findings"] = p.stdout.count('"code"')
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "agentlock"))
    ap.add_argument("--prompts", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="agentlock-scaling.")
    try:
        bases = []
        for k in (1, 2):
            base = os.path.join(work, f"base{k}")
            subprocess.run(
                [sys.executable, os.path.join(ROOT, "bench", "gen_large_repo.py"), base,
                 "--prompts", str(a.prompts * k), "--agents", str(a.prompts * k // 5),
                 "--servers", str(a.prompts * k // 20)],
                check=True, stdout=subprocess.DEVNULL,
            )
            # The lock of the clean repository, so that the scenarios are changes to it.
            subprocess.run([a.bin, "--repo", base, "lock"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            bases.append(base)
        print(f"{'scenario':26} {'phase':14} {a.prompts:>9} {a.prompts * 2:>9}  ratio")
        for name, mutate in SCENARIOS:
            got = []
            for k, base in enumerate(bases, 1):
                repo = os.path.join(work, f"s{k}")
                shutil.rmtree(repo, ignore_errors=True)
                shutil.copytree(base, repo)
                if mutate:
                    mutate(repo)
                got.append(phases(a.bin, repo, a.runs))
            for ph in ("findings", "load", "lockfile", "rules", "report", "total"):
                x, y = got[0].get(ph, 0), got[1].get(ph, 0)
                ratio = f"{y / x:5.2f}" if x > 0 else "    -"
                unit = "" if ph == "findings" else " ms"
                flag = "  <- super-linear" if ph != "findings" and x >= 5 and y / x > 3 else ""
                print(f"{name:26} {ph:14} {x:>6.0f}{unit:3} {y:>6.0f}{unit:3} {ratio}{flag}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
