#!/usr/bin/env bash
# Chart tests run by ctest (tests/deploy/CMakeLists.txt):
#   chart_test.sh lint     <values-file|default>   helm lint --strict
#   chart_test.sh render   <values-file|default>   helm template, then validate.mjs on the output
#   chart_test.sh refuses                          bad values fail at render time, naming the problem
#   chart_test.sh selftest                         validate.mjs refuses unknown kinds and fields
#   chart_test.sh topology                         services, topics and consumer groups of the chart
#                                                  match services/services.json and topics.h
# helm comes from tools/dev/deps.d/helm.sh and the schema packages from
# tools/dev/deps.d/node-deploy.sh; both run here when their tool is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
chart="$root/deploy/helm/klinik"
cache="${KLINIK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/klinikdesa}"
modules="$cache/node-deploy/node_modules"
topics_header="$root/services/common/include/klinik/topics.h"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

need_helm() {
  KLINIK_CACHE_DIR="$cache" bash "$root/tools/dev/deps.d/helm.sh"
  helm="$cache/bin/helm"
  [[ -x "$helm" ]] || helm="$(command -v helm || true)"
  if [[ -z "$helm" ]]; then
    echo "chart_test: helm not found; run tools/dev/deps.d/helm.sh (needs Go)" >&2
    exit 2
  fi
}

need_modules() {
  KLINIK_CACHE_DIR="$cache" bash "$root/tools/dev/deps.d/node-deploy.sh"
  if [[ ! -d "$modules/kubernetes-models" ]]; then
    echo "chart_test: schema packages missing in $modules; run tools/dev/deps.d/node-deploy.sh (needs npm)" >&2
    exit 2
  fi
}

# "default" means the chart's own values.yaml only.
values_args() {
  if [[ "$1" == default ]]; then
    echo ""
  else
    echo "--values $1"
  fi
}

# Expects `helm template` with the given --set arguments to fail with `message` in its output.
expect_refused() {
  local message="$1"
  shift
  local out
  if out="$("$helm" template klinik "$chart" "$@" 2>&1)"; then
    echo "FAIL: rendered although it should be refused: $*" >&2
    return 1
  fi
  if ! grep -qF -- "$message" <<<"$out"; then
    echo "FAIL: refused, but without \"$message\": $*" >&2
    echo "$out" | tail -5 >&2
    return 1
  fi
  echo "ok: refused ($message): $*"
}

# Expects the values to render, and the result to validate.
expect_renders() {
  if "$helm" template klinik "$chart" "$@" >"$tmp/case.yaml" &&
    node "$here/validate.mjs" --modules "$modules" --topics-header "$topics_header" "$tmp/case.yaml"; then
    echo "ok: renders and validates: $*"
  else
    echo "FAIL: refused or invalid although the values are good: $*" >&2
    return 1
  fi
}

# `helm template` skips NOTES.txt and rendering it for real needs a cluster, so a copy of the chart
# renders it as a ConfigMap; every Deployment the values rendered must be named in it.
check_notes() {
  cp -r "$chart" "$tmp/chart"
  { echo '{{- define "test.notes" -}}'; cat "$chart/templates/NOTES.txt"; echo '{{- end -}}'; } >"$tmp/chart/templates/_test_notes.tpl"
  rm "$tmp/chart/templates/NOTES.txt"
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: |\n{{ include "test.notes" . | indent 4 }}\n' \
    >"$tmp/chart/templates/zz_test_notes.yaml"
  # shellcheck disable=SC2046
  "$helm" template klinik "$tmp/chart" --namespace klinik $(values_args "$1") \
    --show-only templates/zz_test_notes.yaml >"$tmp/notes.yaml"
  local missing=0
  # shellcheck disable=SC2013 # Kubernetes names hold no spaces
  for deployment in $(awk '/^kind: Deployment/{d=1} d && /^  name: /{print $2; d=0}' "$tmp/rendered.yaml"); do
    grep -q -- "- $deployment: " "$tmp/notes.yaml" || { echo "NOTES.txt does not list $deployment" >&2; missing=1; }
  done
  if [[ "$missing" -ne 0 ]]; then
    return 1
  fi
  echo "NOTES.txt renders and lists every Deployment"
}

