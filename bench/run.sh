#!/usr/bin/env bash
# Benchmark agentlock on a generated large repository, next to the bare cost of reading and
# hashing the same files with sha256sum, and on example-repo next to gitleaks (when installed).
#
# Usage: bench/run.sh [AGENTLOCK_BIN]          (default: target/release/agentlock)
#
# Environment:
#   BENCH_DIR    where to generate the large repository; reused if it already holds one
#                (default: a fresh temp dir, removed on exit)
#   BENCH_RUNS   timed runs per command (default 5; hyperfine: the minimum)
#   BENCH_GEN_ARGS  extra arguments for bench/gen_large_repo.py, e.g. "--prompts 2000"
#   BENCH_NO_HYPERFINE=1  use the bash loop even when hyperfine is installed
#
# Uses hyperfine when it is installed (apt-get install hyperfine), else a bash loop
# timing each command with `date +%s.%N` and taking the median. No network is needed.
# `verify` may exit 1 (findings at error severity): that is timed like a success.
# Exit code 2 or a crash means the tool did not run; that command is reported, not timed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

BIN_ARG="${1:-$ROOT/target/release/agentlock}"
case "$BIN_ARG" in
  */*) BIN="$BIN_ARG"
       if bin_dir="$(cd "$(dirname "$BIN_ARG")" 2>/dev/null && pwd)"; then BIN="$bin_dir/$(basename "$BIN_ARG")"; fi ;;
  *)   BIN="$(command -v "$BIN_ARG" || true)" ;;
esac
if [[ -z "$BIN" || ! -x "$BIN" ]]; then
  echo "bench/run.sh: agentlock binary not found or not executable: $BIN_ARG" >&2
  echo "  build it first: cargo build --release   (or pass its path as the first argument)" >&2
  exit 2
fi

RUNS="${BENCH_RUNS:-5}"
if ! [[ "$RUNS" =~ ^[1-9][0-9]*$ ]]; then
  echo "bench/run.sh: BENCH_RUNS must be a positive integer, got '$RUNS'" >&2
  exit 2
fi

TMP_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/agentlock-bench.XXXXXX")"
cleanup() { rm -rf "$TMP_ROOT"; }
trap cleanup EXIT

# --- the large repository -------------------------------------------------------
if [[ -n "${BENCH_DIR:-}" ]]; then
  REPO="$BENCH_DIR"
else
  REPO="$TMP_ROOT/large-repo"
fi
if [[ -f "$REPO/agentlock.toml" && -f "$REPO/agents.yaml" ]]; then
  echo "==> reusing the repository in $REPO"
else
  echo "==> generating the large repository in $REPO"
  # shellcheck disable=SC2086  # BENCH_GEN_ARGS is a list of words on purpose
  python3 "$ROOT/bench/gen_large_repo.py" "$REPO" --force ${BENCH_GEN_ARGS:-}
fi
REPO="$(cd "$REPO" && pwd)"

n_files=$(find "$REPO" -type f | wc -l)
n_prompts=$(find "$REPO" -type f -name '*.prompt' | wc -l)
bytes=$(find "$REPO" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
printf '    %d files (%d prompts), %.1f MB\n' "$n_files" "$n_prompts" "$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')"

EXAMPLE="$ROOT/example-repo"

# --- the commands ------------------------------------------------------------------
q() { printf '%q' "$1"; }
hash_cmd() {
  echo "find $(q "$1") -type f \\( -name '*.prompt' -o -name '*.yaml' -o -name '*.json' -o -name '*.jsonl' -o -name '*.toml' \\) -print0 | xargs -0 sha256sum > /dev/null"
}

NAMES=()     # label in the table
CMDS=()      # bash command line
BASES=()     # index of the baseline row this one is compared with, or -1
add() { NAMES+=("$1"); CMDS+=("$2"); BASES+=("$3"); }

add "sha256sum (large repo files)" "$(hash_cmd "$REPO")" -1
add "agentlock verify --format json" "$(q "$BIN") --repo $(q "$REPO") --format json verify" 0
add "agentlock verify --no-lock-check" "$(q "$BIN") --repo $(q "$REPO") verify --no-lock-check" 0
add "agentlock lock" "$(q "$BIN") --repo $(q "$REPO") lock" 0
# gitleaks, the scanner a pre-commit hook would otherwise run, when there is one: $GITLEAKS, or
# on PATH (`gitleaks dir`: the same files, without git).
GITLEAKS="${GITLEAKS:-$(command -v gitleaks || true)}"
if [[ -d "$EXAMPLE" && -f "$EXAMPLE/agentlock.toml" ]]; then
  small_base=${#NAMES[@]}
  add "sha256sum (example-repo files)" "$(hash_cmd "$EXAMPLE")" -1
  add "agentlock verify (example-repo)" "$(q "$BIN") --repo $(q "$EXAMPLE") verify" "$small_base"
  if [[ -n "$GITLEAKS" && -x "$GITLEAKS" ]]; then
    leaks_base=${#NAMES[@]}
    add "gitleaks dir (example-repo)" "$(q "$GITLEAKS") dir --no-banner --log-level error $(q "$EXAMPLE")" -1
    add "agentlock verify (example-repo) " "$(q "$BIN") --repo $(q "$EXAMPLE") verify" "$leaks_base"
  else
    echo "    (no gitleaks on PATH and no \$GITLEAKS: the pre-commit comparison is skipped)"
  fi
else
  echo "    (no example-repo/ at $EXAMPLE: skipping the small-repo run)"
fi

# --- check each command runs, once, before timing it -------------------------------
# This run is also the warm-up (page cache). verify: 0 or 1 is fine; lock: 0 only.
STATUS=()
echo "==> checking that each command runs"
for i in "${!CMDS[@]}"; do
  rc=0
  bash -c "${CMDS[$i]}" >"$TMP_ROOT/out.$i" 2>&1 || rc=$?
  ok=1
  case "${NAMES[$i]}" in
    *verify*) [[ $rc -le 1 ]] || ok=0 ;;
    *)        [[ $rc -eq 0 ]] || ok=0 ;;
  esac
  if [[ $ok -eq 1 ]]; then
    STATUS+=("ok")
    printf '    %-34s exit %d\n' "${NAMES[$i]}" "$rc"
  else
    STATUS+=("exit $rc")
    printf '    %-34s exit %d  -> not timed; last lines of its output:\n' "${NAMES[$i]}" "$rc"
    tail -n 5 "$TMP_ROOT/out.$i" | sed 's/^/        /'
  fi
done

# --- timing -------------------------------------------------------------------------
MEDIAN=()    # milliseconds, or "" when not timed
median_of() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

if [[ -z "${BENCH_NO_HYPERFINE:-}" ]] && command -v hyperfine >/dev/null 2>&1; then
  echo "==> timing with $(hyperfine --version) (runs >= $RUNS, one warm-up each; -i: exit 1 from verify is accepted)"
  args=()
  idx=()
  for i in "${!CMDS[@]}"; do
    [[ "${STATUS[$i]}" == ok ]] || continue
    args+=(--command-name "${NAMES[$i]}" "${CMDS[$i]}")
    idx+=("$i")
  done
  for i in "${!CMDS[@]}"; do MEDIAN+=(""); done
  if [[ ${#idx[@]} -gt 0 ]]; then
    hyperfine --shell=bash -i --warmup 1 --min-runs "$RUNS" --style basic \
      --export-json "$TMP_ROOT/hf.json" "${args[@]}"
    mapfile -t meds < <(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%.3f" % (r["median"] * 1000))
' "$TMP_ROOT/hf.json")
    for k in "${!idx[@]}"; do MEDIAN[${idx[$k]}]="${meds[$k]}"; done
  fi
else
  echo "==> hyperfine not found (apt-get install hyperfine); timing with a bash loop, median of $RUNS rounds (each round runs every command once, so a slow moment of the machine falls on all of them)"
  for i in "${!CMDS[@]}"; do : >"$TMP_ROOT/times.$i"; done
  for ((r = 0; r < RUNS; r++)); do
    for i in "${!CMDS[@]}"; do
      [[ "${STATUS[$i]}" == ok ]] || continue
      t0=$(date +%s.%N)
      bash -c "${CMDS[$i]}" >/dev/null 2>&1 || true
      t1=$(date +%s.%N)
      awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", (b - a) * 1000}' >>"$TMP_ROOT/times.$i"
    done
  done
  for i in "${!CMDS[@]}"; do
    if [[ "${STATUS[$i]}" != ok ]]; then MEDIAN+=(""); continue; fi
    MEDIAN+=("$(median_of <"$TMP_ROOT/times.$i")")
    printf '    %-34s %s ms\n' "${NAMES[$i]}" "$(tr '\n' ' ' <"$TMP_ROOT/times.$i")"
  done
fi

# --- the table ------------------------------------------------------------------------
echo
printf 'large repo: %s\n' "$REPO"
printf '            %d files (%d prompts), %.1f MB\n' "$n_files" "$n_prompts" "$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')"
printf 'binary:     %s\n\n' "$BIN"
printf '%-34s %12s %16s\n' "command" "median ms" "x baseline"
printf '%-34s %12s %16s\n' "----------------------------------" "------------" "----------------"
for i in "${!CMDS[@]}"; do
  m="${MEDIAN[$i]}"
  if [[ -z "$m" ]]; then
    printf '%-34s %12s %16s\n' "${NAMES[$i]}" "(${STATUS[$i]})" "-"
    continue
  fi
  b="${BASES[$i]}"
  if [[ "$b" -lt 0 ]]; then
    ratio="1.00 (baseline)"
  elif [[ -n "${MEDIAN[$b]}" ]]; then
    ratio="$(awk -v m="$m" -v base="${MEDIAN[$b]}" 'BEGIN {if (base > 0) printf "%.2f", m / base; else print "-"}')"
  else
    ratio="-"
  fi
  printf '%-34s %12.1f %16s\n' "${NAMES[$i]}" "$m" "$ratio"
done

failed=0
for st in "${STATUS[@]}"; do [[ "$st" == ok ]] || failed=1; done
if [[ $failed -ne 0 ]]; then
  echo
  echo "bench/run.sh: some commands did not run (see above); their times are missing" >&2
  exit 1
fi
