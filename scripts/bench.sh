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
for b in tests/bench/*.py; do
    echo "== $b"
    "$py" "$b"
    echo
done
