#!/usr/bin/env bash
# Installs exactly the Debian packages KlinikDesa needs that are missing, and the test-only
# tooling that does not come from Debian (Apache Kafka's jars through Maven). A no-op when
# everything is present.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config ccache clang-format git
  librdkafka-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  prometheus-cpp-dev libcivetweb-dev libgtest-dev libgmock-dev libsqlite3-dev libpq-dev
  libcurl4-openssl-dev nlohmann-json3-dev uuid-dev
  postgresql default-jdk-headless maven python3 curl jq
)
# Parts of the project that need more Debian packages list them, one a line, in
# tools/dev/packages/<part>.txt.
for list in "$here"/tools/dev/packages/*.txt; do
  [ -f "$list" ] || continue
  while read -r p; do
    [ -n "$p" ] && [ "${p#\#}" = "$p" ] && packages+=("$p")
  done <"$list"
done
[ "${KLINIK_DEPS_EXTRA:-}" ] && read -r -a extra <<<"$KLINIK_DEPS_EXTRA" && packages+=("${extra[@]}")

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cache="${KLINIK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/klinikdesa}"

# Test and operations tooling that Debian does not package, built from the Go module proxy into
# the cache: grpcurl (gRPC reflection client used by tests and operators).
if [ "${KLINIK_DEPS_SKIP_GO_TOOLS:-0}" != 1 ] && [ ! -x "$cache/bin/grpcurl" ]; then
  if command -v go >/dev/null 2>&1; then
    echo "deps: building grpcurl into $cache/bin" >&2
    GOBIN="$cache/bin" GOFLAGS=-mod=mod go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.1 >&2
  else
    echo "deps: Go is missing, so grpcurl is not installed (its test will fail)" >&2
  fi
fi

# Further non-Debian test or deployment tooling, one installer per part: tools/dev/deps.d/*.sh
# (each must be a fast no-op when its tool is already in the cache).
for installer in "$here"/tools/dev/deps.d/*.sh; do
  [ -f "$installer" ] && KLINIK_CACHE_DIR="$cache" bash "$installer"
done

# Test tooling: Apache Kafka (KRaft) jars into the cache; a no-op when already fetched.
if [ "${KLINIK_DEPS_SKIP_KAFKA:-0}" != 1 ]; then
  bash "$here/tests/infra/kafka.sh" fetch >/dev/null
fi
