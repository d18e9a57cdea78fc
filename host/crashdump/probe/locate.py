# SPDX-License-Identifier: Apache-2.0
"""Finding and reading crash dumps in raw target memory (no pyOCD here).

Everything works on a `read(address, length) -> bytes` function, so the same
code serves a pyOCD session (probe/session.py) and the unit tests' fake memory.
docs/dump-format.md "Finding the dumps without the firmware" is the spec:

1. the ELF's `cd_dump_locator` (RAM, filled by cd_init) gives the exact slots
   and what each holds, so a pull reads the locator and each dump, nothing else;
2. else the ELF's `__cd_dump_start`/`__cd_dump_end` bound a partition to scan;
3. else a board description (BOARD_PARTITIONS) or the target's flash regions do.

Only committed dump bytes are read: with the locator, each dump in one read
of its recorded length; when scanning, a 4-byte magic per erase unit, then the
header and `total_len` bytes of each valid dump.
"""
from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from ..decode.elf import Elf
from ..dumpfile.format import (DUMP_HDR, DUMP_LOCATOR, DUMP_MAGIC, LOCATOR_CRC_LEN, LOCATOR_MAGIC,
                               LOCATOR_SLOTS)
from ..dumpfile.parse import Dump, crc32, parse_dump, parse_header
from ..errors import DumpFormatError, ProbeError

ReadFn = Callable[[int, int], bytes]
# progress(label, bytes done, bytes total) for the dump being read
ProgressFn = Callable[[str, int, int], None]

HDR_LEN = DUMP_HDR.size
SCAN_STEP = 1024        # slots start on erase units; no board here erases less than 1 KiB
READ_CHUNK = 16 * 1024  # bytes per read of a dump body: large for speed, small enough for progress
_MAGIC = DUMP_MAGIC.to_bytes(4, "little")


@dataclass(frozen=True)
class BoardPartition:
    """Where a board's dump partition is (BOARD_DUMP_* in its board.h)."""
    name: str
    base: int
    size: int
    erase_size: int
    target: str  # pyOCD target type


BOARD_PARTITIONS: Dict[str, BoardPartition] = {b.name: b for b in (
    BoardPartition("qemu-mps2-an385", 0x003E0000, 128 * 1024, 4096, "cortex_m"),
    BoardPartition("qemu-mps2-an386", 0x003E0000, 128 * 1024, 4096, "cortex_m"),
    BoardPartition("qemu-mps2-an500", 0x003E0000, 128 * 1024, 4096, "cortex_m"),
    BoardPartition("qemu-mps2-an505", 0x103E0000, 128 * 1024, 4096, "cortex_m"),
    BoardPartition("qemu-microbit", 0x00038000, 32 * 1024, 1024, "cortex_m"),
    BoardPartition("nrf52840dk", 0x000E8000, 96 * 1024, 4096, "nrf52840"),
    BoardPartition("stm32f4-discovery", 0x080C0000, 256 * 1024, 128 * 1024, "stm32f407vg"),
)}


@dataclass(frozen=True)
class Layout:
    """A region to look for dumps in. From the locator (slot_size set), slot i
    is at base + i * slot_size and holds a dump of dump_len[i] bytes (0: none);
    otherwise the region is scanned every `step`."""
    base: int
    size: int
    source: str
    slot_size: int = 0
    n_slots: int = 0
    step: int = SCAN_STEP
    dump_len: Tuple[int, ...] = ()  # from the locator: per slot, 0 = no dump

    @property
    def exact(self) -> bool:
        return self.slot_size > 0


@dataclass(frozen=True)
class Found:
    address: int
    index: int  # the slot number, or the dump's position in a scan
    data: bytes
    dump: Dump


@dataclass(frozen=True)
class Skipped:
    address: int
    reason: str


@dataclass
class Retrieved:
    layouts: List[Layout]
    found: List[Found] = field(default_factory=list)
    skipped: List[Skipped] = field(default_factory=list)
    bytes_read: int = 0
    seconds: float = 0.0

    @property
    def dump_bytes(self) -> int:
        return sum(len(f.data) for f in self.found)


class CountingReader:
    """A ReadFn that counts the bytes read through it and rejects short reads.
    Pass one to locate() and read_dumps() to count the locator read too."""

    def __init__(self, read: ReadFn) -> None:
        self._read, self.count = read, 0

    def __call__(self, addr: int, n: int) -> bytes:
        data = self._read(addr, n)
        if len(data) != n:
            raise ProbeError(f"read of {n} bytes at 0x{addr:08x} returned {len(data)}")
        self.count += n
        return data


def parse_locator(raw: bytes) -> Optional[Layout]:
    """The locator's slot layout, or None if it is not (yet) valid."""
    f = DUMP_LOCATOR.unpack(raw)
    if f["magic"] != LOCATOR_MAGIC or crc32(raw[:LOCATOR_CRC_LEN]) != f["crc"]:
        return None
    if not (1 <= f["n_slots"] <= 64 and f["slot_size"] >= HDR_LEN and f["erase_size"] > 0):
        return None
    n = f["n_slots"]
    if n > LOCATOR_SLOTS:
        return None
    lens = struct.unpack(f"<{LOCATOR_SLOTS}I", f["dump_len"])[:n]
    return Layout(f["partition_base"], f["slot_size"] * n, "cd_dump_locator",
                  slot_size=f["slot_size"], n_slots=n, step=f["erase_size"], dump_len=lens)


