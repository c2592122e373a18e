#!/usr/bin/env bash
# Installs the npm packages tests/deploy/validate.mjs needs (Kubernetes, KEDA, prometheus-operator
# and Strimzi schemas, and a YAML parser) into $KLINIK_CACHE_DIR/node-deploy. A fast no-op when
# the pinned set is already there; changing a version below reinstalls.
set -euo pipefail

readonly packages=(
  kubernetes-models@5.1.0
  @kubernetes-models/keda@2.0.0
  @kubernetes-models/prometheus-operator@6.0.0
  @kubernetes-models/strimzi-kafka-operator@1.0.1
  js-yaml@4.1.0
)
cache="${KLINIK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/klinikdesa}"
dir="$cache/node-deploy"
stamp="$dir/.installed"
want="${packages[*]}"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "deps: npm is missing, so the Kubernetes schema packages are not installed (tests/deploy will fail)" >&2
  exit 0
fi
echo "deps: installing ${packages[*]} into $dir" >&2
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --no-save "${packages[@]}" >&2
printf '%s' "$want" >"$stamp"
