#!/usr/bin/env python3
"""Keeps the alerts and dashboards honest: every klinik_* metric they use must exist.

Starts one real service (registration) against the test run's Kafka on a private intake topic,
makes it do a little of everything (one undecodable message, so it consumes, dead-letters and
produces; one gRPC lookup), scrapes its /metrics, and checks each metric name used by the
Prometheus rules and the Grafana dashboards:
  - present in the scrape (the platform's standard families), or
  - declared in declared_metrics.txt, where each name is checked against the source of the
    service that registers it: a counter family with no samples yet is not rendered by
    prometheus-cpp, and one process cannot show the metrics of the other four services.
A declared name that no rule or dashboard uses, or that its service's source does not contain,
fails too, so the list cannot rot. Also asserts the service stops with exit 0 on SIGTERM within
the drain bound the chart's terminationGracePeriodSeconds relies on.

  metrics_drift.py --binary build/services/registration/registration --root <repo>
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

METRIC = re.compile(r"\bklinik_[a-z0-9_]+\b")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
SHUTDOWN_TIMEOUT_S = 10  # KLINIK_SHUTDOWN_TIMEOUT given to the service below
DEAD_LETTER_TOPIC = "klinik.deadletter.v1"
# Families the exercise above makes appear; the scrape is taken once they all have samples.
EXERCISED = ("klinik_events_consumed_total", "klinik_event_processing_seconds", "klinik_dead_letters_total",
             "klinik_events_produced_total", "klinik_consumer_lag", "klinik_grpc_requests_total",
             "klinik_grpc_request_seconds")


def used_metrics(rules: Path, dashboards: Path) -> dict:
    """Metric name -> the files that use it (rule expressions, annotations, panel queries)."""
    used = {}
    for name in METRIC.findall(rules.read_text()):
        used.setdefault(name, set()).add(rules.name)
    for board in sorted(dashboards.glob("*.json")):
        doc = json.loads(board.read_text())
        exprs = []

        def walk(node):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in ("expr", "query", "definition") and isinstance(value, str):
                        exprs.append(value)
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(doc)
        if not exprs:
            raise SystemExit(f"metrics_drift: {board} has no queries")
        for expr in exprs:
            for name in METRIC.findall(expr):
                used.setdefault(name, set()).add(board.name)
    return used


def declared_metrics(path: Path, services_dir: Path) -> tuple:
    """Parses `<metric> <services/ folder>` lines; returns (name -> folder, problems)."""
    declared, problems = {}, []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not METRIC.fullmatch(parts[0]):
            problems.append(f"{path.name}:{number}: expected '<klinik_metric> <service folder>'")
            continue
        name, folder = parts
        declared[name] = folder
        literal = f'"{name}"'
        sources = [p for p in (services_dir / folder).rglob("*") if p.suffix in (".cc", ".cpp", ".h")]
        if not any(literal in p.read_text(errors="replace") for p in sources):
            problems.append(f"{name}: declared for services/{folder}, but no source file there registers {literal}")
    return declared, problems


def scrape_families(text: str) -> set:
    families = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            families.add(line.split()[2])
        elif line and not line.startswith("#"):
            families.add(re.split(r"[{\s]", line, 1)[0])
    return families


def wait_for(predicate, timeout_s, what, proc, log):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"metrics_drift: the service exited with {proc.returncode} while waiting for {what}:\n"
                             + log.read_text()[-3000:])
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"metrics_drift: timed out waiting for {what}:\n" + log.read_text()[-3000:])


def kafka_cli(root: Path, *args, stdin=None):
    """Runs a Kafka CLI class through tests/infra/kafka.sh (the run's own Kafka jars)."""
    return subprocess.Popen(["bash", str(root / "tests/infra/kafka.sh"), "cli", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), stdin


def finish(procs, what):
    for proc, stdin in procs:
        out, _ = proc.communicate(stdin, timeout=120)
        if proc.returncode != 0:
            raise SystemExit(f"metrics_drift: {what} failed:\n{out[-2000:]}")


def grpcurl_path(root: Path) -> str:
    cache = Path(os.environ.get("KLINIK_CACHE_DIR") or Path.home() / ".cache/klinikdesa")
    for candidate in (os.environ.get("KLINIK_GRPCURL"), str(cache / "bin/grpcurl"), shutil.which("grpcurl")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit("metrics_drift: grpcurl not found (tools/dev/deps.sh builds it into the cache with Go)")


def scrape_service(binary: Path, root: Path) -> str:
    state = os.environ.get("KLINIK_TEST_STATE_DIR")
    if not state:
        raise SystemExit("metrics_drift: KLINIK_TEST_STATE_DIR is not set (run through ctest, fixture infra)")
    bootstrap = (Path(state) / "kafka" / "bootstrap").read_text().strip()
    grpcurl = grpcurl_path(root)
    unique = f"{os.getpid()}-{time.time_ns()}"
    # A private intake topic: nothing another suite produces reaches this instance, and its
    # garbage reaches no other suite.
    intake = f"klinik.intake.registration.v1.drift-{unique}"
    finish([kafka_cli(root, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--create",
                      "--if-not-exists", "--topic", topic, "--partitions", str(partitions), "--replication-factor", "1")
            for topic, partitions in ((intake, 1), (DEAD_LETTER_TOPIC, 3))], "creating the topics")
    with tempfile.TemporaryDirectory(prefix="klinik-drift-") as tmp:
        tmp = Path(tmp)
        ports_file, log = tmp / "ports.json", tmp / "service.log"
        env = dict(os.environ)
        env.update({
            "KLINIK_DATABASE_URL": f"sqlite://{tmp}/r.db",
            "KLINIK_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "KLINIK_REGISTRATION_INTAKE_TOPIC": intake,
            "KLINIK_CONSUMER_GROUP": f"klinik-registration-drift-{unique}",
            "KLINIK_HTTP_ADDRESS": "127.0.0.1:0",
            "KLINIK_GRPC_ADDRESS": "127.0.0.1:0",
            "KLINIK_PORTS_FILE": str(ports_file),
            "KLINIK_SHUTDOWN_TIMEOUT": f"{SHUTDOWN_TIMEOUT_S}s",
        })
        with open(log, "wb") as out:
            proc = subprocess.Popen([str(binary)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        try:
            def ports():
                try:
                    return json.loads(ports_file.read_text())
                except (OSError, ValueError):
                    return None

            ports = wait_for(ports, 60, "the ports file", proc, log)
            # No CloudEvents headers and not protobuf: the contract check dead-letters it.
            producer = kafka_cli(root, "kafka.tools.ConsoleProducer", "--bootstrap-server", bootstrap,
                                 "--topic", intake, stdin="not a registration\n")
            lookup = subprocess.run([grpcurl, "-plaintext", "-d", '{"patient_id": "00000000-0000-4000-8000-000000000000"}',
                                     f"127.0.0.1:{ports['grpc']}", "klinik.v1.PatientDirectory/GetPatient"],
                                    capture_output=True, text=True, timeout=60)
            if "NotFound" not in lookup.stdout + lookup.stderr:
                raise SystemExit(f"metrics_drift: GetPatient of an unknown id did not answer NotFound:\n"
                                 f"{lookup.stdout}{lookup.stderr}")
            finish([producer], "producing the test message")

            def metrics():
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{ports['http']}/metrics", timeout=5) as r:
                        body = r.read().decode()
                except OSError:
                    return None
                families = scrape_families(body)
                return body if all(f in families or f + "_count" in families for f in EXERCISED) else None

            text = wait_for(metrics, 60, "samples of " + ", ".join(EXERCISED), proc, log)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=SHUTDOWN_TIMEOUT_S + 5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise SystemExit(f"metrics_drift: the service did not stop within {SHUTDOWN_TIMEOUT_S + 5}s of SIGTERM "
                             f"(KLINIK_SHUTDOWN_TIMEOUT={SHUTDOWN_TIMEOUT_S}s):\n" + log.read_text()[-3000:])
        if code != 0:
            raise SystemExit(f"metrics_drift: the service exited with {code} on SIGTERM, expected 0:\n"
                             + log.read_text()[-3000:])
        return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, type=Path)
    parser.add_argument("--root", required=True, type=Path, help="repository root")
    args = parser.parse_args()

    chart_files = args.root / "deploy/helm/klinik/files"
    rules = chart_files / "prometheus/klinik-rules.yaml"
    used = used_metrics(rules, chart_files / "grafana")
    declared, problems = declared_metrics(Path(__file__).with_name("declared_metrics.txt"), args.root / "services")
    if not args.binary.is_file():
        raise SystemExit(f"metrics_drift: {args.binary} is not built")
    scraped = scrape_families(scrape_service(args.binary, args.root))

    for name in sorted(used):
        base = next((name[: -len(s)] for s in HISTOGRAM_SUFFIXES if name.endswith(s)), name)
        if name in scraped or base in scraped:
            how = "scraped"
        elif name in declared or base in declared:
            how = f"declared (services/{declared.get(name) or declared.get(base)})"
        else:
            how = "MISSING"
            problems.append(f"{name}: used by {', '.join(sorted(used[name]))} but neither scraped nor declared")
        print(f"{how:<40} {name}")
    for name in sorted(declared):
        if name not in used and not any(u.startswith(name) for u in used):
            problems.append(f"{name}: declared but no rule or dashboard uses it; remove it")
        if name in scraped:
            print(f"note: {name} is declared and also scraped")

    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    print(f"metrics_drift: {len(used)} metric names used, {len(scraped)} families scraped, "
          f"{len(declared)} declared, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
