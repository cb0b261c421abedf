#!/usr/bin/env bash
# What organisation policies cost: `verify --format json` on a repository without Rego, and
# on the same repository with 20 example-sized policies (policy/examples/ four times five, each
# copy in its own package), side by side.
#
# Usage: bench/rego.sh REPO [AGENTLOCK_BIN]     (REPO: e.g. one bench/gen_large_repo.py wrote)
# Environment: BENCH_RUNS (default 5; the median is reported)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO="${1:?usage: bench/rego.sh REPO [AGENTLOCK_BIN]}"
BIN="${2:-$ROOT/target/release/agentlock}"
RUNS="${BENCH_RUNS:-5}"
[[ -x "$BIN" ]] || { echo "bench/rego.sh: no agentlock at $BIN (cargo build --release)" >&2; exit 2; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/agentlock-rego-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cp -r "$REPO" "$WORK/plain"
cp -r "$REPO" "$WORK/rego"
mkdir -p "$WORK/rego/policy"
n=0
for i in 1 2 3 4 5; do
  for f in "$ROOT"/policy/examples/*.rego; do
    base="$(basename "$f" .rego)"
    sed -e "s/^package examples\.\(.*\)$/package bench$i.\1/" -e "s/ORG00\([0-9]\)/B${i}ORG00\1/" "$f" > "$WORK/rego/policy/${base}_$i.rego"
    n=$((n + 1))
  done
done
if grep -q '^\[policy\]' "$WORK/rego/agentlock.toml"; then
  sed -i 's/^\[policy\]$/[policy]\nrego = ["policy\/*.rego"]/' "$WORK/rego/agentlock.toml"
else
  printf '\n[policy]\nrego = ["policy/*.rego"]\n' >> "$WORK/rego/agentlock.toml"
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_one() {
  local dir="$1"
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(date +%s.%N)
    "$BIN" --repo "$dir" --format json verify > /dev/null 2>&1 || [[ $? -eq 1 ]]
    e=$(date +%s.%N)
    echo "$e - $s" | bc
  done | median
}
# The same policies on the same repository once its prompts have two code owners each: the
# state a team reaches after adopting the two-person rule (only the registry rule still fires).
cp -r "$WORK/rego" "$WORK/passing"
codeowners=CODEOWNERS
for f in .github/CODEOWNERS CODEOWNERS docs/CODEOWNERS; do
  if [[ -f "$WORK/passing/$f" ]]; then codeowners="$f"; break; fi
done
printf '* @bench/owners @bench/reviewers\n' > "$WORK/passing/$codeowners"
count() { # DIR -> findings and POL002 findings of its report
  "$BIN" --repo "$1" --format json verify > "$WORK/report.json" 2>/dev/null || true
  echo "$(grep -c '"code"' "$WORK/report.json" || true) findings, $(grep -c '"POL002"' "$WORK/report.json" || true) POL002"
}
plain=$(time_one "$WORK/plain")
rego=$(time_one "$WORK/rego")
passing=$(time_one "$WORK/passing")
echo "repository: $REPO ($(find "$REPO" -type f | wc -l) files), $n policies, $RUNS runs each (median)"
printf 'verify, no Rego:                     %.3f s  (%s)\n' "$plain" "$(count "$WORK/plain")"
printf 'verify, %d policies:                 %.3f s  (+%.1f%%; %s)\n' "$n" "$rego" "$(echo "($rego - $plain) * 100 / $plain" | bc -l)" "$(count "$WORK/rego")"
printf 'verify, %d policies, two owners:     %.3f s  (+%.1f%%; %s)\n' "$n" "$passing" "$(echo "($passing - $plain) * 100 / $plain" | bc -l)" "$(count "$WORK/passing")"
