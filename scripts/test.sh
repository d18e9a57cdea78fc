#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets up (scripts/setup.sh), then builds and runs every test:
#   1. the portable core's C unit tests, built natively with sanitizers (ctest)
#   2. every board's firmware, cross-compiled in test and release configurations
#   3. the coverage-guided fuzz targets of the device-side parsers, 30 s each
#   4. the host tool's unit tests and the end-to-end tests in QEMU (pytest)
# Extra arguments go to pytest (e.g. -k capture, -x).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
. "$root/scripts/boards.sh"

jobs=$(nproc 2>/dev/null || echo 2)

echo "== C unit tests (host-native, ASan/UBSan)"
cmake -S . -B build/host -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/host -j"$jobs" >/dev/null
ctest --test-dir build/host --output-on-failure

echo "== firmware builds"
# Test builds (the demo with its fault injection commands, which the tests
# drive) and release builds (the default configuration: no fault commands)
# of every board. Warnings are errors in both.
for b in "${QEMU_BOARDS[@]}" "${BUILD_ONLY_BOARDS[@]}"; do
    cmake -S . -B "build/$b" -DBOARD="$b" -DCD_FAULT_CMDS=ON -DCMAKE_C_FLAGS=-Werror >/dev/null
    cmake --build "build/$b" -j"$jobs" >/dev/null
    cmake -S . -B "build/$b-release" -DBOARD="$b" -DCMAKE_C_FLAGS=-Werror >/dev/null
    cmake --build "build/$b-release" -j"$jobs" >/dev/null
    echo "built $b (test and release)"
done

echo "== fuzzing (libFuzzer + ASan/UBSan, 30 s per target; scripts/bench.sh runs longer)"
"$root/scripts/fuzz.sh" 30

echo "== host and end-to-end tests (pytest)"
"$root/.venv/bin/python" -m pytest "$@"
