#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds every libFuzzer target tests/fuzz/fuzz_<name>.c (ASan + UBSan, clang)
# and runs each for SECONDS (default 60), one after the other, on its
# committed seed corpus tests/fuzz/corpus/<name>/ plus a working corpus under
# the build directory (new inputs land there, never in the repository).
# Prints per target: executions, executions per second, coverage (libFuzzer's
# cov: and ft: at the end), and findings. Exits non-zero if any target found
# something (its inputs are kept in build/fuzz/findings/<name>/, which each run
# empties first: copy a finding away, or into the seed corpus once fixed, as a
# regression input) or failed to run.
#
#   scripts/fuzz.sh [SECONDS] [NAME...]      e.g. scripts/fuzz.sh 60, scripts/fuzz.sh 600 proto
# Environment: FUZZ_BUILD_DIR (default build/fuzz), CC (default clang),
#   FUZZ_FLAGS (extra libFuzzer flags).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
build=${FUZZ_BUILD_DIR:-$root/build/fuzz}

if ! command -v "${CC:-clang}" >/dev/null; then
    echo "fuzz.sh: ${CC:-clang} not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
fi
CC=${CC:-clang} cmake -S "$root/tests/fuzz" -B "$build" >/dev/null
cmake --build "$build" -j2 >/dev/null

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for src in "$root"/tests/fuzz/fuzz_*.c; do
        base=$(basename "$src" .c)
        names+=("${base#fuzz_}")
    done
fi

status=0
printf '%-12s %10s %8s %7s %8s %7s %8s\n' target executions exec/s cov ft corpus findings
for name in "${names[@]}"; do
    bin="$build/fuzz_$name"
    seeds="$root/tests/fuzz/corpus/$name"
    work="$build/corpus/$name"
    found="$build/findings/$name"
    log="$build/fuzz_$name.log"
    rm -rf "$found"
    mkdir -p "$work" "$found" "$seeds"
    rc=0
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -max_len=4096 -artifact_prefix="$found/" ${FUZZ_FLAGS:-} "$work" "$seeds" \
        >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    findings=$(find "$found" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' -o -name 'slow-unit-*' \) | wc -l)
    printf '%-12s %10s %8s %7s %8s %7s %8s\n' "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "${ft:-?}" "${corp:-?}" "$findings"
    if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ]; then
        echo "fuzz_$name: exit $rc, $findings finding(s); log: $log, inputs: $found" >&2
        grep -m5 -E 'oracle failed|ERROR: |SUMMARY: ' "$log" >&2 || true
        status=1
    fi
done
exit $status
