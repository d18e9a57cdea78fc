# SPDX-License-Identifier: Apache-2.0
"""Serial capture efficiency and speed against the demo firmware in QEMU.

For a 64 KiB data source (several item geometries) this prints the payload
bytes (the items' own bytes), the bytes that crossed the wire in both
directions (requests, responses with framing, COBS and CRC), their ratio, and
the capture time. Figures only; nothing here passes or fails on a number.

Run: .venv/bin/python tests/bench/capture_wire.py [BOARD]
"""
from __future__ import annotations

import os
import sys
import time

from crashdump import Client, Emulator
from crashdump.harness.emulate import demo_elf, find_root, get_board

GEOMETRIES = [(1024, 64), (256, 256), (64, 1024), (32, 2048)]  # item size, count: 64 KiB


def main() -> None:
    board = sys.argv[1] if len(sys.argv) > 1 else "qemu-mps2-an385"
    elf = demo_elf(get_board(board), find_root())
    counts = {"tx": 0, "rx": 0}

    def trace(direction: str, data: bytes) -> None:
        counts[direction] += len(data)

    print(f"64 KiB serial capture, {board} in QEMU (UART over TCP, nodelay)")
    print(f"{'item':>6} {'count':>6} {'payload':>8} {'wire rx':>8} {'wire tx':>8} "
          f"{'payload/wire':>12} {'time s':>7} {'KiB/s':>7}")
    with Emulator(board, elf=elf) as emu, Client.open(emu.serial_url, timeout=5.0,
                                                       trace=trace) as dev:
        info = dev.info()
        for item, count in GEOMETRIES:
            if item > info.item_max or count * (4 + item) > info.ring_max_bytes:
                print(f"{item:>6} {count:>6}  (does not fit this board's limits)")
                continue
            name = f"bench{item}"
            dev.source_create(name, item_size=item, count=count)
            for _ in range(count):
                dev.source_write(name, os.urandom(item))
            counts.update(tx=0, rx=0)
            t0 = time.perf_counter()
            cap = dev.source_capture(name)
            dt = time.perf_counter() - t0
            payload = sum(len(r.data) for r in cap.records)
            wire = counts["rx"] + counts["tx"]
            print(f"{item:>6} {count:>6} {payload:>8} {counts['rx']:>8} {counts['tx']:>8} "
                  f"{payload / wire:>12.3f} {dt:>7.3f} {payload / 1024 / dt:>7.1f}")
            dev.source_destroy(name)
        print(f"frame_max {info.frame_max} bytes; payload/wire counts both directions")


if __name__ == "__main__":
    main()