def locate(read: ReadFn, elf: Optional[Elf] = None, board: Optional[BoardPartition] = None,
           flash_regions: Optional[List[Layout]] = None) -> List[Layout]:
    """Where to look, best source first (see the module docstring)."""
    notes: List[str] = []
    if elf is not None:
        addr = elf.address_of("cd_dump_locator")
        if addr is not None:
            layout = parse_locator(read(addr, DUMP_LOCATOR.size))
            if layout is not None:
                return [layout]
            notes.append("cd_dump_locator is not set (the firmware did not reach cd_init)")
        start, end = elf.address_of("__cd_dump_start"), elf.address_of("__cd_dump_end")
        if start is not None and end is not None and end > start:
            step = board.erase_size if board else SCAN_STEP
            return [Layout(start, end - start, "; ".join(notes + [
                "scanning __cd_dump_start..__cd_dump_end from the ELF"]), step=step)]
    if board is not None:
        return [Layout(board.base, board.size, f"board {board.name}", step=board.erase_size)]
    if flash_regions:
        return flash_regions
    why = f"{elf.path} has neither cd_dump_locator nor __cd_dump_start/__cd_dump_end" \
        if elf is not None else "no ELF, no board and no flash regions in the target's memory map"
    raise ProbeError(f"cannot tell where the dump partition is: {why}",
                     hint="pass --elf with the firmware the device runs, or --board NAME "
                          f"(one of: {', '.join(sorted(BOARD_PARTITIONS))})")


def read_dumps(read: ReadFn, layouts: List[Layout],
               progress: Optional[ProgressFn] = None) -> Retrieved:
    """Reads every valid dump in the layouts. A header that does not hold up
    (torn, corrupt body) is listed in `skipped`, never returned as a dump."""
    start = time.monotonic()
    counting = read if isinstance(read, CountingReader) else CountingReader(read)
    result = Retrieved(layouts)
    for layout in layouts:
        if layout.exact:
            for i in range(layout.n_slots):
                # The firmware says what each slot holds: 0 = nothing, else
                # the length, read in one go and then checked like any dump.
                if layout.dump_len[i]:
                    _read_known(counting, layout.base + i * layout.slot_size, i,
                                layout.dump_len[i], layout.slot_size, result, progress)
        else:
            addr, end = layout.base, layout.base + layout.size
            while addr + HDR_LEN <= end:
                dump_len = _try_dump(counting, addr, len(result.found), end - addr, result,
                                     progress)
                n = -(-dump_len // layout.step) * layout.step if dump_len else layout.step
                addr += n
    result.bytes_read = counting.count
    result.seconds = time.monotonic() - start
    return result


def _read_known(read: CountingReader, addr: int, index: int, length: int, room: int,
                result: Retrieved, progress: Optional[ProgressFn]) -> None:
    """A dump whose length the locator gives: one read, then the usual checks.
    A stale length (the dump was cut short or erased since) costs a second
    read or reports the slot; nothing unchecked is returned."""
    data = read(addr, max(HDR_LEN, min(length, room)))
    if data[:4] != _MAGIC:
        result.skipped.append(Skipped(addr, "the locator lists a dump here but the slot "
                                            "holds none (erased or never committed)"))
        return
    _complete(read, addr, index, data, room, result, progress)


def _try_dump(read: CountingReader, addr: int, index: int, room: int, result: Retrieved,
              progress: Optional[ProgressFn]) -> int:
    """Scanning: the dump at addr into result if its magic is there; returns
    its length, 0 if none."""
    magic = read(addr, 4)
    if magic != _MAGIC:
        return 0  # erased or never written
    return _complete(read, addr, index, magic + read(addr + 4, HDR_LEN - 4), room, result,
                     progress)


def _complete(read: CountingReader, addr: int, index: int, have: bytes, room: int,
              result: Retrieved, progress: Optional[ProgressFn]) -> int:
    """Checks the header at the start of `have` (the first bytes at addr),
    reads whatever of the dump is missing and verifies it. Returns the dump's
    length once it is in result.found, 0 if it was skipped (with the reason)."""
    try:
        header = parse_header(have[:HDR_LEN])
    except DumpFormatError as e:
        result.skipped.append(Skipped(addr, f"torn or foreign header: {e}"))
        return 0
    if header.total_len > room:
        result.skipped.append(Skipped(addr, f"header claims {header.total_len} bytes, "
                                            f"only {room} fit"))
        return 0
    label = f"dump at 0x{addr:08x}"
    data = bytearray(have[:header.total_len])
    while len(data) < header.total_len:
        n = min(READ_CHUNK, header.total_len - len(data))
        data += read(addr + len(data), n)
        if progress:
            progress(label, len(data), header.total_len)
    try:
        dump = parse_dump(bytes(data))
    except DumpFormatError as e:
        result.skipped.append(Skipped(addr, f"corrupt dump: {e}"))
        return 0
    result.found.append(Found(addr, index, bytes(data), dump))
    return header.total_len
