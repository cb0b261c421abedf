#!/usr/bin/env bash
# Benchmark `agentlock gate` on two generated promptfoo results files (baseline at the release
# tag, candidate in the working tree) of N cases each, next to jq reading the same two files.
#
# Usage: bench/gate.sh [AGENTLOCK_BIN]     (default: target/release/agentlock)
# Environment: BENCH_CASES (default 100000), BENCH_RUNS (default 3)
# Prints wall time (median) and peak memory (max RSS, /usr/bin/time) of each, and the files' size.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(cd "$(dirname "${1:-$ROOT/target/release/agentlock}")" && pwd)/$(basename "${1:-agentlock}")"
[[ -x "$BIN" ]] || { echo "bench/gate.sh: build first: cargo build --release" >&2; exit 2; }
command -v jq >/dev/null || { echo "bench/gate.sh: jq is not installed" >&2; exit 2; }
N="${BENCH_CASES:-100000}"; RUNS="${BENCH_RUNS:-3}"
T="$(mktemp -d "${TMPDIR:-/tmp}/agentlock-gate.XXXXXX")"; trap 'rm -rf "$T"' EXIT
R="$T/repo"; mkdir -p "$R/prompts" "$R/datasets"
cp -r "$ROOT/tests/fixtures/clean/." "$R/"
rm -f "$R"/datasets/*.jsonl
git() { command git -C "$R" -c user.name=b -c user.email=b@example.com -c commit.gpgsign=false -c tag.gpgsign=false "$@"; }
python3 "$ROOT/bench/gen_promptfoo.py" "$R/base.json" "$N" 1 --dataset "$R/datasets/golden_happy_path.jsonl"
python3 "$ROOT/bench/gen_promptfoo.py" "$R/cand.json" "$N" 2 --drop 0.01
git init -q; "$BIN" --repo "$R" lock >/dev/null
( cd "$R" && "$BIN" evidence add base.json >/dev/null ); rm "$R/base.json"
git add -A; git commit -qm base; git tag -a v1.0.0 -m v1.0.0
# The candidate changes a prompt (and its version), so the release's evidence is stale and the
# new results replace it: the gate reads one file from the tree and one from the tag.
sed -i 's/^version: 1.0.0/version: 1.1.0/; $ s/$/ Keep it short./' "$R/prompts/writer.prompt"
sed -i 's/writer@1.0.0/writer@1.1.0/' "$R/agents.yaml"
"$BIN" --repo "$R" lock >/dev/null; git commit -qam next
( cd "$R" && "$BIN" evidence add cand.json >/dev/null ); cp "$R"/evidence/*.json "$T/"; mv "$R/cand.json" "$T/cand.json"
BASE="$(git show v1.0.0 --name-only --format= | grep '^evidence/.*json$' | head -1)"
git show "v1.0.0:$BASE" > "$T/base.json"
SIZE=$(( $(stat -c %s "$T/base.json") + $(stat -c %s "$T/cand.json") ))
measure() { # label, command...: median wall seconds and max RSS over RUNS runs
  local label="$1"; shift; local times=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$T/time" "$@" >/dev/null 2>&1 || true
    read -r s m < <(tail -1 "$T/time"); times+=("$s"); (( m > rss )) && rss=$m
  done
  local med; med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  printf '%-34s %8s s %8d MiB\n' "$label" "$med" $(( rss / 1024 ))
}
echo "cases per file: $N; both files: $(( SIZE / 1048576 )) MiB"
measure "agentlock gate" "$BIN" --repo "$R" gate
measure "agentlock --format json gate" "$BIN" --repo "$R" --format json gate
measure "jq '.results.results | length' x2" jq '.results.results | length' "$T/base.json" "$T/cand.json"
"$BIN" --repo "$R" gate | tail -3 || true
