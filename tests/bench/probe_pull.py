# SPDX-License-Identifier: Apache-2.0
"""Dump pull through pyOCD (gdbrsp plugin against QEMU's GDB stub) compared with
pyOCD's raw block read of the same number of bytes, and the bytes read per
dump byte. The demo firmware crashes once (a bus fault) to make the dump.
Figures only; nothing here passes or fails on a number.

Run: .venv/bin/python tests/bench/probe_pull.py [BOARD] [ROUNDS]
"""
from __future__ import annotations

import statistics
import sys
import time

from crashdump import Client, Emulator
from crashdump.decode.elf import Elf
from crashdump.harness.emulate import demo_elf, find_root, get_board
from crashdump.probe.locate import CountingReader, locate, read_dumps
from crashdump.probe.session import ProbeSession


def main() -> None:
    board = sys.argv[1] if len(sys.argv) > 1 else "qemu-mps2-an385"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    elf_path = demo_elf(get_board(board), find_root())
    with Emulator(board, elf=elf_path, gdb_port=0) as emu, Elf(elf_path) as elf:
        with Client.open(emu.serial_url, timeout=5.0) as dev:
            dev.fault(1)
        pulls, raws = [], []
        with ProbeSession(f"gdbrsp:{emu.gdb_address}") as s:
            for _ in range(rounds):
                t = time.perf_counter()
                read = CountingReader(s.read)
                with s.reading():
                    got = read_dumps(read, locate(read, elf))
                pulls.append(time.perf_counter() - t)
                dump = got.found[0]
                t = time.perf_counter()
                # the same byte count in one pyOCD block read, as a user would
                s._target.read_memory_block32(dump.address, got.bytes_read // 4)  # noqa: SLF001
                raws.append(time.perf_counter() - t)
    pull, raw = statistics.median(pulls), statistics.median(raws)
    print(f"dump pull through pyOCD + gdbrsp plugin, {board} in QEMU, median of {rounds}")
    print(f"  dump bytes            {got.dump_bytes}")
    print(f"  bytes read            {got.bytes_read} ({got.bytes_read / got.dump_bytes:.3f} "
          f"per dump byte: the 56-byte locator, then each dump in one read)")
    print(f"  dump pull (locator, dump, CRC check)          {pull * 1e3:8.2f} ms "
          f"({got.dump_bytes / pull / 1024:.0f} KiB/s)")
    print(f"  raw target.read_memory_block32 of {got.bytes_read} bytes {raw * 1e3:8.2f} ms")
    print(f"  pull / raw            {pull / raw:.2f}")


if __name__ == "__main__":
    main()
