#!/usr/bin/env bash
# Issue 14's acceptance check against `make run`: records with arbitrary bytes in key, headers
# and value (tests/integration/hostile_records.cc) on the four intake topics and
# klinik.patients.v1, each followed by a valid registration. Passes when every valid
# registration is answered on klinik.patients.v1, every hostile record is on
# klinik.deadletter.v1, and every service of services/services.json is still up.
#
#   tools/dev/hostile_records.sh BUILD_DIR [--attach] [hostile-records options…]
#
# Without --attach it starts its own stack — tools/dev/run.sh BUILD_DIR --no-demo in the
# background, in KLINIK_RUN_DIR (default BUILD_DIR/run-hostile) on free ports — runs the check
# and stops everything. With --attach it checks an already running `make run` through
# KLINIK_RUN_DIR (default ./run): devbroker.bootstrap and the <service>.ports files.
# Options for hostile-records (e.g. --valid-only, --cases, --timeout) are passed on.
# Exit 0 only when everything held; each failure is named.
set -uo pipefail

usage="usage: hostile_records.sh BUILD_DIR [--attach] [hostile-records options…]"
build=${1:?$usage}
shift
attach=0
checker_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --attach) attach=1 ;;
    *) checker_args+=("$1") ;;
  esac
  shift
done

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$build" && pwd) || exit 2
checker=$build/tests/integration/hostile-records
if [ ! -x "$checker" ]; then
  echo "hostile_records: $checker is missing: cmake --build $build --target hostile-records" >&2
  exit 2
fi
command -v jq >/dev/null || { echo "hostile_records: jq is missing (make deps installs it)" >&2; exit 2; }
mapfile -t services < <(jq -r '.services[].name' "$root/services/services.json")
failures=()
fail() { failures+=("$*"); echo "hostile_records: FAIL: $*"; }

# The http port of a service from its ports file ({"grpc": N, "http": M}).
http_port() { sed -n 's/.*"http": *\([0-9]*\).*/\1/p' "$run/$1.ports" 2>/dev/null; }
probe() {  # service path -> HTTP status ("000" when nobody answers)
  local port
  port=$(http_port "$1")
  [ -n "$port" ] || { echo none; return; }
  curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$2"
}

run_pid=""
run_log=""
checker_pid=""
# Stops the run.sh we started (it stops every process it started) within a bound.
stop_stack() {
  [ -n "$run_pid" ] || return 0
  local pid=$run_pid
  run_pid=""
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 900); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    fail "run.sh did not stop within 90 s of SIGTERM; killing it and its children"
    for child in $(ps -o pid= --ppid "$pid"); do kill -KILL "$child" 2>/dev/null; done
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid"
  run_rc=$?
}
trap '[ -n "$checker_pid" ] && kill -TERM "$checker_pid" 2>/dev/null; stop_stack; exit 130' INT TERM

if [ $attach = 1 ]; then
  run=${KLINIK_RUN_DIR:-$root/run}
  [ -s "$run/devbroker.bootstrap" ] ||
    { echo "hostile_records: no $run/devbroker.bootstrap: is make run running? (or set KLINIK_RUN_DIR)" >&2; exit 2; }
else
  run=${KLINIK_RUN_DIR:-$build/run-hostile}
  mkdir -p "$run"
  run_log=$run/run.sh.out
  echo "hostile_records: starting the stack (run.sh --no-demo) in $run"
  KLINIK_RUN_DIR=$run KLINIK_RUN_FREE_PORTS=${KLINIK_RUN_FREE_PORTS:-1} \
    bash "$root/tools/dev/run.sh" "$build" --no-demo >"$run_log" 2>&1 &
  run_pid=$!
  # run.sh prints "serving" once it has waited for every service (at most about 100 s).
  for _ in $(seq 1200); do
    grep -q '^serving' "$run_log" && break
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q '^serving' "$run_log"; then
    stop_stack
    echo "hostile_records: FAIL: the stack did not start; run.sh said:"
    cut -c1-300 "$run_log" | sed 's/^/    /'
    exit 1
  fi
fi

# Every service ready before the records go out (bounded: 60 s).
for s in "${services[@]}"; do
  for _ in $(seq 300); do [ "$(probe "$s" /readyz)" = 200 ] && break; sleep 0.2; done
  [ "$(probe "$s" /readyz)" = 200 ] || fail "$s is not ready (/readyz) before the check"
done

if [ ${#failures[@]} -eq 0 ]; then
  bootstrap=$(head -n 1 "$run/devbroker.bootstrap")
  # hostile-records bounds its own waits; this bounds a broker that stops answering sends.
  # In the background, so a SIGTERM to this script stops everything at once.
  timeout --signal=TERM 300 "$checker" --bootstrap "$bootstrap" "${checker_args[@]}" &
  checker_pid=$!
  wait "$checker_pid"
  rc=$?
  checker_pid=""
  [ $rc -eq 0 ] || fail "hostile-records exited with $rc (its FAIL lines above say which records)"

  # All still up: /healthz answers 200 on each service's http port.
  for s in "${services[@]}"; do
    code=$(probe "$s" /healthz)
    if [ "$code" = 200 ]; then
      echo "hostile_records: $s is up (/healthz 200)"
    else
      fail "$s does not answer /healthz (HTTP $code): it died or hangs"
    fi
  done
fi

if [ -n "$run_log" ]; then
  stop_stack
  # run.sh reports a process that died while serving, and one that stopped with a non-zero exit.
  if grep -q ' died\| exited with\| had died' "$run_log"; then
    fail "run.sh reports a process that died or did not stop cleanly (below)"
  fi
  [ "${run_rc:-0}" -eq 0 ] || fail "run.sh exited with $run_rc"
  echo "hostile_records: run.sh said:"
  cut -c1-300 "$run_log" | sed 's/^/    /'
  for s in "${services[@]}"; do
    if grep -q '"level":"\(error\|fatal\)"\|terminate called\|Aborted' "$run/logs/$s.log" 2>/dev/null; then
      echo "hostile_records: $s logged errors; last lines of $run/logs/$s.log:"
      grep '"level":"\(error\|fatal\)"\|terminate called\|Aborted' "$run/logs/$s.log" | tail -n 3 |
        cut -c1-400 | sed 's/^/    /'
    fi
  done
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "hostile_records: FAILED (${#failures[@]}):"
  printf '  - %s\n' "${failures[@]}"
  exit 1
fi
echo "hostile_records: PASSED: every record answered or dead-lettered as required; all ${#services[@]} services up"
