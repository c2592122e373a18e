#!/usr/bin/env bash
# Throwaway PostgreSQL server for tests (Debian's PostgreSQL server binaries, trust auth, no fsync).
#
#   postgres.sh start    <state-dir>         initdb + start on a free loopback port, create klinik_test;
#                                            prints postgresql://postgres@127.0.0.1:PORT/klinik_test
#                                            (also written to <state-dir>/url)
#   postgres.sh createdb <state-dir> <name>  (re)create an empty database <name>; prints its URL
#   postgres.sh stop     <state-dir>         pg_ctl -m fast stop and delete the data; idempotent
#
# Only the result goes to stdout; progress goes to stderr. See README.md beside this file.
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
KLINIK_LOG_TAG=postgres

DEFAULT_DB=klinik_test
START_TIMEOUT=${KLINIK_PG_START_TIMEOUT:-60}
STOP_TIMEOUT=${KLINIK_PG_STOP_TIMEOUT:-30}

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# The server binaries live outside PATH on Debian; PATH may hold another version's wrappers.
pg_bin() {
  if [[ -n ${KLINIK_PG_BIN:-} ]]; then
    printf '%s\n' "$KLINIK_PG_BIN"
    return
  fi
  if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
    printf '%s\n' /usr/lib/postgresql/15/bin
    return
  fi
  local d
  d=$(printf '%s\n' /usr/lib/postgresql/*/bin | grep -v '\*' | sort -V | tail -n1 || true)
  [[ -n $d ]] || d=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
  printf '%s\n' "$d"
}
PG_BIN=$(pg_bin)
[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl && -x $PG_BIN/psql ]] ||
  klinik_die "PostgreSQL server binaries not found in $PG_BIN (apt-get install postgresql, or set KLINIK_PG_BIN)"

# The server refuses to run as root: as root, run the server-side tools as the `postgres` user.
if [[ $(id -u) -eq 0 ]]; then
  PG_USER=${KLINIK_PG_OS_USER:-postgres}
  id -u "$PG_USER" >/dev/null 2>&1 || klinik_die "running as root but there is no '$PG_USER' user to run the server"
  PG_PREFIX=(runuser -u "$PG_USER" --)
else
  PG_USER=$(id -un)
  PG_PREFIX=()
fi
as_pg() { "${PG_PREFIX[@]}" "$@"; }

psql_admin() { # $1 = port, rest = psql args; connects to the maintenance database
  local port=$1
  shift
  PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"
}

url_for() { printf 'postgresql://postgres@127.0.0.1:%s/%s\n' "$1" "$2"; }

# Where the cluster lives: <state-dir>/pg when the server user can reach it and the socket path
# fits in a sockaddr_un (107 bytes), else a fresh directory under /tmp. Recorded in <state-dir>/pgroot.
choose_pgroot() { # $1 = state dir
  local state=$1 root=$1/pg
  mkdir -p "$root"
  [[ $(id -u) -eq 0 ]] && chown "$PG_USER:" "$root"
  chmod 700 "$root"
  if ((${#root} + 17 > 107)) || ! as_pg test -w "$root" -a -x "$root"; then
    rmdir "$root" 2>/dev/null || true
    root=$(mktemp -d /tmp/klinik-pg.XXXXXX)
    [[ $(id -u) -eq 0 ]] && chown "$PG_USER:" "$root"
    klinik_log "$state is not usable by the '$PG_USER' user (or its path is too long for a socket); cluster goes to $root"
  fi
  printf '%s\n' "$root"
}

server_running() { # $1 = pgroot
  [[ -f $1/data/postmaster.pid ]] && as_pg "$PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

cmd_start() {
  [[ $# -eq 1 ]] || usage
  local state pgroot port attempt t0 t1
  state=$(klinik_abspath "$1")
  if [[ -s $state/url && -s $state/pgroot && -s $state/port ]] && server_running "$(cat "$state/pgroot")" &&
    psql_admin "$(cat "$state/port")" -c 'select 1' >/dev/null 2>&1; then
    klinik_log "already running"
    cat "$state/url"
    return 0
  fi
  stop_in "$state" # leftovers of a crashed or killed run
  t0=$(klinik_now_ms)
  pgroot=$(choose_pgroot "$state")
  printf '%s\n' "$pgroot" >"$state/pgroot"

  if ! as_pg "$PG_BIN/initdb" -D "$pgroot/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-sync --no-instructions >"$state/initdb.log" 2>&1; then
    cat "$state/initdb.log" >&2
    stop_in "$state"
    klinik_die "initdb failed"
  fi
  rm -f "$state/initdb.log"

  for attempt in 1 2 3; do
    port=$(klinik_free_ports 1)
    [[ -n $port ]] || klinik_die "could not pick a free port"
    # setsid: the server must outlive this script and not be killed with a test runner's children.
    if setsid -w "${PG_PREFIX[@]}" "$PG_BIN/pg_ctl" -D "$pgroot/data" -l "$pgroot/postgres.log" -w -t "$START_TIMEOUT" \
        -o "-p $port -k $pgroot -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null 2>"$state/pg_ctl.err" </dev/null; then
      break
    fi
    if grep -qE 'could not bind|Address already in use' "$pgroot/postgres.log" 2>/dev/null && ((attempt < 3)); then
      klinik_log "port $port taken while starting (attempt $attempt); retrying with another"
      continue
    fi
    cat "$state/pg_ctl.err" >&2
    klinik_log "last lines of the server log:"
    tail -n 30 "$pgroot/postgres.log" >&2 2>/dev/null || true
    stop_in "$state"
    klinik_die "pg_ctl start failed"
  done
  rm -f "$state/pg_ctl.err"
  printf '%s\n' "$port" >"$state/port"

  if ! psql_admin "$port" -c "CREATE DATABASE $DEFAULT_DB" >&2; then
    stop_in "$state"
    klinik_die "could not create database $DEFAULT_DB"
  fi
  url_for "$port" "$DEFAULT_DB" >"$state/url"
  t1=$(klinik_now_ms)
  klinik_log "ready on 127.0.0.1:$port (data in $pgroot/data) in $(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100))s"
  cat "$state/url"
}

cmd_createdb() {
  [[ $# -eq 2 ]] || usage
  local state=$1 name=$2 port
  [[ $name =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || klinik_die "database name must match [a-z_][a-z0-9_]* (max 63): '$name'"
  [[ -s $state/port ]] || klinik_die "no server recorded in $state (run: postgres.sh start $state)"
  port=$(cat "$state/port")
  # A suite wants an empty database: drop a leftover of an earlier run first.
  psql_admin "$port" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >&2 ||
    klinik_die "could not create database $name on port $port"
  url_for "$port" "$name"
}

# Stops the cluster recorded in $1 (if any) and deletes it; keeps its log as <state-dir>/postgres.log.
stop_in() { # $1 = state dir
  local state=$1 pgroot pid
  pgroot=$(cat "$state/pgroot" 2>/dev/null || true)
  if [[ -n $pgroot && -d $pgroot ]]; then
    # Never delete what this script did not create.
    if [[ $pgroot != "$state/pg" && ! $pgroot =~ ^/tmp/klinik-pg\.[A-Za-z0-9]+$ ]]; then
      klinik_die "refusing to delete unexpected cluster dir '$pgroot' named in $state/pgroot"
    fi
    if [[ -f $pgroot/data/postmaster.pid ]]; then
      pid=$(head -n1 "$pgroot/data/postmaster.pid" 2>/dev/null || true)
      if klinik_pid_alive "$pid"; then
        klinik_log "stopping server pid $pid"
        if ! as_pg "$PG_BIN/pg_ctl" -D "$pgroot/data" -m fast -w -t "$STOP_TIMEOUT" stop >/dev/null 2>&1 </dev/null; then
          klinik_log "pg_ctl stop failed or timed out: SIGKILL"
          kill -KILL "$pid" 2>/dev/null || true
          local waited=0
          while klinik_pid_alive "$pid" && ((waited < 50)); do
            sleep 0.1
            waited=$((waited + 1))
          done
        fi
      fi
    fi
    cp -f "$pgroot/postgres.log" "$state/postgres.log" 2>/dev/null || true
    rm -rf "$pgroot"
  fi
  rm -f "$state/pgroot" "$state/port" "$state/url" "$state/pg_ctl.err" "$state/initdb.log"
}

cmd_stop() {
  [[ $# -eq 1 ]] || usage
  klinik_stop_state "$1" stop_in
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  createdb) shift; cmd_createdb "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) usage ;;
esac
