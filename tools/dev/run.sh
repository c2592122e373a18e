#!/usr/bin/env bash
# make run: the whole system on embedded defaults — the devbroker (librdkafka's mock cluster),
# every service of services/services.json on SQLite files in run/, and the SatuSehat sandbox —
# then the demo day.
#
#   tools/dev/run.sh BUILD_DIR [--no-demo] [--exit-after-demo] [--residents N]
#
# Ctrl-C (or SIGTERM) stops every process cleanly. A process that dies is reported.
# KLINIK_RUN_DIR (default ./run) holds the databases, logs and the devbroker's address;
# KLINIK_RUN_FREE_PORTS=1 picks free ports instead of the manifest's dev_ports (tests use it).
set -uo pipefail

build=${1:?usage: run.sh BUILD_DIR [--no-demo] [--exit-after-demo] [--residents N]}
shift
demo=1
exit_after_demo=0
residents=300
while [ $# -gt 0 ]; do
  case "$1" in
    --no-demo) demo=0 ;;
    --exit-after-demo) exit_after_demo=1 ;;
    --residents) residents=$2; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "${DEMO:-1}" = 0 ] && demo=0

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$build" && pwd)
run=${KLINIK_RUN_DIR:-$root/run}
mkdir -p "$run/logs"
# Every run starts from an empty system: the development broker keeps nothing between runs, so
# databases from an earlier run would not match its (empty) topics and offsets.
rm -f "$run"/*.ports "$run/devbroker.bootstrap" "$run"/*.db "$run"/*.db-wal "$run"/*.db-shm

# The services, their binaries, fixed ports and gRPC dependencies: services/services.json, in
# its order (each service after the services it calls).
manifest=$root/services/services.json
command -v jq >/dev/null || { echo "run.sh: jq is missing (make deps installs it)" >&2; exit 2; }
services=()
declare -A grpc_port http_port binary pid calls learned
# Fixed ports by default; with KLINIK_RUN_FREE_PORTS=1 every process binds port 0 and reports
# the port it got in its ports file (no window in which another process can take a chosen port).
free=${KLINIK_RUN_FREE_PORTS:-0}
while IFS=$'\t' read -r s bin grpc http; do
  services+=("$s")
  binary[$s]=$build/services/$s/$bin
  if [ "$free" = 1 ]; then
    grpc_port[$s]=0; http_port[$s]=0
  else
    grpc_port[$s]=$grpc; http_port[$s]=$http
  fi
done < <(jq -r '.services[] | [.name, .binary, .dev_ports.grpc, .dev_ports.http] | @tsv' "$manifest")
[ ${#services[@]} -gt 0 ] || { echo "run.sh: no services in $manifest" >&2; exit 2; }
# calls[service] = "callee=ENV_VAR …": the variable that carries the callee's gRPC address.
while IFS=$'\t' read -r s callee var; do
  calls[$s]+="$callee=$var "
done < <(jq -r '.services[] | .name as $n | (.calls // {}) | to_entries[] | [$n, .key, .value] | @tsv' "$manifest")
sandbox_port=8089
[ "$free" = 1 ] && sandbox_port=0

# Waits for a ports file ({"grpc": N, "http": M}) and prints the value of `key`.
port_from() {  # file key pid name
  for _ in $(seq 300); do
    if [ -s "$1" ]; then
      sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p" "$1"
      return 0
    fi
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

stopping=0
stop_all() {
  stopping=1
  echo "stopping…"
  for s in "${services[@]}"; do [ -n "${pid[$s]:-}" ] && kill -TERM "${pid[$s]}" 2>/dev/null; done
  local failed=0
  for s in "${services[@]}"; do
    if [ -n "${pid[$s]:-}" ]; then
      wait "${pid[$s]}"; rc=$?
      if [ $rc -ne 0 ]; then echo "  $s exited with $rc (see $run/logs/$s.log)"; failed=1; else echo "  $s stopped"; fi
    fi
  done
  for extra in sandbox devbroker; do
    if [ -n "${pid[$extra]:-}" ]; then
      kill -TERM "${pid[$extra]}" 2>/dev/null; wait "${pid[$extra]}"; rc=$?
      if [ $rc -ne 0 ]; then echo "  $extra exited with $rc"; failed=1; else echo "  $extra stopped"; fi
    fi
  done
  exit $((failed | ${exit_extra:-0}))
}
trap stop_all INT TERM

die() { echo "run: $*" >&2; stopping=1; stop_all; }

# 1. The devbroker.
"$build/tools/devbroker/devbroker" --bootstrap-file "$run/devbroker.bootstrap" >"$run/logs/devbroker.out" 2>"$run/logs/devbroker.log" &
pid[devbroker]=$!
for _ in $(seq 100); do [ -s "$run/devbroker.bootstrap" ] && break; sleep 0.1; done
[ -s "$run/devbroker.bootstrap" ] || die "the devbroker did not start (see $run/logs/devbroker.log)"
bootstrap=$(cat "$run/devbroker.bootstrap")

# 2. The SatuSehat sandbox (credentials are local development values only).
org_id=10000004
"$build/tools/satusehat-sandbox/satusehat-sandbox" --listen "127.0.0.1:$sandbox_port" --org-id "$org_id" \
  --client-id klinik-dev --client-secret dev-secret --ports-file "$run/sandbox.ports" >"$run/logs/sandbox.log" 2>&1 &
pid[sandbox]=$!
printf '%s' dev-secret >"$run/satusehat.secret"
sandbox_port=$(port_from "$run/sandbox.ports" http "${pid[sandbox]}") ||
  die "the SatuSehat sandbox did not start: $(tail -n 3 "$run/logs/sandbox.log" 2>/dev/null)"

# 3. The services.
common_env=(
  "KLINIK_KAFKA_BOOTSTRAP_SERVERS=$bootstrap"
  # The mock cluster rebalances only after session.timeout.ms - 1 s (TOOLCHAIN.md).
  "KLINIK_KAFKA_SESSION_TIMEOUT_MS=6000" "KLINIK_KAFKA_HEARTBEAT_INTERVAL_MS=500"
  "KLINIK_SHUTDOWN_TIMEOUT=15s"
)
start_service() {
  local s=$1 call callee address_env=()
  [ -x "${binary[$s]}" ] || die "${binary[$s]} is missing: run make build"
  for call in ${calls[$s]:-}; do
    callee=${call%%=*}
    learn_ports "$callee"
    address_env+=("${call#*=}=127.0.0.1:${grpc_port[$callee]}")
  done
  env "${common_env[@]}" "${address_env[@]}" \
    KLINIK_DATABASE_URL="sqlite://$run/$s.db" \
    KLINIK_GRPC_ADDRESS="127.0.0.1:${grpc_port[$s]}" \
    KLINIK_HTTP_ADDRESS="127.0.0.1:${http_port[$s]}" \
    KLINIK_PORTS_FILE="$run/$s.ports" \
    KLINIK_DEFAULT_PUSKESMAS_ID="puskesmas-320415" \
    KLINIK_SATUSEHAT_AUTH_URL="http://127.0.0.1:$sandbox_port/oauth2/v1" \
    KLINIK_SATUSEHAT_FHIR_URL="http://127.0.0.1:$sandbox_port/fhir-r4/v1" \
    KLINIK_SATUSEHAT_ORG_ID="$org_id" \
    KLINIK_SATUSEHAT_CLIENT_ID=klinik-dev \
    KLINIK_SATUSEHAT_CLIENT_SECRET_FILE="$run/satusehat.secret" \
    KLINIK_SATUSEHAT_LOCATION_ID="loc-3204152003" \
    KLINIK_SATUSEHAT_RATE=500 KLINIK_SYNC_WORKERS=2 KLINIK_SYNC_POLL_INTERVAL=200ms \
    KLINIK_SYNC_PATIENT_RETRY=30s \
    "${binary[$s]}" >"$run/logs/$s.log" 2>&1 &
  pid[$s]=$!
}
# Waits (free ports only) until a started service reported its ports; once per service.
learn_ports() {
  local s=$1
  [ "$free" = 1 ] && [ -z "${learned[$s]:-}" ] || return 0
  grpc_port[$s]=$(port_from "$run/$s.ports" grpc "${pid[$s]}") &&
    http_port[$s]=$(port_from "$run/$s.ports" http "${pid[$s]}") ||
    die "$s died at start: $(tail -n 3 "$run/logs/$s.log" 2>/dev/null)"
  learned[$s]=1
}
# In manifest order, so a service's callees have started; start_service waits only for the
# ports of the services it calls (screening: registration), the rest start at once.
for s in "${services[@]}"; do start_service "$s"; done
for s in "${services[@]}"; do learn_ports "$s"; done

# 4. Wait until every service is ready, then show what runs where.
ready() { curl -fs --noproxy "*" "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; }
for _ in $(seq 300); do
  all=1
  for s in "${services[@]}"; do ready "${http_port[$s]}" || all=0; done
  [ $all = 1 ] && break
  for s in "${services[@]}" sandbox devbroker; do
    kill -0 "${pid[$s]}" 2>/dev/null || die "$s died at start: $(tail -n 3 "$run/logs/$s.log" 2>/dev/null)"
  done
  sleep 0.2
done
printf '\n%-16s %-18s %-36s %s\n' SERVICE GRPC METRICS STATUS
for s in "${services[@]}"; do
  st=starting; ready "${http_port[$s]}" && st=ready
  printf '%-16s %-18s %-36s %s\n' "$s" "127.0.0.1:${grpc_port[$s]}" "http://127.0.0.1:${http_port[$s]}/metrics" "$st"
done
printf '%-16s %-18s %-36s %s\n' devbroker "$bootstrap" - "pid ${pid[devbroker]}"
printf '%-16s %-18s %-36s %s\n' satusehat-sandbox - "http://127.0.0.1:$sandbox_port/_sandbox/stats" "pid ${pid[sandbox]}"
echo "logs and databases: $run   (klinikctl: $build/tools/klinikctl/klinikctl, bootstrap in $run/devbroker.bootstrap)"
echo

# 5. The demo day, through the intake topics.
if [ $demo = 1 ]; then
  metrics=""
  for s in "${services[@]}"; do metrics+="${metrics:+,}$s=${http_port[$s]}"; done
  "$build/tools/klinikctl/klinikctl" demo --bootstrap "$bootstrap" --residents "$residents" \
    --sandbox-url "http://127.0.0.1:$sandbox_port" --metrics "$metrics" --timeout "${KLINIK_DEMO_TIMEOUT:-600}" &
  demo_pid=$!
  wait $demo_pid; demo_rc=$?
  [ $stopping = 1 ] && exit 1
  if [ $demo_rc -ne 0 ]; then echo "run: the demo did not finish cleanly (exit $demo_rc)"; fi
  if [ $exit_after_demo = 1 ]; then
    for s in "${services[@]}" sandbox devbroker; do
      kill -0 "${pid[$s]}" 2>/dev/null || { echo "run: $s had died"; demo_rc=1; }
    done
    exit_extra=$((demo_rc != 0))
    stop_all  # exits non-zero when the demo failed or any process did not stop cleanly
  fi
fi

echo "serving; Ctrl-C stops everything"
# 6. Keep serving; report any process that dies.
while true; do
  for s in "${services[@]}" sandbox devbroker; do
    if [ -n "${pid[$s]:-}" ] && ! kill -0 "${pid[$s]}" 2>/dev/null; then
      wait "${pid[$s]}"; rc=$?
      echo "run: $s died (exit $rc); last lines of $run/logs/$s.log:"
      tail -n 5 "$run/logs/$s.log" 2>/dev/null | sed 's/^/    /'
      unset "pid[$s]"
    fi
  done
  sleep 1 &
  wait $!
done
