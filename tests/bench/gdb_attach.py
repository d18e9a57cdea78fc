# SPDX-License-Identifier: Apache-2.0
"""Bench: time from `target remote | crashdump gdbserver ... --pipe` to the first
`bt` output, for a demo dump (bad_read, crashed in QEMU and pulled over serial).

GDB prints a marker before `target remote` and runs `bt` right after; the time
between the marker line and the first `#0` line, read from GDB's stdout as it
arrives, is the attach-to-backtrace figure (it includes starting the Python
server). Usage: python tests/bench/gdb_attach.py [BOARD] [RUNS]
"""
from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crashdump import Client
from crashdump.harness.emulate import Emulator, demo_elf, find_root, get_board
from crashdump.pull.serial import SerialSource, offered


def pull_demo_dump(board: str, elf: Path, path: Path) -> None:
    with Emulator(board, elf=elf) as emu, Client.open(emu.serial_url, timeout=5.0) as dev:
        dev.fault(1)  # bad_read
        slot = [s for s in dev.dump_status().slots if s.state == 1][0]
        SerialSource(dev).pull(offered(slot), path)


def attach_to_bt(gdb: str, dump: Path, elf: Path) -> float:
    server = f"| {sys.executable} -m crashdump gdbserver {dump} --elf {elf} --pipe"
    proc = subprocess.Popen([gdb, "-nx", "-batch", "-ex", "echo START\\n",
                             "-ex", f"target remote {server}", "-ex", "bt", str(elf)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            bufsize=1)
    assert proc.stdout is not None
    start = None
    took = None
    for line in proc.stdout:
        if line.startswith("START"):
            start = time.monotonic()
        elif line.startswith("#0") and start is not None and took is None:
            took = time.monotonic() - start
    proc.wait()
    if took is None:
        raise SystemExit("gdb printed no backtrace")
    return took


def main() -> None:
    board = sys.argv[1] if len(sys.argv) > 1 else "qemu-mps2-an385"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    gdb = shutil.which("gdb-multiarch")
    if gdb is None:
        raise SystemExit("gdb-multiarch is not installed")
    elf = demo_elf(get_board(board), find_root())
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "crash.cdmp"
        pull_demo_dump(board, elf, dump)
        times = [attach_to_bt(gdb, dump, elf) for _ in range(runs)]
    print(f"gdb attach to first bt ({board}, bad_read dump, {runs} runs): "
          f"median {statistics.median(times) * 1000:.0f} ms, "
          f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
