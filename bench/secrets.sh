#!/usr/bin/env bash
# Benchmark agentlock's secret scan side by side with the scanners a user would pick instead,
# in one run, over the same generated corpus of prompt files with planted FAKE secrets:
#   - ripgrep with bench/secret_patterns.txt (one regex per kind planted): the floor, what
#     pure regex costs;
#   - Kingfisher (PyPI kingfisher-bin), validation and git history off;
#   - detect-secrets (PyPI), every file, default plugins;
#   - agentlock scan, skipped with a message while the binary has no `scan` command.
# For each: version, median seconds, MB/s, recall (planted secrets found) and false positives
# (hit lines that hold no planted secret). Scored by bench/secret_score.py.
#
# Usage: bench/secrets.sh [AGENTLOCK_BIN]      (default: target/release/agentlock, skipped if absent)
#
# Environment:
#   BENCH_DIR        the corpus; reused if it already holds one (agentlock.toml, labels.json,
#                    prompts/), else generated there (default: a temp dir, removed on exit)
#   BENCH_GEN_ARGS   extra arguments for bench/gen_secret_corpus.py, e.g. "--prompts 1000"
#   BENCH_RUNS       timed runs of the fast scanners (default 3; hyperfine: at least that many)
#   BENCH_RUNS_SLOW  timed runs of detect-secrets (default 1: it takes ~100 s on the default corpus)
#   BENCH_VENV       the venv for kingfisher-bin and detect-secrets (default /tmp/agentlock-bench-venv)
#   BENCH_NO_INSTALL=1    install nothing; scanners that are missing are reported, not run
#   BENCH_NO_HYPERFINE=1  use the bash loop even when hyperfine is installed
#   BENCH_OUT        where to write the Markdown table (default /tmp/secret-bench.md)
#
# Each scanner first runs once (page cache and Kingfisher's compiled-rule cache warm up; its
# output is the one scored). Fast scanners are then timed by hyperfine (warm-up 1, median) or a
# bash loop (median of BENCH_RUNS); the slow one's first run is its first timed run. Outputs go
# to files, never /dev/null (ripgrep may stop at the first match when writing there).
# Exit status: 0 when every scanner that should run did; 1 when one could not be installed or did
# not run; 2 for bad arguments. agentlock without a `scan` command is skipped, not a failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PATTERNS="$ROOT/bench/secret_patterns.txt"
OUT_MD="${BENCH_OUT:-/tmp/secret-bench.md}"
VENV="${BENCH_VENV:-/tmp/agentlock-bench-venv}"

RUNS="${BENCH_RUNS:-3}"
RUNS_SLOW="${BENCH_RUNS_SLOW:-1}"
for v in "$RUNS" "$RUNS_SLOW"; do
  if ! [[ "$v" =~ ^[1-9][0-9]*$ ]]; then
    echo "bench/secrets.sh: BENCH_RUNS and BENCH_RUNS_SLOW must be positive integers, got '$v'" >&2
    exit 2
  fi
done

