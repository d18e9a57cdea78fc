# SPDX-License-Identifier: Apache-2.0
"""Commands that succeed on the first try after random noise on the line,
against the demo firmware in QEMU through a noise proxy (tests/e2e/noise_proxy.py).

Before each command, random bytes (1..64 of them, any value, so often a
partial frame the device is still holding when the command arrives) are put on
the line towards the device and towards the host. Counts, per client setting,
how many commands were answered on the first try, how many needed repeats,
and how many failed. Figures only; nothing here passes or fails on a number.

Run: .venv/bin/python tests/bench/noise.py [BOARD] [COMMANDS]
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from crashdump import Client, Emulator  # noqa: E402
from crashdump.errors import CrashdumpError  # noqa: E402
from crashdump.harness.emulate import demo_elf, find_root, get_board
from noise_proxy import NoiseProxy  # noqa: E402


def run(url: str, proxy: NoiseProxy, n: int, flush: bool, seed: int) -> tuple:
    rng = random.Random(seed)
    first = repeated = failed = 0
    with Client.open(url, timeout=2.0) as dev:
        dev.retry_interval = 0.25
        dev.info()
        name = f"noise{int(flush)}"
        dev.source_create(name, item_size=16, count=32)
        ops = [lambda i: dev.info(), lambda i: dev.source_write(name, b"x%d" % i),
               lambda i: dev.source_open(name), lambda i: dev.source_capture(name),
               lambda i: dev.source_read(name, max_items=2)]
        dev.flush_before_request = flush
        for i in range(n):
            proxy.inject_to_device(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 65))))
            proxy.inject_to_host(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 65))))
            before = dev.repeats
            try:
                ops[i % len(ops)](i)
            except CrashdumpError:
                failed += 1
                continue
            if dev.repeats == before:
                first += 1
            else:
                repeated += 1
    return first, repeated, failed


def main() -> None:
    board = sys.argv[1] if len(sys.argv) > 1 else "qemu-mps2-an385"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    elf = demo_elf(get_board(board), find_root())
    print(f"commands after random noise on the line, {board} in QEMU, seed 1")
    print(f"{'client':<34} {'tried':>6} {'first try':>10} {'after repeats':>14} {'failed':>7}")
    with Emulator(board, elf=elf) as emu:
        for flush, label in ((True, "0x00 before each request"),
                             (False, "no 0x00 (before issue 11)")):
            with NoiseProxy(emu.serial_url, seed=1) as proxy:
                first, repeated, failed = run(proxy.url, proxy, n, flush, seed=1)
            print(f"{label:<34} {n:>6} {first:>10} {repeated:>14} {failed:>7}")


if __name__ == "__main__":
    main()
