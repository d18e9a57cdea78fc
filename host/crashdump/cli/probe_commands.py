# SPDX-License-Identifier: Apache-2.0
"""CLI handlers that use a debug probe through pyOCD: `probes` and
`dump pull --probe` (dump_commands.py's `dump pull` calls it).

pyOCD is imported only when one of these runs, so the serial commands stay fast.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List

from ..errors import ProbeError
from ..protocol.render import hex_u32
from .commands import Result, UsageError, _ProgressBar, open_elf, print_result, pull_files


def _quiet_pyocd(args: argparse.Namespace) -> None:
    # pyOCD logs warnings and errors it recovers from (an emulator's CoreSight
    # quirks, a pack without an SVD file) to stderr; failures that matter reach
    # us as exceptions, so its log is noise unless the user is debugging.
    import logging
    logging.getLogger("pyocd").setLevel(logging.INFO if args.debug else logging.CRITICAL)


def _print(args: argparse.Namespace, doc: Dict[str, Any], text: str) -> int:
    print_result(args, doc, text)
    return 0


def cmd_probes(args: argparse.Namespace) -> int:
    from ..probe.session import GDBRSP_HINT, list_probes
    _quiet_pyocd(args)
    probes = list_probes()
    doc = {"probes": [{"unique_id": p.unique_id, "description": p.description,
                       "vendor": p.vendor, "product": p.product} for p in probes]}
    if not probes:
        return _print(args, doc, f"no debug probes found ({GDBRSP_HINT})")
    lines = [f"{'unique id':<26} description"]
    lines += [f"{p.unique_id:<26} {p.description}" for p in probes]
    return _print(args, doc, "\n".join(lines))


def probe_pull(args: argparse.Namespace) -> Result:
    """dump pull --probe: read every valid dump from flash and write the files."""
    from ..probe.locate import BOARD_PARTITIONS
    from ..pull.probe import ProbeSource
    _quiet_pyocd(args)
    board = None
    if args.board:
        board = BOARD_PARTITIONS.get(args.board)
        if board is None:
            raise UsageError(f"unknown board {args.board!r}",
                             hint=f"known: {', '.join(sorted(BOARD_PARTITIONS))}")
    if args.slot is not None:
        raise UsageError("--slot is for serial pulls; --probe reads every valid dump")
    elf = open_elf(args.elf) if args.elf else None
    bars: Dict[str, _ProgressBar] = {}

    def progress(label: str, done: int, total: int) -> None:
        bar = bars.setdefault(label, _ProgressBar(label, sys.stderr))
        bar(done, total)
        if done >= total:
            bar.close()

    source = ProbeSource(args.probe, elf, board, args.target, args.pack or (), progress)
    slots = source.slots()
    for bar in bars.values():
        bar.close()
    got, state = source.retrieved, source.target_state
    assert got is not None
    where = "; ".join(f"{lay.source}: 0x{lay.base:08x}+0x{lay.size:x}" for lay in got.layouts)
    skipped = [{"addr": hex_u32(s.address), "reason": s.reason} for s in got.skipped]
    if not slots:
        if got.skipped:
            raise ProbeError(f"no valid dump; {len(got.skipped)} corrupt: "
                             + "; ".join(f"0x{s.address:08x}: {s.reason}" for s in got.skipped),
                             hint="the device erases torn slots at its next boot")
        return ({"pulled": [], "skipped": skipped, "partition": where,
                 "bytes_read": got.bytes_read, "target_state": state},
                f"no dumps ({where}; read {got.bytes_read} bytes)")
    docs: List[Dict[str, Any]] = []
    lines: List[str] = []
    for slot, pulled in zip(slots, pull_files(source, slots, Path(args.output))):
        docs.append({"slot": slot.slot, "addr": hex_u32(slot.address or 0),
                     "file": str(pulled.path), "bytes": pulled.size,
                     "body_crc": hex_u32(pulled.dump.header.body_crc)})
        lines.append(f"dump at 0x{slot.address or 0:08x} (slot {slot.slot}): {pulled.size} "
                     f"bytes, verified, written to {pulled.path}")
    for s in got.skipped:
        lines.append(f"skipped 0x{s.address:08x}: {s.reason}")
    rate = got.dump_bytes / got.seconds / 1024 if got.seconds > 0 else 0.0
    lines.append(f"read {got.bytes_read} bytes for {got.dump_bytes} dump bytes in "
                 f"{got.seconds:.3f} s ({rate:.0f} KiB/s) from {where}; target left {state}")
    return ({"pulled": docs, "skipped": skipped, "partition": where,
             "bytes_read": got.bytes_read, "dump_bytes": got.dump_bytes,
             "seconds": round(got.seconds, 4), "target_state": state}, "\n".join(lines))


def add_pull_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("through a debug probe (pyOCD) instead of the serial port")
    g.add_argument("--probe", metavar="UID",
                   help="pyOCD probe unique ID (or a unique part of it), or gdbrsp:HOST:PORT "
                        "for QEMU's or Renode's GDB server")
    g.add_argument("--target", metavar="TARGET",
                   help="pyOCD target type, e.g. nrf52840, stm32f407vg (default: cortex_m, or "
                        "the --board's)")
    g.add_argument("--elf", metavar="ELF",
                   help="the firmware the device runs: its symbols locate the dump slots")
    g.add_argument("--pack", metavar="PACK", action="append",
                   help="a local CMSIS device pack (.pack) for targets pyOCD lacks; repeatable")
    g.add_argument("--board", metavar="BOARD",
                   help="without --elf: the board whose dump partition to scan")


__all__ = ["add_pull_options", "cmd_probes", "probe_pull"]
