# SPDX-License-Identifier: Apache-2.0
"""64 KiB RAM reads through pyOCD with the gdbrsp probe against QEMU's GDB
stub, next to the bare RSP client underneath, so the plugin's own cost shows.
Figures only; nothing here passes or fails on a number.

Run: .venv/bin/python tests/bench/probe_read.py [BOARD] [ROUNDS]
"""
from __future__ import annotations

import statistics
import sys
import time
from typing import Callable

from crashdump import Emulator
from crashdump.harness.emulate import demo_elf, find_root, get_board
from crashdump.probe.rsp_client import RspClient
from pyocd.core.helpers import ConnectHelper

SIZE = 64 * 1024
ADDRESS = 0x20001000  # mps2: above the MPU stack guard


def median_time(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def line(label: str, seconds: float, size: int) -> str:
    return f"  {label:46s} {seconds * 1e3:7.2f} ms  {size / seconds / 1e6:6.1f} MB/s"


def main() -> None:
    board = sys.argv[1] if len(sys.argv) > 1 else "qemu-mps2-an385"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    # micro:bit has 16 KiB of RAM: read its 256 KiB flash instead.
    address, size = (0x0, SIZE) if board == "qemu-microbit" else (ADDRESS, SIZE)
    elf = demo_elf(get_board(board), find_root())
    print(f"{size // 1024} KiB read at {address:#x}, {board} in QEMU 7.2, median of {rounds}")
    with Emulator(board, elf=elf, gdb_port=0) as emu:
        with RspClient("127.0.0.1", emu.gdb_port) as rsp:
            raw = median_time(lambda: rsp.read_memory(address, size), rounds)
            print(line(f"bare RSP client ({size // rsp.max_read} x m of {rsp.max_read})", raw, size))
            rsp.detach()
        with ConnectHelper.session_with_chosen_probe(
                unique_id=f"gdbrsp:{emu.gdb_address}", target_override="cortex_m",
                options={"connect_mode": "attach"}) as session:
            target = session.target
            run32 = median_time(lambda: target.read_memory_block32(address, size // 4), rounds)
            target.halt()
            halt32 = median_time(lambda: target.read_memory_block32(address, size // 4), rounds)
            halt8 = median_time(lambda: target.read_memory_block8(address, size), rounds)
            # The AP (the plugin's memory interface) without pyOCD's target-level
            # software-breakpoint filter, which costs a Python loop per word.
            ap = target.selected_core.ap
            ap32 = median_time(lambda: ap.read_memory_block32(address, size // 4), rounds)
            target.resume()
        print(line("pyOCD read_memory_block32, target halted", halt32, size))
        print(line("pyOCD read_memory_block32, target running", run32, size))
        print(line("pyOCD read_memory_block8, target halted", halt8, size))
        print(line("pyOCD AP read_memory_block32, halted", ap32, size))
        print(f"  plugin cost over the bare client (AP level, halted): {(ap32 / raw - 1) * 100:+.0f} %")


if __name__ == "__main__":
    main()
