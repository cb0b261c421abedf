#!/usr/bin/env bash
# How the human report grows with the number of findings in one file, next to JSON.
#
# Usage: bench/render.sh [AGENTLOCK_BIN] [N...]     (default: target/release/agentlock; N: 1000 10000 100000)
#
# Each repository has N agents in one agents.yaml that the entry agent cannot reach: N TOPO005
# findings in one file. The human report shows the first 20 of a rule in full and counts the
# rest; `--format concise` prints every one on a line; JSON every one as an object. Before the
# excerpts were read by line index, the human report was quadratic in the findings of a file
# (10,000: 49 s). No network is needed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$ROOT/target/release/agentlock}"
shift || true
SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(1000 10000 100000)
[[ -x "$BIN" ]] || { echo "bench/render.sh: no agentlock binary at $BIN (cargo build --release)" >&2; exit 2; }
TMP="$(mktemp -d "${TMPDIR:-/tmp}/agentlock-render.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

printf '%-8s %-8s %10s %10s\n' findings format seconds "peak MiB"
for n in "${SIZES[@]}"; do
  repo="$TMP/r$n"
  mkdir -p "$repo"
  python3 - "$repo" "$n" <<'PY'
import sys
repo, n = sys.argv[1], int(sys.argv[2])
with open(f"{repo}/agentlock.toml", "w") as f:
    f.write('[project]\nname = "render-bench"\n')
with open(f"{repo}/agents.yaml", "w") as f:
    f.write("entry: router\ndefaults: { timeout: 30s, retries: 1 }\nagents:\n  router: { role: router }\n")
    for i in range(n):
        f.write(f"  worker_{i}: {{ role: executor }}\n")
PY
  n_found=""
  for format in human concise json; do
    /usr/bin/time -f "%e %M" -o "$TMP/time" "$BIN" --repo "$repo" --format "$format" verify --no-lock-check >"$TMP/out" 2>/dev/null || true
    read -r secs kb < <(tail -n 1 "$TMP/time")
    printf '%-8s %-8s %10s %10.0f\n' "$n" "$format" "$secs" "$(awk -v k="$kb" 'BEGIN {print k / 1024}')"
  done
done
