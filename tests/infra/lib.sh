# shellcheck shell=bash
# Shared helpers for tests/infra/*.sh. Source it; it defines functions only.
# Convention for every script here: the one useful line (an address or URL) goes to stdout,
# all progress and diagnostics go to stderr, so `x=$(kafka.sh start DIR)` just works.

klinik_log() { printf '[%s %s] %s\n' "${KLINIK_LOG_TAG:-infra}" "$(date +%H:%M:%S)" "$*" >&2; }
klinik_die() { klinik_log "ERROR: $*"; exit 1; }

# Root of the download cache shared by every checkout and build dir on the machine.
klinik_cache_dir() {
  printf '%s\n' "${KLINIK_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/klinikdesa}"
}

# Absolute path of $1 (which need not exist yet; its parent is created).
klinik_abspath() {
  local p=$1
  mkdir -p -- "$p"
  (cd -- "$p" && pwd -P)
}

# klinik_port_open PORT [HOST]: true when something accepts TCP connections there.
klinik_port_open() {
  local port=$1 host=${2:-127.0.0.1}
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# klinik_free_ports N: prints N distinct free TCP ports on 127.0.0.1, one per line, never 5432.
# All N sockets are bound at the same time so the ports differ; the kernel picks them from the
# ephemeral range. A port can still be taken by someone else before the caller binds it, so
# callers that can detect a bind failure should retry with fresh ports.
klinik_free_ports() {
  local n=${1:-1}
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$n" <<'PY'
import socket, sys
n = int(sys.argv[1])
socks, ports = [], []
while len(ports) < n:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)                      # keep bound until all are chosen: no duplicates
    p = s.getsockname()[1]
    if p != 5432:
        ports.append(p)
for p in ports:
    print(p)
PY
    return
  fi
  # Fallback without python3: probe random high ports until N unused ones are found.
  local -a got=()
  local p tries=0
  while ((${#got[@]} < n)); do
    ((tries++ < 1000)) || { klinik_log "no free port found"; return 1; }
    p=$((20000 + RANDOM % 40000))
    [[ " ${got[*]} " == *" $p "* ]] && continue
    klinik_port_open "$p" && continue
    got+=("$p")
  done
  printf '%s\n' "${got[@]}"
}

# klinik_pid_alive PID: true while PID exists and is not a zombie.
klinik_pid_alive() {
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -d /proc/$pid ]] || return 1
  state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# klinik_pid_cmdline_has PID TEXT: true when PID's command line contains TEXT (guards against
# killing an unrelated process that reused a stale pid).
klinik_pid_cmdline_has() {
  local pid=$1 text=$2
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$text"
}

# klinik_now_ms: milliseconds since the epoch (for timing reports).
klinik_now_ms() { date +%s%3N; }

# Stops what a `start` left in state folder $1 with function $2 (called with the absolute
# folder); a folder that does not exist has nothing to stop.
klinik_stop_state() {
  if [[ ! -d $1 ]]; then
    klinik_log "nothing to stop in $1"
    return 0
  fi
  "$2" "$(klinik_abspath "$1")"
}
