#!/usr/bin/env bash
# Throwaway single-node Apache Kafka (KRaft: one JVM is broker and controller) for tests.
#
#   kafka.sh fetch                   jars into the cache (no-op when present); prints the libs dir
#   kafka.sh start <state-dir>       start, wait until ready; prints 127.0.0.1:PORT (also <state-dir>/bootstrap)
#   kafka.sh stop  <state-dir>       stop (TERM, then KILL after 20 s) and delete the data; idempotent
#   kafka.sh cli <class> [args...]   run a Kafka CLI class from the cached jars with quiet logging, e.g.
#                                    kafka.sh cli org.apache.kafka.tools.TopicCommand --bootstrap-server B --list
#
# Only the result goes to stdout; progress goes to stderr. See README.md beside this file.
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
KLINIK_LOG_TAG=kafka

POM=$HERE/kafka/pom.xml
# The pom is the single source of truth for the version.
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1)
[[ -n $KAFKA_VERSION ]] || klinik_die "no <kafka.version> in $POM"
KAFKA_HOME=$(klinik_cache_dir)/kafka-$KAFKA_VERSION
LIBS=$KAFKA_HOME/libs
MARKER=$KAFKA_HOME/.fetched # holds the pom's checksum; written only after a complete fetch

START_TIMEOUT=${KLINIK_KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=${KLINIK_KAFKA_STOP_TIMEOUT:-20}
HEAP_OPTS=${KLINIK_KAFKA_HEAP_OPTS:--Xmx384m -Xms128m}
# Serial GC and a capped JIT keep a 2-core machine responsive while tests run beside the broker.
JVM_OPTS=${KLINIK_KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xss512k}

if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then JAVA=$JAVA_HOME/bin/java; else JAVA=java; fi

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

pom_sum() { sha256sum "$POM" | cut -d' ' -f1; }

fetched() {
  [[ -f $MARKER && -f $LIBS/kafka_2.13-$KAFKA_VERSION.jar ]] && [[ $(cat "$MARKER") == "$(pom_sum)" ]]
}

cmd_fetch() {
  if fetched; then
    printf '%s\n' "$LIBS"
    return 0
  fi
  command -v "${MVN:-mvn}" >/dev/null 2>&1 || klinik_die "Maven (mvn) is needed to fetch Kafka: apt-get install maven"
  mkdir -p "$KAFKA_HOME"
  (
    # One fetch at a time per cache dir; a second caller waits and then finds the marker.
    exec 9>"$KAFKA_HOME/.lock"
    if command -v flock >/dev/null 2>&1; then flock -w 900 9 || klinik_die "timed out waiting for $KAFKA_HOME/.lock"; fi
    fetched && exit 0
    klinik_log "fetching Kafka $KAFKA_VERSION jars into $LIBS (Maven)"
    t0=$(klinik_now_ms)
    tmp=$(mktemp -d "$KAFKA_HOME/libs.tmp.XXXXXX")
    # shellcheck disable=SC2086
    # Maven 3.8 prints bare colour resets even in batch/quiet mode: strip them.
    if ! "${MVN:-mvn}" -B -q -Dstyle.color=never ${KLINIK_MVN_ARGS:-} -f "$POM" \
        dependency:copy-dependencies -DoutputDirectory="$tmp" 2>&1 9>&- |
        sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2; then
      rm -rf "$tmp"
      klinik_die "mvn dependency:copy-dependencies failed"
    fi
    [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || { rm -rf "$tmp"; klinik_die "fetch finished without kafka_2.13-$KAFKA_VERSION.jar"; }
    rm -rf "$LIBS" "$MARKER"
    mv "$tmp" "$LIBS"
    pom_sum >"$MARKER.tmp" && mv "$MARKER.tmp" "$MARKER"
    t1=$(klinik_now_ms)
    klinik_log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS" | cut -f1)) in $(( (t1 - t0) / 1000 )).$(( (t1 - t0) % 1000 / 100 ))s"
  )
  printf '%s\n' "$LIBS"
}

write_log4j() { # $1 = file
  cat >"$1" <<'EOF'
# Quiet: warnings and errors only, plus the one line that says the server is up.
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.Kafka=INFO
EOF
}

# Runs a class from the cached jars in the foreground (used for StorageTool and `cli`).
run_class() { # $1 = log4j file, $2 = class, rest = args
  local log4j=$1 cls=$2
  shift 2
  # shellcheck disable=SC2086
  "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$log4j" -cp "$LIBS/*" "$cls" "$@"
}

cmd_cli() {
  [[ $# -ge 1 ]] || usage
  cmd_fetch >/dev/null
  local log4j
  log4j=$(mktemp /tmp/klinik-kafka-cli-log4j.XXXXXX)
  write_log4j "$log4j"
  local rc=0
  run_class "$log4j" "$@" || rc=$?
  rm -f "$log4j"
  return $rc
}

running_pid() { # $1 = state dir; prints the pid when our broker is alive there
  local state=$1 pid
  pid=$(cat "$state/kafka.pid" 2>/dev/null) || return 1
  klinik_pid_alive "$pid" || return 1
  klinik_pid_cmdline_has "$pid" "$state/server.properties" || return 1
  printf '%s\n' "$pid"
}

cluster_id() {
  # Same format as `kafka-storage.sh random-uuid` (url-safe base64 of 16 bytes, no padding,
  # never starting with '-'), without paying for a JVM start.
  python3 -c '
import base64, os
while True:
    s = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
    if not s.startswith("-"):
        print(s); break' 2>/dev/null || run_class "$1" kafka.tools.StorageTool random-uuid
}

write_config() { # $1 = state dir, $2 = broker port, $3 = controller port
  local state=$1 port=$2 cport=$3
  cat >"$state/server.properties" <<EOF
# Written by tests/infra/kafka.sh: single-node KRaft cluster for tests. Do not edit.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$state/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
group.initial.rebalance.delay.ms=0
# let tests use short consumer session timeouts (default minimum is 6000)
group.min.session.timeout.ms=1000
# must be strictly more than 1 MiB per cleaner thread
log.cleaner.dedupe.buffer.size=2097152
log.cleaner.threads=1
log.segment.bytes=16777216
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
EOF
}

# Waits for readiness. Returns 0 when ready, 2 when a port was taken (retry with new ports),
# 1 on any other failure or the timeout.
wait_ready() { # $1 = state dir, $2 = broker port, $3 = deadline (ms)
  local state=$1 port=$2 deadline=$3 pid=""
  while :; do
    [[ -z $pid ]] && pid=$(cat "$state/kafka.pid" 2>/dev/null || true)
    if grep -q 'Kafka Server started' "$state/kafka.log" 2>/dev/null && klinik_port_open "$port"; then
      return 0
    fi
    if [[ -n $pid ]] && ! klinik_pid_alive "$pid"; then
      grep -q 'Address already in use' "$state/kafka.log" 2>/dev/null && return 2
      klinik_log "Kafka exited during startup; last lines of $state/kafka.log:"
      tail -n 40 "$state/kafka.log" >&2 || true
      return 1
    fi
    if (($(klinik_now_ms) > deadline)); then
      klinik_log "Kafka not ready after ${START_TIMEOUT}s; last lines of $state/kafka.log:"
      tail -n 40 "$state/kafka.log" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

cmd_start() {
  [[ $# -eq 1 ]] || usage
  local state pid t0 deadline attempt port cport rc
  state=$(klinik_abspath "$1")
  if pid=$(running_pid "$state") && [[ -s $state/bootstrap ]] && klinik_port_open "$(cut -d: -f2 "$state/bootstrap")"; then
    klinik_log "already running (pid $pid)"
    cat "$state/bootstrap"
    return 0
  fi
  stop_in "$state" # leftovers of a crashed or killed run
  t0=$(klinik_now_ms)
  cmd_fetch >/dev/null # fast no-op when the jars are there
  local t_fetched
  t_fetched=$(klinik_now_ms)
  deadline=$((t_fetched + START_TIMEOUT * 1000))

  write_log4j "$state/log4j.properties"
  for attempt in 1 2 3; do
    { read -r port; read -r cport; } < <(klinik_free_ports 2)
    [[ -n $port && -n $cport ]] || klinik_die "could not pick free ports"
    rm -rf "$state/data" "$state/kafka.pid"
    write_config "$state" "$port" "$cport"
    cluster_id "$state/log4j.properties" >"$state/cluster.id"
    klinik_log "formatting storage (cluster id $(cat "$state/cluster.id")), ports broker=$port controller=$cport"
    if ! run_class "$state/log4j.properties" kafka.tools.StorageTool format \
        -t "$(cat "$state/cluster.id")" -c "$state/server.properties" >"$state/kafka.log" 2>&1; then
      cat "$state/kafka.log" >&2
      stop_in "$state"
      klinik_die "kafka.tools.StorageTool format failed"
    fi
    # setsid: own session and process group, so `stop` can signal the group and a test runner
    # killing its children on timeout does not take the broker with it. The inner sh records its
    # own pid (which exec turns into the JVM's) whether or not setsid had to fork.
    # shellcheck disable=SC2086,SC2016
    setsid nohup sh -c 'echo $$ >"$0"; exec "$@"' "$state/kafka.pid" \
      "$JAVA" $HEAP_OPTS $JVM_OPTS -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$state/log4j.properties" -Dkafka.logs.dir="$state/logs" \
      -cp "$LIBS/*" kafka.Kafka "$state/server.properties" \
      </dev/null >>"$state/kafka.log" 2>&1 9>&- &
    rc=0
    wait_ready "$state" "$port" "$deadline" || rc=$?
    if ((rc == 0)); then
      printf '127.0.0.1:%s\n' "$port" >"$state/bootstrap"
      local t1
      t1=$(klinik_now_ms)
      klinik_log "ready at 127.0.0.1:$port (pid $(cat "$state/kafka.pid")) in $(( (t1 - t_fetched) / 1000 )).$(( (t1 - t_fetched) % 1000 / 100 ))s (total incl. fetch check $(( (t1 - t0) / 1000 )).$(( (t1 - t0) % 1000 / 100 ))s)"
      cat "$state/bootstrap"
      return 0
    fi
    if ((rc == 2)); then
      klinik_log "port taken while starting (attempt $attempt); retrying with new ports"
      stop_in "$state"
      continue
    fi
    stop_in "$state"
    exit 1
  done
  klinik_die "could not bind free ports after 3 attempts"
}

# Stops the broker recorded in $1 (if any) and deletes everything but kafka.log.
stop_in() { # $1 = state dir
  local state=$1 pid waited=0
  if pid=$(running_pid "$state"); then
    klinik_log "stopping pid $pid"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    while klinik_pid_alive "$pid" && ((waited < STOP_TIMEOUT * 10)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if klinik_pid_alive "$pid"; then
      klinik_log "still running after ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      waited=0
      while klinik_pid_alive "$pid" && ((waited < 100)); do
        sleep 0.1
        waited=$((waited + 1))
      done
    fi
    klinik_log "stopped after $((waited / 10)).$((waited % 10))s"
  fi
  rm -rf "$state/data" "$state/logs" "$state/kafka.pid" "$state/bootstrap" "$state/server.properties" \
    "$state/log4j.properties" "$state/cluster.id"
}

cmd_stop() {
  [[ $# -eq 1 ]] || usage
  klinik_stop_state "$1" stop_in
  # kafka.log is kept for post-mortems; it is small (warnings only).
}

case ${1:-} in
  fetch) shift; [[ $# -eq 0 ]] || usage; cmd_fetch ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  cli) shift; cmd_cli "$@" ;;
  *) usage ;;
esac
