# SPDX-License-Identifier: Apache-2.0
"""CLI handlers that use a debug probe through pyOCD: `probes` and
`dump pull --probe` (the serial `dump pull` lives in dump_commands.py).

pyOCD is imported only when one of these runs, so the serial commands stay fast.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List

from ..errors import ProbeError
from ..render import hex_u32
from .commands import Result, UsageError, _ProgressBar, open_elf, print_result


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
    from .. import dumps
    from ..probe.locate import BOARD_PARTITIONS, CountingReader, locate, read_dumps
    from ..probe.session import ProbeSession
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
    target = args.target or (board.target if board else None)
    bars: Dict[str, _ProgressBar] = {}

    def progress(label: str, done: int, total: int) -> None:
        bar = bars.setdefault(label, _ProgressBar(label, sys.stderr))
        bar(done, total)
        if done >= total:
            bar.close()

    with ProbeSession(args.probe, target=target, packs=args.pack or ()) as session:
        regions = session.flash_regions() if elf is None and board is None else None
        read = CountingReader(session.read)
        with session.reading():
            layouts = locate(read, elf, board, regions)
            got = read_dumps(read, layouts, progress)
        state = "running" if session.was_running else "halted"
    for bar in bars.values():
        bar.close()
    where = "; ".join(f"{lay.source}: 0x{lay.base:08x}+0x{lay.size:x}" for lay in layouts)
    skipped = [{"addr": hex_u32(s.address), "reason": s.reason} for s in got.skipped]
    if not got.found:
        if got.skipped:
            raise ProbeError(f"no valid dump; {len(got.skipped)} corrupt: "
                             + "; ".join(f"0x{s.address:08x}: {s.reason}" for s in got.skipped),
                             hint="the device erases torn slots at its next boot")
        return ({"pulled": [], "skipped": skipped, "partition": where,
                 "bytes_read": got.bytes_read, "target_state": state},
                f"no dumps ({where}; read {got.bytes_read} bytes)")
    base = Path(args.output)
    docs: List[Dict[str, Any]] = []
    lines: List[str] = []
    for f in got.found:
        path = dumps.slot_path(base, f.index, len(got.found))
        try:
            path.write_bytes(f.data)
        except OSError as e:
            raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
        docs.append({"slot": f.index, "addr": hex_u32(f.address), "file": str(path),
                     "bytes": len(f.data), "body_crc": hex_u32(f.dump.header.body_crc)})
        lines.append(f"dump at 0x{f.address:08x} (slot {f.index}): {len(f.data)} bytes, "
                     f"verified, written to {path}")
    for s in got.skipped:
        lines.append(f"skipped 0x{s.address:08x}: {s.reason}")
    rate = got.dump_bytes / got.seconds / 1024 if got.seconds > 0 else 0.0
    lines.append(f"read {got.bytes_read} bytes for {got.dump_bytes} dump bytes in "
                 f"{got.seconds:.3f} s ({rate:.0f} KiB/s) from {where}; target left {state}")
    return ({"pulled": docs, "skipped": skipped, "partition": where,
             "bytes_read": got.bytes_read, "dump_bytes": got.dump_bytes,
             "seconds": round(got.seconds, 4), "target_state": state}, "\n".join(lines))


def cmd_dump_pull_any(args: argparse.Namespace) -> int:
    """`dump pull`: through a probe with --probe, else over the serial port."""
    from .commands import open_client
    from .dump_commands import cmd_dump_pull
    if args.probe:
        doc, text = probe_pull(args)
    else:
        for opt in ("target", "pack", "board"):
            if getattr(args, opt):
                raise UsageError(f"--{opt} needs --probe")
        with open_client(args, other=", or give --probe UID to read the dumps from flash "
                                     "through a debug probe (`crashdump probes` lists them)"
                         ) as dev:
            doc, text = cmd_dump_pull(args, dev)
    return _print(args, doc, text)


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


__all__ = ["add_pull_options", "cmd_dump_pull_any", "cmd_probes", "probe_pull"]
