#!/usr/bin/env bash
# The proto is the event registry (issue #15): a CloudEvents ce_type ("id.klinik.…") is spelled
# once, as the (klinik.v1.ce_type) option of its wrapper case in proto/klinik/v1/, and code reads
# it through klinik/event_types.h (CeType<Wrapper>(case), CeTypeOf(wrapper), FindEventKind).
# Fails, printing the offending lines, when a ce_type literal appears in the C++ of services,
# tools, bench or fuzz outside tests (tests may keep literals as expectations).
#
#   tests/style/ce_type_literals.sh [ROOT]   (default: the repository this script is in)
set -uo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "${root}" || exit 2

found="$(grep -rn '"id\.klinik\.' services tools bench fuzz \
            --include='*.cc' --include='*.h' --include='*.cpp')"
if (( $? > 1 )); then
  echo "ce_type_literals: grep failed under ${root}" >&2
  exit 2
fi
hits="$(printf '%s' "${found}" | grep -v /tests/)"
if [[ -n "${hits}" ]]; then
  echo "ce_type literals outside proto/ (use klinik::CeType<Wrapper>(Wrapper::kCase) or" \
       "OutboxWriter::Publish(topic, key, subject, wrapper); see klinik/event_types.h):" >&2
  echo "${hits}" >&2
  exit 1
fi
echo "ce_type_literals: no ce_type literal outside proto/"