cmd="${1:-}"
case "$cmd" in
  lint)
    need_helm
    # shellcheck disable=SC2046
    "$helm" lint --strict "$chart" $(values_args "$2")
    ;;
  render)
    need_helm
    need_modules
    # shellcheck disable=SC2046
    "$helm" template klinik "$chart" --namespace klinik $(values_args "$2") >"$tmp/rendered.yaml"
    node "$here/validate.mjs" --modules "$modules" --topics-header "$topics_header" "$tmp/rendered.yaml"
    check_notes "$2"
    ;;
  refuses)
    need_helm
    need_modules
    failures=0
    expect_refused "database.backend=sqlite runs one replica only" \
      --set database.backend=sqlite || failures=$((failures + 1))
    expect_refused "services.registration.keda.maxReplicas=13 exceeds 12" \
      --set database.backend=postgresql --set services.registration.keda.enabled=true \
      --set services.registration.keda.maxReplicas=13 || failures=$((failures + 1))
    # SQLite renders once every service runs a single replica, with its own volume.
    sqlite=(--set database.backend=sqlite)
    for s in registration screening pharmacy; do
      sqlite+=(--set "services.$s.replicas=1" --set "services.$s.autoscaling.enabled=false")
    done
    expect_renders "${sqlite[@]}" || failures=$((failures + 1))
    # The bound itself is allowed: as many consumers as partitions.
    expect_renders --set services.registration.keda.enabled=true \
      --set services.registration.keda.maxReplicas=12 || failures=$((failures + 1))
    expect_refused "satusehat.organizationId is required" \
      --set services.satusehat-sync.enabled=true || failures=$((failures + 1))
    expect_refused "services.referral.defaultPuskesmasId is required" \
      --set services.referral.enabled=true || failures=$((failures + 1))
    expect_refused "kafka.sasl.enabled needs kafka.sasl.existingSecret" \
      --set kafka.sasl.enabled=true || failures=$((failures + 1))
    expect_refused "at '/strimzi/subscribers/0/topics/0': value must be one of" \
      --set 'strimzi.subscribers[0].name=dinkes-x' --set 'strimzi.subscribers[0].topics[0]=klinik.intake.screening.v1' \
      || failures=$((failures + 1))
    # values.schema.json: unknown keys, wrong types and out-of-range values.
    expect_refused "additional properties 'replica' not allowed" \
      --set services.pharmacy.replica=3 || failures=$((failures + 1))
    expect_refused "at '/services/pharmacy/replicas': got string, want integer" \
      --set-string services.pharmacy.replicas=three || failures=$((failures + 1))
    expect_refused "at '/services/pharmacy/keda/minReplicas': minimum" \
      --set services.pharmacy.keda.minReplicas=0 || failures=$((failures + 1))
    expect_refused "at '/kafka/securityProtocol': value must be one of" --set kafka.securityProtocol=TLS || failures=$((failures + 1))
    expect_refused "at '/database/backend': value must be one of" --set database.backend=mysql || failures=$((failures + 1))
    expect_refused "additional properties 'unknownService' not allowed" --set services.unknownService.enabled=true || failures=$((failures + 1))
    if [[ "$failures" -ne 0 ]]; then
      echo "chart_test refuses: $failures case(s) failed" >&2
      exit 1
    fi
    ;;
  selftest)
    need_modules
    node "$here/validate.mjs" --modules "$modules" --self-test
    ;;
  topology)
    need_helm
    need_modules
    node "$here/chart_topology.mjs" --modules "$modules" --helm "$helm" --root "$root"
    ;;
  *)
    echo "usage: chart_test.sh lint|render <values-file|default> | refuses | selftest | topology" >&2
    exit 2
    ;;
esac
