#!/usr/bin/env bash
# Benchmark discovery: `verify` and `lock` on a large repository with no agentlock.toml
# (bench/gen_discover_repo.py), `verify --staged` on the same files in git, and the cost of the
# pruned directories.
#
# Usage: bench/discover.sh [AGENTLOCK_BIN]          (default: target/release/agentlock)
#
# Environment:
#   DISCOVER_DIR  the generated repository; reused if it holds one, else generated into a temp
#                 dir (removed on exit)
#   BENCH_RUNS    timed runs per command (default 10)
#
# Needs python3, git and hyperfine. No network.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(cd "$(dirname "${1:-$ROOT/target/release/agentlock}")" && pwd)/$(basename "${1:-$ROOT/target/release/agentlock}")"
[[ -x "$BIN" ]] || { echo "bench/discover.sh: build first: cargo build --release" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench/discover.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
RUNS="${BENCH_RUNS:-10}"
CLEAN=()
trap 'rm -rf "${CLEAN[@]}"' EXIT

if [[ -n "${DISCOVER_DIR:-}" ]]; then REPO="$DISCOVER_DIR"; else REPO="$(mktemp -d)/repo"; CLEAN+=("$(dirname "$REPO")"); fi
if [[ ! -f "$REPO/.mcp.json" ]]; then
  echo "==> generating the repository in $REPO"
  python3 "$ROOT/bench/gen_discover_repo.py" "$REPO" --force
fi
rm -f "$REPO/agentlock.lock"

echo "==> files: $(find "$REPO" -type f | wc -l) in all, $(find "$REPO" -type f -not -path '*/node_modules/*' -not -path '*/target/*' | wc -l) outside node_modules/ and target/"
"$BIN" --repo "$REPO" --format json verify --no-lock-check > "$REPO/../findings.json" || true
python3 - "$REPO/../findings.json" <<'PY'
import json, sys, collections
d = json.load(open(sys.argv[1]))
c = collections.Counter(f["code"] for f in d["findings"])
print("==> findings:", len(d["findings"]), dict(sorted(c.items())))
PY

echo "==> walking the whole tree, for scale"
hyperfine --runs "$RUNS" --warmup 1 "find '$REPO' -type f > /dev/null"

echo "==> agentlock"
"$BIN" --repo "$REPO" lock > /dev/null || true
hyperfine --runs "$RUNS" --warmup 1 -i \
  -n "verify (no agentlock.toml)" "$BIN --repo '$REPO' --format json verify > /dev/null" \
  -n "verify --no-lock-check" "$BIN --repo '$REPO' --format json verify --no-lock-check > /dev/null" \
  -n "lock --check" "$BIN --repo '$REPO' lock --check > /dev/null"

echo "==> verify --staged (the files in a git index, node_modules and target ignored by .gitignore)"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
g() { git -C "$REPO" -c init.defaultBranch=main "$@"; }
if [[ ! -d "$REPO/.git" ]]; then
  printf 'node_modules/\ntarget/\n' > "$REPO/.gitignore"
  g init -q
  g add -A
fi
hyperfine --runs "$RUNS" --warmup 1 -i \
  -n "verify --staged" "$BIN --repo '$REPO' --format json verify --staged > /dev/null"
