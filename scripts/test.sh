#!/usr/bin/env bash
# Sets up (scripts/setup.sh), then builds and runs every test:
#   1. the portable core's C unit tests, built natively with sanitizers (ctest)
#   2. every QEMU board's firmware and the real boards' (BUILD_ONLY_BOARDS), cross-compiled
#   3. the host tool's unit tests and the end-to-end tests in QEMU (pytest)
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
for b in "${QEMU_BOARDS[@]}"; do
    cmake -S . -B "build/$b" -DBOARD="$b" >/dev/null
    cmake --build "build/$b" -j"$jobs" >/dev/null
    echo "built $b"
done
for b in "${BUILD_ONLY_BOARDS[@]}"; do
    # No hardware here: building warning-free is their firmware test.
    cmake -S . -B "build/$b" -DBOARD="$b" -DCMAKE_C_FLAGS=-Werror >/dev/null
    cmake --build "build/$b" -j"$jobs" >/dev/null
    echo "built $b (build only)"
done

echo "== host and end-to-end tests (pytest)"
"$root/.venv/bin/python" -m pytest "$@"
