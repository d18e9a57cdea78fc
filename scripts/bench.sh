#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints crashdump's measured figures: instructions per ring write (Cortex-M0/M4,
# counted under the unicorn emulator), code and RAM size of the library, and
# serial capture throughput against the demo firmware in QEMU.
# Figures only: nothing here passes or fails on a number.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
py="$root/.venv/bin/python"
# A benchmark that cannot finish (a loaded machine, an emulator that stalls)
# prints why and the others still run: figures are not a pass/fail gate.
for b in tests/bench/*.py; do
    echo "== $b"
    "$py" "$b" || echo "bench $b did not finish (exit $?): no figures from it this run"
    echo
done
echo "== fuzzing, a longer run per target (scripts/fuzz.sh ${FUZZ_SECONDS:-60})"
"$root/scripts/fuzz.sh" "${FUZZ_SECONDS:-60}"
echo
echo "== the host's parsers, more hypothesis examples"
CRASHDUMP_FUZZ_EXAMPLES=${FUZZ_EXAMPLES:-500} "$py" -m pytest -q -p no:cacheprovider \
    tests/host/test_rsp_reader.py tests/host/test_dump_fuzz.py tests/host/test_framing_fuzz.py
