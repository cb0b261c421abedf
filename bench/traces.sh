#!/usr/bin/env bash
# Benchmark `agentlock traces` on a generated OTLP/JSON traces file (JSON lines, as the
# Collector's file exporter writes them; bench/gen_otlp.py) of BENCH_MB MiB, next to jq reading
# every span's name from the same file.
#
# Usage: bench/traces.sh [AGENTLOCK_BIN]     (default: target/release/agentlock)
# Environment: BENCH_MB (default 1024), BENCH_RUNS (default 1), BENCH_SEED (default 1)
# Prints wall time (median), throughput and peak memory (max RSS, /usr/bin/time) of each.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(cd "$(dirname "${1:-$ROOT/target/release/agentlock}")" && pwd)/$(basename "${1:-agentlock}")"
[[ -x "$BIN" ]] || { echo "bench/traces.sh: build first: cargo build --release" >&2; exit 2; }
command -v jq >/dev/null || { echo "bench/traces.sh: jq is not installed" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench/traces.sh: /usr/bin/time is not installed (apt-get install time)" >&2; exit 2; }
MB="${BENCH_MB:-1024}"; RUNS="${BENCH_RUNS:-1}"; SEED="${BENCH_SEED:-1}"
T="$(mktemp -d "${TMPDIR:-/tmp}/agentlock-traces.XXXXXX")"; trap 'rm -rf "$T"' EXIT
R="$T/repo"; mkdir -p "$R"
cp -r "$ROOT/tests/fixtures/clean/." "$R/"
git() { command git -C "$R" -c user.name=b -c user.email=b@example.com -c commit.gpgsign=false -c tag.gpgsign=false "$@"; }
git init -q; "$BIN" --repo "$R" lock >/dev/null; git add -A; git commit -qm base
# The spans name the release that produced them: the lock's root.
LOCK_ROOT="$(sed -n 's/^root = "\(.*\)"$/\1/p' "$R/agentlock.lock" | head -1)"
F="$T/traces.jsonl"
python3 "$ROOT/bench/gen_otlp.py" "$F" "$MB" --seed "$SEED" --root "${LOCK_ROOT:-sha256:0}"
SIZE=$(stat -c %s "$F")
measure() { # label, command...: median wall seconds, MB/s and max RSS over RUNS runs
  local label="$1"; shift; local times=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$T/time" "$@" >/dev/null 2>&1 || true
    read -r s m < <(tail -1 "$T/time"); times+=("$s"); (( m > rss )) && rss=$m
  done
  local med; med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  local rate; rate=$(awk -v b="$SIZE" -v s="$med" 'BEGIN { printf "%.0f", (s > 0 ? b / 1e6 / s : 0) }')
  printf '%-52s %8s s %7s MB/s %8d MiB\n' "$label" "$med" "$rate" $(( rss / 1024 ))
}
echo "file: $(( SIZE / 1048576 )) MiB ($(wc -l < "$F") lines)"
measure "agentlock traces" "$BIN" --repo "$R" traces "$F"
measure "agentlock --format json traces" "$BIN" --repo "$R" --format json traces "$F"
measure "jq -c '.resourceSpans[].scopeSpans[].spans[].name'" jq -c '.resourceSpans[].scopeSpans[].spans[].name' "$F"
"$BIN" --repo "$R" traces "$F" | head -3 || true
