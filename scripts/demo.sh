#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The crashdump demo: builds the demo firmware, runs it in QEMU (Cortex-M3,
# mps2-an385), and drives it with the host tool over the emulated UART:
# create a data source, write records, read and capture them, warm-reset the
# device, and show the records survived the reset in .noinit RAM. Then it
# crashes the firmware, pulls the dump over the UART and, as a debug probe
# would, through pyOCD (QEMU's GDB stub via the gdbrsp probe plugin), decodes
# it, and opens it in GDB.
#
# Every command is echoed as it can be pasted into a shell (after
# `. .venv/bin/activate` and the `export` and `cd` lines the demo echoes), and
# followed by what it showed. Run from a terminal, the demo leaves QEMU running
# at the end until Enter, so that the commands can be tried by hand.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
board=${BOARD:-qemu-mps2-an385}
export PATH="$root/.venv/bin:$PATH"

# Prints a command as it can be pasted (words quoted only where a shell needs
# it), then runs it.
show() {
    local line="\$" word
    for word in "$@"; do
        if [[ $word =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then line+=" $word"
        else line+=" '${word//\'/\'\\\'\'}'"; fi
    done
    echo "$line"
}
run() { show "$@"; "$@"; }
# What the step before showed.
note() { local line; for line in "$@"; do echo "  # $line"; done; echo; }

echo "== building and starting $board in QEMU"
log=$(mktemp)
crashdump emulate "$board" --gdb-port 0 >"$log" 2>&1 &
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
work=$(mktemp -d "${TMPDIR:-/tmp}/crashdump-demo.XXXXXX")
elf="$root/build/$board/boards/$board/crashdump-demo.elf"
echo "The device's UART is at $url, QEMU's GDB stub at $gdb_at."
echo "To type the commands yourself: . $root/.venv/bin/activate, then the export and cd below."
echo
show export CRASHDUMP_PORT="$url"
export CRASHDUMP_PORT="$url"
note "every crashdump command below talks to that port"
show cd "$work"
cd "$work"
echo

run crashdump info
note "the firmware's name, build-id and limits; boot count 1: QEMU has just started it"
run crashdump source create sensor --item-size 32 --count 8
note "a ring of 8 items of up to 32 bytes in the device's .noinit RAM, its GUID derived" \
     "from the name 'sensor'; run again, the same command re-attaches to it"
for i in 1 2 3; do run crashdump source write sensor --text "reading $i: 21.$i C"; done
note "each write is one item with the next sequence number: #0, #1, #2"
run crashdump source capture sensor
note "capture copies every item held without removing any: #0..#2 are all still there"
run crashdump source read sensor --max 1
note "read removed the oldest item (#0): it is consumed, a capture starts at #1 now"
run crashdump self capture
note "the firmware's own ring, written with cd_self_write(): the demo logs each tick"
run crashdump reset
sleep 0.5
note "a warm reset (SYSRESETREQ); the firmware boots again"
run crashdump source list
run crashdump source capture sensor
note "the source and its records #1..#2 survived the reset: they live in .noinit RAM," \
     "which a warm reset leaves alone"

echo "== a crash: the firmware faults, writes a dump to flash, and reboots"
run crashdump source write sensor --text "last words before the crash"
run crashdump fault bad_read
note "the firmware read unmapped memory: a BusFault; its fault handler wrote a crash dump" \
     "to the dump partition and reset the device"
run crashdump dump status
note "slot 0 holds a valid dump; the crash record says what happened even without a dump"
run crashdump dump pull -o crash.cdmp
note "the dump copied over the UART and verified (header and body CRCs) before the file" \
     "was written; with several dumps on the device, crash-slot0.cdmp, crash-slot1.cdmp, ..."
run crashdump decode crash.cdmp --elf "$elf"
note "the cause in words, the backtrace with file:line from the ELF, registers, the rings" \
     "as they were at the crash (the last words are there) and the triage ranges"

echo "== the same dump through a debug probe: pyOCD driving QEMU's GDB stub"
run crashdump dump pull --probe "gdbrsp:$gdb_at" --elf "$elf" -o probe.cdmp
run cmp crash.cdmp probe.cdmp
note "identical to the dump pulled over the UART: a device whose UART is dead still gives" \
     "up its dumps to a probe, without being halted or reset"

echo "== post-mortem in GDB: crashdump gdbserver serves the dump"
show gdb-multiarch -batch -ex "target remote | crashdump gdbserver crash.cdmp --elf $elf --pipe" \
    -ex bt -ex "info registers pc lr sp" "$elf"
gdb-multiarch -nx -batch -ex "set pagination off" -ex "set remotetimeout 20" \
    -ex "target remote | crashdump gdbserver crash.cdmp --elf $elf --pipe" \
    -ex bt -ex "info registers pc lr sp" "$elf" 2>&1 | grep -v '^warning: ' || true
note "GDB sees the device as it stopped at the crash: registers, stack and triage ranges" \
     "from the dump, code from the ELF"

run crashdump dump erase --verified crash.cdmp
note "the device erased the slot only after checking the file's body CRC against it"

echo "== what to try next"
cat <<EOF
  crashdump fault --list                     the other faults the demo can raise
  crashdump fault stack_overflow; crashdump dump pull -o so.cdmp; crashdump decode so.cdmp --elf $elf
  crashdump --json source capture sensor     every command's --json output (docs/json.md)
  crashdump emulate qemu-mps2-an386          the Cortex-M4F board: FPU registers in dumps
  crashdump ports                            serial ports; a real board's is found by itself
  docs/integration.md                        crashdump in your own firmware
The files are in $work.
EOF
if [ -t 0 ] && [ -t 1 ]; then
    echo
    echo "QEMU keeps running at $url with CRASHDUMP_PORT as above; press Enter to stop it."
    read -r _ || true
fi
