#!/usr/bin/env bash
# Lints the protobuf contracts in proto/ with buf (rules in proto/buf.yaml) and checks that every
# message, field, enum value, oneof, service and RPC has a comment. Exits non-zero on any finding.
# buf comes from the npm package @bufbuild/buf, installed on first use into a cache folder
# (override with KLINIK_BUF_DIR); later runs need no network.
set -euo pipefail

readonly buf_version="1.75.0"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto_dir="$(cd "${here}/../../proto" && pwd)"
buf_dir="${KLINIK_BUF_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/klinikdesa/buf/${buf_version}}"
buf="${buf_dir}/node_modules/.bin/buf"

if [[ ! -x "${buf}" ]] || [[ "$("${buf}" --version 2>/dev/null)" != "${buf_version}" ]]; then
  if ! command -v npm >/dev/null; then
    echo "buf_lint: npm not found; install Node.js and npm (Debian: apt-get install npm)" >&2
    exit 2
  fi
  echo "buf_lint: installing @bufbuild/buf@${buf_version} into ${buf_dir}" >&2
  mkdir -p "${buf_dir}"
  if ! npm install --prefix "${buf_dir}" --no-audit --no-fund --loglevel=error \
      "@bufbuild/buf@${buf_version}" >&2; then
    echo "buf_lint: npm install of @bufbuild/buf@${buf_version} failed; is the npm registry reachable?" >&2
    exit 2
  fi
fi

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT

cd "${proto_dir}"
status=0
"${buf}" lint || status=1
"${buf}" build --exclude-imports -o "${tmp}/image.json" || status=1
if [[ -s "${tmp}/image.json" ]]; then
  node "${here}/check_comments.js" "${tmp}/image.json" || status=1
fi

if [[ "${status}" -eq 0 ]]; then
  echo "buf_lint: proto/ is clean (buf ${buf_version})"
else
  echo "buf_lint: findings above" >&2
fi
exit "${status}"
