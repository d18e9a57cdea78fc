# SPDX-License-Identifier: Apache-2.0
"""Work of the RSP packet reader (gdbserver and RSP client) on its worst inputs.

For each input shape and total size this prints the time and the rate: the
rate stays flat as the size grows when the work is proportional to the input
(the old reader rescanned its whole buffer per chunk, so a `$` never followed
by `#` made the time grow with the square of the size). Figures only.

Run: .venv/bin/python tests/bench/rsp_reader.py
"""
from __future__ import annotations

import time
from typing import Callable, List, Tuple

from crashdump import rsp
from crashdump.gdbserver.server import PACKET_SIZE


def overlong(size: int, chunk: int) -> List[bytes]:
    return [b"$"] + [b"a" * chunk] * (size // chunk)


def noise(size: int, chunk: int) -> List[bytes]:
    block = bytes(range(256)).replace(b"$", b"").replace(b"#", b"")
    data = (block * (size // len(block) + 1))[:size]
    return [data[i:i + chunk] for i in range(0, size, chunk)]


def packets(size: int, chunk: int) -> List[bytes]:
    one = rsp.encode(b"m20000000,800")
    data = one * (size // len(one))
    return [data[i:i + chunk] for i in range(0, len(data), chunk)]


def restarts(size: int, chunk: int) -> List[bytes]:
    data = b"$x" * (size // 2)  # every `$` cuts the previous packet short
    return [data[i:i + chunk] for i in range(0, len(data), chunk)]


SHAPES: List[Tuple[str, Callable[[int, int], List[bytes]]]] = [
    ("`$` and no `#`", overlong), ("line noise", noise), ("`m` requests", packets),
    ("`$x` repeated", restarts)]


def main() -> None:
    print(f"PacketReader(max_body={PACKET_SIZE}), as the gdbserver uses it")
    print(f"{'input':18} {'chunk':>6} {'size':>8} {'seconds':>8} {'MB/s':>7} {'max held':>9}")
    for name, make in SHAPES:
        for chunk in (1, 4096):
            for size in ((1 << 16, 1 << 17, 1 << 18) if chunk == 1 else
                         (1 << 20, 1 << 21, 1 << 22)):
                chunks = make(size, chunk)
                reader = rsp.PacketReader(max_body=PACKET_SIZE)
                held = 0
                start = time.perf_counter()
                for c in chunks:
                    reader.feed(c)
                    held = max(held, reader.buffered())
                took = time.perf_counter() - start
                print(f"{name:18} {chunk:6} {size:8} {took:8.3f} {size / took / 1e6:7.2f} "
                      f"{held:9}")


if __name__ == "__main__":
    main()
