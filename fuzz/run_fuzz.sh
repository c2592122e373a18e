#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time, as ctest's fuzz.<name> (cmake/KlinikFuzz.cmake):
#   run_fuzz.sh <binary> <seed folder> <work folder> <seconds>
# The seeds are copied into <work>/corpus, so new inputs libFuzzer finds never land in the repo.
# Prints libFuzzer's "Done N runs in S second(s)" and writes it to <work>.runs (make test lists
# those files at the end); on a crash prints the report and where the input was saved, and fails.
# KLINIK_FUZZ_SECONDS overrides <seconds> (make fuzz); KLINIK_FUZZ_KEEP_CORPUS=1 keeps the corpus
# grown by earlier runs instead of starting again from the seeds.
set -euo pipefail
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
bin=$1 seeds=$2 work=$3
seconds=${KLINIK_FUZZ_SECONDS:-$4}
name=$(basename "$bin")

rm -f "$work.runs"
[ "${KLINIK_FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$work"
mkdir -p "$work/corpus" "$work/crashes"
cp -R "$seeds"/. "$work/corpus/"

status=0
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/crashes/" "$work/corpus" >"$work/fuzz.log" 2>&1 || status=$?

done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$work/fuzz.log" | tail -n 1 || true)
if [ "$status" -ne 0 ] || [ -z "$done_line" ]; then
  tail -n 80 "$work/fuzz.log"
  echo "$name: FAILED (exit $status); full log: $work/fuzz.log"
  for input in "$work"/crashes/*; do
    [ -e "$input" ] && echo "$name: crashing input saved as $input (reproduce: $bin $input)"
  done
  exit 1
fi
echo "$name: $done_line, corpus $(find "$work/corpus" -type f | wc -l) inputs" | tee "$work.runs"
