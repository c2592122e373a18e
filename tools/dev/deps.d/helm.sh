#!/usr/bin/env bash
# Installs helm (v3) into $KLINIK_CACHE_DIR/bin for the chart tests in tests/deploy. Debian does not
# package helm, so it is built from its Go module; a fast no-op when the pinned build is there.
set -euo pipefail

readonly helm_version="v3.21.4"
# Kubernetes version `helm template`/`lint` assume offline: helm's Makefile derives it from its
# client-go (v0.36 → 1.36); a plain `go install` would leave helm's fallback, 1.20, which is
# older than the chart's kubeVersion.
readonly kube_major=1 kube_minor=36
cache="${KLINIK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/klinikdesa}"
helm="$cache/bin/helm"
stamp="$cache/bin/.helm-build"
want="$helm_version k8s-$kube_major.$kube_minor"

if [ -x "$helm" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "deps: Go is missing, so helm $helm_version is not installed (the tests/deploy chart tests will fail)" >&2
  exit 0
fi
echo "deps: building helm $helm_version into $cache/bin (a few minutes the first time)" >&2
mkdir -p "$cache/bin"
ldflags="-X helm.sh/helm/v3/internal/version.version=$helm_version"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=$kube_major -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$kube_minor"
done
GOBIN="$cache/bin" GOFLAGS=-mod=mod go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$helm_version" >&2
printf '%s' "$want" >"$stamp"
