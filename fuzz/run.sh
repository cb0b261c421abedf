#!/usr/bin/env bash
# Runs every fuzz target for a number of CPU-seconds each (default 1800: 30 CPU-minutes), a few
# at a time, seeded from the test fixtures (this project's own files), and prints a table:
# target, seconds, executions, crashes. Not part of CI: it needs the nightly toolchain and
# cargo-fuzz (`cargo install cargo-fuzz`).
#
#   fuzz/run.sh                    # every target, 30 minutes each, 2 at a time
#   SECONDS_PER_TARGET=60 fuzz/run.sh manifest prompt
#
# A crash is saved by libFuzzer under fuzz/artifacts/TARGET/; copy it to
# fuzz/regressions/TARGET/ with a descriptive name once it is fixed: `cargo test` replays
# every file there (tests/fuzz_regressions.rs).
set -u
cd "$(dirname "$0")"
secs=${SECONDS_PER_TARGET:-1800}
par=${PARALLEL:-2}
all=(yaml_plain suppressions manifest prompt config lockfile client_config registry crewai codeowners launch secret_never_printed evidence traces rego)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
fixtures=../tests/fixtures

seed() { # target -> files of the fixtures shaped like its input (the first byte picks a slot)
  local t=$1 dir=corpus/$1 i=0
  mkdir -p "$dir"
  case $t in
    manifest) for f in $fixtures/*/agents.yaml $fixtures/*/models.yaml $fixtures/*/deploy.yaml $fixtures/*/tools/*; do
                { printf '\x00'; cat "$f"; } > "$dir/s$((i++))"; done ;;
    yaml_plain) for f in $fixtures/*/*.yaml $fixtures/*/tools/*.yaml ../example-repo/*.yaml; do cp "$f" "$dir/s$((i++))"; done ;;
    suppressions) for f in $fixtures/*/*.yaml $fixtures/*/tools/*.yaml; do { printf '\x00'; cat "$f"; } > "$dir/s$((i++))"; done
                  for f in $fixtures/*/agentlock.toml ../policy/*.toml; do { printf '\x01'; cat "$f"; } > "$dir/s$((i++))"; done
                  for f in ../policy/examples/*.rego; do { printf '\x02'; cat "$f"; } > "$dir/s$((i++))"; done ;;
    prompt) for f in $fixtures/*/prompts/*.prompt $fixtures/discover_prompts/**/*.prompty; do
              [ -f "$f" ] && { printf '\x00'; cat "$f"; } > "$dir/s$((i++))"; done ;;
    config) for f in $fixtures/*/agentlock.toml ../policy/*.toml; do cp "$f" "$dir/s$((i++))"; done ;;
    lockfile) for f in $fixtures/*/agentlock.lock ../example-repo/agentlock.lock; do [ -f "$f" ] && cp "$f" "$dir/s$((i++))"; done ;;
    client_config) for f in $(find $fixtures/discover_* -name '*.json' -o -name 'config.toml'); do
                     { printf '\x00'; cat "$f"; } > "$dir/s$((i++))"; done ;;
    registry) for f in $(find $fixtures -name server.json); do cp "$f" "$dir/s$((i++))"; done ;;
    crewai) for d in $(find $fixtures -path '*config/agents.yaml' -printf '%h\n'); do
              { cat "$d/agents.yaml"; printf '\x00'; cat "$d/tasks.yaml" 2>/dev/null; } > "$dir/s$((i++))"; done ;;
    codeowners) for f in $(find $fixtures -name CODEOWNERS); do cp "$f" "$dir/s$((i++))"; done ;;
    evidence) for f in $fixtures/evidence/*; do cp "$f" "$dir/s$((i++))"; done ;;
    traces) for f in $fixtures/traces/read/* $fixtures/traces/rules/*; do cp "$f" "$dir/s$((i++))"; done ;;
    launch) for c in 'npx\0-y\0@modelcontextprotocol/server-github' 'uvx\0--from\0git+https://github.com/o/r@main\0r' \
                     'docker\0run\0-i\0--rm\0-e\0T\0ghcr.io/o/i:latest' 'cmd\0/c\0npx -y pkg@1.2.3' 'sh\0-c\0cd x && uv run server.py'; do
              printf "$c" > "$dir/s$((i++))"; done ;;
    rego) for f in ../policy/examples/*.rego $(find $fixtures -name '*.rego'); do cp "$f" "$dir/s$((i++))"; done ;;
    secret_never_printed) for f in $(ls $fixtures/secrets/positives/* | head -40); do cp "$f" "$dir/s$((i++))"; done ;;
  esac
  [ -d regressions/$t ] && cp regressions/$t/* "$dir/" 2>/dev/null
  true
}

mkdir -p logs
run() {
  local t=$1
  seed "$t"
  RAYON_NUM_THREADS=1 cargo +nightly fuzz run "$t" -O -a -s none -- -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 > "logs/$t.log" 2>&1
  echo "$t exit $?" >> logs/status
}
: > logs/status
running=0
for t in "${targets[@]}"; do
  run "$t" &
  running=$((running + 1))
  if [ $running -ge "$par" ]; then wait -n; running=$((running - 1)); fi
done
wait

printf '%-22s %8s %14s %8s\n' target seconds executions crashes
for t in "${targets[@]}"; do
  log=logs/$t.log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  time=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=$(ls artifacts/$t 2>/dev/null | grep -c -E '^(crash|timeout|oom|leak)-')
  printf '%-22s %8s %14s %8s\n' "$t" "$secs" "${execs:-?}" "$crashes"
done