# --- agentlock ---------------------------------------------------------------------
BIN=""
if [[ $# -ge 1 ]]; then
  case "$1" in
    */*) BIN="$1"
         if d="$(cd "$(dirname "$1")" 2>/dev/null && pwd)"; then BIN="$d/$(basename "$1")"; fi ;;
    *)   BIN="$(command -v "$1" || true)" ;;
  esac
  if [[ -z "$BIN" || ! -x "$BIN" ]]; then
    echo "bench/secrets.sh: agentlock binary not found or not executable: $1" >&2
    exit 2
  fi
elif [[ -x "$ROOT/target/release/agentlock" ]]; then
  BIN="$ROOT/target/release/agentlock"
fi

TMP_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/agentlock-secbench.XXXXXX")"
cleanup() { rm -rf "$TMP_ROOT"; }
trap cleanup EXIT

FAILED=0

# --- the other scanners: install what is missing --------------------------------------
echo "==> scanners"
find_tool() {  # name -> path in the venv, else on PATH, else empty
  if [[ -x "$VENV/bin/$1" ]]; then echo "$VENV/bin/$1"; else command -v "$1" || true; fi
}
KF="$(find_tool kingfisher)"
DS="$(find_tool detect-secrets)"
if [[ -z "$KF" || -z "$DS" ]]; then
  if [[ -n "${BENCH_NO_INSTALL:-}" ]]; then
    echo "    kingfisher or detect-secrets missing and BENCH_NO_INSTALL is set: not installing"
  else
    echo "    installing kingfisher-bin and detect-secrets into $VENV (pip)"
    if { [[ -x "$VENV/bin/pip" ]] || python3 -m venv "$VENV"; } &&
       "$VENV/bin/pip" install -q kingfisher-bin detect-secrets >"$TMP_ROOT/pip.log" 2>&1; then
      :
    else
      echo "    pip install failed; last lines:"
      tail -n 5 "$TMP_ROOT/pip.log" 2>/dev/null | sed 's/^/        /'
      FAILED=1
    fi
    KF="$(find_tool kingfisher)"
    DS="$(find_tool detect-secrets)"
  fi
fi
if ! command -v rg >/dev/null 2>&1; then
  if [[ -n "${BENCH_NO_INSTALL:-}" ]]; then
    echo "    rg missing and BENCH_NO_INSTALL is set: not installing"
  elif [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "    installing ripgrep (apt-get)"
    if ! { apt-get install -y -q ripgrep || { apt-get update -q && apt-get install -y -q ripgrep; }; } \
        >"$TMP_ROOT/apt.log" 2>&1; then
      echo "    apt-get install ripgrep failed; last lines:"
      tail -n 5 "$TMP_ROOT/apt.log" | sed 's/^/        /'
      FAILED=1
    fi
  else
    echo "    rg missing and not root: install ripgrep (apt-get install ripgrep) to include it"
  fi
fi
RG="$(command -v rg || true)"

# --- the corpus ----------------------------------------------------------------------
if [[ -n "${BENCH_DIR:-}" ]]; then CORPUS="$BENCH_DIR"; else CORPUS="$TMP_ROOT/corpus"; fi
if [[ -f "$CORPUS/agentlock.toml" && -f "$CORPUS/labels.json" && -d "$CORPUS/prompts" ]]; then
  echo "==> reusing the corpus in $CORPUS"
else
  echo "==> generating the corpus in $CORPUS"
  # shellcheck disable=SC2086  # BENCH_GEN_ARGS is a list of words on purpose
  python3 "$ROOT/bench/gen_secret_corpus.py" "$CORPUS" --force ${BENCH_GEN_ARGS:-}
fi
CORPUS="$(cd "$CORPUS" && pwd)"
PROMPTS="$CORPUS/prompts"

# --- the commands --------------------------------------------------------------------
q() { printf '%q' "$1"; }
NAMES=() VERSIONS=() FORMATS=() CMDS=() OKCODES=() SLOW=() STATUS=()
add() {  # name version format "command writing to @OUT@" "ok exit codes" slow status
  NAMES+=("$1"); VERSIONS+=("$2"); FORMATS+=("$3"); CMDS+=("$4"); OKCODES+=("$5"); SLOW+=("$6"); STATUS+=("$7")
}

if [[ -n "$RG" ]]; then
  add "ripgrep (regex floor)" "$("$RG" --version | head -n 1 | awk '{print $2}')" rg \
    "$(q "$RG") --no-config -n --no-heading -f $(q "$PATTERNS") $(q "$PROMPTS") > @OUT@" "0 1" 0 ok
else
  add "ripgrep (regex floor)" "-" rg "" "" 0 "not installed"
  FAILED=1
fi
if [[ -n "$KF" ]]; then
  # 200: findings reported; 205: validated findings (cannot happen with --no-validate).
  add "kingfisher" "$("$KF" --version 2>/dev/null | awk '{print $2}')" kingfisher \
    "$(q "$KF") scan $(q "$PROMPTS") --format json --no-validate --git-history none --no-update-check --no-dedup -q > @OUT@" \
    "0 200 205" 0 ok
else
  add "kingfisher" "-" kingfisher "" "" 0 "not installed"
  FAILED=1
fi
if [[ -n "$DS" ]]; then
  # Run from the corpus: detect-secrets reports file names relative to its working directory.
  add "detect-secrets" "$("$DS" --version 2>/dev/null)" detect-secrets \
    "cd $(q "$CORPUS") && $(q "$DS") scan --all-files prompts > @OUT@" "0" 1 ok
else
  add "detect-secrets" "-" detect-secrets "" "" 0 "not installed"
  FAILED=1
fi
if [[ -n "$BIN" ]]; then
  add "agentlock scan" "$("$BIN" --version 2>/dev/null | awk '{print $NF}')" agentlock \
    "$(q "$BIN") --repo $(q "$CORPUS") --format json scan > @OUT@" "0 1" 0 ok
else
  echo "    agentlock: no binary at $ROOT/target/release/agentlock (cargo build --release, or pass its path): skipped"
  add "agentlock scan" "-" agentlock "" "" 0 "skipped: no binary"
fi

cmd_for() { local c="${CMDS[$1]}"; echo "${c//@OUT@/$(q "$2")}"; }
now() { date +%s.%N; }
median_of() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# --- first run of each: check it works, keep its output for scoring ----------------------
echo "==> first run of each scanner (warm-up; its output is scored)"
MEDIAN=() RUNCOUNT=()
for i in "${!NAMES[@]}"; do
  MEDIAN+=(""); RUNCOUNT+=("0")
  [[ "${STATUS[$i]}" == ok ]] || continue
  out="$TMP_ROOT/out.$i"
  : >"$TMP_ROOT/times.$i"
  rc=0
  t0=$(now)
  bash -c "$(cmd_for "$i" "$out")" 2>"$TMP_ROOT/err.$i" || rc=$?
  t1=$(now)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  if [[ " ${OKCODES[$i]} " == *" $rc "* ]]; then
    printf '    %-24s exit %-3d %8.3f s\n' "${NAMES[$i]}" "$rc" "$secs"
    if [[ "${SLOW[$i]}" == 1 ]]; then echo "$secs" >>"$TMP_ROOT/times.$i"; fi
  elif [[ "${FORMATS[$i]}" == agentlock && $rc -eq 2 ]] && grep -qi "unrecognized subcommand" "$TMP_ROOT/err.$i"; then
    echo "    agentlock at $BIN has no \`scan\` command yet (exit 2, unrecognized subcommand): skipped"
    STATUS[$i]="skipped: no scan command"
  else
    printf '    %-24s exit %-3d -> not timed; last lines of its error output:\n' "${NAMES[$i]}" "$rc"
    tail -n 5 "$TMP_ROOT/err.$i" | sed 's/^/        /'
    STATUS[$i]="exit $rc"
    FAILED=1
  fi
done

# --- timing ----------------------------------------------------------------------------
use_hf=0
if [[ -z "${BENCH_NO_HYPERFINE:-}" ]] && command -v hyperfine >/dev/null 2>&1; then use_hf=1; fi

fast=()
for i in "${!NAMES[@]}"; do
  if [[ "${STATUS[$i]}" == ok && "${SLOW[$i]}" == 0 ]]; then fast+=("$i"); fi
done
if [[ $use_hf -eq 1 && ${#fast[@]} -gt 0 ]]; then
  echo "==> timing the fast scanners with $(hyperfine --version) (runs >= $RUNS, warm-up 1, median)"
  args=()
  for i in "${fast[@]}"; do args+=(--command-name "${NAMES[$i]}" "$(cmd_for "$i" "$TMP_ROOT/timed.$i")"); done
  hyperfine --shell=bash -i --warmup 1 --min-runs "$RUNS" --style basic \
    --export-json "$TMP_ROOT/hf.json" "${args[@]}"
  mapfile -t hf < <(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%.4f %d" % (r["median"], len(r["times"])))
' "$TMP_ROOT/hf.json")
  for k in "${!fast[@]}"; do
    read -r m n <<<"${hf[$k]}"
    MEDIAN[${fast[$k]}]="$m"; RUNCOUNT[${fast[$k]}]="$n"
  done
  fast=()
elif [[ ${#fast[@]} -gt 0 ]]; then
  echo "==> timing with a bash loop, median of $RUNS runs"
fi
for i in "${!NAMES[@]}"; do
  [[ "${STATUS[$i]}" == ok && -z "${MEDIAN[$i]}" ]] || continue
  want=$RUNS
  if [[ "${SLOW[$i]}" == 1 ]]; then want=$RUNS_SLOW; fi
  have=$(wc -l <"$TMP_ROOT/times.$i")
  if [[ $have -lt $want ]]; then
    echo "    ${NAMES[$i]}: $((want - have)) more timed run(s)"
  fi
  for ((r = have; r < want; r++)); do
    t0=$(now)
    bash -c "$(cmd_for "$i" "$TMP_ROOT/timed.$i")" >/dev/null 2>&1 || true
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}' >>"$TMP_ROOT/times.$i"
  done
  MEDIAN[$i]="$(median_of <"$TMP_ROOT/times.$i")"
  RUNCOUNT[$i]="$want"
  printf '    %-24s %s s\n' "${NAMES[$i]}" "$(tr '\n' ' ' <"$TMP_ROOT/times.$i")"
done

# --- the table ---------------------------------------------------------------------------
: >"$TMP_ROOT/results.tsv"
for i in "${!NAMES[@]}"; do
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${NAMES[$i]}" "${VERSIONS[$i]}" "${FORMATS[$i]}" \
    "${STATUS[$i]}" "${MEDIAN[$i]:-}" "${RUNCOUNT[$i]}" "$TMP_ROOT/out.$i" >>"$TMP_ROOT/results.tsv"
done
echo
python3 "$ROOT/bench/secret_score.py" "$CORPUS" "$TMP_ROOT/results.tsv" --markdown "$OUT_MD"
echo
echo "commands (@OUT@ = the output file):"
for i in "${!NAMES[@]}"; do
  if [[ -n "${CMDS[$i]}" ]]; then printf '    %-24s %s\n' "${NAMES[$i]}" "${CMDS[$i]}"; fi
done
echo "Markdown table: $OUT_MD"

if [[ $FAILED -ne 0 ]]; then
  echo "bench/secrets.sh: some scanners could not be installed or did not run (see above)" >&2
  exit 1
fi
