#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The crashdump demo: builds the demo firmware, runs it in QEMU (Cortex-M3,
# mps2-an385), and drives it with the host tool over the emulated UART:
# create a data source, write records, read and capture them, warm-reset the
# device, and show the records survived the reset in .noinit RAM. Then it
# crashes the firmware, pulls the dump over the UART and, as a debug probe
# would, through pyOCD (QEMU's GDB stub via the gdbrsp probe plugin), decodes
# it, and opens it in GDB.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
board=${BOARD:-qemu-mps2-an385}
cd_() { echo "\$ crashdump $*"; "$root/.venv/bin/crashdump" --port "$url" "$@"; echo; }

echo "== building and starting $board in QEMU"
log=$(mktemp)
"$root/.venv/bin/crashdump" emulate "$board" --gdb-port 0 >"$log" 2>&1 &
emu=$!
trap 'kill $emu 2>/dev/null; wait $emu 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 600); do
    url=$(grep -o 'socket://[0-9.:]*' "$log" | head -n1 || true)
    [ -n "$url" ] && break
    kill -0 $emu 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.2
done
[ -n "$url" ] || { echo "emulator did not start"; cat "$log"; exit 1; }
gdb_at=$(grep -o 'gdb.*127\.0\.0\.1:[0-9]*' "$log" | grep -o '127\.0\.0\.1:[0-9]*' | head -n1 || true)
echo "device UART at $url, QEMU's GDB stub at $gdb_at"
echo

cd_ info
cd_ source create sensor --item-size 32 --count 8
for i in 1 2 3; do cd_ source write sensor --text "reading $i: 21.$i C"; done
cd_ source capture sensor
cd_ source read sensor --max 1
cd_ self capture
cd_ reset
sleep 0.5
cd_ source list
cd_ source capture sensor
echo "The records written before the reset are still there: they live in .noinit RAM."
echo

echo "== a crash: the firmware faults, writes a dump to flash, and reboots"
cd_ source write sensor --text "last words before the crash"
cd_ fault bad_read
cd_ dump status
out=$(mktemp -d)
cd_ dump pull -o "$out/crash.cdmp"
elf="$root/build/$board/boards/$board/crashdump-demo.elf"
echo "\$ crashdump decode crash.cdmp --elf ${elf#$root/}"
"$root/.venv/bin/crashdump" decode "$out/crash.cdmp" --elf "$elf"
echo

echo "== the same dump through a debug probe: pyOCD driving QEMU's GDB stub"
echo "\$ crashdump dump pull --probe gdbrsp:$gdb_at --elf ${elf#$root/} -o probe.cdmp"
"$root/.venv/bin/crashdump" dump pull --probe "gdbrsp:$gdb_at" --elf "$elf" -o "$out/probe.cdmp"
cmp "$out/crash.cdmp" "$out/probe.cdmp" && echo "identical to the dump pulled over the UART"
echo

echo "== post-mortem in GDB: crashdump gdbserver serves the dump"
echo "\$ gdb-multiarch -batch -ex 'target remote | crashdump gdbserver crash.cdmp --elf ... --pipe' -ex bt -ex 'info registers pc lr sp' ${elf#$root/}"
PATH="$root/.venv/bin:$PATH" gdb-multiarch -nx -batch -ex "set pagination off" -ex "set remotetimeout 20" \
    -ex "target remote | crashdump gdbserver $out/crash.cdmp --elf $elf --pipe" \
    -ex bt -ex "info registers pc lr sp" "$elf" 2>&1 | grep -v '^warning: ' || true
rm -rf "$out"
