#!/usr/bin/env bash
# Benchmark the git-native commands on the generated large repository with release tags:
# `verify` with and without the history rules, `verify --staged`, `verify --rev`, `diff` and
# `rollback` (the plan, not --apply).
#
# Usage: bench/history.sh [AGENTLOCK_BIN]          (default: target/release/agentlock)
#
# Environment:
#   BENCH_DIR     the generated large repository (bench/gen_large_repo.py); reused if it holds
#                 one, else generated into a temp dir
#   HISTORY_DIR   where to build the git repository with the releases; reused when it already
#                 has all the tags (default: a temp dir, removed on exit)
#   BENCH_TAGS    how many release tags (default 50): each release bumps one prompt's version,
#                 relocks, commits and tags v1.N.0 (annotated)
#   BENCH_RUNS    timed runs per command (default 10)
#
# Needs git and hyperfine. No network.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(cd "$(dirname "${1:-$ROOT/target/release/agentlock}")" && pwd)/$(basename "${1:-$ROOT/target/release/agentlock}")"
[[ -x "$BIN" ]] || { echo "bench/history.sh: build first: cargo build --release" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench/history.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
TAGS="${BENCH_TAGS:-50}"
RUNS="${BENCH_RUNS:-10}"
CLEAN=()
trap 'rm -rf "${CLEAN[@]}"' EXIT

if [[ -n "${BENCH_DIR:-}" ]]; then REPO="$BENCH_DIR"; else REPO="$(mktemp -d)"; CLEAN+=("$REPO"); fi
if [[ ! -f "$REPO/agentlock.toml" ]]; then
  echo "==> generating the large repository in $REPO"
  python3 "$ROOT/bench/gen_large_repo.py" "$REPO" --force
fi

if [[ -n "${HISTORY_DIR:-}" ]]; then HIST="$HISTORY_DIR"; else HIST="$(mktemp -d)/history"; CLEAN+=("$(dirname "$HIST")"); fi
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
g() { git -C "$HIST" -c init.defaultBranch=main -c commit.gpgsign=false -c tag.gpgsign=false "$@"; }
last="v1.$((TAGS - 1)).0"
if ! g rev-parse -q --verify "refs/tags/$last" >/dev/null 2>&1; then
  echo "==> building $HIST: $TAGS releases"
  rm -rf "$HIST"; mkdir -p "$HIST"; cp -r "$REPO"/. "$HIST"/
  g init -q
  "$BIN" --repo "$HIST" lock >/dev/null
  g add -A; g commit -qm "initial"
  start=$(date +%s)
  for ((i = 0; i < TAGS; i++)); do
    p=$(printf "p%05d" "$i")
    sed -i "s/^version: 1.0.0$/version: 1.1.0/" "$HIST/prompts/$p.prompt"
    echo "Release $i: one more instruction." >> "$HIST/prompts/$p.prompt"
    sed -i "s/$p@1.0.0/$p@1.1.0/g" "$HIST/agents.yaml"
    "$BIN" --repo "$HIST" lock >/dev/null
    g commit -qam "release $i"
    g tag -a "v1.$i.0" -m "v1.$i.0"
  done
  # One unreleased change on top, so diff and rollback have something to say.
  sed -i "s/^version: 1.0.0$/version: 1.0.1/" "$HIST/prompts/p09999.prompt" || true
  echo "Unreleased." >> "$HIST/prompts/p09999.prompt"
  sed -i "s/p09999@1.0.0/p09999@1.0.1/g" "$HIST/agents.yaml"
  "$BIN" --repo "$HIST" lock >/dev/null
  g commit -qam "unreleased"
  echo "    built in $(( $(date +%s) - start )) s"
fi
echo "==> $(g rev-list --count HEAD) commits, $(g tag | wc -l) tags, $(g ls-files | wc -l) files, lockfile $(du -h "$HIST/agentlock.lock" | cut -f1)"

A="$BIN --repo $HIST"
TABLE="$(mktemp)"; CLEAN+=("$TABLE")
hyperfine --shell=bash -i --warmup 1 --min-runs "$RUNS" --style basic --export-markdown "$TABLE" \
  -n "verify (no git: GIT_CEILING_DIRECTORIES)" "GIT_CEILING_DIRECTORIES=$HIST $A verify >/dev/null" \
  -n "verify (with the history rules)" "$A verify >/dev/null" \
  -n "verify --staged" "$A verify --staged >/dev/null" \
  -n "verify --rev v1.0.0" "$A verify --rev v1.0.0 >/dev/null" \
  -n "diff" "$A diff >/dev/null" \
  -n "rollback (plan)" "$A rollback >/dev/null"
cat "$TABLE"
