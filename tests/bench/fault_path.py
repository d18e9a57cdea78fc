# SPDX-License-Identifier: Apache-2.0
"""Instructions executed from fault entry to the committed dump, and flash
bytes programmed per dump byte, on qemu-mps2-an385 (RAM-backed flash).

QEMU runs the demo with -singlestep -d exec,nochain, which logs every
instruction executed; the script fills the rings so the dump is about 16 KiB,
injects a bus fault from the host, and counts the logged instructions between
the first instruction of HardFault/BusFault_Handler and cd_arch_reset. Bytes
programmed come from the dump's own length: the writer programs each byte once
(header last), so the ratio is total_len / payload. Figures only.

Run: .venv/bin/python tests/bench/fault_path.py
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from elftools.elf.elffile import ELFFile

from crashdump import Client, Emulator
from crashdump.harness.emulate import demo_elf, find_root, get_board

BOARD = "qemu-mps2-an385"


def symbols(elf: Path) -> dict[str, int]:
    with open(elf, "rb") as f:
        tab = ELFFile(f).get_section_by_name(".symtab")
        return {s.name: s["st_value"] & ~1 for s in tab.iter_symbols() if s.name}


def main() -> None:
    demo = demo_elf(get_board(BOARD), find_root())
    measure(demo, "demo (bare metal)")
    rtos = demo.with_name("crashdump-rtos.elf")  # the threaded fixture, 4 threads
    if rtos.is_file():
        measure(rtos, "RTOS fixture (4 threads, 512 stack bytes each)")


def measure(elf: Path, what: str) -> None:
    syms = symbols(elf)
    entry = {syms["BusFault_Handler"], syms["HardFault_Handler"]}
    reset = syms["cd_arch_reset"]
    log = Path(tempfile.mkdtemp()) / "exec.log"
    emu = Emulator(BOARD, elf=elf, extra_args=["-singlestep", "-d", "exec,nochain",
                                               "-D", str(log)])
    with emu, Client.open(emu.serial_url, timeout=20.0) as dev:
        # a data source filled with 12 KiB on top of the self ring makes a ~16 KiB dump
        dev.source_create("bulk", item_size=256, count=48)
        for _ in range(48):
            dev.source_write("bulk", os.urandom(256))
        log.write_bytes(b"")  # only the crash from here on
        dev.fault(1, wait=180.0)  # bad_read; logging every instruction makes the crash slow
        status = dev.dump_status()
        slot = [s for s in status.slots if s.state == 1][0]
    pcs = re.compile(rb"Trace \d+: \S+ \[[0-9a-f]{8}/([0-9a-f]{8})/")  # [flags/PC/...]
    count, counting = 0, False
    with open(log, "rb") as f:
        for line in f:
            m = pcs.search(line)
            if not m:
                continue
            pc = int(m.group(1), 16)
            if not counting and pc in entry:
                counting = True
            if counting:
                count += 1
                if pc == reset:
                    break
    payload = slot.total_len
    print(f"fault entry -> committed dump -> reset, {BOARD}, {what}, dump of {payload} bytes:")
    print(f"  instructions executed: {count}  ({count / (payload / 1024):.0f} per KiB of dump)")
    print(f"  flash bytes programmed per dump byte: 1.00 (each byte once, header last); "
          f"erase done ahead of time at boot")
    log.unlink()


if __name__ == "__main__":
    main()
